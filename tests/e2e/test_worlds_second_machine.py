"""A learner continues on a second laptop: a fresh clone, no key file, no DVC cache, no checkpoint."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

from tests.support import BUCKET, PROJECT, git, wizard, write_answers
from wizard.sandbox.server import inspect
from wizard.sandbox.world import World

ACCOUNTS = {
    "dvc-service-account": "DVC_GCP_SERVICE_ACCOUNT_KEY",
    "mlem-service-account": "MLEM_GCP_SERVICE_ACCOUNT_KEY",
}


def run_all(
    sandbox: Path, repo: Path, home: Path, answers: Path, *chapters: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    args = [arg for chapter in (chapters or ("7", "8", "14")) for arg in ("--chapter", chapter)]
    return wizard(
        "run",
        "--repo",
        str(repo),
        "--sandbox",
        str(sandbox),
        *args,
        "--answers",
        str(answers),
        "--yes",
        env={"HOME": str(home), **(env or {})},
    )


def keys_and_secrets(sandbox: Path) -> dict[str, tuple[list[str], str | None]]:
    """Per service account: its live user-managed keys, and the key id its CI secret holds."""
    world = inspect(sandbox)
    project = world["projects"][PROJECT]
    kind = World(sandbox).read()["sandbox"]["forge"]
    forge = world["forges"][kind]["repos" if kind == "github" else "projects"]["learner/mlops-guide"]
    secrets = forge["secrets" if kind == "github" else "variables"]
    out = {}
    for account, secret in ACCOUNTS.items():
        found = project["service_accounts"].get(f"{account}@{PROJECT}.iam.gserviceaccount.com")
        if found is not None:
            out[account] = (sorted(found["keys"]), (secrets.get(secret) or {}).get("private_key_id"))
    return out


def second_machine(sandbox: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A fresh clone of origin and an empty home: no key file (the sandbox keeps them in gcloud/), no DVC cache."""
    from wizard.sandbox.server import Sandbox

    repo = sandbox / "learner-repo"
    clone = tmp_path / "second-laptop"
    with Sandbox.start(sandbox):
        subprocess.run(["git", "clone", "-q", git(repo, "remote", "get-url", "origin"), str(clone)], check=True)
    git(clone, "config", "user.name", "Learner")
    git(clone, "config", "user.email", "learner@example.com")
    for key in (sandbox / "gcloud").glob("*.json"):
        key.unlink()
    home = tmp_path / "home-2"
    home.mkdir()
    assert not (clone / ".dvc" / "cache").exists()
    return clone, home


def test_after_everything_was_done_on_the_first_laptop_the_second_keeps_what_works(
    sandbox_for_forge: Path, forge: str, home: Path, tmp_path: Path
):
    answers = write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
    first = run_all(sandbox_for_forge, sandbox_for_forge / "learner-repo", home, answers)
    assert first.returncode == 0, first.stdout + first.stderr
    before, writes = keys_and_secrets(sandbox_for_forge), inspect(sandbox_for_forge)["calls"]["writes"]

    clone, home2 = second_machine(sandbox_for_forge, tmp_path)
    result = run_all(sandbox_for_forge, clone, home2, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert keys_and_secrets(sandbox_for_forge) == before  # one key per account, still the one in the secret
    assert all(len(keys) == 1 and keys[0] == held for keys, held in before.values())
    assert inspect(sandbox_for_forge)["calls"]["writes"] == writes  # nothing rotated, nothing re-stored
    assert "not in this clone's cache" in result.stdout  # the data counts as pushed
    assert "this machine has no copy of it and needs none" in result.stdout
    assert git(clone, "status", "--porcelain") == "" and git(clone, "log", "-1", "--format=%H") == git(
        sandbox_for_forge / "learner-repo", "log", "-1", "--format=%H"
    )


def test_chapter_8_interrupted_on_the_first_laptop_is_finished_on_the_second(
    sandbox_for_forge: Path, forge: str, home: Path, tmp_path: Path
):
    answers = write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
    killed = run_all(
        sandbox_for_forge,
        sandbox_for_forge / "learner-repo",
        home,
        answers,
        "7",
        "8",
        env={"MLOPS_WIZARD_KILL_AT": "ch08.workflow:after-write"},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    ((first_key,), held) = keys_and_secrets(sandbox_for_forge)["dvc-service-account"]
    assert held == first_key

    clone, home2 = second_machine(sandbox_for_forge, tmp_path)
    result = run_all(sandbox_for_forge, clone, home2, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    after = keys_and_secrets(sandbox_for_forge)
    assert all(len(keys) == 1 and keys[0] == held for keys, held in after.values())  # one key each, the stored one
    if forge == "github":  # GitHub never shows a secret: the key nobody here has is replaced, and named
        assert after["dvc-service-account"][0] != [first_key]
        assert f"Deleted key {first_key[:8]}… ({first_key})" in result.stdout
    else:  # GitLab shows the variable: it holds a live key, which is kept
        assert after["dvc-service-account"][0] == [first_key]
