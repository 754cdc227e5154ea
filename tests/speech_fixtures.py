"""Helpers shared by the speech tests: a generated folder, and a long recording of clips with gaps."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from apps.speech import data, dataset, frontend
from apps.speech.labels import CLIP_SAMPLES, LABELS

GAP_S = 0.6  # quiet seconds before, between and after the clips of a recording


def generated(tmp_path_factory, name: str, per_word: int, seed: int) -> Path:
    """A generated Speech Commands folder in a fresh temporary folder (espeak-ng only: pip installs it)."""
    out = tmp_path_factory.mktemp(name) / "data"
    data.make_data(out, per_word=per_word, seed=seed, workers=2, show_progress=False, engine_names=("espeak",))
    return out


def long_recording(clips: list[dataset.Example], gap_s: float = GAP_S) -> tuple[np.ndarray, list[tuple[str, float]]]:
    """Clips separated by quiet gaps; returns the audio and (label, clip start s) of each."""
    gap = np.zeros(int(gap_s * frontend.SAMPLE_RATE), np.float32)
    parts, truth, position = [gap], [], len(gap)
    for clip in clips:
        parts += [dataset.load_example(clip), gap]
        truth.append((LABELS[clip.label], position / frontend.SAMPLE_RATE))
        position += CLIP_SAMPLES + len(gap)
    return np.concatenate(parts), truth
