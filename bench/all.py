#!/usr/bin/env python3
"""Every benchmark, each figure a ratio against its reference measured in the same run.

    python3 dev.py bench            # launch, push of 54 and 1,600 files, the 7+8+14 run, status,
                                    # the same run full-screen
    python3 dev.py bench --large    # also the push of 10,000 files (minutes)

The machine's load is printed before and after each part: on a shared machine the ratios
hold much better than the absolute figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str]) -> int:
    push = [str(HERE / "push.py"), *(["--large"] if "--large" in argv else [])]
    parts = [
        ("first paint", [str(HERE / "launch.py")]),
        ("dvc push", push),
        ("headless run and status", [str(HERE / "run.py")]),
        ("full-screen run vs headless", [str(HERE / "fullscreen.py")]),
    ]
    code = 0
    for title, args in parts:
        print(f"\n== {title} (load {_load()})", flush=True)
        code = subprocess.call([sys.executable, *args]) or code
    print(f"\nload at the end: {_load()}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
