"""Clean-up stories: a learner who finished chapters 7, 8 and 14 removes it all, safely, on both forges."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import BUCKET, PROJECT, wizard
from wizard.sandbox.server import inspect
from wizard.sandbox.world import World

ACCOUNTS = [f"{name}@{PROJECT}.iam.gserviceaccount.com" for name in ("dvc-service-account", "mlem-service-account")]
SECRETS = ("DVC_GCP_SERVICE_ACCOUNT_KEY", "MLEM_GCP_SERVICE_ACCOUNT_KEY")


def clean_up(sandbox: Path, *extra: str, env: dict[str, str] | None = None):
    return wizard(
        "clean-up",
        "--repo",
        str(sandbox / "learner-repo"),
        "--sandbox",
        str(sandbox),
        *extra,
        env={"HOME": str(sandbox.parent / "home"), **(env or {})},
    )


def cleaned(sandbox: Path, *extra: str, env: dict[str, str] | None = None):
    return clean_up(sandbox, "--yes", "--confirm-project", PROJECT, *extra, env=env)


def what_is_left(sandbox: Path) -> dict:
    """What the learner would look for in the console, the forge and ~/.config/gcloud."""
    world = inspect(sandbox)
    project = world["projects"][PROJECT]
    kind = World(sandbox).read()["sandbox"]["forge"]
    if kind == "github":
        secrets = world["forges"]["github"]["repos"]["learner/mlops-guide"]["secrets"]
    else:
        secrets = world["forges"]["gitlab"]["projects"]["learner/mlops-guide"]["variables"]
    members = {m for ms in project["iam_bindings"].values() for m in ms}
    return {
        "state": project["state"],
        "billing": project["billing_account"],
        "bucket": BUCKET in world["buckets"],
        "accounts": sorted(set(project["service_accounts"]) & set(ACCOUNTS)),
        "bindings": sorted(m for m in members if any(a in m for a in ACCOUNTS)),
        # The learner's own login (application default credentials) lives there too and stays.
        "key_files": sorted(
            p.name for p in (sandbox / "gcloud").glob("*.json") if p.name != "application_default_credentials.json"
        ),
        "secrets": sorted(set(secrets) & set(SECRETS)),
        "writes": world["calls"]["writes"],
    }


def test_everything_the_chapters_made_is_removed_then_nothing_more(after_ch14: Path, forge: str):
    before = what_is_left(after_ch14)
    assert before["accounts"] == ACCOUNTS and before["bucket"] and len(before["secrets"]) == 2
    assert before["key_files"]

    result = cleaned(after_ch14)
    assert result.returncode == 0, result.stdout + result.stderr
    left = what_is_left(after_ch14)
    assert left == {
        **left,
        "state": "DELETE_REQUESTED",
        "billing": None,
        "bucket": False,
        "accounts": [],
        "bindings": [],
        "key_files": [],
        "secrets": [],
    }
    out = result.stdout
    assert "Will be removed, in this order:" in out
    assert "your repository, its commits and files" in out
    assert "points at nothing" in out
    assert f"gcloud projects undelete {PROJECT}" in out
    assert "mlops-kubernetes" in out and "--include-chapter-13" in out  # named, with its cost, and left alone

    again = cleaned(after_ch14)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing was changed" in again.stdout
    assert what_is_left(after_ch14)["writes"] == left["writes"]


@pytest.mark.parametrize("forge", ["github"], indirect=True)
@pytest.mark.parametrize(
    "confirmation", [[], ["--confirm-project", "someone-elses-project"]], ids=["no-confirmation", "another-project"]
)
def test_yes_without_the_right_project_id_changes_nothing(after_ch14: Path, forge: str, confirmation: list[str]):
    before = what_is_left(after_ch14)
    result = clean_up(after_ch14, "--yes", *confirmation)
    assert result.returncode == 1
    assert "Nothing was removed" in result.stderr
    assert what_is_left(after_ch14) == before


@pytest.mark.parametrize("forge", ["github"], indirect=True)
def test_a_file_of_the_learners_in_the_bucket_is_not_deleted_without_saying_so(after_ch14: Path, forge: str):
    from tests.support import upload_object

    upload_object(after_ch14, BUCKET, "notes/my-thesis.txt", b"three years of work")
    before = what_is_left(after_ch14)
    refused = cleaned(after_ch14)
    assert refused.returncode == 1
    assert "notes/my-thesis.txt" in refused.stdout and "notes/my-thesis.txt" in refused.stderr
    assert "outside dvcstore/" in refused.stderr
    assert what_is_left(after_ch14) == before

    agreed = cleaned(after_ch14, "--delete-foreign")
    assert agreed.returncode == 0, agreed.stdout + agreed.stderr
    assert what_is_left(after_ch14)["bucket"] is False


@pytest.mark.parametrize("forge", ["github"], indirect=True)
def test_chapter_13s_cluster_and_registry_go_only_when_asked(after_ch14: Path, forge: str):
    def chapter13() -> tuple[list, list]:
        project = World(after_ch14).read()["projects"][PROJECT]
        return sorted(project.get("gke_clusters", {})), sorted(project.get("artifact_repositories", {}))

    assert chapter13() == (["europe-west6-a/mlops-kubernetes"], ["europe-west6/mlops-registry"])
    result = cleaned(after_ch14, "--chapter", "14", "--include-chapter-13")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "$0.10 an hour" in result.stdout
    assert chapter13() == ([], [])
    left = what_is_left(after_ch14)
    assert left["state"] == "ACTIVE" and left["bucket"]  # chapter 7's project and bucket stay: not asked
    assert left["accounts"] == ACCOUNTS[:1] and left["secrets"] == ["DVC_GCP_SERVICE_ACCOUNT_KEY"]
    assert "clean up chapter 7 too" in result.stdout


@pytest.mark.parametrize("forge", ["gitlab"], indirect=True)
def test_an_account_with_a_key_the_wizard_did_not_make_is_kept_unless_agreed(after_ch14: Path, forge: str):
    from tests.support import create_key_elsewhere

    key_id = create_key_elsewhere(after_ch14, ACCOUNTS[0])
    before = what_is_left(after_ch14)
    refused = cleaned(after_ch14)
    assert refused.returncode == 1
    assert f"dvc-service-account has 1 key(s) the wizard did not make ({key_id[:8]}…)" in refused.stderr
    assert what_is_left(after_ch14) == before

    agreed = cleaned(after_ch14, "--delete-foreign")
    assert agreed.returncode == 0, agreed.stdout + agreed.stderr
    assert what_is_left(after_ch14)["accounts"] == []
