"""Add chapter 14's `deploy` job to the learner's CI file without touching anything else.

Pure functions over text, no I/O. The learner's file is read with ruamel.yaml's round-trip
loader, which tells where every key and item sits (line and column). The new text is then
the original text with the deploy job (and, on GitLab, one `stages:` item) spliced in at
that place: every original line keeps its bytes — comments, key order, quotes, blank lines,
indentation style, line endings, the jobs the wizard knows nothing about. Re-dumping the
whole file through ruamel would do almost as well for the guide's own file, but it re-indents
a learner's `steps:\\n- name:` (or any style other than the one configured) and moves comments.

The deploy job itself comes from the chapter's template: it is loaded round-trip, its
`needs` is set to the job that trains (the one whose steps or script run `dvc repro`), and it
is dumped in the indentation style of the learner's training job (mapping indent, sequence
indent and dash offset measured there). With the guide's style (`mapping=2, sequence=4,
offset=2`) the dump is the template byte for byte.

Every edit checks itself before returning: the new text must parse (with PyYAML) to exactly
the original data plus the deploy job — and on GitLab the `deploy` stage right after the
training stage — in that order; otherwise `CiYamlError` is raised and nothing is written by
the caller. A second run finds the job (and the stage) and changes nothing.

GitHub (`.github/workflows/mlops.yml`): the job is added at the end of `jobs:`.
GitLab (`.gitlab-ci.yml`): `deploy` goes into `stages:` after the training stage and the job
after the last job of the file. `needs` names the training job on both.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelYAMLError

DEPLOY_JOB = "deploy"
DVC_REPRO = re.compile(r"\bdvc\s+repro\b")
# Top-level keys of .gitlab-ci.yml that are settings, not jobs.
GITLAB_GLOBAL_KEYS = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
    }
)
GITLAB_DEFAULT_STAGE = "test"
GITLAB_DEFAULT_STAGES = (".pre", "build", "test", "deploy", ".post")


class CiYamlError(ValueError):
    """The CI file cannot be edited safely; the message says why and what to do."""


class NoTrainingJob(CiYamlError):
    """No job of the CI file runs `dvc repro`, so there is nothing for `deploy` to follow."""


class ConflictingJob(CiYamlError):
    """The CI file already has a `deploy` job, and it is not the guide's."""

    def __init__(self, message: str, differences: list[str]):
        super().__init__(message)
        self.differences = differences


class ConflictingStage(CiYamlError):
    """`stages:` already lists `deploy`, but before the training stage."""


# -- reading ----------------------------------------------------------------------------------
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+\Z")


def _lines(text: str) -> list[str]:
    """The lines of `text` with their own line endings (YAML's breaks: CRLF, LF, CR)."""
    return _LINE.findall(text)


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _rt(mapping: int = 2, sequence: int = 4, offset: int = 2) -> YAML:
    rt = YAML()  # round-trip
    rt.indent(mapping=mapping, sequence=sequence, offset=offset)
    rt.preserve_quotes = True
    rt.width = 4096  # never fold a long command line
    return rt


def _load_rt(text: str, what: str) -> Any:
    try:
        return _rt().load(text)
    except RuamelYAMLError as error:
        raise CiYamlError(
            f"{what} is not valid YAML, so the wizard cannot edit it: {error}. "
            "Fix the file (or restore it from git) and run the step again."
        ) from None


def _load_plain(text: str) -> Any:
    """The data as PyYAML (and so CI runners) see it."""
    return yaml.safe_load(text)


def _ordered(node: Any) -> Any:
    """Data with mapping order made visible, so equality also checks key order."""
    if isinstance(node, dict):
        return [(key, _ordered(value)) for key, value in node.items()]
    if isinstance(node, list):
        return [_ordered(item) for item in node]
    return node


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


# -- finding the training job -----------------------------------------------------------------
def _github_jobs(data: Any) -> dict:
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
        raise CiYamlError(
            "The workflow has no `jobs:` mapping, so there is no training job for "
            "`deploy` to follow. Write chapter 8's `.github/workflows/mlops.yml` first."
        )
    return data["jobs"]


def _github_training_job(data: Any) -> str | None:
    for name, job in _github_jobs(data).items():
        if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
            continue
        for step in job["steps"]:
            if isinstance(step, dict) and isinstance(step.get("run"), str) and DVC_REPRO.search(step["run"]):
                return str(name)
    return None


def _gitlab_job_names(data: dict) -> list[str]:
    return [
        key
        for key, value in data.items()
        if isinstance(key, str)
        and key not in GITLAB_GLOBAL_KEYS
        and not key.startswith(".")
        and isinstance(value, dict)
    ]


def _gitlab_script(data: dict, job: dict, seen: frozenset = frozenset()) -> Any:
    """A job's `script`, following `extends:` to hidden templates as GitLab does."""
    if "script" in job:
        return job["script"]
    parents = job.get("extends")
    for parent in reversed([parents] if isinstance(parents, str) else parents or []):
        if parent in seen or not isinstance(data.get(parent), dict):
            continue
        script = _gitlab_script(data, data[parent], seen | {parent})
        if script is not None:
            return script
    return None


def _gitlab_training_job(data: Any) -> str | None:
    if not isinstance(data, dict):
        return None
    for name in _gitlab_job_names(data):
        script = _gitlab_script(data, data[name])
        if any(DVC_REPRO.search(line) for line in _strings(script)):
            return name
    return None


def training_job(mlops_yml: str) -> str | None:
    """The name of the job of a GitHub workflow that trains (a step runs `dvc repro`); None if none.

    Also answers for a `.gitlab-ci.yml` (a job whose `script` runs `dvc repro`).
    """
    data = _load_plain_checked(mlops_yml, "The CI file")
    if isinstance(data, dict) and isinstance(data.get("jobs"), dict):
        return _github_training_job(data)
    return _gitlab_training_job(data)


def _load_plain_checked(text: str, what: str) -> Any:
    try:
        return _load_plain(text)
    except yaml.YAMLError as error:
        raise CiYamlError(
            f"{what} is not valid YAML, so the wizard cannot edit it: {error}. "
            "Fix the file (or restore it from git) and run the step again."
        ) from None


# -- the wanted job ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Style:
    mapping: int = 2
    sequence: int = 4
    offset: int = 2


def _dash_column(line: str, item_col: int) -> int | None:
    before = line[:item_col].rstrip(" ")
    return len(before) - 1 if before.endswith("-") else None


def _style_of(job: Any, job_col: int, lines: list[str]) -> _Style:
    """The indentation the learner's training job uses: mapping indent, sequence indent, offset."""
    if not isinstance(job, CommentedMap) or not job or job.fa.flow_style():
        return _Style()
    first = next(iter(job))
    mapping = job.lc.key(first)[1] - job_col
    if mapping < 1:
        return _Style()
    style = _Style(mapping, mapping + 2, mapping)
    for key, value in job.items():
        if isinstance(value, CommentedSeq) and value and not value.fa.flow_style():
            key_col = job.lc.key(key)[1]
            line, col = value.lc.item(0)
            dash = _dash_column(lines[line], col) if line < len(lines) else None
            if dash is not None and dash >= key_col and col - dash >= 2:
                style = _Style(mapping, col - key_col, dash - key_col)
            break
    return style


def _align_comments(lines: list[str]) -> list[str]:
    """Give every full-line comment the indentation of the line it describes (the next one).

    ruamel keeps a comment at the column it had in the template; once the job is dumped with
    the learner's indentation the comment belongs at the column of what follows it.
    """
    out: list[str] = []
    indent = 0
    for line in reversed(lines):
        stripped = line.lstrip(" ")
        if stripped.startswith("#"):
            out.append(" " * indent + stripped)
        else:
            if stripped:
                indent = len(line) - len(stripped)
            out.append(line)
    return list(reversed(out))


def _render_job(deploy_job_yaml: str, needs: str, forge: str, style: _Style, indent: int) -> list[str]:
    """The deploy job of the template as lines (no line ending), `needs` set, in `style`."""
    rt = _rt(style.mapping, style.sequence, style.offset)
    try:
        doc = rt.load(deploy_job_yaml)
    except RuamelYAMLError as error:
        raise CiYamlError(f"The deploy job template is not valid YAML: {error}") from None
    if not isinstance(doc, CommentedMap) or list(doc) != [DEPLOY_JOB] or not isinstance(doc[DEPLOY_JOB], dict):
        raise CiYamlError(f"The deploy job template must hold one job named `{DEPLOY_JOB}`.")
    job = doc[DEPLOY_JOB]
    if forge == "github":
        job["needs"] = needs
    else:
        if not isinstance(job.get("needs"), list) or len(job["needs"]) != 1:
            raise CiYamlError("The GitLab deploy job template must need exactly one job.")
        job["needs"][0] = needs
    buffer = io.StringIO()
    rt.dump(doc, buffer)
    lines = _align_comments(buffer.getvalue().splitlines())
    return [(" " * indent + line) if line.strip() else "" for line in lines]


def _normal_needs(needs: Any) -> Any:
    """`needs: train`, `needs: [train]` and GitLab's `needs: [{job: train}]` say the same."""
    if isinstance(needs, str):
        return [needs]
    if isinstance(needs, list):
        return [item["job"] if isinstance(item, dict) and set(item) == {"job"} else item for item in needs]
    return needs


def _differences(existing: Any, wanted: dict) -> list[str]:
    if not isinstance(existing, dict):
        return [f"it is {type(existing).__name__}, not a job"]
    existing = dict(existing, needs=_normal_needs(existing.get("needs")))
    wanted = dict(wanted, needs=_normal_needs(wanted.get("needs")))
    out = []
    for key in wanted:
        if key not in existing:
            out.append(f"`{key}` is missing (the guide has `{key}: {_short(wanted[key])}`)")
        elif existing[key] != wanted[key]:
            out.append(f"`{key}` is {_short(existing[key])} (the guide has {_short(wanted[key])})")
    out += [f"`{key}` is not in the guide's job" for key in existing if key not in wanted]
    return out


def _short(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=1 << 16).strip()
    if text.endswith("\n..."):
        text = text[:-4].strip()
    return text if len(text) <= 80 else text[:77] + "..."


# -- splicing ---------------------------------------------------------------------------------
def _is_comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _end_of_block(lines: list[str], end: int, block_col: int) -> int:
    """Where a block ending before line `end` really ends: trailing blank lines and comments
    less indented than the block stay where they are, after whatever is inserted."""
    while end > 0:
        line = lines[end - 1]
        if not line.strip() or (_is_comment(line) and _indent_of(line) < block_col):
            end -= 1
        else:
            break
    return end


def _blank_before(lines: list[str], key_lines: list[int]) -> bool:
    """Whether the blocks at `key_lines` are separated by blank lines (so the new one is too)."""
    if len(key_lines) < 2:
        return True
    line = key_lines[-1] - 1
    while line >= 0 and _is_comment(lines[line]):
        line -= 1
    return line >= 0 and not lines[line].strip()


def _splice(lines: list[str], at: int, new: list[str], newline: str, blank: bool) -> str:
    before, after = list(lines[:at]), lines[at:]
    if before and not before[-1].endswith(("\n", "\r")):
        before[-1] += newline
    block = [newline] if blank and before and before[-1].strip() else []
    block += [line + newline for line in new]
    return "".join(before + block + after)


def _top_key_after(root: CommentedMap, key: Any) -> int | None:
    """The line of the top-level key that follows `key`, if any."""
    keys = list(root)
    index = keys.index(key)
    return root.lc.key(keys[index + 1])[0] if index + 1 < len(keys) else None


def _check(result: str, expected: Any) -> str:
    try:
        got = _load_plain(result)
    except yaml.YAMLError:
        got = object()
    if _ordered(got) != _ordered(expected):
        raise CiYamlError(
            "The wizard could not add the deploy job without changing the rest of the "
            "file (an unusual layout). Add the job by hand as the step shows."
        )
    return result


def _first_passing(candidates: list[str], expected: Any) -> str:
    error: CiYamlError | None = None
    for candidate in candidates:
        try:
            return _check(candidate, expected)
        except CiYamlError as caught:
            error = caught
    assert error is not None
    raise error


# -- GitHub -----------------------------------------------------------------------------------
@dataclass
class _Plan:
    text: str
    changed: bool


def _github(mlops_yml: str, deploy_job_yaml: str) -> tuple[_Plan | None, dict | None, list[str]]:
    """(the edit to make or None when the job is there, the wanted job's data, differences)."""
    plain = _load_plain_checked(mlops_yml, "The workflow file")
    jobs = _github_jobs(plain)
    trainer = _github_training_job(plain)
    if trainer is None:
        raise NoTrainingJob(
            "No job of the workflow runs `dvc repro`, so the wizard does not know which job the "
            "deploy job must follow. Chapter 8's workflow has a `train` job whose last step runs "
            "`dvc repro --pull --allow-missing`; restore it and run this step again."
        )
    root = _load_rt(mlops_yml, "The workflow file")
    rt_jobs = root["jobs"]
    if not isinstance(rt_jobs, CommentedMap) or rt_jobs.fa.flow_style():
        raise CiYamlError("`jobs:` is written in flow style ({...}); the wizard only edits block style.")
    lines = _lines(mlops_yml)
    job_col = rt_jobs.lc.key(trainer)[1]
    style = _style_of(rt_jobs[trainer], job_col, lines)
    new_lines = _render_job(deploy_job_yaml, trainer, "github", style, job_col)
    wanted = _load_plain("\n".join(new_lines) + "\n")[DEPLOY_JOB]
    if DEPLOY_JOB in jobs:
        differences = _differences(jobs[DEPLOY_JOB], wanted)
        return None, wanted, differences
    newline = _newline(mlops_yml)
    next_key = _top_key_after(root, "jobs")
    end = len(lines) if next_key is None else next_key
    ends = dict.fromkeys([_end_of_block(lines, end, job_col), end])
    job_lines = [rt_jobs.lc.key(name)[0] for name in rt_jobs]
    blank = _blank_before(lines, job_lines)
    expected = dict(plain)
    expected["jobs"] = {**jobs, DEPLOY_JOB: wanted}
    text = _first_passing([_splice(lines, at, new_lines, newline, blank) for at in ends], expected)
    return _Plan(text, True), wanted, []


def add_github_deploy_job(mlops_yml: str, deploy_job_yaml: str) -> tuple[str, bool]:
    """Add the `deploy` job of `deploy_job_yaml` to `jobs:`, needing the training job.

    Returns (new text, changed). If the `deploy` job is already the wanted one: (text, False).
    Raises `ConflictingJob` if a different `deploy` job exists, `NoTrainingJob` if no job
    runs `dvc repro`, `CiYamlError` if the file cannot be edited safely.
    """
    plan, _, differences = _github(mlops_yml, deploy_job_yaml)
    if plan is not None:
        return plan.text, plan.changed
    if differences:
        raise _conflict("The workflow", differences)
    return mlops_yml, False


def has_github_deploy_job(mlops_yml: str, deploy_job_yaml: str) -> bool:
    """Whether `jobs:` holds the wanted `deploy` job (False as well when nothing trains)."""
    try:
        plan, _, differences = _github(mlops_yml, deploy_job_yaml)
    except NoTrainingJob:
        return False
    return plan is None and not differences


def _conflict(where: str, differences: list[str]) -> ConflictingJob:
    return ConflictingJob(
        f"{where} already has a `{DEPLOY_JOB}` job that is not the guide's: "
        + "; ".join(differences)
        + f". The wizard does not overwrite your job: rename or remove your `{DEPLOY_JOB}` job "
        "(or make it the guide's) and run this step again.",
        differences,
    )


# -- GitLab -----------------------------------------------------------------------------------
def _gitlab(gitlab_ci: str, deploy_job_yaml: str) -> tuple[str, bool, list[str]]:
    """(the text with what is missing added, whether anything was added, job differences)."""
    plain = _load_plain_checked(gitlab_ci, "`.gitlab-ci.yml`")
    if not isinstance(plain, dict):
        raise CiYamlError("`.gitlab-ci.yml` is not a mapping of jobs. Write chapter 8's file first.")
    trainer = _gitlab_training_job(plain)
    if trainer is None:
        raise NoTrainingJob(
            "No job of `.gitlab-ci.yml` runs `dvc repro`, so the wizard does not know which job "
            "the deploy job must follow. Chapter 8's file has a `train` job whose script runs "
            "`dvc repro --pull --allow-missing`; restore it and run this step again."
        )
    root = _load_rt(gitlab_ci, "`.gitlab-ci.yml`")
    if not isinstance(root, CommentedMap) or root.fa.flow_style():
        raise CiYamlError("`.gitlab-ci.yml` is written in flow style ({...}); the wizard only edits block style.")
    lines = _lines(gitlab_ci)
    newline = _newline(gitlab_ci)
    style = _style_of(root[trainer], 0, lines)
    new_job = _render_job(deploy_job_yaml, trainer, "gitlab", style, 0)
    wanted = _load_plain("\n".join(new_job) + "\n")[DEPLOY_JOB]
    deploy_stage = wanted.get("stage", GITLAB_DEFAULT_STAGE)
    train_stage = plain[trainer].get("stage", GITLAB_DEFAULT_STAGE)

    differences: list[str] = []
    insertions: list[tuple[int, list[str], bool]] = []  # (line, new lines, blank line before)
    expected = dict(plain)

    # The stage.
    stages = plain.get("stages")
    if stages is None:
        known = list(GITLAB_DEFAULT_STAGES)
        if train_stage not in known:
            raise CiYamlError(
                f"`.gitlab-ci.yml` has no `stages:` but the training job `{trainer}` is in "
                f"stage `{train_stage}`; add `stages:` with `{train_stage}` first."
            )
        if known.index(deploy_stage) < known.index(train_stage):
            raise ConflictingStage(f"GitLab's default stage `{deploy_stage}` runs before `{train_stage}`.")
        flow_edit = None
    else:
        if not isinstance(stages, list) or train_stage not in stages:
            raise CiYamlError(
                f"The training job `{trainer}` is in stage `{train_stage}`, which `stages:` "
                "does not list. Fix `stages:` and run this step again."
            )
        flow_edit = None
        if deploy_stage in stages:
            if stages.index(deploy_stage) < stages.index(train_stage):
                raise ConflictingStage(
                    f"`stages:` lists `{deploy_stage}` before `{train_stage}`, so the deploy job would "
                    f"run before the model is trained. Move `{deploy_stage}` after `{train_stage}` in "
                    "`stages:` and run this step again."
                )
        else:
            index = stages.index(train_stage)
            expected["stages"] = [*stages[: index + 1], deploy_stage, *stages[index + 1 :]]
            rt_stages = root["stages"]
            line, col = rt_stages.lc.item(index)
            if rt_stages.fa.flow_style():
                flow_edit = (line, col)
            else:
                prefix = lines[line][:col]
                if prefix.strip() not in ("-",):
                    raise CiYamlError(
                        "The wizard cannot add the stage to this `stages:` layout; "
                        f"add `{deploy_stage}` after `{train_stage}` by hand."
                    )
                insertions.append((line + 1, [prefix + deploy_stage], False))

    # The job.
    if DEPLOY_JOB in plain:
        differences = _differences(plain[DEPLOY_JOB], wanted)
    else:
        job_names = _gitlab_job_names(plain)
        last = job_names[-1]
        next_key = _top_key_after(root, last)
        end = len(lines) if next_key is None else next_key
        at = _end_of_block(lines, end, 1)
        key_lines = [root.lc.key(name)[0] for name in job_names]
        insertions.append((at, new_job, _blank_before(lines, key_lines)))
        ordered_keys: dict = {}
        for key, value in expected.items():
            ordered_keys[key] = value
            if key == last:
                ordered_keys[DEPLOY_JOB] = wanted
        expected = ordered_keys

    if differences:
        return gitlab_ci, False, differences
    if not insertions and flow_edit is None:
        return gitlab_ci, False, []

    edited = list(lines)
    if flow_edit is not None:
        line, col = flow_edit
        token = re.match(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*'|[^,\]\s#]+", edited[line][col:])
        if token is None:
            raise CiYamlError(
                f"The wizard cannot add the stage to this `stages:`; add `{deploy_stage}` "
                f"after `{train_stage}` by hand."
            )
        cut = col + token.end()
        edited[line] = edited[line][:cut] + f", {deploy_stage}" + edited[line][cut:]
    text_lines = edited
    # Splice from the bottom up so the line numbers above stay right.
    for at, new, blank in sorted(insertions, key=lambda item: item[0], reverse=True):
        text_lines = _lines(_splice(text_lines, at, new, newline, blank))
    return _check("".join(text_lines), expected), True, []


def add_gitlab_deploy_job(gitlab_ci: str, deploy_job_yaml: str) -> tuple[str, bool]:
    """Add `deploy` to `stages:` (after the training stage) and the deploy job, needing the
    training job. Returns (new text, changed); (text, False) when both are already there.

    Raises `ConflictingJob` if a different `deploy` job exists, `ConflictingStage` if `deploy`
    comes before the training stage, `NoTrainingJob` if no job runs `dvc repro`.
    """
    text, changed, differences = _gitlab(gitlab_ci, deploy_job_yaml)
    if differences:
        raise _conflict("`.gitlab-ci.yml`", differences)
    return text, changed


def has_gitlab_deploy_job(gitlab_ci: str, deploy_job_yaml: str) -> bool:
    """Whether the wanted deploy job and its stage are both there (False when nothing trains)."""
    try:
        _, changed, differences = _gitlab(gitlab_ci, deploy_job_yaml)
    except (NoTrainingJob, ConflictingStage):
        return False
    return not changed and not differences


# -- chapter 14's job seen from chapter 8 -------------------------------------------------------
def _is_chapter14_job(job: Any, forge: str) -> bool:
    """Chapter 14's deploy job, by meaning: it calls deploy.yml (GitHub) or runs `mlem deployment` (GitLab)."""
    if not isinstance(job, dict):
        return False
    if forge == "github":
        return str(job.get("uses", "")).endswith("workflows/deploy.yml")
    return any("mlem deployment" in line for line in _strings(job.get("script")))


def without_deploy_job(text: str, forge: str) -> tuple[Any, bool]:
    """(the CI file's data without chapter 14's `deploy` job and stage, whether there was one).

    Chapter 8 compares what is left with its own file: the job chapter 14 added is chapter
    14's, not a difference. A `deploy` job that is not chapter 14's stays, and so differs.
    Raises `CiYamlError` when the text is not YAML.
    """
    try:
        data = _load_plain(text)
    except yaml.YAMLError as error:
        raise CiYamlError(f"not valid YAML: {error}") from None
    if not isinstance(data, dict):
        return data, False
    container = data.get("jobs") if forge == "github" else data
    if not isinstance(container, dict) or not _is_chapter14_job(container.get(DEPLOY_JOB), forge):
        return data, False
    del container[DEPLOY_JOB]
    stages = data.get("stages")
    if forge == "gitlab" and isinstance(stages, list) and DEPLOY_JOB in stages:
        data["stages"] = [stage for stage in stages if stage != DEPLOY_JOB]
    return data, True


def deploy_job_text(text: str, forge: str) -> str | None:
    """The text of chapter 14's `deploy` job in a CI file, unindented (as its template), or None.

    When chapter 8's file is replaced with the guide's, this job is carried over: replacing
    chapter 8's part never drops chapter 14's.
    """
    try:
        _data, found = without_deploy_job(text, forge)
        root = _load_rt(text, "The CI file")
    except CiYamlError:
        return None
    if not found or not isinstance(root, CommentedMap):
        return None
    container = root["jobs"] if forge == "github" else root
    lines = _lines(text)
    keys = list(container)
    start, col = container.lc.key(DEPLOY_JOB)
    index = keys.index(DEPLOY_JOB)
    if index + 1 < len(keys):
        end = container.lc.key(keys[index + 1])[0]
    elif forge == "github":
        following = _top_key_after(root, "jobs")
        end = len(lines) if following is None else following
    else:
        end = len(lines)
    end = _end_of_block(lines, end, col + 1)
    block = [
        line[col:] if len(line) > col and not line[:col].strip() else line.lstrip(" ") for line in lines[start:end]
    ]
    return "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in block)
