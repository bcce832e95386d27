"""A first-time learner's path through the full-screen wizard: what they see, where the focus is, whose answer counts.

Each story drives the real app (Pilot) against an in-process sandbox, as `demo` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button, Input, ListView, Select

from tests.support import BUCKET, PROJECT, learner_world
from tests.tui.pilot_support import current_step, type_answer, wait_idle, wait_ready, wait_until
from wizard.engine.chapter import get_chapter, load_chapters
from wizard.sandbox.world import World
from wizard.tui.app import WizardApp
from wizard.tui.screens.ask import ChoiceScreen
from wizard.tui.screens.chapter import IntroScreen
from wizard.tui.screens.error import ErrorScreen
from wizard.tui.screens.resume import ResumeScreen


def status_line(app: WizardApp) -> str:
    return str(app.query_one("#step-status").render())


async def test_after_a_step_runs_the_next_one_says_what_is_true_now(sandbox: Path):
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_answer(pilot, "answer-gcp-project_id", PROJECT)
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        assert current_step(app) == "ch07.link-billing"
        assert "does not exist yet" not in status_line(app)  # observed again after the project was made
        assert "no billing account is linked" in status_line(app)


async def test_focus_is_on_the_answer_to_give_and_tab_visits_only_what_can_be_used(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("MLOPS_WIZARD_RETRY_BUDGET", "1")  # a long outage, told after 1 s of retries
    with World(sandbox).mutate() as world:
        world["faults"]["fail"] = {"Projects.CreateProject": "UNAVAILABLE"}
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        await wait_until(
            pilot,
            lambda: app.focused is not None and app.focused.id == "answer-gcp-project_id",
            what="the project ID field to have the focus",
        )
        visited = []
        for _ in range(8):
            await pilot.press("tab")
            widget = app.focused
            assert widget is not None
            visited.append(widget.id)
            assert isinstance(widget, (Input, Select, Button, ListView)), widget
            assert widget.display and widget.visible and not widget.disabled
        assert "main" not in visited and "activity" not in visited

        await type_answer(pilot, "answer-gcp-project_id", PROJECT)
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorScreen), what="the error panel")
        await pilot.press("escape")
        await wait_until(
            pilot,
            lambda: app.focused is not None and app.focused.id == "answer-gcp-project_id",
            what="the focus back on the answer after the panel closed",
        )


async def test_no_keystroke_is_lost_while_the_step_is_observed_again(sandbox: Path):
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot)
        field = app.query_one("#answer-gcp-project_id", Input)
        field.focus()
        field.value = ""
        for chunk in ("mlops-", "learner", "-4242"):
            app.observe_worker(app.index)  # a refresh in the background, as after each step
            await pilot.press(*chunk)
        await wait_until(pilot, lambda: not [w for w in app.workers if w.group == "observe" and not w.is_finished])
        assert field.value == PROJECT
        assert app.focused is field


async def test_an_answers_file_that_disagrees_with_earlier_answers_is_asked_about(after_ch7: Path):
    app = WizardApp(
        after_ch7 / "learner-repo",
        after_ch7,
        [get_chapter(7)],
        given={"gcp.project_id": "someone-new-9999", "gcp.bucket_name": BUCKET},
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ChoiceScreen) and bool(app.screen.query("#other")),
            what="the question, drawn",
        )
        assert "someone-new-9999" in str(app.screen.query_one("#other", Button).label)
        await pilot.press("escape")  # keep mine
        await wait_ready(pilot)
        assert app.controller.ctx.answers["gcp.project_id"] == PROJECT
        assert all(status == "done" for status in app.status.values())
    assert list(learner_world(after_ch7)["projects"]) == [PROJECT]


async def test_the_demos_names_are_defaults_and_the_bucket_follows_the_learners_project(sandbox: Path):
    demo = {"gcp.project_id": "mlops-demo-1234", "gcp.bucket_name": "{gcp.project_id}-data"}
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)], prepare=lambda: dict(demo))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        assert app.query_one("#answer-gcp-project_id", Input).value == "mlops-demo-1234"
        await type_answer(pilot, "answer-gcp-project_id", PROJECT)
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        assert current_step(app) == "ch07.create-bucket"
        assert app.query_one("#answer-gcp-bucket_name", Input).value == f"{PROJECT}-data"


@pytest.mark.parametrize("forge", ["github"], indirect=True)
async def test_welcome_back_lists_each_step_once_and_keeps_its_buttons_on_an_80x24_screen(after_ch8: Path, forge: str):
    app = WizardApp(after_ch8 / "learner-repo", after_ch8, list(load_chapters().values()))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ResumeScreen), timeout=120, what="the resume offer")
        await pilot.pause()
        screen = app.screen
        done = str(screen.query_one("#resume-done").render())
        lines = [line.strip() for line in done.splitlines() if line.strip().startswith("✓")]
        assert len(lines) == len(set(lines)) or "Chapter 8" in done  # grouped by chapter: no step twice in one
        for chapter in ("Chapter 7", "Chapter 8"):
            assert chapter in done
        for button in screen.query(Button):
            assert button.region.bottom <= 24 and button.region.height > 0, button
        assert "enter" in str(screen.query_one("#resume-keys").render())
        await pilot.press("enter")
        assert current_step(app).startswith("ch14.")


async def test_a_fresh_start_opens_with_the_chapters_introduction(sandbox: Path):
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)])
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_ready(pilot, intro=True)
        assert isinstance(app.screen, IntroScreen)
        assert "Chapter 7" in app.screen.markdown
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: app.focused is not None and app.focused.id == "answer-gcp-project_id",
            what="the focus on the first answer",
        )
