#!/usr/bin/env python3
"""Generate the golden sentence-embedding fixture for the Rust embedder tests.

The Rust tool reimplements sentence-transformers' ``all-MiniLM-L6-v2`` pipeline
(BERT encoder -> mean pooling over the attention mask -> L2 normalisation,
``max_seq_length`` 256) with candle.  This script runs the *Python reference*
implementation on a fixed list of sentences and writes a compact JSON fixture
that the Rust test compares against (tolerance 1e-4).

Usage (the model must be a local directory; the Hugging Face Hub is never
contacted -- ``HF_HUB_OFFLINE=1`` is forced before anything is imported)::

    python tools/golden_embeddings.py --model /tmp/minilm \
        --out tests/fixtures/golden.json [--dims 16]

The pinned package versions are in ``tools/requirements-golden.txt``.

Output format::

    {
      "model": "sentence-transformers/all-MiniLM-L6-v2",
      "generator": "tools/golden_embeddings.py",
      "sentence_transformers": "<version>",
      "torch": "<version>",
      "dims": N,                     # length of every "head" list
      "max_seq_length": 256,         # as reported by the loaded model
      "cases": [
        {
          "text": "...",
          "tokens": 12,              # ids fed to the model, incl. [CLS]/[SEP],
                                     # i.e. after sentence-transformers truncation
          "norm": 1.0,               # L2 norm of the full 384-d embedding
          "head": [...],             # first N components
          "sum": 0.123,              # sum of all 384 components
          "truncated": false,        # true iff the text exceeded max_seq_length
          # only when "truncated" is true:
          "tokens_untruncated": 380, # token count (incl. specials) before truncation
          "note": "..."
        },
        ...
      ]
    }

Notes:
* Every sentence is encoded on its own (``batch_size=1``) so padding can never
  influence the result, with ``normalize_embeddings=True``.
* Embedding components are float32 from the model; they are written as the
  exact Python float (double) value of that float32, so nothing is lost.
  ``norm`` and ``sum`` are accumulated in float64 from those float32 values.
* Token counts come from the model's own tokenizer (the same ``tokenizer.json``
  the Rust side loads) through sentence-transformers' preprocessing, so they
  reflect exactly what the model saw.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

# Never reach for the Hub: this must work with a local directory only.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
GENERATOR = "tools/golden_embeddings.py"

# Fixed inputs.  Order and text are part of the fixture contract: changing
# anything here means regenerating tests/fixtures/golden.json.
SHORT_PLAIN = "The talks resumed on Monday morning."
CURLY_QUOTES_EN_DASH = (
    "\u201cWe are not there yet,\u201d the mediator said \u2013 "
    "but the 2019\u20132021 rounds narrowed the gap."
)
NON_ASCII = (
    "Negotiators from S\u00e3o Tom\u00e9 and Cura\u00e7ao met at a caf\u00e9 "
    "in Z\u00fcrich, where the envoy\u2019s na\u00efve r\u00e9sum\u00e9 drew smiles."
)
DIGITS_PUNCT = (
    "Art. 7(2)(b): tariffs fall by 12.5% -- from 1,200 to 1,050 units -- "
    "on 2030-01-01 (see p. 17)!"
)
SINGLE_WORD = "Ambassador"
ALL_CAPS_HEADING = "FOREIGN MINISTERS AGREE TO RESUME BORDER TALKS"
MINIMAL = "A"
DIPLOMACY_PARAGRAPH = (
    "Diplomacy is rarely the dramatic handshake that ends up on the evening news. "
    "Most of it happens in cramped side rooms, over weak coffee, between officials "
    "who have read each other's briefing papers so often that they can finish one "
    "another's sentences. A good negotiator listens far more than she speaks, and "
    "she keeps track of what the other side cannot say out loud as carefully as "
    "what it does say. Small concessions on wording, such as replacing a firm "
    "commitment with a promise to explore options, can keep a process alive for "
    "months. Trust is built slowly, through kept appointments, accurate minutes and "
    "the quiet return of favours, and it can be lost in a single careless press "
    "conference. When an agreement finally emerges, it usually looks modest on "
    "paper, yet it may rest on hundreds of hours of patient work that few outsiders "
    "will ever notice or fully appreciate."
)
LONG_OVER_LIMIT = (
    "The treaty that eventually settled the river dispute took almost eleven years "
    "to negotiate, and the people who began the work were not the people who "
    "finished it. In the first phase, hydrologists from both countries spent two "
    "seasons measuring flow rates at six gauging stations, because neither "
    "government trusted the other's historical data. Their joint report, published "
    "in three languages, was deliberately dull, and that dullness turned out to be "
    "its greatest strength: nobody could accuse it of taking sides. In the second "
    "phase, lawyers argued over whether the river should be treated as a shared "
    "resource or as a boundary, a distinction that sounds academic but determined "
    "who would pay for dredging, who could build dams, and who would be blamed "
    "when the spring floods arrived. Twice the talks collapsed entirely, once after "
    "a fishing boat was seized near the estuary and once after an election brought "
    "a new cabinet that promised voters it would never sign away a single litre of "
    "water. Each time, a small group of mid-level officials kept meeting informally, "
    "exchanging drafts by courier and testing ideas that their ministers were not "
    "yet ready to endorse in public. The breakthrough came from an unexpected "
    "direction: a regional development bank offered to finance a joint monitoring "
    "agency, on condition that both parties agreed on a formula for dividing the "
    "water during droughts. Suddenly there was money on the table, and the abstract "
    "question of sovereignty became a practical question of percentages, sensors "
    "and reporting deadlines. The final text runs to forty-two articles and four "
    "technical annexes. It has been amended only once, to add a clause on "
    "pollution, and the monitoring agency now publishes its daily readings online, "
    "where farmers on both banks check them before deciding when to irrigate their "
    "fields. Historians still disagree about who deserves the credit, but almost "
    "everyone agrees that patience, shared facts and a modest amount of outside "
    "money mattered more than any single speech."
)

# (text, expect_truncation)
CASES: list[tuple[str, bool]] = [
    (SHORT_PLAIN, False),
    (CURLY_QUOTES_EN_DASH, False),
    (NON_ASCII, False),
    (DIGITS_PUNCT, False),
    (SINGLE_WORD, False),
    (ALL_CAPS_HEADING, False),
    (MINIMAL, False),
    (DIPLOMACY_PARAGRAPH, False),
    (LONG_OVER_LIMIT, True),
]

TRUNCATION_NOTE = (
    "sentence-transformers truncates input at max_seq_length={n} word-piece tokens "
    "(including [CLS]/[SEP]); this embedding covers only the first {n} tokens of "
    "{u}. The Rust tool windows long inputs instead, so compare this case only "
    "with truncation enabled on the Rust side, or skip it."
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Write golden all-MiniLM-L6-v2 embeddings (Python reference) as JSON."
    )
    p.add_argument(
        "--model",
        required=True,
        metavar="DIR",
        help="local directory containing the sentence-transformers model "
        "(modules.json, config.json, tokenizer.json, model.safetensors, ...)",
    )
    p.add_argument("--out", required=True, metavar="PATH", help="output JSON file")
    p.add_argument(
        "--dims",
        type=int,
        default=16,
        metavar="N",
        help="number of leading embedding components to store per case (default: 16)",
    )
    args = p.parse_args(argv)
    if not os.path.isdir(args.model):
        p.error(f"--model must be an existing local directory: {args.model!r}")
    if args.dims < 1:
        p.error("--dims must be >= 1")
    return args


def token_count_truncated(model, text: str) -> int:
    """Number of ids the model actually sees (after ST truncation), incl. specials."""
    # sentence-transformers >= 6 renamed tokenize() to preprocess().
    prep = getattr(model, "preprocess", None) or model.tokenize
    features = prep([text])
    return int(features["attention_mask"][0].sum().item())


def token_count_untruncated(model, text: str) -> int:
    """Number of ids incl. [CLS]/[SEP] that the tokenizer yields without truncation."""
    enc = model.tokenizer(text, add_special_tokens=True, truncation=False, verbose=False)
    return len(enc["input_ids"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    import numpy as np
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(args.model, device="cpu")
    model.eval()
    max_seq_length = int(model.max_seq_length)

    cases = []
    for text, expect_trunc in CASES:
        emb = model.encode(
            [text],
            batch_size=1,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )[0]
        if emb.dtype != np.float32:
            raise SystemExit(f"unexpected embedding dtype {emb.dtype}")
        if args.dims > emb.shape[0]:
            raise SystemExit(f"--dims {args.dims} exceeds embedding size {emb.shape[0]}")

        values = [float(x) for x in emb]  # exact double value of each float32
        norm = math.sqrt(math.fsum(v * v for v in values))
        total = math.fsum(values)

        tokens = token_count_truncated(model, text)
        untruncated = token_count_untruncated(model, text)
        truncated = untruncated > max_seq_length
        if truncated != expect_trunc:
            raise SystemExit(
                f"case {text[:40]!r}...: expected truncated={expect_trunc}, "
                f"got {untruncated} tokens vs max_seq_length {max_seq_length}"
            )
        if tokens != min(untruncated, max_seq_length):
            raise SystemExit(
                f"token count mismatch for {text[:40]!r}: {tokens} vs {untruncated}"
            )

        case = {
            "text": text,
            "tokens": tokens,
            "norm": norm,
            "head": values[: args.dims],
            "sum": total,
            "truncated": truncated,
        }
        if truncated:
            case["tokens_untruncated"] = untruncated
            case["note"] = TRUNCATION_NOTE.format(n=max_seq_length, u=untruncated)
        cases.append(case)

    doc = {
        "model": MODEL_NAME,
        "generator": GENERATOR,
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "dims": args.dims,
        "max_seq_length": max_seq_length,
        "cases": cases,
    }

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=2)
        f.write("\n")

    print(f"wrote {len(cases)} cases to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
