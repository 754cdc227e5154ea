"""``train``: fit a preset on a Speech Commands folder and save a model folder with held-out metrics.

Held-out = the folder's test split, whose voices (for make-data folders) are unseen in training.
"""
from __future__ import annotations

import argparse
import os
import shlex
import sys
from pathlib import Path

import numpy as np

from apps.speech import augment, data, dataset
from apps.speech.cli import app
from apps.speech.evaluate import classification_metrics
from apps.speech.features import NUM_FRAMES
from apps.speech.frontend import HOP_SAMPLES, NUM_MEL_BINS, SAMPLE_RATE, WINDOW_SAMPLES
from apps.speech.labels import CLIP_SAMPLES, LABELS
from apps.speech.presets import DEFAULT_PRESET, PRESETS, SpeechConfig
from suite.cli import add_config_options, add_strategy_option
from suite.config import resolve_config, to_dict
from suite.errors import UserError

DEFAULT_OUT = "saved_models/speech"


def resolve(preset: str, overrides: list[str]) -> SpeechConfig:
    try:
        return resolve_config(PRESETS, preset, overrides)
    except ValueError as error:
        raise UserError(f"--set: {error}") from None


def model_config(config: SpeechConfig, preset: str, data_folder: Path) -> dict:
    """config.json: how to rebuild the model, and how its inputs are made from audio."""
    return {
        "app": "speech", "task": "classification", "topology": config.topology, "model": config.model_kwargs(),
        "preset": preset, "train": to_dict(config.train_config()), "speech": to_dict(config),
        "labels": list(LABELS),
        "frontend": {"sample_rate": SAMPLE_RATE, "window_samples": WINDOW_SAMPLES, "hop_samples": HOP_SAMPLES,
                     "mel_bins": NUM_MEL_BINS, "frames": NUM_FRAMES, "module": "apps/speech/frontend.py"},
        "data": {"path": str(data_folder.resolve()), "unknown_fraction": config.unknown_fraction,
                 "silence_fraction": config.silence_fraction, "seed": config.data_seed,
                 "per_word": config.per_word},
    }


def one_hot(features, labels):  # noqa: ANN001, ANN201 (tf.data map)
    """Labels as one-hot rows: CategoricalCrossentropy is the loss that takes label smoothing."""
    from suite.keras import tf

    return features, tf.one_hot(labels, len(LABELS))


def training_dataset(config: SpeechConfig, audio: np.ndarray, labels: np.ndarray, background: np.ndarray,
                     input_shape: list[int]):  # noqa: ANN201 (tf.data.Dataset)
    """Shuffled, batched, one-hot training data: augmented from audio every epoch, or fixed log-mel."""
    from suite.keras import tf

    if config.augment:
        background = background if len(background) > CLIP_SAMPLES else np.zeros(0, np.float32)
        batches = augment.augmented_dataset(audio, labels, background, config.batch_size, config.seed)
    else:
        batches = (tf.data.Dataset.from_tensor_slices((data.log_mel_batch(audio), labels))
                   .shuffle(len(labels), seed=config.seed).batch(config.batch_size))
    return batches.map(lambda x, y: (tf.reshape(x, [-1, *input_shape]), y)).map(one_hot).prefetch(2)


def train(config: SpeechConfig, preset: str, out: str | os.PathLike, data_folder: str | os.PathLike | None = None,
          run_dir: str | os.PathLike | None = None, strategy: str = "default", verbose: int = 2,
          command: str | None = None) -> dict:
    """Train, score the held-out split, save the model folder; returns metrics.json's content."""
    from suite import build_model
    from suite.keras import keras, tf
    from suite.modeldir import save_model_dir
    from suite.training import CURVE_FILE, HISTORY_FILE, fit, seed_everything

    folder = Path(data_folder) if data_folder else data.generated_folder(config.per_word, config.data_seed,
                                                                          show_progress=verbose > 0)
    splits = data.load_splits(folder, config.silence_fraction, config.unknown_fraction, config.data_seed)
    if not splits["training"]:
        raise UserError(f"{folder}: the training split is empty")
    input_shape = config.model_kwargs()["input_shape"]
    audio = {split: dataset.load_arrays(examples) for split, examples in splits.items() if examples}
    arrays = {split: (data.log_mel_batch(clips), labels) for split, (clips, labels) in audio.items()}

    seed_everything(config.seed)  # before the tf.data pipelines: their shuffles take the global seed
    train_ds = training_dataset(config, *audio["training"], dataset.background_audio(folder), input_shape)
    validation_ds = None
    if "validation" in arrays:
        val_x, val_y = arrays["validation"]
        validation_ds = (tf.data.Dataset.from_tensor_slices((data.model_inputs(val_x, input_shape), val_y))
                         .batch(256).map(one_hot))
    run_dir = Path(run_dir) if run_dir else Path("runs") / f"speech-{preset}"
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    model, history = fit(lambda: build_model(config.topology, **config.model_kwargs()), train_ds, validation_ds,
                         run_dir, config.train_config(), loss=loss, metrics=["accuracy"], strategy=strategy,
                         verbose=verbose)
    train_y = audio["training"][1]

    metrics: dict = {"params": int(model.count_params()), "epochs_run": len(history.get("epoch", [])),
                     "train_examples": int(len(train_y)), "command": command}
    for split, key in (("validation", "validation"), ("testing", "heldout")):
        if split in arrays:
            x, y = arrays[split]
            scored = classification_metrics(y, model.predict(data.model_inputs(x, input_shape), verbose=0))
            metrics[f"{key}_accuracy_float"] = scored["accuracy"]
            metrics[f"{key}_examples"] = scored["examples"]
            if key == "heldout":
                metrics["heldout_per_class_float"] = scored["per_class"]
    save_model_dir(out, model, model_config(config, preset, folder), metrics,
                   extra_files={HISTORY_FILE: run_dir / HISTORY_FILE, "training_curve.png": run_dir / CURVE_FILE})
    return metrics


def _arguments(parser: argparse.ArgumentParser) -> None:
    add_config_options(parser, PRESETS, DEFAULT_PRESET)
    parser.add_argument("--data", default=None, help="Speech Commands folder (default: generate one with make-data "
                                                     "into the cache, sized by the preset's per_word)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"model folder to write (default {DEFAULT_OUT})")
    parser.add_argument("--run-dir", default=None, help="checkpoints and logs (default runs/speech-PRESET)")
    add_strategy_option(parser)


@app.command("train", "train a keyword-spotting preset and save a model folder", _arguments)
def train_command(args: argparse.Namespace) -> int:
    config = resolve(args.config, args.overrides)
    if args.data is not None and not Path(args.data).is_dir():
        raise UserError(f"--data {args.data}: no such folder")
    command = "python -m apps.speech " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["train"] else None
    metrics = train(config, args.config, args.out, args.data, args.run_dir, args.strategy, command=command)
    print(f"{args.out}: {metrics['params']} parameters, held-out accuracy (float) "
          f"{metrics.get('heldout_accuracy_float', float('nan')):.4f}")
    return 0

