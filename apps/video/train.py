"""``train``: the CNN+GRU and its per-frame baseline (same CNN, frames averaged) on the same clips.

Both start from one frame CNN pretrained on the orientation pretext task (``apps/video/pretext.py``)
unless the preset sets ``orientation_clips=0``.

Without ``--data`` it renders a folder with make-data into the cache first. The model directory
holds the CNN+GRU (model.keras) and the baseline (baseline.keras); metrics.json gives both on the
held-out test split, their within-pair accuracy, and both on clips of the alternative renderer.
"""
from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from apps.video import data, metrics, pretext
from apps.video.classes import CLASSES
from apps.video.cli import app
from apps.video.presets import DEFAULT_PRESET, PRESETS, TOPOLOGY, VideoConfig, model_kwargs, train_config
from apps.video.scoring import BASELINE_FILE, keras_scorer
from suite.cli import add_config_options, add_json_option, add_strategy_option, emit
from suite.config import resolve_config, to_dict
from suite.errors import UserError

DEFAULT_OUT = "saved_models/video"


def resolve(preset: str, overrides: list[str]) -> VideoConfig:
    try:
        config = resolve_config(PRESETS, preset, overrides)
        train_config(config)
        return config
    except ValueError as error:
        raise UserError(f"--set: {error}") from None


def train(config: VideoConfig, preset: str, out: str, data_dir: str | None = None, strategy: str = "default",
          run_dir: str | None = None, command: str = "", show_progress: bool = True) -> dict:
    """Train both models, evaluate them, and write the model directory ``out``; returns metrics.json's dict."""
    from suite.modeldir import save_model_dir
    from suite.training import fit

    started = time.perf_counter()
    folder_path = Path(data_dir) if data_dir else data.generated_folder(config.clips_per_class, config.data_seed,
                                                                       show_progress=show_progress)
    folder = data.scan_with_classes(folder_path)
    class_names = folder.class_names
    arrays = {split: data.split_arrays(folder, split, config.num_frames, config.size, show_progress)[:2]
              for split in ("train", "validation", "test")}
    run_root = Path(run_dir) if run_dir else data.cache_dir() / "runs" / f"{preset}-{abs(hash_config(config))}"
    fit_config = train_config(config)
    augment = class_names if config.augment and set(class_names) == set(CLASSES) else None
    train_ds = data.training_dataset(*arrays["train"], config.batch_size, shuffle=True, seed=config.seed,
                                     augment_classes=augment)
    val_ds = data.training_dataset(*arrays["validation"], config.batch_size, shuffle=False)

    # Both models start from the same pretrained frame CNN, so the baseline stays "the same CNN".
    pretrained = pretext.pretrain_frame_cnn(config, show_progress) if config.orientation_clips else {}
    trained = {}
    for name, temporal in (("model", "rnn"), ("baseline", "average")):
        kwargs = model_kwargs(config, temporal, len(class_names))
        model, _ = fit(lambda: build(kwargs, pretrained), train_ds, val_ds, run_root / name, fit_config,
                       loss="sparse_categorical_crossentropy", metrics=["accuracy"], strategy=strategy,
                       verbose=2 if show_progress else 0)
        trained[name] = model

    test_frames, test_labels = arrays["test"]
    results = evaluate_pair(trained, data.to_model_input(test_frames), test_labels, class_names)
    record = {
        "heldout_clips": int(len(test_labels)),
        "heldout_accuracy": results["model"]["accuracy"],
        "baseline_heldout_accuracy": results["baseline"]["accuracy"],
        "model": results["model"], "baseline": results["baseline"],
        "params": int(trained["model"].count_params()),
        "baseline_params": int(trained["baseline"].count_params()),
        "data": str(folder_path), "train_clips": int(len(arrays["train"][1])),
        "command": command,
    }
    if not data_dir and config.alt_clips_per_class:
        record.update(alt_renderer_accuracy(trained, config, class_names, show_progress))
    record["train_seconds"] = round(time.perf_counter() - started, 1)

    model_config = {
        "app": "video", "task": "classification", "topology": TOPOLOGY, "preset": preset,
        "model": model_kwargs(config, "rnn", len(class_names)),
        "baseline_model": model_kwargs(config, "average", len(class_names)),
        "train": to_dict(fit_config), "video": to_dict(config), "classes": list(class_names),
        "num_frames": config.num_frames, "frame_size": config.frame_size,
    }

    def write_baseline(tmp: Path) -> None:
        trained["baseline"].save(tmp / BASELINE_FILE)
        for name in ("history.csv", "training_curve.png"):
            source = run_root / "baseline" / name
            if source.exists():
                (tmp / f"baseline_{name}").write_bytes(source.read_bytes())

    save_model_dir(out, trained["model"], model_config, record,
                   extra_files={"history.csv": run_root / "model" / "history.csv",
                                "training_curve.png": run_root / "model" / "training_curve.png"},
                   write_extra=write_baseline)
    return record


def build(kwargs: dict, pretrained: dict | None = None):
    """The model of ``kwargs``, its frame CNN loaded from ``pretrained`` weights when given."""
    from suite import build_model

    model = build_model(TOPOLOGY, **kwargs)
    pretext.load_frame_cnn(model, pretrained or {})
    return model


def hash_config(config: VideoConfig) -> int:
    """A stable key for the run folder (resumable checkpoints belong to one configuration)."""
    import zlib

    return zlib.crc32(repr(to_dict(config)).encode())


def evaluate_pair(models: dict, frames: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """metrics.summarize for each named Keras model on the same clips."""
    return {name: metrics.summarize(labels, keras_scorer(model)(frames), class_names) for name, model in models.items()}


def alt_renderer_accuracy(models: dict, config: VideoConfig, class_names: tuple[str, ...],
                          show_progress: bool) -> dict:
    """Both models on clips of the alternative (PIL) renderer: other shapes, textures and easing."""
    folder_path = data.generated_folder(config.alt_clips_per_class, config.data_seed, "alt", show_progress)
    folder = data.scan_with_classes(folder_path, class_names)
    frames, labels, _ = data.split_arrays(folder, None, config.num_frames, config.size, show_progress)
    results = evaluate_pair(models, data.to_model_input(frames), labels, class_names)
    return {"alt_clips": int(len(labels)), "alt_accuracy": results["model"]["accuracy"],
            "baseline_alt_accuracy": results["baseline"]["accuracy"],
            "alt_per_class_accuracy": results["model"]["per_class_accuracy"]}


def train_arguments(parser: argparse.ArgumentParser) -> None:
    add_config_options(parser, PRESETS, DEFAULT_PRESET)
    parser.add_argument("--data", help="UCF101-style folder with splits.csv (default: render one into the cache)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="model directory to write")
    parser.add_argument("--run-dir", help="checkpoints and logs (default: in the cache); a rerun resumes")
    add_strategy_option(parser)
    add_json_option(parser)


@app.command("train", help="train the CNN+GRU and the per-frame baseline", arguments=train_arguments)
def train_command(args: argparse.Namespace) -> int:
    config = resolve(args.config, args.overrides)
    if args.data and not Path(args.data).is_dir():
        raise UserError(f"{args.data}: no such folder")
    command = "python -m apps.video " + shlex.join(sys.argv[1:] if sys.argv[0].endswith("__main__.py") else [])
    record = train(config, args.config, args.out, args.data, args.strategy, args.run_dir, command.strip())
    text = (f"wrote {args.out}: held-out accuracy {record['heldout_accuracy']:.3f} "
            f"(per-frame baseline {record['baseline_heldout_accuracy']:.3f}) on {record['heldout_clips']} clips")
    if "alt_accuracy" in record:
        text += f"; alt renderer {record['alt_accuracy']:.3f} (baseline {record['baseline_alt_accuracy']:.3f})"
    emit({k: record[k] for k in ("heldout_accuracy", "baseline_heldout_accuracy") if k in record} | {"out": args.out},
         args.json, text)
    return 0
