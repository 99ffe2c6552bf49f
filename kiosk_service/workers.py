"""Serving with several processes: gunicorn's threaded workers, on the socket `serve` bound.

Each worker builds its own app (engine, devices, metrics) after the fork; start-up recovery
has run once, in the parent, before any worker starts. What several processes share is the
database: SQLite serialises their writers (BEGIN IMMEDIATE, busy timeout, WAL), PostgreSQL
locks the terminal's row, and a terminal's device cycle holds its cross-process lock.
"""

from __future__ import annotations

import gc
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import Any

#: Most processes the default picks: beyond that a fleet adds machines, not workers.
MAX_DEFAULT_PROCESSES = 8
#: Seconds an idle keep-alive connection stays open (waitress keeps them 120 s).
KEEPALIVE_SECONDS = 75
#: Seconds a worker may go without a heartbeat; a dispense waits for the take in a thread,
#: which gthread's heartbeat does not wait for.
WORKER_TIMEOUT_SECONDS = 120


def default_processes() -> int:
    """Return one process per CPU this process may run on, at most MAX_DEFAULT_PROCESSES."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:          # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_PROCESSES))


def workers_supported() -> bool:
    """Return True when gunicorn runs here (POSIX); waitress serves one process elsewhere."""
    if os.name != "posix":
        return False
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return False
    return True


def die_with_parent(_arbiter: Any = None, _worker: Any = None) -> None:
    """Make this worker die the moment its master does (Linux's PR_SET_PDEATHSIG).

    A master killed outright (SIGKILL, a crash, the OOM killer) would otherwise leave its
    workers running: one could finish a dispense, or hold a terminal's device lock, with no
    one to supervise it, while a new service takes over the terminal.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:       # the master died between the fork and now
        os._exit(1)


def serve_workers(listener: socket.socket, *, processes: int, threads: int,
                  build_app: Callable[[], Any]) -> None:
    """Serve `build_app()` (called once in each worker) from `processes` gunicorn workers of
    `threads` threads each on `listener`, until SIGINT or SIGTERM."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.arbiter import Arbiter
    from gunicorn.sock import create_sockets

    built: list[Any] = []

    def close_app(_arbiter: Any, _worker: Any) -> None:
        for app in built:
            app.extensions["cashmix"].close()

    class Workers(BaseApplication):
        def load_config(self) -> None:
            settings = {"workers": processes, "worker_class": "gthread", "threads": threads,
                        "keepalive": KEEPALIVE_SECONDS, "timeout": WORKER_TIMEOUT_SECONDS,
                        "loglevel": "warning", "accesslog": None, "errorlog": "-",
                        "proc_name": "kiosk-service", "worker_exit": close_app,
                        "post_fork": die_with_parent}
            for name, value in settings.items():
                self.cfg.set(name, value)

        def load(self) -> Any:
            app = build_app()
            built.append(app)
            # As waitress's serve: what is loaded now lives as long as the worker; keep it
            # out of the collector's full passes.
            gc.collect()
            gc.freeze()
            return app

    arbiter = Arbiter(Workers())
    arbiter.LISTENERS = create_sockets(arbiter.cfg, arbiter.log, [listener.detach()])
    arbiter.run()
