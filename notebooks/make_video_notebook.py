"""Writes notebooks/video.ipynb and runs it at small size, saving its outputs (notebook_writer.py;
``--no-execute`` only writes the cells): python notebooks/make_video_notebook.py"""
from notebook_writer import cells_from_pairs, write_notebook

CELLS = [
    ("markdown", """# Video activity recognition: a frame CNN + GRU on motion that needs temporal order

**Goal:** classify short clips by the motion of their main object, with a model small enough for a phone or a
Raspberry Pi.

Eight motion classes come in time-reversed pairs (`move_left`/`move_right`, `rotate_cw`/`rotate_ccw`, ...):
a single frame cannot tell a pair apart, so a per-frame baseline (the same CNN, frames averaged) stays near
chance within a pair, while a GRU over the frames learns the direction. This notebook

1. renders a small UCF101-style set of clips (`prepare-data`),
2. trains the CNN+GRU and the baseline with the framework's shared `train` (resumable run folder),
3. evaluates both (accuracy, within-pair accuracy, confusion matrices),
4. runs the exported int8 files the way a device does: numpy and LiteRT only, no TensorFlow,
   on whole clips (`predict`) and frame by frame (`stream`).

Set `RNN_SUITE_SMALL=1` for the quick run this notebook was saved with (seconds of training: the tiny model
is near chance; the shipped model, trained with the `small` preset, reaches 0.896 on its test split and 0.905 on clips of an independent renderer)."""),
    ("markdown", "## Setup"),
    ("code", """import json, os, tempfile
from pathlib import Path

from IPython.display import Image

from suite.app import main, shipped_model_dir


def video(*argv):
    # `python -m apps.video ARGV...` in this kernel
    assert main("video", [str(part) for part in argv]) == 0


SMALL = os.environ.get("RNN_SUITE_SMALL") == "1"
work = Path(tempfile.mkdtemp(prefix="video-notebook-"))
os.environ.setdefault("RNN_SUITE_CACHE", str(work / "cache"))  # decoded clips are cached here
os.environ["TQDM_DISABLE"] = "1"  # progress bars are for terminals
os.chdir(work)  # run folders (runs/video/<name>/) go here, not into the repository"""),
    ("markdown", """## The data

`prepare-data` renders clips of a moving, turning or zooming object over textured backgrounds, with
distractors, camera shake and noise, as `.mp4` and `.avi` files in one folder per class, plus
`splits.csv` (train/validation/test). A real UCF101-style folder works the same way (`--data`)."""),
    ("code", """clips_per_class = 6 if SMALL else 60
video("prepare-data", "--out", work / "clips", "--clips-per-class", clips_per_class, "--seed", 5)
video("info", work / "clips")"""),
    ("markdown", """## Training

The shared `train` command runs in `runs/video/<name>/`: checkpoints after every epoch (a killed run resumes
when the same command runs again), the history, and the model directory `runs/video/<name>/model` with
`config.json` (the preset, the overrides and the command that reproduces the run). Both the CNN+GRU and
the per-frame baseline are trained on the same clips."""),
    ("code", """epochs = "epochs=20" if SMALL else "epochs=40"
video("train", "--config", "tiny", "--data", work / "clips", "--set", epochs, "--name", "notebook")
model_dir = work / "runs" / "video" / "notebook" / "model"
metrics = json.loads((model_dir / "metrics.json").read_text())
print("held-out accuracy", metrics["heldout_accuracy"], "baseline", metrics["baseline_heldout_accuracy"])
print("within-pair, model:   ", metrics["model"]["pair_accuracy"])
print("within-pair, baseline:", metrics["baseline"]["pair_accuracy"])"""),
    ("code", """Image(filename=str(model_dir / "training_curve.png"))"""),
    ("markdown", """## Evaluation

`evaluate` scores every clip of a folder (here the test split) with the model and its baseline, and draws
their confusion matrices side by side (next to the model, or to `--out`)."""),
    ("code", """video("evaluate", "--data", work / "clips", "--model", model_dir, "--split", "test", "--out", work / "confusion.png")
Image(filename=str(work / "confusion.png"))"""),
    ("markdown", """## Inference on a device

`export` writes int8 TFLite and ONNX files of the clip model and of the step model (one frame plus one GRU
step) and checks each against Keras. The inference commands then need only numpy, OpenCV and LiteRT (or
onnxruntime): this is what runs on a Raspberry Pi. The quick run uses the shipped model's exported files;
the full run exports the model trained above."""),
    ("code", """if SMALL:
    device_model = shipped_model_dir("video")
else:
    video("export", "--model", model_dir)
    device_model = model_dir
clips = sorted((work / "clips").glob(f"*/*_{clips_per_class - 1:05d}.*"))  # the last clip of each class: test split
video("predict", *clips, "--model", device_model)"""),
    ("markdown", """## Streaming

`stream` feeds a clip frame by frame through the step model, as a camera would: each frame costs the CNN on
that frame and one GRU step, and the running label is printed after every model step."""),
    ("code", """video("stream", clips[4], "--model", device_model)"""),
    ("markdown", """## What to try next

- `python -m apps.video train` trains the shipped `small` preset (orientation pretext task, GRU(128); about
  40 minutes on 2 shared CPU cores) into `runs/video/small/`.
- `--set units=64 --set epochs=30` changes one preset field at a time; `--data` takes your own UCF101-style
  folder.
- `python -m apps.video stream clip.mp4 --backend onnx --json` prints one JSON line per model step."""),
]


def main() -> None:
    write_notebook("video.ipynb", cells_from_pairs(CELLS), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
