"""Truncated backpropagation through time for aligned (many-to-many) models.

Each batch of long sequences is cut into ``window``-step pieces. The states are carried from one
window to the next (stateful), gradients stop at window boundaries, and the states reset to zero
for every new batch of sequences. The window model shares every weight with the sequence model.
"""
from __future__ import annotations

from suite.keras import keras, tf
from suite.streaming import state_model


class TruncatedBPTT(keras.Model):
    """Wraps a sequence model; ``fit`` updates its weights once per window."""

    def __init__(self, sequence_model: keras.Model, window: int, **kwargs) -> None:
        super().__init__(**kwargs)
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window!r}")
        self.sequence_model = sequence_model
        self.window = int(window)
        self.window_model = state_model(sequence_model, steps=None)

    def call(self, inputs, training=False):
        return self.sequence_model(inputs, training=training)

    def _zero_states(self, batch_size):
        return [tf.zeros((batch_size,) + tuple(t.shape[1:])) for t in self.window_model.inputs[1:]]

    def train_step(self, data):
        x, y = data[0], data[1]
        length = x.shape[1]
        if length is None:
            raise ValueError("truncated BPTT needs a static sequence length in the batches")
        states = self._zero_states(tf.shape(x)[0])
        for start in range(0, length, self.window):
            x_window, y_window = x[:, start:start + self.window], y[:, start:start + self.window]
            with tf.GradientTape() as tape:
                outputs = self.window_model([x_window, *states], training=True)
                prediction, new_states = outputs[0], outputs[1:]
                loss = self.compiled_loss(y_window, prediction, regularization_losses=self.losses)
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
            states = [tf.stop_gradient(s) for s in new_states]
            self.compiled_metrics.update_state(y_window, prediction)
        return {metric.name: metric.result() for metric in self.metrics}
