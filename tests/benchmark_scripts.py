"""Load a script from benchmarks/ as a module, for tests of its pieces."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def load_benchmark(name: str) -> ModuleType:
    """benchmarks/<name>.py as a module, with os.environ as it was before: the scripts pin thread
    counts in os.environ on import, which must not leak into other tests."""
    saved = dict(os.environ)
    spec = importlib.util.spec_from_file_location(f"{name}_benchmark", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return module
