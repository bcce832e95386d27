"""Names like a refused one that pass the step's own read-only check: free, not just valid.

A taken bucket name is refused with a reason; the names offered instead are checked the same
way the refused one was, so the learner is not sent from one taken name to another. Line mode
asks again with them; the full-screen wizard names them in its error panel.
"""

from __future__ import annotations

from wizard.engine.questions import QUESTIONS
from wizard.engine.step import Context, Step


def free_suggestions(step: Step | None, ctx: Context, key: str, rejected: str, count: int = 3) -> list[str]:
    """Names built from the rejected one that pass the step's own read-only check (free, not just valid)."""
    question = QUESTIONS.get(key)
    if question is None or question.alternatives is None:
        return []
    check = getattr(step, "preflight", None) if step is not None else None
    found: list[str] = []
    saved = dict(ctx.answers)
    try:
        for candidate in question.alternatives(rejected, count * 2):
            if len(found) >= count:
                break
            if check is not None:
                ctx.answers = {**saved, key: candidate}
                try:
                    check(ctx)
                except Exception:  # noqa: BLE001 - a suggestion that fails its check is simply not offered
                    continue
            found.append(candidate)
    finally:
        ctx.answers = saved
    return found
