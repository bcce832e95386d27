"""google.container.v1.ClusterManager: the learner's GKE clusters, read (and deleted by clean-up).

Chapter 14 only reads the cluster (GitHub's `get-gke-credentials` and the wizard's checks
call GetCluster), so the fake answers GetCluster and ListClusters from
`world["projects"][P]["gke_clusters"]["{location}/{name}"]`. Clusters get there through
the chapter 13 preset (see `chapter13.py`) or a test.

Both request styles work: the resource name (`projects/P/locations/L/clusters/C`, and
`projects/P/locations/-` to list every location) and the legacy fields `project_id`,
`zone`, `cluster_id` (zone `-` lists every zone). Errors, in Google's order: another
person's or a missing project is PERMISSION_DENIED ("Required "container.clusters.get"
permission(s) for ..." — Google's text), the Kubernetes Engine API switched off is
SERVICE_DISABLED, and a missing cluster is NOT_FOUND ("Not found: projects/P/locations/
L/clusters/C." — Google's text, naming the cluster the way the request did).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from google.cloud.container_v1.types import cluster_service as cs

from wizard.sandbox.world import World

from .access import learner_project
from .catalog import SERVICES
from .errors import invalid_argument, not_found, permission_denied, service_disabled
from .rpc import Rpc, service_handler

CONTAINER_SERVICE = "container.googleapis.com"
API_ROOT = "https://container.googleapis.com/v1"

_CLUSTER_NAME = re.compile(r"^projects/([^/]+)/locations/([^/]+)/clusters/([^/]+)$")
_PARENT = re.compile(r"^projects/([^/]+)/locations/([^/]+)$")
_ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")
ALL_LOCATIONS = "-"


def is_zone(location: str) -> bool:
    return bool(_ZONE.match(location))


def _self_link(project_id: str, location: str, name: str) -> str:
    kind = "zones" if is_zone(location) else "locations"
    return f"{API_ROOT}/projects/{project_id}/{kind}/{location}/clusters/{name}"


def cluster_message(project: dict[str, Any], record: dict[str, Any]) -> cs.Cluster:
    project_id = project["project_id"]
    location = record["location"]
    self_link = _self_link(project_id, location, record["name"])
    zones = [location] if is_zone(location) else [f"{location}-{z}" for z in "abc"]
    pools = [
        cs.NodePool(
            name=pool["name"],
            config=cs.NodeConfig(machine_type=pool["machine_type"], disk_size_gb=100, image_type="COS_CONTAINERD"),
            initial_node_count=int(pool["node_count"]),
            locations=zones,
            self_link=f"{self_link}/nodePools/{pool['name']}",
            version=pool["version"],
            status=cs.NodePool.Status[pool.get("status", "RUNNING")],
        )
        for pool in record.get("node_pools", [])
    ]
    nodes = sum(int(pool["node_count"]) * len(zones) for pool in record.get("node_pools", []))
    return cs.Cluster(
        name=record["name"],
        location=location,
        zone=location,  # deprecated field, still filled by Google
        locations=zones,
        status=cs.Cluster.Status[record.get("status", "RUNNING")],
        endpoint=record["endpoint"],
        initial_cluster_version=record["current_master_version"],
        current_master_version=record["current_master_version"],
        current_node_version=record["current_master_version"],
        current_node_count=nodes,
        create_time=record["create_time"],
        self_link=self_link,
        id=record["id"],
        network="default",
        subnetwork="default",
        logging_service="logging.googleapis.com/kubernetes",
        monitoring_service="monitoring.googleapis.com/kubernetes",
        node_pools=pools,
    )


def _required(permission: str, resource: str):
    """GKE's own 403 for a project one may not use (Google's text)."""
    return permission_denied(f'Required "{permission}" permission(s) for "{resource}".')


class ClusterManagerService:
    def __init__(self, world: World) -> None:
        self.world = world

    def _project(self, data: dict[str, Any], ref: str, permission: str, resource: str) -> dict[str, Any]:
        project = learner_project(data, ref, allow_deleted=False, denied=_required(permission, resource))
        if CONTAINER_SERVICE not in project.get("services", []):
            raise service_disabled(CONTAINER_SERVICE, SERVICES[CONTAINER_SERVICE].title, ref)
        return project

    def get_cluster(self, request: cs.GetClusterRequest) -> cs.Cluster:
        if request.name:
            match = _CLUSTER_NAME.match(request.name)
            if not match:
                raise invalid_argument(
                    f"Invalid cluster name {request.name!r}; expected "
                    "projects/{project}/locations/{location}/clusters/{cluster}.",
                    "name",
                )
            ref, location, name = match.groups()
            resource = request.name
        elif request.project_id and request.zone and request.cluster_id:
            ref, location, name = request.project_id, request.zone, request.cluster_id
            resource = f"projects/{ref}/zones/{location}/clusters/{name}"
        else:
            raise invalid_argument("Either name or project_id, zone and cluster_id must be set.", "name")
        data = self.world.read()
        project = self._project(data, ref, "container.clusters.get", resource)
        record = project.get("gke_clusters", {}).get(f"{location}/{name}")
        if record is None:
            raise not_found(f"Not found: {resource}.")
        return cluster_message(project, record)

    def list_clusters(self, request: cs.ListClustersRequest) -> cs.ListClustersResponse:
        if request.parent:
            match = _PARENT.match(request.parent)
            if not match:
                raise invalid_argument(
                    f"Invalid parent {request.parent!r}; expected projects/{{project}}/locations/{{location}}.",
                    "parent",
                )
            ref, location = match.groups()
        elif request.project_id and request.zone:
            ref, location = request.project_id, request.zone
        else:
            raise invalid_argument("Either parent or project_id and zone must be set.", "parent")
        data = self.world.read()
        project = self._project(data, ref, "container.clusters.list", f"projects/{ref}")
        records = sorted(project.get("gke_clusters", {}).values(), key=lambda r: (r["location"], r["name"]))
        found = [r for r in records if location == ALL_LOCATIONS or r["location"] == location]
        return cs.ListClustersResponse(clusters=[cluster_message(project, r) for r in found])

    def delete_cluster(self, request: cs.DeleteClusterRequest) -> cs.Operation:
        """Clean-up's --include-chapter-13 (https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/
        projects.locations.clusters/delete): "Deletes the cluster, including the Kubernetes endpoint and all
        worker nodes." Google answers with a RUNNING operation that takes minutes; the sandbox finishes at once
        and answers DONE, which the clients accept as the end of the operation."""
        match = _CLUSTER_NAME.match(request.name or "")
        if not match:
            raise invalid_argument(f"Invalid cluster name {request.name!r}.", "name")
        ref, location, name = match.groups()
        with self.world.mutate() as data:
            project = self._project(data, ref, "container.clusters.delete", request.name)
            if project.get("gke_clusters", {}).pop(f"{location}/{name}", None) is None:
                raise not_found(f"Not found: {request.name}.")
        digest = hashlib.sha256(f"delete/{request.name}".encode()).hexdigest()[:16]
        return cs.Operation(
            name=f"operation-{digest}",
            zone=location,
            status=cs.Operation.Status.DONE,
            operation_type=cs.Operation.Type.DELETE_CLUSTER,
            self_link=f"{API_ROOT}/projects/{ref}/locations/{location}/operations/operation-{digest}",
            target_link=_self_link(ref, location, name),
        )

    def handler(self):
        return service_handler(
            self.world,
            "google.container.v1.ClusterManager",
            "container",
            [
                Rpc("GetCluster", cs.GetClusterRequest, cs.Cluster, self.get_cluster, write=False),
                Rpc("DeleteCluster", cs.DeleteClusterRequest, cs.Operation, self.delete_cluster, write=True),
                Rpc(
                    "ListClusters",
                    cs.ListClustersRequest,
                    cs.ListClustersResponse,
                    self.list_clusters,
                    write=False,
                ),
            ],
        )
