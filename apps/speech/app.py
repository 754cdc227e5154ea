"""The speech app's contract: keyword spotting (Speech Commands v2, 12 classes) with recurrent models."""
import argparse

from suite.app import ExportPlan, declare, lazy

# The step model is what a microcontroller runs: per-tensor int8 scales fit TFLite Micro's 12 KB arena
# budget (per-channel: 16.4 KB), and its .tflite also gets the C sources and a gate in TFLite Micro.
EXPORTS = (ExportPlan(step=False), ExportPlan(step=True, per_tensor=True, target="tflm"))


def train_arguments(parser: argparse.ArgumentParser) -> None:
    """The speech app's own train option: ``--init MODEL_DIR`` fine-tunes a trained model instead of a fresh one."""
    parser.add_argument("--init", metavar="MODEL_DIR", help="start from this trained speech model (its architecture "
                                                           "and weights, e.g. saved_models/speech) and fine-tune it "
                                                           "on --data")


APP = declare(
    "speech",
    description="Keyword spotting (Speech Commands v2, 12 classes) with recurrent models for small devices",
    task="classification",
    data_help="a Speech Commands folder (Google's layout); default: one generated with the preset's engines "
              "(espeak-ng, flite, festival) into the cache, sized by its per_word",
    exports=EXPORTS,
    after_export=lazy("apps.speech.calibration:score_exports"),
    train_arguments=train_arguments,
)
