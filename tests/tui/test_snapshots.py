"""Pictures of the main screens at 80×24 and 120×40 (pytest-textual-snapshot).

Answers are given so that nothing random (a suggested project ID) reaches the picture.
Update them after an intended change with `python3 dev.py test tests/tui --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import BUCKET, PROJECT
from tests.tui.pilot_support import wait_idle, wait_ready, wait_settled, wait_still, wait_until
from wizard.engine.chapter import get_chapter, load_chapters
from wizard.sandbox.world import World
from wizard.tui.app import WizardApp
from wizard.tui.screens.chapter import IntroScreen
from wizard.tui.screens.error import ErrorScreen
from wizard.tui.screens.resume import ResumeScreen
from wizard.tui.screens.summary import SummaryScreen

SIZES = [(80, 24), (120, 40)]
GIVEN = {"gcp.project_id": PROJECT, "gcp.bucket_name": BUCKET}


def make_app(sandbox: Path) -> WizardApp:
    return WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)], given=GIVEN)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_first_screen(picture, sandbox: Path, size):
    assert picture(make_app(sandbox), size, wait_settled)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_bucket_step_with_its_answers(picture, sandbox: Path, size):
    async def go_to_bucket(pilot):
        await wait_settled(pilot)
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+n")
        await wait_still(pilot)

    assert picture(make_app(sandbox), size, go_to_bucket)


def test_help(picture, sandbox: Path):
    async def open_help(pilot):
        await wait_settled(pilot)
        await pilot.press("f1")
        await wait_still(pilot)

    assert picture(make_app(sandbox), (80, 24), open_help)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_error_panel(picture, sandbox: Path, monkeypatch: pytest.MonkeyPatch, size):
    monkeypatch.setenv("MLOPS_WIZARD_RETRY_BUDGET", "1")  # a long outage, told after 1 s of retries
    with World(sandbox).mutate() as world:
        world["faults"]["fail"] = {"Projects.CreateProject": "UNAVAILABLE"}
    app = make_app(sandbox)

    async def fail(pilot):
        await wait_ready(pilot)
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorScreen))
        await pilot.pause()

    assert picture(app, size, fail)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_chapter_introduction(picture, sandbox: Path, size):
    async def intro(pilot):
        await wait_settled(pilot, intro=True)
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, IntroScreen), what="the introduction")
        await wait_still(pilot)

    assert picture(make_app(sandbox), size, intro)


@pytest.mark.parametrize("forge", ["github"], indirect=True)
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_welcome_back(picture, after_ch8: Path, forge: str, size):
    app = WizardApp(after_ch8 / "learner-repo", after_ch8, list(load_chapters().values()))

    async def resumed(pilot):
        await wait_until(pilot, lambda: isinstance(app.screen, ResumeScreen), timeout=120, what="the resume offer")
        await pilot.pause()

    assert picture(app, size, resumed)


@pytest.mark.parametrize("forge", ["github"], indirect=True)
def test_chapter_summary_with_what_a_teammate_does_next(picture, after_ch7: Path, forge: str):
    app = WizardApp(after_ch7 / "learner-repo", after_ch7, [get_chapter(7), get_chapter(8)])

    async def summary(pilot):
        await wait_until(pilot, lambda: app.shown, timeout=120, what="the wizard")
        await pilot.pause()
        while not isinstance(app.screen, type(app.screen_stack[0])):
            await pilot.press("escape")  # the resume offer: look around
        # The sandbox's forge listens on a free port: the picture shows a fixed address instead.
        app.controller.ctx.answers["forge.web_url"] = "https://github.com/learner/mlops-guide"
        app.show_chapter_summary(get_chapter(7))  # as at the end of chapter 7's last step
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), what="the summary")
        await pilot.pause()

    assert picture(app, (80, 24), summary)
