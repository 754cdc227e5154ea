"""The PhysioNet/CinC 2019 normalised utility score, and per-hour AUROC/AUPRC.

Re-implemented from the definition in the challenge's public ``evaluate_sepsis_score.py``.
Let t_sepsis = (first hour with SepsisLabel = 1) + 6, the onset the labels were shifted from.
A positive prediction at hour t of a septic stay earns a reward that ramps from 0 at
t_sepsis - 12 up to 1 at t_sepsis - 6, then falls back to 0 at t_sepsis + 3 (before t_sepsis - 12
it costs like a false positive). A missed hour costs nothing up to t_sepsis - 6 and then falls to -2
at t_sepsis + 3. Hours after t_sepsis + 3 do not count. On non-septic stays every positive hour
costs 0.05. The cohort total is normalised so that predicting nothing scores 0 and the best possible
predictions (positive exactly from t_sepsis - 12 to t_sepsis + 3) score 1.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score


@dataclass(frozen=True)
class UtilityParameters:
    dt_early: int = -12      # hours relative to t_sepsis where reward starts
    dt_optimal: int = -6     # hour of maximal reward (also the label shift)
    dt_late: float = 3.0     # hours after which nothing counts
    max_u_tp: float = 1.0    # reward of a prediction at the optimal time
    min_u_fn: float = -2.0   # cost of missing sepsis at dt_late
    u_fp: float = -0.05      # cost of a false alarm hour
    u_tn: float = 0.0        # reward of a true negative hour


CHALLENGE = UtilityParameters()


def stay_utility(labels: np.ndarray, predictions: np.ndarray, p: UtilityParameters = CHALLENGE) -> float:
    """The unnormalised utility of one stay's binary hourly predictions (as in the challenge code)."""
    labels = np.asarray(labels).astype(bool)
    predictions = np.asarray(predictions).astype(bool)
    if labels.shape != predictions.shape:
        raise ValueError(f"labels {labels.shape} and predictions {predictions.shape} differ in shape")
    is_septic = bool(labels.any())
    t_sepsis = float(np.argmax(labels) - p.dt_optimal) if is_septic else np.inf
    hours = np.arange(labels.size, dtype=np.float64)
    counted = hours <= t_sepsis + p.dt_late
    if not is_septic:
        return float(np.sum(np.where(predictions, p.u_fp, p.u_tn)[counted]))

    # Straight lines u = m * (t - t_sepsis) + b through the challenge's corner points.
    rise_slope = p.max_u_tp / (p.dt_optimal - p.dt_early)
    rise_intercept = -rise_slope * p.dt_early
    fall_slope = -p.max_u_tp / (p.dt_late - p.dt_optimal)
    fall_intercept = -fall_slope * p.dt_late
    miss_slope = p.min_u_fn / (p.dt_late - p.dt_optimal)
    miss_intercept = -miss_slope * p.dt_optimal

    relative = hours - t_sepsis
    before_optimal = relative <= p.dt_optimal
    hit = np.where(before_optimal, np.maximum(rise_slope * relative + rise_intercept, p.u_fp),
                   fall_slope * relative + fall_intercept)
    miss = np.where(before_optimal, 0.0, miss_slope * relative + miss_intercept)
    utility = np.where(predictions, hit, miss)
    return float(np.sum(utility[counted]))


def best_predictions(labels: np.ndarray, p: UtilityParameters = CHALLENGE) -> np.ndarray:
    """The predictions with the highest utility: positive from t_sepsis - 12 to t_sepsis + 3."""
    labels = np.asarray(labels).astype(bool)
    best = np.zeros(labels.size, dtype=bool)
    if labels.any():
        t_sepsis = int(np.argmax(labels)) - p.dt_optimal
        best[max(0, t_sepsis + p.dt_early): min(int(t_sepsis + p.dt_late) + 1, labels.size)] = True
    return best


def normalized_utility(labels: Sequence[np.ndarray], predictions: Sequence[np.ndarray],
                       p: UtilityParameters = CHALLENGE) -> float:
    """The challenge score of a cohort: (observed - no prediction) / (best - no prediction)."""
    if len(labels) != len(predictions):
        raise ValueError(f"{len(labels)} label sequences but {len(predictions)} prediction sequences")
    observed = sum(stay_utility(y, yhat, p) for y, yhat in zip(labels, predictions))
    best = sum(stay_utility(y, best_predictions(y, p), p) for y in labels)
    inaction = sum(stay_utility(y, np.zeros(len(y), dtype=bool), p) for y in labels)
    if best == inaction:
        raise ValueError("the utility is undefined for a cohort without septic stays")
    return float((observed - inaction) / (best - inaction))


def hourly_auroc(labels: Sequence[np.ndarray], scores: Sequence[np.ndarray]) -> float:
    """Area under the ROC curve over all hours of all stays pooled (as the challenge reports it)."""
    y, s = _pool(labels, scores)
    return float(roc_auc_score(y, s))


def hourly_auprc(labels: Sequence[np.ndarray], scores: Sequence[np.ndarray]) -> float:
    """Average precision (area under the precision-recall curve) over all hours pooled."""
    y, s = _pool(labels, scores)
    return float(average_precision_score(y, s))


def _pool(labels: Sequence[np.ndarray], scores: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    y = np.concatenate([np.asarray(item).ravel() for item in labels]).astype(int)
    s = np.concatenate([np.asarray(item).ravel() for item in scores]).astype(np.float64)
    if y.shape != s.shape:
        raise ValueError(f"{y.size} labelled hours but {s.size} scores")
    if y.min() == y.max():
        raise ValueError("AUROC/AUPRC need both positive and negative hours")
    return y, s
