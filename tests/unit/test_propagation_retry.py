"""A CI run refused while a new role propagated is re-run on the next attempt: the checkpoint keeps the failure's
reason, and the next attempt decides on that reason, not on the words shown to the learner."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from wizard.engine.state import StateStore
from wizard.engine.status import Status
from wizard.steps import propagation


def previous_after(tmp_path: Path, detail: str, reason: str = "") -> dict:
    store = StateStore(tmp_path)
    store.mark("ch08.watch-run", Status.FAILED, detail, reason=reason)
    return StateStore(tmp_path).step("ch08.watch-run")


def test_a_run_refused_while_the_role_propagated_is_run_again(tmp_path: Path):
    previous = previous_after(tmp_path, "The CI run was refused access.", reason=propagation.REASON)
    assert propagation.should_rerun(SimpleNamespace(previous=previous))


def test_a_run_that_failed_for_another_reason_is_not_run_again_whatever_its_words(tmp_path: Path):
    previous = previous_after(tmp_path, f"the learner's own text says {propagation.MARKER}", reason="")
    assert not propagation.should_rerun(SimpleNamespace(previous=previous))


def test_a_checkpoint_written_before_reasons_were_kept_is_still_understood():
    older = {"status": "failed", "detail": f"the role granted 1 minute ago is {propagation.MARKER}."}
    assert propagation.should_rerun(SimpleNamespace(previous=older))


def test_a_step_that_then_succeeded_forgets_the_reason(tmp_path: Path):
    store = StateStore(tmp_path)
    store.mark("ch08.watch-run", Status.FAILED, "refused", reason=propagation.REASON)
    store.mark("ch08.watch-run", Status.DONE, "the run passed")
    assert "reason" not in StateStore(tmp_path).step("ch08.watch-run")
