"""The engine's core: start, handle, entering and leaving nodes and dialogs, VoiceXML
noinput/nomatch counting, and the session record.  What a node does is its node type's
business (:mod:`.nodes`); global commands are in :mod:`.commands`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..formats.events import Action, End, EndOfInput, Event, Heard, Listen, Save, Silence
from ..text import matching
from ..text.meaning import screen
from . import endings, hearing, listening, privacy, records, voices
from .flow import Flow
from .model import END, Dialog, DialogSet, Node
from .nodes import NodeType, handler_for
from .render import TERSE_ANSWERS, Renderer, Vars, fill
from .state import Context, Frame, Interpreter, State, plain_answer
from .step import Turn

MAX_HOPS = 500
MENU = "menu"
"""The node type whose pick says an exercise's why the first time."""


class Engine:
    """Runs dialogs.  Holds only immutable program data (the loaded dialogs)."""

    def __init__(self, dialogs: DialogSet, interpret: Interpreter | None = None):
        self.dialogs = dialogs
        common = dialogs.common
        self.commands: dict[str, list[str]] = {k: list(v) for k, v in common["commands"].items()}
        self.phrase_sets: Mapping[str, list[str]] = common.get("phrases") or {}
        self.messages: Mapping[str, str] = common["messages"]
        self.defaults: Mapping[str, Any] = common["defaults"]
        self.recorded: dict[str, frozenset[str]] = {d.id: records.recorded_slots(d) for d in dialogs.dialogs.values()}
        self.render = Renderer(dialogs)
        self.tables = None if interpret is not None else dialogs.meaning
        """The meaning layer's tables: answers are read in the context of each question
        (:mod:`.hearing`); None when an ``interpret`` is given or the dialogs have none."""
        self.interpret: Interpreter = interpret or plain_answer
        """Heard text -> :class:`Answer` without the meaning layer (``text, confidence``)."""

    # ------------------------------------------------------------------ public

    def start(self, context: Context, dialog: str = "check-in") -> tuple[State, list[Action]]:
        """Begin a session with ``dialog`` (the check-in, or one exercise on its own)."""
        if dialog not in self.dialogs.dialogs:
            raise KeyError(f"no dialog named '{dialog}'")
        a, b = context.partners
        stamp = context.now.isoformat(timespec="seconds")
        session = {
            "id": context.session_id,
            "started_at": stamp,
            "partners": [a, b],
            "memory": dict(context.memory),
            "styles": {k: dict(v) for k, v in context.styles.items()},
            "safety": dict(context.safety),
            "voices": [name for name in context.voices if name in (a, b)],
            "break_minutes": context.break_minutes,
        }
        first = self.dialogs.dialogs[dialog]
        frame = Frame(dialog=dialog, node=first.start, slots={"partner": a, "other": b, "turn": 1})
        step = Turn(self, State(session=session, frames=(frame,)))
        self.enter(step, first.start)
        return step.state, step.actions

    def handle(self, state: State, event: Event) -> tuple[State, list[Action]]:
        """The next state and actions after ``event`` (a :class:`Heard` or :class:`Silence`)."""
        if state.ended:
            return state, []
        step = Turn(self, state)
        if isinstance(event, EndOfInput):
            self.end(step, "stopped")
        elif isinstance(event, Heard) and matching.normalise(event.text):
            count_speaking(step, event)
            step.update(quiet_s=0.0)
            count_words(step, event)
            hearing.on_heard(step, hearing.interpret(step, event, self.tables, self.interpret), event)
        elif isinstance(event, Heard) and event.seconds > 0 and not state.paused and self.mode(step) == "choice":
            self.fail(step, "nomatch")  # someone spoke, but nothing the recogniser could put into words
        elif isinstance(event, (Heard, Silence)):
            self._on_silence(step, event.seconds if isinstance(event, Silence) else 0.0)
        else:
            raise TypeError(f"not an engine event: {event!r}")
        if step.was_answered and not step.state.ended and not step.state.forgotten:
            # Saved before the next Listen: the answer is on disk before anyone waits.
            at = len(step.actions) - 1 if step.actions and isinstance(step.actions[-1], Listen) else len(step.actions)
            step.actions.insert(at, Save(self.record(step.state)))
        return step.state, step.actions

    def record(self, state: State) -> dict[str, Any]:
        """The session record as it stands: committed entries, plus unfinished ones (after
        "forget tonight", only who and when: :func:`.privacy.forgotten_record`)."""
        if state.forgotten:
            return privacy.forgotten_record(state)
        unfinished = [
            {
                **records.entry(self.dialogs.dialogs[f.dialog], f, self.variables(state)),
                "complete": False,
                **({"outcome": f.outcome} if f.outcome else {}),
            }
            for f in state.frames
            if self.dialogs.dialogs[f.dialog].record and f.dirty
        ]
        return records.session_record(state, unfinished)

    def summarise(self, entries: Sequence[Mapping[str, Any]]) -> str:
        """One clause for a list of exercise entries, from each dialog's ``summary`` template."""
        return self.render.summarise(entries)

    def screen(self, text: str) -> str | None:
        """The safety category of an answer (None: nothing found), before anything shows,
        logs or keeps its words; None without meaning tables."""
        return screen(text, self.tables) if self.tables is not None else None

    def listen_action(self, state: State) -> Listen:
        """The :class:`Listen` for where ``state`` stands (also used to re-listen)."""
        return listening.listen_action(self, state)

    # ------------------------------------------------------------------ reading

    def dialog(self, state: State) -> Dialog:
        return self.dialogs.dialogs[state.frame.dialog]

    def node(self, state: State) -> Node:
        return self.dialog(state).nodes[state.frame.node]

    def handler(self, state: State) -> NodeType:
        return handler_for(self.node(state).kind)

    def mode(self, step: Flow) -> str:
        """``choice`` or ``capture`` for where the step stands (cheap: no grammar built)."""
        if step.state.paused:
            return "choice"
        return self.handler(step.state).mode(step, step.node)

    def options(self, step: Flow) -> dict[str, list[str]]:
        return self.handler(step.state).options(step, step.node)

    def variables(self, state: State, extra: Mapping[str, Any] | None = None) -> Vars:
        if not state.frames:
            return self.render.variables(state, (), extra)
        step = Turn(self, state)
        handler = self.handler(state)
        own = handler.variables(step, step.node)
        return self.render.variables(state, list(handler.options(step, step.node).keys()), {**own, **(extra or {})})

    def fmt(self, state: State, template: str, extra: Mapping[str, Any] | None = None) -> str:
        return fill(template, self.variables(state, extra))

    def phrases(self, item: Mapping[str, Any]) -> list[str]:
        phrases = list(item.get("phrases") or [])
        if item.get("like"):
            phrases += self.phrase_sets.get(item["like"], [])
        return phrases or [item["label"]]

    def rate(self, state: State) -> float:
        return self.render.rate(state, self.node(state) if state.frames else None)

    @staticmethod
    def ref(state: State) -> str:
        return f"{state.frame.dialog}/{state.frame.node}" if state.frames else "session"

    # ------------------------------------------------------------------ entering and leaving

    def enter(self, step: Flow, node_id: str | None) -> None:
        """Go to ``node_id`` in the current frame and run until a node listens or the session ends."""
        for _ in range(MAX_HOPS):
            if node_id == END or node_id is None:
                node_id = self._finish_dialog(step)
                if node_id is None:
                    return
                continue
            node = self.dialog(step.state).nodes[node_id]
            step.update_frame(node=node_id, sub={})
            self._effects(step, node)
            handler = handler_for(node.kind)
            handler.on_enter(step, node)
            if handler.skipped(step, node):
                node_id = node.get("skip", node.get("next"))
                continue
            if handler.listens:
                self._prompt(step, node, handler)
                return
            step.say(self.render.node_say(step.state, node))
            mark_once(step, node)
            node_id = handler.run(step, node)
        raise RuntimeError(f"dialog loops without listening near {self.ref(step.state)}")

    def _prompt(self, step: Flow, node: Node, handler: NodeType) -> None:
        """Say a listening node's prompt (and its handler's first question), then listen."""
        said = step.say(self.render.node_say(step.state, node))
        mark_once(step, node)
        said += handler.prompt(step, node)
        step.set_prompt(said)
        history = step.state.frame.history
        step.update_frame(history=history if history[-1:] == (node.id,) else history + (node.id,))
        step.update(noinput=0, nomatch=0, helps=0)
        step.listen()

    def _effects(self, step: Flow, node: Node) -> None:
        """A node's ``swap``, ``set``, ``add`` and ``commit``, on entering it."""
        if node.get("swap"):
            step.set_slots({"partner": step.slots.get("other"), "other": step.slots.get("partner")}, answer=False)
        if node.get("set"):
            step.set_slots(
                {k: (step.render(v) if isinstance(v, str) else v) for k, v in node.get("set").items()}, answer=False
            )
        if node.get("add"):
            step.set_slots({k: (step.slots.get(k) or 0) + v for k, v in node.get("add").items()}, answer=False)
        if node.get("note"):
            notes = {k: (step.render(v) if isinstance(v, str) else v) for k, v in node.get("note").items()}
            step.update(notes={**step.state.notes, **records.add_notes(step.state.notes, notes)})
        if node.get("commit"):
            self.commit(step)

    def push(self, step: Flow, dialog_id: str, return_to: str | None) -> str:
        a, b = step.state.session["partners"]
        dialog = self.dialogs.dialogs[dialog_id]
        slots = {"partner": a, "other": b, "turn": 1}
        frame = Frame(dialog=dialog.id, node=dialog.start, slots=slots, return_to=return_to)
        say_why(step, dialog, picked_by=self.handler(step.state).name if step.state.frames else "")
        step.update(frames=step.state.frames + (frame,))
        return dialog.start

    def _finish_dialog(self, step: Flow) -> str | None:
        """The current dialog reached its end: next round, return to the caller, or end the session."""
        dialog = self.dialog(step.state)
        frame = step.state.frame
        if frame.dirty:
            self.commit(step)
        if dialog.rounds == "each_partner" and frame.round == 1:
            fs = frame.slots
            step.update_frame(
                round=2,
                slots={"partner": fs.get("other"), "other": fs.get("partner"), "turn": 2},
                history=(),
                dirty=False,
            )
            return dialog.start
        return self.pop(step, completed=True)

    def pop(self, step: Flow, completed: bool) -> str | None:
        frame = step.state.frame
        privacy.popped(step)
        if completed:
            step.update(quiet_exits=0)
        done = step.state.done + ((frame.dialog,) if completed and frame.dialog not in step.state.done else ())
        step.update(frames=step.state.frames[:-1], done=done)
        if not step.state.frames:
            self.end(step, "completed")
            return None
        return frame.return_to or END

    def leave(self, step: Flow, complete: bool, outcome: str | None = None) -> None:
        """Out of the current dialog early: answers so far kept (as ``complete`` or not);
        an ``outcome`` (declined, withdrawn...) is recorded, with an entry of its own if need be."""
        dialog = self.dialog(step.state)
        if outcome is not None:
            step.update_frame(outcome=outcome)
            if outcome in endings.SET_ASIDE and dialog.id not in step.state.set_aside:
                step.update(set_aside=step.state.set_aside + (dialog.id,))
            if outcome in endings.REQUESTABLE and dialog.id not in step.state.requestable:
                step.update(requestable=step.state.requestable + (dialog.id,))
        if step.state.frame.dirty:
            self.commit(step, complete=complete)
        elif outcome is not None and dialog.record and endings.recorded(dialog, outcome):
            # nothing was said yet: an entry that says only how it ended
            entry = {"exercise": dialog.record.get("exercise", dialog.id), "complete": False, "outcome": outcome}
            step.update(entries=step.state.entries + (entry,))
            step.answered()
        nxt = self.pop(step, completed=complete)
        if nxt is not None:
            self.enter(step, nxt)

    def commit(self, step: Flow, complete: bool = True) -> None:
        dialog = self.dialog(step.state)
        if not dialog.record:
            return
        entry = {**records.entry(dialog, step.state.frame, self.variables(step.state)), "complete": complete}
        if step.state.frame.outcome:
            entry["outcome"] = step.state.frame.outcome
        step.update(entries=step.state.entries + (entry,))
        step.update_frame(dirty=False, not_kept=())
        privacy.committed(step)
        step.answered()

    def end(self, step: Flow, outcome: str) -> None:
        step.update(outcome=outcome)
        step.actions.append(End(outcome, self.record(step.state)))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ turns

    def _on_silence(self, step: Flow, seconds: float) -> None:
        if step.state.paused or step.state.holding:
            step.listen()
        elif not self.handler(step.state).on_silence(step, step.node):
            step.update(quiet_s=step.state.quiet_s + seconds)  # a timed pause's silence is not "nobody spoke"
            self.fail(step, "noinput")

    def fail(self, step: Flow, kind: str, extra: Mapping[str, Any] | None = None) -> None:
        """A noinput or nomatch: the count-indexed re-prompt, or the polite end after too many."""
        state = step.state
        node = step.node
        count = (state.noinput if kind == "noinput" else state.nomatch) + 1
        step.update(**{kind: count})
        if step.state.noinput + step.state.nomatch > node.get("tries", self.defaults.get("tries", 3)) or (
            kind == "noinput" and endings.too_quiet(step)
        ):
            endings.give_up(step, kind)
            return
        defaults = self.handler(state).reprompts
        handlers = (
            node.get(kind)
            or (self.defaults.get(defaults) or {}).get(kind)
            or (self.defaults.get("choice") or {}).get(kind)
            or ["{prompt}"]
        )
        options = list(self.options(step).keys())
        values = {**(extra or {}), "prompt": " ".join(state.last_said), "options": matching.spoken_list(options[:6])}
        said = fill(handlers[min(count, len(handlers)) - 1], self.variables(step.state, values))
        if said:
            step.emit(said)
        step.listen()


# ---------------------------------------------------------------------- counted per turn


def count_speaking(step: Flow, event: Heard) -> None:
    """Seconds spoken per partner: by voice when the utterance was attributed, else for
    whom the question asked (split between both for a question to both)."""
    if not event.seconds or not step.state.frames:
        return
    by_voice = voices.speaker_of(step, event)
    who = step.node.get("who", "partner")
    names: list[Any]
    if by_voice is not None:
        names = [by_voice]
    else:
        names = list(step.state.session["partners"]) if who == "both" else [step.slots.get(who)]
    speaking = dict(step.state.speaking)
    for name in names:
        if name:
            speaking[name] = round(speaking.get(name, 0.0) + event.seconds / len(names), 2)
    step.update(speaking=speaking)


def count_words(step: Flow, event: Heard) -> None:
    """A free answer's length, for the partner who was asked (:data:`render.TERSE_ANSWERS`)."""
    who = step.node.get("who", "partner") if step.state.frames else "both"
    if who == "both" or step.state.paused or step.mode() != "capture":
        return
    name = step.slots.get(who)
    if name and voices.speaker_of(step, event) not in (None, name):
        return  # someone else spoke: not the asked partner's answer
    if name:
        counts = dict(step.state.answer_words)
        counts[name] = (*counts.get(name, ()), len(event.text.split()))[-TERSE_ANSWERS:]
        step.update(answer_words=counts)


def mark_once(step: Flow, node: Node) -> None:
    key = node.get("once")
    if key and key not in step.state.once:
        step.update(once=step.state.once + (key,))


def say_why(step: Flow, dialog: Dialog, picked_by: str) -> None:
    """What an exercise is for (its ``why:``), said as it starts the first time this couple
    chooses it from the menu: once per exercise per couple (memory's ``whys_said``, and
    tonight's record ``whys``).  An exercise run on its own (``--start``) does not say it."""
    why = dialog.spec.get("why")
    if not why or picked_by != MENU or dialog not in step.program.exercises():
        return
    said = set(step.memory.get("whys_said") or ()) | set(step.state.notes.get("whys[]") or ())
    if dialog.id in said:
        return
    step.say(str(why))
    step.update(notes={**step.state.notes, **records.add_notes(step.state.notes, {"whys[]": dialog.id})})


__all__ = ["Engine"]
