"""The vitals commands, one module each; each registers itself (``app = cli_of(__name__)``).

Options shared by the inference commands live here; nothing heavy is imported at module level, so
``--help`` stays under a second.
"""
from __future__ import annotations

import sys

RESEARCH_ONLY = "(research tool, not a medical device)"


def show_progress(as_json: bool) -> bool:
    """Progress bars for long work: on a terminal, and not under ``--json`` (a log file gets no bar lines)."""
    return not as_json and sys.stderr.isatty()
