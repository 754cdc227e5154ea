"""``prepare-data``: parse the folk corpus (or ``--data DIR`` of MIDI files) once and cache it."""
from __future__ import annotations

import argparse
import sys

from suite.app import cli_of
from suite.cli import add_json_option, emit

app = cli_of(__name__)
DEFAULT_WORKERS = 2  # parsing processes: the machines this runs on have 2+ cores


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="DIR", default=None,
                        help="a folder of MIDI files to use instead of music21's folk corpus")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="use a deterministic subset of N tunes (train takes it as --set limit=N)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, metavar="N", help="parallel parsing processes")
    parser.add_argument("--rebuild", action="store_true", help="parse again even if a cache exists")
    add_json_option(parser)


@app.command("prepare-data", "parse the melody corpus once into an encoded, cached dataset", arguments)
def prepare_data(args: argparse.Namespace) -> int:
    from apps.music import corpus

    dataset, path, cached = corpus.prepare(args.data, limit=args.limit, workers=args.workers, rebuild=args.rebuild,
                                           show_progress=not args.json)
    print(f"cache: {path}{' (already prepared)' if cached else ''}", file=sys.stderr)
    record = {"cache": str(path), "cached": cached, **dataset.summary(), **dataset.info}
    text = (f"{record['tunes']} tunes, {record['events']} events "
            f"(train {record['train_tunes']}, validation {record['validation_tunes']}, test {record['test_tunes']}); "
            f"skipped {record['skipped_total']}: {record['skipped'] or 'none'}; cache {path}")
    emit(record, args.json, text)
    return 0
