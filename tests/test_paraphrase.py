"""The paraphrase judge against the labelled pairs (tests/data/paraphrase_*.yaml), the
issue's examples, the coaching categories and the word table."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.text import matching
from assistant.text.paraphrase import CATEGORIES, FAITHFUL_AT, PARTIAL_AT, Judge, coaching_category, judge
from assistant.text.wordtable import WordTable, WordTableError

DATA = Path(__file__).parent / "data"
TUNING = yaml.safe_load((DATA / "paraphrase_tuning.yaml").read_text())["pairs"]
HELDOUT = yaml.safe_load((DATA / "paraphrase_heldout.yaml").read_text())["pairs"]
COACHED = ("mocking", "rebuttal", "always_never", "fixing")


def auc(pairs: list[dict], score) -> float:
    pos = [score(p) for p in pairs if p["category"] == "faithful"]
    neg = [score(p) for p in pairs if p["category"] != "faithful"]
    return sum(1.0 if a > b else 0.5 if a == b else 0.0 for a in pos for b in neg) / (len(pos) * len(neg))


def test_labelled_set_is_large_and_split():
    assert len(TUNING) + len(HELDOUT) >= 120
    assert not {p["statement"] for p in TUNING} & {p["statement"] for p in HELDOUT}
    for pairs in (TUNING, HELDOUT):
        assert {p["category"] for p in pairs} == set(CATEGORIES)
        assert {p.get("kind") for p in pairs if p["category"] == "faithful"} == {"other_words", "same_words"}


def test_heldout_separates_faithful_from_the_rest():
    """Quality gate: ROC AUC of faithful against everything else, typed text, held-out pairs."""
    new = auc(HELDOUT, lambda p: judge(p["statement"], p["paraphrase"]).score)
    old = auc(HELDOUT, lambda p: matching.word_overlap(p["statement"], p["paraphrase"]).score)
    assert new >= 0.9
    assert new > old


def test_tuning_separates_faithful_from_the_rest():
    assert auc(TUNING, lambda p: judge(p["statement"], p["paraphrase"]).score) >= 0.95


@pytest.mark.parametrize("pair", [p for p in TUNING if p["category"] in COACHED + ("filler",)], ids=lambda p: p["id"])
def test_coaching_categories_on_tuning_pairs(pair):
    verdict = judge(pair["statement"], pair["paraphrase"])
    assert verdict.category == pair["category"]
    assert verdict.praise == ()
    assert verdict.score < PARTIAL_AT


@pytest.mark.parametrize(
    "pair", [p for p in HELDOUT if p["category"] in ("always_never", "fixing")], ids=lambda p: p["id"]
)
def test_absolutes_and_fixing_on_heldout_pairs(pair):
    assert judge(pair["statement"], pair["paraphrase"]).category == pair["category"]


@pytest.mark.parametrize(
    "pair",
    [p for p in TUNING + HELDOUT if p["category"] == "faithful" and p["kind"] == "same_words"],
    ids=lambda p: p["id"],
)
def test_word_for_word_mirrors_are_faithful(pair):
    verdict = judge(pair["statement"], pair["paraphrase"])
    assert verdict.category == "faithful" and verdict.score >= FAITHFUL_AT


def test_other_words_for_evenings_and_time_to_myself_are_faithful():
    verdict = judge("I never get any time to myself in the evenings.", "you never get time alone at night")
    assert verdict.category == "faithful" and verdict.score >= FAITHFUL_AT
    assert verdict.praise == ("time alone", "at night")


def test_mockery_is_not_praised():
    verdict = judge("You never listen to me when you're on your phone.", "Oh poor you, I never listen... Boo hoo.")
    assert verdict.category == "mocking" and verdict.praise == () and verdict.score < PARTIAL_AT
    assert "boo hoo" in verdict.markers


@pytest.mark.parametrize(
    "statement, paraphrase",
    [
        ("Since the baby came I really miss our evenings", "evenings since baby"),
        (
            "Since the baby arrived I really miss our evenings together.",
            "So since baby came, you really miss our evenings together.",
        ),
        ("I really need you, baby", "you really need me, baby, since forever"),
    ],
)
def test_filler_is_never_praised(statement, paraphrase):
    verdict = judge(statement, paraphrase)
    assert not {"since", "baby", "really", "so", "forever"} & set(verdict.praise)


@pytest.mark.parametrize(
    "statement, paraphrase, category",
    [
        ("I feel like I do everything around here", "You're exaggerating.", "rebuttal"),
        ("I'm tired of the drama with your sister", "you're tired of the drama with my sister", None),
        ("You never help with the dishes", "I never help with the dishes", None),
        ("I always end up cooking", "you always end up cooking", None),
        ("I want to go to bed earlier", "you always want to go to bed early", "always_never"),
        ("I should call my mum more", "you should call your mum more", None),
        ("I'm stressed about work", "you should quit your job", "fixing"),
        ("I'm worried about the bills", "whatever", "mocking"),
        ("I'm lonely in the evenings", "Well, it sounds like you're lonely in the evenings", None),
        ("My mum and I had a fight", "You and your mum had a fight", None),
        ("I'm tired of the fighting with your sister", "you're tired of the drama with my sister", None),
        ("I always end up doing bedtime", "you're the one who always does bedtime", None),
        (
            "I work hard to keep the house tidy and nobody notices",
            "you try to keep the house tidy and nobody notices",
            None,
        ),
        ("I want you to fix the tap", "you want me to fix it", None),
        ("I feel it's unfair that I cook every night", "you feel it's not fair that you cook every night", None),
    ],
)
def test_coaching_markers_both_ways_and_not_when_the_statement_said_them(statement, paraphrase, category):
    assert coaching_category(statement, paraphrase)[0] == category


@pytest.mark.parametrize("paraphrase", ["yeah okay", "mm hmm, right, sure", "I hear you", "", "uh, well, you know"])
def test_acknowledgements_alone_are_filler(paraphrase):
    verdict = judge("I'm lonely in the evenings", paraphrase)
    assert verdict.category == "filler" and verdict.score == 0.0 and verdict.praise == ()


def test_compatible_with_the_overlap_call():
    result = matching.overlap("I've been worried about money", "you're anxious about cash")
    assert result.score >= FAITHFUL_AT and result.caught == result.praise and "anxious" in result.caught
    assert matching.overlap("I miss my sister", "the car needs tyres").score == 0.0


def test_synonyms_count_and_unrelated_words_do_not():
    j = Judge()
    assert j.judge("I'm exhausted after work", "you're worn out after your job").score >= FAITHFUL_AT
    assert j.judge("I'm exhausted after work", "the garden needs weeding").score < PARTIAL_AT


def test_word_table_lookups():
    table = WordTable()
    first = table._map[: table._map.find(b"\t")].decode()
    assert table.has(first) and table.has("evening") and table.has("worn out")
    assert not table.has("zzzzqx") and not table.has("")
    assert table.lookup("anxious").synsets & table.lookup("nervous").synsets


def test_missing_word_table_is_one_clear_line(tmp_path):
    with pytest.raises(WordTableError) as err:
        WordTable(tmp_path / "absent.tsv")
    assert "\n" not in str(err.value) and "absent.tsv" in str(err.value)


def test_word_table_is_sorted_so_binary_search_finds_every_key():
    lines = (Path(__file__).parents[1] / "assistant" / "data" / "wordnet_table.tsv").read_text().splitlines()
    keys = [line.split("\t", 1)[0] for line in lines]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    table = WordTable()
    assert all(table.has(k) for k in keys[:50] + keys[len(keys) // 2 : len(keys) // 2 + 50] + keys[-50:])


def test_a_missing_word_table_costs_synonyms_not_the_session(monkeypatch, capsys):
    from assistant.text import paraphrase

    def broken(*_args, **_kwargs):
        raise WordTableError("cannot read the word table /nowhere/wordnet_table.tsv: FileNotFoundError")

    monkeypatch.setattr(paraphrase, "WordTable", broken)
    paraphrase.default_judge.cache_clear()
    try:
        same = paraphrase.judge("I'm worried about money", "you're worried about money")
        other = paraphrase.judge("I'm worried about money", "you're anxious about cash")
    finally:
        paraphrase.default_judge.cache_clear()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "judging by word stems only" in err
    assert same.category == "faithful"
    assert other.score < same.score  # no WordNet: "cash" is not "money" any more (groups still work)
