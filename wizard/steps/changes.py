"""Changes to things that already exist are shown and confirmed, never made silently.

In the full-screen wizard and in line mode the learner sees the difference and answers; with
`--yes` nobody can answer, so the run stops, naming the change and the flag that allows it.
"""

from __future__ import annotations

from wizard.engine.errors import WizardError
from wizard.engine.step import Context

FLAG = "--allow-changes"


def confirm_change(ctx: Context, what: str, difference: str, manual: str) -> None:
    """Go on only if the learner agrees to `what` (or passed --allow-changes); otherwise stop, changing nothing."""
    if ctx.options.get("allow_changes"):
        ctx.progress(f"{what} ({FLAG}): {difference}")
        return
    if ctx.confirm is not None and ctx.confirm(what, difference):
        ctx.progress(f"{what} (you agreed)")
        return
    raise WizardError(
        what=f"This changes something that already exists, so it needs your agreement: {what}",
        why=difference,
        fix=f"Do it yourself ({manual}), or run again and agree when asked (or with {FLAG}); nothing was changed.",
    )
