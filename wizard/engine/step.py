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

if TYPE_CHECKING:  # pragma: no cover
    from wizard.engine.state import StateStore
    from wizard.forges.detect import ForgeRef
    from wizard.gcp.target import Target
    from wizard.workspace.repo import Workspace


class Status(str, enum.Enum):
    DONE = "done"
    TODO = "todo"
    DRIFTED = "drifted"  # exists but differs from what the guide wants


@dataclass(frozen=True)
class Observation:
    status: Status
    detail: str = ""
    outputs: Mapping[str, Any] = field(default_factory=dict)

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
        return self.previous.get("status") == "started"

    def progress(self, message: str, fraction: float | None = None) -> None:
        self.reporter(Progress(self.step_id, message, fraction))

    def crash_point(self, point: str) -> None:
        crash_point(f"{self.step_id}:{point}")

    def answer(self, key: str) -> str:
        return self.answers[key]


class Step:
    """Base class for steps. Subclasses set these attributes and implement observe/apply.

    They are plain annotated attributes, not ClassVars: most step kinds are dataclasses whose
    instances set them (each step has its own id, title and needs), a few set them on the class.
    """

    id: str = ""
    title: str = ""
    text: str = ""  # Markdown shown to the learner: why, what happens, what you will see
    needs: Sequence[str] = ()  # answer keys, validated before any call
    mutating: bool = True

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
