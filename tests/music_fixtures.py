"""Tiny melody models for the music tests: synthetic folk-like tunes, trained in seconds."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from apps.music.encoding import Note, encode

C_MAJOR = (60, 62, 64, 65, 67, 69, 71, 72)


def synthetic_tunes(count: int, seed: int = 0) -> list[np.ndarray]:
    """Stepwise walks on the C major scale in 8ths and quarters: a tiny, learnable token set."""
    rng = np.random.default_rng(seed)
    tunes = []
    for _ in range(count):
        degree, step, notes = 3, 0, []
        for _ in range(int(rng.integers(16, 32))):
            length = int(rng.choice([2, 4]))
            notes.append(Note(C_MAJOR[degree], step, step + length))
            step += length
            degree = int(np.clip(degree + rng.choice([-1, 1]), 0, len(C_MAJOR) - 1))
        tunes.append(encode(notes))
    return tunes


def tiny_config(**changes):
    from apps.music.presets import resolve

    config = resolve("tiny", ["epochs=3", "batch_size=8", "learning_rate=0.01"])
    return dataclasses.replace(config, **changes)


def train_tiny(out: Path, **changes) -> Path:
    """Train the tiny preset on synthetic tunes and write a model directory to ``out``."""
    from apps.music.train import fit_model, save_trained

    config = tiny_config(**changes)
    train, validation, heldout = synthetic_tunes(48, 0), synthetic_tunes(8, 1), synthetic_tunes(8, 2)
    model, _ = fit_model(config, train, validation, out.parent / f"{out.name}.run", verbose=0)
    save_trained(out, model, config, "tiny", train, heldout, {"data_dir": None, "limit": None, "tunes": 64},
                 "tests/music_fixtures.py", out.parent / f"{out.name}.run")
    return out
