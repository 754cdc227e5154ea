"""``ensemble DIR DIR... --out DIR``: trained models that decode as one, scored on the validation and test splits."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import Any

from suite.app import cli_of
from suite.cli import EXIT_USER_ERROR, add_json_option, emit
from suite.errors import UserError

from apps.g2p.commands.predict import MAX_BEAM

app = cli_of(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("members", nargs="+", metavar="DIR", help="trained g2p model directories (two or more)")
    parser.add_argument("--out", required=True, metavar="DIR", help="the ensemble's folder (replaced if it exists)")
    parser.add_argument("--beam", type=int, default=0, metavar="K",
                        help="also score a K-wide beam search on the test split (default: greedy only)")
    add_json_option(parser)


@app.command("ensemble", help="join trained models into one that averages their predictions; score it",
             arguments=_arguments)
def ensemble_command(args: argparse.Namespace) -> int:
    from apps.g2p import ensemble
    from suite.atomic import atomic_path

    folders = [Path(member) for member in args.members]
    if len(folders) < 2:
        raise UserError("an ensemble needs two or more member directories")
    if not 0 <= args.beam <= MAX_BEAM:
        raise UserError(f"--beam {args.beam}: expected 1 to {MAX_BEAM} (0: greedy only)")
    first = ensemble.check_members(folders)[0]  # before anything is written
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    command = shlex.join(["python", "-m", "apps.g2p", "ensemble", *args.members, "--out", args.out]
                         + (["--beam", str(args.beam)] if args.beam else []))
    with atomic_path(out, is_dir=True) as folder:
        config = ensemble.assemble(folders, first, folder, command)
        metrics = ensemble.scores(folder, config, args.beam)
        (folder / "metrics.json").write_text(json_text(metrics))
    emit({"model_dir": str(out), **metrics}, args.json, text=summary(out, metrics))
    failed = [backend for backend, entry in metrics["int8"].items() if not entry["passed"]]
    if failed:
        print(f"error: the int8 {', '.join(failed)} ensemble lost more WER than the gate allows (see metrics.json)",
              file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


def summary(out: Path, metrics: dict[str, Any]) -> str:
    lines = [f"saved {out}: {' + '.join(metrics['members'])}",
             f"  validation   WER {metrics['validation']['wer']:6.2f}%  PER {metrics['validation']['per']:6.2f}%",
             f"  test         WER {metrics['wer']:6.2f}%  PER {metrics['per']:6.2f}%"]
    if "test_beam" in metrics:
        beam = metrics["test_beam"]
        lines.append(f"  test beam {beam['width']:<2d} WER {beam['wer']:6.2f}%  PER {beam['per']:6.2f}%")
    for backend, entry in metrics["int8"].items():
        verdict = "passes" if entry["passed"] else "FAILS"
        lines.append(f"  int8 {backend:7s} WER {entry['wer']:6.2f}%  PER {entry['per']:6.2f}%  "
                     f"({entry['wer_increase']:+.2f} points, {verdict} the {entry['threshold']}-point gate)")
    return "\n".join(lines)


def json_text(value: Any) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True)
