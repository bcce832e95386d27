"""A learner walks chapter 7 in the full-screen wizard, driven with Textual's Pilot.

The app runs in this process with the sandbox started in-process, exactly as `demo` does;
the learner types answers and presses keys, and the world is checked afterwards.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Label

from tests.support import BUCKET, PROJECT, fingerprint, learner_world
from tests.tui.pilot_support import current_step, type_answer, wait_idle, wait_ready, wait_until
from wizard.engine.chapter import get_chapter
from wizard.sandbox.world import World
from wizard.tui.app import WizardApp
from wizard.tui.screens.error import ErrorScreen
from wizard.tui.screens.resume import ResumeScreen
from wizard.tui.screens.summary import SummaryScreen


def make_app(sandbox: Path) -> WizardApp:
    return WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)])


async def answer_project_and_create_it(pilot) -> None:
    app = pilot.app
    assert current_step(app) == "ch07.create-project"
    await type_answer(pilot, "answer-gcp-project_id", PROJECT)
    await pilot.press("ctrl+r")
    await wait_idle(pilot)
    assert app.status["ch07.create-project"] == "done"


async def test_a_learner_completes_chapter_7_with_the_keyboard(sandbox: Path, reference_world: dict):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await answer_project_and_create_it(pilot)

        assert current_step(app) == "ch07.link-billing"  # the single open account is preselected
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        # Storage and IAM are among a new project's default services (and the project step enabled IAM):
        # the wizard sees the APIs step done and moves on to the bucket.
        assert app.status["ch07.enable-apis"] == "done"
        assert current_step(app) == "ch07.create-bucket"
        await type_answer(pilot, "answer-gcp-bucket_name", BUCKET)
        await pilot.press("ctrl+e")  # run to the end
        await wait_idle(pilot, timeout=180)
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), what="the summary")
        assert all(status == "done" for status in app.status.values())
    assert fingerprint(sandbox) == reference_world


async def test_an_invalid_project_id_is_flagged_inline_and_nothing_is_called(sandbox: Path):
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_answer(pilot, "answer-gcp-project_id", "My_Project")
        error = app.query_one("#answer-gcp-project_id-error", Label)
        assert "lowercase letter" in str(error.render())
        calls_before = learner_world(sandbox)["calls"]
        await pilot.press("ctrl+r")
        await pilot.pause(0.5)
        assert not app.busy and app.status["ch07.create-project"] == "todo"
        assert learner_world(sandbox)["calls"] == calls_before
    assert learner_world(sandbox)["projects"] == {}


async def test_quitting_mid_chapter_and_coming_back_offers_to_resume(sandbox: Path):
    first = make_app(sandbox)
    async with first.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await answer_project_and_create_it(pilot)
        await pilot.press("ctrl+q")

    again = make_app(sandbox)
    async with again.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await wait_until(pilot, lambda: isinstance(again.screen, ResumeScreen), what="the resume offer")
        # credentials, project, and the APIs (storage is a default, IAM comes with the project)
        assert "3 of 10 steps are done" in str(again.screen.query_one("#resume-count").render())
        await pilot.press("enter")
        assert current_step(again) == "ch07.link-billing"
        await pilot.press("ctrl+e")
        await wait_idle(pilot)
        assert current_step(again) == "ch07.create-bucket"  # stops where an answer is needed
        await type_answer(pilot, "answer-gcp-bucket_name", BUCKET)
        await pilot.press("ctrl+e")
        await wait_idle(pilot, timeout=180)
        await wait_until(pilot, lambda: isinstance(again.screen, SummaryScreen), what="the summary")
    world = learner_world(sandbox)
    assert list(world["projects"]) == [PROJECT] and list(world["buckets"]) == [BUCKET]


async def test_an_api_failure_opens_the_error_panel_and_retry_succeeds(sandbox: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLOPS_WIZARD_RETRY_BUDGET", "1")  # a long outage, told after 1 s of retries
    with World(sandbox).mutate() as world:
        world["faults"]["fail"] = {"CloudBilling.UpdateProjectBillingInfo": "UNAVAILABLE"}
    app = make_app(sandbox)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await answer_project_and_create_it(pilot)
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorScreen), what="the error panel")
        panel = app.screen
        assert "temporarily unavailable" in str(panel.query_one("#error-what").render())
        assert "retry" in str(panel.query_one("#error-fix").render()).lower()
        assert app.status["ch07.link-billing"] == "failed"

        with World(sandbox).mutate() as world:  # the outage is over
            world["faults"]["fail"] = {}
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        await wait_until(pilot, lambda: app.status["ch07.link-billing"] == "done", what="billing to be linked")
        assert not isinstance(app.screen, ErrorScreen)
    assert learner_world(sandbox)["projects"][PROJECT]["billing_account"] == "012345-6789AB-CDEF01"


async def test_help_lists_the_keys(sandbox: Path):
    app = make_app(sandbox)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await pilot.press("f1")
        text = " ".join(str(w.render()) for w in app.screen.query(".help-row"))
        for key in ("ctrl+r", "ctrl+e", "ctrl+n", "ctrl+b", "ctrl+y", "ctrl+q"):
            assert key in text
        await pilot.press("escape")
        assert not app.screen.query(".help-row")
