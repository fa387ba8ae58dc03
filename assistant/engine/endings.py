"""How an exercise ends early, and when that ends the evening.

An exercise that fails (declined, too many silences or misunderstandings, "help" asked too
often) ends that exercise, not the check-in: the couple goes back to where the check-in
called it (another one, or the close).  The check-in itself ends on "stop", at the end of
input, on two exercises in a row ended by silence, or after 90 seconds nobody spoke.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .flow import Flow
    from .model import Dialog

QUIET_EXITS = 2
"""Exercises in a row ended by silence that end the check-in."""
QUIET_S = 90.0
"""Seconds without anyone speaking (outside timed pauses) that end the check-in."""
ALWAYS_RECORDED = ("withdrawn", "paused_for_safety")
SET_ASIDE = ("declined", "withdrawn", "paused_for_safety")
"""Ways of leaving an exercise after which the menu does not offer it again tonight."""
REQUESTABLE = ("declined", "withdrawn")
"""...but a partner who said no may still ask for it by name that night (not after a safety pause)."""


def recorded(dialog: Dialog, outcome: str) -> bool:
    """An exercise left with ``outcome`` gets a record entry even if nothing was said: a
    withdrawal, a safety pause, and a decline of an ``invitation`` (a physical or revealing
    exercise)."""
    return outcome in ALWAYS_RECORDED or (outcome == "declined" and bool(dialog.spec.get("invitation")))


def in_exercise(step: Flow) -> bool:
    """The current dialog is an exercise the check-in called (so there is somewhere to go back to)."""
    return len(step.state.frames) > 1 and step.dialog.kind == "exercise"


def give_up(step: Flow, kind: str) -> None:
    """Too many ``noinput``/``nomatch`` at one question: end the exercise, or the evening."""
    state = step.state
    quiet = kind == "noinput"
    exits = state.quiet_exits + 1 if quiet else 0
    if in_exercise(step) and not (quiet and (exits >= QUIET_EXITS or state.quiet_s >= QUIET_S)):
        step.update(quiet_exits=exits)
        step.message("exercise_ended")
        step.leave(complete=False, outcome="silence" if quiet else "not_understood")
        return
    step.message("give_up")
    step.end("abandoned")


def too_quiet(step: Flow) -> bool:
    return step.state.quiet_s >= QUIET_S


__all__ = ["QUIET_EXITS", "QUIET_S", "REQUESTABLE", "SET_ASIDE", "give_up", "in_exercise", "recorded", "too_quiet"]
