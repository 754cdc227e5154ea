"""``prepare-data``: parse the folk corpus (or ``--data DIR`` of MIDI files) once and cache it."""
from __future__ import annotations

import argparse
import sys

from apps.music import corpus
from apps.music.cli import app
from suite.cli import add_json_option, emit


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """--data/--limit/--workers, shared by every command that reads the corpus."""
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="a folder of MIDI files to use instead of music21's folk corpus")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="use a deterministic subset of N tunes (for quick runs)")
    parser.add_argument("--workers", type=int, default=2, metavar="N", help="parallel parsing processes")


def arguments(parser: argparse.ArgumentParser) -> None:
    add_data_options(parser)
    parser.add_argument("--rebuild", action="store_true", help="parse again even if a cache exists")
    add_json_option(parser)


@app.command("prepare-data", "parse the melody corpus once into an encoded, cached dataset", arguments)
def prepare_data(args: argparse.Namespace) -> int:
    dataset, path, cached = corpus.prepare(args.data, limit=args.limit, workers=args.workers, rebuild=args.rebuild)
    print(f"cache: {path}{' (already prepared)' if cached else ''}", file=sys.stderr)
    record = {"cache": str(path), "cached": cached, **dataset.summary(), **dataset.info}
    text = (f"{record['tunes']} tunes, {record['events']} events "
            f"(train {record['train_tunes']}, validation {record['validation_tunes']}, test {record['test_tunes']}); "
            f"skipped {record['skipped_total']}: {record['skipped'] or 'none'}; cache {path}")
    emit(record, args.json, text)
    return 0
