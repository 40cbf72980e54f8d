#!/usr/bin/env bash
# End-to-end test of the Spark example: runs stance_job.py with local[2] on a
# synthetic corpus and checks its records and ranking against one
# `stance classify` process and `stance rank --from-records` over its
# output (tests/scale.rs shows that equals `stance rank` on the text).
#
#   examples/spark/test.sh            # about 10,000 paragraphs
#   PARAGRAPHS=2000 examples/spark/test.sh
#
# Installs what it needs: PySpark (by name, with pip, into a venv it
# creates) and, only where `java` is missing, a Java runtime with apt-get.
set -euo pipefail
cd "$(dirname "$0")/../.."

PARAGRAPHS=${PARAGRAPHS:-10000}
MASTER=${MASTER:-local[2]}
VENV=${STANCE_SPARK_VENV:-target/spark-venv}
WORK=${STANCE_SPARK_WORK:-target/spark-test}
STANCE=./target/release/stance

step() { echo "== $* ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"; }

step "java"
if ! command -v java >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends default-jre-headless
fi
java -version 2>&1 | head -1

step "pyspark"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import pyspark' >/dev/null 2>&1; then
    "$VENV/bin/pip" install --quiet pyspark
fi
"$VENV/bin/python" -c 'import pyspark; print("pyspark", pyspark.__version__)'
# Absolute, whether STANCE_SPARK_VENV was given relative or absolute.
VENV=$(cd "$VENV" && pwd)
export PYSPARK_PYTHON="$VENV/bin/python" PYSPARK_DRIVER_PYTHON="$VENV/bin/python"

step "stance"
cargo build --release --locked --quiet
MODEL=$("$STANCE" model fetch --quiet)
echo "model: $MODEL"

rm -rf "$WORK"
mkdir -p "$WORK"
step "corpus of $PARAGRAPHS paragraphs"
python3 examples/make_corpus.py --paragraphs "$PARAGRAPHS" > "$WORK/corpus.jsonl"
echo "$(wc -l < "$WORK/corpus.jsonl") documents"

step "single process"
start=$(date +%s)
# Through stdin, as a streaming consumer would; peak memory goes to single.time.
TIMED=()
if [ -x /usr/bin/time ]; then TIMED=(/usr/bin/time -v -o "$WORK/single.time"); fi
"${TIMED[@]}" "$STANCE" classify - --input jsonl --model "$MODEL" --quiet --format jsonl \
    < "$WORK/corpus.jsonl" > "$WORK/single-records.jsonl"
[ -f "$WORK/single.time" ] && grep -E "Maximum resident|Elapsed" "$WORK/single.time"
"$STANCE" rank --from-records "$WORK/single-records.jsonl" --format json > "$WORK/single-ranking.json"
echo "single process: $(wc -l < "$WORK/single-records.jsonl") records in $(( $(date +%s) - start )) s"

step "spark, $MASTER"
start=$(date +%s)
if ! "$VENV/bin/spark-submit" --master "$MASTER" --conf spark.ui.enabled=false \
        examples/spark/stance_job.py "$WORK/corpus.jsonl" "$WORK/spark" \
        --stance "$STANCE" --model "$MODEL" --stance-threads 1 \
        > "$WORK/spark.out" 2> "$WORK/spark.log"; then
    tail -n 40 "$WORK/spark.log"
    echo "spark job failed (log: $WORK/spark.log)"
    exit 1
fi
cat "$WORK/spark.out"
echo "spark job: $(( $(date +%s) - start )) s"

step "compare"
"$VENV/bin/python" examples/spark/compare.py "$WORK/spark" "$WORK/single-records.jsonl" "$WORK/single-ranking.json" \
    2> "$WORK/compare.log" || { tail -n 20 "$WORK/compare.log"; exit 1; }
