"""The TUI stories run the wizard in this process: its error logs go to each test's own folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _log_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """platformdirs' user log folder follows XDG_STATE_HOME: a report never lands in the real home."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    return state / "mlops-wizard" / "log"
