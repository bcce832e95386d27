#!/usr/bin/env python3
"""Benchmark: chapter 7's `dvc push` through the sandbox's Cloud Storage, against a local folder.

For each size, one DVC repository of N files of 20 kB is pushed twice in the same run: to a
local-directory remote (the floor: DVC's own work) and to the sandbox's storage served on
loopback in this process (as the wizard does). The ratio is the figure; absolute seconds
depend on the machine and on its load, which is printed too.

    .venv/bin/python bench/push.py [--sizes 54,1600] [--large]   # --large adds 10,000 files
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILE_BYTES = 20_000
BUCKET = "learner-bench-bucket"


def _dvc(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"dvc {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return time.perf_counter() - start


def _repo(path: Path, files: int, env: dict[str, str]) -> None:
    path.mkdir()
    subprocess.run(["git", "init", "--quiet"], cwd=path, check=True)
    for i in range(files):
        folder = path / "data" / "raw" / f"class{i % 10}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"img{i:05}.bin").write_bytes(os.urandom(FILE_BYTES))
    _dvc(["init", "--quiet"], path, env)
    _dvc(["add", "--quiet", "data/raw"], path, env)


def _world(root: Path):  # noqa: ANN202 - the sandbox's World, imported late
    from wizard.sandbox.world import LEARNER, World

    world = World(root)
    with world.mutate() as data:
        data["billing_accounts"] = {"012345-6789AB-CDEF01": {"open": True, "owner": LEARNER}}
        data["projects"] = {
            "bench-project": {
                "project_id": "bench-project",
                "number": "100000000042",
                "owner": LEARNER,
                "state": "ACTIVE",
                "ready_at": 0,
                "billing_account": "012345-6789AB-CDEF01",
                "services": ["storage.googleapis.com"],
            }
        }
        data["buckets"] = {
            BUCKET: {
                "project": "bench-project",
                "owner": LEARNER,
                "location": "EUROPE-WEST6",
                "uniform_access": True,
                "public_access_prevention": "enforced",
                "create_time": "2024-01-01T00:00:00.000Z",
            }
        }
    return world


def _handed_login(world) -> str:  # noqa: ANN001 - the sandbox's World, imported late
    from datetime import datetime, timedelta, timezone

    from wizard.sandbox import auth
    from wizard.sandbox.world import LEARNER

    token = auth.mint_access_token(world, auth.Principal(LEARNER, "user"))
    expiry = datetime.now(timezone.utc) + timedelta(seconds=auth.TOKEN_SECONDS - 60)
    return json.dumps(
        {
            "type": "authorized_user",
            "client_id": auth.CLIENT_ID,
            "client_secret": auth.CLIENT_SECRET,
            "refresh_token": "unused-within-the-hour",
            "token": token,
            "expiry": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def measure(files: int, tmp: Path) -> tuple[float, float, int]:
    """Seconds to push `files` files to a local folder and to the sandbox; objects the sandbox holds."""
    from wizard.sandbox.server import sandbox_env
    from wizard.sandbox.storage import object_names, start_storage

    env = {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
    }
    base = tmp / f"n{files}"
    base.mkdir()
    repo = base / "repo"
    _repo(repo, files, env)
    _dvc(["remote", "add", "local", str(base / "local-remote")], repo, env)
    local = _dvc(["push", "-r", "local"], repo, env)
    world = _world(base / "sandbox")
    with start_storage(world, base / "sandbox" / "storage") as server:
        # As the wizard's seam does: DVC trusts the sandbox's CA and gets the learner's fresh access
        # token in an authorized_user file (google-auth would refresh at Google, not at the sandbox).
        env.update({k: v for k, v in sandbox_env(world.root, world.read()).items() if v is not None})
        handed = base / "adc.json"
        handed.write_text(_handed_login(world))
        env["GOOGLE_APPLICATION_CREDENTIALS"] = str(handed)
        env["STORAGE_EMULATOR_HOST"] = server.url
        _dvc(["remote", "add", "sandbox", f"gs://{BUCKET}/dvcstore"], repo, env)
        sandbox = _dvc(["push", "-r", "sandbox"], repo, env)
    return local, sandbox, len(object_names(base / "sandbox" / "storage", BUCKET))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="54,1600", help="comma-separated file counts")
    parser.add_argument("--large", action="store_true", help="also push 10,000 files (minutes)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",") if n]
    if args.large:
        sizes.append(10_000)
    print(f"load before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        for files in sizes:
            local, sandbox, stored = measure(files, Path(tmp))
            print(
                f"push {files:>6} files of 20 kB: sandbox {sandbox:6.1f} s, local folder {local:6.1f} s, "
                f"ratio {sandbox / local:5.2f}x ({stored / sandbox:6.0f} objects/s, {stored} stored), "
                f"load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
