"""A warm start for the stories' command lines: the real CLI in a new process, without its imports.

Every story runs `python -m wizard …` in a process of its own, and each start spent about a
second of CPU importing the Google, GitHub and GitLab clients and the sandbox's fakes before
doing anything (0.7–1 s of the 1.4–1.7 s a `status` took). Here a process per test worker imports them once
(and does nothing else: no thread, no channel, no socket of gRPC's), then forks a child per
command. The child is a new process like the one `subprocess.run` would start: its own pid,
the environment, working directory and arguments of the request, stdin from /dev/null, its
output captured, its exit status (a SIGKILL included) reported as a subprocess's.

Used by `tests.support.wizard` when it can be (POSIX, the test interpreter, no coverage to
follow into the child); `MLOPS_TEST_COLD_START=1` turns it off.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

# What a run of chapters 7, 8 and 14 and the clean-up imports, in the order a run does.
PRELOAD = (
    "wizard.cli",
    "wizard.session",
    "wizard.engine.session",
    "wizard.gcp.target",
    "google.cloud.resourcemanager_v3",
    "google.cloud.billing_v1",
    "google.cloud.service_usage_v1",
    "google.cloud.iam_admin_v1",
    "google.cloud.storage",
    "google.cloud.container_v1",
    "google.cloud.artifactregistry_v1",
    "github",
    "gitlab",
    "wizard.sandbox.server",
    "wizard.sandbox.control_plane.server",
    "wizard.sandbox.control_plane.projects",
    "wizard.sandbox.control_plane.billing",
    "wizard.sandbox.control_plane.iam_admin",
    "wizard.sandbox.control_plane.service_usage",
    "wizard.sandbox.control_plane.gke",
    "wizard.sandbox.control_plane.artifact_registry",
    "wizard.sandbox.storage",
    "wizard.sandbox.forge",
    "wizard.sandbox.github_api",
    "wizard.sandbox.gitlab_api",
)


def usable(python: str) -> bool:
    return (
        hasattr(os, "fork")
        and python == sys.executable
        and not os.environ.get("MLOPS_TEST_COLD_START")
        # coverage follows a subprocess by starting in it; a forked child would not be measured
        and not (os.environ.get("COVERAGE_PROCESS_CONFIG") or os.environ.get("COVERAGE_PROCESS_START"))
    )


# -- the test's side ---------------------------------------------------------------------------


class _Zygote:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="mlops-warm-"))
        self.address = str(self.folder / "socket")
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from tests.warm_start import serve; serve()", self.address],
            stdin=subprocess.PIPE,  # its end of file tells the zygote this worker has gone
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
            env={k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")},
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != b"ready":
            raise RuntimeError("the warm-start process did not start")
        self.lock = threading.Lock()

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if self.alive():
            self.process.kill()
            self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


_zygote: _Zygote | None = None


def _get() -> _Zygote:
    global _zygote
    if _zygote is None or not _zygote.alive():
        _zygote = _Zygote()
        atexit.register(_zygote.stop)
    return _zygote


def run(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    """`python -m wizard ARGS` with `env`, as `subprocess.run(capture_output=True, text=True)` would."""
    zygote = _get()
    with zygote.lock, tempfile.TemporaryDirectory(prefix="mlops-warm-run-") as tmp:
        out, err = Path(tmp) / "out", Path(tmp) / "err"
        request = {"args": args, "env": env, "cwd": os.getcwd(), "stdout": str(out), "stderr": str(err)}
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(zygote.address)
            conn.sendall(json.dumps(request).encode() + b"\n")
            reader = conn.makefile("rb")
            pid = int(json.loads(reader.readline())["pid"])
            conn.settimeout(timeout)
            try:
                line = reader.readline()
            except TimeoutError:
                os.kill(pid, 9)
                reader.readline()
                raise subprocess.TimeoutExpired([sys.executable, "-m", "wizard", *args], timeout) from None
            code = int(json.loads(line)["code"])
        return subprocess.CompletedProcess(
            [sys.executable, "-m", "wizard", *args],
            code,
            out.read_text(encoding="utf-8", errors="replace"),
            err.read_text(encoding="utf-8", errors="replace"),
        )


# -- the zygote's side -------------------------------------------------------------------------


def serve() -> None:
    """Import what a run imports, then fork one child per request, one request at a time."""
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    assert threading.active_count() == 1, "a preloaded module started a thread: forking would copy it"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(sys.argv[1])
    listener.listen(8)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1):
            return  # the test worker has gone
        if listener not in ready:
            continue
        conn, _ = listener.accept()
        with conn:
            request = json.loads(conn.makefile("rb").readline())
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                listener.close()
                conn.close()
                _child(request)
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            try:
                conn.sendall(json.dumps({"code": code}).encode() + b"\n")
            except OSError:
                pass  # the test gave up waiting (its timeout) and killed the child


def _child(request: dict[str, Any]) -> None:
    """Become `python -m wizard ARGS` for the request; never returns.

    It stays in the worker's process group, as a child of `subprocess.run` would.
    """
    import importlib
    import runpy

    code: Any = 0
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
        os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        import wizard

        importlib.reload(wizard)  # its environment defaults, as a fresh start sets them
        sys.argv = ["wizard", *request["args"]]
        runpy.run_module("wizard", run_name="__main__", alter_sys=True)
    except SystemExit as stop:
        code = stop.code
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    try:
        import atexit as exits

        exits._run_exitfuncs()
    finally:
        if code is None:
            code = 0
        elif not isinstance(code, int):
            print(code, file=sys.stderr)
            code = 1
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - the process ends either way
                pass
        os._exit(code)
