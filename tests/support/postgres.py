"""A real, throw-away PostgreSQL server for the tests and benchmarks.

``PostgresServer`` runs the machine's own ``initdb``/``pg_ctl`` (found on PATH or under
``/usr/lib/postgresql/*/bin``) into a temporary directory: trust authentication, no fsync,
a free port on 127.0.0.1 and its unix socket inside the same directory, so nothing of the
host's own PostgreSQL (if any) is touched. PostgreSQL refuses to run as root, so when the
tests run as root the server runs as the ``postgres`` system user (``runuser``, falling back
to ``setpriv``) and the directory is handed to that user.

Per-test isolation is a fresh database (``new_database``): ``CREATE DATABASE`` from
``template0`` costs about 10 ms with fsync off, far less than starting a server (about a
second), which happens once per test session.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

__all__ = ["PostgresNotAvailable", "PostgresServer", "find_pg_bin"]

_SUPERUSER = "postgres"
# Members of this role must log in with a password (scram-sha-256) over TCP; everyone else
# is trusted. Lets the tests exercise real password authentication.
PASSWORD_GROUP = "password_login"
_HBA = f"""\
local all all trust
host all +{PASSWORD_GROUP} 127.0.0.1/32 scram-sha-256
host all all 127.0.0.1/32 trust
"""


class PostgresNotAvailable(RuntimeError):
    """PostgreSQL is not installed here, or cannot be run; the message says what to do."""


def find_pg_bin() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``: PATH first, then Debian's layout."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).resolve().parent
    # Debian/Ubuntu keep the server binaries off PATH, one directory per major version.
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise PostgresNotAvailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under "
        "/usr/lib/postgresql/*/bin; install them with .ci/ensure-postgres "
        "(apt-get install postgresql)"
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as_prefix() -> list[str]:
    """Command prefix that drops root to the ``postgres`` user; empty when not root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise PostgresNotAvailable(
            "running as root and there is no 'postgres' system user to run the server as "
            "(PostgreSQL refuses to run as root); install the postgresql package or run "
            "the tests as a normal user"
        ) from None
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--"]
    if shutil.which("setpriv"):
        return ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]
    raise PostgresNotAvailable("running as root and neither runuser nor setpriv is available")


class PostgresServer:
    """One PostgreSQL cluster in a temp dir. Use as a context manager or start()/stop()."""

    def __init__(self) -> None:
        self.bin = find_pg_bin()
        self.prefix = _run_as_prefix()
        self.port = 0
        self.root: Path | None = None
        self._names = itertools.count(1)

    @property
    def data_dir(self) -> Path:
        assert self.root is not None, "server not started"
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        """A ``postgresql://`` URL as users write it in ``SYNCD_STATE_URL``."""
        return f"postgresql://{_SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        cmd = [*self.prefix, *args]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            log = ""
            with contextlib.suppress(OSError):
                log = (self.root / "server.log").read_text()[-2000:] if self.root else ""
            raise PostgresNotAvailable(
                f"{Path(args[0]).name} failed (exit {done.returncode}): "
                f"{done.stderr.strip() or done.stdout.strip()}\n{log}"
            )

    def start(self) -> PostgresServer:
        # Not under pytest's tmp dirs: those are private to root, the server runs as postgres.
        self.root = Path(tempfile.mkdtemp(prefix="syncd-pg-"))
        atexit.register(self.stop)  # also when a fixture's teardown never runs
        if self.prefix:
            shutil.chown(self.root, user="postgres")
        self._run(
            str(self.bin / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            _SUPERUSER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        (self.data_dir / "pg_hba.conf").write_text(_HBA)
        options = " ".join(
            [
                "-c listen_addresses=127.0.0.1",
                f"-k {self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        for _attempt in range(3):  # the free port may be taken between probe and bind
            self.port = _free_port()
            try:
                self._run(
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.root / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    f"-p {self.port} {options}",
                    "start",
                )
                break
            except PostgresNotAvailable:
                if _attempt == 2:
                    self.stop()
                    raise
        with self._admin() as conn:
            conn.execute(f"CREATE ROLE {PASSWORD_GROUP} NOLOGIN")
        return self

    def stop(self) -> None:
        """Stop the server (immediately: the data is thrown away) and delete the directory."""
        if self.root is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(PostgresNotAvailable, subprocess.TimeoutExpired):
                self._run(
                    str(self.bin / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "stop"
                )
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None
        atexit.unregister(self.stop)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- databases --------------------------------------------------------------------
    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url("postgres"), autocommit=True)

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        with self._admin() as conn:
            # The default WAL_LOG strategy: FILE_COPY would force a checkpoint each time.
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def create_login(self, name: str, password: str, database: str) -> str:
        """A role that must authenticate with ``password``, owning ``database``; its URL."""
        with self._admin() as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN PASSWORD {} IN ROLE {}").format(
                    sql.Identifier(name), sql.Literal(password), sql.Identifier(PASSWORD_GROUP)
                )
            )
            conn.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                    sql.Identifier(database), sql.Identifier(name)
                )
            )
        return f"postgresql://{name}:{password}@127.0.0.1:{self.port}/{database}"

    def drop_database(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @contextlib.contextmanager
    def new_database(self, prefix: str = "syncd_test") -> Iterator[str]:
        """A fresh empty database for one test; dropped (connections and all) afterwards."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        url = self.create_database(name)
        try:
            yield url
        finally:
            self.drop_database(name)
