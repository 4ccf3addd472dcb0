"""A private PostGIS cluster under var/pgdata, for when no DATABASE_URL is given.

It listens on loopback only (and a Unix socket inside the data folder), so a
developer machine's own PostgreSQL on 5432 is never touched. When run as root
(CI, containers) the server runs as the `postgres` OS user, because PostgreSQL
refuses to run as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
from pathlib import Path

from portal.errors import UserError
from portal.settings import VAR_DIR, Settings

PGDATA = VAR_DIR / "pgdata"
PGLOG = VAR_DIR / "postgres.log"
PORT_FILE = VAR_DIR / "pgport"  # the port this clone's cluster was given, kept across runs
SUPERUSER = "postgres"


def _bindir() -> Path:
    """Newest installed PostgreSQL whose share dir has the PostGIS extension."""
    root = Path("/usr/lib/postgresql")
    versions = sorted(
        (p for p in root.glob("*") if p.name.isdigit()), key=lambda p: int(p.name), reverse=True
    ) if root.exists() else []
    for v in versions:
        if (Path("/usr/share/postgresql") / v.name / "extension" / "postgis.control").exists():
            return v / "bin"
    raise UserError(
        "PostgreSQL with PostGIS is not installed: run `make run` (it installs "
        "postgresql and postgresql-*-postgis-3 with apt) or set DATABASE_URL."
    )


def _run_as_owner(args: list[str]) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        args = ["runuser", "-u", SUPERUSER, "--", *args]
    return subprocess.run(args, capture_output=True, text=True, check=False)


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def port(settings: Settings) -> int:
    """OM_EMBEDDED_PG_PORT if set; else the port chosen at the first start: the configured
    one when free, otherwise any free loopback port (two clones can run side by side)."""
    if os.environ.get("OM_EMBEDDED_PG_PORT"):
        return settings.embedded_pg_port
    if PORT_FILE.exists():
        return int(PORT_FILE.read_text())
    chosen = settings.embedded_pg_port
    if _port_open(chosen):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            chosen = s.getsockname()[1]
    VAR_DIR.mkdir(exist_ok=True)
    PORT_FILE.write_text(str(chosen))
    return chosen


def url(settings: Settings, dbname: str | None = None) -> str:
    return f"postgresql://{SUPERUSER}@127.0.0.1:{port(settings)}/{dbname or settings.database_name}"


class Cluster:
    """A PostgreSQL cluster of this clone on loopback: the private default (var/pgdata),
    or another one (a test's second server, a standby)."""

    def __init__(self, pgdata: Path = PGDATA, log: Path = PGLOG):
        self.pgdata = Path(pgdata)
        self.log = Path(log)

    def running(self) -> bool:
        return _run_as_owner([str(_bindir() / "pg_ctl"), "status", "-D",
                              str(self.pgdata)]).returncode == 0

    def ensure_running(self, pg_port: int) -> None:
        """Create (once) and start (if stopped). Safe to repeat."""
        bindir = _bindir()
        if not (self.pgdata / "PG_VERSION").exists():
            self.init(bindir)
        if self.running():
            return
        if _port_open(pg_port):
            raise UserError(
                f"port {pg_port} is in use by another program: stop it or set "
                "OM_EMBEDDED_PG_PORT to a free port (or set DATABASE_URL to use your own server).")
        self.start(pg_port)

    def start(self, pg_port: int) -> None:
        res = _run_as_owner([
            str(_bindir() / "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.pgdata),
            "-l", str(self.log),
            "-o", f"-p {pg_port} -c listen_addresses=127.0.0.1 -k {self.pgdata}"])
        if res.returncode != 0:
            tail = self.log.read_text(errors="replace").strip().splitlines()[-3:] \
                if self.log.exists() else []
            raise UserError(f"the private PostgreSQL cluster in {self.pgdata} did not start: "
                            + " | ".join(tail or [res.stderr.strip()]))

    def stop(self, mode: str = "fast") -> None:
        if (self.pgdata / "PG_VERSION").exists() and self.running():
            _run_as_owner([str(_bindir() / "pg_ctl"), "stop", "-m", mode, "-D",
                           str(self.pgdata)])

    def init_standby(self, primary_port: int) -> None:
        """A streaming hot standby of the cluster on `primary_port`: `pg_basebackup -R`
        (base backup, WAL streamed alongside, standby.signal and primary_conninfo written),
        so it follows the primary from then on. Start it with `start(port)`."""
        self._empty_folder()
        res = _run_as_owner([
            str(_bindir() / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port),
            "-U", SUPERUSER, "-D", str(self.pgdata), "-R", "-X", "stream", "-c", "fast"])
        if res.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise UserError(f"pg_basebackup into {self.pgdata} failed: "
                            f"{(res.stderr.strip().splitlines() or ['?'])[-1]}")

    def _empty_folder(self) -> None:
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.pgdata.exists():
            shutil.rmtree(self.pgdata)  # a half-made cluster from an interrupted run
        self.pgdata.mkdir(mode=0o700)
        if os.geteuid() == 0:
            pw = pwd.getpwnam(SUPERUSER)
            os.chown(self.pgdata, pw.pw_uid, pw.pw_gid)
            self.log.touch()
            os.chown(self.log, pw.pw_uid, pw.pw_gid)
            _check_traversable(self.pgdata)

    def init(self, bindir: Path | None = None) -> None:
        bindir = bindir or _bindir()
        self._empty_folder()
        res = _run_as_owner([
            str(bindir / "initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8"])
        if res.returncode != 0:
            shutil.rmtree(self.pgdata, ignore_errors=True)
            raise UserError(f"initdb failed for {self.pgdata}: "
                            f"{res.stderr.strip().splitlines()[-1]}")
        # Loopback only; trust is fine for a private development cluster that
        # accepts no outside connections.
        with open(self.pgdata / "postgresql.conf", "a", encoding="utf-8") as fh:
            fh.write("\n# omgevingsmonitor\nfsync = on\nshared_buffers = 256MB\n"
                     "work_mem = 32MB\nmax_connections = 100\n")


DEFAULT = Cluster()


def ensure_running(settings: Settings) -> None:
    """Create (once) and start (if stopped) the private cluster. Safe to repeat."""
    DEFAULT.ensure_running(port(settings))


def stop() -> None:
    DEFAULT.stop()


def _check_traversable(path: Path) -> None:
    for parent in path.parents:
        if parent == Path("/"):
            break
        if not os.stat(parent).st_mode & 0o001:
            raise UserError(
                f"{parent} is not readable by the postgres user, so the private cluster cannot "
                f"live under it: `chmod o+x {parent}` or set DATABASE_URL."
            )
