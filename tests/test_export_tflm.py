"""``--target tflm``: C sources that compile, an op resolver with exactly the model's kernels, the arena
measured in TFLite Micro, and the parity gates run in TFLite Micro (stepped for step models)."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from export import report as parity
from export import tflm
from export.__main__ import main
from suite.modeldir import save_model_dir
from tests.export_toy_models import model_data, trained_model

pytest.importorskip("tflite_micro")
COMPILER = shutil.which("c++") or shutil.which("g++")
needs_compiler = pytest.mark.skipif(COMPILER is None, reason="no host C++ compiler")
SHIPPED = Path(__file__).resolve().parents[1] / "saved_models"
# Methods of tflite::MicroMutableOpResolver (tensorflow/lite/micro/micro_mutable_op_resolver.h) for the ops
# our lowering emits: the stub below declares only these, so a misspelt Add...() fails to compile.
REAL_METHODS = ["AddAdd", "AddConcatenation", "AddConv2D", "AddDepthwiseConv2D", "AddDequantize",
                "AddFullyConnected", "AddGather", "AddLogistic", "AddMaximum", "AddMaxPool2D", "AddMean", "AddMinimum",
                "AddMul", "AddPack",
                "AddQuantize", "AddReshape", "AddSoftmax", "AddSplit", "AddStridedSlice", "AddSub", "AddTanh",
                "AddTranspose", "AddUnpack"]


def stub_resolver_header(folder: Path) -> Path:
    """A minimal stand-in for TFLite Micro's resolver header: counts Add calls, checks the capacity."""
    header = folder / "tensorflow" / "lite" / "micro" / "micro_mutable_op_resolver.h"
    header.parent.mkdir(parents=True)
    methods = "\n".join(f"  TfLiteStatus {name}() {{ return Add(); }}" for name in REAL_METHODS)
    header.write_text(
        "#pragma once\nenum TfLiteStatus { kTfLiteOk = 0, kTfLiteError = 1 };\nnamespace tflite {\n"
        "template <unsigned int N> class MicroMutableOpResolver {\n public:\n  unsigned int count = 0;\n"
        f"{methods}\n private:\n  TfLiteStatus Add() {{ return ++count <= N ? kTfLiteOk : kTfLiteError; }}\n}};\n}}\n")
    return folder


def test_resolver_method_names_follow_tflite_micro():
    assert [tflm.resolver_method(op) for op in ["FULLY_CONNECTED", "CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D",
                                                "STRIDED_SLICE", "LOGISTIC", "PADV2"]] == [
        "AddFullyConnected", "AddConv2D", "AddDepthwiseConv2D", "AddMaxPool2D", "AddStridedSlice", "AddLogistic",
        "AddPadV2"]


@needs_compiler
def test_model_array_compiles_aligned_and_byte_exact(tmp_path):
    data = bytes(range(256)) * 3 + b"\x00\xff\x10"
    header, source = tflm.model_data_sources(data, "toy-model", "toy-model.tflite")
    (tmp_path / "toy-model_model_data.h").write_text(header)
    (tmp_path / "toy-model_model_data.cc").write_text(source)
    (tmp_path / "main.cc").write_text(
        '#include <cstdio>\n#include <cstdint>\n#include "toy-model_model_data.h"\nint main() {\n'
        "  unsigned long sum = 0;\n  for (unsigned i = 0; i < g_toy_model_model_data_len; ++i)"
        " sum = sum * 31 + g_toy_model_model_data[i];\n"
        '  std::printf("%u %lu %lu\\n", g_toy_model_model_data_len, sum % 1000000007UL,'
        " (unsigned long)((uintptr_t)g_toy_model_model_data % 16));\n}\n")
    binary = tmp_path / "check"
    subprocess.run([COMPILER, "-std=c++17", "-Wall", "-Werror", str(tmp_path / "main.cc"),
                    str(tmp_path / "toy-model_model_data.cc"), "-o", str(binary)], check=True)
    length, checksum, misalignment = subprocess.run([str(binary)], capture_output=True, text=True,
                                                    check=True).stdout.split()
    expected = 0
    for byte in data:
        expected = (expected * 31 + byte) % (2 ** 64)
    assert int(length) == len(data) and int(checksum) == expected % 1000000007 and int(misalignment) == 0


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The toy GRU exported to full int8 for TFLite Micro, as a sequence model and as a step model."""
    folder = tmp_path_factory.mktemp("tflm")
    save_model_dir(folder / "gru", trained_model("gru"), {"app": None, "task": "classification",
                                                         "topology": "many_to_one", "model": {}})
    inputs, targets = model_data("gru", 2 * parity.MIN_HELDOUT_SEQUENCES, seed=11)
    np.savez(folder / "data.npz", inputs=inputs, targets=targets)
    reports = {}
    for variant in (False, True, "per_tensor"):
        report_path = folder / f"report_{variant}.json"
        argv = [str(folder / "gru"), "--quantize", "int8", "--target", "tflm", "--calibration-data",
                str(folder / "data.npz"), "--report", str(report_path)] + (["--step"] if variant else [])
        if variant == "per_tensor":
            argv += ["--per-tensor", "--out", str(folder / "gru" / "step_int8_per_tensor.tflite")]
        assert main(argv) == 0
        reports[variant] = json.loads(report_path.read_text())
    return reports


def test_per_tensor_weights_shrink_the_arena_and_flash(exported):
    per_channel, per_tensor = exported[True], exported["per_tensor"]
    assert per_tensor["per_tensor"] is True
    assert per_tensor["tflm"]["arena_bytes"] < per_channel["tflm"]["arena_bytes"]
    assert per_tensor["tflm"]["flash_bytes"] < per_channel["tflm"]["flash_bytes"]
    assert per_tensor["tflm"]["agreement"] >= parity.MIN_ARGMAX_AGREEMENT


@pytest.mark.parametrize("step", [False, True])
def test_tflm_report_gates_in_tflite_micro(exported, step):
    micro = exported[step]["tflm"]
    assert micro["mode"] == ("stepped" if step else "per sample")
    assert micro["samples"] == parity.MIN_HELDOUT_SEQUENCES
    assert micro["agreement"] >= parity.MIN_ARGMAX_AGREEMENT and micro["passed"]
    # Reference int8 kernels, softmax outputs in [0, 1]: measured 0.04 per sample, 0.28 after 12 stepped
    # states near a decision boundary (LiteRT: 0.05); the argmax gate above is what must hold.
    assert micro["max_abs_diff"] < (0.4 if step else 0.1)
    assert micro["flash_bytes"] == Path(exported[step]["path"]).stat().st_size
    # The arena is the smallest that runs: 16 bytes less does not.
    path = exported[step]["path"]
    assert tflm._runs_in(path, micro["arena_bytes"]) and not tflm._runs_in(path, micro["arena_bytes"] - 16)


def test_step_model_needs_far_less_arena_than_the_unrolled_one(exported):
    assert exported[True]["tflm"]["arena_bytes"] * 3 < exported[False]["tflm"]["arena_bytes"]


@needs_compiler
def test_generated_sources_compile_and_register_exactly_the_ops(exported, tmp_path):
    report = exported[True]
    files = report["tflm"]["files"]
    resolver = Path(files["op_resolver_h"]).read_text()
    calls = re.findall(r"resolver\.(Add\w+)\(\)", resolver)
    assert calls == [tflm.resolver_method(op) for op in sorted(report["ops"])]
    assert f"MicroMutableOpResolver<kStepInt8OpCount>" in resolver and f"= {len(calls)};" in resolver
    include = stub_resolver_header(tmp_path / "stub")
    (tmp_path / "main.cc").write_text(
        f'#include "step_int8_op_resolver.h"\n#include "step_int8_model_data.h"\n#include <cstdio>\n'
        "int main() {\n  StepInt8OpResolver resolver;\n  TfLiteStatus status = RegisterStepInt8Ops(resolver);\n"
        '  std::printf("%d %u %u\\n", (int)status, resolver.count, g_step_int8_model_data_len);\n}\n')
    binary = tmp_path / "check"
    folder = Path(files["model_data_cc"]).parent
    subprocess.run([COMPILER, "-std=c++17", "-Wall", "-Werror", f"-I{include}", f"-I{folder}",
                    str(tmp_path / "main.cc"), files["model_data_cc"], "-o", str(binary)], check=True)
    status, count, length = subprocess.run([str(binary)], capture_output=True, text=True, check=True).stdout.split()
    assert (int(status), int(count), int(length)) == (0, len(calls), report["bytes"])


def test_tflm_target_needs_full_int8_tflite(capsys):
    assert main(["anything", "--quantize", "dynamic", "--target", "tflm"]) == 2
    assert "TFLite Micro runs full-int8 or int16x8 TFLite files" in capsys.readouterr().err


# music ships an int16x8 step file (full int8 drifts over whole tunes; docs/apps/music.md).
@pytest.mark.parametrize("app, name", [("speech", "step_int8.tflite"), ("vitals", "step_int8.tflite"),
                                       ("music", "step_int16x8.tflite"), ("video", "step_int8.tflite")])
def test_shipped_step_models_footprint_matches_the_deploy_doc(app, name):
    """docs/deploy/microcontroller.md quotes the measured flash and arena of every shipped step model."""
    path = SHIPPED / app / name
    measured = tflm.footprint(path)
    doc = (Path(__file__).resolve().parents[1] / "docs" / "deploy" / "microcontroller.md").read_text()
    row = re.search(rf"^\| {app} \| ([\d,]+) \| ([\d,]+) \|", doc, re.MULTILINE)
    assert row, f"no {app} row in docs/deploy/microcontroller.md"
    assert (int(row.group(1).replace(",", "")), int(row.group(2).replace(",", ""))) == (
        measured["flash_bytes"], measured["arena_bytes"])
    if app == "music":  # the app's own export gated it in TFLite Micro (metrics.json)
        micro = json.loads((SHIPPED / app / "metrics.json").read_text())["exports"][name]["tflm"]
        assert micro["passed"] and (micro["flash_bytes"], micro["arena_bytes"]) == (
            measured["flash_bytes"], measured["arena_bytes"])
    if app == "speech":
        assert measured["flash_bytes"] <= 64 * 1024  # issue 13's flash budget
        assert measured["arena_bytes"] <= 12 * 1024  # and its arena budget (micro_speech: ~10 KB)


def test_int16x8_embedding_lookup_runs_in_tflite_micro(tmp_path, monkeypatch):
    """TFLite Micro's GATHER has no int16: an int16x8 file gathers from a float table, then QUANTIZEs to int16.

    The rewrite changes no number (LiteRT's outputs are bit-identical to the int16 GATHER's), and the file
    runs in TFLite Micro, stepped with its state, close to LiteRT (music step model: max diff 0.0005).
    """
    from ai_edge_litert.interpreter import Interpreter

    from export import calibration, tflite
    from export.runtime import StreamingRuntime
    from suite.keras import keras
    from suite.streaming import step_model

    vocabulary, steps = 9, 10
    tokens = keras.Input((None,), dtype="int32", name="tokens")
    hidden = keras.layers.LSTM(12, return_sequences=True, name="lstm")(
        keras.layers.Embedding(vocabulary, 5, name="embed")(tokens))
    model = keras.Model(tokens, keras.layers.Dense(vocabulary, activation="softmax", name="output")(hidden))
    stepper = step_model(model)
    sequences = np.random.default_rng(3).integers(0, vocabulary, (24, steps)).astype(np.int32)
    representative = calibration.step_inputs(stepper, sequences[:16])
    rewritten, original = tmp_path / "rewritten.tflite", tmp_path / "original.tflite"
    tflite.to_tflite(stepper, rewritten, quantize="int16x8", representative=representative)
    monkeypatch.setattr(tflite, "float_int16_gathers", lambda flatbuffer: flatbuffer)
    tflite.to_tflite(stepper, original, quantize="int16x8", representative=representative)

    def gather_types(path):
        interpreter = Interpreter(str(path))
        dtypes = {tensor["index"]: tensor["dtype"] for tensor in interpreter.get_tensor_details()}
        return [(dtypes[op["inputs"][0]], dtypes[op["outputs"][0]]) for op in interpreter._get_ops_details()
                if op["op_name"] == "GATHER"]

    assert gather_types(original) == [(np.int16, np.int16)]
    assert gather_types(rewritten) == [(np.float32, np.float32)]
    assert not tflm._runs_in(original, 64 * 1024) and tflm._runs_in(rewritten, 64 * 1024)
    heldout = sequences[16:, :, None]
    litert = {path: np.stack([StreamingRuntime(str(path)).run_sequence(s) for s in heldout])
              for path in (original, rewritten)}
    np.testing.assert_array_equal(litert[original], litert[rewritten])
    micro = StreamingRuntime(str(rewritten), backend="tflm", arena_size=tflm.arena_bytes(rewritten))
    stepped = np.stack([micro.run_sequence(sequence) for sequence in heldout])
    assert stepped.shape == litert[rewritten].shape and np.max(np.abs(stepped - litert[rewritten])) < 0.01
