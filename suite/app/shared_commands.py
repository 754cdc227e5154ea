"""The ``train`` and ``export`` commands every app gets from its ``AppSpec``.

train: ``runs/<app>/<name>/`` holds checkpoints and history, so running the same command again after a
kill resumes; the model directory (default ``runs/<app>/<name>/model``) gets config.json with the app,
task, preset, overrides, data source and the command that reproduces the run. Nothing is written into
``saved_models/`` unless ``--out`` names it.

export: one flag set and one failure policy for every app: every requested file is exported and
checked, each result is printed, metrics.json gets ``exports[<file name>]``, and the command exits 2
at the end if any file failed its parity gate.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Any

from suite.app import paths
from suite.app.paths import has_checkpoint
from suite.app.models import check_app, read_config_json
from suite.app.spec import AppSpec, ExportPlan, TrainRun
from suite.cli import EXIT_USER_ERROR, App, add_config_options, add_json_option, add_strategy_option, emit
from suite.errors import UserError

# Copies of export.FORMATS and export.QUANTIZE_MODES: importing export loads numpy, and every app's --help must
# start without it (tests/test_video_device.py); tests/test_export_cli.py keeps them equal.
EXPORT_FORMATS = ("tflite", "onnx")
QUANTIZE_MODES = ("none", "float16", "dynamic", "int8", "int16x8")
KINDS = {"sequence": False, "step": True}


def register(app: App, spec: AppSpec) -> None:
    app.command("train", help=f"train a {spec.name} model (runs/{spec.name}/<name>/, resumable)",
                arguments=lambda parser: _train_arguments(parser, spec))(lambda args: train_command(args, spec))
    app.command("export", help="export int8 TFLite and ONNX files with parity checks against Keras",
                arguments=lambda parser: _export_arguments(parser, spec))(lambda args: export_command(args, spec))


# --------------------------------------------------------------------------- train
def preset_help(spec: AppSpec) -> str:
    lines = [f"{name}: {preset.description}" for name, preset in spec.presets.items()]
    return f"named preset (default {spec.default_preset}); " + "; ".join(lines)


def _train_arguments(parser: argparse.ArgumentParser, spec: AppSpec) -> None:
    add_config_options(parser, spec.presets, spec.default_preset, help=preset_help(spec))
    parser.add_argument("--data", metavar="PATH", help=spec.data_help)
    parser.add_argument("--name", help="run name: runs/<app>/<name>/ (default: the preset name)")
    parser.add_argument("--runs", default=str(paths.RUNS_ROOT), metavar="DIR", help="root of the run folders")
    parser.add_argument("--out", metavar="DIR",
                        help="model directory to write (default runs/<app>/<name>/model; saved_models/ only if named)")
    add_strategy_option(parser)
    add_json_option(parser)
    if spec.train_arguments is not None:
        spec.train_arguments(parser)


def resolve_preset(spec: AppSpec, name: str, overrides: list[str]) -> Any:
    """The preset's config with ``--set`` applied; a bad key or value is one line naming it."""
    from suite.config import apply_overrides

    if name not in spec.presets:
        raise UserError(f"--config {name!r}: choose one of {', '.join(spec.presets)}")
    try:
        return apply_overrides(spec.presets[name].config, overrides)
    except ValueError as error:
        raise UserError(f"--set: {error}") from None


def reproduce_command(spec: AppSpec, argv: list[str]) -> str:
    """The command line that reproduces this run."""
    return f"python -m apps.{spec.name} " + shlex.join(argv)


def train_command(args: argparse.Namespace, spec: AppSpec) -> int:
    from suite.config import to_dict

    config = resolve_preset(spec, args.config, args.overrides)
    name = args.name or args.config
    run_dir = paths.run_dir(spec.name, name, args.runs)
    out = Path(args.out) if args.out else run_dir / "model"
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder; --out needs a model directory path")
    if args.data and not Path(args.data).exists():
        raise UserError(f"{args.data}: no such file or folder")
    _start_or_resume(run_dir)
    _start_strategy(args.strategy)
    command = reproduce_command(spec, list(getattr(args, "_argv", ["train"])))
    trained = spec.train(TrainRun(config=config, preset=args.config, run_dir=run_dir, data=args.data,
                                  strategy=args.strategy, verbose=args.verbose or not args.json, args=args))
    model_config = {"app": spec.name, "task": spec.task, "preset": args.config, "overrides": list(args.overrides),
                    "settings": to_dict(config), "data": trained.data, "command": command, **trained.config}
    metrics = {**trained.metrics, "command": command, "params": int(trained.model.count_params())}
    save_trained(out, run_dir, trained.model, model_config, metrics, trained.write_extra)
    emit({"model_dir": str(out), "run_dir": str(run_dir), "command": command, "metrics": metrics}, args.json,
         text=f"saved {out}  (run folder {run_dir})")
    return 0


def _start_or_resume(run_dir: Path) -> None:
    """A run folder with checkpoints resumes; without them, an older finished run's history is dropped."""
    from suite.training import HISTORY_FILE

    if run_dir.is_dir() and not has_checkpoint(run_dir):
        for history in run_dir.rglob(HISTORY_FILE):
            history.unlink()
    if has_checkpoint(run_dir):
        print(f"resuming the run in {run_dir}", file=sys.stderr)


def _start_strategy(kind: str) -> None:
    """Create the distribution strategy before the app makes any tensor: a multi-worker strategy must
    configure collective ops at start-up, and ``fit`` later gets this same strategy back."""
    from suite import distribute

    distribute.strategy(kind)


def save_trained(out: Path, run_dir: Path, model: Any, config: dict, metrics: dict, write_extra: Any) -> None:
    from suite.modeldir import save_model_dir
    from suite.training import CURVE_FILE, HISTORY_FILE

    extra = {name: run_dir / name for name in (HISTORY_FILE, CURVE_FILE)}
    save_model_dir(out, model, config, metrics, extra_files=extra, write_extra=write_extra)


# --------------------------------------------------------------------------- export
def _export_arguments(parser: argparse.ArgumentParser, spec: AppSpec) -> None:
    parser.add_argument("--model", default=None, metavar="DIR",
                        help=f"model directory; the files are written into it (default: saved_models/{spec.name})")
    parser.add_argument("--format", dest="formats", action="append", choices=EXPORT_FORMATS,
                        help="tflite or onnx; repeatable (default: both)")
    parser.add_argument("--kind", dest="kinds", action="append", choices=list(KINDS),
                        help="sequence model or streaming step model; repeatable (default: the app's)")
    parser.add_argument("--quantize", default=None, choices=QUANTIZE_MODES,
                        help="default: the app's plan per file (int8 unless the app names another, e.g. int16x8)")
    parser.add_argument("--calibration-data", metavar="FILE.npz", help="your own calibration/held-out data")
    add_json_option(parser)


def export_plan(spec: AppSpec, args: argparse.Namespace) -> list[tuple[str, ExportPlan]]:
    """(format, plan) for every file to write; ``--quantize`` overrides the plan's."""
    plans = [plan for plan in spec.exports if not args.kinds or plan.step in {KINDS[k] for k in args.kinds}]
    if not plans:
        raise UserError(f"--kind {' '.join(args.kinds)}: this app exports "
                        f"{', '.join('step' if p.step else 'sequence' for p in spec.exports)}")
    chosen = [(fmt, with_quantize(plan, args.quantize)) for fmt in (args.formats or EXPORT_FORMATS)
              for plan in plans if plan.formats is None or fmt in plan.formats]
    if not chosen:
        raise UserError(f"--format {' '.join(args.formats)}: this app exports "
                        f"{', '.join(sorted({f for p in plans for f in (p.formats or EXPORT_FORMATS)}))}")
    from export import check_options  # e.g. --quantize int16x8 for an ONNX file: one line before any file is written

    for fmt, plan in chosen:  # a plan's target applies to its TFLite file only (export_one)
        check_options(fmt, plan.quantize, plan.target if fmt == "tflite" else None, None)
    return chosen


def with_quantize(plan: ExportPlan, quantize: str | None) -> ExportPlan:
    """The plan with ``--quantize`` applied; its target is dropped when that runtime cannot run the mode
    (``--quantize dynamic`` of a TFLite Micro plan: the file, without its C sources and TFLM gate)."""
    from export import target_runs

    quantize = quantize or plan.quantize
    target = plan.target if target_runs(plan.target, quantize) else None
    return dataclasses.replace(plan, quantize=quantize, target=target)


def export_command(args: argparse.Namespace, spec: AppSpec) -> int:
    from suite.modeldir import update_metrics

    model_dir = Path(args.model) if args.model else paths.shipped_model_dir(spec.name)
    if not model_dir.is_dir():
        raise UserError(f"{model_dir}: not a model directory" + (" (a file)" if model_dir.exists() else ""))
    config = read_config_json(model_dir)
    if config is None:
        raise UserError(f"{model_dir}: not a model directory (no config.json)")
    check_app(config, spec.name, model_dir)
    members = spec.members(model_dir, config) if spec.members is not None else []
    if members:
        return export_members(args, spec, model_dir, members)
    exports, failures = {}, []
    exporter = spec.export_file or export_one
    for fmt, plan in export_plan(spec, args):
        name, summary = exporter(model_dir, fmt, plan, args.calibration_data)
        exports[name] = summary
        emit({"file": name, **summary}, args.json, text=format_export(name, summary))
        if not summary["passed"]:
            failures.append(name)
    record: dict[str, Any] = {"exports": {**_previous_exports(model_dir), **exports}}
    if spec.after_export is not None:
        checks = spec.after_export(model_dir, exports)
        record.update(checks)
        failures += [name for name in app_check_failures(checks, exports) if name not in failures]
    update_metrics(model_dir, **record)
    if failures:
        print(f"error: {', '.join(failures)} failed a parity gate against Keras (see metrics.json)",
              file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def export_members(args: argparse.Namespace, spec: AppSpec, model_dir: Path, members: list[Path]) -> int:
    """Each member exported and gated as a model of its own, then the app's check of the whole directory
    (``after_export(model_dir, {})``, merged into its metrics.json; an entry with ``"passed": false`` fails it)."""
    from suite.modeldir import update_metrics

    codes = [export_command(argparse.Namespace(**{**vars(args), "model": str(member)}), spec) for member in members]
    checks = spec.after_export(model_dir, {}) if spec.after_export is not None else {}
    update_metrics(model_dir, **checks)
    failed = [name for name, entry in _entries(checks) if entry.get("passed") is False]
    if failed:
        print(f"error: {model_dir}: {', '.join(failed)} failed a parity gate against Keras (see metrics.json)",
              file=sys.stderr)
    return EXIT_USER_ERROR if failed or any(codes) else 0


def _entries(checks: dict[str, Any]) -> list[tuple[str, dict]]:
    """(name, entry) of every per-file or per-format entry of an app check."""
    return [(name, entry) for per_name in checks.values() if isinstance(per_name, dict)
            for name, entry in per_name.items() if isinstance(entry, dict)]


def app_check_failures(checks: dict[str, Any], exports: dict[str, Any]) -> list[str]:
    """Files this export wrote that an app-level check (``after_export``: ``{check: {file: {..., "passed"}}}``)
    failed: they fail the export like the framework's own gate."""
    return [name for name, entry in _entries(checks) if name in exports and entry.get("passed") is False]


def export_one(model_dir: Path, fmt: str, plan: ExportPlan,
               calibration_data: str | None) -> tuple[str, dict[str, Any]]:
    """Export one file; a failed parity gate is recorded (``passed: false``), not raised."""
    from export import default_output_path, export_model_dir
    from suite.quiet import native_quiet

    name = default_output_path(model_dir, fmt, plan.quantize, plan.step).name
    tflite_only = {"per_tensor": plan.per_tensor, "target": plan.target} if fmt == "tflite" else {}
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"
        try:
            with native_quiet():  # the converter's and LiteRT's native log lines (shown with --verbose)
                report = export_model_dir(model_dir, format=fmt, quantize=plan.quantize, step=plan.step,
                                          calibration_data=calibration_data, report=report_path, verbose=False,
                                          **tflite_only)
        except UserError as error:
            if not report_path.is_file():
                raise
            report = {**json.loads(report_path.read_text()), "error": str(error)}
    return name, summarize(report)


SUMMARY_KEYS = ("task", "metric", "keras", "export", "agreement", "threshold", "samples", "max_abs_diff", "bytes",
                "export_latency_us", "keras_latency_us", "step_sequences", "step_keras", "step_export",
                "step_agreement", "error")


TFLM_KEYS = ("flash_bytes", "arena_bytes", "mode", "samples", "metric", "keras", "export", "agreement", "threshold",
             "max_abs_diff", "passed")


def summarize(report: dict[str, Any]) -> dict[str, Any]:
    """The report's figures kept in metrics.json, the same keys for every app."""
    summary = {key: _rounded(report[key]) for key in SUMMARY_KEYS if key in report}
    micro = report.get("tflm")
    if micro:
        summary["tflm"] = {key: _rounded(micro[key]) for key in TFLM_KEYS if key in micro}
    summary["passed"] = (bool(report.get("passed", False)) and report.get("step_passed", True) is not False
                         and (micro or {}).get("passed", True) is not False)
    return summary


def _rounded(value: Any) -> Any:
    return round(value, 5) if isinstance(value, float) else value


def _previous_exports(model_dir: Path) -> dict[str, Any]:
    from suite.modeldir import read_metrics

    previous = read_metrics(model_dir).get("exports", {})
    return previous if isinstance(previous, dict) else {}


def format_export(name: str, summary: dict[str, Any]) -> str:
    if "metric" not in summary:
        return f"{name}: FAILED {summary.get('error', '')}"
    line = (f"{name}: {summary['bytes']:,} bytes, {summary['metric']} keras {summary['keras']:.4f} / "
            f"export {summary['export']:.4f}")
    if "step_agreement" in summary:
        line += f", stepped over {summary['step_sequences']} sequences {summary['step_export']:.4f}"
    return line + ("" if summary["passed"] else f"  FAILED: {summary.get('error', '')}")
