"""The clean-up's order and its confirmation rules, as pure logic."""

from __future__ import annotations

import pytest

from chapters.cleanup import cleanup_chapter
from wizard.cleanup import Plan, check_typed_project, render_plan
from wizard.engine.chapter import load_chapters
from wizard.engine.errors import WizardError
from wizard.engine.runner import StepReport
from wizard.engine.step import Observation, Status


def test_clean_up_is_not_a_chapter_of_the_walk_through():
    assert list(load_chapters()) == [7, 8, 14]


def test_removals_go_in_dependency_order():
    ids = [step.id for step in cleanup_chapter().steps]
    assert ids == [
        "cleanup.ch14-secret",
        "cleanup.ch08-secret",
        "cleanup.ch14-keys",
        "cleanup.ch08-keys",
        "cleanup.ch14-account",
        "cleanup.ch08-account",
        "cleanup.bucket",
        "cleanup.billing",
        "cleanup.project",
    ]
    with_13 = [step.id for step in cleanup_chapter(include_chapter13=True).steps]
    assert with_13.index("cleanup.ch13-cluster") < with_13.index("cleanup.bucket")
    assert [step.id for step in cleanup_chapter([8]).steps] == [
        "cleanup.ch08-secret",
        "cleanup.ch08-keys",
        "cleanup.ch08-account",
    ]


def test_an_unknown_chapter_is_refused():
    with pytest.raises(WizardError, match="not 9"):
        cleanup_chapter([9])


def _plan() -> Plan:
    spec = cleanup_chapter([7])
    bucket, billing, project = spec.steps
    return Plan(
        "mlops-jane-2024",
        [
            StepReport(
                bucket, Observation(Status.TODO, "gs://b with 2 object(s)", {"difference": "gs://b holds x.txt"})
            ),
            StepReport(billing, Observation(Status.DONE, "no billing account is linked")),
            StepReport(project, Observation(Status.TODO, "project mlops-jane-2024 is active")),
        ],
    )


def test_the_plan_says_what_goes_what_is_gone_and_what_stays():
    text = render_plan(_plan(), {"gcp.bucket_name": "b"}, "- your repository (gs://{gcp.bucket_name})", "Google")
    assert text.index("Will be removed") < text.index("Already gone") < text.index("Does not look like")
    assert "  1. Delete the bucket's objects, then the bucket: gs://b with 2 object(s)" in text
    assert "  · Unlink billing from the project: no billing account is linked" in text
    assert "  ! gs://b holds x.txt" in text
    assert "- your repository (gs://b)" in text


@pytest.mark.parametrize("typed", [None, "", "  ", "mlops-jane-2025", "MLOPS-JANE-2024"])
def test_only_the_exact_project_id_confirms(typed: str | None):
    with pytest.raises(WizardError, match="Nothing was removed"):
        check_typed_project(_plan(), typed)
    check_typed_project(_plan(), " mlops-jane-2024 ")
