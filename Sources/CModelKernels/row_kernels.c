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

CLONES void quarry_attend_cached(float *out, const float *qkv, int ld, const float *keys, const float *values,
                                 int kv, int n, int p0, int nh, int kvh, int d, float *scores) {
  const float scale = 1 / sqrtf((float)d);
  const int group = nh / kvh, q = nh * d;
  for (int r = 0; r < n; r++) {
    const int pos = p0 + r;
    for (int h = 0; h < nh; h++) {
      const float *qh = qkv + (size_t)r * ld + (size_t)h * d;
      const int g = h / group;
      float m = -3.402823466e38f;
      for (int j = 0; j <= pos; j++) {
        const float *kj = keys + (size_t)j * kv + (size_t)g * d;
        v16 acc = 0;
        int e = 0;
        for (; e + 16 <= d; e += 16) acc += LOAD(qh + e) * LOAD(kj + e);
        float s = HSUM(acc);
        for (; e < d; e++) s += qh[e] * kj[e];
        s *= scale;
        scores[j] = s;
        m = fmaxf(m, s);
      }
      float z = EXP_SHIFTED_BODY(scores, pos + 1, m);
      float inv = 1 / z;
      float *o = out + (size_t)r * q + (size_t)h * d;
      int e = 0;
      for (; e + 16 <= d; e += 16) {
        v16 acc = 0;
        for (int j = 0; j <= pos; j++) acc += (scores[j] * inv) * LOAD(values + (size_t)j * kv + (size_t)g * d + e);
        STORE(o + e, acc);
      }
      for (; e < d; e++) {
        float acc = 0;
        for (int j = 0; j <= pos; j++) acc += (scores[j] * inv) * values[(size_t)j * kv + (size_t)g * d + e];
        o[e] = acc;
      }
    }
  }
}
