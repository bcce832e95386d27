"""What every removal step of the clean-up shares: "gone" is done, and nothing foreign goes unasked.

A removal step observes DONE when the thing is already gone and TODO when it still exists. When
what exists does not look like what the chapters made (an account with keys the wizard did not
make, a bucket with objects outside `dvcstore/`), the observation carries a `difference`: a
sentence naming it. Such a step removes nothing until the learner has agreed to that difference
(`ctx.options["accepted_differences"]`, filled by the confirmation), and the step checks again
right before it writes, because the world may have changed since the plan was shown.
"""

from __future__ import annotations

from typing import Any

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Status

DIFFERENCE = "difference"
ACCEPTED = "accepted_differences"


def project_gone(ctx: Context) -> str | None:
    """Why the project's own resources need no removal (its deletion is requested, or it is not there)."""
    from wizard.gcp import projects

    project_id = ctx.answer("gcp.project_id")
    info = projects.find_project(ctx.target, project_id)
    if info is None:
        return f"project {project_id} does not exist (or is not yours)"
    if info.state != "ACTIVE":
        return f"project {project_id} is shut down ({info.state}): what it held goes with it"
    ctx.target.set_quota_project(project_id)  # user credentials bill API quota to a project, as in chapter 7
    return None


def differs(status_detail: str, difference: str | None, **outputs: Any) -> Observation:
    """A TODO observation that may carry a difference to confirm."""
    extra = dict(outputs)
    if difference:
        extra[DIFFERENCE] = difference
    return Observation(Status.TODO, status_detail, extra)


def require_agreement(ctx: Context, step_id: str, difference: str | None) -> None:
    """Stop before writing when the difference was not agreed to."""
    if not difference:
        return
    if step_id in ctx.options.get(ACCEPTED, set()):
        return
    raise WizardError(
        what="Not removed: " + difference,
        why="It does not look like what the chapters created, so removing it could lose something that is yours.",
        fix="Look at it first. To remove it anyway, run clean-up without --yes and confirm it by name, or add "
        "--delete-foreign to the same command; otherwise move it out of the way and run clean-up again.",
    )
