"""Line mode (`run --plain`) in a real pseudo-terminal, as a learner at an 80×24 terminal types it.

Driven with pexpect: the real command, the real questionary prompts, keys sent one line at
a time. And the same command without a terminal, as a CI job or a pipe would run it.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pexpect

from tests.support import PROJECT, learner_world, remote_messages, spawn_line_mode, wizard

ENTER = "\r"
CTRL_C = "\x03"


def spawn_plain(sandbox: Path, *extra: str) -> pexpect.spawn:
    return spawn_line_mode(sandbox, "7", *extra)


def checkpoint_answers(sandbox: Path) -> dict[str, str]:
    path = sandbox / "learner-repo" / ".git" / "mlops-wizard" / "state.json"
    return json.loads(path.read_text())["answers"] if path.exists() else {}


def test_a_taken_bucket_name_is_asked_again_with_free_names_and_never_saved(sandbox: Path):
    child = spawn_plain(sandbox)
    try:
        child.expect("Google Cloud project ID")
        child.send(PROJECT + ENTER)
        child.expect("Billing account ID")
        child.send(ENTER)  # the single open account is preselected
        child.expect("Storage bucket name")
        # The step's text came first, as plain text: no Markdown marks around the words.
        before = child.before
        assert "The bucket is where DVC stores your data files" in before
        assert "**" not in before and "## " not in before
        child.send("mlops-bucket" + ENTER)  # the guide's example: someone else's already
        child.expect("Bucket location")
        child.expect("Type to filter")  # fifty locations are typed with completion, not listed
        child.send(ENTER)  # europe-west6, the guide's
        child.expect(r"The bucket name 'mlops-bucket' is already taken\.")
        child.expect(r"Free names: ([a-z0-9-]+),")
        free = child.match.group(1)
        child.expect("Storage bucket name")  # asked again, the first free name offered
        assert checkpoint_answers(sandbox).get("gcp.bucket_name") != "mlops-bucket"
        child.send(ENTER)
        child.expect("Chapter 7 is done", timeout=240)
        summary = child.read()
        child.close()
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, summary
    assert "**" not in summary and "`" not in summary  # the summary is plain text too
    world = learner_world(sandbox)
    assert list(world["buckets"]) == [free]
    assert checkpoint_answers(sandbox)["gcp.bucket_name"] == free
    assert remote_messages(sandbox)[0] == "My ML experiment data is shared with DVC"


def test_ctrl_c_at_a_question_stops_with_130_and_says_how_to_continue(sandbox: Path):
    child = spawn_plain(sandbox)
    try:
        child.expect("Google Cloud project ID")
        child.send(CTRL_C)
        child.expect(pexpect.EOF, timeout=30)
        output = child.before
    finally:
        child.close(force=True)
    assert child.exitstatus == 130, output
    assert "Aborted!" not in output and "Traceback" not in output
    assert re.search(r"Stopped\. Nothing is lost: run `mlops-wizard run --plain .*--chapter 7` again", output)
    assert learner_world(sandbox)["projects"] == {}


def test_without_a_terminal_run_stops_at_once_and_names_the_way_out(sandbox: Path):
    for mode in ([], ["--plain"]):
        started = time.monotonic()
        result = wizard(
            "run",
            *mode,
            "--repo",
            str(sandbox / "learner-repo"),
            "--sandbox",
            str(sandbox),
            "--chapter",
            "7",
            timeout=30,
        )
        assert time.monotonic() - started < 15
        assert result.returncode == 1, result.stdout + result.stderr
        assert "No terminal to ask in: use --answers FILE --yes" in result.stderr
        assert "Aborted!" not in result.stderr and "\x1b[" not in result.stdout  # nothing painted into the pipe
    assert learner_world(sandbox)["calls"]["writes"] == 0
