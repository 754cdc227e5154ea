"""g2p model: a tiny model learns a toy lexicon; attention inference equals teacher forcing; beam search;
export parity of the int8 encoder + decoder step; predict from the exported files without TensorFlow."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from apps.g2p import data
from apps.g2p.decode import beam, greedy, letters_of
from apps.g2p.model import KerasRunner, build
from apps.g2p.presets import PRESETS
from suite.app import registry
from tests.test_g2p_toy import pronounce, write_toy_lexicon

TOY_WORDS = 1500
TOY_EPOCHS = 25


@pytest.fixture(scope="module")
def toy_model(tmp_path_factory):
    """The tiny preset trained on the toy lexicon, then exported to int8 TFLite."""
    folder = tmp_path_factory.mktemp("g2p")
    lexicon = write_toy_lexicon(folder / "toy.dict", count=TOY_WORDS)
    model_dir = folder / "model"
    assert registry.main("g2p", ["train", "--config", "tiny", "--data", str(lexicon), "--set", f"epochs={TOY_EPOCHS}",
                                 "--runs", str(folder / "runs"), "--out", str(model_dir), "--json"]) == 0
    assert registry.main("g2p", ["export", "--model", str(model_dir), "--format", "tflite", "--json"]) == 0
    return model_dir


def test_tiny_model_learns_the_toy_lexicon(toy_model):
    metrics = json.loads((toy_model / "metrics.json").read_text())
    assert metrics["test"]["words"] >= 20
    assert metrics["test"]["wer"] <= 10.0 and metrics["test"]["per"] <= 3.0
    assert metrics["validation"]["wer"] <= 15.0
    assert metrics["epochs_run"] == TOY_EPOCHS
    config = json.loads((toy_model / "config.json").read_text())
    assert config["app"] == "g2p" and config["task"] == "seq2seq" and config["data"]["lexicon"].endswith("toy.dict")


@pytest.mark.parametrize("attention,layers", [("additive", 1), ("dot", 1), ("additive", 2)])
def test_attention_inference_equals_teacher_forcing(attention, layers):
    import dataclasses

    # layers=2 (the base preset): the decoder's second layer starts at zero, as in training
    config = dataclasses.replace(PRESETS["tiny"].config, units=12, attention=attention, layers=layers)
    model = build(config)
    words = ["abc", "phoneme", "x"]
    prons = [("AE", "B", "K"), ("F", "OW", "N", "IY", "M"), ("EH", "K", "S")]
    decoder_inputs, _ = data.encode_pronunciations(prons, stress=False)
    depth = data.token_depth(False)
    teacher_forced = model.predict([letters_of(words), data.one_hot(decoder_inputs, depth)], verbose=0)
    runner = KerasRunner(model)
    memory, states = runner.encode(letters_of(words))
    assert len(states) == runner.state_count == layers
    for t in range(data.DECODER_STEPS):
        stepped, states = runner.step(data.one_hot(decoder_inputs[:, t:t + 1], depth), memory, states)
        np.testing.assert_allclose(stepped, teacher_forced[:, t], atol=1e-5)


def test_beam_search_width_one_is_greedy_and_nbest_is_ordered(toy_model):
    from suite.modeldir import load_model_dir

    model, config = load_model_dir(toy_model)
    runner, tokens = KerasRunner(model), tuple(config["tokens"])
    for word in ("bacite", "tomulo", "ceda"):
        best = greedy(runner, [word], tokens)[0]
        assert beam(runner, word, tokens, 1)[0].phones == best.phones
        assert beam(runner, word, tokens, 1)[0].score == pytest.approx(best.score, abs=1e-4)
        nbest = beam(runner, word, tokens, 4)
        assert len({h.phones for h in nbest}) == len(nbest) == 4
        assert [h.score for h in nbest] == sorted((h.score for h in nbest), reverse=True)
        assert nbest[0].score >= best.score - 1e-4


def test_export_parity_gate(toy_model):
    metrics = json.loads((toy_model / "metrics.json").read_text())
    encoder, decoder = metrics["exports"]["encoder_int8.tflite"], metrics["exports"]["decoder_step_int8.tflite"]
    for report in (encoder, decoder):   # export/tasks.py "seq2seq_decoding": greedy WER over every test word
        assert report["passed"] and report["task"] == "seq2seq_decoding" and report["metric"] == "wer"
        assert report["samples"] == metrics["test"]["words"] and report["keras"] == metrics["test"]["wer"]
        assert report["export"] - report["keras"] <= 0.5
    assert decoder["calibration_steps"] > 200   # greedy-decoding steps, not the converter's default 200
    assert metrics["int8"]["tflite"]["wer"] == decoder["export"]
    assert 0 < encoder["bytes"] < 200_000 and 0 < decoder["bytes"] < 50_000


def run_predict(arguments, env):
    return subprocess.run([sys.executable, "-m", "apps.g2p", "predict", *arguments], capture_output=True,
                          text=True, env=env)


def test_predict_runs_without_tensorflow(toy_model, without_tensorflow):
    words = ["bacite", "tomulo", "ceda", "lipe"]
    result = run_predict([*words, "--model", str(toy_model), "--json"], without_tensorflow)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["word"] for r in records] == words
    right = sum(r["phonemes"] == " ".join(pronounce(r["word"])) for r in records)
    assert right >= 3
    assert all(0.0 < r["score"] <= 1.0 for r in records)
    keras = subprocess.run([sys.executable, "-m", "apps.g2p", "predict", *words, "--model", str(toy_model),
                            "--backend", "keras", "--json"], capture_output=True, text=True)
    assert [json.loads(line)["phonemes"] for line in keras.stdout.splitlines()] == [r["phonemes"] for r in records]

    beamed = run_predict(["bacite", "--beam", "3", "--model", str(toy_model), "--json"], without_tensorflow)
    record = json.loads(beamed.stdout)
    assert len(record["nbest"]) == 3 and record["nbest"][0]["phonemes"] == record["phonemes"]


def test_predict_bad_words_one_line_each(toy_model, without_tensorflow, tmp_path):
    words = tmp_path / "words.txt"
    words.write_text("ceda\n\nb4d\n")
    result = run_predict(["lipe", "x!", "--file", str(words), "--model", str(toy_model), "--json"],
                         without_tensorflow)
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["error: 'x!': 'x!' has non-letter characters '!'",
                                          f"error: {words}:2: empty word",
                                          f"error: {words}:3: 'b4d' has non-letter characters '4'"]
    assert [json.loads(line)["word"] for line in result.stdout.splitlines()] == ["lipe", "ceda"]


def test_predict_refuses_another_apps_model(tmp_path, without_tensorflow):
    (tmp_path / "config.json").write_text(json.dumps({"app": "speech"}))
    result = run_predict(["cat", "--model", str(tmp_path)], without_tensorflow)
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path}: a speech model, not a g2p model"


@pytest.mark.slow
def test_onnx_export_parity_gate(toy_model):
    assert registry.main("g2p", ["export", "--model", str(toy_model), "--format", "onnx", "--json"]) == 0
    metrics = json.loads((toy_model / "metrics.json").read_text())
    assert metrics["exports"]["decoder_step_int8.onnx"]["passed"]
    assert metrics["int8"]["onnx"]["wer_increase"] <= 0.5


def test_evaluate_json_has_model_int8_and_baselines(toy_model, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RNN_SUITE_CACHE", str(tmp_path / "cache"))
    assert registry.main("g2p", ["evaluate", "--model", str(toy_model), "--out", str(tmp_path), "--json",
                                 "--plot-words", "bacite", "ceda", "--beam", "3"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["beam"]["width"] == 3 and result["beam"]["words"] == result["words"]
    assert result["beam"]["wer"] <= 10.0 and result["beam"]["per"] <= 3.0
    metrics = json.loads((toy_model / "metrics.json").read_text())
    assert (result["wer"], result["per"], result["words"]) == (metrics["test"]["wer"], metrics["test"]["per"],
                                                               metrics["test"]["words"])
    assert result["int8"]["wer"] == metrics["int8"]["tflite"]["wer"]
    assert result["int8"]["beam"]["width"] == 3 and result["int8"]["beam"]["wer"] <= 10.0   # the device's beam
    assert result["ngram"]["wer"] <= 10.0                       # the toy spelling is regular
    assert 0.0 <= result["espeak"]["per"] <= 100.0 and result["espeak"]["words"] == result["words"]
    assert (tmp_path / "attention.png").stat().st_size > 10_000
    assert registry.main("g2p", ["evaluate", "--model", str(toy_model), "--beam", "17"]) == 2
    assert capsys.readouterr().err.strip() == "error: --beam 17: expected 1 to 16 (0: greedy only)"


def _members(toy_model, folder, names=("first", "second")):
    import shutil

    for name in names:
        shutil.copytree(toy_model, folder / name)
    return [str(folder / name) for name in names]


def test_an_ensemble_of_copies_scores_and_predicts_as_its_model(toy_model, tmp_path, capsys, without_tensorflow):
    members = _members(toy_model, tmp_path)
    out = tmp_path / "ensemble"
    assert registry.main("g2p", ["ensemble", *members, "--out", str(out), "--beam", "2", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["test_beam"]["width"] == 2 and record["test_beam"]["words"] == record["test"]["words"]
    assert record["int8"]["tflite"]["beam"]["width"] == 2
    single = json.loads((toy_model / "metrics.json").read_text())
    # Two identical members average to the model itself: the same words right, float and int8 alike.
    assert (record["wer"], record["per"]) == (single["test"]["wer"], single["test"]["per"])
    assert record["validation"]["wer"] == single["validation"]["wer"]
    assert record["int8"]["tflite"]["wer"] == single["int8"]["tflite"]["wer"] and record["int8"]["tflite"]["passed"]
    assert json.loads((out / "metrics.json").read_text())["wer"] == record["wer"]
    config = json.loads((out / "config.json").read_text())
    assert config["members"] == ["first", "second"] and "preset" not in config   # the members name theirs
    assert sorted(p.name for p in out.iterdir()) == ["config.json", "first", "metrics.json", "second"]
    assert registry.main("g2p", ["evaluate", "--model", str(out), "--no-baselines", "--out", str(tmp_path), "--json",
                                 "--plot-words", "ceda"]) == 0
    evaluated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (evaluated["wer"], evaluated["int8"]["wer"]) == (record["wer"], record["int8"]["tflite"]["wer"])
    assert (tmp_path / "attention.png").stat().st_size > 10_000   # the first member's attention

    words = ["bacite", "tomulo", "ceda"]
    alone = run_predict([*words, "--model", str(toy_model), "--json"], without_tensorflow)
    joined = run_predict([*words, "--model", str(out), "--json"], without_tensorflow)
    assert joined.returncode == 0, joined.stderr
    for one, both in zip(alone.stdout.splitlines(), joined.stdout.splitlines()):
        one, both = json.loads(one), json.loads(both)
        assert one["phonemes"] == both["phonemes"] and one["score"] == pytest.approx(both["score"], abs=1e-4)


def test_ensemble_bad_members_one_line_and_nothing_written(toy_model, tmp_path, capsys):
    first, second = _members(toy_model, tmp_path)
    out = tmp_path / "ensemble"
    other = tmp_path / "speech"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"app": "speech"}))
    config = json.loads((tmp_path / "second" / "config.json").read_text())
    (tmp_path / "second" / "config.json").write_text(json.dumps({**config, "tokens": config["tokens"][:-1]}))
    cases = [([first], "error: an ensemble needs two or more member directories"),
             ([first, str(other)], f"error: {other}: a speech model, not a g2p model"),
             ([first, second], f"error: {second}: its tokens differ from {first}'s; members must share them"),
             ([first, str(tmp_path / "missing")], f"error: {tmp_path / 'missing'}: not a model directory (no config.json)"),
             ([first, f"{first}/encoder_int8.tflite"], f"error: {first}/encoder_int8.tflite: a file, not a model directory")]
    for members, message in cases:
        assert registry.main("g2p", ["ensemble", *members, "--out", str(out)]) == 2
        assert capsys.readouterr().err.strip() == message
    assert not out.exists()


def test_an_ensemble_is_not_a_member_and_is_exported_through_its_members(toy_model, tmp_path, capsys, monkeypatch):
    members = _members(toy_model, tmp_path)
    out = tmp_path / "ensemble"
    assert registry.main("g2p", ["ensemble", *members, "--out", str(out)]) == 0
    capsys.readouterr()
    assert registry.main("g2p", ["ensemble", str(out), members[0], "--out", str(tmp_path / "nested")]) == 2
    assert capsys.readouterr().err.strip() == (f"error: {out}: an ensemble cannot be a member of another; "
                                               "name its members instead")
    assert not (tmp_path / "nested").exists()
    for member in ("first", "second"):   # exports the ensemble's members afresh
        for name in ("encoder_int8.tflite", "decoder_step_int8.tflite"):
            (out / member / name).unlink()
    metrics = json.loads((out / "metrics.json").read_text())
    metrics.pop("int8")
    (out / "metrics.json").write_text(json.dumps(metrics))
    assert registry.main("g2p", ["export", "--model", str(out), "--format", "tflite", "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["file"] for r in records] == ["encoder_int8.tflite", "decoder_step_int8.tflite"] * 2
    assert all(r["passed"] for r in records)
    single = json.loads((toy_model / "metrics.json").read_text())
    for member in ("first", "second"):
        exported = json.loads((out / member / "metrics.json").read_text())
        assert exported["exports"]["decoder_step_int8.tflite"]["passed"]
    rescored = json.loads((out / "metrics.json").read_text())
    assert rescored["int8"]["tflite"]["wer"] == single["int8"]["tflite"]["wer"] and rescored["int8"]["tflite"]["passed"]
    assert rescored["wer"] == single["test"]["wer"]
    # The ensemble's own gate fails the export, though every member passed its own.
    from apps.g2p import ensemble

    monkeypatch.setattr(ensemble, "rescored", lambda folder: {"int8": {"tflite": {"wer": 99.0, "passed": False}}})
    assert registry.main("g2p", ["export", "--model", str(out), "--format", "tflite", "--kind", "step"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"error: {out}: tflite failed a parity gate against Keras (see metrics.json)")
    assert json.loads((out / "metrics.json").read_text())["int8"]["tflite"]["passed"] is False


def test_benchmark_times_an_ensemble_and_adds_up_its_members_bytes(toy_model, tmp_path):
    from apps.g2p.calibration import words
    from tests.benchmark_scripts import load_benchmark

    benchmark = load_benchmark("g2p")
    members = _members(toy_model, tmp_path)
    out = tmp_path / "ensemble"
    assert registry.main("g2p", ["ensemble", *members, "--out", str(out)]) == 0
    config = json.loads((out / "config.json").read_text())
    lexicon = words(config, "heldout", 5)
    result = benchmark.bench_ensemble(out, config, lexicon, tuple(config["tokens"]))
    single = result["members"]["first"]["tflite"]
    assert result["members"]["second"]["tflite"]["encoder_bytes"] == single["encoder_bytes"]
    assert result["tflite"]["bytes"] == 2 * (single["encoder_bytes"] + single["decoder_step_bytes"])
    assert result["tflite"]["ms_per_word"] > 0 and "onnx" not in result   # the toy members have no ONNX pair
