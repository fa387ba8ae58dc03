"""What the engine listens for at a node: the :class:`~assistant.formats.events.Listen` action.

The listen mode and phrases come from the node's type; the timeouts from common.yaml's
``defaults.timeouts`` for that mode, overridden by the node's own ``timeouts:``; the node
type may adjust the result (a day grammar, a pause's length)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..formats.events import Listen
from ..text import matching
from .nodes import handler_for
from .state import State
from .step import Turn

if TYPE_CHECKING:
    from .flow import Core

GRAMMAR_COMMAND_PHRASES = 3
"""Recognisers get each command's first phrases only: a smaller grammar confuses less."""
PAUSED = Listen("", "choice", ("resume", "stop"), (), no_input_s=600.0, end_silence_s=0.6, max_s=5.0)


def listen_action(engine: Core, state: State) -> Listen:
    """The :class:`Listen` for where ``state`` stands."""
    ref = engine.ref(state)
    command_phrases = [p for phrases in engine.commands.values() for p in phrases[:GRAMMAR_COMMAND_PHRASES]]
    if state.paused:
        return replace(PAUSED, node=ref, grammar=tuple(engine.commands["resume"] + engine.commands["stop"]))
    if state.holding:  # after a safety pause or "forget tonight": stop for tonight, or go on
        phrases = ["yes", "no", "go on", *engine.commands["resume"], *engine.commands["stop"]]
        return replace(
            PAUSED, node=ref, choices=("stop", "go on"), grammar=tuple(dict.fromkeys(phrases)), no_input_s=60.0
        )
    step = Turn(engine, state)
    node = engine.node(state)
    handler = handler_for(node.kind)
    options = handler.options(step, node)
    mode = handler.mode(step, node)
    timeouts = {**(engine.defaults.get("timeouts", {}).get(mode) or {}), **(node.get("timeouts") or {})}
    grammar: tuple[str, ...] = ()
    if mode == "choice":
        phrases = [p for ps in options.values() for p in ps] + command_phrases
        grammar = tuple(dict.fromkeys(matching.normalise(p) for p in phrases))
    complete = timeouts.get("complete_silence_s")
    listen = Listen(
        ref,
        "choice" if mode == "choice" else "capture",
        tuple(options.keys()) if mode == "choice" else (),
        grammar,
        no_input_s=float(timeouts["no_input_s"]),  # required in common.yaml, the one home of timing
        end_silence_s=float(timeouts["end_silence_s"]),
        max_s=float(timeouts["max_s"]),
        complete_silence_s=float(complete) if complete is not None else None,
    )
    listen = handler.tune_listen(step, node, listen, command_phrases)
    return listen if listen.grammar else replace(listen, complete_silence_s=None)
