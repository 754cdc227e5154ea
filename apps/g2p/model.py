"""The g2p model: builder arguments, and the two runners greedy and beam search step through.

A runner encodes letter one-hots once (``encode`` -> memory and decoder states) and then runs one decoder step
per phoneme (``step``), so generation costs one encoder pass plus one step per output phoneme. ``KerasRunner``
uses the Keras encoder and decoder-step models (compiled); ``ExportedRunner`` the exported int8 files through
``export.runtime`` (numpy plus ai-edge-litert or onnxruntime, no TensorFlow). Both are export/seq2seq.py's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from apps.g2p import data
from apps.g2p.presets import TOPOLOGY, G2PConfig
from export.seq2seq import Decoding, ExportedPair, KerasPair, PairRunner

# Exported files: the encoder (letters -> attention memory and the decoder's first state) and the decoder step.
ENCODER_STEM = "encoder"
DECODER_STEM = "decoder_step"


def model_kwargs(config: G2PConfig) -> dict[str, Any]:
    """The ``build_model`` keyword arguments (saved as config.json "model")."""
    depth = data.token_depth(config.stress)
    return {"input_shape": [data.MAX_LETTERS, data.LETTER_DEPTH], "output_size": depth,
            "target_shape": [data.DECODER_STEPS, depth], "attention": config.attention, "cell": config.cell,
            "units": config.units, "layers": config.layers, "bidirectional": True, "dropout": config.dropout}


def build(config: G2PConfig) -> Any:
    from suite import build_model

    return build_model(TOPOLOGY, **model_kwargs(config))


# The runners greedy and beam search step through (export/seq2seq.py): Keras, or the exported files without TF.
Runner = PairRunner
ExportedRunner = ExportedPair
# Greedy decoding starts from BOS and a pronunciation ends at EOS (or PAD, never trained as an output).
DECODING = Decoding(start=data.BOS, stop=(data.EOS, data.PAD), max_steps=data.DECODER_STEPS)


class KerasRunner(KerasPair):
    """The Keras encoder and decoder-step models of a trained g2p model (suite's ``inference_models``)."""

    def __init__(self, model: Any):
        from suite.topologies.encoder_decoder import inference_models

        super().__init__(*inference_models(model))


def file_stem(step: bool, quantize: str = "int8") -> str:
    """``encoder_int8`` or ``decoder_step_int8``: the export's "sequence" and "step" files."""
    return f"{DECODER_STEM if step else ENCODER_STEM}_{quantize}"


def exported_files(model_dir: Path, backend: str, quantize: str = "int8") -> tuple[Path, Path]:
    return (model_dir / f"{file_stem(False, quantize)}.{backend}", model_dir / f"{file_stem(True, quantize)}.{backend}")


def load_runner(model: str | Path | None, backend: str | None = None) -> tuple[Runner, tuple[str, ...], dict[str, Any]]:
    """(runner, output tokens, config.json) for ``--model`` (default: the shipped model) and ``--backend``.

    ``tflite``/``onnx`` run the exported encoder and decoder step without TensorFlow; ``keras`` loads model.keras.
    ``--model`` may also name the exported encoder file; the decoder step is taken from the same folder. An
    ensemble directory (apps/g2p/ensemble.py) gives its members' runners of that backend as one.
    """
    from apps.g2p import ensemble
    from suite.app import shipped_model_dir
    from suite.app.models import check_app, read_config_json, resolve_model
    from suite.errors import UserError

    target = Path(model) if model is not None else shipped_model_dir("g2p")
    config = read_config_json(target) if target.is_dir() else None
    if ensemble.is_ensemble(config):
        check_app(config, "g2p", target)
        return ensemble.runner(target, config, backend or "tflite"), tuple(config["tokens"]), config
    ref = resolve_model("g2p", target, file_stem(False), backend)
    if not ref.config.get("tokens"):
        raise UserError(f"{ref.path.parent}: no config.json with the model's tokens next to the model")
    tokens = tuple(ref.config["tokens"])
    if ref.backend == "keras":
        from suite.modeldir import load_model_dir

        keras_model, _ = load_model_dir(ref.path.parent)
        return KerasRunner(keras_model), tokens, ref.config
    decoder_path = ref.path.parent / f"{file_stem(True)}{ref.path.suffix}"
    if not decoder_path.is_file():
        raise UserError(f"{ref.path.parent}: no {decoder_path.name} next to {ref.path.name}; run python -m apps.g2p export")
    try:
        return ExportedRunner(ref.path, decoder_path), tokens, ref.config
    except (ValueError, RuntimeError) as error:
        raise UserError(f"{ref.path.parent}: the exported files cannot be loaded ({error})") from None
