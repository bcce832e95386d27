"""Line mode: the same questions as the TUI, asked one by one with questionary.

For screen readers and simple terminals: no full screen, one question at a time, the
same validation and defaults.
"""

from __future__ import annotations

from wizard.answers import BUCKET_LOCATIONS, Question, check_answer
from wizard.engine.errors import WizardError


def ask(question: Question, default: str | None, choices: list[tuple[str, str]]) -> str:
    import questionary

    if question.key == "gcp.bucket_location":
        ordered = sorted(BUCKET_LOCATIONS, key=lambda loc: (loc != "europe-west6", loc))
        choices = [(loc, loc) for loc in ordered]
    if choices:
        prompt = questionary.select(
            f"{question.prompt} ({question.help})",
            choices=[questionary.Choice(title=label, value=value) for value, label in choices],
            default=default if default in {v for v, _ in choices} else None,
        )
    else:
        prompt = questionary.text(
            f"{question.prompt} ({question.help})",
            default=default or "",
            validate=lambda value: check_answer(question.key, value)[1] or True,
        )
    answer = prompt.ask()
    if answer is None:  # ctrl-c
        raise WizardError(
            what="Stopped at your request.",
            why="Nothing was lost: what was done stays done.",
            fix="Run the same command again to continue where you stopped.",
        )
    return str(answer)


def confirm(title: str, details: str) -> bool:
    """Show the details (e.g. a diff) and ask yes/no; the safe answer is the default."""
    import questionary

    print(details)
    return bool(questionary.confirm(title, default=False).ask())


def ask_secret(prompt: str) -> str | None:
    import questionary

    return questionary.password(prompt).ask()


def ask_text(prompt: str) -> str | None:
    import questionary

    return questionary.text(prompt).ask()
