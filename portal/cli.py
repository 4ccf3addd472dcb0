"""`portal`: one command per step (db, demo, ingest, compute, serve) and `up` for all.

Every step is safe to repeat. Errors a user can fix print one line and exit 1.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from portal import logs
from portal.errors import UserError
from portal.settings import get_settings

app = typer.Typer(help="Omgevingsmonitor Den Haag: set up, load, compute and serve.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
out = Console()
err = Console(stderr=True)


def _db_url() -> str:
    from portal.db.connect import prepare

    return prepare(get_settings())


@app.command()
def db() -> None:
    """Start the private cluster (without DATABASE_URL), create the database, migrate."""
    from portal.db.connect import connect
    from portal.db.migrate import migrate

    url = _db_url()
    with connect(url) as conn:
        applied = migrate(conn)
    out.print(f"database ready ({len(applied)} migration(s) applied)")


@app.command()
def demo(seed: int = 518,
         scale: Annotated[str, typer.Option(help="city: Den Haag's demo data; nl: the national "
                                                  "scale set in var/scale-nl (README)")] = "city",
         gemeenten: Annotated[int, typer.Option(help="nl: how many gemeenten")] = 342) -> None:
    """Generate the seeded demo data that demo manifests (key `generator`) read."""
    from portal.ingest.demo import GENERATORS, generate_no2

    if scale not in ("city", "nl"):
        raise UserError(f"--scale {scale!r}: city or nl")
    if scale == "nl":
        from portal.ingest.demo_national import OUT, YEARS, write_set

        with Progress(transient=True) as bar:
            task = bar.add_task("scale set", total=3 * len(YEARS) + 1)
            counts = write_set(seed, OUT, gemeenten=gemeenten,
                               progress=lambda what: bar.update(task, advance=1, description=what))
        out.print(f"DEMO scale set in {OUT}: " + ", ".join(f"{n} {k}" for k, n in counts.items())
                  + f", 3 grids of 100 m × {len(YEARS)} years (seed {seed}). Use it with "
                  f"OM_CONFIG_DIR={OUT / 'config'} OM_DATASETS_DIR={OUT / 'datasets'} "
                  "OM_DATABASE_NAME=omgevingsmonitor_nl")
        return

    root = get_settings().datasets_dir
    buurten = root / "cbs-buurten-2024" / "buurten_2024_gm0518_rd.geojson"
    target = root / "generated" / "no2"
    paths = generate_no2(target, buurten, root / "lml-stations" / "lml_stations_denhaag_2013.csv",
                         seed=seed)
    for name, generate in GENERATORS.items():
        paths += generate(root / "generated" / name, buurten, seed=seed)
    out.print(f"demo data: {len(paths)} files in {target.parent} (seed {seed})")


@app.command()
def ingest(
    datasets: Annotated[list[str] | None, typer.Argument(help="dataset ids; default all")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate only, keep nothing")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="fail on any quarantined row")] = False,
) -> None:
    """Load datasets: a new version each, atomically; unchanged files are skipped.

    Exits 1 when a dataset is rejected (its previous version keeps serving), or with
    --strict when any row was quarantined.
    """
    from portal.db.connect import connect
    from portal.ingest.load import load
    from portal.ingest.manifest import select

    manifests = select(datasets)
    url = _db_url()
    table = Table("dataset", "version", "read", "loaded", "repaired", "quarantined", "result",
                  title="dry run: nothing kept" if dry_run else None)
    problems: list[str] = []
    with connect(url, autocommit=True) as conn, Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            TextColumn("{task.completed:,} rows"), TimeElapsedColumn(),
            console=err, transient=True) as progress:
        for m in manifests:
            task = progress.add_task(f"ingest {m.id}", total=None)
            try:
                r = load(conn, m, dry_run=dry_run,
                         progress=lambda n, t=task: progress.advance(t, n))
            except UserError as exc:
                problems.append(str(exc))
                table.add_row(m.id, "–", "", "", "", "", "[red]REJECTED[/]: " + str(exc))
                continue
            finally:
                progress.remove_task(task)
            result = "unchanged" if r.skipped else ("valid" if dry_run else "loaded")
            if r.rejected:
                first = r.reasons[0]
                result += f"; e.g. row {first[0]} {first[1]}: {first[3]}"
                if strict:
                    problems.append(f"{m.id}: {r.rejected} row(s) quarantined (--strict)")
                    result = "[red]FAILED (--strict)[/]; " + result
            table.add_row(m.id, str(r.version), f"{r.read:,}", f"{r.loaded:,}",
                          f"{r.repaired:,}", f"{r.rejected:,}", result)
    out.print(table)
    if problems:
        raise UserError(f"{len(problems)} dataset(s) not loaded: " + " | ".join(problems))


@app.command()
def compute(
    full: Annotated[bool, typer.Option("--full", help="recompute every indicator, "
                                       "not only those whose inputs changed")] = False,
) -> None:
    """Recompute area indicator values (only those whose datasets or method changed), their
    status against the vocabulary's norms, trends and goal progress."""
    from portal.db.connect import connect
    from portal.indicators.compute import compute as run
    from portal.ingest.gridfiles import ensure_grid_files
    from portal.ingest.manifest import all_manifests
    from portal.vocabulary.triplestore import ensure_store

    settings = get_settings()
    url = _db_url()
    with connect(url, autocommit=True) as conn, Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
            MofNCompleteColumn(), TimeElapsedColumn(), console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def band(dataset: str, done: int, total: int) -> None:
            if dataset not in tasks:
                tasks[dataset] = bar.add_task(f"grid {dataset}: bands", total=total)
            bar.update(tasks[dataset], completed=done)

        def done(step: str, seconds: float) -> None:  # a line per finished step, above the bars
            bar.console.print(f"  {step} {seconds:.1f}s", highlight=False)

        report = run(conn, settings.attention_margin_fraction, done, full=full, bands=band)
        store = bar.add_task("SPARQL store", total=None)
        t = time.perf_counter()
        ensure_store(url)  # the SPARQL store of the new data version
        sparql_seconds = time.perf_counter() - t
        bar.remove_task(store)
    ensure_grid_files(url, all_manifests())  # coverages and GeoTIFF downloads of each grid
    steps = {k: v for k, v in report.timings.items() if ":" not in k}
    steps["indicators"] = sum(v for k, v in report.timings.items() if ":" in k)
    steps["SPARQL store"] = sparql_seconds
    out.print("computed: " + ", ".join(f"{k} {v:.2f}s" for k, v in steps.items()))
    out.print(f"indicators recomputed: {len(report.computed)}"
              + (f" ({', '.join(report.computed)})" if report.computed else "")
              + f"; unchanged: {len(report.skipped)}")


@app.command()
def serve(workers: int = typer.Option(
        1, min=1, max=64, help="app processes (uvicorn workers); they share only PostgreSQL")
          ) -> None:
    """Serve the portal (/) and the OGC API (/ogc) on one port."""
    import uvicorn

    settings = get_settings()
    _check_port_free(settings.host, settings.port)
    url = _db_url()
    out.print(f"serving on {settings.public_url}/ (OGC API: {settings.public_url}/ogc)"
              + (f" with {workers} processes" if workers > 1 else ""))
    # one JSON line per request comes from the app itself (portal/web/requestlog.py)
    run = {"host": settings.host, "port": settings.port, "log_config": None,
           "log_level": "warning", "access_log": False}
    if workers == 1:
        from portal.web.app import create_app

        uvicorn.run(create_app(settings, url), **run)
        return
    from portal.web.app import prepare

    prepare(settings, url)
    os.environ["DATABASE_URL"] = url  # the workers' (spawned processes inherit it)
    uvicorn.run("portal.web.app:worker_app", factory=True, workers=workers, **run)


@app.command()
def up() -> None:
    """Everything in order: db, demo (if missing), ingest, compute, serve."""
    settings = get_settings()
    _check_port_free(settings.host, settings.port)
    db()
    from portal.ingest.demo import GENERATORS

    if not all((settings.datasets_dir / "generated" / name).exists()
               for name in ("no2", *GENERATORS)):
        demo()
    ingest(None, False, False)
    compute(full=False)
    serve(workers=1)


users = typer.Typer(help="Local staff accounts and their API tokens (roles: config/roles.yml).",
                    no_args_is_help=True)
app.add_typer(users, name="user")


@users.command("add")
def user_add(
    name: str,
    role: Annotated[list[str], typer.Option("--role", help="a role of config/roles.yml; repeat")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="read the password from standard input (scripts)")] = False,
) -> None:
    """Add a local account (or change its roles and password); asks for the password."""
    from portal.auth.accounts import add_user
    from portal.auth.policy import read_roles
    from portal.db.connect import connect

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with connect(_db_url(), autocommit=True) as conn:
        add_user(conn, name, password, role, set(read_roles()["roles"]))
    out.print(f"account {name}: roles {', '.join(sorted(set(role)))}")


@users.command("token")
def user_token(name: str, label: Annotated[str, typer.Option(help="what it is for")] = "script",
               days: Annotated[int, typer.Option(help="days valid")] = 90) -> None:
    """Make an API token for NAME and print it (it is shown only now)."""
    from portal.auth.accounts import account, create_token
    from portal.auth.policy import read_roles
    from portal.db.connect import connect

    with connect(_db_url(), autocommit=True) as conn:
        if account(conn, name) is None:
            raise UserError(f"no enabled account {name!r}: add it with `portal user add`")
        max_days = int((read_roles().get("tokens") or {}).get("max_days", 365))
        print_token = create_token(conn, name, label, days, max_days)
    out.print(print_token, highlight=False, soft_wrap=True)


@users.command("revoke")
def user_revoke(name: str, token_id: int) -> None:
    """Revoke token TOKEN_ID of NAME (the ids are on the account page)."""
    from portal.auth.accounts import revoke_token
    from portal.db.connect import connect

    with connect(_db_url(), autocommit=True) as conn:
        if not revoke_token(conn, name, token_id):
            raise UserError(f"{name} has no active token {token_id}")
    out.print(f"token {token_id} of {name} revoked")


@app.command("fetch")
def fetch_cmd(
    datasets: Annotated[list[str] | None,
                        typer.Argument(help="dataset ids; default all remote")] = None,
) -> None:
    """Download remote sources (manifest `source.fetch`) into var/sources/<id>/, with
    conditional requests; unchanged upstream makes no new version. Exits 1 on any failure
    (one line naming dataset and URL); what was current stays current."""
    from portal.fetch.run import fetch, remote
    from portal.ingest.manifest import select

    problems = []
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,} bytes/rows"), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        for m in remote(select(datasets)):
            task = progress.add_task(f"fetch {m.id}", total=None)
            try:
                f = fetch(m, lambda n, t=task: progress.advance(t, n))
            except UserError as exc:
                problems.append(str(exc))
                out.print(f"{m.id}: [red]FAILED[/] {exc}", highlight=False)
                continue
            finally:
                progress.remove_task(task)
            what = "new files" if f.changed else "unchanged upstream"
            out.print(f"{m.id}: {what} ({f.files} file(s), {f.bytes:,} bytes)", highlight=False)
    if problems:
        raise UserError(f"{len(problems)} source(s) not fetched: " + " | ".join(problems))


@app.command()
def update(
    force: Annotated[bool, typer.Option("--force",
                                        help="fetch every remote source, due or not")] = False,
) -> None:
    """Fetch what is due by each manifest's `update:` interval, ingest what changed and
    recompute — under a lock: two runs never overlap. For a systemd timer or cron."""
    from portal.db.connect import connect
    from portal.fetch.run import UPDATE_LOCK, due, fetch, remote
    from portal.ingest.load import load
    from portal.ingest.manifest import all_manifests

    url = _db_url()
    with connect(url, autocommit=True) as lock:
        if not lock.execute("SELECT pg_try_advisory_lock(%s)", (UPDATE_LOCK,)).fetchone()[0]:
            raise UserError("another `portal update` is running; this one does nothing")
        problems, loaded = [], []
        for m in remote(all_manifests()):
            if not (force or due(m)):
                out.print(f"{m.id}: not due", highlight=False)
                continue
            try:
                f = fetch(m)
                if not f.changed:
                    out.print(f"{m.id}: unchanged upstream, nothing to load", highlight=False)
                    continue
                with connect(url, autocommit=True) as conn:
                    r = load(conn, m)
            except UserError as exc:
                problems.append(str(exc))
                out.print(f"{m.id}: [red]FAILED[/] {exc}", highlight=False)
                continue
            if r.skipped:
                out.print(f"{m.id}: fetched, same data as version {r.version}", highlight=False)
            else:
                loaded.append(m.id)
                out.print(f"{m.id}: loaded version {r.version} ({r.loaded:,} rows)",
                          highlight=False)
        if loaded:
            compute()
        else:
            out.print("nothing new: nothing recomputed", highlight=False)
    if problems:
        raise UserError(f"{len(problems)} source(s) not updated: " + " | ".join(problems))


@app.command("stop-db")
def stop_db() -> None:
    """Stop the private cluster (data is kept under var/pgdata)."""
    from portal.db import cluster

    cluster.stop()
    out.print("private cluster stopped")


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise UserError(f"port {port} on {host} is already in use: stop the program using it "
                            "or choose another port with OM_PORT=…") from None


def main() -> None:
    logs.configure()
    try:
        app()
    except UserError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
