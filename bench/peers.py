#!/usr/bin/env python3
"""The Python peers, one system per process: sentence-transformers on PyTorch
(fp32, CPU) and ONNX Runtime (fp32, or dynamic int8) on the exported model.

    python bench/peers.py --system st|ort-fp32|ort-int8 --threads N \
        --model DIR [--onnx DIR] --corpus FILE.jsonl [--batch-sizes 1,8,32] [--dump FILE]
    python bench/peers.py --system ... --cold ARTICLE.txt

Throughput mode prints one JSON object per batch size, with the fields of
benches/encoder.rs. --cold loads the model, embeds the article's
paragraphs, prints the first vector's head as a JSON line and exits: the
caller times process start to that line.

Length: sentence-transformers truncates at max_seq_length (256 tokens);
the ONNX Runtime peer does the same (tokenizer truncation at 256), so both
read the same ids. Batches: sentence-transformers sorts by text length
itself; the ONNX Runtime peer sorts by token count. Both pad to the longest
in the batch and mean-pool under the attention mask, then L2-normalise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--system", required=True, choices=["st", "ort-fp32", "ort-int8"])
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--model", required=True, help="local model directory")
    p.add_argument("--onnx", help="directory with model.onnx and model-int8.onnx")
    p.add_argument("--corpus", help="JSONL with a text per line")
    p.add_argument("--batch-sizes", default="32")
    p.add_argument("--dump", help="write the embeddings of the first batch size (f32 LE)")
    p.add_argument("--cold", help="cold-start mode: one article file")
    return p.parse_args()


ARGS = parse_args()
# Thread counts must be in the environment before numpy, torch or
# onnxruntime start their pools.
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402

MAX_SEQ = 256


class SentenceTransformersPeer:
    name = "sentence-transformers"

    def __init__(self, model_dir: str, threads: int):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        torch.set_num_interop_threads(1)
        self.torch = torch
        self.model = SentenceTransformer(model_dir, device="cpu")
        self.model.eval()
        self.max_seq = int(self.model.max_seq_length)

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        with self.torch.inference_mode():
            return self.model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=False)

    def order(self, texts: list[str], lengths: list[int]) -> list[int]:
        # sentence-transformers sorts by character length, longest first.
        return sorted(range(len(texts)), key=lambda i: -len(texts[i]))


class OrtPeer:
    def __init__(self, model_dir: str, onnx_path: str, threads: int, name: str):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.name = name
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
        self.tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_SEQ)
        self.max_seq = MAX_SEQ

    def embed(self, texts: list[str], batch_size: int) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), 0), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            longest = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), longest), dtype=np.int64)
            mask = np.zeros((len(batch), longest), dtype=np.int64)
            for row, i in enumerate(batch):
                seq = encodings[i].ids
                ids[row, :len(seq)] = seq
                mask[row, :len(seq)] = 1
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (hidden * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            if out.shape[1] == 0:
                out = np.zeros((len(texts), pooled.shape[1]), dtype=np.float32)
            out[batch] = pooled
        return out

    def order(self, texts: list[str], lengths: list[int]) -> list[int]:
        return sorted(range(len(texts)), key=lambda i: lengths[i])


def load(args: argparse.Namespace):
    if args.system == "st":
        return SentenceTransformersPeer(args.model, args.threads)
    if not args.onnx:
        sys.exit("--onnx DIR is needed for the ONNX Runtime peers")
    file = "model.onnx" if args.system == "ort-fp32" else "model-int8.onnx"
    return OrtPeer(args.model, os.path.join(args.onnx, file), args.threads,
                   f"onnxruntime-{args.system[4:]}")


def read_corpus(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["text"] for line in f if line.strip()]


def token_lengths(model_dir: str, texts: list[str], limit: int) -> list[int]:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    return [min(len(e.ids), limit) for e in tokenizer.encode_batch(texts)]


def main() -> int:
    args = ARGS
    if args.cold:
        with open(args.cold, encoding="utf-8") as f:
            paragraphs = [line.strip() for line in f if line.strip()]
        peer = load(args)
        vectors = peer.embed(paragraphs, 32)
        print(json.dumps({"paragraph": 1, "head": [float(x) for x in vectors[0][:4]]}), flush=True)
        return 0

    texts = read_corpus(args.corpus)
    started = time.perf_counter()
    peer = load(args)
    load_seconds = time.perf_counter() - started
    lengths = token_lengths(args.model, texts, peer.max_seq)
    for k, batch_size in enumerate(int(b) for b in args.batch_sizes.split(",")):
        peer.embed(texts[:max(batch_size, 8)], batch_size)  # warm-up batch
        t, cpu = time.perf_counter(), time.process_time()
        vectors = peer.embed(texts, batch_size)
        seconds, cpu = time.perf_counter() - t, time.process_time() - cpu
        if k == 0 and args.dump:
            np.ascontiguousarray(vectors, dtype="<f4").tofile(args.dump)
        order = peer.order(texts, lengths)
        padded = sum(len(chunk) * max(lengths[i] for i in chunk)
                     for chunk in (order[s:s + batch_size] for s in range(0, len(order), batch_size)))
        print(json.dumps({
            "system": peer.name, "threads": args.threads, "batch_size": batch_size,
            "paragraphs": len(texts), "windows": len(texts),
            "tokens": sum(lengths), "tokens_sq": sum(n * n for n in lengths),
            "padded_tokens": padded, "seconds": seconds, "cpu_seconds": cpu, "load_seconds": load_seconds,
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
