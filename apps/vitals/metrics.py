"""The model and NEWS2 scored side by side on labelled stays: per-hour AUROC, AUPRC, normalised utility."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from apps.vitals.news2 import news2_alerts, news2_scores
from apps.vitals.psv import Stay
from apps.vitals.utility import hourly_auprc, hourly_auroc, normalized_utility

# Candidate alert thresholds: quantiles of the validation risks, from the top 0.5% of hours to the top 40%.
THRESHOLD_QUANTILES = np.linspace(0.60, 0.995, 80)


def scores(labels: Sequence[np.ndarray], risks: Sequence[np.ndarray], alerts: Sequence[np.ndarray]) -> dict:
    """AUROC and AUPRC of the continuous scores, utility of the binary alerts (rounded for reports)."""
    return {"auroc": round(hourly_auroc(labels, risks), 4), "auprc": round(hourly_auprc(labels, risks), 4),
            "utility": round(normalized_utility(labels, alerts), 4)}


def side_by_side(stays: Sequence[Stay], risks: Sequence[np.ndarray], threshold: float) -> dict:
    """Model and NEWS2 metrics on the same hours; NEWS2 alerts are the RCP urgent-response trigger."""
    labels = [stay.labels for stay in stays]
    model_alerts = [risk >= threshold for risk in risks]
    return {
        "stays": len(stays),
        "septic_stays": int(sum(label.any() for label in labels)),
        "hours": int(sum(len(label) for label in labels)),
        "positive_hours": int(sum(label.sum() for label in labels)),
        "model": scores(labels, risks, model_alerts),
        "news2": scores(labels, [news2_scores(stay) for stay in stays], [news2_alerts(stay) for stay in stays]),
    }


def best_threshold(labels: Sequence[np.ndarray], risks: Sequence[np.ndarray]) -> float:
    """The alert threshold with the highest normalised utility (chosen on validation stays)."""
    pooled = np.concatenate(risks)
    candidates = np.unique(np.quantile(pooled, THRESHOLD_QUANTILES))
    utilities = [normalized_utility(labels, [risk >= value for risk in risks]) for value in candidates]
    return float(candidates[int(np.argmax(utilities))])
