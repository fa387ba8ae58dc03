"""Global commands, heard at any node: stop, pause/resume, repeat, slower, help, go back,
skip, pass and time out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..text import matching
from . import endings

if TYPE_CHECKING:
    from .core import Engine
    from .step import Turn

TIME_OUT = "time-out"
"""The dialog a spoken time-out runs (a timed quiet pause) before the node it interrupted comes back."""
MIN_RATE = 0.6
HELPS = 2
"""Help said this often at one question; once more moves on."""
SLOWER = 0.85


GUIDE = "what_can_i_say"
"""The phrase set (common.yaml ``phrases``) of a help request that gets the short guide:
what can be said now, and what can be said at any time (docs/GUIDE.md in brief)."""


def run(engine: Engine, step: Turn, name: str, text: str | None = None) -> None:
    """Carry out command ``name`` (a key of common.yaml's ``commands``); ``text``: the words
    that asked for it, when heard."""
    if name == "stop":
        if engine.handler(step.state).timed and engine.dialog(step.state).record:
            step.update_frame(outcome="withdrawn", dirty=True)  # a timed exercise stopped is not complete
        step.message("forgotten_stop" if step.state.forgotten else "stop")  # "kept" would not be true
        engine.end(step, "stopped")
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
        help_once(engine, step, text)
    elif name == "back":
        back(engine, step)
    elif name in ("skip", "pass"):
        skip(engine, step, name)
    elif name == "time_out":
        time_out(engine, step)
    else:
        raise AssertionError(name)


def asks_for_guide(engine: Engine, text: str | None) -> bool:
    """Whether ``text`` is "what can I say?" (the :data:`GUIDE` phrases), not just "help"."""
    if not text:
        return False
    return matching.normalise(text) in {matching.normalise(p) for p in engine.phrase_sets.get(GUIDE, [])}


def help_once(engine: Engine, step: Turn, text: str | None = None) -> None:
    """The node's help ("what can I say?": that, then what can be said at any time);
    asked more than twice at one question: the options once more, then on (out of the
    exercise, or to the node's ``skip``), so a misheard phrase never loops."""
    options = matching.spoken_list(list(engine.options(step).keys())[:6])
    helps = step.state.helps + 1
    step.update(helps=helps)
    if asks_for_guide(engine, text) and helps <= HELPS:  # the node's help, then what works any time
        step.say(step.node.get("help") or engine.messages["guide_options"], {"options": options or "your answer"})
        step.message("guide")
    else:
        step.say(step.node.get("help") or engine.messages["help"], {"options": options or "your answer"})
    if helps <= HELPS:
        step.listen()
        return
    step.message("help_move_on")
    if step.node.get("skip"):
        engine.enter(step, step.node.get("skip"))
    elif endings.in_exercise(engine, step):
        engine.leave(step, complete=False, outcome="not_understood")
    else:
        step.listen()


def back(engine: Engine, step: Turn) -> None:
    """To the previous question of this dialog (or say it is the first)."""
    if engine.handler(step.state).on_back(step, step.node):
        return
    history = step.state.frame.history
    if len(history) < 2:
        step.message("at_start")
        step.repeat_prompt()
        step.listen()
        return
    step.update_frame(history=history[:-2])
    engine.enter(step, history[-2])


def skip(engine: Engine, step: Turn, name: str) -> None:
    """To the node's ``skip``; else out of the exercise (kept as incomplete); else nothing to skip."""
    node = step.node
    timed = engine.handler(step.state).timed
    if timed and not endings.in_exercise(engine, step) and engine.dialog(step.state).kind != "exercise":
        step.message("withdrawn")  # a quiet moment of the check-in itself: it simply ends
        engine.enter(step, node.get("next"))
        return
    if node.get("skip") and not timed:
        step.message(name if name == "pass" else "skipped")
        engine.enter(step, node.get("skip"))
        return
    if len(step.state.frames) > 1 or engine.dialog(step.state).kind == "exercise":
        outcome = "withdrawn" if timed else ("declined" if name == "pass" else None)
        step.message("withdrawn" if timed else (name if name == "pass" else "skipped"))
        engine.leave(step, complete=False, outcome=outcome)
        return
    step.message("nothing_to_skip")
    step.repeat_prompt()
    step.listen()


def time_out(engine: Engine, step: Turn) -> None:
    """A time-out: the ``time-out`` dialog (a set, quiet time), then the interrupted node again;
    without that dialog, an ordinary pause."""
    if TIME_OUT not in engine.dialogs.dialogs or step.state.frame.dialog == TIME_OUT:
        run(engine, step, "pause")
        return
    engine.enter(step, engine.push(step, TIME_OUT, step.state.frame.node))
