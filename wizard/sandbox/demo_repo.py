"""The sandbox's demo repository: the learner's project as the guide leaves it before chapter 7.

`build_demo_repo()` makes, with real git and real dvc subprocesses, what a learner has after
chapter 6 of "A guide to MLOps": a git repository whose `main` is pushed to `origin`, a
dataset in `data/raw/<11 classes>/` tracked by DVC, a `dvc.yaml` pipeline prepare → train →
evaluate that really runs (pure-Python stand-ins for the guide's TensorFlow scripts), its
`dvc.lock`, `params.yaml`, `requirements.txt`, `requirements-freeze.txt` and a `.venv/`.

It also holds, already committed, the MLEM files chapters 11–13 leave (the wizard does chapters
7, 8 and 14; chapter 14 deploys with them): `.mlem.yaml`, `model.mlem` and
`service_classifier.mlem`, plus the `.dvcignore` line chapter 11 adds. They are text only —
MLEM is not installed, the wizard only checks they are there and the sandbox's CI simulates
`mlem deployment run`. Chapter 13 writes them with the learner's project and bucket, which
the sandbox learner only chooses in chapter 7: `{gcp.project_id}` and `{gcp.bucket_name}`
stand for them (the placeholders the wizard's templates use).

The dataset is tiny and generated (11 class folders of a few 8×8 grayscale PGM images, the
guide's ~1,600 JPGs are not needed to learn chapter 7), and the requirements pin only what
the wizard's own interpreter already has (dvc, pyyaml), so that chapter 7's real
`pip install` and `pip freeze` run in seconds without downloading anything.

How the virtual environment works without downloads: `.venv` is created `--without-pip`
and a `.pth` file in its site-packages adds the interpreter's own site directories (with
`site.addsitedir`, so their `.pth` files run too). `--system-site-packages` would not be
enough when the wizard itself runs from a venv. The metadata (`*.dist-info`) of the
distributions `dvc[gs]` and `pyyaml` need is copied into `.venv`, so pip counts them as
installed *in* the venv: `pip install -r requirements.txt` says "Requirement already
satisfied", `pip freeze --local --all` lists them, and should pip ever uninstall one, it only
removes that copied metadata, never the wizard's own files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

CLASSES = ("Earth", "Jupiter", "MakeMake", "Mars", "Mercury", "Moon", "Neptune", "Pluto", "Saturn", "Uranus", "Venus")
IMAGES_PER_CLASS = 4
IMAGE_SIZE = 8
LEARNER_NAME = "Learner"
LEARNER_EMAIL = "learner@example.com"
FIRST_COMMIT_MESSAGE = "My ML experiment is reproducible with DVC"
# What the learner's venv counts as installed: its requirements now (dvc, pyyaml),
# after chapter 7 (dvc[gs]) and pip itself, as in a freeze made with --all.
VENV_ROOTS = ("dvc[gs]", "pyyaml", "pip")
# What the learner had installed before chapter 7: the freeze they committed lists only these.
BEFORE_CHAPTER_7_ROOTS = ("dvc", "pyyaml", "pip")
VENV_SCRIPTS = ("dvc", "pip")


# Chapters 11–13 (MLEM edition): the guide's example names, and what stands for the learner's.
MLEM_FILES = (".mlem.yaml", "model.mlem", "service_classifier.mlem")
MLEM_DVCIGNORE = "/**/?*.mlem"  # chapter 11: `echo "/**/?*.mlem" >> .dvcignore`
MLEM_DEPLOYMENT = "service_classifier"
MLEM_NAMESPACE = "live"
MLEM_IMAGE_NAME = "mlops-classifier"
MLEM_REGISTRY_LOCATION = "europe-west6"
MLEM_REGISTRY_NAME = "mlops-registry"
MLEM_PLACEHOLDERS = ("gcp.project_id", "gcp.bucket_name")


class DemoRepoError(RuntimeError):
    pass


# -- files ------------------------------------------------------------------------------------
PARAMS_YAML = """\
prepare:
  seed: 77
  split: 0.25
  image_size:
  - 4
  - 4
  grayscale: true

train:
  seed: 77
  epochs: 5
  output_classes: 11
"""

DVC_YAML = """\
stages:
  prepare:
    cmd: python src/prepare.py data/raw data/prepared
    deps:
    - data/raw
    - src/prepare.py
    - src/utils/seed.py
    params:
    - prepare
    outs:
    - data/prepared
  train:
    cmd: python src/train.py data/prepared model
    deps:
    - data/prepared
    - src/train.py
    - src/utils/seed.py
    params:
    - train
    outs:
    - model
  evaluate:
    cmd: python src/evaluate.py model data/prepared
    deps:
    - model
    - src/evaluate.py
    metrics:
    - evaluation/metrics.json
    plots:
    - evaluation/plots/confusion_matrix.png
"""

GITIGNORE = """\
## Python
__pycache__/
*.py[cod]

## Virtual environment
.venv/
"""

SEED_PY = '''\
"""Make every run of the experiment give the same result."""
import os
import random


def set_seed(seed: int) -> None:
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
'''

PREPARE_PY = '''\
"""Split the raw images into a training and a test set of small feature vectors.

A pure-Python stand-in for the guide's TensorFlow script: same inputs, same outputs folder.
"""
import json
import random
import sys
from pathlib import Path

import yaml

from utils.seed import set_seed


def read_pgm(path: Path) -> list:
    """Read a binary PGM (P5) image as a list of rows of 0..255 values."""
    data = path.read_bytes()
    header, pos = [], 0
    while len(header) < 4:  # magic, width, height, maxval; then one whitespace byte
        while data[pos:pos + 1].isspace():
            pos += 1
        start = pos
        while data[pos:pos + 1] and not data[pos:pos + 1].isspace():
            pos += 1
        header.append(data[start:pos])
    if header[0] != b"P5":
        raise ValueError(f"{path} is not a binary PGM image")
    width, height = int(header[1]), int(header[2])
    pixels = data[pos + 1:pos + 1 + width * height]
    return [list(pixels[row * width:(row + 1) * width]) for row in range(height)]


def features(image: list, size: list) -> list:
    """Average-pool the image to size[0] x size[1] and scale to 0..1."""
    out_h, out_w = size
    step_y, step_x = len(image) // out_h, len(image[0]) // out_w
    pooled = []
    for y in range(out_h):
        for x in range(out_w):
            block = [image[y * step_y + dy][x * step_x + dx]
                     for dy in range(step_y) for dx in range(step_x)]
            pooled.append(round(sum(block) / len(block) / 255, 6))
    return pooled


def main() -> None:
    if len(sys.argv) != 3:
        print("Arguments error. Usage:\\n\\tpython3 prepare.py <raw-dataset-folder> <prepared-dataset-folder>\\n")
        sys.exit(1)
    params = yaml.safe_load(open("params.yaml"))["prepare"]
    set_seed(params["seed"])
    raw, prepared = Path(sys.argv[1]), Path(sys.argv[2])
    labels = sorted(p.name for p in raw.iterdir() if p.is_dir())
    train, test = {"x": [], "y": []}, {"x": [], "y": []}
    for index, label in enumerate(labels):
        files = sorted((raw / label).iterdir())
        random.shuffle(files)
        n_test = max(1, round(len(files) * params["split"]))
        for i, path in enumerate(files):
            split = test if i < n_test else train
            split["x"].append(features(read_pgm(path), params["image_size"]))
            split["y"].append(index)
    prepared.mkdir(parents=True, exist_ok=True)
    (prepared / "labels.json").write_text(json.dumps(labels, indent=2) + "\\n")
    (prepared / "train.json").write_text(json.dumps(train) + "\\n")
    (prepared / "test.json").write_text(json.dumps(test) + "\\n")
    print(f"Prepared {len(train['y'])} training and {len(test['y'])} test images in {prepared}")


if __name__ == "__main__":
    main()
'''

TRAIN_PY = '''\
"""Train a nearest-centroid classifier (a pure-Python stand-in for the guide's CNN)."""
import json
import sys
from pathlib import Path

import yaml

from utils.seed import set_seed


def main() -> None:
    if len(sys.argv) != 3:
        print("Arguments error. Usage:\\n\\tpython3 train.py <prepared-dataset-folder> <model-folder>\\n")
        sys.exit(1)
    params = yaml.safe_load(open("params.yaml"))["train"]
    set_seed(params["seed"])
    prepared, model_dir = Path(sys.argv[1]), Path(sys.argv[2])
    labels = json.loads((prepared / "labels.json").read_text())
    train = json.loads((prepared / "train.json").read_text())
    size = len(train["x"][0])
    centroids = [[0.0] * size for _ in labels]
    counts = [0] * len(labels)
    history = []
    for epoch in range(params["epochs"]):
        # Each epoch refines the running mean with every training image once more.
        for x, y in zip(train["x"], train["y"]):
            counts[y] += 1
            centroids[y] = [c + (v - c) / counts[y] for c, v in zip(centroids[y], x)]
        history.append({"epoch": epoch + 1, "images_seen": sum(counts)})
    model_dir.mkdir(parents=True, exist_ok=True)
    model = {"labels": labels, "centroids": [[round(v, 6) for v in c] for c in centroids]}
    (model_dir / "model.json").write_text(json.dumps(model, indent=2) + "\\n")
    (model_dir / "history.json").write_text(json.dumps(history, indent=2) + "\\n")
    print(f"Model saved at {model_dir}")


if __name__ == "__main__":
    main()
'''

EVALUATE_PY = '''\
"""Evaluate the model on the test set: metrics and a confusion-matrix picture."""
import json
import math
import struct
import sys
import zlib
from pathlib import Path


def predict(model: dict, x: list) -> int:
    distances = [math.dist(x, c) for c in model["centroids"]]
    return distances.index(min(distances))


def write_png(path: Path, rows: list) -> None:
    """Write a grayscale PNG (rows of 0..255 values) with nothing but the standard library."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\\x00" + bytes(row) for row in rows)
    png = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def main() -> None:
    if len(sys.argv) != 3:
        print("Arguments error. Usage:\\n\\tpython3 evaluate.py <model-folder> <prepared-dataset-folder>\\n")
        sys.exit(1)
    model_dir, prepared = Path(sys.argv[1]), Path(sys.argv[2])
    model = json.loads((model_dir / "model.json").read_text())
    test = json.loads((prepared / "test.json").read_text())
    n = len(model["labels"])
    matrix = [[0] * n for _ in range(n)]
    for x, y in zip(test["x"], test["y"]):
        matrix[y][predict(model, x)] += 1
    correct = sum(matrix[i][i] for i in range(n))
    total = len(test["y"])
    evaluation = Path("evaluation")
    (evaluation / "plots").mkdir(parents=True, exist_ok=True)
    metrics = {"val_acc": round(correct / total, 4), "val_images": total}
    (evaluation / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\\n")
    scale = 8  # each cell is 8x8 pixels, darker = more images
    peak = max(max(row) for row in matrix) or 1
    rows = []
    for row in matrix:
        line = [255 - round(255 * value / peak) for value in row for _ in range(scale)]
        rows.extend([line] * scale)
    write_png(evaluation / "plots" / "confusion_matrix.png", rows)
    print(f"Validation accuracy: {metrics['val_acc']:.2%} ({correct}/{total})")


if __name__ == "__main__":
    main()
'''


# -- chapters 11-13: MLEM ------------------------------------------------------------------------
MLEM_YAML = """\
# Stand-in made by the mlops-wizard sandbox: MLEM's configuration as chapters 11-13 leave it
# (`mlem init`, `mlem config set core.storage.type dvc`,
# `mlem config set core.state.uri gs://$GCP_BUCKET_NAME`).
# {gcp.bucket_name} stands for the bucket you create in chapter 7.
core:
  state:
    uri: gs://{gcp.bucket_name}
  storage:
    type: dvc
"""

SERVICE_CLASSIFIER_MLEM = f"""\
# Stand-in made by the mlops-wizard sandbox: the deployment chapter 13 declares with
# `mlem declare deployment kubernetes {MLEM_DEPLOYMENT} --namespace {MLEM_NAMESPACE}
# --image_name {MLEM_IMAGE_NAME} --image_uri {MLEM_IMAGE_NAME}:latest --registry remote
# --registry.host=$CONTAINER_REGISTRY_HOST --server fastapi --service_type loadbalancer`.
# {{gcp.project_id}} and {{gcp.bucket_name}} stand for the project and bucket of chapter 7.
image_name: {MLEM_IMAGE_NAME}
image_uri: {MLEM_IMAGE_NAME}:latest
namespace: {MLEM_NAMESPACE}
object_type: deployment
registry:
  host: {MLEM_REGISTRY_LOCATION}-docker.pkg.dev/{{gcp.project_id}}/{MLEM_REGISTRY_NAME}
  type: remote
server:
  type: fastapi
service_type:
  type: loadbalancer
state_manager:
  uri: gs://{{gcp.bucket_name}}
type: kubernetes
"""


def model_mlem(model_file: Path, pyyaml_version: str) -> str:
    """`model.mlem` as MLEM's `save()` writes it, for the demo's model file (hash and size real)."""
    data = model_file.read_bytes()
    probabilities = "".join(
        f"                {label}:\n                  ptype: float\n                  type: primitive\n"
        for label in CLASSES
    )
    return (
        "# Stand-in made by the mlops-wizard sandbox: the metadata chapter 11's\n"
        '# `mlem.api.save(model, "model", ...)` writes, here for the demo\'s nearest-centroid\n'
        "# model (model/model.json, tracked by DVC) instead of the guide's TensorFlow CNN.\n"
        "artifacts:\n"
        "  model/data:\n"
        f"    hash: {hashlib.md5(data).hexdigest()}\n"
        f"    size: {len(data)}\n"
        "    type: dvc\n"
        "    uri: model/model.json\n"
        "call_orders:\n"
        "  __call__:\n"
        "  - - model\n"
        "    - __call__\n"
        "object_type: model\n"
        "processors:\n"
        "  model:\n"
        "    io:\n"
        "      type: pickle\n"
        "    methods:\n"
        "      __call__:\n"
        "        args:\n"
        "        - name: x\n"
        "          type_:\n"
        "            type: binary\n"
        "        name: __call__\n"
        "        returns:\n"
        "          item_types:\n"
        "            prediction:\n"
        "              ptype: str\n"
        "              type: primitive\n"
        "            probabilities:\n"
        "              item_types:\n"
        f"{probabilities}"
        "              type: dict\n"
        "          type: dict\n"
        "    type: callable\n"
        "requirements:\n"
        "- module: yaml\n"
        "  package_name: PyYAML\n"
        f"  version: '{pyyaml_version}'\n"
    )


def write_mlem_files(path: Path, pyyaml_version: str) -> None:
    """The MLEM files of chapters 11-13, once the pipeline has made `model/`."""
    (path / ".mlem.yaml").write_text(MLEM_YAML)
    (path / "model.mlem").write_text(model_mlem(path / "model" / "model.json", pyyaml_version))
    (path / "service_classifier.mlem").write_text(SERVICE_CLASSIFIER_MLEM)
    dvcignore = path / ".dvcignore"
    text = dvcignore.read_text() if dvcignore.exists() else ""
    if MLEM_DVCIGNORE not in text.splitlines():
        dvcignore.write_text(text + ("" if not text or text.endswith("\n") else "\n") + MLEM_DVCIGNORE + "\n")


def image_bytes(class_index: int, number: int) -> bytes:
    """A deterministic 8×8 binary PGM: brightness depends on the class, texture on a hash."""
    base = 12 + class_index * 21
    pixels = bytearray()
    for row in range(IMAGE_SIZE):
        digest = hashlib.sha256(f"{class_index}-{number}-{row}".encode()).digest()
        for col in range(IMAGE_SIZE):
            shade = base + (row + col) * (class_index % 3) + digest[col] % 17 - 8
            pixels.append(max(0, min(255, shade)))
    return f"P5 {IMAGE_SIZE} {IMAGE_SIZE} 255\n".encode() + bytes(pixels)


def write_dataset(raw: Path) -> int:
    count = 0
    for index, label in enumerate(CLASSES):
        folder = raw / label
        folder.mkdir(parents=True, exist_ok=True)
        for number in range(1, IMAGES_PER_CLASS + 1):
            (folder / f"{label} ({number}).pgm").write_bytes(image_bytes(index, number))
            count += 1
    return count


# -- the virtual environment --------------------------------------------------------------------
_PROBE = r"""
import json, sys, sysconfig
from importlib.metadata import distribution, PackageNotFoundError
try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

def dist_info(dist):
    for f in dist.files or ():
        if f.name == "METADATA" and f.parent.name.endswith(".dist-info"):
            return str(dist.locate_file(f).parent)
    return None

seen, dirs, missing = {}, [], []
todo = [Requirement(r) for r in json.loads(sys.argv[1])]
while todo:
    req = todo.pop()
    key = canonicalize_name(req.name)
    extras = set(req.extras)
    if key in seen and extras <= seen[key]:
        continue
    try:
        dist = distribution(req.name)
    except PackageNotFoundError:
        missing.append(req.name)
        continue
    first = key not in seen
    seen[key] = seen.get(key, set()) | extras
    if first:
        path = dist_info(dist)
        if path:
            dirs.append(path)
    for text in dist.requires or ():
        dep = Requirement(text)
        if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in seen[key] | {""}):
            todo.append(dep)

def version(name):
    try:
        return distribution(name).version
    except PackageNotFoundError:
        return None

from importlib.metadata import entry_points
scripts = {}
for name in json.loads(sys.argv[2]):
    for ep in entry_points(group="console_scripts"):
        if ep.name == name:
            scripts[name] = ep.value
            break
print(json.dumps({
    "site_dirs": list(dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])),
    "dist_infos": dirs,
    "missing": missing,
    "versions": {"dvc": version("dvc"), "pyyaml": version("pyyaml")},
    "scripts": scripts,
}))
"""


def probe_interpreter(python: str, roots: tuple[str, ...] = VENV_ROOTS) -> dict:
    """What `python` has: its site directories, dvc/pyyaml versions, the metadata to copy."""
    result = subprocess.run(
        [python, "-c", _PROBE, json.dumps(roots), json.dumps(VENV_SCRIPTS)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise DemoRepoError(f"cannot inspect {python}: {result.stderr.strip()}")
    info = json.loads(result.stdout)
    for name, found in info["versions"].items():
        if not found:
            raise DemoRepoError(f"{python} has no {name}; the demo repository needs it")
    return info


def _venv_site_packages(venv_dir: Path) -> Path:
    found = sorted(venv_dir.glob("lib/python3*/site-packages")) or sorted(venv_dir.glob("Lib/site-packages"))
    if not found:
        raise DemoRepoError(f"no site-packages in {venv_dir}")
    return found[0]


def make_venv(venv_dir: Path, python: str, info: dict | None = None) -> Path:
    """Create `venv_dir` on `python` that sees (and counts as installed) what `python` has."""
    info = info or probe_interpreter(python)
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv_dir)], check=True, capture_output=True)
    site_packages = _venv_site_packages(venv_dir)
    lines = ["# mlops-wizard sandbox: use the packages of the interpreter that made this venv"]
    lines += [f"import site; site.addsitedir({d!r})" for d in info["site_dirs"]]
    (site_packages / "_mlops_wizard_sandbox.pth").write_text("\n".join(lines) + "\n")
    for source in info["dist_infos"]:
        source_path = Path(source)
        shutil.copytree(
            source_path,
            site_packages / source_path.name,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns("direct_url.json"),
        )
    # Never ask PyPI whether pip is up to date (pip reads $VIRTUAL_ENV/pip.conf).
    (venv_dir / "pip.conf").write_text("[global]\ndisable-pip-version-check = true\n")
    bin_dir = venv_dir / ("Scripts" if os.name == "nt" else "bin")
    venv_python = bin_dir / ("python.exe" if os.name == "nt" else "python")
    for name, target in info["scripts"].items():
        module, _, attr = target.partition(":")
        script = bin_dir / name
        script.write_text(
            f"#!{venv_python}\nimport sys\nfrom {module} import {attr.split('.')[0]}\nsys.exit({attr}())\n"
        )
        script.chmod(0o755)
    return venv_python


# -- building ---------------------------------------------------------------------------------
def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise DemoRepoError(f"`{' '.join(args)}` failed ({result.returncode}):\n{result.stderr.strip()}")
    return result.stdout


def build_env(path: Path, venv_dir: Path | None = None) -> dict[str, str]:
    from wizard.workspace.proc import quiet_environment

    env = quiet_environment(os.environ)  # no analytics, no version check, loopback never proxied
    env.update({"PYTHONDONTWRITEBYTECODE": "1"})
    for name in ("PYTHONPATH", "PYTHONHOME", "__PYVENV_LAUNCHER__"):
        env.pop(name, None)
    if venv_dir is not None:
        env["VIRTUAL_ENV"] = str(venv_dir)
        env["PATH"] = str(venv_dir / "bin") + os.pathsep + env.get("PATH", "")
    return env


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def freeze_before_chapter_7(freeze: str, python: str) -> str:
    """The freeze as the learner committed it before chapter 7: without what dvc[gs] adds.

    The venv already counts dvc[gs]'s packages as installed (nothing can be downloaded
    offline), but the guide's learner installs them in chapter 7, so their freeze changes
    then: keep only the distributions plain dvc, pyyaml and pip need.
    """
    before = probe_interpreter(python, BEFORE_CHAPTER_7_ROOTS)
    names = {_canonical(Path(d).name.split("-")[0]) for d in before["dist_infos"]}
    kept = [line for line in freeze.splitlines() if _canonical(re.split(r"[=<>!~ @\[]", line, maxsplit=1)[0]) in names]
    return "\n".join(kept) + "\n"


def build_demo_repo(path: Path, origin_url: str, python: str = sys.executable, ca_file: Path | None = None) -> dict:
    """Build the learner's repository at `path` and push `main` to `origin_url`.

    `ca_file`: the CA the forge's certificate chains to (the sandbox's), trusted by this push only.

    Returns a small summary: path, commit, number of data files, versions pinned.
    """
    path = Path(path).resolve()
    if path.exists() and any(path.iterdir()):
        raise DemoRepoError(f"{path} exists and is not empty")
    path.mkdir(parents=True, exist_ok=True)
    info = probe_interpreter(python)
    env = build_env(path)

    _run(["git", "init", "--quiet", "--initial-branch=main"], path, env)
    _run(["git", "config", "user.name", LEARNER_NAME], path, env)
    _run(["git", "config", "user.email", LEARNER_EMAIL], path, env)

    files = {
        ".gitignore": GITIGNORE,
        "params.yaml": PARAMS_YAML,
        "dvc.yaml": DVC_YAML,
        "requirements.txt": (f"pyyaml=={info['versions']['pyyaml']}\ndvc=={info['versions']['dvc']}\n"),
        "src/prepare.py": PREPARE_PY,
        "src/train.py": TRAIN_PY,
        "src/evaluate.py": EVALUATE_PY,
        "src/utils/seed.py": SEED_PY,
    }
    for name, text in files.items():
        target = path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    count = write_dataset(path / "data" / "raw")

    venv_dir = path / ".venv"
    venv_python = make_venv(venv_dir, python, info)
    env = build_env(path, venv_dir)
    freeze = _run([str(venv_python), "-m", "pip", "freeze", "--local", "--all"], path, env)
    (path / "requirements-freeze.txt").write_text(freeze_before_chapter_7(freeze, python))

    dvc = [str(venv_python), "-m", "dvc"]
    _run([*dvc, "init", "--quiet"], path, env)
    _run([*dvc, "add", "--quiet", "data/raw"], path, env)
    _run([*dvc, "repro", "--quiet"], path, env)
    write_mlem_files(path, info["versions"]["pyyaml"])

    _run(["git", "add", "--all"], path, env)
    _run(["git", "commit", "--quiet", "-m", FIRST_COMMIT_MESSAGE], path, env)
    _run(["git", "remote", "add", "origin", origin_url], path, env)
    push_env = {**env, "GIT_SSL_CAINFO": str(ca_file)} if ca_file is not None else env
    _run(["git", "push", "--quiet", "--set-upstream", "origin", "main"], path, push_env)
    commit = _run(["git", "rev-parse", "HEAD"], path, env).strip()
    return {
        "path": str(path),
        "origin": origin_url,
        "commit": commit,
        "data_files": count,
        "dvc_version": info["versions"]["dvc"],
        "pyyaml_version": info["versions"]["pyyaml"],
    }
