#!/usr/bin/env python3
"""Runs the side-by-side benchmark and writes bench/results.{json,md} and
bench/throughput.svg. bench/run prepares everything and calls this; see the
README's "Benchmark" section.

Every timed system is its own child process, started with the thread count
in its environment, warmed up with one batch, then timed over a whole
corpus. Peak RSS comes from wait4() on that child. The machine load
(`uptime`) is recorded before and after each measurement, because the
figures are only as good as the machine was quiet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(BENCH)
STEPS = ["peak", "throughput", "cold", "parity", "sweep", "rss"]
SYSTEMS = ["stance-encoder", "stance-int8", "stance-e2e", "st", "ort-fp32", "ort-int8"]
LABELS = {
    "stance-encoder": "stance encoder (candle, fp32)",
    "stance-int8": "stance encoder, --precision int8",
    "stance-e2e": "stance classify, end to end",
    "st": "sentence-transformers (PyTorch fp32)",
    "ort-fp32": "ONNX Runtime fp32",
    "ort-int8": "ONNX Runtime dynamic int8",
}
LENGTH = {
    "stance-encoder": "windows of 256 (quarter overlap), all tokens read",
    "stance-int8": "windows of 256 (quarter overlap), all tokens read",
    "stance-e2e": "windows of 256 (quarter overlap), all tokens read",
    "st": "truncates at 256 tokens",
    "ort-fp32": "truncates at 256 tokens (as sentence-transformers)",
    "ort-int8": "truncates at 256 tokens (as sentence-transformers)",
}


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def load1() -> float:
    return round(os.getloadavg()[0], 2)


def spawn(cmd: list[str], env: dict | None = None, stdin_path: str | None = None,
          collect: bool = True) -> dict:
    """Runs a child to the end: its stdout lines (or their count), the time
    to its first line, wall time and peak RSS (MB) from wait4()."""
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    err = tempfile.TemporaryFile()
    start = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=stdin,
                             env={**os.environ, **(env or {})})
    first, lines, count = None, [], 0
    for line in child.stdout:
        if first is None:
            first = time.perf_counter() - start
        count += 1
        if collect:
            lines.append(line.decode())
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if stdin_path:
        stdin.close()
    if child.returncode != 0:
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-5:]
        raise SystemExit(f"failed ({child.returncode}): {' '.join(cmd)}\n" + "\n".join(tail))
    return {"lines": lines, "count": count, "first": first, "wall": wall,
            "maxrss_mb": round(usage.ru_maxrss / 1024, 1), "cpu": usage.ru_utime + usage.ru_stime}


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.work = args.work
        self.corpora = os.path.join(self.work, "corpora-quick" if args.quick else "corpora")
        cfg = json.load(open(os.path.join(args.model, "config.json")))
        h, i, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
        # Multiply-adds of the dense layers per token (Q, K, V, output
        # projection, two feed-forward matrices), two FLOPs each, and the
        # attention products QK^T and AV, which grow with sequence length n.
        self.flops_linear = 2 * layers * (4 * h * h + 2 * h * i)
        self.flops_attention = 4 * h * layers  # per token, times n
        self.results = self.previous()
        # Token counts of each corpus as the stance encoder reads them.
        self.counts: dict[str, dict] = {}

    def previous(self) -> dict:
        path = os.path.join(self.args.results, "results.json")
        if os.path.exists(path) and self.args.merge:
            return json.load(open(path))
        return {}

    # -- commands -----------------------------------------------------------
    def peer_cmd(self, system: str, threads: int, *extra: str) -> list[str]:
        return [sys.executable, os.path.join(BENCH, "peers.py"), "--system", system,
                "--threads", str(threads), "--model", self.args.model,
                "--onnx", os.path.join(self.work, "onnx"), *extra]

    def encoder_cmd(self, threads: int, *extra: str) -> list[str]:
        return [self.args.encoder_bin, "--model", self.args.model, "--threads", str(threads), *extra]

    def classify_cmd(self, threads: int, *extra: str) -> list[str]:
        return [self.args.stance, "--model", self.args.model, "--threads", str(threads), "--quiet",
                "classify", "--format", "jsonl", *extra]

    def corpus(self, name: str) -> str:
        return os.path.join(self.corpora, f"{name}.jsonl")

    # -- derived figures ----------------------------------------------------
    def row(self, r: dict, corpus: str, rss: float | None, before: float) -> dict:
        flops = r["tokens"] * self.flops_linear + r["tokens_sq"] * self.flops_attention
        peak = self.results.get("peak", {}).get("gflops", {}).get(str(r["threads"]))
        gflops = flops / r["seconds"] / 1e9
        cpu = r.get("cpu_seconds")
        return {
            **{k: r[k] for k in ("system", "threads", "batch_size", "paragraphs", "windows",
                                 "tokens", "padded_tokens", "seconds")},
            "corpus": corpus,
            "paragraphs_per_s": round(r["paragraphs"] / r["seconds"], 2),
            "tokens_per_s": round(r["tokens"] / r["seconds"], 1),
            # Per CPU-second of the process (all its threads): much steadier
            # than wall time when other work shares the cores.
            "cpu_seconds": round(cpu, 2) if cpu else None,
            "tokens_per_cpu_s": round(r["tokens"] / cpu, 1) if cpu else None,
            "mflop_per_token": round(flops / r["tokens"] / 1e6, 2),
            "gflops": round(gflops, 2),
            "peak_fraction": round(gflops / peak, 3) if peak else None,
            "maxrss_mb": rss,
            "load1_before": before,
            "load1_after": load1(),
        }

    # -- steps --------------------------------------------------------------
    def peak(self) -> None:
        """Practical fp32 peak: the best of large float32 matmuls in numpy
        (its bundled BLAS) and torch, at each thread count."""
        code = (
            "import os,sys,time;n=int(sys.argv[1])\n"
            "for v in ('OMP_NUM_THREADS','MKL_NUM_THREADS','OPENBLAS_NUM_THREADS'): os.environ[v]=str(n)\n"
            "import numpy as np, torch, json; torch.set_num_threads(n)\n"
            "size=int(sys.argv[2]); a=np.random.rand(size,size).astype(np.float32); b=a.copy()\n"
            "def best(f):\n"
            "  f(); r=[]\n"
            "  for _ in range(5):\n"
            "    t=time.perf_counter(); f(); r.append(time.perf_counter()-t)\n"
            "  return 2*size**3/min(r)/1e9\n"
            "ta,tb=torch.from_numpy(a),torch.from_numpy(b)\n"
            "print(json.dumps({'numpy':best(lambda: a@b),'torch':best(lambda: ta@tb)}))\n"
        )
        size = 2048 if self.args.quick else 4096
        out = {"matrix": size, "gflops": {}, "by_library": {}, "uptime": uptime()}
        for threads in self.args.threads:
            r = json.loads(spawn([sys.executable, "-c", code, str(threads), str(size)])["lines"][0])
            out["by_library"][str(threads)] = {k: round(v, 1) for k, v in r.items()}
            out["gflops"][str(threads)] = round(max(r.values()), 1)
            print(f"peak fp32, {threads} thread(s): {out['gflops'][str(threads)]} GFLOP/s "
                  f"(load {load1()})", flush=True)
        self.results["peak"] = out

    def measure(self, system: str, corpus: str, threads: int, batch_sizes: list[int]) -> list[dict]:
        """One child process for one system on one corpus; one row per batch size."""
        before = load1()
        path = self.corpus(corpus)
        bs = ",".join(map(str, batch_sizes))
        if system == "stance-encoder":
            r = spawn(self.encoder_cmd(threads, "--corpus", path, "--batch-sizes", bs))
        elif system == "stance-int8":
            r = spawn(self.encoder_cmd(threads, "--corpus", path, "--batch-sizes", bs, "--precision", "int8"))
        elif system == "stance-e2e":
            return [self.measure_e2e(corpus, threads, batch_sizes[0], before)]
        else:
            r = spawn(self.peer_cmd(system, threads, "--corpus", path, "--batch-sizes", bs))
        raw = [json.loads(line) for line in r["lines"]]
        if system == "stance-encoder":
            self.counts[corpus] = raw[0]
        rows = [self.row(x, corpus, r["maxrss_mb"], before) for x in raw]
        for row in rows:
            print(f"  {system:15} {corpus:6} t={threads} bs={row['batch_size']:<4} "
                  f"{row['paragraphs_per_s']:9.1f} par/s {row['tokens_per_s']:9.1f} tok/s "
                  f"rss {row['maxrss_mb']} MB (load {row['load1_after']})", flush=True)
        return rows

    def measure_e2e(self, corpus: str, threads: int, batch_size: int, before: float) -> dict:
        """`stance classify --format jsonl` on the corpus, less the same
        command on its first document alone (start-up and model load), so
        the figure is warm throughput."""
        path = self.corpus(corpus)
        one = os.path.join(self.work, f"first-{corpus}.jsonl")
        with open(path, encoding="utf-8") as f, open(one, "w", encoding="utf-8") as o:
            o.write(f.readline())
        bsz = ["--batch-size", str(batch_size)]
        bases = [spawn(self.classify_cmd(threads, *bsz, one), collect=False) for _ in range(2)]
        base = min(b["wall"] for b in bases)
        base_cpu = min(b["cpu"] for b in bases)
        full = spawn(self.classify_cmd(threads, *bsz, path), collect=False)
        # Tokens as the encoder reads them (windows included): the encoder
        # bench reports them for the same corpus.
        if corpus not in self.counts:
            self.measure("stance-encoder", corpus, threads, [batch_size])
        counts = self.counts[corpus]
        r = {**{k: counts[k] for k in ("tokens", "tokens_sq", "windows", "padded_tokens")},
             "system": "stance-e2e", "threads": threads, "batch_size": batch_size,
             "paragraphs": full["count"], "seconds": full["wall"] - base,
             "cpu_seconds": full["cpu"] - base_cpu}
        row = self.row(r, corpus, full["maxrss_mb"], before)
        row["startup_seconds"] = round(base, 3)
        print(f"  {'stance-e2e':15} {corpus:6} t={threads} bs={batch_size:<4} "
              f"{row['paragraphs_per_s']:9.1f} par/s {row['tokens_per_s']:9.1f} tok/s "
              f"rss {row['maxrss_mb']} MB (load {row['load1_after']})", flush=True)
        return row

    def throughput(self) -> None:
        # The seed corpus at every thread count first (the targets are
        # stated on it), then the other corpora; saved after each system so
        # that an interrupted run keeps what it measured.
        plan = [("seeds", t) for t in self.args.threads if "seeds" in self.args.corpora]
        top = max(self.args.threads)
        for corpus in [c for c in ["nyt", "long"] if c in self.args.corpora]:
            if not os.path.exists(self.corpus(corpus)):
                print(f"  skipping the {corpus} corpus: {self.corpus(corpus)} was not written", flush=True)
                continue
            plan += [(corpus, t) for t in self.args.threads if t == top or self.args.all_corpora]
        out = self.results["throughput"] = {"uptime_before": self.step_uptime, "rows": []}
        for corpus, threads in plan:
            for system in SYSTEMS:
                out["rows"] += self.measure(system, corpus, threads, [self.args.batch_size])
                out["uptime_after"] = uptime()
                self.save()

    def sweep(self) -> None:
        out = self.results["sweep"] = {"uptime_before": self.step_uptime, "rows": []}
        for threads in self.args.threads:
            for system in self.args.sweep_systems:
                out["rows"] += self.measure(system, "sweep", threads, self.args.sweep_batch_sizes)
                out["uptime_after"] = uptime()
                self.save()

    def cold(self) -> None:
        """Process start to the first output record for one seed article,
        the model on disk (the page cache is not dropped: the machine is
        shared)."""
        article = os.path.join(REPO, "seeds", sorted(f for f in os.listdir(os.path.join(REPO, "seeds"))
                                                     if f.startswith("000"))[0])
        threads = max(self.args.threads)
        runs = {
            "stance-e2e": lambda: spawn([self.args.stance, "--threads", str(threads), "--quiet",
                                         "classify", "--format", "jsonl", article]),
            "st": lambda: spawn(self.peer_cmd("st", threads, "--cold", article)),
            "ort-fp32": lambda: spawn(self.peer_cmd("ort-fp32", threads, "--cold", article)),
        }
        out = {"article": os.path.relpath(article, REPO), "threads": threads, "uptime": uptime(),
               "rows": []}
        for system, run in runs.items():
            before = load1()
            results = [run() for _ in range(self.args.cold_runs)]
            firsts = [r["first"] for r in results]
            out["rows"].append({"system": system, "first_record_s": round(statistics.median(firsts), 3),
                                "runs_s": [round(x, 3) for x in firsts],
                                "maxrss_mb": max(r["maxrss_mb"] for r in results),
                                "load1_before": before, "load1_after": load1()})
            print(f"  cold start {system:12} {statistics.median(firsts):.3f} s (load {load1()})", flush=True)
        self.results["cold_start"] = out

    def parity(self) -> None:
        import numpy as np

        path = self.corpus("parity")
        dumps = {}
        for system in ["stance-encoder", "stance-int8", "st", "ort-fp32", "ort-int8"]:
            dump = os.path.join(self.work, f"parity-{system}.f32")
            if system.startswith("stance-"):
                precision = "int8" if system == "stance-int8" else "fp32"
                spawn(self.encoder_cmd(2, "--corpus", path, "--batch-sizes", "32", "--dump", dump,
                                       "--precision", precision))
            else:
                spawn(self.peer_cmd(system, 2, "--corpus", path, "--batch-sizes", "32", "--dump", dump))
            dumps[system] = np.fromfile(dump, dtype="<f4").reshape(-1, 384)
        ref = dumps["st"]
        out = {"corpus": "the distinct seed paragraphs (all under 256 tokens)", "paragraphs": len(ref),
               "reference": "sentence-transformers", "tolerance": 1e-4, "max_abs_diff": {}}
        # The quantised systems are not meant to be within 1e-4; how far
        # they move a vector is the cosine to the reference (all unit length).
        out["min_cosine"] = {}
        for system, vectors in dumps.items():
            if system != "st":
                out["max_abs_diff"][system] = float(np.abs(vectors - ref).max())
                out["min_cosine"][system] = float((vectors * ref).sum(axis=1).min())
        out["stance_within_tolerance"] = out["max_abs_diff"]["stance-encoder"] <= 1e-4
        print(f"  parity: {out['max_abs_diff']}, min cosine {out['min_cosine']}", flush=True)
        self.results["parity"] = out

    def rss(self) -> None:
        """Peak RSS of `stance classify - --input jsonl` on growing streams:
        flat figures mean memory does not grow with the input."""
        rows = []
        for n in self.args.stream:
            before = load1()
            path = os.path.join(self.corpora, f"stream-{n}.jsonl")
            r = spawn(self.classify_cmd(max(self.args.threads), "-", "--input", "jsonl"),
                      stdin_path=path, collect=False)
            if r["count"] != n:
                raise SystemExit(f"stream of {n} paragraphs gave {r['count']} records")
            rows.append({"paragraphs": n, "maxrss_mb": r["maxrss_mb"], "wall_s": round(r["wall"], 1),
                         "paragraphs_per_s": round(n / r["wall"], 1),
                         "load1_before": before, "load1_after": load1()})
            print(f"  stream {n}: peak RSS {r['maxrss_mb']} MB, {r['wall']:.0f} s (load {load1()})",
                  flush=True)
        self.results["rss_stream"] = {"threads": max(self.args.threads), "uptime": uptime(), "rows": rows}

    def run(self) -> None:
        self.results.update({
            "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "quick": self.args.quick,
            "machine": machine(),
            "model": {"dir": os.path.basename(self.args.model.rstrip("/")),
                      "mflop_per_token_linear": round(self.flops_linear / 1e6, 2),
                      "kflop_per_token_per_position_attention": round(self.flops_attention / 1e3, 2)},
            "versions": versions(),
            "length_handling": LENGTH,
        })
        for step in self.args.steps:
            self.step_uptime = uptime()
            print(f"== {step} ({self.step_uptime})", flush=True)
            getattr(self, step)()
            self.save()
        import report

        report.write(self.results, self.args.results)

    def save(self) -> None:
        os.makedirs(self.args.results, exist_ok=True)
        with open(os.path.join(self.args.results, "results.json"), "w") as f:
            json.dump(self.results, f, indent=1)
            f.write("\n")


def machine() -> dict:
    cpu = ""
    flags = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and not cpu:
                cpu = line.split(":", 1)[1].strip()
            if line.startswith("flags") and not flags:
                flags = line.split(":", 1)[1]
    return {"cpu": cpu, "cores": os.cpu_count(), "avx512f": " avx512f" in flags,
            "python": platform.python_version()}


def versions() -> dict:
    # From the installed metadata, not by importing: torch in this process
    # would make every child's peak RSS start at torch's size, since Linux
    # carries the high-water mark of a forked process across exec.
    from importlib import metadata

    out = {}
    for name in ["torch", "sentence-transformers", "transformers", "onnxruntime", "numpy"]:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True)
    p.add_argument("--stance", required=True, help="the release binary")
    p.add_argument("--encoder-bin", required=True, help="the encoder bench binary")
    p.add_argument("--work", required=True)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--results", default=BENCH, help="directory for the results files [default: bench/]")
    p.add_argument("--steps", default=",".join(STEPS))
    p.add_argument("--merge", action="store_true", help="keep other steps' figures from results.json")
    p.add_argument("--threads", default="2,1")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--sweep-batch-sizes", default="1,8,32,64,128")
    p.add_argument("--sweep-systems", default="stance-encoder,stance-int8,st,ort-fp32,ort-int8")
    p.add_argument("--all-corpora", action="store_true",
                   help="every corpus at every thread count (default: the seed corpus only below the most threads)")
    p.add_argument("--corpora", default="seeds,nyt,long", help="corpora of the throughput step")
    p.add_argument("--stream", default="1000,10000", help="paragraph counts of the memory runs")
    p.add_argument("--cold-runs", type=int, default=5)
    args = p.parse_args()
    args.steps = [s for s in args.steps.split(",") if s]
    for s in args.steps:
        if s not in STEPS:
            p.error(f"unknown step {s!r} (steps: {','.join(STEPS)})")
    args.threads = [int(t) for t in args.threads.split(",")]
    args.sweep_systems = [x for x in args.sweep_systems.split(",") if x]
    args.sweep_batch_sizes = [int(b) for b in args.sweep_batch_sizes.split(",")]
    args.stream = [int(n) for n in args.stream.split(",") if n]
    sys.path.insert(0, BENCH)
    Bench(args).run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
