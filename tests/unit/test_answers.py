"""A learner mistypes names: the rules are Google's, the messages say which rule broke."""

import pytest

from wizard.engine.errors import WizardError
from wizard.engine.questions import check_answer, load_answers_file, validate_all
from wizard.gcp.naming import suggest_ids, validate_bucket_location, validate_bucket_name, validate_project_id


@pytest.mark.parametrize("value", ["mlops-project", "abcdef", "a" * 30, "my-project-1234", "x1-2-3-4"])
def test_valid_project_ids_pass(value):
    assert validate_project_id(value) is None


@pytest.mark.parametrize(
    "value, words",
    [
        ("short", "6 to 30"),
        ("a" * 31, "6 to 30"),
        ("1project", "starts with a lowercase letter"),
        ("Project-1", "starts with a lowercase letter"),
        ("project-", "end with a hyphen"),
        ("my_project", "lowercase letters, digits and hyphens"),
        ("my-google-proj", "restricted"),
    ],
)
def test_invalid_project_ids_say_which_rule(value, words):
    assert words in validate_project_id(value)


@pytest.mark.parametrize("value", ["mlops-bucket", "abc", "a.b-c_d", "my-bucket-2024"])
def test_valid_bucket_names_pass(value):
    assert validate_bucket_name(value) is None


@pytest.mark.parametrize(
    "value, words",
    [
        ("ab", "3 to 63"),
        ("a" * 64, "3 to 63"),
        ("My-Bucket", "lowercase"),
        ("-bucket", "starts and ends"),
        ("bucket-", "starts and ends"),
        ("goog-data", "goog"),
        ("my-google-data", "google"),
        ("192.168.1.1", "IP address"),
        ("a..b", "'..'"),
    ],
)
def test_invalid_bucket_names_say_which_rule(value, words):
    assert words in validate_bucket_name(value)


def test_locations_accept_the_guides_zurich_and_reject_typos():
    assert validate_bucket_location("europe-west6") is None
    assert validate_bucket_location("EU") is None
    assert "not a Cloud Storage location" in validate_bucket_location("europe-west66")


def test_billing_account_is_normalized():
    value, error = check_answer("gcp.billing_account", "billingAccounts/012345-6789ab-cdef01")
    assert (value, error) == ("012345-6789AB-CDEF01", None)


def test_suggestions_are_valid_and_distinct():
    ideas = suggest_ids("mlops-project")
    assert len(set(ideas)) == 3
    assert all(validate_project_id(i) is None for i in ideas)
    assert all(validate_project_id(i) is None for i in suggest_ids("x" * 40))


def test_validate_all_lists_every_broken_rule_at_once():
    with pytest.raises(WizardError) as caught:
        validate_all({"gcp.project_id": "Bad", "gcp.bucket_name": "ab"})
    assert "gcp.project_id" in caught.value.why and "gcp.bucket_name" in caught.value.why


def test_answers_file_unknown_key_is_named(tmp_path):
    path = tmp_path / "answers.toml"
    path.write_text('[gcp]\nproject_idd = "x"\n')
    with pytest.raises(WizardError) as caught:
        load_answers_file(path)
    assert "gcp.project_idd" in caught.value.what


def test_answers_file_bad_toml_is_explained(tmp_path):
    path = tmp_path / "answers.toml"
    path.write_text("[gcp\n")
    with pytest.raises(WizardError, match="not valid TOML"):
        load_answers_file(path)


# -- which answer wins: the learner's earlier answers, then the file, then generated defaults --------
from wizard.engine.questions import Conflict, conflict_error, default_for, precedence  # noqa: E402


def test_what_the_learner_typed_earlier_wins_and_a_different_file_value_is_a_conflict():
    merged, conflicts = precedence(
        {"gcp.project_id": "mine-1234", "forge.kind": "github"},
        {"gcp.project_id": "other-5678", "gcp.bucket_location": "us-east1"},
    )
    assert merged == {"gcp.project_id": "mine-1234", "forge.kind": "github", "gcp.bucket_location": "us-east1"}
    assert conflicts == [Conflict("gcp.project_id", "mine-1234", "other-5678")]


def test_the_same_answer_written_differently_is_no_conflict():
    _merged, conflicts = precedence({"gcp.bucket_location": "europe-west6"}, {"gcp.bucket_location": " EUROPE-WEST6 "})
    assert conflicts == []


def test_a_conflict_under_yes_names_both_values_and_the_file():
    error = conflict_error([Conflict("gcp.project_id", "mine-1234", "other-5678")], "answers.toml")
    assert "'mine-1234'" in error.why and "'other-5678'" in error.why and "answers.toml" in error.why
    assert "without --yes" in error.fix


def test_a_generated_bucket_name_follows_the_project_the_learner_chose():
    defaults = {"gcp.project_id": "mlops-demo-1234", "gcp.bucket_name": "{gcp.project_id}-data"}
    assert default_for("gcp.bucket_name", {"gcp.project_id": "jane-mlops-2024"}, defaults) == "jane-mlops-2024-data"
    assert default_for("gcp.bucket_name", {}, defaults) is None
    assert default_for("gcp.bucket_location", {}, defaults) == "europe-west6"
