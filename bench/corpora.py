#!/usr/bin/env python3
"""Write the benchmark corpora as JSONL ({"id", "text"} per line).

Everything comes from what the repository has, or reads at run time:

* seeds.jsonl  the seed paragraphs (seeds/*.txt, one per non-empty line),
               cycled to 2,000 paragraphs;
* nyt.jsonl    the NYT editorial sentences, read from
               ../shared/data/nyt-editorial-snippets.tsv (never copied into
               the repository);
* long.jsonl   200 documents of more than 512 tokens each, seed paragraphs
               joined with a space (one paragraph each, so stance reads it
               as one long paragraph);
* sweep.jsonl  a quarter of seeds.jsonl (at least 200), for the batch-size sweep;
* parity.jsonl the distinct seed paragraphs, for the parity check;
* stream-N.jsonl  N seed paragraphs, one document each, for the memory run.

--quick makes every corpus about a tenth as large, to check the harness.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NYT_DEFAULT = os.path.join(REPO, "..", "shared", "data", "nyt-editorial-snippets.tsv")


def seed_paragraphs() -> list[str]:
    seeds = os.path.join(REPO, "seeds")
    paragraphs = []
    for name in sorted(os.listdir(seeds)):
        if name.endswith(".txt"):
            with open(os.path.join(seeds, name), encoding="utf-8") as f:
                paragraphs.extend(line.strip() for line in f if line.strip())
    if not paragraphs:
        sys.exit(f"{seeds}: no seed paragraphs")
    return paragraphs


def nyt_sentences(path: str) -> list[str]:
    sentences = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) != 3:
                sys.exit(f"{path}:{n}: expected 3 tab-separated fields, found {len(fields)}")
            sentences.append(fields[2])
    return sentences


def long_documents(paragraphs: list[str], count: int, min_tokens: int, tokenizer) -> list[str]:
    """Documents of more than `min_tokens` content tokens, each starting at a
    different seed paragraph so that no two are the same text."""
    docs = []
    for i in range(count):
        parts, tokens, j = [], 0, (i * 7) % len(paragraphs)
        while tokens <= min_tokens:
            parts.append(paragraphs[j % len(paragraphs)])
            tokens = len(tokenizer.encode(" ".join(parts), add_special_tokens=False).ids)
            j += 1
        docs.append(" ".join(parts))
    return docs


def write(path: str, prefix: str, texts: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i, text in enumerate(texts, 1):
            f.write(json.dumps({"id": f"{prefix}-{i}", "text": text}, ensure_ascii=False) + "\n")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="directory for the corpora")
    p.add_argument("--model", required=True, help="model directory (for tokenizer.json)")
    p.add_argument("--nyt", default=os.environ.get("STANCE_NYT", NYT_DEFAULT))
    p.add_argument("--quick", action="store_true", help="small corpora, to check the harness")
    p.add_argument("--stream", type=int, action="append", default=[],
                   help="also write stream-N.jsonl with N paragraphs (repeatable)")
    args = p.parse_args()

    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(args.model, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()

    os.makedirs(args.out, exist_ok=True)
    seeds = seed_paragraphs()
    n_seeds, n_long = (200, 20) if args.quick else (2000, 200)
    write(os.path.join(args.out, "seeds.jsonl"), "seed", [seeds[i % len(seeds)] for i in range(n_seeds)])
    if os.path.isfile(args.nyt):
        nyt = nyt_sentences(args.nyt)
        write(os.path.join(args.out, "nyt.jsonl"), "nyt", nyt[:520] if args.quick else nyt)
    else:
        # A clone away from ../shared: the other corpora still work, and
        # the throughput step skips this one with a note.
        print(f"corpora: {args.nyt} not found (set STANCE_NYT); no NYT corpus", file=sys.stderr)
    write(os.path.join(args.out, "long.jsonl"), "long", long_documents(seeds, n_long, 512, tokenizer))
    # The batch-size and thread sweep: a slice of the seed corpus.
    write(os.path.join(args.out, "sweep.jsonl"), "sweep", [seeds[i % len(seeds)] for i in range(max(n_seeds // 4, 200))])
    # The distinct seed paragraphs, for the parity check.
    write(os.path.join(args.out, "parity.jsonl"), "parity", seeds)
    for n in args.stream:
        write(os.path.join(args.out, f"stream-{n}.jsonl"), "stream", [seeds[i % len(seeds)] for i in range(n)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
