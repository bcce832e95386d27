"""Chapter 8 when the forge says no: pushes refused by their cause, tokens short of a permission,
organisation repositories, rate limits. Each story ends with the world as the learner would check it."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.support import ci_world, git, run_chapter
from wizard.sandbox.forge import create_repo
from wizard.sandbox.github.store import add_repo, protect_branch
from wizard.sandbox.github_api import mint_github_token
from wizard.sandbox.server import Sandbox, inspect
from wizard.sandbox.world import World

GITHUB = pytest.mark.parametrize("forge", ["github"], indirect=True)
GITLAB = pytest.mark.parametrize("forge", ["gitlab"], indirect=True)
WORKFLOW = ".github/workflows/mlops.yml"
COMMIT = "A pipeline will run my experiment on each push"


def nothing_created(sandbox: Path) -> None:
    world = ci_world(sandbox)
    assert world["account"] is None and world["secret"] is None and world["runs"] == []
    assert git(sandbox / "learner-repo", "status", "--porcelain") == ""


def git_pushes_with(sandbox: Path, token: str, how: str = "helper") -> None:
    """Git's own credential for the sandbox forge, which now asks for one as GitHub does."""
    repo = sandbox / "learner-repo"
    with World(sandbox).mutate() as data:
        data["faults"]["git_auth"] = True
    origin = git(repo, "remote", "get-url", "origin")
    scheme, _, rest = origin.partition("://")
    if how == "helper":
        store = sandbox.parent / "git-credentials"
        store.write_text(f"{scheme}://x-access-token:{token}@{rest.split('/')[0]}\n")
        store.chmod(0o600)
        git(repo, "config", "credential.helper", f"store --file {store}")
    else:  # a header git sends with every request, as CI set-ups do: no helper knows it
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        git(repo, "config", "http.extraHeader", f"Authorization: Basic {basic}")


def remote_commits(sandbox: Path, full: str = "learner/mlops-guide") -> list[str]:
    return git(sandbox / "forge" / f"{full}.git", "log", "--format=%s", "main").splitlines()


# -- pushes refused ---------------------------------------------------------------------------------
@GITHUB
def test_git_credential_without_the_workflow_scope_is_found_before_any_change(after_ch7: Path, forge: str, home: Path):
    """The API token is fine; the token git pushes with (from its credential helper) lacks `workflow`."""
    weak = mint_github_token(World(after_ch7), scopes=["repo"])
    git_pushes_with(after_ch7, weak)
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "would be refused: nothing was changed" in result.stderr
    assert "The token git pushes with" in result.stderr and "`workflow` scope" in result.stderr
    assert weak not in result.stdout + result.stderr
    nothing_created(after_ch7)


@GITHUB
def test_a_push_refused_for_the_workflow_scope_says_so_and_loses_nothing(after_ch7: Path, forge: str, home: Path):
    """Git sends a token no helper knows (an http.extraHeader): only the push itself can tell."""
    weak = mint_github_token(World(after_ch7), scopes=["repo"])
    git_pushes_with(after_ch7, weak, how="header")
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1
    assert f"GitHub refused the push: the credential git pushes with may not change {WORKFLOW}" in result.stderr
    assert "without `workflow` scope" in result.stderr and "gh auth refresh -s workflow" in result.stderr
    assert "check the network" not in result.stderr and "Retry" not in result.stderr.split("Fix:")[0]
    assert "Your commit is kept" in result.stderr and weak not in result.stdout + result.stderr
    repo = after_ch7 / "learner-repo"
    assert git(repo, "log", "-1", "--format=%s") == COMMIT  # committed, not pushed
    assert COMMIT not in remote_commits(after_ch7)

    git_pushes_with(after_ch7, mint_github_token(World(after_ch7), scopes=["repo", "workflow"]), how="header")
    again = run_chapter(after_ch7, 8, home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert remote_commits(after_ch7).count(COMMIT) == 1
    head = git(repo, "rev-parse", "HEAD")
    assert [r["conclusion"] for r in ci_world(after_ch7)["runs"] if r["sha"] == head] == ["success"]


@GITHUB
def test_a_push_to_a_protected_branch_is_explained_and_goes_through_once_allowed(
    after_ch7: Path, forge: str, home: Path
):
    with World(after_ch7).mutate() as data:
        protect_branch(data, "learner/mlops-guide", enforce_admins=True)
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1
    assert "GitHub refused the push: main is a protected branch." in result.stderr
    assert "GH006" in result.stderr and "pull request" in result.stderr and "Your commit is kept" in result.stderr
    assert COMMIT not in remote_commits(after_ch7)

    with World(after_ch7).mutate() as data:  # the administrator lifts the rule
        data["forges"]["github"]["repos"]["learner/mlops-guide"]["protected_branches"] = {}
    again = run_chapter(after_ch7, 8, home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert remote_commits(after_ch7).count(COMMIT) == 1
    assert len(ci_world(after_ch7)["account"]["keys"]) == 1  # nothing made twice


@GITLAB
def test_a_protected_branch_on_gitlab_is_found_before_any_change(after_ch7: Path, forge: str, home: Path):
    """GitLab tells in advance: the branches API answers whether this user can push."""
    with World(after_ch7).mutate() as data:
        data["forges"]["gitlab"]["projects"]["learner/mlops-guide"]["protected_branches"] = {
            "main": {"push_access_level": 0}
        }  # "Allowed to push: No one"
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "would be refused: nothing was changed" in result.stderr
    assert "main is a protected branch this account may not push to" in result.stderr
    nothing_created(after_ch7)


# -- who may -------------------------------------------------------------------------------------------
@GITHUB
def test_an_organisation_repository_where_the_learner_collaborates_with_write_access(
    after_ch7: Path, forge: str, home: Path
):
    full = "mlops-course/team-project"
    with World(after_ch7).mutate() as data:
        add_repo(data, full, private=True, collaborators={"learner": "write"}, organization=True)
    create_repo(after_ch7 / "forge", *full.split("/"))
    repo = after_ch7 / "learner-repo"
    origin = git(repo, "remote", "get-url", "origin")
    git(repo, "remote", "set-url", "origin", origin.replace("learner/mlops-guide", full))
    with Sandbox.start(after_ch7):  # the team's repository starts with the learner's work
        git(repo, "push", "--quiet", "origin", "main")

    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 0, result.stdout + result.stderr
    team = inspect(after_ch7)["forges"]["github"]["repos"][full]
    (key_id,) = ci_world(after_ch7)["account"]["keys"]
    assert team["secrets"]["DVC_GCP_SERVICE_ACCOUNT_KEY"]["private_key_id"] == key_id
    head = git(repo, "rev-parse", "HEAD")
    assert [r["conclusion"] for r in team["runs"] if r["sha"] == head] == ["success"]
    assert COMMIT in remote_commits(after_ch7, full)


@GITHUB
def test_a_fine_grained_token_without_secrets_write_stops_before_any_change(after_ch7: Path, forge: str, home: Path):
    token = mint_github_token(
        World(after_ch7),
        scopes=None,
        repos={
            "learner/mlops-guide": {"contents": "write", "workflows": "write", "secrets": "read", "actions": "read"}
        },
    )
    result = run_chapter(after_ch7, 8, home, env={"MLOPS_WIZARD_SANDBOX_TOKEN": token})
    assert result.returncode == 1
    assert 'lacks "Secrets: Read and write" on learner/mlops-guide' in result.stderr
    assert token not in result.stdout + result.stderr
    nothing_created(after_ch7)


# -- rate limits ---------------------------------------------------------------------------------------
def test_a_rate_limit_hit_mid_chapter_that_resets_soon_is_waited_for(after_ch7: Path, forge: str, home: Path):
    with World(after_ch7).mutate() as data:
        data["faults"]["rate_limit"] = {"after": 6, "seconds": 2}
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rate_limit" not in World(after_ch7).read()["faults"]  # it was hit, waited out, and reset
    assert "limited the rate of requests: waiting" in result.stdout  # the pause has its reason on screen
    head = git(after_ch7 / "learner-repo", "rev-parse", "HEAD")
    assert [r["conclusion"] for r in ci_world(after_ch7)["runs"] if r["sha"] == head] == ["success"]


def test_a_rate_limit_for_an_hour_is_explained_then_the_chapter_completes(after_ch7: Path, forge: str, home: Path):
    with World(after_ch7).mutate() as data:
        data["faults"]["rate_limit"] = {"after": 6, "seconds": 3600}
    result = run_chapter(after_ch7, 8, home)
    assert result.returncode == 1
    assert "limited the rate of requests" in result.stderr and "resets at" in result.stderr
    assert "(in 60 min)" in result.stderr and "nothing was lost" in result.stderr
    with World(after_ch7).mutate() as data:  # an hour later
        del data["faults"]["rate_limit"]
    again = run_chapter(after_ch7, 8, home)
    assert again.returncode == 0, again.stdout + again.stderr
    world = ci_world(after_ch7)
    (key_id,) = world["account"]["keys"]
    assert world["secret"]["private_key_id"] == key_id
