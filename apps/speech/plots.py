"""The stream timeline plot: keyword window scores over time, the detection threshold and the detections."""
from __future__ import annotations

import io
import os
from typing import Sequence

import numpy as np

from apps.speech.labels import KEYWORDS, LABELS
from apps.speech.recognize import Detection
from suite.atomic import write_bytes

FIGURE_SIZE = (10.0, 4.0)  # inches: a long recording reads left to right


def plot_timeline(path: str | os.PathLike, timeline: Sequence[tuple[float, np.ndarray]],
                  detections: Sequence[Detection], title: str, threshold: float | None = None) -> None:
    """One line per keyword (its score for each 1 s window, drawn at the window's centre), detections shaded; PNG.

    ``timeline`` holds (window centre in seconds, class scores) pairs.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=FIGURE_SIZE)
    centres = np.array([centre for centre, _ in timeline])
    scores = np.array([scores for _, scores in timeline]).reshape(len(timeline), len(LABELS))
    colours = plt.get_cmap("tab10")
    for index, keyword in enumerate(KEYWORDS):
        if len(centres) and scores[:, index].max() >= 0.05:  # only keywords that ever score are drawn
            axis.plot(centres, scores[:, index], color=colours(index), linewidth=1.2, label=keyword)
    if threshold is not None:
        axis.axhline(threshold, color="black", linestyle="--", linewidth=0.8, label=f"threshold {threshold:g}")
    for number, found in enumerate(detections):
        axis.axvspan(found.start, found.end, color="0.85", zorder=0,
                     label=None if number else "detected word window")
        axis.text((found.start + found.end) / 2, 1.02, found.label, ha="center", va="bottom", fontsize=8)
    axis.set_xlabel("time in the recording (s; each score at the centre of its 1 s window)")
    axis.set_ylabel("keyword score (probability)")
    axis.set_ylim(0, 1.1)
    axis.set_title(title, fontsize=9)
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    write_bytes(path, buffer.getvalue())
