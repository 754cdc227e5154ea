"""``evaluate``: held-out NLL and accuracy against the n-gram baseline; with ``--samples N``, N generated
8-bar melodies per sampling mode (greedy, sampling, top-k, beam) against the held-out tunes' first 8 bars
(``apps/music/evaluation.py``: histogram distances, density, range, key, holds, repetition and a two-sample
classifier). Generation runs the model directory's exported step model when it has one (as ``generate``),
else the Keras step model. Writes nothing unless ``--update-metrics``."""
from __future__ import annotations

import argparse
import sys

from apps.music.commands.generate import cache_settings, check_cache_weight
from suite.app import cli_of
from suite.cli import add_json_option, emit
from suite.errors import UserError

app = cli_of(__name__)
SAMPLING_MODE_NAMES = ("greedy", "sampling", "top-k", "beam")  # evaluation.SAMPLING_MODES, named without numpy


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, metavar="DIR",
                        help="model directory with model.keras (default: the shipped model)")
    parser.add_argument("--samples", type=int, default=0, metavar="N",
                        help="also generate N 8-bar melodies per sampling mode and compare them with held-out tunes")
    parser.add_argument("--modes", default=",".join(SAMPLING_MODE_NAMES), metavar="LIST",
                        help=f"sampling modes for --samples (default {','.join(SAMPLING_MODE_NAMES)})")
    parser.add_argument("--temperature", type=float, default=1.0, help="temperature of sampling, top-k and beam")
    parser.add_argument("--top-k", type=int, default=8, metavar="K", help="K of the top-k mode (default 8)")
    parser.add_argument("--beam", type=int, default=4, metavar="N", help="beams of the beam mode (default 4)")
    parser.add_argument("--cache-weight", type=float, default=None, metavar="W",
                        help="weight of the cache model in generation and in the cached NLL (default: the model's "
                             "config.json; 0: off)")
    parser.add_argument("--conditions", type=int, default=0, metavar="N",
                        help="a conditioned model: generate N melodies per asked key, meter and style and measure "
                             "whether they follow (music21 key analysis, meter and style classifiers fitted on the corpus)")
    parser.add_argument("--split", default="test", choices=["validation", "test"], help="held-out tunes to score")
    parser.add_argument("--update-metrics", action="store_true",
                        help="write the results into the model directory's metrics.json (\"evaluation\")")
    add_json_option(parser)


def check_options(args: argparse.Namespace) -> None:
    if args.samples < 0 or 0 < args.samples < 5:  # the two-sample test's 5 folds
        raise UserError(f"--samples {args.samples}: must be 0 or at least 5")
    if not args.temperature > 0:
        raise UserError(f"--temperature {args.temperature}: must be > 0")
    check_cache_weight(args.cache_weight)
    if args.conditions < 0:
        raise UserError(f"--conditions {args.conditions}: must be >= 0")
    if args.top_k < 1:
        raise UserError(f"--top-k {args.top_k}: must be at least 1")
    if args.beam < 1:
        raise UserError(f"--beam {args.beam}: must be at least 1")
    unknown = [mode for mode in args.modes.split(",") if mode not in SAMPLING_MODE_NAMES]
    if unknown or not args.modes:
        raise UserError(f"--modes {args.modes}: expected a comma-separated list of {', '.join(SAMPLING_MODE_NAMES)}")


def format_scores(record: dict) -> str:
    order = record["baseline_order"]
    cached = (f"{'model + cache (w ' + str(record['cache']['weight']) + ')':24} {record['nll_cached']:>10.3f} "
              f"{record['accuracy_cached']:>10.3f}\n" if "nll_cached" in record else "")
    return (f"{record['model']} on {record['split']}: {record['tunes']} tunes, {record['events']} events\n"
            f"{'':24} {'NLL/event':>10} {'accuracy':>10}\n"
            f"{'model':24} {record['nll']:>10.3f} {record['accuracy']:>10.3f}\n" + cached +
            f"{f'{order}-gram baseline':24} {record['baseline_nll']:>10.3f} {record['baseline_accuracy']:>10.3f}")


@app.command("evaluate", "held-out NLL/accuracy vs the n-gram baseline; --samples N compares generated melodies",
             arguments)
def evaluate(args: argparse.Namespace) -> int:
    check_options(args)
    from apps.music import data, model as melody_model
    from apps.music.evaluation import format_modes
    from apps.music.training import baseline_metrics
    from suite.modeldir import update_metrics

    melody = melody_model.load(args.model)
    if args.conditions and not melody.conditioned:
        raise melody.unconditioned_error("--conditions")
    settings = melody.music
    corpus = data.load_corpus(melody.config.get("data", {}).get("data_dir"), settings.limit, show_progress=not args.json)
    heldout = corpus.split(args.split)
    prefixes = None
    if melody.conditioned:
        by_tune = data.condition_prefixes(corpus, show_progress=not args.json)
        prefixes = {name: data.split_prefixes(corpus, name, by_tune) for name in ("train", args.split)}
    tunes = melody_model.tune_rows(melody, heldout, prefixes=None if prefixes is None else prefixes[args.split])
    scores = melody_model.tune_metrics(tunes)
    cache = cache_settings(melody, args.cache_weight)
    baseline = baseline_metrics(corpus.split("train"), heldout, settings.ngram_order)
    record = {"model": str(melody.source), "split": args.split, "tunes": len(heldout), "events": scores["events"],
              "nll": scores["nll"], "accuracy": scores["accuracy"],
              "baseline_nll": baseline["nll"], "baseline_accuracy": baseline["accuracy"],
              "baseline_order": settings.ngram_order}
    if cache.on:  # the model mixed with each tune's cache of its own earlier events, as generation runs it
        cached = melody_model.tune_metrics(tunes, cache)  # the same model rows, mixed
        record.update(cache=cache.to_dict(), nll_cached=cached["nll"], accuracy_cached=cached["accuracy"])
    text = format_scores(record)
    if args.samples:
        record["samples"] = compare_samples(melody, heldout, args, cache)
        text += "\n\n" + format_modes(record["samples"])
    if args.conditions:
        from apps.music.adherence import condition_report, format_report

        generator = exported_or_keras(melody)
        record["conditions"] = condition_report(generator, (corpus.split("train"), prefixes["train"]),
                                                (heldout, prefixes[args.split]), args.conditions, cache=cache)
        text += "\n\n" + format_report(record["conditions"])
    if args.update_metrics:
        update_metrics(melody.source, evaluation=record)
        print(f"updated {melody.source}/metrics.json", file=sys.stderr)
    emit(record, args.json, text)
    return 0


def exported_or_keras(keras_melody):
    """The model directory's exported TFLite step model when it has one (what generate runs), else the Keras one."""
    from apps.music.model import STEP_FILES, open_model, resolve

    if (keras_melody.source / f"{STEP_FILES['tflite']}.tflite").is_file():
        return open_model(resolve(keras_melody.source))
    return keras_melody


def compare_samples(keras_melody, heldout: list, args: argparse.Namespace, cache) -> dict:
    """``--samples`` melodies per mode, generated by the exported step model when there is one."""
    from apps.music import evaluation

    melody = exported_or_keras(keras_melody)
    settings = evaluation.ModeSettings(args.temperature, args.top_k, args.beam, cache)
    modes = args.modes.split(",")
    excerpts = evaluation.corpus_excerpts(heldout)
    if len(excerpts) < evaluation.CLASSIFIER_FOLDS:
        raise UserError(f"{keras_melody.source}: {len(excerpts)} held-out tunes of {evaluation.EXCERPT_EVENTS} events "
                        f"or more; --samples needs at least {evaluation.CLASSIFIER_FOLDS}")
    generated = evaluation.generate_modes(melody, modes, args.samples, settings)
    record = evaluation.compare_modes(excerpts, generated)
    record.update(samples=args.samples, generator=str(melody.step_file or "keras step model"),
                  temperature=args.temperature, top_k=args.top_k, beam=args.beam, cache=cache.to_dict())
    return record
