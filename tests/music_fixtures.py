"""Tiny melody models for the music tests: synthetic folk-like tunes, trained in seconds by the app's own
``train`` (the framework's shared command) from a folder of MIDI files."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from apps.music.encoding import Note, decode, encode

C_MAJOR = (60, 62, 64, 65, 67, 69, 71, 72)
TINY_TRAINING = ("epochs=3", "batch_size=8", "learning_rate=0.01")  # learns the walks in 3 short epochs


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
    import dataclasses

    from apps.music.presets import PRESETS
    from suite.config import apply_overrides

    return dataclasses.replace(apply_overrides(PRESETS["tiny"].config, TINY_TRAINING), **changes)


def write_midi_folder(folder: Path, count: int, seed: int = 0) -> Path:
    """``count`` synthetic tunes as tune-NNN.mid files: a ``--data`` folder."""
    from apps.music.midi import write_midi

    folder.mkdir(parents=True, exist_ok=True)
    for index, tune in enumerate(synthetic_tunes(count, seed)):
        write_midi(decode(tune), folder / f"tune-{index:03d}.mid")
    return folder


def train_tiny(work: Path, tunes: int = 80, extra: tuple[str, ...] = ()) -> Path:
    """The shared ``train`` with the tiny preset on synthetic MIDI tunes; returns the model directory."""
    from suite.app import main
    from suite.app.paths import CACHE_ENV

    data = write_midi_folder(work / "midi", tunes)
    out = work / "model"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(work / "cache"))  # the corpus cache stays in the test's folder
        code = main("music", ["train", "--config", "tiny", "--data", str(data), "--runs", str(work / "runs"),
                              "--out", str(out), "--json", *[f"--set={o}" for o in TINY_TRAINING + extra]])
    assert code == 0
    assert json.loads((out / "config.json").read_text())["app"] == "music"
    return out
