"""``generate``: write melodies as MIDI (and optionally WAV and a piano-roll PNG) from a trained model.

The melody is the primer (if any) followed by ``--bars`` bars of generated 16th-note events. With
``--count N`` the files are FILE-1.mid ... FILE-N.mid. Every option is checked before any model is
loaded, and every file is written atomically: a bad option writes nothing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from apps.music.cli import app
from apps.music.encoding import STEPS_PER_BAR, STEPS_PER_QUARTER
from suite.cli import add_json_option, emit
from suite.errors import UserError

MAX_BARS = 1024  # far beyond any tune; a typo like --bars 80000 should not run for hours
MAX_COUNT = 1000


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE.mid", help="MIDI file to write")
    primer = parser.add_mutually_exclusive_group()
    primer.add_argument("--primer", metavar="FILE.mid", help="continue this melody (a polyphonic file gives its top line)")
    primer.add_argument("--primer-notes", metavar="NOTES", help='continue these notes, e.g. "C4 E4 G4" (quarter notes)')
    parser.add_argument("--bars", type=int, default=8, help="bars of 16 sixteenth notes to generate (default 8)")
    parser.add_argument("--temperature", type=float, default=1.0, help="< 1 safer, > 1 wilder (default 1.0)")
    parser.add_argument("--top-k", type=int, default=None, metavar="K", help="sample only among the K likeliest events")
    parser.add_argument("--beam", type=int, default=None, metavar="N", help="beam search with N beams (melody_rnn style)")
    parser.add_argument("--seed", type=int, default=None, help="the same seed gives the same melody")
    parser.add_argument("--qpm", type=float, default=120.0, help="tempo in quarter notes per minute (default 120)")
    parser.add_argument("--count", type=int, default=1, metavar="N", help="how many melodies (default 1)")
    parser.add_argument("--wav", action="store_true", help="also write FILE.wav")
    parser.add_argument("--png", action="store_true", help="also write a piano roll FILE.png")
    parser.add_argument("--model", default=None, metavar="DIR", help="model directory (default: the shipped model)")
    add_json_option(parser)


def check_options(args: argparse.Namespace) -> None:
    """UserError for an impossible option, before anything is loaded or written."""
    if not 1 <= args.bars <= MAX_BARS:
        raise UserError(f"--bars {args.bars}: must be between 1 and {MAX_BARS}")
    if not args.temperature > 0 or not np.isfinite(args.temperature):
        raise UserError(f"--temperature {args.temperature}: must be a positive number")
    if args.top_k is not None and args.top_k < 1:
        raise UserError(f"--top-k {args.top_k}: must be at least 1")
    if args.beam is not None and args.beam < 1:
        raise UserError(f"--beam {args.beam}: must be at least 1")
    if not args.qpm > 0 or not np.isfinite(args.qpm):
        raise UserError(f"--qpm {args.qpm}: must be a positive number")
    if not 1 <= args.count <= MAX_COUNT:
        raise UserError(f"--count {args.count}: must be between 1 and {MAX_COUNT}")
    if Path(args.out).suffix.lower() not in (".mid", ".midi"):
        raise UserError(f"--out {args.out}: expected a .mid file name")
    if not Path(args.out).resolve().parent.is_dir():
        raise UserError(f"--out {args.out}: folder {Path(args.out).parent} does not exist")


def read_primer(args: argparse.Namespace) -> np.ndarray | None:
    """The primer's events, or None."""
    from apps.music.encoding import encode
    from apps.music.midi import parse_primer_notes, read_midi_melody

    if args.primer:
        return encode(read_midi_melody(args.primer)).astype(np.int64)
    if args.primer_notes is not None:
        return encode(parse_primer_notes(args.primer_notes)).astype(np.int64)
    return None


def output_paths(out: str, count: int) -> list[Path]:
    path = Path(out)
    if count == 1:
        return [path]
    return [path.with_name(f"{path.stem}-{index}{path.suffix}") for index in range(1, count + 1)]


def generate_events(melody, primer: np.ndarray | None, args: argparse.Namespace) -> list[np.ndarray]:
    """One event sequence per requested melody."""
    from apps.music.generation import beam_search, make_scorer, sample

    steps = args.bars * STEPS_PER_BAR
    scorer = make_scorer(melody)
    if args.beam:
        base_seed = args.seed if args.seed is not None else int(np.random.SeedSequence().entropy % 2**31)
        return [beam_search(melody, steps, args.beam, primer, args.temperature, args.top_k, base_seed + index, scorer)[0]
                for index in range(args.count)]
    return list(sample(melody, steps, primer, args.count, args.temperature, args.top_k, args.seed, scorer))


@app.command("generate", "generate melodies (MIDI, optional WAV and piano roll) with the shipped or a trained model", arguments)
def generate(args: argparse.Namespace) -> int:
    check_options(args)
    primer = read_primer(args)
    from apps.music import model as melody_model
    from apps.music.encoding import decode
    from apps.music.midi import write_midi
    from apps.music.render import render_piano_roll, render_wav

    melody = melody_model.load_for_generation(args.model)
    for path, events in zip(output_paths(args.out, args.count), generate_events(melody, primer, args)):
        notes = decode(events)
        write_midi(notes, path, qpm=args.qpm)
        record = {"midi": str(path), "notes": len(notes), "events": len(events),
                  "seconds": round(len(events) * 60.0 / args.qpm / STEPS_PER_QUARTER, 2)}
        if args.wav:
            record["wav"] = str(path.with_suffix(".wav"))
            record["wav_renderer"] = render_wav(notes, record["wav"], qpm=args.qpm)
        if args.png:
            record["png"] = str(path.with_suffix(".png"))
            render_piano_roll(notes, record["png"], title=path.stem)
        emit(record, args.json, f"wrote {path}: {len(notes)} notes, {record['seconds']} s"
             + "".join(f", {record[key]}" for key in ("wav", "png") if key in record))
    if args.seed is None:
        print("note: pass --seed S to get the same melody again", file=sys.stderr)
    return 0
