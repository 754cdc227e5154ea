"""g2p on the device: file sizes, time per word from the int8 files, and the TFLite Micro arena.

    python benchmarks/g2p.py [--model saved_models/g2p] [--words 300] [--json]

Per format (tflite, onnx): encoder and decoder-step bytes, and the mean time to pronounce one test word (greedy:
one encoder pass plus one decoder step per phoneme) with numpy and the runtime only. With tflite-micro installed,
the smallest tensor arena each .tflite file runs in (bisected, 256-byte resolution), the flash (file bytes), and
the greedy WER of the pair on TFLite Micro's reference kernels against LiteRT on the same words. For an ensemble
(the shipped model): each member's figures, then the members' bytes together and the time per word of the
ensemble decoding them as one.
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
from apps.g2p.metrics import score  # noqa: E402
from apps.g2p.model import ExportedRunner, exported_files  # noqa: E402
from suite.app import shipped_model_dir  # noqa: E402
from suite.app.models import read_config_json  # noqa: E402

ARENA_LOW, ARENA_HIGH = 1024, 4 << 20     # bisection bounds: 1 KB to 4 MB
ARENA_STEP = 256
# Headroom over the bisected arena for the agreement run (allocation can differ by a few bytes per load).
ARENA_MARGIN = 4096


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


class MicroRunner:
    """The exported pair on TFLite Micro's interpreter (batch 1; tensors matched by shape, it keeps no names)."""

    def __init__(self, encoder: Path, decoder: Path, arena: int):
        from tflite_micro.python.tflite_micro import runtime

        from suite.quiet import native_quiet

        with native_quiet():
            self.encoder = runtime.Interpreter.from_file(str(encoder), arena_size=arena)
            self.decoder = runtime.Interpreter.from_file(str(decoder), arena_size=arena)
            self.shapes = [tuple(self.decoder.get_input_details(i)["shape"])
                           for i in range(_input_count(self.decoder))]
        self.depth = int(self.shapes[0][-1])

    def encode(self, letters: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        self.encoder.set_input(np.asarray(letters, np.float32), 0)
        self.encoder.invoke()
        outputs = [self.encoder.get_output(i) for i in range(2)]
        return next(o for o in outputs if o.ndim == 3), [o for o in outputs if o.ndim == 2]

    def step(self, previous, memory, states):
        by_shape = {tuple(previous.shape): previous, tuple(memory.shape): memory, tuple(states[0].shape): states[0]}
        for index, shape in enumerate(self.shapes):
            self.decoder.set_input(np.asarray(by_shape[shape], np.float32), index)
        self.decoder.invoke()
        outputs = [self.decoder.get_output(i) for i in range(2)]
        return next(o for o in outputs if o.ndim == 3)[:, -1], [o for o in outputs if o.ndim == 2]


def micro_check(encoder: Path, decoder: Path, arena: int, lexicon: dict, tokens: tuple[str, ...]) -> dict:
    """Greedy WER on TFLite Micro and on LiteRT over the same words, and how often the two outputs agree."""
    runners = {"tflm": MicroRunner(encoder, decoder, arena), "litert": ExportedRunner(encoder, decoder)}
    outputs = {name: {w: greedy(runner, [w], tokens)[0].phones for w in lexicon} for name, runner in runners.items()}
    return {"tflm_wer": score(lexicon, outputs["tflm"])["wer"], "litert_wer": score(lexicon, outputs["litert"])["wer"],
            "tflm_word_agreement": float(np.mean([outputs["tflm"][w] == outputs["litert"][w] for w in lexicon]))}


def time_per_word(runner: ExportedRunner, words: list[str], tokens: tuple[str, ...]) -> float:
    started = time.perf_counter()
    for word in words:
        greedy(runner, [word], tokens)
    return (time.perf_counter() - started) / len(words) * 1e3


def bench_model(model_dir: Path, lexicon: dict, tokens: tuple[str, ...], micro: bool) -> dict:
    """Per format: file sizes, ms per word and (``micro``, TFLite) the TFLite Micro arena and agreement."""
    words = sorted(lexicon)
    result: dict = {}
    for backend in ("tflite", "onnx"):
        encoder, decoder = exported_files(model_dir, backend)
        if not (encoder.is_file() and decoder.is_file()):
            continue
        entry = {"encoder_bytes": encoder.stat().st_size, "decoder_step_bytes": decoder.stat().st_size,
                 "ms_per_word": round(time_per_word(ExportedRunner(encoder, decoder), words, tokens), 3)}
        if backend == "tflite" and micro:
            try:
                arenas = {path.name: smallest_arena(path) for path in (encoder, decoder)}
            except ImportError:
                entry["tflm"] = "tflite-micro is not installed"
            else:
                arena = max(a for a in arenas.values() if a) + ARENA_MARGIN if all(arenas.values()) else None
                entry["tflm_arena_bytes"] = arenas
                if arena:
                    entry.update(micro_check(encoder, decoder, arena, lexicon, tokens))
        result[backend] = entry
    return result


def bench_ensemble(model_dir: Path, config: dict, lexicon: dict, tokens: tuple[str, ...]) -> dict:
    """Each member on its own (no TFLite Micro: run it with --model DIR/MEMBER), and the ensemble per format:
    the members' bytes together and ms per word decoding them as one."""
    from apps.g2p import ensemble
    from export.seq2seq import EnsemblePair

    folders = ensemble.member_dirs(model_dir, config)
    members = {folder.name: bench_model(folder, lexicon, tokens, micro=False) for folder in folders}
    result: dict = {"members": members}
    for backend in ("tflite", "onnx"):
        if all(backend in entry for entry in members.values()):
            runner = EnsemblePair([ExportedRunner(*exported_files(folder, backend)) for folder in folders])
            result[backend] = {"bytes": sum(e[backend]["encoder_bytes"] + e[backend]["decoder_step_bytes"]
                                            for e in members.values()),
                               "ms_per_word": round(time_per_word(runner, sorted(lexicon), tokens), 3)}
    return result


def main() -> None:
    from apps.g2p import ensemble

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(shipped_model_dir("g2p")))
    parser.add_argument("--words", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    model_dir = Path(args.model)
    config = read_config_json(model_dir) or {}
    tokens = tuple(config["tokens"])
    lexicon = split_words(config, "heldout", args.words)
    result: dict = {"model": str(model_dir)}
    if ensemble.is_ensemble(config):
        result.update(bench_ensemble(model_dir, config, lexicon, tokens))
    else:
        result["params"] = json.loads((model_dir / "metrics.json").read_text()).get("params")
        result.update(bench_model(model_dir, lexicon, tokens, micro=True))
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
