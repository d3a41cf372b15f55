"""gunicorn's settings for the node (`gunicorn wsgi:app` from the repository reads this file by itself).

Bind address, threads and logging come from the node's settings (POS_HOST/HOST, POS_PORT/PORT,
POS_WEB_THREADS, POS_LOG_*, POS_ACCESS_LOG), so `make run` and a service unit share one configuration."""
import logging

from gunicorn import glogging

from pos.config import read_settings
from pos.logs import logging_config, redact_query

_settings = read_settings()

bind = [f"[{_settings.host}]:{_settings.port}" if ":" in _settings.host else f"{_settings.host}:{_settings.port}"]
# A store or standalone node: one process, since a till's serial port or in-process emulator can be driven by
# one process only.  HQ keeps no state in its processes (everything is in PostgreSQL): POS_WEB_WORKERS of them.
worker_class = "gthread"
workers = _settings.web_workers if _settings.role == "hq" else 1
threads = _settings.web_threads
# TERM: stop accepting, let requests in flight finish (up to 30 s), then exit; the balancer reads /api/v1/ready.
graceful_timeout = 30
logconfig_dict = logging_config(_settings)


class AccessLog(glogging.Logger):
    """One line per request through the node's logging (text or JSON), credentials in the query redacted."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log.isEnabledFor(logging.INFO):
            return
        query = redact_query(environ.get("QUERY_STRING", ""))
        target = environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
        status = str(resp.status).split(None, 1)[0]
        duration_ms = request_time.seconds * 1000 + request_time.microseconds // 1000
        method = environ.get("REQUEST_METHOD", "-")
        self.access_log.info("%s %s %s %dms", method, target, status, duration_ms,
                             extra={"method": method, "target": target, "status": int(status),
                                    "duration_ms": duration_ms, "remote": environ.get("REMOTE_ADDR", "-")})


logger_class = AccessLog
