"""Process owners ("host:pid:instance"): whether the process that started some work is gone."""

from __future__ import annotations

import os


def _parts(owner: str) -> tuple[str, str, str]:
    host, _, rest = owner.partition(":")
    pid, _, instance = rest.partition(":")
    return host, pid, instance


def alive_elsewhere(work_owner: str, owner: str) -> bool:
    """Return True when `work_owner` is another live process on this host.

    Only this host's processes can be seen; another host's owner counts as not alive here
    (the terminal lock is what tells whether it still works, see terminal_locks.py).
    """
    host, pid, _ = _parts(work_owner)
    if host != _parts(owner)[0] or not pid.isdigit() or int(pid) == os.getpid():
        return False
    if os.name == "nt":     # os.kill(pid, 0) would end the process there: the lock decides
        return False
    return process_alive(int(pid))


def process_alive(pid: int) -> bool:
    """Return True when a process `pid` runs on this host (or cannot be signalled: not ours).

    A zombie is not alive: a killed worker whose master died with it waits as one until init
    reaps it, and must not keep its terminal's abandoned dispenses from being settled.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
