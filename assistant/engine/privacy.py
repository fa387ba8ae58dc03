"""Privacy requests: "don't keep that" and "forget tonight".

``dont_keep`` drops the last answer: its slots (and copies of its words in other slots) in
the exercise still running, or its fields of the entry already committed, which then says
which fields were ``not_kept``; the record is saved again without them.  The coach says so
in one line and goes on; only when the question in hand builds on the dropped answer (or it
was this question's own) is it asked again, with "or say skip".

``forget_tonight`` empties the session's entries and returns a :class:`~assistant.formats.events.Forget`
action: the session loop erases the record from the journal and writes nothing more of the
session, to the journal or a ``--log`` file.  The coach says so and offers to stop or go on
(off the record).  Neither request is ever kept as content: :mod:`.hearing` sends them here
before any node type sees them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..formats.events import Forget
from . import records
from .safety import KEEP, stop_or_go_on

if TYPE_CHECKING:
    from .flow import Flow
    from .state import Answer, State

MIN_COPY = 4
"""A dropped value this long or longer is also dropped where another slot copied it."""


def note(step: Flow, keys: Mapping[str, Any]) -> None:
    """An answer set ``keys`` in the current frame: remember them for "don't keep that"."""
    state = step.state
    depth, frame = len(state.frames) - 1, state.frame
    last = state.last_answer
    if last and last.get("entry") is None and last["depth"] == depth and last["round"] == frame.round:
        names = tuple(dict.fromkeys([*last["keys"], *keys]))
    else:
        names = tuple(keys)
    step.update(
        last_answer={
            "depth": depth,
            "round": frame.round,
            "node": frame.node,
            "dialog": frame.dialog,
            "keys": names,
            "entry": None,
        }
    )


def committed(step: Flow) -> None:
    """The current frame's entry was just appended: the last answer now lives there."""
    state = step.state
    last = state.last_answer
    if (
        last
        and last.get("entry") is None
        and last["depth"] == len(state.frames) - 1
        and last["round"] == state.frame.round
    ):
        step.update(last_answer={**last, "entry": len(state.entries) - 1})


def popped(step: Flow) -> None:
    """A frame is about to go: an answer left only in its slots goes with it."""
    last = step.state.last_answer
    if last and last.get("entry") is None and last["depth"] >= len(step.state.frames) - 1:
        step.update(last_answer=None)


def dont_keep(step: Flow) -> None:
    """Drop the last answer wherever it is kept; confirm; go on, or ask again if needed."""
    last = step.state.last_answer
    step.update(last_answer=None)
    dropped: list[str] = []
    if last and last.get("entry") is not None:
        dropped = _drop_entry(step, last)
    elif last and _still_running(step.state, last):
        dropped = _drop_slots(step, last)
    if dropped or last:
        step.answered()
    if step.state.paused:  # paused: nothing is asked until "resume"
        step.message("not_kept")
        step.listen()
        return
    asked = " ".join(step.state.last_said)
    here = (
        last is not None
        and last.get("entry") is None
        and last["depth"] == len(step.state.frames) - 1
        and _still_running(step.state, last)
    )
    if (
        here
        and last is not None
        and (
            last["node"] == step.state.frame.node
            or any(re.search(rf"\b{re.escape(v)}\b", asked, re.IGNORECASE) for v in dropped)
        )
    ):
        step.message("not_kept_again")
        history = step.state.frame.history
        if last["node"] in history:
            step.update_frame(history=history[: history.index(last["node"])])
        step.goto(last["node"])
        return
    step.message("not_kept")
    step.repeat_prompt()
    step.listen()


def _still_running(state: State, last: Mapping[str, Any]) -> bool:
    """The frame the last answer went to is still on the stack, in the same round."""
    depth = last["depth"]
    return (
        depth < len(state.frames)
        and state.frames[depth].dialog == last["dialog"]
        and state.frames[depth].round == last["round"]
    )


def _drop_slots(step: Flow, last: Mapping[str, Any]) -> list[str]:
    frames = step.state.frames
    frame = frames[last["depth"]]
    keys = [k for k in last["keys"] if k not in KEEP]
    words = [str(frame.slots[k]) for k in keys if isinstance(frame.slots.get(k), str) and frame.slots.get(k)]
    copies = [
        k
        for k, v in frame.slots.items()
        if k not in keys
        and k not in KEEP
        and isinstance(v, str)
        and any(len(w) >= MIN_COPY and w.lower() in v.lower() for w in words)
    ]
    slots = {**frame.slots, **{k: None for k in [*keys, *copies]}}
    gone = tuple(dict.fromkeys([*frame.not_kept, *keys]))
    changed = replace(frame, slots=slots, not_kept=gone)
    step.update(frames=frames[: last["depth"]] + (changed,) + frames[last["depth"] + 1 :])
    return words


def _drop_entry(step: Flow, last: Mapping[str, Any]) -> list[str]:
    entries = list(step.state.entries)
    index = last["entry"]
    if index >= len(entries):
        return []
    entry = dict(entries[index])
    fields = records.fields_reading(step.program.dialogs[last["dialog"]], last["keys"])
    words = [str(entry[f]) for f in fields if isinstance(entry.get(f), str) and entry.get(f)]
    gone = [f for f in fields if f in entry]
    for name in gone:
        del entry[name]
    if gone:
        entry["not_kept"] = list(dict.fromkeys([*entry.get("not_kept", []), *gone]))
    entries[index] = entry
    step.update(entries=tuple(entries))
    return words


def forget_tonight(step: Flow) -> None:
    """Erase tonight (a :class:`Forget` action), then offer to stop or go on."""
    state = step.state
    if not state.forgotten:
        frames = tuple(replace(f, dirty=False) for f in state.frames)
        step.update(entries=(), frames=frames, forgotten=True, last_answer=None, speaking={})
        step.actions.append(Forget("tonight", str(state.session["id"])))
    if step.state.offer is None:
        step.update(offer=step.state.last_said)
    said = step.say([step.messages["forgotten"], step.messages["forgotten_offer"]])
    step.set_prompt(said[-1:])
    step.listen()


def answer(step: Flow, answer: Answer) -> None:
    """After "forget tonight": stop here, or go on where we were (off the record)."""
    back = step.state.offer or ()
    choice = stop_or_go_on(step, answer)
    if choice is None:
        return
    step.update(offer=None)
    if choice == "stop":
        step.message("forgotten_stop")
        step.end("stopped")
        return
    step.message("forgotten_go_on")
    step.set_prompt(back)
    step.repeat_prompt()
    step.listen()


def forgotten_record(state: State) -> dict[str, Any]:
    """What a forgotten session's record is (never saved; shown at the end): who and when,
    ``outcome: forgotten``, nothing else."""
    return {
        "id": state.session["id"],
        "started_at": state.session["started_at"],
        "ended_at": None,
        "partners": list(state.session["partners"]),
        "outcome": "forgotten",
        "exercises": [],
        "speaking_seconds": {},
        "done": [],
    }


__all__ = ["answer", "committed", "dont_keep", "forget_tonight", "forgotten_record", "note", "popped"]
