#pragma once
// A linear layer on a few rows (token-by-token inference): y[r, j] = Σ_e x[r, e] · w[j, e]
// (+ b[j]) for r < n, with w stored [o, k] (Hugging Face layout), in fp32 or as bfloat16
// (MTP drafts). Weights are taken 16 output rows at a time and reused from L1 for all n input
// rows, so verifying k drafted tokens reads the weights about once; 16 sums finish together in
// one shuffle tree instead of 16 horizontal reductions. Each output is summed in the same
// order whatever n is, so a row's result does not depend on the rows beside it.

void quarry_rows_linear(float *y, const float *x, const float *w, const float *b, int n, int k, int o);

void quarry_rows_linear_bf16(float *y, const float *x, const unsigned short *w, const float *b, int n, int k,
                             int o);

/// Round-to-nearest-even bfloat16 copy of n floats (the MTP layer's draft weights).
void quarry_to_bf16(unsigned short *dst, const float *src, long n);
