"""The music app's command group; command modules register on ``app``."""
from suite.cli import App

app = App("music", "Melody generation (Magenta melody_rnn style) trained on music21's folk-tune corpus")
