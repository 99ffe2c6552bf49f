"""The `xfs4iot://` URL: where the publisher is, which dialect and service, how long to wait."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from kiosk_service.hardware.errors import DriverURLError
from kiosk_service.hardware.registry import file_path_option, url_options
from kiosk_service.hardware.xfs4iot.messages import DIALECTS

SCHEMES = {"xfs4iot": "ws", "xfs4iots": "wss"}
#: The first port of the XFS4IoT range (5846-5856), the publisher's default.
DEFAULT_PORT = 5846
DEFAULT_PATH = "/xfs4iot/v1.0"
DEFAULT_DIALECT = "2024-3"
#: Seconds a device may take over one command unless the URL says otherwise.
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class XFSOptions:
    """Everything an `xfs4iot://` URL says.

    - dialect: "2021-1" or "2024-3" (default), the device's wire generation.
    - service: the service's name, the last part of its URI from ServicePublisher.GetServices
      (default: the first one whose capabilities cover CashDispenser, CashManagement, Storage
      and Common).
    - timeout: seconds a command may take before it is cancelled (default 60).
    - ca: for xfs4iots://, a PEM file of the authorities to trust (default: the system's).
    """

    publisher: str
    dialect: str = DEFAULT_DIALECT
    service: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    ca: Path | None = None

    @property
    def tls(self) -> bool:
        """True for xfs4iots:// (wss)."""
        return self.publisher.startswith("wss:")

    def ssl_context(self) -> ssl.SSLContext | None:
        """Return the TLS context for wss endpoints, None for plain ws."""
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=str(self.ca) if self.ca else None)

    @classmethod
    def from_url(cls, url: str) -> XFSOptions:
        """Parse an `xfs4iot://` URL; raises DriverURLError naming every bad option."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES:
            raise DriverURLError(f"{url!r} is not an xfs4iot:// or xfs4iots:// URL", url=url)
        options = url_options(url, {"dialect": _dialect, "service": _service, "timeout": _timeout,
                                    "ca": file_path_option("ca")}, location=True)
        try:
            port = parts.port or DEFAULT_PORT
        except ValueError:
            raise DriverURLError(f"bad port in {url!r}", url=url,
                                 errors={"port": ["must be a number from 1 to 65535"]}) from None
        if not parts.hostname:
            raise DriverURLError(f"{url!r} names no host", url=url,
                                 errors={"host": ["e.g. xfs4iot://127.0.0.1:5846/xfs4iot/v1.0"]})
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        path = parts.path.rstrip("/") or DEFAULT_PATH
        return cls(f"{SCHEMES[parts.scheme]}://{host}:{port}{path}", **options)


def _dialect(raw: str) -> str:
    if raw not in DIALECTS:
        raise ValueError(f"{raw!r} is not a dialect; one of {', '.join(DIALECTS)}")
    return raw


def _service(raw: str) -> str:
    if not raw:
        raise ValueError("service needs a name")
    return raw


def _timeout(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number of seconds") from None
    if not 0 < value <= 3600:
        raise ValueError(f"{raw!r} must be more than 0 and at most 3600 seconds")
    return value
