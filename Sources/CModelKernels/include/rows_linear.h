#pragma once
// A linear layer on a few rows (token-by-token inference): y[r, j] = Σ_e x[r, e] · w[j, e]
// (+ b[j]) for r < n, with w stored [o, k] (Hugging Face layout). Weights are taken 16 output rows at a time and reused from L1 for all n input
// rows, so verifying k drafted tokens reads the weights about once; 16 sums finish together in
// one shuffle tree instead of 16 horizontal reductions. Each output is summed in the same
// order whatever n is, so a row's result does not depend on the rows beside it.

void quarry_rows_linear(float *y, const float *x, const float *w, const float *b, int n, int k, int o);

/// The same product with w in panel layout (`quarry_to_panels`): p[o/16][k][16], output rows
/// j … j+15 side by side for each input column, so 16 outputs take one FMA per column and no
/// horizontal sums. Each output sums its k products in column order, whatever n is.
void quarry_panel_linear(float *y, const float *x, const float *p, const float *b, int n, int k, int o);

/// w [o, k] to panel layout p [(o+15)/16][k][16] (outputs past o are zero).
void quarry_to_panels(float *p, const float *w, int k, int o);

/// Symmetric int8 rows for drafting: q[j, e] = round(w[j, e] / scale[j]) with scale[j] =
/// max|w[j, :]| / 127, and rowsum[j] = Σ q[j, e] over the first k − k % 64 columns.
void quarry_quantize_s8(signed char *q, float *scale, int *rowsum, const float *w, int o, int k);

/// y[n, o] ≈ x[n, k] · wᵀ + b with int8 weights from `quarry_quantize_s8`; each input row is
/// quantized to bytes with its own scale (MTP drafts: a guess the main model verifies).
/// AVX512-VNNI where the CPU has it, portable C elsewhere.
void quarry_rows_linear_s8(float *y, const float *x, const signed char *w, const float *scale, const int *rowsum,
                           const float *b, int n, int k, int o);

/// The portable path of `quarry_rows_linear_s8` (its integer sums are exact, so both paths give
/// the same floats; tests compare them).
void quarry_rows_linear_s8_portable(float *y, const float *x, const signed char *w, const float *scale,
                                    const int *rowsum, const float *b, int n, int k, int o);
