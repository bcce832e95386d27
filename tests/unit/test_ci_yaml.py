"""Chapter 14's edits of the learner's CI files: only the deploy job (and stage) are new.

Every test checks the two promises of `wizard.workspace.ci_yaml`: each original line is kept
byte for byte (the result is the original with lines inserted, nothing replaced or removed),
and the result parses to exactly the original data plus what was added, in order.
"""

from __future__ import annotations

import difflib

import pytest
import yaml

from chapters.templates import template_text
from wizard.engine.step import fmt
from wizard.workspace.ci_yaml import (
    CiYamlError,
    ConflictingJob,
    ConflictingStage,
    NoTrainingJob,
    add_github_deploy_job,
    add_gitlab_deploy_job,
    has_github_deploy_job,
    has_gitlab_deploy_job,
    training_job,
)

ANSWERS = {
    "gke.cluster_name": "mlops-kubernetes",
    "gke.cluster_zone": "europe-west6-a",
    "gcp.project_id": "my-mlops-1234",
}
GUIDE_MLOPS = template_text("github/mlops.yml")
GITHUB_JOB = template_text("github/mlops-deploy-job.yml")
GUIDE_GITLAB = template_text("gitlab/gitlab-ci.yml")
GITLAB_JOB = fmt(template_text("gitlab/deploy-job.yml"), ANSWERS)

# A learner's mlops.yml as the later guide has it: the training job is `train-and-report`,
# plus comments everywhere, quotes of every kind, a job of their own after it, and a trailing
# comment at the end of the file.
LEARNER_MLOPS = """\
# My pipeline -- do not edit on Fridays
name: "MLOps"

on:
  # Runs on pushes targeting main branch
  push:
    branches:
      - main   # only main

  # Runs on pull requests
  pull_request:

  # Allows you to run this workflow manually from the Actions tab
  workflow_dispatch:

# Allow the workflow to comment the report on the pull request
permissions:
  pull-requests: write

jobs:
  train-and-report:
    permissions: write-all
    runs-on: ubuntu-latest
    steps:
      - name: Checkout repository
        uses: actions/checkout@v3
      - name: Setup Python
        uses: actions/setup-python@v4
        with:
          python-version: '3.10'
          cache: "pip"
      - name: Install dependencies
        run: pip install --requirement requirements-freeze.txt
      - name: Login to Google Cloud
        uses: 'google-github-actions/auth@v1'
        with:
          credentials_json: '${{ secrets.DVC_GCP_SERVICE_ACCOUNT_KEY }}'
      - name: Train model
        run: |
          # Pull the data, run what changed
          dvc repro --pull --allow-missing
        # The report follows

      - name: Report
        run: echo "## Report" >> report.md

  # My own job: lint the code
  lint:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v3
      - run: ruff check src   # fast

# end of workflow
"""

# The same kind of file written in another common style: 4-space mappings, flush dashes.
FLUSH_STYLE_MLOPS = """\
name: MLOps
on: [push, pull_request]
jobs:
    train:
        runs-on: ubuntu-latest
        steps:
        -   uses: actions/checkout@v3
        -   run: dvc repro --pull --allow-missing
"""


def inserted_only(original: str, result: str) -> list[str]:
    """The lines `result` adds to `original`; fails if any original line changed or moved."""
    old, new = original.splitlines(keepends=True), result.splitlines(keepends=True)
    added = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        assert tag in ("equal", "insert"), f"original lines {i1}-{i2} were {tag}d: {old[i1:i2]!r}"
        if tag == "insert":
            added += new[j1:j2]
    assert len(new) == len(old) + len(added)
    return added


def ordered(node):
    if isinstance(node, dict):
        return [(key, ordered(value)) for key, value in node.items()]
    if isinstance(node, list):
        return [ordered(item) for item in node]
    return node


def github_job(needs: str) -> dict:
    job = yaml.safe_load(GITHUB_JOB)["deploy"]
    job["needs"] = needs
    return job


def with_deploy(original: str, needs: str) -> dict:
    data = yaml.safe_load(original)
    data["jobs"]["deploy"] = github_job(needs)
    return data


# -- GitHub -----------------------------------------------------------------------------------
def test_the_guides_workflow_gets_the_guides_job():
    assert training_job(GUIDE_MLOPS) == "train"
    assert not has_github_deploy_job(GUIDE_MLOPS, GITHUB_JOB)

    text, changed = add_github_deploy_job(GUIDE_MLOPS, GITHUB_JOB)

    assert changed
    # The guide's file, a blank line, and the template exactly (it already says `needs: train`).
    assert text == GUIDE_MLOPS + "\n" + GITHUB_JOB
    assert ordered(yaml.safe_load(text)) == ordered(with_deploy(GUIDE_MLOPS, "train"))
    assert has_github_deploy_job(text, GITHUB_JOB)


def test_a_learners_workflow_keeps_every_line_and_needs_train_and_report():
    assert training_job(LEARNER_MLOPS) == "train-and-report"

    text, changed = add_github_deploy_job(LEARNER_MLOPS, GITHUB_JOB)

    assert changed
    added = inserted_only(LEARNER_MLOPS, text)
    job = GITHUB_JOB.replace("needs: train", "needs: train-and-report")
    assert sorted(added) == sorted(["\n", *job.splitlines(keepends=True)])
    # After the learner's last job, before the comment that ends the file.
    tail = "      - run: ruff check src   # fast\n\n# end of workflow\n"
    assert text == LEARNER_MLOPS.replace(tail, tail.replace("\n\n", "\n\n" + job + "\n"))
    assert text.index("  lint:") < text.index("  deploy:")
    assert ordered(yaml.safe_load(text)) == ordered(with_deploy(LEARNER_MLOPS, "train-and-report"))


def test_the_job_takes_the_files_indentation_style():
    text, changed = add_github_deploy_job(FLUSH_STYLE_MLOPS, GITHUB_JOB)

    assert changed
    added = inserted_only(FLUSH_STYLE_MLOPS, text)
    assert "".join(added) == (
        "\n"
        "    deploy:\n"
        "        # Runs on main branch only, once the experiment has been reproduced\n"
        "        needs: train\n"
        "        if: github.ref == 'refs/heads/main'\n"
        "        uses: ./.github/workflows/deploy.yml\n"
        "        secrets: inherit\n"
    )
    assert ordered(yaml.safe_load(text)) == ordered(with_deploy(FLUSH_STYLE_MLOPS, "train"))


@pytest.mark.parametrize("original", [GUIDE_MLOPS, LEARNER_MLOPS, FLUSH_STYLE_MLOPS])
def test_a_second_run_changes_nothing(original):
    once, changed = add_github_deploy_job(original, GITHUB_JOB)
    assert changed
    twice, changed_again = add_github_deploy_job(once, GITHUB_JOB)
    assert (twice, changed_again) == (once, False)
    assert has_github_deploy_job(once, GITHUB_JOB)


def test_the_same_job_written_differently_is_the_same_job():
    """`needs: [train]`, other key order, other quotes, other comments: the same data."""
    mine = GUIDE_MLOPS + (
        "  deploy:\n"
        '    uses: "./.github/workflows/deploy.yml"\n'
        "    needs: [train]  # after training\n"
        "    secrets: inherit\n"
        "    if: \"github.ref == 'refs/heads/main'\"\n"
    )
    assert has_github_deploy_job(mine, GITHUB_JOB)
    assert add_github_deploy_job(mine, GITHUB_JOB) == (mine, False)


def test_a_different_deploy_job_is_a_conflict():
    mine = GUIDE_MLOPS + (
        "  deploy:\n    needs: train\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./deploy.sh\n"
    )
    assert not has_github_deploy_job(mine, GITHUB_JOB)
    with pytest.raises(ConflictingJob) as caught:
        add_github_deploy_job(mine, GITHUB_JOB)
    assert isinstance(caught.value, ValueError)
    message = str(caught.value)
    assert "already has a `deploy` job" in message and "rename or remove" in message
    assert "`uses` is missing" in message and "`steps` is not in the guide's job" in message

    # The right job but after the wrong job is a conflict too.
    after_lint = LEARNER_MLOPS.replace("# end of workflow\n", "") + (
        "  deploy:\n"
        "    needs: lint\n"
        "    if: github.ref == 'refs/heads/main'\n"
        "    uses: ./.github/workflows/deploy.yml\n"
        "    secrets: inherit\n"
    )
    with pytest.raises(ConflictingJob, match=r"`needs` is \[lint\] \(the guide has \[train-and-report\]\)"):
        add_github_deploy_job(after_lint, GITHUB_JOB)


def test_no_training_job():
    nothing_trains = GUIDE_MLOPS.replace("dvc repro --pull --allow-missing", "python src/train.py")
    assert training_job(nothing_trains) is None
    assert not has_github_deploy_job(nothing_trains, GITHUB_JOB)
    with pytest.raises(NoTrainingJob, match="No job of the workflow runs `dvc repro`") as caught:
        add_github_deploy_job(nothing_trains, GITHUB_JOB)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(CiYamlError, match="no `jobs:`"):
        add_github_deploy_job("name: MLOps\non: push\n", GITHUB_JOB)


def test_broken_yaml_is_refused():
    with pytest.raises(CiYamlError, match="not valid YAML"):
        add_github_deploy_job(GUIDE_MLOPS + "  deploy: [\n", GITHUB_JOB)


def test_windows_line_endings_are_kept():
    original = LEARNER_MLOPS.replace("\n", "\r\n")
    text, changed = add_github_deploy_job(original, GITHUB_JOB)
    assert changed
    assert text.count("\n") == text.count("\r\n")
    added = inserted_only(original, text)
    assert all(line.endswith("\r\n") for line in added)
    assert text.replace("\r\n", "\n") == add_github_deploy_job(LEARNER_MLOPS, GITHUB_JOB)[0]
    assert add_github_deploy_job(text, GITHUB_JOB) == (text, False)


def test_a_file_without_a_final_newline():
    original = GUIDE_MLOPS.rstrip("\n")
    text, changed = add_github_deploy_job(original, GITHUB_JOB)
    assert changed and text == GUIDE_MLOPS + "\n" + GITHUB_JOB


# -- GitLab -----------------------------------------------------------------------------------
def gitlab_expected(original: str, needs: str = "train", after_job: str | None = None) -> dict:
    """The original data, `deploy` after the training stage, the job after `after_job` (or last)."""
    data = yaml.safe_load(original)
    stages = data["stages"]
    if "deploy" not in stages:
        stages.insert(stages.index(data[needs]["stage"]) + 1, "deploy")
    job = yaml.safe_load(GITLAB_JOB)["deploy"]
    job["needs"] = [needs]
    out = {}
    for key, value in data.items():
        out[key] = value
        if key == after_job:
            out["deploy"] = job
    out.setdefault("deploy", job)
    return out


def test_the_guides_gitlab_file_gets_the_stage_and_the_job():
    assert training_job(GUIDE_GITLAB) == "train"
    assert not has_gitlab_deploy_job(GUIDE_GITLAB, GITLAB_JOB)

    text, changed = add_gitlab_deploy_job(GUIDE_GITLAB, GITLAB_JOB)

    assert changed
    added = inserted_only(GUIDE_GITLAB, text)
    assert added == ["  - deploy\n", "\n", *GITLAB_JOB.splitlines(keepends=True)]
    assert text.startswith("stages:\n  - train\n  - deploy\n\nvariables:\n")
    assert text.endswith(GUIDE_GITLAB.splitlines(keepends=True)[-1] + "\n" + GITLAB_JOB)
    assert ordered(yaml.safe_load(text)) == ordered(gitlab_expected(GUIDE_GITLAB))
    assert "mlops-kubernetes --zone europe-west6-a --project my-mlops-1234" in text

    again, changed_again = add_gitlab_deploy_job(text, GITLAB_JOB)
    assert (again, changed_again) == (text, False)
    assert yaml.safe_load(again)["stages"] == ["train", "deploy"]  # the stage is added once
    assert has_gitlab_deploy_job(text, GITLAB_JOB)


LEARNER_GITLAB = """\
# CI of my project
stages:
  - train   # reproduce the experiment
  - report

variables:
  GIT_DEPTH: "0"

train-and-report:
  stage: train
  image: python:3.10
  script:
    # Run the experiment
    - dvc repro --pull --allow-missing

report:
  stage: report
  script: ["echo report"]

# workflow settings come last
workflow:
  rules:
    - if: $CI_COMMIT_BRANCH
"""


def test_a_learners_gitlab_file_keeps_every_line():
    text, changed = add_gitlab_deploy_job(LEARNER_GITLAB, GITLAB_JOB)

    assert changed
    added = inserted_only(LEARNER_GITLAB, text)
    job = GITLAB_JOB.replace("    - train\n", "    - train-and-report\n")
    assert sorted(added) == sorted(["  - deploy\n", "\n", *job.splitlines(keepends=True)])
    assert text == (
        LEARNER_GITLAB.replace("  - report\n", "  - deploy\n  - report\n", 1).replace(
            "\n\n# workflow settings", "\n\n" + job + "\n# workflow settings"
        )
    )
    # deploy comes right after the training stage, the job after the last job.
    assert "  - train   # reproduce the experiment\n  - deploy\n  - report\n" in text
    assert text.index("\nreport:") < text.index("\ndeploy:") < text.index("# workflow settings")
    expected = gitlab_expected(LEARNER_GITLAB, "train-and-report", after_job="report")
    assert ordered(yaml.safe_load(text)) == ordered(expected)
    assert add_gitlab_deploy_job(text, GITLAB_JOB) == (text, False)


def test_gitlab_flow_style_stages_and_an_existing_deploy_stage():
    flow = GUIDE_GITLAB.replace("stages:\n  - train\n", "stages: [train, 'test']\n")
    text, changed = add_gitlab_deploy_job(flow, GITLAB_JOB)
    assert changed and text.startswith("stages: [train, deploy, 'test']\n")
    assert ordered(yaml.safe_load(text)) == ordered(gitlab_expected(flow))

    # `deploy` already listed after train: only the job is added, the stage is not repeated.
    listed = GUIDE_GITLAB.replace("  - train\n", "  - train\n  - deploy\n", 1)
    text, changed = add_gitlab_deploy_job(listed, GITLAB_JOB)
    assert changed and yaml.safe_load(text)["stages"] == ["train", "deploy"]
    assert inserted_only(listed, text) == ["\n", *GITLAB_JOB.splitlines(keepends=True)]

    # The job is there but the stage is not: only the stage is added.
    job_only = GUIDE_GITLAB + "\n" + GITLAB_JOB
    assert not has_gitlab_deploy_job(job_only, GITLAB_JOB)
    text, changed = add_gitlab_deploy_job(job_only, GITLAB_JOB)
    assert changed and inserted_only(job_only, text) == ["  - deploy\n"]
    assert has_gitlab_deploy_job(text, GITLAB_JOB)


def test_gitlab_conflicts():
    before = GUIDE_GITLAB.replace("  - train\n", "  - deploy\n  - train\n", 1)
    with pytest.raises(ConflictingStage, match="before `train`"):
        add_gitlab_deploy_job(before, GITLAB_JOB)
    assert not has_gitlab_deploy_job(before, GITLAB_JOB)

    mine = GUIDE_GITLAB + "\ndeploy:\n  stage: deploy\n  script:\n    - ./deploy.sh\n"
    with pytest.raises(ConflictingJob, match="`.gitlab-ci.yml` already has a `deploy` job"):
        add_gitlab_deploy_job(mine, GITLAB_JOB)
    assert not has_gitlab_deploy_job(mine, GITLAB_JOB)

    # Another cluster than the learner's answers is another job.
    other = GUIDE_GITLAB + "\n" + GITLAB_JOB.replace("mlops-kubernetes", "old-cluster")
    with pytest.raises(ConflictingJob, match="`before_script`"):
        add_gitlab_deploy_job(other, GITLAB_JOB)


def test_gitlab_without_a_training_job():
    nothing_trains = GUIDE_GITLAB.replace("dvc repro --pull --allow-missing", "python src/train.py")
    assert training_job(nothing_trains) is None
    with pytest.raises(NoTrainingJob, match="No job of `.gitlab-ci.yml` runs `dvc repro`"):
        add_gitlab_deploy_job(nothing_trains, GITLAB_JOB)
    assert not has_gitlab_deploy_job(nothing_trains, GITLAB_JOB)


def test_gitlab_training_script_from_a_template_job():
    extends = GUIDE_GITLAB.replace("train:\n", ".repro:\n  script:\n    - dvc repro\n\ntrain:\n  extends: .repro\n", 1)
    extends = extends.replace("  script:\n    # Run the experiment\n    - dvc repro --pull --allow-missing\n", "")
    assert training_job(extends) == "train"
    text, changed = add_gitlab_deploy_job(extends, GITLAB_JOB)
    assert changed and yaml.safe_load(text)["deploy"]["needs"] == ["train"]


def test_gitlab_windows_line_endings_are_kept():
    original = GUIDE_GITLAB.replace("\n", "\r\n")
    text, changed = add_gitlab_deploy_job(original, GITLAB_JOB)
    assert changed and text.count("\n") == text.count("\r\n")
    assert text.replace("\r\n", "\n") == add_gitlab_deploy_job(GUIDE_GITLAB, GITLAB_JOB)[0]
