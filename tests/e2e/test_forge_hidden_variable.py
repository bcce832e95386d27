"""A GitLab variable made "masked and hidden": GitLab never shows its value again."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tests.support import ci_world, key_file, run_chapter
from wizard.sandbox.gitlab_api import sandbox_gitlab_token
from wizard.sandbox.server import Sandbox
from wizard.sandbox.world import World

KEY = "DVC_GCP_SERVICE_ACCOUNT_KEY"


@pytest.mark.parametrize("forge", ["gitlab"], indirect=True)
def test_a_hidden_variable_is_stored_once_then_left_alone(after_ch8: Path, forge: str, tmp_path: Path):
    """A teammate re-created the key variable as "masked and hidden" (GitLab's safest visibility).

    The wizard cannot read it back: it stores the key once more, the way GitLab allows (the value
    only; the visibility cannot change), records when, and from then on writes nothing.
    """
    import gitlab

    home = tmp_path / "home-2"
    home.mkdir()
    value = base64.b64encode(key_file(after_ch8).read_bytes()).decode()
    with Sandbox.start(after_ch8) as sandbox:
        client = gitlab.Gitlab(sandbox.endpoints.forge_url, private_token=sandbox_gitlab_token(World(after_ch8)))
        project = client.projects.get("learner/mlops-guide")
        project.variables.delete(KEY)
        project.variables.create({"key": KEY, "value": value, "masked_and_hidden": True, "raw": True})

    first = run_chapter(after_ch8, 8, home)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "could not be verified" not in first.stdout + first.stderr
    secret = ci_world(after_ch8)["secret"]
    assert secret["hidden"] and secret["masked"] and not secret["protected"] and secret["raw"]
    (key_id,) = ci_world(after_ch8)["account"]["keys"]
    assert secret["private_key_id"] == key_id

    writes = ci_world(after_ch8)["calls"]["writes"]
    again = run_chapter(after_ch8, 8, home)
    assert again.returncode == 0, again.stdout + again.stderr
    assert ci_world(after_ch8)["calls"]["writes"] == writes  # the second run writes nothing
    assert ci_world(after_ch8)["secret"]["hidden"]
