"""The generation cache (apps/music/cache.py): its distribution on hand-made event sequences, the interpolation,
a toy model under which the cache makes a repeated phrase likelier, beam search whose branches carry their own
caches, the --cache-weight option, and the shipped model's choice (validation NLL) in config.json."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from apps.music import generation
from apps.music.cache import POSITIONS, CachedScorer, CacheSettings, EventCache, cache_probabilities, cached_rows, mixed
from apps.music.conditions import METER_BASE, METERS
from apps.music.encoding import FIRST_NOTE_ON, NO_EVENT, NOTE_OFF, VOCAB_SIZE, Note, encode, note_on
from apps.music.evaluation import interval_gram_share
from suite.app import main, shipped_model_dir
from tests.test_music_beam import HoldingToyScorer

C4, D4, E4, F4, G4, A4 = (note_on(pitch) for pitch in (60, 62, 64, 65, 67, 69))
CONTROL = VOCAB_SIZE + 3  # a control token (style, meter, key) of a conditioned model


def distribution(events, **settings) -> np.ndarray | None:
    return EventCache(CacheSettings(**settings)).extend(events).distribution()


# ------------------------------------------------------------------ the cache's distribution, exact numbers


def test_context_cache_counts_what_followed_the_last_events():
    # context (C4, D4) was followed by E4 twice and F4 once; the melody now ends in C4 D4
    events = [C4, D4, E4, C4, D4, F4, C4, D4, E4, G4, C4, D4]
    p = distribution(events, order=2)
    expected = np.zeros(VOCAB_SIZE)
    expected[E4], expected[F4] = 2 / 3, 1 / 3
    np.testing.assert_array_equal(p, expected)
    assert distribution(events + [G4], order=2) is None  # context (D4, G4) never occurred before


def test_context_cache_rows_teacher_forced():
    events = [C4, D4, C4, D4, E4]
    rows, weights, orders = cache_probabilities(events, CacheSettings(0.3, order=1))
    # row t predicts events[t + 1] from events[:t + 1]: C4 -> ?, D4 -> ?, C4 -> D4 (seen once), D4 -> C4
    assert weights.tolist() == [0.0, 0.0, 0.3, 0.3] and orders.tolist() == [0, 0, 1, 1]
    assert rows[2, D4] == 1.0 and rows[3, C4] == 1.0 and rows[:2].sum() == 0.0


def test_held_note_contexts_have_no_cache_unless_asked():
    held = [C4, NO_EVENT, NO_EVENT, NO_EVENT, D4, NO_EVENT, NO_EVENT, NO_EVENT]
    assert distribution(held, order=3) is None  # three NO_EVENTs: a hold says nothing of the phrase
    p = distribution(held, order=3, holds=True)  # counted: NO_EVENT x3 was followed by D4 once
    assert p[D4] == 1.0 and p.sum() == 1.0
    rest = [C4, NOTE_OFF, NO_EVENT, D4, NOTE_OFF, NO_EVENT]  # (off, none) followed by D4: a rest has a note-off
    assert distribution(rest, order=2)[D4] == 1.0


LONGEST = CacheSettings(0.8, "longest", orders=(1, 2, 4), order_weights=(0.25, 0.5, 1.0))


def test_longest_cache_uses_the_longest_context_seen_before_and_its_weight():
    events = [C4, D4, E4, F4, G4] * 2 + [C4, D4, E4, F4]  # a phrase, its restatement, and the start of another
    match = EventCache(LONGEST).extend(events).lookup()
    # the longest context, (C4 D4 E4 F4), was followed by G4 both times: weight 0.8 x 1.0
    assert match.order == 4 and match.weight == pytest.approx(0.8) and match.probabilities[G4] == 1.0
    match = EventCache(LONGEST).extend(events[:-1] + [G4]).lookup()  # ... C4 D4 E4 G4: neither (E4 G4) nor
    assert match.order == 1 and match.weight == pytest.approx(0.2) and match.probabilities[C4] == 1.0  # ...: G4 -> C4
    match = EventCache(LONGEST).extend([C4, D4, C4, E4, C4]).lookup()  # C4 -> D4 once, -> E4 once; no (E4 C4) before
    assert match.order == 1 and match.probabilities[D4] == match.probabilities[E4] == 0.5
    _, weights, orders = cache_probabilities(events, LONGEST)
    assert orders.tolist() == [0, 0, 0, 0, 0, 1, 2, 2, 4, 4, 4, 4, 4]
    np.testing.assert_allclose(weights, [0.8 * {0: 0, 1: 0.25, 2: 0.5, 4: 1.0}[o] for o in orders.tolist()])


def test_without_overlap_an_occurrence_counts_once_wholly_before_the_context():
    no_overlap = CacheSettings(0.8, "longest", orders=(1, 2, 4), order_weights=(0.25, 0.5, 1.0), overlap=False)
    loop = [C4, D4] * 4  # a two-event loop: with overlap every context matches itself one period back
    assert EventCache(LONGEST).extend(loop).lookup().order == 4
    # without, at step 8: (C4 D4 C4 D4) at 0-3 was followed by C4 at step 4, an occurrence that ends inside the
    # context now (4-7) and counts from step 9; (C4 D4) at 0-1 (next C4 at 2) and at 2-3 (next at 4) count
    match = EventCache(no_overlap).extend(loop).lookup()
    assert (match.order, match.probabilities[C4]) == (2, 1.0)
    assert EventCache(no_overlap).extend(loop + [C4, D4]).lookup().order == 4  # step 10: the one at 0-3 counts
    _, _, orders = cache_probabilities(loop, no_overlap)
    # row t looks up at step t + 1; an order-n occurrence whose next event is at step k counts from k + n + 1
    assert orders.tolist() == [0, 0, 1, 1, 1, 2, 2]


def test_bar_cache_is_the_event_lag_steps_back():
    p = distribution([C4, D4, E4, F4, G4], form="bar", lag=4)
    assert p[D4] == 1.0 and p.sum() == 1.0  # the next step is 5; 5 - 4 = 1: D4
    assert distribution([C4, D4, E4], form="bar", lag=4) is None


def test_control_tokens_never_enter_the_cache():
    events = [C4, D4, E4, C4, D4]
    np.testing.assert_array_equal(distribution([CONTROL, CONTROL + 1] + events, order=2), distribution(events, order=2))


THREE_FOUR, FOUR_FOUR, OTHER_METER = (METER_BASE + METERS.index(m) for m in ("3/4", "4/4", "other"))


def positioned(position: str) -> CacheSettings:
    """Orders 1 and 2; weight 0.8 x share: anywhere 0.2 / 0.4, at the same bar position 0.6 / 0.8."""
    return CacheSettings(0.8, "longest", orders=(1, 2), order_weights=(0.25, 0.5), position=position,
                         position_weights=() if position == "any" else (0.75, 1.0))


# a 3/4 bar is 12 sixteenths: (C4 D4) is followed by E4 at bar position 2 and by F4 at position 8; the melody
# now ends in C4 D4 at steps 12-13, so the next event is at position 2 again
SAME_AND_ELSEWHERE = [C4, D4, E4, NO_EVENT, NO_EVENT, NO_EVENT, C4, D4, F4, NO_EVENT, NO_EVENT, NO_EVENT, C4, D4]
# (C4 D4) occurred only at position 8 (followed by F4); D4 alone also at position 2 (after G4, followed by E4)
ELSEWHERE_ONLY = [G4] + SAME_AND_ELSEWHERE[1:]


def test_positioned_cache_copies_what_followed_at_the_same_bar_position():
    match = EventCache(positioned("bar")).extend([THREE_FOUR] + SAME_AND_ELSEWHERE).lookup()
    assert (match.order, match.positioned, match.weight) == (2, True, pytest.approx(0.8))
    assert match.probabilities[E4] == 1.0 and match.probabilities.sum() == 1.0
    match = EventCache(positioned("any")).extend([THREE_FOUR] + SAME_AND_ELSEWHERE).lookup()
    assert (match.order, match.positioned, match.weight) == (2, False, pytest.approx(0.4))
    assert match.probabilities[E4] == match.probabilities[F4] == 0.5
    # 4/4: 16 steps a bar, step 14 is a position neither earlier (C4 D4) nor D4 had: nothing at the same position
    assert EventCache(positioned("bar")).extend([FOUR_FOUR] + SAME_AND_ELSEWHERE).lookup() is None
    # meter "other" or no meter token: one position, so every earlier occurrence counts
    for head in ([OTHER_METER], []):
        match = EventCache(positioned("bar")).extend(head + SAME_AND_ELSEWHERE).lookup()
        assert match.positioned and match.probabilities[E4] == match.probabilities[F4] == 0.5


@pytest.mark.parametrize("position, order, is_positioned, weight, event", [
    ("any", 2, False, 0.4, F4),  # the longest context, anywhere
    ("bar", 1, True, 0.6, E4),  # only contexts at the same position: D4 alone
    ("bar-then-any", 2, False, 0.4, F4),  # per length, the same position first: (C4 D4) only elsewhere, taken
    ("bar-first", 1, True, 0.6, E4),  # every same-position length before any other
])
def test_position_forms_back_off_in_their_order(position, order, is_positioned, weight, event):
    match = EventCache(positioned(position)).extend([THREE_FOUR] + ELSEWHERE_ONLY).lookup()
    assert (match.order, match.positioned, match.weight) == (order, is_positioned, pytest.approx(weight))
    assert match.probabilities[event] == 1.0
    # teacher-forced, after the control tokens: the last row predicts the event after ELSEWHERE_ONLY from it
    rows, weights, orders = cache_probabilities(ELSEWHERE_ONLY + [A4], positioned(position), prefix=[THREE_FOUR])
    assert orders[-1] == (-order if is_positioned else order) and weights[-1] == pytest.approx(weight)
    np.testing.assert_array_equal(rows[-1], match.probabilities)


def test_a_copied_cache_keeps_its_bar_position():
    cache = EventCache(positioned("bar")).extend([THREE_FOUR] + SAME_AND_ELSEWHERE[:-2])
    branch = cache.copy()
    for event in SAME_AND_ELSEWHERE[-2:]:
        branch.push(event)
    assert (branch.step, branch.bar_steps) == (14, 12) and branch.lookup().probabilities[E4] == 1.0
    assert cache.step == 12 and cache.lookup() is None  # (NO_EVENT x2): a hold, no context; the original unchanged


@pytest.mark.parametrize("settings, message", [
    ({"weight": 1.0}, "cache weight 1.0: must be at least 0 and below 1"),
    ({"weight": -0.1}, "cache weight -0.1"),
    ({"form": "phrase"}, "cache form 'phrase': expected one of context, longest, bar"),
    ({"order": 0}, "cache order 0"),
    ({"lag": 0}, "cache lag 0"),
    ({"form": "longest", "orders": (4, 2), "order_weights": (1.0, 0.5)}, "cache orders [4, 2]"),
    ({"form": "longest", "orders": (2, 4), "order_weights": (1.0,)}, "order weights [1.0]"),
    ({"form": "longest", "orders": (2,), "order_weights": (1.0,), "position": "beat"},
     "cache position 'beat': expected one of any, bar, bar-then-any, bar-first"),
    ({"position": "bar"}, "cache position 'bar' / position weights []: needs the longest form"),
    ({"form": "longest", "orders": (2, 4), "order_weights": (1.0, 1.0), "position": "bar", "position_weights": (1.0,)},
     "position weights [1.0]"),
])
def test_bad_settings_name_the_value(settings, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        CacheSettings(**settings)


# ------------------------------------------------------------------ interpolation


def test_interpolation_is_exact_and_sums_to_one():
    rng = np.random.default_rng(0)
    model = rng.dirichlet(np.ones(VOCAB_SIZE), size=2)
    caches = [EventCache(CacheSettings(0.6, order=1)).extend([C4, D4, C4]),  # C4 was followed by D4: p_cache = D4
              EventCache(CacheSettings(0.6, order=1)).extend([C4, D4])]  # D4 never seen before: no cache
    out = mixed(model, caches)
    expected = 0.4 * model[0]
    expected[D4] += 0.6
    np.testing.assert_allclose(out[0], expected, rtol=1e-12)
    np.testing.assert_array_equal(out[1], model[1])
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-12)
    rows = cached_rows(np.tile(model[0], (3, 1)), [C4, D4, C4, D4], CacheSettings(0.6, order=1))
    np.testing.assert_allclose(rows.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(cached_rows(model, [C4, D4, E4], CacheSettings(0.0)), model)  # weight 0: off


# ------------------------------------------------------------------ a toy model through the scorer interface


class UniformToyScorer(HoldingToyScorer):
    """P(next) uniform over the five pitches C4..G4 and NO_EVENT: it knows nothing of phrases (the beam tests'
    toy scorer's start/advance with other probabilities)."""

    support = [NO_EVENT, C4, D4, E4, F4, G4]

    def probabilities(self, histories: np.ndarray) -> np.ndarray:
        out = np.zeros((len(histories), VOCAB_SIZE))
        out[:, self.support] = 1 / len(self.support)
        return out


def stepwise_nll(scorer, events) -> np.ndarray:
    return -generation.stepwise_log_probs(None, np.asarray(events), scorer)


def test_cache_makes_a_repeated_phrase_likelier():
    phrase = [C4, E4, D4, G4, F4, NO_EVENT, E4, C4]
    tune = phrase + phrase
    plain = stepwise_nll(UniformToyScorer(), tune)
    cached = stepwise_nll(CachedScorer(UniformToyScorer(), CacheSettings(0.6, order=2)), tune)
    np.testing.assert_allclose(plain, np.log(6))
    # the first statement: no context of 2 events recurs, so the toy's own probabilities (1/6)
    np.testing.assert_allclose(cached[:len(phrase) - 1], np.log(6))
    # the restatement: from its third event on, each context of 2 recurs and predicts the event exactly
    restated = cached[len(phrase) + 1:]
    np.testing.assert_allclose(restated, -np.log(0.4 / 6 + 0.6))
    assert cached.sum() < plain.sum() - 5.0


def test_sampling_with_the_cache_repeats_more():
    def distinct_grams(scorer) -> float:
        melodies = generation.sample(None, 128, np.array([C4]), count=20, seed=0, scorer=scorer)
        return float(np.mean([interval_gram_share([e for e in row if e >= FIRST_NOTE_ON]) for row in melodies]))

    # measured: 0.976 distinct interval 4-grams from the toy alone, 0.823 with the cache
    assert distinct_grams(CachedScorer(UniformToyScorer(), CacheSettings(0.6, order=2))) < distinct_grams(UniformToyScorer()) - 0.1


# ------------------------------------------------------------------ beam search: each branch its own cache


def test_selected_branches_carry_independent_caches():
    scorer = CachedScorer(UniformToyScorer(), CacheSettings(0.5, order=1))
    _, state = scorer.start(np.array([[C4, D4, C4]]))
    state = state.select(np.array([0, 0]))  # two branches of one beam
    _, state = scorer.advance(state, np.array([E4, D4]))
    probabilities, state = scorer.advance(state, np.array([C4, C4]))
    for row, history in enumerate(state.histories):
        fresh = EventCache(CacheSettings(order=1)).extend(history).distribution()
        np.testing.assert_array_equal(state.caches[row].distribution(), fresh)
    # branch 0 saw C4 -> D4 and C4 -> E4; branch 1 C4 -> D4 twice
    assert probabilities[0, D4] == pytest.approx(0.5 / 6 + 0.25) and probabilities[0, E4] == pytest.approx(0.5 / 6 + 0.25)
    assert probabilities[1, D4] == pytest.approx(0.5 / 6 + 0.5) and probabilities[1, E4] == pytest.approx(0.5 / 6)


@pytest.mark.parametrize("overlap", [True, False])
def test_copies_share_frozen_counts_yet_match_fresh_caches(overlap):
    # a beam's lineage: every 4 events each branch is copied twice, and one copy of each pair survives
    import dataclasses

    settings = dataclasses.replace(positioned("bar-then-any"), overlap=overlap)
    rng = np.random.default_rng(0)
    events = [C4, D4, E4, F4, G4, NO_EVENT]
    branches = [(EventCache(settings).extend([THREE_FOUR]), [THREE_FOUR])]
    for _ in range(60):
        branches = [(cache.copy(), list(history)) for cache, history in branches for _ in range(2)]
        branches = [branches[i] for i in sorted(rng.choice(len(branches), min(len(branches), 4), replace=False))]
        for cache, history in branches:
            for event in rng.choice(events, 4):
                cache.push(event)
                history.append(int(event))
    for cache, history in branches:
        fresh = EventCache(settings).extend(history)
        assert cache.lookup()[1:] == fresh.lookup()[1:]
        np.testing.assert_array_equal(cache.distribution(), fresh.distribution())
        # each frozen level is over twice the next newer one; 240 events x 18 keys at most: at most 13 levels
        sizes = [len(level) for level in cache.levels]
        assert all(older > 2 * newer for older, newer in zip(sizes, sizes[1:])) and 2 <= len(sizes) <= 13


def test_beam_search_with_the_cache():
    plain = generation.beam_search(None, 64, 3, np.array([C4]), seed=1, scorer=UniformToyScorer(),
                                   steps_per_iteration=8)
    scorer = CachedScorer(UniformToyScorer(), CacheSettings(0.6, order=2))
    events, log_likelihood = generation.beam_search(None, 64, 3, np.array([C4]), seed=1, scorer=scorer,
                                                     steps_per_iteration=8)
    assert events.shape == plain[0].shape == (65,)  # the primer note, then 64 events
    # its score is the log-likelihood under the cached model, which the teacher-forced cache reproduces
    rows = cached_rows(np.tile(UniformToyScorer().probabilities(events[None])[0], (64, 1)), events,
                       CacheSettings(0.6, order=2))
    assert log_likelihood == pytest.approx(np.log(rows[np.arange(64), events[1:]]).sum())
    assert log_likelihood > plain[1]  # the cache found likelier (repeating) continuations


# ------------------------------------------------------------------ the option and the shipped choice


@pytest.mark.parametrize("value", ["1", "-0.5", "nan"])
def test_generate_rejects_a_bad_cache_weight(value, tmp_path, capsys):
    capsys.readouterr()
    assert main("music", ["generate", "--out", str(tmp_path / "x.mid"), "--cache-weight", value]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --cache-weight {float(value)}: must be at least 0 and below 1"]
    assert list(tmp_path.iterdir()) == []


def test_shipped_model_records_the_validation_choice():
    folder = shipped_model_dir("music")
    config = json.loads((folder / "config.json").read_text())
    selection = json.loads((folder / "metrics.json").read_text())["cache_selection"]
    chosen = CacheSettings.of_config(config)
    assert chosen.on and chosen.to_dict() == selection["chosen"]
    best = min(selection["grid"], key=lambda row: row["nll"])  # chosen on validation NLL, the grid's best
    assert {key: best[key] for key in chosen.to_dict()} == chosen.to_dict()
    longest = sorted((row["position"], row["overlap"]) for row in selection["grid"] if row["form"] == "longest")
    assert longest == sorted((position, overlap) for position in POSITIONS for overlap in (True, False))
    assert selection["validation_nll_with_cache"] < selection["validation_nll_without_cache"] - 0.05
    assert selection["test_nll_with_cache"] < selection["test_nll_without_cache"] - 0.05
    assert CacheSettings.of_config(config, 0.0).on is False and CacheSettings.of_config({}).on is False


def test_generate_uses_the_cache_and_weight_zero_turns_it_off(tmp_path, capsys):
    from apps.music.midi import read_midi_melody

    from apps.music.conditions import bar_steps

    runs = {}
    for name, extra in (("default", []), ("off", ["--cache-weight", "0"]), ("again", []), ("beam", ["--beam", "2"]),
                        ("beam-off", ["--beam", "2", "--cache-weight", "0"]), ("jig", ["--key", "D", "--meter", "6/8"])):
        out = tmp_path / f"{name}.mid"
        capsys.readouterr()
        meter = [] if "--meter" in extra else ["--meter", "4/4"]  # 64 events, as the test was measured
        assert main("music", ["generate", "--out", str(out), "--seed", "3", "--bars", "4", "--json", *meter, *extra]) == 0
        record = json.loads(capsys.readouterr().out)
        assert record["events"] == 4 * bar_steps(record["conditions"]["meter"])  # 4 bars of the melody's meter
        runs[name] = encode(read_midi_melody(out))
    assert np.array_equal(runs["default"], runs["again"])
    assert not np.array_equal(runs["default"], runs["off"]) and not np.array_equal(runs["beam"], runs["beam-off"])


def test_a_bad_recorded_cache_is_one_line(tmp_path, capsys):
    import shutil

    folder = tmp_path / "model"
    shutil.copytree(shipped_model_dir("music"), folder, ignore=shutil.ignore_patterns("*.keras", "*.onnx", "*.cc", "*.h"))
    config = json.loads((folder / "config.json").read_text())
    config["cache"]["weight"] = 1.5
    (folder / "config.json").write_text(json.dumps(config))
    capsys.readouterr()
    assert main("music", ["generate", "--model", str(folder), "--out", str(tmp_path / "x.mid")]) == 2
    assert capsys.readouterr().err == f'error: {folder}/config.json: bad "cache" settings (cache weight 1.5: must be at least 0 and below 1)\n'
    assert not (tmp_path / "x.mid").exists()
    assert main("music", ["generate", "--model", str(folder), "--out", str(tmp_path / "x.mid"), "--cache-weight", "0.5"]) == 0
