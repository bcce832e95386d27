"""The toy chapter: one question (`toy.greeting`) and one step that writes it to GREETING.txt.

It proves a chapter needs no change in `wizard/`: the question is registered here, next to
the step that needs it, and the engine finds the chapter by the name given in
MLOPS_WIZARD_CHAPTERS.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from wizard.engine.chapter import Chapter
from wizard.engine.questions import Question, register
from wizard.engine.step import Context, Observation, Status, Step
from wizard.fsutil import atomic_write

NUMBER = 99
FILE = "GREETING.txt"
KEY = "toy.greeting"


def validate_greeting(value: str) -> str | None:
    if not re.fullmatch(r"[a-z][a-z ]{2,40}", value):
        return "A greeting has 3 to 41 lowercase letters or spaces and starts with a letter."
    return None


register(
    Question(
        KEY,
        "Toy greeting",
        "A few lowercase words the toy chapter writes to GREETING.txt.",
        validate_greeting,
        normalize=lambda v: v.strip().lower(),
        env="TOY_GREETING",
    )
)


@dataclass
class WriteGreeting(Step):
    """Observe the file, write it when missing or different, verified by observing again."""

    id: str = "toy.write-greeting"
    title: str = "Write the greeting"
    text: str = "The toy chapter writes your greeting to `GREETING.txt` in the repository."
    needs: tuple[str, ...] = (KEY,)

    def command(self, answers: Mapping[str, str]) -> str:
        return f"echo {shlex.quote(answers.get(KEY, '$TOY_GREETING'))} > {FILE}"

    def observe(self, ctx: Context) -> Observation:
        path = ctx.workspace.root / FILE
        if not path.exists():
            return Observation(Status.TODO, f"{FILE} does not exist yet")
        if path.read_text("utf-8") != ctx.answer(KEY) + "\n":
            return Observation(Status.DRIFTED, f"{FILE} holds another greeting")
        return Observation(Status.DONE, f"{FILE} greets")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        atomic_write(ctx.workspace.root / FILE, ctx.answer(KEY) + "\n")
        return {}


CHAPTER = Chapter(
    number=NUMBER,
    title="A toy chapter from outside the wizard",
    intro="# Chapter 99\n\nA toy chapter: it writes a greeting to a file.",
    summary="# Chapter 99 is done\n\nGREETING.txt greets you.",
    steps=[WriteGreeting()],
)
