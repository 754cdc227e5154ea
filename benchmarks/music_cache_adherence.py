"""Why the generation cache changes how well melodies follow their conditions (docs/apps/music.md, "Does
generation follow the conditions?"): no cache, the position-free cache shipped before, the shipped cache.

    python benchmarks/music_cache_adherence.py [MODEL_DIR] [--melodies 200]   # prints JSON (~6 min on 2 cores)

- ``validation``: per meter, over the validation tunes teacher-forced, the cache's probability of the true next
  event where its longest match occurred only at other bar positions / at the same one, and the model's there;
- ``recurrence``: per asked meter, the share of recurring contexts (distance back to the latest earlier
  occurrence of the longest recurring context of 2-32 events) that is a whole number of bars, in the first 8
  bars of the validation tunes and in 50 generated melodies (the evaluation's seeds);
- ``fresh``: agreement on ``--melodies`` fresh melodies (seeds from 1000) for the conditions that dropped;
- ``key_lock_in``: asked D minor, the key of the first 4 bars against the whole 8.
The position-free cache is the one recorded in metrics.json ``evaluation_position_free_cache``.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, ahead of benchmarks/export.py
from apps.music import adherence, conditions, data, model as melody_model  # noqa: E402
from apps.music.cache import BAR_STEPS, CacheSettings, cache_probabilities  # noqa: E402
from apps.music.encoding import NO_EVENT  # noqa: E402
from apps.music.evaluation import EXCERPT_EVENTS  # noqa: E402
from apps.music.generation import make_scorer  # noqa: E402

ORDERS = (2, 3, 4, 6, 8, 12, 16, 24, 32)
# every length, at the same bar position first: its match's sign tells where the longest recurring context was
PROBE = CacheSettings(0.5, "longest", orders=ORDERS, order_weights=(1.0,) * len(ORDERS), position="bar-then-any",
                      position_weights=(1.0,) * len(ORDERS))
D_MINOR = (2, "minor")


def validation_matches(rows: list) -> dict:
    """Per meter: mean p_cache and p_model of the true event where the longest match was only elsewhere / also here."""
    found = collections.defaultdict(lambda: {"elsewhere": [[], []], "same_position": [[], []]})
    for model_rows, events, prefix in rows:
        p_cache, _, matched = cache_probabilities(events, PROBE, prefix)
        targets = np.arange(len(events) - 1), events[1:]
        meter = conditions.labels_of(prefix)["meter"]
        for kind, at in (("elsewhere", matched > 0), ("same_position", matched < 0)):
            found[meter][kind][0].extend(p_cache[targets][at])
            found[meter][kind][1].extend(model_rows[targets][at])
    return {meter: {kind: {"targets": len(c), "p_cache": round(float(np.mean(c)), 3) if c else None,
                           "p_model": round(float(np.mean(m)), 3) if m else None} for kind, (c, m) in kinds.items()}
            for meter, kinds in found.items()}


def recurrence_distances(events: np.ndarray) -> list[int]:
    """At each step whose longest context of ORDERS events recurs: the distance back to its latest occurrence."""
    events, out = [int(e) for e in events], []
    for t in range(2, len(events)):
        for n in ORDERS[::-1]:
            context = events[t - n:t] if t >= n else None
            if context is None or all(e == NO_EVENT for e in context):
                continue
            earlier = [s for s in range(t - 1, n - 1, -1) if events[s - n:s] == context]
            if earlier:
                out.append(t - earlier[0])
                break
    return out


def whole_bar_share(melodies: list, meter: str) -> float:
    distances = np.array([d for events in melodies for d in recurrence_distances(events)])
    return round(float((distances % BAR_STEPS[meter] == 0).mean()), 3)


def key_lock_in(melodies: list) -> dict:
    half = EXCERPT_EVENTS // 2
    first_keys = [adherence.analysed_key(e[:half]) for e in melodies]
    whole_keys = [adherence.analysed_key(e) for e in melodies]
    first = np.array([key == D_MINOR for key in first_keys])
    whole = np.array([key == D_MINOR for key in whole_keys])
    return {"first_half_asked": round(float(first.mean()), 3), "whole_asked": round(float(whole.mean()), 3),
            "whole_asked_if_first_half_not": round(float(whole[~first].mean()), 3),
            "whole_key_is_first_half_key": round(float(np.mean([a == b for a, b in zip(first_keys, whole_keys)])), 3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", nargs="?", default="saved_models/music")
    parser.add_argument("--melodies", type=int, default=200)
    args = parser.parse_args()
    keras = melody_model.load(args.model_dir)
    metrics = json.loads((Path(args.model_dir) / "metrics.json").read_text())
    caches = {"none": CacheSettings(), "position_free": CacheSettings.of_config(metrics["evaluation_position_free_cache"]),
              "shipped": CacheSettings.of_config(keras.config)}
    corpus = data.load_corpus(keras.config.get("data", {}).get("data_dir"), keras.music.limit, show_progress=False)
    by_tune = data.condition_prefixes(corpus, show_progress=False)
    split = {name: (corpus.split(name), data.split_prefixes(corpus, name, by_tune)) for name in ("train", "validation")}
    classifiers = {kind: adherence.fit_classifier(kind, *adherence.labelled_openings(*split["train"], kind))
                   for kind in ("meter", "style")}
    from benchmarks.music_cache import split_rows

    record = {"validation": validation_matches(split_rows(keras, corpus, "validation")), "recurrence": {}, "fresh": {}}
    generator = melody_model.open_model(melody_model.resolve(keras.source))
    for meter in ("3/4", "6/8"):
        tunes = [t[:EXCERPT_EVENTS] for t, p in zip(*split["validation"]) if conditions.labels_of(p)["meter"] == meter]
        record["recurrence"][meter] = {"validation_tunes": whole_bar_share(tunes, meter)}
        for name, cache in caches.items():
            melodies = adherence.generate_with(generator, make_scorer(generator, cache), 50, 0, meter=meter)
            record["recurrence"][meter][name] = whole_bar_share(melodies, meter)
    record["key_lock_in"] = {}
    for name, cache in caches.items():
        scorer, fresh = make_scorer(generator, cache), {}
        for kind, value in (("meter", "3/4"), ("meter", "6/8"), ("style", "german")):
            melodies = adherence.generate_with(generator, scorer, args.melodies, 1000, **{kind: value})
            found = adherence.predict(kind, classifiers[kind], melodies)
            fresh[f"{kind} {value}"] = {"followed": float(np.mean([f == value for f in found])),
                                        "classified": dict(collections.Counter(map(str, found)))}
        melodies = adherence.generate_with(generator, scorer, args.melodies, 1000, tonic=D_MINOR[0], mode=D_MINOR[1])
        fresh["key D minor"] = adherence.key_agreement(melodies, *D_MINOR)
        record["key_lock_in"][name] = key_lock_in(melodies)
        record["fresh"][name] = fresh
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
