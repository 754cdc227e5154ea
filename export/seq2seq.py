"""Sequence-to-sequence export: an encoder and a decoder step that run together, gated on greedy decoding.

An encoder-decoder with attention is two files on the device. The encoder reads the whole input once and returns
the attention memory and the decoder's first states; the decoder step takes the previous token (one-hot,
``(batch, 1, depth)``, input ``decoder_step``), the memory (input ``memory``) and the states, and returns the
next-token probabilities and the new states. Generation is one encoder pass plus one step per output token, so its
cost is linear in the output length (``suite.topologies.encoder_decoder.inference_models`` makes the two models).

- ``export_encoder`` converts the encoder (calibrated on representative inputs) and gates it with the Keras decoder
  step behind it; ``export_decoder_step`` converts the step, calibrated on the inputs it meets in greedy decoding by
  the Keras pair and in teacher forcing (every step of many inputs: previous tokens, memory, states), and gates the
  exported pair as it runs on the device. Both gates are the registry's ``seq2seq_decoding`` task (export/tasks.py): greedy word error
  rate over held-out inputs against the Keras pair, each input right when its output equals any of its references.
- ``KerasPair`` and ``ExportedPair`` are the runners greedy decoding steps through; ``ExportedPair`` needs numpy
  and ai-edge-litert or onnxruntime only (no TensorFlow). ``EnsemblePair`` decodes several pairs of either kind
  as one (their next-token log-probabilities averaged).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from suite.errors import UserError

# Input names of the decoder step (suite.topologies.encoder_decoder.inference_models).
PREVIOUS_INPUT = "decoder_step"
MEMORY_INPUT = "memory"
# Full-int8 calibration of the step: at most this many steps, from greedy decoding and teacher forcing of the
# calibration inputs (g2p: all 29,040 steps of 2,000 words). Calibrated on 200 samples per file, the shipped g2p
# pair lost 0.61 test WER points (the ranges were too narrow and saturated); now 0.16 (docs/apps/g2p.md, "Export").
STEP_CALIBRATION_SAMPLES = 40000
# Inputs decoded together (Keras): larger batches amortise each step's call.
GREEDY_BATCH = 512
# Probabilities are floored before the log: an int8 softmax output can be exactly 0.
MIN_PROBABILITY = 1e-9
TASK = "seq2seq_decoding"


@dataclass(frozen=True)
class Decoding:
    """The token ids greedy decoding needs: it starts from ``start`` and a sequence ends at any ``stop`` token."""

    start: int
    stop: tuple[int, ...]
    max_steps: int


class PairRunner(Protocol):
    depth: int
    # How many states the decoder step takes. ``encode`` returns all of them: only the first decoder layer starts
    # from the encoder's bridge (as in training), deeper layers start at zero (``with_deeper_states``).
    state_count: int

    def encode(self, inputs: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        """(memory, decoder states) of a batch of inputs."""

    def step(self, previous: np.ndarray, memory: np.ndarray,
             states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """(probabilities (batch, depth), new states) after the previous token one-hots (batch, 1, depth)."""


class KerasPair:
    """The Keras encoder and decoder-step models, each one compiled graph."""

    def __init__(self, encoder: Any, decoder: Any):
        from suite.keras import tf

        self.encoder, self.decoder = encoder, decoder
        self.depth = int(decoder.outputs[0].shape[-1])
        self._encode = tf.function(lambda x: encoder(x, training=False), reduce_retracing=True)
        self._step = tf.function(lambda inputs: decoder(inputs, training=False), reduce_retracing=True)
        self.state_count = len(decoder.inputs) - 2

    def encode(self, inputs: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        outputs = [np.asarray(o) for o in self._encode(np.asarray(inputs, np.float32))]
        return outputs[0], with_deeper_states(outputs[1:], self.state_count)

    def step(self, previous: np.ndarray, memory: np.ndarray,
             states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        outputs = [np.asarray(o) for o in self._step([np.asarray(previous, np.float32), memory, *states])]
        return outputs[0][:, -1], outputs[1:]


class ExportedPair:
    """The exported encoder and decoder-step files through export.runtime (batch 1 files run input by input);
    without ``decoder_path``, the encoder alone (for ``MixedPair``)."""

    def __init__(self, encoder_path: str | Path, decoder_path: str | Path | None = None):
        from export.runtime import Runtime
        from suite.quiet import native_quiet

        with native_quiet():   # LiteRT announces its CPU delegate on fd 2
            self.encoder = Runtime(str(encoder_path))
            self.decoder = Runtime(str(decoder_path)) if decoder_path is not None else None
        self.depth = int(self.decoder.output_shapes[0][-1]) if self.decoder is not None else 0
        self.state_count = len(self.decoder.input_names) - 2 if self.decoder is not None else 0

    def encode(self, inputs: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        outputs = self.encoder.run(np.asarray(inputs, np.float32))
        return outputs[0], with_deeper_states(outputs[1:], self.state_count)

    def step(self, previous: np.ndarray, memory: np.ndarray,
             states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        feeds = {PREVIOUS_INPUT: previous, MEMORY_INPUT: memory}
        state_names = [n for n in self.decoder.input_names if n not in feeds]
        outputs = self.decoder.run_named({**feeds, **dict(zip(state_names, states))})
        return outputs[0].reshape(len(previous), -1), outputs[1:]


class MixedPair:
    """One runner's encoder with another's decoder step: gates an exported encoder on its own."""

    def __init__(self, encoder: PairRunner, decoder: PairRunner):
        self._encoder, self.step, self.depth = encoder, decoder.step, decoder.depth
        self.state_count = decoder.state_count

    def encode(self, inputs: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        memory, states = self._encoder.encode(inputs)
        return memory, with_deeper_states(states, self.state_count)


class EnsemblePair:
    """Several trained pairs decoding as one: at each step the members' next-token log-probabilities are averaged
    and renormalised (a product of experts, as ensembles of translation models decode). The memory is the members'
    memories side by side on the last axis, the states their states one after the other, so greedy and beam search
    step it like any pair. The members must share the output tokens and the input length."""

    def __init__(self, members: Sequence[PairRunner]):
        if not members or len({member.depth for member in members}) != 1:
            raise ValueError(f"an ensemble needs members with one output depth, got {[m.depth for m in members]}")
        self.members = list(members)
        self.depth = members[0].depth
        self.state_count = sum(member.state_count for member in members)
        self.widths: list[int] = []

    def encode(self, inputs: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        encoded = [member.encode(inputs) for member in self.members]
        self.widths = [memory.shape[-1] for memory, _ in encoded]
        return (np.concatenate([memory for memory, _ in encoded], axis=-1),
                [state for _, states in encoded for state in states])

    def step(self, previous: np.ndarray, memory: np.ndarray,
             states: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        log_probabilities, new_states, width_start, state_start = [], [], 0, 0
        for member, width in zip(self.members, self.widths):
            probabilities, member_states = member.step(previous, memory[..., width_start:width_start + width],
                                                       states[state_start:state_start + member.state_count])
            log_probabilities.append(np.log(np.maximum(probabilities, MIN_PROBABILITY)))
            new_states += list(member_states)
            width_start, state_start = width_start + width, state_start + member.state_count
        mean = np.mean(log_probabilities, axis=0)
        probabilities = np.exp(mean - mean.max(-1, keepdims=True))
        return probabilities / probabilities.sum(-1, keepdims=True), new_states


def with_deeper_states(bridge: list[np.ndarray], count: int) -> list[np.ndarray]:
    """The encoder's bridge states followed by zero states up to ``count``: a stacked decoder's deeper layers
    start at zero in training (suite.topologies.encoder_decoder), and every layer has the same width."""
    return list(bridge) + [np.zeros_like(bridge[0]) for _ in range(count - len(bridge))]


def one_hot(ids: np.ndarray, depth: int) -> np.ndarray:
    """Previous-token one-hots (batch, 1, depth) for the decoder step."""
    return np.eye(depth, dtype=np.float32)[np.asarray(ids, np.int64)][:, None, :]


def greedy(runner: PairRunner, inputs: np.ndarray, decoding: Decoding) -> tuple[np.ndarray, np.ndarray]:
    """(token ids (batch, max_steps), -1 after each sequence's first stop token; log-probabilities up to and
    with that token)."""
    memory, states = runner.encode(inputs)
    previous = np.full(len(inputs), decoding.start)
    chosen = np.full((len(inputs), decoding.max_steps), -1, np.int64)
    scores = np.zeros(len(inputs))
    finished = np.zeros(len(inputs), bool)
    for t in range(decoding.max_steps):
        probabilities, states = runner.step(one_hot(previous, runner.depth), memory, states)
        previous = probabilities.argmax(-1)
        chosen[:, t] = np.where(finished, -1, previous)
        scores += np.where(finished, 0.0, np.log(np.maximum(probabilities.max(-1), MIN_PROBABILITY)))
        finished |= np.isin(previous, decoding.stop)
        if finished.all():
            break
    return chosen, scores


def greedy_batched(runner: PairRunner, inputs: np.ndarray, decoding: Decoding) -> tuple[np.ndarray, np.ndarray]:
    parts = [greedy(runner, inputs[start:start + GREEDY_BATCH], decoding)
             for start in range(0, len(inputs), GREEDY_BATCH)]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def content(ids: np.ndarray, decoding: Decoding) -> list[tuple[int, ...]]:
    """Each decoded row up to its first stop token (the start token dropped): what is scored."""
    rows = []
    for row in np.asarray(ids, np.int64):
        tokens = []
        for token in row:
            if token < 0 or token in decoding.stop:
                break
            if token != decoding.start:
                tokens.append(int(token))
        rows.append(tuple(tokens))
    return rows


def step_inputs(runner: PairRunner, inputs: np.ndarray, decoding: Decoding, forced: Sequence[Sequence[int]] | None = None,
                samples: int = STEP_CALIBRATION_SAMPLES, seed: int = 0) -> list[np.ndarray]:
    """``[previous one-hots, memory, *states]`` of ``samples`` steps drawn from decoding ``inputs``: greedily (the
    states and contexts the step meets on the device), or, with ``forced`` (one token sequence per input), by
    teacher forcing (every step up to the one that should stop)."""
    collected: list[list[np.ndarray]] = []
    for start in range(0, len(inputs), GREEDY_BATCH):
        memory, states = runner.encode(inputs[start:start + GREEDY_BATCH])
        targets = None if forced is None else padded(forced[start:start + GREEDY_BATCH], decoding.max_steps)
        previous = np.full(len(memory), decoding.start)
        live = np.ones(len(memory), bool)
        for t in range(decoding.max_steps):
            step = [one_hot(previous, runner.depth), memory, *states]
            collected.append([value[live] for value in step])
            probabilities, states = runner.step(*step[:2], step[2:])
            if targets is None:
                previous = probabilities.argmax(-1)
                live &= ~np.isin(previous, decoding.stop)
            else:
                previous = np.maximum(targets[:, t], 0)
                live &= targets[:, t] >= 0
            if not live.any():
                break
    return drawn([np.concatenate(parts) for parts in zip(*collected)], samples, seed)


def drawn(arrays: list[np.ndarray], samples: int, seed: int = 0) -> list[np.ndarray]:
    """``samples`` rows (all when fewer) of the arrays, in a seeded random order."""
    chosen = np.random.default_rng(seed).permutation(len(arrays[0]))[:samples]
    return [array[chosen] for array in arrays]


def export_encoder(keras: KerasPair, path: Path, fmt: str, quantize: str, calibration: np.ndarray,
                   heldout: np.ndarray, references: Sequence[Sequence[Sequence[int]]],
                   decoding: Decoding) -> dict[str, Any]:
    """Convert the encoder and gate it behind the Keras decoder step (report with the task's fields and bytes)."""
    info = _convert(keras.encoder, path, fmt, quantize, calibration, int(np.asarray(calibration).shape[1]))
    report = gate(keras, MixedPair(ExportedPair(path), keras), heldout, references, decoding)
    return {**report, "bytes": info["bytes"]}


def export_decoder_step(keras: KerasPair, path: Path, encoder_path: Path, fmt: str, quantize: str,
                        calibration: np.ndarray, heldout: np.ndarray, references: Sequence[Sequence[Sequence[int]]],
                        decoding: Decoding, forced: Sequence[Sequence[int]] | None = None) -> dict[str, Any]:
    """Convert the decoder step and gate the exported pair. The step calibrates on every step of greedy decoding
    of ``calibration`` by the Keras pair and, with ``forced`` (a reference per calibration input), of teacher
    forcing them: on g2p, greedy steps alone passed the shipped model (+0.16) and failed the tiny one (+0.64),
    both together passed both (+0.16, +0.44); teacher forcing alone +0.06 to +0.25 and +0.41 to +0.44."""
    if not encoder_path.is_file():
        raise UserError(f"{encoder_path.parent}: no {encoder_path.name}; export the encoder (--kind sequence) first")
    representative = step_inputs(keras, calibration, decoding, samples=STEP_CALIBRATION_SAMPLES)
    if forced is not None:
        teacher = step_inputs(keras, calibration, decoding, forced=forced, samples=STEP_CALIBRATION_SAMPLES)
        representative = drawn([np.concatenate(pair) for pair in zip(teacher, representative)],
                               STEP_CALIBRATION_SAMPLES)
    info = _convert(keras.decoder, path, fmt, quantize, representative, None)
    report = gate(keras, ExportedPair(encoder_path, path), heldout, references, decoding)
    return {**report, "bytes": info["bytes"], "calibration_steps": len(representative[0])}


def _convert(model: Any, path: Path, fmt: str, quantize: str, representative: Any, length: int | None) -> dict:
    from export import to_onnx, to_tflite
    from suite.quiet import native_quiet

    samples = len(representative[0] if isinstance(representative, list) else representative)
    with native_quiet():   # the TFLite converter logs its quantizer settings on fd 2
        if fmt == "tflite":   # every sample calibrates (to_tflite's default cap is 200)
            return to_tflite(model, path, quantize=quantize, representative=representative, sequence_length=length,
                             calibration_samples=samples)
        return to_onnx(model, path, quantize=quantize, representative=representative, sequence_length=length)


def gate(keras: PairRunner, exported: PairRunner, heldout: np.ndarray,
         references: Sequence[Sequence[Sequence[int]]], decoding: Decoding) -> dict[str, Any]:
    """The ``seq2seq_decoding`` task on greedy decoding of ``heldout`` by both runners."""
    from export.tasks import evaluate

    keras_ids = padded(content(greedy_batched(keras, heldout, decoding)[0], decoding), decoding.max_steps)
    export_ids = padded(content(greedy_batched(exported, heldout, decoding)[0], decoding), decoding.max_steps)
    return {"task": TASK, **evaluate(TASK, keras_ids, export_ids, references)}


def padded(sequences: Sequence[Sequence[int]], length: int) -> np.ndarray:
    """Sequences as one (count, length) id array, -1 after each sequence's end (the task's input)."""
    array = np.full((len(sequences), length), -1, np.int64)
    for row, sequence in zip(array, sequences):
        row[:len(sequence)] = sequence
    return array


__all__ = ["Decoding", "KerasPair", "ExportedPair", "MixedPair", "EnsemblePair", "with_deeper_states", "greedy",
           "greedy_batched", "content", "step_inputs", "drawn", "export_encoder", "export_decoder_step", "gate",
           "padded", "one_hot"]
