"""The clean-up's machinery: observe first, show the plan, ask once, then remove step by step.

Like `terraform destroy`: the plan lists what exists and will be removed, what is already gone,
and what stays; one confirmation (the project ID, typed) covers it, and whatever does not look
like the chapters' work is named and confirmed on its own. The removals are ordinary steps run
by the runner: journaled, idempotent, resumable after a crash.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wizard.engine.chapter import Chapter
from wizard.engine.errors import WizardError
from wizard.engine.runner import Runner, StepReport
from wizard.engine.step import Context, Step, fmt
from wizard.steps.cleanup_base import ACCEPTED, DIFFERENCE


@dataclass
class Plan:
    project_id: str
    reports: list[StepReport]
    staying: list[StepReport] = field(default_factory=list)  # observed only (chapter 13 unless included)

    @property
    def to_remove(self) -> list[StepReport]:
        return [r for r in self.reports if r.error is None and r.observation and not r.observation.done]

    @property
    def gone(self) -> list[StepReport]:
        return [r for r in self.reports if r.error is None and r.observation and r.observation.done]

    @property
    def errors(self) -> list[WizardError]:
        return [r.error for r in self.reports if r.error is not None]

    @property
    def differences(self) -> list[tuple[Step, str]]:
        return [
            (r.step, str(r.observation.outputs[DIFFERENCE]))
            for r in self.to_remove
            if r.observation and r.observation.outputs.get(DIFFERENCE)
        ]

    @property
    def nothing_to_do(self) -> bool:
        return not self.to_remove and not self.errors


def with_defaults(answers: dict[str, str]) -> dict[str, str]:
    """Chapter 13's names default to the guide's, as in chapter 14."""
    from wizard.engine.questions import QUESTIONS

    filled = dict(answers)
    for key in ("gke.cluster_name", "gke.cluster_zone"):
        default = QUESTIONS[key].default
        if key not in filled and default:
            filled[key] = default
    return filled


def needed_answers(spec: Chapter, ctx: Context) -> None:
    missing = [key for key in spec.needs() if key not in ctx.answers]
    if missing:
        raise WizardError(
            what="The wizard does not know what to clean up: " + ", ".join(missing) + " unknown.",
            why="Clean-up removes what the chapters created with your answers, which the repository's checkpoint "
            "(.git/mlops-wizard/state.json) keeps; this repository has none of them.",
            fix="Run clean-up in the repository where you ran the chapters, or give --answers FILE with "
            "[gcp] project_id and bucket_name.",
        )


def connect_forge(spec: Chapter, ctx: Context, ask: bool) -> None:
    """Find the forge token up front (asking for it only in line mode), so the plan can see the CI secrets."""
    from wizard.forges.connect import open_forge
    from wizard.steps.cleanup_forge import DeleteCiSecret

    if ctx.forge is not None and any(isinstance(step, DeleteCiSecret) for step in spec.steps):
        open_forge(ctx, ask=ask)


def observe_plan(spec: Chapter, ctx: Context, staying: list[Step]) -> Plan:
    runner = Runner(spec, ctx)
    reports = runner.observe_all()
    also = Runner(Chapter(0, "", staying), ctx).observe_all() if staying else []
    return Plan(ctx.answer("gcp.project_id"), reports, [r for r in also if r.observation and not r.observation.done])


def render_plan(plan: Plan, answers: dict[str, str], stays: str, where: str) -> str:
    lines = [f"Clean-up of project {plan.project_id} ({where})", ""]
    if plan.to_remove:
        lines.append("Will be removed, in this order:")
        for number, report in enumerate(plan.to_remove, start=1):
            assert report.observation is not None
            lines.append(f"  {number}. {report.step.title}: {report.observation.detail}")
    else:
        lines.append("Nothing left to remove.")
    if plan.gone:
        lines += ["", "Already gone:"]
        for report in plan.gone:
            assert report.observation is not None
            lines.append(f"  · {report.step.title}: {report.observation.detail}")
    if plan.differences:
        lines += ["", "Does not look like the wizard's work (needs its own confirmation):"]
        lines += [f"  ! {text}" for _step, text in plan.differences]
    if plan.errors:
        lines += ["", "Could not be observed:"]
        lines += [f"  ✗ {error.what}" for error in plan.errors]
    lines += ["", "Stays:"]
    lines += ["  " + line for line in fmt(stays, answers).strip().splitlines()]
    for report in plan.staying:
        assert report.observation is not None
        lines.append(
            f"  - {report.observation.detail}. Made by the guide's chapter 13, not by the wizard: "
            "removed only with --include-chapter-13."
        )
    return "\n".join(lines) + "\n"


def plan_json(plan: Plan) -> dict[str, object]:
    def row(report: StepReport) -> dict[str, object]:
        observation = report.observation
        return {
            "id": report.step.id,
            "title": report.step.title,
            "status": "unknown" if observation is None else ("gone" if observation.done else "to remove"),
            "detail": report.error.what if report.error else (observation.detail if observation else ""),
            "difference": observation.outputs.get(DIFFERENCE) if observation else None,
        }

    return {
        "project_id": plan.project_id,
        "steps": [row(r) for r in plan.reports],
        "stays": [row(r) for r in plan.staying],
    }


def check_typed_project(plan: Plan, typed: str | None) -> None:
    """The one confirmation: the project ID, typed (as GitHub asks for a repository's name)."""
    if typed is None or typed.strip() == "":
        raise WizardError(
            what="Nothing was removed: clean-up needs you to confirm the project.",
            why="Clean-up deletes for good (the project stays restorable for 30 days, its keys and bucket do not).",
            fix=f"Run it again with --confirm-project {plan.project_id} (with --yes), or without --yes to be asked.",
        )
    if typed.strip() != plan.project_id:
        raise WizardError(
            what=f"Nothing was removed: '{typed.strip()}' is not the project being cleaned up.",
            why=f"The repository's project is {plan.project_id}; the confirmation must name it exactly.",
            fix=f"Check which project you mean; to remove this one, confirm {plan.project_id}.",
        )


def agree_differences(
    plan: Plan, ctx: Context, delete_foreign: bool, confirm: Callable[[str, str], bool] | None
) -> None:
    """Every difference agreed to by name (interactive) or by --delete-foreign; else nothing is removed."""
    accepted: set[str] = set()
    for step, text in plan.differences:
        if delete_foreign or (confirm is not None and confirm(f"Remove it anyway? {text}", text)):
            accepted.add(step.id)
            continue
        raise WizardError(
            what="Nothing was removed: " + text + ".",
            why="It does not look like what the chapters created, so removing it could lose something of yours.",
            fix="Look at it (move what you want to keep elsewhere), then run clean-up again; to remove it anyway, "
            "confirm it when asked (without --yes) or add --delete-foreign.",
        )
    ctx.options[ACCEPTED] = accepted


def run_removals(spec: Chapter, ctx: Context) -> None:
    Runner(spec, ctx).run()
