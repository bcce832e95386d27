"""Shared set-up: a sandbox world per test, copied from templates made once per test run.

`sandbox init` (real git, real dvc, a virtual environment) and the chapters that later
templates start from run once per test run, even with parallel workers (pytest-xdist): the
first worker to need a template builds it under a file lock in the run's shared temporary
folder, the others wait and reuse it. Each test gets a copy of a template with free ports
of its own, so copies served at the same time (other workers, other test runs on the same
machine) never share a port.
"""

from __future__ import annotations

import faulthandler
import os
import shutil
import sys
import threading
import time
from pathlib import Path
from typing import Callable

import pytest
from filelock import FileLock

from tests.support import BUCKET, PROJECT, fingerprint, run_chapter7, trust_sandbox_ca, write_answers
from wizard.sandbox.init import init_sandbox, repoint_ports
from wizard.sandbox.world import World

_EXIT_GRACE_SECONDS = 120


def pytest_unconfigure(config: pytest.Config) -> None:
    """The test run ends within two minutes of its last hook, whatever thread is left waiting.

    Python waits for every non-daemon thread before it exits; one left blocked (a server's
    handler, a pool's task) would keep the run alive until CI gives up. The watchdog prints
    every thread's stack (to find the culprit), saves the coverage measured so far, and ends
    the process with the run's own status. Only the process that leads the run arms it: an
    xdist worker idles, by design, until the lead closes it, and the lead ends stuck workers.
    """
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return
    exitstatus = int(getattr(config, "_mlops_exitstatus", 0))

    def watchdog() -> None:
        time.sleep(_EXIT_GRACE_SECONDS)
        print(
            f"\nThe test process was still alive {_EXIT_GRACE_SECONDS}s after its tests ended; its threads:",
            file=sys.stderr,
            flush=True,
        )
        faulthandler.dump_traceback(all_threads=True)
        try:
            import coverage

            current = coverage.Coverage.current()
            if current is not None:
                current.stop()
                current.save()
        finally:
            os._exit(exitstatus)

    threading.Thread(target=watchdog, name="exit-watchdog", daemon=True).start()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config._mlops_exitstatus = int(exitstatus)  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _environment_restored():
    """Each test leaves the worker's environment as it found it.

    The wizard, run in-process (the TUI stories), points this process at its sandbox through
    environment variables; a later story that starts the wizard as a subprocess must not
    inherit a finished story's credentials file or CA.
    """
    saved = dict(os.environ)
    yield
    for name in set(os.environ) - set(saved):
        del os.environ[name]
    os.environ.update(saved)


def trusted(root: Path) -> Path:
    """A test's own sandbox, whose CA this test's git, requests and urllib trust (as the wizard's do)."""
    trust_sandbox_ca(root)
    return root


def copy_sandbox(template: Path, destination: Path) -> Path:
    """A copy of a template sandbox, on free ports of its own."""
    shutil.copytree(template, destination, symlinks=True)
    repoint_ports(destination)
    return destination


def _speed_up(root: Path) -> None:
    with World(root).mutate() as world:
        world["faults"]["operation_seconds"] = 0.3
        world["faults"]["service_account_visibility_seconds"] = 0.3
        world["faults"]["run_seconds"] = 0.5


def _shared_root(factory: pytest.TempPathFactory) -> Path:
    """The temporary folder shared by every worker of this run (each worker has its own below it)."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def _shared_template(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """`ROOT/name/sandbox`, built once per run by whichever worker asks first."""
    home = _shared_root(factory) / f"template-{name}"
    root = home / "sandbox"
    with FileLock(str(home) + ".lock"):
        if not (home / "ready").exists():
            shutil.rmtree(home, ignore_errors=True)  # a build that failed earlier in this run
            home.mkdir(parents=True)
            build(root)
            (home / "ready").write_text("ok\n")
    return root


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def build(root: Path) -> None:
        init_sandbox(root)
        with World(root).mutate() as world:
            world["faults"]["operation_seconds"] = 0.3

    return _shared_template(tmp_path_factory, "fresh", build)


@pytest.fixture
def sandbox(template: Path, tmp_path: Path) -> Path:
    return trusted(copy_sandbox(template, tmp_path / "sandbox"))


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)


@pytest.fixture(scope="session")
def reference_world(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The world after one uninterrupted headless run of chapter 7, to compare other runs with."""

    def build(root: Path) -> None:
        copy_sandbox(template, root)
        answers = write_answers(root.parent / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
        result = run_chapter7(root, answers)
        assert result.returncode == 0, result.stderr

    return fingerprint(_shared_template(tmp_path_factory, "reference", build))


@pytest.fixture(scope="session")
def chapter7_templates(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """Per forge, a sandbox where chapter 7 is done (made once per run, on first use)."""

    def get(forge: str) -> Path:
        def build(root: Path) -> None:
            init_sandbox(root, forge=forge)
            _speed_up(root)
            answers = write_answers(root.parent / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
            result = run_chapter7(root, answers)
            assert result.returncode == 0, result.stderr

        return _shared_template(tmp_path_factory, f"after-ch7-{forge}", build)

    return get


@pytest.fixture(params=["github", "gitlab"])
def forge(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def after_ch7(chapter7_templates: Callable[[str], Path], forge: str, tmp_path: Path) -> Path:
    """A copy of a world where chapter 7 is done, on the forge of the test's parameter."""
    return trusted(copy_sandbox(chapter7_templates(forge), tmp_path / "sandbox"))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The learner's home folder, where the key file goes (~/.config/gcloud)."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def sandbox_for_forge(forge: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh pre-chapter-7 world on the test's forge."""

    def build(root: Path) -> None:
        init_sandbox(root, forge=forge)
        _speed_up(root)

    return trusted(copy_sandbox(_shared_template(tmp_path_factory, f"fresh-{forge}", build), tmp_path / "sandbox"))


@pytest.fixture(scope="session")
def chapter8_templates(
    chapter7_templates: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """Per forge, a sandbox where chapters 7 and 8 are done."""
    from tests.support import run_chapter

    def get(forge: str) -> Path:
        def build(root: Path) -> None:
            copy_sandbox(chapter7_templates(forge), root)
            home = root.parent / "home"
            home.mkdir()
            result = run_chapter(root, 8, home)
            assert result.returncode == 0, result.stdout + result.stderr

        return _shared_template(tmp_path_factory, f"after-ch8-{forge}", build)

    return get


@pytest.fixture
def after_ch8(chapter8_templates: Callable[[str], Path], forge: str, tmp_path: Path) -> Path:
    return trusted(copy_sandbox(chapter8_templates(forge), tmp_path / "sandbox"))


@pytest.fixture(scope="session")
def chapter14_templates(
    chapter8_templates: Callable[[str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """Per forge, a sandbox where chapters 7, 8 and 14 are done (for the clean-up stories)."""
    from tests.support import run_chapter

    def get(forge: str) -> Path:
        def build(root: Path) -> None:
            copy_sandbox(chapter8_templates(forge), root)
            home = root.parent / "home"
            home.mkdir(exist_ok=True)
            result = run_chapter(root, 14, home)
            assert result.returncode == 0, result.stdout + result.stderr

        return _shared_template(tmp_path_factory, f"after-ch14-{forge}", build)

    return get


@pytest.fixture
def after_ch14(chapter14_templates: Callable[[str], Path], forge: str, tmp_path: Path) -> Path:
    return trusted(copy_sandbox(chapter14_templates(forge), tmp_path / "sandbox"))
