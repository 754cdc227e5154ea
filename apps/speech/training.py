"""The train hook: fit a preset on a Speech Commands folder and score the held-out split.

Held-out = the folder's test split, whose voices (for generated folders) are unseen in training. The
framework (``python -m apps.speech train``) writes the model directory from what ``train`` returns.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from apps.speech import augment, data, dataset, frontend
from apps.speech.labels import CLIP_SAMPLES, LABELS
from apps.speech.model import model_inputs
from apps.speech.presets import SpeechConfig
from suite.app import Trained, TrainRun
from suite.app.classification import classification_metrics
from suite.errors import UserError

VALIDATION_BATCH = 256  # validation batches: large, they are scored, not trained on


def frontend_config(features: str = "log_mel") -> dict:
    """config.json "frontend": how the model's inputs are made from audio (apps/speech/frontend.py)."""
    return {"features": features, "sample_rate": frontend.SAMPLE_RATE, "window_samples": frontend.WINDOW_SAMPLES,
            "hop_samples": frontend.HOP_SAMPLES, "mel_bins": frontend.NUM_MEL_BINS, "frames": frontend.NUM_FRAMES,
            "module": "apps/speech/frontend.py"}


def data_record(config: SpeechConfig, folder: Path) -> dict:
    """config.json "data": the folder and how its splits were sampled (calibration.py reads it back)."""
    return {"path": str(folder.resolve()), "unknown_fraction": config.unknown_fraction,
            "silence_fraction": config.silence_fraction, "seed": config.data_seed, "per_word": config.per_word,
            "engines": list(config.engines)}


def one_hot(features, labels):  # noqa: ANN001, ANN201 (tf.data map)
    """Labels as one-hot rows: CategoricalCrossentropy is the loss that takes label smoothing."""
    from suite.keras import tf

    return features, tf.one_hot(labels, len(LABELS))


def training_dataset(config: SpeechConfig, audio: np.ndarray, features: np.ndarray, labels: np.ndarray,
                     background: np.ndarray, input_shape: list[int]):  # noqa: ANN201 (tf.data.Dataset)
    """Shuffled, batched, one-hot training data: augmented from ``audio`` every epoch, or the fixed ``features``
    of that audio (warped and masked every epoch with ``feature_augment``)."""
    from suite.keras import tf

    if config.augment:
        background = background if len(background) > CLIP_SAMPLES else np.zeros(0, np.float32)
        batches = augment.augmented_dataset(audio, labels, background, config.batch_size, config.seed)
    elif config.feature_augment:
        batches = augment.augmented_features(features, labels, config.batch_size, config.seed)
    else:
        batches = (tf.data.Dataset.from_tensor_slices((features, labels))
                   .shuffle(len(labels), seed=config.seed).batch(config.batch_size))
    return batches.map(lambda x, y: (tf.reshape(x, [-1, *input_shape]), y)).map(one_hot).prefetch(2)


def data_folder(run: TrainRun) -> Path:
    """``--data``, else the preset's generated folder in the cache."""
    if run.data:
        if not Path(run.data).is_dir():
            raise UserError(f"{run.data}: not a folder (expected a Speech Commands folder)")
        return Path(run.data)
    return data.generated_folder(run.config.per_word, run.config.data_seed, show_progress=run.verbose,
                                 engine_names=run.config.engines)


def initial_model(run: TrainRun, config: SpeechConfig) -> tuple:
    """(build function, topology, builder kwargs, features): a fresh preset model, or the ``--init`` model as it
    was trained (with the features it was trained on)."""
    from suite import build_model

    init = getattr(run.args, "init", None)
    if not init:
        return (lambda: build_model(config.topology, **config.model_kwargs()), config.topology, config.model_kwargs(),
                config.features)
    from apps.speech.model import features_of, load_keras
    from suite.app.models import resolve_model

    ref = resolve_model("speech", init, "model.keras", "keras")  # another app's model or no model: one line
    model, init_config = load_keras(ref.path.parent)
    return lambda: model, init_config["topology"], init_config["model"], features_of(init_config)


def train(run: TrainRun) -> Trained:
    """Fit ``run.config`` with checkpoints in ``run.run_dir`` (a rerun resumes) and score the held-out voices."""
    from suite.keras import keras, tf
    from suite.training import fit, seed_everything

    config: SpeechConfig = run.config
    build, topology, model_kwargs, features = initial_model(run, config)  # a bad --init fails before the data loads
    try:  # an --init model keeps its features; audio augmentation computes log-mel only
        config = replace(config, features=features)
    except ValueError as error:
        raise UserError(f"--init {run.args.init}: {error}") from None
    folder = data_folder(run)
    splits = data.load_splits(folder, config.silence_fraction, config.unknown_fraction, config.data_seed)
    if not splits["training"]:
        raise UserError(f"{folder}: the training split is empty")
    input_shape = model_kwargs["input_shape"]
    audio = {split: dataset.load_arrays(examples) for split, examples in splits.items() if examples}
    arrays = {split: (frontend.features_batch(clips, config.features), labels)
              for split, (clips, labels) in audio.items()}

    seed_everything(config.seed)  # before the tf.data pipelines: their shuffles take the global seed
    train_audio, train_labels = audio["training"]
    train_ds = training_dataset(config, train_audio, arrays["training"][0], train_labels,
                                dataset.background_audio(folder), input_shape)
    validation_ds = None
    if "validation" in arrays:
        val_x, val_y = arrays["validation"]
        validation_ds = (tf.data.Dataset.from_tensor_slices((model_inputs(val_x, input_shape), val_y))
                         .batch(VALIDATION_BATCH).map(one_hot))
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=config.label_smoothing)
    model, history = fit(build, train_ds, validation_ds,
                         run.run_dir, config.train_config(), loss=loss, metrics=["accuracy"], strategy=run.strategy,
                         verbose=2 if run.verbose else 0)
    metrics = {"epochs_run": len(history.get("epoch", [])), "train_examples": int(len(audio["training"][1])),
               **heldout_metrics(model, arrays, input_shape)}
    model_config = {"topology": topology, "model": model_kwargs, "labels": list(LABELS),
                    "frontend": frontend_config(config.features),
                    **({"init": str(Path(run.args.init).resolve())} if getattr(run.args, "init", None) else {})}
    return Trained(model, model_config, metrics, data=data_record(config, folder))


def heldout_metrics(model, arrays: dict, input_shape: list[int]) -> dict:  # noqa: ANN001 (keras.Model)
    """Float accuracy on the validation and test splits; the test split's per-class accuracy."""
    metrics: dict = {}
    for split, key in (("validation", "validation"), ("testing", "heldout")):
        if split in arrays:
            x, y = arrays[split]
            scored = classification_metrics(y, model.predict(model_inputs(x, input_shape), verbose=0), LABELS)
            metrics[f"{key}_accuracy_float"] = scored["accuracy"]
            metrics[f"{key}_examples"] = scored["examples"]
            if key == "heldout":
                metrics["heldout_per_class_accuracy_float"] = scored["per_class_accuracy"]
    return metrics
