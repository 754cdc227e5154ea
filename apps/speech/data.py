"""The speech app's data: synthesize a Speech Commands-layout folder with several synthesis engines
(``prepare-data``), cache it for ``train``, and turn a folder's splits into (log-mel, label) arrays.

Engines and families (apps/speech/engines.py): formant (espeak-ng, pip), diphone (flite kal/kal16, festival
kal/ked) and statistical parametric (flite awb/rms/slt, festival HTS slt); flite and festival are Debian
packages. Each clip draws a family uniformly among those with voices in its split, then a voice of it.
Every clip is then perturbed (data version 3): speed 0.88-1.14 (vocal-tract length, pitch and tempo
together), the engine's own tempo and pitch controls, a simulated room (apps/speech/perturb.py) for
ROOM_PROBABILITY of the clips, background noise down to 0 dB SNR, and a gain. PHRASE_PROBABILITY of the
training clips are said after a carrier word ("bed yes", "please stop"), the clip ending with the word, so
the model learns to find a keyword at the end of a phrase (``stream`` on "front left").

Layout written (as Google ships Speech Commands v2):
    DIR/<word>/<voice>_nohash_<n>.wav   1 s, 16 kHz, 16-bit mono; 10 keywords + 25 other words
    DIR/_background_noise_/<kind>_noise.wav
    DIR/validation_list.txt, DIR/testing_list.txt   "<word>/<file>.wav" lines
    DIR/make_data.json                               how it was made (seed, voices per split, counts)

Without ``--data``, ``train`` synthesizes a folder into the cache (``suite.app.cache_dir("speech")``),
named by the data version, clips per word and seed.

The split is made by voice: voice variants are grouped into families (klatt, klatt2, ... are one
family) and each family belongs to one split, so validation and test voices are never heard in
training. The accent (en-us, en-gb-scotland, ...) is drawn freely for each clip.
A share of the TRAINING clips is spoken breathy / whispered: the clip's own variant with low voicing and
breath noise (a generated variant in a private espeak data folder), so the model hears unvoiced speech
from many training voices; validation and test clips never get it and are the same as in data version 1.
Same seed, same files: each word is rendered in a fresh worker process (espeak-ng's output
depends on what the process spoke before), with random draws seeded by (seed, word, clip).
"""
from __future__ import annotations

import collections
import json
import multiprocessing
import os
import re
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from apps.speech import dataset, engines, frontend, noise, perturb, synth
from apps.speech.audio import write_wav
from apps.speech.labels import (
    BACKGROUND_FOLDER, CLIP_SAMPLES, KEYWORDS, LABELS, SAMPLE_RATE, TESTING_LIST, UNKNOWN_WORDS, VALIDATION_LIST,
)
from suite.app import cache_dir
from suite.atomic import atomic_path
from suite.cli import progress
from suite.errors import UserError

WORDS: tuple[str, ...] = KEYWORDS + UNKNOWN_WORDS
MANIFEST = "make_data.json"
# Bumped whenever the same seed makes different files; train's cache folder is named by it, so a folder
# made by an older make-data is never reused. 2: breathy training clips. 3: flite and festival voices, speed
# perturbation, rooms, 0 dB noise, carrier phrases.
DATA_VERSION = 3
SPLIT_FRACTIONS = {"validation": 0.1, "testing": 0.1}  # of voice families and of each word's clips
# Split names of a Speech Commands folder, by the role they play here.
SPLIT_OF_ROLE = {"train": "training", "calibration": "validation", "validation": "validation",
                 "heldout": "testing", "testing": "testing"}
WORKERS = 4  # espeak worker processes for a cached folder (at most; fewer on smaller machines)

# Prosody ranges (espeak-ng units), drawn uniformly per clip.
RATE_WPM = (120, 230)
PITCH = (15, 85)
PITCH_RANGE = (10, 90)
VOLUME = (70, 130)

# Augmentation.
NOISE_PROBABILITY = 0.8  # share of clips that get background noise
SNR_DB = (0.0, 30.0)  # speech-to-noise ratio of the noisy clips, over the spoken part
PEAK = (0.05, 0.9)  # final peak level (gain), about -26 to -1 dBFS
TRIM_THRESHOLD = 0.02  # espeak's leading/trailing silence: below 2% of the peak
TRIM_MARGIN = SAMPLE_RATE // 100  # keep 10 ms around the word

# Breathy / whispered training clips (espeak-ng variant keywords, drawn per clip from a separate random
# stream, so every other draw, and thus every held-out clip, is unchanged). The ranges cover breathy to
# fully whispered speech in general; they are not the test voice's values. Variants that use espeak's
# Klatt synthesizer (klatt*, robosoft*, edward, ...) ignore breath lines, so their breathy clips sound as before.
BREATHY_SPLITS = ("training",)  # held-out voices stay as espeak ships them
BREATHY_PROBABILITY = 0.2  # share of training clips
BREATHY_VOICING = (10, 40)  # % of the voiced source kept (espeak default 100)
# breath noise strength and its bandwidth (Hz) at formants 1..6: strong low formants, weaker high ones
BREATHY_BREATH = ((20, 100), (20, 100), (10, 80), (10, 60), (0, 40), (0, 30))
BREATHY_BREATHW = ((100, 250), (100, 250), (150, 300), (150, 300), (200, 500), (200, 500))

# Speaker multiplication and rooms (data version 3), drawn per clip from their own random stream.
SPEED = (0.88, 1.14)  # resampling factor: vocal-tract length, pitch and tempo together
STRETCH = (0.8, 1.3)  # flite / festival duration stretch (espeak: its rate, RATE_WPM)
ROOM_PROBABILITY = 0.5
RT60_S = (0.15, 0.9)
DRR_DB = (-3.0, 15.0)
# Held-out voices of flite and festival: whole voices, as espeak's families (the rest train).
OTHER_VOICE_SPLITS = {("flite", "awb"): "validation", ("flite", "rms"): "testing",
                      ("festival", "ked_diphone"): "testing", ("kokoro", "jf_nezumi"): "validation",
                      ("kokoro", "jf_tebukuro"): "testing"}
# Carrier phrases: a training clip says "<carrier> <word>" and ends with the word; none of the carriers is a
# keyword, and "front" and "turn" (the stream test's phrases) are left out on purpose.
PHRASE_PROBABILITY = 0.2
PHRASE_SPLITS = ("training",)
CARRIERS: tuple[str, ...] = ("please", "now", "okay", "the", "lights", "music", "volume", "move", "look", "say",
                             "bed", "cat", "house", "happy", "one", "seven", "follow", "wow")
END_MARGIN_S = (0.0, 0.45)  # a phrase clip ends this long after its word: up to the second stream window

BACKGROUND_SECONDS = 30
BACKGROUND_RMS = 0.1  # about -20 dBFS, the level _silence_ examples are cut from


@dataclass(frozen=True)
class ClipSpec:
    """Everything random about one clip, drawn in the parent so workers only render."""

    word: str
    index: int
    split: str
    variant: str
    accent: str
    prosody: synth.Prosody
    noise_kind: str | None
    snr_db: float
    peak: float
    seed: tuple[int, ...]  # for the time shift and the noise samples
    breathiness: synth.Breathiness | None = None  # spoken with a breathy copy of ``variant``
    engine: str = "espeak"
    family: str = "formant"
    stretch: float = 1.0  # flite / festival duration stretch
    pitch_hz: float | None = None  # flite / festival target mean pitch
    speed: float = 1.0  # resampling factor (apps/speech/perturb.py)
    room: perturb.Room | None = None
    carrier: str | None = None  # said before the word ("<carrier> <word>")
    end_margin: float = 0.0  # seconds after the phrase's end (phrase clips)

    @property
    def speaker(self) -> str:
        """The voice, breathy or not, perturbed or not: it decides the split (other engines prefixed)."""
        return slug(self.variant) if self.engine == "espeak" else f"{self.engine}-{slug(self.variant)}"

    @property
    def text(self) -> str:
        return f"{self.carrier} {self.word}" if self.carrier else self.word

    @property
    def espeak_variant(self) -> str:
        """The variant espeak loads: ``variant`` itself, or its generated breathy copy (one per clip)."""
        return f"breathy-{self.word}-{self.index}" if self.breathiness else self.variant

    @property
    def relative_path(self) -> str:
        return f"{self.word}/{self.speaker}_nohash_{self.index}.wav"


def slug(name: str) -> str:
    """A voice variant name as a file-name-safe speaker id ("Mr serious" -> "mr-serious")."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def voice_family(variant: str) -> str:
    """Variants that differ only by a trailing number are one family (klatt2 -> klatt); m1, f3 stay."""
    stem = re.sub(r"\d+$", "", variant.lower())
    return variant.lower() if len(stem) <= 1 else stem


def engine_voices(engine_names: tuple[str, ...], seed: int) -> dict[str, dict[str, list[tuple[str, str]]]]:
    """{split: {family: [(engine, voice), ...]}}: espeak's families split by ``split_voices``, the other engines'
    voices by OTHER_VOICE_SPLITS."""
    splits: dict[str, dict[str, list[tuple[str, str]]]] = {split: {} for split in ("training", "validation", "testing")}
    if "espeak" in engine_names:
        for split, variants in split_voices(synth.voice_variants(), seed).items():
            splits[split]["formant"] = [("espeak", variant) for variant in variants]
    for engine in engine_names:
        for voice, family in engines.ENGINES[engine].voices.items():
            split = OTHER_VOICE_SPLITS.get((engine, voice), "training")
            splits[split].setdefault(family, []).append((engine, voice))
    return {split: {family: voices[family] for family in engines.FAMILIES if family in voices}
            for split, voices in splits.items()}


def split_voices(variants: list[str], seed: int) -> dict[str, list[str]]:
    """Assign whole voice families to training / validation / testing."""
    families = sorted({voice_family(variant) for variant in variants})
    np.random.default_rng([seed, 1]).shuffle(families)
    held_out = {split: max(1, round(fraction * len(families))) for split, fraction in SPLIT_FRACTIONS.items()}
    owner: dict[str, str] = {}
    start = 0
    for split, count in held_out.items():
        owner.update({family: split for family in families[start:start + count]})
        start += count
    splits: dict[str, list[str]] = {"training": [], "validation": [], "testing": []}
    for variant in variants:
        splits[owner.get(voice_family(variant), "training")].append(variant)
    return splits


def clip_splits(per_word: int) -> list[str]:
    """The split of each of a word's clips: exact shares, so every split has every word."""
    held_out = {split: (max(1, round(fraction * per_word)) if per_word >= 3 else 0)
                for split, fraction in SPLIT_FRACTIONS.items()}
    training = per_word - sum(held_out.values())
    return ["training"] * training + [split for split, count in held_out.items() for _ in range(count)]


def draw_breathiness(word_index: int, index: int, split: str, seed: int) -> synth.Breathiness | None:
    """A breathy quality for BREATHY_PROBABILITY of the clips of BREATHY_SPLITS, else None."""
    if split not in BREATHY_SPLITS:
        return None
    rng = np.random.default_rng([seed, 5, word_index, index])  # own stream: the other draws are unchanged
    if rng.random() >= BREATHY_PROBABILITY:
        return None
    return synth.Breathiness(
        voicing=int(rng.integers(*BREATHY_VOICING, endpoint=True)),
        breath=tuple(int(rng.integers(*bounds, endpoint=True)) for bounds in BREATHY_BREATH),
        breathw=tuple(int(rng.integers(*bounds, endpoint=True)) for bounds in BREATHY_BREATHW),
    )


def draw_voice(word_index: int, index: int, split: str, families: dict[str, list[tuple[str, str]]],
               seed: int) -> dict:
    """The clip's family, engine and voice, and its speaker and room perturbation (own random stream)."""
    rng = np.random.default_rng([seed, 6, word_index, index])
    family = str(rng.choice(list(families)))
    engine, voice = families[family][int(rng.integers(len(families[family])))]
    low, high = engines.ENGINES[engine].pitch_hz
    room = perturb.Room(float(rng.uniform(*RT60_S)), float(rng.uniform(*DRR_DB)), float(rng.uniform(*perturb.PREDELAY_S)))
    phrase = split in PHRASE_SPLITS and rng.random() < PHRASE_PROBABILITY
    return {"family": family, "engine": engine, "variant": voice, "speed": float(rng.uniform(*SPEED)),
            "stretch": float(rng.uniform(*STRETCH)), "pitch_hz": float(rng.uniform(low, high)) if high else None,
            "room": room if rng.random() < ROOM_PROBABILITY else None,
            "carrier": str(rng.choice(CARRIERS)) if phrase else None, "end_margin": float(rng.uniform(*END_MARGIN_S))}


def draw_clip(word_index: int, index: int, split: str, families: dict[str, list[tuple[str, str]]],
              seed: int) -> ClipSpec:
    rng = np.random.default_rng([seed, 2, word_index, index])
    voice = draw_voice(word_index, index, split, families, seed)
    prosody = synth.Prosody(
        rate=int(rng.integers(*RATE_WPM, endpoint=True)),
        pitch=int(rng.integers(*PITCH, endpoint=True)),
        pitch_range=int(rng.integers(*PITCH_RANGE, endpoint=True)),
        volume=int(rng.integers(*VOLUME, endpoint=True)),
    )
    return ClipSpec(
        word=WORDS[word_index], index=index, split=split,
        accent=str(rng.choice(synth.ENGLISH_ACCENTS)), prosody=prosody,
        noise_kind=str(rng.choice(list(noise.NOISES))) if rng.random() < NOISE_PROBABILITY else None,
        snr_db=float(rng.uniform(*SNR_DB)), peak=float(rng.uniform(*PEAK)), seed=(seed, 3, word_index, index),
        breathiness=draw_breathiness(word_index, index, split, seed) if voice["engine"] == "espeak" else None,
        **voice,
    )


def plan(per_word: int, seed: int, engine_names: tuple[str, ...] = ("espeak",),
         ) -> tuple[dict[str, dict[str, list[tuple[str, str]]]], list[list[ClipSpec]]]:
    """The voices of each split (by family) and, per word, the specs of its clips."""
    voices = engine_voices(tuple(engine_names), seed)
    splits = [split if voices[split] else "training" for split in clip_splits(per_word)]
    words = [[draw_clip(word_index, index, split, voices[split], seed) for index, split in enumerate(splits)]
             for word_index in range(len(WORDS))]
    return voices, words


def trim_silence(audio: np.ndarray) -> np.ndarray:
    """Cut espeak's leading and trailing silence, keeping a short margin."""
    loud = np.flatnonzero(np.abs(audio) > TRIM_THRESHOLD * np.max(np.abs(audio), initial=1e-9))
    if loud.size == 0:
        return audio
    return audio[max(0, loud[0] - TRIM_MARGIN): loud[-1] + TRIM_MARGIN]


def speak(spec: ClipSpec) -> np.ndarray:
    """The clip's text from this process's espeak-ng, through its breathy variant when it has one."""
    if spec.breathiness is None:
        return synth.speaker().speak(spec.text, f"{spec.accent}+{spec.variant}", spec.prosody)
    text = synth.breathy_variant_text(spec.variant, spec.breathiness)
    return synth.speaker().speak_generated(spec.text, spec.accent, spec.espeak_variant, text, spec.prosody)


def speak_other_engines(specs: list[ClipSpec]) -> dict[int, np.ndarray]:
    """{clip index: audio} of the clips that flite or festival speak, one batch per engine."""
    spoken: dict[int, np.ndarray] = {}
    for name, engine in engines.ENGINES.items():
        batch = [spec for spec in specs if spec.engine == name and engine.render is not None]
        utterances = [engines.Utterance(spec.text, spec.variant, spec.stretch, spec.pitch_hz) for spec in batch]
        spoken.update({spec.index: audio for spec, audio in zip(batch, engine.render(utterances) if batch else [])})
    return spoken


def place(speech: np.ndarray, spec: ClipSpec, rng: np.random.Generator) -> np.ndarray:
    """The 1 s clip: a word at a random time shift; a phrase ending ``end_margin`` before the clip's end, its
    start cut off when it is longer."""
    clip = np.zeros(CLIP_SAMPLES, np.float32)
    if spec.carrier:
        end = CLIP_SAMPLES - int(spec.end_margin * SAMPLE_RATE)
        speech = speech[-end:]
        clip[end - speech.size:end] = speech
        return clip
    speech = speech[:CLIP_SAMPLES]
    start = int(rng.integers(0, CLIP_SAMPLES - speech.size, endpoint=True))  # time shift
    clip[start:start + speech.size] = speech
    return clip


def perturbed(raw: np.ndarray, spec: ClipSpec, rng: np.random.Generator) -> np.ndarray:
    """Trimmed, sped up or slowed down, in the clip's room (reverberation tail kept up to 1 s), peak 1."""
    speech = perturb.speed(trim_silence(raw), spec.speed)
    if spec.room is not None:
        reverberant = perturb.reverberate(speech, spec.room, rng)
        speech = reverberant[:min(len(reverberant), max(len(speech), CLIP_SAMPLES))]
    return speech / np.max(np.abs(speech))


def render_clip(spec: ClipSpec, raw: np.ndarray | None = None) -> np.ndarray:
    """Speak (or take ``raw``, another engine's audio), perturb, place into 1 s, add noise at the drawn SNR,
    and set the drawn peak level."""
    rng = np.random.default_rng(spec.seed)
    raw = speak(spec) if raw is None else raw
    if raw.size == 0 or not np.any(raw):
        raise RuntimeError(f"{spec.engine} produced no audio for {spec.text!r} with {spec.variant}")
    speech = perturbed(raw, spec, rng)
    clip = place(speech, spec, rng)
    speech = speech[:CLIP_SAMPLES]
    if spec.noise_kind is not None:
        speech_rms = float(np.sqrt(np.mean(speech**2)))
        clip += noise.make_noise(spec.noise_kind, CLIP_SAMPLES, rng) * speech_rms / 10 ** (spec.snr_db / 20.0)
    return clip * (spec.peak / np.max(np.abs(clip)))


def write_clips(specs: list[ClipSpec], folder: str, spoken: dict[int, np.ndarray]) -> None:
    for spec in specs:
        target = Path(folder) / spec.relative_path
        target.parent.mkdir(parents=True, exist_ok=True)
        write_wav(target, render_clip(spec, spoken.get(spec.index)))


def render_word(job: tuple[list[ClipSpec], str, str | None]) -> int:
    """Worker: write one word's clips into the temp folder; returns how many were written.

    libespeak-ng segfaults on a few voice/prosody combinations (seen: variant "rob", pitch 15,
    range 90), which would kill a pool worker and hang the pool. So the clips are spoken in a forked
    child; when it dies, the clip it died on is spoken again with default prosody, and the rest
    continue in a fresh child. The crash is deterministic, so the files still depend only on the seed.
    """
    specs, folder, espeak_folder = list(job[0]), job[1], job[2]
    spoken = speak_other_engines(specs)  # subprocesses: before any fork, and never in a crashing child
    start, retried = 0, set()
    while start < len(specs):
        pid = os.fork()
        if pid == 0:  # child: speak, then leave without running the parent's cleanup
            code = 0
            try:
                synth.speaker(espeak_folder)  # before any speech: the data folder with the breathy variants
                write_clips(specs[start:], folder, spoken)
            except BaseException:  # noqa: BLE001 (reported through the exit code)
                code = 1
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        if status == 0:
            break
        failed = next(i for i in range(start, len(specs)) if not (Path(folder) / specs[i].relative_path).exists())
        if failed in retried:
            raise RuntimeError(f"espeak-ng crashed twice on {specs[failed]}")
        retried.add(failed)
        specs[failed] = replace(specs[failed], prosody=synth.Prosody())
        start = failed
    return len(specs)


def write_background(folder: Path, seed: int) -> None:
    """A few long noise recordings, the source of ``_silence_`` examples (as in Speech Commands)."""
    (folder / BACKGROUND_FOLDER).mkdir()
    for offset, kind in enumerate(noise.NOISES):
        rng = np.random.default_rng([seed, 4, offset])
        signal = noise.make_noise(kind, BACKGROUND_SECONDS * SAMPLE_RATE, rng) * BACKGROUND_RMS
        write_wav(folder / BACKGROUND_FOLDER / f"{kind}_noise.wav", np.clip(signal, -1.0, 1.0))


def write_lists(folder: Path, words: list[list[ClipSpec]]) -> dict[str, int]:
    clips = [spec for specs in words for spec in specs]
    for split, name in (("validation", VALIDATION_LIST), ("testing", TESTING_LIST)):
        lines = sorted(spec.relative_path for spec in clips if spec.split == split)
        (folder / name).write_text("".join(f"{line}\n" for line in lines))
    return {split: sum(spec.split == split for spec in clips) for split in ("training", "validation", "testing")}


def check_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise UserError(f"{out}: folder exists, is not empty and was not made by prepare-data; refusing to replace it")


def render_words(words: list[list[ClipSpec]], folder: str, espeak_folder: str, workers: int,
                 show_progress: bool) -> None:
    # A fresh process per word (maxtasksperchild=1) makes the audio independent of --workers.
    # fork: children start in milliseconds with the modules already imported; this process
    # never speaks itself, so every child starts from an untouched libespeak-ng.
    import scipy.signal  # noqa: F401 (rooms: imported once here, not in each forked word process)

    context = multiprocessing.get_context("fork")
    with context.Pool(workers, maxtasksperchild=1) as pool:
        jobs = [(specs, folder, espeak_folder) for specs in words]
        for _ in progress(pool.imap_unordered(render_word, jobs), "prepare-data (words)", len(jobs), show_progress):
            pass


def breathy_manifest(words: list[list[ClipSpec]]) -> dict:
    clips = [spec for specs in words for spec in specs]
    return {"splits": list(BREATHY_SPLITS), "probability": BREATHY_PROBABILITY, "voicing": BREATHY_VOICING,
            "breath": BREATHY_BREATH, "breathw": BREATHY_BREATHW,
            "clips": {split: sum(bool(spec.breathiness) for spec in clips if spec.split == split)
                      for split in ("training", "validation", "testing")}}


def voices_manifest(voices: dict[str, dict[str, list[tuple[str, str]]]]) -> dict:
    """{"splits": {split: {family: ["engine:voice"]}}, "families": {speaker id in file names: family}}."""
    specs = [ClipSpec("", 0, split, voice, "", synth.Prosody(), None, 0.0, 0.0, (), engine=engine, family=family)
             for split, families in voices.items() for family, members in families.items() for engine, voice in members]
    return {"splits": {split: {family: [f"{engine}:{voice}" for engine, voice in members]
                               for family, members in families.items()} for split, families in voices.items()},
            "families": {spec.speaker: spec.family for spec in specs}}


def perturbation_manifest(words: list[list[ClipSpec]]) -> dict:
    clips = [spec for specs in words for spec in specs]
    families = collections.Counter(spec.family for spec in clips)
    return {"speed": SPEED, "stretch": STRETCH, "pitch_hz": {name: engine.pitch_hz for name, engine in engines.ENGINES.items()
                                                              if engine.pitch_hz[1]},
            "room_probability": ROOM_PROBABILITY, "rt60_s": RT60_S, "drr_db": DRR_DB,
            "phrase_probability": PHRASE_PROBABILITY, "phrase_splits": list(PHRASE_SPLITS), "carriers": list(CARRIERS),
            "clips_by_family": {family: families[family] for family in engines.FAMILIES if families[family]},
            "phrase_clips": sum(bool(spec.carrier) for spec in clips), "room_clips": sum(bool(spec.room) for spec in clips)}


def make_data(out: str | Path, per_word: int = 40, seed: int = 0, workers: int = 1, show_progress: bool = True,
              engine_names: tuple[str, ...] = engines.DEFAULT_ENGINES, skip_missing: bool = False) -> dict:
    """Synthesize the dataset into ``out`` atomically with ``engine_names``; returns the manifest. A missing engine is
    an error (naming its package) unless ``skip_missing``, which says so in one line and goes on without it."""
    out = Path(out)
    if per_word < 1:
        raise UserError(f"--per-word: must be at least 1, got {per_word}")
    if workers < 1:
        raise UserError(f"--workers: must be at least 1, got {workers}")
    check_output(out)
    try:
        engine_names = engines.available_engines(tuple(engine_names), skip_missing)
    except ValueError as error:
        raise UserError(f"--engines: {error}") from None
    voices, words = plan(per_word, seed, engine_names)
    with atomic_path(out, is_dir=True) as folder, tempfile.TemporaryDirectory(prefix="rnn-suite-espeak-") as scratch:
        espeak_folder = str(synth.make_data_folder(Path(scratch) / "espeak-ng-data"))
        render_words(words, str(folder), espeak_folder, workers, show_progress)
        write_background(folder, seed)
        counts = write_lists(folder, words)
        manifest = {
            "data_version": DATA_VERSION, "seed": seed, "per_word": per_word, "sample_rate": SAMPLE_RATE, "clip_samples": CLIP_SAMPLES,
            "keywords": list(KEYWORDS), "unknown_words": list(UNKNOWN_WORDS), "clips": counts,
            "engines": list(engine_names), **voices_manifest(voices), "accents": list(synth.ENGLISH_ACCENTS),
            "prosody_ranges": {"rate_wpm": RATE_WPM, "pitch": PITCH, "pitch_range": PITCH_RANGE, "volume": VOLUME},
            "augmentation": {"noise_probability": NOISE_PROBABILITY, "snr_db": SNR_DB, "peak": PEAK,
                             "noises": list(noise.NOISES)},
            "breathy": breathy_manifest(words), "perturbation": perturbation_manifest(words),
        }
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def generated_folder(per_word: int, seed: int, workers: int | None = None, show_progress: bool = True,
                     engine_names: tuple[str, ...] = engines.DEFAULT_ENGINES) -> Path:
    """A generated folder in the cache, synthesized on first use (deterministic for a seed and engines)."""
    # named by the data version and the engines too: a folder made another way is never reused
    folder = cache_dir("speech", f"generated-v{DATA_VERSION}-w{per_word}-s{seed}-{'+'.join(engine_names)}")
    if not (folder / MANIFEST).is_file():
        workers = workers or max(1, min(WORKERS, os.cpu_count() or 1))
        make_data(folder, per_word=per_word, seed=seed, workers=workers, show_progress=show_progress,
                  engine_names=tuple(engine_names))
    return folder


def load_splits(folder: str | os.PathLike, silence_fraction: float, unknown_fraction: float,
                seed: int) -> dict[str, list[dataset.Example]]:
    return dataset.load_folder(folder, silence_fraction=silence_fraction, unknown_fraction=unknown_fraction,
                               seed=seed)


def split_features(examples: list[dataset.Example], count: int | None = None,
                   features: str = "log_mel") -> tuple[np.ndarray, np.ndarray]:
    """(features (n, 49, 40), labels (n,)) of the first ``count`` examples (all when None), numpy front-end."""
    audio, labels = dataset.load_arrays(examples[:count] if count else examples)
    return frontend.features_batch(audio, features), labels


def class_counts(labels: np.ndarray) -> dict[str, int]:
    return {label: int(np.sum(labels == index)) for index, label in enumerate(LABELS)}
