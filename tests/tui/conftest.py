"""The TUI stories run the wizard in this process: its error logs go to each test's own folder; their
pictures are taken with every cursor still."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.tui.pilot_support import cursors_still

if TYPE_CHECKING:
    from wizard.tui.app import WizardApp


@pytest.fixture(autouse=True)
def _log_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """platformdirs' user log folder follows XDG_STATE_HOME: a report never lands in the real home."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state / "mlops-wizard" / "log"


@pytest.fixture
def picture(snap_compare):
    """snap_compare, with every answer field's cursor stilled just before the picture."""

    def take(app: WizardApp, size: tuple[int, int], before) -> bool:
        async def run_before(pilot) -> None:
            await before(pilot)
            await cursors_still(pilot)

        return snap_compare(app, terminal_size=size, run_before=run_before)

    return take
