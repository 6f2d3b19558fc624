"""`keyclient serve`: gunicorn with the committed config, hashed compressed static files, and an
access log that never holds a query string (a search's `?q=` can carry a mobile number)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

MOBILE = "13800001111"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (a loopback http URL)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = {
        **os.environ,
        "KEYCLIENT_VAR_DIR": str(root / "var"),
        "KEYCLIENT_ACCESS_LOG": str(root / "access.log"),
        "DJANGO_SETTINGS_MODULE": "keyclient.config.settings",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "keyclient.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    try:
        while True:
            try:
                get(f"{base}/healthz")
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start: {proc.stdout.read().decode()}") from None  # type: ignore[union-attr]
                time.sleep(0.3)
        yield base, root
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def test_the_access_log_has_no_query_string(server) -> None:  # type: ignore[no-untyped-def]
    base, root = server
    status, _headers, body = get(f"{base}/healthz?q={MOBILE}&page=2")
    assert (status, json.loads(body)) == (200, {"status": "ok"})
    log = root / "access.log"
    deadline = time.monotonic() + 10
    while '"GET /healthz HTTP/1.1" 200' not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)  # gunicorn writes the line after the response
    text = log.read_text()
    assert '"GET /healthz HTTP/1.1" 200' in text
    assert MOBILE not in text
    assert "q=" not in text and "page=2" not in text


def test_static_files_are_hashed_and_compressed(server) -> None:  # type: ignore[no-untyped-def]
    base, root = server
    manifest = json.loads((root / "var" / "static" / "staticfiles.json").read_text())
    hashed = manifest["paths"]["keyclient/app.css"]
    assert hashed != "keyclient/app.css" and hashed.startswith("keyclient/app.") and hashed.endswith(".css")
    status, headers, _body = get(f"{base}/static/{hashed}", **{"Accept-Encoding": "gzip"})
    assert (status, headers["Content-Encoding"]) == (200, "gzip")
    assert "immutable" in headers["Cache-Control"]


def test_the_gunicorn_config_keeps_connections_alive_with_a_timeout() -> None:
    from keyclient.config import gunicorn as conf

    assert (conf.worker_class, conf.keepalive, conf.timeout) == ("gthread", 5, 60)
    assert "%(r)s" not in conf.access_log_format and "%(q)s" not in conf.access_log_format
    assert "%(f)s" not in conf.access_log_format  # the referrer carries the previous page's query
    assert conf.workers == (os.cpu_count() or 1) * 2 + 1 or "KEYCLIENT_WEB_WORKERS" in os.environ


def test_in_production_gunicorn_logs_json_lines_through_the_redaction(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import importlib

    from keyclient.config import gunicorn as conf

    monkeypatch.setenv("KEYCLIENT_ENV", "production")
    monkeypatch.delenv("KEYCLIENT_LOG_JSON", raising=False)
    try:
        logconfig = importlib.reload(conf).logconfig_dict
    finally:
        monkeypatch.undo()
        del conf.logconfig_dict  # a reload keeps the old module's names
        importlib.reload(conf)
    assert {name: (h["formatter"], h["filters"]) for name, h in logconfig["handlers"].items()} == {
        "access": ("json", ["redact"]),
        "error": ("json", ["redact"]),
    }
    assert not hasattr(conf, "logconfig_dict")  # development: gunicorn's plain lines
