"""A trained melody model: building, loading, model inputs, and scoring whole tunes.

Scoring follows the n-gram baseline's convention (``apps/music/ngram.py``): the targets are
``events[1:]`` of each tune, each predicted from all the events before it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from apps.music import presets
from apps.music.presets import MusicConfig

SHIPPED_MODEL_DIR = Path(__file__).resolve().parents[2] / "saved_models" / "music"
SCORE_BATCH = 32  # tunes per forward pass when scoring


@dataclass
class MelodyModel:
    """The sequence model, its config.json, and the preset it was trained with."""

    model: Any
    config: dict
    music: MusicConfig

    @property
    def first_event_probabilities(self) -> np.ndarray:
        return np.asarray(self.config["first_event_probabilities"], np.float64)


def build(config: MusicConfig):
    """The Keras sequence model of a preset, built by the suite."""
    from suite import build_model

    return build_model("many_to_many", **presets.model_kwargs(config))


def load(model_dir: str | os.PathLike | None = None) -> MelodyModel:
    """Load a model directory (default: the shipped ``saved_models/music``); UserError if it is not one."""
    from suite.errors import UserError
    from suite.modeldir import load_model_dir

    path = Path(model_dir) if model_dir is not None else SHIPPED_MODEL_DIR
    if not path.is_dir():
        raise UserError(f"{path}: model directory not found (train one with `python -m apps.music train`)")
    model, config = load_model_dir(path)
    if config.get("app") != "music":
        raise UserError(f"{path}: not a music model (config.json app is {config.get('app')!r})")
    return MelodyModel(model, config, presets.from_saved(config["music"], config["train"]))


def model_inputs(config: MusicConfig, histories: np.ndarray) -> np.ndarray:
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
