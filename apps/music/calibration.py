"""Calibration and held-out data for exporting melody models (``export`` finds it by app name), and
the app's own check of the exported step files (``after_export``).

Windows of ``window`` events from the model's own corpus: the cached corpus when it exists, else
a small deterministic subset of the folk tunes parsed now (FRESH_MACHINE_TUNES, a few seconds), so
export works on a fresh machine. Inputs are what the model reads (tokens, or lookback features);
targets are the next events.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from apps.music.encoding import VOCAB_SIZE
from export.calibration import register_dataset
from suite.errors import UserError

FRESH_MACHINE_TUNES = 100
SPLITS = {"calibration": "train", "train": "train", "heldout": "test"}
# Held-out tunes stepped whole through each exported step file the way `generate` runs it (its own
# state carried from the first event), against the Keras sequence model on the same tunes.
GENERATION_CHECK_TUNES = 32
# The export task's generation gate (export/report.py MAX_RELATIVE_NLL_INCREASE): NLL may rise 2%.
MAX_RELATIVE_NLL_INCREASE = 0.02
# When a split has too few whole windows (a tiny corpus subset), the tunes are cut again at shifted starts:
# first every SHIFT_STRIDE-th offset, then the ones between.
SHIFT_STRIDE = 8


def corpus_tunes(config: dict, split: str) -> list[np.ndarray]:
    """The tunes of ``split``: from the training corpus's cache, else from a small fresh parse."""
    return corpus_tunes_and_prefixes(config, split)[0]


def corpus_tunes_and_prefixes(config: dict, split: str) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """corpus_tunes, and their control tokens when the model is conditioned (else None)."""
    from apps.music import corpus

    data = config.get("data", {})
    data_dir, limit = data.get("data_dir"), data.get("limit")
    sources = corpus.midi_sources(data_dir) if data_dir else corpus.folk_sources()
    cached = corpus.cache_path(corpus.limit_sources(sources, limit), data_dir, limit)
    if not cached.exists():
        limit = min(limit or FRESH_MACHINE_TUNES, FRESH_MACHINE_TUNES)
    dataset, path, _ = corpus.prepare(data_dir, limit=limit, show_progress=False)
    name = split if dataset.split(split) else None  # a tiny subset may leave a split empty
    tunes = dataset.split(name) if name else dataset.events
    if not config.get("settings", {}).get("conditioning"):
        return tunes, None
    from apps.music.data import condition_prefixes, split_prefixes

    dataset.info["cache_path"] = str(path)
    by_tune = condition_prefixes(dataset, show_progress=False)
    return tunes, split_prefixes(dataset, name, by_tune) if name else [by_tune[t] for t in dataset.tune_ids]


@register_dataset("music")
def music_dataset(config: dict, split: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (count, window[, features]), next events (count, window)) from ``split``'s tunes."""
    from apps.music.model import model_inputs, settings_of

    music = settings_of(config, Path("config.json"))
    if not music.streamable:  # export converts the step model, which causal attention does not have
        raise UserError("an attention model is not streamable, so it has no step model to export "
                        "(generate with --backend keras)")
    tunes, prefixes = corpus_tunes_and_prefixes(config, SPLITS.get(split, "test"))
    if prefixes is not None:  # conditioned: each tune's first window starts with its control tokens
        tunes = [np.concatenate([prefix, tune]) for prefix, tune in zip(prefixes, tunes)]
    rows = whole_windows(tunes, music.window, count)
    chosen = np.random.default_rng(0).permutation(len(rows))[:count]
    rows = rows[np.sort(chosen)]
    targets = rows[:, 1:].astype(np.int64)
    targets[targets >= VOCAB_SIZE] = 0  # a control token is never predicted: score NO_EVENT there (both sides alike)
    return model_inputs(music, rows[:, :-1]), targets


def whole_windows(tunes: list[np.ndarray], window: int, count: int) -> np.ndarray:
    """At least ``count`` unpadded windows where the tunes allow: windows at stride ``window`` first, then
    the same tunes cut at shifted starts (a small held-out split still gives the export's parity gate
    the 200 sequences it needs, from held-out tunes only)."""
    from apps.music.data import windows

    found: list[np.ndarray] = []
    shifts = sorted(range(window), key=lambda shift: (shift % SHIFT_STRIDE != 0, shift))  # spread out first
    for shift in shifts:
        rows, weights, _ = windows([tune[shift:] for tune in tunes if len(tune) > shift + 1], window)
        found.append(rows[weights.min(axis=1) > 0])  # whole windows only: no padding in calibration data
        if sum(len(part) for part in found) >= count:
            break
    complete = np.concatenate(found)
    return complete if len(complete) else windows(tunes, window)[0]


def after_export(model_dir: Path, exports: dict[str, dict]) -> dict[str, Any]:
    """metrics.json ``generation_check[<file>]``: held-out NLL of whole tunes stepped through each
    exported step file by the generator's own scorer, next to the Keras sequence model's."""
    from apps.music import model as melody_model
    from suite.modeldir import read_metrics

    keras_melody = melody_model.load(model_dir)
    tunes, prefixes = generation_check_tunes(keras_melody.config)
    keras_log_probs, _ = melody_model.target_log_probs(keras_melody, tunes, prefixes=prefixes)
    checks = dict(read_metrics(model_dir).get("generation_check", {}))
    for name, summary in exports.items():
        if "metric" in summary:  # a file that failed to convert has nothing to step through
            checks[name] = stepped_check(keras_melody, Path(model_dir) / name, tunes, keras_log_probs, prefixes)
    return {"generation_check": checks}


def generation_check_tunes(config: dict) -> tuple[list[np.ndarray], list[np.ndarray] | None]:
    """The first GENERATION_CHECK_TUNES held-out tunes (and their control tokens for a conditioned model)."""
    heldout, prefixes = corpus_tunes_and_prefixes(config, SPLITS["heldout"])
    kept = [index for index, tune in enumerate(heldout) if len(tune) > 1][:GENERATION_CHECK_TUNES]
    return [heldout[index] for index in kept], None if prefixes is None else [prefixes[index] for index in kept]


def stepped_check(keras_melody: Any, step_file: Path, tunes: list[np.ndarray],
                  keras_log_probs: np.ndarray, prefixes: list[np.ndarray] | None = None) -> dict[str, Any]:
    from apps.music.generation import make_scorer, stepwise_log_probs
    from apps.music.model import MelodyModel

    exported = MelodyModel(None, keras_melody.config, keras_melody.music, step_file=step_file)
    scorer = make_scorer(exported)
    prefixes = [None] * len(tunes) if prefixes is None else prefixes
    log_probs = np.concatenate([stepwise_log_probs(exported, tune, scorer, prefix) for tune, prefix in zip(tunes, prefixes)])
    keras_nll, export_nll = float(-keras_log_probs.mean()), float(-log_probs.mean())
    increase = export_nll / keras_nll - 1.0
    return {"tunes": len(tunes), "events": int(log_probs.size), "nll_keras": round(keras_nll, 5),
            "nll_export": round(export_nll, 5), "relative_increase": round(increase, 5),
            "threshold": MAX_RELATIVE_NLL_INCREASE, "passed": bool(increase <= MAX_RELATIVE_NLL_INCREASE)}
