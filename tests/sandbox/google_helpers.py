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
    atomic_write_json(path, {"type": "authorized_user", "token": learner_token(world), "refresh_token": "unused",
                             "client_id": "unused", "client_secret": "unused",
                             "expiry": "2999-01-01T00:00:00Z"}, mode=0o600)
    json.loads(path.read_text())
    return path
