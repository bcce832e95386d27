"""Reusable steps for continuous deployment (chapter 14): what it depends on, and the CI file edit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Status, Step
from wizard.fsutil import atomic_write
from wizard.gcp import deploy_targets, services
from wizard.steps.forge import forge_kind
from wizard.steps.written import FileStep


@dataclass
class CheckDeployTargets(Step):
    """Read-only: the MLEM files, the APIs, the cluster and the registry of chapters 11–13 exist.

    When something is missing, the message says what and which chapter of the guide makes it.
    """

    id: str
    title: str
    mlem_files: Mapping[str, int] = field(default_factory=dict)  # file -> the guide's chapter that creates it
    apis: Mapping[str, int] = field(default_factory=dict)  # service -> chapter that enables it
    text: str = ""
    mutating: bool = False
    needs: Sequence[str] = ("gcp.project_id", "gke.cluster_name", "gke.cluster_zone")

    def command(self, answers: Mapping[str, str]) -> str:
        return (
            "ls " + " ".join(self.mlem_files) + "\n"
            f"gcloud container clusters describe {answers.get('gke.cluster_name', '{gke.cluster_name}')} "
            f"--zone {answers.get('gke.cluster_zone', '{gke.cluster_zone}')}\n"
            "gcloud artifacts repositories list"
        )

    def preflight(self, ctx: Context) -> None:
        self._check(ctx)

    def _check(self, ctx: Context) -> Observation:
        missing = [name for name in self.mlem_files if not (ctx.workspace.root / name).exists()]
        if missing:
            chapters = sorted({self.mlem_files[name] for name in missing})
            raise WizardError(
                what="MLEM's files are missing: " + ", ".join(missing) + ".",
                why="Chapter 14 deploys the model that MLEM saved and the deployment it declared.",
                fix="Follow the guide's chapter(s) " + ", ".join(map(str, chapters)) + " to create them, commit, "
                "then run the wizard again.",
            )
        project_id = ctx.answer("gcp.project_id")
        on = services.enabled(ctx.target, project_id, list(self.apis))
        for service, chapter in self.apis.items():
            if service not in on:
                label = "Kubernetes Engine" if service.startswith("container") else "Artifact Registry"
                raise deploy_targets.api_disabled(project_id, service, label, chapter)
        name, zone = ctx.answer("gke.cluster_name"), ctx.answer("gke.cluster_zone")
        locations = deploy_targets.cluster_locations(ctx.target, project_id, name)
        if zone not in locations:
            if locations:
                raise WizardError(
                    what=f"The cluster {name} is in {', '.join(locations)}, not in {zone}.",
                    why="The deploy workflow gets the cluster's credentials by name and location.",
                    fix=f"Answer gke.cluster_zone = {locations[0]} (in the answers file under [gke], or when asked).",
                )
            raise WizardError(
                what=f"There is no GKE cluster {name} in project {project_id}.",
                why="The model is deployed to the Kubernetes cluster the guide's chapter 13 creates.",
                fix="Follow the guide's chapter 13 (`gcloud container clusters create ...`), or give the name of "
                "your cluster as gke.cluster_name, then run the wizard again.",
            )
        location, repository = self._registry(ctx, zone)
        if not deploy_targets.registry_exists(ctx.target, project_id, location, repository):
            raise WizardError(
                what=f"Project {project_id} has no Artifact Registry repository {repository} in {location}.",
                why="MLEM pushes the model's container image there (service_classifier.mlem names it) before "
                "deploying it.",
                fix="Follow the guide's chapter 12 (`gcloud artifacts repositories create ...`), then run again.",
            )
        return Observation(
            Status.DONE, f"MLEM files, cluster {name} ({zone}) and registry {location}/{repository} are there"
        )

    def _registry(self, ctx: Context, zone: str) -> tuple[str, str]:
        """The registry MLEM pushes to, read from service_classifier.mlem (the guide's mlops-registry if unsure)."""
        import yaml

        try:
            declared = yaml.safe_load(ctx.workspace.read("service_classifier.mlem")) or {}
            host = str(declared.get("registry", {}).get("host", ""))
        except (yaml.YAMLError, AttributeError):
            host = ""
        found = deploy_targets.registry_from_host(host)
        region = zone.rsplit("-", 1)[0] if zone.count("-") == 2 else zone
        return found or (region, "mlops-registry")

    def observe(self, ctx: Context) -> Observation:
        return self._check(ctx)

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        self._check(ctx)
        return {}


Editor = Callable[[str, str], "tuple[str, bool]"]
Checker = Callable[[str, str], bool]


@dataclass
class AddCiJob(FileStep):
    """Add a job to the learner's CI file with a round-trip edit: their comments, order and jobs survive."""

    # Its command shows a file's content: real values, not shell variables.
    writes_files: bool = field(default=True, kw_only=True)
    id: str
    title: str
    # forge kind -> (path, render the job's template from the answers, editor, checker)
    edits: Mapping[str, tuple[str, Callable[[Mapping[str, str]], str], Editor, Checker]] = field(default_factory=dict)
    text: str = ""
    needs: Sequence[str] = ()

    def _edit(self, answers: Mapping[str, str]) -> tuple[str, str, Editor, Checker]:
        kind = forge_kind(answers)
        if kind not in self.edits:
            raise WizardError(what=f"There is no deploy job for {kind}.", fix="Use a GitHub or GitLab repository.")
        path, render, editor, checker = self.edits[kind]
        return path, render(answers), editor, checker

    def paths(self, answers: Mapping[str, str]) -> list[str]:
        return [self._edit(answers)[0]]

    def command(self, answers: Mapping[str, str]) -> str:
        path, job, _editor, _checker = self._edit(answers)
        lines = "\n".join(f"#   {line}" if line else "#" for line in job.rstrip("\n").splitlines())
        return f"# add this job to {path} with your editor (the wizard keeps the rest of the file as it is):\n{lines}"

    def intent(self, answers: Mapping[str, str]) -> str:
        return f"add the deploy job to {self._edit(answers)[0]}"

    def _current(self, ctx: Context, path: str) -> str:
        full = ctx.workspace.root / path
        if not full.exists():
            raise WizardError(
                what=f"{path} does not exist.",
                why="The deploy job is added to the pipeline chapter 8 creates.",
                fix="Run chapter 8 first (`mlops-wizard run --chapter 8`).",
            )
        return full.read_text("utf-8")

    def own_change(self, answers: Mapping[str, str], path: str, head: str | None, work: str | None) -> bool:
        """Whether an uncommitted change of the CI file is only the deploy job this step adds."""
        from wizard.workspace.ci_yaml import CiYamlError

        _path, job, editor, _checker = self._edit(answers)
        if work == head or head is None:
            return True
        try:
            return work == editor(head, job)[0]
        except CiYamlError:
            return False

    def accepts(self, answers: Mapping[str, str], text: str | None, path: str = "") -> bool:
        """Whether `text` (e.g. the file as committed) holds the deploy job."""
        _path, job, _editor, checker = self._edit(answers)
        return text is not None and checker(text, job)

    def observe(self, ctx: Context) -> Observation:
        path, job, _editor, checker = self._edit(ctx.answers)
        if checker(self._current(ctx, path), job):
            return Observation(Status.DONE, f"{path} has the deploy job")
        return Observation(Status.TODO, f"{path} has no deploy job yet")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        from wizard.workspace.ci_yaml import CiYamlError

        path, job, editor, _checker = self._edit(ctx.answers)
        text = self._current(ctx, path)
        try:
            new, changed = editor(text, job)
        except CiYamlError as exc:
            raise WizardError(
                what=f"The wizard cannot add the deploy job to {path}.",
                why=str(exc),
                fix=f"Add it by hand (the commands pane shows it) and run the wizard again; {path} was not changed.",
            ) from None
        if changed:
            ctx.crash_point("before-write")
            atomic_write(ctx.workspace.root / path, new)
            ctx.crash_point("after-write")
            ctx.progress(f"{path}: deploy job added; everything else in the file is as it was")
        return {"path": path}
