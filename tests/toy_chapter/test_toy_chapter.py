"""Someone writes a chapter of their own, outside the wizard's tree, with a question the wizard never heard of.

The toy chapter (tests/toy_chapter/chapter.py) registers `toy.greeting` and one step that writes it to
GREETING.txt; MLOPS_WIZARD_CHAPTERS names it. It runs headless from an answers file, in line mode at a
real terminal, and in the full-screen wizard, with no change in `wizard/`.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import git, spawn_line_mode, wizard

ROOT = Path(__file__).resolve().parents[2]
TOY = "tests.toy_chapter"
GREETING = "hello from outside"


def toy_env() -> dict[str, str]:
    """The toy chapter named for the wizard, and importable by the command's own process."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {"MLOPS_WIZARD_CHAPTERS": TOY, "PYTHONPATH": path}


def greeting(sandbox: Path) -> str | None:
    path = sandbox / "learner-repo" / "GREETING.txt"
    return path.read_text() if path.exists() else None


def run_toy(sandbox: Path, answers: Path, *extra: str):
    return wizard(
        "run",
        "--repo",
        str(sandbox / "learner-repo"),
        "--sandbox",
        str(sandbox),
        "--chapter",
        "99",
        "--answers",
        str(answers),
        "--yes",
        *extra,
        env=toy_env(),
    )


def test_a_chapter_from_outside_runs_headless_from_its_own_answers(sandbox: Path, tmp_path: Path):
    answers = tmp_path / "answers.toml"
    answers.write_text(f'[toy]\ngreeting = "{GREETING.title()}"\n')
    result = run_toy(sandbox, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert greeting(sandbox) == GREETING + "\n"  # normalised by the toy question's own rule
    again = run_toy(sandbox, answers)  # observed done: nothing is written twice
    assert again.returncode == 0, again.stdout + again.stderr
    assert "Write the greeting" in again.stdout
    assert git(sandbox / "learner-repo", "status", "--porcelain") == "?? GREETING.txt"


def test_the_toy_questions_rule_refuses_a_bad_answer_before_anything_is_written(sandbox: Path, tmp_path: Path):
    answers = tmp_path / "answers.toml"
    answers.write_text('[toy]\ngreeting = "42"\n')
    result = run_toy(sandbox, answers)
    assert result.returncode == 1
    assert "toy.greeting = '42': A greeting has 3 to 41 lowercase letters" in result.stdout + result.stderr
    assert greeting(sandbox) is None


def test_without_the_chapter_named_its_key_is_unknown(sandbox: Path, tmp_path: Path):
    answers = tmp_path / "answers.toml"
    answers.write_text(f'[toy]\ngreeting = "{GREETING}"\n')
    result = wizard(
        "run",
        "--repo",
        str(sandbox / "learner-repo"),
        "--sandbox",
        str(sandbox),
        "--chapter",
        "7",
        "--answers",
        str(answers),
        "--yes",
        env={"MLOPS_WIZARD_CHAPTERS": ""},
    )
    assert result.returncode == 1
    assert "unknown key 'toy.greeting'" in result.stdout + result.stderr


def test_a_chapter_from_outside_asks_its_question_in_line_mode(sandbox: Path):
    child = spawn_line_mode(sandbox, "99", env=toy_env())
    try:
        child.expect("Toy greeting")
        assert "writes your greeting to GREETING.txt" in child.before  # the step's text, before its question
        child.send("1" + "\r")  # refused inline by the toy's own rule
        child.expect("starts with a letter")
        child.send("\x7f" + GREETING + "\r")
        child.expect("Chapter 99 is done", timeout=120)
        rest = child.read()
        child.close()
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, rest
    assert greeting(sandbox) == GREETING + "\n"


@pytest.mark.asyncio
async def test_a_chapter_from_outside_runs_in_the_full_screen_wizard(sandbox: Path, monkeypatch: pytest.MonkeyPatch):
    from tests.tui.pilot_support import type_answer, wait_idle, wait_ready, wait_until
    from wizard.engine.chapter import get_chapter
    from wizard.tui.app import WizardApp
    from wizard.tui.screens.summary import SummaryScreen

    monkeypatch.setenv("MLOPS_WIZARD_CHAPTERS", TOY)
    app = WizardApp(sandbox / "learner-repo", sandbox, [get_chapter(99)])
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_ready(pilot)
        await type_answer(pilot, "answer-toy-greeting", GREETING)
        await pilot.press("ctrl+r")
        await wait_idle(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, SummaryScreen), what="the toy chapter's summary")
        assert app.status["toy.write-greeting"] == "done"
    assert greeting(sandbox) == GREETING + "\n"
