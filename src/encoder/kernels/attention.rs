//! Fused multi-head self-attention over a packed QKV matrix: scores,
//! masked softmax and the weighted sum of values in one pass per sequence.

use super::dispatch;
use super::math::exp_nonpositive;
use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape};
use rayon::prelude::*;

/// Shapes for [`Attention`].
#[derive(Debug, Clone, Copy)]
pub struct AttentionShape {
    pub batch: usize,
    pub seq: usize,
    pub heads: usize,
    pub head_dim: usize,
}

/// Multi-head self-attention over a fused projection: the input is
/// `[batch·seq, 3·hidden]` with each token's query, key and value side by
/// side (heads contiguous within each), the output `[batch·seq, hidden]`
/// with heads side by side — BERT's layout after its transpose and
/// flatten, without either copy.
///
/// `keys[b]` lists the positions of sequence `b` that may be attended to
/// (its unmasked tokens). Masked query positions get a zero context: their
/// outputs are never pooled, and nothing else reads them, because no query
/// attends to a masked key.
pub struct Attention<'a> {
    pub shape: AttentionShape,
    pub keys: &'a [Vec<usize>],
}

impl CustomOp1 for Attention<'_> {
    fn name(&self) -> &'static str {
        "fused-attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let CpuStorage::F32(data) = storage else { candle_core::bail!("attention: f32 only") };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("attention: input must be contiguous")
        };
        let AttentionShape { batch, seq, heads, head_dim } = self.shape;
        let hidden = heads * head_dim;
        let qkv = &data[start..end];
        if qkv.len() != batch * seq * 3 * hidden || self.keys.len() != batch {
            candle_core::bail!("attention: input does not match [{batch}·{seq}, 3·{hidden}]")
        }
        let shape = Shape::from_dims(&[batch * seq, hidden]);
        if qkv.is_empty() {
            // Nothing to attend to; and the chunk sizes below must not be zero.
            return Ok((CpuStorage::F32(Vec::new()), shape));
        }
        // Each (sequence, head) task writes its head's context into a block
        // of its own, `[seq, head_dim]`, and a second pass interleaves the
        // heads into BERT's `[seq, hidden]` rows. A head's columns of the
        // output are not contiguous, so the tasks cannot be handed disjoint
        // slices of `out` itself; splitting `out` by sequence instead would
        // leave one task per sequence, too few for a batch of one. The copy
        // moves bits without arithmetic, so the output is unchanged.
        let block = seq * head_dim;
        let mut contexts = vec![0f32; batch * heads * block];
        contexts.par_chunks_mut(block).enumerate().for_each(|(task, ctx)| {
            let (b, head) = (task / heads, task % heads);
            let rows = &qkv[b * seq * 3 * hidden..(b + 1) * seq * 3 * hidden];
            let is_key = {
                let mut mask = vec![false; seq];
                self.keys[b].iter().filter(|&&j| j < seq).for_each(|&j| mask[j] = true);
                mask
            };
            attend_head(rows, ctx, &self.keys[b], &is_key, self.shape, head);
        });
        let mut out = vec![0f32; batch * seq * hidden];
        out.par_chunks_mut(seq * hidden).zip(contexts.par_chunks(heads * block)).for_each(|(out, ctx)| {
            for (head, ctx) in ctx.chunks_exact(block).enumerate() {
                for (row, ctx) in out.chunks_exact_mut(hidden).zip(ctx.chunks_exact(head_dim)) {
                    row[head * head_dim..(head + 1) * head_dim].copy_from_slice(ctx);
                }
            }
        });
        Ok((CpuStorage::F32(out), shape))
    }
}

dispatch!(
    fn attend_head = attend_head_generic(
        rows: &[f32], out: &mut [f32], keys: &[usize], is_key: &[bool], shape: AttentionShape, head: usize
    )
);

/// One head of one sequence: scores = q·kᵀ/√d over the allowed keys,
/// softmax, context = probabilities·v, into `out` (`[seq, head_dim]`, rows
/// of masked queries left as they are). Every sum runs in a fixed order.
#[inline(always)]
fn attend_head_generic(
    rows: &[f32],
    out: &mut [f32],
    keys: &[usize],
    is_key: &[bool],
    shape: AttentionShape,
    head: usize,
) {
    let AttentionShape { seq, head_dim: d, heads, .. } = shape;
    let hidden = heads * d;
    let stride = 3 * hidden;
    let (q_off, k_off, v_off) = (head * d, hidden + head * d, 2 * hidden + head * d);
    let n = keys.len();
    // Keys transposed ([d, width]), so each score row is a sum of scaled
    // key rows: contiguous, vectorisable, no horizontal reductions. The
    // width is padded with zero columns to whole register groups; their
    // scores are computed and never read.
    let width = n.div_ceil(SCORE_LANES) * SCORE_LANES;
    let mut keys_t = vec![0f32; d * width];
    for (col, &j) in keys.iter().enumerate() {
        let k = &rows[j * stride + k_off..j * stride + k_off + d];
        for (c, &value) in k.iter().enumerate() {
            keys_t[c * width + col] = value;
        }
    }
    let scale = 1.0 / (d as f32).sqrt();
    let queries: Vec<usize> = (0..seq).filter(|&i| is_key[i]).collect();
    let mut scores = vec![0f32; QUERY_BLOCK * width];
    for block in queries.chunks(QUERY_BLOCK) {
        let q = |b: usize| &rows[block[b] * stride + q_off..block[b] * stride + q_off + d];
        if block.len() == QUERY_BLOCK {
            block_scores(&[q(0), q(1), q(2), q(3)], &keys_t, width, &mut scores);
        } else {
            for (b, row) in scores.chunks_exact_mut(width).take(block.len()).enumerate() {
                block_scores(&[q(b)], &keys_t, width, row);
            }
        }
        for (b, &i) in block.iter().enumerate() {
            let scores = &mut scores[b * width..b * width + n];
            let max = scores.iter().fold(f32::NEG_INFINITY, |m, &s| m.max(s * scale));
            for s in scores.iter_mut() {
                *s = exp_nonpositive(*s * scale - max);
            }
            let sum: f32 = sum_fixed(scores);
            let inv = 1.0 / sum;
            let ctx = &mut out[i * d..(i + 1) * d];
            match d {
                32 => context::<32>(scores, inv, rows, keys, stride, v_off, ctx),
                64 => context::<64>(scores, inv, rows, keys, stride, v_off, ctx),
                _ => {
                    ctx.iter_mut().for_each(|c| *c = 0.0);
                    for (&p, &j) in scores.iter().zip(keys) {
                        let p = p * inv;
                        let v = &rows[j * stride + v_off..j * stride + v_off + d];
                        for (c, &vc) in ctx.iter_mut().zip(v) {
                            *c += p * vc;
                        }
                    }
                }
            }
        }
    }
}

/// Queries whose scores are computed together, sharing each load of a key
/// column.
const QUERY_BLOCK: usize = 4;
/// Score columns kept in registers at once (two AVX2 vectors).
const SCORE_LANES: usize = 16;

/// `out[b·width + col] = Σ_c qs[b][c] · keys_t[c·width + col]` for each
/// query `b`, every sum in order from c = 0 (the same operations, so the
/// same bits, as one query at a time); columns go in register-sized groups
/// so the partial sums never leave registers. `width` is a multiple of
/// [`SCORE_LANES`].
#[inline(always)]
fn block_scores<const B: usize>(qs: &[&[f32]; B], keys_t: &[f32], width: usize, out: &mut [f32]) {
    for col in (0..width).step_by(SCORE_LANES) {
        let mut acc = [[0f32; SCORE_LANES]; B];
        for (c, column) in keys_t.chunks_exact(width).enumerate() {
            let k: &[f32; SCORE_LANES] = column[col..col + SCORE_LANES].try_into().unwrap();
            for (acc, q) in acc.iter_mut().zip(qs) {
                let qc = q[c];
                for (a, &kv) in acc.iter_mut().zip(k) {
                    *a += qc * kv;
                }
            }
        }
        for (b, acc) in acc.iter().enumerate() {
            out[b * width + col..b * width + col + SCORE_LANES].copy_from_slice(acc);
        }
    }
}

/// `ctx = Σ_j (p_j · inv) · v_j` over the keys in order, for the common
/// head sizes: a fixed-size accumulator stays in registers for the whole
/// sum (the same operations in the same order as the general loop).
#[inline(always)]
fn context<const D: usize>(
    probabilities: &[f32],
    inv: f32,
    rows: &[f32],
    keys: &[usize],
    stride: usize,
    v_off: usize,
    ctx: &mut [f32],
) {
    let mut acc = [0f32; D];
    for (&p, &j) in probabilities.iter().zip(keys) {
        let p = p * inv;
        let start = j * stride + v_off;
        let v: &[f32; D] = rows[start..start + D].try_into().unwrap();
        for (a, &vc) in acc.iter_mut().zip(v) {
            *a += p * vc;
        }
    }
    ctx.copy_from_slice(&acc);
}

/// Sum in eight interleaved lanes, then the lanes pairwise: a fixed order
/// that still vectorises.
#[inline(always)]
fn sum_fixed(values: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    let chunks = values.chunks_exact(8);
    let rest = chunks.remainder();
    for chunk in chunks {
        for (l, &v) in lanes.iter_mut().zip(chunk) {
            *l += v;
        }
    }
    let mut total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for &v in rest {
        total += v;
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    #[test]
    fn attention_matches_the_unfused_formula() {
        let shape = AttentionShape { batch: 2, seq: 5, heads: 3, head_dim: 4 };
        let hidden = shape.heads * shape.head_dim;
        let n = shape.batch * shape.seq * 3 * hidden;
        let qkv: Vec<f32> = (0..n).map(|i| ((i * 37 % 101) as f32 / 50.0) - 1.0).collect();
        // Sequence 1 has its last two positions masked.
        let keys = vec![(0..5).collect::<Vec<_>>(), (0..3).collect()];
        let op = Attention { shape, keys: &keys };
        let t = Tensor::from_vec(qkv.clone(), (shape.batch * shape.seq, 3 * hidden), &Device::Cpu).unwrap();
        let out = t.apply_op1_no_bwd(&op).unwrap().to_vec2::<f32>().unwrap();
        for b in 0..shape.batch {
            for h in 0..shape.heads {
                for i in 0..shape.seq {
                    let row = |t: usize, part: usize| {
                        let base = (b * shape.seq + t) * 3 * hidden + part * hidden + h * shape.head_dim;
                        &qkv[base..base + shape.head_dim]
                    };
                    let got = &out[b * shape.seq + i][h * shape.head_dim..(h + 1) * shape.head_dim];
                    if !keys[b].contains(&i) {
                        assert!(got.iter().all(|&x| x == 0.0));
                        continue;
                    }
                    let scores: Vec<f64> = keys[b]
                        .iter()
                        .map(|&j| row(i, 0).iter().zip(row(j, 1)).map(|(a, b)| (a * b) as f64).sum::<f64>() / 2.0)
                        .collect();
                    let max = scores.iter().cloned().fold(f64::MIN, f64::max);
                    let exps: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                    let total: f64 = exps.iter().sum();
                    for (c, &value) in got.iter().enumerate().take(shape.head_dim) {
                        let want: f64 = keys[b].iter().zip(&exps).map(|(&j, e)| e / total * row(j, 2)[c] as f64).sum();
                        assert!((value as f64 - want).abs() < 1e-5, "b{b} h{h} i{i} c{c}: {value} vs {want}");
                    }
                }
            }
        }
    }
}
