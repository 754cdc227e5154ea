"""Choose the generation cache (apps/music/cache.py) by teacher-forced NLL of the validation tunes.

    python benchmarks/music_cache.py [MODEL_DIR]             # default saved_models/music: prints the grid as JSON
    python benchmarks/music_cache.py [MODEL_DIR] --update    # + writes the best into config.json "cache" and the
                                                             #   grid into metrics.json "cache_selection"

Each validation tune is scored by the Keras sequence model (after its control tokens), and each event's
distribution is mixed with the tune's own cache of its earlier events: (1 - w) p_model + w p_cache. Per cache
form (context of the last n events, with or without contexts of held notes alone; the longest matching of
several contexts, with a weight per matched length, matched anywhere in the tune or at the same bar position
(the meter token's bar length) or both, see apps/music/cache.py ``position``; or the event `lag` steps back)
and weight w, the mean NLL per event over the validation split; the best setting is then scored once on the test split. Nothing is chosen on the test
split or on the two-sample test.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository, ahead of benchmarks/export.py
from apps.music import data, model as melody_model  # noqa: E402
from apps.music.cache import POSITIONS, CacheSettings, cache_probabilities  # noqa: E402

ORDERS = (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 16, 24, 32)
LAGS = (12, 16, 32)
LONGEST_ORDERS = (2, 3, 4, 6, 8, 12, 16, 24, 32)
FINE_WEIGHTS = tuple(np.round(np.arange(0.0, 0.99, 0.01), 2).tolist())
WEIGHTS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def split_rows(melody, corpus, split: str) -> list:
    """(model rows, events, control tokens) per tune of the split (teacher-forced: ``tune_rows``)."""
    tunes, prefixes = corpus.split(split), None
    if melody.conditioned:
        prefixes = data.split_prefixes(corpus, split, data.condition_prefixes(corpus, show_progress=False))
    return melody_model.tune_rows(melody, tunes, prefixes=prefixes)


def nll(rows: list, settings: CacheSettings) -> float:
    return float(-melody_model.tune_scores(rows, settings)[0].mean())


def targets(rows: list, form: CacheSettings) -> tuple[np.ndarray, np.ndarray]:
    """p_cache of every validation target under a cache form, and the order of its match (0: none)."""
    cache_target, orders = [], []
    for _, events, prefix in rows:
        p_cache, _, matched = cache_probabilities(events, form, prefix)
        cache_target.append(p_cache[np.arange(len(events) - 1), events[1:]])
        orders.append(matched)
    return np.concatenate(cache_target), np.concatenate(orders)


def mixed_nll(model_target: np.ndarray, cache_target: np.ndarray, weights: np.ndarray) -> float:
    return float(-np.log(np.clip((1 - weights) * model_target + weights * cache_target, 1e-12, 1.0)).mean())


def grid(rows: list) -> list[dict]:
    """NLL of every form and weight: per form the cache's target probabilities once, then every weight."""
    model_target = np.concatenate([r[np.arange(len(e) - 1), e[1:]] for r, e, _ in rows])
    results = []
    forms = ([CacheSettings(0.5, "context", order=n, holds=holds) for n in ORDERS for holds in (False, True)]
             + [CacheSettings(0.5, "bar", lag=k) for k in LAGS])
    for form in forms:
        cache_target, matched = targets(rows, form)
        for weight in WEIGHTS:
            settings = CacheSettings(**{**form.to_dict(), "weight": weight, "orders": (), "order_weights": ()})
            results.append({**settings.to_dict(), "coverage": round(float((matched > 0).mean()), 4),
                            "nll": round(mixed_nll(model_target, cache_target, weight * (matched > 0)), 5)})
    return results + [fitted_longest(rows, model_target, position, overlap) for position in POSITIONS
                      for overlap in (True, False)]


def fitted_longest(rows: list, model_target: np.ndarray, position: str, overlap: bool = True) -> dict:
    """The longest form with a weight per matched order (and per kind of match: at the same bar position or
    anywhere), fitted kind by kind on a 0.01 grid: each target has one match, so the weights do not interact."""
    ones = (1.0,) * len(LONGEST_ORDERS)
    form = CacheSettings(0.5, "longest", orders=LONGEST_ORDERS, order_weights=ones, position=position,
                         position_weights=() if position == "any" else ones, overlap=overlap)
    cache_target, matched = targets(rows, form)  # matched: the order, negative at the same bar position
    fitted = {}
    for kind in [order for order in LONGEST_ORDERS] + [-order for order in LONGEST_ORDERS]:
        at = matched == kind
        fitted[kind] = min(FINE_WEIGHTS, key=lambda w: mixed_nll(model_target[at], cache_target[at], w)) if at.any() else 0.0
    top = max(fitted.values())
    settings = CacheSettings(top, "longest", orders=LONGEST_ORDERS, position=position, overlap=overlap,
                             order_weights=tuple(round(fitted[n] / top, 4) for n in LONGEST_ORDERS),
                             position_weights=() if position == "any" else
                             tuple(round(fitted[-n] / top, 4) for n in LONGEST_ORDERS))
    weights = np.zeros(len(matched))
    for order, positioned, weight in settings.context_weights():
        weights[matched == (-order if positioned else order)] = weight
    return {**settings.to_dict(), "coverage": round(float((matched != 0).mean()), 4),
            "coverage_by_order": [round(float((np.abs(matched) == n).mean()), 4) for n in LONGEST_ORDERS],
            "coverage_same_position": round(float((matched < 0).mean()), 4),
            "nll": round(mixed_nll(model_target, cache_target, weights), 5)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", nargs="?", default="saved_models/music")
    parser.add_argument("--update", action="store_true", help="record the best setting in config.json and metrics.json")
    args = parser.parse_args()
    melody = melody_model.load(args.model_dir)
    corpus = data.load_corpus(melody.config.get("data", {}).get("data_dir"), melody.music.limit, show_progress=False)
    validation = split_rows(melody, corpus, "validation")
    results = grid(validation)
    best = min(results, key=lambda r: r["nll"])
    chosen = CacheSettings.of_config({"cache": {key: best[key] for key in CacheSettings().to_dict()}})
    test = split_rows(melody, corpus, "test")
    record = {"validation_nll_without_cache": round(nll(validation, CacheSettings()), 5),
              "validation_nll_with_cache": round(nll(validation, chosen), 5), "chosen": chosen.to_dict(),
              "test_nll_without_cache": round(nll(test, CacheSettings()), 5),
              "test_nll_with_cache": round(nll(test, chosen), 5),
              "validation_events": int(sum(len(e) - 1 for _, e, _ in validation)),
              "test_events": int(sum(len(e) - 1 for _, e, _ in test)), "grid": results}
    if args.update:
        write_choice(Path(args.model_dir), chosen, record)
    print(json.dumps(record))
    return 0


def write_choice(model_dir: Path, chosen: CacheSettings, record: dict) -> None:
    """config.json "cache" (what generate reads) and metrics.json "cache_selection", each atomically."""
    from suite.atomic import write_text
    from suite.modeldir import CONFIG_FILE, read_config, update_metrics

    config = read_config(model_dir)
    config["cache"] = chosen.to_dict()
    write_text(model_dir / CONFIG_FILE, json.dumps(config, indent=2, sort_keys=True))  # as save_model_dir writes it
    update_metrics(model_dir, cache_selection=record)


if __name__ == "__main__":
    raise SystemExit(main())
