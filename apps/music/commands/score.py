"""``score``: how likely the model finds each melody: NLL per event (nats) of every MIDI file given.

A batch command: every readable file is scored and printed; each bad one gets its own
``error: FILE: problem`` line, and the command exits 2 at the end if any was bad. Runs the exported
int16x8 TFLite step model by default (no TensorFlow), the same scorer ``generate`` samples from.
"""
from __future__ import annotations

import argparse
from typing import Any

from apps.music.commands.generate import open_melody
from suite.app import cli_of
from suite.app.models import add_model_options
from suite.cli import add_json_option, each_file, emit, progress
from suite.errors import UserError

app = cli_of(__name__)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE.mid", help="melodies to score (a polyphonic file: its top line)")
    add_model_options(parser, "step_int16x8.tflite; step_int8.onnx with --backend onnx")
    add_json_option(parser)


def score_file(melody: Any, scorer: Any, path: str) -> dict[str, Any]:
    """NLL per event of one MIDI file's melody; UserError for a file that has none."""
    import numpy as np

    from apps.music.encoding import encode
    from apps.music.generation import stepwise_log_probs
    from apps.music.midi import read_midi_melody

    events = encode(read_midi_melody(path)).astype(np.int64)
    if len(events) < 2:
        raise UserError(f"{path}: too short to score (needs 2 or more 16th-note steps)")
    prefix = None
    if melody.conditioned:  # the analysed key, the commonest style and meter of that mode
        from apps.music.conditions import scoring_prefix

        prefix = scoring_prefix(melody.config["condition_counts"], events)
    log_probs = stepwise_log_probs(melody, events, scorer, prefix)
    record = {"file": path, "events": int(len(events)), "scored_events": int(log_probs.size),
              "nll": round(float(-log_probs.mean()), 5)}
    if prefix is not None:
        from apps.music.conditions import labels_of

        record["conditions"] = labels_of(prefix)
    return record


@app.command("score", "NLL per event of each MIDI melody under the model (exported step model by default)",
             arguments)
def score(args: argparse.Namespace) -> int:
    from apps.music.generation import make_scorer

    melody = open_melody(args)
    scorer = make_scorer(melody)

    def score_one(path: str) -> None:
        record = score_file(melody, scorer, path)
        emit(record, args.json, f"{path}: NLL {record['nll']:.3f} nats/event over {record['scored_events']} events")

    files = progress(args.files, "scoring", total=len(args.files), enabled=len(args.files) > 1 and not args.json)
    return each_file(files, score_one)
