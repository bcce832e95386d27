"""Chapter 8 end to end on both forges: the CI service account, its key, the secret, the workflow, the run."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from chapters.templates import template_text
from tests.support import PROJECT, ci_world, git, key_file, run_chapter

WORKFLOW = {
    "github": (".github/workflows/mlops.yml", "github/mlops.yml"),
    "gitlab": (".gitlab-ci.yml", "gitlab/gitlab-ci.yml"),
}
EMAIL = f"dvc-service-account@{PROJECT}.iam.gserviceaccount.com"


def test_a_learner_sets_up_ci_and_the_first_run_succeeds(after_ch7: Path, forge: str, home: Path):
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Chapter 8 is done" in result.stdout

    world = ci_world(after_ch7)
    assert world["account"]["display_name"] == "DVC Service Account"
    assert world["viewers"] == [f"serviceAccount:{EMAIL}"]
    (key_id,) = world["account"]["keys"]  # exactly one user-managed key

    key = key_file(after_ch7)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert json.loads(key.read_text())["private_key_id"] == key_id
    secret = world["secret"]
    assert secret["private_key_id"] == key_id and secret["client_email"] == EMAIL
    if forge == "gitlab":
        assert (secret["masked"], secret["protected"], secret["raw"]) == (True, False, True)

    repo = after_ch7 / "learner-repo"
    path, template = WORKFLOW[forge]
    assert git(repo, "show", f"HEAD:{path}") + "\n" == template_text(template)
    assert git(repo, "log", "-1", "--format=%s") == "A pipeline will run my experiment on each push"
    head = git(repo, "rev-parse", "HEAD")
    assert [r["conclusion"] for r in world["runs"] if r["sha"] == head] == ["success"]

    writes = world["calls"]["writes"]
    again = run_chapter(after_ch7, 8, home)
    assert again.returncode == 0, again.stderr
    assert ci_world(after_ch7)["calls"]["writes"] == writes
    assert git(repo, "rev-parse", "HEAD") == head


def test_with_no_key_file_the_key_lives_only_in_the_secret(after_ch7: Path, forge: str, home: Path):
    result = run_chapter(after_ch7, 8, home, "--no-key-file")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not key_file(after_ch7).exists()
    world = ci_world(after_ch7)
    (key_id,) = world["account"]["keys"]
    assert world["secret"]["private_key_id"] == key_id
    writes = world["calls"]["writes"]
    assert run_chapter(after_ch7, 8, home, "--no-key-file").returncode == 0
    assert ci_world(after_ch7)["calls"]["writes"] == writes  # no new key on a second run


@pytest.mark.parametrize("forge", ["gitlab"], indirect=True)
def test_the_gitlab_variable_decodes_to_the_key_file(after_ch7: Path, forge: str, home: Path):
    assert run_chapter(after_ch7, 8, home).returncode == 0
    from wizard.sandbox.world import World

    variable = World(after_ch7).read()["forges"]["gitlab"]["projects"]["learner/mlops-guide"]["variables"][
        "DVC_GCP_SERVICE_ACCOUNT_KEY"
    ]
    assert "\n" not in variable["value"]
    assert base64.b64decode(variable["value"]) == key_file(after_ch7).read_bytes()


def test_status_covers_chapter_8(after_ch7: Path, forge: str, home: Path):
    from tests.support import status_of

    before = json.loads(status_of(after_ch7, home, "--chapter", "8", "--json").stdout)
    by_id = {s["id"]: s["status"] for s in before["steps"]}
    assert by_id.pop("ch08.older-edition") == "done"  # no credential of the older edition here
    assert list(by_id.values())[1:] == ["todo"] * 7
    assert run_chapter(after_ch7, 8, home).returncode == 0
    after = json.loads(status_of(after_ch7, home, "--chapter", "8", "--json").stdout)
    assert [s["status"] for s in after["steps"]] == ["done"] * 9


@pytest.mark.parametrize("forge", ["github"], indirect=True)
def test_a_key_file_of_another_account_is_never_replaced(after_ch7: Path, forge: str, home: Path):
    other = key_file(after_ch7)
    other.parent.mkdir(parents=True, exist_ok=True)  # the learner's login is there too
    other.write_text(json.dumps({"type": "service_account", "client_email": "ci@elsewhere.iam.gserviceaccount.com"}))
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1
    assert "is not a key of dvc-service-account@" in result.stderr and "--no-key-file" in result.stderr
    assert "elsewhere" in other.read_text()
