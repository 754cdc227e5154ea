"""g2p without TensorFlow: the CMUdict parser, the split, the scoring, the baselines and bad input."""
from __future__ import annotations

import subprocess
import sys

import pytest

from apps.g2p import data, espeak, metrics, ngram
from suite.errors import UserError
from tests.test_g2p_toy import pronounce, toy_words, write_toy_lexicon

SAMPLE = """;;; a comment line
# another comment
hello HH AH0 L OW1
hello(2) HH EH0 L OW1
read R IY1 D  # present tense
read(2) R EH1 D
record R EH1 K ER0 D
record(2) R EH0 K AO1 R D
"""


def test_parser_keeps_alternates_and_drops_comments():
    lexicon = data.parse_lexicon(SAMPLE, "sample.dict")
    assert lexicon == {"hello": [("HH", "AH0", "L", "OW1"), ("HH", "EH0", "L", "OW1")],
                       "read": [("R", "IY1", "D"), ("R", "EH1", "D")],
                       "record": [("R", "EH1", "K", "ER0", "D"), ("R", "EH0", "K", "AO1", "R", "D")]}


def test_stress_kept_or_dropped():
    lexicon = data.parse_lexicon("object AA1 B JH EH0 K T\nobject(2) AA0 B JH EH1 K T\n", "s.dict")
    assert data.with_stress(lexicon, True)["object"] == [("AA1", "B", "JH", "EH0", "K", "T"),
                                                         ("AA0", "B", "JH", "EH1", "K", "T")]
    # without stress the two alternates are the same pronunciation: one is kept
    assert data.with_stress(lexicon, False)["object"] == [("AA", "B", "JH", "EH", "K", "T")]


@pytest.mark.parametrize("line, problem", [
    ("  HH AH0", "empty word (the line starts with a space)"),
    ("(2) HH AH0", "empty word"),
    ("h3llo HH AH0 L OW1", "'h3llo' has non-letter characters '3'"),
    ("hello", "'hello' has no pronunciation"),
    ("hello HH XX L", "'XX' is not an ARPAbet phoneme"),
    ("--- HH", "'---' has no letters"),
])
def test_bad_line_names_file_and_line(line, problem):
    with pytest.raises(UserError) as error:
        data.parse_lexicon(f"good G UH1 D\n{line}\n", "mine.dict")
    assert str(error.value) == f"mine.dict:2: {problem}"


def test_split_is_fixed_per_word_and_about_90_5_5():
    words = toy_words(3000, seed=3)
    assert [data.split_of(w) for w in words] == [data.split_of(w) for w in reversed(words)][::-1]
    lexicon = {w: [tuple(pronounce(w))] for w in words}
    splits = data.split_lexicon(lexicon)
    assert set(splits.train) | set(splits.validation) | set(splits.test) == set(words)
    assert not set(splits.train) & set(splits.test)
    assert 0.03 < len(splits.test) / len(words) < 0.07
    assert 0.03 < len(splits.validation) / len(words) < 0.07
    smaller = data.split_lexicon({w: lexicon[w] for w in words[:500]})
    assert set(smaller.test) == set(splits.test) & set(words[:500])   # another lexicon, the same split per word


def test_cmudict_loads_with_alternates():
    lexicon = data.parse_lexicon(data.cmudict_text(), "cmudict.dict")
    assert len(lexicon) > 125_000
    assert ("T", "AH0", "M", "EY1", "T", "OW2") in lexicon["tomato"] and len(lexicon["tomato"]) == 2
    assert data.encode_words(["ab"]).tolist()[0][:3] == [1, 2, 0]


def test_edit_distance_hand_cases():
    assert metrics.edit_distance([], []) == 0
    assert metrics.edit_distance(["K", "AE", "T"], ["K", "AE", "T"]) == 0
    assert metrics.edit_distance(["K", "AE", "T"], ["K", "AH", "T"]) == 1          # substitution
    assert metrics.edit_distance(["K", "AE", "T"], ["K", "AE", "T", "S"]) == 1     # insertion
    assert metrics.edit_distance(["K", "AE", "T"], ["AE", "T"]) == 1               # deletion
    assert metrics.edit_distance(["K", "AE", "T"], ["T", "AE", "K"]) == 2
    assert metrics.edit_distance([], ["AH", "B"]) == 2


def test_scoring_counts_a_word_right_when_any_pronunciation_matches():
    lexicon = {"read": [("R", "IY", "D"), ("R", "EH", "D")], "cat": [("K", "AE", "T")],
               "dog": [("D", "AO", "G")], "either": [("IY", "DH", "ER"), ("AY", "DH", "ER")]}
    predictions = {"read": ("R", "EH", "D"),            # the alternate: right
                   "cat": ("K", "AH", "T"),             # one substitution of 3
                   "dog": ("D", "AO", "G"),             # right
                   "either": ("AY", "TH", "ER")}        # 1 edit from the 2nd pronunciation
    result = metrics.score(lexicon, predictions)
    assert result["wer"] == 50.0
    assert result["per"] == round(100 * 2 / 12, 3)
    assert metrics.score(lexicon, {})["wer"] == 100.0   # a missing prediction is wrong


def test_espeak_ipa_to_arpabet():
    assert espeak.ipa_to_arpabet("həlˈoʊ", stress=False) == ("HH", "AH", "L", "OW")
    assert espeak.ipa_to_arpabet("həlˈoʊ", stress=True) == ("HH", "AH0", "L", "OW1")
    assert espeak.ipa_to_arpabet("tʃˈɜːtʃ", stress=False) == ("CH", "ER", "CH")
    assert espeak.ipa_to_arpabet("bˈʌɾɚ", stress=False) == ("B", "AH", "T", "ER")
    assert espeak.espeak().pronounce("cat", stress=False) == ("K", "AE", "T")


def test_context_transducer_learns_a_toy_lexicon():
    words = toy_words(1500, seed=1)
    lexicon = {w: [tuple(pronounce(w))] for w in words}
    splits = data.split_lexicon(lexicon)
    model = ngram.ContextTransducer(splits.train)
    assert ngram.align("xe", ("K", "S"), {}) == [("K", "S"), ()]
    assert metrics.score(splits.test, model.predict_lexicon(sorted(splits.test)))["wer"] <= 5.0
    restored = ngram.ContextTransducer.from_json(model.to_json())
    assert restored.predict_lexicon(sorted(splits.test)) == model.predict_lexicon(sorted(splits.test))


def test_prepare_data_bad_lexicon_is_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.dict"
    bad.write_text("good G UH1 D\nb@d B AE1 D\n")
    out = tmp_path / "splits"
    result = subprocess.run([sys.executable, "-m", "apps.g2p", "prepare-data", "--data", str(bad), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {bad}:2: 'b@d' has non-letter characters '@'"
    assert not out.exists()


def test_prepare_data_writes_the_splits(tmp_path):
    lexicon = write_toy_lexicon(tmp_path / "toy.dict", count=300)
    result = subprocess.run([sys.executable, "-m", "apps.g2p", "prepare-data", "--data", str(lexicon),
                             "--out", str(tmp_path / "splits"), "--json"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    written = data.read_lexicon_file(tmp_path / "splits" / "train.dict")
    assert len(written) == __import__("json").loads(result.stdout)["train"] > 250


def test_help_does_not_import_tensorflow(without_tensorflow):
    result = subprocess.run([sys.executable, "-m", "apps.g2p", "--help"], capture_output=True, text=True,
                            env=without_tensorflow)
    assert result.returncode == 0, result.stderr
    assert "predict" in result.stdout and "evaluate" in result.stdout and "prepare-data" in result.stdout


def test_train_with_a_corrupt_lexicon_is_one_line_and_writes_nothing(tmp_path):
    bad = tmp_path / "mine.dict"
    bad.write_text("good G UH1 D\n\nzebra\n")
    result = subprocess.run([sys.executable, "-m", "apps.g2p", "train", "--config", "tiny", "--data", str(bad),
                             "--runs", str(tmp_path / "runs"), "--out", str(tmp_path / "model")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {bad}:3: 'zebra' has no pronunciation"
    assert not (tmp_path / "runs").exists() and not (tmp_path / "model").exists()
