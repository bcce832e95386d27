"""A bug strikes in the full-screen wizard: the error panel explains it and names a log file to report it with."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.support import BUCKET, PROJECT
from tests.tui.pilot_support import current_step, type_answer, wait_idle, wait_ready, wait_until
from wizard.engine.chapter import get_chapter
from wizard.logs import remember_secret
from wizard.tui.app import WizardApp
from wizard.tui.screens.error import ErrorScreen

POINT = "ch07.create-bucket:before-call"


def _text(screen: ErrorScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


async def test_a_bug_in_a_step_opens_the_error_panel_with_the_log_file_that_holds_its_traceback(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch, _log_folder: Path
):
    monkeypatch.setenv("MLOPS_WIZARD_FAIL_AT", POINT)  # the wizard's own crash point: it stands for a bug
    secret = "a-token-found-at-run-time-0123456789"
    remember_secret(secret)  # as the forge login does with a token: it must never reach the log
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_answer(pilot, "answer-gcp-project_id", PROJECT)
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        await pilot.press("ctrl+r")  # the single open billing account is preselected
        await wait_idle(pilot)
        assert current_step(app) == "ch07.create-bucket"
        await type_answer(pilot, "answer-gcp-bucket_name", BUCKET)
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorScreen), what="the error panel")

        panel = app.screen
        assert isinstance(panel, ErrorScreen)
        assert "Create the storage bucket" in _text(panel, "#error-what")
        assert "InjectedFailure" in _text(panel, "#error-what")
        assert _text(panel, "#error-why") and _text(panel, "#error-fix")
        logs = list(_log_folder.glob("error-*.log"))
        assert len(logs) == 1, logs
        assert str(logs[0]) in _text(panel, "#error-log")
        assert "attach it to a bug report" in _text(panel, "#error-log")

    log = logs[0]
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert "Traceback (most recent call last)" in text
    assert f"InjectedFailure: injected failure at {POINT}" in text
    assert secret not in text


async def test_an_explained_failure_in_the_tui_writes_no_log(sandbox: Path, _log_folder: Path):
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        assert current_step(app) == "ch07.create-project"
        await pilot.press("ctrl+n")  # skip the project: linking billing then finds no project
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorScreen), what="the error panel")
        assert not app.screen.query("#error-log")
    assert not _log_folder.exists()


async def test_a_bug_in_a_key_handler_stops_the_app_without_printing_its_locals(
    sandbox: Path, monkeypatch: pytest.MonkeyPatch
):
    # Textual would print the traceback with every frame's locals (a token may be among them); the
    # wizard stops and hands the error to the command line, which explains it and writes the log.
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)])
    with pytest.raises(Exception) as raised:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_ready(pilot)
            monkeypatch.setenv("MLOPS_WIZARD_FAIL_AT", "tui.help")
            await pilot.press("f1")
            await wait_until(pilot, lambda: app.return_code is not None, what="the app to stop")

    assert "injected failure at tui.help" in str(raised.value)
    assert app.crash is raised.value
    assert app.return_code == 1
    assert not app._exit_renderables  # no traceback is printed when the screen closes
