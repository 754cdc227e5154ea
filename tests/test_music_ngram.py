"""The n-gram baseline against a hand-computed tiny case, and its sanity on real structure."""
import math

import numpy as np
import pytest

from apps.music.ngram import NGramModel, fit_ngram


def tiny_model() -> NGramModel:
    # vocabulary {0, 1, 2}, bigram, discount 1/2, trained on 0 1 0 1
    return fit_ngram([np.array([0, 1, 0, 1])], order=2, discount=0.5, vocab_size=3)


def test_hand_computed_distributions():
    model = tiny_model()
    # unigram counts (2, 2, 0) of 4, 2 seen types: (max(c - 1/2, 0) + 1/2 * 2 * 1/3) / 4
    unigram = np.array([1.5 + 1 / 3, 1.5 + 1 / 3, 1 / 3]) / 4
    # after 0: counts (0, 2, 0), 1 seen type: (max(c - 1/2, 0) + 1/2 * 1 * unigram) / 2
    after_zero = (np.array([0, 1.5, 0]) + 0.5 * unigram) / 2
    # after 1 (and at the start): counts (1, 0, 0): (0.5, 0, 0) + 1/2 * unigram
    after_one = np.array([0.5, 0, 0]) + 0.5 * unigram
    np.testing.assert_allclose(model.distribution(0), after_zero)
    np.testing.assert_allclose(model.distribution(1), after_one)
    np.testing.assert_allclose(model.distribution(model.start_token), after_one)
    assert model.distribution(2).sum() == pytest.approx(1.0)  # unseen context: the unigram
    np.testing.assert_allclose(model.distribution(2), unigram)


def test_hand_computed_nll_and_accuracy():
    result = tiny_model().evaluate([np.array([0, 1, 2])])
    # targets are events[1:]: P(1 | 0) = 0.864583..., P(2 | 1) = 0.041666...
    p_one_after_zero = (1.5 + 0.5 * (1.5 + 1 / 3) / 4) / 2
    p_two_after_one = 0.5 * (1 / 3) / 4
    assert p_one_after_zero == pytest.approx(0.8645833333)
    assert result["nll"] == pytest.approx(-(math.log(p_one_after_zero) + math.log(p_two_after_one)) / 2)
    assert result["nll"] == pytest.approx(1.6617807, abs=1e-6)
    assert result["accuracy"] == 0.5  # 1 after 0 is predicted; 2 after 1 is not (0 is likelier)
    assert result["events"] == 2


def test_distributions_sum_to_one_and_higher_order_helps_on_a_pattern():
    rng = np.random.default_rng(0)
    # a riff in which the two previous tokens fix the next one, but the previous one alone does not (0 -> 1, 2, 3)
    pattern = np.array([5, 0, 1, 7, 0, 2, 9, 0, 3])
    train = [np.tile(pattern, 5)[rng.integers(0, 9):] for _ in range(40)]
    held_out = [np.tile(pattern, 3)]
    trigram = fit_ngram(train, order=3)
    bigram = fit_ngram(train, order=2)
    unigram = fit_ngram(train, order=1)
    for context in list(trigram.rows[2])[:20]:
        assert trigram.distribution(context).sum() == pytest.approx(1.0)
    assert trigram.evaluate(held_out)["nll"] < 0.5 * unigram.evaluate(held_out)["nll"]
    assert trigram.evaluate(held_out)["nll"] < bigram.evaluate(held_out)["nll"] - 0.3
    assert trigram.evaluate(held_out)["accuracy"] > 0.9
    assert bigram.evaluate(held_out)["accuracy"] < 0.8


def test_sequences_too_short_to_score():
    with pytest.raises(ValueError, match="no events"):
        tiny_model().evaluate([np.array([1])])
