"""``evaluate``: held-out NLL and accuracy against the n-gram baseline; with ``--samples N``, the
statistics of N generated melodies next to the corpus's. Writes nothing unless ``--update-metrics``."""
from __future__ import annotations

import argparse
import sys

from suite.app import cli_of
from suite.cli import add_json_option, emit
from suite.errors import UserError

app = cli_of(__name__)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, metavar="DIR",
                        help="model directory with model.keras (default: the shipped model)")
    parser.add_argument("--samples", type=int, default=0, metavar="N",
                        help="also generate N melodies and compare their statistics with the corpus")
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling temperature for --samples")
    parser.add_argument("--top-k", type=int, default=None, metavar="K", help="sample among the K likeliest events for --samples")
    parser.add_argument("--split", default="test", choices=["validation", "test"], help="held-out tunes to score")
    parser.add_argument("--update-metrics", action="store_true",
                        help="write the results into the model directory's metrics.json (\"evaluation\")")
    add_json_option(parser)


def check_options(args: argparse.Namespace) -> None:
    if args.samples < 0:
        raise UserError(f"--samples {args.samples}: must be >= 0")
    if not args.temperature > 0:
        raise UserError(f"--temperature {args.temperature}: must be > 0")
    if args.top_k is not None and args.top_k < 1:
        raise UserError(f"--top-k {args.top_k}: must be at least 1")


def format_scores(record: dict) -> str:
    order = record["baseline_order"]
    return (f"{record['model']} on {record['split']}: {record['tunes']} tunes, {record['events']} events\n"
            f"{'':24} {'NLL/event':>10} {'accuracy':>10}\n"
            f"{'model':24} {record['nll']:>10.3f} {record['accuracy']:>10.3f}\n"
            f"{f'{order}-gram baseline':24} {record['baseline_nll']:>10.3f} {record['baseline_accuracy']:>10.3f}")


@app.command("evaluate", "held-out NLL/accuracy vs the n-gram baseline; --samples N compares generated melodies",
             arguments)
def evaluate(args: argparse.Namespace) -> int:
    check_options(args)
    from apps.music import data, model as melody_model
    from apps.music.stats import format_comparison, generated_notes, statistics_record
    from apps.music.training import baseline_metrics
    from suite.modeldir import update_metrics

    melody = melody_model.load(args.model)
    settings = melody.music
    corpus = data.load_corpus(melody.config.get("data", {}).get("data_dir"), settings.limit, show_progress=not args.json)
    heldout = corpus.split(args.split)
    scores = melody_model.evaluate_sequences(melody, heldout)
    baseline = baseline_metrics(corpus.split("train"), heldout, settings.ngram_order)
    record = {"model": str(melody.source), "split": args.split, "tunes": len(heldout), "events": scores["events"],
              "nll": scores["nll"], "accuracy": scores["accuracy"],
              "baseline_nll": baseline["nll"], "baseline_accuracy": baseline["accuracy"],
              "baseline_order": settings.ngram_order, "temperature": args.temperature, "top_k": args.top_k}
    text = format_scores(record)
    if args.samples:
        comparison = statistics_record(heldout, generated_notes(melody, args.samples, args.temperature, args.top_k))
        record["statistics"] = comparison
        text += "\n\n" + format_comparison(comparison["corpus"], comparison["generated"])
    if args.update_metrics:
        update_metrics(melody.source, evaluation=record)
        print(f"updated {melody.source}/metrics.json", file=sys.stderr)
    emit(record, args.json, text)
    return 0
