"""The local journal: one SQLite row per session record, written after every answer.

Each save is one transaction, so a session cut short keeps everything said up to its last
answer.  The folder is private to its owner (0700) and the files 0600.  ``keep`` decides
what is stored: ``full`` records, ``summary`` (no free-form sentences, the default) or
``none`` (nothing at all).  A corrupt database is moved aside and a fresh one started; a
failed write (disk full) is kept in memory and retried on the next save.

The database carries its schema version (SQLite's ``user_version``; 0.1.0 wrote none, which
reads as 1) and is migrated forward on open, each step in one transaction, so an upgrade
keeps every record or changes nothing.  A journal from a newer Check-in is refused, untouched.
To change the layout or the records: add a step to :data:`MIGRATIONS` (``record_step``
rewrites every stored record) and raise :data:`SCHEMA_VERSION`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from ..formats.errors import Fault

KEEP_LEVELS = ("none", "summary", "full")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    outcome TEXT NOT NULL,
    record TEXT NOT NULL
)
"""


def _add_started_index(db: sqlite3.Connection) -> None:
    db.execute("CREATE INDEX IF NOT EXISTS sessions_by_start ON sessions (started_at)")


def record_step(change: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[sqlite3.Connection], None]:
    """A migration step that rewrites every stored record with ``change`` (for record changes)."""

    def step(db: sqlite3.Connection) -> None:
        for rid, text in db.execute("SELECT id, record FROM sessions").fetchall():
            record = change(json.loads(text))
            db.execute(
                "UPDATE sessions SET outcome = ?, record = ? WHERE id = ?",
                (record["outcome"], json.dumps(record, ensure_ascii=False), rid),
            )

    return step


MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    2: _add_started_index,  # 0.2: history reads in order of start without a full sort
}
"""Step to version N from N-1.  Version 1 is the 0.1.0 layout (the ``sessions`` table)."""
SCHEMA_VERSION = max(MIGRATIONS, default=1)


def migrate(db: sqlite3.Connection, path: Path) -> int:
    """Bring an open journal to :data:`SCHEMA_VERSION`; the version it had."""
    found = db.execute("PRAGMA user_version").fetchone()[0] or 1
    if found > SCHEMA_VERSION:
        raise JournalError(
            f"{path} was written by a newer Check-in (schema {found}, this one reads up to {SCHEMA_VERSION}); upgrade Check-in to open it"
        )
    for version in range(found + 1, SCHEMA_VERSION + 1):
        try:  # one transaction a step (DDL included): all of it or nothing
            db.execute("BEGIN IMMEDIATE")
            MIGRATIONS[version](db)
            db.execute(f"PRAGMA user_version = {int(version)}")
            db.commit()
        except sqlite3.Error as exc:
            db.rollback()
            raise JournalError(f"could not upgrade {path} to schema {version} ({exc}); it is unchanged") from None
    return int(found)


class JournalError(Fault):
    """The journal cannot be used at all (one line)."""

    def __str__(self) -> str:
        return f"journal: {super().__str__()}"


class JournalBusy(JournalError):
    """Another check-in is running on this journal (one at a time, so nothing is written twice)."""

    def __str__(self) -> str:
        return Exception.__str__(self)


def kept(record: Mapping[str, Any], entry: Mapping[str, Any]) -> set[str]:
    """Fields of ``entry`` the couple said yes to keeping ("shall I keep that?": its ``kept``,
    space-separated field names), kept even under ``summary``; none once the session or the
    entry met the safety rule (``safety``), whatever was said."""
    if record.get("safety") or entry.get("safety"):
        return set()
    return set(str(entry.get("kept") or "").split())


def _warn(message: str) -> None:
    print(f"checkin: journal: {message}", file=sys.stderr)


class Journal:
    def __init__(self, path: str | Path, keep: str = "summary", free_text: Iterable[str] = ()):
        if keep not in KEEP_LEVELS:
            raise JournalError(f"journal.keep must be one of {', '.join(KEEP_LEVELS)}, not {keep!r}")
        self.path = Path(path)
        self.keep = keep
        self.free_text = frozenset(free_text)
        """``exercise:field`` names holding free-form sentences (dropped unless keep is 'full')."""
        self.pending: dict[str, Mapping[str, Any]] = {}
        self._db: sqlite3.Connection | None = None

    # ------------------------------------------------------------------ connection

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.path.parent, 0o700)
        except OSError as exc:
            raise JournalError(f"cannot create {self.path.parent}: {exc.strerror}") from None
        old_umask = os.umask(0o077)
        try:
            db = self._open()
            try:
                migrate(db, self.path)
            except JournalError:
                db.close()
                raise
        finally:
            os.umask(old_umask)
        for suffix in ("", "-journal", "-wal", "-shm"):
            p = Path(str(self.path) + suffix)
            if p.exists():
                os.chmod(p, 0o600)
        self._db = db
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, timeout=5)
            db.execute("PRAGMA secure_delete = ON")
            db.execute(_SCHEMA)
            db.execute("SELECT count(*) FROM sessions").fetchone()
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
            db.commit()
            return db
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
                raise JournalError(f"{self.path} is locked by another process") from None
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
            try:
                db.close()
            except Exception:
                pass
            os.replace(self.path, aside)
            _warn(f"{self.path} was unreadable ({exc}); moved it to {aside.name} and started a new journal")
            db = sqlite3.connect(self.path, timeout=5)
            db.execute("PRAGMA secure_delete = ON")
            db.execute(_SCHEMA)
            db.commit()
            return db

    @contextlib.contextmanager
    def one_session(self) -> Iterator[None]:
        """Hold the journal for one check-in: a second one at the same time (another
        ``checkin chat``, or the speaker) raises :class:`JournalBusy` before it says or
        writes anything, instead of both writing and closing each other's session.  An
        advisory ``flock`` on ``<journal>.lock`` (0600, removed when released); a process
        that dies releases it."""
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise JournalError(f"cannot create {self.path.parent}: {exc.strerror}") from None
        while True:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", "replace").strip()
                os.close(fd)
                raise JournalBusy(
                    f"another check-in is running on this device{f' (process {holder})' if holder else ''}: "
                    "one at a time, so this one did not start and nothing was written; try again when it has ended"
                ) from None
            try:
                same = os.fstat(fd).st_ino == os.stat(lock).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)  # the holder removed the file as we opened it: take the new one
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
            yield
        finally:
            with contextlib.suppress(OSError):
                os.unlink(lock)
            os.close(fd)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # ------------------------------------------------------------------ writing

    def redact(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record as this journal keeps it."""
        out = dict(record)
        if self.keep == "full":
            return out
        out["exercises"] = [
            {k: v for k, v in e.items() if f"{e.get('exercise')}:{k}" not in self.free_text or k in kept(record, e)}
            for e in record.get("exercises", [])
        ]
        return out

    def save(self, record: Mapping[str, Any]) -> bool:
        """Store (or replace) a session record atomically.  False if it is only held in memory for now."""
        if self.keep == "none":
            return True
        self.pending[str(record["id"])] = self.redact(record)
        try:
            db = self._connect()
            with db:
                for rid, rec in list(self.pending.items()):
                    db.execute(
                        "INSERT INTO sessions (id, started_at, ended_at, outcome, record) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET ended_at=excluded.ended_at, outcome=excluded.outcome, record=excluded.record",
                        (
                            rid,
                            rec["started_at"],
                            rec.get("ended_at"),
                            rec["outcome"],
                            json.dumps(rec, ensure_ascii=False),
                        ),
                    )
            self.pending.clear()
            return True
        except sqlite3.OperationalError as exc:
            _warn(f"could not write ({exc}); keeping the record in memory and retrying at the next answer")
            return False

    def close_stale(self) -> int:
        """Mark sessions left 'in_progress' by a process that died as abandoned."""
        db = self._connect()
        rows = db.execute("SELECT id, record FROM sessions WHERE outcome = 'in_progress'").fetchall()
        with db:
            for rid, text in rows:
                rec = json.loads(text)
                rec["outcome"] = "abandoned"
                db.execute(
                    "UPDATE sessions SET outcome = 'abandoned', record = ? WHERE id = ?",
                    (json.dumps(rec, ensure_ascii=False), rid),
                )
        return len(rows)

    def forget_session(self, session_id: str) -> int:
        """Erase one session's record ("forget tonight"), leaving none of it readable: the
        row is deleted with secure_delete on and the file vacuumed; a copy waiting in memory
        for a retry goes too.  How many records went (0 or 1)."""
        self.pending.pop(str(session_id), None)
        if not self.path.exists():
            return 0
        db = self._connect()
        with db:
            n = db.execute("DELETE FROM sessions WHERE id = ?", (str(session_id),)).rowcount
        db.execute("VACUUM")
        return int(n)

    def forget(self) -> int:
        """Erase every record, leaving none of it readable: the rows are deleted and vacuumed
        (secure_delete), then the database files and any copies moved aside as corrupt are
        removed.  How many records there were."""
        n = 0
        if self.path.exists():
            db = self._connect()
            n = db.execute("SELECT count(*) FROM sessions").fetchone()[0]
            with db:
                db.execute("DELETE FROM sessions")
            db.execute("VACUUM")
            self.close()
        self.pending.clear()
        for file in [Path(str(self.path) + s) for s in ("", "-journal", "-wal", "-shm")] + list(
            self.path.parent.glob(self.path.name + ".corrupt-*")
        ):
            if file.exists():
                file.unlink()
        return int(n)

    # ------------------------------------------------------------------ reading

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        db = self._connect()
        rows = db.execute("SELECT record FROM sessions ORDER BY started_at, rowid").fetchall()
        return [json.loads(r[0]) for r in rows]
