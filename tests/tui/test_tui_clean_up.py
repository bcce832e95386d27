"""Clean-up in full screen: nothing goes until the learner types the project ID, and a file of theirs needs a tick."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Checkbox

from tests.e2e.test_clean_up import what_is_left
from tests.support import BUCKET, PROJECT, upload_object
from tests.tui.pilot_support import wait_until
from wizard.tui.cleanup_launch import CleanupApp
from wizard.tui.screens.cleanup import CleanupPlanScreen

pytestmark = pytest.mark.parametrize("forge", ["github"], indirect=True)


def make_app(sandbox: Path) -> CleanupApp:
    return CleanupApp(sandbox / "learner-repo", sandbox, (14, 8, 7), {}, {})


async def test_the_learner_types_the_project_id_and_everything_goes(after_ch14: Path, forge: str):
    app = make_app(after_ch14)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CleanupPlanScreen), timeout=180, what="the plan")
        await pilot.pause()
        remove = app.screen.query_one("#remove")
        await pilot.press(*"mlops-learner")
        assert remove.disabled  # half an ID confirms nothing
        await pilot.press(*PROJECT[len("mlops-learner") :])
        assert not remove.disabled
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.finished, timeout=120, what="the removals")
    left = what_is_left(after_ch14)
    assert (left["state"], left["bucket"], left["accounts"], left["secrets"]) == ("DELETE_REQUESTED", False, [], [])


async def test_a_file_of_the_learners_needs_its_own_tick(after_ch14: Path, forge: str):
    upload_object(after_ch14, BUCKET, "notes/my-thesis.txt", b"three years of work")
    before = what_is_left(after_ch14)
    app = make_app(after_ch14)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, CleanupPlanScreen), timeout=180, what="the plan")
        await pilot.pause()
        screen = app.screen
        box = screen.query_one("#difference-0", Checkbox)
        assert "notes/my-thesis.txt" in str(box.label)
        await pilot.press(*PROJECT)
        assert screen.query_one("#remove").disabled  # typed, but the learner's file is not agreed to
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, CleanupPlanScreen), what="the dialog to close")
    assert what_is_left(after_ch14) == before
