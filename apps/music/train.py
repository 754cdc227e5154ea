"""``train``: fit a preset on the corpus, score it against the n-gram baseline, save a model directory."""
from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from apps.music.cli import app
from apps.music.prepare_data import add_data_options
from suite.cli import add_config_options, add_json_option, add_strategy_option, emit
from suite.errors import UserError

DEFAULT_OUT = "runs/music/model"
HELDOUT_SPLIT = "test"  # validation steers early stopping, so the reported numbers use test


def arguments(parser: argparse.ArgumentParser) -> None:
    from apps.music.preset_names import DEFAULT_PRESET, PRESET_NAMES

    add_config_options(parser, PRESET_NAMES, DEFAULT_PRESET)
    add_data_options(parser)
    add_strategy_option(parser)
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help="model directory to write")
    parser.add_argument("--run-dir", default=None, metavar="DIR",
                        help="checkpoints, logs and history (default: OUT.run); a killed run resumes from here")
    parser.add_argument("--quiet", action="store_true", help="no per-epoch lines or progress bars")
    add_json_option(parser)


def resolve_config(args: argparse.Namespace):
    """The preset with --set and --limit applied; UserError on a bad key or value."""
    from apps.music import presets

    try:
        config = presets.resolve(args.config, args.overrides)
        if args.limit is not None:
            config = dataclasses.replace(config, limit=args.limit)
    except ValueError as error:
        raise UserError(f"--set: {error}") from None
    return config


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run, for metrics.json."""
    parts = ["python -m apps.music train", f"--config {args.config}"]
    parts += [f"--set {override}" for override in args.overrides]
    if args.data:
        parts.append(f"--data {args.data}")
    if args.limit is not None:
        parts.append(f"--limit {args.limit}")
    parts.append(f"--out {args.out}")
    return " ".join(parts)


def baseline_metrics(train, heldout, order: int) -> dict:
    """The smoothed n-gram (fitted on transposed training tunes) on the held-out tunes."""
    from apps.music.corpus import augment_by_transposition
    from apps.music.ngram import fit_ngram

    return fit_ngram(augment_by_transposition(train), order=order).evaluate(heldout)


def fit_model(config, train_tunes, validation_tunes, run_dir: str | Path, strategy: str = "default",
              verbose: int = 2):
    """Train the preset's model on event sequences; returns (model, history)."""
    from apps.music import dataset, model as melody_model
    from suite.training import fit, seed_everything

    run_dir = Path(run_dir)
    if not (run_dir / "backup").exists():
        (run_dir / "history.csv").unlink(missing_ok=True)  # a fresh run: no rows of an older one
    seed_everything(config.train.seed)  # before the pipelines: their shuffles take the global seed
    train_data = dataset.make_dataset(train_tunes, config, training=True)
    validation_data = dataset.make_dataset(validation_tunes, config, training=False)
    return fit(lambda: melody_model.build(config), train_data, validation_data, run_dir, config.train,
               loss="sparse_categorical_crossentropy", strategy=strategy, verbose=verbose)


def save_trained(out: str | Path, model, config, preset: str, train_tunes, heldout_tunes, data_info: dict,
                 command: str, run_dir: str | Path | None = None) -> dict:
    """Score the model and the n-gram baseline on the held-out tunes and write the model directory."""
    from apps.music import dataset, model as melody_model
    from apps.music.presets import config_dict, model_kwargs
    from suite.config import to_dict
    from suite.modeldir import save_model_dir

    saved_config = {
        "app": "music", "task": "generation", "topology": "many_to_many", "model": model_kwargs(config),
        "preset": preset, "train": to_dict(config.train), "music": config_dict(config), "data": data_info,
        "first_event_probabilities": dataset.first_event_distribution(train_tunes),
    }
    scores = melody_model.evaluate_sequences(melody_model.MelodyModel(model, saved_config, config), heldout_tunes)
    baseline = baseline_metrics(train_tunes, heldout_tunes, config.ngram_order)
    metrics = {"split": HELDOUT_SPLIT, "nll": scores["nll"], "accuracy": scores["accuracy"], "events": scores["events"],
               "baseline": {"name": f"{config.ngram_order}-gram, absolute discounting, transposed training tunes",
                            **baseline},
               "beats_baseline": bool(scores["nll"] < baseline["nll"]), "command": command}
    extra = {name: Path(run_dir) / name for name in ("history.csv", "training_curve.png")} if run_dir else {}
    save_model_dir(out, model, saved_config, metrics, extra_files=extra)
    return metrics


@app.command("train", "train a melody model on the folk corpus (or --data DIR of MIDI files)", arguments)
def train(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    from apps.music import dataset

    corpus = dataset.load_corpus(args.data, config.limit, show_progress=not args.quiet)
    train_tunes, validation_tunes, heldout_tunes = (corpus.split(name) for name in ("train", "validation", HELDOUT_SPLIT))
    if not train_tunes or not validation_tunes or not heldout_tunes:
        raise UserError(f"{args.data or 'corpus'}: too few tunes to split ({len(corpus)}); use more (--limit)")
    run_dir = Path(args.run_dir or f"{args.out}.run")
    model, history = fit_model(config, train_tunes, validation_tunes, run_dir, args.strategy, 0 if args.quiet else 2)
    data_info = {"data_dir": args.data, "limit": config.limit, "tunes": len(corpus)}
    metrics = save_trained(args.out, model, config, args.config, train_tunes, heldout_tunes, data_info,
                           command_line(args), run_dir)
    print(f"model directory: {args.out}", file=sys.stderr)
    text = (f"held-out ({HELDOUT_SPLIT}) NLL {metrics['nll']:.3f} nats/event, accuracy {metrics['accuracy']:.3f}; "
            f"{config.ngram_order}-gram baseline NLL {metrics['baseline']['nll']:.3f}, "
            f"accuracy {metrics['baseline']['accuracy']:.3f}; {len(history.get('loss', []))} epochs; saved {args.out}")
    emit({"out": args.out, **metrics}, args.json, text)
    return 0
