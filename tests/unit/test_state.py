"""The checkpoint store: private, atomic, locked, and honest about a file it cannot read."""

import json
import os
import stat
import subprocess
import sys

import pytest

from wizard.engine.errors import WizardError
from wizard.engine.state import StateStore


def test_state_file_is_private_and_has_a_schema_version(tmp_path):
    store = StateStore(tmp_path)
    store.mark("ch07.create-project", "started", "create project p")
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600
    data = json.loads(store.path.read_text())
    assert data["schema_version"] == 1
    assert data["steps"]["ch07.create-project"]["intent"] == "create project p"
    assert data["journal"][-1]["event"] == "started"


def test_a_second_wizard_on_the_same_repository_is_refused(tmp_path):
    first = StateStore(tmp_path)
    first.lock()
    try:
        code = (
            "import sys; from pathlib import Path; from wizard.engine.state import StateStore\n"
            "from wizard.engine.errors import WizardError\n"
            "try:\n    StateStore(Path(sys.argv[1])).lock()\nexcept WizardError as e:\n    print(e.what); sys.exit(3)\n"
        )
        result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
        assert result.returncode == 3
        assert "Another mlops-wizard" in result.stdout
    finally:
        first.unlock()
    StateStore(tmp_path).lock()  # free again once the first one let go


def test_lock_held_by_a_killed_process_is_released(tmp_path):
    code = (
        "import os, signal, sys; from pathlib import Path; from wizard.engine.state import StateStore\n"
        "StateStore(Path(sys.argv[1])).lock(); os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)])
    StateStore(tmp_path).lock()


def test_a_corrupted_file_is_kept_aside_with_a_message(tmp_path):
    store = StateStore(tmp_path)
    store.mark("x", "done")
    store.path.write_text('{"schema_version": 1, "steps": ')  # truncated
    again = StateStore(tmp_path)
    assert again.data["steps"] == {}
    assert "kept aside" in again.notices[0]
    kept = list(store.dir.glob("state.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text().startswith('{"schema_version"')


def test_a_foreign_schema_is_not_overwritten_silently(tmp_path):
    store = StateStore(tmp_path)
    store.dir.mkdir(parents=True, exist_ok=True)
    store.path.write_text(json.dumps({"schema_version": "draft"}))
    again = StateStore(tmp_path)
    assert again.notices and "schema_version" in again.notices[0]
    assert list(store.dir.glob("state.json.unreadable-*"))


def test_a_checkpoint_from_a_newer_wizard_stays_where_it_is(tmp_path):
    store = StateStore(tmp_path)
    store.dir.mkdir(parents=True, exist_ok=True)
    store.path.write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(WizardError, match="newer mlops-wizard"):
        StateStore(tmp_path)
    looking = StateStore(tmp_path, read_only=True)
    assert "schema_version 99" in looking.notices[0]
    looking.save()
    assert json.loads(store.path.read_text()) == {"schema_version": 99}
    assert not list(store.dir.glob("state.json.unreadable-*"))


def test_errors_render_what_why_fix():
    error = WizardError("Thing failed.", why="Because.", fix="Do this.", retryable=True)
    text = error.render()
    assert "Thing failed." in text and "Why: Because." in text and "Fix: Do this." in text
    with pytest.raises(WizardError):
        raise error
