"""Writes notebooks/video.ipynb (run: python notebooks/make_video_notebook.py)."""
from pathlib import Path

import nbformat

CELLS = [
    ("markdown", """# Video activity recognition: CNN + GRU on motion that needs temporal order

Eight motion classes in time-reversed pairs (`move_left`/`move_right`, ...): one frame cannot tell a pair
apart, so a per-frame baseline (the same CNN, frames averaged) stays near chance within a pair, while the
GRU over the frames learns the direction. This notebook renders a small set, trains both, evaluates them,
and streams one clip frame by frame. Set `RNN_SUITE_SMALL=1` for a quick run."""),
    ("code", """import os, json, tempfile
from pathlib import Path
SMALL = os.environ.get("RNN_SUITE_SMALL") == "1"
work = Path(tempfile.mkdtemp(prefix="video-notebook-"))
os.environ.setdefault("RNN_SUITE_CACHE", str(work / "cache"))
from apps.video.make_data import make_data
from apps.video.presets import PRESETS
from suite.config import apply_overrides
clips_per_class = 4 if SMALL else 60
summary = make_data(work / "clips", clips_per_class=clips_per_class, seed=5, show_progress=False)
summary"""),
    ("markdown", "Train the CNN+GRU and the per-frame baseline on the same clips (the `tiny` preset; more epochs when not SMALL)."),
    ("code", """config = apply_overrides(PRESETS["tiny"], ["epochs=2"] if SMALL else ["epochs=25"])
from apps.video.train import train
record = train(config, "tiny", str(work / "model"), str(work / "clips"), run_dir=str(work / "run"), show_progress=False)
print("held-out accuracy", record["heldout_accuracy"], "baseline", record["baseline_heldout_accuracy"])
print("within-pair, model:   ", record["model"]["pair_accuracy"])
print("within-pair, baseline:", record["baseline"]["pair_accuracy"])"""),
    ("code", """from apps.video.evaluate import evaluate, format_text
result = evaluate(str(work / "clips"), str(work / "model"), plot=str(work / "confusion.png"), show_progress=False)
print(format_text(result))"""),
    ("code", """from IPython.display import Image
Image(filename=str(work / "confusion.png"))"""),
    ("markdown", "Stream one clip frame by frame: the CNN on the new frame plus one GRU step, as a camera feed would."),
    ("code", """from apps.video.dataset import scan_folder
from apps.video.stream import stream
clip = scan_folder(work / "clips").files[0]
for step in stream(str(clip), str(work / "model"), every=1):
    print(step["frame"], step["label"], round(step["score"], 3))"""),
]


def main() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell(text) if kind == "markdown" else nbformat.v4.new_code_cell(text)
                      for kind, text in CELLS]
    nbformat.write(notebook, Path(__file__).with_name("video.ipynb"))


if __name__ == "__main__":
    main()
