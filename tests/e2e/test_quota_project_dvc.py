"""DVC bills its calls to the chapter's project, whatever project the learner's login names.

gcloud may write a quota project into the application default credentials at login (or the
learner ran `set-quota-project` for an older course project). gcsfs, under DVC, then sends
`x-goog-user-project` with it, and Cloud Storage refuses a project the learner cannot bill
(https://cloud.google.com/docs/quotas/quota-project).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import copy_sandbox, trusted
from tests.support import PROJECT, git
from wizard.sandbox.auth import adc_path
from wizard.sandbox.server import Sandbox

pytestmark = pytest.mark.timeout(600)


def test_a_teammate_whose_login_bills_someone_elses_project_still_pulls_with_the_wizards_environment(
    chapter7_templates: Callable[[str], Path], tmp_path: Path
) -> None:
    sandbox = trusted(copy_sandbox(chapter7_templates("github"), tmp_path / "sandbox"))
    repo = sandbox / "learner-repo"
    with Sandbox.start(sandbox) as running:
        adc = adc_path(sandbox)
        login = json.loads(adc.read_text())
        adc.write_text(json.dumps({**login, "quota_project_id": "mlops-project"}))  # not the learner's

        def pull(into: Path, quota_project: str | None) -> subprocess.CompletedProcess[str]:
            subprocess.run(["git", "clone", "-q", git(repo, "remote", "get-url", "origin"), str(into)], check=True)
            target = running.target()
            try:
                target.set_quota_project(quota_project)
                env = target.tool_env()
            finally:
                target.close()
            return subprocess.run(
                [sys.executable, "-m", "dvc", "pull"], cwd=into, env=env, capture_output=True, text=True, timeout=180
            )

        refused = pull(tmp_path / "as-logged-in", None)  # what dvc does on its own
        assert refused.returncode != 0
        assert "does not have serviceusage.services.use access" in refused.stdout + refused.stderr

        pulled = pull(tmp_path / "teammate", PROJECT)  # the wizard has the chapter's project to bill
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    original = sorted(p.relative_to(repo).as_posix() for p in (repo / "data" / "raw").rglob("*") if p.is_file())
    assert original
    for name in original:
        assert (tmp_path / "teammate" / name).read_bytes() == (repo / name).read_bytes()
