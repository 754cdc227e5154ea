"""``prepare-data`` (alias ``make-data``): render a UCF101-style folder of motion clips (apps/video/data.py)."""
from __future__ import annotations

import argparse

from suite.app import cli_of
from suite.cli import add_json_option, emit

app = cli_of(__name__)
RENDERER_CHOICES = ("alt", "independent", "main")  # apps.video.data.RENDERER_IDS, listed so --help stays light
DEFAULT_CLIPS_PER_CLASS = 100  # apps.video.data.DEFAULT_CLIPS_PER_CLASS (a test keeps them equal)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="folder to create (class subfolders of .mp4/.avi clips)")
    parser.add_argument("--clips-per-class", type=int, default=DEFAULT_CLIPS_PER_CLASS, help="clips rendered per class")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed renders the same clips")
    parser.add_argument("--renderer", default="main", choices=RENDERER_CHOICES,
                        help="main (the training renderer), alt (its PIL variant) or independent (shares no code with "
                             "the training renderer; for evaluation only)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it already holds files")
    add_json_option(parser)


@app.command("prepare-data", help="render a UCF101-style folder of motion clips", arguments=arguments,
             aliases=("make-data",))
def prepare_data(args: argparse.Namespace) -> int:
    from apps.video.data import render_folder

    summary = render_folder(args.out, args.clips_per_class, args.seed, args.renderer, args.overwrite)
    text = (f"wrote {summary['clips']} clips ({summary['classes']} classes, renderer {summary['renderer']}) "
            f"to {summary['out']} in {summary['seconds']} s ({summary['clips_per_second']} clips/s)")
    emit(summary, args.json, text)
    return 0
