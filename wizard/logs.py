"""A log a learner can attach to a bug report, with no secret in it.

Each run keeps its recent activity (events and the wizard's own log records) in memory. When
something unexpected happens, `write_report` writes that activity and the traceback to a file
in the user's log folder (platformdirs), mode 0600, and the error message names the file.
Nothing is written to disk otherwise, so an ordinary run leaves no log behind.

Everything that reaches the file goes through `redact` first: the tokens the wizard found (they
are remembered by value), private keys, long base64 runs (a key as GitLab stores it), token
shapes of GitHub and GitLab, and credentials in URLs.
"""

from __future__ import annotations

import collections
import logging
import os
import platform
import re
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

APP = "mlops-wizard"
LOGGER = "wizard"
KEEP_REPORTS = 20  # older crash logs are deleted, newest first kept
MEMORY_LINES = 2000
REDACTED = "[redacted]"

# Environment variables whose values are secrets wherever they appear.
SECRET_ENV = (
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GITLAB_TOKEN",
    "GITLAB_PRIVATE_TOKEN",
    "MLOPS_WIZARD_SANDBOX_TOKEN",
)

_PATTERNS = [
    # A PEM private key, with real or escaped (\n) line breaks; an unterminated one to the end of its line.
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S | re.M),
    re.compile(r"BEGIN [A-Z ]*PRIVATE KEY"),
    # GitHub (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_) and GitLab (glpat-, gloas-, ...) token shapes.
    re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|gl[a-z]{2,6}-[A-Za-z0-9_\-]{16,})"),
    # user:password@ in URLs.
    re.compile(r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"),
    # Header values that are credentials.
    re.compile(r"(?i)(?<=authorization: )[^\s'\"]+(?: [^\s'\"]+)?|(?<=private-token: )[^\s'\"]+"),
]
# Long runs of base64 (a key file's lines, a whole key encoded for GitLab); pure hex (commit ids) is kept.
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{60,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]+")

_secrets: set[str] = set()
_lock = threading.Lock()
_memory: collections.deque[str] = collections.deque(maxlen=MEMORY_LINES)
_debug = False


def remember_secret(value: str | None) -> None:
    """A value found at run time (a token) that must never reach a log, whatever its shape."""
    if value and len(value.strip()) >= 8:
        with _lock:
            _secrets.add(value.strip())


def redact(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    known += [os.environ[name] for name in SECRET_ENV if len(os.environ.get(name, "")) >= 8]
    for value in known:
        text = text.replace(value, REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return _BASE64_RUN.sub(lambda m: m.group(0) if _HEX.fullmatch(m.group(0)) else REDACTED, text)


def log_dir() -> Path:
    """The user's log folder (~/.local/state/mlops-wizard/log on Linux, ~/Library/Logs/mlops-wizard on macOS)."""
    from platformdirs import user_log_path

    return user_log_path(APP, appauthor=False)


class _Memory(logging.Handler):
    """Keeps the run's recent log lines, already redacted, for a report written only if needed."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = redact(self.format(record))
        except Exception:  # pragma: no cover - logging must never break the wizard
            return
        _memory.append(line)
        if _debug:
            print(line, file=sys.stderr)


def start(debug: bool = False) -> None:
    """Collect this run's activity (and with --debug, print it as it happens)."""
    global _debug
    _debug = debug
    logger = logging.getLogger(LOGGER)
    if not any(isinstance(h, _Memory) for h in logger.handlers):
        handler = _Memory()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False


def debugging() -> bool:
    return _debug


def log_event(event: Any) -> None:
    """One progress event of a step, as the learner saw it."""
    logging.getLogger(f"{LOGGER}.events").info("%s", _describe(event))


def _describe(event: Any) -> str:
    fields = getattr(event, "__dataclass_fields__", None)
    if not fields:
        return repr(event)
    return type(event).__name__ + " " + " ".join(f"{name}={getattr(event, name)!r}" for name in fields)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(APP)
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


def write_report(exc: BaseException, argv: list[str] | None = None) -> Path | None:
    """Write the run's activity and `exc`'s traceback to a new file; its path, or None if it cannot be written."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    lines = [
        f"{APP} {_version()} — report of an unexpected error",
        f"when: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
        f"command: {' '.join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])])}",
        f"python: {sys.version.split()[0]} ({sys.executable})",
        f"platform: {platform.platform()}",
        "",
        "activity (most recent last):",
        *(_memory or ["(nothing recorded)"]),
        "",
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip(),
        "",
    ]
    text = redact("\n".join(lines))
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / f"error-{stamp}-{os.getpid()}.log"
        from wizard.fsutil import atomic_write

        atomic_write(path, text, mode=0o600)
    except OSError:
        return None
    _prune(folder)
    return path


def _prune(folder: Path) -> None:
    reports = sorted(folder.glob("error-*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in reports[KEEP_REPORTS:]:
        try:
            old.unlink()
        except OSError:
            pass


def traceback_text(exc: BaseException) -> str:
    """The traceback as --debug prints it: redacted like the report."""
    return redact("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))


LOG_NOTE = "the details, without any secret: attach it to a bug report"


def unexpected_cause(error: BaseException) -> BaseException | None:
    """The exception an explained error was made from (a bug, a failed command), if any.

    An error the wizard raised knowingly (a WizardError with no other exception behind it) needs
    no log: its message is the whole story.
    """
    from wizard.engine.errors import WizardError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if not isinstance(current, WizardError):
            return current
        current = current.__cause__
    return None
