"""Writes notebooks/speech.ipynb (run: python notebooks/make_speech_notebook.py)."""
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    new_markdown_cell("# Keyword spotting end to end\n"
                      "Synthesize a Speech Commands-style folder with espeak-ng, train the `tiny` GRU preset, "
                      "score held-out voices, and stream a long recording through the step model.\n"
                      "`RNN_SUITE_SMALL=1` shrinks everything so the notebook runs in about a minute."),
    new_code_cell("import dataclasses, os, tempfile\n"
                  "from pathlib import Path\n"
                  "import numpy as np\n"
                  "from suite.keras import tf\n"
                  "from apps.speech import dataset, make_data, stream\n"
                  "from apps.speech.evaluate import evaluate_folder, plot_confusion\n"
                  "from apps.speech.labels import KEYWORDS, LABELS\n"
                  "from apps.speech.presets import PRESETS\n"
                  "from apps.speech.train import train\n"
                  "SMALL = os.environ.get('RNN_SUITE_SMALL') == '1'\n"
                  "PER_WORD, EPOCHS = (10, 12) if SMALL else (60, 20)\n"
                  "tf.get_logger().setLevel('ERROR')\n"
                  "work = Path(tempfile.mkdtemp(prefix='speech_nb_'))"),
    new_code_cell("folder = work / 'data'\n"
                  "manifest = make_data.make_data(folder, per_word=PER_WORD, seed=1, workers=2, show_progress=False)\n"
                  "print('clips per split:', manifest['clips'])"),
    new_code_cell("config = dataclasses.replace(PRESETS['tiny'], epochs=EPOCHS, learning_rate=1e-2, per_word=PER_WORD,\n"
                  "                             unknown_fraction=0.5)\n"
                  "metrics = train(config, 'tiny', work / 'model', folder, run_dir=work / 'run', verbose=0)\n"
                  "print(f\"{metrics['params']} parameters; held-out voices accuracy {metrics['heldout_accuracy_float']:.3f}\")"),
    new_code_cell("result = evaluate_folder(work / 'model', folder, 'training', unknown_fraction=0.5)\n"
                  "print(f\"training voices accuracy {result['accuracy']:.3f} (chance {1 / len(LABELS):.3f})\")\n"
                  "plot_confusion(result['confusion'], work / 'confusion.png', 'training voices')\n"
                  "from IPython.display import Image\n"
                  "Image(filename=str(work / 'confusion.png'))"),
    new_code_cell("examples = dataset.load_folder(folder, silence_fraction=0, unknown_fraction=0)['training']\n"
                  "clips = [e for e in examples if LABELS[e.label] in KEYWORDS][:5]\n"
                  "gap = np.zeros(8000, np.float32)\n"
                  "signal = np.concatenate([gap] + [np.concatenate([dataset.load_example(c), gap]) for c in clips])\n"
                  "print('spoken:', [LABELS[c.label] for c in clips])\n"
                  "stepper = stream.KerasStepper(work / 'model')  # or stream.load_stepper('saved_models/speech')\n"
                  "for found in stream.detect(stepper, signal):\n"
                  "    print(f'{found.start:5.2f}-{found.end:5.2f} s  {found.label} ({found.score:.2f})')"),
]


def main() -> None:
    notebook = new_notebook(cells=CELLS, metadata={"kernelspec": {"display_name": "Python 3", "language": "python",
                                                                  "name": "python3"}})
    nbformat.write(notebook, Path(__file__).with_name("speech.ipynb"))


if __name__ == "__main__":
    main()
