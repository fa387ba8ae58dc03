from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from assistant.store.journal import Journal, JournalError


def record(rid="s1", outcome="in_progress", **entry):
    return {
        "id": rid,
        "started_at": "2026-11-25T18:00:00",
        "ended_at": None,
        "partners": ["Maya", "Sam"],
        "outcome": outcome,
        "exercises": [entry] if entry else [],
    }


def test_save_replaces_the_session_row(tmp_path):
    journal = Journal(tmp_path / "j" / "journal.sqlite3", keep="full")
    journal.save(record(exercise="name-a-feeling", feeling="calm"))
    journal.save(record(outcome="completed", exercise="name-a-feeling", feeling="calm", reason="quiet day"))
    rows = journal.records()
    assert len(rows) == 1 and rows[0]["outcome"] == "completed" and rows[0]["exercises"][0]["reason"] == "quiet day"


def test_summary_keeps_no_free_text(tmp_path):
    journal = Journal(
        tmp_path / "journal.sqlite3", keep="summary", free_text={"name-a-feeling:reason", "paraphrase-back:statement"}
    )
    journal.save(record(exercise="name-a-feeling", feeling="calm", reason="a secret reason"))
    assert journal.records()[0]["exercises"][0] == {"exercise": "name-a-feeling", "feeling": "calm"}
    assert b"a secret reason" not in (tmp_path / "journal.sqlite3").read_bytes()


def test_keep_none_writes_nothing(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3", keep="none")
    journal.save(record())
    assert not (tmp_path / "journal.sqlite3").exists()


def test_bad_keep_level():
    with pytest.raises(JournalError):
        Journal("x", keep="everything")


def test_corrupt_database_is_moved_aside(tmp_path, capsys):
    path = tmp_path / "journal.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    journal = Journal(path, keep="full")
    journal.save(record())
    assert len(journal.records()) == 1
    aside = list(tmp_path.glob("journal.sqlite3.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")
    assert "moved it to" in capsys.readouterr().err


def test_disk_full_keeps_the_record_in_memory_and_retries(tmp_path, capsys):
    journal = Journal(tmp_path / "journal.sqlite3", keep="full")
    journal.save(record("s0"))
    db = journal._connect()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")  # the database cannot grow: SQLITE_FULL
    big = record("s1", exercise="paraphrase-back", statement="x" * 20000)
    assert journal.save(big) is False
    assert "retrying" in capsys.readouterr().err
    assert "s1" in journal.pending
    db.execute("PRAGMA max_page_count = 1000000")
    assert journal.save(record("s2")) is True
    assert {r["id"] for r in journal.records()} == {"s0", "s1", "s2"}


def test_stale_sessions_are_closed_as_abandoned(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3", keep="full")
    journal.save(record("dead", exercise="name-a-feeling", feeling="calm"))
    assert journal.close_stale() == 1
    assert journal.records()[0]["outcome"] == "abandoned"


def test_forget_leaves_nothing_readable(tmp_path):
    path = tmp_path / "journal.sqlite3"
    journal = Journal(path, keep="full")
    journal.save(record(exercise="name-a-feeling", feeling="calm", reason="the unforgettable weekend"))
    assert journal.forget() == 1
    journal.close()
    for file in tmp_path.iterdir():
        assert b"unforgettable" not in file.read_bytes()
    assert Journal(path).records() == []


# --------------------------------------------------------------------------- upgrades

FIXTURES = Path(__file__).parent / "fixtures"


def _old_journal(tmp_path):
    path = tmp_path / "journal.sqlite3"
    shutil.copy(FIXTURES / "journal-v0.1.0.sqlite3", path)
    return path


def test_a_journal_written_by_0_1_0_opens_with_every_record(tmp_path):
    from assistant.store.journal import SCHEMA_VERSION

    expected = json.loads((FIXTURES / "journal-v0.1.0.json").read_text())["records"]
    path = _old_journal(tmp_path)
    journal = Journal(path, keep="summary")
    assert journal.records() == expected
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION >= 2
    assert journal.close_stale() == 1, "the session 0.1.0 left in progress is closed as abandoned"
    journal.save({"id": "new", "started_at": "2026-12-01T19:00:00", "outcome": "completed", "exercises": []})
    journal.close()
    again = Journal(path).records()
    assert len(again) == len(expected) + 1
    assert [r for r in again if r["id"] != "new"] == [
        r if r["outcome"] != "in_progress" else {**r, "outcome": "abandoned"} for r in expected
    ]
    assert sum(len(r["exercises"]) for r in expected) >= 18 and {"completed", "in_progress"} == {
        r["outcome"] for r in expected
    }


def test_a_failing_migration_changes_nothing(tmp_path, monkeypatch):
    from assistant.store import journal as journal_mod

    path = _old_journal(tmp_path)

    def broken(db):
        db.execute("DELETE FROM sessions")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setitem(journal_mod.MIGRATIONS, journal_mod.SCHEMA_VERSION + 1, broken)
    monkeypatch.setattr(journal_mod, "SCHEMA_VERSION", journal_mod.SCHEMA_VERSION + 1)
    with pytest.raises(JournalError, match="could not upgrade .* it is unchanged"):
        Journal(path).records()
    assert not list(tmp_path.glob("*.corrupt-*")), "a failed upgrade is not corruption"
    expected = json.loads((FIXTURES / "journal-v0.1.0.json").read_text())["records"]
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM sessions").fetchone()[0] == len(expected), (
        "the rolled-back step kept every record"
    )
    assert db.execute("PRAGMA user_version").fetchone()[0] == journal_mod.SCHEMA_VERSION - 1, (
        "the steps before it stay done"
    )


def test_a_record_step_rewrites_every_record(tmp_path, monkeypatch):
    from assistant.store import journal as journal_mod

    path = _old_journal(tmp_path)
    Journal(path).records()
    step = journal_mod.record_step(lambda r: {**r, "schema": 3})
    monkeypatch.setitem(journal_mod.MIGRATIONS, journal_mod.SCHEMA_VERSION + 1, step)
    monkeypatch.setattr(journal_mod, "SCHEMA_VERSION", journal_mod.SCHEMA_VERSION + 1)
    assert {r.get("schema") for r in Journal(path).records()} == {3}


def test_a_journal_from_a_newer_release_is_refused_untouched(tmp_path):
    path = _old_journal(tmp_path)
    db = sqlite3.connect(path)
    db.execute("PRAGMA user_version = 99")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(JournalError, match="written by a newer Check-in"):
        Journal(path).records()
    assert path.read_bytes() == before
