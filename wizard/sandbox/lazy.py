"""Names a package exports, imported from their modules when first asked for (PEP 562).

The forge's pre-receive hook and the simulated CI runs start a fresh process on every push and need
one small module of a fake; importing the whole fake (its API server, every client library's types)
cost them a second per push.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` for `package`: `where` maps each exported name to its submodule."""

    def __getattr__(name: str) -> Any:
        if name in where:
            return getattr(importlib.import_module(f"{package}.{where[name]}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
