"""A learner crosses from chapter 7 to chapter 8: the steps they arrive at say what is true now.

At launch, chapter 8's steps were looked at before the learner had typed a project ID, so they
could only say "waiting for your answers". Once chapter 7 has made the project, the steps the
wizard goes on to must say what they find in that project, not what could not be looked at then.
"""

from __future__ import annotations

from pathlib import Path

from tests.support import BUCKET, PROJECT
from tests.tui.pilot_support import current_step, next_chapter, type_answer, wait_idle, wait_ready, wait_until
from wizard.engine.chapter import get_chapter
from wizard.tui.app import WizardApp
from wizard.tui.screens.summary import SummaryScreen


async def test_the_next_chapter_is_looked_at_again_with_the_answers_now_given(sandbox: Path):
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7), get_chapter(8)])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        assert app.details["ch08.older-edition"] == "waiting for your answers"  # no project ID yet
        await type_answer(pilot, "answer-gcp-project_id", PROJECT)
        await pilot.press("ctrl+e")
        await wait_idle(pilot, timeout=120)
        await type_answer(pilot, "answer-gcp-bucket_name", BUCKET)
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), timeout=240, what="the summary")
        await next_chapter(pilot, 8)
        await wait_idle(pilot)
        # The older edition's credential, looked at again in the project now made: there is none, so the
        # wizard goes on to the first step with work to do, instead of stopping at a step with nothing to ask.
        assert app.status["ch08.older-edition"] == "done"
        assert app.details["ch08.older-edition"] == "no credential of the guide's older edition"
        assert current_step(app) == "ch08.create-service-account"
        status = str(app.query_one("#step-status").render())
        assert "waiting for your answers" not in status and "dvc-service-account" in status, status
