"""Per-hour model inputs from PSV stays, missing-data aware, and a tf.data pipeline.

For every hour the model sees, per input column:
- the last observed value (forward fill), normalised with training statistics, 0 (the training
  mean) before the first observation;
and per measured column (vitals and labs, not demographics):
- an observation mask (1 where the value was measured this hour);
- the hours since it was last measured, capped at ``MAX_HOURS_SINCE`` and scaled to [0, 1]
  (1 also when never measured).

Skewed labs are normalised in log space. The statistics are fitted on training stays only and
saved as JSON next to the model, so scoring a new file uses exactly the training normalisation.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from apps.vitals.psv import FEATURE_COLUMNS, MEASUREMENT_COLUMNS, Stay
from suite.atomic import write_text
from suite.errors import UserError

MAX_HOURS_SINCE = 48.0       # beyond two days "how long ago" carries no extra information
CLIP_STD = 6.0               # normalised values are clipped, so one artefact cannot dominate
MIN_STD = 1e-3               # guards columns that are constant in the training set
STATS_VERSION = 1
# Right-skewed labs (concentrations, counts) whose spread is multiplicative: normalised as log1p.
LOG_COLUMNS = ("AST", "BUN", "Alkalinephos", "Creatinine", "Bilirubin_direct", "Glucose", "Lactate",
               "Bilirubin_total", "TroponinI", "WBC", "Platelets", "Fibrinogen", "PTT")
MEASURED_INDEX = np.array([FEATURE_COLUMNS.index(name) for name in MEASUREMENT_COLUMNS])
LOG_INDEX = np.array([FEATURE_COLUMNS.index(name) for name in LOG_COLUMNS])


def feature_names() -> list[str]:
    """Names of the model's input channels, in order."""
    return ([f"{name}" for name in FEATURE_COLUMNS]
            + [f"{name}_observed" for name in MEASUREMENT_COLUMNS]
            + [f"{name}_hours_since" for name in MEASUREMENT_COLUMNS])


NUM_FEATURES = len(FEATURE_COLUMNS) + 2 * len(MEASUREMENT_COLUMNS)


@dataclass(frozen=True)
class NormStats:
    """Per-column mean and standard deviation of the (log-transformed where listed) observed values."""

    mean: np.ndarray
    std: np.ndarray

    def to_record(self) -> dict:
        """A JSON-ready record (also embedded in a model's config.json)."""
        return {
            "version": STATS_VERSION,
            "columns": list(FEATURE_COLUMNS),
            "log_columns": list(LOG_COLUMNS),
            "max_hours_since": MAX_HOURS_SINCE,
            "clip_std": CLIP_STD,
            "mean": [round(float(v), 6) for v in self.mean],
            "std": [round(float(v), 6) for v in self.std],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_record(), indent=1)

    def save(self, path: str | os.PathLike) -> None:
        write_text(path, self.to_json() + "\n")

    @classmethod
    def from_record(cls, record: dict, source: str = "normalisation statistics") -> "NormStats":
        same_layout = (record.get("version") == STATS_VERSION and record.get("columns") == list(FEATURE_COLUMNS)
                       and record.get("log_columns") == list(LOG_COLUMNS))
        if not same_layout:
            raise UserError(f"{source}: normalisation statistics were saved for a different feature layout")
        return cls(mean=np.array(record["mean"]), std=np.array(record["std"]))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "NormStats":
        try:
            record = json.loads(open(path, encoding="utf-8").read())
        except (OSError, ValueError) as error:
            raise UserError(f"{path}: cannot read normalisation statistics ({error})") from None
        return cls.from_record(record, str(path))


def fit_stats(stays: Sequence[Stay]) -> NormStats:
    """Fit normalisation statistics on the observed values of training stays."""
    if not stays:
        raise ValueError("cannot fit normalisation statistics on zero stays")
    values = _transform(np.concatenate([stay.values for stay in stays], axis=0))
    observed = ~np.isnan(values)
    count = np.maximum(observed.sum(axis=0), 1)
    mean = np.where(observed, values, 0.0).sum(axis=0) / count
    variance = np.where(observed, (values - mean) ** 2, 0.0).sum(axis=0) / count
    return NormStats(mean=mean, std=np.maximum(np.sqrt(variance), MIN_STD))


def forward_fill(values: np.ndarray) -> np.ndarray:
    """Carry the last observed value forward along axis 0 (hours); leading NaNs stay NaN."""
    observed = ~np.isnan(values)
    hours = np.arange(values.shape[0]).reshape(-1, *([1] * (values.ndim - 1)))
    last = np.maximum.accumulate(np.where(observed, hours, -1), axis=0)
    filled = np.take_along_axis(values, np.maximum(last, 0), axis=0)
    filled[last < 0] = np.nan
    return filled


def hours_since_observed(observed: np.ndarray) -> np.ndarray:
    """Hours since the last observation (0 at an observed hour), capped; the cap when never observed."""
    hours = np.arange(observed.shape[0], dtype=np.float64).reshape(-1, *([1] * (observed.ndim - 1)))
    last = np.maximum.accumulate(np.where(observed, hours, -np.inf), axis=0)
    return np.minimum(hours - last, MAX_HOURS_SINCE)


def stay_features(values: np.ndarray, stats: NormStats) -> np.ndarray:
    """(hours, NUM_FEATURES) float32 model inputs for one stay's (hours, 40) PSV values."""
    transformed = _transform(values)
    normalised = np.clip((forward_fill(transformed) - stats.mean) / stats.std, -CLIP_STD, CLIP_STD)
    normalised = np.nan_to_num(normalised, nan=0.0)
    observed = ~np.isnan(values[:, MEASURED_INDEX])
    since = hours_since_observed(observed) / MAX_HOURS_SINCE
    return np.concatenate([normalised, observed, since], axis=1).astype(np.float32)


class HourlyFeaturizer:
    """The same features as ``stay_features``, one hour at a time in O(1) (for streaming)."""

    def __init__(self, stats: NormStats) -> None:
        self.stats = stats
        self.reset()

    def reset(self) -> None:
        self.last_value = np.full(len(FEATURE_COLUMNS), np.nan)
        self.last_seen_hour = np.full(len(MEASUREMENT_COLUMNS), -np.inf)
        self.hour = 0

    def step(self, row: np.ndarray) -> np.ndarray:
        """Features of the next hour given its 40 PSV values (NaN where missing)."""
        transformed = _transform(np.asarray(row, dtype=np.float64)[None, :])[0]
        seen = ~np.isnan(transformed)
        self.last_value[seen] = transformed[seen]
        observed = ~np.isnan(row[MEASURED_INDEX])
        self.last_seen_hour[observed] = self.hour
        normalised = np.clip((self.last_value - self.stats.mean) / self.stats.std, -CLIP_STD, CLIP_STD)
        since = np.minimum(self.hour - self.last_seen_hour, MAX_HOURS_SINCE) / MAX_HOURS_SINCE
        self.hour += 1
        return np.concatenate([np.nan_to_num(normalised, nan=0.0), observed, since]).astype(np.float32)


@dataclass
class FeatureBatch:
    """Padded arrays for variable-length stays: inputs (stays, hours, features), labels (stays, hours)."""

    inputs: np.ndarray
    labels: np.ndarray | None
    lengths: np.ndarray
    names: list[str]

    def hour_mask(self) -> np.ndarray:
        """(stays, hours) bool: True on real hours, False on padding."""
        return np.arange(self.inputs.shape[1])[None, :] < self.lengths[:, None]


def batch_features(stays: Sequence[Stay], stats: NormStats, max_hours: int | None = None) -> FeatureBatch:
    """Features of many stays, zero-padded at the end to the longest (or truncated to ``max_hours``)."""
    lengths = np.array([stay.hours if max_hours is None else min(stay.hours, max_hours) for stay in stays],
                       dtype=np.int32)
    width = int(lengths.max()) if len(stays) else 0
    inputs = np.zeros((len(stays), width, NUM_FEATURES), dtype=np.float32)
    with_labels = all(stay.labels is not None for stay in stays)
    labels = np.zeros((len(stays), width), dtype=np.float32) if with_labels else None
    for i, (stay, length) in enumerate(zip(stays, lengths)):
        inputs[i, :length] = stay_features(stay.values[:length], stats)
        if labels is not None:
            labels[i, :length] = stay.labels[:length]
    return FeatureBatch(inputs=inputs, labels=labels, lengths=lengths, names=[stay.name for stay in stays])


def make_dataset(batch: FeatureBatch, batch_size: int, shuffle: bool = False, seed: int = 0,
                 positive_weight: float = 1.0):
    """A tf.data pipeline of (inputs, labels, sample_weight), each batch trimmed to its longest stay.

    The sample weight is 0 on padding (so padded hours never count in the loss or metrics) and
    ``positive_weight`` on hours labelled 1 (to counter the rarity of positive hours).
    """
    from suite.keras import tf

    if batch.labels is None:
        raise ValueError("make_dataset needs labelled stays")
    weights = batch.hour_mask().astype(np.float32)
    weights *= np.where(batch.labels > 0, positive_weight, 1.0).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices((batch.inputs, batch.labels[..., None], weights, batch.lengths))
    if shuffle:
        dataset = dataset.shuffle(len(batch.lengths), seed=seed, reshuffle_each_iteration=True)

    def trim(inputs, labels, weights, lengths):
        width = tf.reduce_max(lengths)
        return inputs[:, :width], labels[:, :width], weights[:, :width]

    return dataset.batch(batch_size).map(trim, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def _transform(values: np.ndarray) -> np.ndarray:
    transformed = np.array(values, dtype=np.float64, copy=True)
    with np.errstate(invalid="ignore"):
        transformed[:, LOG_INDEX] = np.log1p(np.maximum(transformed[:, LOG_INDEX], 0.0))
    return transformed
