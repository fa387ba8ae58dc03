"""Global commands, heard at any node: stop, pause/resume, repeat, slower, help, go back,
skip, pass and time out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..text import matching
from . import endings

if TYPE_CHECKING:
    from .flow import Flow

TIME_OUT = "time-out"
"""The dialog a spoken time-out runs (a timed quiet pause) before the node it interrupted comes back."""
MIN_RATE = 0.6
HELPS = 2
"""Help said this often at one question; once more moves on."""
SLOWER = 0.85


GUIDE = "what_can_i_say"
"""The phrase set (common.yaml ``phrases``) of a help request that gets the short guide:
what can be said now, and what can be said at any time (docs/GUIDE.md in brief)."""


def run(step: Flow, name: str, text: str | None = None) -> None:
    """Carry out command ``name`` (a key of common.yaml's ``commands``); ``text``: the words
    that asked for it, when heard."""
    if name == "stop":
        if step.handler.timed and step.dialog.record:
            step.update_frame(outcome="withdrawn", dirty=True)  # a timed exercise stopped is not complete
        step.message("forgotten_stop" if step.state.forgotten else "stop")  # "kept" would not be true
        step.end("stopped")
    elif name == "pause":
        step.update(paused=True)
        step.message("paused")
        step.listen()
    elif name in ("resume", "repeat", "slower"):
        if name == "slower":
            step.update(rate=round(max(MIN_RATE, step.state.rate * SLOWER), 3))
        if name == "resume" and step.state.paused:
            step.update(paused=False)
            step.message("resumed")
        step.repeat_prompt()
        step.listen()
    elif name == "help":
        help_once(step, text)
    elif name == "back":
        back(step)
    elif name in ("skip", "pass"):
        skip(step, name)
    elif name == "time_out":
        time_out(step)
    else:
        raise AssertionError(name)


def asks_for_guide(step: Flow, text: str | None) -> bool:
    """Whether ``text`` is "what can I say?" (the :data:`GUIDE` phrases), not just "help"."""
    if not text:
        return False
    phrases = (step.program.common.get("phrases") or {}).get(GUIDE, [])
    return matching.normalise(text) in {matching.normalise(p) for p in phrases}


def help_once(step: Flow, text: str | None = None) -> None:
    """The node's help ("what can I say?": that, then what can be said at any time);
    asked more than twice at one question: the options once more, then on (out of the
    exercise, or to the node's ``skip``), so a misheard phrase never loops."""
    options = matching.spoken_list(list(step.options().keys())[:6])
    helps = step.state.helps + 1
    step.update(helps=helps)
    if asks_for_guide(step, text) and helps <= HELPS:  # the node's help, then what works any time
        step.say(step.node.get("help") or step.messages["guide_options"], {"options": options or "your answer"})
        step.message("guide")
    else:
        step.say(step.node.get("help") or step.messages["help"], {"options": options or "your answer"})
    if helps <= HELPS:
        step.listen()
        return
    step.message("help_move_on")
    if step.node.get("skip"):
        step.goto(step.node.get("skip"))
    elif endings.in_exercise(step):
        step.leave(complete=False, outcome="not_understood")
    else:
        step.listen()


def back(step: Flow) -> None:
    """To the previous question of this dialog (or say it is the first)."""
    if step.handler.on_back(step, step.node):
        return
    history = step.state.frame.history
    if len(history) < 2:
        step.message("at_start")
        step.repeat_prompt()
        step.listen()
        return
    step.update_frame(history=history[:-2])
    step.goto(history[-2])


def skip(step: Flow, name: str) -> None:
    """To the node's ``skip``; else out of the exercise (kept as incomplete); else nothing to skip."""
    node = step.node
    timed = step.handler.timed
    if timed and not endings.in_exercise(step) and step.dialog.kind != "exercise":
        step.message("withdrawn")  # a quiet moment of the check-in itself: it simply ends
        step.goto(node.get("next"))
        return
    if node.get("skip") and not timed:
        step.message(name if name == "pass" else "skipped")
        step.goto(node.get("skip"))
        return
    if len(step.state.frames) > 1 or step.dialog.kind == "exercise":
        outcome = "withdrawn" if timed else ("declined" if name == "pass" else None)
        step.message("withdrawn" if timed else (name if name == "pass" else "skipped"))
        step.leave(complete=False, outcome=outcome)
        return
    step.message("nothing_to_skip")
    step.repeat_prompt()
    step.listen()


def time_out(step: Flow) -> None:
    """A time-out: the ``time-out`` dialog (a set, quiet time), then the interrupted node again;
    without that dialog, an ordinary pause."""
    if TIME_OUT not in step.program.dialogs or step.state.frame.dialog == TIME_OUT:
        run(step, "pause")
        return
    step.goto(step.call(TIME_OUT, step.state.frame.node))
