"""``evaluate``: accuracy, per-class and within-pair accuracy and a confusion-matrix PNG on a folder of
clips, with the per-frame baseline beside the model (the baseline stored in the same model directory).

``--renderer NAME`` scores clips of one of the renderers instead of ``--data`` (rendered into the cache
once, deterministic for ``--seed``): ``independent`` is the renderer that shares no code with the
training one (apps/video/independent.py), the check that the model holds up beyond its generator.

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
RENDERER_CHOICES = ("alt", "independent", "main")  # apps.video.data.RENDERER_IDS (a test keeps them equal)
DEFAULT_RENDER_CLIPS = 25  # clips per class for --renderer
DEFAULT_RENDER_SEED = 1  # the training data is rendered with seed 0
DEFAULT_PLOT = "confusion_matrix.png"  # written into the model directory unless --out names a file


def arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", help="UCF101-style folder (class subfolders of .mp4/.avi)")
    source.add_argument("--renderer", choices=RENDERER_CHOICES,
                        help="score clips of this renderer instead (independent: the one never trained on)")
    parser.add_argument("--clips-per-class", type=int, default=DEFAULT_RENDER_CLIPS,
                        help=f"with --renderer: clips per class (default {DEFAULT_RENDER_CLIPS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_RENDER_SEED,
                        help=f"with --renderer: its seed (default {DEFAULT_RENDER_SEED})")
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

    data_dir = args.data or rendered_folder(args.renderer, args.clips_per_class, args.seed, True)
    record = evaluate(data_dir, args.model, args.backend, args.split, args.out, not args.no_plot)
    if args.renderer:
        record.update(renderer=args.renderer, seed=args.seed)
    emit(record, args.json, format_evaluation(record))
    return 0


def rendered_folder(renderer: str, clips_per_class: int, seed: int, show_progress: bool) -> str:
    """The cached folder of ``renderer``'s clips (rendered on first use)."""
    from apps.video.data import generated_folder
    from suite.errors import UserError

    if clips_per_class < 1:
        raise UserError(f"--clips-per-class: must be at least 1, not {clips_per_class}")
    return str(generated_folder(clips_per_class, seed, renderer, show_progress))
