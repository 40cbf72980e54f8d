"""Writes bench/results.md and bench/throughput.svg from the results
dictionary that bench/bench.py builds (and saves as bench/results.json).

    python bench/report.py      # re-render from bench/results.json
"""

from __future__ import annotations

import json
import os
import sys

NAMES = {
    "stance-encoder": "stance encoder",
    "stance-int8": "stance encoder, --precision int8",
    "stance-e2e": "stance classify (end to end)",
    "sentence-transformers": "sentence-transformers (PyTorch fp32)",
    "onnxruntime-fp32": "ONNX Runtime fp32",
    "onnxruntime-int8": "ONNX Runtime int8 (dynamic)",
}
KEYS = {  # result system name -> key of the length-handling note
    "stance-encoder": "stance-encoder", "stance-int8": "stance-int8", "stance-e2e": "stance-e2e",
    "sentence-transformers": "st", "onnxruntime-fp32": "ort-fp32", "onnxruntime-int8": "ort-int8",
}
ORDER = list(NAMES)
QUICK = (" --quick: corpora a tenth the full size (200 seed paragraphs, 520 NYT sentences, "
         "20 long documents, a sweep corpus of 200), so each figure rests on a shorter timing")
CORPORA = {
    "seeds": "the seed paragraphs, cycled (2,000 in a full run)",
    "nyt": "the NYT editorial sentences (5,190 in a full run)",
    "long": "documents of more than 512 tokens, seed paragraphs joined (200 in a full run)",
    "sweep": "the first quarter of the seed corpus, at least 200 paragraphs",
}


def fmt(x, digits=0) -> str:
    if x is None:
        return "–"
    return f"{x:,.{digits}f}"


def pct(x) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def find(rows, **kw):
    for r in rows:
        if all(r.get(k) == v for k, v in kw.items()):
            return r
    return None


def cell(r) -> str:
    if not r:
        return "–"
    cpu = r.get("tokens_per_cpu_s")
    return fmt(r["tokens_per_s"]) + (f" ({fmt(cpu)})" if cpu else "")


def targets(res: dict) -> list[str]:
    lines = []
    rows = res.get("throughput", {}).get("rows", [])
    threads = sorted({r["threads"] for r in rows if r["corpus"] == "seeds"}, reverse=True)
    # (our system, its name in the table, the peer with its fp32 or int8
    # twin and name, the factor over it, the factor over sentence-transformers)
    goals = [("stance-encoder", "encoder", "onnxruntime-fp32", "ONNX Runtime fp32", 1.15),
             ("stance-int8", "int8 encoder", "onnxruntime-int8", "ONNX Runtime int8", 1.5)]
    for t in threads:
        st = find(rows, system="sentence-transformers", corpus="seeds", threads=t)
        for ours, name, peer, peer_name, over_st in goals:
            enc = find(rows, system=ours, corpus="seeds", threads=t)
            ort = find(rows, system=peer, corpus="seeds", threads=t)
            if not (enc and ort and st):
                continue
            for key, what in (("tokens_per_s", "wall"), ("tokens_per_cpu_s", "CPU")):
                if not (enc.get(key) and ort.get(key) and st.get(key)):
                    continue
                a, b = enc[key] / ort[key], enc[key] / st[key]
                lines.append(f"| {name} tokens/s ≥ 1.0× {peer_name}, {t} thread(s), seeds, "
                             f"per {what}-second | {a:.2f}× | {'holds' if a >= 1.0 else 'missed'} |")
                lines.append(f"| {name} tokens/s ≥ {over_st:g}× sentence-transformers, {t} thread(s), seeds, "
                             f"per {what}-second | {b:.2f}× | {'holds' if b >= over_st else 'missed'} |")
    cold = find(res.get("cold_start", {}).get("rows", []), system="stance-e2e")
    if cold:
        lines.append(f"| cold start < 1 s (first record of one article) | {cold['first_record_s']:.2f} s "
                     f"(load {cold['load1_before']}) | {'holds' if cold['first_record_s'] < 1 else 'missed'} |")
    stream = res.get("rss_stream", {}).get("rows", [])
    if stream:
        last = max(stream, key=lambda r: r["paragraphs"])
        verdict = "holds" if last["maxrss_mb"] < 300 else "missed"
        if last["paragraphs"] < 100_000:
            sizes = ", ".join(f"{r['maxrss_mb']:.0f} MB at {r['paragraphs']:,}" for r in stream)
            note = f" ({sizes} paragraphs; 100,000 not run)"
            if len(stream) >= 2:
                a, b = sorted(stream, key=lambda r: r["paragraphs"])[-2:]
                est = b["maxrss_mb"] + (b["maxrss_mb"] - a["maxrss_mb"]) / (b["paragraphs"] - a["paragraphs"]) \
                    * (100_000 - b["paragraphs"])
                verdict += f" at {b['paragraphs']:,}; a straight line gives {est:.0f} MB at 100,000 (not measured)"
        else:
            note = ""
        lines.append(f"| peak RSS < 300 MB on a 100,000-paragraph stream | {last['maxrss_mb']:.0f} MB{note} "
                     f"| {verdict} |")
    return lines


def markdown(res: dict) -> str:
    out = []
    peak = res.get("peak", {})
    out.append("# Benchmark results\n")
    out.append(f"Generated {res.get('generated')} by `bench/run`"
               f"{QUICK if res.get('quick') else ''}. "
               f"Machine: {res['machine']['cpu']}, {res['machine']['cores']} cores"
               f"{', AVX-512' if res['machine'].get('avx512f') else ''}. "
               "The machine is shared: every figure carries the 1-minute load average "
               "(`uptime`) around it; figures taken under a load above the core count "
               "understate every system.\n")
    v = res.get("versions", {})
    out.append("Versions: " + ", ".join(f"{k} {x}" for k, x in v.items() if x) + ".\n")
    m = res.get("model", {})
    if peak:
        out.append(f"**Practical fp32 peak** (best of numpy and torch on a {peak['matrix']}² float32 "
                   "matmul): " + ", ".join(f"{g} GFLOP/s at {t} thread(s)" for t, g in peak["gflops"].items())
                   + f". Load then: `{peak['uptime']}`.\n")
    out.append(f"**Model cost**: {m.get('mflop_per_token_linear')} MFLOP per token in the dense layers, "
               f"plus {m.get('kflop_per_token_per_position_attention')} kFLOP per token per position "
               "for attention (QKᵀ and AV), so about 22 MFLOP a token at 60-token paragraphs. "
               "GFLOP/s and % of peak count only this useful work on real (unpadded) tokens; for "
               "int8 the figure is the fp32-equivalent rate, so it can pass 100%. The peak is taken "
               "in the same run, under the same load, so on a crowded machine it is low as well "
               "(issue #8 measured about 255 GFLOP/s at two threads on a quiet one).\n")

    tp = res.get("throughput")
    if tp:
        out.append("## Throughput, all systems side by side\n")
        out.append(f"Batch size {tp['rows'][0]['batch_size']} for every system; each warm after one "
                   "warm-up batch; one process per system and corpus. Real tokens are the ids each "
                   "system feeds the model, padding excluded, counted with the model's tokenizer. "
                   f"Load before: `{tp['uptime_before']}`; after: `{tp['uptime_after']}`."
                   + (f" How this table was put together: {tp['note']}." if tp.get("note") else "") + "\n")
        out.append("| corpus (paragraphs) | threads | system | paragraphs/s | real tokens/s | GFLOP/s | % of peak "
                   "| tokens per CPU-second | peak RSS (MB) | load |")
        out.append("|---|---|---|---|---|---|---|---|---|---|")
        rows = tp["rows"]
        for corpus in CORPORA:
            for t in sorted({r["threads"] for r in rows}, reverse=True):
                for system in ORDER:
                    r = find(rows, system=system, corpus=corpus, threads=t)
                    if r:
                        out.append(f"| {corpus} ({r['paragraphs']:,}) | {t} | {NAMES[system]} | {fmt(r['paragraphs_per_s'], 1)} | "
                                   f"{fmt(r['tokens_per_s'])} | {fmt(r['gflops'], 1)} | {pct(r['peak_fraction'])} | "
                                   f"{fmt(r.get('tokens_per_cpu_s'))} | {fmt(r['maxrss_mb'])} | {r['load1_before']}→{r['load1_after']} |")
        out.append("")
        out.append("Tokens per CPU-second divide the real tokens by the CPU time (user + system, all "
                   "threads) the process spent in the timed pass: on a crowded machine it moves far "
                   "less than wall-clock throughput, and at one thread it estimates what an idle core "
                   "would do (at two threads it also charges spin-waiting in the thread pools).\n")
        out.append("Corpora: " + "; ".join(f"`{k}`: {v}" for k, v in CORPORA.items() if k != "sweep") + ".\n")
        out.append("Length handling: " + "; ".join(
            f"{NAMES[s]}: {res['length_handling'][KEYS[s]]}" for s in ORDER) +
            ". So on `long` stance reads every token (more tokens, fewer paragraphs/s) while the "
            "Python peers read only the first 256.\n")
        out.append("`stance classify` end to end is the wall time of `stance classify --format jsonl` "
                   "on the corpus less that of the same command on its first document (start-up, "
                   "model and head loading); its tokens/s counts the paragraph tokens only, though "
                   "the sentiment head also embeds quoted words separately where a paragraph quotes "
                   "its speaker.\n")

    sw = res.get("sweep")
    if sw:
        out.append("## Throughput against batch size and threads\n")
        out.append("Real tokens per wall-clock second, and in brackets per CPU-second where measured.\n")
        out.append(f"Corpus `sweep` ({CORPORA['sweep']}). Load before: `{sw['uptime_before']}`; "
                   f"after: `{sw['uptime_after']}`. Chart: [throughput.svg](throughput.svg)."
                   + (f" How this table was put together: {sw['note']}." if sw.get("note") else "") + "\n")
        sizes = sorted({r["batch_size"] for r in sw["rows"]})
        out.append("| system | threads | " + " | ".join(f"batch {b}" for b in sizes) + " |")
        out.append("|---|---|" + "---|" * len(sizes))
        for t in sorted({r["threads"] for r in sw["rows"]}, reverse=True):
            for system in ORDER:
                cells = [find(sw["rows"], system=system, threads=t, batch_size=b) for b in sizes]
                if any(cells):
                    out.append(f"| {NAMES[system]} | {t} | " +
                               " | ".join(cell(c) for c in cells) + " |")
        out.append("")

    cs = res.get("cold_start")
    if cs:
        out.append("## Cold start\n")
        out.append(f"Process start to the first output record for `{cs['article']}`, model on disk "
                   f"(page cache not dropped: the machine is shared), {cs['threads']} threads, median "
                   f"of the runs listed. The Python peers load their model and embed the article's "
                   f"paragraphs, then print. Load: `{cs['uptime']}`.\n")
        out.append("| system | first record (s) | runs (s) | peak RSS (MB) | load |")
        out.append("|---|---|---|---|---|")
        for r in cs["rows"]:
            name = {"stance-e2e": "stance classify", "st": NAMES["sentence-transformers"],
                    "ort-fp32": NAMES["onnxruntime-fp32"]}[r["system"]]
            out.append(f"| {name} | {r['first_record_s']:.3f} | {', '.join(f'{x:.2f}' for x in r['runs_s'])} | "
                       f"{fmt(r['maxrss_mb'])} | {r['load1_before']}→{r['load1_after']} |")
        out.append("")

    pa = res.get("parity")
    if pa:
        out.append("## Parity\n")
        out.append(f"Embeddings of {pa['paragraphs']} paragraphs, {pa['corpus']}, against "
                   f"{pa['reference']}; tolerance {pa['tolerance']:g}.\n")
        out.append("| system | max abs diff | lowest cosine | within 1e-4 |")
        out.append("|---|---|---|---|")
        cosines = pa.get("min_cosine", {})
        for s, d in pa["max_abs_diff"].items():
            out.append(f"| {NAMES.get({'st': 'sentence-transformers', 'ort-fp32': 'onnxruntime-fp32', 'ort-int8': 'onnxruntime-int8'}.get(s, s), s)} "
                       f"| {d:.2e} | {fmt(cosines.get(s), 4)} | {'yes' if d <= pa['tolerance'] else 'no'} |")
        out.append("\n(int8 is not expected to match: it is a different, quantised model; the lowest "
                   "cosine to the reference vector says how far it moves one.)\n")

    rs = res.get("rss_stream")
    if rs:
        out.append("## Memory on a stream\n")
        out.append(f"`stance classify - --input jsonl` fed N one-paragraph documents on stdin, "
                   f"{rs['threads']} threads. Load at the end: `{rs['uptime']}`.\n")
        out.append("| paragraphs | peak RSS (MB) | wall (s) | paragraphs/s | load |")
        out.append("|---|---|---|---|---|")
        for r in rs["rows"]:
            out.append(f"| {r['paragraphs']:,} | {r['maxrss_mb']:.0f} | {r['wall_s']:.0f} | "
                       f"{r['paragraphs_per_s']:.1f} | {r['load1_before']}→{r['load1_after']} |")
        out.append("")
        big = [r for r in rs["rows"] if r["paragraphs"] >= 100_000]
        if not big and len(rs["rows"]) >= 2:
            a, b = sorted(rs["rows"], key=lambda r: r["paragraphs"])[-2:]
            slope = (b["maxrss_mb"] - a["maxrss_mb"]) / (b["paragraphs"] - a["paragraphs"])
            est = b["maxrss_mb"] + slope * (100_000 - b["paragraphs"])
            out.append(f"100,000 paragraphs were not run (about {100_000 / b['paragraphs_per_s'] / 3600:.1f} h "
                       f"at this rate). A straight line through the last two points gives "
                       f"{max(est, b['maxrss_mb']):.0f} MB at 100,000: an extrapolation, not a measurement.\n")

    t = targets(res)
    if t:
        out.append("## Targets of issue #8\n")
        out.append("| target | measured | |")
        out.append("|---|---|---|")
        out.extend(t)
        out.append("")
    return "\n".join(out)


def chart(res: dict, path: str) -> None:
    sw = res.get("sweep")
    if not sw:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    plt.rcParams["svg.hashsalt"] = "stance-bench"
    threads = sorted({r["threads"] for r in sw["rows"]})
    fig, axes = plt.subplots(1, len(threads), figsize=(5 * len(threads), 4), sharey=True, squeeze=False)
    for ax, t in zip(axes[0], threads):
        for system in ORDER:
            rows = sorted((r for r in sw["rows"] if r["system"] == system and r["threads"] == t),
                          key=lambda r: r["batch_size"])
            if rows:
                ax.plot([r["batch_size"] for r in rows], [r["tokens_per_s"] for r in rows],
                        marker="o", label=NAMES[system])
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({r["batch_size"] for r in sw["rows"]}))
        ax.xaxis.set_major_formatter(matplotlib.ticker.ScalarFormatter())
        ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
        ax.set_title(f"{t} thread{'s' if t > 1 else ''}")
        ax.set_xlabel("batch size")
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("real tokens/s")
    axes[0][-1].legend(fontsize=8)
    when = " ".join(sw["uptime_before"].split()[:1])
    fig.suptitle(f"Encoder throughput, seed paragraphs ({when} UTC, "
                 f"load {sw['rows'][0]['load1_before']}–{sw['rows'][-1]['load1_after']})", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, format="svg", metadata={"Date": None})
    plt.close(fig)


def summary(res: dict) -> str:
    """The README's table: every system side by side, one row per thread count."""
    tp = res.get("throughput")
    if not tp:
        return ""
    rows = tp["rows"]
    peak = res.get("peak", {}).get("gflops", {})
    out = [f"Latest run ({res.get('generated')}{', with --quick corpora, a tenth the full size' if res.get('quick') else ''}; load average before and after: "
           f"{tp['uptime_before'].split('load average:')[-1].strip()} / "
           f"{tp.get('uptime_after', '').split('load average:')[-1].strip()}"
           + ("; fp32 peak " + ", ".join(f"{g} GFLOP/s at {t} thread(s)" for t, g in peak.items()) if peak else "")
           + "). Real tokens/s at batch size 32; details in "
           "[bench/results.md](bench/results.md)."
           + (f" How this table was put together: {tp['note']}." if tp.get("note") else "") + "\n",
           "| system | threads | seeds tokens/s | seeds paragraphs/s | % of peak | seeds tokens per CPU-s "
           "| NYT tokens/s | long tokens/s | peak RSS (MB) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for t in sorted({r["threads"] for r in rows}, reverse=True):
        for system in ORDER:
            seeds = find(rows, system=system, corpus="seeds", threads=t)
            if not seeds:
                continue
            nyt = find(rows, system=system, corpus="nyt", threads=t)
            long = find(rows, system=system, corpus="long", threads=t)
            out.append(f"| {NAMES[system]} | {t} | {fmt(seeds['tokens_per_s'])} | "
                       f"{fmt(seeds['paragraphs_per_s'], 1)} | {pct(seeds['peak_fraction'])} | "
                       f"{fmt(seeds.get('tokens_per_cpu_s'))} | {fmt(nyt['tokens_per_s']) if nyt else '–'} | {fmt(long['tokens_per_s']) if long else '–'} | "
                       f"{fmt(seeds['maxrss_mb'])} |")
    t = targets(res)
    if t:
        out += ["", "| target (issue #8) | measured | |", "|---|---|---|", *t]
    return "\n".join(out) + "\n"


def update_readme(res: dict, readme: str) -> None:
    """Replaces the block between the bench-table markers, if present."""
    start, end = "<!-- bench-table -->", "<!-- /bench-table -->"
    if not os.path.exists(readme):
        return
    text = open(readme, encoding="utf-8").read()
    if start not in text:
        return
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1] if end in rest else rest
    with open(readme, "w", encoding="utf-8") as f:
        f.write(f"{head}{start}\n{summary(res)}{end}{tail}")


def write(res: dict, bench_dir: str) -> None:
    with open(os.path.join(bench_dir, "results.md"), "w", encoding="utf-8") as f:
        f.write(markdown(res))
        f.write("\n")
    chart(res, os.path.join(bench_dir, "throughput.svg"))
    here = os.path.dirname(os.path.abspath(__file__))
    if os.path.abspath(bench_dir) == here:
        update_readme(res, os.path.join(os.path.dirname(here), "README.md"))


if __name__ == "__main__":
    here = os.path.dirname(os.path.abspath(__file__))
    write(json.load(open(os.path.join(here, "results.json"))), here)
    sys.exit(0)
