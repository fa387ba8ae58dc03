"""A heard answer, read by the meaning layer in the context of the question, then acted on.

The order (docs/MEANING.md, "The meaning layer"; :data:`assistant.text.meaning.PRECEDENCE`): the safety
screen, privacy requests, whole-answer global commands, a decline (today's ``pass``), then
the node type gets the :class:`~.state.Answer` and acts on its ``act`` and ``content``.
Without meaning tables (a dialog directory with no ``meaning/``) the engine's plain
interpreter is used and commands are matched on the words, as before the meaning layer.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..formats.events import Heard
from ..text import matching
from ..text.meaning import COMMANDS, DISTRESS, Ask, Tables
from ..text.meaning import interpret as read
from . import coach, commands, conflict, grief, privacy, safety, voices
from .nodes.pause import touching
from .state import Answer, Interpreter

if TYPE_CHECKING:
    from .flow import Flow

COMMAND_OF = {"go_back": "back", "decline": "pass"}
"""Meaning-layer acts -> the global commands of common.yaml that carry them out."""
HOLDING = Ask("yes_no")
"""Paused, or after a safety pause: only stop, go on (resume), yes or no count."""


def interpret(step: Flow, event: Heard, tables: Tables | None, plain: Interpreter) -> Answer:
    """What the person did, read in the context of the question where the step stands (by
    ``plain`` when there are no meaning ``tables``)."""
    if tables is None:
        return plain(event.text, event.confidence)
    if step.state.paused or step.state.holding:
        ask = HOLDING
    else:
        ask = step.handler.ask(step, step.node)
    meaning = read(event.text, ask, tables)
    return Answer(meaning.act, event.text, meaning.content or "", event.confidence, meaning)


def on_heard(step: Flow, answer: Answer, event: Heard | None = None) -> None:
    """Act on an answer; ``event`` (the utterance, with who spoke when attributed) lets a yes
    count only in the voice it was asked of and the floor holder keep the floor (:mod:`.voices`)."""
    if answer.meaning is None:
        _plain(step, answer, event)
        return
    act = answer.act
    if act == DISTRESS:
        safety.hold(step)
    elif act == "forget_tonight":
        privacy.forget_tonight(step)
    elif step.state.offer is not None:
        privacy.answer(step, answer)
    elif step.state.held is not None:
        safety.answer(step, answer)
    elif step.state.grief_check is not None:
        grief.answer(step, answer)
    elif act == "dont_keep" and (label := _keep_question_no(step)) is not None:
        # "no, don't keep it" at "shall I keep that?" answers the question: a no
        step.update(last_answer=None)
        step.handler.on_answer(step, step.node, replace(answer, act="deny", content=label))
    elif act == "dont_keep":
        privacy.dont_keep(step)
    elif step.state.paused:
        if act in ("resume", "stop"):
            commands.run(step, act)
        else:
            step.listen()
    elif touching(step):
        # during touch every word is the node's: anything but a clear keep-going ends it
        step.update(last_answer=None)
        step.handler.on_answer(step, step.node, answer)
    elif act not in COMMANDS and conflict.on_heard(step, answer):
        pass  # flooded (a break), a harsh start-up coached, or a repair welcomed
    elif act in COMMANDS or act == "decline":
        commands.run(step, COMMAND_OF.get(act, act), answer.text)
    elif act == coach.ASK_COACH:
        coach.answer(step, answer)
    elif not grief.heard(step, answer):
        _answer(step, answer, event)


def _answer(step: Flow, answer: Answer, event: Heard | None) -> None:
    """The node gets the answer, unless it is in a voice that does not count here."""
    if voices.hold_floor(step, event) or voices.hold_yes(step, answer, event):
        return
    step.update(last_answer=None)  # what this answer sets, if anything, is the last answer now
    step.handler.on_answer(step, step.node, answer)


def _keep_question_no(step: Flow) -> str | None:
    """At a question about keeping something ("shall I keep that agreement?"), the option
    that says not to keep it (its phrases say "don't keep ..."), else None."""
    if not step.state.frames or step.mode() != "choice":
        return None
    for label, phrases in step.options().items():
        if any(matching.normalise(p).startswith(("don't keep", "do not keep", "dont keep")) for p in phrases):
            return label
    return None


def _plain(step: Flow, answer: Answer, event: Heard | None = None) -> None:
    """Without a meaning layer: commands matched on the words, options competing."""
    if step.state.paused:
        command = matching.best_match(answer.text, {k: step.commands[k] for k in ("resume", "stop")})
        if command is None:
            step.listen()
        else:
            commands.run(step, command.label)
        return
    if step.mode() == "choice":
        options = step.options()
        best_option = matching.best_match(answer.text, options) if options else None
        found = matching.best_match(answer.text, step.commands)
        if found and (best_option is None or found.score > best_option.score):
            commands.run(step, found.label, answer.text)
            return
    else:
        found = matching.whole_utterance_match(answer.text, step.commands)
        if found:
            commands.run(step, found.label, answer.text)
            return
    if voices.hold_floor(step, event) or voices.hold_yes(step, answer, event):
        return
    step.handler.on_answer(step, step.node, answer)


__all__ = ["COMMAND_OF", "interpret", "on_heard"]
