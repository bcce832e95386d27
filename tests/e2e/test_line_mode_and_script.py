"""The exported script, as a learner uses it (line mode itself: test_line_mode_terminal.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support import PROJECT, run_chapter7, wizard


def test_the_script_shows_the_commands_with_the_guides_variables(sandbox: Path, answers: Path):
    assert run_chapter7(sandbox, answers).returncode == 0
    result = wizard("script", "--repo", str(sandbox / "learner-repo"), "--chapter", "7")
    assert result.returncode == 0, result.stderr
    script = result.stdout
    assert f"export GCP_PROJECT_ID={PROJECT}" in script
    assert "export GCP_BILLING_ACCOUNT_ID=012345-6789AB-CDEF01" in script
    assert "gcloud projects create $GCP_PROJECT_ID" in script
    assert "--uniform-bucket-level-access" in script and "--public-access-prevention" in script
    assert "dvc remote add -d data gs://$GCP_BUCKET_NAME/dvcstore" in script
    assert 'git commit -m "My ML experiment data is shared with DVC"' in script
    syntax = subprocess.run(["bash", "-n"], input=script, text=True, capture_output=True)
    assert syntax.returncode == 0, syntax.stderr


def test_the_script_without_answers_says_what_to_fill_in(tmp_path: Path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    result = wizard("script", "--repo", str(repo), "--chapter", "7")
    assert result.returncode == 0, result.stderr
    assert "export GCP_PROJECT_ID=  # Google Cloud project ID: fill in" in result.stdout
    assert "export GCP_BUCKET_LOCATION=" in result.stdout
