"""A cache (copy) model of the melody so far, interpolated with the LSTM at generation time.

Folk tunes restate their phrases (the corpus's 8-bar openings repeat 15% of their bars exactly), and an LSTM
sampled at temperature 1 rarely lands on an exact restatement (1%). A cache language model (Kuhn & De Mori
1990; Grave et al. 2017's continuous cache) mixes the network's next-event distribution with one read off
the melody generated so far:

    p(next) = (1 - weight) * p_model + weight * p_cache

- ``context`` form: p_cache is the distribution of the events that followed earlier occurrences, in this
  melody, of its last ``order`` events (a dict from context to next-event counts: O(1) per step). Where the
  context has not occurred before there is no cache distribution and p = p_model. Unless ``holds``, a
  context of NO_EVENTs alone (a note held, or a rest, for ``order`` steps) has none either: a hold says
  nothing about the phrase, and counting it lets every further step of a hold make the next likelier, so
  sampled notes ran to the hold limit (lower validation NLL too: 0.7470 against 0.7547). Unless ``overlap``,
  an occurrence counts only once it lies wholly before the current context (its context and next event end
  before the context now matched begins): a passage repeating with a period shorter than a context could
  otherwise match itself one period back and, the longer the match the larger its weight, lock in for good.
- ``longest`` form: the same for several context lengths (``orders``), looked up longest first, as a PPM
  text compressor does: the longest context of the melody's end that occurred before gives p_cache, and
  the longer that match, the larger its weight (``weight`` x the order's share in ``order_weights``).
- ``bar`` form: p_cache puts all its mass on the event ``lag`` steps back (16: one 4/4 bar).
- ``position`` (longest form): whether a context counts only where it occurred at the same position in the
  bar (the step index modulo the bar length of the meter control token: 8 sixteenths for 2/4, 12 for 3/4 and
  6/8, 16 for 4/4; with meter "other" or no meter token, one position). Within a tune a pickup shifts every
  bar alike, so equal step indices modulo the bar are equal bar positions. ``any``: every earlier occurrence
  counts (the cache as first built); ``bar``: only those at the same bar position; ``bar-then-any``: per
  context length, longest first, the same-position context, else the context anywhere (each with its own
  weight: ``position_weights`` and ``order_weights``); ``bar-first``: every same-position length before any
  position-free one. On the validation tunes, a match found only at other bar positions predicted the next
  event about as well as the LSTM alone (p_cache of the true event 0.50-0.63 against the model's 0.50-0.63),
  one at the same position far better (0.79-0.88 against 0.53-0.63; ``benchmarks/music_cache_adherence.py``).

Control tokens (>= VOCAB_SIZE) are not events and never enter the cache (a meter token sets the bar length).
The weight and form of the shipped model were chosen by teacher-forced NLL of the validation tunes
(``benchmarks/music_cache.py``) and are recorded in its config.json ``cache``.
"""
from __future__ import annotations

from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple, Sequence

import numpy as np

from apps.music.conditions import BAR_STEPS, METER_BASE, METERS
from apps.music.encoding import NO_EVENT, STEPS_PER_BAR, VOCAB_SIZE

CACHE_FORMS = ("context", "longest", "bar")
POSITIONS = ("any", "bar", "bar-then-any", "bar-first")
# Bar positions come from the meter token's bar (conditions.BAR_STEPS); a meter not listed ("other") or none:
# every step one position.


class Match(NamedTuple):
    """What the cache says of the next event: p_cache, its interpolation weight, the context's order (bar: lag),
    and whether the context was matched at the same bar position."""

    probabilities: np.ndarray
    weight: float
    order: int
    positioned: bool = False

MAX_ORDER = 64


@dataclass(frozen=True)
class CacheSettings:
    """The interpolation weight (0: off; for ``longest``, that of the order with the largest share), the cache's
    form, its context length (``context``), its orders and each one's share of ``weight`` (``longest``),
    whether contexts of NO_EVENTs alone count, and its lag (``bar``); for ``longest``, whether contexts are
    matched at the same bar position (``position``) and each order's share for such matches (``position_weights``)."""

    weight: float = 0.0
    form: str = "context"
    order: int = 6
    lag: int = STEPS_PER_BAR
    holds: bool = False
    overlap: bool = True
    orders: tuple = ()
    order_weights: tuple = ()
    position: str = "any"
    position_weights: tuple = ()

    def __post_init__(self) -> None:
        if not (isinstance(self.weight, (int, float)) and 0.0 <= self.weight < 1.0):
            raise ValueError(f"cache weight {self.weight!r}: must be at least 0 and below 1")
        if self.form not in CACHE_FORMS:
            raise ValueError(f"cache form {self.form!r}: expected one of {', '.join(CACHE_FORMS)}")
        for order in (self.order, *self.orders):
            if not (isinstance(order, int) and 1 <= order <= MAX_ORDER):
                raise ValueError(f"cache order {order!r}: must be an integer from 1 to {MAX_ORDER}")
        if not (isinstance(self.lag, int) and self.lag >= 1):
            raise ValueError(f"cache lag {self.lag!r}: must be a positive integer")
        for name in ("holds", "overlap"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"cache {name} {getattr(self, name)!r}: must be true or false")
        if self.form == "longest" and (not self.orders or list(self.orders) != sorted(set(self.orders))
                                       or len(self.order_weights) != len(self.orders)
                                       or not all(0.0 <= w <= 1.0 for w in self.order_weights)):
            raise ValueError(f"cache orders {list(self.orders)!r} / order weights {list(self.order_weights)!r}: the "
                             "longest form needs increasing orders and a share in [0, 1] for each")
        if self.position not in POSITIONS:
            raise ValueError(f"cache position {self.position!r}: expected one of {', '.join(POSITIONS)}")
        if self.position != "any" and (self.form != "longest" or len(self.position_weights) != len(self.orders)
                                       or not all(0.0 <= w <= 1.0 for w in self.position_weights)):
            raise ValueError(f"cache position {self.position!r} / position weights {list(self.position_weights)!r}: "
                             "needs the longest form and a share in [0, 1] for each order")

    @classmethod
    def of_config(cls, config: dict, weight: float | None = None) -> "CacheSettings":
        """The settings config.json records (none: off), with ``weight`` instead of its weight if given."""
        recorded = dict(config.get("cache") or {})
        if weight is not None:
            recorded["weight"] = weight
        for key in ("orders", "order_weights", "position_weights"):
            recorded[key] = tuple(recorded.get(key, ()))
        return cls(**recorded)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), **{key: list(getattr(self, key)) for key in ("orders", "order_weights", "position_weights")}}

    @property
    def on(self) -> bool:
        return self.weight > 0.0

    def context_weights(self) -> list[tuple[int, bool, float]]:
        """(order, at the same bar position?, interpolation weight) of each context the cache looks up, in order."""
        if self.form == "context":
            return [(self.order, False, self.weight)]
        anywhere = [(order, False, self.weight * share) for order, share in zip(self.orders, self.order_weights)][::-1]
        same = [(order, True, self.weight * share) for order, share in zip(self.orders, self.position_weights)][::-1]
        if self.position == "bar-then-any":
            return [pair for both in zip(same, anywhere) for pair in both]
        return {"any": anywhere, "bar": same, "bar-first": same + anywhere}[self.position]


class EventCache:
    """One melody's cache: what followed each context of ``order`` events (``context``; ``longest``: of each
    of ``orders``, looked up longest first; by bar position too, see ``position``), or the last ``lag`` events
    (``bar``). ``push`` and ``lookup`` hash at most two contexts per order, none longer than the longest order
    (independent of the melody's length; after copies, each looks through O(log length) frozen levels);
    ``copy`` is O(1) plus amortised merges."""

    def __init__(self, settings: CacheSettings) -> None:
        self.settings = settings
        self.contexts = settings.context_weights() if settings.form != "bar" else []
        span = max(order for order, _, _ in self.contexts) if self.contexts else settings.lag
        self.recent: deque[int] = deque(maxlen=span)
        # key -> next-event counts. A key is a context (a tuple of events) or, at a bar position, (position,
        # context): keys of different kinds and orders never collide. ``counts`` is this cache's own; ``levels``
        # are frozen dicts it may share with copies (beam branches), oldest first, a newer one's key overriding
        self.counts: dict[tuple, dict[int, int]] = {}
        self.levels: tuple[dict, ...] = ()
        self.step = 0  # events pushed: the step index of the next event
        self.bar_steps = 1  # from the meter control token; 1: every step the same position
        # unless ``overlap``: per order, (step it counts from, key, event) of occurrences not yet wholly in the past
        self.pending: dict[int, deque] = {order: deque() for order, _, _ in self.contexts}

    def copy(self) -> "EventCache":
        """An independent copy that shares the counts so far: both freeze them and write new ones to their own
        dicts, so a copy costs no more than the merges that keep the frozen levels few (sizes at least halving
        from the oldest: O(log length) levels, each key merged O(log length) times)."""
        if self.counts:
            self.levels, self.counts = merged_levels(self.levels + (self.counts,)), {}
        other = EventCache.__new__(EventCache)
        other.settings, other.contexts, other.recent = self.settings, self.contexts, self.recent.copy()
        other.counts, other.levels = {}, self.levels
        other.step, other.bar_steps = self.step, self.bar_steps
        other.pending = {order: deque(waiting) for order, waiting in self.pending.items()}
        return other

    def _follow(self, key: tuple) -> dict[int, int] | None:
        """The next-event counts of ``key`` (never changed in place: shared with copies)."""
        found = self.counts.get(key)
        if found is None:
            for level in reversed(self.levels):
                found = level.get(key)
                if found is not None:
                    break
        return found

    def _counted(self, context: tuple) -> bool:
        """Whether the cache counts this context (unless ``holds``: not NO_EVENTs alone)."""
        return self.settings.holds or any(event != NO_EVENT for event in context)

    def _key(self, recent: tuple, order: int, positioned: bool) -> tuple | None:
        """The key of the context of ``order`` events before step ``self.step`` (None: too few, or a hold)."""
        if len(recent) < order:
            return None
        context = recent[len(recent) - order:]
        if not self._counted(context):
            return None
        return (self.step % self.bar_steps, context) if positioned else context

    def push(self, event: int) -> None:
        """Add the event that follows the melody so far (control tokens are skipped; a meter token sets the bar)."""
        event = int(event)
        if event >= VOCAB_SIZE:
            if METER_BASE <= event < METER_BASE + len(METERS):
                self.bar_steps = BAR_STEPS.get(METERS[event - METER_BASE], 1)
            return
        recent = tuple(self.recent)
        for order, positioned, _ in self.contexts:
            key = self._key(recent, order, positioned)
            if key is None:
                continue
            if self.settings.overlap:
                self._count(key, event)
            else:  # the occurrence spans steps step - order .. step: it counts once a context starts after it
                self.pending[order].append((self.step + order + 1, key, event))
        self.recent.append(event)
        self.step += 1
        for waiting in self.pending.values():
            while waiting and waiting[0][0] <= self.step:
                _, key, event = waiting.popleft()
                self._count(key, event)

    def _count(self, key: tuple, event: int) -> None:
        follow = dict(self._follow(key) or {})  # a new dict: copies may share the old one
        follow[event] = follow.get(event, 0) + 1
        self.counts[key] = follow

    def extend(self, events: Sequence[int]) -> "EventCache":
        for event in events:
            self.push(event)
        return self

    def lookup(self) -> Match | None:
        """p_cache over the VOCAB_SIZE events for the next event and its weight, or None where the cache has nothing."""
        if self.settings.form == "bar":
            if len(self.recent) < self.recent.maxlen:
                return None
            p = np.zeros(VOCAB_SIZE)
            p[self.recent[0]] = 1.0
            return Match(p, self.settings.weight, self.settings.lag)
        recent = tuple(self.recent)
        for order, positioned, weight in self.contexts:
            key = self._key(recent, order, positioned)
            follow = self._follow(key) if key is not None else None
            if follow:
                p = np.zeros(VOCAB_SIZE)
                p[list(follow)] = list(follow.values())
                return Match(p / p.sum(), weight, order, positioned)
        return None

    def distribution(self) -> np.ndarray | None:
        """p_cache over the VOCAB_SIZE events for the next event, or None where the cache has nothing."""
        found = self.lookup()
        return None if found is None else found.probabilities


def merged_levels(levels: tuple[dict, ...]) -> tuple[dict, ...]:
    """Frozen levels, oldest first, with the newest merged into older ones (into new dicts: the old ones stay
    as copies share them) until each level is more than twice the size of the next newer one."""
    while len(levels) >= 2 and len(levels[-2]) <= 2 * len(levels[-1]):
        levels = levels[:-2] + ({**levels[-2], **levels[-1]},)
    return levels


def mixed(probabilities: np.ndarray, caches: Sequence[EventCache]) -> np.ndarray:
    """Rows (1 - w) p_model + w p_cache, w the weight of the cache's match (p_model where it has none)."""
    out = np.array(probabilities, np.float64)
    for row, cache in enumerate(caches):
        found = cache.lookup()
        if found is not None:
            out[row] = (1.0 - found.weight) * out[row] + found.weight * found.probabilities
    return out


def cache_probabilities(events: Sequence[int], settings: CacheSettings, prefix: Sequence[int] = (),
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Teacher-forced: (T - 1, VOCAB_SIZE) p_cache for events[1:], each from the control tokens ``prefix`` and
    the events before it, each row's interpolation weight and its match's order, negative where matched at the
    same bar position (rows where the cache has nothing: zero, weight 0, order 0)."""
    cache = EventCache(settings).extend(prefix)
    rows = np.zeros((max(len(events) - 1, 0), VOCAB_SIZE))
    weights, orders = np.zeros(len(rows)), np.zeros(len(rows), int)
    for t, event in enumerate(events[:-1]):
        cache.push(event)
        found = cache.lookup()
        if found is not None:
            rows[t], weights[t] = found.probabilities, found.weight
            orders[t] = -found.order if found.positioned else found.order
    return rows, weights, orders


def cached_rows(model_rows: np.ndarray, events: Sequence[int], settings: CacheSettings,
                prefix: Sequence[int] = ()) -> np.ndarray:
    """The model's rows for events[1:] (teacher-forced) mixed with the tune's own cache (after ``prefix``)."""
    if not settings.on:
        return model_rows
    p_cache, weights, _ = cache_probabilities(events, settings, prefix)
    return (1.0 - weights[:, None]) * np.asarray(model_rows, np.float64) + weights[:, None] * p_cache


class CachedScorer:
    """A scorer (``apps.music.generation``) whose distributions are mixed with each row's own cache. The caches
    ride in the ``ScorerState`` (``caches``): ``select`` copies them, so each beam branch keeps its own."""

    def __init__(self, scorer: Any, settings: CacheSettings) -> None:
        self.scorer, self.settings = scorer, settings

    def start(self, histories: np.ndarray) -> tuple[np.ndarray, Any]:
        probabilities, state = self.scorer.start(histories)
        state.caches = [EventCache(self.settings).extend(row) for row in np.asarray(histories)]
        return mixed(probabilities, state.caches), state

    def advance(self, state: Any, events: np.ndarray) -> tuple[np.ndarray, Any]:
        probabilities, extended = self.scorer.advance(state, events)
        for cache, event in zip(state.caches, events):
            cache.push(event)
        extended.caches = state.caches
        return mixed(probabilities, extended.caches), extended
