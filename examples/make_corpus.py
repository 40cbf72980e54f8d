#!/usr/bin/env python3
"""Writes a synthetic JSONL corpus for scale tests: documents of seed
paragraphs, reshuffled, with exactly the requested number of paragraphs.

    python3 examples/make_corpus.py --paragraphs 10000 > corpus.jsonl

Each document is {"id": "a0000001", "text": "..."} with 5 to 25 paragraphs,
one per line (the seeds' layout, so `stance` finds exactly one paragraph per
line). Paragraphs are drawn from every non-empty line of the seed articles,
boilerplate included, with a fixed random seed, so the same arguments always
give the same bytes. The texts repeat, which costs `stance` as much as new
text would: nothing is cached between paragraphs.
"""

import argparse
import json
import pathlib
import random
import sys


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, required=True, help="total paragraphs to write")
    parser.add_argument("--seeds", default=pathlib.Path(__file__).resolve().parent.parent / "seeds",
                        type=pathlib.Path, help="directory of seed articles (.txt)")
    parser.add_argument("--random-seed", type=int, default=2026)
    parser.add_argument("--prefix", default="a", help="id prefix")
    args = parser.parse_args()

    pool = [line.strip()
            for path in sorted(args.seeds.glob("*.txt"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    if not pool:
        sys.exit(f"make_corpus: no paragraphs under {args.seeds}")
    rng = random.Random(args.random_seed)
    out = sys.stdout
    left, n = args.paragraphs, 0
    while left > 0:
        size = min(left, rng.randint(5, 25))
        text = "\n".join(rng.choice(pool) for _ in range(size))
        n += 1
        out.write(json.dumps({"id": f"{args.prefix}{n:07d}", "text": text}, ensure_ascii=False) + "\n")
        left -= size


if __name__ == "__main__":
    main()
