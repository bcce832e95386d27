"""GitLabForge driven over the wire against the sandbox's fake GitLab — python-gitlab, real git, no mocks.

Each test starts a sandbox forge on a fresh world in tmp_path, mounts the fake GitLab API,
seeds the learner's project and talks to it through `GitLabForge` exactly as the wizard does.
Pipelines are started by real `git push`es of the chapter 8 `.gitlab-ci.yml`.
"""

from __future__ import annotations

import base64
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chapters.templates import template_text
from tests.sandbox.gitlab_helpers import DVC_CONFIG, DVC_YAML, google_project
from tests.support import trust_sandbox_ca
from wizard.engine.errors import WizardError
from wizard.forges.base import Forge, RunInfo
from wizard.forges.gitlab import (
    GitLabForge,
    glab_config_token,
    pipeline_state,
    trace_hint,
)
from wizard.sandbox.control_plane import key_material
from wizard.sandbox.forge import create_repo, start_forge
from wizard.sandbox.gitlab_api import mint_gitlab_token, mount_gitlab, seed_gitlab
from wizard.sandbox.world import LEARNER, World

pytestmark = pytest.mark.timeout(60)
REPO = "learner/mlops-guide"
KEY = "DVC_GCP_SERVICE_ACCOUNT_KEY"

# The chapter 8 seed's .gitlab-ci.yml (GitLab tab), as the guide shows it.
GITLAB_CI = template_text("gitlab/gitlab-ci.yml")  # the guide's file, as the wizard writes it


def git(*args: str, cwd: Path | None = None) -> str:
    env = dict(
        os.environ,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Learner",
        GIT_AUTHOR_EMAIL=LEARNER,
        GIT_COMMITTER_NAME="Learner",
        GIT_COMMITTER_EMAIL=LEARNER,
    )
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


@dataclass
class Lab:
    world: World
    forge: Any
    token: str
    tmp: Path

    def gitlab(self, token: str | None = None, path: str = REPO) -> GitLabForge:
        return GitLabForge(self.forge.url, token or self.token, path)

    def push(self, files: dict[str, str], message: str = "A pipeline will run my experiment on each push") -> str:
        work = self.tmp / "work"
        if not work.exists():
            git("clone", "--quiet", self.forge.repo_url("learner", "mlops-guide"), str(work))
            git("checkout", "--quiet", "-B", "main", cwd=work)
        for name, text in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_text(text)
        git("add", "--all", cwd=work)
        git("commit", "--quiet", "-m", message, cwd=work)
        git("push", "--quiet", "origin", "HEAD:main", cwd=work)
        return git("rev-parse", "HEAD", cwd=work).strip()

    def variable(self, key: str = KEY) -> dict[str, Any] | None:
        return self.world.read()["forges"]["gitlab"]["projects"][REPO]["variables"].get(key)

    def faults(self, **faults: Any) -> None:
        with self.world.mutate() as data:
            data["faults"].update(faults)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    world = World(tmp_path / "sandbox")
    create_repo(tmp_path / "sandbox" / "forge", "learner", "mlops-guide")
    with world.mutate() as data:
        token = seed_gitlab(data, REPO)["token"]
        data["faults"]["run_seconds"] = 0.0
    forge = start_forge(world, tmp_path / "sandbox" / "forge")
    trust_sandbox_ca(world.root)
    mount_gitlab(forge, world)
    yield Lab(world, forge, token, tmp_path)
    forge.stop()


def wait_completed(forge: GitLabForge, sha: str, timeout: float = 10) -> tuple[RunInfo, list[str]]:
    """Poll runs_for like the wizard does; the statuses seen on the way and the completed run."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while True:
        runs = forge.runs_for(sha)
        if runs and (not seen or seen[-1] != runs[0].status):
            seen.append(runs[0].status)
        if runs and runs[0].status == "completed":
            return runs[0], seen
        assert time.monotonic() < deadline, f"no completed pipeline for {sha}: {runs}"
        time.sleep(0.03)


# -- the token ------------------------------------------------------------------------------------
def test_check_token_ok(lab: Lab) -> None:
    forge: Forge = lab.gitlab()  # the protocol's shape, checked by mypy; and at run time:
    for name in ("check_token", "get_secret", "put_secret", "delete_secret", "runs_for", "run_log_hint", "actions_url"):
        assert callable(getattr(forge, name))
    check = forge.check_token()
    assert check.login == "learner"
    assert check.scopes == ["api", "read_repository", "write_repository"]
    assert (check.can_push, check.can_write_workflows, check.can_manage_secrets) == (True, True, True)
    assert check.problems == []
    assert forge.kind == "gitlab" and forge.repo_path == REPO
    assert forge.actions_url() == f"{lab.forge.url}/{REPO}/-/pipelines"
    assert lab.token not in repr(forge)


def test_a_token_without_api_scope_is_a_problem_naming_api(lab: Lab) -> None:
    for scopes in (["read_repository"], ["read_api", "read_user"]):
        check = lab.gitlab(mint_gitlab_token(lab.world, scopes)).check_token()
        assert check.scopes == scopes
        assert not check.can_manage_secrets
        assert len(check.problems) == 1 and "`api` scope" in check.problems[0]
        assert f"{lab.forge.url}/-/user_settings/personal_access_tokens" in check.problems[0]
    git_only = lab.gitlab(mint_gitlab_token(lab.world, ["read_repository"])).check_token()
    assert (git_only.can_push, git_only.login) == (False, "user #1")  # no read_user: only the token's user id


def test_expired_and_unknown_tokens(lab: Lab) -> None:
    for token in (mint_gitlab_token(lab.world, ["api"], expired=True), "sandbox-gl-" + "0" * 32):
        with pytest.raises(WizardError) as caught:
            lab.gitlab(token).check_token()
        error = caught.value
        assert "did not accept the token" in error.what and "unknown, expired or revoked" in error.why
        assert "api" in error.fix and "personal_access_tokens" in error.fix
        assert not error.retryable
        assert token not in error.render() and token not in repr(error)


def test_an_unknown_project(lab: Lab) -> None:
    forge = lab.gitlab(path="learner/no-such-project")
    with pytest.raises(WizardError) as caught:
        forge.check_token()
    assert "cannot find the project learner/no-such-project" in caught.value.what
    assert "path in `origin` is wrong" in caught.value.why and "cannot see" in caught.value.why
    with pytest.raises(WizardError):
        forge.get_secret(KEY)
    assert forge.actions_url() == f"{lab.forge.url}/learner/no-such-project/-/pipelines"  # never raises


# -- the CI/CD variable --------------------------------------------------------------------------------
def test_put_secret_creates_then_updates_with_the_guides_settings(lab: Lab) -> None:
    forge = lab.gitlab()
    assert forge.get_secret(KEY) is None
    first = base64.b64encode(b'{"type": "service_account", "n": 1}').decode()
    forge.put_secret(KEY, first)
    stored = lab.variable()
    assert stored is not None
    assert (stored["value"], stored["masked"], stored["protected"], stored["raw"], stored["variable_type"]) == (
        first,
        True,
        False,
        True,
        "env_var",
    )
    secret = forge.get_secret(KEY)
    assert secret is not None
    assert (secret.name, secret.value, secret.masked, secret.protected, secret.raw) == (KEY, first, True, False, True)

    writes = lab.world.read()["calls"]["by_service"]["gitlab"]["writes"]
    forge.put_secret(KEY, first)  # again: nothing to change, nothing written
    assert lab.world.read()["calls"]["by_service"]["gitlab"]["writes"] == writes
    assert lab.variable() == stored

    with lab.world.mutate() as data:  # someone protected it and unmasked it by hand
        data["forges"]["gitlab"]["projects"][REPO]["variables"][KEY].update(protected=True, masked=False)
    second = base64.b64encode(b'{"type": "service_account", "n": 2}').decode()
    forge.put_secret(KEY, second)
    stored = lab.variable()
    assert (stored["value"], stored["masked"], stored["protected"], stored["raw"]) == (second, True, False, True)
    assert list(lab.world.read()["forges"]["gitlab"]["projects"][REPO]["variables"]) == [KEY]

    forge.delete_secret(KEY)
    assert forge.get_secret(KEY) is None and lab.variable() is None
    forge.delete_secret(KEY)  # already gone: fine


def test_put_secret_when_the_variable_appears_meanwhile(lab: Lab) -> None:
    forge = lab.gitlab()
    forge.put_secret(KEY, "b2xkLXZhbHVlLW9uZS1saW5l")
    lab.faults(fail={"gitlab.variables.get": "NOT_FOUND"})  # the get misses it: create says "already taken"
    forge.put_secret(KEY, "bmV3LXZhbHVlLW9uZS1saW5l")
    assert lab.variable()["value"] == "bmV3LXZhbHVlLW9uZS1saW5l"


def test_a_hidden_variable_is_replaced_the_way_gitlab_allows(lab: Lab) -> None:
    import gitlab

    first = base64.b64encode(b'{"type": "service_account", "n": 1}').decode()
    client = gitlab.Gitlab(lab.forge.url, private_token=lab.token)
    project = client.projects.get(REPO)
    project.variables.create({"key": KEY, "value": first, "masked_and_hidden": True, "raw": True})
    with pytest.raises(gitlab.GitlabUpdateError) as refused:  # GitLab's own rule, as the fake keeps it
        project.variables.update(KEY, {"value": first, "masked": False})
    assert "The visibility setting cannot be changed for masked and hidden variables." in str(refused.value)

    forge = lab.gitlab()
    secret = forge.get_secret(KEY)
    assert secret is not None and secret.hidden and secret.value is None and secret.updated_at is None
    second = base64.b64encode(b'{"type": "service_account", "n": 2}').decode()
    forge.put_secret(KEY, second)
    stored = lab.variable()
    assert (stored["value"], stored["hidden"], stored["masked"], stored["protected"], stored["raw"]) == (
        second,
        True,
        True,
        False,
        True,
    )
    after = forge.get_secret(KEY)
    assert after is not None and after.value is None and after.updated_at  # the wizard's stamp: its update time
    assert stored["description"].endswith(after.updated_at)


def test_a_value_gitlab_cannot_mask_is_explained(lab: Lab) -> None:
    forge = lab.gitlab()
    for value in ("short", "two words here", "line-one-is-long\nline-two-is-long"):
        with pytest.raises(WizardError) as caught:
            forge.put_secret(KEY, value)
        error = caught.value
        assert f"refused the value of {KEY}: it cannot be masked" in error.what
        assert "one line of at least 8 characters without spaces" in error.why
        assert "base64 on one line" in error.why
        assert value not in error.render()
        assert lab.variable() is None
    forge.put_secret(KEY, "ok-value")
    with pytest.raises(WizardError) as caught:  # the update path explains it too
        forge.put_secret(KEY, "no good")
    assert "cannot be masked" in caught.value.what


def test_server_and_network_failures_are_retryable_wizard_errors(lab: Lab) -> None:
    forge = lab.gitlab()
    forge.check_token()
    lab.faults(fail={"gitlab.variables.create": "UNAVAILABLE"})
    with pytest.raises(WizardError) as caught:
        forge.put_secret(KEY, "c2VjcmV0LXZhbHVl")
    assert caught.value.retryable and "not answering properly" in caught.value.what and "503" in caught.value.what
    lab.faults(fail={"gitlab.variables.delete": "FORBIDDEN"})
    with pytest.raises(WizardError) as caught:
        forge.delete_secret(KEY)
    assert "Maintainer" in caught.value.why
    lab.faults(fail={})
    lab.forge.stop()
    with pytest.raises(WizardError) as caught:
        forge.get_secret(KEY)
    assert caught.value.retryable and "could not be reached" in caught.value.what
    assert lab.token not in caught.value.render()


# -- pipelines ----------------------------------------------------------------------------------------
def test_a_failed_pipeline_and_the_line_that_says_why(lab: Lab) -> None:
    forge = lab.gitlab()
    lab.faults(run_seconds=1.5)
    sha = lab.push({".gitlab-ci.yml": GITLAB_CI})  # no CI/CD variable yet
    run, seen = wait_completed(forge, sha)
    assert seen[0] == "queued" and "in_progress" in seen and seen[-1] == "completed"
    assert (run.sha, run.conclusion) == (sha, "failure")
    assert run.url == f"{lab.forge.url}/{REPO}/-/pipelines/{run.run_id}"
    hint = forge.run_log_hint(run)
    assert KEY in hint and "is not set" in hint and hint.startswith("The CI/CD variable")
    assert forge.run_log_hint(RunInfo("999999", sha, "completed", "failure", "")) == ""  # unknown: no hint


def test_put_secret_then_push_gives_a_successful_pipeline(lab: Lab) -> None:
    key_file = google_project(lab.world, material=key_material.generate())
    assert key_file is not None
    lab.push({".dvc/config": DVC_CONFIG, "dvc.yaml": DVC_YAML}, "My ML experiment data is shared with DVC")
    forge = lab.gitlab()
    forge.put_secret(KEY, base64.b64encode(key_file).decode("ascii"))  # as the wizard sends it
    sha = lab.push({".gitlab-ci.yml": GITLAB_CI})
    run, _ = wait_completed(forge, sha)
    assert (run.status, run.conclusion) == ("completed", "success")
    assert forge.runs_for("0" * 40) == []


def test_an_invalid_configuration_is_the_hint(lab: Lab) -> None:
    forge = lab.gitlab()
    sha = lab.push({".gitlab-ci.yml": "train:\n  stage: nope\n  script: [echo hi]\n"}, "Broken CI")
    run, _ = wait_completed(forge, sha)
    assert run.conclusion == "failure"
    assert "chosen stage nope does not exist" in forge.run_log_hint(run)


# -- pure helpers -------------------------------------------------------------------------------------
def test_pipeline_states() -> None:
    assert pipeline_state("created") == ("queued", None) and pipeline_state("pending") == ("queued", None)
    assert pipeline_state("running") == ("in_progress", None)
    assert pipeline_state("success") == ("completed", "success")
    assert pipeline_state("failed") == ("completed", "failure")
    assert pipeline_state("canceled") == ("completed", "cancelled")
    assert pipeline_state("skipped") == ("completed", "skipped")
    assert pipeline_state("manual") == ("completed", "action_required")


def test_trace_hint_on_a_real_runners_trace() -> None:
    trace = (
        "\x1b[0KRunning with gitlab-runner 17.11.0\x1b[0;m\n"
        'section_start:1700000000:step_script\r\x1b[0K\x1b[0K\x1b[36;1mExecuting "step_script"\x1b[0;m\n'
        "\x1b[32;1m$ dvc repro --pull --allow-missing\x1b[0;m\n"
        "\x1b[31mERROR\x1b[39m: failed to pull data from the cloud - 403 Forbidden\n"
        "section_end:1700000010:step_script\r\x1b[0K"
        "section_start:1700000010:cleanup_file_variables\r\x1b[0K\x1b[0K\x1b[36;1m"
        "Cleaning up project directory and file based variables\x1b[0;m\n"
        "section_end:1700000011:cleanup_file_variables\r\x1b[0K\x1b[31;1m"
        "ERROR: Job failed: exit code 1\n\x1b[0;m\n"
    )
    assert trace_hint(trace) == "ERROR: failed to pull data from the cloud - 403 Forbidden"
    assert trace_hint("Why: the key is wrong.\nERROR: Job failed: exit code 1\n") == "The key is wrong."
    assert trace_hint("ERROR: Job failed: exit code 1\n") == "ERROR: Job failed: exit code 1"
    assert trace_hint("") == ""


def test_glab_config_token() -> None:
    config = """\
git_protocol: ssh
hosts:
    gitlab.com:
        token: example-token-one
        api_host: gitlab.com
        git_protocol: ssh
        user: learner
    gitlab.example.org:
        token: !!null example-token-two
        api_host: gitlab-api.example.org
    nothing.example.org:
        api_host: nothing.example.org
    empty.example.org:
        token:
    ports.example.org:8443:
        token: with-port
"""
    assert glab_config_token(config, "gitlab.com") == "example-token-one"
    assert glab_config_token(config, "GitLab.com") == "example-token-one"
    assert glab_config_token(config, "gitlab.example.org") == "example-token-two"
    assert glab_config_token(config, "gitlab-api.example.org") == "example-token-two"  # by api_host
    assert glab_config_token(config, "ports.example.org:8443") == "with-port"
    assert glab_config_token(config, "ports.example.org") == "with-port"
    for host in ("nothing.example.org", "empty.example.org", "elsewhere.org"):
        assert glab_config_token(config, host) is None
    for text in (
        "",
        "hosts:\n",
        "hosts: [1, 2]\n",
        "just a string",
        "hosts:\n  gitlab.com: nope\n",
        "hosts: {gitlab.com: {token: null}}",
        ": : :\n  - [",
    ):
        assert glab_config_token(text, "gitlab.com") is None


# -- rate limits ----------------------------------------------------------------------------------
def test_a_rate_limit_that_resets_soon_is_waited_for(lab: Lab) -> None:
    lab.faults(rate_limit={"after": 1, "seconds": 1.2})
    started = time.monotonic()
    forge, told = lab.gitlab(), []
    forge.notify = told.append
    assert forge.check_token().problems == []  # python-gitlab slept Retry-After, then went on
    assert time.monotonic() - started >= 1.0
    assert told == ["GitLab limited the rate of requests: waiting 2 s, as it asks"]


def test_a_rate_limit_that_resets_later_says_when(lab: Lab) -> None:
    lab.faults(rate_limit={"after": 0, "seconds": 3600})
    started = time.monotonic()
    with pytest.raises(WizardError) as caught:
        lab.gitlab().get_secret(KEY)
    assert time.monotonic() - started < 10
    assert caught.value.retryable and "GitLab limited the rate of requests" in caught.value.what
    assert "resets at" in caught.value.why and "(in 60 min)" in caught.value.why
