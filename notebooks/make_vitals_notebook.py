"""Writes notebooks/vitals.ipynb and runs it at small size, saving its outputs (notebook_writer.py;
``--no-execute`` only writes the cells): python notebooks/make_vitals_notebook.py"""
from notebook_writer import cells_from_pairs, write_notebook

CELLS = [
    ("markdown", """# Vitals: hourly deterioration risk against NEWS2

**Author:** rnn-suite · **Description:** a GRU that scores every ICU hour for the risk of sepsis onset, trained on
simulated PhysioNet 2019 PSV stays, exported to int8 and run hour by hour without TensorFlow, next to NEWS2.

**A research tool, not a medical device.** This notebook uses the same commands as the shell
(`python -m apps.vitals prepare-data | train | export | score`), called in-process with `main("vitals", [...])`.
Set `RNN_SUITE_SMALL=1` for a run of about a minute."""),
    ("markdown", "## Setup\nEverything goes into a temporary folder: the simulated cohort cache, the run folder and the model."),
    ("code", """import json, os, tempfile
from pathlib import Path
import numpy as np

SMALL = os.environ.get("RNN_SUITE_SMALL") == "1"
TRAIN_PATIENTS, HELDOUT_PATIENTS, EPOCHS = (240, 150, 3) if SMALL else (2000, 1000, 10)
work = Path(tempfile.mkdtemp(prefix="vitals-notebook-"))
os.environ["RNN_SUITE_CACHE"] = str(work / "cache")

from suite.app import main
def vitals(*argv):
    assert main("vitals", [str(a) for a in argv]) == 0"""),
    ("markdown", """## The data
`prepare-data` simulates the training cohort of a preset into the cache (`train` would do it too). Each stay is a
pure function of (hospital, seed, index); about 70% of cells are missing, as in ICU charts, and `SepsisLabel`
is 1 from 6 hours before onset."""),
    ("code", """vitals("prepare-data", "--config", "tiny", "--patients", TRAIN_PATIENTS, "--json")
from apps.vitals.data import training_cohort
_, training = training_cohort("hospital_a", TRAIN_PATIENTS, seed=1)
values = np.concatenate([s.values for s in training])
print(f"{len(training)} stays, {len(values)} hours, {np.isnan(values).mean():.0%} missing, "
      f"{sum(s.labels.any() for s in training)} septic")"""),
    ("markdown", """## Train
The shared `train` command with the `tiny` preset (a GRU of 16 units). The run folder is `runs/vitals/tiny/`:
killed, the same command resumes from the last finished epoch. The alert threshold is chosen on validation
stays; held-out stays of the same hospital and of a differently run second hospital are scored next to NEWS2
(per-hour AUROC and AUPRC, and the challenge's normalised utility)."""),
    ("code", """vitals("train", "--config", "tiny", "--set", f"epochs={EPOCHS}", "--set", f"train_patients={TRAIN_PATIENTS}",
       "--set", f"heldout_patients={HELDOUT_PATIENTS}", "--runs", work / "runs")
model_dir = work / "runs" / "vitals" / "tiny" / "model"
metrics = json.loads((model_dir / "metrics.json").read_text())
print("alert threshold", metrics["alert_threshold"], "| epochs", metrics["epochs_run"], "| trained in",
      metrics["train_seconds"], "s")
for setting, r in metrics["heldout"].items():
    print(f"{setting}: model AUROC {r['model']['auroc']:.3f} AUPRC {r['model']['auprc']:.3f} utility {r['model']['utility']:.3f}"
          f" | NEWS2 AUROC {r['news2']['auroc']:.3f} AUPRC {r['news2']['auprc']:.3f} utility {r['news2']['utility']:.3f}")
assert metrics["heldout"]["hospital_a"]["model"]["auroc"] > 0.7, "the model should beat chance clearly\""""),
    ("markdown", """## Export to int8
The shared `export` writes the int8 step model (one hour in, the GRU state carried) and checks it against Keras;
the app's own check then streams it over the held-out stays, hour by hour, as a device would."""),
    ("code", """vitals("export", "--model", model_dir, "--format", "tflite", "--kind", "step")
streamed = json.loads((model_dir / "metrics.json").read_text())["int8_streamed"]
for setting, s in streamed.items():
    print(f"{setting}: AUROC float {s['auroc_float']:.3f}, int8 streamed {s['auroc_int8']:.3f} over {s['stays']} stays")"""),
    ("markdown", """## Hour by hour, without TensorFlow
`monitor` streams a stay through the exported `step_int8.tflite` with numpy and ai-edge-litert only, O(1) per
hour, and prints each change of the model's alert (`score` prints every hour of many stays)."""),
    ("code", """from apps.vitals.data import heldout_cohort
from apps.vitals.psv import write_psv
septic = [s for s in heldout_cohort("hospital_a", 60, seed=77) if s.labels.any()][:2]
for stay in septic:
    write_psv(work / "stays" / f"{stay.name}.psv", stay)
    print(f"{stay.name}: SepsisLabel = 1 from hour {int(np.argmax(stay.labels)) + 1} of {stay.hours}")
    vitals("monitor", work / "stays" / f"{stay.name}.psv", "--model", model_dir)"""),
    ("markdown", """`score --plot` draws each stay's risk next to NEWS2, with the model's alert threshold and the NEWS2 urgent (5)
and emergency (7) response levels; the shaded hours are labelled positive."""),
    ("code", """import contextlib, io
with contextlib.redirect_stdout(io.StringIO()):  # the hourly lines; the figure is what we want here
    vitals("score", *sorted((work / "stays").glob("*.psv")), "--model", model_dir, "--plot", work / "timelines.png")
from IPython.display import Image
Image(filename=str(work / "timelines.png"))"""),
]


def main() -> None:
    write_notebook("vitals.ipynb", cells_from_pairs(CELLS), __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
