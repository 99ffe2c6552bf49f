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


def _no_result_rows(record: logging.LogRecord) -> bool:
    """Drop SQLAlchemy's DEBUG dumps of result rows: rows hold signatures and key hashes."""
    return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


def configure_logging(level: str = "INFO") -> None:
    """Send the `cashmix` loggers to stderr, as JSON unless stderr is a terminal. SQLAlchemy's
    loggers keep their own level; at DEBUG their result-row records are dropped (and the
    engines hide statement parameters), so no level puts a secret in a log."""
    engine_logger = logging.getLogger("sqlalchemy.engine.Engine")
    if _no_result_rows not in engine_logger.filters:
        engine_logger.addFilter(_no_result_rows)
    logger = logging.getLogger("cashmix")
    if any(getattr(h, "cashmix", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.cashmix = True
    handler.setFormatter(KeyValueFormatter() if sys.stderr.isatty() else JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
