"""A trained melody model: building, loading, model inputs, and scoring whole tunes.

``open_model(resolve_model(...))`` gives what inference runs: by default the exported step model
(``step_int16x8.tflite``) with the settings from config.json, no TensorFlow imported (``generate``
starts in well under a second); ``load`` reads the Keras model (``--backend keras``, evaluation).
Scoring follows the n-gram baseline's convention (``apps/music/ngram.py``): the targets are
``events[1:]`` of each tune, each predicted from all the events before it.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from apps.music.presets import MusicConfig, from_saved
from suite.errors import UserError

if TYPE_CHECKING:
    from apps.music.cache import CacheSettings
    from suite.app.models import ModelRef

APP = "music"
# The exported step model (one event + state in, P(next event) + state out) inference runs by default,
# per backend. TFLite: int16 activations with int8 weights (what a phone or a Raspberry Pi runs): with int8
# activations the LSTM cell state moves on a 1/32 grid and whole tunes drift +5% NLL (docs/apps/music.md).
# ONNX: int8 weights around its native LSTM op. ``--model DIR/step_int8.tflite`` picks another file.
STEP_FILES = {"tflite": "step_int16x8", "onnx": "step_int8"}
SCORE_BATCH = 32  # tunes per forward pass when scoring


@dataclass
class MelodyModel:
    """The Keras sequence model (or None), config.json, the preset's settings, and an exported step file."""

    model: Any  # the Keras sequence model; None when generating from an exported step model
    config: dict
    music: MusicConfig
    step_file: Path | None = None  # an exported step model (.tflite/.onnx) to generate with
    source: Path | None = None  # the model directory or file it was opened from

    @property
    def first_event_probabilities(self) -> np.ndarray:
        return np.asarray(self.config["first_event_probabilities"], np.float64)

    @property
    def streamable(self) -> bool:
        return self.music.streamable

    @property
    def conditioned(self) -> bool:
        return self.music.conditioning

    @property
    def folder(self) -> Path | None:
        """The model directory (the exported step file's folder when opened from one)."""
        return self.source.parent if self.step_file is not None and self.source is not None else self.source

    def unconditioned_error(self, given: str) -> UserError:
        """The one line for condition options (``given``) asked of a model trained without conditioning."""
        return UserError(f"{self.folder}: this model was trained without conditioning ({given} cannot apply; "
                         "a model trained with --config conditioned takes them)")

    @property
    def name(self) -> str:
        """How plots and messages name the model: its folder (or file) and preset."""
        where = self.source.name if self.source is not None else "music model"
        return f"{where} ({self.config.get('preset', '?')} preset)"


def settings_of(config: dict, where: Path) -> MusicConfig:
    """The preset settings recorded in config.json; one line when they are missing or stale."""
    try:
        return from_saved(config["settings"])
    except (KeyError, TypeError, ValueError) as error:
        raise UserError(f"{where}: config.json has no usable music settings ({error})") from None


def build(config: MusicConfig):
    """The Keras sequence model of a preset, built by the suite."""
    from apps.music import presets
    from suite import build_model

    return build_model("many_to_many", **presets.model_kwargs(config))


def load(model_dir: str | os.PathLike | None = None) -> MelodyModel:
    """The Keras model of a model directory (default: the shipped one); UserError if it is not a music model."""
    from suite.app.models import resolve_model
    from suite.app.paths import shipped_model_dir

    return open_model(resolve(model_dir, "keras"))


def resolve(model: str | os.PathLike | None, backend: str | None = None) -> "ModelRef":
    """``--model``/``--backend`` (default: the shipped model's exported TFLite step file)."""
    from suite.app.models import resolve_model
    from suite.app.paths import shipped_model_dir

    return resolve_model(APP, model or shipped_model_dir(APP), STEP_FILES.get(backend or "tflite", ""), backend)


def open_model(ref: "ModelRef") -> MelodyModel:
    """The model ``--model``/``--backend`` resolved to: an exported step file, or the Keras model."""
    if not ref.config:
        raise UserError(f"{ref.path}: no config.json beside it (generation needs the model's settings)")
    settings = settings_of(ref.config, ref.model_dir or ref.path)
    if ref.backend != "keras":
        if not settings.streamable:
            raise UserError(f"{ref.path}: an attention model has no step model; use --backend keras")
        return MelodyModel(None, ref.config, settings, step_file=ref.path, source=ref.path)
    from suite.modeldir import load_model_dir

    model, _ = load_model_dir(ref.model_dir)
    return MelodyModel(model, ref.config, settings, source=ref.model_dir)


def model_inputs(config: "MusicConfig", histories: np.ndarray) -> np.ndarray:
    """What the sequence model reads for event histories (B, T): tokens, or lookback features."""
    histories = np.asarray(histories, np.int32)
    if not config.lookback:
        return histories
    from apps.music.lookback import CONTEXT, features_tf
    from suite.keras import tf

    padded = np.concatenate([np.full((len(histories), CONTEXT), -1, np.int32), histories], axis=1)
    return np.stack([features_tf(tf.constant(row), -CONTEXT, CONTEXT).numpy() for row in padded])


def with_prefixes(sequences: Sequence[np.ndarray], prefixes: Sequence[np.ndarray] | None) -> tuple[list, int]:
    """The sequences with their control tokens in front (a conditioned model), and how many targets that
    adds before events[1:] (the control tokens after the first, and the first event)."""
    if prefixes is None:
        return [np.asarray(seq, np.int32) for seq in sequences], 0
    if len(prefixes) != len(sequences):
        raise ValueError("a conditioned model needs one control-token prefix per tune")
    return [np.concatenate([prefix, seq]).astype(np.int32) for prefix, seq in zip(prefixes, sequences)], len(prefixes[0])


def tune_rows(melody: MelodyModel, sequences: Sequence[np.ndarray], batch_size: int = SCORE_BATCH,
              prefixes: Sequence[np.ndarray] | None = None) -> list[tuple[np.ndarray, np.ndarray, Sequence[int]]]:
    """Per tune of 2 or more events: (P(events[t] | prefix, events[:t]) for t >= 1 as (T - 1, VOCAB) rows,
    the tune's events, its control tokens: ``prefixes``' for a conditioned model, else none), teacher-forced by
    the sequence model."""
    from suite.keras import tf

    kept_pairs = [(seq, prefix) for seq, prefix in zip(sequences, [None] * len(sequences) if prefixes is None else prefixes) if len(seq) > 1]
    kept, skip = with_prefixes([seq for seq, _ in kept_pairs],
                               None if prefixes is None else [prefix for _, prefix in kept_pairs])
    order = np.argsort([len(seq) for seq in kept])  # similar lengths per batch: less padding
    predict = tf.function(lambda x: melody.model(x, training=False), reduce_retracing=True)
    rows: dict[int, np.ndarray] = {}
    for first in range(0, len(kept), batch_size):
        chosen = order[first:first + batch_size]
        longest = max(len(kept[i]) for i in chosen) - 1
        inputs = np.zeros((len(chosen), longest), np.int32)  # padding after a tune cannot change it (causal)
        for row, index in enumerate(chosen):
            inputs[row, :len(kept[index]) - 1] = kept[index][:-1]
        probabilities = predict(tf.constant(model_inputs(melody.music, inputs))).numpy().astype(np.float64)
        for row, index in enumerate(chosen):
            rows[index] = probabilities[row, skip:len(kept[index]) - 1]
    return [(rows[i], np.asarray(kept[i][skip:]), () if prefix is None else prefix)
            for i, (_, prefix) in enumerate(kept_pairs)]


def tune_scores(tunes: Sequence[tuple[np.ndarray, np.ndarray, Sequence[int]]],
                cache: "CacheSettings | None" = None) -> tuple[np.ndarray, np.ndarray]:
    """(log P(target), whether the most likely event is the target) for events[1:] of each of ``tune_rows``'
    tunes, mixed with the tune's own cache of its earlier events when ``cache`` is on."""
    from apps.music.cache import cached_rows

    log_probs, correct = [], []
    for rows, events, prefix in tunes:
        if cache is not None:  # the cache reads the meter token (its bar length) from the control tokens
            rows = cached_rows(rows, events, cache, prefix)
        targets = events[1:]
        log_probs.append(np.log(np.clip(rows[np.arange(len(targets)), targets], 1e-12, 1.0)))
        correct.append(rows.argmax(-1) == targets)
    if not log_probs:
        return np.zeros(0), np.zeros(0, bool)
    return np.concatenate(log_probs), np.concatenate(correct)


def target_log_probs(melody: MelodyModel, sequences: Sequence[np.ndarray], batch_size: int = SCORE_BATCH,
                     prefixes: Sequence[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``tune_scores`` of the sequences (after each tune's control tokens ``prefixes`` for a conditioned model)."""
    return tune_scores(tune_rows(melody, sequences, batch_size, prefixes))


def tune_metrics(tunes: Sequence[tuple[np.ndarray, np.ndarray, Sequence[int]]],
                 cache: "CacheSettings | None" = None) -> dict[str, float]:
    """Mean NLL per event (nats) and next-event accuracy of ``tune_rows``' tunes (with ``cache``: of the model
    mixed with each tune's cache of its own earlier events)."""
    log_probs, correct = tune_scores(tunes, cache)
    if log_probs.size == 0:
        raise ValueError("no events to score: every sequence is shorter than 2 events")
    return {"nll": float(-log_probs.mean()), "accuracy": float(correct.mean()), "events": int(log_probs.size)}


def evaluate_sequences(melody: MelodyModel, sequences: Sequence[np.ndarray],
                       prefixes: Sequence[np.ndarray] | None = None) -> dict[str, float]:
    """``tune_metrics`` of the sequences, on the n-gram baseline's targets."""
    return tune_metrics(tune_rows(melody, sequences, prefixes=prefixes))
