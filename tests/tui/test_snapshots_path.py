"""Pictures of the learner's path at 80×24 and 120×40: what the screen says at each moment the path was built for.

The work under way (dvc push, pip install) is held mid-way by stand-ins for the learner's own tools in
`.venv/bin`, which print what the real tools print and then wait: the picture catches the bar where it
stands, every time. Answers are given and changing text (commit hashes, the sandbox's port) is replaced
before the picture, so that each picture is the same on every machine.
Update them after an intended change with `python3 dev.py test tests/tui/test_snapshots_path.py --snapshot-update`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from tests.support import BUCKET, PROJECT
from tests.tui.pilot_support import wait_idle, wait_ready, wait_settled, wait_still, wait_until
from wizard.engine.chapter import get_chapter
from wizard.sandbox.world import World
from wizard.tui.app import WizardApp
from wizard.tui.screens.chapter import IntroScreen
from wizard.tui.screens.error import ErrorScreen
from wizard.tui.screens.summary import SummaryScreen

SIZES = [(80, 24), (120, 40)]
SIZE_IDS = [f"{w}x{h}" for w, h in SIZES]
GIVEN = {"gcp.project_id": PROJECT, "gcp.bucket_name": BUCKET}
DVC_PUSH = Path(__file__).parent.parent / "unit" / "data" / "dvc-push-progress.txt"  # a recorded `dvc push`
HELD_AT = 118  # lines of the recording printed before the stand-in waits: 29 of 54 files pushed


def make_app(sandbox: Path, given: dict[str, str] | None = None) -> WizardApp:
    return steady(WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7)], given=given or GIVEN))


def steady(app: WizardApp) -> WizardApp:
    """The activity log without its "Waiting for …… N s" lines: one a second while Google works, so their
    number (and the log's scrollbar) follows how busy the machine is."""
    write = app.log_line

    def log_line(text: str) -> None:
        if not re.search(r"… \d+ s$", text):
            write(fixed(text))

    app.log_line = log_line  # type: ignore[method-assign]
    return app


def held_dvc(repo: Path) -> None:
    """The learner's `dvc`, for `push`: DVC's own progress up to a point, then a wait (a slow network)."""
    wrapper = repo / ".venv" / "bin" / "dvc"
    wrapper.write_text(f"""#!/bin/sh
if [ "$1" = "push" ]; then
  head -n {HELD_AT} "{DVC_PUSH}"
  exec sleep 600
fi
exec "{sys.executable}" -m dvc "$@"
""")
    wrapper.chmod(0o755)


def held_pip(repo: Path, wanted: str) -> None:
    """The learner's interpreter, for `pip install`: pip's lines for requirements.txt, then a wait.

    One requirement (`wanted`) is not installed, so the wizard runs pip; the stand-in says the others are
    there, as pip does, starts collecting the missing one and waits (a slow download)."""
    bin_dir = repo / ".venv" / "bin"
    (bin_dir / "python").rename(bin_dir / "python-real")  # still in the venv: it keeps the venv's packages
    requirements = repo / "requirements.txt"
    requirements.write_text(requirements.read_text() + f"{wanted}\n")
    lines = []
    for number, line in enumerate(requirements.read_text().splitlines(), start=1):
        origin = f"(from -r requirements.txt (line {number}))"
        if line.strip() == wanted:
            lines.append(f"Collecting {line.strip()} {origin}")
        else:
            lines.append(f"Requirement already satisfied: {line.strip()} in ./.venv/lib/site-packages {origin}")
    (bin_dir / "pip-says.txt").write_text("\n".join(lines) + "\n")
    wrapper = bin_dir / "python"
    wrapper.write_text(f"""#!/bin/sh
if [ "$1 $2 $3" = "-m pip install" ]; then
  cat "{bin_dir / "pip-says.txt"}"
  exec sleep 600
fi
exec "{bin_dir / "python-real"}" "$@"
""")
    wrapper.chmod(0o755)


def bar_title(app: WizardApp) -> str:
    return str(app.query_one("#activity-box").border_title or "")


def fixed(text: str) -> str:
    """Words that change from run to run made fixed: commits (made now), the sandbox's free port, the minutes
    since a role was granted, the random part of suggested names."""
    text = re.sub(r"\b[0-9a-f]{7}\b", "1a2b3c4", text)
    text = re.sub(r"https?://127\.0\.0\.1:\d+", "https://github.com", text)
    text = re.sub(r"granted \d+ minutes? ago", "granted 1 minute ago", text)
    numbers = iter(range(1001, 10000))
    return re.sub(r"(mlops-bucket)-\d{4}\b", lambda m: f"{m.group(1)}-{next(numbers)}", text)


def fixed_screens(app: WizardApp) -> None:
    """`fixed` on every text of the dialog and of the screen under it, for the picture."""
    for screen in app.screen_stack:
        for widget in screen.query(Static):
            text = str(widget.render())
            if fixed(text) != text:
                widget.update(fixed(text))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_dvc_push_progress_bar_mid_push(picture, sandbox: Path, size):
    held_dvc(sandbox / "learner-repo")
    app = make_app(sandbox)

    async def mid_push(pilot):
        await wait_ready(pilot)
        await pilot.press("ctrl+e")  # every step up to the push, then the push itself
        await wait_until(pilot, lambda: "29/54 files, 3.3 KiB" in bar_title(app), timeout=180, what="29 of 54 files")
        for _ in range(3):
            await pilot.pause()

    assert picture(app, size, mid_push)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_pip_progress_bar_mid_install(picture, sandbox: Path, size):
    held_pip(sandbox / "learner-repo", "tiny-tool==1.0")
    app = make_app(sandbox)

    async def mid_install(pilot):
        await wait_ready(pilot)
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: "pip: 3/3" in bar_title(app), timeout=180, what="pip at its 3rd requirement")
        for _ in range(3):
            await pilot.pause()

    assert picture(app, size, mid_install)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_a_step_that_just_ran_says_what_is_there_now(picture, sandbox: Path, size):
    app = make_app(sandbox)

    async def ran(pilot):
        await wait_settled(pilot)
        await pilot.press("ctrl+r")  # create the project
        await wait_idle(pilot)
        await wait_still(pilot)
        await pilot.press("ctrl+b")  # back to it: its status is the project as it is now
        await wait_still(pilot)

    assert picture(app, size, ran)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_a_refused_bucket_name_with_the_reason_and_free_names(picture, sandbox: Path, size):
    app = make_app(sandbox, {"gcp.project_id": PROJECT, "gcp.bucket_name": "mlops-bucket"})  # someone else's

    async def refused(pilot):
        await wait_ready(pilot)
        await pilot.press("ctrl+e")
        await wait_idle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorScreen), timeout=180, what="the refusal")
        fixed_screens(app)
        await pilot.pause()

    assert picture(app, size, refused)


def run_chapter_7_to_its_end(app: WizardApp):
    """Chapter 7 run with ctrl+e from the start, as a learner does, up to its summary."""

    async def run(pilot) -> None:
        await wait_ready(pilot)
        # The sandbox's forge listens on a free port: the summary shows a fixed address instead.
        app.controller.ctx.answers["forge.web_url"] = "https://github.com/learner/mlops-guide"
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), timeout=240, what="the summary")
        await wait_idle(pilot)

    return run


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_chapter_boundary_the_summary_comes_first(picture, sandbox: Path, size):
    app = steady(WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7), get_chapter(8)], given=GIVEN))
    to_the_end = run_chapter_7_to_its_end(app)

    async def summary(pilot):
        await to_the_end(pilot)
        await wait_still(pilot)

    assert picture(app, size, summary)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_chapter_boundary_then_the_next_introduction(picture, sandbox: Path, size):
    app = steady(WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(7), get_chapter(8)], given=GIVEN))
    to_the_end = run_chapter_7_to_its_end(app)

    async def introduction(pilot):
        await to_the_end(pilot)
        await pilot.press("enter")  # on to chapter 8
        await wait_until(pilot, lambda: isinstance(app.screen, IntroScreen), what="chapter 8's introduction")
        await wait_still(pilot)

    assert picture(app, size, introduction)


@pytest.mark.parametrize("forge", ["github"], indirect=True)
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_a_failed_deployment_run_explained(picture, after_ch8: Path, forge: str, size):
    with World(after_ch8).mutate() as data:
        data["faults"]["fail_runs"] = ["deploy"]  # the instructor rehearses a failed deployment
    app = steady(WizardApp(after_ch8 / "learner-repo", after_ch8, [get_chapter(14)]))

    async def failed(pilot):
        await wait_ready(pilot)
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, ErrorScreen), timeout=240, what="the failed run")
        await wait_idle(pilot)
        fixed_screens(app)
        await pilot.pause()

    assert picture(app, size, failed)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_focus_is_back_on_the_first_answer_after_a_dialog(picture, sandbox: Path, size):
    app = make_app(sandbox)

    async def after_help(pilot):
        await wait_settled(pilot)
        await pilot.press("f1")
        await wait_still(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.focused, Input), what="the answer field focused")
        await wait_still(pilot)

    assert picture(app, size, after_help)
