"""What a node type is, and the narrow interface it gets to act on a session.

A node type (one module in this package, one line in its registry) owns everything about
nodes of its kind: the JSON-schema fragment of its YAML key and the checks that go with it,
the listen mode and the phrases it listens for, the prompt it adds, and what an answer,
silence or entering the node does.  It never sees the engine: it gets a :class:`Step`, a
view of the session being advanced with a handful of verbs (say, listen, set slots, go to
a node, fail), and an :class:`~assistant.engine.state.Answer` (what the person did).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Protocol

from ...formats.events import Listen
from ...text.meaning.model import Ask
from ..model import END
from ..state import Answer, State

if TYPE_CHECKING:
    from ..model import DialogSet, Node

Path = list[Any]
ErrorAt = Callable[[Path, str], None]
"""Reports a problem at a path below the node's own key (raises a DialogError)."""


class Step(Protocol):
    """The work of one engine call, as a node handler may touch it."""

    # ---- reading
    @property
    def state(self) -> State:
        """The session as it stands (frozen)."""

    @property
    def node(self) -> Node:
        """The node the current frame stands at."""

    @property
    def slots(self) -> Mapping[str, Any]:
        """The current frame's slot values."""

    @property
    def sub(self) -> Mapping[str, Any]:
        """The current node's own progress (empty when the node is entered)."""

    @property
    def now(self) -> datetime:
        """The session's clock reading at its start."""

    @property
    def memory(self) -> Mapping[str, Any]:
        """What the journal remembered at the start of the session."""

    @property
    def program(self) -> DialogSet:
        """The loaded dialogs, lexicons, decks and common settings (read-only)."""

    def value(self, name: str) -> Any:
        """A slot of the current frame, else a session variable (memory, balance...)."""

    def phrases(self, item: Mapping[str, Any]) -> list[str]:
        """An item's phrases: its own, plus the common phrase set it is ``like``."""

    def render(self, template: str, extra: Mapping[str, Any] | None = None) -> str:
        """A template filled in with the session's variables (and ``extra``)."""

    # ---- acting
    def say(
        self, texts: str | Sequence[str] | None, extra: Mapping[str, Any] | None = None, prompt: bool = False
    ) -> list[str]:
        """Speak templates; ``prompt``: they become what "repeat" says again."""

    def message(self, name: str, extra: Mapping[str, Any] | None = None) -> None:
        """Speak one of common.yaml's messages."""

    def set_prompt(self, said: Sequence[str]) -> None:
        """What "repeat" says again from now on."""

    def repeat_prompt(self) -> None:
        """Say the current question again (what "repeat" says)."""

    def listen(self) -> None:
        """Wait for the next answer at the current node."""

    def set_slots(self, values: Mapping[str, Any], answer: bool = True) -> None:
        """Merge slot values; ``answer``: the couple said them (the record is saved)."""

    def set_sub(self, values: Mapping[str, Any]) -> None:
        """Replace the node's own progress."""

    def took_item(self, item: str) -> None:
        """A deck item was used tonight (never dealt again this session)."""

    def answered(self) -> None:
        """An answer was given even though no recorded slot changed (save the record)."""

    def goto(self, node_id: str) -> None:
        """Leave this node for ``node_id`` (``end`` finishes the dialog) and run on until a node listens."""

    def call(self, dialog_id: str, return_to: str | None) -> str:
        """Start dialog ``dialog_id`` on top of this one; returns its first node (to ``goto``)."""

    def fail(self, kind: str, extra: Mapping[str, Any] | None = None) -> None:
        """A ``noinput`` or ``nomatch``: the counted re-prompt, or the polite end after too many."""

    def leave(self, complete: bool = False, outcome: str | None = None) -> None:
        """End the current exercise here (its answers so far recorded, ``complete`` or not,
        with ``outcome``: declined, withdrawn...) and go on with the dialog that called it
        (or end the session)."""

    def command(self, name: str) -> None:
        """Carry out a global command (``pass``, ``back``, ``repeat``...) as if it was said."""


class NodeType:
    """Base of every node type: a node with no behaviour of its own, overridden in parts."""

    name: ClassVar[str]
    """The YAML key that gives a node this type (``choice:``, ``capture:``...)."""
    schema: ClassVar[Mapping[str, Any]]
    """JSON-schema fragment for the value of that key."""
    listens: ClassVar[bool] = False
    """Waits for the couple at this node (else it runs and moves on)."""
    needs_next: ClassVar[bool] = True
    """The node must say where to go next (``next:``)."""
    reprompts: ClassVar[str] = "choice"
    """Which of common.yaml's default re-prompts (``defaults.choice``/``defaults.capture``) it uses."""
    node_fields: ClassVar[Mapping[str, Any]] = {}
    """Schemas of node-level keys only this node type may have (a choice's ``acts:``)."""
    timed: ClassVar[bool] = False
    """A timed moment: leaving it early is a withdrawal, not a decline."""

    # ------------------------------------------------------------------ loading

    def check(self, node_id: str, spec: Mapping[str, Any], error: ErrorAt) -> None:
        """Checks beyond the schema, within the node."""

    def targets(self, body: Any) -> Iterable[tuple[Path, str]]:
        """Node ids this node may go to, each with its path below the node's key."""
        return ()

    def check_refs(self, body: Any, program: DialogSet, error: ErrorAt) -> None:
        """Checks against other files: lexicons, decks, dialogs, phrase sets."""

    def check_node_refs(self, node: Node, program: DialogSet, error: ErrorAt) -> None:
        """Checks of the node's own node-level keys (``node_fields``) against other files."""

    def slots(self, node: Node) -> Mapping[str, bool]:
        """Slots this node sets -> whether one may be empty when a later template reads it."""
        return {}

    def template_vars(self, node: Node) -> Mapping[str, bool]:
        """Extra variables its own templates may use -> whether they may be empty."""
        return {}

    def templates(self, body: Any) -> Iterable[tuple[Path, str]]:
        """Spoken templates inside the node's key, with their paths (what ``checkin prepare`` renders)."""
        return ()

    def free_text_slots(self, body: Any) -> set[str]:
        """Slots holding a free-form sentence (left out of summary journals)."""
        return set()

    # ------------------------------------------------------------------ running

    def skipped(self, step: Step, node: Node) -> bool:
        """Entering this node goes straight on to its ``skip`` (or ``next``)."""
        return False

    def on_enter(self, step: Step, node: Node) -> None:
        """Effects of entering the node, before anything is said."""

    def prompt(self, step: Step, node: Node) -> list[str]:
        """What a listening node asks after its ``say``."""
        return []

    def run(self, step: Step, node: Node) -> str:
        """A node that does not listen: its work, and the node to go to."""
        return str(node.get("next", END))

    def mode(self, step: Step, node: Node) -> str:
        """``choice`` (a known set of phrases) or ``capture`` (free speech)."""
        return "choice"

    def ask(self, step: Step, node: Node) -> Ask:
        """What kind of question the node asks, for the meaning layer to read answers in."""
        if self.mode(step, node) == "choice":
            return Ask("choice", options={k: tuple(v) for k, v in self.options(step, node).items()})
        return Ask("text", now=step.now)

    def options(self, step: Step, node: Node) -> dict[str, list[str]]:
        """Label -> phrases the couple can say here (without global commands)."""
        return {}

    def variables(self, step: Step, node: Node) -> Mapping[str, Any]:
        """Variables this node's templates (and re-prompts) may use while it stands."""
        return {}

    def tune_listen(self, step: Step, node: Node, listen: Listen, command_phrases: Sequence[str]) -> Listen:
        """Adjust the Listen built from the mode, options and timeouts."""
        return listen

    def on_answer(self, step: Step, node: Node, answer: Answer) -> None:
        """What an answer does (it was not a global command)."""
        step.fail("nomatch")

    def addressee(self, step: Step, node: Node) -> str | None:
        """The one partner the question is put to by name (``who: partner`` or ``other``), or
        None (both, or nobody): a yes counts in that voice once voices are enrolled."""
        who = node.get("who")
        name = step.slots.get(who) if who in ("partner", "other") else None
        return str(name) if name else None

    def is_yes(self, step: Step, node: Node, answer: Answer) -> bool:
        """The answer is a yes to a yes/no question here (none by default)."""
        return False

    def on_back(self, step: Step, node: Node) -> bool:
        """ "Go back" within the node (a form's previous field); False: to the previous node."""
        return False

    def on_silence(self, step: Step, node: Node) -> bool:
        """What silence does here; False: the usual noinput."""
        return False


def with_grammar(listen: Listen, phrases: Sequence[str]) -> Listen:
    from ...text.matching import normalise

    return replace(listen, grammar=tuple(dict.fromkeys(normalise(p) for p in phrases)))


__all__ = ["ErrorAt", "NodeType", "Path", "Step", "with_grammar"]
