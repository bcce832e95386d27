"""Running git, dvc and pip as subprocesses, with their output kept for error messages."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Callable, Mapping, Sequence

from wizard.workspace import cancel


def _load_libc() -> ctypes.CDLL | None:
    # Loaded in the parent: a child must not dlopen between fork and exec.
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover
        return None


_LIBC = _load_libc()


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to kill the child if the wizard dies, so no orphan dvc keeps pushing after a crash."""
    _LIBC.prctl(1, signal.SIGKILL)  # type: ignore[union-attr]  # PR_SET_PDEATHSIG


PREEXEC = _die_with_parent if _LIBC is not None else None
QUIET_GIT = {"GIT_TERMINAL_PROMPT": "0"}
# Nothing leaves this machine unasked: DVC's usage analytics (its daemon reports to the internet,
# https://dvc.org/doc/user-guide/analytics: "DVC_NO_ANALYTICS" turns it off) and pip's check for a
# newer pip (https://pip.pypa.io/en/stable/cli/pip/#cmdoption-disable-pip-version-check).
QUIET_TOOLS = {"DVC_NO_ANALYTICS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", **QUIET_GIT}
# Loopback is never proxied: the sandbox, and the git, dvc and pip it runs, talk to 127.0.0.1.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def without_proxy_for_loopback(value: str | None) -> str:
    """`value` (a NO_PROXY list) with the loopback names added; the user's entries are kept."""
    entries = list(dict.fromkeys(entry.strip() for entry in (value or "").split(",") if entry.strip()))
    if "*" in entries:
        return ",".join(entries)
    return ",".join([*entries, *(name for name in LOOPBACK if name not in entries)])


def quiet_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment every subprocess of the wizard and the sandbox gets (and the wizard itself).

    Analytics and version checks off; loopback addresses in both spellings of NO_PROXY, because
    requests, gRPC, git and aiohttp read one or the other. The user's proxy still serves real traffic.
    """
    merged = dict(environ)
    merged.update(QUIET_TOOLS)
    bypass = without_proxy_for_loopback(",".join(filter(None, (merged.get("NO_PROXY"), merged.get("no_proxy")))))
    merged["NO_PROXY"] = merged["no_proxy"] = bypass
    return merged


def _env(env: Mapping[str, str] | None) -> dict[str, str]:
    return quiet_environment(os.environ if env is None else env)


def run(
    args: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = 1800,
) -> subprocess.CompletedProcess[str]:
    cancel.check()
    # Its own process group, so quitting the wizard stops the tool and its children (wizard.workspace.cancel).
    with (
        subprocess.Popen(
            list(args),
            cwd=cwd,
            env=_env(env),
            preexec_fn=PREEXEC,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        ) as proc,
        cancel.tracked(proc),
    ):
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise subprocess.TimeoutExpired(list(args), timeout or 0, output=out, stderr=err) from None
    if check and proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, list(args), output=out, stderr=err)
    return subprocess.CompletedProcess(list(args), proc.returncode, out, err)


def stream(
    args: Sequence[str], cwd: Path, on_line: Callable[[str], None], env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command and hand each line of its output (stdout and stderr merged) to `on_line`.

    Progress bars end their updates with carriage returns, so both \\r and \\n split lines.
    """
    cancel.check()
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=_env(env),
        preexec_fn=PREEXEC,
        start_new_session=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    with cancel.tracked(proc):
        return _collect(proc, args, on_line)


def _collect(
    proc: subprocess.Popen[bytes], args: Sequence[str], on_line: Callable[[str], None]
) -> subprocess.CompletedProcess[str]:
    assert proc.stdout is not None
    collected: list[str] = []
    pending = b""

    def emit(raw: bytes) -> None:
        line = raw.decode("utf-8", "replace")
        if line.strip():
            collected.append(line)
            on_line(line)

    while chunk := proc.stdout.read1(4096):  # type: ignore[attr-defined]
        *complete, pending = (pending + chunk).replace(b"\r", b"\n").split(b"\n")
        for raw in complete:
            emit(raw)
    emit(pending)
    code = proc.wait()
    output = "\n".join(collected)
    if code != 0:
        raise subprocess.CalledProcessError(code, list(args), output=output, stderr=output)
    return subprocess.CompletedProcess(list(args), code, output, "")
