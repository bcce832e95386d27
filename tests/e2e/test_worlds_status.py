"""`status` helps whoever worked by hand: every chapter, no answers needed, and it never writes or moves anything."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.support import BUCKET, PROJECT, run_chapter
from tests.support import status_of as status
from wizard.sandbox.server import inspect

GITHUB = pytest.mark.parametrize("forge", ["github"], indirect=True)


@GITHUB
def test_status_on_a_repository_with_no_checkpoint_reads_the_answers_from_what_exists(
    after_ch7: Path, forge: str, home: Path
):
    state = after_ch7 / "learner-repo" / ".git" / "mlops-wizard"
    shutil.rmtree(state)  # as if chapter 7 had been done by hand: no trace of the wizard
    writes = inspect(after_ch7)["calls"]["writes"]

    result = status(after_ch7, home, "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert [c["chapter"] for c in shown["chapters"]] == [7, 8, 14]  # every chapter by default
    assert shown["answers"]["gcp.bucket_name"] == BUCKET and shown["answers"]["gcp.project_id"] == PROJECT
    (seven, eight, fourteen) = shown["chapters"]
    assert {s["status"] for s in seven["steps"]} == {"done"}
    assert {s["status"] for s in eight["steps"] if s["id"] not in {"ch08.forge-access", "ch08.older-edition"}} == {
        "todo"
    }

    text = status(after_ch7, home)
    assert f"project {PROJECT} (owner of gs://{BUCKET})" in text.stdout and "Chapter 14" in text.stdout
    assert not state.exists()  # nothing written, not even a checkpoint
    assert inspect(after_ch7)["calls"]["writes"] == writes


@GITHUB
def test_a_checkpoint_from_a_newer_wizard_is_named_and_left_where_it_is(after_ch7: Path, forge: str, home: Path):
    path = after_ch7 / "learner-repo" / ".git" / "mlops-wizard" / "state.json"
    newer = {"schema_version": 7, "answers": {"gcp.project_id": PROJECT}, "steps": {}, "journal": []}
    path.write_text(json.dumps(newer))
    before = path.read_bytes()

    result = status(after_ch7, home, "--chapter", "7")
    assert result.returncode == 0, result.stderr
    assert "written by a newer mlops-wizard (schema_version 7; this one knows 1)" in result.stderr
    assert "done" in result.stdout  # observed from the world all the same

    run = run_chapter(after_ch7, 7, home)
    assert run.returncode == 1 and "schema_version 7" in run.stderr and "Upgrade the wizard" in run.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith("state")) == ["state.json"]


@GITHUB
def test_status_on_a_machine_with_gcloud_installed_does_not_wait_for_gcloud(
    after_ch7: Path, forge: str, home: Path, tmp_path: Path
):
    # google.auth.default() asks `gcloud config get project` for a project on every call when the login is
    # gcloud's own file: a second or two each time, for a project the wizard never uses.
    tools = tmp_path / "bin"
    tools.mkdir()
    asked = tmp_path / "gcloud-was-run"
    gcloud = tools / "gcloud"
    gcloud.write_text(f'#!/bin/sh\necho "$@" >> {asked}\necho some-other-project\n')
    gcloud.chmod(0o755)

    result = status(
        after_ch7, home, "--chapter", "7", "--json", env={"PATH": f"{tools}{os.pathsep}{os.environ['PATH']}"}
    )
    assert result.returncode == 0, result.stderr
    assert {s["status"] for s in json.loads(result.stdout)["steps"]} == {"done"}
    assert not asked.exists(), asked.read_text()
