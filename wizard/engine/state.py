"""The checkpoint store: `.git/mlops-wizard/state.json` inside the learner's repository.

It lives under `.git` so it travels with the working copy but is never committed. It is a
cache of what the wizard did (answers, step outcomes, a journal), never the truth: every
step is observed again on resume. It never holds secret material. Writes are atomic and
0600; a lock (flock, released by the kernel even on SIGKILL) keeps two wizards off one
repository; a file we cannot read is moved aside, never silently overwritten.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

from wizard.engine.errors import WizardError
from wizard.engine.status import Status
from wizard.fsutil import atomic_write_json

SCHEMA_VERSION = 1
STATE_DIR = "mlops-wizard"
STATE_FILE = "state.json"
LOCK_FILE = "lock"
JOURNAL_LIMIT = 500


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def empty_state() -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "answers": {}, "steps": {}, "journal": []}


class StateStore:
    """Read and write the checkpoint of one repository. Use `lock()` before mutating runs."""

    def __init__(self, git_dir: Path, read_only: bool = False) -> None:
        self.read_only = read_only  # `status`: never moves, writes or creates anything
        self.dir = Path(git_dir) / STATE_DIR
        self.path = self.dir / STATE_FILE
        self._lock_fd: int | None = None
        self.notices: list[str] = []
        self.data = self._load()

    # -- loading -----------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return empty_state()
        try:
            data = json.loads(self.path.read_text("utf-8"))
            newer = data.get("schema_version") if isinstance(data, dict) else None
            if isinstance(newer, int) and newer > SCHEMA_VERSION:
                message = (
                    f"The checkpoint {self.path} was written by a newer mlops-wizard (schema_version {newer}; "
                    f"this one knows {SCHEMA_VERSION}). It was left as it is."
                )
                if not self.read_only:
                    raise WizardError(
                        what=message,
                        why="This older wizard could misread it and lose your answers.",
                        fix="Upgrade the wizard (`pip install --upgrade mlops-wizard`) and run again.",
                    )
                self.notices.append(message + " Status observes the world without it.")
                return empty_state()
            if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
                version = data.get("schema_version") if isinstance(data, dict) else None
                raise ValueError(f"unknown schema_version {version!r}")
            for key, default in empty_state().items():
                data.setdefault(key, default)
            return data
        except (ValueError, OSError, UnicodeDecodeError) as exc:
            if self.read_only:
                self.notices.append(
                    f"The checkpoint file {self.path} could not be read ({exc}); status observes the "
                    "world without it and leaves the file as it is."
                )
                return empty_state()
            aside = self.path.with_name(f"{STATE_FILE}.unreadable-{int(time.time())}")
            os.replace(self.path, aside)
            self.notices.append(
                f"The checkpoint file {self.path} could not be read ({exc}); it was kept aside as "
                f"{aside.name}. The wizard starts from what it observes in the cloud and the "
                "repository, so nothing is redone twice."
            )
            return empty_state()

    # -- locking -----------------------------------------------------------------------
    def lock(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise WizardError(
                what="Another mlops-wizard is already working on this repository.",
                why=f"The lock {self.dir / LOCK_FILE} is held by a running wizard.",
                fix="Finish or quit the other wizard (check your other terminals), then run this again.",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> StateStore:
        self.lock()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unlock()

    # -- writing -----------------------------------------------------------------------
    def save(self) -> None:
        if self.read_only:
            return
        self.dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.dir, 0o700)
        atomic_write_json(self.path, self.data, mode=0o600)

    def journal(self, step_id: str, event: str, detail: str = "") -> None:
        entries = self.data["journal"]
        entries.append({"at": _now(), "step": step_id, "event": event, "detail": detail})
        del entries[:-JOURNAL_LIMIT]

    def set_answers(self, answers: Mapping[str, str]) -> None:
        self.data["answers"] = dict(answers)
        self.save()

    def answers(self) -> dict[str, str]:
        return dict(self.data.get("answers", {}))

    def step(self, step_id: str) -> dict[str, Any]:
        return dict(self.data["steps"].get(step_id, {}))

    def record(self, step_id: str, outputs: Mapping[str, Any]) -> None:
        """Merge outputs into a step's entry without changing its status (e.g. a key id, right after creation)."""
        entry = self.data["steps"].setdefault(step_id, {})
        entry.setdefault("outputs", {}).update(outputs)
        self.journal(step_id, "recorded", ", ".join(sorted(outputs)))
        self.save()

    def mark(
        self,
        step_id: str,
        status: Status | str,
        detail: str = "",
        outputs: Mapping[str, Any] | None = None,
        reason: str = "",
    ) -> None:
        """`reason` is a failure's machine-readable cause (`WizardError.details["reason"]`): the next attempt
        branches on it, never on the words of `detail`."""
        word = Status.read(status)
        entry = self.data["steps"].setdefault(step_id, {})
        entry["status"] = word.value
        entry["at"] = _now()
        if word is Status.FAILED:
            entry["reason"] = reason  # kept even when empty: a failure without it was written by an older version
        else:
            entry.pop("reason", None)
        if outputs is not None:
            entry["outputs"] = dict(outputs)
        if word is Status.STARTED:
            entry["intent"] = detail
        elif detail:
            entry["detail"] = detail
        self.journal(step_id, word.value, detail)
        self.save()
