"""`.dvc/config` written by the wizard is byte for byte what `dvc remote add -d` and `dvc remote default` write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wizard.workspace.dvc_remote import with_default_remote

START = """[core]
    autostage = true
# kept by hand
['remote "storage"']
    url = s3://elsewhere/store
[cache]
    type = symlink
"""


def _dvc(repo: Path, *args: str) -> None:
    subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo, check=True, capture_output=True)


@pytest.mark.parametrize("start", ["", START], ids=["fresh dvc init", "a config edited by hand"])
def test_the_remote_is_added_and_made_default_as_dvc_itself_writes_it(tmp_path: Path, start: str) -> None:
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    _dvc(repo, "init", "-q")
    config = repo / ".dvc" / "config"
    config.write_text(start)
    _dvc(repo, "remote", "add", "-d", "data", "gs://mlops-jane-2024-data/dvcstore")
    added = config.read_text()
    assert with_default_remote(start, "data", "gs://mlops-jane-2024-data/dvcstore") == added
    _dvc(repo, "remote", "add", "other", "gs://other/store")
    before = config.read_text()
    _dvc(repo, "remote", "default", "other")
    assert with_default_remote(before, "other") == config.read_text()
