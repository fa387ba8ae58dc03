"""The conversation engine: a pure state machine over dialogs.

    engine = Engine(load_dir("dialogs"))
    state, actions = engine.start(Context(partners=("Maya", "Sam"), now=..., session_id="..."))
    state, actions = engine.handle(state, Heard("yes"))

``start`` and ``handle`` never read a clock, touch audio or files, or mutate their input:
they return a new :class:`State` and a list of actions (:class:`~assistant.events.Say`,
:class:`~assistant.events.Listen`, :class:`~assistant.events.Save`, :class:`~assistant.events.End`).
The session loop (:mod:`assistant.session`) carries the actions out.

Capabilities (what a node can do, chosen in the dialog YAML): ``choice``, ``capture``,
``lexicon``, ``form`` (day/time slots with read-back and corrections), ``overlap``
(paraphrase scoring), ``branch``, ``menu``, ``call`` and ``pause``.  Global commands
(repeat, slower, skip, go back, pause/resume, help, stop, pass) work in every state.
Silence and unmatched answers follow VoiceXML: the n-th ``noinput``/``nomatch`` picks the
n-th handler (the last repeats) and a bounded number of tries ends the session politely.
"""

from __future__ import annotations

import hashlib
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from . import matching, slots
from .dialogs import END, Dialog, DialogSet, Node
from .events import Action, End, Event, Heard, Listen, Save, Say, Silence

GRAMMAR_COMMAND_PHRASES = 3
MIN_RATE = 0.6
SLOWER = 0.85

_STUCK = ("i don't know", "i dont know", "no idea", "not sure", "you pick", "you choose", "any ideas", "ideas", "give us ideas", "we're stuck", "help us", "surprise us", "dunno")
_CORRECTION_LEADS = ("no", "nope", "actually", "make it", "change it to", "change that to", "instead", "rather", "let's do", "lets do", "how about", "not", "but")
_FILLER_LEADS = ("let's", "lets", "we could", "we'll", "we will", "maybe", "how about", "i think", "we want to", "we'd like to", "i'd like to", "let us", "go for", "um", "uh", "well", "so")


@dataclass(frozen=True)
class Context:
    """What the session loop knows at the start and the engine may not look up itself."""

    partners: tuple[str, str]
    now: datetime
    session_id: str
    memory: Mapping[str, Any] = field(default_factory=dict)
    """What the journal remembers: ``last_plan`` (activity, date, time), ``recent_exercises``..."""
    styles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per partner name: ``pace`` (slow, normal, fast) and ``verbosity`` (brief, full)."""


@dataclass(frozen=True)
class Frame:
    """One running dialog (the check-in, or an exercise it called)."""

    dialog: str
    node: str
    slots: Mapping[str, Any]
    round: int = 1
    history: tuple[str, ...] = ()
    """Listening nodes visited in this frame, for "go back"."""
    sub: Mapping[str, Any] = field(default_factory=dict)
    """The current capability's own progress (form field being asked, coaching...)."""
    return_to: str | None = None
    """The caller's node to continue at when this dialog ends."""
    dirty: bool = False
    """Answers were given since the last record entry was committed."""


@dataclass(frozen=True)
class State:
    """Everything about a session in progress.  Treated as immutable."""

    session: Mapping[str, Any]
    frames: tuple[Frame, ...]
    entries: tuple[Mapping[str, Any], ...] = ()
    done: tuple[str, ...] = ()
    noinput: int = 0
    nomatch: int = 0
    paused: bool = False
    rate: float = 1.0
    last_said: tuple[str, ...] = ()
    outcome: str | None = None
    speaking: Mapping[str, float] = field(default_factory=dict)
    once: tuple[str, ...] = ()
    """Keys of ``once`` nodes already said this session."""
    used: tuple[str, ...] = ()
    """Deck items (questions) already asked this session."""

    @property
    def ended(self) -> bool:
        return self.outcome is not None

    @property
    def frame(self) -> Frame:
        return self.frames[-1]


class _SafeVars(dict):
    def __missing__(self, key: str) -> str:
        return ""


class _Step:
    """The work of one ``start``/``handle`` call: a state being rebuilt and the actions so far."""

    def __init__(self, state: State):
        self.state = state
        self.actions: list[Action] = []
        self.answered = False

    def update(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)

    def update_frame(self, **changes: Any) -> None:
        frames = self.state.frames
        self.state = replace(self.state, frames=frames[:-1] + (replace(frames[-1], **changes),))

    def set_slots(self, values: Mapping[str, Any], answer: bool = True, recorded: frozenset[str] = frozenset()) -> None:
        """Merge slot values into the current frame.  ``answer``: the couple said them (save
        the record); the frame's draft entry becomes dirty when a ``recorded`` slot changes."""
        merged = {**self.state.frame.slots, **values}
        dirty = self.state.frame.dirty or (answer and any(k in recorded for k in values))
        self.update_frame(slots=merged, dirty=dirty)
        if answer:
            self.answered = True


class Engine:
    """Runs dialogs.  Holds only immutable program data (the loaded dialogs)."""

    def __init__(self, dialogs: DialogSet):
        self.dialogs = dialogs
        common = dialogs.common
        self.commands: dict[str, list[str]] = {k: list(v) for k, v in common["commands"].items()}
        self.phrase_sets: Mapping[str, list[str]] = common.get("phrases") or {}
        self.messages: Mapping[str, str] = common["messages"]
        self.defaults: Mapping[str, Any] = common["defaults"]
        self._recorded: dict[str, frozenset[str]] = {d.id: _recorded_slots(d) for d in dialogs.dialogs.values()}

    # ------------------------------------------------------------------ public

    def start(self, context: Context, dialog: str = "check-in") -> tuple[State, list[Action]]:
        """Begin a session with ``dialog`` (the check-in, or one exercise on its own)."""
        if dialog not in self.dialogs.dialogs:
            raise KeyError(f"no dialog named '{dialog}'")
        a, b = context.partners
        session = {
            "id": context.session_id,
            "started_at": context.now.isoformat(timespec="seconds"),
            "now": context.now.isoformat(timespec="seconds"),
            "partners": [a, b],
            "memory": dict(context.memory),
            "styles": {k: dict(v) for k, v in context.styles.items()},
        }
        first = self.dialogs.dialogs[dialog]
        frame = Frame(dialog=dialog, node=first.start, slots={"partner": a, "other": b, "turn": 1})
        step = _Step(State(session=session, frames=(frame,)))
        self._enter(step, first.start)
        return step.state, step.actions

    def handle(self, state: State, event: Event) -> tuple[State, list[Action]]:
        """The next state and actions after ``event`` (a :class:`Heard` or :class:`Silence`)."""
        if state.ended:
            return state, []
        step = _Step(state)
        if isinstance(event, Heard) and matching.normalise(event.text):
            self._count_speaking(step, event)
            self._on_heard(step, event.text)
        elif isinstance(event, Heard) and event.seconds > 0 and not state.paused and self._listen_mode(state) == "choice":
            self._fail(step, "nomatch")  # someone spoke, but nothing the recogniser could put into words
        elif isinstance(event, (Heard, Silence)):
            self._on_silence(step)
        else:
            raise TypeError(f"not an engine event: {event!r}")
        if step.answered and not step.state.ended:
            # Saved before the next Listen: the answer is on disk before anyone waits.
            at = len(step.actions) - 1 if step.actions and isinstance(step.actions[-1], Listen) else len(step.actions)
            step.actions.insert(at, Save(self.record(step.state)))
        return step.state, step.actions

    def record(self, state: State) -> dict[str, Any]:
        """The session record as it stands: committed entries, plus unfinished ones."""
        exercises = [dict(e) for e in state.entries]
        for frame in state.frames:
            dialog = self.dialogs.dialogs[frame.dialog]
            if dialog.record and frame.dirty:
                exercises.append({**self._entry(dialog, frame, state), "complete": False})
        return {
            "id": state.session["id"],
            "started_at": state.session["started_at"],
            "ended_at": None,
            "partners": list(state.session["partners"]),
            "outcome": state.outcome or "in_progress",
            "exercises": exercises,
            "speaking_seconds": dict(state.speaking),
            "done": list(state.done),
        }

    # ------------------------------------------------------------------ helpers

    def _dialog(self, state: State) -> Dialog:
        return self.dialogs.dialogs[state.frame.dialog]

    def _node(self, state: State) -> Node:
        return self._dialog(state).nodes[state.frame.node]

    def _vars(self, state: State, extra: Mapping[str, Any] | None = None) -> _SafeVars:
        session = state.session
        a, b = session["partners"]
        out = _SafeVars(a=a, b=b)
        for key, value in (session.get("memory") or {}).items():
            if isinstance(value, Mapping):
                for k2, v2 in value.items():
                    out[f"{key}_{k2}"] = v2
            else:
                out[key] = value
        if state.frames:
            out.update({k: v for k, v in state.frame.slots.items() if v is not None})
        out.update(_balance(state.speaking, (a, b)))
        number = int((session.get("memory") or {}).get("sessions_this_month") or 0) + 1
        out["checkin_number_this_month"] = number
        out["checkin_ordinal_this_month"] = _ordinal(number)
        out["summary"] = self._summary(state)
        out["count_done"] = len(state.entries)
        out["exercises"] = matching.spoken_list([d.title for d in self.dialogs.exercises()], "and")
        out["exercises_left"] = matching.spoken_list([d.title for d in self._menu_options(state)])
        if state.frames:
            node = self._node(state)
            out["options"] = matching.spoken_list(list(self._options(state, node).keys())[:6])
        if extra:
            out.update(extra)
        return out

    def _fmt(self, state: State, template: str, extra: Mapping[str, Any] | None = None) -> str:
        text = template.format_map(self._vars(state, extra))
        return " ".join(text.split())

    def _say(self, step: _Step, texts: str | Sequence[str] | None, extra: Mapping[str, Any] | None = None, prompt: bool = False) -> list[str]:
        if not texts:
            return []
        if isinstance(texts, str):
            texts = [texts]
        node_ref = self._ref(step.state)
        said = []
        for template in texts:
            text = self._fmt(step.state, template, extra)
            if text:
                step.actions.append(Say(text, node_ref, self._rate(step.state)))
                said.append(text)
        if prompt:
            step.update(last_said=tuple(said))
        return said

    def _style(self, state: State) -> Mapping[str, str]:
        """The style of the partner the current node speaks to (``who``), if one."""
        if not state.frames:
            return {}
        who = self._node(state).get("who", "partner")
        if who == "both":
            return {}
        name = state.frame.slots.get(who)
        return (state.session.get("styles") or {}).get(name, {})

    def _rate(self, state: State) -> float:
        pace = {"slow": 0.85, "fast": 1.15}.get(self._style(state).get("pace", "normal"), 1.0)
        return round(state.rate * pace, 3)

    def _node_say(self, state: State, node: Node) -> Any:
        """A node's prompt: its ``brief`` form for a partner who prefers brief; ``once`` nodes speak once."""
        if node.get("once") and node.get("once") in state.once:
            return None
        if node.get("brief") and self._style(state).get("verbosity") == "brief":
            return node.get("brief")
        return node.get("say")

    def _message(self, step: _Step, name: str, extra: Mapping[str, Any] | None = None) -> None:
        self._say(step, self.messages.get(name), extra)

    @staticmethod
    def _ref(state: State) -> str:
        return f"{state.frame.dialog}/{state.frame.node}" if state.frames else "session"

    def _count_speaking(self, step: _Step, event: Heard) -> None:
        if not event.seconds or not step.state.frames:
            return
        who = self._node(step.state).get("who", "partner")
        slots_ = step.state.frame.slots
        names = list(step.state.session["partners"]) if who == "both" else [slots_.get(who)]
        speaking = dict(step.state.speaking)
        for name in names:
            if name:
                speaking[name] = round(speaking.get(name, 0.0) + event.seconds / len(names), 2)
        step.update(speaking=speaking)

    # ------------------------------------------------------------------ entering nodes

    def _enter(self, step: _Step, node_id: str) -> None:
        """Go to ``node_id`` in the current frame and run until a node listens or the session ends."""
        for _ in range(500):
            if node_id == END:
                node_id = self._finish_dialog(step)
                if node_id is None:
                    return
                continue
            dialog = self._dialog(step.state)
            node = dialog.nodes[node_id]
            step.update_frame(node=node_id, sub={})
            self._effects(step, node)
            if node.kind == "menu" and not self._menu_options(step.state):
                node_id = node.get("skip", node.get("next"))
                continue
            if node.listens:
                self._prompt(step, node)
                frame = step.state.frame
                history = frame.history if frame.history[-1:] == (node_id,) else frame.history + (node_id,)
                step.update_frame(history=history)
                step.update(noinput=0, nomatch=0)
                self._listen(step)
                return
            self._say(step, self._node_say(step.state, node))
            self._mark_once(step, node)
            if node.kind == "branch":
                node_id = self._branch(step, node)
            elif node.kind == "overlap":
                body = node.body
                fs = step.state.frame.slots
                result = matching.overlap(str(fs.get(body["source"]) or ""), str(fs.get(body["target"]) or ""))
                name = body["slot"]
                self._set(step,
                    {name: result.score, f"{name}_words": matching.spoken_list(list(result.caught[:3]), "and"), f"{name}_caught": list(result.caught)},
                    answer=False,
                )
                node_id = node.get("next")
            elif node.kind == "call":
                called = self.dialogs.dialogs[node.body["dialog"]]
                self._push(step, called, return_to=node.get("next"))
                node_id = called.start
            else:
                node_id = node.get("next", END)
        raise RuntimeError(f"dialog loops without listening near {self._ref(step.state)}")

    def _set(self, step: _Step, values: Mapping[str, Any], answer: bool = True) -> None:
        step.set_slots(values, answer, self._recorded[step.state.frame.dialog])

    def _mark_once(self, step: _Step, node: Node) -> None:
        key = node.get("once")
        if key and key not in step.state.once:
            step.update(once=step.state.once + (key,))

    def _deal(self, step: _Step, node: Node) -> None:
        """A capture node with a ``deck`` puts the next unasked item in slot ``question``:
        in deck order (light to deep), skipping what this couple already had (the journal
        knows) and what was asked tonight; when all were had, the least recent comes back."""
        deck = self.dialogs.decks[node.body["deck"]]
        had = list((step.state.session.get("memory") or {}).get("used_questions") or [])
        tonight = set(step.state.used)
        fresh = [q for q in deck if q not in had and q not in tonight]
        if not fresh:
            order = {q: i for i, q in enumerate(had)}
            fresh = sorted((q for q in deck if q not in tonight), key=lambda q: order.get(q, -1)) or list(deck)
        question = fresh[0]
        step.update(used=step.state.used + (question,))
        step.set_slots({"question": question}, answer=False)

    def _effects(self, step: _Step, node: Node) -> None:
        if node.get("swap"):
            fs = step.state.frame.slots
            self._set(step, {"partner": fs.get("other"), "other": fs.get("partner")}, answer=False)
        if node.get("set"):
            values = {k: (self._fmt(step.state, v) if isinstance(v, str) else v) for k, v in node.get("set").items()}
            self._set(step, values, answer=False)
        if node.get("add"):
            fs = step.state.frame.slots
            self._set(step, {k: (fs.get(k) or 0) + v for k, v in node.get("add").items()}, answer=False)
        if node.get("commit"):
            self._commit(step)
        if node.kind == "capture" and node.body.get("deck"):
            self._deal(step, node)

    def _push(self, step: _Step, dialog: Dialog, return_to: str | None) -> None:
        a, b = step.state.session["partners"]
        frame = Frame(dialog=dialog.id, node=dialog.start, slots={"partner": a, "other": b, "turn": 1}, return_to=return_to)
        step.update(frames=step.state.frames + (frame,))

    def _finish_dialog(self, step: _Step) -> str | None:
        """The current dialog reached its end: next round, return to the caller, or end the session."""
        dialog = self._dialog(step.state)
        frame = step.state.frame
        if frame.dirty:
            self._commit(step)
        if dialog.rounds == "each_partner" and frame.round == 1:
            fs = frame.slots
            step.update_frame(round=2, slots={"partner": fs.get("other"), "other": fs.get("partner"), "turn": 2}, history=(), dirty=False)
            return dialog.start
        return self._pop(step, completed=True)

    def _pop(self, step: _Step, completed: bool) -> str | None:
        frame = step.state.frame
        done = step.state.done + ((frame.dialog,) if completed and frame.dialog not in step.state.done else ())
        step.update(frames=step.state.frames[:-1], done=done)
        if not step.state.frames:
            self._end(step, "completed")
            return None
        return frame.return_to or END

    def _commit(self, step: _Step, complete: bool = True) -> None:
        dialog = self._dialog(step.state)
        if not dialog.record:
            return
        entry = {**self._entry(dialog, step.state.frame, step.state), "complete": complete}
        step.update(entries=step.state.entries + (entry,))
        step.update_frame(dirty=False)
        step.answered = True

    def _entry(self, dialog: Dialog, frame: Frame, state: State) -> dict[str, Any]:
        values = {**self._vars(state), **{k: v for k, v in frame.slots.items() if v is not None}}
        entry: dict[str, Any] = {}
        for key, spec in (dialog.record or {}).items():
            if isinstance(spec, str) and spec.startswith("$"):
                entry[key] = frame.slots.get(spec[1:], values.get(spec[1:]) if spec[1:] in values else None)
            elif isinstance(spec, str):
                entry[key] = " ".join(spec.format_map(_SafeVars(values)).split())
            else:
                entry[key] = spec
        return entry

    def _summary(self, state: State) -> str:
        return self.summarise(state.entries)

    def summarise(self, entries: Sequence[Mapping[str, Any]]) -> str:
        """One clause for a list of exercise entries, from each dialog's ``summary`` template."""
        parts = []
        for entry in entries:
            dialog = self.dialogs.dialogs.get(str(entry.get("exercise")))
            if dialog and dialog.summary and entry.get("complete", True):
                parts.append(" ".join(dialog.summary.format_map(_SafeVars({k: v for k, v in entry.items() if v is not None})).split()))
        parts = list(dict.fromkeys(parts))
        if not parts:
            return self.messages.get("summary_none", "you took a quiet moment together")
        return matching.spoken_list(parts, "and")

    def _end(self, step: _Step, outcome: str) -> None:
        step.update(outcome=outcome)
        record = self.record(step.state)
        step.actions.append(End(outcome, record))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ listening

    def _listen_mode(self, state: State) -> str:
        """``choice`` or ``capture`` for where ``state`` stands (cheap: no grammar built)."""
        if state.paused:
            return "choice"
        node = self._node(state)
        if node.kind == "form" and (state.frame.sub.get("confirming") or state.frame.sub.get("changing")):
            return "choice"
        return self._mode(node)

    def _mode(self, node: Node) -> str:
        return "capture" if node.kind in ("capture", "pause", "form") else "choice"

    def _prompt(self, step: _Step, node: Node) -> None:
        """Say a listening node's prompt (and its capability's first question)."""
        said = self._say(step, self._node_say(step.state, node))
        self._mark_once(step, node)
        if node.kind == "form":
            said += self._form_ask(step, node, first=True)
        elif node.kind == "menu":
            pass
        step.update(last_said=tuple(said))

    def _listen(self, step: _Step) -> None:
        step.actions.append(self.listen_action(step.state))

    def listen_action(self, state: State) -> Listen:
        """The :class:`Listen` for where ``state`` stands (also used to re-listen)."""
        ref = self._ref(state)
        # Recognisers get each command's first phrases only: a smaller grammar confuses less
        # (typed or transcribed text is still matched against every phrase).
        command_phrases = [p for phrases in self.commands.values() for p in phrases[:GRAMMAR_COMMAND_PHRASES]]
        if state.paused:
            grammar = tuple(self.commands["resume"] + self.commands["stop"])
            return Listen(ref, "choice", ("resume", "stop"), grammar, no_input_s=600.0, end_silence_s=0.6, max_s=5.0)
        node = self._node(state)
        options = self._options(state, node)
        mode = self._listen_mode(state)
        timeouts = {**(self.defaults.get("timeouts", {}).get(mode) or {}), **(node.get("timeouts") or {})}
        grammar: tuple[str, ...] = ()
        if mode == "choice":
            phrases = [p for ps in options.values() for p in ps]
            if node.kind == "form":
                phrases += ["the activity", "the day", "the time"] + slots.day_phrases()
                phrases += [f"{lead} {day}" for lead in ("no make it", "make it", "no") for day in slots._WEEKDAYS + ("tomorrow", "today")]
            grammar = tuple(dict.fromkeys(matching.normalise(p) for p in phrases + command_phrases))
        elif node.kind == "form":
            # a day or a time is asked for: a grammar of spoken days and times (free decoding
            # of "seven thirty" is poor); free text fields decode freely
            kind = node.body["fields"][state.frame.sub.get("asking")]["kind"] if state.frame.sub.get("asking") else "text"
            spoken = {"date": slots.day_time_phrases, "time": lambda: slots.time_phrases() + ["no", "doesn't matter", "any time"]}.get(kind)
            if spoken:
                grammar = tuple(dict.fromkeys(matching.normalise(p) for p in spoken() + command_phrases))
        if node.kind == "pause":
            timeouts["no_input_s"] = float(node.body["seconds"])
        # A complete answer may end early, except at a read-back ("no ... make it sunday").
        confirming = node.kind == "form" and state.frame.sub.get("confirming")
        complete = timeouts.get("complete_silence_s") if grammar and not confirming else None
        return Listen(
            ref,
            mode,  # type: ignore[arg-type]
            tuple(options.keys()) if mode == "choice" else (),
            grammar,
            no_input_s=float(timeouts.get("no_input_s", 8.0)),
            end_silence_s=float(timeouts.get("end_silence_s", 0.6 if mode == "choice" else 2.0)),
            max_s=float(timeouts.get("max_s", 8.0 if mode == "choice" else 30.0)),
            expect_silence=node.kind == "pause",
            complete_silence_s=float(complete) if complete is not None else None,
        )

    def _options(self, state: State, node: Node) -> dict[str, list[str]]:
        """Label -> phrases the couple can say at ``node`` (without global commands)."""
        if node.kind == "choice":
            return {item["label"]: self._phrases(item) for item in node.body}
        if node.kind == "menu":
            out = {d.title: [d.title, *d.names] for d in self._menu_options(state)}
            if node.body.get("surprise"):
                out["surprise us"] = list(node.body["surprise"])
            for item in node.body.get("extra", []):
                out[item["label"]] = self._phrases(item)
            return out
        if node.kind == "lexicon":
            sub = state.frame.sub
            lex = self.dialogs.lexicons[node.body["name"]]
            if sub.get("options"):
                return {w: [w] for w in sub["options"]}
            return {w: [w] for w in list(lex.words) + list(lex.vague)}
        if node.kind == "form":
            sub = state.frame.sub
            if sub.get("confirming"):
                return {"yes": self._phrases({"label": "yes", "like": "yes"}), "no": self._phrases({"label": "no", "like": "no"})}
            if sub.get("changing"):
                return {name: [name, f"the {name}", *( ["day", "the day", "date"] if spec["kind"] == "date" else [])] for name, spec in node.body["fields"].items()}
        return {}

    def _phrases(self, item: Mapping[str, Any]) -> list[str]:
        phrases = list(item.get("phrases") or [])
        if item.get("like"):
            phrases += self.phrase_sets.get(item["like"], [])
        return phrases or [item["label"]]

    def _menu_options(self, state: State) -> list[Dialog]:
        return [d for d in self.dialogs.exercises() if d.id not in state.done]

    # ------------------------------------------------------------------ events

    def _on_silence(self, step: _Step) -> None:
        state = step.state
        if state.paused:
            self._listen(step)
            return
        node = self._node(state)
        if node.kind == "pause":
            self._say(step, node.body.get("close"))
            self._enter(step, node.get("next"))
            return
        self._fail(step, "noinput")

    def _on_heard(self, step: _Step, text: str) -> None:
        state = step.state
        if state.paused:
            command = matching.best_match(text, {k: self.commands[k] for k in ("resume", "stop")})
            if command is None:
                self._listen(step)
            else:
                self._command(step, command.label)
            return
        node = self._node(state)
        mode = self._listen_mode(state)
        options = self._options(state, node)
        if mode == "choice":
            best_option = matching.best_match(text, options) if options else None
            command = matching.best_match(text, self.commands)
            if command and (best_option is None or command.score > best_option.score):
                self._command(step, command.label)
                return
        else:
            command = matching.whole_utterance_match(text, self.commands)
            if command:
                self._command(step, command.label)
                return
        handler = {
            "choice": self._on_choice,
            "menu": self._on_menu,
            "capture": self._on_capture,
            "lexicon": self._on_lexicon,
            "form": self._on_form,
            "pause": self._on_pause,
        }[node.kind]  # type: ignore[index]
        handler(step, node, text)

    def _fail(self, step: _Step, kind: str, extra: Mapping[str, Any] | None = None) -> None:
        """A noinput or nomatch: the count-indexed handler, or the polite end after too many."""
        state = step.state
        node = self._node(state)
        count = (state.noinput if kind == "noinput" else state.nomatch) + 1
        step.update(**{kind: count})
        tries = node.get("tries", self.defaults.get("tries", 3))
        if step.state.noinput + step.state.nomatch > tries:
            self._message(step, "give_up")
            self._end(step, "abandoned")
            return
        mode = self._mode(node)
        handlers = node.get(kind) or (self.defaults.get(mode) or {}).get(kind) or (self.defaults.get("choice") or {}).get(kind) or ["{prompt}"]
        options = list(self._options(state, node).keys())
        prompt = " ".join(state.last_said)
        template = handlers[min(count, len(handlers)) - 1]
        said = self._fmt(step.state, template, {"prompt": prompt, "options": matching.spoken_list(options[:6])})
        if said:
            step.actions.append(Say(said, self._ref(state), self._rate(state)))
        self._listen(step)

    def _command(self, step: _Step, name: str) -> None:
        state = step.state
        node = self._node(state)
        if name == "stop":
            self._message(step, "stop")
            self._end(step, "stopped")
            return
        if name == "pause":
            step.update(paused=True)
            self._message(step, "paused")
            self._listen(step)
            return
        if name == "resume" or (name == "repeat") or name == "slower":
            if name == "slower":
                step.update(rate=round(max(MIN_RATE, state.rate * SLOWER), 3))
            if name == "resume":
                if state.paused:
                    step.update(paused=False)
                    self._message(step, "resumed")
            for text in step.state.last_said:
                step.actions.append(Say(text, self._ref(state), self._rate(step.state)))
            self._listen(step)
            return
        if name == "help":
            options = matching.spoken_list(list(self._options(state, node).keys())[:6])
            self._say(step, node.get("help") or self.messages["help"], {"options": options or "your answer"})
            self._listen(step)
            return
        if name == "back":
            history = state.frame.history
            if len(history) < 2:
                self._message(step, "at_start")
                for text in state.last_said:
                    step.actions.append(Say(text, self._ref(state), self._rate(state)))
                self._listen(step)
                return
            step.update_frame(history=history[:-2])
            self._enter(step, history[-2])
            return
        if name in ("skip", "pass"):
            self._skip(step, node, name)
            return
        raise AssertionError(name)

    def _skip(self, step: _Step, node: Node, name: str) -> None:
        if node.get("skip"):
            self._message(step, name if name == "pass" else "skipped")
            self._enter(step, node.get("skip"))
            return
        if len(step.state.frames) > 1 or self._dialog(step.state).kind == "exercise":
            self._message(step, name if name == "pass" else "skipped")
            if step.state.frame.dirty:
                self._commit(step, complete=False)
            nxt = self._pop(step, completed=False)
            if nxt is not None:
                self._enter(step, nxt)
            return
        self._message(step, "nothing_to_skip")
        for text in step.state.last_said:
            step.actions.append(Say(text, self._ref(step.state), self._rate(step.state)))
        self._listen(step)

    # ------------------------------------------------------------------ capabilities

    def _on_choice(self, step: _Step, node: Node, text: str) -> None:
        match = matching.best_match(text, self._options(step.state, node))
        if match is None:
            self._fail(step, "nomatch")
            return
        item = next(i for i in node.body if i["label"] == match.label)
        values = {"choice": match.label, f"{node.id}": match.label}
        if item.get("set"):
            values.update({k: (self._fmt(step.state, v) if isinstance(v, str) else v) for k, v in item["set"].items()})
        self._set(step, values)
        self._say(step, item.get("say"))
        self._enter(step, item.get("goto") or node.get("next"))

    def _on_menu(self, step: _Step, node: Node, text: str) -> None:
        options = self._options(step.state, node)
        match = matching.best_match(text, options)
        if match is None:
            self._fail(step, "nomatch")
            return
        remaining = self._menu_options(step.state)
        chosen = next((d for d in remaining if d.title == match.label), None)
        if match.label == "surprise us":
            chosen = self._surprise(step.state, remaining)
            self._message(step, "surprise", {"title": chosen.title})
        if chosen is None:
            item = next(i for i in node.body.get("extra", []) if i["label"] == match.label)
            self._say(step, item.get("say"))
            self._enter(step, item.get("goto") or node.get("skip") or node.get("next"))
            return
        step.answered = True
        self._push(step, chosen, return_to=node.get("next"))
        self._enter(step, chosen.start)

    def _surprise(self, state: State, remaining: list[Dialog]) -> Dialog:
        recent = set((state.session.get("memory") or {}).get("recent_exercises") or [])
        fresh = [d for d in remaining if d.id not in recent] or remaining
        seed = int(hashlib.sha256(f"{state.session['id']}:{len(state.done)}".encode()).hexdigest(), 16)
        return fresh[seed % len(fresh)]

    def _on_capture(self, step: _Step, node: Node, text: str) -> None:
        body = node.body
        if body.get("stuck") and matching.best_match(text, {"stuck": list(_STUCK)}, threshold=90):
            self._say(step, body["stuck"])
            self._listen(step)
            return
        self._set(step, {body["slot"]: _trim_filler(text)})
        self._enter(step, node.get("next"))

    def _on_pause(self, step: _Step, node: Node, text: str) -> None:
        self._say(step, node.body.get("close"))
        self._enter(step, node.get("next"))

    def _on_lexicon(self, step: _Step, node: Node, text: str) -> None:
        body = node.body
        lex = self.dialogs.lexicons[body["name"]]
        sub = step.state.frame.sub
        found = matching.find_terms(text, list(lex.words) + list(lex.vague))
        specific = [t for _, t in found if t in lex.words and t not in lex.vague]
        vague = [t for _, t in found if t in lex.vague]
        slot = body["slot"]
        if specific:
            word = specific[0]
            self._set(step, {slot: word, f"{slot}_family": lex.words[word]})
            self._enter(step, node.get("next"))
            return
        if vague and not sub.get("coached"):
            word = vague[0]
            options = lex.vague[word]
            coach = body.get("coach") or "'{vague}' can mean a lot of things. Was it closer to {options}?"
            said = self._say(step, coach, {"vague": word, "options": matching.spoken_list(list(options))})
            step.update_frame(sub={"coached": word, "options": list(options)})
            step.update(last_said=tuple(said))
            self._listen(step)
            return
        if vague:
            word = vague[0]
            hinted = [lex.words[o] for o in lex.vague[word]]
            family = lex.words.get(word) or max(hinted, key=hinted.count)
            self._set(step, {slot: word, f"{slot}_family": family})
            self._enter(step, node.get("next"))
            return
        if body.get("accept") == "anything" and step.state.nomatch + 1 >= node.get("tries", self.defaults.get("tries", 3)):
            self._set(step, {slot: matching.normalise(text), f"{slot}_family": None})
            self._enter(step, node.get("next"))
            return
        self._fail(step, "nomatch", {"examples": matching.spoken_list(self._examples(lex))})

    @staticmethod
    def _examples(lex: Any) -> list[str]:
        return [words[0] for words in list(lex.families.values())[:4]]

    # form: fill fields (text/date/time), read back, confirm, correct one slot at a time

    def _form_fields(self, node: Node) -> Mapping[str, Mapping[str, Any]]:
        return node.body["fields"]

    def _form_missing(self, state: State, node: Node) -> str | None:
        asked = set(state.frame.sub.get("asked", []))
        for name, spec in self._form_fields(node).items():
            if state.frame.slots.get(name) is None and not (spec.get("optional") and name in asked):
                return name
        return None

    def _form_ask(self, step: _Step, node: Node, first: bool = False) -> list[str]:
        """Ask the next empty field, or read everything back for confirmation."""
        missing = self._form_missing(step.state, node)
        sub = dict(step.state.frame.sub)
        if missing is not None:
            sub.update(asking=missing, confirming=False, changing=False)
            sub["asked"] = list(dict.fromkeys([*sub.get("asked", []), missing]))
            step.update_frame(sub=sub)
            said = self._say(step, self._form_fields(node)[missing]["prompt"])
        else:
            sub.update(asking=None, confirming=True, changing=False)
            step.update_frame(sub=sub)
            said = self._say(step, node.body["confirm"])
        if not first:
            step.update(last_said=tuple(said))
        return said

    def _now(self, state: State) -> datetime:
        return datetime.fromisoformat(state.session["now"])

    def _fill(self, step: _Step, node: Node, text: str, only: str | None = None) -> bool:
        """Put any day/time in ``text`` into the form's date/time fields; text goes to ``only``."""
        found = slots.extract(text, self._now(step.state))
        values: dict[str, Any] = {}
        for name, spec in self._form_fields(node).items():
            if spec["kind"] == "date" and found.date is not None:
                values[name] = found.date.isoformat()
                values[f"{name}_spoken"] = slots.spoken_date(found.date, self._now(step.state))
                values[f"{name}_day"] = slots.spoken_date(found.date, None)
            elif spec["kind"] == "time" and found.time is not None:
                values[name] = found.time.strftime("%H:%M")
                values[f"{name}_spoken"] = slots.spoken_time(found.time)
                values[f"{name}_at"] = f" at {values[f'{name}_spoken']}"
        if only is not None and self._form_fields(node)[only]["kind"] == "text":
            rest = _strip_leads(found.rest if (found.date or found.time) else matching.normalise(text))
            if rest:
                values[only] = rest
        if values:
            self._set(step, values)
        return bool(values)

    def _on_form(self, step: _Step, node: Node, text: str) -> None:
        sub = step.state.frame.sub
        fields = self._form_fields(node)
        if sub.get("confirming"):
            self._form_confirm(step, node, text)
            return
        if sub.get("changing"):
            choice = matching.best_match(text, self._options(step.state, node))
            if choice is None:
                if self._fill(step, node, text):
                    self._form_ask(step, node)
                    self._listen(step)
                    return
                self._fail(step, "nomatch")
                return
            self._form_reask(step, node, choice.label)
            return
        asking = sub.get("asking")
        spec = fields[asking]
        if spec["kind"] == "text" and matching.best_match(text, {"stuck": list(_STUCK)}, threshold=90):
            ideas = node.body.get("ideas") or []
            offset = int(sub.get("ideas_offered", 0))
            picks = [ideas[(offset * 3 + i) % len(ideas)] for i in range(min(3, len(ideas)))] if ideas else []
            template = spec.get("stuck") or "How about {ideas}?"
            said = self._say(step, template, {"ideas": matching.spoken_list(picks)})
            step.update_frame(sub={**sub, "ideas_offered": offset + 1})
            step.update(last_said=tuple(said))
            self._listen(step)
            return
        filled = self._fill(step, node, text, only=asking)
        if spec["kind"] == "time" and step.state.frame.slots.get(asking) is None and spec.get("optional"):
            if matching.best_match(text, {"none": ["no", "doesn't matter", "any time", "anytime", "not sure", "we'll see", "later", "no time", "skip"]}, threshold=85):
                self._set(step, {asking: None})
                filled = True
        if not filled or (step.state.frame.slots.get(asking) is None and not spec.get("optional")):
            self._fail(step, "nomatch")
            return
        self._form_ask(step, node)
        self._listen(step)

    def _form_confirm(self, step: _Step, node: Node, text: str) -> None:
        sub = step.state.frame.sub
        yes_no = matching.best_match(text, self._options(step.state, node))
        t = matching.normalise(text)
        correcting = t.split()[:1] in (["no"], ["nope"], ["actually"]) or any(t.startswith(lead) for lead in _CORRECTION_LEADS[2:])
        rounds = int(sub.get("rounds", 0)) + 1
        if yes_no is not None and yes_no.label == "yes" and not correcting:
            self._set(step, {"confirmed": True})
            self._enter(step, node.get("next"))
            return
        if rounds > 3:
            self._set(step, {"confirmed": False})
            self._message(step, "keep_as_is")
            self._enter(step, node.get("next"))
            return
        step.update_frame(sub={**sub, "rounds": rounds})
        if self._fill(step, node, text):
            self._form_ask(step, node)
            self._listen(step)
            return
        rest = _strip_leads(_strip_corrections(t))
        text_fields = [n for n, s in self._form_fields(node).items() if s["kind"] == "text"]
        named = matching.best_match(rest, {n: [n, f"the {n}"] for n in self._form_fields(node)}, threshold=90) if rest else None
        if named is not None:  # "the time": ask that one again
            self._form_reask(step, node, named.label)
            return
        if rest and text_fields and (yes_no is None or (correcting and len(rest) > 2)):
            # neither yes nor a day or time: a new activity ("no, a movie")
            self._set(step, {text_fields[0]: rest})
            self._form_ask(step, node)
            self._listen(step)
            return
        if yes_no is not None and yes_no.label == "no":
            names = matching.spoken_list([f"the {n}" if n != "date" else "the day" for n in self._form_fields(node)])
            template = node.body.get("ask_change") or "What should change: {fields}?"
            said = self._say(step, template, {"fields": names})
            step.update_frame(sub={**step.state.frame.sub, "confirming": False, "changing": True})
            step.update(last_said=tuple(said))
            self._listen(step)
            return
        self._fail(step, "nomatch")

    def _form_reask(self, step: _Step, node: Node, field_name: str) -> None:
        """Clear one field and ask for it again (the others stay)."""
        self._set(step, {field_name: None, f"{field_name}_spoken": None}, answer=False)
        sub = step.state.frame.sub
        asked = [a for a in sub.get("asked", []) if a != field_name]
        step.update_frame(sub={**sub, "asked": asked, "changing": False})
        self._form_ask(step, node)
        self._listen(step)

    def _branch(self, step: _Step, node: Node) -> str:
        fs = step.state.frame.slots
        variables = {**self._vars(step.state)}
        for case in node.body:
            cond = case.get("if")
            if cond is None or _holds(cond, fs.get(cond["slot"], variables.get(cond["slot"]))):
                self._say(step, case.get("say"))
                return case["goto"]
        raise AssertionError("validated branches end with a fallback")


def _ordinal(number: int) -> str:
    from num2words import num2words

    return num2words(number, to="ordinal")


def _balance(speaking: Mapping[str, float], partners: tuple[str, str]) -> dict[str, Any]:
    """Who spoke less tonight, and whether the difference is worth a gentle word (never a score)."""
    a, b = (float(speaking.get(p, 0.0)) for p in partners)
    quieter, louder = (partners[0], partners[1]) if a <= b else (partners[1], partners[0])
    low, high = min(a, b), max(a, b)
    lopsided = high + low >= 30.0 and high >= 2.5 * max(low, 1.0)
    return {"quieter": quieter, "louder": louder, "lopsided": lopsided}


def _recorded_slots(dialog: Dialog) -> frozenset[str]:
    """Slots an exercise's record reads ($slot references and {placeholders})."""
    names: set[str] = set()
    for spec in (dialog.record or {}).values():
        if isinstance(spec, str) and spec.startswith("$"):
            names.add(spec[1:])
        elif isinstance(spec, str):
            names.update(f for _, f, _, _ in string.Formatter().parse(spec) if f)
    return frozenset(names - {"partner", "other"})


def _holds(cond: Mapping[str, Any], value: Any) -> bool:
    if "set" in cond:
        return bool(value not in (None, "", [], False)) == cond["set"]
    if "eq" in cond:
        return value == cond["eq"]
    if "ne" in cond:
        return value != cond["ne"]
    if "in" in cond:
        return value in cond["in"]
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    if "gte" in cond:
        return number >= cond["gte"]
    if "lt" in cond:
        return number < cond["lt"]
    return False


_LEADING_FILLER = re.compile(r"^(?:(?:um+|uh+|er+m?|hmm+|well|so|like|okay so|you know)\b[\s,.]*)+", re.IGNORECASE)


def _trim_filler(text: str) -> str:
    """"Um, my pottery class" -> "my pottery class" (keeps the words as said otherwise)."""
    trimmed = _LEADING_FILLER.sub("", text.strip()).strip()
    return trimmed or text.strip()


def _strip_corrections(text: str) -> str:
    changed = True
    while changed:
        changed = False
        for lead in _CORRECTION_LEADS:
            if text == lead or text.startswith(lead + " "):
                text = text[len(lead):].strip()
                changed = True
    return text


def _strip_leads(text: str) -> str:
    text = matching.normalise(text)
    changed = True
    while changed:
        changed = False
        for lead in _FILLER_LEADS:
            if text.startswith(lead + " "):
                text = text[len(lead):].strip()
                changed = True
    return text


__all__ = ["Context", "Engine", "Frame", "State"]
