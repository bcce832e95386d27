"""GitHubForge driven over the wire against the sandbox's fake GitHub — PyGithub, no mocks.

Who may do what (write access, classic scopes, fine-grained permissions) and rate limits, as
GitHub answers them.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import trust_sandbox_ca
from wizard.engine.errors import WizardError
from wizard.forges.github import GitHubForge, permission_names
from wizard.sandbox.forge import ForgeHandle, create_repo, start_forge
from wizard.sandbox.github.store import add_repo, protect_branch
from wizard.sandbox.github_api import mint_github_token, mount_github, seed_github
from wizard.sandbox.world import World

pytestmark = pytest.mark.timeout(60)
REPO = "learner/mlops-guide"
ORG_REPO = "mlops-course/team-project"
KEY = "DVC_GCP_SERVICE_ACCOUNT_KEY"


@dataclass
class Lab:
    world: World
    forge: ForgeHandle
    token: str

    def github(self, token: str | None = None, repo: str = REPO) -> GitHubForge:
        return GitHubForge(self.forge.url + "/api/v3", token or self.token, repo, f"{self.forge.url}/{repo}", fast=True)

    def repo(self, full: str = REPO) -> dict[str, Any]:
        return self.world.read()["forges"]["github"]["repos"][full]

    def faults(self, **faults: Any) -> None:
        with self.world.mutate() as data:
            data["faults"].update(faults)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    world = World(tmp_path / "sandbox")
    repos = tmp_path / "sandbox" / "forge"
    create_repo(repos, "learner", "mlops-guide")
    create_repo(repos, "mlops-course", "team-project")
    with world.mutate() as data:
        token = seed_github(data, "learner", "mlops-guide")["token"]
        add_repo(data, ORG_REPO, private=True, collaborators={"learner": "write"}, organization=True)
    forge = start_forge(world, repos)
    trust_sandbox_ca(world.root)
    mount_github(forge, world)
    yield Lab(world, forge, token)
    forge.stop()


def test_a_collaborator_with_write_access_may_do_everything_chapter_8_needs(lab: Lab) -> None:
    forge = lab.github(repo=ORG_REPO)
    check = forge.check_token()
    assert check.problems == [] and check.can_push and check.can_manage_secrets and check.can_write_workflows
    forge.put_secret(KEY, '{"type": "service_account"}')
    assert KEY in lab.repo(ORG_REPO)["secrets"]


def test_a_reader_is_told_to_ask_for_write_access(lab: Lab) -> None:
    with lab.world.mutate() as data:
        add_repo(data, ORG_REPO, collaborators={"learner": "read"})
    check = lab.github(repo=ORG_REPO).check_token()
    assert not check.can_push and not check.can_manage_secrets
    assert any("cannot push to" in p and "write access is needed" in p and "Write role" in p for p in check.problems)


def test_public_repo_scope_is_not_the_documented_repo_scope(lab: Lab) -> None:
    token = mint_github_token(lab.world, ["public_repo", "workflow"])
    check = lab.github(token).check_token()
    assert not check.can_manage_secrets
    assert any("`repo` scope" in p and "`public_repo` is not enough" in p for p in check.problems)


def test_a_fine_grained_token_without_secrets_write_is_named_and_nothing_changes(lab: Lab) -> None:
    token = mint_github_token(
        lab.world, None, {REPO: {"contents": "write", "workflows": "write", "secrets": "read", "actions": "read"}}
    )
    before = lab.repo()
    check = lab.github(token).check_token()
    assert check.scopes is None and not check.can_manage_secrets and check.can_push
    assert check.problems == [f'The fine-grained token lacks "Secrets: Read and write" on {REPO}.']
    after = lab.repo()
    assert (after["secrets"], after.get("heads")) == (before["secrets"], before.get("heads"))

    with pytest.raises(WizardError) as caught:  # had it gone on, GitHub's 403 names the permission too
        lab.github(token).put_secret(KEY, "x")
    assert '"Secrets: Read and write"' in caught.value.what and "secrets=write" in caught.value.why


def test_a_fine_grained_token_without_workflows_write(lab: Lab) -> None:
    token = mint_github_token(lab.world, None, {REPO: {"contents": "write", "secrets": "write"}})
    check = lab.github(token).check_token()
    assert not check.can_write_workflows and check.can_manage_secrets
    assert check.problems == [f'The fine-grained token lacks "Workflows: Read and write" on {REPO}.']


def test_a_full_fine_grained_token_passes_even_on_a_protected_branch(lab: Lab) -> None:
    with lab.world.mutate() as data:
        protect_branch(data, REPO)
    token = mint_github_token(lab.world, None, {REPO: "write"})
    assert lab.github(token).check_token().problems == []


def test_permission_names() -> None:
    assert permission_names("contents=write,workflows=write") == [
        "Contents: Read and write",
        "Workflows: Read and write",
    ]
    assert permission_names("secrets=read; actions=admin") == ["Secrets: Read-only"]


def test_a_primary_rate_limit_that_resets_soon_is_waited_for(lab: Lab) -> None:
    lab.faults(rate_limit={"after": 1, "seconds": 1.5, "kind": "primary"})
    started = time.monotonic()
    forge, told = lab.github(), []
    forge.notify = told.append
    assert forge.check_token().problems == []
    assert time.monotonic() - started >= 1.0  # PyGithub's retry waited for the reset
    assert told and told[0].startswith("GitHub limited the rate of requests: waiting")


def test_a_secondary_rate_limit_is_retried_after_retry_after(lab: Lab) -> None:
    lab.faults(rate_limit={"after": 0, "seconds": 1, "kind": "secondary"})
    assert lab.github().get_secret(KEY) is None


def test_a_primary_rate_limit_that_resets_later_says_when(lab: Lab) -> None:
    lab.faults(rate_limit={"after": 0, "seconds": 3600, "kind": "primary"})
    started = time.monotonic()
    with pytest.raises(WizardError) as caught:
        lab.github().check_token()
    assert time.monotonic() - started < 10
    error = caught.value
    assert error.retryable and "limited the rate of requests" in error.what
    assert "resets at" in error.why and "(in 60 min)" in error.why and "nothing was lost" in error.fix
