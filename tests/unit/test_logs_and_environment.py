"""What reaches a log is stripped of secrets; what the tools run with keeps loopback off any proxy."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from wizard import logs
from wizard.sandbox.control_plane.key_material import credentials_json, generate
from wizard.sandbox.world import World
from wizard.workspace.proc import quiet_environment, without_proxy_for_loopback


@pytest.fixture(scope="module")
def key_json() -> bytes:
    return credentials_json(
        generate(2048), "mlops-learner-4242", "dvc@mlops-learner-4242.iam.gserviceaccount.com", "123456789"
    )


def test_a_key_in_any_shape_is_redacted_but_commit_ids_and_paths_stay(key_json: bytes):
    key = json.loads(key_json)
    pem_line = key["private_key"].splitlines()[2]
    encoded = base64.b64encode(key_json).decode()
    text = "\n".join(
        [
            f"the file: {key_json.decode()}",
            f"the dict: {key!r}",
            f"GitLab's variable: {encoded}",
            "commit 3f2a9c1d4e5b6a7980c1d2e3f4a5b6c7d8e9f0a1 on main",
            '  File "/home/learner/.local/share/pipx/venvs/mlops-wizard/lib/python3.12/site-packages/wizard/cli.py"',
        ]
    )
    clean = logs.redact(text)
    assert pem_line not in clean and "BEGIN PRIVATE KEY" not in clean and encoded[200:260] not in clean
    assert "3f2a9c1d4e5b6a7980c1d2e3f4a5b6c7d8e9f0a1" in clean
    assert "/home/learner/.local/share/pipx/venvs/mlops-wizard/lib/python3.12/site-packages/wizard/cli.py" in clean


def test_tokens_are_redacted_by_value_and_by_shape(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GITLAB_TOKEN", "an-odd-token-from-the-environment")
    logs.remember_secret("sandbox-token-0123456789abcdef")
    text = (
        "GET https://jane:hunter2secret@gitlab.example.org/api/v4/user Authorization: Bearer abc.def "
        "ghp_0123456789abcdefghijABCDEFGHIJ012345 glpat-0123456789abcdefABCD "
        "an-odd-token-from-the-environment sandbox-token-0123456789abcdef"
    )
    clean = logs.redact(text)
    for secret in (
        "hunter2secret",
        "abc.def",
        "ghp_0123456789",
        "glpat-0123456789",
        "an-odd-token",
        "sandbox-token-0123456789abcdef",
    ):
        assert secret not in clean
    assert "gitlab.example.org/api/v4/user" in clean


def test_loopback_is_added_to_the_users_no_proxy_which_is_kept():
    env = quiet_environment({"HTTPS_PROXY": "http://proxy.corp:3128", "no_proxy": ".corp,10.0.0.0/8"})
    assert env["HTTPS_PROXY"] == "http://proxy.corp:3128"  # real traffic still goes through the proxy
    for name in ("NO_PROXY", "no_proxy"):
        entries = env[name].split(",")
        assert entries[:2] == [".corp", "10.0.0.0/8"]
        assert {"127.0.0.1", "localhost"} <= set(entries)
    assert env["DVC_NO_ANALYTICS"] == "1" and env["PIP_DISABLE_PIP_VERSION_CHECK"] == "1"
    assert without_proxy_for_loopback("*") == "*"
    assert without_proxy_for_loopback("localhost,127.0.0.1").split(",") == ["localhost", "127.0.0.1", "::1"]


def test_the_sandbox_world_file_is_readable_by_its_owner_only(tmp_path: Path):
    world = World(tmp_path)
    with world.mutate() as data:
        data["faults"]["operation_seconds"] = 0.1
    assert stat.S_IMODE(world.path.stat().st_mode) == 0o600
