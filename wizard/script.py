"""The chapter as a shell script: what the learner would type, with the guide's variables."""

from __future__ import annotations

import shlex
from typing import Mapping

from wizard.engine.chapter import Chapter
from wizard.engine.questions import QUESTIONS


def render_script(chapter: Chapter, answers: Mapping[str, str]) -> str:
    """A bash script: the answers exported as the guide's variables, then each step's commands."""
    keys = chapter.needs()
    variables = {key: f"${QUESTIONS[key].env}" for key in keys if QUESTIONS[key].env}
    lines = [
        "#!/usr/bin/env bash",
        f"# A guide to MLOps, chapter {chapter.number}: {chapter.title}"
        if chapter.number
        else f"# A guide to MLOps: {chapter.title}",
        "# The commands mlops-wizard runs for you, for reading or running by hand.",
        "set -euo pipefail",
        "",
    ]
    for key in keys:
        env = QUESTIONS[key].env
        if not env:
            continue
        value = answers.get(key) or QUESTIONS[key].default
        lines.append(
            f"export {env}={shlex.quote(value)}" if value else f"export {env}=  # {QUESTIONS[key].prompt}: fill in"
        )
    for step in chapter.steps:
        # Shell variables in commands; real values inside files written with a quoted heredoc.
        shown = {**answers, **({} if step.writes_files else variables)}
        command = step.command(shown)
        if not command:
            continue
        lines += ["", f"# {step.title}", command]
    return "\n".join(lines) + "\n"
