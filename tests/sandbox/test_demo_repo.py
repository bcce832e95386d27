"""The demo repository and `init_sandbox`: the learner's project before chapter 7, for real.

One sandbox is built for the module (real git, real dvc, a real push to the forge); the tests
then inspect it and do what chapter 7 does with it: pip install, freeze, dvc push.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from tests.sandbox.storage_helpers import dvc, dvc_env, learner_project, storage_client
from wizard.sandbox.demo_repo import (
    CLASSES,
    IMAGES_PER_CLASS,
    MLEM_DVCIGNORE,
    MLEM_FILES,
    MLEM_PLACEHOLDERS,
    DemoRepoError,
    build_demo_repo,
    make_venv,
)
from wizard.sandbox.forge import create_repo, start_forge
from wizard.sandbox.init import (
    BILLING_ACCOUNT_ID,
    TAKEN_BUCKETS,
    TAKEN_PROJECTS,
    SandboxInitError,
    init_sandbox,
)
from wizard.sandbox.storage import object_names, start_storage
from wizard.sandbox.world import LEARNER, SOMEONE_ELSE, World

pytestmark = pytest.mark.timeout(60)

EXPECTED_FILES = {
    ".dvc/.gitignore",
    ".dvc/config",
    ".dvcignore",
    ".gitignore",
    "data/.gitignore",
    "data/raw.dvc",
    "dvc.lock",
    "dvc.yaml",
    "params.yaml",
    "requirements.txt",
    "requirements-freeze.txt",
    "src/prepare.py",
    "src/train.py",
    "src/evaluate.py",
    "src/utils/seed.py",
    ".mlem.yaml",
    "model.mlem",
    "service_classifier.mlem",
}
# No proxy answers here: any attempt to reach the network fails at once.
OFFLINE = {
    "HTTP_PROXY": "http://127.0.0.1:9",
    "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "PIP_RETRIES": "0",
    "PIP_TIMEOUT": "2",
}


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("sandbox")
    started = time.monotonic()
    summary = init_sandbox(root)
    summary["seconds"] = time.monotonic() - started
    print(f"\ninit_sandbox took {summary['seconds']:.1f} s")
    return summary


@pytest.fixture(scope="module")
def repo(sandbox) -> Path:
    return Path(sandbox["demo_repo"])


def venv_run(repo: Path, *args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, VIRTUAL_ENV=str(repo / ".venv"), DVC_NO_ANALYTICS="1", **(extra_env or {}))
    env["PATH"] = str(repo / ".venv" / "bin") + os.pathsep + env["PATH"]
    return subprocess.run(
        [str(repo / ".venv" / "bin" / "python"), *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120
    )


# -- init_sandbox -----------------------------------------------------------------------------
def test_init_is_quick_and_summarises(sandbox):
    # How long init takes is a figure for `python3 dev.py bench`, not a test assertion.
    assert sandbox["seconds"] > 0
    assert sandbox["forge"] == "github"
    assert sandbox["repository"] == "learner/mlops-guide"
    ports = sandbox["ports"]
    assert set(ports) == {"grpc", "storage", "forge"} and len(set(ports.values())) == 3
    assert sandbox["origin"] == f"https://127.0.0.1:{ports['forge']}/learner/mlops-guide.git"


def test_the_world_is_seeded(sandbox):
    data = World(Path(sandbox["root"])).read()
    assert data["learner"] == LEARNER
    assert data["billing_accounts"][BILLING_ACCOUNT_ID] == {
        "display_name": "My Billing Account",
        "open": True,
        "owner": LEARNER,
        "project_quota": 5,
    }
    for project_id in TAKEN_PROJECTS:
        project = data["projects"][project_id]
        assert project["owner"] == SOMEONE_ELSE and project["state"] == "ACTIVE"
    numbers = [data["projects"][p]["number"] for p in TAKEN_PROJECTS]
    assert len(set(numbers)) == 3
    for bucket in TAKEN_BUCKETS:
        assert data["buckets"][bucket]["owner"] == SOMEONE_ELSE
    assert data["ports"] == sandbox["ports"]
    assert data["calls"]["writes"] == 0  # building the demo is not the learner's traffic


def test_init_again_changes_nothing(sandbox):
    world = World(Path(sandbox["root"]))
    before = world.path.read_bytes()
    again = init_sandbox(Path(sandbox["root"]))
    assert dict(again) == {k: v for k, v in sandbox.items() if k != "seconds"}
    assert world.path.read_bytes() == before


def test_init_refuses_a_folder_that_is_not_a_sandbox(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(SandboxInitError, match="not a sandbox"):
        init_sandbox(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    with pytest.raises(SandboxInitError, match="unknown forge"):
        init_sandbox(tmp_path / "new", forge="bitbucket")


def test_init_finishes_an_interrupted_init(tmp_path):
    """A first init killed while building: the world exists, the demo repo is half made."""
    root = tmp_path / "sandbox"
    world = World(root)
    with world.mutate() as data:
        data["ports"] = {}
        data["sandbox"] = {"forge": "gitlab", "repository": "learner/mlops-guide"}
    (root / "learner-repo" / "data").mkdir(parents=True)
    (root / "learner-repo" / "data" / "half-written").write_text("x")
    create_repo(root / "forge", "learner", "mlops-guide")

    summary = init_sandbox(root, forge="gitlab")
    assert summary["forge"] == "gitlab" and summary["commit"]
    assert not (root / "learner-repo" / "data" / "half-written").exists()
    assert git("rev-parse", "main", cwd=root / "forge" / "learner" / "mlops-guide.git").strip() == summary["commit"]
    with pytest.raises(SandboxInitError, match="already a sandbox for gitlab"):
        init_sandbox(root, forge="github")


# -- the repository -----------------------------------------------------------------------------
def test_the_repository_has_the_guides_files(repo, sandbox):
    tracked = set(git("ls-files", cwd=repo).split())
    assert tracked >= EXPECTED_FILES
    assert not any(name.startswith((".venv/", "data/raw/")) for name in tracked)
    assert git("status", "--porcelain", cwd=repo) == ""
    assert git("branch", "--show-current", cwd=repo).strip() == "main"
    assert git("remote", "get-url", "origin", cwd=repo).strip() == sandbox["origin"]
    assert ".venv/" in (repo / ".gitignore").read_text().splitlines()


def test_main_is_pushed_to_the_forge(repo, sandbox):
    bare = Path(sandbox["root"]) / "forge" / "learner" / "mlops-guide.git"
    head = git("rev-parse", "HEAD", cwd=repo).strip()
    assert git("rev-parse", "main", cwd=bare).strip() == head == sandbox["commit"]
    assert git("rev-parse", "origin/main", cwd=repo).strip() == head  # upstream is set


def test_the_mlem_files_of_chapters_11_to_13_are_committed_and_pushed(repo, sandbox):
    bare = Path(sandbox["root"]) / "forge" / "learner" / "mlops-guide.git"
    pushed = set(git("ls-tree", "-r", "--name-only", "main", cwd=bare).split())
    assert set(MLEM_FILES) <= pushed
    for name in MLEM_FILES:  # committed as they are in the working tree
        assert git("show", f"main:{name}", cwd=bare) == (repo / name).read_text()
        assert (repo / name).read_text().startswith("# Stand-in made by the mlops-wizard sandbox")

    config = yaml.safe_load((repo / ".mlem.yaml").read_text())
    assert config == {"core": {"state": {"uri": "gs://{gcp.bucket_name}"}, "storage": {"type": "dvc"}}}

    model = yaml.safe_load((repo / "model.mlem").read_text())
    assert model["object_type"] == "model"
    assert model["processors"]["model"]["type"] == "callable"
    assert model["call_orders"] == {"__call__": [["model", "__call__"]]}
    assert model["requirements"] == [{"module": "yaml", "package_name": "PyYAML", "version": version("pyyaml")}]
    returns = model["processors"]["model"]["methods"]["__call__"]["returns"]
    assert list(returns["item_types"]["probabilities"]["item_types"]) == list(CLASSES)
    artifact = model["artifacts"]["model/data"]
    model_file = repo / artifact["uri"]
    assert artifact["type"] == "dvc" and artifact["uri"] == "model/model.json"
    assert artifact["size"] == model_file.stat().st_size
    assert artifact["hash"] == hashlib.md5(model_file.read_bytes()).hexdigest()

    deployment = yaml.safe_load((repo / "service_classifier.mlem").read_text())
    assert deployment == {
        "image_name": "mlops-classifier",
        "image_uri": "mlops-classifier:latest",
        "namespace": "live",
        "object_type": "deployment",
        "registry": {"host": "europe-west6-docker.pkg.dev/{gcp.project_id}/mlops-registry", "type": "remote"},
        "server": {"type": "fastapi"},
        "service_type": {"type": "loadbalancer"},
        "state_manager": {"uri": "gs://{gcp.bucket_name}"},
        "type": "kubernetes",
    }
    text = "".join((repo / name).read_text() for name in MLEM_FILES)
    assert all("{" + placeholder + "}" in text for placeholder in MLEM_PLACEHOLDERS)

    # Chapter 11 keeps MLEM's metafiles out of DVC's view.
    assert MLEM_DVCIGNORE in (repo / ".dvcignore").read_text().splitlines()


def test_the_dataset_is_tracked_by_dvc(repo):
    folders = sorted(p.name for p in (repo / "data" / "raw").iterdir())
    assert folders == sorted(CLASSES) and len(folders) == 11
    assert all(len(list((repo / "data" / "raw" / c).iterdir())) == IMAGES_PER_CLASS for c in CLASSES)
    raw = yaml.safe_load((repo / "data" / "raw.dvc").read_text())
    assert raw["outs"][0]["path"] == "raw"
    assert raw["outs"][0]["nfiles"] == len(CLASSES) * IMAGES_PER_CLASS
    assert "/raw" in (repo / "data" / ".gitignore").read_text().splitlines()


def test_the_dataset_is_deterministic(tmp_path, repo):
    from wizard.sandbox.demo_repo import write_dataset

    write_dataset(tmp_path / "raw")
    for path in (tmp_path / "raw").rglob("*.pgm"):
        assert path.read_bytes() == (repo / "data" / "raw" / path.relative_to(tmp_path / "raw")).read_bytes()


def test_the_pipeline_ran_and_is_up_to_date(repo):
    stages = yaml.safe_load((repo / "dvc.yaml").read_text())["stages"]
    assert list(stages) == ["prepare", "train", "evaluate"]
    lock = yaml.safe_load((repo / "dvc.lock").read_text())
    assert set(lock["stages"]) == {"prepare", "train", "evaluate"}
    params = yaml.safe_load((repo / "params.yaml").read_text())
    assert {"prepare", "train"} <= set(params)
    metrics = json.loads((repo / "evaluation" / "metrics.json").read_text())
    assert 0 <= metrics["val_acc"] <= 1
    assert (repo / "evaluation" / "plots" / "confusion_matrix.png").read_bytes().startswith(b"\x89PNG")
    status = venv_run(repo, "-m", "dvc", "status")
    assert status.returncode == 0, status.stderr
    assert "up to date" in status.stdout


def test_requirements_pin_what_the_interpreter_has(repo):
    assert (repo / "requirements.txt").read_text() == (f"pyyaml=={version('pyyaml')}\ndvc=={version('dvc')}\n")
    freeze = (repo / "requirements-freeze.txt").read_text().splitlines()
    assert f"dvc=={version('dvc')}" in freeze
    assert f"PyYAML=={version('pyyaml')}" in freeze or f"pyyaml=={version('pyyaml')}" in freeze
    # As committed before chapter 7: what dvc[gs] adds comes with chapter 7's freeze.
    assert not any(line.startswith(("dvc-gs==", "gcsfs==")) for line in freeze)
    assert not any("@" in line or line.startswith("-e") for line in freeze)


def test_committed_files_hold_no_machine_path(repo, sandbox):
    machine_paths = {sandbox["root"], sys.prefix, sys.base_prefix, str(Path.home())}
    for name in git("ls-files", cwd=repo).split():
        text = (repo / name).read_text(errors="replace")
        for path in machine_paths:
            assert path not in text, f"{name} contains {path}"


# -- the virtual environment ------------------------------------------------------------------
def test_chapter_7_pip_install_is_offline_and_quick(repo, tmp_path):
    started = time.monotonic()
    result = venv_run(repo, "-m", "pip", "install", "--requirement", "requirements.txt", extra_env=OFFLINE)
    assert result.returncode == 0, result.stderr
    assert "Requirement already satisfied: dvc==" in result.stdout
    assert "Downloading" not in result.stdout and "Retrying" not in result.stderr

    # Chapter 7 asks for dvc[gs]: also satisfied without a download.
    requirements = tmp_path / "requirements.txt"
    requirements.write_text((repo / "requirements.txt").read_text().replace("dvc==", "dvc[gs]=="))
    result = venv_run(repo, "-m", "pip", "install", "--requirement", str(requirements), extra_env=OFFLINE)
    assert result.returncode == 0, result.stderr
    assert "Requirement already satisfied: dvc-gs" in result.stdout
    assert "Downloading" not in result.stdout and "Installing collected" not in result.stdout

    freeze = venv_run(repo, "-m", "pip", "freeze", "--local", "--all", extra_env=OFFLINE)
    assert freeze.returncode == 0
    # Chapter 7's freeze holds what was committed before, plus what dvc[gs] brings.
    before = set((repo / "requirements-freeze.txt").read_text().splitlines())
    after = set(freeze.stdout.splitlines())
    assert before < after and f"dvc-gs=={version('dvc-gs')}" in after
    print(f"\npip install + freeze took {time.monotonic() - started:.1f} s")
    assert time.monotonic() - started < 20


def test_the_venv_has_dvc_and_pip_commands(repo):
    result = subprocess.run(
        [str(repo / ".venv" / "bin" / "dvc"), "--version"],
        capture_output=True,
        text=True,
        env=dict(os.environ, DVC_NO_ANALYTICS="1"),
    )
    assert result.stdout.strip() == version("dvc")
    result = subprocess.run([str(repo / ".venv" / "bin" / "pip"), "--version"], capture_output=True, text=True)
    assert result.returncode == 0


def test_uninstalling_in_the_venv_never_touches_the_source(tmp_path):
    """pip in the demo venv only ever removes the copied metadata, not the interpreter's files."""
    source = tmp_path / "source-site"
    (source / "fakepkg").mkdir(parents=True)
    (source / "fakepkg" / "__init__.py").write_text("X = 1\n")
    dist_info = source / "fakepkg-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.0\n")
    (dist_info / "INSTALLER").write_text("pip\n")
    (dist_info / "RECORD").write_text(
        "fakepkg/__init__.py,,\nfakepkg-1.0.dist-info/METADATA,,\n"
        "fakepkg-1.0.dist-info/INSTALLER,,\nfakepkg-1.0.dist-info/RECORD,,\n"
    )
    import sysconfig

    info = {"site_dirs": [str(source), sysconfig.get_path("purelib")], "dist_infos": [str(dist_info)], "scripts": {}}
    python = make_venv(tmp_path / "venv", sys.executable, info)
    run = lambda *a: subprocess.run([str(python), *a], capture_output=True, text=True)  # noqa: E731
    assert run("-m", "pip", "freeze", "--local", "--all").stdout == "fakepkg==1.0\n"
    assert run("-m", "pip", "uninstall", "--yes", "fakepkg").returncode == 0
    assert (source / "fakepkg" / "__init__.py").exists() and (dist_info / "RECORD").exists()
    assert run("-c", "import fakepkg; print(fakepkg.X)").stdout == "1\n"


def test_build_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "x").write_text("x")
    with pytest.raises(DemoRepoError, match="not empty"):
        build_demo_repo(tmp_path / "repo", "http://127.0.0.1:9/learner/x.git")


# -- chapter 7 on it --------------------------------------------------------------------------
def test_chapter_7_dvc_push_from_the_demo_repo(repo, tmp_path):
    """Remote on a sandbox bucket, `dvc push`: the hashed files land under dvcstore/files/md5."""
    work = tmp_path / "clone"
    shutil.copytree(repo, work, symlinks=True)  # leave the module's repo as it is
    world = World(tmp_path / "world")
    with world.mutate() as data:
        data["billing_accounts"] = {
            BILLING_ACCOUNT_ID: {
                "display_name": "My Billing Account",
                "open": True,
                "owner": LEARNER,
                "project_quota": 5,
            }
        }
        data["projects"]["learner-mlops"] = learner_project("learner-mlops", "100000000077", billing=BILLING_ACCOUNT_ID)
    with start_storage(world, tmp_path / "storage") as server:
        storage_client(server, "learner-mlops").create_bucket("learner-mlops-bucket", location="europe-west6")
        env = dvc_env(server)
        python = str(work / ".venv" / "bin" / "python")
        dvc(["remote", "add", "-d", "data", "gs://learner-mlops-bucket/dvcstore"], work, env, python=python)
        config = (work / ".dvc" / "config").read_text()
        assert "remote = data" in config and "url = gs://learner-mlops-bucket/dvcstore" in config
        pushed = dvc(["push"], work, env, python=python)
        cached = [p for p in (work / ".dvc" / "cache" / "files" / "md5").rglob("*") if p.is_file()]
        names = object_names(server.data_dir, "learner-mlops-bucket")
        assert f"{len(cached)} files pushed" in pushed.stdout
        assert len(names) == len(cached) > len(CLASSES) * IMAGES_PER_CLASS
        assert all(name.startswith("dvcstore/files/md5/") for name in names)


def test_build_against_a_forge_of_its_own(tmp_path):
    """build_demo_repo alone, pushed over HTTPS to a fresh forge."""
    world = World(tmp_path / "sandbox")
    create_repo(tmp_path / "forge", "learner", "solo")
    with start_forge(world, tmp_path / "forge") as forge:
        started = time.monotonic()
        summary = build_demo_repo(tmp_path / "repo", f"{forge.url}/learner/solo.git", ca_file=world.root / "ca.pem")
        elapsed = time.monotonic() - started
    print(f"\nbuild_demo_repo took {elapsed:.1f} s")
    assert git("rev-parse", "main", cwd=tmp_path / "forge" / "learner" / "solo.git").strip() == summary["commit"]
    assert world.read()["calls"]["by_service"]["git"]["writes"] == 1
