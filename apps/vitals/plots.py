"""Evaluation figures: a calibration (reliability) plot and hourly risk timelines next to NEWS2."""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from apps.vitals.news2 import news2_scores
from apps.vitals.psv import Stay
from suite.atomic import atomic_path

CALIBRATION_BINS = 10
NEWS2_MAX = 20          # the aggregate score's range under the PSV assumptions (0..20)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def calibration_bins(labels: np.ndarray, risks: np.ndarray, bins: int = CALIBRATION_BINS) -> list[dict]:
    """Per equal-width risk bin: hours, mean predicted risk, observed fraction of positive hours."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(risks, edges[1:-1]), 0, bins - 1)
    rows = []
    for index in range(bins):
        chosen = which == index
        if chosen.any():
            rows.append({"low": float(edges[index]), "high": float(edges[index + 1]), "hours": int(chosen.sum()),
                         "predicted": float(risks[chosen].mean()), "observed": float(labels[chosen].mean())})
    return rows


def calibration_plot(labels: Sequence[np.ndarray], risks: Sequence[np.ndarray], path: str | os.PathLike) -> list[dict]:
    """Observed positive-hour fraction against predicted risk; returns the bins drawn."""
    rows = calibration_bins(np.concatenate(labels).astype(float), np.concatenate(risks).astype(float))
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(4.5, 4.2))
    axis.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
    axis.plot([r["predicted"] for r in rows], [r["observed"] for r in rows], marker="o", label="model")
    axis.set_xlabel("predicted risk (bin mean)")
    axis.set_ylabel("observed fraction of positive hours")
    axis.set_title("calibration (per hour)")
    axis.legend(loc="upper left")
    figure.tight_layout()
    _save(figure, path)
    return rows


def risk_timelines(stays: Sequence[Stay], risks: Sequence[np.ndarray], threshold: float,
                   path: str | os.PathLike) -> None:
    """One panel per stay: model risk and NEWS2 per hour, the alert threshold, labelled hours shaded."""
    plt = _pyplot()
    figure, axes = plt.subplots(len(stays), 1, figsize=(8, 2.2 * len(stays)), squeeze=False)
    for axis, stay, risk in zip(axes[:, 0], stays, risks):
        hours = np.arange(1, stay.hours + 1)
        if stay.labels is not None and stay.labels.any():
            first = int(np.argmax(stay.labels))
            axis.axvspan(first + 0.5, stay.hours + 0.5, color="tab:red", alpha=0.12, label="SepsisLabel = 1")
        axis.plot(hours, risk, color="tab:blue", label="model risk")
        axis.axhline(threshold, color="tab:blue", linestyle=":", linewidth=1, label="alert threshold")
        axis.set_ylim(0, 1)
        axis.set_ylabel("risk")
        axis.set_title(stay.name, fontsize=9)
        news = axis.twinx()
        news.step(hours, news2_scores(stay), where="mid", color="tab:orange", label="NEWS2")
        news.set_ylim(0, NEWS2_MAX)
        news.set_ylabel("NEWS2")
        if axis is axes[0, 0]:
            handles = axis.get_legend_handles_labels()[0] + news.get_legend_handles_labels()[0]
            axis.legend(handles=handles, loc="upper left", fontsize=7, ncol=4)
    axes[-1, 0].set_xlabel("ICU hour")
    figure.tight_layout()
    _save(figure, path)


def _save(figure, path: str | os.PathLike) -> None:
    plt = _pyplot()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100, format="png")
    plt.close(figure)
