"""The session every front end drives: whose answer counts, what is offered, what is forgotten.

The command line, line mode and the full screen all go through `wizard.engine.session.Session`,
so these rules hold for each of them alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import pytest

import wizard.steps.questions  # noqa: F401 - registers the gcp.* questions
from wizard.engine.chapter import Chapter
from wizard.engine.errors import WizardError
from wizard.engine.events import Recorder, StepFinished, event_line
from wizard.engine.questions import Conflict
from wizard.engine.session import Session
from wizard.engine.state import StateStore
from wizard.engine.status import Status
from wizard.engine.step import Context, Observation, Reason, Step


@dataclass
class BucketNamed(Step):
    """True when the bucket answer is set: enough to see how the session treats answers."""

    id: str = "toy.bucket"
    title: str = "Name the bucket"
    needs: Sequence[str] = ("gcp.bucket_name",)

    def observe(self, ctx: Context) -> Observation:
        return Observation(Status.DONE, f"gs://{ctx.answers['gcp.bucket_name']} exists")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        return {}


def session_for(answers: dict[str, str], store: StateStore | None = None, **kw: Any) -> Session:
    ctx = Context(answers=dict(answers), workspace=None, target=None, store=store)  # type: ignore[arg-type]
    return Session(ctx, [Chapter(99, "Toy", [BucketNamed()])], **kw)


def test_what_the_learner_typed_earlier_wins_and_the_file_fills_the_rest():
    session = session_for({"gcp.project_id": "jane-mlops-2024"})
    session.open({"gcp.project_id": "other-5678", "gcp.bucket_location": "us-east1"})
    assert session.ctx.answers == {"gcp.project_id": "jane-mlops-2024", "gcp.bucket_location": "us-east1"}
    assert session.conflicts == [Conflict("gcp.project_id", "jane-mlops-2024", "other-5678")]


def test_the_learner_says_which_of_two_disagreeing_answers_is_meant():
    session = session_for({"gcp.project_id": "jane-mlops-2024"})
    session.open({"gcp.project_id": "other-5678"})
    session.settle_all(lambda conflict: conflict.in_file)
    assert session.ctx.answers["gcp.project_id"] == "other-5678" and session.conflicts == []


def test_with_nobody_to_ask_a_disagreement_stops_the_run_naming_both_values_and_the_file():
    session = session_for({"gcp.project_id": "jane-mlops-2024"})
    session.open({"gcp.project_id": "other-5678"})
    with pytest.raises(WizardError) as caught:
        session.settle_all(None, "answers.toml")
    assert "'jane-mlops-2024'" in caught.value.why and "'other-5678'" in caught.value.why
    assert "answers.toml" in caught.value.why


def test_generated_defaults_come_last_and_follow_the_project_the_learner_chose():
    demo = {"gcp.project_id": "mlops-demo-1234", "gcp.bucket_name": "{gcp.project_id}-data"}
    session = session_for({"gcp.project_id": "jane-mlops-2024"}, defaults=demo)
    session.open({})
    assert session.suggestions()["gcp.bucket_name"] == "jane-mlops-2024-data"
    assert session.suggestions()["gcp.project_id"] == "jane-mlops-2024"  # never over the learner's own


def test_a_step_true_only_with_offered_answers_is_still_the_learners_to_run():
    session = session_for({}, defaults={"gcp.bucket_name": "offered-bucket"})
    session.open({})
    chapter = session.chapters[0]
    report = session.observe_step(chapter, chapter.steps[0])
    assert report.observation is not None
    assert report.status is Status.TODO and report.observation.reason is Reason.UNCONFIRMED
    assert report.observation.detail == "gs://offered-bucket exists — run it to confirm"
    waiting = session.observe(chapter)[0]
    assert waiting.status is Status.TODO and waiting.observation and waiting.observation.reason is Reason.WAITING


def test_a_rejected_answer_leaves_the_checkpoint_so_the_next_run_asks_again(tmp_path: Path):
    store = StateStore(tmp_path)
    session = session_for({}, store=store)
    session.save_answers({"gcp.bucket_name": "mlops-bucket", "gcp.project_id": "jane-mlops-2024"})
    session.forget("gcp.bucket_name", "someone-elses")  # another value: kept
    assert store.answers()["gcp.bucket_name"] == "mlops-bucket"
    session.forget("gcp.bucket_name", "mlops-bucket")
    assert store.answers() == {"gcp.project_id": "jane-mlops-2024"}


def test_one_status_vocabulary_from_the_checkpoint_to_the_log(tmp_path: Path):
    store = StateStore(tmp_path)
    store.mark("toy.bucket", Status.STARTED, "name the bucket")
    assert Status.read(store.step("toy.bucket")["status"]) is Status.STARTED
    assert Status.read("a word from a later version") is Status.UNKNOWN
    assert f"{Status.APPLIED:<8}|" == "applied |" and str(Status.DRIFTED) == "drifted"  # the word, as shown
    recorder = Recorder()
    recorder(StepFinished("toy.bucket", "Name the bucket", Status.DONE, "gs://b exists"))
    assert event_line(recorder.events[0]) == "  ✓ already done: gs://b exists"
    assert event_line(recorder.events[0], already="already gone") == "  ✓ already gone: gs://b exists"


def test_the_script_fills_real_values_inside_a_file_a_step_writes_and_variables_in_commands():
    """A hook declared on the step base (`writes_files`), not looked up by name: a quoted heredoc expands nothing."""
    from chapters.ch14_continuous_deployment import CHAPTER
    from wizard.script import render_script

    answers = {
        "gcp.project_id": "jane-mlops-2024",
        "forge.kind": "github",
        "gke.cluster_name": "jane-cluster",
        "gke.cluster_zone": "europe-west6-a",
    }
    script = render_script(CHAPTER, answers)
    assert "cluster_name: 'jane-cluster'" in script
    assert "gcloud container clusters describe $GCP_K8S_CLUSTER_NAME" in script
