"""export.tasks: the task registry, its intervals and the pass rules of every task."""
from __future__ import annotations

import numpy as np
import pytest

from export import report as parity
from export import tasks
from suite.errors import UserError

CLASSES = 4


def one_hot_scores(classes: np.ndarray) -> np.ndarray:
    scores = np.full((len(classes), CLASSES), 0.1, np.float32)
    scores[np.arange(len(classes)), classes] = 0.7
    return scores


def flipped(keras_classes: np.ndarray, positions: list[int], to: list[int]) -> np.ndarray:
    export_classes = keras_classes.copy()
    export_classes[positions] = to
    return export_classes


def test_every_issue_task_is_registered_with_metric_and_threshold():
    expected = {"classification": ("accuracy", 0.99), "risk": ("auroc", 0.01), "generation": ("nll", 0.02),
                "regression": ("rmse", 0.05), "forecast": ("mase", 0.02), "seq2seq": ("token_accuracy", 0.99),
                "seq2seq_decoding": ("wer", 0.5)}
    for name, (metric, threshold) in expected.items():
        task = tasks.get_task(name)
        assert (task.metric, task.threshold) == (metric, threshold)


def test_unknown_task_is_an_error_naming_it_not_classification():
    with pytest.raises(UserError, match=r"model/config.json: unknown task 'ranking'; expected one of .*classification"):
        tasks.get_task("ranking", source="model/config.json")
    with pytest.raises(UserError, match="unknown task None"):
        parity.task_metrics(None, np.zeros((3, 2)), np.zeros((3, 2)), None)


def test_registering_a_task_twice_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        tasks.register_task("classification", metric="x", threshold=0.0)(lambda *a: {})


def test_wilson_interval_matches_closed_form():
    low, high = tasks.wilson_interval(41, 42)
    assert (round(low, 4), round(high, 4)) == (0.8768, 0.9958)  # by hand: centre 0.93628, half 0.05950
    assert tasks.wilson_interval(200, 200) == (pytest.approx(0.98116, abs=1e-5), 1.0)
    assert tasks.wilson_interval(0, 10)[0] == 0.0


def test_fresh_machine_case_passes_when_export_is_better_than_keras():
    """Issue 13: one flip against Keras, but the export is right more often: as good on the task."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, CLASSES, size=200)
    keras_classes = labels.copy()
    keras_classes[:10] = (labels[:10] + 1) % CLASSES  # Keras wrong on the first 10 (95% accuracy)
    # 5 flips: 4 where the export corrects Keras, 1 where it breaks a right answer.
    export_classes = flipped(keras_classes, [0, 1, 2, 3, 50], [*labels[:4], (labels[50] + 1) % CLASSES])
    result = tasks.evaluate("classification", one_hot_scores(keras_classes), one_hot_scores(export_classes), labels)
    assert result["agreement"] == pytest.approx(0.975)
    assert result["agreement_interval"][1] < tasks.MIN_ARGMAX_AGREEMENT  # confidently below 99% agreement...
    assert result["change"] == pytest.approx(0.015)
    assert result["change_interval"][0] > -tasks.MAX_ACCURACY_DROP  # ...but not worse on the task
    assert result["passed"] and result["passed_by"] == "task metric"


def test_export_that_loses_accuracy_with_the_same_flips_fails():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, CLASSES, size=200)
    keras_classes = labels.copy()
    export_classes = flipped(keras_classes, [5, 6, 7, 8, 9], list((labels[5:10] + 1) % CLASSES))
    result = tasks.evaluate("classification", one_hot_scores(keras_classes), one_hot_scores(export_classes), labels)
    assert result["change"] == pytest.approx(-0.025)
    assert not result["passed"] and result["passed_by"] is None


def test_one_flip_in_200_passes_on_agreement_alone_without_labels():
    keras_classes = np.arange(200) % CLASSES
    export_classes = flipped(keras_classes, [7], [(7 % CLASSES + 1) % CLASSES])
    result = tasks.evaluate("classification", one_hot_scores(keras_classes), one_hot_scores(export_classes), None)
    assert result["agreement"] == pytest.approx(0.995) and result["passed_by"] == "agreement"


def test_seq2seq_has_no_task_metric_rescue():
    labels = np.arange(200) % CLASSES
    keras_wrong = flipped(labels, list(range(5)), list((labels[:5] + 2) % CLASSES))
    # The export is right where Keras is wrong (+2.5 points), yet 5 token flips in 200 fail a decoder.
    result = tasks.evaluate("seq2seq", one_hot_scores(keras_wrong), one_hot_scores(labels), labels)
    assert result["change"] == pytest.approx(0.025) and not result["passed"]
    assert tasks.evaluate("classification", one_hot_scores(keras_wrong), one_hot_scores(labels), labels)["passed"]


def test_seq2seq_decoding_scores_word_error_rate_against_any_reference():
    from export.seq2seq import padded

    references = [[(1, 2, 3), (1, 4, 3)], [(5, 6)], [(7,)], [(2, 2, 2, 2)]]
    keras = padded([(1, 4, 3), (5, 6), (7,), (2, 2, 2)], 6)       # 3 right (the 1st by its alternate), 1 edit
    result = tasks.evaluate("seq2seq_decoding", keras, keras, references)
    assert (result["keras"], result["export"], result["agreement"]) == (25.0, 25.0, 1.0)
    assert result["per_keras"] == round(100 * 1 / 10, 3) and result["samples"] == 4 and result["passed"]
    export = padded([(1, 4, 3), (6, 5), (7,), (2, 2, 2)], 6)      # one more word wrong: 2 edits
    worse = tasks.evaluate("seq2seq_decoding", keras, export, references)
    assert (worse["export"], worse["change"], worse["per_export"]) == (50.0, 25.0, 30.0)
    assert worse["agreement"] == 0.75 and not worse["passed"]
    assert tasks.decoded_rows(np.array([[3, -1, 4], [1, 2, 3]])) == [(3,), (1, 2, 3)]


def test_seq2seq_decoding_gate_is_half_a_word_error_rate_point():
    references = [[(1,)]] * 1000
    keras = np.full((1000, 2), -1)
    keras[:, 0] = 1
    export = keras.copy()
    export[:5, 0] = 2                                             # 0.5 points: passes
    assert tasks.evaluate("seq2seq_decoding", keras, export, references)["passed"]
    export[:6, 0] = 2                                             # 0.6 points: fails
    assert not tasks.evaluate("seq2seq_decoding", keras, export, references)["passed"]


def test_regression_gates_a_one_output_model_that_argmax_would_pass():
    rng = np.random.default_rng(1)
    keras_out = rng.normal(size=(200, 1)).astype(np.float32)
    exact = tasks.evaluate("regression", keras_out, keras_out + 0.01, None)
    assert exact["agreement"] == pytest.approx(0.01 / keras_out.std(), rel=1e-3) and exact["passed"]
    off = tasks.evaluate("regression", keras_out, keras_out + 0.2, None)
    assert off["agreement"] > tasks.MAX_RELATIVE_RMS_ERROR and not off["passed"]
    # The same broken export has argmax agreement 1.0 (one column), what the old fallback gated on.
    assert tasks.evaluate("classification", keras_out, keras_out + 0.2, None)["agreement"] == 1.0


def test_forecast_gates_the_median_error_increase():
    rng = np.random.default_rng(3)
    targets = rng.normal(size=(200, 5, 4)).astype(np.float32)          # (sequences, steps, horizon)
    median = targets + rng.normal(0, 0.5, targets.shape).astype(np.float32)

    def quantile_outputs(middle):                                         # 10/50/90% per horizon step
        return np.stack([middle - 1, middle, middle + 1], axis=-1).reshape(200, 5, 12)

    keras_mae = np.abs(median - targets).mean()
    same = tasks.evaluate("forecast", quantile_outputs(median), quantile_outputs(median), targets)
    assert (same["metric"], same["agreement"], same["passed"]) == ("mase", 0.0, True)
    assert same["keras"] == pytest.approx(keras_mae, rel=1e-5)
    # the median pushed away from the targets by 0.1: its error grows by far more than 2% on every resample
    worse = median + 0.1 * np.sign(median - targets)
    off = tasks.evaluate("forecast", quantile_outputs(median), quantile_outputs(worse), targets)
    assert off["agreement"] == pytest.approx(0.1 / keras_mae, rel=1e-3) and off["change_interval"][0] > 0.02
    assert not off["passed"]
    # only the median is scored: wider outer quantiles change nothing
    wide = np.stack([median - 3, median, median + 3], axis=-1).reshape(200, 5, 12)
    assert tasks.evaluate("forecast", quantile_outputs(median), wide, targets)["agreement"] == 0.0
    # without targets (a step model's single steps) the relative-RMS rule of regression applies
    untargeted = tasks.evaluate("forecast", quantile_outputs(median), quantile_outputs(median) + 0.2, None)
    assert untargeted["passed_by"] == "relative rms (no targets)" and not untargeted["passed"]
    assert (untargeted["metric"], untargeted["threshold"]) == ("relative_rms", tasks.MAX_RELATIVE_RMS_ERROR)


def test_risk_interval_and_rule():
    rng = np.random.default_rng(2)
    labels = (rng.random((200, 1)) < 0.3).astype(np.int64)
    scores = np.clip(labels * 0.3 + rng.random((200, 1)) * 0.7, 0, 1).astype(np.float32)
    same = tasks.evaluate("risk", scores, scores, labels)
    assert same["change"] == 0.0 and same["change_interval"] == [0.0, 0.0] and same["passed"]
    noisy = tasks.evaluate("risk", scores, (rng.random((200, 1))).astype(np.float32), labels)
    assert noisy["change_interval"][1] < -tasks.MAX_AUROC_DROP and not noisy["passed"]


def test_auroc_matches_sklearn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    labels = rng.integers(0, 2, size=300)
    scores = np.round(rng.random(300) + labels * 0.3, 2)  # ties included
    assert tasks.auroc(scores, labels) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
