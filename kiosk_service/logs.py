"""Structured logging: one event per line, JSON when stderr is not a terminal."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

#: LogRecord attributes that are not event fields.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, event, message and extras."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {"time": self.formatTime(record), "level": record.levelname,
                                "logger": record.name, "message": record.getMessage()}
        body.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return json.dumps(body, default=str)


class KeyValueFormatter(logging.Formatter):
    """Format a record for people: `level event message key=value ...`."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in vars(record).items() if k not in _STANDARD)
        text = f"{record.levelname:<7} {record.name} {record.getMessage()} {extras}".rstrip()
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def configure_logging(level: str = "INFO") -> None:
    """Send the `cashmix` loggers to stderr, as JSON unless stderr is a terminal."""
    logger = logging.getLogger("cashmix")
    if any(getattr(h, "cashmix", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.cashmix = True
    handler.setFormatter(KeyValueFormatter() if sys.stderr.isatty() else JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
