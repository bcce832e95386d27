"""Access tokens on the storage path: checked once per token for speed, refused exactly as before.

A `dvc push` sends the same bearer token with each of its thousands of calls; the sandbox checks
its signature once and its expiry on every call.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sandbox.google_helpers import learner_token
from tests.sandbox.storage_helpers import seed_storage_world
from wizard.sandbox import auth
from wizard.sandbox.storage import start_storage
from wizard.sandbox.world import LEARNER, World

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def world(tmp_path: Path) -> World:
    world = World(tmp_path / "sandbox")
    seed_storage_world(world)
    return world


def test_a_token_accepted_while_fresh_is_refused_once_it_expired(world, monkeypatch):
    token = auth.mint_access_token(world, auth.Principal(LEARNER, "user"), seconds=60)
    assert auth.principal_of(world, f"Bearer {token}").email == LEARNER
    later = auth.time.time() + 120
    monkeypatch.setattr(auth.time, "time", lambda: later)
    with pytest.raises(auth.AuthFailure, match="expired"):
        auth.principal_of(world, f"Bearer {token}")


def test_a_token_altered_after_the_good_one_was_used_is_refused(world):
    token = learner_token(world)
    assert auth.principal_of(world, f"Bearer {token}").email == LEARNER
    payload, _, mac = token.partition(".")
    for altered in (f"{payload}.{mac[:-2]}AA", f"{payload[:-2]}x.{mac}"):
        with pytest.raises(auth.AuthFailure):
            auth.principal_of(world, f"Bearer {altered}")


def test_a_revoked_login_stops_a_token_the_storage_already_accepted(world, tmp_path):
    import requests

    from wizard.sandbox.tls import ensure_tls

    token = learner_token(world)
    with start_storage(world, tmp_path / "sandbox" / "storage") as server:
        url = f"{server.url}/storage/v1/b/mlops-bucket"
        ca = str(ensure_tls(world.root).ca)
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(url, headers=headers, verify=ca).status_code == 403  # someone else's bucket
        with world.mutate() as data:
            data["faults"]["credentials"] = "revoked"
        refused = requests.get(url, headers=headers, verify=ca)
        assert refused.status_code == 401
        assert refused.json()["error"]["message"] == "Invalid Credentials"
