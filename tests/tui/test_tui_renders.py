"""A learner with every answer given runs chapter 7 to its end in one go (ctrl+e).

Drawing a step's explanation (Markdown) is the slow part of the screen: it is drawn once each time the
open step changes, never again for the same words, and the step list ends with every step done.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Markdown

from tests.support import BUCKET, PROJECT
from tests.tui.pilot_support import current_step, wait_ready, wait_until
from wizard.engine.chapter import get_chapter
from wizard.tui.app import WizardApp
from wizard.tui.screens.summary import SummaryScreen


async def test_each_step_is_explained_once_as_the_run_goes_through_it(sandbox: Path, monkeypatch: pytest.MonkeyPatch):
    drawn: list[tuple[str, str]] = []  # (the open step, the words drawn) each time the step pane's text is drawn
    update = Markdown.update

    def counted(view: Markdown, markdown: str):  # Textual's own method, watched, not replaced
        if view.id == "step-text":
            drawn.append((app.steps[app.index][1].id, markdown))
        return update(view, markdown)

    monkeypatch.setattr(Markdown, "update", counted)
    chapter = get_chapter(7)
    app = WizardApp(
        sandbox / "learner-repo", sandbox, [chapter], given={"gcp.project_id": PROJECT, "gcp.bucket_name": BUCKET}
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        opened = current_step(app)  # the first step with work to do (the credentials were there already)
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), timeout=240, what="the summary")
        assert all(status == "done" for status in app.status.values()), app.status
    ids = [step.id for step in chapter.steps]
    steps = [step for step, _words in drawn]
    assert steps == ids[ids.index(opened) :]  # each step drawn when it opened, and only then
    assert len({words for _step, words in drawn}) == len(drawn)
