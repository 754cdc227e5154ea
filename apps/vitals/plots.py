"""Evaluation figures: a calibration (reliability) plot and hourly risk timelines next to NEWS2."""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

from apps.vitals.news2 import EMERGENCY_AGGREGATE, URGENT_AGGREGATE, news2_scores
from apps.vitals.psv import Stay
from suite.atomic import atomic_path

CALIBRATION_BINS = 10
NEWS2_MAX = 20          # the aggregate score's range under the PSV assumptions (0..20)
# RCP 2017 clinical-response levels drawn on timelines: aggregate 5+ urgent, 7+ emergency response.
NEWS2_LEVELS = ((URGENT_AGGREGATE, "--", f"NEWS2 >= {URGENT_AGGREGATE}: urgent response"),
                (EMERGENCY_AGGREGATE, "-.", f"NEWS2 >= {EMERGENCY_AGGREGATE}: emergency response"))


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


def calibration_plot(labels: Sequence[np.ndarray], risks: Sequence[np.ndarray], path: str | os.PathLike,
                     title: str) -> list[dict]:
    """Observed positive-hour fraction against predicted risk, each bin's hour count written on it.

    ``title`` names the model and the data. Returns the bins drawn.
    """
    rows = calibration_bins(np.concatenate(labels).astype(float), np.concatenate(risks).astype(float))
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5.2, 4.8))
    axis.plot([0, 1], [0, 1], color="grey", linestyle="--", label="perfect calibration")
    predicted, observed = [r["predicted"] for r in rows], [r["observed"] for r in rows]
    axis.plot(predicted, observed, marker="o", label="model (one point per risk bin)")
    for x, y, row in zip(predicted, observed, rows):
        axis.annotate(f"n={row['hours']}", (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("predicted risk (bin mean, 0-1)")
    axis.set_ylabel("observed share of positive hours (0-1)")
    axis.set_title(f"calibration per hour (n = hours per bin)\n{title}", fontsize=9)
    axis.legend(loc="upper left", fontsize=8)
    figure.tight_layout()
    _save(figure, path)
    return rows


def risk_timelines(stays: Sequence[Stay], risks: Sequence[np.ndarray], threshold: float,
                   path: str | os.PathLike, title: str) -> None:
    """One panel per stay: model risk and NEWS2 per hour, the model's alert threshold and the NEWS2 response
    levels (5: urgent, 7: emergency), labelled hours shaded. ``title`` names the model and the data."""
    plt = _pyplot()
    figure, axes = plt.subplots(len(stays), 1, figsize=(8.5, 2.4 * len(stays) + 0.6), squeeze=False)
    for axis, stay, risk in zip(axes[:, 0], stays, risks):
        _timeline(axis, stay, risk, threshold)
    axes[-1, 0].set_xlabel("hours since ICU admission")
    figure.suptitle(f"hourly risk and NEWS2: {title}", fontsize=10)
    figure.tight_layout()
    _save(figure, path)


def _timeline(axis, stay: Stay, risk: np.ndarray, threshold: float) -> None:
    hours = np.arange(1, stay.hours + 1)
    if stay.labels is not None and stay.labels.any():
        first = int(np.argmax(stay.labels))
        axis.axvspan(first + 0.5, stay.hours + 0.5, color="tab:red", alpha=0.12, label="SepsisLabel = 1")
    axis.plot(hours, risk, color="tab:blue", label="model risk")
    axis.axhline(threshold, color="tab:blue", linestyle=":", linewidth=1, label=f"model alert threshold {threshold:.3f}")
    axis.set_ylim(0, 1)
    axis.set_xlim(0.5, stay.hours + 0.5)
    axis.set_ylabel("risk (0-1)")
    axis.set_title(stay.name, fontsize=9)
    news = axis.twinx()
    news.step(hours, news2_scores(stay), where="mid", color="tab:orange", label="NEWS2")
    for level, style, name in NEWS2_LEVELS:
        news.axhline(level, color="tab:orange", linestyle=style, linewidth=0.8, label=name)
    news.set_ylim(0, NEWS2_MAX)
    news.set_ylabel("NEWS2 (points)")
    handles, labels = axis.get_legend_handles_labels()
    more_handles, more_labels = news.get_legend_handles_labels()
    axis.legend(handles + more_handles, labels + more_labels, loc="upper left", fontsize=6, ncol=3)


def _save(figure, path: str | os.PathLike) -> None:
    plt = _pyplot()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100, format="png")
    plt.close(figure)
