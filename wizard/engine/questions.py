"""The questions a learner answers: their type and the registry that content fills.

The engine knows no question by name. Content registers its own (Google's in
`wizard/steps/questions.py`, a chapter's own next to its steps) when its modules are
imported, so a chapter with a new answer needs no engine change. Validation is pure (no
network) and runs before any call, so a mistyped name never costs a round trip.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from wizard.engine.errors import WizardError

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine.step import Context

Validator = Callable[[str], "str | None"]
# Answers whose default needs a read call (e.g. the single open billing account): (default, [(value, label)]).
DefaultResolver = Callable[["Context"], "tuple[str | None, list[tuple[str, str]]]"]


def _no_rule(value: str) -> str | None:
    return None


@dataclass(frozen=True)
class Question:
    """One answer the learner gives, with its validation and a default when there is one."""

    key: str  # "gcp.project_id": section "gcp", name "project_id" in the answers file
    prompt: str
    help: str
    validate: Validator = _no_rule
    default: str | None = None
    normalize: Callable[[str], str] = str.strip
    env: str = ""  # the guide's environment variable for this answer, used in exported scripts
    # The values to pick from, in the order they are offered (the guide's first); empty: typed freely.
    choices: tuple[str, ...] = ()
    # A value offered before the learner types, made from the answers so far (a bucket named after the
    # project); `follows` names the answers it is made from: it is made again when they change and replaces
    # a generated default, so it follows the learner's choice. Without `follows` it is made once per session.
    suggest: Callable[[Mapping[str, str]], str | None] | None = None
    follows: tuple[str, ...] = ()
    # Names like a refused one, valid by construction, among which a free one is looked for: (refused, count).
    alternatives: Callable[[str, int], list[str]] | None = None
    # What the answer names in the world ("project"): another answer than the checkpoint's means working on
    # another thing, so the change is shown and confirmed before anything is done.
    names: str = ""


QUESTIONS: dict[str, Question] = {}
DEFAULT_RESOLVERS: dict[str, DefaultResolver] = {}


def register(question: Question, resolve_default: DefaultResolver | None = None) -> Question:
    """Make a question known (idempotent: a module imported twice registers the same question)."""
    QUESTIONS[question.key] = question
    if resolve_default is not None:
        DEFAULT_RESOLVERS[question.key] = resolve_default
    return question


def identity_keys() -> tuple[str, ...]:
    """The answers that name a thing in the world, in the order they were registered."""
    return tuple(key for key, question in catalogue().items() if question.names)


def catalogue() -> Mapping[str, Question]:
    """Every question of every chapter: finding the chapters imports the content that registers them."""
    from wizard.engine.chapter import load_chapters

    load_chapters()
    return QUESTIONS


def check_answer(key: str, value: str) -> tuple[str, str | None]:
    """Normalize and validate one answer; return (value, error message or None)."""
    question = QUESTIONS.get(key) or catalogue().get(key)
    if question is None:
        return value, None
    value = question.normalize(value)
    return value, question.validate(value)


def load_answers_file(path: Path) -> dict[str, str]:
    """Read an answers TOML file (`[gcp] project_id = "..."`) into flat dotted keys."""
    try:
        raw = tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise WizardError(
            what=f"The answers file {path} does not exist.",
            fix="Check the path given to --answers.",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise WizardError(
            what=f"The answers file {path} is not valid TOML.",
            why=str(exc),
            fix='Write it like:\n[gcp]\nproject_id = "my-mlops-1234"\nbucket_name = "my-mlops-1234-data"',
        ) from None
    known = catalogue()
    flat: dict[str, str] = {}
    for section, values in raw.items():
        if not isinstance(values, dict):
            raise WizardError(
                what=f"The answers file {path} has '{section}' outside a section.",
                fix="Put every answer under a section such as [gcp].",
            )
        for name, value in values.items():
            key = f"{section}.{name}"
            if key not in known:
                raise WizardError(
                    what=f"The answers file {path} has an unknown key '{key}'.",
                    fix=f"Known keys: {', '.join(sorted(known))}.",
                )
            flat[key] = str(value)
    return flat


def validate_all(answers: Mapping[str, str]) -> dict[str, str]:
    """Normalize every answer; raise one error listing every rule that broke."""
    clean: dict[str, str] = {}
    problems: list[str] = []
    for key, value in answers.items():
        value, error = check_answer(key, value)
        clean[key] = value
        if error:
            problems.append(f"{key} = '{value}': {error}")
    if problems:
        raise WizardError(
            what="Some answers break Google Cloud's naming rules.",
            why="\n".join(problems),
            fix="Correct them (in the answers file or when asked) and run again; nothing was changed.",
        )
    return clean


# -- which answer wins -------------------------------------------------------------------------
@dataclass(frozen=True)
class Conflict:
    """An answer the learner gave earlier (kept in the checkpoint) that this run's answers file contradicts."""

    key: str
    earlier: str
    in_file: str


def precedence(earlier: Mapping[str, str], given: Mapping[str, str]) -> tuple[dict[str, str], list[Conflict]]:
    """What the learner typed before wins over an answers file given now; where they differ, say so.

    The checkpoint holds what the cloud was built with: silently taking another file's value would
    create a second project or bucket. The caller settles each conflict (asks, or stops under --yes).
    """
    known = catalogue()
    merged = {k: v for k, v in given.items() if v not in (None, "")}
    conflicts: list[Conflict] = []
    for key, value in earlier.items():
        if value in (None, ""):
            continue
        if key in merged and key in known:
            theirs, _ = check_answer(key, merged[key])
            mine, _ = check_answer(key, value)
            if theirs != mine:
                conflicts.append(Conflict(key, mine, theirs))
        merged[key] = value
    return merged, conflicts


def conflict_error(conflicts: list[Conflict], answers_file: Path | str | None = None) -> WizardError:
    """Under --yes nothing can be asked: stop before any change, naming both values of each key."""
    where = f"the answers file {answers_file}" if answers_file else "the answers file"
    lines = [
        f"{c.key}: you answered '{c.earlier}' earlier (kept in the checkpoint); {where} says '{c.in_file}'."
        for c in conflicts
    ]
    return WizardError(
        what="Your earlier answers and " + where + " differ: which one is meant is not clear.",
        why="\n".join(lines),
        fix="Make the file agree with your earlier answers (or remove those lines) to go on with what exists, "
        "or run without --yes to choose.",
    )


def default_for(key: str, answers: Mapping[str, str], defaults: Mapping[str, str]) -> str | None:
    """The value offered when nothing was typed: generated defaults (e.g. the demo's) come last.

    A default may follow other answers: the demo's bucket name is "{gcp.project_id}-data", so
    it follows the project the learner chose, not the one the demo generated.
    """
    value = defaults.get(key)
    if value and "{" in value:
        value = re.sub(r"\{([a-z_.]+)\}", lambda m: answers.get(m.group(1), m.group(0)), value)
        value = None if "{" in value else value
    question = QUESTIONS.get(key) or catalogue().get(key)
    return value or (question.default if question is not None else None)
