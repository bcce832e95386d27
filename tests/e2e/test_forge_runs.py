"""Runs a learner can watch and rehearse: each chapter watches its own commit's run, the links the
wizard prints open a page with the run and its log, and an instructor can make a run fail on purpose."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

from tests.support import git, run_chapter, status_of
from wizard.sandbox.server import Sandbox
from wizard.sandbox.world import World


def status(sandbox: Path, chapter: int, home: Path) -> dict[str, str]:
    out = status_of(sandbox, home, "--chapter", str(chapter), "--json").stdout
    return {s["id"]: s["status"] for s in json.loads(out)["steps"]}


def test_chapter_14_does_not_count_chapter_8s_run(after_ch8: Path, forge: str, home: Path):
    """Right after chapter 8, the deployment run is still to watch: chapter 8's run proves nothing about it."""
    assert status(after_ch8, 8, home)["ch08.watch-run"] == "done"
    assert status(after_ch8, 14, home)["ch14.watch-run"] == "todo"


def test_a_failed_deployment_run_makes_chapter_14_fail_naming_the_deployment(after_ch8: Path, forge: str, home: Path):
    with World(after_ch8).mutate() as data:
        data["faults"]["fail_runs"] = ["deploy"]  # the instructor rehearses a failed deployment
    result = run_chapter(after_ch8, 14, home)
    assert result.returncode == 1, result.stdout + result.stderr
    head = git(after_ch8 / "learner-repo", "rev-parse", "HEAD")[:7]
    assert (
        f"The deployment run (MLEM deployment service_classifier) for commit {head} ended with failure" in result.stderr
    )
    if forge == "gitlab":  # the job's trace says why
        assert "fail_runs" in result.stderr
    assert status(after_ch8, 14, home)["ch14.watch-run"] == "todo"
    assert status(after_ch8, 8, home)["ch08.watch-run"] == "done"  # chapter 8's run is still chapter 8's


def test_the_run_links_the_wizard_prints_open_the_run_and_its_log(after_ch7: Path, forge: str, home: Path):
    with World(after_ch7).mutate() as data:
        # Long enough to be seen running even on a loaded machine, where the watch's first look can
        # come seconds after the push (2 s was once missed at a load of 10 on 2 cores).
        data["faults"]["run_seconds"] = 6.0
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "in progress" in output
    links = set(re.findall(r"https?://127\.0\.0\.1:\d+/\S+?/(?:actions/runs|-/pipelines)/\d+", output))
    assert links, output
    with Sandbox.start(after_ch7):
        for link in links:
            page = urllib.request.urlopen(link, timeout=10).read().decode()
            assert "success" in page and ("Job " in page or "job" in page)
        listing = next(iter(links)).rsplit("/", 1)[0].removesuffix("/runs")
        assert urllib.request.urlopen(listing, timeout=10).status == 200
