"""``evaluate``: accuracy, per-class and within-pair accuracy and a confusion-matrix PNG on a folder of
clips, with the per-frame baseline beside the model (the baseline stored in the same model directory).

The plot goes to ``--out``, else next to the model (``<model dir>/confusion_matrix.png``), never into the
working directory.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from suite.app.models import BACKENDS
from suite.app import cli_of
from suite.cli import add_json_option, emit

app = cli_of(__name__)
SPLITS = ("train", "validation", "test")  # apps.video.ucf101.SPLITS
DEFAULT_PLOT = "confusion_matrix.png"  # written into the model directory unless --out names a file


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="UCF101-style folder (class subfolders of .mp4/.avi)")
    parser.add_argument("--model", metavar="PATH", help="model directory (default: the shipped one), or its export")
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="keras (default for a model directory: scores the trained model), tflite or onnx")
    parser.add_argument("--split", choices=SPLITS, help="only this split of splits.csv (default: every clip)")
    parser.add_argument("--out", "--plot", dest="out", metavar="FILE.png",
                        help=f"confusion-matrix PNG (default: {DEFAULT_PLOT} in the model directory)")
    parser.add_argument("--no-plot", action="store_true", help="write no plot")
    add_json_option(parser)


def evaluate(data_dir: str, model_path: str | None = None, backend: str | None = None, split: str | None = None,
             plot: str | None = None, draw: bool = True, show_progress: bool = True) -> dict:
    """Score every clip of ``data_dir`` (or of one split) with the model and its baseline."""
    from apps.video import data, metrics
    from apps.video.model import CLIP_FILE, clip_scorer, load_baseline, open_model
    from suite.app.models import check_output_file
    from suite.errors import UserError

    if plot:
        check_output_file(plot, (".png",))
    if not Path(data_dir).is_dir():
        raise UserError(f"{data_dir}: no such folder")
    is_file = model_path is not None and Path(model_path).is_file()
    model = open_model(model_path, CLIP_FILE, backend or (None if is_file else "keras"))
    folder = data.scan_with_classes(data_dir, model.class_names)
    frames, labels, _ = data.split_arrays(folder, split, model.num_frames, model.size, show_progress)
    inputs = data.to_model_input(frames)
    results = {"model": metrics.summarize(labels, clip_scorer(model)(inputs), model.class_names)}
    baseline = load_baseline(model.ref.model_dir)
    if baseline is not None:
        results["baseline"] = metrics.summarize(labels, baseline(inputs), model.class_names)
    record = metrics.evaluation_record(results, data_dir, str(model.ref.path), split)
    if draw:
        target = Path(plot) if plot else (model.ref.model_dir or model.ref.path.parent) / DEFAULT_PLOT
        metrics.plot_pair(target, results, model.class_names, model_name=str(model.ref.path),
                          data_name=f"{data_dir} ({split or 'all'} clips)")
        record["plot"] = str(target)
    return record


@app.command("evaluate", help="accuracy and confusion matrix on a folder, with the per-frame baseline",
             arguments=arguments)
def evaluate_command(args: argparse.Namespace) -> int:
    from apps.video.metrics import format_evaluation

    record = evaluate(args.data, args.model, args.backend, args.split, args.out, not args.no_plot)
    emit(record, args.json, format_evaluation(record))
    return 0
