"""What a GitHub Actions workflow file says, read the way Actions reads it (no world, no git).

- Triggers: `on` as a string, a list or a mapping (PyYAML reads the key `on` as True, YAML
  1.1's boolean: both spellings are accepted), with GitHub's branch and path filters
  (`*` stops at `/`, `**` does not, `!pattern` excludes, the last matching pattern wins).
- Secrets: every `${{ secrets.NAME }}` a run would evaluate, followed into reusable
  workflows of the same repository (`uses: ./.github/workflows/x.yml`) with `secrets:
  inherit` or an explicit mapping, and marked when the value is used as a Google key
  (`credentials_json` of google-github-actions/auth), the one use a simulated run can check.
- A job's `if:` is evaluated when it only compares `github.ref`, `github.ref_name` or
  `github.event_name` with a string (the form the guide uses); any other condition counts
  as true.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

WORKFLOW_DIR = ".github/workflows"
AUTOMATIC_SECRETS = {"GITHUB_TOKEN"}
MAX_NESTING = 4  # GitHub: a workflow can call reusable workflows four levels deep
_SECRET = re.compile(r"\$\{\{[^}]*?\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([A-Za-z_][A-Za-z0-9_]*)'\s*\])")
_CONDITION = re.compile(r"^\s*(?:\$\{\{)?\s*github\.(ref|ref_name|event_name)\s*(==|!=)\s*'([^']*)'\s*(?:\}\})?\s*$")
_LOCAL_USES = re.compile(r"^\./(\.github/workflows/[^@\s]+\.ya?ml)$")


def is_workflow_path(path: str) -> bool:
    folder, _, name = path.rpartition("/")
    return folder == WORKFLOW_DIR and name.endswith((".yml", ".yaml"))


@dataclass
class Workflow:
    path: str
    text: str
    data: dict[Any, Any] | None = None  # YAML 1.1 reads the key `on` as True
    error: str | None = None

    @property
    def name(self) -> str:
        name = (self.data or {}).get("name")
        return str(name) if name else self.path

    @property
    def triggers(self) -> dict[str, Any]:
        """Event name -> its configuration (None when it has none)."""
        if not self.data:
            return {}
        on = self.data.get("on", self.data.get(True))
        if isinstance(on, str):
            return {on: None}
        if isinstance(on, list):
            return {str(event): None for event in on}
        if isinstance(on, dict):
            return {str(event): config for event, config in on.items()}
        return {}


def parse(path: str, content: bytes | str) -> Workflow:
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = f"#L{mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or err
        return Workflow(path, text, error=f"Invalid workflow file: {path}{line}: {problem}")
    if not isinstance(data, dict):
        return Workflow(path, text, error=f"Invalid workflow file: {path}#L1: the workflow is not a valid YAML mapping")
    workflow = Workflow(path, text, data)
    if not workflow.triggers:
        workflow.error = f"Invalid workflow file: {path}#L1: No event triggers defined in `on`"
    elif not isinstance(data.get("jobs"), dict) or not data["jobs"]:
        workflow.error = f"Invalid workflow file: {path}#L1: No jobs defined in `jobs`"
    return workflow


# -- filters ----------------------------------------------------------------------------------
def _pattern(glob: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(glob):
        char = glob[i]
        if glob.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char in "?+":
            out.append(char)
        elif char == "[":
            end = glob.find("]", i)
            if end == -1:
                out.append(re.escape(char))
            else:
                out.append(glob[i : end + 1])
                i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def matches(patterns: list[Any] | str, value: str) -> bool:
    """GitHub's filter rule: the last matching pattern decides; `!` patterns exclude."""
    if isinstance(patterns, str):
        patterns = [patterns]
    result = False
    for pattern in patterns:
        text = str(pattern)
        negative = text.startswith("!")
        if _pattern(text[1:] if negative else text).match(value):
            result = not negative
    return result


def triggered_by_push(workflow: Workflow, branch: str, changed: list[str] | None) -> bool:
    """Does a push to `branch` (changing `changed`, when known) start this workflow?"""
    if workflow.error and not workflow.triggers:
        return True  # GitHub reports a broken workflow file as a failed run of every push
    if "push" not in workflow.triggers:
        return False
    config = workflow.triggers["push"] or {}
    if not isinstance(config, dict):
        return True
    if "branches" in config or "branches-ignore" in config or "tags" in config or "tags-ignore" in config:
        if "branches" in config:
            if not matches(config["branches"] or [], branch):
                return False
        elif "branches-ignore" in config:
            if matches(config["branches-ignore"] or [], branch):
                return False
        else:
            return False  # only tag filters: branch pushes do not trigger
    if changed is not None:
        if "paths" in config and not any(matches(config["paths"] or [], p) for p in changed):
            return False
        if "paths-ignore" in config and changed and all(matches(config["paths-ignore"] or [], p) for p in changed):
            return False
    return True


def condition_holds(condition: Any, ref: str, event: str) -> bool:
    if condition is None or condition is True:
        return True
    if condition is False:
        return False
    match = _CONDITION.match(str(condition))
    if not match:
        return True
    name, operator, value = match.groups()
    actual = {"ref": ref, "ref_name": ref.removeprefix("refs/heads/"), "event_name": event}[name]
    return (actual == value) == (operator == "==")


# -- secrets ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SecretUse:
    """One secret a run reads: where, under which repository secret name, and whether as a key."""

    job: str  # "train", or "deploy → deploy" inside a reusable workflow
    secret: str | None  # the repository secret it resolves to (None: not passed to a reusable workflow)
    name: str  # the name the workflow file uses
    as_google_key: bool = False
    step: str = ""
    deploys: bool = False  # the job deploys to GKE with MLEM: the key needs deployment roles


@dataclass
class Plan:
    """What a run of one workflow would read, and why it could not run at all."""

    uses: list[SecretUse] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def secret_names(value: Any) -> list[str]:
    names = []
    for text in _strings(value):
        for match in _SECRET.finditer(text):
            name = (match.group(1) or match.group(2)).upper()
            if name not in names:
                names.append(name)
    return names


def plan(workflow: Workflow, files: dict[str, Workflow], ref: str, event: str) -> Plan:
    """The secrets a run of `workflow` on `ref` reads; `files` holds the commit's other workflows."""
    result = Plan()
    if workflow.error:
        result.problems.append(workflow.error)
        return result
    _plan_jobs(workflow, files, ref, event, None, "", result, depth=0)
    return result


def _resolve(name: str, mapping: dict[str, str | None] | None) -> str | None:
    if mapping is None:  # top level, or `secrets: inherit` all the way up
        return name
    return mapping.get(name)


def _plan_jobs(
    workflow: Workflow,
    files: dict[str, Workflow],
    ref: str,
    event: str,
    mapping: dict[str, str | None] | None,
    prefix: str,
    result: Plan,
    depth: int,
) -> None:
    for job_id, job in (workflow.data or {}).get("jobs", {}).items():
        label = f"{prefix}{job_id}"
        if not isinstance(job, dict):
            result.problems.append(f"Invalid workflow file: {workflow.path}: job '{job_id}' is not a mapping")
            continue
        if not condition_holds(job.get("if"), ref, event):
            result.skipped.append(label)
            continue
        result.jobs.append(label)
        uses = job.get("uses")
        if isinstance(uses, str):
            _plan_call(workflow, files, ref, event, mapping, label, job, uses, result, depth)
            continue
        steps = [step for step in job.get("steps") or [] if isinstance(step, dict)]
        deploys = any(
            "mlem deployment" in str(step.get("run", ""))
            or str(step.get("uses", "")).startswith("google-github-actions/get-gke-credentials")
            for step in steps
        )
        for number, step in enumerate(job.get("steps") or [], start=1):
            if not isinstance(step, dict):
                continue
            step_name = str(step.get("name") or step.get("uses") or step.get("run") or f"step {number}")
            key_names = []
            if str(step.get("uses", "")).startswith("google-github-actions/auth"):
                key_names = secret_names((step.get("with") or {}).get("credentials_json"))
            for name in secret_names(step):
                if name in AUTOMATIC_SECRETS:
                    continue
                result.uses.append(
                    SecretUse(label, _resolve(name, mapping), name, name in key_names, step_name, deploys)
                )
        for name in secret_names({k: v for k, v in job.items() if k != "steps"}):
            if name not in AUTOMATIC_SECRETS:
                result.uses.append(SecretUse(label, _resolve(name, mapping), name))


def _plan_call(
    workflow: Workflow,
    files: dict[str, Workflow],
    ref: str,
    event: str,
    mapping: dict[str, str | None] | None,
    label: str,
    job: dict[str, Any],
    uses: str,
    result: Plan,
    depth: int,
) -> None:
    local = _LOCAL_USES.match(uses.strip())
    if not local:
        result.skipped.append(f"{label} (calls {uses}: not checked by the sandbox)")
        return
    path = local.group(1)
    called = files.get(path)
    where = f"{workflow.path} (job '{label}')"
    if called is None:
        result.problems.append(
            f"Invalid workflow file: {where}: error parsing called workflow "
            f'"{uses}": failed to fetch workflow: workflow was not found.'
        )
        return
    if called.error:
        result.problems.append(
            f'Invalid workflow file: {where}: error parsing called workflow "{uses}": {called.error}'
        )
        return
    if "workflow_call" not in called.triggers:
        result.problems.append(
            f'Invalid workflow file: {where}: error parsing called workflow "{uses}": '
            "workflow is not reusable as it is missing a `on.workflow_call` trigger"
        )
        return
    if depth + 1 >= MAX_NESTING:
        result.problems.append(
            f"Invalid workflow file: {where}: job '{label}' calls workflow '{uses}', "
            f"but doing so would exceed the limit on called workflow depth of {MAX_NESTING}"
        )
        return
    passed = job.get("secrets")
    if passed == "inherit":
        inner = mapping
    else:
        inner = {}
        for name, expression in (passed or {}).items() if isinstance(passed, dict) else []:
            refs = secret_names(expression)
            inner[str(name).upper()] = _resolve(refs[0], mapping) if refs else None
            for ref_name in refs:
                result.uses.append(SecretUse(label, _resolve(ref_name, mapping), ref_name))
    _plan_jobs(called, files, ref, event, inner, f"{label} → ", result, depth + 1)
