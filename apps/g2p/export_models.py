"""Export the encoder and the decoder step (full-int8 TFLite, int8 ONNX) and check them.

The shared export takes one sequence model, or a streaming step model built from it; an encoder-decoder needs
two files that run together, so the app exports them itself (``AppSpec.export_file``) through ``export.to_tflite``
/ ``export.to_onnx``: the encoder is the "sequence" file and the decoder step (attention over the encoder memory,
state in and out) the "step" file. Checks:
- encoder: next-phoneme accuracy, teacher forced over held-out words, with the exported encoder and the Keras
  decoder step, against all-Keras (argmax agreement >= MIN_STEP_AGREEMENT);
- decoder step (run after the encoder of the same format): greedy word error rate over the whole test split with
  both exported files, against Keras: at most MAX_WER_INCREASE points worse (the app's gate).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from apps.g2p import calibration, data
from apps.g2p.decode import greedy_lexicon, letters_of, token_one_hot
from apps.g2p.metrics import score
from apps.g2p.model import ExportedRunner, KerasRunner, Runner, file_stem
from suite.app import ExportPlan
from suite.errors import UserError

# Gate of the issue: the int8 pair may lose at most half a point of test-set word error rate.
MAX_WER_INCREASE = 0.5
# The encoder alone must leave the teacher-forced next phoneme unchanged on nearly every step.
MIN_STEP_AGREEMENT = 0.97
CALIBRATION_WORDS = 200
HELDOUT_WORDS = 400
# Decoder-step calibration samples: steps met while teacher forcing the calibration words.
MAX_STEP_SAMPLES = 1000


def export_file(model_dir: Path, fmt: str, plan: ExportPlan,
                calibration_data: str | None) -> tuple[str, dict[str, Any]]:
    """The encoder (``plan.step`` False) or the decoder step file, converted and checked (AppSpec.export_file)."""
    from suite.modeldir import load_model_dir

    step, quantize = plan.step, plan.quantize
    if calibration_data:
        raise UserError("--calibration-data: g2p calibrates on its lexicon's validation words; drop the option")
    model, config = load_model_dir(model_dir)
    keras_runner = KerasRunner(model)
    tokens = tuple(config["tokens"])
    name = f"{file_stem(step, quantize)}.{fmt}"
    path = model_dir / name
    calibration_words = calibration.words(config, "calibration", CALIBRATION_WORDS)
    if step:
        memory, previous, states, _ = teacher_forced(keras_runner, calibration_words, tokens)
        chosen = np.random.default_rng(0).permutation(len(previous))[:MAX_STEP_SAMPLES]
        representative = [previous[chosen], memory[chosen], *[s[chosen] for s in states]]
        info = convert(keras_runner.decoder, path, fmt, quantize, representative, None)
        return name, {"task": "seq2seq", **wer_gate(model_dir, config, keras_runner, fmt, quantize),
                      "bytes": info["bytes"]}
    letters = letters_of(sorted(calibration_words))
    info = convert(keras_runner.encoder, path, fmt, quantize, letters, data.MAX_LETTERS)
    return name, {"task": "seq2seq", **encoder_check(keras_runner, path, config), "bytes": info["bytes"]}


def convert(model: Any, path: Path, fmt: str, quantize: str, representative: Any, length: int | None) -> dict:
    from export import to_onnx, to_tflite
    from suite.quiet import native_quiet

    converter = to_tflite if fmt == "tflite" else to_onnx
    with native_quiet():   # the TFLite converter logs its quantizer settings on fd 2
        return converter(model, path, quantize=quantize, representative=representative, sequence_length=length)


def teacher_forced(runner: Runner, lexicon: data.Lexicon,
                   tokens: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]:
    """Every decoder step met while teacher forcing each word's first pronunciation:
    (memory, previous-token one-hots, states in, probabilities out), one row per real step."""
    words = sorted(lexicon)
    decoder_inputs, _ = data.encode_pronunciations([lexicon[w][0] for w in words], has_stress(tokens))
    memory, states = runner.encode(letters_of(words))
    rows: list[list[np.ndarray]] = [[], [], [], []]
    kept_states: list[list[np.ndarray]] = [[] for _ in states]
    for t in range(data.DECODER_STEPS):
        real = (decoder_inputs[:, t] != data.PAD)
        previous = token_one_hot(decoder_inputs[:, t], runner.depth)
        probabilities, new_states = runner.step(previous, memory, states)
        for bucket, value in zip(rows, (memory, previous, None, probabilities)):
            if value is not None:
                bucket.append(value[real])
        for bucket, value in zip(kept_states, states):
            bucket.append(value[real])
        states = new_states
    return (np.concatenate(rows[0]), np.concatenate(rows[1]), [np.concatenate(b) for b in kept_states],
            np.concatenate(rows[3]))


def has_stress(tokens: tuple[str, ...]) -> bool:
    return any(token[-1].isdigit() for token in tokens)


class _MixedRunner:
    """The exported encoder with the Keras decoder step: checks the encoder file alone."""

    def __init__(self, encoder_path: Path, keras_runner: KerasRunner):
        from export.runtime import Runtime
        from suite.quiet import native_quiet

        with native_quiet():
            self.encoder = Runtime(str(encoder_path))
        self.keras = keras_runner
        self.depth = keras_runner.depth

    def encode(self, letters: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        outputs = self.encoder.run(np.asarray(letters, np.float32))
        return outputs[0], outputs[1:]

    def step(self, previous, memory, states):
        return self.keras.step(previous, memory, states)


def encoder_check(keras_runner: KerasRunner, path: Path, config: dict) -> dict[str, Any]:
    heldout = calibration.words(config, "heldout", HELDOUT_WORDS)
    tokens = tuple(config["tokens"])
    _, _, _, keras_probabilities = teacher_forced(keras_runner, heldout, tokens)
    _, _, _, export_probabilities = teacher_forced(_MixedRunner(path, keras_runner), heldout, tokens)
    truth = next_tokens(heldout, tokens)
    keras_argmax, export_argmax = keras_probabilities.argmax(-1), export_probabilities.argmax(-1)
    agreement = float(np.mean(keras_argmax == export_argmax))
    return {"metric": "next_phoneme_accuracy", "keras": float(np.mean(keras_argmax == truth)),
            "export": float(np.mean(export_argmax == truth)), "agreement": agreement,
            "threshold": MIN_STEP_AGREEMENT, "samples": int(len(truth)),
            "max_abs_diff": float(np.abs(keras_probabilities - export_probabilities).max()),
            "passed": agreement >= MIN_STEP_AGREEMENT}


def next_tokens(lexicon: data.Lexicon, tokens: tuple[str, ...]) -> np.ndarray:
    """The teacher-forced target of every real step, in ``teacher_forced``'s row order (step-major)."""
    words = sorted(lexicon)
    decoder_inputs, targets = data.encode_pronunciations([lexicon[w][0] for w in words], has_stress(tokens))
    return np.concatenate([targets[decoder_inputs[:, t] != data.PAD, t] for t in range(data.DECODER_STEPS)])


def wer_gate(model_dir: Path, config: dict, keras_runner: KerasRunner, fmt: str, quantize: str) -> dict[str, Any]:
    """Greedy test-split WER/PER of the exported pair against Keras."""
    encoder_path = model_dir / f"{file_stem(False, quantize)}.{fmt}"
    if not encoder_path.is_file():
        raise UserError(f"{model_dir}: no {encoder_path.name}; export the encoder (--kind sequence) first")
    test = calibration.words(config, "heldout", 0)
    tokens = tuple(config["tokens"])
    words = sorted(test)
    keras_predictions = greedy_lexicon(keras_runner, words, tokens)
    exported = greedy_lexicon(ExportedRunner(encoder_path, model_dir / f"{file_stem(True, quantize)}.{fmt}"),
                              words, tokens)
    keras_scores, export_scores = score(test, keras_predictions), score(test, exported)
    agreement = float(np.mean([keras_predictions[w] == exported[w] for w in words]))
    return {"metric": "wer", "keras": keras_scores["wer"], "export": export_scores["wer"], "agreement": agreement,
            "threshold": MAX_WER_INCREASE, "samples": len(test), "per_keras": keras_scores["per"],
            "per_export": export_scores["per"],
            "passed": export_scores["wer"] - keras_scores["wer"] <= MAX_WER_INCREASE}


def after_export(model_dir: Path, reports: dict[str, dict]) -> dict[str, Any]:
    """metrics.json "int8": the exported pair's test-split WER/PER per format (from the step files' gates)."""
    summary = {}
    for name, report in reports.items():
        if report.get("metric") == "wer":
            summary[Path(name).suffix.lstrip(".")] = {
                "wer": report["export"], "per": report["per_export"], "keras_wer": report["keras"],
                "keras_per": report["per_keras"], "wer_increase": round(report["export"] - report["keras"], 3),
                "passed": report["passed"]}
    return {"int8": summary} if summary else {}
