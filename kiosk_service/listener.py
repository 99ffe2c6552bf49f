"""The listening socket, bound before anything else so a taken port costs nothing and says so."""

from __future__ import annotations

import errno
import os
import socket


class ListenError(Exception):
    """The address cannot be listened on; the message is one sentence for the person at the
    command line."""


def bind_listener(host: str, port: int) -> socket.socket:
    """Return a TCP socket bound to `host`:`port` (not yet listening; waitress does that).

    Raises ListenError when the port is taken by another server, not ours to use, or the host
    does not resolve. Bound as waitress binds (SO_REUSEADDR except on Windows, where it would
    let two servers share the port), so a port the check passes is one waitress can serve.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, socket.IPPROTO_TCP,
            socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise ListenError(f"Cannot listen on {host}: the host name does not resolve "
                          f"({error.strerror}); give an address with --host.") from error
    listener = socket.socket(family, kind, proto)
    try:
        if os.name != "nt":
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
    except OSError as error:
        listener.close()
        raise ListenError(_why(error, host, port)) from error
    return listener


def _why(error: OSError, host: str, port: int) -> str:
    if error.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", errno.EADDRINUSE)):
        return (f"Port {port} on {host} is already taken (is another Cashmix server running?); "
                f"pick another with --port, e.g. --port {port + 1 if port < 65535 else 8081}.")
    if error.errno in (errno.EACCES, getattr(errno, "WSAEACCES", errno.EACCES)):
        return (f"Port {port} on {host} needs privileges this user does not have; "
                "pick a port above 1023 with --port.")
    if error.errno == errno.EADDRNOTAVAIL:
        return f"{host} is not an address of this machine; give another with --host."
    return f"Cannot listen on {host}:{port}: {error.strerror}."
