"""Writes notebooks/music.ipynb and runs it, saving the outputs of its small run.

    python notebooks/make_music_notebook.py            # RNN_SUITE_SMALL=1 run (about a minute on 2 cores)
    python notebooks/make_music_notebook.py --full     # the 800-tune, 10-epoch run
"""
from nbformat.v4 import new_code_cell, new_markdown_cell

from notebook_writer import write_notebook

CELLS = [
    new_markdown_cell(
        "# Melody generation with an LSTM, end to end\n\n"
        "**Description:** parse part of music21's folk corpus into 16th-note melody events, train a small LSTM "
        "language model with the app's shared `train`, compare it with an n-gram baseline, export the int8 "
        "step model and generate a melody from it, the way a Raspberry Pi would (no TensorFlow).\n\n"
        "Every step is a `python -m apps.music` command; here they run in-process through `suite.app.main`. "
        "Set `RNN_SUITE_SMALL=1` for a run of about a minute (the saved outputs are from that run)."),
    new_markdown_cell("## Setup"),
    new_code_cell(
        "import json, os, sys, tempfile\n"
        "from pathlib import Path\n\n"
        "root = Path.cwd() if (Path.cwd() / 'apps').is_dir() else Path.cwd().parent\n"
        "sys.path.insert(0, str(root))\n"
        "from IPython.display import Image\n"
        "from suite.app import main\n\n"
        "SMALL = os.environ.get('RNN_SUITE_SMALL') == '1'\n"
        "TUNES = 40 if SMALL else 800     # a deterministic subset of the 11.5k folk tunes\n"
        "EPOCHS = 15 if SMALL else 10   # tiny epochs: 26 tunes in windows of 32 events\n"
        "PRESET = 'tiny' if SMALL else 'basic'\n"
        "work = Path(tempfile.mkdtemp(prefix='music_nb_'))"),
    new_markdown_cell(
        "## The data: parse once, cache, split by tune\n\n"
        "`prepare-data` parses the ABC tunes with music21 (about 0.07 s each), keeps the top line on a 16th-note "
        "grid (39 tokens: note-on for C3..C6, note-off, no event) and caches the encoded events. Tunes are split "
        "80/10/10 by a hash of their id, so a tune never straddles two splits."),
    new_code_cell("assert main('music', ['prepare-data', '--limit', str(TUNES), '--workers', '1', '--json']) == 0"),
    new_markdown_cell(
        "## Train with the shared `train`\n\n"
        "The preset is a frozen dataclass; `--set` changes any field. The run folder `runs/music/<name>/` holds "
        "checkpoints, so running the same command again after a kill resumes. The held-out (test) tunes are "
        "scored next to a 5-gram baseline. On the small run's 26 training tunes the n-gram wins; the shipped "
        "model (the `basic` preset: 2,233 training tunes, 30 epochs) scores 0.866 nats/event against the "
        "5-gram's 1.153."),
    new_code_cell(
        "overrides = [f'limit={TUNES}', f'epochs={EPOCHS}'] + (['learning_rate=0.01'] if SMALL else [])\n"
        "assert main('music', ['train', '--config', PRESET, *[f'--set={o}' for o in overrides],\n"
        "                      '--runs', str(work / 'runs'), '--name', 'notebook', '--json']) == 0\n"
        "model_dir = work / 'runs' / 'music' / 'notebook' / 'model'\n"
        "metrics = json.loads((model_dir / 'metrics.json').read_text())\n"
        "print(f\"model NLL {metrics['nll']:.3f} nats/event, accuracy {metrics['accuracy']:.3f}; \"\n"
        "      f\"{metrics['baseline']['name']}: NLL {metrics['baseline']['nll']:.3f}, \"\n"
        "      f\"accuracy {metrics['baseline']['accuracy']:.3f}\")"),
    new_code_cell("Image(filename=str(model_dir / 'training_curve.png'))"),
    new_markdown_cell(
        "## Export the int8 step model\n\n"
        "Generation runs the stateful step model: one event and the LSTM state in, P(next event) and the new "
        "state out. `export` converts it to full-int8 TFLite, checks its NLL against Keras on held-out windows "
        "(stepped with its own state too), and steps whole held-out tunes through it the way `generate` does."),
    new_code_cell(
        "assert main('music', ['export', '--model', str(model_dir), '--format', 'tflite']) == 0\n"
        "print(json.loads((model_dir / 'metrics.json').read_text())['generation_check'])"),
    new_markdown_cell(
        "## Generate from a primer\n\n"
        "`generate` runs the exported file through `export.runtime` (numpy and LiteRT only). The melody is the "
        "primer (D, F#, A as quarter notes) followed by 4 bars of sampled events; the seed is printed, so the same "
        "melody can be made again. The piano roll marks the primer and the bar lines."),
    new_code_cell(
        "assert main('music', ['generate', '--model', str(model_dir), '--out', str(work / 'melody.mid'),\n"
        "                      '--primer-notes', 'D4 F#4 A4', '--bars', '4', '--temperature', '0.9', '--seed', '1',\n"
        "                      '--png', '--json']) == 0"),
    new_code_cell("Image(filename=str(work / 'melody.png'))"),
    new_markdown_cell(
        "## Score melodies\n\n"
        "`score` gives each MIDI file's NLL per event under the model: the generated melody against the shipped "
        "model (trained on 3,000 tunes for 30 epochs) and the notebook's small one."),
    new_code_cell(
        "for model in (None, model_dir):  # None: the shipped model\n"
        "    assert main('music', ['score', str(work / 'melody.mid'), *(['--model', str(model)] if model else [])]) == 0"),
]


def main() -> None:
    write_notebook("music.ipynb", CELLS, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
