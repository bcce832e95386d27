"""Google's limits and slow corners, met as a real learner meets them, explained by their cause.

Each story sets the sandbox the way Google would be (a project quota used up, an account with ten
keys, an organisation that forbids keys, a bucket whose billing stopped, a grant still propagating)
and checks what the learner reads and what the cloud looks like afterwards.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support import BUCKET, PROJECT, ci_world, run_chapter, run_chapter7, wizard, write_answers
from wizard.sandbox.server import inspect
from wizard.sandbox.world import World

GITHUB = pytest.mark.parametrize("forge", ["github"], indirect=True)
DVC_ACCOUNT = f"dvc-service-account@{PROJECT}.iam.gserviceaccount.com"


def explained(result, *words: str) -> str:
    """The run stopped with an explanation (exit 1, no traceback) containing `words`; the text."""
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert "Traceback" not in text
    for word in words:
        assert word in text, (word, text)
    return text


def set_faults(sandbox: Path, **faults: object) -> None:
    with World(sandbox).mutate() as world:
        world["faults"].update(faults)


def test_a_learner_out_of_project_quota_is_told_why_and_where_to_ask(sandbox: Path, answers: Path):
    set_faults(sandbox, project_quota=0)
    text = explained(run_chapter7(sandbox, answers), "project quota", "30 days", "project_quota_increase")
    assert "temporarily" not in text and "Retrying may help" not in text
    world = inspect(sandbox)
    assert PROJECT not in world["projects"]  # nothing was created

    set_faults(sandbox, project_quota=1)  # Google granted one more
    result = run_chapter7(sandbox, answers)
    assert result.returncode == 0, result.stdout + result.stderr
    assert World(sandbox).read()["faults"]["project_quota"] == 0


def _ten_keys(sandbox: Path) -> None:
    """The account exists already, with the ten keys earlier tries by hand left behind."""
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(now - 3600))
    with World(sandbox).mutate() as world:
        project = world["projects"][PROJECT]
        project["service_accounts"][DVC_ACCOUNT] = {
            "unique_id": "104242424242424242424",
            "display_name": "DVC Service Account",
            "description": "",
            "create_time": stamp,
            "ready_at": now - 3600,
            "disabled": False,
            "keys": {
                f"{i:040x}": {
                    "create_time": stamp,
                    "valid_after": stamp,
                    "valid_before": "9999-12-31T23:59:59.000000Z",
                    "public_key_fingerprint": f"{i:064x}",
                    "key_algorithm": "KEY_ALG_RSA_2048",
                }
                for i in range(1, 11)
            },
        }


@GITHUB
def test_an_account_with_ten_keys_is_counted_not_guessed(after_ch7: Path, forge: str, home: Path):
    _ten_keys(after_ch7)
    text = explained(
        run_chapter(after_ch7, 8, home), "already has 10 keys", "Precondition check failed.", "keys list", "keys delete"
    )
    assert "temporarily" not in text
    world = ci_world(after_ch7)
    assert len(world["account"]["keys"]) == 10 and world["secret"] is None


@GITHUB
@pytest.mark.parametrize(
    "policy, constraint",
    [
        (True, "constraints/iam.disableServiceAccountKeyCreation"),
        ("managed", "constraints/iam.managed.disableServiceAccountKeyCreation"),
    ],
)
def test_an_organisation_that_forbids_keys_names_its_constraint_and_who_can_lift_it(
    after_ch7: Path, forge: str, home: Path, policy: object, constraint: str
):
    set_faults(after_ch7, disable_key_creation=policy)
    text = explained(
        run_chapter(after_ch7, 8, home),
        "forbids creating keys",
        constraint,
        "organisation policy administrator",
        "gcloud ",
    )
    command = "org-policies set-policy" if policy == "managed" else "org-policies disable-enforce"
    assert command in text
    assert ci_world(after_ch7)["account"]["keys"] == []


@GITHUB
def test_a_bucket_refused_for_billing_is_not_called_taken(after_ch7: Path, forge: str, tmp_path: Path):
    """Billing was unlinked after chapter 7 (to stop the charges): Cloud Storage answers 403 on the bucket."""
    with World(after_ch7).mutate() as world:
        world["projects"][PROJECT]["billing_account"] = None
    status = wizard("status", "--repo", str(after_ch7 / "learner-repo"), "--sandbox", str(after_ch7), "--chapter", "7")
    assert "billing is not active" in status.stdout + status.stderr, status.stdout + status.stderr
    assert "already taken" not in status.stdout + status.stderr

    answers = write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
    again = run_chapter7(after_ch7, answers)  # the billing step links it again; the bucket is usable again
    assert again.returncode == 0, again.stdout + again.stderr
    assert inspect(after_ch7)["projects"][PROJECT]["billing_account"] is not None


@pytest.mark.parametrize("forge", ["github", "gitlab"], indirect=True)
def test_the_first_run_after_a_grant_is_refused_while_it_propagates(after_ch7: Path, forge: str, home: Path):
    set_faults(after_ch7, iam_propagation_seconds=12)
    first = run_chapter(after_ch7, 8, home)
    text = explained(first, "still propagating", "Wait a few minutes", "run the wizard again")
    # Never "your setup is wrong": where the forge gives no reason (GitHub keeps it in the log), the
    # failed run is named first and propagation given as its likely cause, with the wait as the fix.
    assert "Read the log" not in text and "fix the cause" not in text
    runs = ci_world(after_ch7)["runs"]
    assert [r["conclusion"] for r in runs] == ["failure"]

    time.sleep(12)  # the learner waits, as told
    second = run_chapter(after_ch7, 8, home)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "Re-running" in second.stdout + second.stderr
    # The same run, re-run: no new commit was needed.
    assert [r["conclusion"] for r in ci_world(after_ch7)["runs"]] == ["success"]


def test_a_billing_default_that_cannot_be_read_is_explained(sandbox: Path, tmp_path: Path):
    """No billing account in the answers and Google unreachable for billing: an explanation, no traceback."""
    set_faults(sandbox, fail={"CloudBilling.ListBillingAccounts": "UNAVAILABLE"})
    answers = write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
    result = run_chapter7(sandbox, answers, env={"MLOPS_WIZARD_RETRY_BUDGET": "2"})
    explained(result, "gcp.billing_account", "Error:")
    assert PROJECT not in inspect(sandbox)["projects"]


def test_a_bucket_name_with_dots_needs_a_verified_domain(sandbox: Path, tmp_path: Path):
    answers = write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name="data.mlops-learner.example")
    text = explained(run_chapter7(sandbox, answers), "domain", "without dots")
    assert "already taken" not in text
    assert not [b for b, v in inspect(sandbox)["buckets"].items() if v["owner"] == inspect(sandbox)["learner"]]


@GITHUB
def test_a_bucket_refused_because_its_api_was_disabled_says_so(after_ch7: Path, forge: str):
    with World(after_ch7).mutate() as world:
        services = world["projects"][PROJECT]["services"]
        services[:] = [s for s in services if s not in {"storage.googleapis.com", "storage-api.googleapis.com"}]
    status = wizard("status", "--repo", str(after_ch7 / "learner-repo"), "--sandbox", str(after_ch7), "--chapter", "7")
    assert "API is not enabled" in status.stdout + status.stderr, status.stdout + status.stderr
    assert "already taken" not in status.stdout + status.stderr
