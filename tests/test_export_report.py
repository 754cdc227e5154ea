"""export.report.streaming_check: the stepped task metric is gated for every task, not only classifiers."""
from __future__ import annotations

import numpy as np
import pytest

from export import report as parity
from suite.errors import UserError
from suite.keras import keras
from suite.streaming import compiled_step, initial_states, step_model

STEPS, FEATURES, UNITS = 10, 3, 8


class KerasStepper:
    """The streaming-runtime protocol (reset, step) over a Keras step model; ``drift`` corrupts the state."""

    def __init__(self, model: keras.Model, drift: float = 0.0) -> None:
        self.step_model = step_model(model)
        self.run = compiled_step(self.step_model)
        self.drift = drift
        self.reset()

    def reset(self) -> None:
        self.states = initial_states(self.step_model)

    def step(self, frame: np.ndarray) -> np.ndarray:
        output, states = self.run(frame.astype(np.float32), self.states)
        self.states = [np.asarray(state) + self.drift for state in states]
        return np.asarray(output)


def risk_model() -> keras.Model:
    """Per-step risk (sigmoid) from a GRU: random weights give spread-out scores to rank."""
    inputs = keras.Input((STEPS, FEATURES), name="x")
    hidden = keras.layers.GRU(UNITS, return_sequences=True, name="rnn")(inputs)
    outputs = keras.layers.Dense(1, activation="sigmoid", name="risk")(hidden)
    return keras.Model(inputs, outputs)


def generation_model(vocab: int = 6) -> keras.Model:
    inputs = keras.Input((STEPS, FEATURES), name="x")
    hidden = keras.layers.GRU(UNITS, return_sequences=True, name="rnn")(inputs)
    outputs = keras.layers.Dense(vocab, activation="softmax", name="next")(hidden)
    return keras.Model(inputs, outputs)


@pytest.fixture(scope="module")
def sequences() -> np.ndarray:
    return np.random.default_rng(0).normal(size=(12, STEPS, FEATURES)).astype(np.float32) * 2.0


def test_exact_stepping_passes_risk_check_with_labels(sequences):
    keras.utils.set_random_seed(1)
    model = risk_model()
    labels = (np.random.default_rng(1).random((len(sequences), STEPS, 1)) < 0.5).astype(np.int64)
    result = parity.streaming_check(model, KerasStepper(model), sequences, "risk", labels)
    assert result["step_metric"] == "auroc"
    assert result["step_max_abs_diff"] < 1e-5
    assert abs(result["step_keras"] - result["step_export"]) < 1e-6 and result["step_passed"]
    parity.check_agreement({"passed": True, **result})  # no error


def test_drifting_state_fails_risk_check(sequences):
    keras.utils.set_random_seed(1)
    model = risk_model()
    result = parity.streaming_check(model, KerasStepper(model, drift=0.7), sequences, "risk")
    # Without labels the check ranks against Keras' own decisions (AUROC 1.0 for Keras itself).
    assert result["step_keras"] == pytest.approx(1.0)
    assert result["step_agreement"] > parity.MAX_AUROC_DROP and not result["step_passed"]
    with pytest.raises(UserError, match="stepping the step model"):
        parity.check_agreement({"passed": True, "path": "risk.tflite", "threshold": parity.MAX_AUROC_DROP, **result})


def test_generation_check_compares_nll_of_targets(sequences):
    keras.utils.set_random_seed(2)
    model = generation_model()
    targets = np.random.default_rng(2).integers(0, 6, size=(len(sequences), STEPS))
    exact = parity.streaming_check(model, KerasStepper(model), sequences, "generation", targets)
    assert exact["step_metric"] == "nll" and exact["step_passed"]
    assert exact["step_agreement"] == pytest.approx(0.0, abs=1e-5)
    drifted = parity.streaming_check(model, KerasStepper(model, drift=0.7), sequences, "generation", targets)
    assert drifted["step_agreement"] > parity.MAX_RELATIVE_NLL_INCREASE and not drifted["step_passed"]


def test_check_steps_through_every_held_out_sequence_up_to_the_cap():
    """Not only the first 16: the stepped metric of a few sequences swings too much to gate on."""
    keras.utils.set_random_seed(3)
    model = generation_model()
    many = np.random.default_rng(3).normal(size=(40, STEPS, FEATURES)).astype(np.float32)
    targets = np.random.default_rng(3).integers(0, 6, size=(40, STEPS))
    result = parity.streaming_check(model, KerasStepper(model), many, "generation", targets)
    assert result["step_sequences"] == 40
    capped = parity.streaming_check(model, KerasStepper(model), many, "generation", targets, max_sequences=25)
    assert capped["step_sequences"] == 25
    assert parity.MAX_STEPPED_SEQUENCES >= 200  # the apps hold out 200 sequences
