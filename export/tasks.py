"""Task registry for the parity gate: each task names its metric, threshold and pass rule.

``@register_task("classification", metric="accuracy", threshold=...)`` registers
``fn(keras_out, export_out, targets) -> dict``; ``get_task(name)`` looks one up and raises a
UserError naming an unknown task (never a silent fallback to classification: a one-output
regression model would otherwise "pass" a 99% argmax gate without testing anything).

Every gate reports its figure with a 95% interval, and fails only when the interval says the
export is worse than allowed, so a single flipped sample cannot turn pass into fail
(docs/export.md, "Parity gates").
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from suite.errors import UserError

# 95% two-sided normal quantile, for Wilson and paired-difference intervals.
Z95 = 1.959964
# Bootstrap resamples for metrics without a closed-form interval (AUROC, NLL, RMSE): 400 keeps the
# interval bounds stable to about +-0.002 on 200 sequences while costing well under a second.
BOOTSTRAP_RESAMPLES = 400
BOOTSTRAP_SEED = 0

# Thresholds (issue 3, issue 13 req 8).
MIN_ARGMAX_AGREEMENT = 0.99  # classification / seq2seq: share of outputs whose argmax matches Keras
MAX_ACCURACY_DROP = 0.01  # classification: an export this close to Keras' accuracy passes despite flips
MAX_AUROC_DROP = 0.01  # risk: |AUROC(export) - AUROC(Keras)|
MAX_RELATIVE_NLL_INCREASE = 0.02  # generation: (NLL(export) - NLL(Keras)) / NLL(Keras)
MAX_RELATIVE_RMS_ERROR = 0.05  # regression: RMS(export - Keras) / std(Keras outputs)
MAX_WER_INCREASE = 0.5  # seq2seq_decoding: greedy word error rate, percentage points above Keras (issue 16)
MAX_RELATIVE_MASE_INCREASE = 0.02  # forecast: (MAE(export median) - MAE(Keras median)) / MAE(Keras median)

EvaluateFn = Callable[[np.ndarray, np.ndarray, Any], dict]


@dataclass(frozen=True)
class Task:
    name: str
    metric: str
    threshold: float
    evaluate: EvaluateFn


TASKS: dict[str, Task] = {}


def register_task(name: str, metric: str, threshold: float,
                  aliases: tuple[str, ...] = ()) -> Callable[[EvaluateFn], EvaluateFn]:
    """Register ``fn(keras_out, export_out, targets)`` as the parity check of task ``name``."""

    def register(fn: EvaluateFn) -> EvaluateFn:
        for key in (name, *aliases):
            if key in TASKS:
                raise ValueError(f"task {key!r} is already registered")
            TASKS[key] = Task(name, metric, threshold, fn)
        return fn

    return register


def get_task(name: Any, source: str = "task") -> Task:
    """The registered task ``name``; UserError naming it (and ``source``, e.g. a config.json) if unknown."""
    if not isinstance(name, str) or name not in TASKS:
        raise UserError(f"{source}: unknown task {name!r}; expected one of {', '.join(sorted(TASKS))}")
    return TASKS[name]


def evaluate(task: str, keras_out: np.ndarray, export_out: np.ndarray, targets: Any) -> dict[str, Any]:
    """The task's report fields: metric, keras, export, agreement, threshold, passed, intervals."""
    entry = get_task(task)
    result = entry.evaluate(np.asarray(keras_out, np.float32), np.asarray(export_out, np.float32), targets)
    return {"metric": entry.metric, "threshold": entry.threshold, **result}


# --------------------------------------------------------------------------- intervals
def wilson_interval(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion (sound near 0 and 1, unlike the normal one)."""
    if total <= 0:
        return 0.0, 1.0
    p = successes / total
    denominator = 1.0 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the ends, no rounding past p
    high = 1.0 if successes == total else min(1.0, centre + half)
    return low, high


def paired_difference_interval(first: np.ndarray, second: np.ndarray, z: float = Z95) -> tuple[float, float, float]:
    """(mean, low, high) of mean(second - first) for paired 0/1 outcomes (normal approximation)."""
    difference = np.asarray(second, np.float64) - np.asarray(first, np.float64)
    mean = float(difference.mean())
    half = z * float(difference.std(ddof=1)) / math.sqrt(len(difference)) if len(difference) > 1 else math.inf
    return mean, mean - half, mean + half


def bootstrap_interval(statistic: Callable[[np.ndarray], float], count: int,
                       resamples: int = BOOTSTRAP_RESAMPLES) -> tuple[float, float]:
    """2.5% and 97.5% percentiles of ``statistic(indices)`` over resampled sample indices."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    values = [statistic(rng.integers(0, count, size=count)) for _ in range(resamples)]
    values = [value for value in values if np.isfinite(value)]
    if not values:
        return float("nan"), float("nan")
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


# --------------------------------------------------------------------------- metrics
def class_labels(targets: Any, reference: np.ndarray) -> np.ndarray:
    """Integer class labels: the targets (ids or one-hot), or Keras' own argmax without targets."""
    if targets is None:
        return reference.argmax(-1)
    targets = np.asarray(targets)
    if targets.shape == reference.shape:
        return targets.argmax(-1)
    return targets.reshape(reference.shape[:-1]).astype(np.int64)


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve by the rank-sum formula (ties get average ranks); nan with one class."""
    from scipy.stats import rankdata

    scores, labels = np.asarray(scores).reshape(-1), np.asarray(labels).reshape(-1).astype(bool)
    positives, negatives = int(labels.sum()), int((~labels).sum())
    if positives == 0 or negatives == 0:
        return float("nan")
    ranks = rankdata(scores)
    return float((ranks[labels].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def nll(probabilities: np.ndarray, labels: np.ndarray) -> float:
    picked = np.take_along_axis(probabilities, labels[..., None].astype(np.int64), axis=-1)
    return float(-np.mean(np.log(np.clip(picked, 1e-7, 1.0))))


def _per_sample(array: np.ndarray) -> np.ndarray:
    """(samples, everything else flattened): the unit a bootstrap resamples is a whole sequence."""
    return array.reshape(len(array), -1) if array.ndim > 1 else array.reshape(-1, 1)


# --------------------------------------------------------------------------- tasks
def _argmax_gate(keras_out: np.ndarray, export_out: np.ndarray, targets: Any, rescue: bool) -> dict[str, Any]:
    """Argmax agreement (Wilson interval) and the accuracy change (paired interval).

    Fails only when the agreement's upper 95% bound is below MIN_ARGMAX_AGREEMENT (the export
    disagrees with Keras on more than 1% of outputs, beyond sample noise) and, with ``rescue``
    and true labels, the accuracy change's lower 95% bound is below -MAX_ACCURACY_DROP (the export
    is not shown to be as good as Keras on the task).
    """
    labels = class_labels(targets, keras_out)
    keras_right = (keras_out.argmax(-1) == labels).reshape(-1)
    export_right = (export_out.argmax(-1) == labels).reshape(-1)
    agree = (keras_out.argmax(-1) == export_out.argmax(-1)).reshape(-1)
    agreement = float(agree.mean())
    agreement_low, agreement_high = wilson_interval(int(agree.sum()), len(agree))
    change, change_low, change_high = paired_difference_interval(keras_right, export_right)
    agreement_ok = agreement_high >= MIN_ARGMAX_AGREEMENT
    as_good = bool(rescue and targets is not None and change_low >= -MAX_ACCURACY_DROP)
    return {"keras": float(keras_right.mean()), "export": float(export_right.mean()),
            "agreement": agreement, "agreement_interval": [agreement_low, agreement_high],
            "change": change, "change_interval": [change_low, change_high], "outputs_compared": len(agree),
            "passed_by": "agreement" if agreement_ok else ("task metric" if as_good else None),
            "passed": bool(agreement_ok or as_good)}


@register_task("classification", metric="accuracy", threshold=MIN_ARGMAX_AGREEMENT)
def classification(keras_out: np.ndarray, export_out: np.ndarray, targets: Any) -> dict[str, Any]:
    return _argmax_gate(keras_out, export_out, targets, rescue=True)


@register_task("seq2seq", metric="token_accuracy", threshold=MIN_ARGMAX_AGREEMENT, aliases=("sequence_to_sequence",))
def seq2seq(keras_out: np.ndarray, export_out: np.ndarray, targets: Any) -> dict[str, Any]:
    """Per-token argmax; a decoded sequence goes wrong from its first flipped token, so no rescue."""
    return _argmax_gate(keras_out, export_out, targets, rescue=False)


@register_task("seq2seq_decoding", metric="wer", threshold=MAX_WER_INCREASE)
def seq2seq_decoding(keras_out: np.ndarray, export_out: np.ndarray, targets: Any) -> dict[str, Any]:
    """Word error rate (percent) of decoded sequences: rows of token ids, -1 after each sequence's end (export/
    seq2seq.py decodes them greedily); ``targets``, per row, the acceptable reference sequences (a row is right
    when it equals any). Fails when the export's WER is more than MAX_WER_INCREASE points above Keras' (the
    paired 95% interval of the change is reported, not used: the issue's gate is the measured difference)."""
    keras_rows, export_rows = decoded_rows(keras_out), decoded_rows(export_out)
    references = [[tuple(int(t) for t in reference) for reference in row] for row in targets]
    keras_errors, export_errors = sequence_errors(keras_rows, references), sequence_errors(export_rows, references)
    keras_wrong, export_wrong = keras_errors["wrong"], export_errors["wrong"]
    change, low, high = paired_difference_interval(keras_wrong, export_wrong)
    keras_wer, export_wer = 100.0 * float(keras_wrong.mean()), 100.0 * float(export_wrong.mean())
    return {"keras": round(keras_wer, 3), "export": round(export_wer, 3),
            "agreement": float(np.mean([a == b for a, b in zip(keras_rows, export_rows)])),
            "per_keras": keras_errors["per"], "per_export": export_errors["per"], "samples": len(references),
            "change": round(export_wer - keras_wer, 3), "change_interval": [100.0 * low, 100.0 * high],
            "passed": bool(export_wer - keras_wer <= MAX_WER_INCREASE + 1e-9)}


def decoded_rows(ids: np.ndarray) -> list[tuple[int, ...]]:
    """Each row of a (count, steps) id array up to its first negative entry."""
    rows = []
    for row in np.asarray(ids).astype(np.int64):
        end = np.flatnonzero(row < 0)
        rows.append(tuple(int(t) for t in row[:end[0] if len(end) else len(row)]))
    return rows


def edit_distance(a: Sequence[Any], b: Sequence[Any]) -> int:
    """Levenshtein distance between two token sequences (unit costs)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def closest(prediction: Sequence[Any], references: Sequence[Sequence[Any]]) -> tuple[int, int]:
    """(edits, reference length) against the reference with the fewest edits (the shorter on ties)."""
    return min((edit_distance(prediction, reference), len(reference)) for reference in references)


def sequence_errors(predictions: Sequence[Sequence[Any]], references: Sequence[Sequence[Sequence[Any]]]) -> dict:
    """{"wrong": 0/1 per prediction, "per" (percent: edits to the closest reference over their summed lengths),
    "edits", "length"}, as the literature scores outputs with several acceptable references."""
    pairs = [closest(tuple(prediction), [tuple(r) for r in refs]) for prediction, refs in zip(predictions, references)]
    edits, length = sum(e for e, _ in pairs), sum(n for _, n in pairs)
    return {"wrong": np.array([e > 0 for e, _ in pairs], np.float64),
            "per": round(100.0 * edits / max(length, 1), 3), "edits": edits, "length": length}


@register_task("risk", metric="auroc", threshold=MAX_AUROC_DROP)
def risk(keras_out: np.ndarray, export_out: np.ndarray, targets: Any) -> dict[str, Any]:
    """AUROC change; fails when its 95% interval lies wholly outside +-MAX_AUROC_DROP."""
    labels = (np.asarray(targets) if targets is not None else keras_out > 0.5).astype(np.int64)
    labels = labels.reshape(keras_out.shape)
    keras_auroc, export_auroc = auroc(keras_out, labels), auroc(export_out, labels)
    keras_rows, export_rows, label_rows = _per_sample(keras_out), _per_sample(export_out), _per_sample(labels)

    def change_of(rows: np.ndarray) -> float:
        return auroc(export_rows[rows], label_rows[rows]) - auroc(keras_rows[rows], label_rows[rows])

    low, high = bootstrap_interval(change_of, len(keras_rows))
    change = export_auroc - keras_auroc
    worse_beyond = np.isfinite(high) and (high < -MAX_AUROC_DROP or low > MAX_AUROC_DROP)
    return {"keras": keras_auroc, "export": export_auroc, "agreement": abs(change), "change": change,
            "change_interval": [low, high],
            "passed": bool(np.isnan(keras_auroc) or (abs(change) <= MAX_AUROC_DROP or not worse_beyond))}


@register_task("generation", metric="nll", threshold=MAX_RELATIVE_NLL_INCREASE)
def generation(keras_out: np.ndarray, export_out: np.ndarray, targets: Any) -> dict[str, Any]:
    """Relative NLL increase of the held-out next events; fails when its interval is wholly above the bound."""
    labels = class_labels(targets, keras_out)
    keras_nll, export_nll = nll(keras_out, labels), nll(export_out, labels)
    increase = (export_nll - keras_nll) / max(keras_nll, 1e-9)
    count = len(keras_out)

    def increase_of(rows: np.ndarray) -> float:
        reference = nll(keras_out[rows], labels[rows])
        return (nll(export_out[rows], labels[rows]) - reference) / max(reference, 1e-9)

    low, high = bootstrap_interval(increase_of, count)
    passed = increase <= MAX_RELATIVE_NLL_INCREASE or not (np.isfinite(low) and low > MAX_RELATIVE_NLL_INCREASE)
    return {"keras": keras_nll, "export": export_nll, "agreement": increase, "change": export_nll - keras_nll,
            "change_interval": [low, high], "passed": bool(passed)}


def relative_rms(keras_out: np.ndarray, export_out: np.ndarray) -> tuple[float, float, float]:
    """RMS(export - Keras) / std(Keras outputs) with its bootstrap interval over sequences."""
    scale = max(float(np.std(keras_out)), 1e-6)
    relative = float(np.sqrt(np.mean((export_out - keras_out) ** 2))) / scale
    rows_keras, rows_export = _per_sample(keras_out), _per_sample(export_out)

    def relative_of(rows: np.ndarray) -> float:
        return float(np.sqrt(np.mean((rows_export[rows] - rows_keras[rows]) ** 2))) / scale

    low, high = bootstrap_interval(relative_of, len(rows_keras))
    return relative, low, high


@register_task("regression", metric="rmse", threshold=MAX_RELATIVE_RMS_ERROR)
def regression(keras_out: np.ndarray, export_out: np.ndarray, targets: Any) -> dict[str, Any]:
    """RMS(export - Keras) relative to the spread of Keras' outputs; RMSE on targets when given."""
    relative, low, high = relative_rms(keras_out, export_out)
    reference = keras_out if targets is None else np.asarray(targets, np.float32).reshape(keras_out.shape)
    keras_rmse = float(np.sqrt(np.mean((keras_out - reference) ** 2)))
    export_rmse = float(np.sqrt(np.mean((export_out - reference) ** 2)))
    return {"keras": keras_rmse, "export": export_rmse, "agreement": relative, "agreement_interval": [low, high],
            "change": export_rmse - keras_rmse, "passed": bool(relative <= MAX_RELATIVE_RMS_ERROR)}


def median_mae(outputs: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per sequence, the mean absolute error of the median of quantile outputs (..., horizon x quantiles,
    grouped per horizon step) against the (..., horizon) targets."""
    quantiles = outputs.shape[-1] // targets.shape[-1]
    median = outputs.reshape(*targets.shape, quantiles)[..., quantiles // 2]
    return _per_sample(np.abs(median - targets)).mean(axis=1)


@register_task("forecast", metric="mase", threshold=MAX_RELATIVE_MASE_INCREASE)
def forecast(keras_out: np.ndarray, export_out: np.ndarray, targets: Any) -> dict[str, Any]:
    """Relative increase of the median forecast's mean absolute error on the held-out targets (in the series'
    own scale, so a MASE increase); fails when it is above 2% and so is its bootstrap interval's lower bound.
    Without targets (a step model's single steps) the regression rule on the raw outputs applies."""
    if targets is None:
        relative, low, high = relative_rms(keras_out, export_out)
        return {"metric": "relative_rms", "threshold": MAX_RELATIVE_RMS_ERROR, "keras": 0.0, "export": relative,
                "agreement": relative, "agreement_interval": [low, high], "change": relative,
                "passed_by": "relative rms (no targets)", "passed": bool(relative <= MAX_RELATIVE_RMS_ERROR)}
    targets = np.asarray(targets, np.float32).reshape(*keras_out.shape[:-1], -1)
    keras_mae, export_mae = median_mae(keras_out, targets), median_mae(export_out, targets)
    increase = (export_mae.mean() - keras_mae.mean()) / max(float(keras_mae.mean()), 1e-9)

    def increase_of(rows: np.ndarray) -> float:
        reference = float(keras_mae[rows].mean())
        return (float(export_mae[rows].mean()) - reference) / max(reference, 1e-9)

    low, high = bootstrap_interval(increase_of, len(keras_mae))
    passed = increase <= MAX_RELATIVE_MASE_INCREASE or not (np.isfinite(low) and low > MAX_RELATIVE_MASE_INCREASE)
    return {"keras": float(keras_mae.mean()), "export": float(export_mae.mean()), "agreement": float(increase),
            "change": float(export_mae.mean() - keras_mae.mean()), "change_interval": [low, high],
            "passed": bool(passed)}


__all__ = ["Task", "TASKS", "register_task", "get_task", "evaluate", "wilson_interval",
           "paired_difference_interval", "bootstrap_interval", "auroc", "nll", "class_labels", "edit_distance",
           "closest", "sequence_errors", "decoded_rows"]
