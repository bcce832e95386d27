"""Files of the guide observed by their meaning: a CI file is done when it holds the guide's content.

Chapter 8 writes the pipeline; chapter 14 later adds its `deploy` job to the same file. A
later chapter's addition is recognised as that chapter's: chapter 8 never calls it drift,
and replacing chapter 8's part (when the learner agrees) carries it over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Status
from wizard.steps.forge import WriteFile, forge_kind

LATER_JOB = "chapter 14's deploy job"


@dataclass
class GuideFile(WriteFile):
    """A guide's file, compared by content (YAML data for CI files), tolerating chapter 14's deploy job."""

    keeps_later_job: bool = False  # the pipeline file chapter 14 adds its deploy job to

    def accepts(self, answers: Mapping[str, str], text: str | None, path: str = "") -> str | None:
        """A detail when `text` holds this file's content for the guide (None when it does not)."""
        target = self.target(answers)
        if target is None:
            return "nothing to write"
        path, content = target
        if text is None:
            return None
        if text == content:
            return f"{path} is the guide's"
        import yaml

        from wizard.workspace.ci_yaml import CiYamlError, without_deploy_job

        try:
            wanted = yaml.safe_load(content)
            if self.keeps_later_job:
                data, later = without_deploy_job(text, forge_kind(answers))
            else:
                data, later = yaml.safe_load(text), False
        except (yaml.YAMLError, CiYamlError):
            return None
        if data != wanted:
            return None
        return f"{path} holds the guide's pipeline" + (f", and {LATER_JOB}" if later else "")

    def preflight(self, ctx: Context) -> None:
        """A different file of the learner's is found before any write of the run, not after the cloud work."""
        target = self.target(ctx.answers)
        if target is None:
            return
        path, content = target
        full = ctx.workspace.root / path
        if not full.exists() or ctx.options.get("overwrite_workflow") or ctx.confirm is not None:
            return  # nothing there, replacing allowed, or the learner is asked at this step's turn
        text = full.read_text("utf-8")
        if self.accepts(ctx.answers, text) is not None:
            return
        import difflib

        from wizard.steps.older import is_older_workflow

        diff = "".join(
            difflib.unified_diff(
                text.splitlines(keepends=True),
                content.splitlines(keepends=True),
                f"{path} (yours)",
                f"{path} (the guide's)",
            )
        )
        older = is_older_workflow(text)
        raise WizardError(
            what=f"{path} already exists and differs from the guide's; nothing was changed."
            + (
                " It is the guide's older edition (iterative/setup-dvc, secret GCP_SERVICE_ACCOUNT_KEY)."
                if older
                else ""
            ),
            why=(
                "The current edition installs DVC from your requirements and reads the data with the narrower "
                "DVC_GCP_SERVICE_ACCOUNT_KEY. "
                if older
                else ""
            )
            + "The differences:\n"
            + "\n".join(diff.splitlines()[:40]),
            fix="Merge the guide's version into yours by hand (`mlops-wizard script --chapter 8` shows it), or run "
            "again with --overwrite-workflow to replace it (your version stays in git history).",
        )

    def observe(self, ctx: Context) -> Observation:
        target = self.target(ctx.answers)
        if target is None:
            return Observation(Status.DONE, f"nothing to write on {forge_kind(ctx.answers)}")
        path, _content = target
        full = ctx.workspace.root / path
        if not full.exists():
            return Observation(Status.TODO, f"{path} does not exist yet")
        detail = self.accepts(ctx.answers, full.read_text("utf-8"))
        if detail is None:
            return Observation(Status.DRIFTED, f"{path} exists and differs from the guide's")
        return Observation(Status.DONE, detail, {"path": path})

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        target = self.target(ctx.answers)
        assert target is not None  # observe said TODO or DRIFTED, so there is a file to write
        path, content = target
        full = ctx.workspace.root / path
        job = None
        if self.keeps_later_job and full.exists():
            from wizard.workspace.ci_yaml import deploy_job_text

            job = deploy_job_text(full.read_text("utf-8"), forge_kind(ctx.answers))
        if job is None:
            return super().apply(ctx)
        new = self._with_job(ctx, content, job)
        original = self.files
        kind = forge_kind(ctx.answers)
        self.files = {**original, kind: (path, lambda _answers: new)}
        try:
            outputs = super().apply(ctx)  # shows the difference and asks, exactly as for any other file
        finally:
            self.files = original
        ctx.progress(f"{LATER_JOB} was kept in {path}")
        return outputs

    @staticmethod
    def _with_job(ctx: Context, content: str, job: str) -> str:
        from wizard.workspace.ci_yaml import CiYamlError, add_github_deploy_job, add_gitlab_deploy_job

        edit = add_gitlab_deploy_job if forge_kind(ctx.answers) == "gitlab" else add_github_deploy_job
        try:
            return edit(content, job)[0]
        except CiYamlError as exc:
            raise WizardError(
                what=f"The guide's pipeline cannot be written without dropping {LATER_JOB}.",
                why=str(exc),
                fix="Merge the guide's pipeline into yours by hand (`mlops-wizard script --chapter 8` shows it).",
            ) from None
