"""How the node's processes log: one configuration for the web server and the worker.

Quiet by default: the node's own loggers (pos, sync, hardware, marketplaces) at POS_LOG_LEVEL, libraries at
WARNING; POS_LOG_FORMAT=json writes one JSON object per line for a log collector.  Query parameters that
carry credentials never reach a log line (see ``redact_query``)."""
from __future__ import annotations

import logging.config
import re

OWN_LOGGERS = ("pos", "sync", "hardware", "marketplaces", "gunicorn.error")
# Query parameters that may carry a credential (a courier's calendar link, an older till page's event stream).
SECRET_PARAMETERS = re.compile(r"(?i)(^|[&;])((?:access_)?token|ticket|pin|password|secret|key|api_key)=[^&;]*")
REDACTED = "[redacted]"


def redact_query(query: str) -> str:
    """``token=abc&x=1`` → ``token=[redacted]&x=1``."""
    return SECRET_PARAMETERS.sub(lambda m: f"{m.group(1)}{m.group(2)}={REDACTED}", query)


def logging_config(settings) -> dict:
    """A ``logging.config.dictConfig`` for ``settings`` (a NodeSettings): text or JSON on stderr."""
    if settings.log_format == "json":
        formatter = {"()": "pythonjsonlogger.json.JsonFormatter",
                     "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                     "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"}}
    else:
        formatter = {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"node": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "node",
                                "stream": "ext://sys.stderr"}},
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            # gunicorn turns propagation off for its loggers; on, they share the node's handler and format
            **{name: {"level": settings.log_level, "propagate": True} for name in OWN_LOGGERS},
            # one line per request when POS_ACCESS_LOG is on, none otherwise
            "gunicorn.access": {"level": "INFO" if settings.access_log else "WARNING", "propagate": True},
            # "Running job … executed successfully" every few seconds says nothing the jobs do not
            "apscheduler": {"level": "WARNING"},
        },
    }


def configure(settings) -> None:
    logging.config.dictConfig(logging_config(settings))
