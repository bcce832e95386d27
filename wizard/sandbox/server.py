"""Start, find and stop the whole sandbox: control plane (gRPC), storage, forge.

A sandbox folder holds `world.json` (the fake cloud), `storage/` (bucket contents),
`forge/` (git repositories), `ca.pem` (the CA its TLS certificates chain to), `gcloud/` (the
learner's application default credentials and key files) and, while it runs,
`endpoints.json`: `grpc` (host:port of the control plane), `storage` (the Cloud Storage base
URL, which also serves the OAuth token endpoint `token_uri`), `forge`, `ca` and `pid`, so any
official client can be pointed at the sandbox with `client_options` alone. A wizard
given `--sandbox DIR` uses the sandbox already running for DIR (a `sandbox serve`, or
another wizard) if there is one, else starts it in-process on the ports recorded at init.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from wizard.engine.errors import WizardError
from wizard.fsutil import atomic_write_json
from wizard.sandbox.auth import GCLOUD_DIR, SIGNED_OUT_DIR, adc_path
from wizard.sandbox.tls import tls_files
from wizard.sandbox.world import World

ENDPOINTS_FILE = "endpoints.json"
STORAGE_DIR = "storage"
FORGE_DIR = "forge"
HOST = "127.0.0.1"


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _not_a_sandbox(root: Path) -> WizardError:
    return WizardError(
        what=f"{root} is not a sandbox folder.",
        why="It has no world.json.",
        fix=f"Create one with `mlops-wizard sandbox init {root}` (or `mlops-wizard demo`).",
    )


@dataclass
class Endpoints:
    pid: int
    grpc: int
    storage: int
    forge: int

    @property
    def grpc_addr(self) -> str:
        return f"{HOST}:{self.grpc}"

    @property
    def storage_url(self) -> str:
        return f"https://{HOST}:{self.storage}"

    @property
    def token_uri(self) -> str:
        return f"{self.storage_url}/token"

    @property
    def forge_url(self) -> str:
        return f"https://{HOST}:{self.forge}"

    def to_json(self, root: Path) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "grpc": self.grpc_addr,
            "storage": self.storage_url,
            "token_uri": self.token_uri,
            "forge": self.forge_url,
            "ca": str(Path(root) / "ca.pem"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Endpoints:
        def port(value: Any) -> int:
            return int(str(value).rstrip("/").rsplit(":", 1)[-1])

        return cls(int(data["pid"]), port(data["grpc"]), port(data["storage"]), port(data["forge"]))


@dataclass
class Sandbox:
    """A running sandbox, either ours (in-process, `owned`) or someone else's we attached to."""

    root: Path
    endpoints: Endpoints
    owned: bool = False
    _handles: list[Any] = field(default_factory=list, repr=False)
    world: World | None = None

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def start(cls, root: Path | str) -> Sandbox:
        """Start every service in this process on the ports recorded in the world."""
        from wizard.sandbox.control_plane import start_control_plane
        from wizard.sandbox.forge import start_forge
        from wizard.sandbox.storage import start_storage

        root = Path(root).resolve()
        world = World(root)
        if not world.exists():
            raise _not_a_sandbox(root)
        ports = world.read().get("ports", {})
        handles: list[Any] = []
        try:
            grpc_server, grpc_port = _bind(
                "control plane", lambda p: start_control_plane(world, HOST, p), ports.get("grpc", 0)
            )
            handles.append(_GrpcHandle(grpc_server))
            storage = _bind(
                "storage", lambda p: start_storage(world, root / STORAGE_DIR, HOST, p), ports.get("storage", 0)
            )
            handles.append(storage)
            forge = _bind("forge", lambda p: start_forge(world, root / FORGE_DIR, HOST, p), ports.get("forge", 0))
            handles.append(forge)
            forges = world.read().get("forges", {})
            if "github" in forges:
                from wizard.sandbox.github_api import mount_github

                mount_github(forge, world)
            if "gitlab" in forges:
                from wizard.sandbox.gitlab_api import mount_gitlab

                mount_gitlab(forge, world)
        except BaseException:
            for handle in reversed(handles):
                handle.stop()
            raise
        endpoints = Endpoints(os.getpid(), grpc_port, storage.port, forge.port)
        from wizard.sandbox.init import upgrade_demo_origin

        upgrade_demo_origin(root)  # made when the forge spoke plain HTTP
        from wizard.sandbox.auth import write_learner_login

        write_learner_login(world, endpoints.token_uri)  # the token endpoint's port may have changed
        atomic_write_json(root / ENDPOINTS_FILE, endpoints.to_json(root))
        return cls(root, endpoints, owned=True, _handles=handles, world=world)

    @classmethod
    def running(cls, root: Path | str) -> Sandbox | None:
        """The sandbox already serving `root` in another process, if any."""
        root = Path(root).resolve()
        try:
            data = json.loads((root / ENDPOINTS_FILE).read_text("utf-8"))
            endpoints = Endpoints.from_json(data)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        if endpoints.pid == os.getpid() or not _alive(endpoints.pid):
            return None
        if not _answers(HOST, endpoints.grpc):
            return None
        return cls(root, endpoints, owned=False, world=World(root))

    @classmethod
    def attach(cls, root: Path | str) -> Sandbox:
        """Use the running sandbox for `root`, or start it here."""
        return cls.running(root) or cls.start(root)

    def stop(self) -> None:
        if not self.owned:
            return
        for handle in reversed(self._handles):
            handle.stop()
        self._handles.clear()
        try:
            data = json.loads((self.root / ENDPOINTS_FILE).read_text("utf-8"))
            if data.get("pid") == os.getpid():
                (self.root / ENDPOINTS_FILE).unlink()
        except (OSError, ValueError):
            pass
        self.owned = False

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- for the wizard -------------------------------------------------------------------
    def target(self) -> Any:
        from wizard.gcp.target import Target

        world = (self.world or World(self.root)).read()
        forge_kind = world.get("sandbox", {}).get("forge", "github")
        return Target(
            kind="sandbox",
            label=f"the sandbox in {self.root}",
            short_label="the sandbox",
            grpc_addr=self.endpoints.grpc_addr,
            storage_url=self.endpoints.storage_url,
            sandbox_dir=str(self.root),
            ca_file=str(tls_files(self.root).ca),
            env=sandbox_env(self.root, world),
            keys_dir=str(self.root / GCLOUD_DIR),
            token_uri=self.endpoints.token_uri,
            tool_credentials_dir=str(self.root / GCLOUD_DIR / "tools"),
            forge_kind=forge_kind,
            forge_url=self.endpoints.forge_url,
            forge_name=f"the sandbox's {'GitLab' if forge_kind == 'gitlab' else 'GitHub'}",
            forge_token=partial(learner_forge_token, self.root, forge_kind),
            forge_fast=True,
            poll_initial=0.05,
            poll_maximum=0.5,
            watch_poll=0.25,
            watch_limit=120.0,
            watch_longest=1.0,
        )


def learner_forge_token(root: Path, kind: str) -> str | None:
    """The learner's token on the sandbox's forge, as the world holds it now (it may be revoked later)."""
    world = World(root)
    if kind == "gitlab":
        from wizard.sandbox.gitlab_api import sandbox_gitlab_token

        return sandbox_gitlab_token(world)
    from wizard.sandbox.github_api import sandbox_github_token

    return sandbox_github_token(world)


def sandbox_env(root: Path, world: dict[str, Any]) -> dict[str, str | None]:
    """The variables that make google-auth, requests, gRPC, OpenSSL (aiohttp) and git use the
    sandbox's login and trust its CA, in the wizard and in its subprocesses. Never system-wide.

    `faults.credentials = missing`: google-auth looks where gcloud keeps a login and finds none.
    """
    ca = str(tls_files(root).ca)
    env: dict[str, str | None] = {
        "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": ca,
        "REQUESTS_CA_BUNDLE": ca,
        "SSL_CERT_FILE": ca,
        "GIT_SSL_CAINFO": ca,  # the sandbox's forge serves git over HTTPS with this CA
        "NO_GCE_CHECK": "true",  # no probe of a metadata server: this is not a Google VM
        "GOOGLE_CLOUD_QUOTA_PROJECT": None,
    }
    if (world.get("faults", {}).get("credentials") or "valid") == "missing":
        signed_out = root / SIGNED_OUT_DIR
        signed_out.mkdir(exist_ok=True)
        env.update({"GOOGLE_APPLICATION_CREDENTIALS": None, "CLOUDSDK_CONFIG": str(signed_out)})
    else:
        env.update({"GOOGLE_APPLICATION_CREDENTIALS": str(adc_path(root)), "CLOUDSDK_CONFIG": str(root / GCLOUD_DIR)})
    return env


class _GrpcHandle:
    def __init__(self, server: Any) -> None:
        self.server = server

    def stop(self) -> None:
        self.server.stop(grace=None).wait()


def _bind(name: str, start: Any, port: int) -> Any:
    try:
        return start(port)
    except (OSError, RuntimeError) as exc:
        raise WizardError(
            what=f"The sandbox's {name} could not listen on 127.0.0.1:{port}.",
            why=f"The port is in use ({exc}); another sandbox may be running from another folder.",
            fix="Stop the other `mlops-wizard sandbox serve` (or demo), then run this again.",
            retryable=True,
        ) from None


def inspect(root: Path | str) -> dict[str, Any]:
    """The whole fake world as plain data, for tests and curious learners. Never a secret."""
    from wizard.sandbox.storage import object_names

    root = Path(root).resolve()
    world = World(root)
    if not world.exists():
        raise _not_a_sandbox(root)
    data = world.read()
    projects = {}
    for pid, project in data.get("projects", {}).items():
        policy = project.get("iam_policy", {})
        projects[pid] = {
            "owner": project.get("owner"),
            "number": project.get("number"),
            "state": project.get("state"),
            "billing_account": project.get("billing_account"),
            "services": sorted(project.get("services", [])),
            "iam_bindings": {b["role"]: sorted(b.get("members", [])) for b in policy.get("bindings", [])},
            "service_accounts": {
                email: {"display_name": sa.get("display_name"), "keys": sorted(sa.get("keys", {}))}
                for email, sa in project.get("service_accounts", {}).items()
            },
        }
    buckets = {}
    for name, bucket in data.get("buckets", {}).items():
        buckets[name] = {
            "project": bucket.get("project"),
            "owner": bucket.get("owner"),
            "location": bucket.get("location"),
            "uniform_access": bucket.get("uniform_access"),
            "public_access_prevention": bucket.get("public_access_prevention"),
            "objects": object_names(root / STORAGE_DIR, name) if bucket.get("owner") == data.get("learner") else [],
        }
    calls = data.get("calls", {})
    return {
        **_inspect_parts(data, projects, buckets, calls),
        "forges": _inspect_forges(world),
    }


def _inspect_forges(world: World) -> dict[str, Any]:
    """Secrets and variables by their fingerprints, runs by commit: never a value, a token or a key."""
    out: dict[str, Any] = {}
    forges = world.read().get("forges", {})
    if "github" in forges:
        from wizard.sandbox.github_api import settle_runs

        settle_runs(world)
        github = world.read()["forges"]["github"]
        out["github"] = {
            "repos": {
                path: {
                    "secrets": {
                        name: {
                            "private_key_id": s.get("private_key_id"),
                            "client_email": s.get("client_email"),
                            "valid_json_key": s.get("valid_json_key"),
                            "updated_at": s.get("updated_at"),
                        }
                        for name, s in repo.get("secrets", {}).items()
                    },
                    "runs": [
                        {
                            "sha": r["sha"],
                            "workflow": r.get("workflow_path"),
                            "status": r.get("status"),
                            "conclusion": r.get("conclusion"),
                        }
                        for r in repo.get("runs", [])
                    ],
                }
                for path, repo in github.get("repos", {}).items()
            }
        }
    if "gitlab" in forges:
        from wizard.sandbox.gitlab_api import pipeline_view

        gitlab = forges["gitlab"]
        failure = {"failed": "failure", "canceled": "cancelled"}
        out["gitlab"] = {
            "projects": {
                path: {
                    "variables": {
                        key: {
                            "masked": v.get("masked"),
                            "protected": v.get("protected"),
                            "raw": v.get("raw"),
                            "hidden": bool(v.get("hidden")),
                            "private_key_id": v.get("private_key_id"),
                            "client_email": v.get("client_email"),
                        }
                        for key, v in project.get("variables", {}).items()
                    },
                    "pipelines": [
                        {
                            "sha": view["sha"],
                            "status": view["status"],
                            "conclusion": failure.get(view["conclusion"], view["conclusion"]),
                        }
                        for view in (pipeline_view(p) for p in project.get("pipelines", []))
                    ],
                }
                for path, project in gitlab.get("projects", {}).items()
            }
        }
    return out


def _inspect_parts(
    data: dict[str, Any], projects: dict[str, Any], buckets: dict[str, Any], calls: dict[str, Any]
) -> dict[str, Any]:
    return {
        "learner": data.get("learner"),
        "ports": data.get("ports", {}),
        "billing_accounts": data.get("billing_accounts", {}),
        "projects": projects,
        "buckets": buckets,
        "calls": {
            "reads": calls.get("reads", 0),
            "writes": calls.get("writes", 0),
            "by_service": calls.get("by_service", {}),
        },
        "faults": data.get("faults", {}),
    }
