"""The work of one ``start``/``handle`` call: a state being rebuilt and the actions so far.

:class:`Turn` is what node handlers get as their :class:`~.nodes.base.Step`: it reads the
state and offers the verbs; the session-wide moves (entering nodes, counting failures,
records) it asks of the engine's core, which the handlers never see.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..formats.events import Action, Say
from . import commands, privacy
from .state import State

if TYPE_CHECKING:
    from .flow import Core
    from .model import Dialog, DialogSet, Node
    from .nodes.base import NodeType


class Turn:
    def __init__(self, engine: Core, state: State):
        self._engine = engine
        self.state = state
        self.actions: list[Action] = []
        self.was_answered = False

    # ------------------------------------------------------------------ state updates

    def update(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)

    def update_frame(self, **changes: Any) -> None:
        frames = self.state.frames
        self.state = replace(self.state, frames=frames[:-1] + (replace(frames[-1], **changes),))

    # ------------------------------------------------------------------ reading

    @property
    def node(self) -> Node:
        return self._engine.node(self.state)

    @property
    def slots(self) -> Mapping[str, Any]:
        return self.state.frame.slots

    @property
    def sub(self) -> Mapping[str, Any]:
        return self.state.frame.sub

    @property
    def now(self) -> datetime:
        """The session's clock reading at its start (the engine has no clock of its own)."""
        return datetime.fromisoformat(self.state.session["started_at"])

    @property
    def memory(self) -> Mapping[str, Any]:
        return self.state.session.get("memory") or {}

    @property
    def program(self) -> DialogSet:
        return self._engine.dialogs

    @property
    def dialog(self) -> Dialog:
        return self._engine.dialog(self.state)

    @property
    def handler(self) -> NodeType:
        return self._engine.handler(self.state)

    @property
    def messages(self) -> Mapping[str, str]:
        return self._engine.messages

    @property
    def commands(self) -> Mapping[str, list[str]]:
        return self._engine.commands

    def mode(self) -> str:
        return self._engine.mode(self)

    def options(self) -> dict[str, list[str]]:
        return self._engine.options(self)

    def value(self, name: str) -> Any:
        if name in self.slots:
            return self.slots[name]
        return self._engine.variables(self.state).get(name)

    def phrases(self, item: Mapping[str, Any]) -> list[str]:
        return self._engine.phrases(item)

    def render(self, template: str, extra: Mapping[str, Any] | None = None) -> str:
        return self._engine.fmt(self.state, template, extra)

    # ------------------------------------------------------------------ acting

    def emit(self, text: str) -> None:
        """Say an already rendered text at the current node."""
        self.actions.append(Say(text, self._engine.ref(self.state), self._engine.rate(self.state)))

    def say(
        self, texts: str | Sequence[str] | None, extra: Mapping[str, Any] | None = None, prompt: bool = False
    ) -> list[str]:
        if not texts:
            return []
        said = []
        for template in [texts] if isinstance(texts, str) else texts:
            text = self.render(template, extra)
            if text:
                self.emit(text)
                said.append(text)
        if prompt:
            self.set_prompt(said)
        return said

    def message(self, name: str, extra: Mapping[str, Any] | None = None) -> None:
        self.say(self._engine.messages.get(name), extra)

    def set_prompt(self, said: Sequence[str]) -> None:
        self.update(last_said=tuple(said))

    def repeat_prompt(self) -> None:
        for text in self.state.last_said:
            self.emit(text)

    def listen(self) -> None:
        self.actions.append(self._engine.listen_action(self.state))

    def set_slots(self, values: Mapping[str, Any], answer: bool = True) -> None:
        recorded = self._engine.recorded[self.state.frame.dialog]
        merged = {**self.state.frame.slots, **values}
        dirty = self.state.frame.dirty or (answer and any(k in recorded for k in values))
        self.update_frame(slots=merged, dirty=dirty)
        if answer:
            self.was_answered = True
            privacy.note(self, values)

    def set_sub(self, values: Mapping[str, Any]) -> None:
        self.update_frame(sub=dict(values))

    def took_item(self, item: str) -> None:
        self.update(used=self.state.used + (item,))

    def answered(self) -> None:
        self.was_answered = True

    def goto(self, node_id: str) -> None:
        self._engine.enter(self, node_id)

    def call(self, dialog_id: str, return_to: str | None) -> str:
        return self._engine.push(self, dialog_id, return_to)

    def fail(self, kind: str, extra: Mapping[str, Any] | None = None) -> None:
        self._engine.fail(self, kind, extra)

    def leave(self, complete: bool = False, outcome: str | None = None) -> None:
        self._engine.leave(self, complete, outcome)

    def end(self, outcome: str) -> None:
        self._engine.end(self, outcome)

    def command(self, name: str) -> None:
        commands.run(self, name)


__all__ = ["Turn"]
