"""What the wizard adopts from a repository set up by hand: pure decisions over file contents."""

from __future__ import annotations

from wizard.steps.repo import AddRequirementExtra, DvcRemote
from wizard.workspace import dvc_remote

BY_HAND = """[core]
    remote = storage
['remote "storage"']
    url = gs://my-bucket/dvcstore
['remote "backup"']
    url = gs://other-bucket/x
"""
ANSWERS = {"gcp.bucket_name": "my-bucket"}


def test_a_remote_into_the_bucket_is_the_chapters_remote_whatever_its_name():
    config = dvc_remote.parse(BY_HAND)
    assert dvc_remote.on_bucket(config, "my-bucket") == ("storage", "gs://my-bucket/dvcstore")
    assert dvc_remote.on_bucket(config, "nobodys-bucket") is None
    assert dvc_remote.default_on_bucket(BY_HAND, "my-bucket")
    assert not dvc_remote.default_on_bucket(BY_HAND.replace("remote = storage", "remote = backup"), "my-bucket")
    assert dvc_remote.split_url("gs://b") == ("b", "") and dvc_remote.split_url("s3://b/x") is None


def test_only_the_chapters_own_changes_are_its_own():
    remote = DvcRemote("r", "r")
    assert remote.own_change(
        ANSWERS,
        ".dvc/config",
        "[core]\n    autostage = true\n",
        "[core]\n    autostage = true\n    remote = data\n['remote \"data\"']\n    url = gs://b/d\n",
    )
    assert not remote.own_change(
        ANSWERS, ".dvc/config", "[core]\n    autostage = true\n", "[core]\n    remote = data\n"
    )

    extra = AddRequirementExtra("x", "x")
    head = "pandas==2.0\ndvc==3.0\n"
    assert extra.own_change({}, "requirements.txt", head, "pandas==2.0\ndvc[gs]==3.0\n")
    assert extra.own_change({}, "requirements.txt", head, "pandas==2.0\ndvc[gs,s3]==3.0\n")  # done by hand
    assert not extra.own_change({}, "requirements.txt", head, "pandas==2.1\ndvc[gs]==3.0\n")  # the learner's edit
    assert not extra.own_change({}, "requirements.txt", head, head + "# a note\n")
    assert extra.accepts({}, "dvc[gs,s3]==3.0\n", "requirements.txt")
    assert not extra.accepts({}, "dvc==3.0\n", "requirements.txt")
    assert extra.accepts({}, "dvc-gs==3.0.1\n", "requirements-freeze.txt")
