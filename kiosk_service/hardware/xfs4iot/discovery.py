"""Finding the dispenser service: ServicePublisher.GetServices, then Common.Capabilities."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kiosk_service.hardware.errors import ConfigurationMismatch, DeviceUnreachable
from kiosk_service.hardware.xfs4iot.connection import CommandRefused, Connection, LinkDown, Observer
from kiosk_service.hardware.xfs4iot.messages import dialect_named
from kiosk_service.hardware.xfs4iot.options import XFSOptions

#: The interfaces one service must offer for Cashmix to dispense through it.
REQUIRED_INTERFACES = frozenset({"CashDispenser", "CashManagement", "Storage", "Common"})
DISCOVERY_TIMEOUT = 10.0
#: The note limit assumed of a service that reports no `cashDispenser.maxDispenseItems`.
UNREPORTED_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class Service:
    """The chosen service: its URI, command -> the versions it supports (oldest first) and its
    per-dispense note limit (`cashDispenser.maxDispenseItems`)."""

    uri: str
    max_dispense_items: int
    versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: Where CashManagement.Retract sends presented notes: `retract`, else `reject`.
    retract_area: str = "retract"


def service_name(uri: str) -> str:
    """Return a service's name: the last part of its URI's path."""
    return urlsplit(uri).path.rstrip("/").rsplit("/", 1)[-1]


def discover(options: XFSOptions, *, observer: Observer | None = None) -> Service:
    """Ask the publisher for its services and return the one to use.

    Raises DeviceUnreachable when the publisher or the services cannot be reached, and
    ConfigurationMismatch when the named service is not listed or no service offers every
    interface a dispenser needs.
    """
    publisher = Connection(options.publisher, dialect_named(options.dialect),
                           ssl_context=options.ssl_context(), observer=observer)
    try:
        publisher.open()
        reply = publisher.command("ServicePublisher.GetServices", timeout=DISCOVERY_TIMEOUT)
    except (LinkDown, CommandRefused) as error:
        raise DeviceUnreachable(f"no XFS4IoT publisher at {options.publisher}: {error}",
                                url=options.publisher) from error
    finally:
        publisher.close()
    uris = [entry.get("serviceURI") for entry in reply.completion.payload.get("services") or []
            if isinstance(entry, Mapping) and isinstance(entry.get("serviceURI"), str)]
    if options.service:
        named = [uri for uri in uris if service_name(uri) == options.service]
        if not named:
            raise ConfigurationMismatch(
                f"the publisher lists no service {options.service!r}; it lists "
                f"{', '.join(service_name(u) for u in uris) or 'none'}",
                errors={"service": [f"one of {', '.join(service_name(u) for u in uris)}"]})
        uris = named
    refusals = []
    for uri in uris:
        service = _capabilities(uri, options, observer)
        if isinstance(service, Service):
            return service
        refusals.append(f"{service_name(uri)}: {service}")
    raise ConfigurationMismatch(
        "no service offers " + ", ".join(sorted(REQUIRED_INTERFACES)) + " ("
        + ("; ".join(refusals) or "the publisher lists no service") + ")")


def _capabilities(uri: str, options: XFSOptions, observer: Observer | None) -> Service | str:
    """Return the Service at `uri`, or why it does not do."""
    connection = Connection(uri, dialect_named(options.dialect),
                            ssl_context=options.ssl_context(), observer=observer)
    try:
        connection.open()
        reply = connection.command("Common.Capabilities", timeout=DISCOVERY_TIMEOUT)
    except (LinkDown, CommandRefused) as error:
        return f"unreachable ({error})"
    finally:
        connection.close()
    payload = reply.completion.payload
    interfaces = {entry.get("name"): entry for entry in payload.get("interfaces") or []
                  if isinstance(entry, Mapping)}
    missing = REQUIRED_INTERFACES - set(interfaces)
    if missing:
        return "lacks " + ", ".join(sorted(missing))
    versions = {}
    for entry in interfaces.values():
        for command, info in (entry.get("commands") or {}).items():
            listed = [v for v in (info or {}).get("versions") or [] if isinstance(v, str)]
            if listed:
                versions[command] = tuple(sorted(listed, key=_version_key))
    dispenser = payload.get("cashDispenser") or {}
    limit = dispenser.get("maxDispenseItems")
    if not isinstance(limit, int) or limit < 1:
        # Not reported: only the device's own refusals (tooManyItems) limit a dispense.
        limit = UNREPORTED_LIMIT
    areas = dispenser.get("retractAreas") or {}
    area = "reject" if areas and not areas.get("retract") and areas.get("reject") else "retract"
    return Service(uri, limit, versions, area)


def _version_key(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (0,)
