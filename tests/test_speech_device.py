"""The speech inference commands as a device runs them: a subprocess in a temporary folder, TensorFlow
unimportable, the shipped int8 model; wrong-kind inputs and bad files as one line each, exit 2."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from apps.speech import dataset, frontend
from apps.speech.labels import KEYWORDS, LABELS
from suite.app import shipped_model_dir
from tests.speech_fixtures import generated, long_recording

PER_WORD = 3  # 35 clips per split, generated in about a second
CLIP_SECONDS = 1.0  # a Speech Commands clip
SHIPPED = shipped_model_dir("speech")
OTHER_APPS = shipped_model_dir("speech").parent


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return generated(tmp_path_factory, "speech_device", PER_WORD, seed=11)


@pytest.fixture(scope="module")
def clips(folder: Path) -> list[dataset.Example]:
    """Keyword clips of the generated set's held-out test voices."""
    examples = dataset.load_folder(folder, silence_fraction=0.0, unknown_fraction=0.0, seed=0)["testing"]
    return [e for e in examples if LABELS[e.label] in KEYWORDS]


def speech(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "apps.speech", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_predict_without_tensorflow_labels_heldout_voices(clips, tmp_path: Path, without_tensorflow):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    files = [clip.path for clip in clips]
    result = speech(["predict", *files[:5], str(bad), *files[5:], "--json"], tmp_path, without_tensorflow)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 2 and result.stderr == f"error: {bad}: not a WAV file (no RIFF/WAVE header)\n"
    assert [r["file"] for r in records] == files  # every good file, in order, around the bad one
    accuracy = np.mean([r["label"] == LABELS[clip.label] for r, clip in zip(records, clips)])
    assert accuracy >= 0.8  # these 10 clips; the shipped model scores 0.783 on its whole held-out split; chance 0.083
    assert all(r["top3"][0] == {"label": r["label"], "score": r["score"]} for r in records)
    assert "INFO" not in result.stderr  # LiteRT's XNNPACK line stays off the terminal


def test_predict_onnx_backend_agrees_with_tflite(clips, tmp_path: Path, without_tensorflow):
    files = [clip.path for clip in clips[:6]]
    runs = {backend: speech(["predict", *files, "--backend", backend, "--json"], tmp_path, without_tensorflow)
            for backend in ("tflite", "onnx")}
    assert all(run.returncode == 0 for run in runs.values())
    labels = {backend: [json.loads(line)["label"] for line in run.stdout.splitlines()] for backend, run in runs.items()}
    assert len(labels["onnx"]) == 6 and labels["onnx"] == labels["tflite"]


def test_stream_without_tensorflow_finds_the_words(clips, tmp_path: Path, without_tensorflow):
    chosen = clips[:6]
    signal, truth = long_recording(chosen)
    path = tmp_path / "recording.wav"
    soundfile.write(path, signal, frontend.SAMPLE_RATE, subtype="FLOAT")
    result = speech(["stream", str(path), "--json"], tmp_path, without_tensorflow)
    found = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and result.stderr == ""
    starts = [start for _, start in truth]  # each clip's second in the recording
    clip_of = [min(range(len(starts)), key=lambda i: abs(starts[i] - d["start"])) for d in found]
    # the detected window overlaps the clip's second (carrier-phrase training: a word at a window's very end counts)
    assert all(d["start"] < starts[i] + CLIP_SECONDS and d["end"] > starts[i] for i, d in zip(clip_of, found))
    assert [d["label"] for d in found] == [LABELS[chosen[i].label] for i in clip_of]  # no wrong word
    assert len(set(clip_of)) == len(found) >= len(chosen) - 1  # at most one of 6 words missed (shipped model: 6 of 6)


def test_evaluate_without_tensorflow_scores_the_test_split(folder: Path, tmp_path: Path, without_tensorflow):
    shipped_before = sorted(path.name for path in SHIPPED.iterdir())
    result = speech(["evaluate", "--data", str(folder), "--json"], tmp_path, without_tensorflow)
    record = json.loads(result.stdout)
    assert result.returncode == 0 and result.stderr == ""
    # one test clip per word at 3 per word: 10 keywords, as many unknowns (fraction 1.0), ceil(10%) silence
    assert record["examples"] == len(KEYWORDS) + len(KEYWORDS) + 1
    # shipped model: 0.783 on its held-out split; 16 of these 21 (0.762); chance 0.083
    assert record["accuracy"] >= 0.7 and np.sum(record["confusion_matrix"]) == record["examples"]
    assert record["confusion_png"] is None  # the shipped model's folder is not written to unasked
    assert sorted(path.name for path in SHIPPED.iterdir()) == shipped_before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["no_tensorflow"]  # nor the working folder


CHECK_MODULES = """
import sys
from suite.app import main
code = main("speech", sys.argv[1:])
loaded = {name.split(".")[0] for name in sys.modules}
print("modules", sorted(loaded & {"tensorflow", "keras", "tf_keras", "ai_edge_litert", "onnxruntime"}), code)
"""


@pytest.mark.parametrize("command", ["predict", "stream"])
def test_inference_never_imports_tensorflow_even_when_installed(clips, tmp_path: Path, repo_on_pythonpath,
                                                                 command: str):
    result = subprocess.run([sys.executable, "-c", CHECK_MODULES, command, clips[0].path], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.splitlines()[-1] == "modules ['ai_edge_litert'] 0", result.stderr


def wrong_kind_cases(tmp: Path) -> list[tuple[list[str], str]]:
    bare = tmp / "bare"
    bare.mkdir()
    for app, name in (("vitals", "step_int8.tflite"), ("video", "model_int8.tflite")):
        shutil.copy(OTHER_APPS / app / name, bare / f"{app}_{name}")
    wav = str(tmp / "yes.wav")
    return [
        (["predict", wav, "--model", str(OTHER_APPS / "video" / "model_int8.tflite")], "a video model, not a speech"),
        (["stream", wav, "--model", str(OTHER_APPS / "vitals" / "step_int8.tflite")], "a vitals model, not a speech"),
        (["predict", wav, "--model", str(OTHER_APPS / "vitals")], "a vitals model, not a speech model"),
        (["predict", wav, "--model", str(bare / "video_model_int8.tflite")], "not a speech window model"),
        (["stream", wav, "--model", str(bare / "vitals_step_int8.tflite")], "not a speech step model"),
        (["predict", wav, "--model", str(SHIPPED / "step_int8.tflite")], "a step model"),
        (["stream", wav, "--model", str(SHIPPED / "model_int8.tflite")], "not a step model"),
        (["predict", wav, "--model", str(bare)], "not a model directory"),
        (["stream", wav, "--plot", str(bare)], "is a folder"),
        (["evaluate", "--data", str(bare), "--out", str(bare)], "is a folder"),
        (["predict", wav, "--backend", "keras"], "--backend keras needs TensorFlow"),
    ]


def test_wrong_kind_inputs_are_one_line_exit_2(tmp_path: Path, without_tensorflow):
    soundfile.write(tmp_path / "yes.wav", np.zeros(16_000, np.float32), 16_000)
    for argv, problem in wrong_kind_cases(tmp_path):
        result = speech(argv, tmp_path, without_tensorflow)
        assert result.returncode == 2, (argv, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and problem in result.stderr, (
            argv, result.stderr)
        assert result.stdout == ""
    assert sorted(path.name for path in tmp_path.iterdir()) == ["bare", "no_tensorflow", "yes.wav"]
