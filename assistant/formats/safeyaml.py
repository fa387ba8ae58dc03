"""The one safe reader for every YAML source (dialogs, decks, lexicons, config, scenarios).

Dialog folders are edited by hand and reloaded by the running service, so a hostile or
broken file must end in one clear line, fast and in little memory, never in a traceback or
a hung speaker.  The document is composed from the parser's events without recursion,
counting as it goes, and refused as soon as a limit is crossed:

==================  =========  ==========================================================
limit               value      the largest shipped file uses
==================  =========  ==========================================================
file size           1 MB       6 KB (``dialogs/check-in.yaml``)
folder size         8 MB       41 KB (all of ``dialogs/``)
files per folder    500        16
nodes per file      5,000      about 420 (keys, values and list items)
alias uses          100        none
nesting depth       50         8
==================  =========  ==========================================================

Alias uses count every node an alias expands to, so a "billion laughs" file (nine levels
of nine aliases) is refused at its first few hundred expansions.  Only the plain YAML
tags are built (``SafeLoader``): a ``!!python/object`` tag is an error, never code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import InvalidInput, one_line

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's parser when installed (about 10x faster); the constructors are SafeLoader's either way."""


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 1_000_000
    folder_bytes: int = 8_000_000
    files: int = 500
    nodes: int = 5_000
    aliases: int = 100
    depth: int = 50


LIMITS = Limits()


class YamlError(InvalidInput):
    """A YAML source that cannot be read safely.  ``str()`` is ``file:line: message``."""

    def __init__(self, source: str, line: int | None, message: str):
        self.source, self.line, self.message = source, line, message
        super().__init__(f"{source}:{line}: {message}" if line else f"{source}: {message}")


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} KB"


def _line_at(data: bytes | str, position: int) -> int:
    newline = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(newline, 0, max(0, position)) + 1  # type: ignore[arg-type]


def read_text(path: str | Path, limits: Limits = LIMITS) -> str:
    """A source file's text: at most ``limits.file_bytes`` bytes of strict UTF-8.
    Raises ``FileNotFoundError`` / ``OSError`` for the caller to word, :class:`YamlError` otherwise."""
    p = Path(path)
    with open(p, "rb") as f:
        data = f.read(limits.file_bytes + 1)
    if len(data) > limits.file_bytes:
        raise YamlError(
            str(p), _line_at(data, limits.file_bytes), f"file is larger than the {_size(limits.file_bytes)} limit"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(str(p), _line_at(data, exc.start), f"not UTF-8 text (byte 0x{data[exc.start]:02x})") from None


def check_folder(files: list[Path], where: str, limits: Limits = LIMITS) -> None:
    """Refuse a folder of more than ``limits.files`` YAML files or ``limits.folder_bytes`` bytes."""
    if len(files) > limits.files:
        raise YamlError(
            str(files[limits.files]), 1, f"the folder {where} holds more than the limit of {limits.files} YAML files"
        )
    total = 0
    for file in files:
        try:
            total += file.stat().st_size
        except OSError:
            continue
        if total > limits.folder_bytes:
            raise YamlError(
                str(file), 1, f"the folder {where} holds more than the {_size(limits.folder_bytes)} limit of YAML"
            )


class _Composer:
    """Builds the node graph from parser events with an explicit stack, under limits."""

    def __init__(self, text: str, source: str, limits: Limits):
        self.loader = _Loader(text)
        self.source, self.limits, self.text = source, limits, text
        self.anchors: dict[str, yaml.Node] = {}
        self.sizes: dict[int, int] = {}
        self.nodes = 0
        self.aliases = 0

    def fail(self, event: Any, message: str) -> None:
        mark = getattr(event, "start_mark", None)
        raise YamlError(self.source, mark.line + 1 if mark else None, message)

    def count(self, event: Any, size: int) -> None:
        self.nodes += size
        if self.nodes > self.limits.nodes:
            self.fail(event, f"more than {self.limits.nodes} values (keys, values and list items) in one file")

    def compose(self) -> yaml.Node | None:
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return None
        loader.get_event()  # document start
        root = self._document()
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            self.fail(loader.peek_event(), "more than one YAML document in the file")
        return root

    def _new(self, event: Any) -> Any:
        loader = self.loader
        if isinstance(event, yaml.ScalarEvent):
            tag = (
                event.tag
                if event.tag not in (None, "!")
                else loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            )
            start: Any = event.start_mark
            end: Any = event.end_mark
            return yaml.ScalarNode(tag, event.value, start, end, style=event.style)
        kind = yaml.SequenceNode if isinstance(event, yaml.SequenceStartEvent) else yaml.MappingNode
        tag = event.tag if event.tag not in (None, "!") else loader.resolve(kind, None, event.implicit)
        return kind(tag, [], event.start_mark, None, flow_style=event.flow_style)

    def _document(self) -> yaml.Node:
        loader, limits = self.loader, self.limits
        stack: list[yaml.Node] = []
        root: yaml.Node | None = None
        while root is None:
            event = loader.get_event()
            if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                node = stack.pop()
                node.end_mark = event.end_mark
                self.sizes[id(node)] = 1 + sum(
                    self.sizes.get(id(child), 1)
                    for item in node.value
                    for child in (item if isinstance(item, tuple) else (item,))
                )
            elif isinstance(event, yaml.AliasEvent):
                node = self._alias(event, stack)
            else:
                node = self._new(event)
                self.count(event, 1)
                if event.anchor is not None:
                    self.anchors[event.anchor] = node
                if isinstance(node, yaml.CollectionNode):
                    if len(stack) >= limits.depth:
                        self.fail(event, f"nested more than {limits.depth} levels deep")
                    stack.append(node)
                    continue
            if not stack:
                root = node
            else:
                self._attach(stack[-1], node)
        return root

    def _alias(self, event: Any, stack: list[yaml.Node]) -> yaml.Node:
        node = self.anchors.get(event.anchor)
        if node is None:
            self.fail(event, f"alias *{event.anchor} names no anchor")
        assert node is not None
        if any(open_node is node for open_node in stack):
            self.fail(event, f"alias *{event.anchor} refers to itself")
        self.aliases += 1
        if self.aliases > self.limits.aliases:
            self.fail(event, f"more than {self.limits.aliases} aliases (*name) in one file")
        self.count(event, self.sizes.get(id(node), 1))
        return node

    @staticmethod
    def _attach(parent: yaml.Node, node: yaml.Node) -> None:
        if isinstance(parent, yaml.SequenceNode):
            parent.value.append(node)
        elif parent.value and len(parent.value[-1]) == 1:
            parent.value[-1] = (parent.value[-1][0], node)
        else:
            parent.value.append((node,))


def compose(text: str, source: str, limits: Limits = LIMITS) -> tuple[Any, yaml.Node | None]:
    """Parse ``text`` safely: ``(data, root node)``; every problem is a :class:`YamlError`."""
    composer = _Composer(text, source, limits)
    try:
        root = composer.compose()
        if root is None:
            return None, None
        return composer.loader.construct_document(root), root
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlError(
            source, mark.line + 1 if mark else None, f"not valid YAML: {exc.problem or exc.context}"
        ) from None
    except yaml.reader.ReaderError as exc:
        raise YamlError(
            source, _line_at(text, exc.position), f"not valid YAML: unacceptable character #x{exc.character:04x}"
        ) from None
    except yaml.YAMLError as exc:
        raise YamlError(source, None, "not valid YAML: " + one_line(exc)) from None
    finally:
        composer.loader.dispose()
