"""The step protocol: observe → apply → verify, with a teacher's text and the equivalent command.

A step never trusts the checkpoint file: `observe` looks at the real world (the cloud, the
repository) and says whether the step is already true. `apply` converges to the wanted
state, adopting what exists instead of duplicating it. The runner calls `observe` again
after `apply` to verify.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from wizard.engine.events import Progress, Reporter, null_reporter
from wizard.engine.faults import crash_point
from wizard.engine.status import Status

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine.state import StateStore
    from wizard.forges.detect import ForgeRef
    from wizard.gcp.target import Target
    from wizard.workspace.repo import Workspace


class Reason(str, enum.Enum):
    """Why an observation is what it is, for code to branch on (the detail is for people)."""

    NONE = ""
    WAITING = "waiting"  # its answers are not given yet
    UNCONFIRMED = "unconfirmed"  # true with the answers offered, which the learner has not confirmed
    ELSEWHERE = "elsewhere"  # it exists, but belongs to another project or owner
    FIXED_SETTING = "fixed-setting"  # a setting that cannot change after creation differs
    SETTINGS = "settings"  # settings that can be changed differ


@dataclass(frozen=True)
class Observation:
    status: Status
    detail: str = ""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    reason: Reason = field(default=Reason.NONE, kw_only=True)

    @property
    def done(self) -> bool:
        return self.status is Status.DONE


@dataclass
class Context:
    """Everything a step may touch. Built once per run by the CLI or the TUI."""

    answers: dict[str, str]
    workspace: Workspace
    target: Target
    store: StateStore | None = None
    reporter: Reporter = null_reporter
    forge: ForgeRef | None = None  # where `origin` lives (GitHub, GitLab, ...)
    # Flags of this run (e.g. no_key_file, overwrite_workflow); never secrets.
    options: dict[str, Any] = field(default_factory=dict)
    # In-memory only, for this process: the forge client, key material between steps. Never saved.
    memory: dict[str, Any] = field(default_factory=dict, repr=False)
    # How to ask the learner a yes/no question with details (e.g. a diff); None: cannot ask.
    confirm: Callable[[str, str], bool] | None = None
    # How to ask for a secret (masked); None: cannot ask.
    ask_secret: Callable[[str], str | None] | None = None
    step_id: str = ""
    # The checkpoint entry of the current step as it was before this run touched it:
    # {"status": "started"} means an earlier run was interrupted inside the step.
    previous: Mapping[str, Any] = field(default_factory=dict)

    @property
    def interrupted(self) -> bool:
        return Status.read(self.previous.get("status")) is Status.STARTED

    def progress(self, message: str, fraction: float | None = None) -> None:
        self.reporter(Progress(self.step_id, message, fraction))

    def crash_point(self, point: str) -> None:
        crash_point(f"{self.step_id}:{point}")

    def answer(self, key: str) -> str:
        return self.answers[key]


@dataclass(kw_only=True)
class Step:
    """Base class for steps: step kinds are dataclasses that implement observe/apply.

    Every optional hook is declared here with its neutral default, so the runner, the session
    and the script call them directly instead of looking them up by name.
    """

    id: str = ""
    title: str = ""
    text: str = ""  # Markdown shown to the learner: why, what happens, what you will see
    needs: Sequence[str] = ()  # answer keys, validated before any call
    mutating: bool = True
    # The runner runs it before anything else calls Google (a chapter's login check).
    checks_login: bool = False
    # Its command shows a file's content: `script` fills in real values, not shell variables.
    writes_files: bool = False

    def preflight(self, ctx: Context) -> None:
        """Read-only checks before any write of the run (a bucket name taken): raise to refuse. None by default."""

    def command(self, answers: Mapping[str, str]) -> str:
        """The shell command(s) a learner would type to do this step by hand."""
        return ""

    def intent(self, answers: Mapping[str, str]) -> str:
        """One line journaled before apply, so a resumed run knows what was under way."""
        return self.title

    def observe(self, ctx: Context) -> Observation:
        raise NotImplementedError

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        raise NotImplementedError


def load_text(base: Path, name: str) -> str:
    """Read a step's Markdown text from the chapter's text folder."""
    path = base / name
    return path.read_text("utf-8") if path.exists() else ""


def fmt(template: str, answers: Mapping[str, str]) -> str:
    """Fill `{gcp.project_id}`-style placeholders with answers; unknown ones stay visible."""
    return _PLACEHOLDER.sub(lambda m: str(answers.get(m.group(1), m.group(0))), template)


_PLACEHOLDER = re.compile(r"\{([a-z_]+(?:\.[a-z_]+)*)\}")
