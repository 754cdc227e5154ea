"""The music app's contract: melody generation (melody_rnn style) on music21's folk-tune corpus."""
from suite.app import ExportPlan, declare, lazy

APP = declare(
    "music",
    description="Melody generation (Magenta melody_rnn style) trained on music21's folk-tune corpus",
    task="generation",
    data_help="a folder of MIDI files (default: music21's folk corpus, parsed once and cached)",
    # Generation runs the stateful step model (one event + state in, P(next event) + state out); the
    # sequence model is only for training and scoring, so only the step model is exported. TFLite gets int16
    # activations (int8 weights): with int8 ones the LSTM cell state's 1/32 grid drifts +5% NLL over whole tunes.
    # target="tflm": its C sources too, and the stepped gate rerun in TFLite Micro (docs/deploy/microcontroller.md).
    exports=(ExportPlan(step=True, quantize="int16x8", target="tflm", formats=("tflite",)),
             ExportPlan(step=True, formats=("onnx",))),
    after_export=lazy("apps.music.calibration:after_export"),
)
