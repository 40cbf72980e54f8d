#!/usr/bin/env python3
"""Checks a Spark run of stance_job.py against single-process output.

    python3 examples/spark/compare.py SPARK_OUTPUT RECORDS.jsonl RANKING.json

RECORDS.jsonl is `stance classify --format jsonl` and RANKING.json is
`stance rank --format json` over the same documents. Records must match on
every field, scores within 1e-6; the ranking must hold the same articles
with the same counts and evidence, scores within 1e-6, in the same order
(two articles may only swap where their scores are within 1e-6). Prints a
one-line summary; exits 1 on the first kind of mismatch found.
"""

import json
import sys

from pyspark.sql import SparkSession

TOLERANCE = 1e-6 + 1e-12  # 1e-6, plus room for the doubles' own rounding
SCORE_FIELDS = {"stance_scores", "sentiment_scores", "sentiment_score"}


def numbers(record):
    """The record's scores as a flat dict."""
    out = {"sentiment_score": record["sentiment_score"]}
    for group in ("stance_scores", "sentiment_scores"):
        for k, v in record[group].items():
            out[f"{group}.{k}"] = v
    return out


def fail(message):
    print(f"compare: FAIL: {message}")
    sys.exit(1)


def main(spark_dir, records_path, ranking_path):
    spark = SparkSession.builder.appName("stance-compare").getOrCreate()
    got = {(r["article"], r["paragraph"]): r.asDict(recursive=True)
           for r in spark.read.parquet(f"{spark_dir}/records").collect()}
    got_rank = [r.asDict(recursive=True) for r in spark.read.parquet(f"{spark_dir}/ranking").orderBy("rank").collect()]
    spark.stop()

    with open(records_path, encoding="utf-8") as f:
        want = {(r["article"], r["paragraph"]): r for r in map(json.loads, f)}
    if set(got) != set(want):
        fail(f"records differ: {len(set(want) - set(got))} missing, {len(set(got) - set(want))} extra")
    worst = 0.0
    for key, w in want.items():
        g = got[key]
        for field in w:
            if field not in SCORE_FIELDS and g[field] != w[field]:
                fail(f"record {key} field {field}: {g[field]!r} != {w[field]!r}")
        gn, wn = numbers(g), numbers(w)
        worst = max([worst] + [abs(gn[k] - wn[k]) for k in wn])
    if worst > TOLERANCE:
        fail(f"record scores differ by up to {worst:g}")

    with open(ranking_path, encoding="utf-8") as f:
        want_rank = json.load(f)
    if [r["article"] for r in got_rank] != [r["article"] for r in want_rank]:
        by_article = {r["article"]: r for r in want_rank}
        if sorted(by_article) != sorted(r["article"] for r in got_rank):
            fail("ranked articles differ")
        for g, w in zip(got_rank, want_rank):
            if g["article"] != w["article"] and abs(g["score"] - w["score"]) > TOLERANCE:
                fail(f"rank {w['rank']}: {g['article']} != {w['article']}")
    worst_rank = 0.0
    by_article = {r["article"]: r for r in got_rank}
    for w in want_rank:
        g = by_article[w["article"]]
        for field in ("paragraphs", "likely", "unlikely", "neutral"):
            if g[field] != w[field]:
                fail(f"article {w['article']} {field}: {g[field]} != {w[field]}")
        worst_rank = max(worst_rank, abs(g["score"] - w["score"]))
        for side in ("likely", "unlikely"):
            ge, we = g["evidence"][side], w["evidence"][side]
            if (ge is None) != (we is None) or (we and (ge["paragraph"], ge["text"]) != (we["paragraph"], we["text"])):
                fail(f"article {w['article']} {side} evidence differs")
            if we:
                worst_rank = max(worst_rank, abs(ge["probability"] - we["probability"]))
    if worst_rank > TOLERANCE:
        fail(f"ranking scores differ by up to {worst_rank:g}")
    print(f"compare: OK: {len(want)} records (largest score difference {worst:g}), "
          f"{len(want_rank)} articles (largest score difference {worst_rank:g})")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
