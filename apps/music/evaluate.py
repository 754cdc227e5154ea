"""``evaluate``: held-out NLL and accuracy against the n-gram baseline; with ``--samples N``, the
statistics of N generated melodies next to the corpus's."""
from __future__ import annotations

import argparse
import sys

from apps.music.cli import app
from apps.music.encoding import STEPS_PER_BAR
from suite.cli import add_json_option, emit
from suite.errors import UserError

SAMPLE_BARS = 8  # what `generate` writes by default; corpus tunes have a median of ~160 events (10 bars)
KEY_SAMPLE = 200  # melodies whose key music21 analyses (about 20 ms each)
SAMPLE_SEED = 0


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, metavar="DIR", help="model directory (default: the shipped model)")
    parser.add_argument("--samples", type=int, default=0, metavar="N",
                        help="also generate N melodies and compare their statistics with the corpus")
    parser.add_argument("--temperature", type=float, default=1.0, help="sampling temperature for --samples")
    parser.add_argument("--top-k", type=int, default=None, metavar="K", help="sample among the K likeliest events for --samples")
    parser.add_argument("--split", default="test", choices=["validation", "test"], help="held-out tunes to score")
    parser.add_argument("--update-metrics", action="store_true",
                        help="write the results into the model directory's metrics.json")
    add_json_option(parser)


def generated_statistics(melody, count: int, temperature: float, top_k: int | None = None) -> list:
    """Notes of ``count`` sampled melodies of SAMPLE_BARS bars (one batch, fixed seed)."""
    from apps.music.encoding import decode
    from apps.music.generation import sample

    events = sample(melody, SAMPLE_BARS * STEPS_PER_BAR, count=count, temperature=temperature, top_k=top_k,
                    seed=SAMPLE_SEED)
    return [decode(row) for row in events]


def corpus_excerpts(tunes, events: int = SAMPLE_BARS * STEPS_PER_BAR) -> list:
    """The first ``events`` events of each tune (shorter tunes whole): measured like generated melodies.

    Whole tunes would give longer melodies (a wider pitch range, a steadier key estimate) than the
    8-bar samples they are compared with.
    """
    return [tune[:events] for tune in tunes]


def statistics_record(corpus_tunes, generated) -> dict:
    from apps.music.encoding import decode
    from apps.music.stats import compare, melody_statistics

    corpus_stats = melody_statistics([decode(events) for events in corpus_excerpts(corpus_tunes)], key_sample=KEY_SAMPLE)
    generated_stats = melody_statistics(generated, key_sample=KEY_SAMPLE)
    return {"corpus": corpus_stats, "generated": generated_stats, "difference": compare(corpus_stats, generated_stats)}


@app.command("evaluate", "held-out NLL/accuracy vs the n-gram baseline; --samples N compares generated melodies", arguments)
def evaluate(args: argparse.Namespace) -> int:
    if args.samples < 0:
        raise UserError(f"--samples {args.samples}: must be >= 0")
    if not args.temperature > 0:
        raise UserError(f"--temperature {args.temperature}: must be > 0")
    if args.top_k is not None and args.top_k < 1:
        raise UserError(f"--top-k {args.top_k}: must be at least 1")
    from apps.music import dataset, model as melody_model
    from apps.music.stats import format_comparison
    from apps.music.train import baseline_metrics
    from suite.modeldir import update_metrics

    melody = melody_model.load(args.model)
    data = melody.config.get("data", {})
    corpus = dataset.load_corpus(data.get("data_dir"), data.get("limit"))
    heldout = corpus.split(args.split)
    scores = melody_model.evaluate_sequences(melody, heldout)
    baseline = baseline_metrics(corpus.split("train"), heldout, melody.music.ngram_order)
    record = {"split": args.split, "tunes": len(heldout), "events": scores["events"],
              "nll": scores["nll"], "accuracy": scores["accuracy"],
              "baseline_nll": baseline["nll"], "baseline_accuracy": baseline["accuracy"],
              "baseline_order": melody.music.ngram_order, "temperature": args.temperature, "top_k": args.top_k}
    text = (f"{args.split}: {len(heldout)} tunes, {scores['events']} events\n"
            f"{'':24} {'NLL/event':>10} {'accuracy':>10}\n"
            f"{'model':24} {scores['nll']:>10.3f} {scores['accuracy']:>10.3f}\n"
            f"{f'{melody.music.ngram_order}-gram baseline':24} {baseline['nll']:>10.3f} {baseline['accuracy']:>10.3f}")
    if args.samples:
        comparison = statistics_record(heldout, generated_statistics(melody, args.samples, args.temperature, args.top_k))
        record["statistics"] = comparison
        text += "\n\n" + format_comparison(comparison["corpus"], comparison["generated"])
    if args.update_metrics:
        target = args.model or str(melody_model.SHIPPED_MODEL_DIR)
        update_metrics(target, evaluation=record)
        print(f"updated {target}/metrics.json", file=sys.stderr)
    emit(record, args.json, text)
    return 0
