#!/usr/bin/env python3
"""Classify and rank a JSONL corpus with `stance` under Apache Spark.

    spark-submit examples/spark/stance_job.py INPUT OUTPUT \\
        --stance target/release/stance \\
        --model ~/.cache/stance/models/sentence-transformers--all-MiniLM-L6-v2

INPUT is JSONL documents ({"id": ..., "text": ...}, one per line) at any
path Spark reads: a local path, hdfs://, s3a://, gs://, a directory or a
glob. Every document needs an "id": the default id of `stance` (file stem
and line) would depend on how Spark splits the input.

Each partition is piped through one `stance classify - --input jsonl`
process (RDD.pipe). The records go to OUTPUT/records as Parquet; the article
ranking, computed by a Spark aggregation over those records with the
formula and tie rules of `stance rank`, goes to OUTPUT/ranking (Parquet) and
OUTPUT/ranking-json (JSON lines, ordered by rank).

The binary and the model reach the executors in one of two ways:

* shipped with the job (the default): SparkContext.addFile copies the
  binary and the model directory to every executor, where they land in the
  executor's working directory (in local mode, under SparkFiles' root);
* --no-ship: the --stance and --model paths already exist on every node
  (an image, a shared file system).

The binary must run on the executors' platform (build it there, or build a
static one). `stance` uses --stance-threads threads per process; give Spark
one core per process (spark.task.cpus, or local[N] with N processes) so
processes do not fight over cores.
"""

import argparse
import json
import os
import sys
import time

from pyspark import SparkFiles
from pyspark.sql import SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

SCORES = lambda *names: T.StructType([T.StructField(n, T.DoubleType()) for n in names])  # noqa: E731

# The `classify --format jsonl` record, field for field (README, "Output contract").
RECORD_SCHEMA = T.StructType([
    T.StructField("article", T.StringType(), False),
    T.StructField("paragraph", T.LongType(), False),
    T.StructField("text", T.StringType()),
    T.StructField("boilerplate", T.BooleanType()),
    T.StructField("stance", T.StringType()),
    T.StructField("stance_scores", SCORES("likely", "unlikely", "neutral")),
    T.StructField("sentiment", T.StringType()),
    T.StructField("sentiment_scores", SCORES("positive", "negative", "neutral")),
    T.StructField("sentiment_score", T.DoubleType()),
    T.StructField("speaker", T.StringType()),
    T.StructField("speaker_role", T.StringType()),
    T.StructField("quotes", T.ArrayType(T.StringType())),
])

# Records carry scores with 6 decimals; summing them as decimals is exact,
# so the ranking does not depend on the order Spark adds them in.
EXACT = T.DecimalType(38, 6)


def parse_args(argv):
    p = argparse.ArgumentParser(description="Classify and rank JSONL documents with stance under Spark.")
    p.add_argument("input", help="JSONL documents (any Hadoop-compatible path or glob)")
    p.add_argument("output", help="output directory (records/, ranking/, ranking-json/)")
    p.add_argument("--stance", required=True, help="the stance binary")
    p.add_argument("--model", required=True, help="the encoder directory (config.json, tokenizer.json, model.safetensors)")
    p.add_argument("--no-ship", dest="ship", action="store_false",
                   help="use --stance and --model as paths present on every node instead of shipping them")
    p.add_argument("--partitions", type=int, default=None,
                   help="stance processes (default: Spark's default parallelism)")
    p.add_argument("--stance-threads", type=int, default=1, help="threads per stance process")
    p.add_argument("--batch-size", type=int, default=None, help="stance --batch-size")
    return p.parse_args(argv)


def executor_path(sc, local_path, ship):
    """Where the executors find a file: as given, or where addFile puts it."""
    if not ship:
        return os.path.abspath(local_path)
    sc.addFile(local_path, recursive=os.path.isdir(local_path))
    name = os.path.basename(os.path.normpath(local_path))
    # Executors download added files into their working directory, which is
    # where the piped process starts. In local mode the driver is the
    # executor and keeps them under SparkFiles' root instead.
    if sc.master.startswith("local"):
        return os.path.join(SparkFiles.getRootDirectory(), name)
    return os.path.join(".", name)


def check_id(line):
    """Passes a document line through, refusing one without an id."""
    doc = json.loads(line)
    if not isinstance(doc, dict) or doc.get("id") in (None, ""):
        raise ValueError(f"every document needs an \"id\" under Spark: {line[:80]!r}")
    return line


def ranking(records):
    """`stance rank` as a Spark aggregation over classify records.

    score = mean over non-boilerplate paragraphs of P(likely) - P(unlikely),
    rounded to 6 decimals (0 for an article with none); ranked by score,
    highest first, ties to the smaller article id. Evidence per side: the
    paragraph predicted for that side with the highest probability, ties to
    the smaller paragraph number.
    """
    scored = ~F.col("boilerplate")
    diff = F.col("stance_scores.likely").cast(EXACT) - F.col("stance_scores.unlikely").cast(EXACT)

    def count(condition):
        return F.count(F.when(condition, True))

    def evidence(side):
        best = F.max(F.when(scored & (F.col("stance") == side),
                            F.struct(F.col(f"stance_scores.{side}").alias("probability"),
                                     (-F.col("paragraph")).alias("earlier"),
                                     F.col("paragraph"), F.col("text"))))
        return best.alias(f"{side}_evidence")

    per_article = records.groupBy("article").agg(
        F.sum(F.when(scored, diff)).alias("total"),
        count(scored).alias("paragraphs"),
        count(scored & (F.col("stance") == "likely")).alias("likely"),
        count(scored & (F.col("stance") == "unlikely")).alias("unlikely"),
        count(scored & (F.col("stance") == "neutral")).alias("neutral"),
        evidence("likely"),
        evidence("unlikely"),
    )
    score = F.when(F.col("paragraphs") == 0, F.lit(0.0)).otherwise(
        F.round(F.col("total") / F.col("paragraphs"), 6).cast("double"))

    def side(name):
        e = F.col(f"{name}_evidence")
        return F.when(e.isNotNull(), F.struct(e.paragraph.alias("paragraph"), e.probability.alias("probability"),
                                              e.text.alias("text")))

    # One global order: fine for millions of articles (one sorted partition
    # of small rows); for more, rank within score ranges instead.
    order = Window.orderBy(F.col("score").desc(), F.col("article").asc())
    return (per_article
            .withColumn("score", score)
            .withColumn("rank", F.row_number().over(order))
            .select("article", "rank", "score", "paragraphs", "likely", "unlikely", "neutral",
                    F.struct(side("likely").alias("likely"), side("unlikely").alias("unlikely")).alias("evidence")))


def main(argv):
    args = parse_args(argv)
    spark = SparkSession.builder.appName("stance").getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")

    binary = executor_path(sc, args.stance, args.ship)
    model = executor_path(sc, args.model, args.ship)
    command = [binary, "classify", "-", "--input", "jsonl", "--format", "jsonl", "--quiet",
               "--model", model, "--threads", str(args.stance_threads)]
    if args.batch_size:
        command += ["--batch-size", str(args.batch_size)]

    partitions = args.partitions or sc.defaultParallelism
    documents = (sc.textFile(args.input, minPartitions=partitions)
                 .filter(lambda line: line.strip())
                 .map(check_id))
    if documents.getNumPartitions() != partitions:
        documents = documents.repartition(partitions)
    # checkCode: a stance process that fails (bad input, no model) fails the task.
    # The piped process gets only this environment: stance needs none of it
    # beyond a writable temporary directory for its hash memo.
    lines = documents.pipe(" ".join(command), env={"TMPDIR": "/tmp"}, checkCode=True)

    started = time.time()
    (spark.read.schema(RECORD_SCHEMA).option("mode", "FAILFAST").json(lines)
     .write.mode("overwrite").parquet(f"{args.output}/records"))
    classified = time.time() - started

    records = spark.read.parquet(f"{args.output}/records")
    paragraphs = records.count()
    started = time.time()
    ranked = ranking(records).cache()
    ranked.write.mode("overwrite").parquet(f"{args.output}/ranking")
    (ranked.orderBy("rank").coalesce(1).write.mode("overwrite")
     .option("ignoreNullFields", "false").json(f"{args.output}/ranking-json"))
    articles = ranked.count()
    ranked_in = time.time() - started

    print(json.dumps({
        "partitions": partitions,
        "stance_threads": args.stance_threads,
        "paragraphs": paragraphs,
        "articles": articles,
        "classify_seconds": round(classified, 2),
        "paragraphs_per_second": round(paragraphs / classified, 2),
        "rank_seconds": round(ranked_in, 2),
    }))
    spark.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
