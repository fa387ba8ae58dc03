from __future__ import annotations

import pytest

from assistant.journal import Journal, JournalError


def record(rid="s1", outcome="in_progress", **entry):
    return {"id": rid, "started_at": "2026-11-25T18:00:00", "ended_at": None, "partners": ["Maya", "Sam"], "outcome": outcome, "exercises": [entry] if entry else []}


def test_save_replaces_the_session_row(tmp_path):
    journal = Journal(tmp_path / "j" / "journal.sqlite3", keep="full")
    journal.save(record(exercise="name-a-feeling", feeling="calm"))
    journal.save(record(outcome="completed", exercise="name-a-feeling", feeling="calm", reason="quiet day"))
    rows = journal.records()
    assert len(rows) == 1 and rows[0]["outcome"] == "completed" and rows[0]["exercises"][0]["reason"] == "quiet day"


def test_summary_keeps_no_free_text(tmp_path):
    journal = Journal(tmp_path / "journal.sqlite3", keep="summary", free_text={"name-a-feeling:reason", "paraphrase-back:statement"})
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
