"""export.seq2seq: greedy decoding of an encoder + decoder-step pair, and the step inputs that calibrate int8
(a numpy pair whose outputs are known; the g2p tests export and gate a real pair)."""
from __future__ import annotations

import numpy as np
import pytest

from export import seq2seq

DEPTH = 6
DECODING = seq2seq.Decoding(start=0, stop=(5,), max_steps=8)


class CountingPair:
    """Input (batch, 1) = the output length L: emits tokens 1, 2, ..., L (each with probability 0.5), then 5."""

    depth = DEPTH

    def encode(self, inputs):
        return np.asarray(inputs, np.float32), [np.zeros((len(inputs), 1), np.float32)]

    def step(self, previous, memory, states):
        assert previous.shape == (len(memory), 1, DEPTH) and np.allclose(previous.sum(-1), 1)
        count = states[0][:, 0]
        token = np.where(count < memory[:, 0], count + 1, 5).astype(int)
        probabilities = np.full((len(memory), DEPTH), 0.1, np.float32)
        probabilities[np.arange(len(memory)), token] = 0.5
        return probabilities, [states[0] + 1]


def test_greedy_stops_each_sequence_at_its_stop_token():
    ids, scores = seq2seq.greedy(CountingPair(), np.array([[2], [0], [4]]), DECODING)
    assert ids[0].tolist() == [1, 2, 5, -1, -1, -1, -1, -1]
    assert ids[1].tolist() == [5] + [-1] * 7
    assert seq2seq.content(ids, DECODING) == [(1, 2), (), (1, 2, 3, 4)]
    np.testing.assert_allclose(scores, np.log(0.5) * np.array([3, 1, 5]), rtol=1e-6)


def test_step_inputs_are_the_live_steps_of_greedy_decoding():
    lengths = np.array([[2], [0], [4]])
    previous, memory, state = seq2seq.step_inputs(CountingPair(), lengths, DECODING, samples=100)
    assert len(previous) == 3 + 1 + 5                       # every step up to and with the stop token
    # The previous token of a step is the one greedy decoding chose before (the start token first).
    pairs = sorted(zip(memory[:, 0].astype(int), state[:, 0].astype(int), previous[:, 0].argmax(-1)))
    assert pairs == [(0, 0, 0), (2, 0, 0), (2, 1, 1), (2, 2, 2), (4, 0, 0), (4, 1, 1), (4, 2, 2), (4, 3, 3),
                     (4, 4, 4)]
    drawn = seq2seq.step_inputs(CountingPair(), lengths, DECODING, samples=4)
    assert all(len(array) == 4 for array in drawn)


def test_teacher_forced_step_inputs_feed_the_given_tokens_up_to_the_stopping_step():
    lengths = np.array([[2], [0], [4]])
    previous, memory, state = seq2seq.step_inputs(CountingPair(), lengths, DECODING, forced=[(4, 4), (), (1,)])
    triples = sorted(zip(memory[:, 0].astype(int), state[:, 0].astype(int), previous[:, 0].argmax(-1)))
    assert triples == [(0, 0, 0), (2, 0, 0), (2, 1, 4), (2, 2, 4), (4, 0, 0), (4, 1, 1)]


def test_gate_fails_an_export_that_decodes_differently():
    class OffByOne(CountingPair):
        def encode(self, inputs):
            return super().encode(np.asarray(inputs) + 1)

    lengths = np.arange(1, 4)[:, None]                      # outputs stay below the stop token 5
    references = [[tuple(range(1, n + 1))] for n in range(1, 4)]
    same = seq2seq.gate(CountingPair(), CountingPair(), lengths, references, DECODING)
    assert same["task"] == "seq2seq_decoding" and same["keras"] == same["export"] == 0.0 and same["passed"]
    off = seq2seq.gate(CountingPair(), OffByOne(), lengths, references, DECODING)
    assert off["export"] == 100.0 and off["agreement"] == 0.0 and not off["passed"]
    assert off["per_export"] == pytest.approx(100 * 3 / 6)


class MarkedPair:
    """A member whose memory (``width`` wide) and ``state_count`` states carry its ``mark``; each step checks it
    got back its own slices and returns its fixed ``probabilities``."""

    depth = DEPTH

    def __init__(self, mark: float, width: int, state_count: int, probabilities: list[float]):
        self.mark, self.width, self.state_count = mark, width, state_count
        self.probabilities = np.asarray(probabilities, np.float32)

    def encode(self, inputs):
        batch = len(inputs)
        return (np.full((batch, 3, self.width), self.mark, np.float32),
                [np.full((batch, 2), self.mark + i, np.float32) for i in range(self.state_count)])

    def step(self, previous, memory, states):
        assert memory.shape[-1] == self.width and np.all(memory == self.mark)
        assert len(states) == self.state_count
        assert all(np.all(state == self.mark + i) for i, state in enumerate(states))
        return np.tile(self.probabilities, (len(memory), 1)), states


def test_an_ensemble_averages_log_probabilities_and_routes_each_members_memory_and_states():
    first = MarkedPair(10.0, width=4, state_count=1, probabilities=[0.5, 0.2, 0.1, 0.1, 0.05, 0.05])
    second = MarkedPair(20.0, width=7, state_count=2, probabilities=[0.1, 0.6, 0.1, 0.1, 0.05, 0.05])
    pair = seq2seq.EnsemblePair([first, second])
    assert (pair.depth, pair.state_count) == (DEPTH, 3)
    memory, states = pair.encode(np.zeros((2, 1)))
    assert memory.shape == (2, 3, 11) and len(states) == 3
    probabilities, states = pair.step(seq2seq.one_hot(np.zeros(2), DEPTH), memory, states)
    expected = np.sqrt(first.probabilities * second.probabilities)        # the geometric mean, renormalised
    np.testing.assert_allclose(probabilities[1], expected / expected.sum(), rtol=1e-6)
    assert probabilities.argmax(-1).tolist() == [1, 1]       # 0.2 * 0.6 > 0.5 * 0.1
    pair.step(seq2seq.one_hot(np.zeros(2), DEPTH), memory, states)   # the states come back in member order
    with pytest.raises(ValueError, match="one output depth"):
        seq2seq.EnsemblePair([first, type("Other", (), {"depth": 3, "state_count": 0})()])
