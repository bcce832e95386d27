"""The fake GitHub, driven over the wire by PyGithub and real git, checked against GitHub's contract.

Each test serves a bare repository through the sandbox forge with the fake API mounted at
/api/v3, and talks to it as the wizard will: `Github(base_url=..., auth=Auth.Token(t))`.
Every exchange of every test is recorded and, when the test ends, checked against GitHub's
own OpenAPI description (tests/sandbox/contracts/github-rest-subset.json): a response that
misses a required field or has a wrong type fails the test that caused it, and a request
the fake accepted must be one the contract allows. Service account keys for the
simulated runs come from the control-plane fake through the official IAM client.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from github import (
    Auth,
    BadCredentialsException,
    Github,
    GithubException,
    RateLimitExceededException,
    UnknownObjectException,
)
from google.cloud import iam_admin_v1
from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

from chapters.templates import template_text
from tests.sandbox.github_contract import Recorder, contract
from tests.sandbox.google_helpers import sandbox_channel
from tests.support import trust_sandbox_ca
from wizard.sandbox.control_plane import start_control_plane
from wizard.sandbox.forge import ForgeHandle, create_repo, repo_path, start_forge
from wizard.sandbox.github.api import ROUTES
from wizard.sandbox.github.store import add_repo, protect_branch
from wizard.sandbox.github_api import (
    mint_github_token,
    mount_github,
    sandbox_github_token,
    seed_github,
)
from wizard.sandbox.world import LEARNER, World

pytestmark = pytest.mark.timeout(60)

OWNER, NAME = "learner", "mlops-guide"
REPO = f"{OWNER}/{NAME}"
SECRET = "DVC_GCP_SERVICE_ACCOUNT_KEY"
GCP_PROJECT = "mlops-ch8-gh"
BUCKET = "mlops-ch8-gh-bucket"
SA_EMAIL = f"dvc-service-account@{GCP_PROJECT}.iam.gserviceaccount.com"
RUN_SECONDS = 0.3
# PyGithub waits 0.25 s between requests and 1 s between writes by default (GitHub's advice
# against secondary rate limits); a loopback sandbox needs no such pause.
NO_THROTTLE = {"seconds_between_requests": 0, "seconds_between_writes": 0}

# The chapter 8 seed's .github/workflows/mlops.yml, as the guide shows it.
MLOPS_YML = template_text("github/mlops.yml")  # the guide's workflow, as the wizard writes it

# Chapter 14: a reusable workflow that only runs when called, and the job that calls it.
DEPLOY_YML = """\
name: Deploy
on:
  workflow_call:
  workflow_dispatch:
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - name: Login to Google Cloud
        uses: 'google-github-actions/auth@v1'
        with:
          credentials_json: '${{ secrets.MLEM_GCP_SERVICE_ACCOUNT_KEY }}'
      - run: mlem deployment run --load service_classifier --model model
"""
DEPLOY_JOB = """\
  deploy:
    needs: train
    if: github.ref == 'refs/heads/main'
    uses: ./.github/workflows/deploy.yml
    secrets: inherit
"""

DVC_CONFIG = f"""\
[core]
    remote = data
['remote "data"']
    url = gs://{BUCKET}/dvcstore
"""


# -- git ----------------------------------------------------------------------------------------
def git(*args: str, cwd: Path | None = None) -> str:
    env = dict(
        os.environ,
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Learner",
        GIT_AUTHOR_EMAIL=LEARNER,
        GIT_COMMITTER_NAME="Learner",
        GIT_COMMITTER_EMAIL=LEARNER,
        GIT_CONFIG_NOSYSTEM="1",
    )
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout.strip()


@dataclass
class Sandbox:
    world: World
    repos: Path
    forge: ForgeHandle
    token: str
    recorder: Recorder
    clone_dir: Path
    checked: list[Any] = field(default_factory=list)

    @property
    def api(self) -> str:
        return self.forge.url + "/api/v3"

    def github(self, token: str | None = None, host: str | None = None) -> Github:
        base = self.api if host is None else self.api.replace("127.0.0.1", host)
        return Github(base_url=base, auth=Auth.Token(token or self.token), retry=None, **NO_THROTTLE)

    def repo(self, token: str | None = None):
        return self.github(token).get_repo(REPO)

    def raw(self, method: str, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"token {token or self.token}", "Accept": "application/vnd.github+json"}
        return requests.request(method, f"{self.api}{path}", headers=headers, timeout=10, **kwargs)

    def commit_and_push(self, files: dict[str, str | None], message: str, branch: str = "main") -> str:
        work = self.clone_dir
        if not (work / ".git").exists():
            git("clone", "--quiet", self.forge.repo_url(OWNER, NAME), str(work))
        git("checkout", "--quiet", "-B", branch, cwd=work)
        for path, content in files.items():
            target = work / path
            if content is None:
                target.unlink()
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        git("add", "--all", cwd=work)
        git("commit", "--quiet", "--allow-empty", "-m", message, cwd=work)
        git("push", "--quiet", "origin", f"{branch}:{branch}", cwd=work)
        return git("rev-parse", "HEAD", cwd=work)

    def runs(self, sha: str) -> list[Any]:
        return list(self.repo().get_workflow_runs(head_sha=sha))

    def finished_runs(self, sha: str, count: int = 1) -> list[Any]:
        deadline = time.monotonic() + 10
        while True:
            runs = self.runs(sha)
            if len(runs) >= count and all(r.status == "completed" for r in runs):
                return runs
            assert time.monotonic() < deadline, f"runs for {sha} did not complete: {[r.status for r in runs]}"
            time.sleep(0.05)

    def world_repo(self) -> dict[str, Any]:
        return self.world.read()["forges"]["github"]["repos"][REPO]

    def set_faults(self, **faults: Any) -> None:
        with self.world.mutate() as data:
            data["faults"].update(faults)


def start(world: World, repos: Path) -> tuple[ForgeHandle, Recorder]:
    forge = start_forge(world, repos)
    trust_sandbox_ca(world.root)
    mount_github(forge, world)
    prefix, app = forge.dispatcher.resolve("/api/v3")
    recorder = Recorder(app)
    forge.mount(prefix, recorder)
    return forge, recorder


def contract_problems(recorder: Recorder) -> list[str]:
    found = []
    for exchange in recorder.exchanges:
        problems = contract().problems(exchange)
        if exchange.status >= 400:  # a rejected request may break the contract: that is why it was rejected
            problems = [p for p in problems if " request: " not in p]
        found += problems
    return found


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    world = World(tmp_path / "sandbox")
    repos = tmp_path / "sandbox" / "forge"
    create_repo(repos, OWNER, NAME)
    with world.mutate() as data:
        data["faults"]["run_seconds"] = RUN_SECONDS
        token = seed_github(data, OWNER, NAME)["token"]
    forge, recorder = start(world, repos)
    box = Sandbox(world, repos, forge, token, recorder, tmp_path / "clone")
    try:
        yield box
    finally:
        box.forge.stop()
    problems = contract_problems(box.recorder)
    assert not problems, "the fake departs from GitHub's OpenAPI description:\n" + "\n".join(problems)


# -- Google: a project, the DVC service account and its keys, through the official IAM client ---
@dataclass
class Cloud:
    world: World
    iam: iam_admin_v1.IAMClient
    keys: list[str] = field(default_factory=list)

    def create_key(self) -> str:
        key = self.iam.create_service_account_key(name=f"projects/{GCP_PROJECT}/serviceAccounts/{SA_EMAIL}")
        self.keys.append(key.name)
        return key.private_key_data.decode("utf-8")

    def delete_key(self, name: str) -> None:
        self.iam.delete_service_account_key(name=name)

    def grant_storage_viewer(self) -> None:
        self.grant("roles/storage.objectViewer")

    def grant(self, role: str) -> None:
        with self.world.mutate() as data:
            data["projects"][GCP_PROJECT]["iam_policy"]["bindings"].append(
                {"role": role, "members": [f"serviceAccount:{SA_EMAIL}"]}
            )


@pytest.fixture
def cloud(sandbox: Sandbox) -> Iterator[Cloud]:
    world = sandbox.world
    with world.mutate() as data:
        data["faults"]["service_account_visibility_seconds"] = 0
        data["projects"][GCP_PROJECT] = {
            "project_id": GCP_PROJECT,
            "number": "123456789012",
            "owner": LEARNER,
            "display_name": GCP_PROJECT,
            "state": "ACTIVE",
            "create_time": "2025-01-01T00:00:00.000000Z",
            "ready_at": 0.0,
            "billing_account": "012345-6789AB-CDEF01",
            "services": ["iam.googleapis.com", "storage.googleapis.com"],
            "service_accounts": {},
            "iam_policy": {
                "version": 3,
                "etag": "BwAAAAAAAAA=",
                "bindings": [{"role": "roles/owner", "members": [f"user:{LEARNER}"]}],
            },
        }
        data["buckets"][BUCKET] = {
            "project": GCP_PROJECT,
            "owner": LEARNER,
            "location": "EUROPE-WEST6",
            "uniform_access": True,
            "public_access_prevention": "enforced",
            "create_time": "2025-01-01T00:00:00.000Z",
        }
    server, port = start_control_plane(world)
    channel = sandbox_channel(world, port)
    iam = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel))
    iam.create_service_account(
        name=f"projects/{GCP_PROJECT}",
        account_id="dvc-service-account",
        service_account=iam_admin_v1.ServiceAccount(display_name="DVC Service Account"),
    )
    try:
        yield Cloud(world, iam)
    finally:
        channel.close()
        server.stop(grace=None).wait()


def wait_for(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
    return result


# -- seeding and tokens -------------------------------------------------------------------------
def test_seed_makes_the_learner_a_full_scope_token_and_a_repository_with_a_sealed_box_key(sandbox):
    forge = sandbox.world.read()["forges"]["github"]
    assert forge["users"]["learner"]["name"] == "Learner" and forge["users"]["learner"]["email"] == LEARNER
    assert forge["tokens"][sandbox.token]["scopes"] == ["repo", "workflow"]
    repo = forge["repos"][REPO]
    assert repo["private"] is False and repo["default_branch"] == "main"
    assert repo["secrets"] == {} and repo["runs"] == []
    assert len(base64.b64decode(repo["actions_key"]["public_key"])) == 32
    assert sandbox_github_token(sandbox.world) == sandbox.token
    with sandbox.world.mutate() as data:  # idempotent
        assert seed_github(data, OWNER, NAME) == {"token": sandbox.token, "api_url_path": "/api/v3"}
    assert not sandbox.token.startswith("ghp_")


def test_user_repository_and_scopes_header(sandbox):
    g = sandbox.github()
    user = g.get_user()
    assert (user.login, user.name, user.email) == ("learner", "Learner", LEARNER)
    assert g.oauth_scopes == ["repo", "workflow"]
    repo = g.get_repo(REPO)
    assert repo.full_name == REPO and repo.default_branch == "main" and repo.private is False
    assert repo.clone_url == sandbox.forge.repo_url(OWNER, NAME)
    assert repo.permissions.push and repo.permissions.admin
    assert repo.id == sandbox.world_repo()["id"]
    assert g.get_repo("Learner/MLOPS-guide").full_name == REPO  # names are case-insensitive
    with pytest.raises(UnknownObjectException):
        g.get_repo("learner/nope")
    calls = sandbox.world.read()["calls"]["by_service"]["github"]
    assert calls["reads"] >= 4 and calls["writes"] == 0


def test_urls_are_built_from_the_host_the_client_used(sandbox):
    repo = sandbox.github(host="localhost").get_repo(REPO)
    assert repo.url.startswith(f"https://localhost:{sandbox.forge.port}/api/v3/")
    assert repo.html_url == f"https://localhost:{sandbox.forge.port}/{REPO}"
    repo.create_secret(SECRET, "x")  # PyGithub follows repo.url: it must lead back here
    assert [s.name for s in repo.get_secrets()] == [SECRET]


def test_unknown_token_is_401_bad_credentials(sandbox):
    with pytest.raises(BadCredentialsException) as raised:
        _ = sandbox.github("sandbox-gh-" + "0" * 32).get_user().login  # get_user() itself is lazy
    assert raised.value.status == 401 and raised.value.data["message"] == "Bad credentials"
    anonymous = requests.get(f"{sandbox.api}/user", timeout=10)
    assert anonymous.status_code == 401 and anonymous.json()["message"] == "Requires authentication"
    assert requests.get(f"{sandbox.api}/repos/{REPO}", timeout=10).status_code == 200  # public


def test_fine_grained_token_has_no_scopes_header_and_read_only_cannot_write(sandbox):
    token = mint_github_token(sandbox.world, None, {REPO: "read"})
    g = sandbox.github(token)
    repo = g.get_repo(REPO)
    assert g.oauth_scopes is None
    assert repo.permissions.push is False and repo.permissions.pull is True
    assert repo.get_secrets().totalCount == 0  # secrets: read
    for write in (lambda: repo.create_secret(SECRET, "x"), lambda: repo.create_file("a.txt", "m", "a")):
        with pytest.raises(GithubException) as raised:
            write()
        assert raised.value.status == 403
        assert raised.value.data["message"] == "Resource not accessible by personal access token"

    writer = mint_github_token(sandbox.world, None, {REPO: "write"})
    sandbox.repo(writer).create_file(".github/workflows/mlops.yml", "A pipeline", MLOPS_YML)

    elsewhere = mint_github_token(sandbox.world, None, {"learner/other": "write"})
    public = sandbox.repo(elsewhere)  # a public repository is readable by any token
    with pytest.raises(GithubException) as raised:
        _ = public.get_secrets().totalCount
    assert raised.value.status == 403
    with sandbox.world.mutate() as data:
        data["forges"]["github"]["repos"][REPO]["private"] = True
    with pytest.raises(UnknownObjectException):  # GitHub hides private repositories
        sandbox.repo(elsewhere)


def test_classic_token_without_repo_scope_gets_404_on_writes(sandbox):
    token = mint_github_token(sandbox.world, ["read:user"])
    g = sandbox.github(token)
    repo = g.get_repo(REPO)
    assert g.oauth_scopes == ["read:user"]
    with pytest.raises(UnknownObjectException):
        repo.create_secret(SECRET, "x")
    with pytest.raises(UnknownObjectException):
        repo.create_file("a.txt", "m", "a")
    assert sandbox.world_repo()["secrets"] == {}


def test_missing_workflow_scope_refuses_workflow_files_only(sandbox):
    token = mint_github_token(sandbox.world, ["repo"])
    repo = sandbox.repo(token)
    created = repo.create_file("README.md", "First", "# My ML experiment\n")
    with pytest.raises(UnknownObjectException):
        repo.create_file(".github/workflows/mlops.yml", "A pipeline", MLOPS_YML)
    assert git("rev-parse", "refs/heads/main", cwd=repo_path(sandbox.repos, OWNER, NAME)) == created["commit"].sha
    sandbox.repo().create_file(".github/workflows/mlops.yml", "A pipeline", MLOPS_YML)  # full scope: fine


# -- secrets ------------------------------------------------------------------------------------
def test_secret_create_update_delete_keeps_only_facts(sandbox, cloud):
    repo = sandbox.repo()
    key_json = cloud.create_key()
    repo.create_secret(SECRET, key_json)
    assert sandbox.recorder.exchanges[-1].status == 201
    stored = sandbox.world_repo()["secrets"][SECRET]
    assert stored["valid_json_key"] is True and stored["client_email"] == SA_EMAIL
    assert stored["private_key_id"] == json.loads(key_json)["private_key_id"]
    world_text = sandbox.world.path.read_text()
    assert json.loads(key_json)["private_key"].splitlines()[1] not in world_text
    assert "PRIVATE KEY-----" not in json.dumps(stored)

    repo.create_secret(SECRET, "not json")
    assert sandbox.recorder.exchanges[-1].status == 204
    stored = sandbox.world_repo()["secrets"][SECRET]
    assert stored["valid_json_key"] is False and stored["problem"] == "the value is not JSON"
    assert "not json" not in sandbox.world.path.read_text()

    assert [s.name for s in repo.get_secrets()] == [SECRET]
    assert repo.get_secret(SECRET).name == SECRET
    assert repo.delete_secret(SECRET) is True
    with pytest.raises(UnknownObjectException):
        repo.get_secret(SECRET)
    assert repo.delete_secret(SECRET) is False  # 404


def test_badly_encrypted_secrets_are_422_like_github(sandbox):
    key = sandbox.raw("GET", f"/repos/{REPO}/actions/secrets/public-key").json()
    from nacl.public import PublicKey, SealedBox

    sealed = base64.b64encode(SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(b"value")).decode()
    path = f"/repos/{REPO}/actions/secrets/{SECRET}"
    cases = [
        (
            {"encrypted_value": sealed, "key_id": "123"},
            "Bad request - validation failed due to an improperly encrypted secret",
        ),
        (
            {"encrypted_value": base64.b64encode(b"x" * 64).decode(), "key_id": key["key_id"]},
            "Bad request - validation failed due to an improperly encrypted secret",
        ),
        ({"encrypted_value": "not base64!", "key_id": key["key_id"]}, "Invalid request.\n\nnot base64! does not match"),
        ({"encrypted_value": sealed}, 'Invalid request.\n\n"key_id" wasn\'t supplied.'),
    ]
    for body, message in cases:
        response = sandbox.raw("PUT", path, json=body)
        assert response.status_code == 422, body
        assert response.json()["message"].startswith(message)
    assert sandbox.raw("PUT", f"/repos/{REPO}/actions/secrets/GITHUB_X", json={}).status_code == 422
    assert sandbox.raw("PUT", path, json={"encrypted_value": sealed, "key_id": key["key_id"]}).status_code == 201
    assert sandbox.world_repo()["secrets"][SECRET]["problem"] == "the value is not JSON"


# -- contents -----------------------------------------------------------------------------------
def test_contents_create_read_update_stale_sha_and_delete(sandbox):
    repo = sandbox.repo()
    created = repo.create_file("docs/README.md", "Add a README", "# My ML experiment\n")
    bare = repo_path(sandbox.repos, OWNER, NAME)
    assert created["content"].sha == git("rev-parse", "main:docs/README.md", cwd=bare)
    assert git("log", "-1", "--format=%s|%an|%ae", "main", cwd=bare) == f"Add a README|Learner|{LEARNER}"
    assert sandbox.recorder.exchanges[-1].status == 201

    content = repo.get_contents("docs/README.md")
    assert content.decoded_content == b"# My ML experiment\n" and content.sha == created["content"].sha
    assert [c.path for c in repo.get_contents("docs")] == ["docs/README.md"]
    assert [c.type for c in repo.get_contents("")] == ["dir"]

    updated = repo.update_file("docs/README.md", "Say more", "# More\n", content.sha)
    assert sandbox.recorder.exchanges[-1].status == 200
    assert updated["commit"].parents[0].sha == created["commit"].sha
    assert repo.get_contents("docs/README.md", ref=created["commit"].sha).decoded_content == b"# My ML experiment\n"

    with pytest.raises(GithubException) as stale:
        repo.update_file("docs/README.md", "Stale", "# Stale\n", content.sha)
    assert stale.value.status == 409 and "does not match" in stale.value.data["message"]
    no_sha = sandbox.raw(
        "PUT",
        f"/repos/{REPO}/contents/docs/README.md",
        json={"message": "m", "content": base64.b64encode(b"x").decode()},
    )
    assert no_sha.status_code == 422 and no_sha.json()["message"] == 'Invalid request.\n\n"sha" wasn\'t supplied.'

    under_a_file = sandbox.raw(
        "PUT",
        f"/repos/{REPO}/contents/docs/README.md/inner.txt",
        json={"message": "m", "content": base64.b64encode(b"x").decode()},
    )
    assert under_a_file.status_code == 422
    with pytest.raises(UnknownObjectException):
        repo.get_contents("missing.txt")
    with pytest.raises(GithubException) as unknown_ref:
        repo.get_contents("docs/README.md", ref="no-such-branch")
    assert unknown_ref.value.status == 404
    assert unknown_ref.value.data["message"] == "No commit found for the ref no-such-branch"
    repo.delete_file("docs/README.md", "Remove it", updated["content"].sha)
    with pytest.raises(UnknownObjectException):
        repo.get_contents("docs/README.md")
    git("clone", "--quiet", sandbox.forge.repo_url(OWNER, NAME), str(sandbox.clone_dir))
    assert git("log", "--format=%s", cwd=sandbox.clone_dir).splitlines() == ["Remove it", "Say more", "Add a README"]


def test_contents_of_a_pushed_repository_and_a_commit(sandbox):
    sha = sandbox.commit_and_push({"src/train.py": "print('train')\n", "params.yaml": "seed: 77\n"}, "Scripts")
    repo = sandbox.repo()
    assert sorted(c.name for c in repo.get_contents("")) == ["params.yaml", "src"]
    commit = repo.get_commit("main")
    assert commit.sha == sha and commit.commit.message == "Scripts"
    assert commit.author.login == "learner"  # the commit e-mail is the learner's
    assert sorted(f.filename for f in commit.files) == ["params.yaml", "src/train.py"]
    assert commit.stats.additions == 2
    with pytest.raises(GithubException) as raised:
        repo.get_commit("0" * 40)
    assert raised.value.status == 422


# -- simulated runs -----------------------------------------------------------------------------
def test_push_of_the_guide_workflow_with_a_working_key_runs_green(sandbox, cloud):
    cloud.grant_storage_viewer()
    sandbox.repo().create_secret(SECRET, cloud.create_key())
    sha = sandbox.commit_and_push(
        {".dvc/config": DVC_CONFIG, ".github/workflows/mlops.yml": MLOPS_YML},
        "A pipeline will run my experiment on each push",
    )
    first = sandbox.runs(sha)
    assert [(r.name, r.event, r.head_branch, r.path) for r in first] == [
        ("MLOps", "push", "main", ".github/workflows/mlops.yml")
    ]
    assert first[0].status in ("queued", "in_progress") and first[0].conclusion is None
    assert first[0].display_title == "A pipeline will run my experiment on each push"
    (run,) = sandbox.finished_runs(sha)
    assert run.conclusion == "success" and run.run_number == 1
    log = sandbox.world_repo()["runs"][0]["log"]
    assert any(SA_EMAIL in line for line in log), log
    workflow = sandbox.repo().get_workflow("mlops.yml")
    assert workflow.name == "MLOps" and [r.id for r in workflow.get_runs()] == [run.id]
    assert sandbox.repo().get_workflow(workflow.id).path == ".github/workflows/mlops.yml"

    other = sandbox.commit_and_push({"notes.txt": "x\n"}, "Work on a branch", branch="feature")
    assert sandbox.runs(other) == []  # the workflow runs on pushes to main only


def test_runs_fail_for_each_way_the_key_can_be_wrong(sandbox, cloud):
    files = {".dvc/config": DVC_CONFIG, ".github/workflows/mlops.yml": MLOPS_YML}
    repo = sandbox.repo()

    def conclusion(message: str) -> tuple[str, str]:
        sha = sandbox.commit_and_push(files, message)
        (run,) = sandbox.finished_runs(sha)
        record = next(r for r in sandbox.world_repo()["runs"] if r["id"] == run.id)
        return run.conclusion, record["log"][-1]

    result, why = conclusion("No secret yet")
    assert result == "failure" and f"{SECRET} is not set" in why and "credentials_json" in why

    repo.create_secret(SECRET, "{not json")
    result, why = conclusion("Invalid JSON")
    assert result == "failure" and "not JSON" in why

    key = cloud.create_key()
    repo.create_secret(SECRET, key)
    result, why = conclusion("No storage role")
    assert result == "failure" and "storage.objects.get" in why and GCP_PROJECT in why

    cloud.grant_storage_viewer()
    cloud.delete_key(cloud.keys[-1])
    result, why = conclusion("Deleted key")
    assert result == "failure" and "does not exist (deleted?)" in why

    repo.create_secret(SECRET, cloud.create_key())
    assert conclusion("All good") == ("success", "Job train: succeeded")


def test_status_moves_on_by_itself_and_survives_a_restart(sandbox):
    sandbox.set_faults(run_seconds=1.2)
    sandbox.repo().create_secret(SECRET, "x")
    plain = MLOPS_YML.replace("'${{ secrets.DVC_GCP_SERVICE_ACCOUNT_KEY }}'", "'none'")
    sha = sandbox.commit_and_push({".github/workflows/mlops.yml": plain}, "Pipeline")
    assert [r.status for r in sandbox.runs(sha)] == ["queued"]
    wait_for(lambda: [r.status for r in sandbox.runs(sha)] == ["in_progress"])
    sandbox.forge.stop()
    sandbox.forge, recorder = start(sandbox.world, sandbox.repos)
    sandbox.recorder.exchanges += recorder.exchanges
    sandbox.recorder = recorder
    (run,) = sandbox.finished_runs(sha)
    assert run.conclusion == "success" and run.run_started_at <= run.updated_at  # timestamps have 1 s resolution
    assert sandbox.world_repo()["runs"][0]["status"] == "completed"  # settled into the world


def test_reusable_workflows_have_their_secrets_checked_and_never_run_on_push(sandbox, cloud):
    cloud.grant_storage_viewer()
    sandbox.repo().create_secret(SECRET, cloud.create_key())
    sha = sandbox.commit_and_push(
        {
            ".dvc/config": DVC_CONFIG,
            ".github/workflows/mlops.yml": MLOPS_YML + DEPLOY_JOB,
            ".github/workflows/deploy.yml": DEPLOY_YML,
        },
        "Deploy on main",
    )
    (run,) = sandbox.finished_runs(sha)  # deploy.yml only runs when called
    assert run.path == ".github/workflows/mlops.yml" and run.conclusion == "failure"
    log = sandbox.world_repo()["runs"][-1]["log"]
    assert "MLEM_GCP_SERVICE_ACCOUNT_KEY is not set" in log[-1] and "deploy → deploy" in log[-1]

    sandbox.repo().create_secret("MLEM_GCP_SERVICE_ACCOUNT_KEY", cloud.create_key())
    (run,) = sandbox.finished_runs(sandbox.commit_and_push({}, "Again"))
    assert run.conclusion == "failure"  # a deploy job needs more than reading the bucket
    assert "uploadArtifacts" in sandbox.world_repo()["runs"][-1]["log"][-1]

    cloud.grant("roles/artifactregistry.createOnPushWriter")
    cloud.grant("roles/container.developer")
    (run,) = sandbox.finished_runs(sandbox.commit_and_push({}, "With the deployment roles"))
    assert run.conclusion == "success"

    broken = sandbox.commit_and_push({".github/workflows/deploy.yml": None}, "Lose the called workflow")
    (run,) = sandbox.finished_runs(broken)
    assert run.conclusion == "failure"
    assert "workflow was not found" in sandbox.world_repo()["runs"][-1]["log"][-1]


def test_invalid_workflow_file_fails_its_run(sandbox):
    sha = sandbox.commit_and_push({".github/workflows/mlops.yml": "on: [push\njobs: {"}, "Broken YAML")
    (run,) = sandbox.finished_runs(sha)
    assert run.conclusion == "failure" and run.name == ".github/workflows/mlops.yml"
    assert sandbox.world_repo()["runs"][0]["log"][-1].startswith("Invalid workflow file: .github/workflows/mlops.yml")


def test_contents_put_of_a_workflow_starts_a_run(sandbox):
    created = sandbox.repo().create_file(".github/workflows/mlops.yml", "Pipeline", MLOPS_YML)
    (run,) = sandbox.finished_runs(created["commit"].sha)
    assert run.event == "push" and run.conclusion == "failure"  # no secret yet


def test_dispatch_creates_a_workflow_dispatch_run(sandbox):
    sandbox.commit_and_push(
        {".github/workflows/mlops.yml": MLOPS_YML, ".github/workflows/deploy.yml": DEPLOY_YML}, "Pipelines"
    )
    workflow = sandbox.repo().get_workflow("mlops.yml")
    assert workflow.create_dispatch("main") is True
    runs = list(workflow.get_runs(event="workflow_dispatch"))
    assert [(r.event, r.head_branch, r.display_title) for r in runs] == [("workflow_dispatch", "main", "MLOps")]
    assert [r.run_number for r in workflow.get_runs()] == [2, 1]
    with pytest.raises(GithubException) as raised:
        workflow.create_dispatch("no-such-branch", throw=True)
    assert raised.value.status == 422 and raised.value.data["message"] == "No ref found for: no-such-branch"
    with pytest.raises(GithubException) as raised:
        sandbox.repo().get_workflow("deploy.yml").create_dispatch("main", {"unknown": "1"}, throw=True)
    assert raised.value.status == 422 and "Unexpected inputs" in raised.value.data["message"]
    reader = mint_github_token(sandbox.world, None, {REPO: "read"})
    with pytest.raises(GithubException) as raised:
        sandbox.repo(reader).get_workflow("mlops.yml").create_dispatch("main", throw=True)
    assert raised.value.status == 403


def test_run_filters_get_and_delete(sandbox):
    sandbox.commit_and_push({".github/workflows/mlops.yml": MLOPS_YML}, "One")
    two = sandbox.commit_and_push({"a.txt": "a\n"}, "Two")
    repo = sandbox.repo()
    runs = sandbox.finished_runs(two)
    assert repo.get_workflow_runs().totalCount == 2
    assert repo.get_workflow_runs(branch="main", event="push", status="failure").totalCount == 2
    assert repo.get_workflow_runs(branch="feature").totalCount == 0
    assert repo.get_workflow_runs(status="success").totalCount == 0
    assert repo.get_workflow_run(runs[0].id).head_sha == two
    assert runs[0].delete() is True
    assert repo.get_workflow_runs().totalCount == 1
    with pytest.raises(UnknownObjectException):
        repo.get_workflow_run(runs[0].id)


def test_pagination_follows_link_headers(sandbox):
    repo = sandbox.repo()
    for n in range(5):
        repo.create_secret(f"SECRET_{n}", "x")
    g = Github(base_url=sandbox.api, auth=Auth.Token(sandbox.token), retry=None, per_page=2, **NO_THROTTLE)
    assert [s.name for s in g.get_repo(REPO).get_secrets()] == [f"SECRET_{n}" for n in range(5)]


def test_injected_failures(sandbox):
    sandbox.set_faults(fail={"github.repos/get": "UNAVAILABLE"})
    with pytest.raises(GithubException) as raised:
        sandbox.github().get_repo(REPO)
    assert raised.value.status == 503
    sandbox.set_faults(fail={"github.*": "RATE_LIMITED"})
    with pytest.raises(RateLimitExceededException):
        _ = sandbox.github().get_user().login
    sandbox.set_faults(fail={"github.workflow-run": "cancelled"})
    sha = sandbox.commit_and_push({".github/workflows/mlops.yml": MLOPS_YML}, "Pipeline")
    sandbox.set_faults(fail={})
    assert [r.conclusion for r in sandbox.finished_runs(sha)] == ["cancelled"]


# -- the contract -------------------------------------------------------------------------------
def test_every_endpoint_is_in_the_contract_and_answers_by_it(sandbox, cloud):
    """Drive every endpoint once through PyGithub; the fixture then checks every exchange."""
    ops = {(op.method, op.id) for op in contract().operations}
    assert {(r.method, r.operation) for r in ROUTES} <= ops

    repo = sandbox.repo()
    assert sandbox.github().get_user().login == "learner"
    repo.create_secret(SECRET, cloud.create_key())
    repo.get_public_key()
    repo.get_secret(SECRET)
    assert repo.get_secrets().totalCount == 1
    created = repo.create_file(".github/workflows/mlops.yml", "Pipeline", MLOPS_YML)
    repo.get_contents(".github/workflows/mlops.yml")
    repo.get_contents(".github")
    readme = repo.create_file("README.md", "Readme", "hi\n")
    repo.delete_file("README.md", "No readme", readme["content"].sha)
    repo.get_commit(created["commit"].sha)
    workflow = repo.get_workflow("mlops.yml")
    workflow.create_dispatch("main")
    runs = sandbox.finished_runs(created["commit"].sha)
    assert runs[0].rerun()
    runs = sandbox.finished_runs(created["commit"].sha)
    list(workflow.get_runs())
    repo.get_workflow_run(runs[0].id)
    runs[0].delete()
    repo.delete_secret(SECRET)
    served = {contract().operation(e.method, e.path).id for e in sandbox.recorder.exchanges}
    assert served == {r.operation for r in ROUTES}


def test_the_contract_check_catches_a_missing_required_field(sandbox):
    sandbox.commit_and_push({".github/workflows/mlops.yml": MLOPS_YML}, "Pipeline")
    assert sandbox.repo().get_workflow_runs().totalCount == 1
    exchange = next(e for e in sandbox.recorder.exchanges if e.path.endswith("/actions/runs"))
    assert contract().problems(exchange) == []
    body = exchange.response_json()
    del body["workflow_runs"][0]["html_url"]
    body["workflow_runs"][0]["run_number"] = "1"
    broken = type(exchange)(**{**exchange.__dict__, "response_body": json.dumps(body).encode()})
    problems = contract().problems(broken)
    assert any("'html_url' is a required property" in p for p in problems), problems
    assert any("'1' is not of type 'integer'" in p for p in problems), problems


# -- reading workflow files (no server) ---------------------------------------------------------
def test_triggers_and_filters_read_like_github_actions():
    from wizard.sandbox.github.runs import dvc_bucket
    from wizard.sandbox.github.workflows import matches, parse, triggered_by_push

    guide = parse(".github/workflows/mlops.yml", MLOPS_YML)
    assert set(guide.triggers) == {"push", "pull_request", "workflow_dispatch"}  # `on` is YAML 1.1's True
    assert triggered_by_push(guide, "main", None) and not triggered_by_push(guide, "feature", None)
    assert not triggered_by_push(parse("w.yml", DEPLOY_YML), "main", None)
    assert triggered_by_push(parse("w.yml", "on: push\njobs: {a: {}}"), "any/branch", None)
    assert triggered_by_push(parse("w.yml", "on: [pull_request, push]\njobs: {a: {}}"), "x", None)
    only_tags = parse("w.yml", "on:\n  push:\n    tags: ['v*']\njobs: {a: {}}")
    assert not triggered_by_push(only_tags, "main", None)
    paths = parse("w.yml", "on:\n  push:\n    paths: ['src/**']\njobs: {a: {}}")
    assert triggered_by_push(paths, "main", ["src/a/b.py"]) and not triggered_by_push(paths, "main", ["README.md"])
    patterns = ["main", "releases/**", "!releases/**-alpha"]
    assert [matches(patterns, b) for b in ("main", "releases/v1/x", "releases/v1-alpha", "feature/main")] == [
        True,
        True,
        False,
        False,
    ]
    assert matches("feature/*", "feature/a") and not matches("feature/*", "feature/a/b")
    assert dvc_bucket(DVC_CONFIG.encode()) == BUCKET
    assert dvc_bucket(b"[core]\n    remote = s3\n['remote \"s3\"']\n    url = s3://b/x\n") is None
    assert dvc_bucket(None) is None


# -- who may do what, as GitHub answers it --------------------------------------------------------
ORG_REPO = "mlops-course/team-project"


def add_org_repo(sandbox, role: str = "write") -> None:
    with sandbox.world.mutate() as data:
        add_repo(data, ORG_REPO, private=True, collaborators={OWNER: role}, organization=True)
    create_repo(sandbox.repos, *ORG_REPO.split("/"))


def test_a_collaborator_with_write_access_stores_secrets_in_an_organisation_repository(sandbox):
    add_org_repo(sandbox)
    repo = sandbox.github().get_repo(ORG_REPO)
    assert repo.permissions.push is True and repo.permissions.admin is False
    repo.create_secret(SECRET, "x")
    assert SECRET in sandbox.world.read()["forges"]["github"]["repos"][ORG_REPO]["secrets"]
    answer = sandbox.raw("GET", f"/repos/{ORG_REPO}/actions/secrets/public-key")
    assert answer.status_code == 200
    assert answer.headers["X-Accepted-OAuth-Scopes"] == ""  # as api.github.com sends it on secrets endpoints
    assert answer.headers["X-OAuth-Scopes"] == "repo, workflow"


def test_a_reader_of_an_organisation_repository_cannot_store_secrets(sandbox):
    add_org_repo(sandbox, role="read")
    repo = sandbox.github().get_repo(ORG_REPO)
    assert repo.permissions.push is False and repo.permissions.pull is True
    with pytest.raises(UnknownObjectException):
        repo.create_secret(SECRET, "x")


def test_public_repo_scope_is_not_enough_for_secrets(sandbox):
    token = mint_github_token(sandbox.world, ["public_repo", "workflow"])
    with pytest.raises(UnknownObjectException):
        sandbox.repo(token).create_secret(SECRET, "x")


def test_a_fine_grained_token_without_secrets_write_is_told_which_permission(sandbox):
    token = mint_github_token(
        sandbox.world, None, {REPO: {"contents": "write", "workflows": "write", "secrets": "read", "actions": "read"}}
    )
    repo = sandbox.repo(token)
    assert repo.get_public_key().key_id  # reading the public key proves read access only
    answer = sandbox.raw(
        "PUT", f"/repos/{REPO}/actions/secrets/{SECRET}", token, json={"encrypted_value": "AAAA", "key_id": "1"}
    )
    assert answer.status_code == 403
    assert answer.json()["message"] == "Resource not accessible by personal access token"
    assert answer.headers["X-Accepted-GitHub-Permissions"] == "secrets=write"
    assert "X-Accepted-OAuth-Scopes" not in answer.headers
    no_workflows = mint_github_token(sandbox.world, None, {REPO: {"contents": "write"}})
    with pytest.raises(GithubException) as raised:
        sandbox.repo(no_workflows).create_file(".github/workflows/mlops.yml", "A pipeline", MLOPS_YML)
    assert raised.value.status == 403
    assert raised.value.headers["x-accepted-github-permissions"] == "contents=write,workflows=write"


def test_the_rate_limit_knob_refuses_for_a_while_then_resets(sandbox):
    sandbox.set_faults(rate_limit={"after": 1, "seconds": 1.5, "kind": "primary"})
    assert sandbox.raw("GET", "/user").status_code == 200  # the one request left
    refused = sandbox.raw("GET", "/user")
    assert refused.status_code == 403 and refused.json()["message"].startswith("API rate limit exceeded")
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert 0 < int(refused.headers["X-RateLimit-Reset"]) - time.time() <= 2.5
    time.sleep(1.6)
    assert sandbox.raw("GET", "/user").status_code == 200  # reset: the knob is gone
    assert "rate_limit" not in sandbox.world.read()["faults"]
    sandbox.set_faults(rate_limit={"after": 0, "seconds": 1, "kind": "secondary"})
    refused = sandbox.raw("GET", "/user")
    assert refused.status_code == 403 and refused.headers["Retry-After"] == "1"
    assert "secondary rate limit" in refused.json()["message"]


# -- pushes, as GitHub refuses them ---------------------------------------------------------------
def push_as(sandbox, token: str, files: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Commit `files` in the clone and push them with `token` as git's password."""
    work = sandbox.clone_dir
    if not (work / ".git").exists():
        with sandbox.world.mutate() as data:
            data["faults"]["git_auth"] = False
        sandbox.commit_and_push({"README.md": "# My ML experiment\n"}, "First")
    for path, content in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(content)
    git("add", "--all", cwd=work)
    git("commit", "--quiet", "-m", "Change", cwd=work)
    with sandbox.world.mutate() as data:
        data["faults"]["git_auth"] = True  # git sends its credential after GitHub's 401, as with github.com
    url = sandbox.forge.repo_url(OWNER, NAME).replace("https://", f"https://x-access-token:{token}@")
    return subprocess.run(
        ["git", "push", url, "main"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, GIT_TERMINAL_PROMPT="0"),
    )


def test_a_push_of_a_workflow_without_the_workflow_scope_is_refused_with_githubs_words(sandbox):
    token = mint_github_token(sandbox.world, ["repo"])
    refused = push_as(sandbox, token, {".github/workflows/mlops.yml": MLOPS_YML})
    assert refused.returncode != 0
    assert (
        "refusing to allow a Personal Access Token to create or update workflow `.github/workflows/mlops.yml` "
        "without `workflow` scope"
    ) in refused.stderr
    assert token not in refused.stderr
    assert push_as(sandbox, token, {"README.md": "# Changed\n"}).returncode != 0  # the refused commit is still in it
    git("reset", "--quiet", "--hard", "origin/main", cwd=sandbox.clone_dir)
    assert push_as(sandbox, token, {"README.md": "# Changed\n"}).returncode == 0  # other files: fine


def test_protected_branches_and_write_access_on_pushes(sandbox):
    with sandbox.world.mutate() as data:
        protect_branch(data, REPO)
    assert push_as(sandbox, sandbox.token, {"a.txt": "a"}).returncode == 0  # administrators are exempt
    with sandbox.world.mutate() as data:
        protect_branch(data, REPO, enforce_admins=True)
    refused = push_as(sandbox, sandbox.token, {"b.txt": "b"})
    assert "GH006: Protected branch update failed for refs/heads/main." in refused.stderr
    with sandbox.world.mutate() as data:
        data["forges"]["github"]["repos"][REPO]["protected_branches"] = {}
        add_repo(data, REPO, collaborators={"reader": "read"})
    reader = mint_github_token(sandbox.world, ["repo", "workflow"], login="reader")
    denied = push_as(sandbox, reader, {"c.txt": "c"})
    assert "Permission to learner/mlops-guide.git denied to reader." in denied.stderr and "403" in denied.stderr
