"""Helpers for driving the TUI with Textual's Pilot against a real (in-process) sandbox."""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from textual.pilot import Pilot
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from wizard.tui.app import WizardApp
from wizard.tui.screens.chapter import IntroScreen
from wizard.tui.screens.summary import SummaryScreen


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.05)


async def wait_ready(pilot: Pilot, intro: bool = False) -> None:
    """Until the world is observed; the chapter's introduction (shown on a fresh start) is read and closed
    unless `intro` asks to keep it open."""
    app = pilot.app
    assert isinstance(app, WizardApp)
    await wait_until(pilot, lambda: app.shown, what="the wizard to observe the world")
    await pilot.pause()
    if not intro and isinstance(app.screen, IntroScreen):
        await pilot.press("enter")
        await pilot.pause()


async def wait_settled(pilot: Pilot, intro: bool = False) -> None:
    """Ready, and nothing still moving: no worker running and no message left to paint, so that a
    picture taken now is the same on a loaded two-core machine as on an idle one."""
    app = pilot.app
    assert isinstance(app, WizardApp)
    await wait_ready(pilot, intro=intro)
    await wait_still(pilot)


async def wait_still(pilot: Pilot) -> None:
    """No worker running (a step opened is observed again in the background) and the screen painted."""
    app = pilot.app
    assert isinstance(app, WizardApp)
    await wait_workers(pilot, ("run", "observe"), what="the wizard to be still")
    for _ in range(3):
        await pilot.pause()
    await pilot.wait_for_scheduled_animations()


async def cursors_still(pilot: Pilot) -> None:
    """The cursor blinks on a timer: a picture taken on a loaded machine may catch it either way, so
    every answer field (under a dialog too) stops blinking and hides its cursor before the picture."""
    for screen in pilot.app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False
    await pilot.pause()


async def next_chapter(pilot: Pilot, number: int) -> None:
    """At a chapter's summary: on to the next chapter, whose introduction is read and closed."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), what="the chapter's summary")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, IntroScreen), what=f"chapter {number}'s introduction")
    assert f"Chapter {number}" in app.screen.markdown
    await pilot.press("enter")
    await pilot.pause()


async def wait_idle(pilot: Pilot, timeout: float = 120.0) -> None:
    """Until no step is running (a run-to-the-end may chain several)."""
    await wait_workers(pilot, ("run",), timeout=timeout, what="the wizard to stop working")


async def wait_workers(pilot: Pilot, groups: tuple[str, ...], timeout: float = 120.0, what: str = "") -> None:
    """Until no worker of `groups` runs and no step is under way. Each running worker is awaited (not polled);
    its result message is then handled, and may start the next step of a run-to-the-end, awaited in turn."""
    app = pilot.app
    assert isinstance(app, WizardApp)

    def running() -> list[Worker]:
        return [w for w in app.workers if w.group in groups and not w.is_finished]

    async def settle() -> None:
        calm = 0
        while calm < 2:  # twice in a row: a message handled after the last look may start more work
            started = [w for w in running() if w.state != WorkerState.PENDING]
            if started:
                await asyncio.gather(*(w.wait() for w in started), return_exceptions=True)
            await pilot.pause()  # the result message is handled
            if app.busy or running():
                calm = 0
                if not started:
                    await pilot.pause(0.05)  # a step about to start its worker: let the app get there
            else:
                calm += 1

    try:
        await asyncio.wait_for(settle(), timeout)
    except asyncio.TimeoutError:
        raise AssertionError(f"timed out waiting for {what or 'the workers'}") from None


async def type_answer(pilot: Pilot, field_id: str, text: str) -> None:
    """Focus an answer field, clear it and type like a learner."""
    field = pilot.app.query_one(f"#{field_id}", Input)
    field.focus()
    field.value = ""
    await pilot.pause()
    await pilot.press(*text)
    await pilot.pause()


def current_step(app: WizardApp) -> str:
    return app.steps[app.index][1].id
