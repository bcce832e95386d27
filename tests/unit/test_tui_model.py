"""The full-screen wizard's session rules, without a screen: which step opens, what the learner may do,
and when a chapter's summary and the next chapter's introduction are due."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import Sequence

from wizard.engine.chapter import Chapter
from wizard.engine.step import Step
from wizard.tui.model import SessionModel


@dataclass
class Plain(Step):
    id: str = ""
    title: str = ""
    needs: Sequence[str] = ()


def two_chapters() -> SessionModel:
    """A small course: chapter 7 makes a project and a bucket, chapter 8 a service account that needs the project."""
    seven = Chapter(
        7,
        "Storage",
        [
            Plain("ch07.project", "Create the project", ("gcp.project_id",)),
            Plain("ch07.bucket", "Create the bucket", ("gcp.project_id", "gcs.bucket")),
        ],
        intro="# Chapter 7",
    )
    eight = Chapter(
        8,
        "CI",
        [Plain("ch08.account", "Create the account", ("gcp.project_id", "ci.account")), Plain("ch08.run", "Watch")],
        intro="# Chapter 8",
    )
    return SessionModel([seven, eight])


def ready(model: SessionModel, *done: str) -> SessionModel:
    for step_id in done:
        model.take(step_id, "done", "exists")
    model.index = model.opened()
    model.ready = True
    return model


def test_a_learner_starting_fresh_opens_the_first_step_and_cannot_go_back():
    model = ready(two_chapters())

    assert model.current[1].id == "ch07.project"
    assert model.can_run() and model.can_skip() and not model.can_back()


def test_nothing_may_be_done_before_the_world_is_observed_or_while_a_step_runs():
    model = two_chapters()
    assert not (model.can_run() or model.can_skip() or model.can_back())

    ready(model)
    model.index = 1
    model.busy = True
    assert not (model.can_run() or model.can_skip() or model.can_back())


def test_a_learner_coming_back_opens_the_first_unfinished_step_and_no_summary_is_due_for_finished_chapters():
    model = ready(two_chapters(), "ch07.project", "ch07.bucket")

    assert model.current[1].id == "ch08.account"
    assert model.summary_shown == {7}
    assert model.done_and_todo() == (
        [(7, "Create the project"), (7, "Create the bucket")],
        [(8, "Create the account"), (8, "Watch")],
    )


def test_when_everything_is_done_the_last_step_is_open_and_cannot_be_skipped():
    model = ready(two_chapters(), "ch07.project", "ch07.bucket", "ch08.account", "ch08.run")

    assert model.index == model.last and model.all_done()
    assert not model.can_skip() and model.can_back()


def test_an_answer_shared_by_several_steps_is_asked_by_the_first_step_that_needs_it():
    model = two_chapters()

    assert model.owned_keys(model.steps[0][1]) == ["gcp.project_id"]
    assert model.owned_keys(model.steps[1][1]) == ["gcs.bucket"]
    assert model.owned_keys(model.steps[2][1]) == ["ci.account"]
    assert model.owned_keys(model.steps[3][1]) == []


def test_the_running_step_keeps_its_status_until_its_own_result_arrives():
    model = ready(two_chapters())
    model.busy = True
    model.started()

    assert not model.take("ch07.project", "todo", "the project does not exist yet")
    assert model.status["ch07.project"] == "running" and model.shown_status(0) == "running"
    assert model.take("ch07.bucket", "todo", "no bucket yet")  # another step's refresh is taken


def test_a_failed_step_says_why_and_stays_open():
    model = ready(two_chapters())
    model.started()
    model.failed("ch07.project", "The project ID is taken.")

    assert model.status["ch07.project"] == "failed" and model.details["ch07.project"] == "The project ID is taken."
    assert model.first_unfinished() == 0


def test_run_to_the_end_goes_on_only_through_steps_whose_answers_are_known():
    model = ready(two_chapters())

    after = model.succeeded("ch07.project", "created", to_end=True, known=lambda key: key == "gcp.project_id")
    assert after.index == 1 and not after.run_on  # the bucket name is the learner's to choose
    after = model.succeeded("ch07.project", "created", to_end=True, known=lambda key: True)
    assert after.index == 1 and after.run_on
    after = model.succeeded("ch07.project", "created", to_end=False, known=lambda key: True)
    assert not after.run_on  # one step at a time


def test_the_end_of_a_chapter_stops_for_its_summary_then_leads_to_the_next_introduction():
    model = ready(two_chapters())
    model.succeeded("ch07.project", "created", to_end=True, known=lambda key: True)

    after = model.succeeded("ch07.bucket", "created", to_end=True, known=lambda key: True)

    assert after.chapter_summary is not None and after.chapter_summary.number == 7
    assert after.next_chapter == 8 and not after.run_on and after.index == 2
    model.index = after.index
    intro = model.intro_due()
    assert intro is not None and intro.number == 8
    assert model.intro_due() is None  # once


def test_a_chapter_summary_is_shown_once_even_if_a_step_of_it_is_run_again():
    model = ready(two_chapters())
    model.succeeded("ch07.project", "created")
    assert model.succeeded("ch07.bucket", "created").chapter_summary is not None

    again = model.succeeded("ch07.bucket", "checked again")
    assert again.chapter_summary is None


def test_the_last_step_done_shows_every_summary_on_one_page():
    model = ready(two_chapters(), "ch07.project", "ch07.bucket", "ch08.account")

    after = model.succeeded("ch08.run", "the run passed")

    assert after.all_done and after.index == model.last
    assert [c.number for c in model.final_summaries()] == [8, 7]  # the chapter just finished first
    assert model.summary_shown == {7, 8}


def test_after_a_step_the_next_unfinished_one_is_looked_at_again():
    model = ready(two_chapters(), "ch07.bucket")

    assert model.next_to_observe(0) == 2  # the bucket is already there: the account comes next
    assert model.next_to_observe(3) is None


def test_run_to_the_end_looks_at_the_next_step_only_when_it_does_not_go_straight_on_to_it():
    model = ready(two_chapters())
    everything = lambda key: True  # noqa: E731

    assert model.runs_straight_on(0, everything)  # the bucket runs next: its own run observes it
    assert not model.runs_straight_on(0, lambda key: key == "gcp.project_id")  # it stops there: looked at
    assert not model.runs_straight_on(1, everything)  # the chapter ends: its summary, then chapter 8 is shown
    model.index = 2  # the learner skipped to chapter 8's account, chapter 7 not done
    assert not model.runs_straight_on(2, everything)  # run-all goes back to the first unfinished step


def test_a_chapter_without_an_introduction_has_none_due():
    model = SessionModel([Chapter(9, "Bare", [Plain("ch09.only", "Only step")])])

    assert model.intro_due() is None
    assert model.chapter_after(model.chapters[0]) is None


def test_the_model_needs_no_screen():
    code = "import sys, wizard.tui.model; sys.exit('textual' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_a_chapter_summary_lists_what_each_step_found_or_made():
    model = ready(two_chapters(), "ch07.project")
    model.succeeded("ch07.bucket", "gs://learner-data created")

    text = model.summary(model.chapters[0], {"gcp.project_id": "learner-1"})

    assert "- ✓ Create the project — exists" in text
    assert "- ✓ Create the bucket — gs://learner-data created" in text
