"""The CI templates are the guide's files: same data, same order, same comments.

The expected files are the YAML blocks of the seeds (`../shared/seeds/` beside the project
root). Copies of them live in `tests/unit/data/` so that the comparison runs everywhere;
when the seeds are there, the copies are checked against them too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from chapters.templates import template_text
from wizard.engine.step import fmt

DATA = Path(__file__).parent / "data"
SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"

CH08_GITHUB = DATA / "ch08-github-mlops.yml"
CH08_GITLAB = DATA / "ch08-gitlab-ci.yml"
CH14_GITHUB_DEPLOY = DATA / "ch14-github-deploy.yml"

# The guide's own example values in its chapter 14 deploy.yml.
GUIDE_CLUSTER = {"gke.cluster_name": "mlops-kubernetes", "gke.cluster_zone": "europe-west6-a"}
ANSWERS = {
    "gcp.project_id": "my-mlops-1234",
    "gcp.billing_account": "012345-6789AB-CDEF01",
    "gcp.bucket_name": "my-mlops-1234-data",
    "gcp.bucket_location": "europe-west6",
    "gke.cluster_name": "team-cluster",
    "gke.cluster_zone": "us-central1-b",
}
ANNOTATION = re.compile(r"[ ]+# \(\d+\)!$", re.M)  # mkdocs-material code annotation, not YAML
PLACEHOLDER = re.compile(r"\{[a-z_]+(?:\.[a-z_]+)+\}")
FENCE = re.compile(r"^(?P<indent>[ ]*)```yaml(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ ]*$", re.M | re.S)


def ordered(node):
    """YAML data with mapping order made visible, so equality also checks key order."""
    if isinstance(node, dict):
        return [(key, ordered(value)) for key, value in node.items()]
    if isinstance(node, list):
        return [ordered(item) for item in node]
    return node


def seed_text(chapter: int) -> str:
    if not SEEDS.is_dir():
        pytest.skip(
            f"the guide's seeds are not beside the project ({SEEDS} is missing); "
            "the copies in tests/unit/data are compared instead"
        )
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text("utf-8")
        if text.startswith(f"# Chapter {chapter}:"):
            return text
    pytest.skip(f"no seed of chapter {chapter} in {SEEDS}")


def yaml_blocks(text: str) -> list[tuple[str, str]]:
    """(info string, body) of each ```yaml block, dedented as the file it shows."""
    blocks = []
    for match in FENCE.finditer(text):
        cut = len(match.group("indent"))
        body = "".join(line[cut:] if line.strip() else "\n" for line in match.group("body").splitlines(True))
        blocks.append((match.group("info").strip(), body))
    return blocks


def seed_block(chapter: int, title: str | None = None, first_line: str | None = None) -> str:
    found = [
        body
        for info, body in yaml_blocks(seed_text(chapter))
        if (title is None or f'title="{title}"' in info) and (first_line is None or body.startswith(first_line + "\n"))
    ]
    assert len(found) == 1, f"expected one YAML block titled {title!r} in the chapter {chapter} seed"
    return found[0]


# --- the test data is the seeds' text --------------------------------------------------


@pytest.mark.parametrize(
    "copy, chapter, title, first_line",
    [
        (CH08_GITHUB, 8, ".github/workflows/mlops.yml", None),
        (CH08_GITLAB, 8, ".gitlab-ci.yml", None),
        (CH14_GITHUB_DEPLOY, 14, None, "name: Deploy"),
    ],
)
def test_data_copies_are_the_seed_blocks(copy, chapter, title, first_line):
    assert copy.read_text("utf-8") == seed_block(chapter, title, first_line)


# --- chapter 8 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    [
        ("github/mlops.yml", CH08_GITHUB),
        ("gitlab/gitlab-ci.yml", CH08_GITLAB),
    ],
)
def test_chapter8_templates_parse_to_the_guides_data(name, expected):
    ours = yaml.safe_load(template_text(name))
    theirs = yaml.safe_load(expected.read_text("utf-8"))
    assert ours == theirs
    assert ordered(ours) == ordered(theirs)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("github/mlops.yml", CH08_GITHUB),
        ("gitlab/gitlab-ci.yml", CH08_GITLAB),
    ],
)
def test_chapter8_templates_are_the_guides_text_with_its_comments(name, expected):
    assert template_text(name) == ANNOTATION.sub("", expected.read_text("utf-8"))
    assert "(1)!" not in template_text(name)


@pytest.mark.parametrize("title", [".github/workflows/mlops.yml", ".gitlab-ci.yml"])
def test_chapter8_templates_parse_like_the_seed_itself(title):
    name = {".github/workflows/mlops.yml": "github/mlops.yml", ".gitlab-ci.yml": "gitlab/gitlab-ci.yml"}[title]
    expected = yaml.safe_load(seed_block(8, title))
    assert ordered(yaml.safe_load(template_text(name))) == ordered(expected)


@pytest.mark.parametrize("name", ["github/mlops.yml", "gitlab/gitlab-ci.yml"])
def test_filling_answers_leaves_chapter8_templates_alone(name):
    """`${{ secrets.X }}` and `${CI_PROJECT_DIR}` are not the wizard's placeholders."""
    text = template_text(name)
    assert not PLACEHOLDER.search(text)
    assert fmt(text, ANSWERS) == text


# --- chapter 14, GitHub ----------------------------------------------------------------------


def test_deploy_workflow_has_the_cluster_as_placeholders():
    text = template_text("github/deploy.yml")
    assert set(PLACEHOLDER.findall(text)) == {"{gke.cluster_name}", "{gke.cluster_zone}"}
    assert "mlops-kubernetes" not in text and "europe-west6-a" not in text


def test_deploy_workflow_filled_with_the_guides_values_is_the_guides_file():
    filled = fmt(template_text("github/deploy.yml"), GUIDE_CLUSTER)
    assert filled == CH14_GITHUB_DEPLOY.read_text("utf-8")
    assert ordered(yaml.safe_load(filled)) == ordered(yaml.safe_load(CH14_GITHUB_DEPLOY.read_text("utf-8")))


def test_deploy_workflow_filled_with_other_answers_differs_only_there():
    filled = yaml.safe_load(fmt(template_text("github/deploy.yml"), ANSWERS))
    expected = yaml.safe_load(CH14_GITHUB_DEPLOY.read_text("utf-8"))
    gke = next(
        step
        for step in expected["jobs"]["deploy"]["steps"]
        if step.get("uses") == "google-github-actions/get-gke-credentials@v1"
    )
    gke["with"] = {"cluster_name": "team-cluster", "location": "us-central1-b"}
    assert ordered(filled) == ordered(expected)
    assert not PLACEHOLDER.search(fmt(template_text("github/deploy.yml"), ANSWERS))


def test_deploy_workflow_filled_equals_the_seeds_block():
    seed = yaml.safe_load(seed_block(14, first_line="name: Deploy"))
    assert ordered(yaml.safe_load(fmt(template_text("github/deploy.yml"), GUIDE_CLUSTER))) == ordered(seed)


def test_deploy_job_calls_the_deploy_workflow_on_main_after_training():
    job = yaml.safe_load(template_text("github/mlops-deploy-job.yml"))
    assert ordered(job) == [
        (
            "deploy",
            [
                ("needs", "train"),
                ("if", "github.ref == 'refs/heads/main'"),
                ("uses", "./.github/workflows/deploy.yml"),
                ("secrets", "inherit"),
            ],
        )
    ]


def test_deploy_job_appended_to_mlops_yml_lands_under_jobs():
    text = template_text("github/mlops.yml") + "\n" + template_text("github/mlops-deploy-job.yml")
    workflow = yaml.safe_load(text)
    assert list(workflow["jobs"]) == ["train", "deploy"]
    assert workflow["jobs"]["train"] == yaml.safe_load(template_text("github/mlops.yml"))["jobs"]["train"]
    assert workflow["jobs"]["deploy"]["needs"] in workflow["jobs"]


# --- chapter 14, GitLab ----------------------------------------------------------------------


def gitlab_deploy(answers=ANSWERS) -> dict:
    return yaml.safe_load(fmt(template_text("gitlab/deploy-job.yml"), answers))["deploy"]


def commands(job: dict) -> list[str]:
    return [*job.get("before_script", []), *job["script"], *job.get("after_script", [])]


def test_gitlab_deploy_job_parses_with_and_without_answers():
    raw = yaml.safe_load(template_text("gitlab/deploy-job.yml"))
    assert list(raw) == ["deploy"]
    assert set(PLACEHOLDER.findall(template_text("gitlab/deploy-job.yml"))) == {
        "{gke.cluster_name}",
        "{gke.cluster_zone}",
        "{gcp.project_id}",
    }
    assert not PLACEHOLDER.search(fmt(template_text("gitlab/deploy-job.yml"), ANSWERS))


def test_gitlab_deploy_job_runs_only_on_main():
    job = gitlab_deploy()
    assert "only" not in job and "except" not in job and "when" not in job
    assert job["rules"] == [{"if": '$CI_COMMIT_BRANCH == "main"'}]
    assert not any("merge_request" in str(rule) for rule in job["rules"])


def test_gitlab_deploy_job_comes_after_train():
    job = gitlab_deploy()
    assert job["stage"] == "deploy"
    assert job["needs"] == ["train"]
    pipeline = yaml.safe_load(template_text("gitlab/gitlab-ci.yml"))
    assert "train" in pipeline
    # The wizard adds the stage after the guide's; GitLab rejects a job whose stage is not listed.
    stages = [*pipeline["stages"], job["stage"]]
    assert stages.index("train") < stages.index("deploy")


def test_gitlab_deploy_job_appended_to_gitlab_ci_yml_is_one_pipeline():
    text = template_text("gitlab/gitlab-ci.yml") + "\n" + fmt(template_text("gitlab/deploy-job.yml"), ANSWERS)
    pipeline = yaml.safe_load(text)
    assert [key for key in pipeline if key not in {"stages", "variables"}] == ["train", "deploy"]


def test_gitlab_deploy_job_does_what_the_guide_asks():
    job = gitlab_deploy()
    lines = commands(job)
    key_file = job["variables"]["GOOGLE_APPLICATION_CREDENTIALS"]
    assert key_file == "${CI_PROJECT_DIR}/mlem-google-service-account-key.json"
    decode = [line for line in lines if "MLEM_GCP_SERVICE_ACCOUNT_KEY" in line]
    assert len(decode) == 1 and "base64 -d >" in decode[0] and "GOOGLE_APPLICATION_CREDENTIALS" in decode[0]
    activate = lines.index('gcloud auth activate-service-account --key-file="${GOOGLE_APPLICATION_CREDENTIALS}"')
    credentials = lines.index(
        "gcloud container clusters get-credentials team-cluster --zone us-central1-b --project my-mlops-1234"
    )
    install = lines.index("pip install --requirement requirements-freeze.txt")
    deploy = lines.index("mlem deployment run --load service_classifier --model model")
    assert lines.index(decode[0]) < activate < credentials < deploy and install < deploy
    assert lines.index("python3 -m venv .venv") < lines.index("source .venv/bin/activate") < install
    assert job["script"] == ["mlem deployment run --load service_classifier --model model"]
    assert any("gke-gcloud-auth-plugin" in line for line in lines), "gcloud's kubeconfig needs the GKE auth plugin"


def test_gitlab_deploy_job_never_prints_the_key():
    job = gitlab_deploy()
    lines = commands(job)
    for line in lines:
        if "MLEM_GCP_SERVICE_ACCOUNT_KEY" in line:
            # Only ever piped into base64 -d and on into a file: nothing reaches the log.
            assert re.search(r'\|\s*base64 -d > "\$\{GOOGLE_APPLICATION_CREDENTIALS\}"\)?$', line), line
        assert not re.search(r"\bset\s+-[a-z]*x", line), line
        assert not re.search(r"\b(cat|less|head|tail|more|jq)\b[^|]*GOOGLE_APPLICATION_CREDENTIALS", line), line
        assert "print-access-token" not in line and "--log-http" not in line and "--verbosity" not in line
    assert "CI_DEBUG_TRACE" not in template_text("gitlab/deploy-job.yml")
    assert "artifacts" not in job
    assert all("mlem-google-service-account-key" not in path for path in job["cache"]["paths"])
    assert job["after_script"] == ['rm -f "${GOOGLE_APPLICATION_CREDENTIALS}"']


def test_template_names_stay_inside_the_folder():
    with pytest.raises(ValueError):
        template_text("../text/ch07/intro.md")
    with pytest.raises(FileNotFoundError):
        template_text("github/nope.yml")
