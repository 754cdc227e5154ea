"""``generate``: write melodies as MIDI (and optionally WAV and a piano-roll PNG) from a trained model.

The melody is the primer (if any) followed by ``--bars`` bars of generated 16th-note events, bars of the
melody's meter (a conditioned model: the asked or drawn ``--meter``, also written as the MIDI time signature;
otherwise 16 sixteenths). With
``--count N`` the files are FILE-1.mid ... FILE-N.mid. Every option is checked before any model is
loaded, and every file is written atomically: a bad option writes nothing. By default the shipped
model's exported step model (int16x8 TFLite, or int8 ONNX) runs through ``export.runtime``: TensorFlow is never imported.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from suite.app import cli_of
from suite.app.models import add_model_options
from suite.cli import add_json_option, emit, progress
from suite.errors import UserError

app = cli_of(__name__)
MAX_BARS = 1024  # far beyond any tune; a typo like --bars 80000 should not run for hours
MAX_COUNT = 1000
MIDI_SUFFIXES = (".mid", ".midi")
SEED_RANGE = 2**31  # seeds drawn when --seed is not given: small enough to type back


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, metavar="FILE.mid", help="MIDI file to write")
    primer = parser.add_mutually_exclusive_group()
    primer.add_argument("--primer", metavar="FILE.mid", help="continue this melody (a polyphonic file gives its top line)")
    primer.add_argument("--primer-notes", metavar="NOTES", help='continue these notes, e.g. "C4 E4 G4" (quarter notes)')
    parser.add_argument("--bars", type=int, default=8,
                        help="bars to generate, of the melody's meter (conditioned model; 4/4's 16 sixteenths "
                             "otherwise) (default 8)")
    parser.add_argument("--temperature", type=float, default=1.0, help="< 1 safer, > 1 wilder (default 1.0)")
    parser.add_argument("--top-k", type=int, default=None, metavar="K", help="sample only among the K likeliest events")
    parser.add_argument("--beam", type=int, default=None, metavar="N",
                        help="beam search with N beams over sampled branches (melody_rnn style)")
    parser.add_argument("--branch-factor", type=int, default=None, metavar="B",
                        help="with --beam: sampled branches per beam and iteration (default 2)")
    parser.add_argument("--steps-per-iteration", type=int, default=None, metavar="S",
                        help="with --beam: 16th-note steps between selections (default 16, one bar)")
    parser.add_argument("--beam-ranking", default=None, choices=("pitch", "likelihood"),
                        help="with --beam: rank branches by their pitch choices (default; keeps the rhythm sampled) "
                             "or by log-likelihood (melody_rnn's; favours holds and loops)")
    parser.add_argument("--cache-weight", type=float, default=None, metavar="W",
                        help="weight of the cache of the melody so far (what followed its last events earlier in it): "
                             "(1 - W) p_model + W p_cache, W for the longest match (shorter ones scale with it); 0 turns "
                             "it off (default: the model's config.json, chosen on validation NLL)")
    condition = parser.add_argument_group(
        "conditioning (a model trained with --config conditioned, as the shipped model is)")
    condition.add_argument("--style", default=None, help="irish, german, chinese or other (default: drawn like the corpus)")
    condition.add_argument("--meter", default=None, help="2/4, 3/4, 4/4, 6/8 or other (default: drawn like the corpus)")
    condition.add_argument("--key", default=None, metavar="TONIC", help="tonic, e.g. D, F#, Bb (default: drawn)")
    condition.add_argument("--mode", default=None, help="major or minor (default: drawn)")
    parser.add_argument("--seed", type=int, default=None,
                        help="the same seed gives the same melody (default: a fresh seed, printed)")
    parser.add_argument("--qpm", type=float, default=120.0, help="tempo in quarter notes per minute (default 120)")
    parser.add_argument("--count", type=int, default=1, metavar="N", help="how many melodies (default 1)")
    parser.add_argument("--wav", action="store_true", help="also write FILE.wav")
    parser.add_argument("--png", action="store_true", help="also write a piano roll FILE.png")
    add_model_options(parser, "step_int16x8.tflite; step_int8.onnx with --backend onnx")
    add_json_option(parser)


def check_options(args: argparse.Namespace) -> None:
    """UserError for an impossible option, before anything is loaded or written."""
    import math

    from suite.app.models import check_output_file

    if not 1 <= args.bars <= MAX_BARS:
        raise UserError(f"--bars {args.bars}: must be between 1 and {MAX_BARS}")
    if not args.temperature > 0 or not math.isfinite(args.temperature):
        raise UserError(f"--temperature {args.temperature}: must be a positive number")
    if args.top_k is not None and args.top_k < 1:
        raise UserError(f"--top-k {args.top_k}: must be at least 1")
    if args.beam is not None and args.beam < 1:
        raise UserError(f"--beam {args.beam}: must be at least 1")
    for option, value in (("--branch-factor", args.branch_factor), ("--steps-per-iteration", args.steps_per_iteration),
                          ("--beam-ranking", args.beam_ranking)):
        if value is not None and args.beam is None:
            raise UserError(f"{option} {value}: only applies with --beam N")
        if isinstance(value, int) and value < 1:
            raise UserError(f"{option} {value}: must be at least 1")
    check_cache_weight(args.cache_weight)
    if not args.qpm > 0 or not math.isfinite(args.qpm):
        raise UserError(f"--qpm {args.qpm}: must be a positive number")
    if not 1 <= args.count <= MAX_COUNT:
        raise UserError(f"--count {args.count}: must be between 1 and {MAX_COUNT}")
    check_conditions(args)
    check_output_file(args.out, MIDI_SUFFIXES)
    if not Path(args.out).resolve().parent.is_dir():
        raise UserError(f"{args.out}: folder {Path(args.out).parent} does not exist")


def check_cache_weight(weight: float | None) -> None:
    """UserError for a --cache-weight outside [0, 1) (generate and evaluate)."""
    from apps.music.cache import CacheSettings

    if weight is not None:
        try:
            CacheSettings(weight)
        except ValueError:
            raise UserError(f"--cache-weight {weight}: must be at least 0 and below 1") from None


def cache_settings(melody: Any, weight: float | None) -> Any:
    """The generation cache config.json records, with --cache-weight; one line for a bad recorded one."""
    from apps.music.cache import CacheSettings

    try:
        return CacheSettings.of_config(melody.config, weight)
    except (TypeError, ValueError) as error:
        raise UserError(f"{melody.folder}/config.json: bad \"cache\" settings ({error})") from None


def check_conditions(args: argparse.Namespace) -> None:
    from apps.music import conditions

    for option, value, known in (("--style", args.style, conditions.STYLES), ("--meter", args.meter, conditions.METERS),
                                 ("--mode", args.mode, conditions.MODES)):
        if value is not None and value not in known:
            raise UserError(f"{option} {value}: expected one of {', '.join(known)}")
    if args.key is not None:
        try:
            conditions.parse_key(args.key)
        except ValueError as error:
            raise UserError(f"--key {args.key}: {error}") from None


def asked_conditions(args: argparse.Namespace) -> dict[str, Any]:
    """The labels given on the command line (None: drawn)."""
    from apps.music.conditions import parse_key

    return {"style": args.style, "meter": args.meter, "mode": args.mode,
            "tonic": None if args.key is None else parse_key(args.key)}


def read_primer(args: argparse.Namespace) -> Any:
    """The primer's events, or None."""
    import numpy as np

    from apps.music.encoding import encode
    from apps.music.midi import parse_primer_notes, read_midi_melody

    if args.primer:
        return encode(read_midi_melody(args.primer)).astype(np.int64)
    if args.primer_notes is not None:
        return encode(parse_primer_notes(args.primer_notes)).astype(np.int64)
    return None


def open_melody(args: argparse.Namespace) -> Any:
    """The model ``--model``/``--backend`` name (default: the shipped exported step model)."""
    from apps.music.model import open_model, resolve

    return open_model(resolve(args.model, args.backend))


def output_paths(out: str, count: int) -> list[Path]:
    path = Path(out)
    if count == 1:
        return [path]
    return [path.with_name(f"{path.stem}-{index}{path.suffix}") for index in range(1, count + 1)]


def melody_prefixes(melody: Any, args: argparse.Namespace, seed: int, primer: Any = None) -> list:
    """Control tokens per melody (None each for an unconditioned model, which refuses condition options).
    With a primer and no --key/--mode, the key is the primer's (music21 analysis), not a drawn one."""
    import numpy as np

    from apps.music.conditions import draw_prefix, key_label

    asked = asked_conditions(args)
    if melody.conditioned and primer is not None and args.key is None and args.mode is None:
        asked["tonic"], asked["mode"] = key_label(primer)
    if not melody.conditioned:
        given = [f"--{name}" for name, value in (("style", args.style), ("meter", args.meter), ("key", args.key),
                                                  ("mode", args.mode)) if value is not None]
        if given:
            raise melody.unconditioned_error(", ".join(given))
        return [None] * args.count
    rng = np.random.default_rng([seed, 1])  # its own stream: the same seed gives the same labels and melody
    return [draw_prefix(melody.config["condition_counts"], rng, **asked) for _ in range(args.count)]


def meter_of(prefix: Any) -> str | None:
    """The meter a melody is generated in: its control tokens' (None: an unconditioned model)."""
    from apps.music.conditions import labels_of

    return None if prefix is None else str(labels_of(prefix)["meter"])


def generate_events(melody: Any, primer: Any, args: argparse.Namespace, seed: int, prefixes: list) -> list:
    """One event sequence per requested melody: ``--bars`` bars of its meter after the primer."""
    import numpy as np

    from apps.music.conditions import bar_steps
    from apps.music.generation import BRANCH_FACTOR, DEFAULT_RANKING, STEPS_PER_ITERATION, beam_search, make_scorer, sample

    steps = [args.bars * bar_steps(meter_of(prefix)) for prefix in prefixes]
    scorer = make_scorer(melody, cache_settings(melody, args.cache_weight))
    if args.beam:
        search = {"branch_factor": args.branch_factor or BRANCH_FACTOR, "ranking": args.beam_ranking or DEFAULT_RANKING,
                  "steps_per_iteration": args.steps_per_iteration or STEPS_PER_ITERATION}
        return [beam_search(melody, steps[index], args.beam, primer, args.temperature, args.top_k, seed + index, scorer,
                            prefix=prefix, **search)[0] for index, prefix in enumerate(prefixes)]
    if prefixes[0] is None or all(np.array_equal(prefix, prefixes[0]) for prefix in prefixes):
        return list(sample(melody, steps[0], primer, args.count, args.temperature, args.top_k, seed, scorer,
                           prefixes[0]))
    return [sample(melody, steps[index], primer, 1, args.temperature, args.top_k, seed + index, scorer, prefix)[0]
            for index, prefix in enumerate(prefixes)]


def write_melody(path: Path, events: Any, primer_events: int, melody: Any, seed: int,
                 args: argparse.Namespace, meter: str | None = None) -> dict[str, Any]:
    """MIDI (and WAV, PNG) of one melody in ``meter`` (None: no time signature); the record printed for it."""
    from apps.music.conditions import BAR_STEPS
    from apps.music.encoding import STEPS_PER_QUARTER, decode
    from apps.music.midi import write_midi
    from apps.music.render import render_piano_roll, render_wav

    notes = decode(events)
    meter = meter if meter in BAR_STEPS else None  # "other": bars unknown, no time signature
    write_midi(notes, path, qpm=args.qpm, meter=meter)
    record = {"midi": str(path), "notes": len(notes), "events": len(events), "primer_events": primer_events,
              "seconds": round(len(events) * 60.0 / args.qpm / STEPS_PER_QUARTER, 2), "seed": seed,
              "backend": "keras" if melody.step_file is None else melody.step_file.suffix[1:],
              "model": str(melody.source)}
    if args.wav:
        record["wav"] = str(path.with_suffix(".wav"))
        record["wav_renderer"] = render_wav(notes, record["wav"], qpm=args.qpm)
    if args.png:
        record["png"] = str(path.with_suffix(".png"))
        render_piano_roll(notes, record["png"], title=f"{path.name}: generated by {melody.name}, seed {seed}",
                          primer_steps=primer_events, qpm=args.qpm, meter=meter)
    return record


@app.command("generate", "generate melodies (MIDI, optional WAV and piano roll) from the shipped or a trained model",
             arguments)
def generate(args: argparse.Namespace) -> int:
    import numpy as np

    check_options(args)
    primer = read_primer(args)
    melody = open_melody(args)
    seed = args.seed if args.seed is not None else int(np.random.SeedSequence().entropy % SEED_RANGE)
    primer_events = 0 if primer is None else len(primer)
    prefixes = melody_prefixes(melody, args, seed, primer)
    melodies = zip(output_paths(args.out, args.count), generate_events(melody, primer, args, seed, prefixes), prefixes)
    show = args.count > 1 and not args.json
    for path, events, prefix in progress(melodies, "writing melodies", total=args.count, enabled=show):
        record = write_melody(path, events, primer_events, melody, seed, args, meter_of(prefix))
        if prefix is not None:
            from apps.music.conditions import labels_of

            record["conditions"] = labels_of(prefix)
        asked = record.get("conditions")
        labels = f", {asked['key']}, {asked['meter']}, {asked['style']}" if asked else ""
        emit(record, args.json, f"wrote {path}: {record['notes']} notes, {record['seconds']} s, seed {seed}{labels}"
             + "".join(f", {record[key]}" for key in ("wav", "png") if key in record))
    if args.seed is None:
        print(f"note: seed {seed}; pass --seed {seed} to get the same melody again", file=sys.stderr)
    return 0
