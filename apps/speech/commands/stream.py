"""``stream FILE.wav``: keyword detections with start/end times in a long recording, frame by frame.

The int8 step model (``step_int8.tflite`` of the model directory, through ``export.runtime``) advances
one step per 20 ms log-mel frame; ``--streams`` staggered states each score a completed 1 s window, and
the window scores go through RecognizeCommands (apps/speech/recognize.py). The recording is flushed with 0.5 s
of silence, so a keyword that ends it is still detected; each detection says when it fired and its latency after
the word's end. ``--plot PNG`` draws the smoothed keyword scores over time with the detections.
"""
from __future__ import annotations

import argparse

from suite.app.models import add_model_options
from apps.speech.recognize import STREAMS, THRESHOLD
from suite.app import cli_of
from suite.cli import add_json_option, emit

app = cli_of(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.wav", help="a recording of any length")
    add_model_options(parser, "step_int8.tflite")
    parser.add_argument("--streams", type=int, default=STREAMS, help=f"staggered window states (default {STREAMS})")
    parser.add_argument("--threshold", type=float, default=THRESHOLD,
                        help=f"smoothed score needed for a detection (default {THRESHOLD})")
    parser.add_argument("--plot", metavar="PNG", help="draw the keyword scores over time with the detections")
    add_json_option(parser)


@app.command("stream", help="detect keywords frame by frame in a long recording (int8 step model)",
             arguments=_arguments)
def stream_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from apps.speech import audio, frontend
    from apps.speech.model import load_stepper
    from apps.speech.recognize import RecognizeCommands, detections as stream_detections
    from suite.app.models import check_output_file

    plot = check_output_file(args.plot, (".png",)) if args.plot else None
    signal = audio.read_wav(args.file)
    stepper = load_stepper(args.model, args.backend)
    recognizer = RecognizeCommands(threshold=args.threshold)
    detections, timeline = [], []
    for (start, end, scores), found in stream_detections(stepper, signal, args.streams, recognizer):
        timeline.append(((start + end) / 2, scores))
        if found is not None:
            detections.append(found)
            emit({"file": args.file, **found.to_dict()}, args.json,
                 f"{found.start:7.2f} - {found.end:7.2f} s  {found.label} ({found.score:.3f}), word ends "
                 f"{found.word_end:.2f} s, detected at {found.fired:.2f} s: latency {found.latency:.2f} s")
    seconds = len(signal) / frontend.SAMPLE_RATE
    if not detections and not args.json:
        print(f"{args.file}: no keyword detected in {seconds:.1f} s")
    if plot is not None:
        from apps.speech.plots import plot_timeline

        model = Path(stepper.name.split(" ")[0])
        plot_timeline(plot, timeline, detections, threshold=args.threshold,
                      title=f"{model.parent.name}/{model.name} on {Path(args.file).name} ({seconds:.1f} s): "
                            f"keyword scores and detections")
    return 0
