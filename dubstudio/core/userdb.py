"""SQLite databases in the user data dir that several processes write at once.

Batch dubbing runs parallel worker processes, and the editor may run beside them, all sharing the
voice library and the voice catalog's measurements. So every connection:
- uses write-ahead logging (readers never block the writer, the writer never blocks readers),
- waits for a lock instead of failing (`busy_timeout`), and
- writes only inside `transaction()`, which takes the write lock up front (`BEGIN IMMEDIATE`): a
  read-modify-write can then never interleave with another process's, and never deadlocks on a
  lock upgrade.
The schema is created or migrated under the same lock, keyed by `PRAGMA user_version`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dubstudio.core.errors import UserError

#: how long a writer waits for another process's transaction before giving up
BUSY_TIMEOUT_MS = 30_000


class DatabaseError(UserError):
    """A user database cannot be opened or written (damaged file, full disk, read-only folder)."""


def _fix(path: Path) -> str:
    return (
        f"Check that {path.parent} is writable and has free space; if the file is damaged, move it away "
        "(the application creates a new one)."
    )


def connect(path: Path, migrations: Sequence[str]) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path` and bring its schema up to date.

    `migrations[i]` is the SQL script that takes the schema from version i to i + 1; the file's
    `user_version` says which have run. Connections are in autocommit mode: reads see the latest
    committed state, writes go through `transaction()`.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise DatabaseError(f"cannot open the database ({exc})", path=path, fix=_fix(path)) from exc
    try:
        connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _retry_busy(lambda: connection.execute("PRAGMA journal_mode = WAL"))
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        with transaction(connection):
            version = connection.execute("PRAGMA user_version").fetchone()[0]
            for number in range(version, len(migrations)):
                for statement in _statements(migrations[number]):
                    connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {number + 1}")
    except sqlite3.Error as exc:
        connection.close()
        raise DatabaseError(f"the database is unusable ({exc})", path=path, fix=_fix(path)) from exc
    return connection


def _statements(script: str) -> list[str]:
    """A migration script split into statements (`executescript` would commit the open transaction)."""
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _retry_busy(run, attempts: int = 50) -> None:
    """Switching to WAL needs a moment alone with the file, and SQLite does not wait for it itself."""
    for attempt in range(attempts):
        try:
            run()
            return
        except sqlite3.OperationalError as exc:
            if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One atomic write: the write lock is taken at the start, committed at the end, rolled back on
    any error (a crash mid-way leaves the database as it was before)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class UserDatabase:
    """A database file opened on first use (creating it costs nothing until something is read)."""

    migrations: Sequence[str] = ()

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = connect(self.path, self.migrations)
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
