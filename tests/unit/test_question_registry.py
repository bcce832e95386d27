"""Questions travel with content: the engine holds the type and the registry, content fills it."""

from __future__ import annotations

from pathlib import Path

import pytest

from wizard.engine.chapter import load_chapters
from wizard.engine.errors import WizardError
from wizard.engine.questions import QUESTIONS, catalogue, identity_keys, load_answers_file
from wizard.gcp.naming import validate_bucket_name, validate_project_id


def test_googles_questions_are_registered_by_the_steps_that_need_them():
    known = catalogue()
    assert {
        "gcp.project_id",
        "gcp.billing_account",
        "gcp.bucket_name",
        "gcp.bucket_location",
        "gke.cluster_name",
        "gke.cluster_zone",
    } <= set(known)
    needed = {key for chapter in load_chapters().values() for key in chapter.needs()}
    assert needed <= set(known)  # every answer a chapter's steps need has its question


def test_the_bucket_location_is_offered_with_the_guides_first_then_alphabetically():
    choices = catalogue()["gcp.bucket_location"].choices
    assert choices[0] == "europe-west6"
    assert list(choices[1:]) == sorted(choices[1:])


def test_the_answers_that_name_things_are_the_project_then_the_bucket():
    assert identity_keys() == ("gcp.project_id", "gcp.bucket_name")
    assert [QUESTIONS[key].names for key in identity_keys()] == ["project", "bucket"]


def test_names_offered_after_a_refusal_obey_googles_rules():
    project, bucket = catalogue()["gcp.project_id"], catalogue()["gcp.bucket_name"]
    assert project.alternatives is not None and bucket.alternatives is not None
    for name in project.alternatives("mlops-project-with-a-very-long-name", 5):
        assert validate_project_id(name) is None
    for name in bucket.alternatives("mlops-bucket-" + "x" * 60, 5):
        assert validate_bucket_name(name) is None


def test_the_bucket_suggestion_follows_the_project():
    bucket = catalogue()["gcp.bucket_name"]
    assert bucket.suggest is not None and bucket.follows == ("gcp.project_id",)
    assert bucket.suggest({"gcp.project_id": "mlops-jane-2024"}) == "mlops-jane-2024-data"
    assert bucket.suggest({}) is None


def test_a_chapter_named_in_the_environment_brings_its_question_to_the_answers_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    answers = tmp_path / "answers.toml"
    answers.write_text('[toy]\ngreeting = "hello"\n')
    monkeypatch.setenv("MLOPS_WIZARD_CHAPTERS", "tests.toy_chapter")
    assert 99 in load_chapters()
    assert load_answers_file(answers) == {"toy.greeting": "hello"}


def test_a_chapter_module_that_cannot_be_imported_is_named_with_the_variable(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MLOPS_WIZARD_CHAPTERS", "no_such_chapters_here")
    with pytest.raises(WizardError) as caught:
        load_chapters()
    assert "no_such_chapters_here" in caught.value.what
    assert "MLOPS_WIZARD_CHAPTERS" in caught.value.fix
