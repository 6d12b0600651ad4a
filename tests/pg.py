"""A throwaway PostgreSQL cluster for the tests: initdb into a temp folder, one free 127.0.0.1 port, stopped at the end.

As root the server runs as the `postgres` user (PostgreSQL refuses to run as root), via `runuser`.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"
USER = "chokepoint"


class Unavailable(RuntimeError):
    """PostgreSQL cannot run here; the message says why and what to install."""


def server_bin() -> Path:
    """The folder holding initdb and pg_ctl: Debian's newest /usr/lib/postgresql/N/bin, else PATH."""
    candidates = sorted(glob.glob(BIN_GLOB), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                        else 0)
    for folder in reversed(candidates):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    raise Unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found: Debian `apt-get install postgresql`")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """One running server; `create_database()` hands each test its own empty database."""

    def __init__(self) -> None:
        try:
            import psycopg  # noqa: F401 - the driver the tests use
        except ImportError as exc:
            raise Unavailable("the psycopg driver is not installed: pip install 'psycopg[binary]>=3.1'") from exc
        self.bin = server_bin()
        self.password = secrets.token_hex(16)
        self.base = Path(tempfile.mkdtemp(prefix="chokepoint-pg-"))
        self.data = self.base / "data"
        self.port = 0
        self._names = itertools.count(1)
        self._run_as = self._owner()
        try:
            self._initdb()
            self._start()
        except BaseException:
            shutil.rmtree(self.base, ignore_errors=True)
            raise

    def _owner(self) -> list[str]:
        """As root: chown the folder to `postgres` and run the server binaries as that user."""
        if os.geteuid() != 0:
            return []
        try:
            user = pwd.getpwnam("postgres")
        except KeyError as exc:
            raise Unavailable("running as root needs a `postgres` system user (Debian package postgresql)") from exc
        os.chown(self.base, user.pw_uid, user.pw_gid)
        return ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._run_as, *args], capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.base / "server.log"
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr}{done.stdout}"
                               + (log.read_text(errors="replace")[-2000:] if log.exists() else ""))

    def _initdb(self) -> None:
        pwfile = self.base / "pw"
        pwfile.write_text(self.password + "\n")
        if self._run_as:
            user = pwd.getpwnam("postgres")
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, f"--pwfile={pwfile}",
                  "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
        pwfile.unlink()

    def _start(self) -> None:
        # A throwaway cluster: no fsync, so the suite stays fast. Sockets only in the temp folder and on 127.0.0.1.
        for _attempt in range(3):
            self.port = _free_port()
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.base} -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.base / "server.log"),
                          "-w", "-t", "60", "-o", options, "start")
                return
            except RuntimeError:
                if _attempt == 2:
                    raise

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=USER, password=self.password,
                             dbname="postgres", autocommit=True) as conn:
            conn.execute(statement)  # type: ignore[arg-type] - names below come from a counter, never from input

    def create_database(self, template: str | None = None) -> str:
        """A fresh database, empty or a copy of `template` (which must have no open connections); returns its name."""
        name = f"t{os.getpid()}_{next(self._names)}"
        copy = f' TEMPLATE "{template}"' if template else ""
        self._admin(f'CREATE DATABASE "{name}"{copy} STRATEGY FILE_COPY')  # FILE_COPY: no 8 MB WAL copy
        return name

    def connections(self, database: str) -> int:
        """How many sessions are connected to `database` (leak checks)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=USER, password=self.password,
                             dbname="postgres", autocommit=True) as conn:
            row = conn.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = %s", (database,)).fetchone()
        return int(row[0]) if row else 0

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)
