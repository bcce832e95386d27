"""The answers a step needs: inputs with inline validation, lists to pick from, defaults."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.validation import ValidationResult, Validator
from textual.widgets import Input, Label, Select

from wizard.engine.questions import QUESTIONS, check_answer


def widget_id(key: str) -> str:
    return "answer-" + key.replace(".", "-")


class RuleValidator(Validator):
    """Google's naming rules (wizard.gcp.naming), checked as the learner types: no call is made."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def validate(self, value: str) -> ValidationResult:
        _clean, error = check_answer(self.key, value)
        return self.failure(error) if error else self.success()


class AnswersForm(Vertical):
    """One labelled field per question; `values()` returns what the learner entered."""

    def __init__(
        self,
        keys: Sequence[str],
        values: Mapping[str, str],
        options: Mapping[str, list[tuple[str, str]]],
        locked: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.keys = list(keys)
        self.initial = dict(values)
        self.options = dict(options)
        self.locked = locked

    def compose(self) -> ComposeResult:
        for key in self.keys:
            question = QUESTIONS[key]
            yield Label(f"{question.prompt}", classes="question", markup=False)
            yield Label(question.help, classes="question-help", markup=False)
            value = self.initial.get(key) or ""
            if question.choices:
                yield Select(
                    [(c, c) for c in question.choices],
                    value=value or question.default or question.choices[0],
                    allow_blank=False,
                    id=widget_id(key),
                    disabled=self.locked,
                )
            elif self.options.get(key):
                choices = [(label, v) for v, label in self.options[key]]
                known = {v for v, _ in self.options[key]}
                yield Select(
                    choices,
                    value=value if value in known else Select.NULL,
                    prompt="Pick one",
                    id=widget_id(key),
                    disabled=self.locked,
                )
            else:
                yield Input(
                    value=value,
                    placeholder=question.help.split(":")[0],
                    id=widget_id(key),
                    validators=[RuleValidator(key)],
                    validate_on=["changed", "submitted"],
                    disabled=self.locked,
                )
            yield Label("", id=widget_id(key) + "-error", classes="field-error", markup=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id is None:
            return
        error = self.query_one(f"#{event.input.id}-error", Label)
        result = event.validation_result
        error.update("" if result is None or result.is_valid else "✗ " + "; ".join(result.failure_descriptions))

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for key in self.keys:
            widget = self.query_one(f"#{widget_id(key)}")
            if isinstance(widget, Select):
                value = widget.value
                out[key] = "" if value is Select.NULL or value is None else str(value)
            elif isinstance(widget, Input):
                out[key] = widget.value
        return out

    def problems(self) -> dict[str, str]:
        """Validate every field now and show the messages inline; an empty dict means all good."""
        found: dict[str, str] = {}
        for key, value in self.values().items():
            _clean, error = check_answer(key, value)
            if not value:
                error = "An answer is needed here."
            if error:
                found[key] = error
            self.query_one(f"#{widget_id(key)}-error", Label).update("✗ " + error if error else "")
        return found
