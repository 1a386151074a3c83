"""SQLite store of finished runs: one row per task, committed the moment the task finishes.

The store is one file. A row is keyed by :attr:`zonocomb.experiments.tasks.Task.key`; rows with
``status = 'ok'`` are *finished* and are skipped when a sweep is re-run, rows with
``status = 'error'`` (the method raised) are retried and overwritten. Each :meth:`RunStore.put` is
its own transaction, so an interrupted sweep loses only the tasks still in flight, and of those
only the work since their last checkpoint: a second table, ``checkpoints``, holds one JSON text
per unfinished run that saves them (:meth:`RunStore.save_checkpoint`, which creates the table;
the local searches' :class:`~zonocomb.search.checkpoint.SearchCheckpoint`), deleted when the run's
``'ok'`` row is put.

Concurrency: one :class:`RunStore` may be shared by threads of one process (a lock serialises
its connection); several processes may open the same file (WAL journal, 60 s busy timeout).

An existing file is inspected read-only before it is opened for writing: a directory, a file that
is not SQLite, a damaged (e.g. truncated) database or a database of some other program (any table
other than ``runs`` and ``checkpoints``, or a ``runs`` table with other columns) is refused and
left untouched.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from ..errors import InvalidInputError

_SQLITE_MAGIC = b"SQLite format 3\x00"
_REQUIRED = {"key", "experiment", "method", "seed", "config", "status", "finished_at"}

__all__ = ["RunStore", "COLUMNS"]

#: Columns of the ``runs`` table, in order.
COLUMNS = ("key", "experiment", "method", "seed", "config", "status", "loss", "loss_recomputed",
           "accuracy", "n_solves", "n_steps", "seconds", "wall_seconds", "cpu_seconds", "error",
           "finished_at")

#: SQLite types of the optional columns (added to a store written before they existed).
_TYPES = {"loss": "REAL", "loss_recomputed": "REAL", "accuracy": "REAL", "n_solves": "INTEGER",
          "n_steps": "INTEGER", "seconds": "REAL", "wall_seconds": "REAL", "cpu_seconds": "REAL",
          "error": "TEXT"}

_CHECKPOINTS = """
CREATE TABLE IF NOT EXISTS checkpoints (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    saved_at TEXT NOT NULL
)
"""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,
    experiment TEXT NOT NULL,
    method TEXT NOT NULL,
    seed INTEGER NOT NULL,
    config TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('ok', 'error')),
    loss REAL,
    loss_recomputed REAL,
    accuracy REAL,
    n_solves INTEGER,
    n_steps INTEGER,
    seconds REAL,
    wall_seconds REAL,
    cpu_seconds REAL,
    error TEXT,
    finished_at TEXT NOT NULL
)
"""


class RunStore:
    """The SQLite file of finished runs.

    Parameters
    ----------
    path : path-like
        The database file (created with its parent directory if absent).

    Raises
    ------
    InvalidInputError
        ``path`` is a directory, not a SQLite file, a damaged database, or another program's
        database (checked read-only; such a file is never modified).

    Examples
    --------
    >>> import tempfile, os
    >>> with RunStore(os.path.join(tempfile.mkdtemp(), "r.sqlite")) as st:
    ...     st.put({"key": "k", "experiment": "e", "method": "gls", "seed": 0, "config": {"m": 2},
    ...             "status": "ok", "loss": 0.5})
    ...     sorted(st.finished_keys()), st.get(["k"])[0]["config"]
    (['k'], {'m': 2})
    """

    def __init__(self, path):
        self.path = Path(path)
        _check_existing(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), timeout=60.0, check_same_thread=False,
                                     isolation_level=None)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(_SCHEMA)
            have = {row[1] for row in self._conn.execute("PRAGMA table_info(runs)")}
            for column in COLUMNS:                       # a store written before a column existed
                if column not in have:
                    self._conn.execute(f"ALTER TABLE runs ADD COLUMN {column} {_TYPES[column]}")

    # ----- writing -----------------------------------------------------------------------------
    def put(self, record: dict) -> None:
        """Insert or replace the row of ``record["key"]`` and commit at once.

        ``record`` holds some of :data:`COLUMNS`; ``config`` may be a dict (stored as JSON);
        ``finished_at`` defaults to now (UTC, ISO 8601). A finished run's checkpoint is deleted in
        the same transaction.
        """
        unknown = set(record) - set(COLUMNS)
        if unknown:
            raise InvalidInputError(f"unknown run-record fields {sorted(unknown)}; allowed: {COLUMNS}")
        for field in ("key", "experiment", "method", "seed", "config", "status"):
            if record.get(field) is None:
                raise InvalidInputError(f"run record lacks the required field {field!r}")
        row = dict(record)
        if not isinstance(row["config"], str):
            row["config"] = json.dumps(row["config"], sort_keys=True)
        row.setdefault("finished_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
        cols = [c for c in COLUMNS if c in row]
        sql = (f"INSERT OR REPLACE INTO runs ({', '.join(cols)}) "
               f"VALUES ({', '.join('?' for _ in cols)})")
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute(sql, [row[c] for c in cols])
                if row["status"] == "ok" and self._has_checkpoints():
                    self._conn.execute("DELETE FROM checkpoints WHERE key = ?", (row["key"],))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def save_checkpoint(self, key: str, state: str) -> None:
        """Store (replace) the checkpoint ``state`` (a text, e.g. JSON) of the unfinished run
        ``key`` and commit at once."""
        if not isinstance(key, str) or not isinstance(state, str):
            raise InvalidInputError("a checkpoint needs a str key and a str state")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with self._lock:
            self._conn.execute(_CHECKPOINTS)
            self._conn.execute("INSERT OR REPLACE INTO checkpoints (key, state, saved_at) VALUES (?, ?, ?)",
                               (key, state, now))

    def drop_checkpoint(self, key: str) -> None:
        """Delete the checkpoint of the run ``key``, if any, and commit at once."""
        with self._lock:
            if self._has_checkpoints():
                self._conn.execute("DELETE FROM checkpoints WHERE key = ?", (key,))

    def checkpoint(self, key: str) -> str | None:
        """The checkpoint saved for the run ``key``, or None."""
        with self._lock:
            if not self._has_checkpoints():
                return None
            row = self._conn.execute("SELECT state FROM checkpoints WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def checkpoint_keys(self) -> set[str]:
        """Keys of the runs that have a checkpoint (unfinished runs that were interrupted)."""
        with self._lock:
            if not self._has_checkpoints():
                return set()
            return {k for (k,) in self._conn.execute("SELECT key FROM checkpoints")}

    def _has_checkpoints(self) -> bool:
        """Whether the ``checkpoints`` table exists (the first :meth:`save_checkpoint` creates it,
        so that opening a store, e.g. to report on it, leaves a store without checkpoints as it
        was). Call with the lock held."""
        return self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkpoints'"
                                  ).fetchone() is not None

    def import_runs(self, path, keys) -> int:
        """Copy into this store the finished runs (status 'ok') of ``keys`` that the store at
        ``path`` holds and this one has not finished; the other file is only read. Returns the
        number of runs copied. (Runs are keyed by configuration, method and seed, so the tables'
        runs are the figures' runs: a figure's store can be filled from the tables' stores.)

        Raises
        ------
        InvalidInputError
            No file at ``path``, or not a zonocomb run store.
        """
        path = Path(path)
        if not path.is_file():
            raise InvalidInputError(f"no run store at {path} to import from")
        _check_existing(path)
        if path.resolve() == self.path.resolve():
            return 0
        wanted = sorted(set(keys) - self.finished_keys())
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            have = [c for c in COLUMNS if c in {r[1] for r in conn.execute("PRAGMA table_info(runs)")}]
            rows = []
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                rows += conn.execute(f"SELECT {', '.join(have)} FROM runs WHERE status = 'ok' AND key IN "
                                     f"({', '.join('?' for _ in chunk)})", chunk).fetchall()
        finally:
            conn.close()
        for values in rows:
            self.put(dict(zip(have, values)))
        return len(rows)

    # ----- reading -----------------------------------------------------------------------------
    def finished_keys(self) -> set[str]:
        """Keys of the runs that finished successfully (status 'ok')."""
        with self._lock:
            return {k for (k,) in self._conn.execute("SELECT key FROM runs WHERE status = 'ok'")}

    def get(self, keys) -> list[dict]:
        """The rows of the given keys that exist (any status), as dicts with ``config`` parsed."""
        keys = list(keys)
        out = []
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start:start + 500]
                cur = self._conn.execute(
                    f"SELECT {', '.join(COLUMNS)} FROM runs WHERE key IN ({', '.join('?' for _ in chunk)})",
                    chunk)
                out.extend(self._row(r) for r in cur.fetchall())
        return out

    def rows(self, experiment: str | None = None) -> list[dict]:
        """All rows, or those whose task was last run by ``experiment``."""
        sql = f"SELECT {', '.join(COLUMNS)} FROM runs"
        args: tuple = ()
        if experiment is not None:
            sql += " WHERE experiment = ?"
            args = (experiment,)
        with self._lock:
            return [self._row(r) for r in self._conn.execute(sql + " ORDER BY key", args).fetchall()]

    def count(self) -> int:
        with self._lock:
            return self._conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

    @staticmethod
    def _row(values) -> dict:
        row = dict(zip(COLUMNS, values))
        row["config"] = json.loads(row["config"])
        return row

    # ----- lifetime ----------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "RunStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _check_existing(path: Path) -> None:
    """Refuse, without writing to it, a path that is not an empty file or a store of ours."""
    if path.is_dir():
        raise InvalidInputError(f"the run store {path} is a directory; give a file name such as "
                                f"{path / 'results.sqlite'}")
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        head = fh.read(len(_SQLITE_MAGIC))
    if head != _SQLITE_MAGIC:
        raise InvalidInputError(f"the run store {path} is not a SQLite database; refusing to touch it")
    try:
        # with a -wal file beside it (another process has the store open) read-only through the
        # WAL's locks, so that the read sees a consistent state while that process writes
        # (immutable would read pages mid-checkpoint); without one, immutable, so that no -shm
        # file is left beside a file that is not ours
        wal = Path(f"{path}-wal").exists()
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro{'' if wal else '&immutable=1'}", uri=True,
                               timeout=60.0)
        try:
            verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
            tables = {name for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
            columns = tuple(r[1] for r in conn.execute("PRAGMA table_info(runs)"))
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidInputError(f"the run store {path} is damaged ({exc}); move it away or give "
                                "another --db") from None
    if verdict != "ok":
        found = "; ".join(line.strip() for line in verdict.splitlines() if not line.startswith("***"))
        raise InvalidInputError(f"the run store {path} is damaged (quick_check: {found}); move it "
                                "away or give another --db")
    if tables - {"runs", "checkpoints"} or (tables and not _REQUIRED <= set(columns) <= set(COLUMNS)):
        raise InvalidInputError(
            f"{path} is another program's SQLite database (tables: {', '.join(sorted(tables))}), not a "
            "zonocomb run store; refusing to modify it")
