#include "row_kernels.h"

#include <math.h>
#include <string.h>

#include "vector16.h"

// MARK: softmax and cross-entropy

#define EXP_SHIFTED_BODY(p, n, shift)                        \
  ({                                                         \
    v16 acc_ = 0;                                            \
    int i_ = 0;                                              \
    for (; i_ + 16 <= (n); i_ += 16) {                       \
      v16 e_ = EXP16(LOAD((p) + i_) - (shift));              \
      STORE((p) + i_, e_);                                   \
      acc_ += e_;                                            \
    }                                                        \
    float s_ = HSUM(acc_);                                   \
    for (; i_ < (n); i_++) {                                 \
      float e_ = EXP1((p)[i_] - (shift));                    \
      (p)[i_] = e_;                                          \
      s_ += e_;                                              \
    }                                                        \
    s_;                                                      \
  })

// Σ p[i]² over n floats: 16 lanes, then the tail, in this order (RMSNorm rows, grad norms).
#define SUM_SQUARES_BODY(p, n)                               \
  ({                                                         \
    v16 acc_ = 0;                                            \
    long i_ = 0;                                             \
    for (; i_ + 16 <= (n); i_ += 16) {                       \
      v16 v_ = LOAD((p) + i_);                               \
      acc_ += v_ * v_;                                       \
    }                                                        \
    float s_ = HSUM(acc_);                                   \
    for (; i_ < (n); i_++) s_ += (p)[i_] * (p)[i_];          \
    s_;                                                      \
  })

#define MAX_BODY(p, n)                                                   \
  ({                                                                     \
    float m_ = (p)[0];                                                   \
    int i_ = 0;                                                          \
    if ((n) >= 16) {                                                     \
      v16 a_ = LOAD(p);                                                  \
      for (i_ = 16; i_ + 16 <= (n); i_ += 16) a_ = __builtin_elementwise_max(a_, LOAD((p) + i_)); \
      m_ = HMAX(a_);                                                     \
    }                                                                    \
    for (; i_ < (n); i_++) m_ = fmaxf(m_, (p)[i_]);                      \
    m_;                                                                  \
  })

#define SCALE_BODY(p, n, k)                                              \
  do {                                                                   \
    long i_ = 0;                                                          \
    for (; i_ + 16 <= (n); i_ += 16) STORE((p) + i_, LOAD((p) + i_) * (k)); \
    for (; i_ < (n); i_++) (p)[i_] *= (k);                               \
  } while (0)

CLONES float quarry_exp_shifted(float *p, int n, float shift) { return EXP_SHIFTED_BODY(p, n, shift); }

CLONES int quarry_argmax(const float *p, int n) {
  if (n <= 0 || p[0] != p[0]) return 0;  // a NaN first value wins, as in a scalar scan
  float m = MAX_BODY(p, n);
  if (m != m) {  // fmax kept a NaN: fall back to the scalar scan
    int best = 0;
    for (int i = 1; i < n; i++)
      if (p[i] > p[best]) best = i;
    return best;
  }
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    v16 v = LOAD(p + i);
    i16 hit = v == m;
    for (int t = 0; t < 16; t++)
      if (hit[t]) return i + t;
  }
  for (; i < n; i++)
    if (p[i] == m) return i;
  return 0;
}

CLONES double quarry_cross_entropy_row(float *row, int v, int target, float grad_scale, int with_grad) {
  float m = MAX_BODY(row, v);
  float xt = row[target] - m;
  float z = EXP_SHIFTED_BODY(row, v, m);
  double loss = (double)logf(z) - (double)xt;
  float inv = 1 / z;
  if (with_grad) {
    float k = grad_scale * inv;
    SCALE_BODY(row, v, k);
    row[target] -= grad_scale;
  } else {
    SCALE_BODY(row, v, inv);
  }
  return loss;
}

CLONES void quarry_softmax_prefix(float *row, int count, int t) {
  float m = MAX_BODY(row, count);
  float z = EXP_SHIFTED_BODY(row, count, m);
  float inv = 1 / z;
  SCALE_BODY(row, count, inv);
  if (t > count) memset(row + count, 0, sizeof(float) * (size_t)(t - count));
}

CLONES void quarry_softmax_backward_prefix(const float *p, float *d, int count, int t) {
  v16 acc = 0;
  int j = 0;
  for (; j + 16 <= count; j += 16) acc += LOAD(p + j) * LOAD(d + j);
  float dot = HSUM(acc);
  for (; j < count; j++) dot += p[j] * d[j];
  j = 0;
  for (; j + 16 <= count; j += 16) STORE(d + j, LOAD(p + j) * (LOAD(d + j) - dot));
  for (; j < count; j++) d[j] = p[j] * (d[j] - dot);
  if (t > count) memset(d + count, 0, sizeof(float) * (size_t)(t - count));
}

// MARK: SwiGLU

CLONES void quarry_swiglu_forward(float *y, const float *gu, int rows, int i) {
  for (int r = 0; r < rows; r++) {
    const float *g = gu + (size_t)r * 2 * i, *u = g + i;
    float *yr = y + (size_t)r * i;
    int j = 0;
    for (; j + 16 <= i; j += 16) {
      v16 x = LOAD(g + j);
      STORE(yr + j, x / (1.0f + EXP16(-x)) * LOAD(u + j));
    }
    for (; j < i; j++) {
      float x = g[j];
      yr[j] = x / (1.0f + EXP1(-x)) * u[j];
    }
  }
}

CLONES void quarry_swiglu_backward(float *dgu, const float *dy, const float *gu, int rows, int i) {
  for (int r = 0; r < rows; r++) {
    const float *g = gu + (size_t)r * 2 * i, *u = g + i, *d = dy + (size_t)r * i;
    float *dg = dgu + (size_t)r * 2 * i, *du = dg + i;
    int j = 0;
    for (; j + 16 <= i; j += 16) {
      v16 x = LOAD(g + j), dv = LOAD(d + j);
      v16 sig = 1.0f / (1.0f + EXP16(-x));
      STORE(du + j, dv * (x * sig));
      STORE(dg + j, dv * LOAD(u + j) * sig * (1.0f + x * (1.0f - sig)));
    }
    for (; j < i; j++) {
      float x = g[j], sig = 1.0f / (1.0f + EXP1(-x));
      du[j] = d[j] * (x * sig);
      dg[j] = d[j] * u[j] * sig * (1.0f + x * (1.0f - sig));
    }
  }
}

// MARK: RMSNorm

CLONES void quarry_rmsnorm_forward(float *y, float *rstd, const float *x, const float *w, int rows, int c,
                                   float eps) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * c;
    float *yr = y + (size_t)r * c;
    float ss = SUM_SQUARES_BODY(xr, c);
    float s = 1 / sqrtf(ss / (float)c + eps);
    rstd[r] = s;
    int j = 0;
    for (; j + 16 <= c; j += 16) STORE(yr + j, LOAD(w + j) * (LOAD(xr + j) * s));
    for (; j < c; j++) yr[j] = w[j] * (xr[j] * s);
  }
}

CLONES void quarry_rmsnorm_backward_input(float *dx, const float *g, const float *x, const float *w,
                                          const float *rstd, int rows, int c) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * c, *gr = g + (size_t)r * c;
    float *dr = dx + (size_t)r * c;
    float s = rstd[r];
    v16 acc = 0;
    int j = 0;
    for (; j + 16 <= c; j += 16) acc += LOAD(w + j) * LOAD(gr + j) * LOAD(xr + j);
    float dot = HSUM(acc);
    for (; j < c; j++) dot += w[j] * gr[j] * xr[j];
    float k = dot * s * s / (float)c;
    j = 0;
    for (; j + 16 <= c; j += 16)
      STORE(dr + j, LOAD(dr + j) + s * (LOAD(w + j) * LOAD(gr + j) - LOAD(xr + j) * k));
    for (; j < c; j++) dr[j] += s * (w[j] * gr[j] - xr[j] * k);
  }
}

CLONES void quarry_rmsnorm_backward_weight(float *dw, const float *g, const float *x, const float *rstd,
                                           int rows, int c) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (size_t)r * c, *gr = g + (size_t)r * c;
    float s = rstd[r];
    int j = 0;
    for (; j + 16 <= c; j += 16) STORE(dw + j, LOAD(dw + j) + LOAD(gr + j) * LOAD(xr + j) * s);
    for (; j < c; j++) dw[j] += gr[j] * xr[j] * s;
  }
}

CLONES void quarry_add_in_place(float *y, const float *x, long n) {
  long j = 0;
  for (; j + 16 <= n; j += 16) STORE(y + j, LOAD(y + j) + LOAD(x + j));
  for (; j < n; j++) y[j] += x[j];
}

// MARK: optimizer

CLONES void quarry_adamw(float *p, const float *g, float *m, float *v, long n, float b1, float b2, float c1,
                         float c2, float lr, float eps, float keep) {
  long j = 0;
  for (; j + 16 <= n; j += 16) {
    v16 gj = LOAD(g + j);
    v16 mj = b1 * LOAD(m + j) + (1 - b1) * gj;
    v16 vj = b2 * LOAD(v + j) + (1 - b2) * gj * gj;
    STORE(m + j, mj);
    STORE(v + j, vj);
    STORE(p + j, LOAD(p + j) * keep - lr * (mj * c1) / (__builtin_elementwise_sqrt(vj * c2) + eps));
  }
  for (; j < n; j++) {
    float gj = g[j];
    float mj = b1 * m[j] + (1 - b1) * gj;
    float vj = b2 * v[j] + (1 - b2) * gj * gj;
    m[j] = mj;
    v[j] = vj;
    p[j] = p[j] * keep - lr * (mj * c1) / (sqrtf(vj * c2) + eps);
  }
}

CLONES float quarry_sum_squares(const float *x, long n) { return SUM_SQUARES_BODY(x, n); }

CLONES void quarry_scale(float *x, long n, float k) { SCALE_BODY(x, n, k); }

// MARK: decoding attention

CLONES void quarry_attend_cached(float *out, const float *qkv, int ld, const float *keys_t, int stride,
                                 const float *values, int kv, int n, int p0, int nh, int kvh, int d, float *scores) {
  const float scale = 1 / sqrtf((float)d);
  const int group = nh / kvh, q = nh * d;
  for (int r = 0; r < n; r++) {
    const int count = p0 + r + 1, blocks = (count + 15) / 16;
    for (int g = 0; g < kvh; g++) {
      const float *kg = keys_t + (size_t)g * d * stride;
      // Up to four query heads of the group at once: each key vector is loaded once for them.
      for (int h0 = 0; h0 < group; h0 += 4) {
        const int hn = group - h0 < 4 ? group - h0 : 4;
        const float *qh[4];
        float *sc[4];
        for (int i = 0; i < 4; i++) {
          qh[i] = qkv + (size_t)r * ld + (size_t)(g * group + h0 + (i < hn ? i : 0)) * d;
          sc[i] = scores + (size_t)i * stride;
        }
        // Scores of 16 positions at a time: Σ_e q[e] · Kᵀ[e, j…j+15], e in order.
        for (int b = 0; b < blocks; b++) {
          v16 a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          const float *kb = kg + (size_t)b * 16;
          for (int e = 0; e < d; e++) {
            v16 k16 = LOAD(kb + (size_t)e * stride);
            a0 += qh[0][e] * k16;
            a1 += qh[1][e] * k16;
            a2 += qh[2][e] * k16;
            a3 += qh[3][e] * k16;
          }
          STORE(sc[0] + b * 16, a0 * scale);
          STORE(sc[1] + b * 16, a1 * scale);
          STORE(sc[2] + b * 16, a2 * scale);
          STORE(sc[3] + b * 16, a3 * scale);
        }
        float inv[4];
        for (int i = 0; i < hn; i++) {
          float m = -3.402823466e38f;
          for (int j = 0; j < count; j++) m = fmaxf(m, sc[i][j]);
          inv[i] = 1 / EXP_SHIFTED_BODY(sc[i], count, m);
        }
        for (int i = hn; i < 4; i++) inv[i] = 0;
        // out_h = Σ_j p_h[j] · V[j], j in order, for the group's heads at once.
        float *o[4];
        for (int i = 0; i < 4; i++) o[i] = out + (size_t)r * q + (size_t)(g * group + h0 + (i < hn ? i : 0)) * d;
        const float *vg = values + (size_t)g * d;
        int e = 0;
        for (; e + 16 <= d; e += 16) {
          v16 c0 = 0, c1 = 0, c2 = 0, c3 = 0;
          for (int j = 0; j < count; j++) {
            v16 v = LOAD(vg + (size_t)j * kv + e);
            c0 += (sc[0][j] * inv[0]) * v;
            c1 += (sc[1][j] * inv[1]) * v;
            c2 += (sc[2][j] * inv[2]) * v;
            c3 += (sc[3][j] * inv[3]) * v;
          }
          v16 c[4] = {c0, c1, c2, c3};
          for (int i = hn - 1; i >= 0; i--) STORE(o[i] + e, c[i]);
        }
        for (; e < d; e++) {
          for (int i = hn - 1; i >= 0; i--) {
            float acc = 0;
            for (int j = 0; j < count; j++) acc += (sc[i][j] * inv[i]) * vg[(size_t)j * kv + e];
            o[i][e] = acc;
          }
        }
      }
    }
  }
}
