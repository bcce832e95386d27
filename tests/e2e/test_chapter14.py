"""Chapter 14 end to end: continuous deployment with MLEM, on both forges, after chapters 7 and 8."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
import yaml

from chapters.templates import template_text
from tests.support import BUCKET, PROJECT, git, run_chapter, wizard, write_answers
from wizard.engine.step import fmt
from wizard.sandbox.server import inspect
from wizard.sandbox.world import World
from wizard.workspace.ci_yaml import has_github_deploy_job, has_gitlab_deploy_job

MLEM = f"mlem-service-account@{PROJECT}.iam.gserviceaccount.com"
ROLES = {
    "roles/storage.objectAdmin",
    "roles/artifactregistry.createOnPushWriter",
    "roles/container.clusterViewer",
    "roles/container.developer",
}
ANSWERS = {"gcp.project_id": PROJECT, "gke.cluster_name": "mlops-kubernetes", "gke.cluster_zone": "europe-west6-a"}


def deploy_world(sandbox: Path) -> dict:
    world = inspect(sandbox)
    project = world["projects"][PROJECT]
    kind = World(sandbox).read()["sandbox"]["forge"]
    if kind == "github":
        repo = world["forges"]["github"]["repos"]["learner/mlops-guide"]
        secret, runs = repo["secrets"].get("MLEM_GCP_SERVICE_ACCOUNT_KEY"), repo["runs"]
    else:
        repo = world["forges"]["gitlab"]["projects"]["learner/mlops-guide"]
        secret, runs = repo["variables"].get("MLEM_GCP_SERVICE_ACCOUNT_KEY"), repo["pipelines"]
    return {
        "roles": {role for role, members in project["iam_bindings"].items() if f"serviceAccount:{MLEM}" in members},
        "keys": project["service_accounts"].get(MLEM, {}).get("keys"),
        "secret": secret,
        "runs": runs,
        "calls": world["calls"],
    }


def assert_deployed(sandbox: Path, forge: str) -> None:
    world = deploy_world(sandbox)
    assert world["roles"] == ROLES
    (key_id,) = world["keys"]
    assert world["secret"]["private_key_id"] == key_id
    repo = sandbox / "learner-repo"
    assert git(repo, "log", "-1", "--format=%s") == "A pipeline will deploy the model on the Kubernetes cluster"
    if forge == "github":
        deploy = git(repo, "show", "HEAD:.github/workflows/deploy.yml") + "\n"
        assert deploy == fmt(template_text("github/deploy.yml"), ANSWERS)
        assert "cluster_name: 'mlops-kubernetes'" in deploy and "location: 'europe-west6-a'" in deploy
        assert has_github_deploy_job(
            git(repo, "show", "HEAD:.github/workflows/mlops.yml"),
            fmt(template_text("github/mlops-deploy-job.yml"), ANSWERS),
        )
    else:
        ci = git(repo, "show", "HEAD:.gitlab-ci.yml")
        assert has_gitlab_deploy_job(ci, fmt(template_text("gitlab/deploy-job.yml"), ANSWERS))
        assert yaml.safe_load(ci)["stages"] == ["train", "deploy"]
    head = git(repo, "rev-parse", "HEAD")
    assert [r["conclusion"] for r in world["runs"] if r["sha"] == head] == ["success"]


def test_chapters_7_8_and_14_in_one_run(sandbox_for_forge: Path, forge: str, home: Path, tmp_path: Path):
    answers = write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
    result = wizard(
        "run",
        "--repo",
        str(sandbox_for_forge / "learner-repo"),
        "--sandbox",
        str(sandbox_for_forge),
        "--chapter",
        "7",
        "--chapter",
        "8",
        "--chapter",
        "14",
        "--answers",
        str(answers),
        "--yes",
        env={"HOME": str(home)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for done in ("Chapter 7 is done", "Chapter 8 is done"):
        assert done in result.stdout
    assert_deployed(sandbox_for_forge, forge)

    writes = deploy_world(sandbox_for_forge)["calls"]["writes"]
    assert run_chapter(sandbox_for_forge, 14, home).returncode == 0
    assert deploy_world(sandbox_for_forge)["calls"]["writes"] == writes


@pytest.mark.parametrize("forge", ["github"], indirect=True)
def test_the_learners_own_pipeline_survives_the_deploy_job(after_ch8: Path, forge: str, home: Path):
    repo = after_ch8 / "learner-repo"
    path = repo / ".github" / "workflows" / "mlops.yml"
    mine = path.read_text().replace(
        "jobs:\n",
        "jobs:\n  # My own lint job, kept on purpose\n  lint:\n"
        "    runs-on: ubuntu-latest\n    steps:\n      - run: echo lint  # quick\n\n",
        1,
    )
    path.write_text(mine)
    git(repo, "commit", "-qam", "My lint job")
    from wizard.sandbox.server import Sandbox

    with Sandbox.start(after_ch8):
        git(repo, "push", "-q", "origin", "main")
    result = run_chapter(after_ch8, 14, home)
    assert result.returncode == 0, result.stdout + result.stderr
    edited = path.read_text()
    assert edited.startswith(mine)  # every line of the learner's file, as it was
    assert edited.count("\n  deploy:\n") == 1 and "# My own lint job, kept on purpose" in edited
    assert yaml.safe_load(edited)["jobs"]["deploy"]["needs"] == "train"
    again = run_chapter(after_ch8, 14, home)
    assert again.returncode == 0 and path.read_text() == edited


POINTS = [
    "ch14.create-service-account:after-call",
    "ch14.grant-roles:after-call",
    "ch14.create-key:after-call",
    "ch14.store-secret:after-call",
    "ch14.deploy-workflow:after-write",
    "ch14.deploy-job:after-write",
    "ch14.commit:after-commit",
]


@pytest.mark.parametrize("forge", ["github"], indirect=True)
@pytest.mark.parametrize("point", POINTS)
def test_resume_after_a_kill_in_chapter_14(point: str, after_ch8: Path, forge: str, home: Path):
    killed = run_chapter(after_ch8, 14, home, env={"MLOPS_WIZARD_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    resumed = run_chapter(after_ch8, 14, home)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert_deployed(after_ch8, forge)
    log = git(after_ch8 / "learner-repo", "log", "--format=%s", "origin/main").splitlines()
    assert log.count("A pipeline will deploy the model on the Kubernetes cluster") == 1


@pytest.mark.parametrize("forge", ["gitlab"], indirect=True)
def test_gitlab_resume_after_a_kill_in_the_deploy_job(after_ch8: Path, forge: str, home: Path):
    killed = run_chapter(after_ch8, 14, home, env={"MLOPS_WIZARD_KILL_AT": "ch14.deploy-job:after-write"})
    assert killed.returncode == -signal.SIGKILL
    assert run_chapter(after_ch8, 14, home).returncode == 0
    assert_deployed(after_ch8, forge)


def break_world(sandbox: Path, what: str) -> None:
    repo = sandbox / "learner-repo"
    if what == "mlem files missing":
        git(repo, "rm", "-q", "model.mlem")
        git(repo, "commit", "-qm", "Oops")
        return
    with World(sandbox).mutate() as world:
        project = world["projects"][PROJECT]
        if what == "cluster missing":
            project["gke_clusters"].clear()
        elif what == "cluster in another zone":
            project["gke_clusters"] = {
                f"europe-west6-b/{k.split('/')[1]}": {**v, "location": "europe-west6-b"}
                for k, v in project["gke_clusters"].items()
            }
        elif what == "registry missing":
            project["artifact_repositories"].clear()
        elif what == "apis disabled":
            project["services"].remove("container.googleapis.com")


@pytest.mark.parametrize("forge", ["github"], indirect=True)
@pytest.mark.parametrize(
    "what, message",
    [
        ("mlem files missing", "MLEM's files are missing: model.mlem"),
        ("cluster missing", "There is no GKE cluster mlops-kubernetes"),
        ("cluster in another zone", "is in europe-west6-b, not in europe-west6-a"),
        ("registry missing", "no Artifact Registry repository mlops-registry"),
        ("apis disabled", "Kubernetes Engine API (container.googleapis.com) is not enabled"),
    ],
)
def test_what_chapters_11_to_13_should_have_made_is_checked_first(
    what: str, message: str, after_ch8: Path, forge: str, home: Path
):
    break_world(after_ch8, what)
    result = run_chapter(after_ch8, 14, home)
    assert result.returncode == 1
    assert message in result.stderr and "Fix:" in result.stderr
    assert deploy_world(after_ch8)["keys"] is None  # nothing was created


def test_the_scripts_of_chapters_8_and_14_are_valid_bash_for_the_forge(after_ch8: Path, forge: str):
    import subprocess

    for chapter in ("8", "14"):
        script = wizard("script", "--repo", str(after_ch8 / "learner-repo"), "--chapter", chapter).stdout
        assert subprocess.run(["bash", "-n"], input=script, text=True).returncode == 0
        assert ("glab" in script) == (forge == "gitlab") and ("gh secret set" in script) == (forge == "github")


def test_the_guides_roles_alone_cannot_deploy(after_ch8: Path, forge: str, home: Path, tmp_path: Path):
    """Without roles/container.developer (the guide's set), the deployment run fails, saying why."""
    assert run_chapter(after_ch8, 14, home).returncode == 0
    with World(after_ch8).mutate() as world:
        for binding in world["projects"][PROJECT]["iam_policy"]["bindings"]:
            if binding["role"] == "roles/container.developer":
                binding["members"] = [m for m in binding["members"] if MLEM not in m]
    repo = after_ch8 / "learner-repo"
    (repo / "NOTES.md").write_text("a change to deploy\n")
    git(repo, "add", "NOTES.md")
    git(repo, "commit", "-qm", "Notes")
    from wizard.sandbox.server import Sandbox

    with Sandbox.start(after_ch8):
        git(repo, "push", "-q", "origin", "main")
    head = git(repo, "rev-parse", "HEAD")
    data = World(after_ch8).read()["forges"][forge]
    runs = (
        data["repos"]["learner/mlops-guide"]["runs"]
        if forge == "github"
        else data["projects"]["learner/mlops-guide"]["pipelines"]
    )
    (run,) = [r for r in runs if r["sha"] == head]
    log = "\n".join(run["log"] + [line for job in run.get("jobs", []) for line in job.get("log", [])])
    assert 'cannot patch resource "deployments"' in log and "container.developer" in log

    healed = run_chapter(after_ch8, 14, home)  # the wizard grants the role again; the next run would pass
    assert MLEM in str(inspect(after_ch8)["projects"][PROJECT]["iam_bindings"]["roles/container.developer"])
    assert "ended with failure" in healed.stderr  # the failed run of this commit is reported, with its link
