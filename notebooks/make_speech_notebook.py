"""Writes notebooks/speech.ipynb and runs it at small size, saving its outputs (notebook_writer.py;
``--no-execute`` only writes the cells): python notebooks/make_speech_notebook.py"""
from nbformat.v4 import new_code_cell, new_markdown_cell

from notebook_writer import write_notebook

CELLS = [
    new_markdown_cell(
        "# Keyword spotting with a streaming GRU\n\n"
        "**Description:** synthesize a Speech Commands-style dataset with espeak-ng, train the `tiny` GRU preset "
        "with the app framework's `train`, score held-out voices, and detect keywords in a long recording with the "
        "shipped int8 step model, without TensorFlow.\n\n"
        "Every step is a command of `python -m apps.speech` (here called in-process with `suite.app.main`). "
        "`RNN_SUITE_SMALL=1` shrinks the data and the training so the notebook runs in about a minute on 2 cores."),
    new_markdown_cell("## Setup"),
    new_code_cell("import json, os, tempfile\n"
                  "from contextlib import redirect_stdout\n"
                  "from io import StringIO\n"
                  "from pathlib import Path\n"
                  "import numpy as np\n"
                  "import soundfile\n"
                  "from IPython.display import Image\n"
                  "from apps.speech import dataset, frontend\n"
                  "from apps.speech.labels import KEYWORDS, LABELS\n"
                  "from suite.app import main\n"
                  "SMALL = os.environ.get('RNN_SUITE_SMALL') == '1'\n"
                  "PER_WORD, EPOCHS = (10, 12) if SMALL else (60, 20)\n"
                  "work = Path(tempfile.mkdtemp(prefix='speech_nb_'))\n\n"
                  "def speech(*argv):\n"
                  "    \"\"\"Run `python -m apps.speech ARGV... --json` in-process; returns its JSON records.\"\"\"\n"
                  "    out = StringIO()\n"
                  "    with redirect_stdout(out):\n"
                  "        code = main('speech', [*map(str, argv), '--json'])\n"
                  "    assert code == 0, code\n"
                  "    return [json.loads(line) for line in out.getvalue().splitlines() if line.startswith('{')]"),
    new_markdown_cell("## Data: a Speech Commands-layout folder\n\n"
                      "`prepare-data` speaks each of the 35 words with espeak-ng voices, split by voice: the test "
                      "voices are never heard in training. `--engines espeak` keeps to the engine pip installs; the "
                      "default adds flite and festival voices (Debian packages, docs/apps/speech.md)."),
    new_code_cell("folder = work / 'data'\n"
                  "made, = speech('prepare-data', '--out', folder, '--per-word', PER_WORD, '--seed', 1, '--workers', 2,\n"
                  "               '--engines', 'espeak')\n"
                  "print('clips per split:', made['clips'])"),
    new_markdown_cell("## Train the tiny preset\n\n"
                      "The shared `train` writes checkpoints to `runs/speech/<name>/` (a killed run resumes when the "
                      "same command runs again) and the model directory to `runs/speech/<name>/model`."),
    new_code_cell("record, = speech('train', '--config', 'tiny', '--set', f'epochs={EPOCHS}', '--set', 'learning_rate=0.01',\n"
                  "                 '--set', f'per_word={PER_WORD}', '--set', 'unknown_fraction=0.5',\n"
                  "                 '--data', folder, '--runs', work / 'runs')\n"
                  "model_dir, metrics = Path(record['model_dir']), record['metrics']\n"
                  "print(f\"{metrics['params']} parameters; held-out voices accuracy {metrics['heldout_accuracy_float']:.3f}\")"),
    new_markdown_cell("## Evaluate\n\n"
                      "Voices the model trained on, with the confusion matrix (rows: the true word)."),
    new_code_cell("result, = speech('evaluate', '--data', folder, '--model', model_dir, '--backend', 'keras',\n"
                  "                 '--split', 'training', '--unknown-fraction', 0.5, '--out', work / 'confusion.png')\n"
                  "print(f\"training voices accuracy {result['accuracy']:.3f} (chance {1 / len(LABELS):.3f})\")\n"
                  "Image(filename=result['confusion_png'])"),
    new_markdown_cell("## Stream a long recording\n\n"
                      "Five words with pauses between them, stepped frame by frame (20 ms) through the shipped "
                      "int8 step model (`saved_models/speech/step_int8.tflite`): numpy and LiteRT only."),
    new_code_cell("examples = dataset.load_folder(folder, silence_fraction=0, unknown_fraction=0)['testing']\n"
                  "clips = [e for e in examples if LABELS[e.label] in KEYWORDS][:5]\n"
                  "gap = np.zeros(8000, np.float32)\n"
                  "signal = np.concatenate([gap] + [np.concatenate([dataset.load_example(c), gap]) for c in clips])\n"
                  "soundfile.write(work / 'recording.wav', signal, frontend.SAMPLE_RATE)\n"
                  "print('spoken:', [LABELS[c.label] for c in clips])\n"
                  "for found in speech('stream', work / 'recording.wav', '--plot', work / 'timeline.png'):\n"
                  "    print(f\"{found['start']:5.2f}-{found['end']:5.2f} s  {found['label']} ({found['score']:.2f})\")\n"
                  "Image(filename=str(work / 'timeline.png'))"),
    new_markdown_cell("## Next steps\n\n"
                      "- `python -m apps.speech train --config small` trains the shipped model (2-layer GRU(56), "
                      "augmented, 400 clips per word; about 5 minutes of CPU); `export --model runs/speech/small/model` "
                      "writes its int8 files, each checked against Keras on 200 held-out windows.\n"
                      "- `predict`, `stream` and `evaluate` take `--model` (a model directory or an exported file) and "
                      "`--backend tflite|onnx|keras`; on a Raspberry Pi only numpy and ai-edge-litert are needed.\n"
                      "- docs/apps/speech.md has the shipped model's figures per voice and what limits them."),
]


def main() -> None:
    write_notebook("speech.ipynb", CELLS, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
