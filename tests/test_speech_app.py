"""The speech app end to end through the framework: prepare-data, the shared train and export, evaluate,
predict and stream, on a tiny generated set and a tiny model trained in seconds (module-scoped)."""
from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile

from apps.speech import calibration, data, dataset, features, frontend, model, recognize
from apps.speech.commands import evaluate, stream
from apps.speech.labels import KEYWORDS, LABEL_INDEX, LABELS
from apps.speech.presets import PRESETS
from apps.speech.recognize import RecognizeCommands
from suite.app import main
from suite.keras import tf
from tests.run_folders import first_epoch_saved
from tests.speech_fixtures import generated, long_recording

CHANCE = 1 / len(LABELS)  # 0.083
PER_WORD = 14
GATE_SAMPLES = 400  # half calibrates, half is the parity gate's 200 held-out windows
FRAME_SHIFTS = (0, 2, 4)
EPOCHS = 50
# batch 32 (6 updates an epoch, not 3) and dropout 0.2 on the GRU's inputs, for about 1 s more training: the int8
# step file's per-step argmax agreement (the export scores 400 random steps of the 200 gate windows; over all 9,800)
# went from 0.969-0.986 (seeds 0-4, mean 0.979) to 0.977-0.988 (seeds 0-9, mean 0.983). Its 400-step figure over
# seeds 0-9: 0.965-0.9975 before, 0.9725-0.99 after; model_int8's: 0.99-1.0 before, 0.97-1.0 after. The rest is
# int8 rounding inside the GRU (seed 2: z/r input projection at int8 scale 0.39) on near-tied early-step outputs.
TINY_OVERRIDES = ["--set", f"epochs={EPOCHS}", "--set", "learning_rate=0.01", "--set", f"per_word={PER_WORD}",
                  "--set", "unknown_fraction=0.5", "--set", "batch_size=32", "--set", "dropout=0.2"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return generated(tmp_path_factory, "speech_app", PER_WORD, seed=3)


@pytest.fixture(scope="module")
def trained(folder: Path, tmp_path_factory) -> dict:
    """The shared ``train`` on the tiny preset; returns its --json record."""
    root = tmp_path_factory.mktemp("speech_model")
    argv = ["train", "--config", "tiny", *TINY_OVERRIDES, "--data", str(folder), "--runs", str(root / "runs"),
            "--json"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main("speech", argv) == 0
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.fixture(scope="module")
def model_dir(trained: dict) -> Path:
    return Path(trained["model_dir"])


@pytest.fixture(scope="module")
def gate_windows(folder: Path, tmp_path_factory) -> Path:
    """The export's --calibration-data: windows of training voices (the first half calibrates, the second half
    is the parity gate's 200 held-out windows)."""
    # Calibrate and check parity on training voices: the tiny model is confident there, so the export's
    # 99% argmax-agreement gate measures quantization, not coin flips on a handful of unsure held-out clips.
    examples = dataset.load_folder(folder, silence_fraction=0.1, unknown_fraction=0.5, seed=0)["training"]
    inputs, targets = data.split_features(examples)
    # the gate needs 200 held-out windows (400 in the file): add each window shifted by 2 and 4 frames (20, 40 ms)
    inputs = np.concatenate([np.roll(inputs, shift, axis=1) for shift in FRAME_SHIFTS])[:GATE_SAMPLES]
    targets = np.concatenate([targets] * len(FRAME_SHIFTS))[:GATE_SAMPLES]
    npz = tmp_path_factory.mktemp("calibration") / "training_voices.npz"
    np.savez(npz, inputs=inputs, targets=targets)
    return npz


@pytest.fixture(scope="module")
def export_code(model_dir: Path, gate_windows: Path) -> int:
    """The shared ``export`` of the tiny model (tflite only); returns its exit code."""
    return main("speech", ["export", "--model", str(model_dir), "--format", "tflite", "--calibration-data",
                           str(gate_windows), "--json"])


def all_step_agreement(model_dir: Path, gate_windows: Path) -> float:
    """Argmax agreement of step_int8.tflite with the Keras step model on every step of the 200 held-out
    windows (9,800), not the export's 400-step sample (its figure moved by +-0.7 points with the draw)."""
    from export import calibration as export_calibration, steppable
    from export.report import keras_predict, run_export
    from export.runtime import Runtime
    from suite.modeldir import load_model_dir

    step = steppable(load_model_dir(model_dir)[0], model_dir)
    heldout = np.load(gate_windows)["inputs"][GATE_SAMPLES // 2:]
    steps = export_calibration.step_inputs(step, heldout, max_samples=heldout.shape[0] * heldout.shape[1])
    keras_out = keras_predict(step, steps)
    export_out = np.asarray(run_export(step, Runtime(str(model_dir / "step_int8.tflite")), steps)[0])
    return float(np.mean(keras_out.reshape(len(keras_out), -1).argmax(-1)
                         == export_out.reshape(len(export_out), -1).argmax(-1)))


@pytest.fixture(scope="module")
def exported(model_dir: Path, export_code: int) -> Path:
    return model_dir


def training_keyword_clips(folder: Path, count: int) -> list[dataset.Example]:
    """Keyword clips of the training voices (the tiny model has learned those; held-out voices are hard)."""
    examples = dataset.load_folder(folder, silence_fraction=0.0, unknown_fraction=0.0, seed=0)["training"]
    return [e for e in examples if LABELS[e.label] in KEYWORDS][:count]


def run_cli(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main("speech", argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_writes_a_run_folder_and_a_model_folder_with_heldout_metrics(trained: dict, model_dir: Path,
                                                                           folder: Path):
    assert Path(trained["run_dir"]).name == "tiny" and Path(trained["run_dir"]).parent.name == "speech"
    assert model_dir == Path(trained["run_dir"]) / "model"
    config = json.loads((model_dir / "config.json").read_text())
    assert (config["app"], config["task"], config["topology"], config["preset"]) == (
        "speech", "classification", "many_to_one", "tiny")
    assert config["model"]["input_shape"] == [49, 40] and config["labels"] == list(LABELS)
    assert config["settings"]["epochs"] == EPOCHS and config["overrides"][0] == f"epochs={EPOCHS}"
    assert config["data"]["path"] == str(folder.resolve()) and config["data"]["unknown_fraction"] == 0.5
    assert config["command"].startswith(f"python -m apps.speech train --config tiny --set epochs={EPOCHS}")
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert metrics["params"] <= 30_000 and metrics["epochs_run"] == EPOCHS
    assert metrics["heldout_examples"] > 0 and metrics["heldout_accuracy_float"] > 2 * CHANCE  # unseen voices
    assert set(metrics["heldout_per_class_accuracy_float"]) <= set(LABELS)
    assert (model_dir / "history.csv").read_text().count("\n") == EPOCHS + 1  # header + 25 epochs


def test_shipped_preset_is_the_shipped_model():
    from suite.app import shipped_model_dir
    from suite.config import to_dict

    shipped = json.loads((shipped_model_dir("speech") / "config.json").read_text())
    settings = json.loads(json.dumps(to_dict(PRESETS["small"].config)))  # tuples as JSON lists
    assert shipped["preset"] == "small" and shipped["settings"] == settings
    assert shipped["model"] == json.loads(json.dumps(PRESETS["small"].config.model_kwargs()))


def test_evaluate_reports_accuracy_and_writes_the_confusion_png(model_dir: Path, folder: Path, tmp_path: Path,
                                                                capsys):
    png = tmp_path / "confusion.png"
    code, out, _ = run_cli(["evaluate", "--data", str(folder), "--model", str(model_dir), "--backend", "keras",
                            "--split", "training", "--out", str(png), "--json"], capsys)
    record = json.loads(out)
    assert code == 0 and record["split"] == "training" and record["accuracy"] > 0.6  # chance 0.083
    assert {"accuracy", "examples", "per_class_accuracy", "confusion_matrix"} <= set(record)
    assert np.sum(record["confusion_matrix"]) == record["examples"]
    assert np.trace(record["confusion_matrix"]) / record["examples"] == pytest.approx(record["accuracy"], abs=1e-4)
    assert record["confusion_png"] == str(png) and png.read_bytes()[:4] == b"\x89PNG"


def test_predict_labels_generated_clips_with_the_keras_backend(model_dir: Path, folder: Path, capsys):
    clips = training_keyword_clips(folder, 60)  # 20 clips gave 0.55 in one full run, 0.72 on these 60
    code, out, _ = run_cli(["predict", *[c.path for c in clips], "--model", str(model_dir), "--backend", "keras",
                            "--json"], capsys)
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["file"] for r in records] == [c.path for c in clips]
    for record in records:
        assert set(record) == {"file", "label", "score", "top3"} and len(record["top3"]) == 3
        assert record["top3"][0] == {"label": record["label"], "score": record["score"]}
        assert record["top3"][0]["score"] >= record["top3"][1]["score"] >= record["top3"][2]["score"]
    correct = np.mean([r["label"] == LABELS[c.label] for r, c in zip(records, clips)])
    assert correct >= 0.6  # chance 0.083


def test_export_records_every_file_and_int8_scores_like_keras(exported: Path, export_code: int, folder: Path,
                                                               gate_windows: Path):
    metrics = json.loads((exported / "metrics.json").read_text())
    assert set(metrics["exports"]) == {"model_int8.tflite", "step_int8.tflite"}
    assert all((exported / name).is_file() for name in metrics["exports"])  # every file written and reported
    assert metrics["exports"]["step_int8.tflite"]["bytes"] <= 60_000
    # the tiny model sits near the 99% gate (data v3, 50 epochs: 0.98-0.99 seen; 25 epochs gave 0.95-0.98): one
    # policy, exit 2 on a failure. The step file is held to its agreement over every held-out step (0.977-0.988
    # over training seeds 0-9), not to the export's 400-step figure (0.9725-0.99 over the same seeds).
    assert metrics["exports"]["model_int8.tflite"]["agreement"] >= 0.97
    assert all_step_agreement(exported, gate_windows) >= 0.97
    assert export_code == (0 if all(entry["passed"] for entry in metrics["exports"].values()) else 2)
    assert metrics["heldout_exports"]["model_int8.tflite"]["examples"] == metrics["heldout_examples"]
    keras_result = evaluate.evaluate_folder(exported, folder, "training", 0.5, backend="keras")
    int8_result = evaluate.evaluate_folder(exported, folder, "training", 0.5)
    assert int8_result["model"].endswith("model_int8.tflite")
    assert abs(keras_result["accuracy"] - int8_result["accuracy"]) <= 0.05
    assert int8_result["accuracy"] > 0.6


def test_calibration_gives_200_heldout_windows_of_heldout_voices(model_dir: Path, folder: Path):
    config = json.loads((model_dir / "config.json").read_text())
    examples = calibration.split_examples(config, "heldout")
    assert 0 < len(examples) < 200  # the tiny folder's test split alone is too small for the export gate
    inputs, labels = calibration.speech_dataset(config, "heldout", 200)
    assert inputs.shape == (200, 49, 40) and labels.shape == (200,)
    first, _ = data.split_features(examples)
    assert np.array_equal(inputs[:len(examples)], first)  # the clips themselves first, then shifted copies
    assert np.array_equal(labels[:len(examples)], [e.label for e in examples])
    first_clip = dataset.load_arrays(examples[:1])[0]
    shifted = frontend.log_mel(calibration.shifted(first_clip, calibration.SHIFTS_SAMPLES[1])[0])
    assert np.array_equal(inputs[len(examples)], shifted)
    test_voices = {dataset.speaker_of(e.path) for e in examples if e.label != LABEL_INDEX["_silence_"]}
    training_voices = {dataset.speaker_of(e.path) for e in calibration.split_examples(config, "train")}
    assert test_voices and not test_voices & training_voices


def matched(detections: list, truth: list[tuple[str, float]]) -> int:
    """Detections whose label is right and whose window overlaps that clip's second."""
    return sum(any(d.label == label and d.start < start + 1.0 and d.end > start for d in detections)
               for label, start in truth)


def test_stream_detects_words_with_times_and_plots_them(folder: Path, tmp_path: Path, capsys):
    """The default model (the shipped int8 step model): the tiny test model is too unsure for the 0.7 threshold."""
    clips = training_keyword_clips(folder, 8)
    signal, truth = long_recording(clips)
    path, png = tmp_path / "long.wav", tmp_path / "timeline.png"
    soundfile.write(path, signal, frontend.SAMPLE_RATE, subtype="FLOAT")
    code, out, _ = run_cli(["stream", str(path), "--plot", str(png), "--json"], capsys)
    detections = [recognize.Detection(r["label"], r["score"], r["start"], r["end"])
                  for r in map(json.loads, out.splitlines())]
    # 8 words of 10 classes. The 3-family model (data v3) finds 3 of these 8 espeak words at the 0.7 threshold; the
    # espeak-only model it replaced found 6 (docs/apps/speech.md: streaming isolated espeak words 22/40 vs 26/40)
    assert code == 0 and matched(detections, truth) >= 3
    assert len(detections) <= len(truth) + 2  # few false alarms
    for detection in detections:
        assert 0.0 <= detection.start < detection.end <= len(signal) / frontend.SAMPLE_RATE + 1e-6
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_runtime_and_keras_steppers_agree_with_the_window_model(exported: Path, folder: Path):
    clip = dataset.load_example(training_keyword_clips(folder, 1)[0])
    frames = list(recognize.audio_frames(clip))
    keras_model, _ = model.load_keras(exported)
    window = keras_model.predict(features.log_mel(tf.constant(clip[None])).numpy(), verbose=0)[0]
    keras_scores = [s for _, _, s in recognize.window_scores(model.load_stepper(exported, "keras"), iter(frames), 1)]
    int8_scores = [s for _, _, s in recognize.window_scores(model.load_stepper(exported), iter(frames), streams=1)]
    assert len(keras_scores) == len(int8_scores) == 1  # exactly one 49-frame window in 1 s
    assert np.abs(keras_scores[0] - window).max() < 1e-4
    assert np.abs(int8_scores[0] - window).max() < 0.1 and np.argmax(int8_scores[0]) == np.argmax(window)


@pytest.mark.parametrize("chunk", [1_600, 333, 16_000])
def test_streamed_frames_match_whole_clip_features(chunk: int):
    rng = np.random.default_rng(chunk)
    time = np.arange(24_000) / frontend.SAMPLE_RATE
    signal = (0.3 * np.sin(2 * np.pi * 500 * time * (1 + time)) + 0.02 * rng.standard_normal(time.size))
    streamed = np.stack(list(recognize.audio_frames(signal.astype(np.float32), chunk)))
    assert streamed.shape == (frontend.num_frames(24_000), 40) == (74, 40)
    streamed = np.log(streamed + frontend.LOG_OFFSET)  # the frames are mel energies: log-mel as a window sees it
    assert np.abs(streamed - frontend.log_mel(signal)).max() < 1e-5
    assert np.abs(streamed - features.log_mel(tf.constant(signal, tf.float32)).numpy()).max() < 1e-4


def test_staggered_windows_have_exact_times():
    class Counter:  # a stand-in step model: the score of class 0 counts the steps since the reset
        def initial_state(self):
            return 0

        def step(self, frame, state):
            return np.eye(len(LABELS))[0] * (state + 1), state + 1

    frames = [np.zeros(40, np.float32)] * 100
    results = list(recognize.window_scores(Counter(), iter(frames), streams=4))
    # offsets 0, 12, 24, 36: windows end at frames 48, 60, 72, 84, 97
    ends = [round(end * frontend.SAMPLE_RATE) for _, end, _ in results]
    assert ends == [320 * t + 480 for t in (48, 60, 72, 84, 97)]
    assert [round(start * frontend.SAMPLE_RATE) for start, _, _ in results][:2] == [0, 320 * 12]
    assert all(scores[0] == 49 for _, _, scores in results)  # every window is 49 fresh steps


def test_recognize_commands_smoothing_threshold_and_suppression():
    yes, no, unknown = (np.eye(len(LABELS))[LABEL_INDEX[name]] for name in ("yes", "no", "_unknown_"))
    recognizer = RecognizeCommands(average_window_s=0.5, threshold=0.7, suppression_s=1.0, minimum_count=2)
    assert recognizer.process(0.0, 1.0, yes) is None  # one result < minimum_count
    found = recognizer.process(0.25, 1.25, yes)
    assert found is not None and (found.label, found.score, found.end) == ("yes", 1.0, 1.0)  # best window first
    assert recognizer.process(0.5, 1.5, yes) is None  # same word within the suppression time
    assert recognizer.process(0.75, 1.75, 0.5 * yes + 0.5 * unknown) is None  # mean 0.75 but still suppressed
    assert recognizer.process(1.0, 2.0, unknown) is None and recognizer.process(1.25, 2.25, unknown) is None
    assert recognizer.process(1.5, 2.5, no) is None  # mean over 2.0..2.5: (unknown, no) -> 0.5 < threshold
    second = recognizer.process(1.75, 2.75, no)
    assert second is not None and second.label == "no" and second.score == 1.0


@pytest.mark.parametrize("argv_of, problem", [
    (lambda d, bad: ["predict", str(bad)], "not a WAV file"),
    (lambda d, bad: ["stream", str(d / "empty.wav")], "empty file"),
    (lambda d, bad: ["evaluate", "--data", str(d / "nowhere"), "--model", str(d)], "not a model directory"),
    (lambda d, bad: ["train", "--config", "tiny", "--set", "units=zero", "--out", str(d / "out")], "units"),
    (lambda d, bad: ["train", "--data", str(d / "nowhere"), "--out", str(d / "out")], "no such file or folder"),
    (lambda d, bad: ["export", "--model", str(d / "nowhere")], "not a model directory"),
    (lambda d, bad: ["predict", str(d / "missing.wav")], "no such file"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, capsys, argv_of, problem: str):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    (tmp_path / "empty.wav").write_bytes(b"")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run_cli(argv_of(tmp_path, bad), capsys)
    assert code == 2 and problem in err and err.strip().count("\n") == 0 and out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_data_inputs_fold_for_the_crnn():
    features_batch = np.arange(2 * 49 * 40, dtype=np.float32).reshape(2, 49, 40)
    folded = model.model_inputs(features_batch, PRESETS["crnn_small"].config.model_kwargs()["input_shape"])
    assert folded.shape == (2, 49, 10, 4, 1) and folded[1, 3, 2, 1, 0] == features_batch[1, 3, 9]


def test_stream_defaults_are_the_recognizer_defaults():
    parser = argparse.ArgumentParser()
    stream._arguments(parser)
    defaults = parser.parse_args(["x.wav"])
    assert (defaults.streams, defaults.threshold) == (recognize.STREAMS, recognize.THRESHOLD)


RESUME_EPOCHS = 6
CHECKPOINT_WAIT_S = 240  # TensorFlow start and the first epoch take ~16 s alone on a busy 2-core machine


def first_epoch_line(stdout: str) -> int:
    """N of the first ``Epoch N/M`` line Keras printed."""
    return int(next(line for line in stdout.splitlines() if line.startswith("Epoch ")).split()[1].split("/")[0])


def test_killed_train_resumes_from_its_checkpoint(folder: Path, tmp_path: Path, repo_on_pythonpath):
    import subprocess
    import sys
    import time

    argv = [sys.executable, "-m", "apps.speech", "train", "--config", "tiny", "--set", f"epochs={RESUME_EPOCHS}",
            "--set", f"per_word={PER_WORD}", "--set", "unknown_fraction=0.5", "--data", str(folder), "--name", "resume"]
    run_dir = tmp_path / "runs" / "speech" / "resume"
    first = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + CHECKPOINT_WAIT_S
    while not first_epoch_saved(run_dir) and first.poll() is None:
        assert time.monotonic() < deadline, "no checkpoint after the first epoch"
        time.sleep(0.05)
    first.kill()
    first.communicate()
    done_before = (run_dir / "history.csv").read_text().count("\n") - 1
    assert first.returncode != 0 and 1 <= done_before < RESUME_EPOCHS  # killed mid-run, after epoch 1

    second = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=CHECKPOINT_WAIT_S)
    assert second.returncode == 0, second.stderr
    assert "resuming the run in runs/speech/resume" in second.stderr
    assert first_epoch_line(second.stdout) == done_before + 1 >= 2  # continued after the last finished epoch
    epochs = [int(line.split(",")[0]) for line in (run_dir / "model" / "history.csv").read_text().splitlines()[1:]]
    assert epochs == list(range(RESUME_EPOCHS))  # every epoch once
    assert json.loads((run_dir / "model" / "metrics.json").read_text())["epochs_run"] == RESUME_EPOCHS


def test_train_init_fine_tunes_the_given_model(model_dir: Path, folder: Path, tmp_path: Path):
    """``--init``: the init model's architecture and weights (not the preset's), recorded in config.json; one epoch at a
    low learning rate keeps the accuracy of the tiny model trained for EPOCHS epochs, where one epoch from scratch is
    far below it."""
    def train(name: str, *extra: str) -> dict:
        argv = ["train", "--config", "tiny", "--set", "units=8", "--set", "epochs=1", "--set", "learning_rate=0.0003",
                "--set", f"per_word={PER_WORD}", "--set", "unknown_fraction=0.5", "--data", str(folder),
                "--runs", str(tmp_path / "runs"), "--name", name, *extra, "--json"]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main("speech", argv) == 0
        return json.loads(out.getvalue().strip().splitlines()[-1])

    tuned, fresh = train("tuned", "--init", str(model_dir)), train("fresh")
    config = json.loads((Path(tuned["model_dir"]) / "config.json").read_text())
    assert config["init"] == str(model_dir.resolve()) and config["model"]["units"] == 48  # the init's GRU(48)
    # on the training voices, which the tiny model (EPOCHS epochs) has learned (its held-out voices are near chance)
    scored = {name: evaluate.evaluate_folder(path, folder, "training", unknown_fraction=0.5, backend="keras")["accuracy"]
              for name, path in (("base", model_dir), ("tuned", tuned["model_dir"]), ("fresh", fresh["model_dir"]))}
    assert scored["base"] > 0.5 and scored["tuned"] >= scored["base"] - 0.05
    assert scored["fresh"] < scored["base"] - 0.2  # GRU(8), one epoch from scratch
