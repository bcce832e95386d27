"""The sandbox's code forge: git repositories over real smart HTTP, plus room for REST APIs.

A threaded HTTPS server on loopback (the sandbox's CA, see serving.py). Every request goes
through a small `Dispatcher` that matches the path against mounted prefixes (fake GitHub at
`/api/v3`, fake GitLab at `/api/v4`, mounted by their own modules) and otherwise hands it to git: the repositories
in `repos_dir` are served at `/{owner}/{name}.git` by the real `git http-backend` (CGI), so
clone, fetch and push behave exactly as git does against GitHub or GitLab.

An app is any callable `app(request: ForgeRequest) -> ForgeResponse`. Listeners added with
`on_push` are called with `(owner, name)` after each successful push, which is how a fake
forge can start a simulated workflow run / pipeline for the pushed commit.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from wizard.sandbox.serving import Served, serve
from wizard.sandbox.world import World

logger = logging.getLogger(__name__)

DEFAULT_BRANCH = "main"
# /{owner}[/{subgroup}...]/{name}[.git]/{git path}; GitHub and GitLab accept the URL
# without ".git" too.
_GIT_PATH = re.compile(
    r"^/(?P<owner>[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?"
    r"/(?P<rest>info/refs|git-upload-pack|git-receive-pack|HEAD|objects/.+)$"
)
_REPO_PART = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


# -- requests and responses -------------------------------------------------------------------
@dataclass
class ForgeRequest:
    """One HTTP request, with its body already read."""

    method: str
    path: str  # the raw path, not unquoted (GitLab's API needs "group%2Fname" intact)
    query_string: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    base_url: str  # "https://host:port" as the client addressed us (from Host)
    world: World
    prefix: str = ""  # the mount prefix that matched

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)

    def json(self) -> Any:
        import json

        return json.loads(self.body or b"null")


@dataclass
class ForgeResponse:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    @classmethod
    def json(cls, value: Any, status: int = 200, headers: list[tuple[str, str]] | None = None) -> ForgeResponse:
        import json

        return cls(
            status,
            [("Content-Type", "application/json; charset=utf-8"), *(headers or [])],
            json.dumps(value).encode("utf-8"),
        )

    @classmethod
    def text(cls, text: str, status: int = 200) -> ForgeResponse:
        return cls(status, [("Content-Type", "text/plain; charset=utf-8")], text.encode("utf-8"))


App = Callable[[ForgeRequest], ForgeResponse]
Page = Callable[[ForgeRequest], "ForgeResponse | None"]  # a web page, or None when the path is not its

# How long a simulated CI run takes unless `world["faults"]["run_seconds"]` says otherwise: long
# enough to watch it go queued → in progress → done (tests set it low).
DEFAULT_RUN_SECONDS = 8.0


def run_seconds_of(data: dict[str, Any]) -> float:
    return max(0.0, float(data.get("faults", {}).get("run_seconds", DEFAULT_RUN_SECONDS)))


def failing_names(data: dict[str, Any]) -> set[str]:
    """`world["faults"]["fail_runs"]`: names of workflows or jobs whose runs are made to fail (rehearsals)."""
    names = data.get("faults", {}).get("fail_runs") or []
    return {str(n) for n in ([names] if isinstance(names, str) else names)}


FAIL_RUNS_WHY = (
    "the sandbox's `faults.fail_runs` names {name!r}, so this run fails on purpose: a rehearsal of "
    "a failed run (remove the name from world.json's faults to let it succeed)"
)


def html_page(title: str, body: str, refresh: bool = False) -> ForgeResponse:
    """A plain web page (the sandbox's stand-in for the forge's run pages)."""
    import html

    meta = '<meta http-equiv="refresh" content="2">' if refresh else ""
    text = (
        f'<!doctype html><html><head><meta charset="utf-8">{meta}<title>{html.escape(title)}</title>'
        f"<style>body{{font-family:sans-serif;margin:2em}}pre{{background:#111;color:#eee;padding:1em}}</style>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return ForgeResponse(200, [("Content-Type", "text/html; charset=utf-8")], text.encode("utf-8"))


# -- rate limits ------------------------------------------------------------------------------
def rate_limited(world: World, service: str) -> tuple[float, str] | None:
    """(seconds until the limit resets, "primary" or "secondary") when this API request is refused.

    The knob `world["faults"]["rate_limit"] = {"after": N, "seconds": S, "kind": "primary" |
    "secondary", "services": ["github", "gitlab"]}`: after N more API requests, requests to the
    named services (default both) are refused for S seconds, then the knob clears itself, as a
    real limit resets. Each forge answers in its own words (GitHub 403 with X-RateLimit-*,
    GitLab 429 with RateLimit-* and Retry-After).
    """
    knob = world.read().get("faults", {}).get("rate_limit")
    if not knob or service not in knob.get("services", ["github", "gitlab"]):
        return None
    with world.mutate() as data:
        knob = data.get("faults", {}).get("rate_limit")
        if not knob:
            return None
        now = time.time()
        until = knob.get("until")
        if until is None:
            if int(knob.get("after", 0)) > 0:
                knob["after"] = int(knob["after"]) - 1
                return None
            until = knob["until"] = now + float(knob.get("seconds", 60))
        if now >= float(until):
            del data["faults"]["rate_limit"]
            return None
        return float(until) - now, str(knob.get("kind", "primary"))


# -- repositories -----------------------------------------------------------------------------
def _git(*args: str, cwd: Path | None = None) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True, env=_git_env())
    return result.stdout


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GIT_TERMINAL_PROMPT": "0", "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"})
    return env


def repo_path(repos_dir: Path, owner: str, name: str) -> Path:
    for part in (*owner.split("/"), name):
        if not _REPO_PART.match(part) or part.endswith(".git"):
            raise ValueError(f"not a valid repository path: {owner}/{name}")
    return Path(repos_dir, *owner.split("/"), f"{name}.git")


def create_repo(repos_dir: Path, owner: str, name: str) -> Path:
    """Create an empty bare repository `repos_dir/owner/name.git` (default branch main).

    Idempotent: an existing repository is left as it is.
    """
    path = repo_path(repos_dir, owner, name)
    if (path / "HEAD").exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    _git("init", "--quiet", "--bare", f"--initial-branch={DEFAULT_BRANCH}", str(path))
    # Pushing over HTTP without authentication needs receive-pack enabled explicitly.
    _git("config", "http.receivepack", "true", cwd=path)
    return path


def delete_repo(repos_dir: Path, owner: str, name: str) -> None:
    shutil.rmtree(repo_path(repos_dir, owner, name), ignore_errors=True)


def repo_exists(repos_dir: Path, owner: str, name: str) -> bool:
    try:
        return (repo_path(repos_dir, owner, name) / "HEAD").exists()
    except ValueError:
        return False


# -- git smart HTTP through git http-backend ----------------------------------------------------
class GitApp:
    """Serves `repos_dir` with `git http-backend`."""

    def __init__(self, repos_dir: Path, on_push: Callable[[str, str], None]) -> None:
        from wizard.sandbox.push_rules import install_hooks

        self.repos_dir = Path(repos_dir).resolve()
        self.on_push = on_push
        self.pages: list[Page] = []  # web pages (runs, pipelines) the fake forges serve beside git
        self.backend = _http_backend()
        install_hooks(self.repos_dir)

    def __call__(self, request: ForgeRequest) -> ForgeResponse:
        match = _GIT_PATH.match(request.path)
        if not match:
            for page in list(self.pages):
                response = page(request)
                if response is not None:
                    return response
            return ForgeResponse.text("Not Found\n", 404)
        owner, name, rest = match["owner"], match["name"], match["rest"]
        push = rest == "git-receive-pack" or (
            rest == "info/refs" and "git-receive-pack" in request.query.get("service", [])
        )
        # Only the POST that sends the pack writes: an up-to-date push counts as a read.
        request.world.count("git", write=push and request.method == "POST")
        if not repo_exists(self.repos_dir, owner, name):
            # What GitHub answers; git prints "repository '…' not found".
            return ForgeResponse.text("Repository not found.\n", 404)
        hook_env: dict[str, str] = {}
        if push:
            # Who may push what: credentials and write access here, protected branches and
            # workflow files in the pre-receive hook (see push_rules).
            from wizard.sandbox import push_rules

            full = f"{owner}/{name}"
            refused = push_rules.http_refusal(request.world.read(), full, request.header("authorization"))
            if refused is not None:
                status, headers, text = refused
                response = ForgeResponse.text(text, status)
                response.headers.extend(headers)
                return response
            token = push_rules.basic_token(request.header("authorization"))
            hook_env = push_rules.hook_env(self.repos_dir, request.world.root, full, token)
        relative = repo_path(Path(""), owner, name).as_posix()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/"),
            "GIT_PROJECT_ROOT": str(self.repos_dir),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REQUEST_METHOD": request.method,
            "PATH_INFO": f"/{relative}/{rest}",
            "QUERY_STRING": request.query_string,
            "CONTENT_TYPE": request.header("content-type", "") or "",
            "CONTENT_LENGTH": str(len(request.body)),
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_USER": "learner",
        }
        env.update(hook_env)
        for header, variable in (("content-encoding", "HTTP_CONTENT_ENCODING"), ("git-protocol", "GIT_PROTOCOL")):
            value = request.header(header)
            if value:
                env[variable] = value
        result = subprocess.run([self.backend], input=request.body, env=env, capture_output=True)
        if result.returncode != 0 and not result.stdout:
            logger.error("git http-backend failed: %s", result.stderr.decode(errors="replace"))
            return ForgeResponse.text("git http-backend failed\n", 500)
        response = _parse_cgi(result.stdout)
        if push and request.method == "POST" and response.status == 200:
            try:
                self.on_push(owner, name)
            except Exception:  # noqa: BLE001 - a listener must not break git
                logger.exception("push listener failed for %s/%s", owner, name)
        return response


def _http_backend() -> str:
    exec_path = subprocess.run(["git", "--exec-path"], check=True, capture_output=True, text=True).stdout.strip()
    backend = Path(exec_path) / "git-http-backend"
    if not backend.exists():
        raise RuntimeError(f"git http-backend is not installed (looked in {exec_path})")
    return str(backend)


def _parse_cgi(output: bytes) -> ForgeResponse:
    head, _, body = output.partition(b"\r\n\r\n")
    if not _ and b"\n\n" in output:
        head, _, body = output.partition(b"\n\n")
    status = 200
    headers: list[tuple[str, str]] = []
    for line in head.decode("latin-1").splitlines():
        if not line.strip():
            continue
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split()[0])
        else:
            headers.append((key.strip(), value.strip()))
    return ForgeResponse(status, headers, body)


# -- dispatch ---------------------------------------------------------------------------------
class Dispatcher:
    """Routes a request to the app mounted at the longest matching prefix, else to git."""

    def __init__(self, git: App) -> None:
        self.git = git
        self._mounts: dict[str, App] = {}
        self._lock = threading.Lock()

    def mount(self, prefix: str, app: App) -> None:
        """Serve every path under `prefix` (e.g. "/api/v3") with `app`."""
        prefix = "/" + prefix.strip("/")
        with self._lock:
            self._mounts[prefix] = app

    def unmount(self, prefix: str) -> None:
        with self._lock:
            self._mounts.pop("/" + prefix.strip("/"), None)

    def resolve(self, path: str) -> tuple[str, App]:
        with self._lock:
            mounts = sorted(self._mounts.items(), key=lambda item: -len(item[0]))
        for prefix, app in mounts:
            if path == prefix or path.startswith(prefix + "/"):
                return prefix, app
        return "", self.git


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"
    server_version = "sandbox-forge"

    def __init__(self, dispatcher: Dispatcher, world: World, *args: Any, **kwargs: Any) -> None:
        self.dispatcher = dispatcher
        self.world = world
        super().__init__(*args, **kwargs)

    def _body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if length:
            return self.rfile.read(int(length))
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        return b""

    def _serve(self) -> None:
        split = urlsplit(self.path)
        address: Any = self.server.server_address
        host = self.headers.get("Host") or f"{address[0]}:{address[1]}"
        request = ForgeRequest(
            method=self.command,
            path=split.path,
            query_string=split.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self._body(),
            base_url=f"https://{host}",
            world=self.world,
        )
        prefix, app = self.dispatcher.resolve(request.path)
        request.prefix = prefix
        try:
            response = app(request)
        except Exception:  # noqa: BLE001 - answer 500, keep serving
            logger.exception("forge: %s %s failed", self.command, self.path)
            response = ForgeResponse.json({"message": "Internal Server Error"}, 500)
        try:
            self.send_response(response.status)
            names = {k.lower() for k, _ in response.headers}
            for key, value in response.headers:
                self.send_header(key, value)
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("forge: " + format, *args)


@dataclass
class ForgeHandle:
    """A running sandbox forge."""

    host: str
    port: int
    repos_dir: Path
    dispatcher: Dispatcher
    _served: Served = field(repr=False)
    _push_listeners: list[Callable[[str, str], object]] = field(default_factory=list, repr=False)

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def repo_url(self, owner: str, name: str) -> str:
        return f"{self.url}/{owner}/{name}.git"

    def mount(self, prefix: str, app: App) -> None:
        self.dispatcher.mount(prefix, app)

    def on_push(self, listener: Callable[[str, str], object]) -> None:
        self._push_listeners.append(listener)

    def add_page(self, page: Page) -> None:
        """Serve web pages beside git (the links the wizard prints: runs, pipelines, their logs)."""
        git = self.dispatcher.git
        if isinstance(git, GitApp):
            git.pages.append(page)

    def stop(self) -> None:
        self._served.stop()

    def __enter__(self) -> ForgeHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def start_forge(
    world: World, repos_dir: Path, host: str = "127.0.0.1", port: int = 0, mounts: dict[str, App] | None = None
) -> ForgeHandle:
    """Serve the repositories in `repos_dir` (and any mounted apps) over HTTPS on `host:port`.

    GitHub and GitLab are reached over HTTPS; so is this forge, with the sandbox's CA
    (`DIR/ca.pem`), which git trusts through GIT_SSL_CAINFO and the API clients through
    REQUESTS_CA_BUNDLE, both set by the sandbox's environment (never `http.sslVerify=false`).
    """
    repos_dir = Path(repos_dir)
    repos_dir.mkdir(parents=True, exist_ok=True)
    listeners: list[Callable[[str, str], object]] = []

    def pushed(owner: str, name: str) -> None:
        for listener in list(listeners):
            listener(owner, name)

    dispatcher = Dispatcher(GitApp(repos_dir, pushed))
    for prefix, app in (mounts or {}).items():
        dispatcher.mount(prefix, app)
    served = serve("forge", partial(_Handler, dispatcher, world), world.root, host, port)
    return ForgeHandle(
        host=host,
        port=served.port,
        repos_dir=repos_dir,
        dispatcher=dispatcher,
        _served=served,
        _push_listeners=listeners,
    )
