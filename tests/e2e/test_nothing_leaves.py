"""Nothing leaves this machine: behind a proxy the sandbox is still reached directly, and DVC's
analytics stay off for every dvc the wizard runs."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from tests.support import learner_world, run_chapter7, wizard

CLOSED = "http://127.0.0.1:9"  # the discard port: nothing listens, any connection is refused at once


@pytest.fixture
def no_proxy_exceptions(monkeypatch: pytest.MonkeyPatch) -> None:
    """A learner's shell that sets a proxy and no exception for loopback."""
    for name in (
        "NO_PROXY",
        "no_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ):
        monkeypatch.delenv(name, raising=False)


def test_the_offline_demo_works_behind_a_proxy_that_answers_nothing(sandbox: Path, no_proxy_exceptions: None):
    proxy = {"HTTPS_PROXY": CLOSED, "HTTP_PROXY": CLOSED, "https_proxy": CLOSED, "http_proxy": CLOSED}
    result = wizard("demo", "--headless", "--dir", str(sandbox), env=proxy)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Chapter 7 is done" in result.stdout
    world = learner_world(sandbox)
    assert len(world["projects"]) == 1 and len(world["buckets"]) == 1
    bucket = next(iter(world["buckets"].values()))
    assert any(name.startswith("dvcstore/") for name in bucket["objects"])


class _Recorder(BaseHTTPRequestHandler):
    """Stands for analytics.dvc.org: keeps whatever is sent to it."""

    received: list[dict[str, Any]]

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            self.received.append(json.loads(body or b"{}"))
        except ValueError:
            self.received.append({"raw": body.decode("utf-8", "replace")})
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_args: Any) -> None:
        return None


@pytest.fixture
def analytics_endpoint() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Recorder", (_Recorder,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", received
    finally:
        server.shutdown()
        server.server_close()


def _reports(tmp: Path, received: list[dict[str, Any]]) -> list[str]:
    """The usage reports dvc made: written to a temporary file, which its daemon sends and deletes."""
    kept = []
    for path in tmp.rglob("*"):
        if path.is_file():
            try:
                kept.append(json.loads(path.read_text()).get("cmd_class"))
            except (ValueError, UnicodeDecodeError, AttributeError, OSError):
                continue
    return [name for name in kept if name] + [str(report.get("cmd_class")) for report in received]


def test_dvc_reports_no_analytics_for_the_commands_the_wizard_runs(
    sandbox: Path,
    answers: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    analytics_endpoint: tuple[str, list[dict[str, Any]]],
):
    url, received = analytics_endpoint
    # A learner who never turned DVC's analytics off (DVC_TEST would turn them off too).
    for name in ("DVC_NO_ANALYTICS", "DVC_TEST"):
        monkeypatch.delenv(name, raising=False)
    home, tmp = tmp_path / "home", tmp_path / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = {
        "DVC_ANALYTICS_ENDPOINT": url,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "TMPDIR": str(tmp),
    }

    result = run_chapter7(sandbox, answers, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dvc push" in result.stdout  # dvc did run, several times
    time.sleep(1)
    assert _reports(tmp, received) == [], "a dvc command run by the wizard made a usage report"

    # The detector works: the same dvc, run by hand in the same environment, makes one.
    repo = sandbox / "learner-repo"
    by_hand = subprocess.run(
        [str(repo / ".venv" / "bin" / "dvc"), "config", "--list"],
        cwd=repo,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert by_hand.returncode == 0, by_hand.stderr
    deadline = time.monotonic() + 30
    while not _reports(tmp, received) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _reports(tmp, received) == ["CmdConfig"]
