"""Reading a `.gitlab-ci.yml` the way GitLab does, far enough to know which jobs a pipeline gets.

Covers what the guide's files use and the usual neighbours: `stages` (with the implicit
`.pre`/`.post`), `variables` (global and per job, plain or `{value: …}`), `default`,
global `image`/`before_script`, hidden jobs and `extends`, `workflow: rules`, job `rules`
(`if` with `==`, `!=`, `=~`, `!~`, `&&`, `||`, parentheses, `null`; `when`,
`allow_failure`, `variables`, `exists`; `changes` is taken as changed) and the older
`only`/`except`. A job without rules runs in every pipeline, as in GitLab. Anything
GitLab would reject is reported as the YAML error GitLab shows.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RESERVED = {
    "stages",
    "variables",
    "default",
    "include",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
    "spec",
}
DEFAULT_STAGES = ["build", "test", "deploy"]
DEFAULT_KEYS = (
    "image",
    "before_script",
    "after_script",
    "services",
    "cache",
    "tags",
    "retry",
    "timeout",
    "interruptible",
    "artifacts",
)


class CiError(Exception):
    """The configuration is invalid; the message is what GitLab says about it."""


@dataclass
class Job:
    name: str
    stage: str
    when: str = "on_success"  # on_success | manual | always | delayed
    allow_failure: bool = False
    image: str | None = None
    before_script: list[str] = field(default_factory=list)
    script: list[str] = field(default_factory=list)
    after_script: list[str] = field(default_factory=list)
    environment: str | None = None
    variables: dict[str, str] = field(default_factory=dict)


@dataclass
class Plan:
    stages: list[str]
    jobs: list[Job]  # the jobs this pipeline gets, in stage order
    variables: dict[str, str]  # global YAML variables
    created: bool = True  # False when workflow:rules keep the pipeline from being created


# -- expressions -------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""
    \s*(?:
      (?P<op>==|!=|=~|!~|&&|\|\||\(|\))
    | \$\{(?P<var1>[A-Za-z_][A-Za-z0-9_]*)\}
    | \$(?P<var2>[A-Za-z_][A-Za-z0-9_]*)
    | "(?P<dq>[^"]*)"
    | '(?P<sq>[^']*)'
    | /(?P<re>(?:\\.|[^/\\])*)/(?P<flags>[a-z]*)
    | (?P<null>null)\b
    )""",
    re.VERBOSE,
)


@dataclass
class _Regex:
    pattern: str
    flags: str


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise CiError(f"invalid expression syntax: {text}")
        pos = match.end()
        if match["op"]:
            tokens.append(("op", match["op"]))
        elif match["var1"] or match["var2"]:
            tokens.append(("var", match["var1"] or match["var2"]))
        elif match["dq"] is not None or match["sq"] is not None:
            tokens.append(("str", match["dq"] if match["dq"] is not None else match["sq"]))
        elif match["re"] is not None:
            tokens.append(("re", _Regex(match["re"], match["flags"])))
        elif match["null"]:
            tokens.append(("null", None))
    return tokens


def evaluate(expression: str, variables: dict[str, str]) -> bool:
    """A rules:if expression, with GitLab's meaning of unset variables (null)."""
    tokens = _tokens(expression)
    position = 0

    def peek() -> tuple[str, Any] | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> tuple[str, Any]:
        nonlocal position
        if position >= len(tokens):
            raise CiError(f"invalid expression syntax: {expression}")
        position += 1
        return tokens[position - 1]

    def value(token: tuple[str, Any]) -> Any:
        kind, item = token
        if kind == "var":
            return variables.get(item)
        if kind in ("str", "re"):
            return item
        if kind == "null":
            return None
        raise CiError(f"invalid expression syntax: {expression}")

    def matches(left: Any, right: Any) -> bool:
        if left is None:
            return False
        if isinstance(right, str):  # a variable holding "/pattern/"
            found = re.fullmatch(r"/(.*)/([a-z]*)", right, re.DOTALL)
            if not found:
                return False
            right = _Regex(found[1], found[2])
        if not isinstance(right, _Regex):
            raise CiError(f"invalid expression syntax: {expression}")
        flags = re.IGNORECASE if "i" in right.flags else 0
        return re.search(right.pattern, str(left), flags) is not None

    def primary() -> bool:
        token = peek()
        if token == ("op", "("):
            take()
            result = disjunction()
            if take() != ("op", ")"):
                raise CiError(f"invalid expression syntax: {expression}")
            return result
        left = value(take())
        following = peek()
        if following and following[0] == "op" and following[1] in ("==", "!=", "=~", "!~"):
            op = take()[1]
            right = value(take())
            if op == "==":
                return left == right
            if op == "!=":
                return left != right
            return matches(left, right) if op == "=~" else not matches(left, right)
        return bool(left) if not isinstance(left, _Regex) else True

    def conjunction() -> bool:
        result = primary()
        while peek() == ("op", "&&"):
            take()
            right = primary()
            result = result and right
        return result

    def disjunction() -> bool:
        result = conjunction()
        while peek() == ("op", "||"):
            take()
            right = conjunction()
            result = result or right
        return result

    result = disjunction()
    if position != len(tokens):
        raise CiError(f"invalid expression syntax: {expression}")
    return result


# -- the configuration -------------------------------------------------------------------------
def _lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [line for item in value for line in _lines(item)]
    return [str(value)]


def _variables(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CiError(f"{where} config should be a hash of key value pairs")
    result = {}
    for key, item in value.items():
        if isinstance(item, dict):
            item = item.get("value", "")
        if isinstance(item, bool):
            item = "true" if item else "false"
        result[str(key)] = "" if item is None else str(item)
    return result


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, item in over.items():
        if isinstance(item, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], item)
        else:
            merged[key] = item
    return merged


def _resolve_extends(name: str, config: dict[str, Any], seen: tuple[str, ...] = ()) -> dict[str, Any]:
    body = config[name]
    parents = body.get("extends")
    if not parents:
        return body
    if name in seen or len(seen) > 10:
        raise CiError(f"{name}: circular dependency detected in `extends`")
    merged: dict[str, Any] = {}
    for parent in [parents] if isinstance(parents, str) else list(parents):
        if parent not in config or not isinstance(config[parent], dict):
            raise CiError(f"{name}: unknown key in `extends` ({parent})")
        merged = _deep_merge(merged, _resolve_extends(parent, config, (*seen, name)))
    return _deep_merge(merged, {k: v for k, v in body.items() if k != "extends"})


def _allow_failure(value: Any) -> bool | None:
    """allow_failure: true/false, or {exit_codes: [...]} (the simulated failures exit with 1)."""
    if value is None:
        return None
    if isinstance(value, dict):
        codes = value.get("exit_codes")
        return 1 in (codes if isinstance(codes, list) else [codes])
    return bool(value)


def _rule_applies(rule: dict[str, Any], variables: dict[str, str], exists: Callable[[str], bool]) -> bool:
    if "if" in rule and not evaluate(str(rule["if"]), variables):
        return False
    if "exists" in rule:
        patterns = rule["exists"]
        if isinstance(patterns, dict):
            patterns = patterns.get("paths", [])
        if not any(exists(str(pattern)) for pattern in _lines(patterns)):
            return False
    return True  # `changes` is taken as changed


def _only(spec: Any, variables: dict[str, str]) -> bool:
    """Does an only:/except: spec match this pipeline?"""
    refs, expressions = spec, []
    if isinstance(spec, dict):
        refs, expressions = spec.get("refs"), _lines(spec.get("variables"))
    ref = variables.get("CI_COMMIT_REF_NAME", "")
    source = variables.get("CI_PIPELINE_SOURCE", "push")
    keywords = {
        "branches": "CI_COMMIT_BRANCH" in variables,
        "tags": "CI_COMMIT_TAG" in variables,
        "merge_requests": source == "merge_request_event",
        "api": source == "api",
        "pushes": source == "push",
        "web": source == "web",
        "schedules": source == "schedule",
        "triggers": source == "trigger",
        "pipelines": source == "pipeline",
    }
    hit = refs is None
    for item in _lines(refs):
        if item in keywords:
            hit = hit or keywords[item]
        elif len(item) > 1 and item.startswith("/") and item.rstrip("i").endswith("/"):
            flags = re.IGNORECASE if item.endswith("i") else 0
            hit = hit or re.search(item.rstrip("i")[1:-1], ref, flags) is not None
        else:
            hit = hit or item == ref
    if expressions:
        hit = hit and any(evaluate(expression, variables) for expression in expressions)
    return hit


def plan(text: str, context: dict[str, str], exists: Callable[[str], bool] = lambda _: False) -> Plan:
    """The jobs a pipeline gets from `text`, for the predefined/project variables in `context`."""
    import yaml

    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        raise CiError(f"(<unknown>): {getattr(err, 'problem', None) or err}{where}") from None
    if not isinstance(config, dict):
        raise CiError("Invalid configuration format")
    stages = config.get("stages", config.get("types"))
    stages = [str(s) for s in stages] if isinstance(stages, list) else list(DEFAULT_STAGES)
    stages = [".pre", *[s for s in stages if s not in (".pre", ".post")], ".post"]
    global_vars = _variables(config.get("variables"), "variables")
    variables = {**global_vars, **context}

    workflow = config.get("workflow") or {}
    if isinstance(workflow, dict) and workflow.get("rules") is not None:
        for rule in workflow["rules"]:
            if _rule_applies(rule, variables, exists):
                if rule.get("when") == "never":
                    return Plan(stages, [], global_vars, created=False)
                variables.update(_variables(rule.get("variables"), "workflow:rules:variables"))
                global_vars.update(_variables(rule.get("variables"), "workflow:rules:variables"))
                break
        else:
            return Plan(stages, [], global_vars, created=False)

    defaults = dict(config.get("default") or {})
    for key in ("image", "before_script", "after_script"):
        if key in config and key not in defaults:
            defaults[key] = config[key]
    jobs: list[Job] = []
    for name, body in config.items():
        if name in RESERVED or str(name).startswith(".") or not isinstance(body, dict):
            continue
        body = _resolve_extends(name, config)
        if "script" not in body and "trigger" not in body and "run" not in body:
            raise CiError(f"jobs:{name} config should implement the script:, run:, or trigger: keyword")
        stage = str(body.get("stage", "test"))
        if stage not in stages:
            raise CiError(f"{name} job: chosen stage {stage} does not exist; available stages are " + ", ".join(stages))
        job_vars = _variables(body.get("variables"), f"jobs:{name}:variables")
        when = str(body.get("when", "on_success"))
        declared = _allow_failure(body.get("allow_failure"))
        allow_failure = declared if declared is not None else when == "manual"
        scope = {**variables, **job_vars}
        if "rules" in body:
            for rule in body["rules"] or []:
                if not isinstance(rule, dict):
                    raise CiError(f"jobs:{name}:rules:rule config should be a hash")
                if _rule_applies(rule, scope, exists):
                    when = str(rule.get("when", when))
                    from_rule = _allow_failure(rule.get("allow_failure"))
                    # In rules, a manual job blocks the pipeline unless allow_failure says otherwise.
                    allow_failure = from_rule if from_rule is not None else bool(declared)
                    job_vars.update(_variables(rule.get("variables"), f"jobs:{name}:rules:variables"))
                    break
            else:
                continue
        else:
            if "only" in body and not _only(body["only"], scope):
                continue
            if "except" in body and _only(body["except"], scope):
                continue
        if when == "never":
            continue
        environment = body.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        image = body.get("image", defaults.get("image"))
        if isinstance(image, dict):
            image = image.get("name")
        jobs.append(
            Job(
                name=str(name),
                stage=stage,
                when=when,
                allow_failure=allow_failure,
                image=None if image is None else str(image),
                before_script=_lines(body.get("before_script", defaults.get("before_script"))),
                script=_lines(body.get("script", body.get("run"))),
                after_script=_lines(body.get("after_script", defaults.get("after_script"))),
                environment=None if environment is None else str(environment),
                variables=job_vars,
            )
        )
    jobs.sort(key=lambda job: stages.index(job.stage))
    return Plan(stages, jobs, global_vars)


def scope_matches(environment_scope: str, environment: str | None) -> bool:
    """Does a variable with this environment scope reach a job deploying to `environment`?"""
    if environment_scope in ("*", "", None):
        return True
    return environment is not None and fnmatch.fnmatchcase(environment, environment_scope)


# -- what a script does with secrets -------------------------------------------------------------
_DECODE = re.compile(r"\bbase64\b[^|;&]*?(?:\s-[A-Za-z]*[dD][A-Za-z]*\b|\s--decode\b)")
_REDIRECT = re.compile(r"\d?>>?\s*(?:\"[^\"]*\"|'[^']*'|\S+)")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_USES_CREDENTIALS = re.compile(
    r"\bdvc\s+(?:pull|push|fetch|repro|update|import|import-url|exp\s+run|status\s+(?:-c|--cloud))\b"
    r"|\bgcloud\b|\bgsutil\b|\bmlem\b"
)


def decoded_variables(line: str) -> list[str]:
    """The variables a script line base64-decodes (`echo "$KEY" | base64 -d > file`)."""
    if not _DECODE.search(line):
        return []
    source = _REDIRECT.sub(" ", line)
    return list(dict.fromkeys(_VARIABLE.findall(source)))


def uses_credentials(line: str) -> bool:
    """Does this command talk to Google with the decoded key (DVC, gcloud, MLEM)?"""
    return _USES_CREDENTIALS.search(line) is not None
