"""Stage packages that can be called like their main function.

`pipeline.repair` is the repair stage's package (`pipeline.repair.repair`,
`pipeline.repair.normalize`, …) and `pipeline.repair("Thuc hien")` repairs a text, the
way the README shows; likewise `pipeline.extract(…)` and `pipeline.compare(…)`. A
function of the same name on the parent package would hide the subpackage (or be hidden
by it once the subpackage is imported), so the package module itself is made callable.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


def make_callable(package: str, target: str) -> None:
    """Calling the module `package` calls `target` ("module:function", imported on first call)."""
    module_name, function_name = target.split(":")

    class CallablePackage(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return getattr(importlib.import_module(module_name), function_name)(*args, **kwargs)

    sys.modules[package].__class__ = CallablePackage
