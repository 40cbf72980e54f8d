#!/usr/bin/env python3
"""Export the local all-MiniLM-L6-v2 BERT to ONNX, and a dynamic int8 copy.

The graph is the bare transformers BertModel (input_ids, attention_mask,
token_type_ids -> last_hidden_state) with batch and sequence axes left
dynamic; tokenization and mean pooling stay outside it, in bench/peers.py,
exactly as sentence-transformers does them. The int8 copy is
onnxruntime.quantization.quantize_dynamic with int8 weights (activations
quantised per batch at run time).

    python bench/export_onnx.py --model DIR --out DIR
writes DIR/model.onnx and DIR/model-int8.onnx (skipped if they exist).
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"


def export(model_dir: str, path: str) -> None:
    import torch
    from transformers import BertModel

    model = BertModel.from_pretrained(model_dir, add_pooling_layer=False)
    model.eval()
    ids = torch.ones((2, 16), dtype=torch.long)
    inputs = (ids, torch.ones_like(ids), torch.zeros_like(ids))

    class Hidden(torch.nn.Module):
        """Only the token vectors: the pooler is not part of the recipe."""

        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    axes = {n: {0: "batch", 1: "sequence"} for n in names}
    axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    tmp = path + ".tmp"
    with torch.no_grad():
        try:
            # The TorchScript exporter gives a plain, well-fused graph.
            torch.onnx.export(Hidden(model), inputs, tmp, input_names=names,
                              output_names=["last_hidden_state"], dynamic_axes=axes,
                              opset_version=17, dynamo=False)
        except Exception as e:  # noqa: BLE001 - fall back to the dynamo exporter
            print(f"TorchScript export failed ({e}); trying dynamo", file=sys.stderr)
            batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
            shapes = {n: {0: batch, 1: seq} for n in names}
            program = torch.onnx.export(Hidden(model), inputs, input_names=names,
                                        output_names=["last_hidden_state"],
                                        dynamic_shapes=shapes, dynamo=True)
            program.save(tmp)
    os.replace(tmp, path)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, help="local model directory")
    p.add_argument("--out", required=True, help="output directory")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    fp32 = os.path.join(args.out, "model.onnx")
    int8 = os.path.join(args.out, "model-int8.onnx")
    if not os.path.exists(fp32):
        export(args.model, fp32)
        print(f"wrote {fp32}", file=sys.stderr)
    if not os.path.exists(int8):
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
        print(f"wrote {int8}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
