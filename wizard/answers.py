"""The learner's answers and the clouds' real naming rules.

Validation here is pure (no network) and runs before any call, so a mistyped name never
costs a round trip or leaves half-made resources. The rules are Google's published ones;
the messages say which rule broke and how to fix it.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from wizard.engine.errors import WizardError

Validator = Callable[[str], "str | None"]

_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_BUCKET_CHARS = re.compile(r"^[a-z0-9._-]+$")
_BILLING = re.compile(r"^[0-9A-F]{6}-[0-9A-F]{6}-[0-9A-F]{6}$")

# Cloud Storage locations (regions, dual- and multi-regions) as listed on cloud.google.com.
BUCKET_LOCATIONS: tuple[str, ...] = (
    "europe-west6", "europe-west1", "europe-west2", "europe-west3", "europe-west4",
    "europe-west8", "europe-west9", "europe-west10", "europe-west12", "europe-central2",
    "europe-north1", "europe-north2", "europe-southwest1",
    "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2",
    "us-west3", "us-west4", "northamerica-northeast1", "northamerica-northeast2",
    "northamerica-south1", "southamerica-east1", "southamerica-west1",
    "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3",
    "asia-south1", "asia-south2", "asia-southeast1", "asia-southeast2",
    "australia-southeast1", "australia-southeast2", "me-central1", "me-central2", "me-west1",
    "africa-south1", "eu", "us", "asia", "eur4", "nam4", "asia1",
)


def validate_project_id(value: str) -> str | None:
    if not 6 <= len(value) <= 30:
        return f"A project ID has 6 to 30 characters; '{value}' has {len(value)}."
    if not value[0].isalpha() or not value[0].islower():
        return "A project ID starts with a lowercase letter."
    if value.endswith("-"):
        return "A project ID cannot end with a hyphen."
    if not _PROJECT_ID.match(value):
        return "A project ID holds only lowercase letters, digits and hyphens (e.g. mlops-project-1234)."
    if "google" in value or "ssl" in value.split("-") or value in {"null", "undefined"}:
        return "A project ID cannot contain restricted words such as 'google' or 'ssl'."
    return None


def validate_bucket_name(value: str) -> str | None:
    if not 3 <= len(value) <= 63:
        return f"A bucket name has 3 to 63 characters; '{value}' has {len(value)}."
    if not _BUCKET_CHARS.match(value):
        return "A bucket name holds only lowercase letters, digits, '-', '_' and '.'."
    if not (value[0].isalnum() and value[-1].isalnum()):
        return "A bucket name starts and ends with a letter or a digit."
    if value.startswith("goog") or "google" in value or "g00gle" in value:
        return "A bucket name cannot start with 'goog' or contain 'google'."
    try:
        ipaddress.ip_address(value)
    except ValueError:
        pass
    else:
        return "A bucket name cannot be an IP address."
    if ".." in value or ".-" in value or "-." in value:
        return "A bucket name cannot have '..', '.-' or '-.'."
    return None


def validate_bucket_location(value: str) -> str | None:
    if value.lower() not in BUCKET_LOCATIONS:
        return (
            f"'{value}' is not a Cloud Storage location. Use a region such as europe-west6 "
            "(Zurich) or us-central1; see https://cloud.google.com/storage/docs/locations."
        )
    return None


def validate_billing_account(value: str) -> str | None:
    if not _BILLING.match(normalize_billing_account(value)):
        return "A billing account ID looks like 012345-6789AB-CDEF01 (see `gcloud billing accounts list`)."
    return None


_GKE_NAME = re.compile(r"^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$")
_ZONE = re.compile(r"^[a-z]+-[a-z]+[0-9]+(?:-[a-z])?$")


def validate_cluster_name(value: str) -> str | None:
    if not _GKE_NAME.match(value):
        return ("A GKE cluster name has 1–40 lowercase letters, digits or hyphens, starts with a letter and "
                "does not end with a hyphen (the guide's is mlops-kubernetes).")
    return None


def validate_cluster_zone(value: str) -> str | None:
    if not _ZONE.match(value):
        return "A cluster location is a zone like europe-west6-a or a region like europe-west6."
    return None


def normalize_billing_account(value: str) -> str:
    value = value.strip()
    if value.startswith("billingAccounts/"):
        value = value.split("/", 1)[1]
    return value.upper()


def suggest_ids(base: str, count: int = 3, limit: int = 30) -> list[str]:
    """IDs built from `base` with a random suffix: free in all likelihood, valid by construction."""
    base = re.sub(r"[^a-z0-9-]", "-", base.lower()).strip("-") or "mlops"
    if not base[0].isalpha():
        base = "p-" + base
    out: list[str] = []
    while len(out) < count:
        suffix = f"-{secrets.randbelow(9000) + 1000}"
        candidate = (base[: limit - len(suffix)].rstrip("-") + suffix)
        if candidate not in out:
            out.append(candidate)
    return out


@dataclass(frozen=True)
class Question:
    """One answer the learner gives, with its validation and a default when there is one."""

    key: str  # "gcp.project_id": section "gcp", name "project_id" in the answers file
    prompt: str
    help: str
    validate: Validator
    default: str | None = None
    normalize: Callable[[str], str] = str.strip
    env: str = ""  # the guide's environment variable for this answer, used in exported scripts


QUESTIONS: dict[str, Question] = {
    q.key: q
    for q in (
        Question(
            "gcp.project_id",
            "Google Cloud project ID",
            "Globally unique: 6–30 lowercase letters, digits or hyphens, starting with a letter. "
            "The guide's example mlops-project is already taken by someone; add something of yours.",
            validate_project_id,
            normalize=lambda v: v.strip(),
            env="GCP_PROJECT_ID",
        ),
        Question(
            "gcp.billing_account",
            "Billing account ID",
            "The account that pays for the project, e.g. 012345-6789AB-CDEF01. "
            "When you have exactly one open account it is chosen for you.",
            validate_billing_account,
            normalize=normalize_billing_account,
            env="GCP_BILLING_ACCOUNT_ID",
        ),
        Question(
            "gcp.bucket_name",
            "Storage bucket name",
            "Globally unique: 3–63 lowercase letters, digits, '-', '_' or '.'; no 'google'.",
            validate_bucket_name,
            normalize=lambda v: v.strip(),
            env="GCP_BUCKET_NAME",
        ),
        Question(
            "gcp.bucket_location",
            "Bucket location",
            "Where the data lives; pick one close to you. The guide uses europe-west6 (Zurich).",
            validate_bucket_location,
            default="europe-west6",
            normalize=lambda v: v.strip().lower(),
            env="GCP_BUCKET_LOCATION",
        ),
        Question(
            "gke.cluster_name",
            "Kubernetes cluster name",
            "The GKE cluster of the guide's chapter 13 (mlops-kubernetes in the guide).",
            validate_cluster_name,
            default="mlops-kubernetes",
            normalize=lambda v: v.strip(),
            env="GCP_K8S_CLUSTER_NAME",
        ),
        Question(
            "gke.cluster_zone",
            "Kubernetes cluster zone",
            "Where the cluster of chapter 13 runs (europe-west6-a in the guide).",
            validate_cluster_zone,
            default="europe-west6-a",
            normalize=lambda v: v.strip().lower(),
            env="GCP_K8S_CLUSTER_ZONE",
        ),
    )
}


def check_answer(key: str, value: str) -> tuple[str, str | None]:
    """Normalize and validate one answer; return (value, error message or None)."""
    question = QUESTIONS.get(key)
    if question is None:
        return value, None
    value = question.normalize(value)
    return value, question.validate(value)


def load_answers_file(path: Path) -> dict[str, str]:
    """Read an answers TOML file (`[gcp] project_id = "..."`) into flat dotted keys."""
    try:
        raw = tomllib.loads(Path(path).read_text("utf-8"))
    except FileNotFoundError:
        raise WizardError(
            what=f"The answers file {path} does not exist.",
            fix="Check the path given to --answers.",
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise WizardError(
            what=f"The answers file {path} is not valid TOML.",
            why=str(exc),
            fix='Write it like:\n[gcp]\nproject_id = "my-mlops-1234"\nbucket_name = "my-mlops-1234-data"',
        ) from None
    flat: dict[str, str] = {}
    for section, values in raw.items():
        if not isinstance(values, dict):
            raise WizardError(
                what=f"The answers file {path} has '{section}' outside a section.",
                fix="Put every answer under a section such as [gcp].",
            )
        for name, value in values.items():
            key = f"{section}.{name}"
            if key not in QUESTIONS:
                known = ", ".join(sorted(QUESTIONS))
                raise WizardError(
                    what=f"The answers file {path} has an unknown key '{key}'.",
                    fix=f"Known keys: {known}.",
                )
            flat[key] = str(value)
    return flat


def validate_all(answers: Mapping[str, str]) -> dict[str, str]:
    """Normalize every answer; raise one error listing every rule that broke."""
    clean: dict[str, str] = {}
    problems: list[str] = []
    for key, value in answers.items():
        value, error = check_answer(key, value)
        clean[key] = value
        if error:
            problems.append(f"{key} = '{value}': {error}")
    if problems:
        raise WizardError(
            what="Some answers break Google Cloud's naming rules.",
            why="\n".join(problems),
            fix="Correct them (in the answers file or when asked) and run again; nothing was changed.",
        )
    return clean


# -- which answer wins -------------------------------------------------------------------------
@dataclass(frozen=True)
class Conflict:
    """An answer the learner gave earlier (kept in the checkpoint) that this run's answers file contradicts."""

    key: str
    earlier: str
    in_file: str


def precedence(earlier: Mapping[str, str], given: Mapping[str, str]) -> tuple[dict[str, str], list[Conflict]]:
    """What the learner typed before wins over an answers file given now; where they differ, say so.

    The checkpoint holds what the cloud was built with: silently taking another file's value would
    create a second project or bucket. The caller settles each conflict (asks, or stops under --yes).
    """
    merged = {k: v for k, v in given.items() if v not in (None, "")}
    conflicts: list[Conflict] = []
    for key, value in earlier.items():
        if value in (None, ""):
            continue
        if key in merged and key in QUESTIONS:
            theirs, _ = check_answer(key, merged[key])
            mine, _ = check_answer(key, value)
            if theirs != mine:
                conflicts.append(Conflict(key, mine, theirs))
        merged[key] = value
    return merged, conflicts


def conflict_error(conflicts: list[Conflict], answers_file: Path | str | None = None) -> WizardError:
    """Under --yes nothing can be asked: stop before any change, naming both values of each key."""
    where = f"the answers file {answers_file}" if answers_file else "the answers file"
    lines = [f"{c.key}: you answered '{c.earlier}' earlier (kept in the checkpoint); {where} says '{c.in_file}'."
             for c in conflicts]
    return WizardError(
        what="Your earlier answers and " + where + " differ: which one is meant is not clear.",
        why="\n".join(lines),
        fix="Make the file agree with your earlier answers (or remove those lines) to go on with what exists, "
        "or run without --yes to choose.",
    )


def default_for(key: str, answers: Mapping[str, str], defaults: Mapping[str, str]) -> str | None:
    """The value offered when nothing was typed: generated defaults (e.g. the demo's) come last.

    A default may follow other answers: the demo's bucket name is "{gcp.project_id}-data", so
    it follows the project the learner chose, not the one the demo generated.
    """
    value = defaults.get(key)
    if value and "{" in value:
        value = re.sub(r"\{([a-z_.]+)\}", lambda m: answers.get(m.group(1), m.group(0)), value)
        value = None if "{" in value else value
    return value or (QUESTIONS[key].default if key in QUESTIONS else None)
