"""The production server's configuration: `keyclient serve` runs gunicorn with this module.

Every value can be overridden from the environment (`KEYCLIENT_BIND`, `KEYCLIENT_WEB_WORKERS`…).
The access log never holds a query string (`?q=13800001111` from a search carries personal data):
its format logs the path (`%(U)s`) and not the request line (`%(r)s`) or the referrer.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("KEYCLIENT_BIND", "127.0.0.1:8000")
# Threads per worker keep idle keep-alive connections from blocking requests; processes from cores.
worker_class = "gthread"
workers = _int("KEYCLIENT_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = _int("KEYCLIENT_WEB_THREADS", 4)
keepalive = _int("KEYCLIENT_WEB_KEEPALIVE", 5)  # seconds an idle client connection is kept open
timeout = _int("KEYCLIENT_WEB_TIMEOUT", 60)  # a request running longer gets its worker restarted
graceful_timeout = 30
# A worker restarts after this many requests (a slow leak never grows for long); jitter staggers them.
max_requests = _int("KEYCLIENT_WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# gunicorn sets TCP_NODELAY on its listening TCP socket; accepted connections inherit it (no Nagle
# delay on small responses such as htmx fragments).
accesslog = os.environ.get("KEYCLIENT_ACCESS_LOG", "-")
errorlog = os.environ.get("KEYCLIENT_ERROR_LOG", "-")
# remote address, time, method, PATH (no query string), protocol, status, bytes, seconds, request id.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(L)s'
forwarded_allow_ips = os.environ.get("KEYCLIENT_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "keyclient"
wsgi_app = "keyclient.config.wsgi:application"


def _json_logs() -> bool:
    default = os.environ.get("KEYCLIENT_ENV", "development") == "production"
    value = os.environ.get("KEYCLIENT_LOG_JSON")
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


# In production gunicorn's own lines (its error log and the access log) are JSON lines too, through
# the same formatter and the same redaction filter as the application's logs.
if _json_logs():

    def _handler(target: str) -> dict[str, object]:
        if target == "-":
            return {"class": "logging.StreamHandler", "formatter": "json", "filters": ["redact"]}
        return {
            "class": "logging.FileHandler",
            "filename": target,
            "formatter": "json",
            "filters": ["redact"],
        }

    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": "keyclient.security.logfilter.RedactPersonalNumbers"}},
        "formatters": {"json": {"()": "keyclient.core.logjson.JsonFormatter"}},
        "handlers": {"access": _handler(accesslog), "error": _handler(errorlog)},
        "loggers": {
            "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
        "root": {"level": "INFO", "handlers": []},
    }
