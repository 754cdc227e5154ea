"""Generation cost of the melody model: seconds for 256 and for 1,024 events, and their ratio.

The stateful step model makes each event one compiled step, so 4x the events should cost about
4x the time (goal: ratio <= 4). A model that recomputed the whole history per event would be
quadratic (ratio ~16).

    python benchmarks/music.py [--model DIR] [--repeats 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LENGTHS = (256, 1024)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: the shipped model)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from apps.music import generation, model as melody_model

    melody = melody_model.load(args.model)
    scorer = generation.make_scorer(melody)
    seconds = {length: time_generation(melody, scorer, length, args.repeats) for length in LENGTHS}
    ratio = seconds[LENGTHS[1]] / seconds[LENGTHS[0]]
    record = {"events": list(LENGTHS), "seconds": [round(seconds[n], 4) for n in LENGTHS],
              "ms_per_event": [round(1000 * seconds[n] / n, 3) for n in LENGTHS],
              "ratio": round(ratio, 2), "goal_ratio": GOAL_RATIO, "linear": ratio <= GOAL_RATIO,
              "scorer": type(scorer).__name__}
    if args.json:
        print(json.dumps(record))
    else:
        for length in LENGTHS:
            print(f"{length:>5} events: {seconds[length]:.3f} s ({1000 * seconds[length] / length:.2f} ms/event)")
        print(f"ratio {ratio:.2f} (goal <= {GOAL_RATIO}: {'met' if ratio <= GOAL_RATIO else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
