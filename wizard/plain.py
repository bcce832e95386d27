"""Line mode: the same questions as the TUI, asked one by one with questionary.

For screen readers and simple terminals: no full screen, one question at a time, the
same validation and defaults. ctrl+c is not swallowed here: it reaches the command line,
which exits 130 saying how to continue.
"""

from __future__ import annotations

from wizard.engine.questions import Conflict, Question, check_answer

# Longer lists are typed with completion rather than shown whole: fifty lines push the question off screen.
LONG_LIST = 12


def ask(question: Question, default: str | None, choices: list[tuple[str, str]]) -> str:
    import questionary

    if question.choices:
        choices = [(choice, choice) for choice in question.choices]
    message = f"{question.prompt} ({question.help})"
    if choices and len(choices) <= LONG_LIST:
        prompt = questionary.select(
            message,
            choices=[questionary.Choice(title=label, value=value) for value, label in choices],
            default=default if default in {v for v, _ in choices} else None,
        )
    elif choices:
        values = [value for value, _ in choices]
        labels = {value: label for value, label in choices if label != value}
        prompt = questionary.autocomplete(
            f"{message}\n  Type to filter, tab to complete, enter to accept:",
            choices=values,
            default=default or "",
            meta_information=labels,
            validate=lambda value: value in values or f"Not one of the {len(values)} choices; type a few letters.",
        )
    else:
        prompt = questionary.text(
            message,
            default=default or "",
            validate=lambda value: check_answer(question.key, value)[1] or True,
        )
    return str(prompt.unsafe_ask())


def choose(conflict: Conflict) -> str:
    """An earlier answer and the answers file disagree: the learner says which one is meant."""
    import questionary

    earlier = f"{conflict.earlier}  (what you answered before; what exists was made with it)"
    in_file = f"{conflict.in_file}  (from the answers file)"
    print(f"\n{conflict.key}: your earlier answer and the answers file differ.")
    answer = questionary.select(
        f"Which {conflict.key} do you mean?",
        choices=[
            questionary.Choice(title=earlier, value=conflict.earlier),
            questionary.Choice(title=in_file, value=conflict.in_file),
        ],
    ).unsafe_ask()
    return str(answer)


def confirm(title: str, details: str) -> bool:
    """Show the details (e.g. a diff) and ask yes/no; the safe answer is the default."""
    import questionary

    print(details)
    return bool(questionary.confirm(title, default=False).unsafe_ask())


def ask_secret(prompt: str) -> str | None:
    import questionary

    return questionary.password(prompt).unsafe_ask() or None


def ask_text(prompt: str) -> str | None:
    import questionary

    return questionary.text(prompt).unsafe_ask()
