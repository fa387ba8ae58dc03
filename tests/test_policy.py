"""Issue 19, the engine's side: what it does with what is understood.  The safety pause at
every question of every exercise (choices, menus, consent and timed moments included), stop
wins after it, nothing physical after it, the help lines (the domestic-abuse line shown,
never spoken)."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from assistant.cli import main as cli
from assistant.engine import Context
from assistant.engine.step import Turn
from assistant.formats.events import Heard, Listen, Say

NOW = datetime(2026, 11, 25, 18, 0)
UK = {"country": "GB", "helpline": "Samaritans on 116 123", "emergency": "999"}
DISCLOSURES = [
    "he hits me when he drinks",
    "Sometimes I think about killing myself",
    # issue 19's own examples, each at every question
    "you pushed me into the door last week",
    "you slapped me in front of the kids",
    "i don't feel safe at home anymore",
    "i just want to go to sleep and not wake up",
    "i wrote a goodbye letter",
    "i have to hide the car keys so he can't follow me",
    "sometimes i'm scared of how he gets when he drinks",
]
NAMES_DANGER = re.compile(r"abus|violen|hit|hurt|kill|suicid|harm|drink|partner", re.IGNORECASE)


def start(engine, dialog="check-in", safety=None):
    return engine.start(Context(("Maya", "Sam"), NOW, "s1", safety=safety or {}), dialog)


def at_node(engine, dialog_id, node_id):
    """A session of ``dialog_id`` on its own, standing at ``node_id`` (entered as the dialog would)."""
    state, _ = start(engine, dialog_id, UK)
    if state.ended or state.frame.dialog != dialog_id:
        return None  # the dialog ends at once on its own (nothing to follow up)
    step = Turn(engine, state)
    engine.enter(step, node_id)
    return step.state


def listening_nodes(dialog_set):
    for dialog in dialog_set.dialogs.values():
        for node in dialog.nodes.values():
            if node.listens:
                yield dialog.id, node.id


def says(actions):
    return [a.text for a in actions if isinstance(a, Say)]


def test_distress_pauses_at_every_question_of_every_dialog(engine, dialog_set):
    """Choices, menus, consent, forms, levels, captures, timed moments: the same pause."""
    nodes = list(listening_nodes(dialog_set))
    assert len(nodes) > 60
    kinds = {dialog_set.dialogs[d].nodes[n].kind for d, n in nodes}
    assert {"choice", "menu", "consent", "capture", "pause", "form", "lexicon", "levels"} <= kinds
    tried = 0
    for dialog_id, node_id in nodes:
        state = at_node(engine, dialog_id, node_id)
        if state is None or state.ended or state.frame.node != node_id:
            continue  # a node this dialog skips on its own (a menu with nothing left)
        tried += 1
        for text in DISCLOSURES:
            after, actions = engine.handle(state, Heard(text))
            where = f"{dialog_id}/{node_id} on {text!r}"
            said = says(actions)
            assert len(said) == 2 and said[0].startswith("Let's pause here."), where
            assert said[1] == "Shall we stop for tonight, or go on?", where
            assert not any(NAMES_DANGER.search(s) for s in said), where
            assert isinstance(actions[-1], Listen), where
            assert after.held is not None and after.safety_paused, where
            record = engine.record(after)
            assert text.lower() not in str(record).lower(), where
            for entry in record["exercises"]:
                if entry.get("outcome") == "paused_for_safety":
                    assert set(entry) == {"exercise", "complete", "outcome"}, where
    assert tried > 0.8 * len(nodes)


def test_distress_pauses_while_paused_and_while_holding(engine):
    state, _ = start(engine)
    state, _ = engine.handle(state, Heard("high"))
    state, _ = engine.handle(state, Heard("pause"))
    state, actions = engine.handle(state, Heard("he hits me when he drinks"))
    assert says(actions)[0].startswith("Let's pause here.") and state.safety_paused
    state, actions = engine.handle(state, Heard("Sometimes I think about killing myself"))
    assert says(actions)[0].startswith("Let's pause here."), "a second disclosure is met the same way"


@pytest.mark.parametrize(
    "answer, outcome",
    [
        ("stop", "stopped"),
        ("yes", "stopped"),
        ("I'm not sure", "stopped"),
        ("I don't know", "stopped"),
        ("go on... no, stop", "stopped"),
        ("keep going, actually let's stop", "stopped"),
        ("go on", None),
        ("no", None),
    ],
)
def test_stop_wins_at_the_question_to_both(engine, answer, outcome):
    state, _ = start(engine, safety=UK)
    for text in ("high", "name a feeling", "scared", "he hits me when he drinks"):
        state, _ = engine.handle(state, Heard(text))
    state, actions = engine.handle(state, Heard(answer))
    assert state.outcome == outcome, (answer, says(actions))
    if outcome is None:
        assert state.held is None and "Okay. We'll go gently." in says(actions)


def test_the_spoken_line_is_neutral_and_never_reads_the_abuse_line(engine):
    safety = {**UK, "abuse_line": "the National Domestic Abuse Helpline on 0808 2000 247"}
    state, _ = start(engine, safety=safety)
    said = []
    for text in ("high", "name a feeling", "scared", "you pushed me, he hits me when he drinks"):
        state, actions = engine.handle(state, Heard(text))
        said += says(actions)
    line = next(s for s in said if s.startswith("Let's pause here."))
    assert line == (
        "Let's pause here. What you said matters. If either of you wants to talk to someone, "
        "Samaritans on 116 123 is there any time. If anyone is in danger, call 999."
    )
    assert not any("Abuse" in s or "0808" in s for s in said)


def test_nothing_physical_after_a_pause_even_when_asked(engine):
    state, _ = start(engine)
    for text in ("high", "name a feeling", "scared", "he hits me when he drinks", "go on", "another one"):
        state, actions = engine.handle(state, Heard(text))
    assert "hug" not in " ".join(says(actions))
    for ask in ("a long hug", "hold hands", "hug"):
        after, actions = engine.handle(state, Heard(ask))
        assert says(actions)[0] == "Let's leave that one for another night.", ask
        assert after.frame.dialog == "check-in"


def test_a_declined_exercise_is_not_offered_but_may_be_asked_for(engine):
    state, _ = start(engine)
    for text in ("high", "a long hug", "not tonight", "another one"):
        state, actions = engine.handle(state, Heard(text))
    offered = " ".join(says(actions))
    assert "hug" not in offered
    state, actions = engine.handle(state, Heard("actually, a hug"))
    assert state.frame.dialog == "affection", says(actions)


def test_helplines_shows_every_line_set_and_config_typos_are_one_line(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text(
        "safety:\n  country: GB\n  emergency: '999'\n  helpline: Samaritans on 116 123\n"
        "  abuse_line: the National Domestic Abuse Helpline on 0808 2000 247\n"
    )
    assert cli.main(["helplines", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "If you are not safe at home: the National Domestic Abuse Helpline on 0808 2000 247" in out
    assert "Samaritans on 116 123" in out and "999" in out and "docs/SAFETY.md" in out
    config.write_text("safety:\n  abuse_lien: somewhere\n")
    assert cli.main(["helplines", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "did you mean 'abuse_line'" in err


def test_the_engine_never_gets_the_abuse_line():
    from assistant import config

    settings = config.from_yaml("safety:\n  country: GB\n  abuse_line: somewhere safe\n", "config.yaml")
    assert "abuse_line" not in settings.safety and settings.helplines["abuse_line"] == "somewhere safe"


# --------------------------------------------------------------------------- consent during touch

STOP_A_HUG = [
    "that's enough for me",
    "i want to let go now",
    "can we stop",
    "ow, let go",
    "i changed my mind",
    "what?",
    "hmm",
    "not sure",
]


@pytest.mark.parametrize("said", STOP_A_HUG)
def test_anything_but_a_clear_keep_going_ends_the_hug(engine, said):
    state, _ = start(engine)
    for text in ("high", "a long hug", "hug", "yes", "yes"):
        state, actions = engine.handle(state, Heard(text))
    assert "Just breathe together." in says(actions)
    state, actions = engine.handle(state, Heard(said))
    assert says(actions)[0] == "Of course. Let go whenever you like.", said
    assert "Ten more seconds." not in says(actions) and state.outcome is None
    assert engine.record(state)["exercises"][-1] == {
        "exercise": "affection",
        "kind": "hug",
        "seconds": 20,
        "complete": False,
        "outcome": "withdrawn",
    }


def test_stop_mid_hug_lets_go_gently_then_stops_the_evening(engine):
    state, _ = start(engine)
    for text in ("high", "a long hug", "hug", "yes", "yes"):
        state, actions = engine.handle(state, Heard(text))
    state, actions = engine.handle(state, Heard("stop"))
    assert says(actions)[0] == "Of course. Let go whenever you like." and state.outcome == "stopped"
    assert engine.record(state)["exercises"][-1]["outcome"] == "withdrawn"


@pytest.mark.parametrize("said", ["keep going", "yes", "go on", "this is nice"])
def test_a_clear_keep_going_keeps_the_hug(engine, said):
    state, _ = start(engine)
    for text in ("high", "a long hug", "hold hands", "yes", "yes"):
        state, actions = engine.handle(state, Heard(text))
    state, actions = engine.handle(state, Heard(said))
    assert says(actions) == ["Ten more seconds."], said


def test_a_partner_who_declined_the_hug_may_ask_for_it_again(engine):
    state, _ = start(engine)
    for text in ("high", "a long hug", "hug", "no", "another one"):
        state, actions = engine.handle(state, Heard(text))
    assert "long hug" not in " ".join(says(actions))
    state, actions = engine.handle(state, Heard("a long hug"))
    assert state.frame.dialog == "affection" and "A long hug, about twenty seconds" in " ".join(says(actions))


# --------------------------------------------------------------------------- with the reader's acts
# These drive the engine with the meaning layer's issue-19 acts and fields (content_free,
# contempt, ask_coach + topic, grief) forced on chosen answers, so the engine's policy is
# tested apart from how well the reader reads (tests/test_understand* and the scenarios
# quote the issue's own sentences through the real reader).


class Forced:
    """A reading with the contract's fields: what the meaning layer returns for one answer."""

    def __init__(self, act, content=None, **fields):
        self.act, self.content, self.confidence = act, content, 1.0
        self.family = self.issue = self.word = self.safety = self.when = None
        self.topic = self.tone = self.grief = self.conflict = None
        self.__dict__.update(fields)

    @property
    def is_content(self):
        return self.act == "answer" and self.content is not None and self.issue is None


@pytest.fixture
def forced(monkeypatch):
    """``forced[text] = Forced(...)``: that answer reads so; every other answer as the reader reads it."""
    from assistant.engine import hearing

    table = {}
    real = hearing.read
    monkeypatch.setattr(hearing, "read", lambda text, ask, tables: table.get(text) or real(text, ask, tables))
    return table


def run(engine, turns, dialog="check-in"):
    state, actions = start(engine, dialog)
    said = says(actions)
    for text in turns:
        state, actions = engine.handle(state, Heard(text))
        said += says(actions)
    return state, said


def test_a_content_free_answer_is_asked_once_more_with_an_example_then_left(engine, forced):
    forced["same"] = Forced("content_free")
    base = ["high", "paraphrase back", "work has been a lot", "you've had a lot at work", "yes", "no"]
    state, said = run(engine, [*base, "same"])
    assert said[-2:] == [
        "Could you say a little more, in your own words?",
        "For example: you've had a long week, and you need a quiet evening.",
    ]
    state, said = run(engine, [*base, "same", "same"])
    assert said[-2:] == ["That's okay.", "Now say why it makes sense. Start with: that makes sense, because."]
    assert engine.record(state)["exercises"] == [] or "same" not in str(engine.record(state))
    assert state.frame.slots.get("summed_up") is None


@pytest.mark.parametrize("answer", ["okay", "yes", "sure", "fine", "um", "yes yes"])
def test_bare_acknowledgements_are_never_the_summary(engine, answer):
    base = ["high", "paraphrase back", "work has been a lot", "you've had a lot at work", "yes", "no"]
    state, said = run(engine, [*base, answer, answer])
    assert state.frame.slots.get("summed_up") is None and said[-2] == "That's okay.", said[-3:]


def test_contempt_is_never_kept_read_back_or_praised_and_the_coach_moves_on(engine, forced):
    forced["you're pathetic honestly"] = Forced("contempt", tone="contempt")
    forced["i'll do the dishes forever, happy now?"] = Forced("contempt", tone="sarcasm")
    turns = ["high", "decide together", "the weekend", "some rest", "time to recharge", "going out", "seeing friends"]
    state, said = run(engine, [*turns, "you're pathetic honestly", "i'll do the dishes forever, happy now?"])
    spoken = " ".join(said)
    assert "pathetic" not in spoken and "dishes" not in spoken and "Lovely" not in spoken
    assert "Let's keep it kind, even when it's hard." in said
    # contempt a second time is flooding (issue 22): a break, never an agreement
    assert "Let's take a break for twenty minutes." in said[-1]
    entry = engine.record(state)["exercises"][-1]
    assert entry["agreement"] is None and entry["confirmed"] is False


def test_a_refusal_is_an_answer_and_never_asked_again(engine):
    base = ["high", "paraphrase back", "work has been a lot", "you've had a lot at work", "yes", "no"]
    state, said = run(engine, [*base, "I'd rather not"])
    assert "Could you say a little more" not in " ".join(said[-3:])
    assert state.frame.dialog == "check-in"


@pytest.mark.parametrize(
    "topic, line",
    [
        ("recording", "I never keep a recording of your voices."),
        ("privacy", "Nothing leaves your home."),
        ("therapist", "not a therapist or a person"),
        ("sides", "I don't take sides."),
        ("purpose", "Putting a feeling into words helps your partner understand you"),
    ],
)
def test_questions_to_the_coach_get_a_short_true_answer_then_the_question_again(engine, forced, topic, line):
    forced["a question"] = Forced("ask_coach", topic=topic)
    state, said = run(engine, ["high", "name a feeling", "a question"])
    assert line in said[-2] and said[-1] == "Maya, what's one feeling you had today?"
    assert state.frame.node == "ask" and state.nomatch == 0
    assert "didn't catch" not in " ".join(said)


def test_every_exercise_says_why_it_helps_in_at_most_fifteen_words(dialog_set):
    for dialog in dialog_set.dialogs.values():
        why = dialog.spec.get("why")
        assert why and len(why.split()) <= 15, dialog.id


def test_a_why_over_fifteen_words_is_one_validation_line(dialogs_copy):
    from assistant.loader.dialogs import validate_dir

    line = dialogs_copy.edit(
        "affection.yaml",
        'why: "',
        'why: "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen " # ',
    )
    errors = validate_dir(dialogs_copy.root)
    assert len(
        errors
    ) == 1 and f"affection.yaml:{line}: why: 16 words: what an exercise is for is said in at most 15" in str(errors[0])


def test_a_loss_is_met_warmly_first_and_not_asked_what_brought_it_on(engine, forced):
    forced["sad. my dad died last month"] = Forced("answer", content="sad", family="sad", grief="loss")
    state, said = run(engine, ["high", "name a feeling", "sad. my dad died last month"])
    assert said[-2] == "I'm so sorry. A loss like that is hard, and there's room for it here."
    assert "What brought that on?" not in said[-1] and said[-1].startswith("Sam, no advice and no fixing.")
    assert state.frame.slots["feeling"] == "sad"


@pytest.mark.parametrize("reply, paused", [("yes", True), ("sometimes", True), ("I don't know", True), ("no", False)])
def test_hopelessness_gets_one_gentle_question_and_a_yes_is_a_safety_pause(engine, forced, reply, paused):
    text = "i just want to be with him again. nothing matters much"
    forced[text] = Forced("answer", content=text, grief="hopeless")
    state, said = run(engine, ["high", "name a feeling", "numb", text])
    assert said[-2:] == [
        "I'm so sorry. A loss like that is hard, and there's room for it here.",
        "Sometimes a loss brings thoughts of not wanting to be here. Have you had thoughts like that?",
    ]
    assert "makes sense to feel numb" not in " ".join(said)
    state, actions = engine.handle(state, Heard(reply))
    if paused:
        assert says(actions)[0].startswith("Let's pause here.") and state.held is not None
        assert engine.record(state)["exercises"][-1]["outcome"] == "paused_for_safety"
    else:
        assert says(actions)[0] == "Thank you for telling me. We'll go gently."
        assert state.frame.node == "validate" and state.frame.slots["reason"] == text


@pytest.mark.parametrize("said", ["I'm not sure", "i don't know"])
def test_a_hedge_at_a_confirmation_gets_a_kind_re_ask(engine, said):
    turns = [
        "high",
        "decide together",
        "the weekend",
        "some rest",
        "time to recharge",
        "going out",
        "seeing friends",
        "saturday in, sunday out",
        "yes",
    ]
    state, spoken = run(engine, [*turns, said])
    assert spoken[-1] == "That's okay, there's no rush. You can say yes or not quite."
    assert "didn't catch" not in " ".join(spoken)


def test_no_beats_a_yes_beside_it_at_shall_i_keep_those_words(engine):
    state, said = run(
        engine, ["the way you made soup when I was sick", "thank you", "no, that's ok"], "appreciation-round"
    )
    assert "Okay, I won't keep them." in said and "I'll keep them." not in said
    assert engine.record(state)["exercises"][0].get("kept") in (None, "")


def test_contempt_at_a_confirmation_is_never_a_yes(engine, forced):
    forced["oh yes, wonderful, whatever you say"] = Forced("contempt", tone="sarcasm")
    turns = ["high", "decide together", "the weekend", "some rest", "time to recharge", "going out", "seeing friends"]
    state, said = run(engine, [*turns, "saturday in, sunday out", "oh yes, wonderful, whatever you say"])
    assert said[-2] == "Let's keep it kind, even when it's hard." and said[-1].endswith("is that a yes from you?")
    assert state.frame.slots.get("confirmed_a") is False


def test_a_disclosure_while_the_gentle_question_waits_pauses_and_nothing_waits_after(engine, forced):
    text = "i just want to be with him again. nothing matters much"
    forced[text] = Forced("answer", content=text, grief="hopeless")
    state, said = run(engine, ["high", "name a feeling", "numb", text, "Sometimes I think about killing myself"])
    assert said[-2].startswith("Let's pause here.") and state.grief_check is None
    state, actions = engine.handle(state, Heard("go on"))
    assert state.grief_check is None and state.held is None and "We'll go gently." in says(actions)[0]
