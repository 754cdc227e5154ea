"""``info``: what a video file or a dataset folder holds, as the model would see it.

For a file: decoded frame count, frame rate and native size, and optionally a contact sheet PNG
of the N uniformly sampled, resized frames the model gets. For a folder: clips per class and split.
"""
from __future__ import annotations

import argparse

from suite.app import cli_of
from suite.cli import add_json_option, emit
from suite.errors import UserError

app = cli_of(__name__)
DEFAULT_NUM_FRAMES = 16  # apps.video.decode.DEFAULT_NUM_FRAMES (a test keeps them equal)
SHEET_SIZE = 64  # square side of the contact sheet's tiles: large enough to see the object's shape


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="video files (.mp4, .avi) or dataset folders")
    parser.add_argument("--frames", type=int, default=DEFAULT_NUM_FRAMES, help="frames sampled for --sheet")
    parser.add_argument("--size", type=int, default=SHEET_SIZE, help="square side the sampled frames are resized to")
    parser.add_argument("--sheet", metavar="FILE.png", help="write a PNG of the sampled frames of the one FILE given")
    add_json_option(parser)


@app.command("info", help="describe video files or a dataset folder", arguments=arguments)
def info(args: argparse.Namespace) -> int:
    from pathlib import Path

    from apps.video.decode import describe, write_contact_sheet
    from suite.app.models import check_output_file

    if args.frames < 1 or args.size < 1:
        raise UserError("--frames and --size must be at least 1")
    if args.sheet:
        if Path(args.sheet).is_dir():
            raise UserError(f"{args.sheet}: is a folder; --sheet needs a .png file path")
        check_output_file(args.sheet, (".png",))
        if len(args.paths) != 1:
            raise UserError("--sheet: give exactly one video file")
    records = [describe(path) for path in args.paths]  # every input is checked before anything is written
    if args.sheet:
        write_contact_sheet(args.sheet, args.paths[0], args.frames, args.size)
    for record in records:
        emit(record, args.json)
    return 0
