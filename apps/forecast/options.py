"""Options shared by the forecast app's inference commands: FILE.csv, --column, --model, --backend, --json."""
from __future__ import annotations

import argparse
from typing import Any

from suite.app import shipped_model_dir
from suite.app.models import ModelRef, add_model_options, resolve_model
from suite.cli import add_json_option


def add_csv_input_options(parser: argparse.ArgumentParser) -> None:
    """FILE.csv, --column, the model options and --json: what forecast and monitor both take."""
    parser.add_argument("file", metavar="FILE.csv", help="a time column and one or more value columns")
    parser.add_argument("--column", dest="columns", action="append", metavar="NAME",
                        help="value column to use; repeatable (default: every column but the time)")
    add_model_options(parser)
    add_json_option(parser)


def model_ref(args: argparse.Namespace, file: str) -> ModelRef:
    return resolve_model("forecast", args.model or shipped_model_dir("forecast"), file, args.backend)


def csv_and_step_model(args: argparse.Namespace) -> tuple[list, ModelRef, Any]:
    """The CSV's series (checked first: a bad file is reported before the model loads), the model and
    its step runtime (the exported step file, or Keras' step model with --backend keras)."""
    from apps.forecast.model import STEP_FILE, step_runtime
    from apps.forecast.series import read_csv

    all_series = read_csv(args.file, args.columns)
    ref = model_ref(args, STEP_FILE)
    return all_series, ref, step_runtime(ref)
