"""``evaluate``: word and phoneme error rates of the model, its int8 export and the baselines, plus an attention plot."""
from __future__ import annotations

import argparse
from pathlib import Path

from suite.app import cli_of
from suite.cli import add_json_option, emit
from suite.errors import UserError

from apps.g2p.commands.predict import MAX_BEAM   # one beam limit for predict and evaluate

app = cli_of(__name__)
SPLITS = ("test", "validation")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="DIR", help="model directory (default: the shipped model)")
    parser.add_argument("--data", metavar="FILE.dict", help="a lexicon to score (default: the model's own lexicon)")
    parser.add_argument("--split", default="test", choices=SPLITS, help="which split of the lexicon (default test)")
    parser.add_argument("--limit", type=int, default=0, metavar="N", help="score the first N words only (default all)")
    parser.add_argument("--no-baselines", dest="baselines", action="store_false",
                        help="skip the context transducer and espeak-ng baselines")
    parser.add_argument("--plot-words", nargs="+", metavar="WORD",
                        help="words for the attention plot (default: phoneme knight taxes university)")
    parser.add_argument("--beam", type=int, default=0, metavar="K",
                        help="also score a K-wide beam search, Keras and int8 (default: greedy only)")
    parser.add_argument("--out", metavar="DIR", help="folder for attention.png (default: the model directory)")
    add_json_option(parser)


@app.command("evaluate", help="WER/PER of the model, its int8 export and the baselines; attention plot",
             arguments=_arguments)
def evaluate_command(args: argparse.Namespace) -> int:
    from apps.g2p.evaluate import PLOT_WORDS, attention_model, evaluate, model_lexicon
    from apps.g2p.plots import plot_attention
    from apps.g2p.words import check_words
    from suite.app import shipped_model_dir
    from suite.app.models import check_app, read_config_json

    model_dir = Path(args.model) if args.model else shipped_model_dir("g2p")
    config = read_config_json(model_dir) if model_dir.is_dir() else None
    if config is None:
        raise UserError(f"{model_dir}: not a model directory (no config.json)")
    check_app(config, "g2p", model_dir)
    if args.limit < 0:
        raise UserError(f"--limit {args.limit}: expected >= 0")
    if not 0 <= args.beam <= MAX_BEAM:
        raise UserError(f"--beam {args.beam}: expected 1 to {MAX_BEAM} (0: greedy only)")
    plot_words, problems = check_words(args.plot_words or list(PLOT_WORDS))
    if problems:
        raise UserError(problems[0])
    result = evaluate(model_dir, model_lexicon(config, args.data), args.split, args.baselines, args.limit, args.beam)
    model, label = attention_model(model_dir, config)
    predictions = _predict(model, plot_words, tuple(config["tokens"]))
    title = f"g2p attention: {model_dir.name} ({label}), {', '.join(plot_words)}"
    plot = plot_attention(model, plot_words, predictions, tuple(config["tokens"]), title,
                          Path(args.out or model_dir) / "attention.png")
    result["plot"] = str(plot)
    emit(result, args.json, text=format_result(result))
    return 0


def _predict(model, words: list[str], tokens: tuple[str, ...]) -> dict:
    from apps.g2p.decode import greedy_lexicon
    from apps.g2p.model import KerasRunner

    return greedy_lexicon(KerasRunner(model), words, tokens)


def format_result(result: dict) -> str:
    lines = [f"{result['split']} split, {result['words']:,} words"]
    beam_label = f"model, beam {result['beam']['width']}" if "beam" in result else ""
    for key, label in (("", "model (Keras float)"), ("beam", beam_label), ("int8", "int8 TFLite"),
                       ("int8_onnx", "int8 ONNX"), ("ngram", "context transducer"), ("espeak", "espeak-ng rules")):
        figures = result if not key else result.get(key)
        if figures:
            lines.append(f"  {label:22s} WER {figures['wer']:6.2f}%  PER {figures['per']:6.2f}%")
        if key in ("int8", "int8_onnx") and figures and "beam" in figures:
            beam = figures["beam"]
            beam_name = f"{label}, beam {beam['width']}"
            lines.append(f"  {beam_name:22s} WER {beam['wer']:6.2f}%  PER {beam['per']:6.2f}%")
    lines.append(f"  attention plot: {result['plot']}")
    return "\n".join(lines)
