"""Chapter 8 in the full-screen wizard: the run goes straight through, and a different workflow asks first."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import ci_world, git
from tests.tui.pilot_support import wait_idle, wait_ready, wait_until
from wizard.engine.chapter import get_chapter
from wizard.tui.app import WizardApp
from wizard.tui.screens.ask import ConfirmScreen
from wizard.tui.screens.error import ErrorScreen
from wizard.tui.screens.summary import SummaryScreen

pytestmark = pytest.mark.parametrize("forge", ["github"], indirect=True)


def make_app(sandbox: Path) -> WizardApp:
    return WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(8)])


async def test_a_learner_runs_chapter_8_to_the_end(after_ch7: Path, forge: str):
    app = make_app(after_ch7)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+e")
        await wait_idle(pilot, timeout=120)
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), what="the summary")
    world = ci_world(after_ch7)
    (key_id,) = world["account"]["keys"]
    assert world["secret"]["private_key_id"] == key_id
    head = git(after_ch7 / "learner-repo", "rev-parse", "HEAD")
    assert [r["conclusion"] for r in world["runs"] if r["sha"] == head] == ["success"]


async def test_a_different_workflow_file_is_replaced_only_when_the_learner_says_so(after_ch7: Path, forge: str):
    workflow = after_ch7 / "learner-repo" / ".github" / "workflows" / "mlops.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("name: Mine\non: push\njobs: {}\n")
    app = make_app(after_ch7)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), timeout=120, what="the question")
        await wait_until(pilot, lambda: bool(app.screen.query("#confirm-details Static")), what="the difference")
        assert "-name: Mine" in str(app.screen.query_one("#confirm-details Static").render())
        await pilot.press("escape")  # keep mine
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorScreen), what="the explanation")
        assert workflow.read_text().startswith("name: Mine")
        await pilot.press("ctrl+r")  # retry, and this time agree
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question again")
        await pilot.press("ctrl+o")
        await wait_idle(pilot)
        await wait_until(pilot, lambda: app.status["ch08.workflow"] == "done", what="the workflow step")
    assert workflow.read_text().startswith("name: MLOps")
