"""Chapter 13's cluster and registry: named with what they cost, removed only when asked.

The guide's chapter 13 created them by hand, not the wizard, so clean-up shows them as staying
unless the learner passes --include-chapter-13.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from wizard.engine.errors import WizardError
from wizard.engine.step import Context, Observation, Status, Step, fmt
from wizard.gcp import deploy_targets
from wizard.steps.cleanup_base import project_gone


@dataclass
class DeleteCluster(Step):
    id: str
    title: str
    cost: str = ""  # what it costs while it exists, from the content
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id", "gke.cluster_name", "gke.cluster_zone")

    def command(self, answers: Mapping[str, str]) -> str:
        return fmt("gcloud container clusters delete {gke.cluster_name} --zone {gke.cluster_zone} --quiet", answers)

    def intent(self, answers: Mapping[str, str]) -> str:
        return fmt("delete the cluster {gke.cluster_name}", answers)

    def _locations(self, ctx: Context) -> list[str]:
        try:
            return deploy_targets.cluster_locations(
                ctx.target, ctx.answer("gcp.project_id"), ctx.answer("gke.cluster_name")
            )
        except WizardError:
            return []  # the Kubernetes Engine API is off: there is no cluster to pay for

    def observe(self, ctx: Context) -> Observation:
        gone = project_gone(ctx)
        if gone:
            return Observation(Status.DONE, gone)
        name = ctx.answer("gke.cluster_name")
        locations = self._locations(ctx)
        if not locations:
            return Observation(Status.DONE, f"no cluster {name}")
        return Observation(
            Status.TODO, f"GKE cluster {name} in {', '.join(locations)} — {self.cost}", {"locations": locations}
        )

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        project_id, name = ctx.answer("gcp.project_id"), ctx.answer("gke.cluster_name")
        for location in self._locations(ctx):
            ctx.crash_point("before-call")
            deploy_targets.delete_cluster(ctx.target, project_id, location, name, ctx.progress)
            ctx.crash_point("after-call")
        return {}


@dataclass
class DeleteRegistry(Step):
    id: str
    title: str
    cost: str = ""
    where: Callable[[Context], tuple[str, str]] | None = None  # (location, repository) MLEM pushes to
    text: str = ""
    needs: Sequence[str] = ("gcp.project_id", "gke.cluster_zone")

    def _where(self, ctx: Context) -> tuple[str, str]:
        assert self.where is not None
        return self.where(ctx)

    def command(self, answers: Mapping[str, str]) -> str:
        zone = answers.get("gke.cluster_zone", "europe-west6-a")
        region = zone.rsplit("-", 1)[0] if zone.count("-") == 2 else zone
        return f"gcloud artifacts repositories delete mlops-registry --location={region} --quiet"

    def intent(self, answers: Mapping[str, str]) -> str:
        return "delete the Artifact Registry repository"

    def _exists(self, ctx: Context) -> bool:
        location, name = self._where(ctx)
        try:
            return deploy_targets.registry_exists(ctx.target, ctx.answer("gcp.project_id"), location, name)
        except WizardError:
            return False  # the Artifact Registry API is off: nothing stored there

    def observe(self, ctx: Context) -> Observation:
        gone = project_gone(ctx)
        if gone:
            return Observation(Status.DONE, gone)
        location, name = self._where(ctx)
        if not self._exists(ctx):
            return Observation(Status.DONE, f"no registry {name} in {location}")
        return Observation(Status.TODO, f"Artifact Registry repository {name} in {location} — {self.cost}")

    def apply(self, ctx: Context) -> Mapping[str, Any]:
        location, name = self._where(ctx)
        if self._exists(ctx):
            ctx.crash_point("before-call")
            deploy_targets.delete_registry(ctx.target, ctx.answer("gcp.project_id"), location, name, ctx.progress)
            ctx.crash_point("after-call")
        return {}
