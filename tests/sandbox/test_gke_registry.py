"""GKE clusters and Artifact Registry repositories of the sandbox, over the wire.

Chapter 14 needs chapter 13's cluster and registry. The sandbox's `seed_world` stores them
as a preset that CreateProject applies to the learner's first project; these tests create
projects with the official Resource Manager client and then read the cluster and the
repository with the official GKE and Artifact Registry clients, errors included.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from google.api_core import exceptions as gexc
from google.api_core.future.polling import DEFAULT_POLLING
from google.cloud import artifactregistry_v1, container_v1, resourcemanager_v3
from google.cloud.artifactregistry_v1.services.artifact_registry.transports import (
    ArtifactRegistryGrpcTransport,
)
from google.cloud.container_v1.services.cluster_manager.transports import ClusterManagerGrpcTransport
from google.cloud.resourcemanager_v3.services.projects.transports import ProjectsGrpcTransport

from tests.sandbox.google_helpers import sandbox_channel, tool_credentials_file
from wizard.gcp.target import Target
from wizard.sandbox.control_plane import start_control_plane
from wizard.sandbox.control_plane.catalog import DEFAULT_SERVICES
from wizard.sandbox.init import TAKEN_PROJECTS, seed_world
from wizard.sandbox.world import WORLD_FILE, World

pytestmark = pytest.mark.timeout(30)

FAST = DEFAULT_POLLING.with_delay(initial=0.01, maximum=0.05)
PROJECT = "learner-ch14"
CLUSTER, ZONE = "mlops-kubernetes", "europe-west6-a"
REGISTRY, REGION = "mlops-registry", "europe-west6"
CLUSTER_NAME = f"projects/{PROJECT}/locations/{ZONE}/clusters/{CLUSTER}"
REPOSITORY_NAME = f"projects/{PROJECT}/locations/{REGION}/repositories/{REGISTRY}"
SOMEONE_ELSES = TAKEN_PROJECTS[0]


@dataclass
class Cloud:
    world: World
    server: grpc.Server
    port: int
    channel: grpc.Channel
    projects: resourcemanager_v3.ProjectsClient
    gke: container_v1.ClusterManagerClient
    registry: artifactregistry_v1.ArtifactRegistryClient

    def create_project(self, project_id: str) -> None:
        operation = self.projects.create_project(project=resourcemanager_v3.Project(project_id=project_id))
        operation.result(polling=FAST)

    def close(self) -> None:
        self.channel.close()
        self.server.stop(grace=None).wait()


def connect(root: Path) -> Cloud:
    world = World(root)
    server, port = start_control_plane(world)
    channel = sandbox_channel(world, port)
    return Cloud(
        world=world,
        server=server,
        port=port,
        channel=channel,
        projects=resourcemanager_v3.ProjectsClient(transport=ProjectsGrpcTransport(channel=channel)),
        gke=container_v1.ClusterManagerClient(transport=ClusterManagerGrpcTransport(channel=channel)),
        registry=artifactregistry_v1.ArtifactRegistryClient(transport=ArtifactRegistryGrpcTransport(channel=channel)),
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A world as `sandbox init` seeds it (preset included), made once for the module."""
    root = tmp_path_factory.mktemp("seeded")
    world = World(root)
    seed_world(world)
    with world.mutate() as data:
        data["faults"]["operation_seconds"] = 0.05
    return root


@pytest.fixture(scope="module")
def after_first_project(seeded: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded world once the learner created their first project (as chapter 7 does)."""
    root = tmp_path_factory.mktemp("first-project")
    shutil.copy(seeded / WORLD_FILE, root / WORLD_FILE)
    cloud = connect(root)
    try:
        cloud.create_project(PROJECT)
    finally:
        cloud.close()
    return root


def _copy(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "world"
    root.mkdir()
    shutil.copy(template / WORLD_FILE, root / WORLD_FILE)
    return root


@pytest.fixture
def fresh(seeded: Path, tmp_path: Path) -> Iterator[Cloud]:
    cloud = connect(_copy(seeded, tmp_path))
    yield cloud
    cloud.close()


@pytest.fixture
def cloud(after_first_project: Path, tmp_path: Path) -> Iterator[Cloud]:
    cloud = connect(_copy(after_first_project, tmp_path))
    yield cloud
    cloud.close()


# -- the preset --------------------------------------------------------------------------
def test_the_preset_lands_in_the_first_created_project_only(fresh: Cloud) -> None:
    preset = fresh.world.read()["sandbox"]["chapter13"]
    assert preset == {
        "cluster": {"name": CLUSTER, "location": ZONE},
        "registry": {"name": REGISTRY, "location": REGION},
    }

    fresh.create_project(PROJECT)
    fresh.create_project("second-project")

    data = fresh.world.read()
    assert data["sandbox"]["chapter13"]["applied_to"] == PROJECT
    first = data["projects"][PROJECT]
    assert list(first["gke_clusters"]) == [f"{ZONE}/{CLUSTER}"]
    assert list(first["artifact_repositories"]) == [f"{REGION}/{REGISTRY}"]
    assert first["artifact_repositories"][f"{REGION}/{REGISTRY}"]["format"] == "DOCKER"
    assert {
        "container.googleapis.com",
        "artifactregistry.googleapis.com",
        "compute.googleapis.com",
    } <= set(first["services"])

    second = data["projects"]["second-project"]
    assert not second.get("gke_clusters") and not second.get("artifact_repositories")
    assert second["services"] == sorted(DEFAULT_SERVICES)  # Google's defaults, no GKE
    with pytest.raises(gexc.PermissionDenied) as caught:
        fresh.gke.get_cluster(name=f"projects/second-project/locations/{ZONE}/clusters/{CLUSTER}")
    assert caught.value.reason == "SERVICE_DISABLED"


def test_a_world_without_a_preset_creates_plain_projects(fresh: Cloud) -> None:
    with fresh.world.mutate() as data:
        del data["sandbox"]["chapter13"]
    fresh.create_project(PROJECT)
    project = fresh.world.read()["projects"][PROJECT]
    assert project["services"] == sorted(DEFAULT_SERVICES) and "gke_clusters" not in project


# -- GKE ---------------------------------------------------------------------------------
def test_get_cluster_by_name_and_by_legacy_fields(cloud: Cloud) -> None:
    cluster = cloud.gke.get_cluster(name=CLUSTER_NAME)
    assert cluster.name == CLUSTER
    assert cluster.location == ZONE and cluster.zone == ZONE
    assert cluster.status == container_v1.Cluster.Status.RUNNING
    assert cluster.endpoint and cluster.current_master_version
    assert cluster.self_link == (
        f"https://container.googleapis.com/v1/projects/{PROJECT}/zones/{ZONE}/clusters/{CLUSTER}"
    )
    assert [pool.name for pool in cluster.node_pools] == ["default-pool"]
    assert cluster.node_pools[0].config.machine_type == "e2-standard-2"
    assert cluster.node_pools[0].status == container_v1.NodePool.Status.RUNNING

    legacy = cloud.gke.get_cluster(
        request=container_v1.GetClusterRequest(project_id=PROJECT, zone=ZONE, cluster_id=CLUSTER)
    )
    assert legacy == cluster


def test_list_clusters_in_every_location_or_one(cloud: Cloud) -> None:
    everywhere = cloud.gke.list_clusters(parent=f"projects/{PROJECT}/locations/-")
    assert [(c.name, c.location) for c in everywhere.clusters] == [(CLUSTER, ZONE)]
    in_zone = cloud.gke.list_clusters(parent=f"projects/{PROJECT}/locations/{ZONE}")
    assert [c.name for c in in_zone.clusters] == [CLUSTER]
    assert not cloud.gke.list_clusters(parent=f"projects/{PROJECT}/locations/europe-west6-b").clusters
    legacy = cloud.gke.list_clusters(request=container_v1.ListClustersRequest(project_id=PROJECT, zone="-"))
    assert [c.name for c in legacy.clusters] == [CLUSTER]


@pytest.mark.parametrize(
    ("location", "name"), [("europe-west6-b", CLUSTER), (ZONE, "other-cluster"), (REGION, CLUSTER)]
)
def test_another_zone_or_name_is_not_found(cloud: Cloud, location: str, name: str) -> None:
    wanted = f"projects/{PROJECT}/locations/{location}/clusters/{name}"
    with pytest.raises(gexc.NotFound) as caught:
        cloud.gke.get_cluster(name=wanted)
    assert caught.value.message == f"Not found: {wanted}."


# -- Artifact Registry -------------------------------------------------------------------
def test_get_and_list_repositories(cloud: Cloud) -> None:
    repository = cloud.registry.get_repository(name=REPOSITORY_NAME)
    assert repository.name == REPOSITORY_NAME
    assert repository.format_ == artifactregistry_v1.Repository.Format.DOCKER
    assert repository.create_time is not None and repository.create_time.year >= 2024

    listed = list(cloud.registry.list_repositories(parent=f"projects/{PROJECT}/locations/{REGION}"))
    assert [r.name for r in listed] == [REPOSITORY_NAME]
    assert not list(cloud.registry.list_repositories(parent=f"projects/{PROJECT}/locations/us-central1"))


@pytest.mark.parametrize(("location", "name"), [("europe-west1", REGISTRY), (REGION, "other-registry")])
def test_another_repository_is_not_found(cloud: Cloud, location: str, name: str) -> None:
    with pytest.raises(gexc.NotFound):
        cloud.registry.get_repository(name=f"projects/{PROJECT}/locations/{location}/repositories/{name}")


# -- deletions (clean-up --include-chapter-13) ----------------------------------------------
def test_a_deleted_cluster_is_gone_and_deleting_it_again_is_not_found(cloud: Cloud) -> None:
    operation = cloud.gke.delete_cluster(name=CLUSTER_NAME)
    assert operation.status == container_v1.Operation.Status.DONE
    assert operation.operation_type == container_v1.Operation.Type.DELETE_CLUSTER
    with pytest.raises(gexc.NotFound):
        cloud.gke.get_cluster(name=CLUSTER_NAME)
    assert not cloud.gke.list_clusters(parent=f"projects/{PROJECT}/locations/-").clusters
    with pytest.raises(gexc.NotFound):
        cloud.gke.delete_cluster(name=CLUSTER_NAME)


def test_a_deleted_repository_is_gone_once_its_operation_ends(cloud: Cloud) -> None:
    cloud.registry.delete_repository(name=REPOSITORY_NAME).result(polling=FAST)
    with pytest.raises(gexc.NotFound):
        cloud.registry.get_repository(name=REPOSITORY_NAME)
    with pytest.raises(gexc.NotFound):
        cloud.registry.delete_repository(name=REPOSITORY_NAME)


# -- errors shared by both ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("service", "title"),
    [
        ("container.googleapis.com", "Kubernetes Engine API"),
        ("artifactregistry.googleapis.com", "Artifact Registry API"),
    ],
)
def test_a_disabled_api_is_service_disabled(cloud: Cloud, service: str, title: str) -> None:
    with cloud.world.mutate() as data:
        data["projects"][PROJECT]["services"].remove(service)
    calls = {
        "container.googleapis.com": lambda: cloud.gke.get_cluster(name=CLUSTER_NAME),
        "artifactregistry.googleapis.com": lambda: cloud.registry.get_repository(name=REPOSITORY_NAME),
    }
    with pytest.raises(gexc.PermissionDenied) as caught:
        calls[service]()
    assert caught.value.reason == "SERVICE_DISABLED"
    assert caught.value.message.startswith(f"{title} has not been used in project {PROJECT} before or it is disabled.")
    info = next(d for d in caught.value.details if hasattr(d, "reason"))
    assert info.metadata["service"] == service
    other = next(s for s in calls if s != service)
    calls[other]()  # the other API is still on


@pytest.mark.parametrize("project", [SOMEONE_ELSES, "no-such-project-1"])
def test_a_project_that_is_not_the_learners_is_permission_denied(cloud: Cloud, project: str) -> None:
    requests = [
        lambda: cloud.gke.get_cluster(name=f"projects/{project}/locations/{ZONE}/clusters/{CLUSTER}"),
        lambda: cloud.gke.list_clusters(parent=f"projects/{project}/locations/-"),
        lambda: cloud.registry.get_repository(name=f"projects/{project}/locations/{REGION}/repositories/{REGISTRY}"),
        lambda: list(cloud.registry.list_repositories(parent=f"projects/{project}/locations/{REGION}")),
    ]
    for request in requests:
        with pytest.raises(gexc.PermissionDenied) as caught:
            request()
        assert caught.value.reason != "SERVICE_DISABLED"
    with pytest.raises(gexc.PermissionDenied) as caught:
        requests[0]()
    assert caught.value.message == (
        f'Required "container.clusters.get" permission(s) for "projects/{project}/locations/{ZONE}/clusters/{CLUSTER}".'
    )


def test_reads_are_counted_and_injected_failures_honoured(cloud: Cloud) -> None:
    cloud.gke.get_cluster(name=CLUSTER_NAME)
    cloud.registry.get_repository(name=REPOSITORY_NAME)
    by_service = cloud.world.read()["calls"]["by_service"]
    assert by_service["container"]["reads"] >= 1 and by_service["container"]["writes"] == 0
    assert by_service["artifactregistry"]["reads"] >= 1 and by_service["artifactregistry"]["writes"] == 0

    with cloud.world.mutate() as data:
        data["faults"]["fail"] = {
            "ClusterManager.GetCluster": "UNAVAILABLE",
            "ArtifactRegistry.GetRepository": "INTERNAL",
        }
    with pytest.raises(gexc.ServiceUnavailable):
        cloud.gke.get_cluster(name=CLUSTER_NAME, retry=None)
    with pytest.raises(gexc.InternalServerError):
        cloud.registry.get_repository(name=REPOSITORY_NAME, retry=None)


def test_the_targets_clients_reach_the_sandbox(cloud: Cloud) -> None:
    target = Target(
        kind="sandbox",
        grpc_addr=f"127.0.0.1:{cloud.port}",
        ca_file=str(cloud.world.root / "ca.pem"),
        env={"GOOGLE_APPLICATION_CREDENTIALS": str(tool_credentials_file(cloud.world))},
    )
    try:
        assert target.container() is target.container()
        assert target.container().get_cluster(name=CLUSTER_NAME).name == CLUSTER
        assert target.artifact_registry().get_repository(name=REPOSITORY_NAME).name == REPOSITORY_NAME
    finally:
        target.close()
