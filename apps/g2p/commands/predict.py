"""``predict WORD... | --file FILE``: pronunciations from the exported int8 encoder and decoder step (no TensorFlow)."""
from __future__ import annotations

import argparse
import math
import sys

from suite.app import cli_of
from suite.app.models import add_model_options
from suite.cli import EXIT_USER_ERROR, add_json_option, emit
from suite.errors import UserError

app = cli_of(__name__)
MAX_BEAM = 16


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("words", nargs="*", metavar="WORD", help="words to pronounce")
    parser.add_argument("--file", metavar="FILE", help="a text file with one word per line")
    add_model_options(parser, "int8 encoder and decoder-step files")
    parser.add_argument("--beam", type=int, default=0, metavar="K",
                        help=f"beam search with the K best pronunciations as n-best (1-{MAX_BEAM}; default greedy)")
    add_json_option(parser)


@app.command("predict", help="pronounce words (JSON: word, phonemes, score, n-best with --beam)", arguments=_arguments)
def predict(args: argparse.Namespace) -> int:
    from apps.g2p.decode import beam, greedy
    from apps.g2p.model import load_runner
    from apps.g2p.words import check_words, read_word_file

    if not args.words and not args.file:
        raise UserError("give words or --file FILE")
    if args.beam and not 1 <= args.beam <= MAX_BEAM:
        raise UserError(f"--beam {args.beam}: expected 1 to {MAX_BEAM}")
    words, places = list(args.words), [repr(w) for w in args.words]
    if args.file:
        file_words, file_places = read_word_file(args.file)
        words, places = words + file_words, places + file_places
    entries, problems = check_words(words, places)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    runner, tokens, _ = load_runner(args.model, args.backend) if entries else (None, (), {})
    for word in entries:
        if args.beam:
            hypotheses = beam(runner, word, tokens, args.beam)
        else:
            hypotheses = greedy(runner, [word], tokens)
        emit(record(word, hypotheses, bool(args.beam)), args.json,
             text=f"{word}\t{' '.join(hypotheses[0].phones)}\t{math.exp(hypotheses[0].score):.3f}")
    return EXIT_USER_ERROR if problems else 0


def record(word: str, hypotheses: list, nbest: bool) -> dict:
    best = hypotheses[0]
    result = {"word": word, "phonemes": " ".join(best.phones), "score": round(math.exp(best.score), 5)}
    if nbest:
        result["nbest"] = [{"phonemes": " ".join(h.phones), "score": round(math.exp(h.score), 5)} for h in hypotheses]
    return result
