"""``prepare-data --out DIR`` (alias ``make-data``): synthesize a Speech Commands-layout folder with espeak-ng."""
from __future__ import annotations

import argparse

from suite.app import cli_of
from suite.cli import add_json_option, emit

app = cli_of(__name__)
DEFAULT_PER_WORD = 40  # clips per word (35 words): about a minute on 2 cores


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="folder to create (replaced only if made by prepare-data)")
    parser.add_argument("--per-word", type=int, default=DEFAULT_PER_WORD,
                        help=f"clips per word (35 words); default {DEFAULT_PER_WORD}")
    parser.add_argument("--seed", type=int, default=0, help="random seed; same seed, same files")
    parser.add_argument("--workers", type=int, default=1, help="parallel worker processes")
    add_json_option(parser)


@app.command("prepare-data", help="synthesize a Speech Commands-layout folder with espeak-ng voices",
             arguments=_arguments, aliases=("make-data",))
def prepare_data_command(args: argparse.Namespace) -> int:
    from apps.speech.data import make_data

    manifest = make_data(args.out, per_word=args.per_word, seed=args.seed, workers=args.workers,
                         show_progress=not args.json)
    counts = manifest["clips"]
    emit({"out": args.out, "clips": counts, "data_version": manifest["data_version"]}, args.json,
         f"{args.out}: {sum(counts.values())} clips (training {counts['training']}, validation "
         f"{counts['validation']}, testing {counts['testing']})")
    return 0
