"""The train hook: fit a preset on the corpus, score it against the n-gram baseline on held-out tunes.

The framework's shared ``train`` (``suite/app/shared_commands.py``) calls ``train(run)``; checkpoints
live in ``runs/music/<name>/backup``, so running the same command after a kill resumes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from apps.music.presets import MusicConfig
from suite.app import Trained, TrainRun
from suite.errors import UserError

HELDOUT_SPLIT = "test"  # validation steers training (the curves), so the reported numbers use test
KERAS_VERBOSE = 2  # one line per epoch when not --json


def baseline_metrics(train: Sequence[np.ndarray], heldout: Sequence[np.ndarray], order: int) -> dict:
    """The smoothed n-gram (fitted on transposed training tunes) on the held-out tunes."""
    from apps.music.corpus import augment_by_transposition
    from apps.music.ngram import fit_ngram

    return fit_ngram(augment_by_transposition(train), order=order).evaluate(heldout)


def fit_model(config: MusicConfig, train_tunes: Sequence[np.ndarray], validation_tunes: Sequence[np.ndarray],
              run_dir: str | Path, strategy: str = "default", verbose: int = KERAS_VERBOSE,
              prefixes: dict[str, list] | None = None) -> tuple[Any, dict]:
    """Train the preset's model on event sequences (``prefixes``: control tokens per split, conditioned
    models); returns (model, history)."""
    from apps.music import data, model as melody_model
    from suite.training import fit, seed_everything

    prefixes = prefixes or {}
    seed_everything(config.seed)  # before the pipelines: their shuffles take the global seed
    train_data = data.make_dataset(train_tunes, config, training=True, prefixes=prefixes.get("train"))
    validation_data = data.make_dataset(validation_tunes, config, training=False, prefixes=prefixes.get("validation"))
    return fit(lambda: melody_model.build(config), train_data, validation_data, run_dir, config.train,
               loss="sparse_categorical_crossentropy", strategy=strategy, verbose=verbose)


def model_config(config: MusicConfig, train_tunes: Sequence[np.ndarray],
                 train_prefixes: Sequence[np.ndarray] | None = None) -> dict[str, Any]:
    """config.json's app fields: the builder kwargs, the default primer distribution and, for a conditioned
    model, the training tunes' label combinations (what generation draws unasked labels from)."""
    from apps.music import data
    from apps.music.presets import model_kwargs

    saved = {"topology": "many_to_many", "model": model_kwargs(config),
             "first_event_probabilities": data.first_event_distribution(train_tunes)}
    if train_prefixes is not None:
        from apps.music.conditions import label_counts

        saved["condition_counts"] = label_counts(train_prefixes)
    return saved


def heldout_metrics(model: Any, saved: dict[str, Any], config: MusicConfig, train_tunes: Sequence[np.ndarray],
                    heldout_tunes: Sequence[np.ndarray], heldout_prefixes: Sequence[np.ndarray] | None = None) -> dict[str, Any]:
    """Held-out NLL/accuracy of the model and of the n-gram baseline (metrics.json)."""
    from apps.music import model as melody_model

    scores = melody_model.evaluate_sequences(melody_model.MelodyModel(model, saved, config), heldout_tunes,
                                             heldout_prefixes)
    baseline = baseline_metrics(train_tunes, heldout_tunes, config.ngram_order)
    return {"split": HELDOUT_SPLIT, "nll": scores["nll"], "accuracy": scores["accuracy"], "events": scores["events"],
            "baseline": {"name": f"{config.ngram_order}-gram, absolute discounting, transposed training tunes",
                         **baseline},
            "beats_baseline": bool(scores["nll"] < baseline["nll"])}


def train_on_tunes(config: MusicConfig, run_dir: Path, splits: dict[str, list[np.ndarray]], strategy: str = "default",
                   verbose: int = KERAS_VERBOSE, prefixes: dict[str, list] | None = None) -> Trained:
    """Fit, score and describe a model trained on ``splits`` (train, validation, test tunes; ``prefixes``:
    their control tokens, for a conditioned model)."""
    prefixes = prefixes or {}
    model, _ = fit_model(config, splits["train"], splits["validation"], run_dir, strategy, verbose, prefixes)
    saved = model_config(config, splits["train"], prefixes.get("train"))
    metrics = heldout_metrics(model, saved, config, splits["train"], splits[HELDOUT_SPLIT], prefixes.get(HELDOUT_SPLIT))
    return Trained(model, saved, metrics)


def train(run: TrainRun) -> Trained:
    """The framework's train hook: the corpus (or ``--data`` MIDI folder), split by tune."""
    from apps.music import data

    corpus = data.load_corpus(run.data, run.config.limit, show_progress=run.verbose)
    splits = {name: corpus.split(name) for name in ("train", "validation", HELDOUT_SPLIT)}
    if not all(splits.values()):
        raise UserError(f"{run.data or 'corpus'}: too few tunes to split ({len(corpus)}); use more (--set limit=N)")
    prefixes = None
    if run.config.conditioning:
        by_tune = data.condition_prefixes(corpus, show_progress=run.verbose)
        prefixes = {name: data.split_prefixes(corpus, name, by_tune) for name in splits}
    trained = train_on_tunes(run.config, run.run_dir, splits, run.strategy, KERAS_VERBOSE if run.verbose else 0,
                             prefixes)
    trained.data = {"data_dir": run.data, "limit": run.config.limit, "tunes": len(corpus)}
    return trained
