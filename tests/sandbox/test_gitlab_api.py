"""The fake GitLab, driven over the wire by python-gitlab and real git.

Each test starts a sandbox forge on a fresh world with a real bare repository, mounts the
fake API and talks to it exactly as the wizard does (`gitlab.Gitlab(url, private_token=…)`).
Pipelines are started by real `git push`es; the keys they check are real service account
key files, made either straight into the world or by the IAM fake through the official client.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gitlab
import pytest
import requests
from google.cloud import iam_admin_v1
from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport

from tests.sandbox.gitlab_helpers import (
    ACCOUNT,
    DVC_CONFIG,
    DVC_YAML,
    GCP_PROJECT,
    REPO,
    SEED_GITLAB_CI,
    commit_files,
    git,
    google_project,
    variable_in_world,
)
from tests.sandbox.google_helpers import sandbox_channel
from tests.support import trust_sandbox_ca
from wizard.sandbox.control_plane import key_material, start_control_plane
from wizard.sandbox.forge import create_repo, start_forge
from wizard.sandbox.gitlab import ci
from wizard.sandbox.gitlab.store import add_member
from wizard.sandbox.gitlab_api import (
    mint_gitlab_token,
    mount_gitlab,
    sandbox_gitlab_token,
    seed_gitlab,
)
from wizard.sandbox.world import World

pytestmark = pytest.mark.timeout(60)
KEY = "DVC_GCP_SERVICE_ACCOUNT_KEY"


@dataclass
class Lab:
    world: World
    forge: Any
    token: str
    gl: gitlab.Gitlab
    tmp: Path

    @property
    def project(self) -> Any:
        return self.gl.projects.get(REPO)

    def clone(self, name: str = "work") -> Path:
        work = self.tmp / name
        if not work.exists():
            git("clone", "--quiet", self.forge.repo_url("learner", "mlops-guide"), str(work))
            git("checkout", "--quiet", "-B", "main", cwd=work)
        return work

    def push(
        self,
        files: dict[str, str],
        message: str = "A pipeline will run my experiment on each push",
        branch: str = "main",
    ) -> str:
        work = self.clone()
        sha = commit_files(work, files, message)
        git("push", "--quiet", "origin", f"HEAD:{branch}", cwd=work)
        return sha

    def pipelines(self, sha: str) -> list[Any]:
        return self.project.pipelines.list(sha=sha, get_all=True)

    def finished(self, sha: str, timeout: float = 10) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            runs = self.pipelines(sha)
            if runs and runs[0].status in ("success", "failed"):
                return self.project.pipelines.get(runs[0].id)
            assert time.monotonic() < deadline, f"no finished pipeline for {sha}: {runs}"
            time.sleep(0.05)

    def set_faults(self, **faults: Any) -> None:
        with self.world.mutate() as data:
            data["faults"].update(faults)


def start(world: World, tmp: Path) -> Any:
    forge = start_forge(world, tmp / "sandbox" / "forge")
    trust_sandbox_ca(world.root)
    mount_gitlab(forge, world)
    return forge


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    world = World(tmp_path / "sandbox")
    create_repo(tmp_path / "sandbox" / "forge", "learner", "mlops-guide")
    with world.mutate() as data:
        token = seed_gitlab(data, REPO)["token"]
        data["faults"]["run_seconds"] = 0.0
    forge = start(world, tmp_path)
    yield Lab(
        world, forge, token, gitlab.Gitlab(forge.url, private_token=token, retry_transient_errors=False), tmp_path
    )
    forge.stop()


@pytest.fixture(scope="module")
def material() -> key_material.KeyMaterial:
    return key_material.generate()


def seeded_repo(lab: Lab, material: key_material.KeyMaterial | None, **google: Any) -> bytes | None:
    """The learner's repository as chapter 7 leaves it, and the Google side of chapter 8."""
    key = google_project(lab.world, material=material, **google)
    lab.push(
        {".dvc/config": DVC_CONFIG, "dvc.yaml": DVC_YAML, "README.md": "# My ML experiment\n"},
        "My ML experiment data is shared with DVC",
    )
    return key


# -- identity -------------------------------------------------------------------------------------
def test_user_and_token_scopes(lab: Lab) -> None:
    lab.gl.auth()
    assert lab.gl.user.username == "learner"
    assert lab.gl.user.email == "learner@example.com"
    me = lab.gl.personal_access_tokens.get("self")
    assert me.scopes == ["api", "read_repository", "write_repository"]
    assert me.active is True and me.revoked is False and me.user_id == lab.gl.user.id
    assert sandbox_gitlab_token(lab.world) == lab.token
    assert lab.token.startswith("sandbox-gl-")
    with lab.world.mutate() as data:  # seeding again keeps the token and the project
        assert seed_gitlab(data, REPO)["token"] == lab.token
    assert len(lab.world.read()["forges"]["gitlab"]["tokens"]) == 1


def test_bearer_tokens_and_bad_or_expired_tokens(lab: Lab) -> None:
    bearer = gitlab.Gitlab(lab.forge.url, oauth_token=lab.token)
    bearer.auth()
    assert bearer.user.username == "learner"
    for secret in ("sandbox-gl-" + "0" * 32, mint_gitlab_token(lab.world, ["api"], expired=True)):
        bad = gitlab.Gitlab(lab.forge.url, private_token=secret)
        with pytest.raises(gitlab.GitlabAuthenticationError) as caught:
            bad.auth()
        assert caught.value.response_code == 401 and caught.value.error_message == "401 Unauthorized"
    anonymous = requests.get(f"{lab.forge.url}/api/v4/user", timeout=5)
    assert anonymous.status_code == 401 and anonymous.json() == {"message": "401 Unauthorized"}


def test_a_token_without_api_scope_gets_insufficient_scope(lab: Lab) -> None:
    git_only = gitlab.Gitlab(lab.forge.url, private_token=mint_gitlab_token(lab.world, ["read_repository"]))
    assert git_only.personal_access_tokens.get("self").scopes == ["read_repository"]  # any token sees itself
    with pytest.raises(gitlab.GitlabGetError) as caught:
        git_only.projects.get(REPO)
    assert caught.value.response_code == 403 and caught.value.error_message == "insufficient_scope"
    body = json.loads(caught.value.response_body)
    assert body["scope"] == "api read_api" and "higher privileges" in body["error_description"]

    read_api = gitlab.Gitlab(lab.forge.url, private_token=mint_gitlab_token(lab.world, ["read_api"]))
    project = read_api.projects.get(REPO)
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.variables.create({"key": KEY, "value": "c2VjcmV0LXZhbHVl"})
    assert caught.value.response_code == 403 and json.loads(caught.value.response_body)["scope"] == "api"


# -- projects -------------------------------------------------------------------------------------
def test_project_by_path_by_id_and_unknown(lab: Lab) -> None:
    project = lab.gl.projects.get(REPO)
    assert project.path_with_namespace == REPO and project.empty_repo is True
    assert project.http_url_to_repo == f"{lab.forge.url}/{REPO}.git"
    assert lab.gl.projects.get(project.id).path_with_namespace == REPO
    assert lab.gl.projects.get("Learner/MLOps-Guide").id == project.id  # paths are case-insensitive
    lab.push({"README.md": "# hi\n"}, "First")
    assert lab.gl.projects.get(REPO).default_branch == "main"
    for unknown in ("learner/nope", 999):
        with pytest.raises(gitlab.GitlabGetError) as caught:
            lab.gl.projects.get(unknown)
        assert caught.value.response_code == 404 and caught.value.error_message == "404 Project Not Found"
    unquoted = requests.get(
        f"{lab.forge.url}/api/v4/projects/learner/mlops-guide", headers={"PRIVATE-TOKEN": lab.token}, timeout=5
    )
    assert unquoted.status_code == 404 and unquoted.json() == {"error": "404 Not Found"}  # no such route


# -- CI/CD variables ----------------------------------------------------------------------------------
def test_variables_create_duplicate_update_delete(lab: Lab) -> None:
    project = lab.project
    created = project.variables.create(
        {"key": KEY, "value": "Zmlyc3QtdmFsdWU=", "masked": True, "protected": False, "raw": True}
    )
    assert (created.key, created.masked, created.protected, created.raw) == (KEY, True, False, True)
    assert created.variable_type == "env_var" and created.environment_scope == "*"

    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.variables.create({"key": KEY, "value": "c2Vjb25kLXZhbHVl"})
    assert caught.value.response_code == 400
    assert json.loads(caught.value.response_body) == {"message": {"key": [f"({KEY}) has already been taken"]}}

    variable = project.variables.get(KEY)  # the wizard's upsert: get, then update
    assert variable.value == "Zmlyc3QtdmFsdWU="
    variable.value = "dXBkYXRlZC12YWx1ZQ=="
    variable.save()
    assert project.variables.get(KEY).value == "dXBkYXRlZC12YWx1ZQ=="
    project.variables.update(KEY, {"protected": True})
    assert project.variables.get(KEY).protected is True
    assert [v.key for v in project.variables.list(get_all=True)] == [KEY]

    project.variables.delete(KEY)
    with pytest.raises(gitlab.GitlabGetError) as caught:
        project.variables.get(KEY)
    assert caught.value.response_code == 404 and caught.value.error_message == "404 Variable Not Found"
    with pytest.raises(gitlab.GitlabDeleteError):
        project.variables.delete(KEY)
    with pytest.raises(gitlab.GitlabUpdateError) as caught:
        project.variables.update(KEY, {"value": "whatever-value"})
    assert caught.value.response_code == 404


def test_masking_rules_with_a_real_key_file(lab: Lab, material: key_material.KeyMaterial) -> None:
    project = lab.project
    key_file = google_project(lab.world, material=material)
    assert 2000 < len(key_file) < 2600  # a 2.3 KB key JSON, as Google hands it out

    def refused(**fields: Any) -> dict[str, Any]:
        with pytest.raises(gitlab.GitlabCreateError) as caught:
            project.variables.create({"key": "TRY", **fields})
        assert caught.value.response_code == 400
        return json.loads(caught.value.response_body)["message"]

    one_line = base64.b64encode(key_file).decode()
    assert "\n" not in one_line and len(one_line) > 3000
    assert refused(value=base64.encodebytes(key_file).decode(), masked=True, raw=True) == {"value": ["is invalid"]}
    assert refused(value=key_file.decode(), masked=True, raw=True) == {"value": ["is invalid"]}
    assert refused(value=key_file.decode(), masked=True) == {"value": ["is invalid"]}
    assert refused(value="short", masked=True, raw=True) == {"value": ["is invalid"]}
    assert refused(value="has|pipe-chars", masked=True) == {"value": ["is invalid"]}
    assert refused(key="BAD-NAME", value="x") == {"key": ["can contain only letters, digits and '_'."]}
    assert refused(key="K" * 256, value="x") == {"key": ["is too long (maximum is 255 characters)"]}
    for fields, error in (
        ({"variable_type": "secret"}, "variable_type does not have a valid value"),
        ({"masked": "maybe"}, "masked is invalid"),
    ):
        with pytest.raises(gitlab.GitlabCreateError) as caught:
            project.variables.create({"key": "TRY", "value": "x" * 10, **fields})
        assert json.loads(caught.value.response_body) == {"error": error}

    project.variables.create({"key": KEY, "value": one_line, "masked": True, "protected": False, "raw": True})
    project.variables.create({"key": "NOT_RAW", "value": one_line, "masked": True})  # base64 alphabet passes
    project.variables.create({"key": "PIPES_RAW", "value": "has|pipe-chars", "masked": True, "raw": True})
    project.variables.create({"key": "PLAIN_JSON", "value": key_file.decode()})  # unmasked: anything goes
    with pytest.raises(gitlab.GitlabUpdateError) as caught:
        project.variables.update("PLAIN_JSON", {"masked": True})
    assert json.loads(caught.value.response_body) == {"message": {"value": ["is invalid"]}}

    stored = variable_in_world(lab.world, KEY)
    assert stored["masked"] and stored["raw"] and not stored["protected"]
    assert stored["private_key_id"] == material.key_id and stored["client_email"] == ACCOUNT
    assert stored["valid_json_key"] is True


# -- files and commits ---------------------------------------------------------------------------------
def test_files_and_commits_are_real_commits(lab: Lab) -> None:
    first = lab.push({"README.md": "# My ML experiment\n", "src/train.py": "print('train')\n"}, "First")
    project = lab.project
    readme = project.files.get("README.md", ref="main")
    assert readme.decode() == b"# My ML experiment\n" and readme.last_commit_id == first
    assert project.files.get("src/train.py", ref=first).decode() == b"print('train')\n"
    for path, ref, expected in (
        ("nope.txt", "main", "404 File Not Found"),
        ("README.md", "no-branch", "404 Commit Not Found"),
    ):
        with pytest.raises(gitlab.GitlabGetError) as caught:
            project.files.get(path, ref=ref)
        assert caught.value.response_code == 404 and caught.value.error_message == expected
    no_ref = requests.get(
        f"{lab.forge.url}/api/v4/projects/{project.id}/repository/files/README.md",
        headers={"PRIVATE-TOKEN": lab.token},
        timeout=5,
    )
    assert no_ref.status_code == 400 and no_ref.json() == {"error": "ref is missing"}

    project.files.create(
        {"file_path": "docs/notes.md", "branch": "main", "content": "notes\n", "commit_message": "Add notes"}
    )
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.files.create(
            {"file_path": "docs/notes.md", "branch": "main", "content": "again\n", "commit_message": "Add notes again"}
        )
    assert caught.value.response_code == 400
    assert caught.value.error_message == "A file with this name already exists"
    notes = project.files.get("docs/notes.md", ref="main")
    notes.content = "better notes\n"
    notes.save(branch="main", commit_message="Better notes")
    assert project.files.raw("docs/notes.md", ref="main") == b"better notes\n"

    commit = project.commits.create(
        {
            "branch": "main",
            "commit_message": "Several changes at once",
            "actions": [
                {"action": "create", "file_path": ".gitlab-ci.yml", "content": SEED_GITLAB_CI},
                {
                    "action": "update",
                    "file_path": "README.md",
                    "content": base64.b64encode(b"# Updated\n").decode(),
                    "encoding": "base64",
                },
                {"action": "delete", "file_path": "src/train.py"},
            ],
        }
    )
    assert commit.title == "Several changes at once" and commit.author_email == "learner@example.com"
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.commits.create(
            {
                "branch": "main",
                "commit_message": "x",
                "actions": [{"action": "create", "file_path": "README.md", "content": "dup"}],
            }
        )
    assert caught.value.error_message == "A file with this name already exists"
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.commits.create(
            {
                "branch": "main",
                "commit_message": "x",
                "actions": [{"action": "update", "file_path": "missing.txt", "content": "x"}],
            }
        )
    assert caught.value.error_message == "A file with this name doesn't exist"

    fetched = project.commits.get(commit.id)
    assert fetched.id == commit.id and fetched.parent_ids and fetched.stats["total"] >= 3
    with pytest.raises(gitlab.GitlabGetError) as caught:
        project.commits.get("0" * 40)
    assert caught.value.error_message == "404 Commit Not Found"

    work = lab.clone()  # the API's commits are on the forge for git too
    git("pull", "--quiet", "--ff-only", "origin", "main", cwd=work)
    assert git("rev-parse", "HEAD", cwd=work).strip() == commit.id
    assert (work / "README.md").read_text() == "# Updated\n" and not (work / "src/train.py").exists()
    assert (work / ".gitlab-ci.yml").read_text() == SEED_GITLAB_CI
    assert lab.pipelines(commit.id)[0].source == "push"  # a commit through the API starts a pipeline too


# -- pipelines -----------------------------------------------------------------------------------------
def test_a_push_runs_a_pipeline_that_succeeds_with_a_valid_key(lab: Lab, material) -> None:
    key_file = seeded_repo(lab, material)
    lab.project.variables.create(
        {"key": KEY, "value": base64.b64encode(key_file).decode(), "masked": True, "protected": False, "raw": True}
    )
    lab.set_faults(run_seconds=1.0)
    sha = lab.push({".gitlab-ci.yml": SEED_GITLAB_CI})
    runs = lab.pipelines(sha)
    assert [(r.ref, r.source) for r in runs] == [("main", "push")]
    seen = []
    deadline = time.monotonic() + 10
    while not seen or seen[-1] not in ("success", "failed"):
        assert time.monotonic() < deadline
        status = lab.project.pipelines.get(runs[0].id).status
        if not seen or seen[-1] != status:
            seen.append(status)
        time.sleep(0.03)
    assert seen[0] in ("created", "pending") and "running" in seen and seen[-1] == "success"

    pipeline = lab.project.pipelines.get(runs[0].id)
    assert pipeline.sha == sha and pipeline.finished_at and pipeline.duration is not None
    jobs = pipeline.jobs.list(get_all=True)
    assert [(j.name, j.stage, j.status) for j in jobs] == [("train", "train", "success")]
    trace = lab.project.jobs.get(jobs[0].id).trace().decode()
    assert "$ dvc repro --pull --allow-missing\n" in trace and trace.rstrip().endswith("Job succeeded")
    assert "Stage 'train' didn't change, skipping" in trace
    assert base64.b64encode(key_file).decode()[:60] not in trace  # never the secret
    assert lab.project.commits.get(sha).last_pipeline["id"] == pipeline.id
    assert lab.project.pipelines.list(status="success", get_all=True)[0].id == pipeline.id

    other = lab.push({"notes.md": "wip\n"}, "Work in progress", branch="feature")  # rules: main and MRs only
    assert lab.pipelines(other) == []
    record = lab.world.read()["forges"]["gitlab"]["projects"][REPO]["pipelines"]
    assert [(p["sha"], p["status"]) for p in record] == [(sha, "success")]


@pytest.mark.parametrize(
    "case", ["missing", "bad_base64", "not_a_key", "deleted_key", "no_storage_role", "protected_elsewhere", "file_type"]
)
def test_pipelines_fail_for_the_reasons_a_runner_would(lab: Lab, material, case: str) -> None:
    role = None if case == "no_storage_role" else "roles/storage.objectViewer"
    key_file = seeded_repo(lab, material, storage_role=role)
    value = base64.b64encode(key_file).decode()
    fields: dict[str, Any] = {"key": KEY, "value": value, "masked": True, "raw": True}
    if case == "bad_base64":
        fields = {"key": KEY, "value": key_file.decode()}  # the raw JSON, unmasked: GitLab stores it
    elif case == "not_a_key":
        fields["value"] = base64.b64encode(b'{"type": "authorized_user"}').decode()
    elif case == "protected_elsewhere":
        fields["protected"] = True
        with lab.world.mutate() as data:
            data["forges"]["gitlab"]["projects"][REPO]["protected_branches"] = []
    elif case == "file_type":
        fields["variable_type"] = "file"
    elif case == "deleted_key":
        with lab.world.mutate() as data:
            data["projects"][GCP_PROJECT]["service_accounts"][ACCOUNT]["keys"].clear()
    if case != "missing":
        lab.project.variables.create(fields)

    sha = lab.push({".gitlab-ci.yml": SEED_GITLAB_CI})
    pipeline = lab.finished(sha)
    assert pipeline.status == "failed"
    job = pipeline.jobs.list(get_all=True)[0]
    assert (job.status, job.failure_reason) == ("failed", "script_failure")
    trace = lab.project.jobs.get(job.id).trace().decode()
    why = {
        "missing": f"the CI/CD variable {KEY} is not set in {REPO}",
        "bad_base64": f"the value of {KEY} is not valid base64",
        "not_a_key": "is not a Google service account key file",
        "deleted_key": f"the key {material.key_id} of {ACCOUNT} does not exist (deleted?)",
        "no_storage_role": f"{ACCOUNT} does not have storage.objects.get access",
        "protected_elsewhere": f"the CI/CD variable {KEY} is protected",
        "file_type": f"{KEY} is a file-type variable",
    }[case]
    assert why in trace, trace
    assert trace.rstrip().endswith("ERROR: Job failed: exit code 1")
    assert value[:60] not in trace and "PRIVATE KEY" not in trace
    record = lab.world.read()["forges"]["gitlab"]["projects"][REPO]["pipelines"][-1]
    assert record["status"] == "failed" and any(why in line for line in record["log"])


def test_a_key_made_by_the_iam_client_then_deleted(lab: Lab) -> None:
    google_project(lab.world)  # project, bucket and binding; the account and key come from the IAM fake
    lab.set_faults(service_account_visibility_seconds=0)
    server, port = start_control_plane(lab.world)
    channel = sandbox_channel(lab.world, port)
    try:
        iam = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel))
        account = iam.create_service_account(
            name=f"projects/{GCP_PROJECT}",
            account_id="dvc-service-account",
            service_account={"display_name": "DVC Service Account"},
        )
        assert account.email == ACCOUNT
        key = iam.create_service_account_key(name=account.name)
        lab.push({".dvc/config": DVC_CONFIG, "dvc.yaml": DVC_YAML}, "My ML experiment data is shared with DVC")
        lab.project.variables.create(
            {
                "key": KEY,
                "value": base64.b64encode(key.private_key_data).decode(),
                "masked": True,
                "protected": False,
                "raw": True,
            }
        )
        sha = lab.push({".gitlab-ci.yml": SEED_GITLAB_CI})
        assert lab.finished(sha).status == "success"

        iam.delete_service_account_key(name=key.name)
        manual = lab.project.pipelines.create({"ref": "main"})  # POST /projects/:id/pipeline?ref=main
        assert manual.source == "api" and manual.sha == sha
        assert lab.project.pipelines.get(manual.id).status == "failed"
        job = lab.project.pipelines.get(manual.id).jobs.list(get_all=True)[0]
        assert "does not exist (deleted?)" in lab.project.jobs.get(job.id).trace().decode()
    finally:
        channel.close()
        server.stop(grace=None).wait()


def test_manual_runs_retries_and_their_errors(lab: Lab, material) -> None:
    key_file = seeded_repo(lab, material)
    project = lab.project
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.pipelines.create({"ref": "main"})
    assert json.loads(caught.value.response_body) == {"message": {"base": ["Missing CI config file"]}}
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.pipelines.create({"ref": "no-such-branch"})
    assert json.loads(caught.value.response_body) == {"message": {"base": ["Reference not found"]}}

    sha = lab.push({".gitlab-ci.yml": SEED_GITLAB_CI})
    failed = lab.finished(sha)
    assert failed.status == "failed"  # no variable yet
    lab.push({"notes.md": "x\n"}, "Side work", branch="feature")
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.pipelines.create({"ref": "feature"})
    assert "The rules configuration prevented any jobs" in json.loads(caught.value.response_body)["message"]["base"][0]

    project.variables.create({"key": KEY, "value": base64.b64encode(key_file).decode(), "masked": True, "raw": True})
    old_job = failed.jobs.list(get_all=True)[0].id
    failed.retry()
    retried = project.pipelines.get(failed.id)
    assert retried.status == "success" and retried.jobs.list(get_all=True)[0].id != old_job
    assert project.pipelines.latest(ref="main").id == failed.id
    run = project.pipelines.create({"ref": "main", "variables": [{"key": KEY, "value": "not base64 at all!"}]})
    assert project.pipelines.get(run.id).status == "failed"  # pipeline variables win over project ones
    assert [p.id for p in project.pipelines.list(ref="main", get_all=True)] == [run.id, failed.id]
    assert project.pipelines.list(sha=sha, source="api", get_all=True)[0].id == run.id


def test_pagination_headers_as_gitlab_sends_them(lab: Lab) -> None:
    project = lab.project
    for index in range(25):
        project.variables.create({"key": f"VAR_{index:02d}", "value": f"value-{index}"})
    assert len(project.variables.list(get_all=True)) == 25
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert len(project.variables.list()) == 20
    assert any("get_all=True" in str(w.message) for w in caught)
    page = requests.get(
        f"{lab.forge.url}/api/v4/projects/{project.id}/variables?per_page=10&page=2",
        headers={"PRIVATE-TOKEN": lab.token},
        timeout=5,
    )
    headers = page.headers
    assert (
        headers["X-Total"],
        headers["X-Total-Pages"],
        headers["X-Page"],
        headers["X-Per-Page"],
        headers["X-Next-Page"],
        headers["X-Prev-Page"],
    ) == ("25", "3", "2", "10", "3", "1")
    assert page.links["next"]["url"].startswith(f"{lab.forge.url}/api/v4/projects/{project.id}/variables?")
    assert [v["key"] for v in page.json()] == [f"VAR_{i:02d}" for i in range(10, 20)]


def test_injected_failures_and_request_counts(lab: Lab, material) -> None:
    seeded_repo(lab, material)
    project = lab.project
    lab.set_faults(fail={"gitlab.variables.create": "UNAVAILABLE", "gitlab.pipeline.run": "yes"})
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        project.variables.create({"key": KEY, "value": "x"})
    assert caught.value.response_code == 503
    sha = lab.push({".gitlab-ci.yml": SEED_GITLAB_CI})
    job = lab.finished(sha).jobs.list(get_all=True)[0]
    assert job.failure_reason == "runner_system_failure"
    lab.set_faults(fail={})
    project.variables.create({"key": KEY, "value": "x"})

    before = lab.world.read()["calls"]["by_service"]["gitlab"]
    project.variables.get(KEY)
    project.variables.delete(KEY)
    after = lab.world.read()["calls"]["by_service"]["gitlab"]
    assert (after["reads"] - before["reads"], after["writes"] - before["writes"]) == (1, 1)


def test_statuses_are_computed_lazily_across_a_restart(lab: Lab, material) -> None:
    key_file = seeded_repo(lab, material)
    lab.project.variables.create(
        {"key": KEY, "value": base64.b64encode(key_file).decode(), "masked": True, "raw": True}
    )
    lab.set_faults(run_seconds=0.8)
    sha = lab.push({".gitlab-ci.yml": SEED_GITLAB_CI})
    assert lab.pipelines(sha)[0].status in ("created", "pending")
    lab.forge.stop()
    time.sleep(0.9)
    world = World(lab.tmp / "sandbox")  # a new process would read the same folder
    forge = start(world, lab.tmp)
    try:
        gl = gitlab.Gitlab(forge.url, private_token=lab.token)
        runs = gl.projects.get(REPO).pipelines.list(sha=sha, get_all=True)
        assert [r.status for r in runs] == ["success"]
    finally:
        forge.stop()


# -- the CI configuration reader --------------------------------------------------------------------------
def test_rules_expressions_and_script_reading() -> None:
    main = {"CI_COMMIT_BRANCH": "main", "CI_PIPELINE_SOURCE": "push", "CI_COMMIT_REF_NAME": "main"}
    assert ci.evaluate('$CI_COMMIT_BRANCH == "main"', main)
    assert not ci.evaluate('$CI_PIPELINE_SOURCE == "merge_request_event"', main)
    assert ci.evaluate("$CI_COMMIT_BRANCH =~ /^ma/ && ($UNSET == null || $X)", main)
    assert ci.evaluate('$CI_COMMIT_TAG || $CI_COMMIT_BRANCH != "dev"', main)
    assert not ci.evaluate("$CI_COMMIT_TAG", main)
    with pytest.raises(ci.CiError):
        ci.evaluate("$A == ", main)
    plan = ci.plan(SEED_GITLAB_CI, main)
    assert [(j.name, j.stage, j.image) for j in plan.jobs] == [("train", "train", "python:3.10")]
    assert ci.plan(SEED_GITLAB_CI, {**main, "CI_COMMIT_BRANCH": "dev", "CI_COMMIT_REF_NAME": "dev"}).jobs == []
    with pytest.raises(ci.CiError, match="chosen stage deploy does not exist"):
        ci.plan("stages: [train]\njob:\n  stage: deploy\n  script: [echo]\n", main)
    assert ci.decoded_variables(
        'echo "${DVC_GCP_SERVICE_ACCOUNT_KEY}" | base64 -d > $GOOGLE_APPLICATION_CREDENTIALS'
    ) == ["DVC_GCP_SERVICE_ACCOUNT_KEY"]
    assert ci.decoded_variables("base64 --decode <<< $MLEM_KEY > key.json") == ["MLEM_KEY"]
    assert ci.decoded_variables('echo "$KEY" > file') == []
    assert ci.uses_credentials("dvc repro --pull --allow-missing") and not ci.uses_credentials("pip install dvc")


def test_an_invalid_configuration_gives_a_failed_pipeline(lab: Lab) -> None:
    sha = lab.push({".gitlab-ci.yml": "train:\n  stage: nope\n  script: [echo hi]\n"}, "Broken CI")
    pipeline = lab.finished(sha)
    assert pipeline.status == "failed" and "chosen stage nope does not exist" in pipeline.yaml_errors
    assert pipeline.jobs.list(get_all=True) == []


# -- roles, protected branches, hidden variables, rate limits ---------------------------------------
def teammate_project(lab: Lab, level: int) -> Any:
    """The teacher's project, where the learner has a role (30 Developer, 40 Maintainer)."""
    with lab.world.mutate() as data:
        seed_gitlab(data, "teacher/course-project")
        add_member(data, "teacher/course-project", "learner", level)
    create_repo(lab.tmp / "sandbox" / "forge", "teacher", "course-project")
    return lab.gl.projects.get("teacher/course-project")


def test_a_developer_may_push_but_not_manage_variables(lab: Lab) -> None:
    project = teammate_project(lab, 30)
    assert project.permissions["project_access"]["access_level"] == 30
    with pytest.raises(gitlab.GitlabCreateError) as refused:
        project.variables.create({"key": "K", "value": "value-1234"})
    assert refused.value.response_code == 403
    maintainer = teammate_project(lab, 40)
    maintainer.variables.create({"key": "K", "value": "value-1234"})


def test_the_branch_api_says_whether_the_caller_can_push(lab: Lab) -> None:
    lab.push({"README.md": "# x\n"}, "First")
    own = lab.project.branches.get("main")
    assert own.protected is True and own.can_push is True and own.developers_can_push is False
    project = teammate_project(lab, 30)
    work = lab.tmp / "teacher-work"
    git("init", "--quiet", "-b", "main", str(work))
    commit_files(work, {"README.md": "# course\n"}, "First")
    git("push", "--quiet", lab.forge.repo_url("teacher", "course-project"), "main", cwd=work)  # the owner's push
    branch = project.branches.get("main")
    assert branch.protected is True and branch.can_push is False  # Developers may not push to a protected main
    with pytest.raises(gitlab.GitlabGetError):
        project.branches.get("no-such-branch")


def test_a_developer_push_to_a_protected_branch_is_refused_as_gitlab_words_it(lab: Lab) -> None:
    teammate_project(lab, 30)
    work = lab.tmp / "teacher-work"
    git("init", "--quiet", "-b", "main", str(work))
    commit_files(work, {"README.md": "# course\n"}, "First")
    url = lab.forge.repo_url("teacher", "course-project")
    git("push", "--quiet", url, "main", cwd=work)
    commit_files(work, {"README.md": "# course, by the learner\n"}, "Second")
    with lab.world.mutate() as data:
        data["faults"]["git_auth"] = True
    learner = url.replace("https://", f"https://oauth2:{lab.token}@")
    result = subprocess.run(
        ["git", "push", learner, "main"],
        cwd=work,
        capture_output=True,
        text=True,
        env=dict(os.environ, GIT_TERMINAL_PROMPT="0"),
        timeout=60,
    )
    assert result.returncode != 0
    assert "GitLab: You are not allowed to push code to protected branches on this project." in result.stderr
    assert "(pre-receive hook declined)" in result.stderr
    assert lab.token not in result.stderr


def test_a_hidden_variable_keeps_its_visibility(lab: Lab) -> None:
    lab.project.variables.create({"key": "H", "value": "value-1234", "masked_and_hidden": True})
    listed = lab.project.variables.get("H")
    assert listed.value is None and listed.hidden is True and listed.masked is True
    with pytest.raises(gitlab.GitlabUpdateError) as refused:
        lab.project.variables.update("H", {"masked": False})
    assert refused.value.response_code == 400
    assert "The visibility setting cannot be changed for masked and hidden variables." in str(refused.value)
    lab.project.variables.update("H", {"value": "value-5678"})  # the value may change
    assert lab.world.read()["forges"]["gitlab"]["projects"][REPO]["variables"]["H"]["value"] == "value-5678"
    lab.project.variables.create({"key": "V", "value": "value-1234", "masked": True})
    with pytest.raises(gitlab.GitlabUpdateError) as refused:
        lab.project.variables.update("V", {"masked_and_hidden": True})
    assert "Only new variables can be set as masked and hidden." in str(refused.value)


def test_the_rate_limit_knob_answers_429_with_gitlabs_headers(lab: Lab) -> None:
    lab.set_faults(rate_limit={"after": 0, "seconds": 30})
    answer = requests.get(f"{lab.forge.url}/api/v4/user", headers={"PRIVATE-TOKEN": lab.token}, timeout=10)
    assert answer.status_code == 429 and answer.text == "Retry later\n"
    assert answer.headers["RateLimit-Remaining"] == "0" and 1 <= int(answer.headers["Retry-After"]) <= 30
    assert int(answer.headers["RateLimit-Reset"]) > time.time()
