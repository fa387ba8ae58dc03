"""The dialogs as the engine runs them: frozen dialogs, nodes and the set of them, built and
checked by :mod:`assistant.loader` from the YAML files in ``dialogs/``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..text.lexicon import Lexicon

END = "end"
"""The special ``next``/``goto`` target that finishes the current dialog."""


@dataclass(frozen=True)
class Node:
    """One step of a dialog."""

    id: str
    kind: str | None
    """Its node type (a key of :data:`assistant.engine.nodes.REGISTRY`), or None for a node that only speaks."""
    spec: Mapping[str, Any]
    """The whole node mapping as written (validated)."""
    listens: bool = False
    """Its node type waits for the couple here (set by the loader, which knows the node types)."""

    def get(self, key: str, default: Any = None) -> Any:
        return self.spec.get(key, default)

    @property
    def body(self) -> Any:
        """The capability's own settings (``spec[kind]``)."""
        return self.spec.get(self.kind) if self.kind else None


@dataclass(frozen=True)
class Dialog:
    """An exercise or the check-in itself."""

    id: str
    kind: str
    title: str
    names: tuple[str, ...]
    start: str
    nodes: Mapping[str, Node]
    record: Mapping[str, Any] | None
    summary: str | None
    rounds: str | None
    menu: bool
    source: str
    spec: Mapping[str, Any] = field(repr=False, default_factory=dict)
    where: Any = field(repr=False, compare=False, default=None)
    """Locates fields of the source file (for errors found across files)."""

    def line(self, path: list[Any]) -> int | None:
        return self.where.line(path) if self.where else None


@dataclass(frozen=True)
class DialogSet:
    """Everything the engine needs: dialogs by id, lexicons by id, the common settings."""

    dialogs: Mapping[str, Dialog]
    lexicons: Mapping[str, Lexicon]
    common: Mapping[str, Any]
    decks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    common_source: str = "common.yaml"
    common_where: Any = field(repr=False, compare=False, default=None)
    """Locates fields of common.yaml (for template errors found across files)."""
    free_text: frozenset[str] = frozenset()
    """See :meth:`free_text_fields`."""
    meaning: Any = field(repr=False, compare=False, default=None)
    """The meaning layer's tables (:class:`assistant.text.meaning.Tables`) from ``dialogs/meaning/``;
    None for a directory without them (every answer is then plain text)."""

    def free_text_fields(self) -> set[str]:
        """``exercise:field`` for every record field that holds a free-form sentence (a
        captured answer without ``keep: true``): what ``journal.keep: summary`` leaves out.
        Found by the loader, which knows the node types (:func:`assistant.loader.dialogs.free_text_fields`)."""
        return set(self.free_text)

    def exercises(self) -> list[Dialog]:
        """Exercises offered in the menu, in file-name order."""
        return [d for d in self.dialogs.values() if d.kind == "exercise" and d.menu]


__all__ = ["END", "Dialog", "DialogSet", "Lexicon", "Node"]
