"""The melody corpus: music21's bundled folk tunes (or a user's MIDI folder), parsed once and cached.

Parsing costs about 0.065 s per tune (11.5k folk tunes: ~12 min on one core), so tunes are parsed
in worker processes, once; the encoded events go to a cache file keyed by the sources, the
encoding and the limit. Tunes that give no usable melody are skipped and counted by reason.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import multiprocessing
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from apps.music import encoding
# parse_source lives in extract, which imports no TensorFlow: spawned workers start fast.
from apps.music.extract import TuneSource, parse_source
from suite.app.paths import cache_dir
from suite.atomic import atomic_path
from suite.cli import progress
from suite.errors import UserError

FOLK_COLLECTIONS = ("essenFolksong", "oneills1850", "ryansMammoth")
MIDI_SUFFIXES = (".mid", ".midi")
CACHE_FORMAT = 2  # bump when the cache layout or the extraction rules change
SPLITS = ("train", "validation", "test")
SPLIT_SHARES = (0.8, 0.1, 0.1)  # of tunes, by a hash of the tune id
# Training-time transposition: up to a fourth down and a fifth up covers every key from any key.
TRANSPOSE_SEMITONES = tuple(range(-5, 7))
# music21 reads ABC without a version line as ABC 1.3, where accidentals do not carry through the
# bar; these transcriptions follow standard notation (and ABC 2.1), where they do.
ABC_VERSION_LINE = "%abc-2.1"
PARSE_CHUNK = 8  # tunes per task sent to a worker: small enough for a smooth progress bar


@dataclass
class MelodyDataset:
    """Encoded tunes with their ids; ``skipped`` counts rejected tunes by reason."""

    tune_ids: list[str]
    events: list[np.ndarray]
    skipped: dict[str, int] = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.tune_ids)

    def split(self, name: str) -> list[np.ndarray]:
        """The event sequences of one split: 'train', 'validation' or 'test'."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; expected one of {SPLITS}")
        return [events for tune_id, events in zip(self.tune_ids, self.events) if split_of(tune_id) == name]

    def num_events(self) -> int:
        return int(sum(len(events) for events in self.events))

    def summary(self) -> dict:
        """Counts for printing: tunes and events per split, skipped by reason."""
        per_split = {name: self.split(name) for name in SPLITS}
        return {
            "tunes": len(self),
            "events": self.num_events(),
            **{f"{name}_tunes": len(seqs) for name, seqs in per_split.items()},
            **{f"{name}_events": int(sum(map(len, seqs))) for name, seqs in per_split.items()},
            "skipped": dict(sorted(self.skipped.items())),
            "skipped_total": int(sum(self.skipped.values())),
        }


# ---------------------------------------------------------------- splits and augmentation


def stable_fraction(text: str, salt: str = "") -> float:
    """A number in [0, 1) fixed by ``text``: the same on every machine and Python run."""
    digest = hashlib.sha1(f"{salt}{text}".encode()).hexdigest()
    return int(digest[:12], 16) / 16**12


def split_of(tune_id: str) -> str:
    """The split a tune belongs to, by a hash of its id: all of a tune stays in one split."""
    fraction = stable_fraction(tune_id, salt="split:")
    threshold = 0.0
    for name, share in zip(SPLITS, SPLIT_SHARES):
        threshold += share
        if fraction < threshold:
            return name
    return SPLITS[-1]


def augment_by_transposition(sequences: Iterable[np.ndarray],
                             semitones: Sequence[int] = TRANSPOSE_SEMITONES) -> list[np.ndarray]:
    """Each sequence in every transposition of ``semitones`` that stays in range (training only)."""
    augmented = []
    for events in sequences:
        for shift in semitones:
            transposed = encoding.transpose_events(events, shift)
            if transposed is not None:
                augmented.append(transposed)
    return augmented


# ---------------------------------------------------------------- sources


def music21_corpus_dir() -> Path:
    import music21

    return Path(music21.__file__).parent / "corpus"


def split_abc_tunes(text: str) -> list[str]:
    """The tunes of an ABC file: one block per ``X:`` line (text before the first is a file header)."""
    header: list[str] = []
    tunes: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("X:"):
            tunes.append([line])
        elif tunes:
            tunes[-1].append(line)
        else:
            header.append(line)
    prefix = "\n".join([ABC_VERSION_LINE, *header]).strip()
    return [(prefix + "\n" if prefix else "") + "\n".join(lines) + "\n" for lines in tunes]


def folk_sources(collections: Sequence[str] = FOLK_COLLECTIONS) -> list[TuneSource]:
    """Every tune of music21's bundled folk collections, with ids like 'oneills1850/0001-0050.abc#3'."""
    return list(read_folk_sources(tuple(collections)))


@functools.lru_cache(maxsize=2)  # the installed corpus does not change while we run
def read_folk_sources(collections: tuple[str, ...]) -> tuple[TuneSource, ...]:
    root = music21_corpus_dir()
    sources = []
    for collection in collections:
        for path in sorted((root / collection).glob("*.abc")):
            text = path.read_text(encoding="latin-1")  # some Essen files are not valid UTF-8
            for index, tune in enumerate(split_abc_tunes(text), start=1):
                sources.append(TuneSource(f"{collection}/{path.name}#{index}", "abc", tune))
    return tuple(sources)


def midi_sources(folder: str | os.PathLike) -> list[TuneSource]:
    """Every .mid/.midi file under ``folder`` (recursively); UserError if there are none."""
    root = Path(folder)
    if not root.is_dir():
        raise UserError(f"{root}: --data is not a folder")
    paths = sorted(path for path in root.rglob("*") if path.suffix.lower() in MIDI_SUFFIXES and path.is_file())
    if not paths:
        raise UserError(f"{root}: no .mid or .midi files found")
    return [TuneSource(str(path.relative_to(root)), "midi", str(path)) for path in paths]


def limit_sources(sources: list[TuneSource], limit: int | None) -> list[TuneSource]:
    """A deterministic sample of ``limit`` tunes spread over all collections (hash order)."""
    if limit is None or limit >= len(sources):
        return sources
    chosen = sorted(sources, key=lambda source: stable_fraction(source.tune_id, salt="subset:"))[:limit]
    order = {source.tune_id: index for index, source in enumerate(sources)}
    return sorted(chosen, key=lambda source: order[source.tune_id])


# ---------------------------------------------------------------- parsing


def parse_sources(sources: list[TuneSource], workers: int = 2, show_progress: bool = True) -> MelodyDataset:
    """Parse every source (in ``workers`` processes when > 1), keeping the sources' order."""
    results: Iterator[tuple[str, np.ndarray | None, str | None]]
    if workers <= 1:
        results = map(parse_source, sources)
        return collect(progress(results, "parsing tunes", total=len(sources), enabled=show_progress))
    # spawn, not fork: the parent may already hold TensorFlow's threads, which fork does not copy safely
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=workers) as pool:
        results = pool.imap(parse_source, sources, chunksize=PARSE_CHUNK)
        return collect(progress(results, "parsing tunes", total=len(sources), enabled=show_progress))


def collect(results: Iterable[tuple[str, np.ndarray | None, str | None]]) -> MelodyDataset:
    dataset = MelodyDataset([], [])
    for tune_id, events, reason in results:
        if events is None:
            dataset.skipped[reason] = dataset.skipped.get(reason, 0) + 1
        else:
            dataset.tune_ids.append(tune_id)
            dataset.events.append(events)
    return dataset


# ---------------------------------------------------------------- cache


def cache_key(sources: Sequence[TuneSource], data_dir: str | os.PathLike | None) -> str:
    """A hash of everything the cached events depend on."""
    digest = hashlib.sha1()
    digest.update(f"format={CACHE_FORMAT};range={encoding.MIN_PITCH}-{encoding.MAX_PITCH};"
                  f"grid={encoding.STEPS_PER_QUARTER}".encode())
    for source in sources:
        digest.update(source.tune_id.encode())
        if source.kind == "midi":
            stat = Path(source.payload).stat()
            digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
        else:
            digest.update(hashlib.sha1(source.payload.encode()).digest())
    return digest.hexdigest()[:16]


def cache_path(sources: Sequence[TuneSource], data_dir: str | os.PathLike | None, limit: int | None) -> Path:
    name = "folk" if data_dir is None else f"midi-{Path(data_dir).resolve().name}"
    suffix = f"-limit{limit}" if limit is not None else ""
    return cache_dir("music") / f"{name}{suffix}-{cache_key(sources, data_dir)}.npz"


def save_dataset(dataset: MelodyDataset, path: Path) -> None:
    lengths = np.array([len(events) for events in dataset.events], dtype=np.int64)
    flat = np.concatenate(dataset.events) if dataset.events else np.zeros(0, encoding.EVENT_DTYPE)
    meta = {"skipped": dataset.skipped, "info": dataset.info}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, events=flat, lengths=lengths, tune_ids=np.array(dataset.tune_ids, dtype=str),
                        meta=np.array(json.dumps(meta)))
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def load_dataset(path: str | os.PathLike) -> MelodyDataset:
    with np.load(path, allow_pickle=False) as data:
        lengths = data["lengths"]
        events = np.split(data["events"], np.cumsum(lengths)[:-1]) if len(lengths) else []
        meta = json.loads(str(data["meta"]))
        return MelodyDataset([str(tune_id) for tune_id in data["tune_ids"]], list(events),
                             meta["skipped"], meta["info"])


def prepare(data_dir: str | os.PathLike | None = None, limit: int | None = None, workers: int = 2,
            show_progress: bool = True, rebuild: bool = False) -> tuple[MelodyDataset, Path, bool]:
    """The encoded dataset, its cache path, and whether it came from the cache.

    ``data_dir`` reads a folder of MIDI files instead of the folk corpus; ``limit`` takes a
    deterministic subset of that many tunes (before skipping).
    """
    if limit is not None and limit < 1:
        raise UserError(f"--limit {limit}: must be at least 1")
    if workers < 1:
        raise UserError(f"--workers {workers}: must be at least 1")
    sources = midi_sources(data_dir) if data_dir is not None else folk_sources()
    sources = limit_sources(sources, limit)
    path = cache_path(sources, data_dir, limit)
    if path.exists() and not rebuild:
        return load_dataset(path), path, True
    started = time.perf_counter()
    dataset = parse_sources(sources, workers=workers, show_progress=show_progress)
    dataset.info = {"sources": len(sources), "workers": workers, "parse_seconds": round(time.perf_counter() - started, 1),
                    "data": str(data_dir) if data_dir is not None else "music21 folk corpus: " + ", ".join(FOLK_COLLECTIONS)}
    save_dataset(dataset, path)
    return dataset, path, False
