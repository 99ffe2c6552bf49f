"""The `kiosk-service` command: serve, db upgrade, terminals import, config, keys, demo."""

from __future__ import annotations

import gc
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from kiosk_service.audit_cli import audit
from kiosk_service.config import TERMINALS_DIR
from kiosk_service.config_cli import config
from kiosk_service.errors import TerminalConfigError
from kiosk_service.keys_cli import keys
from kiosk_service.listener import ListenError, bind_listener
from kiosk_service.plan_load import plan_load_command
from kiosk_service.records import Role

DEMO_TERMINAL = TERMINALS_DIR / "demo-czk.toml"
DEMO_SECRET_ENV = "CASHMIX_DEMO_CZK_HOST_SECRET"
DEMO_SECRET = "demo-czk-development-secret"


def _app(config: dict | None = None):
    from kiosk_service.app import create_app

    return create_app(config)


def _deps(app):
    return app.extensions["cashmix"]


@contextmanager
def _session(config: dict | None = None) -> Iterator:
    """Yield the dependencies of an app built for one command, closed afterwards."""
    deps = _deps(_app(config))
    try:
        yield deps
    finally:
        deps.close()


@click.group()
def main() -> None:
    """Cashmix kiosk service: quotes, dispenses, cassettes and journal over HTTP."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int,
              help="Threads per process.")
@click.option("--processes", default=None, type=click.IntRange(min=1),
              help="Worker processes (gunicorn; POSIX only). Default: on PostgreSQL (a "
                   "central service) one per CPU, at most 8; on SQLite (one kiosk beside its "
                   "device) 1; and 1 when a terminal's dispenser lives in the process (sim://).")
def serve(host: str, port: int, threads: int, processes: int | None) -> None:
    """Serve the API: waitress in one process, gunicorn's threaded workers for several (the
    database must be migrated: `db upgrade`)."""
    listener = _listen(host, port)
    app = _app()            # start-up recovery runs here, once, before any worker starts
    deps = _deps(app)
    try:
        if not deps.schema_ready():
            raise click.ClickException(
                "the database is not migrated; run `kiosk-service db upgrade`")
        count = _processes(processes, deps)
    except click.ClickException:
        deps.close()
        listener.close()
        raise
    if count == 1:
        _serve(app, listener, host, threads)
        return
    from kiosk_service.workers import serve_workers

    deps.close()
    click.echo(f"{count} processes x {threads} threads; serving on "
               f"http://{host}:{listener.getsockname()[1]}", err=True)
    serve_workers(listener, processes=count, threads=threads,
                  build_app=lambda: _app({"RECOVER_ON_START": False}))


def _processes(asked: int | None, deps) -> int:
    """Return how many processes serve: `asked`, or the default (1 where several cannot run).
    Raises ClickException, one line, when `asked` is above 1 and several cannot run."""
    from kiosk_service.hardware.registry import shared_across_processes
    from kiosk_service.persistence.database import is_sqlite
    from kiosk_service.workers import default_processes, workers_supported

    # A kiosk on SQLite has one device and its writers queue anyway: one process is the
    # sensible default there; a central service on PostgreSQL uses the machine's CPUs.
    count = asked or (1 if is_sqlite(deps.engine) else default_processes())
    if count == 1:
        return 1
    with deps.unit_of_work() as uow:
        terminals = [uow.terminals.get(terminal_id) for terminal_id in uow.terminals.ids()]
    local = {t.id: deps.devices.url_for(t) for t in terminals
             if not shared_across_processes(deps.devices.url_for(t))}
    problem = None
    if local:
        terminal_id, url = next(iter(local.items()))
        others = f" (and {len(local) - 1} more)" if len(local) > 1 else ""
        problem = (f"terminal {terminal_id}{others} pays from a dispenser inside the process "
                   f"({url}), which processes cannot share: serve it with --processes 1, or "
                   "put it on an external device (xfs4iot://)")
    elif not workers_supported():
        problem = "several processes need gunicorn, which does not run here: --processes 1"
    if problem is None:
        return count
    if asked is None:
        return 1
    raise click.ClickException(problem)


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Migrate the database (DATABASE_URL) to the newest schema."""
    from kiosk_service.persistence.migrate import upgrade_database

    with _session({"RECOVER_ON_START": False}) as deps:
        upgrade_database(deps.engine)
    click.echo("database is up to date")


@main.group()
def terminals() -> None:
    """Terminal configuration."""


@terminals.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def import_(files: tuple[str, ...]) -> None:
    """Validate terminal TOML files and create or replace the terminals they describe."""
    from kiosk_service.services.terminals import import_terminal
    from kiosk_service.terminal_files import load_terminal_file

    loaded, failed = [], False
    for path in files:
        try:
            loaded.append(load_terminal_file(path))
        except TerminalConfigError as error:
            failed = True
            click.echo(f"{path}: invalid", err=True)
            for where, problems in error.errors.items():
                for problem in problems:
                    click.echo(f"  {where}: {problem}", err=True)
    if failed:
        sys.exit(1)
    with _session() as deps:
        for terminal in loaded:
            import_terminal(terminal, uow=deps.unit_of_work(), clock=deps.clock)
            click.echo(f"imported {terminal.id} ({len(terminal.cassettes)} cassettes)")


main.add_command(config)
main.add_command(audit)
main.add_command(plan_load_command)


main.add_command(keys)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--data-dir", default=None, type=click.Path(file_okay=False),
              help="Where the demo database goes (default: a new temporary folder, removed "
                   "when the demo stops).")
def demo(host: str, port: int, data_dir: str | None) -> None:
    """Run the demo: an empty SQLite database, the demo CZK terminal on the simulator, keys
    printed at start-up."""
    listener = _listen(host, port)
    try:
        with _demo_folder(data_dir) as folder:
            _demo(folder, listener, host, port)
    finally:
        listener.close()


@contextmanager
def _demo_folder(data_dir: str | None) -> Iterator[Path]:
    """Yield the demo's folder; a temporary one is removed afterwards, database and all."""
    if data_dir:
        folder = Path(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    folder = Path(tempfile.mkdtemp(prefix="cashmix-demo-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _demo(folder: Path, listener: socket.socket, host: str, port: int) -> None:
    from kiosk_service.persistence.migrate import upgrade_database
    from kiosk_service.services.keys import create_key
    from kiosk_service.services.terminals import import_terminal
    from kiosk_service.terminal_files import load_terminal_file

    database = folder / "cashmix.sqlite"
    database.unlink(missing_ok=True)
    os.environ.setdefault(DEMO_SECRET_ENV, DEMO_SECRET)
    app = _app({"DATABASE_URL": f"sqlite:///{database}", "TAKE_TIMEOUT_SECONDS": 30,
                "KIOSK_DEMO": True})
    deps = _deps(app)
    upgrade_database(deps.engine)
    terminal = import_terminal(load_terminal_file(DEMO_TERMINAL), uow=deps.unit_of_work(),
                               clock=deps.clock, actor="demo")
    issued = {role: create_key(role, terminal.id, uow=deps.unit_of_work(), clock=deps.clock,
                               label="demo", actor="demo")
              for role in (Role.KIOSK, Role.STAFF, Role.ADMIN)}
    # Demo only: the kiosk page hands this key to the browser (see kiosk_page).
    app.config["KIOSK_DEMO_KEY"] = issued[Role.KIOSK]
    base = f"http://{host}:{listener.getsockname()[1]}"
    click.echo(f"Cashmix demo: terminal {terminal.id} ({terminal.currency}) on "
               f"{deps.devices.url_for(terminal)}; database {database}")
    for role, key in issued.items():
        click.echo(f"  {role:<5} key: {key}")
    click.echo(f"  host secret: ${DEMO_SECRET_ENV}={os.environ[DEMO_SECRET_ENV]}")
    click.echo(f"  kiosk page:  {base}/kiosk/{terminal.id}  (demo mode: the page holds the "
               "kiosk key and the service signs dispenses)")
    click.echo(f"  console:     {base}/console/  (sign in with the staff key)")
    click.echo(f"  API docs:    {base}/api/v1/docs")
    click.echo(f"  try:         curl -s -H 'Authorization: Bearer {issued[Role.KIOSK]}' "
               f"-H 'Content-Type: application/json' -d "
               "'{\"amount\": {\"value\": 350000, \"currency\": \"CZK\"}, "
               "\"preference\": {\"kind\": \"mixed\"}}' "
               f"{base}/api/v1/terminals/{terminal.id}/quotes")
    _serve(app, listener, host, 8)


def _listen(host: str, port: int) -> socket.socket:
    """Bind the port before anything is built or printed; a taken port is one line, exit 1."""
    try:
        return bind_listener(host, port)
    except ListenError as error:
        raise click.ClickException(str(error)) from error


def _serve(app, listener: socket.socket, host: str, threads: int) -> None:
    from waitress import create_server

    # Everything loaded so far lives as long as the process: keep it out of the collector's
    # full passes, which otherwise stall requests for tens of milliseconds.
    gc.collect()
    gc.freeze()

    server = create_server(app, sockets=[listener], threads=threads)
    click.echo(f"serving on http://{host}:{server.effective_port}", err=True)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        _deps(app).close()
