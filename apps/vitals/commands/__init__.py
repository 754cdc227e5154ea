"""The vitals commands, one module each; each registers itself (``app = cli_of(__name__)``).

Options shared by the inference commands live here; nothing heavy is imported at module level, so
``--help`` stays under a second.
"""
from __future__ import annotations

import argparse
import sys

from suite.app.models import BACKENDS

RESEARCH_ONLY = "(research tool, not a medical device)"


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """``--model`` (a vitals model directory or exported step file; default the shipped model) and ``--backend``."""
    parser.add_argument("--model", default=None, metavar="PATH",
                        help="vitals model directory or exported step_int8 file (default: the shipped model)")
    parser.add_argument("--backend", default=None, choices=BACKENDS,
                        help="tflite (default) or onnx: the exported int8 step model, without TensorFlow; "
                             "keras: the Keras model, for comparison")


def show_progress(as_json: bool) -> bool:
    """Progress bars for long work: on a terminal, and not under ``--json`` (a log file gets no bar lines)."""
    return not as_json and sys.stderr.isatty()
