"""Export the encoder and the decoder step (full-int8 TFLite, int8 ONNX) through export/seq2seq.py.

The framework's export takes one sequence model or a streaming step model built from it; an encoder-decoder is a
pair of files that run together, so this app's ``AppSpec.export_file`` hands its words to ``export.seq2seq``: the
encoder is the "sequence" file and the decoder step the "step" file. Both are gated by the export registry's
``seq2seq_decoding`` task: greedy word error rate over the whole test split at most 0.5 points above Keras, the
encoder with the Keras decoder step behind it, the step as the exported pair runs on the device.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.g2p import calibration, ensemble
from apps.g2p.decode import letters_of
from apps.g2p.model import DECODER_STEM, DECODING, KerasRunner, exported_files, file_stem
from suite.app import ExportPlan
from suite.errors import UserError

# Validation words that calibrate: the encoder on their letters, the decoder step on every step of their greedy
# decoding by the Keras pair and of teacher forcing their first pronunciation (about 29,000 steps).
CALIBRATION_WORDS = 2000


def export_file(model_dir: Path, fmt: str, plan: ExportPlan,
                calibration_data: str | None) -> tuple[str, dict[str, Any]]:
    """The encoder (``plan.step`` False) or the decoder step file, converted and gated (AppSpec.export_file)."""
    from export import seq2seq
    from suite.modeldir import load_model_dir

    if calibration_data:
        raise UserError("--calibration-data: g2p calibrates on its lexicon's validation words; drop the option")
    model, config = load_model_dir(model_dir)
    keras = KerasRunner(model)
    name = f"{file_stem(plan.step, plan.quantize)}.{fmt}"
    calibration_letters, calibration_references = references_of(calibration.words(config, "calibration",
                                                                                   CALIBRATION_WORDS), config)
    heldout, references = references_of(calibration.words(config, "heldout", 0), config)
    if plan.step:
        encoder_path = exported_files(model_dir, fmt, plan.quantize)[0]
        first_pronunciations = [pronunciations[0] for pronunciations in calibration_references]
        report = seq2seq.export_decoder_step(keras, model_dir / name, encoder_path, fmt, plan.quantize,
                                             calibration_letters, heldout, references, DECODING,
                                             forced=first_pronunciations)
    else:
        report = seq2seq.export_encoder(keras, model_dir / name, fmt, plan.quantize, calibration_letters, heldout,
                                        references, DECODING)
    return name, report


def references_of(lexicon: dict, config: dict) -> tuple[Any, list[list[list[int]]]]:
    """(letter one-hots of the words in sorted order, each word's pronunciations as token ids)."""
    words = sorted(lexicon)
    index = {token: i for i, token in enumerate(config["tokens"])}
    return letters_of(words), [[[index[p] for p in pron] for pron in lexicon[word]] for word in words]


def after_export(model_dir: Path, reports: dict[str, dict]) -> dict[str, Any]:
    """metrics.json "int8": the exported pair's test-split WER/PER per format (from the decoder-step gates); for
    an ensemble, whose members were just exported, the ensemble's figures again (gated per format)."""
    from suite.modeldir import read_config

    if ensemble.is_ensemble(read_config(model_dir)):
        return ensemble.rescored(model_dir)
    summary = {}
    for name, report in reports.items():
        if name.startswith(DECODER_STEM) and report.get("metric") == "wer":
            summary[Path(name).suffix.lstrip(".")] = {
                "wer": report["export"], "per": report["per_export"], "keras_wer": report["keras"],
                "keras_per": report["per_keras"], "wer_increase": report["change"], "passed": report["passed"]}
    return {"int8": summary} if summary else {}
