"""Chapter 8's pipeline seen after chapter 14 added its deploy job: the job is chapter 14's, and survives."""

from __future__ import annotations

import pytest
import yaml

from chapters.templates import template_text
from wizard.engine.step import fmt
from wizard.workspace.ci_yaml import (
    add_github_deploy_job,
    add_gitlab_deploy_job,
    deploy_job_text,
    without_deploy_job,
)

ANSWERS = {"gcp.project_id": "p-1234", "gke.cluster_name": "mlops-kubernetes", "gke.cluster_zone": "europe-west6-a"}
CASES = {
    "github": ("github/mlops.yml", "github/mlops-deploy-job.yml", add_github_deploy_job),
    "gitlab": ("gitlab/gitlab-ci.yml", "gitlab/deploy-job.yml", add_gitlab_deploy_job),
}


@pytest.mark.parametrize("forge", list(CASES))
def test_chapter_8s_file_plus_chapter_14s_job_is_still_chapter_8s_file(forge: str):
    guide, job, edit = CASES[forge]
    mine = template_text(guide)
    both, changed = edit(mine, fmt(template_text(job), ANSWERS))
    assert changed
    data, found = without_deploy_job(both, forge)
    assert found and data == yaml.safe_load(mine)
    assert without_deploy_job(mine, forge) == (yaml.safe_load(mine), False)


@pytest.mark.parametrize("forge", list(CASES))
def test_the_job_carried_over_to_a_fresh_guide_file_is_the_same_job(forge: str):
    guide, job, edit = CASES[forge]
    both, _ = edit(template_text(guide), fmt(template_text(job), ANSWERS))
    carried = deploy_job_text(both, forge)
    assert carried is not None
    again, _ = edit(template_text(guide), carried)
    assert yaml.safe_load(again) == yaml.safe_load(both)


def test_a_deploy_job_that_is_not_chapter_14s_stays_a_difference():
    job = "  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./ship\n"
    mine = template_text("github/mlops.yml") + job
    data, found = without_deploy_job(mine, "github")
    assert not found and "deploy" in data["jobs"]
    assert deploy_job_text(mine, "github") is None
