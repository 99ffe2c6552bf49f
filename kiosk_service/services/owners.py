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
    """Return True when a process `pid` runs on this host (or cannot be signalled: not ours)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
