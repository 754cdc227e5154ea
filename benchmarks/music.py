"""Generation cost of the melody model: seconds for 256 and for 1,024 events, and their ratio.

The stateful step model makes each event one step, so 4x the events should cost about 4x the
time (goal: ratio <= 4). A model that recomputed the whole history per event would be quadratic
(ratio ~16). Both generation paths are timed in one run: the exported step model through the device
runtime (what ``generate`` uses with the shipped model) and the compiled Keras step.

    python benchmarks/music.py [--model DIR] [--repeats 5] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LENGTHS = (256, 1024)  # the goal's pair: 4x the events should cost at most 4x the time
CHECK_LENGTH = 4096  # one more 4x step: a linear cost gives the same ratio again, a quadratic one 16x
GOAL_RATIO = 4.0


def time_generation(melody, scorer, events: int, repeats: int) -> float:
    """Best of ``repeats`` wall-clock seconds to sample ``events`` events (after a warm-up)."""
    from apps.music.generation import sample

    sample(melody, 8, seed=0, scorer=scorer)  # traces the compiled step once
    best = float("inf")
    for repeat in range(repeats):
        started = time.perf_counter()
        sample(melody, events, seed=repeat, scorer=scorer)
        best = min(best, time.perf_counter() - started)
    return best


def measure(melody, scorer, repeats: int) -> dict:
    lengths = (*LENGTHS, CHECK_LENGTH)
    seconds = {length: time_generation(melody, scorer, length, repeats) for length in lengths}
    ratio = seconds[LENGTHS[1]] / seconds[LENGTHS[0]]
    path = getattr(scorer, "path", None)
    return {"scorer": type(scorer).__name__, "file": path.name if path else None, "events": list(lengths),
            "seconds": [round(seconds[n], 4) for n in lengths],
            "ms_per_event": [round(1000 * seconds[n] / n, 3) for n in lengths],
            "ratio": round(ratio, 2), "check_ratio": round(seconds[CHECK_LENGTH] / seconds[LENGTHS[1]], 2),
            "goal_ratio": GOAL_RATIO, "linear": ratio <= GOAL_RATIO}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--step-file", default="step_int16x8.tflite",
                        help="exported step model in it to time (default step_int16x8.tflite, what generate runs)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from apps.music import generation, model as melody_model
    from suite.app import shipped_model_dir

    model_dir = Path(args.model) if args.model else shipped_model_dir("music")
    exported = melody_model.open_model(melody_model.resolve(model_dir / args.step_file))
    records = [measure(exported, generation.make_scorer(exported), args.repeats)]
    keras_melody = melody_model.load(model_dir)
    records.append(measure(keras_melody, generation.make_scorer(keras_melody), args.repeats))
    for record in records:
        if args.json:
            print(json.dumps(record))
            continue
        print(f"{record['scorer']}" + (f" ({record['file']})" if record["file"] else " (compiled Keras step)"))
        for length, seconds, per_event in zip(record["events"], record["seconds"], record["ms_per_event"]):
            print(f"  {length:>5} events: {seconds:.3f} s ({per_event:.3f} ms/event)")
        print(f"  ratio {LENGTHS[1]}/{LENGTHS[0]} {record['ratio']:.2f} (goal <= {GOAL_RATIO}: "
              f"{'met' if record['linear'] else 'NOT met'}); {CHECK_LENGTH}/{LENGTHS[1]} {record['check_ratio']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
