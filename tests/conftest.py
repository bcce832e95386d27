"""Shared set-up: a sandbox world per test, copied from one made once per session.

`sandbox init` (real git, real dvc, a virtual environment) runs once per test session; each
test gets a copy of that world, so every story starts from the guide's pre-chapter-7 state.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import BUCKET, PROJECT, fingerprint, run_chapter7, write_answers
from wizard.sandbox.init import init_sandbox
from wizard.sandbox.world import World


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("template") / "sandbox"
    init_sandbox(root)
    with World(root).mutate() as world:
        world["faults"]["operation_seconds"] = 0.3
    return root


@pytest.fixture
def sandbox(template: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "sandbox"
    shutil.copytree(template, copy, symlinks=True)
    return copy


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    return write_answers(tmp_path / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)


@pytest.fixture(scope="session")
def reference_world(template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The world after one uninterrupted headless run of chapter 7, to compare other runs with."""
    root = tmp_path_factory.mktemp("reference") / "sandbox"
    shutil.copytree(template, root, symlinks=True)
    answers = write_answers(root.parent / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
    result = run_chapter7(root, answers)
    assert result.returncode == 0, result.stderr
    return fingerprint(root)


@pytest.fixture(scope="session")
def chapter7_templates(tmp_path_factory: pytest.TempPathFactory):
    """Per forge, a sandbox where chapter 7 is done (made once per session, on first use)."""
    made: dict[str, Path] = {}

    def get(forge: str) -> Path:
        if forge not in made:
            root = tmp_path_factory.mktemp(f"after-ch7-{forge}") / "sandbox"
            init_sandbox(root, forge=forge)
            with World(root).mutate() as world:
                world["faults"]["operation_seconds"] = 0.3
                world["faults"]["service_account_visibility_seconds"] = 0.3
                world["faults"]["run_seconds"] = 0.5
            answers = write_answers(root.parent / "answers.toml", project_id=PROJECT, bucket_name=BUCKET)
            result = run_chapter7(root, answers)
            assert result.returncode == 0, result.stderr
            made[forge] = root
        return made[forge]

    return get


@pytest.fixture(params=["github", "gitlab"])
def forge(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def after_ch7(chapter7_templates, forge: str, tmp_path: Path) -> Path:
    """A copy of a world where chapter 7 is done, on the forge of the test's parameter."""
    copy = tmp_path / "sandbox"
    shutil.copytree(chapter7_templates(forge), copy, symlinks=True)
    return copy


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The learner's home folder, where the key file goes (~/.config/gcloud)."""
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def sandbox_for_forge(forge: str, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh pre-chapter-7 world on the test's forge."""
    root = _fresh_templates.get(forge)
    if root is None:
        root = tmp_path_factory.mktemp(f"fresh-{forge}") / "sandbox"
        init_sandbox(root, forge=forge)
        _speed_up(root)
        _fresh_templates[forge] = root
    copy = tmp_path / "sandbox"
    shutil.copytree(root, copy, symlinks=True)
    return copy


_fresh_templates: dict[str, Path | None] = {}


def _speed_up(root: Path) -> None:
    with World(root).mutate() as world:
        world["faults"]["operation_seconds"] = 0.3
        world["faults"]["service_account_visibility_seconds"] = 0.3
        world["faults"]["run_seconds"] = 0.5


@pytest.fixture(scope="session")
def chapter8_templates(chapter7_templates, tmp_path_factory: pytest.TempPathFactory):
    """Per forge, a sandbox where chapters 7 and 8 are done."""
    from tests.support import run_chapter

    made: dict[str, Path] = {}

    def get(forge: str) -> Path:
        if forge not in made:
            root = tmp_path_factory.mktemp(f"after-ch8-{forge}") / "sandbox"
            shutil.copytree(chapter7_templates(forge), root, symlinks=True)
            home = root.parent / "home"
            home.mkdir()
            result = run_chapter(root, 8, home)
            assert result.returncode == 0, result.stdout + result.stderr
            made[forge] = root
        return made[forge]

    return get


@pytest.fixture
def after_ch8(chapter8_templates, forge: str, tmp_path: Path) -> Path:
    copy = tmp_path / "sandbox"
    shutil.copytree(chapter8_templates(forge), copy, symlinks=True)
    return copy


@pytest.fixture(scope="session")
def chapter14_templates(chapter8_templates, tmp_path_factory: pytest.TempPathFactory):
    """Per forge, a sandbox where chapters 7, 8 and 14 are done (for the clean-up stories)."""
    from tests.support import run_chapter

    made: dict[str, Path] = {}

    def get(forge: str) -> Path:
        if forge not in made:
            root = tmp_path_factory.mktemp(f"after-ch14-{forge}") / "sandbox"
            shutil.copytree(chapter8_templates(forge), root, symlinks=True)
            home = root.parent / "home"
            home.mkdir()
            result = run_chapter(root, 14, home)
            assert result.returncode == 0, result.stdout + result.stderr
            made[forge] = root
        return made[forge]

    return get


@pytest.fixture
def after_ch14(chapter14_templates, forge: str, tmp_path: Path) -> Path:
    copy = tmp_path / "sandbox"
    shutil.copytree(chapter14_templates(forge), copy, symlinks=True)
    return copy
