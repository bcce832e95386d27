""" "As if chapter 13 were done": the cluster and registry chapter 14 deploys to.

Chapter 14 of the guide depends on chapters 11–13, which the wizard does not walk through:
the learner creates a GKE cluster (`gcloud container clusters create ... --zone
europe-west6-a mlops-kubernetes`, two e2-standard-2 nodes) and an Artifact Registry Docker
repository (`gcloud artifacts repositories create mlops-registry --repository-format=docker
--location=europe-west6`), after enabling the Kubernetes Engine and Artifact Registry APIs.

The sandbox cannot do that ahead of time: the learner's project only exists once chapter 7
creates it, under an ID the learner chooses. So `seed_world` stores a preset in
`world["sandbox"]["chapter13"]`, and the Projects fake applies it to the first project the
learner creates. This stands in for the learner doing chapters 11–13 by hand, so that
chapters 7 → 8 → 14 run straight through in the sandbox.
"""

from __future__ import annotations

import copy
from typing import Any

from . import clock
from .records import cluster_record, repository_record

# The guide's own example names (chapter 13, MLEM edition).
GUIDE_CLUSTER = {"name": "mlops-kubernetes", "location": "europe-west6-a"}
GUIDE_REGISTRY = {"name": "mlops-registry", "location": "europe-west6"}
# What the learner enabled on the way: GKE needs Compute Engine, and turns it on itself.
CHAPTER13_SERVICES = (
    "artifactregistry.googleapis.com",
    "compute.googleapis.com",
    "container.googleapis.com",
)


def chapter13_preset() -> dict[str, Any]:
    """The value `seed_world` stores in `world["sandbox"]["chapter13"]`."""
    return {"cluster": dict(GUIDE_CLUSTER), "registry": dict(GUIDE_REGISTRY)}


def apply_chapter13_preset(data: dict[str, Any], project: dict[str, Any], now: float | None = None) -> bool:
    """Give `project` chapter 13's cluster, registry and APIs if no project has had them yet.

    Called inside the `world.mutate()` of CreateProject, so the project and the preset land
    together or not at all. Returns whether the preset was applied. A world without a preset
    (tests that build their own) is left alone.
    """
    preset = data.get("sandbox", {}).get("chapter13")
    if not preset or preset.get("applied_to"):
        return False

    when = clock.now() if now is None else now
    project_id = project["project_id"]
    cluster = copy.deepcopy(preset.get("cluster") or GUIDE_CLUSTER)
    registry = copy.deepcopy(preset.get("registry") or GUIDE_REGISTRY)
    clusters = project.setdefault("gke_clusters", {})
    clusters[f"{cluster['location']}/{cluster['name']}"] = cluster_record(
        project_id, cluster["name"], cluster["location"], when
    )
    repositories = project.setdefault("artifact_repositories", {})
    repositories[f"{registry['location']}/{registry['name']}"] = repository_record(
        registry["name"], registry["location"], when, registry.get("format", "DOCKER")
    )
    project["services"] = sorted(set(project.get("services", [])) | set(CHAPTER13_SERVICES))
    preset["applied_to"] = project_id
    return True
