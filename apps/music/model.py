"""A trained melody model: building, loading, model inputs, and scoring whole tunes.

``load_for_generation`` reads only config.json and the exported step model when the model directory
has one (no TensorFlow import: ``generate`` starts in about a second); ``load`` reads the Keras model.
Scoring follows the n-gram baseline's convention (``apps/music/ngram.py``): the targets are
``events[1:]`` of each tune, each predicted from all the events before it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

if TYPE_CHECKING:  # presets imports suite.training, hence TensorFlow: only the Keras paths need it
    from apps.music.presets import MusicConfig

SHIPPED_MODEL_DIR = Path(__file__).resolve().parents[2] / "saved_models" / "music"
SCORE_BATCH = 32  # tunes per forward pass when scoring
# Exported step models that generation runs, best first: all three pass the export parity check;
# the dynamic-range file (int8 weights, float LSTM kernel) is the fastest on x86 CPUs.
STEP_EXPORTS = ("step_dynamic.tflite", "step_int8.tflite", "step_int8.onnx")


@dataclass
class MelodyModel:
    """The sequence model, its config.json, and the preset it was trained with."""

    model: Any  # the Keras sequence model; None when generating from an exported step model
    config: dict
    music: "MusicConfig | None"  # None with model None: the settings are read from config.json
    step_file: Path | None = None  # an exported step model (.tflite/.onnx) to generate with

    @property
    def first_event_probabilities(self) -> np.ndarray:
        return np.asarray(self.config["first_event_probabilities"], np.float64)

    def setting(self, key: str) -> Any:
        """A preset value (``lookback``, ``attention``, ``attention_window``...), with or without Keras."""
        if self.music is not None:
            return getattr(self.music, key)
        return self.config["music"][key]

    @property
    def streamable(self) -> bool:
        return not self.setting("attention")


def build(config: "MusicConfig"):
    """The Keras sequence model of a preset, built by the suite."""
    from apps.music import presets
    from suite import build_model

    return build_model("many_to_many", **presets.model_kwargs(config))


def load(model_dir: str | os.PathLike | None = None) -> MelodyModel:
    """Load a model directory (default: the shipped ``saved_models/music``); UserError if it is not one."""
    from apps.music import presets
    from suite.modeldir import load_model_dir

    path = checked_model_dir(model_dir)
    model, config = load_model_dir(path)
    check_app(path, config)
    return MelodyModel(model, config, presets.from_saved(config["music"], config["train"]))


def checked_model_dir(model_dir: str | os.PathLike | None) -> Path:
    from suite.errors import UserError

    path = Path(model_dir) if model_dir is not None else SHIPPED_MODEL_DIR
    if not path.is_dir():
        raise UserError(f"{path}: model directory not found (train one with `python -m apps.music train`)")
    return path


def check_app(path: Path, config: dict) -> None:
    from suite.errors import UserError

    if config.get("app") != "music":
        raise UserError(f"{path}: not a music model (config.json app is {config.get('app')!r})")


def load_for_generation(model_dir: str | os.PathLike | None = None) -> MelodyModel:
    """The model directory's exported step model when it has one (no TensorFlow), else ``load``."""
    import json

    from suite.errors import UserError

    path = checked_model_dir(model_dir)
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError) as error:
        raise UserError(f"{path}/config.json: not readable ({type(error).__name__})") from None
    check_app(path, config)
    exported = [path / name for name in STEP_EXPORTS if (path / name).is_file()]
    if not exported or config.get("music", {}).get("attention"):
        return load(path)
    return MelodyModel(None, config, None, step_file=exported[0])


def model_inputs(config: "MusicConfig", histories: np.ndarray) -> np.ndarray:
    """What the sequence model reads for event histories (B, T): tokens, or lookback features."""
    histories = np.asarray(histories, np.int32)
    if not config.lookback:
        return histories
    from apps.music.lookback import CONTEXT, features_tf
    from suite.keras import tf

    padded = np.concatenate([np.full((len(histories), CONTEXT), -1, np.int32), histories], axis=1)
    return np.stack([features_tf(tf.constant(row), -CONTEXT, CONTEXT).numpy() for row in padded])


def target_log_probs(melody: MelodyModel, sequences: Sequence[np.ndarray],
                     batch_size: int = SCORE_BATCH) -> tuple[np.ndarray, np.ndarray]:
    """(log P(target), whether the most likely event is the target) for events[1:] of each tune."""
    from suite.keras import tf

    kept = [np.asarray(seq, np.int32) for seq in sequences if len(seq) > 1]
    order = np.argsort([len(seq) for seq in kept])  # similar lengths per batch: less padding
    predict = tf.function(lambda x: melody.model(x, training=False), reduce_retracing=True)
    log_probs: dict[int, np.ndarray] = {}
    correct: dict[int, np.ndarray] = {}
    for first in range(0, len(kept), batch_size):
        chosen = order[first:first + batch_size]
        longest = max(len(kept[i]) for i in chosen) - 1
        inputs = np.zeros((len(chosen), longest), np.int32)  # padding after a tune cannot change it (causal)
        for row, index in enumerate(chosen):
            inputs[row, :len(kept[index]) - 1] = kept[index][:-1]
        probabilities = predict(tf.constant(model_inputs(melody.music, inputs))).numpy().astype(np.float64)
        for row, index in enumerate(chosen):
            targets = kept[index][1:]
            picked = probabilities[row, np.arange(len(targets)), targets]
            log_probs[index] = np.log(np.clip(picked, 1e-12, 1.0))
            correct[index] = probabilities[row, :len(targets)].argmax(-1) == targets
    if not kept:
        return np.zeros(0), np.zeros(0, bool)
    return (np.concatenate([log_probs[i] for i in range(len(kept))]),
            np.concatenate([correct[i] for i in range(len(kept))]))


def evaluate_sequences(melody: MelodyModel, sequences: Sequence[np.ndarray]) -> dict[str, float]:
    """Mean NLL per event (nats) and next-event accuracy, on the n-gram baseline's targets."""
    log_probs, correct = target_log_probs(melody, sequences)
    if log_probs.size == 0:
        raise ValueError("no events to score: every sequence is shorter than 2 events")
    return {"nll": float(-log_probs.mean()), "accuracy": float(correct.mean()), "events": int(log_probs.size)}
