"""Removing a CI secret (GitHub Actions secret or GitLab CI/CD variable) the chapters stored."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wizard.engine.step import Context, Observation, Status, Step
from wizard.forges.connect import open_forge
from wizard.steps.forge import forge_kind


@dataclass
class DeleteCiSecret(Step):
    id: str
    title: str
    name: str = ""
    text: str = ""
    needs: Sequence[str] = ()

    def command(self, answers: Mapping[str, str]) -> str:
        if forge_kind(answers) == "gitlab":
            return f"glab variable delete {self.name}"
        return f"gh secret delete {self.name}"

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"delete the CI secret {self.name}"

    def observe(self, ctx: Context) -> Observation:
        if ctx.forge is None:
            return Observation(Status.DONE, "origin is not on GitHub or GitLab: no CI secret to remove")
        forge = open_forge(ctx)
        if forge.get_secret(self.name) is None:
            return Observation(Status.DONE, f"{self.name} is not set on {forge.repo_path}")
        where = "GitLab CI/CD variable" if forge.kind == "gitlab" else "GitHub Actions secret"
        return Observation(Status.TODO, f"{where} {self.name} on {forge.repo_path}")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        forge = open_forge(ctx)
        ctx.crash_point("before-call")
        forge.delete_secret(self.name)
        ctx.progress(f"{self.name} deleted from {forge.repo_path}")
        ctx.crash_point("after-call")
        return {}
