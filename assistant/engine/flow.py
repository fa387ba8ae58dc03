"""The step the engine's own helpers act through, and the core it is served by.

Node types get the narrow :class:`~.nodes.base.Step`.  The engine's helpers (global
commands, hearing, endings, privacy, safety, the coach's answers, grief) get a
:class:`Flow`: the same step plus the session-wide moves (end the session, read the current
dialog and node type, common.yaml's messages and commands).  :class:`~.step.Turn` implements
it over a :class:`Core`, which :class:`~.core.Engine` is; so no helper, and not the step,
imports the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .nodes.base import Step

if TYPE_CHECKING:
    from ..formats.events import Action, Listen
    from .model import Dialog, DialogSet, Node
    from .nodes.base import NodeType
    from .render import Vars
    from .state import State


class Flow(Step, Protocol):
    """A :class:`Step` with the session-wide moves the engine's helpers need."""

    actions: list[Action]
    """The actions of this engine call so far."""
    was_answered: bool

    def emit(self, text: str) -> None:
        """Say an already rendered text at the current node."""

    def update(self, **changes: Any) -> None:
        """Replace fields of the session's state."""

    def update_frame(self, **changes: Any) -> None:
        """Replace fields of the current frame."""

    @property
    def dialog(self) -> Dialog:
        """The dialog the current frame runs."""

    @property
    def handler(self) -> NodeType:
        """The node type of the current node."""

    @property
    def messages(self) -> Mapping[str, str]:
        """common.yaml's messages."""

    @property
    def commands(self) -> Mapping[str, list[str]]:
        """common.yaml's global commands and their phrases."""

    def mode(self) -> str:
        """``choice`` or ``capture`` where the step stands."""

    def options(self) -> dict[str, list[str]]:
        """The current node's options and their phrases."""

    def end(self, outcome: str) -> None:
        """End the session with ``outcome`` (its record goes with the End action)."""


class Core(Protocol):
    """What a :class:`~.step.Turn` asks of the engine (:class:`~.core.Engine` is one)."""

    dialogs: DialogSet
    messages: Mapping[str, str]
    commands: dict[str, list[str]]
    defaults: Mapping[str, Any]
    recorded: dict[str, frozenset[str]]

    def node(self, state: State) -> Node: ...
    def dialog(self, state: State) -> Dialog: ...
    def handler(self, state: State) -> NodeType: ...
    def mode(self, step: Flow) -> str: ...
    def options(self, step: Flow) -> dict[str, list[str]]: ...
    def variables(self, state: State, extra: Mapping[str, Any] | None = None) -> Vars: ...
    def fmt(self, state: State, template: str, extra: Mapping[str, Any] | None = None) -> str: ...
    def phrases(self, item: Mapping[str, Any]) -> list[str]: ...
    def ref(self, state: State) -> str: ...
    def rate(self, state: State) -> float: ...
    def listen_action(self, state: State) -> Listen: ...
    def enter(self, step: Flow, node_id: str | None) -> None: ...
    def push(self, step: Flow, dialog_id: str, return_to: str | None) -> str: ...
    def fail(self, step: Flow, kind: str, extra: Mapping[str, Any] | None = None) -> None: ...
    def leave(self, step: Flow, complete: bool, outcome: str | None = None) -> None: ...
    def end(self, step: Flow, outcome: str) -> None: ...


__all__ = ["Core", "Flow"]
