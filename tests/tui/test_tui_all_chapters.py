"""The demo's story: chapters 7, 8 and 14 in one full-screen session, on each forge, driven by keys."""

from __future__ import annotations

from pathlib import Path

from tests.support import BUCKET, PROJECT, git
from tests.tui.pilot_support import current_step, next_chapter, type_answer, wait_idle, wait_ready, wait_until
from wizard.engine.chapter import load_chapters
from wizard.sandbox.server import inspect
from wizard.tui.app import WizardApp
from wizard.tui.screens.summary import SummaryScreen


async def test_a_learner_goes_from_chapter_7_to_continuous_deployment(sandbox_for_forge: Path, forge: str):
    app = WizardApp(sandbox_for_forge / "learner-repo", sandbox_for_forge, list(load_chapters().values()))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_answer(pilot, "answer-gcp-project_id", PROJECT)
        await pilot.press("ctrl+e")
        await wait_idle(pilot, timeout=120)
        assert current_step(app) == "ch07.create-bucket"
        await type_answer(pilot, "answer-gcp-bucket_name", BUCKET)
        await pilot.press("ctrl+e")  # run-all stops at the end of the chapter, on its summary
        await wait_idle(pilot, timeout=240)
        summary = app.screen.query_one("#summary-text").source  # type: ignore[attr-defined]
        assert "Chapter 7 is done" in summary and "dvc pull" in summary and "Chapter 8" not in summary
        await next_chapter(pilot, 8)
        assert current_step(app).startswith("ch08.")
        await pilot.press("ctrl+e")
        await wait_idle(pilot, timeout=240)
        await next_chapter(pilot, 14)
        await pilot.press("ctrl+e")  # the cluster's name and zone have the guide's defaults
        await wait_idle(pilot, timeout=240)
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), what="the summary")
        assert all(status == "done" for status in app.status.values())
        # The last page opens on the chapter just finished; the earlier chapters follow.
        summary = app.screen.query_one("#summary-text").source  # type: ignore[attr-defined]
        assert summary.index("Chapter 14 is done") < summary.index("Chapter 7 is done")
    world = inspect(sandbox_for_forge)
    project = world["projects"][PROJECT]
    assert len(project["service_accounts"]) == 2
    assert all(len(sa["keys"]) == 1 for sa in project["service_accounts"].values())
    repo = sandbox_for_forge / "learner-repo"
    assert git(repo, "log", "-1", "--format=%s") == "A pipeline will deploy the model on the Kubernetes cluster"
