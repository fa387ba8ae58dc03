"""Global commands, heard at any node: stop, pause/resume, repeat, slower, help, go back,
skip and pass."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import matching

if TYPE_CHECKING:
    from .core import Engine
    from .step import Turn

MIN_RATE = 0.6
SLOWER = 0.85


def run(engine: Engine, step: Turn, name: str) -> None:
    """Carry out command ``name`` (a key of common.yaml's ``commands``)."""
    if name == "stop":
        step.message("stop")
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
        options = matching.spoken_list(list(engine.options(step).keys())[:6])
        step.say(step.node.get("help") or engine.messages["help"], {"options": options or "your answer"})
        step.listen()
    elif name == "back":
        back(engine, step)
    elif name in ("skip", "pass"):
        skip(engine, step, name)
    else:
        raise AssertionError(name)


def back(engine: Engine, step: Turn) -> None:
    """To the previous question of this dialog (or say it is the first)."""
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
    if node.get("skip"):
        step.message(name if name == "pass" else "skipped")
        engine.enter(step, node.get("skip"))
        return
    if len(step.state.frames) > 1 or engine.dialog(step.state).kind == "exercise":
        step.message(name if name == "pass" else "skipped")
        engine.leave(step, complete=False)
        return
    step.message("nothing_to_skip")
    step.repeat_prompt()
    step.listen()
