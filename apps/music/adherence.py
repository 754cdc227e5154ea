"""Do generated melodies follow the conditions they were asked for? (``evaluate --conditions N``)

- key: music21's key analysis of each melody against the asked key (tonic and mode; "same scale" also
  accepts the relative major/minor, which shares every pitch class);
- meter: a classifier of bar-level accent structure trained on the corpus: the autocorrelation of the
  onset train and of duration-weighted onsets at lags of 1..48 sixteenths (phase-free, so a pickup does
  not matter), fitted on the training tunes' 8-bar openings;
- style: a classifier on the evaluation's melody features plus those onset features, fitted the same way.

Each classifier's accuracy on the held-out (test) tunes is reported beside its agreement with the asked
labels on generated melodies: agreement means little where the classifier itself is weak.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from apps.music import conditions
from apps.music.encoding import FIRST_NOTE_ON, decode
from apps.music.evaluation import corpus_excerpts, melody_features

MAX_LAG = 48  # 16ths: three 4/4 bars, four 3/4 or 6/8 bars, six 2/4 bars
ASKED_KEYS = ((0, "major"), (2, "major"), (7, "major"), (9, "minor"), (4, "minor"), (2, "minor"))
CLASSIFIER_SEED = 0


def onset_features(events: np.ndarray) -> np.ndarray:
    """Normalised autocorrelation of the onset train and of the duration-weighted onset train, lags 1..MAX_LAG."""
    events = np.asarray(events)
    onsets = (events >= FIRST_NOTE_ON).astype(float)
    weighted = np.zeros(len(events))
    for note in decode(events):
        weighted[note.start] = note.end - note.start  # long notes fall on strong beats
    features = []
    for train in (onsets, weighted):
        centred = train - train.mean()
        energy = float((centred ** 2).sum()) or 1.0
        features.append([float((centred[:-lag] * centred[lag:]).sum()) / energy for lag in range(1, MAX_LAG + 1)])
    return np.concatenate(features)


def style_features(events: np.ndarray) -> np.ndarray:
    return np.concatenate([melody_features(events).vector(), onset_features(events)])


FEATURES = {"meter": onset_features, "style": style_features}


def fit_classifier(kind: str, tunes: Sequence[np.ndarray], labels: Sequence[str]) -> Any:
    """A logistic regression from FEATURES[kind] of 8-bar openings to labels (balanced classes)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = np.stack([FEATURES[kind](events) for events in tunes])
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=3000, class_weight="balanced",
                                                                    random_state=CLASSIFIER_SEED))
    return classifier.fit(x, list(labels))


def predict(kind: str, classifier: Any, melodies: Sequence[np.ndarray]) -> list[str]:
    return list(classifier.predict(np.stack([FEATURES[kind](events) for events in melodies])))


def labelled_openings(tunes: Sequence[np.ndarray], prefixes: Sequence[np.ndarray], label: str,
                      exclude: tuple[str, ...] = ("other",)) -> tuple[list[np.ndarray], list[str]]:
    """8-bar openings of the tunes that have them, with their ``label`` (tunes labelled ``exclude`` left out)."""
    kept = [(opening, conditions.labels_of(prefix)[label]) for tune, prefix in zip(tunes, prefixes)
            for opening in corpus_excerpts([tune]) if conditions.labels_of(prefix)[label] not in exclude]
    return [opening for opening, _ in kept], [value for _, value in kept]


def analysed_key(events: np.ndarray) -> tuple[int, str]:
    """(tonic pitch class, "major"/"minor") of music21's key analysis of a melody."""
    from apps.music.stats import key_of

    key = key_of(decode(events))
    return int(key.tonic.pitchClass), "minor" if key.mode == "minor" else "major"


def key_agreement(melodies: Sequence[np.ndarray], tonic: int, mode: str) -> dict[str, float]:
    """Shares of melodies whose analysed key is the asked one, and whose scale is (the relative key too)."""
    return key_shares([analysed_key(events) for events in melodies], tonic, mode)


def key_shares(found: Sequence[tuple[int, str]], tonic: int, mode: str) -> dict[str, float]:
    """``key_agreement`` of melodies whose keys were analysed as ``found``."""
    relative = (tonic + (3 if mode == "minor" else -3)) % 12, "major" if mode == "minor" else "minor"
    return {"exact": sum(key == (tonic, mode) for key in found) / len(found),
            "same_scale": sum(key in ((tonic, mode), relative) for key in found) / len(found)}


def when_not_asked(found_by_asked: dict[Any, Sequence[Any]]) -> dict[Any, float]:
    """Per asked value, the share of the melodies generated for the OTHER asked values that were found to be
    it: what agreement would be if asking made no difference."""
    return {value: float(np.mean([found == value for other, founds in found_by_asked.items() if other != value
                                  for found in founds])) for value in found_by_asked}


def generate_with(melody, scorer, count: int, seed: int, **asked) -> list[np.ndarray]:
    """``count`` 8-bar melodies, each with the asked labels and the others drawn like the training tunes'."""
    from apps.music.evaluation import EXCERPT_EVENTS
    from apps.music.generation import sample

    rng = np.random.default_rng([seed, 2])
    melodies = []
    for index in range(count):
        prefix = conditions.draw_prefix(melody.config["condition_counts"], rng, **asked)
        melodies.append(sample(melody, EXCERPT_EVENTS, seed=seed + index, scorer=scorer, prefix=prefix)[0])
    return melodies


def condition_report(melody, train: tuple[list, list], heldout: tuple[list, list], count: int,
                     seed: int = 0, cache: Any = None) -> dict[str, Any]:
    """Key agreement per asked key; meter and style classifiers' held-out accuracy and agreement on
    generated melodies per asked label (generated with the cache model ``cache``, as ``generate`` does).
    ``train``/``heldout``: (tunes, prefixes) of the corpus splits."""
    from apps.music.generation import make_scorer

    scorer = make_scorer(melody, cache)
    report: dict[str, Any] = {"melodies_per_condition": count, "key": {}}
    keys = {(tonic, mode): [analysed_key(events) for events in
                            generate_with(melody, scorer, count, seed, tonic=tonic, mode=mode)]
            for tonic, mode in ASKED_KEYS}
    baseline = when_not_asked(keys)
    for (tonic, mode), found in keys.items():
        report["key"][conditions.key_name(tonic, mode)] = {**key_shares(found, tonic, mode),
                                                           "when_not_asked": baseline[(tonic, mode)]}
    for kind, values in (("meter", ("2/4", "3/4", "4/4", "6/8")), ("style", ("irish", "german", "chinese"))):
        classifier = fit_classifier(kind, *labelled_openings(*train, kind))
        test_x, test_y = labelled_openings(*heldout, kind)
        predicted = predict(kind, classifier, test_x)
        found = {value: predict(kind, classifier, generate_with(melody, scorer, count, seed, **{kind: value}))
                 for value in values}
        report[kind] = {"classifier_heldout_accuracy": float(np.mean([p == t for p, t in zip(predicted, test_y)])),
                        "heldout_tunes": len(test_y), "chance": float(max(test_y.count(v) for v in set(test_y)) / len(test_y)),
                        "agreement": {value: float(np.mean([f == value for f in found[value]])) for value in values},
                        "when_not_asked": when_not_asked(found)}
    return report


def format_report(report: dict[str, Any]) -> str:
    lines = [f"conditions followed ({report['melodies_per_condition']} 8-bar melodies per asked value)",
             "key (music21 analysis; in brackets: same scale, then how often the key is found when another is asked): "
             + ", ".join(f"{name} {v['exact']:.2f} ({v['same_scale']:.2f}; {v['when_not_asked']:.2f})"
                         for name, v in report["key"].items())]
    for kind in ("meter", "style"):
        part = report[kind]
        lines.append(f"{kind}: classifier held-out accuracy {part['classifier_heldout_accuracy']:.3f} "
                     f"(majority {part['chance']:.3f}, {part['heldout_tunes']} tunes); asked -> classified as asked "
                     "(in brackets: when another value is asked): "
                     + ", ".join(f"{value} {share:.2f} ({part['when_not_asked'][value]:.2f})"
                                 for value, share in part["agreement"].items()))
    return "\n".join(lines)
