"""The video app's train hook: the CNN+GRU and its per-frame baseline (same CNN, frames averaged) on the
same clips, both starting from one frame CNN pretrained on the orientation pretext task
(``apps/video/pretext.py``) unless the preset sets ``orientation_clips=0``.

Each phase trains through ``suite.training.fit`` in its own folder of the run, so a killed run resumes
where it stopped: the pretext task in ``run_dir/pretext``, the CNN+GRU in ``run_dir`` itself (its
history is the model's), the baseline in ``run_dir/baseline``. A finished phase leaves its model there,
and a resumed run reuses it. Without ``--data`` the clips are rendered into the cache first.
The model directory holds the CNN+GRU (model.keras) and the baseline (baseline.keras); metrics.json
gives both on the held-out test split, their within-pair accuracy, and both on alternative-renderer clips.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

from apps.video import data, metrics, pretext
from apps.video.classes import CLASSES
from apps.video.model import BASELINE_FILE, TOPOLOGY, build, keras_scorer, model_kwargs
from apps.video.presets import VideoConfig
from suite.app import Trained, TrainRun
from suite.atomic import atomic_path

FINISHED_FILE = "finished.keras"  # a phase's trained model, kept in its folder for a resumed run
PHASE_FOLDERS = {"pretext": "pretext", "model": ".", "baseline": "baseline"}
BASELINE_EXTRAS = ("history.csv", "training_curve.png")  # copied in as baseline_<name>


def train(run: TrainRun) -> Trained:
    """Train both models on the run's data and evaluate them; the framework writes the model directory."""
    config: VideoConfig = run.config
    started = time.perf_counter()
    folder_path = Path(run.data) if run.data else data.generated_folder(config.clips_per_class, config.data_seed,
                                                                       show_progress=run.verbose)
    folder = data.scan_with_classes(folder_path)
    arrays = {split: data.split_arrays(folder, split, config.num_frames, config.size, run.verbose)[:2]
              for split in ("train", "validation", "test")}
    trained = train_both(run, arrays, folder.class_names)
    record = heldout_metrics(trained, *arrays["test"], folder.class_names)
    record["train_clips"] = int(len(arrays["train"][1]))
    if not run.data and config.alt_clips_per_class:
        record.update(alt_renderer_accuracy(trained, config, folder.class_names, run.verbose))
    record["train_seconds"] = round(time.perf_counter() - started, 1)
    source = {"folder": str(folder_path), "generated": not run.data, "train_clips": record["train_clips"]}
    return Trained(trained["model"], inference_config(config, folder.class_names), record, data=source,
                   write_extra=baseline_writer(trained["baseline"], phase_dir(run, "baseline")))


def train_both(run: TrainRun, arrays: dict[str, tuple[np.ndarray, np.ndarray]],
               class_names: tuple[str, ...]) -> dict[str, Any]:
    """{"model": the CNN+GRU, "baseline": the per-frame baseline}, both from the same pretrained frame CNN
    (so the baseline stays "the same CNN"), trained on the same clips with the same settings."""
    from suite.training import train_config_of

    config: VideoConfig = run.config
    augment = class_names if config.augment and set(class_names) == set(CLASSES) else None
    train_ds = data.training_dataset(*arrays["train"], config.batch_size, shuffle=True, seed=config.seed,
                                     augment_classes=augment, appearance=config.augment_appearance)
    val_ds = data.training_dataset(*arrays["validation"], config.batch_size, shuffle=False)
    pretrained = pretrain(run) if config.orientation_clips else {}
    trained = {}
    for name, temporal in (("model", "rnn"), ("baseline", "average")):
        kwargs = model_kwargs(config, temporal, len(class_names))
        trained[name] = fit_phase(run, name, lambda: build(kwargs, pretrained), train_ds, val_ds,
                                  train_config_of(config), "sparse_categorical_crossentropy", ["accuracy"])
    return trained


def inference_config(config: VideoConfig, class_names: tuple[str, ...]) -> dict[str, Any]:
    """config.json's model fields: both models' build kwargs and what inference reads (model.CONFIG_KEYS)."""
    return {"topology": TOPOLOGY, "model": model_kwargs(config, "rnn", len(class_names)),
            "baseline_model": model_kwargs(config, "average", len(class_names)),
            "classes": list(class_names), "num_frames": config.num_frames, "frame_size": config.frame_size}


def phase_dir(run: TrainRun, phase: str) -> Path:
    return run.run_dir / PHASE_FOLDERS[phase]


def fit_phase(run: TrainRun, phase: str, make: Callable[[], Any], train_ds: Any, val_ds: Any, fit_config: Any,
              loss: str, fit_metrics: list[str]) -> Any:
    """``suite.training.fit`` in the phase's folder; a phase a resumed run already finished is loaded instead."""
    from suite.training import fit

    finished = finished_phase(run, phase)
    if finished is not None:
        return finished
    model, _ = fit(make, train_ds, val_ds, phase_dir(run, phase), fit_config, loss=loss, metrics=fit_metrics,
                   strategy=run.strategy, verbose=2 if run.verbose else 0)
    with atomic_path(phase_dir(run, phase) / FINISHED_FILE) as temporary:  # keeps the .keras suffix Keras needs
        model.save(temporary)
    return model


def finished_phase(run: TrainRun, phase: str) -> Any:
    """The model of a phase this run already finished, else None.

    A finished phase counts only with its history beside it: the framework drops the histories when a run
    starts afresh (no checkpoint anywhere), so a new run never reuses an old run's phase.
    """
    from suite.keras import keras
    from suite.training import HISTORY_FILE

    folder = phase_dir(run, phase)
    if (folder / FINISHED_FILE).is_file() and (folder / HISTORY_FILE).is_file():
        return keras.models.load_model(folder / FINISHED_FILE, compile=False)
    return None


def pretrain(run: TrainRun) -> dict[str, list[np.ndarray]]:
    """The frame CNN's weights after the orientation pretext task (its own resumable phase)."""
    config: VideoConfig = run.config
    model = finished_phase(run, "pretext")  # checked first: a resumed run renders no pretext clips
    if model is None:
        model = fit_phase(run, "pretext", lambda: pretext.pretext_model(config), pretext.pretext_dataset(config, run.verbose),
                          None, pretext.pretext_train_config(config), "mse", [])
    return pretext.frame_cnn_weights(model)


def evaluate_pair(models: dict, frames: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """metrics.summarize for each named Keras model on the same clips (uint8 frames)."""
    inputs = data.to_model_input(frames)
    return {name: metrics.summarize(labels, keras_scorer(model)(inputs), class_names) for name, model in models.items()}


def heldout_metrics(models: dict, frames: np.ndarray, labels: np.ndarray, class_names: tuple[str, ...]) -> dict:
    results = evaluate_pair(models, frames, labels, class_names)
    return {"heldout_clips": int(len(labels)), "heldout_accuracy": results["model"]["accuracy"],
            "baseline_heldout_accuracy": results["baseline"]["accuracy"],
            "model": results["model"], "baseline": results["baseline"],
            "baseline_params": int(models["baseline"].count_params())}


def alt_renderer_accuracy(models: dict, config: VideoConfig, class_names: tuple[str, ...],
                          show_progress: bool) -> dict:
    """Both models on clips of the alternative (PIL) renderer: other shapes, textures and easing."""
    folder_path = data.generated_folder(config.alt_clips_per_class, config.data_seed, "alt", show_progress)
    folder = data.scan_with_classes(folder_path, class_names)
    frames, labels, _ = data.split_arrays(folder, None, config.num_frames, config.size, show_progress)
    results = evaluate_pair(models, frames, labels, class_names)
    return {"alt_clips": int(len(labels)), "alt_accuracy": results["model"]["accuracy"],
            "baseline_alt_accuracy": results["baseline"]["accuracy"],
            "alt_per_class_accuracy": results["model"]["per_class_accuracy"]}


def baseline_writer(baseline: Any, folder: Path) -> Callable[[Path], None]:
    """write_extra for the model directory: baseline.keras and the baseline's history and curve."""
    def write(target: Path) -> None:
        baseline.save(target / BASELINE_FILE)
        for name in BASELINE_EXTRAS:
            if (folder / name).exists():
                (target / f"baseline_{name}").write_bytes((folder / name).read_bytes())

    return write
