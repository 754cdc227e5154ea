"""g2p on the device: file sizes, time per word from the int8 files, and the TFLite Micro arena.

    python benchmarks/g2p.py [--model saved_models/g2p] [--words 300] [--json]

Per format (tflite, onnx): encoder and decoder-step bytes, and the mean time to pronounce one test word (greedy:
one encoder pass plus one decoder step per phoneme) with numpy and the runtime only. With tflite-micro installed,
the smallest tensor arena each .tflite file runs in (bisected, 256-byte resolution), and the flash (file bytes).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

# The repository first: this folder's export.py would otherwise shadow the export package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from apps.g2p.calibration import words as split_words  # noqa: E402
from apps.g2p.decode import greedy  # noqa: E402
from apps.g2p.model import ExportedRunner, exported_files  # noqa: E402
from suite.app import shipped_model_dir  # noqa: E402
from suite.app.models import read_config_json  # noqa: E402

ARENA_LOW, ARENA_HIGH = 1024, 4 << 20     # bisection bounds: 1 KB to 4 MB
ARENA_STEP = 256


def runs_in_arena(path: Path, arena: int) -> bool:
    from tflite_micro.python.tflite_micro import runtime

    from suite.quiet import native_quiet

    with native_quiet():   # TFLite Micro reports every failed allocation on fd 2
        return _invoke_in_arena(runtime, path, arena)


def _invoke_in_arena(runtime, path: Path, arena: int) -> bool:
    try:
        interpreter = runtime.Interpreter.from_file(str(path), arena_size=arena)
        for index, detail in enumerate(interpreter.get_input_details(i) for i in range(_input_count(interpreter))):
            interpreter.set_input(np.zeros(detail["shape"], detail["dtype"]), index)
        interpreter.invoke()
    except (RuntimeError, ValueError):
        return False
    return True


def _input_count(interpreter) -> int:
    count = 0
    while True:
        try:
            interpreter.get_input_details(count)
        except (IndexError, RuntimeError, ValueError):
            return count
        count += 1


def smallest_arena(path: Path) -> int | None:
    if not runs_in_arena(path, ARENA_HIGH):
        return None
    low, high = ARENA_LOW, ARENA_HIGH
    while high - low > ARENA_STEP:
        middle = (low + high) // 2
        low, high = (low, middle) if runs_in_arena(path, middle) else (middle, high)
    return high


def time_per_word(runner: ExportedRunner, words: list[str], tokens: tuple[str, ...]) -> float:
    started = time.perf_counter()
    for word in words:
        greedy(runner, [word], tokens)
    return (time.perf_counter() - started) / len(words) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(shipped_model_dir("g2p")))
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model_dir = Path(args.model)
    config = read_config_json(model_dir) or {}
    tokens = tuple(config["tokens"])
    words = sorted(split_words(config, "heldout", args.words))
    result: dict = {"model": str(model_dir), "params": (json.loads((model_dir / "metrics.json").read_text())
                                                        .get("params"))}
    for backend in ("tflite", "onnx"):
        encoder, decoder = exported_files(model_dir, backend)
        if not (encoder.is_file() and decoder.is_file()):
            continue
        entry = {"encoder_bytes": encoder.stat().st_size, "decoder_step_bytes": decoder.stat().st_size,
                 "ms_per_word": round(time_per_word(ExportedRunner(encoder, decoder), words, tokens), 3)}
        if backend == "tflite":
            try:
                entry["tflm_arena_bytes"] = {path.name: smallest_arena(path) for path in (encoder, decoder)}
            except ImportError:
                entry["tflm_arena_bytes"] = "tflite-micro is not installed"
        result[backend] = entry
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
