"""Simulated GitLab pipelines: what a runner would make of a commit, decided when it is created.

For a commit on a branch whose tree holds `.gitlab-ci.yml`, the jobs come from `ci.plan`.
Each job "runs" its script lines: a line that base64-decodes a variable
(`echo "${DVC_GCP_SERVICE_ACCOUNT_KEY}" | base64 -d > $GOOGLE_APPLICATION_CREDENTIALS`)
gets the variable as a runner would (missing, protected on an unprotected ref, out of its
environment scope, a file-type variable, bad base64), and the first later command that uses
Google credentials (dvc pull/repro/push, gcloud, mlem) fails when the decoded key would not
work (`ci_checks.check_key`, with the project of the bucket named in `.dvc/config`).

The outcome is stored; the status a client sees moves created → pending → running →
success/failed over `run_seconds`, computed from the creation time on every read, so it
works across restarts. Job logs look like a runner's trace, plus one `Why:` line that says
in plain words what went wrong. A secret's value never enters a log.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from wizard.sandbox import ci_checks
from wizard.sandbox.forge import FAIL_RUNS_WHY, failing_names, run_seconds_of
from wizard.sandbox.gitlab import ci
from wizard.sandbox.gitlab import repo as git_repo

CI_FILE = ".gitlab-ci.yml"
RUNNER = "gitlab-runner 17.11.0 (sandbox)"
FINISHED = {"success", "failed", "canceled", "skipped", "manual"}


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def ref_protected(project: dict[str, Any], ref: str) -> bool:
    return any(fnmatch.fnmatchcase(ref, pattern) for pattern in project.get("protected_branches", []))


# -- planning ----------------------------------------------------------------------------------
def predefined(
    project_path: str, project: dict[str, Any], sha: str, ref: str, source: str, base_url: str = ""
) -> dict[str, str]:
    namespace, _, name = project_path.rpartition("/")
    slug = re.sub(r"[^a-z0-9]", "-", ref.lower())[:63].strip("-")
    variables = {
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_SERVER": "yes",
        "CI_COMMIT_SHA": sha,
        "CI_COMMIT_SHORT_SHA": sha[:8],
        "CI_COMMIT_REF_NAME": ref,
        "CI_COMMIT_REF_SLUG": slug,
        "CI_COMMIT_BRANCH": ref,
        "CI_COMMIT_REF_PROTECTED": "true" if ref_protected(project, ref) else "false",
        "CI_DEFAULT_BRANCH": project.get("default_branch", "main"),
        "CI_PIPELINE_SOURCE": source,
        "CI_PROJECT_PATH": project_path,
        "CI_PROJECT_NAME": name,
        "CI_PROJECT_NAMESPACE": namespace,
        "CI_PROJECT_ID": str(project.get("id", "")),
        "CI_PROJECT_DIR": f"/builds/{project_path}",
    }
    if base_url:
        variables["CI_SERVER_URL"] = base_url
        variables["CI_PROJECT_URL"] = f"{base_url}/{project_path}"
    return variables


def _expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: variables.get(m[1], ""), text)


def _bucket_project(world: dict[str, Any], repo: Path, sha: str) -> str | None:
    chosen = _dvc_bucket(repo, sha)
    bucket = world.get("buckets", {}).get(chosen or "")
    return bucket.get("project") if bucket else None


def _dvc_bucket(repo: Path, sha: str) -> str | None:
    """The bucket of the default DVC remote at `sha`."""
    config = git_repo.read_text(repo, sha, ".dvc/config")
    if not config:
        return None
    default = re.search(r"^\s*remote\s*=\s*(\S+)", config, re.MULTILINE)
    urls = re.findall(r"^\s*\[\s*'?remote\s+\"([^\"]+)\"'?\s*\]\s*$((?:\n(?!\s*\[).*)*)", config, re.MULTILINE)
    chosen = None
    for name, body in urls:
        found = re.search(r"^\s*url\s*=\s*gs://([^/\s]+)", body, re.MULTILINE)
        if found and (chosen is None or (default and name == default[1])):
            chosen = found[1]
    if chosen is None:
        found = re.search(r"gs://([^/\s]+)", config)
        chosen = found[1] if found else None
    return chosen


def _dvc_stages(repo: Path, sha: str) -> list[str]:
    import yaml

    text = git_repo.read_text(repo, sha, "dvc.yaml")
    try:
        stages = (yaml.safe_load(text) or {}).get("stages") if text else None
    except yaml.YAMLError:
        return []
    return [str(name) for name in stages] if isinstance(stages, dict) else []


class _Runner:
    """Runs one pipeline's jobs on paper."""

    def __init__(
        self,
        world: dict[str, Any],
        project_path: str,
        project: dict[str, Any],
        repo: Path,
        sha: str,
        ref: str,
        context: dict[str, str],
        plan: ci.Plan,
        pipeline_vars: dict[str, str],
        ca_file: Path | None = None,
    ) -> None:
        self.world, self.project_path, self.project = world, project_path, project
        self.repo, self.sha, self.ref, self.context, self.plan = repo, sha, ref, context, plan
        self.pipeline_vars = pipeline_vars
        self.ca_file = ca_file
        self.protected = ref_protected(project, ref)
        self._bucket: tuple[str | None] | None = None
        self._stages: list[str] | None = None

    def bucket_project(self) -> str | None:
        if self._bucket is None:
            self._bucket = (_bucket_project(self.world, self.repo, self.sha),)
        return self._bucket[0]

    def job_variables(self, job: ci.Job) -> dict[str, str]:
        values = {**self.context, **self.plan.variables, **job.variables}
        for key, var in self.project.get("variables", {}).items():
            in_scope = ci.scope_matches(var.get("environment_scope", "*"), job.environment)
            if (not var.get("protected") or self.protected) and in_scope:
                values[key] = var.get("value", "")
        values.update(self.pipeline_vars)
        return values

    def lookup(self, job: ci.Job, name: str) -> tuple[str | None, str, dict[str, Any] | None]:
        """(value or None, why it is missing, the project variable)."""
        if name in self.pipeline_vars:
            return self.pipeline_vars[name], "", None
        var = self.project.get("variables", {}).get(name)
        why = f"the CI/CD variable {name} is not set in {self.project_path} (Settings > CI/CD > Variables)"
        if var is not None:
            if var.get("protected") and not self.protected:
                why = (
                    f"the CI/CD variable {name} is protected: GitLab passes it only to pipelines on "
                    f"protected branches and tags, and {self.ref} is not protected"
                )
            elif not ci.scope_matches(var.get("environment_scope", "*"), job.environment):
                why = (
                    f"the CI/CD variable {name} is scoped to the environment "
                    f"{var.get('environment_scope')!r}, which job {job.name} does not deploy to"
                )
            else:
                return var.get("value", ""), "", var
        for source in (job.variables, self.plan.variables):
            if name in source:
                return source[name], "", None
        return None, why, None

    def run(self, job: ci.Job) -> tuple[str, str | None, list[str]]:
        """(status, failure_reason, log lines) of one job."""
        variables = self.job_variables(job)
        log = [
            f"Running with {RUNNER}",
            "  on sandbox-runner, system ID: s_sandbox",
            'Preparing the "docker" executor',
            f"Using docker image {job.image or 'ruby:3.1'} ...",
            "Preparing environment",
            "Getting source from Git repository",
            f"Fetching changes with git depth set to {variables.get('GIT_DEPTH') or 20}...",
            f"Checking out {self.sha[:8]} as detached HEAD (ref is {self.ref})...",
            'Executing "step_script" stage of the job script',
        ]
        problems: list[tuple[str, str]] = []  # (error line, why line) waiting for a command using the key

        def fail(*lines: str) -> tuple[str, str | None, list[str]]:
            log.extend(lines)
            log.extend(["Cleaning up project directory and file based variables", "ERROR: Job failed: exit code 1"])
            return "failed", "script_failure", log

        for line in [*job.before_script, *job.script]:
            log.append(f"$ {line}")
            for name in ci.decoded_variables(line):
                target = re.search(r">\s*(\S+)", line)
                target_path = _expand(target[1].strip("\"'"), variables) if target else "the output"
                value, why, var = self.lookup(job, name)
                if var is not None and var.get("variable_type") == "file":
                    return fail(
                        "base64: invalid input",
                        (
                            f"Why: {name} is a file-type variable, so ${name} is the path of a "
                            "temporary file, not the base64 text; make it a plain variable "
                            "(variable_type env_var) or decode the file it names"
                        ),
                    )
                if value is None:
                    problems.append(
                        (
                            (
                                f"ERROR: failed to pull data from the cloud - File {target_path} "
                                "is not a valid json file."
                            ),
                            f"Why: {why}, so the job decoded an empty value into {target_path}.",
                        )
                    )
                    continue
                try:
                    decoded = base64.b64decode((value + "\n").replace("\n", ""), validate=True)
                except (binascii.Error, ValueError):
                    return fail(
                        "base64: invalid input",
                        (
                            f"Why: the value of {name} is not valid base64: store the key file "
                            "encoded on one line (base64 -w 0 on Linux) with Expand variable "
                            "reference off"
                        ),
                    )
                facts = ci_checks.key_facts(decoded)
                if not facts.valid_json_key:
                    problems.append(
                        (
                            (
                                f"ERROR: failed to pull data from the cloud - Service account info was "
                                f"not in the expected format, {facts.problem}."
                            ),
                            (f"Why: {name} decodes to something that is not a Google service account key file."),
                        )
                    )
                    continue
                deploys = any("mlem deployment" in str(item) for item in [*job.before_script, *job.script])
                message = ci_checks.check_key(
                    self.world,
                    facts,
                    self.bucket_project(),
                    deploys=deploys,
                    key_json=decoded,
                    bucket=_dvc_bucket(self.repo, self.sha),
                    ca_file=self.ca_file,
                )
                if message:
                    problems.append(
                        (
                            f"ERROR: failed to pull data from the cloud - {message}",
                            f"Why: the key in {name} cannot read the data: {message}.",
                        )
                    )
            if problems and ci.uses_credentials(line):
                return fail(*problems[0])
            if re.search(r"\bdvc\s+repro\b", line):
                if self._stages is None:
                    self._stages = _dvc_stages(self.repo, self.sha)
                log.extend([f"Stage '{stage}' didn't change, skipping" for stage in self._stages])
                log.append("Data and pipelines are up to date.")
        log.extend(["Cleaning up project directory and file based variables", "Job succeeded"])
        return "success", None, log


def build(
    world: dict[str, Any],
    project_path: str,
    repo: Path,
    sha: str,
    ref: str,
    source: str,
    pipeline_vars: dict[str, str] | None = None,
    injected: str | None = None,
    base_url: str = "",
    ca_file: Path | None = None,
) -> dict[str, Any] | None:
    """A pipeline record (without ids) for `sha` on branch `ref`, or None when GitLab makes none.

    Raises ci.CiError only for a manual run (`source == "api"`) that cannot start, with
    GitLab's message; on a push an invalid configuration gives a failed pipeline instead.
    """
    project = world["forges"]["gitlab"]["projects"][project_path]
    text = git_repo.read_text(repo, sha, CI_FILE)
    if text is None:
        if source == "push":
            return None
        raise ci.CiError("Missing CI config file")
    pipeline_vars = dict(pipeline_vars or {})
    context = predefined(project_path, project, sha, ref, source, base_url)
    for key, var in project.get("variables", {}).items():
        if (not var.get("protected") or ref_protected(project, ref)) and var.get("environment_scope", "*") == "*":
            context[key] = var.get("value", "")
    context.update(pipeline_vars)
    now = time.time()
    record: dict[str, Any] = {
        "sha": sha,
        "ref": ref,
        "source": source,
        "tag": False,
        "yaml_errors": None,
        "created_at": iso(now),
        "run_seconds": run_seconds_of(world),
        "jobs": [],
        "log": [],
    }
    try:
        files = set(git_repo.tree_entries(repo, sha))
        plan = ci.plan(text, context, lambda pattern: any(fnmatch.fnmatch(f, pattern) for f in files))
    except ci.CiError as err:
        if source != "push":
            raise
        record.update(
            status="failed",
            yaml_errors=str(err),
            failure_reason="config_error",
            log=[f"This GitLab CI configuration is invalid: {err}"],
        )
        record["updated_at"] = record["created_at"]
        record["run_seconds"] = 0.0
        return record
    if not plan.created or not plan.jobs:
        if source == "push":
            return None
        raise ci.CiError(
            "Pipeline will not run for the selected trigger. The rules configuration "
            "prevented any jobs from being added to the pipeline."
        )
    runner = _Runner(world, project_path, project, repo, sha, ref, context, plan, pipeline_vars, ca_file)
    failing = failing_names(world)  # `faults.fail_runs`: job names made to fail, for rehearsals
    failed_stage: str | None = None
    for job in plan.jobs:
        entry = {
            "name": job.name,
            "stage": job.stage,
            "when": job.when,
            "allow_failure": job.allow_failure,
            "image": job.image,
            "failure_reason": None,
        }
        if job.when == "manual":
            entry.update(status="manual", log=[])
        elif (
            failed_stage is not None
            and plan.stages.index(job.stage) > plan.stages.index(failed_stage)
            and job.when != "always"
        ):
            entry.update(status="skipped", log=[])
        elif job.name in failing:
            entry.update(
                status="failed",
                failure_reason="script_failure",
                log=[
                    f"Running with {RUNNER}",
                    f"$ {(job.script or ['true'])[0]}",
                    "Why: " + FAIL_RUNS_WHY.format(name=job.name),
                    "ERROR: Job failed: exit code 1",
                ],
            )
            failed_stage = failed_stage or job.stage
        elif injected:
            entry.update(
                status="failed",
                failure_reason="runner_system_failure",
                log=[
                    f"Running with {RUNNER}",
                    f"ERROR: Job failed (system failure): the sandbox runner was told to fail ({injected})",
                ],
            )
            injected = None
            failed_stage = failed_stage or job.stage
        else:
            status, reason, log = runner.run(job)
            entry.update(status=status, failure_reason=reason, log=log)
            if status == "failed" and not job.allow_failure and failed_stage is None:
                failed_stage = job.stage
        record["jobs"].append(entry)
    ran = [j for j in record["jobs"] if j["status"] not in ("manual", "skipped")]
    if not ran:
        record["status"] = "manual"
    elif any(j["status"] == "failed" and not j["allow_failure"] for j in ran):
        record["status"] = "failed"
    else:
        record["status"] = "success"
    record["updated_at"] = iso(now + record["run_seconds"])
    for job in record["jobs"]:
        record["log"].append(f"== job {job['name']} (stage {job['stage']}): {job['status']}")
        record["log"].extend(job["log"])
    return record


# -- the status a client sees now ---------------------------------------------------------------
def _phase(record: dict[str, Any], now: float) -> tuple[str, float]:
    """(created|pending|running|finished, seconds since creation)."""
    elapsed = now - parse_iso(record["created_at"])
    total = float(record.get("run_seconds", 0))
    if total <= 0 or elapsed >= total:
        return "finished", elapsed
    if elapsed < 0.15 * total:
        return "created", elapsed
    if elapsed < 0.35 * total:
        return "pending", elapsed
    return "running", elapsed


def pipeline_status(record: dict[str, Any], now: float | None = None) -> str:
    """The status GitLab would report for this pipeline at `now` (default: now)."""
    phase, _ = _phase(record, time.time() if now is None else now)
    return record["status"] if phase == "finished" else phase


def pipeline_view(record: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """{sha, ref, status, conclusion}: conclusion is the final status once finished, else None."""
    status = pipeline_status(record, now)
    return {
        "sha": record["sha"],
        "ref": record["ref"],
        "status": status,
        "conclusion": status if status in FINISHED else None,
    }


def job_status(record: dict[str, Any], job: dict[str, Any], now: float | None = None) -> str:
    now = time.time() if now is None else now
    phase, elapsed = _phase(record, now)
    if phase == "finished" or job["status"] == "manual":
        return job["status"]
    executed = [j["stage"] for j in record["jobs"] if j["status"] not in ("manual", "skipped")]
    stages = list(dict.fromkeys(executed))
    index = stages.index(job["stage"]) if job["stage"] in stages else len(stages)
    if phase in ("created", "pending"):
        return "pending" if phase == "pending" and index == 0 else "created"
    total = float(record.get("run_seconds", 0))
    start = 0.35 * total
    width = (total - start) / max(1, len(stages))
    current = int((elapsed - start) // width) if width > 0 else len(stages)
    if index < current:
        return job["status"]
    return "running" if index == current else "created"


def timings(record: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    created = parse_iso(record["created_at"])
    total = float(record.get("run_seconds", 0))
    phase, _ = _phase(record, now)
    started = created + 0.35 * total if total > 0 else created
    finished = created + total
    reached_start = phase in ("running", "finished")
    done = phase == "finished"
    updated = {"created": created, "pending": created + 0.15 * total, "running": started, "finished": finished}[phase]
    return {
        "created_at": record["created_at"],
        "updated_at": iso(updated),
        "started_at": iso(started) if reached_start else None,
        "finished_at": iso(finished) if done else None,
        "duration": round(finished - started) if done else None,
        "queued_duration": round(started - created, 3) if reached_start else None,
    }
