"""The forge protocol: what chapters 8 and 14 need from GitHub or GitLab, behind one shape.

Implementations wrap the official clients (PyGithub, python-gitlab). Tokens live only in
memory: they are found (environment, the forge's own CLI, the sandbox, or asked), used,
and never written anywhere by the wizard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class TokenCheck:
    """What a token may do on the learner's repository, learnt before any write."""

    login: str
    scopes: list[str] | None  # classic GitHub / GitLab scopes; None for fine-grained GitHub tokens
    can_push: bool
    can_write_workflows: bool
    can_manage_secrets: bool
    problems: list[str] = field(default_factory=list)  # each a sentence for the learner, empty when fine


@dataclass(frozen=True)
class SecretInfo:
    """A CI secret as the forge shows it. `value` only where the forge returns it (GitLab)."""

    name: str
    updated_at: str | None = None
    value: str | None = None
    masked: bool | None = None
    protected: bool | None = None
    raw: bool | None = None
    hidden: bool | None = None  # GitLab "masked and hidden": the value is never returned (value is None)


@dataclass(frozen=True)
class RunInfo:
    """One CI run (GitHub Actions run / GitLab pipeline) for a commit."""

    run_id: str
    sha: str
    status: str  # queued, in_progress, completed (GitHub) — or GitLab's created/pending/running/success/failed…
    conclusion: str | None  # success / failure / cancelled… once completed, else None
    url: str
    name: str = ""
    workflow: str = ""  # GitHub: the workflow file (".github/workflows/mlops.yml"); GitLab: ""
    # When this attempt started (GitHub: run_started_at; GitLab: the pipeline's created_at), if known.
    started_at: datetime | None = None


class Forge(Protocol):
    kind: str  # "github" or "gitlab"
    repo_path: str  # owner/name or group/…/name

    def check_token(self) -> TokenCheck:
        """Read-only: who the token is and what it may do on the repository (raises if not found)."""
        ...

    def get_secret(self, name: str) -> SecretInfo | None: ...

    def put_secret(self, name: str, value: str) -> None:
        """Create or update a repository secret / CI variable with the guide's settings."""
        ...

    def delete_secret(self, name: str) -> None: ...

    def runs_for(self, sha: str) -> list[RunInfo]:
        """CI runs of that commit, newest first."""
        ...

    def run_log_hint(self, run: RunInfo) -> str:
        """A line saying why a run failed, when the forge tells (sandbox logs, job traces)."""
        ...

    def rerun(self, run: RunInfo) -> None:
        """Start a finished run again on the same commit (GitHub: re-run; GitLab: retry the pipeline)."""
        ...

    def actions_url(self) -> str:
        """Where the learner sees the runs in a browser."""
        ...
