"""A learner presses ctrl+q while `dvc push` uploads: the wizard stops it and closes within 3 seconds.

The real command in a real 80×24 pseudo-terminal (pexpect). The upload is made slow the way a
slow network would: the learner's `.venv/bin/dvc` (which the wizard prefers, as the guide's
environment) waits in a child process before pushing, so "its children" are there to be stopped.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pexpect

from tests.support import BUCKET, learner_world, run_chapter7

ENTER, CTRL_E, CTRL_Q = "\r", "\x05", "\x11"


def slow_dvc(repo: Path, marks: Path) -> Path:
    """A dvc that, for `push`, first waits a minute in a child process (and says so in `marks`)."""
    wrapper = repo / ".venv" / "bin" / "dvc"
    wrapper.write_text(f"""#!/bin/sh
if [ "$1" = "push" ]; then
  echo $$ > "{marks}/dvc.pid"
  sleep 60 &
  echo $! > "{marks}/child.pid"
  wait
fi
exec "{sys.executable}" -m dvc "$@"
""")
    wrapper.chmod(0o755)
    return wrapper


def screen_text(raw: str) -> str:
    """What the terminal last showed, without its escape sequences, for a failure's message."""
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]|\x1b[()][A-Z0-9]|\x1b[=>]", " ", raw)[-2500:]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_quitting_during_dvc_push_stops_it_and_its_children_within_3_seconds(sandbox: Path, answers: Path):
    repo = sandbox / "learner-repo"
    marks = sandbox.parent / "marks"
    marks.mkdir()
    wrapper = slow_dvc(repo, marks)
    env = {k: v for k, v in os.environ.items() if k != "MLOPS_WIZARD_KILL_AT"}
    env.update({"TERM": "xterm-256color", "COLUMNS": "80", "LINES": "24"})
    child = pexpect.spawn(
        sys.executable,
        [
            "-m",
            "wizard",
            "run",
            "--repo",
            str(repo),
            "--sandbox",
            str(sandbox),
            "--chapter",
            "7",
            "--answers",
            str(answers),
        ],
        env=env,
        dimensions=(24, 80),
        encoding="utf-8",
        codec_errors="replace",
        timeout=240,
    )
    try:
        child.expect(r"Start \(enter\)")  # the chapter's introduction
        time.sleep(0.5)
        child.send(ENTER)
        time.sleep(0.5)
        child.send(CTRL_E)  # run every step: the answers file gave the names
        deadline = time.monotonic() + 150
        while not (marks / "child.pid").exists():
            assert time.monotonic() < deadline, "dvc push never started: " + screen_text(child.before)
            child.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=0.2)
            assert child.isalive(), child.before
        dvc_pid, sleep_pid = (int((marks / name).read_text()) for name in ("dvc.pid", "child.pid"))
        pressed = time.monotonic()
        child.send(CTRL_Q)
        child.expect("again to continue", timeout=10)  # the screen is closed and the way back is printed
        closed = time.monotonic() - pressed
        output = child.before + child.after
        child.expect(pexpect.EOF, timeout=10)
        ended = time.monotonic() - pressed
        output += child.before
    finally:
        child.close(force=True)
    print(f"ctrl+q during dvc push: screen closed after {closed:.2f}s, process ended after {ended:.2f}s")
    assert closed < 3.0, f"closed {closed:.1f}s after ctrl+q"
    assert child.exitstatus == 0
    assert "Stopped during 'Push the data files to the bucket'" in output
    assert f"run `mlops-wizard run --repo {repo}" in output and "again to continue" in output
    assert not alive(dvc_pid) and not alive(sleep_pid)  # the tool and its child, both stopped

    state = json.loads((repo / ".git" / "mlops-wizard" / "state.json").read_text())
    assert state["steps"]["ch07.dvc-push"]["status"] == "started"  # as after a crash: the next run reconciles
    assert state["steps"]["ch07.dvc-remote"]["status"] == "done"

    wrapper.unlink()
    result = run_chapter7(sandbox, answers)  # and the learner continues where they stopped
    assert result.returncode == 0, result.stderr
    assert learner_world(sandbox)["buckets"][BUCKET]["objects"]
