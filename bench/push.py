#!/usr/bin/env python3
"""Benchmark: chapter 7's `dvc push` through the sandbox's Cloud Storage, against a local folder.

For each size, one DVC repository of N files of 20 kB is pushed to a local-directory remote
(the floor: DVC's own work) and to the sandbox's storage served on loopback in this process (as
the wizard does), alternately, `--repeat` times, each time to an empty remote. The median ratio
is the figure; absolute seconds depend on the machine and on its load, which is printed too.

Beside the seconds, the CPU time of each push: DVC's (the `dvc` process) and the sandbox
server's (this process), and once per size the same pushes again with nothing left to send (DVC's
fixed costs: its imports, gcsfs and google-auth for the sandbox, and the listing of the remote).
On a busy machine the CPU figures say where the time goes better than the seconds do.

    .venv/bin/python bench/push.py [--sizes 54,1600] [--large] [--repeat 3]   # --large adds 10,000 files (once)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FILE_BYTES = 20_000
BUCKET = "learner-bench-bucket"


@dataclass
class Push:
    """One `dvc push`: its seconds, the CPU seconds of DVC and of this process (the sandbox's server)."""

    seconds: float
    dvc_cpu: float
    server_cpu: float


def _dvc(args: list[str], cwd: Path, env: dict[str, str]) -> float:
    return _timed(args, cwd, env).seconds


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> Push:
    before, start = os.times(), time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "dvc", *args], cwd=cwd, env=env, capture_output=True, text=True)
    seconds, after = time.perf_counter() - start, os.times()
    if result.returncode != 0:
        raise SystemExit(f"dvc {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    dvc_cpu = after.children_user - before.children_user + after.children_system - before.children_system
    return Push(seconds, dvc_cpu, after.user - before.user + after.system - before.system)


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


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "DVC_NO_ANALYTICS": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT": "false",
    }


def push_local(repo: Path, remote: Path, env: dict[str, str]) -> Push:
    name = f"local-{remote.name}"
    _dvc(["remote", "add", name, str(remote)], repo, env)
    return _timed(["push", "-r", name], repo, env)


def push_sandbox(repo: Path, sandbox: Path, env: dict[str, str], again: bool = False) -> tuple[Push, int, Push | None]:
    """Push to a new sandbox in `sandbox`; the objects it holds; with `again`, the push repeated (nothing to send)."""
    from wizard.sandbox.server import sandbox_env
    from wizard.sandbox.storage import object_names, start_storage

    world = _world(sandbox)
    env = dict(env)
    name = f"sandbox-{sandbox.name}"
    with start_storage(world, sandbox / "storage") as server:
        # As the wizard's seam does: DVC trusts the sandbox's CA and gets the learner's fresh access
        # token in an authorized_user file (google-auth would refresh at Google, not at the sandbox).
        env.update({k: v for k, v in sandbox_env(world.root, world.read()).items() if v is not None})
        handed = sandbox / "adc.json"
        handed.write_text(_handed_login(world))
        env["GOOGLE_APPLICATION_CREDENTIALS"] = str(handed)
        env["STORAGE_EMULATOR_HOST"] = server.url
        _dvc(["remote", "add", name, f"gs://{BUCKET}/dvcstore"], repo, env)
        first = _timed(["push", "-r", name], repo, env)
        second = _timed(["push", "-r", name], repo, env) if again else None
    return first, len(object_names(sandbox / "storage", BUCKET)), second


def measure(files: int, tmp: Path, repeat: int) -> None:
    """Push `files` files to a local folder and to the sandbox, alternately, `repeat` times; print the figures."""
    env = _env()
    base = tmp / f"n{files}"
    base.mkdir()
    repo = base / "repo"
    _repo(repo, files, env)
    ratios: list[float] = []
    cpu_ratios: list[float] = []  # CPU seconds (DVC and server) against DVC's to the local folder
    for round_ in range(repeat):
        local = push_local(repo, base / f"local-remote-{round_}", env)
        first = round_ == 0
        sandbox, stored, again = push_sandbox(repo, base / f"sandbox-{round_}", env, again=first)
        if stored != files + 1:  # the files and the directory's listing
            raise SystemExit(f"the sandbox holds {stored} objects after pushing {files + 1}")
        ratios.append(sandbox.seconds / local.seconds)
        cpu_ratios.append((sandbox.dvc_cpu + sandbox.server_cpu) / max(local.dvc_cpu, 0.01))
        print(
            f"  round {round_ + 1}: sandbox {sandbox.seconds:6.2f} s, local folder {local.seconds:6.2f} s, "
            f"ratio {ratios[-1]:5.2f}x; CPU: dvc {sandbox.dvc_cpu:5.2f} s (local: {local.dvc_cpu:5.2f} s), "
            f"sandbox server {sandbox.server_cpu:5.2f} s; load {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        if first and again is not None:
            local_again = _timed(["push", "-r", f"local-local-remote-{round_}"], repo, env)
            print(
                f"  nothing left to push (DVC's fixed costs): sandbox {again.seconds:5.2f} s "
                f"(dvc CPU {again.dvc_cpu:5.2f} s), local folder {local_again.seconds:5.2f} s "
                f"(dvc CPU {local_again.dvc_cpu:5.2f} s)",
                flush=True,
            )
        last_rate = stored / sandbox.seconds
    ratio = statistics.median(ratios)
    print(
        f"push {files:>6} files of 20 kB: median ratio {ratio:5.2f}x over {repeat} round(s), "
        f"CPU ratio {statistics.median(cpu_ratios):5.2f}x (last round {last_rate:6.0f} objects/s), "
        f"load {os.getloadavg()[0]:.2f}",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="54,1600", help="comma-separated file counts")
    parser.add_argument("--large", action="store_true", help="also push 10,000 files, once (minutes)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds per size (10,000 files: one)")
    args = parser.parse_args()
    sizes = [(int(n), args.repeat) for n in args.sizes.split(",") if n]
    if args.large:
        sizes.append((10_000, 1))
    print(f"load before: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        for files, repeat in sizes:
            measure(files, Path(tmp), max(1, repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
