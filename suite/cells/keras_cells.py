"""The three Keras recurrent layers."""
from suite.cells import CellKind, register_cell
from suite.keras import keras

register_cell(CellKind("simple", keras.layers.SimpleRNN, ("h",)))
register_cell(CellKind("gru", keras.layers.GRU, ("h",)))
register_cell(CellKind("lstm", keras.layers.LSTM, ("h", "c")))
