"""Reaching the sandbox's Google fakes from tests as any client reaches Google: TLS and a bearer token.

Tests that start one fake on its own (no token endpoint running) get an access token minted by
the sandbox for the learner; stories that run the whole sandbox use the learner's ADC file
and google-auth's real refresh instead (see `official_clients`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grpc

from wizard.sandbox.auth import Principal, mint_access_token
from wizard.sandbox.tls import ensure_tls
from wizard.sandbox.world import LEARNER, World


def learner_token(world: World, email: str = LEARNER, kind: str = "user") -> str:
    return mint_access_token(world, Principal(email, kind))


def sandbox_channel(world: World, port: int, token: str | None = None) -> grpc.Channel:
    """A TLS channel to the control plane, trusting the sandbox's CA, sending the learner's token."""
    roots = grpc.ssl_channel_credentials(ensure_tls(world.root).ca_pem())
    call = grpc.access_token_call_credentials(token or learner_token(world))
    return grpc.secure_channel(f"127.0.0.1:{port}", grpc.composite_channel_credentials(roots, call))


def anonymous_channel(world: World, port: int) -> grpc.Channel:
    """TLS without any credential: what a client that forgot to log in sends."""
    return grpc.secure_channel(f"127.0.0.1:{port}", grpc.ssl_channel_credentials(ensure_tls(world.root).ca_pem()))


def token_credentials(world: World, email: str = LEARNER, kind: str = "user") -> Any:
    from google.oauth2.credentials import Credentials

    return Credentials(learner_token(world, email, kind))


def authorized_session(world: World, creds: Any) -> Any:
    from google.auth.transport.requests import AuthorizedSession

    session = AuthorizedSession(creds)
    session.verify = str(ensure_tls(world.root).ca)
    session.trust_env = False  # REQUESTS_CA_BUNDLE of the machine would win over `verify`
    return session


def tool_credentials_file(world: World) -> Path:
    """An ADC-shaped file with a fresh learner token, for dvc (gcsfs) in a subprocess."""
    from wizard.fsutil import atomic_write_json

    path = Path(world.root) / "gcloud" / "tools" / "tests-adc.json"
    atomic_write_json(
        path,
        {
            "type": "authorized_user",
            "token": learner_token(world),
            "refresh_token": "unused",
            "client_id": "unused",
            "client_secret": "unused",
            "expiry": "2999-01-01T00:00:00Z",
        },
        mode=0o600,
    )
    json.loads(path.read_text())
    return path


def official_clients(root: Path, quota_project: str | None = None) -> dict[str, Any]:
    """The official clients as any program would point them at a running sandbox.

    Only public knobs: the learner's ADC file (google-auth's loader), the token endpoint and
    `client_options={"api_endpoint": …}` read from `DIR/endpoints.json`, and TLS trusting
    `DIR/ca.pem`. The caller sets REQUESTS_CA_BUNDLE to that CA for google-auth's refreshes.
    """
    from functools import partial

    from google.cloud import billing_v1, resourcemanager_v3, service_usage_v1, storage
    from google.cloud.billing_v1.services.cloud_billing.transports import CloudBillingGrpcTransport
    from google.cloud.resourcemanager_v3.services.projects.transports import ProjectsGrpcTransport
    from google.cloud.service_usage_v1.services.service_usage.transports import ServiceUsageGrpcTransport
    from google.oauth2.credentials import Credentials

    endpoints = json.loads((root / "endpoints.json").read_text())
    creds = Credentials.from_authorized_user_file(
        str(root / "gcloud" / "application_default_credentials.json"),
        scopes=["https://www.googleapis.com/auth/cloud-platform"],
    )
    creds = creds.with_token_uri(endpoints["token_uri"])  # google-auth sends user refreshes to Google otherwise
    if quota_project:
        creds = creds.with_quota_project(quota_project)
    roots = grpc.ssl_channel_credentials((root / "ca.pem").read_bytes())
    grpc_options = {"api_endpoint": endpoints["grpc"]}

    def tls(transport: Any) -> Any:
        return partial(transport, ssl_channel_credentials=roots)

    return {
        "credentials": creds,
        "projects": resourcemanager_v3.ProjectsClient(
            credentials=creds, client_options=grpc_options, transport=tls(ProjectsGrpcTransport)
        ),
        "billing": billing_v1.CloudBillingClient(
            credentials=creds, client_options=grpc_options, transport=tls(CloudBillingGrpcTransport)
        ),
        "services": service_usage_v1.ServiceUsageClient(
            credentials=creds, client_options=grpc_options, transport=tls(ServiceUsageGrpcTransport)
        ),
        "storage": storage.Client(
            project=quota_project or "unused", credentials=creds, client_options={"api_endpoint": endpoints["storage"]}
        ),
    }
