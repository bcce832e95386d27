"""How the world stores chapter 13's cluster and registry, without the client libraries' types.

Creating a project applies chapter 13's preset (`chapter13.py`) with these records; the GKE and
Artifact Registry fakes, which import their client libraries' types (about a tenth of a second),
are then loaded only when chapter 14 calls them.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from . import clock

# A GKE version of the guide's time (mid-2023); the sandbox never upgrades it.
GKE_VERSION = "1.27.3-gke.100"
# `gcloud container clusters create --machine-type=e2-standard-2 --num-nodes=2` (chapter 13).
MACHINE_TYPE = "e2-standard-2"
NODE_COUNT = 2


def cluster_record(project_id: str, name: str, location: str, now: float) -> dict[str, Any]:
    """A running cluster as the world stores it, shaped like the guide's chapter 13 cluster."""
    digest = hashlib.sha256(f"{project_id}/{location}/{name}".encode()).hexdigest()
    return {
        "name": name,
        "location": location,
        "status": "RUNNING",
        "id": digest,
        # TEST-NET-3 (RFC 5737): looks like the public IP Google hands out, reaches nothing.
        "endpoint": f"203.0.113.{int(digest[:2], 16) % 254 + 1}",
        "current_master_version": GKE_VERSION,
        "create_time": datetime.fromtimestamp(int(now), tz=timezone.utc).isoformat(),
        "node_pools": [
            {
                "name": "default-pool",
                "machine_type": MACHINE_TYPE,
                "node_count": NODE_COUNT,
                "version": GKE_VERSION,
                "status": "RUNNING",
            }
        ],
    }


def repository_record(name: str, location: str, now: float, format_: str = "DOCKER") -> dict[str, Any]:
    """A standard repository as the world stores it."""
    stamp = clock.iso(now)
    return {
        "name": name,
        "location": location,
        "format": format_,
        "description": "",
        "create_time": stamp,
        "update_time": stamp,
    }
