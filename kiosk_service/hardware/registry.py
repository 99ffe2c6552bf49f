"""Open a dispenser by URL: the scheme picks a driver from the `cashmix.dispensers` entry points."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from kiosk_service.hardware.dispenser import Dispenser
from kiosk_service.hardware.errors import DriverURLError

#: The entry-point group drivers register under; the entry point's name is the URL scheme.
ENTRY_POINT_GROUP = "cashmix.dispensers"


def installed_drivers() -> dict[str, Any]:
    """Return URL scheme -> entry point of every installed driver."""
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def open_dispenser(url: str, **dependencies: Any) -> Dispenser:
    """Open the dispenser named by `url`, e.g. "sim://?seed=7&faults=jam:B:3".

    `dependencies` go to the driver's `from_url` (`clock=`, and driver extras such as the
    simulator's `cassettes=`). Only the chosen driver's module is imported. Raises
    DriverURLError (`invalid_driver_url`) for an unknown scheme or a bad URL.
    """
    scheme = urlsplit(url).scheme if isinstance(url, str) else ""
    drivers = installed_drivers()
    if scheme not in drivers:
        raise DriverURLError(f"unknown dispenser scheme {scheme!r} in {url!r}; "
                             f"installed: {', '.join(sorted(drivers)) or 'none'}",
                             url=url, installed=sorted(drivers))
    return drivers[scheme].load().from_url(url, **dependencies)


def shared_across_processes(url: str) -> bool:
    """Return True unless the driver of `url` says each process would get its own device (an
    unknown scheme too: opening it reports that)."""
    driver = installed_drivers().get(urlsplit(url).scheme if isinstance(url, str) else "")
    return driver is None or driver.load().shared_across_processes(url)


def url_options(url: str, allowed: Mapping[str, Callable[[str], Any]], *,
                location: bool = False) -> dict[str, Any]:
    """Return the URL's query options converted by `allowed` (name -> converter).

    For drivers: every problem is collected and raised at once as DriverURLError
    (`invalid_driver_url`) with `errors` mapping each option to its problems and `allowed`
    listing the option names; the message for an unknown option names the allowed ones too.
    A converter signals a bad value by raising ValueError. With `location` the URL may name a
    host, port and path (a networked device); without, only options are allowed.
    """
    parts = urlsplit(url)
    problems: dict[str, list[str]] = {}
    if not location and (parts.netloc or parts.path not in ("", "/")):
        problems["url"] = ["options go in the query string, e.g. sim://?seed=7"]
    options: dict[str, Any] = {}
    for name, raw in parse_qsl(parts.query, keep_blank_values=True):
        if name not in allowed:
            problems.setdefault(name, []).append(
                f"unknown option; allowed: {', '.join(sorted(allowed))}")
        elif name in options:
            problems.setdefault(name, []).append("given twice")
        else:
            try:
                options[name] = allowed[name](raw)
            except ValueError as error:
                problems.setdefault(name, []).append(str(error))
    if problems:
        raise DriverURLError(f"bad dispenser URL {url!r}", url=url, errors=problems,
                             allowed=sorted(allowed))
    return options


def file_path_option(name: str) -> Callable[[str], Path]:
    """Return the url_options converter of option `name` that names a file (not empty)."""
    def convert(raw: str) -> Path:
        if not raw:
            raise ValueError(f"{name} needs a file path")
        return Path(raw)
    return convert
