#pragma once
// A linear layer on a few rows (token-by-token inference): y[r, j] = Σ_e x[r, e] · w[j, e]
// (+ b[j]) for r < n, with w stored [o, k] (Hugging Face layout). Each weight row is read once
// for all n rows, so verifying k drafted tokens costs about what one token costs; each output
// is summed in the same order whatever n is, so a row's result does not depend on the rows
// beside it. AVX-512 or AVX2/FMA when the CPU has them, portable C otherwise.
void quarry_rows_linear(float *y, const float *x, const float *w, const float *b, int n, int k, int o);
