"""``prepare-data --out DIR`` (alias ``make-data``): synthesize a Speech Commands-layout folder with espeak-ng, flite
and festival voices (``--engines``; flite and festival are Debian packages, see apps/speech/engines.py)."""
from __future__ import annotations

import argparse

from apps.speech.engines import DEFAULT_ENGINES
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
    parser.add_argument("--engines", default=",".join(DEFAULT_ENGINES), metavar="LIST",
                        help=f"comma-separated synthesis engines (default {','.join(DEFAULT_ENGINES)})")
    parser.add_argument("--skip-missing-engines", action="store_true",
                        help="go on without engines that are not installed (one line says which); "
                             "without it a missing engine is an error")
    add_json_option(parser)


@app.command("prepare-data", help="synthesize a Speech Commands-layout folder with espeak-ng, flite and festival voices",
             arguments=_arguments, aliases=("make-data",))
def prepare_data_command(args: argparse.Namespace) -> int:
    from apps.speech.data import make_data

    manifest = make_data(args.out, per_word=args.per_word, seed=args.seed, workers=args.workers,
                         show_progress=not args.json, engine_names=tuple(filter(None, args.engines.split(","))),
                         skip_missing=args.skip_missing_engines)
    counts = manifest["clips"]
    emit({"out": args.out, "clips": counts, "data_version": manifest["data_version"], "engines": manifest["engines"]},
         args.json,
         f"{args.out}: {sum(counts.values())} clips (training {counts['training']}, validation "
         f"{counts['validation']}, testing {counts['testing']})")
    return 0
