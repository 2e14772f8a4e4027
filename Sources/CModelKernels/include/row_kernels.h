#pragma once
// The memory- and exp-bound row kernels of the fp32 training and inference passes (softmax,
// cross-entropy, SwiGLU, RMSNorm, residual adds). Each is written once over 16-float vectors
// and compiled for AVX-512, AVX2/FMA and baseline x86-64, picked at load time by the CPU's
// features. Every row is summed in a fixed order (16 lanes, then a fixed tree), so a row's
// result does not depend on the rows beside it or on how rows are split over threads.
// Shapes as in Sources/Model/Kernels.swift.

/// p[j] = exp(p[j] − shift) for j < n; returns Σ p[j].
float quarry_exp_shifted(float *p, int n, float shift);

/// The index of the first largest of p[0..<n] (the first index a scalar `>` scan keeps).
int quarry_argmax(const float *p, int n);

/// Cross-entropy of one row of logits[v] against `target`: returns log Σ exp(x − max) −
/// (x_target − max). With `with_grad`, the row becomes grad_scale · (softmax − onehot);
/// otherwise softmax.
double quarry_cross_entropy_row(float *row, int v, int target, float grad_scale, int with_grad);

/// Attention softmax of one causal row: row[0..<count] becomes softmax(row[0..<count]),
/// row[count..<t] zero.
void quarry_softmax_prefix(float *row, int count, int t);

/// Softmax backward of one causal row: d[j] = p[j] · (d[j] − Σ_{j<count} p[j] d[j]) for
/// j < count, zero for count ≤ j < t.
void quarry_softmax_backward_prefix(const float *p, float *d, int count, int t);

/// y[r, :] = silu(gu[r, :i]) ⊙ gu[r, i:2i] for r < rows.
void quarry_swiglu_forward(float *y, const float *gu, int rows, int i);

/// dgu[r, :] = ∂/∂(gate ‖ up) given dy[r, :i], for r < rows.
void quarry_swiglu_backward(float *dgu, const float *dy, const float *gu, int rows, int i);

/// For each of `rows` rows of c: rstd = 1/sqrt(mean(x²) + eps), y = w ⊙ x · rstd.
void quarry_rmsnorm_forward(float *y, float *rstd, const float *x, const float *w, int rows, int c,
                            float eps);

/// For each of `rows` rows: dx += rstd · (w⊙g − x · rstd² · mean(w⊙g⊙x)).
void quarry_rmsnorm_backward_input(float *dx, const float *g, const float *x, const float *w,
                                   const float *rstd, int rows, int c);

/// dw[j] += Σ_r g[r, j] · x[r, j] · rstd[r], rows in order.
void quarry_rmsnorm_backward_weight(float *dw, const float *g, const float *x, const float *rstd,
                                    int rows, int c);

/// y[j] += x[j] for j < n.
void quarry_add_in_place(float *y, const float *x, long n);

/// AdamW on n values: m, v ← moments; p ← p · keep − lr · (m · c1) / (√(v · c2) + eps).
void quarry_adamw(float *p, const float *g, float *m, float *v, long n, float b1, float b2, float c1,
                  float c2, float lr, float eps, float keep);

/// Σ x[j]² over j < n (float, 16 lanes then a fixed tree).
float quarry_sum_squares(const float *x, long n);

/// x[j] *= k for j < n.
void quarry_scale(float *x, long n, float k);

/// Decoding attention over a KV cache (causal, GQA): new row r (position p0 + r) of
/// qkv[n, ld] (query heads first) attends to positions 0 … p0 + r. Keys are stored transposed,
/// keys_t[kv, stride] (element e of head g at row g·d + e; stride a multiple of 16, and
/// positions up to the next multiple of 16 readable), values [·, kv]; out[n, nh·d]. `scores`
/// holds 4 · stride values. Each output sums in an order that does not depend on n.
void quarry_attend_cached(float *out, const float *qkv, int ld, const float *keys_t, int stride,
                          const float *values, int kv, int n, int p0, int nh, int kvh, int d, float *scores);
