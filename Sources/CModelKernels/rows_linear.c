#include "rows_linear.h"

#include "vector16.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

static inline float f32_to_float(float f) { return f; }

#define LOAD_F32(p) LOAD(p)

// Pairwise lane folding: PAIR(a, b) holds a's and b's 16 partial sums as 8 + 8, QUAD as
// 4 + 4 + 4 + 4 of four vectors, and so on, until one vector holds 16 totals in order.
#define FOLD2(a, b) (__builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) + \
                     __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31))
#define FOLD4(a, b) (__builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) + \
                     __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31))
#define FOLD8(a, b) (__builtin_shufflevector(a, b, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) + \
                     __builtin_shufflevector(a, b, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31))
#define FOLD16(a, b) (__builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) + \
                      __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31))

// Weights are read in blocks of four rows (4·k contiguous values), 16 columns of each row
// per step: four short streams, and with several input rows the out-of-order window holds
// few of their cache misses. Each step therefore also prefetches its share of the matrix
// PREFETCH_AHEAD bytes further on, in memory order (the blocks are contiguous), so the weights
// stream from DRAM at full speed whatever the number of rows. Past the end of the matrix it
// prefetches harmless addresses (prefetches never fault).
#ifndef PREFETCH_AHEAD
#define PREFETCH_AHEAD 16384
#endif
#define PREFETCH_STEP(wb, T, e)                                                                \
  {                                                                                            \
    const size_t bytes_ = (size_t)(T) * 16 * sizeof(*(wb)); /* this step's share */            \
    const char *at_ = (const char *)(wb) + (size_t)((e) / 16) * bytes_ + PREFETCH_AHEAD;       \
    for (size_t l_ = 0; l_ < bytes_; l_ += 64) __builtin_prefetch(at_ + l_);                   \
  }

// Sixteen accumulators by name, so they stay in registers.
#define REP16(M) M(0) M(1) M(2) M(3) M(4) M(5) M(6) M(7) M(8) M(9) M(10) M(11) M(12) M(13) M(14) M(15)
#define ACC_ZERO(t) v16 a##t = 0;
// Weight row t (of four) against 1-4 input rows: accumulators t, t+4, t+8, t+12.
#define SINGLE_FMA(t, u, v, z) { v16 w_ = LOADW(wb + (size_t)(t) * k + e); a##t += w_ * xv0; }
#define PAIR_FMA(t, u, v, z) { v16 w_ = LOADW(wb + (size_t)(t) * k + e); a##t += w_ * xv0; a##u += w_ * xv1; }
#define TRIPLE_FMA(t, u, v, z) { v16 w_ = LOADW(wb + (size_t)(t) * k + e); \
  a##t += w_ * xv0; a##u += w_ * xv1; a##v += w_ * xv2; }
#define QUAD_FMA(t, u, v, z) { v16 w_ = LOADW(wb + (size_t)(t) * k + e); \
  a##t += w_ * xv0; a##u += w_ * xv1; a##v += w_ * xv2; a##z += w_ * xv3; }
// The k/16 steps of one block of four weight rows (x rows past R are never read).
#define STEPS(FMA)                                                                             \
  for (; e + 16 <= k; e += 16) {                                                               \
    PREFETCH_STEP(wb, 4, e)                                                                    \
    v16 xv0 = LOAD(x0 + e), xv1 = R > 1 ? LOAD(x1 + e) : xv0;                                  \
    v16 xv2 = R > 2 ? LOAD(x2 + e) : xv0, xv3 = R > 3 ? LOAD(x3 + e) : xv0;                    \
    (void)xv1, (void)xv2, (void)xv3;                                                           \
    FMA(0, 4, 8, 12) FMA(1, 5, 9, 13) FMA(2, 6, 10, 14) FMA(3, 7, 11, 15)                      \
  }

// One body for any weight type: W is the element type, LOADW (defined before each use)
// loads 16 weights, TOF converts one. Weights go four rows at a time (four short streams,
// which DRAM serves faster than more), each weight vector loaded once for up to four input
// rows; accumulator 4q + t sums weight row t against input row q (the unused ones stay zero).
// The 16 accumulators fold into one vector of 16 sums, every output's lanes in the same order
// (lanes i+8, i+4, i+2, i+1), so the result does not depend on n or on a row's group.
#define ROWS_LINEAR_BODY(W, TOF)                                                               \
  const int o16 = o - o % 16;                                                                  \
  for (int r = 0; r < n; r += 4) {                                                             \
    const int R = n - r < 4 ? n - r : 4;                                                       \
    const float *x0 = x + (size_t)r * k, *x1 = x0 + k, *x2 = x1 + k, *x3 = x2 + k;             \
    for (int j = 0; j < o16; j += 4) {                                                         \
      const W *wb = w + (size_t)j * k;                                                         \
      REP16(ACC_ZERO)                                                                          \
      int e = 0;                                                                               \
      switch (R) {                                                                             \
      case 4: STEPS(QUAD_FMA) break;                                                           \
      case 3: STEPS(TRIPLE_FMA) break;                                                         \
      case 2: STEPS(PAIR_FMA) break;                                                           \
      default: STEPS(SINGLE_FMA) break;                                                        \
      }                                                                                        \
      v16 c0 = FOLD4(FOLD2(a0, a1), FOLD2(a2, a3)), c1 = FOLD4(FOLD2(a4, a5), FOLD2(a6, a7));  \
      v16 c2 = FOLD4(FOLD2(a8, a9), FOLD2(a10, a11));                                          \
      v16 c3 = FOLD4(FOLD2(a12, a13), FOLD2(a14, a15));                                        \
      v16 s = FOLD16(FOLD8(c0, c1), FOLD8(c2, c3));                                            \
      float out[16];                                                                           \
      memcpy(out, &s, sizeof out);                                                             \
      for (int q = 0; q < R; q++) {                                                            \
        const float *xr = x0 + (size_t)q * k;                                                  \
        float *yr = y + (size_t)(r + q) * o + j;                                               \
        for (int t = 0; t < 4; t++) {                                                          \
          float u = out[4 * q + t];                                                            \
          if (e < k) {                                                                         \
            float tail = 0;                                                                    \
            for (int f = e; f < k; f++) tail += TOF(wb[(size_t)t * k + f]) * xr[f];            \
            u += tail;                                                                         \
          }                                                                                    \
          yr[t] = u + (b ? b[j + t] : 0);                                                      \
        }                                                                                      \
      }                                                                                        \
    }                                                                                          \
  }                                                                                            \
  for (int j = o16; j < o; j++) {                                                              \
    const W *wj = w + (size_t)j * k;                                                           \
    for (int r = 0; r < n; r++) {                                                              \
      const float *xr = x + (size_t)r * k;                                                     \
      v16 a = 0;                                                                               \
      int e = 0;                                                                               \
      for (; e + 16 <= k; e += 16) a += LOADW(wj + e) * LOAD(xr + e);                          \
      float s = HSUM(a);                                                                       \
      for (; e < k; e++) s += TOF(wj[e]) * xr[e];                                              \
      y[(size_t)r * o + j] = s + (b ? b[j] : 0);                                               \
    }                                                                                          \
  }

CLONES void quarry_rows_linear(float *y, const float *x, const float *w, const float *b, int n, int k, int o) {
#define LOADW LOAD_F32
  ROWS_LINEAR_BODY(float, f32_to_float)
#undef LOADW
}

// MARK: panel layout

void quarry_to_panels(float *p, const float *w, int k, int o) {
  const int panels = (o + 15) / 16;
  for (int q = 0; q < panels; q++)
    for (int e = 0; e < k; e++)
      for (int l = 0; l < 16; l++) {
        const int j = q * 16 + l;
        p[((size_t)q * k + e) * 16 + l] = j < o ? w[(size_t)j * k + e] : 0;
      }
}

// G panels (16·G outputs) × up to four input rows: accumulator a[q][g] += x[q][e] · P_g[e, :],
// e in order (one FMA per output and column: the sum's order is fixed, whatever n and G).
// Each panel is one contiguous stream; the next lines of each are prefetched.
#define PANEL_PREFETCH 2048
#define PANEL_BODY(G, RR)                                                                       \
  for (int e = 0; e < k; e++) {                                                                 \
    v16 w_[G];                                                                                  \
    for (int g = 0; g < G; g++) {                                                               \
      __builtin_prefetch((const char *)(pp[g] + (size_t)16 * e) + PANEL_PREFETCH);              \
      w_[g] = LOAD(pp[g] + (size_t)16 * e);                                                     \
    }                                                                                           \
    for (int q = 0; q < RR; q++) {                                                              \
      const float s_ = xq[q][e];                                                                \
      for (int g = 0; g < G; g++) acc[q][g] += s_ * w_[g];                                      \
    }                                                                                           \
  }

#define PANEL_GROUP(G)                                                                          \
  {                                                                                             \
    const float *pp[G];                                                                         \
    for (int g = 0; g < G; g++) pp[g] = p + ((size_t)(j / 16 + g) * k) * 16;                     \
    v16 acc[4][G];                                                                              \
    for (int q = 0; q < 4; q++)                                                                 \
      for (int g = 0; g < G; g++) acc[q][g] = 0;                                                \
    switch (R) {                                                                                \
    case 4: PANEL_BODY(G, 4) break;                                                             \
    case 3: PANEL_BODY(G, 3) break;                                                             \
    case 2: PANEL_BODY(G, 2) break;                                                             \
    default: PANEL_BODY(G, 1) break;                                                            \
    }                                                                                           \
    for (int q = 0; q < R; q++)                                                                 \
      for (int g = 0; g < G; g++) {                                                             \
        float out_[16];                                                                         \
        v16 s_ = acc[q][g];                                                                     \
        if (b) s_ += LOAD_TAIL(b + j + 16 * g, o - j - 16 * g);                                 \
        memcpy(out_, &s_, sizeof out_);                                                         \
        const int m_ = o - j - 16 * g < 16 ? o - j - 16 * g : 16;                               \
        memcpy(y + (size_t)(r + q) * o + j + 16 * g, out_, (size_t)m_ * sizeof(float));         \
      }                                                                                         \
  }

// 16 floats from p, or the first m < 16 of them and zeros (a last, partial panel's bias).
#define LOAD_TAIL(p, m) ({ float t_[16] = {0}; memcpy(t_, (p), (size_t)((m) < 16 ? (m) : 16) * sizeof(float)); LOAD(t_); })

CLONES void quarry_panel_linear(float *y, const float *x, const float *p, const float *b, int n, int k, int o) {
  const int panels = (o + 15) / 16;
  for (int r = 0; r < n; r += 4) {
    const int R = n - r < 4 ? n - r : 4;
    const float *xq[4];
    for (int q = 0; q < 4; q++) xq[q] = x + (size_t)(r + (q < R ? q : 0)) * k;
    int j = 0;
    for (; j + 64 <= panels * 16; j += 64) PANEL_GROUP(4)
    for (; j < panels * 16; j += 16) PANEL_GROUP(1)
  }
}

// MARK: int8 drafts

void quarry_quantize_s8(signed char *q, float *scale, int *rowsum, const float *w, int o, int k) {
  const int k64 = k - k % 64;
  for (int j = 0; j < o; j++) {
    const float *wj = w + (size_t)j * k;
    float m = 0;
    for (int e = 0; e < k; e++) m = fmaxf(m, fabsf(wj[e]));
    const float s = m > 0 ? m / 127 : 1, inv = 1 / s;
    int sum = 0;
    for (int e = 0; e < k; e++) {
      float r = nearbyintf(wj[e] * inv);
      r = r > 127 ? 127 : r < -127 ? -127 : r;
      q[(size_t)j * k + e] = (signed char)r;
      if (e < k64) sum += (int)r;
    }
    scale[j] = s;
    rowsum[j] = sum;
  }
}

// Row r of x to unsigned bytes (round(x / s) + 128, |x / s| ≤ 127) over its first k64 columns;
// returns the scale s.
static inline float quantize_row_u8(unsigned char *xq, const float *x, int k, int k64) {
  float m = 0;
  for (int e = 0; e < k; e++) m = fmaxf(m, fabsf(x[e]));
  const float s = m > 0 ? m / 127 : 1, inv = 1 / s;
  for (int e = 0; e < k64; e++) xq[e] = (unsigned char)((int)nearbyintf(x[e] * inv) + 128);
  return s;
}

// y[r, j] = s_x(r) · s_w(j) · (Σ_e xq[r, e] · q[j, e] − 128 · rowsum[j]) over the first k64
// columns, plus the rest in fp32 with the dequantized weights, plus the bias.
#define S8_FINISH(u, sxr, r, j)                                                                 \
  ({                                                                                            \
    float f_ = (sxr) * scale[j] * (float)((u) - 128 * rowsum[j]);                               \
    for (int t_ = k64; t_ < k; t_++) f_ += (float)w[(size_t)(j) * k + t_] * scale[j] * x[(size_t)(r) * k + t_]; \
    f_ + (b ? b[j] : 0);                                                                        \
  })

CLONES void quarry_rows_linear_s8_portable(float *y, const float *x, const signed char *w, const float *scale,
                                           const int *rowsum, const float *b, int n, int k, int o) {
  const int k64 = k - k % 64;
  unsigned char xq[k64 + 64];
  for (int r = 0; r < n; r++) {
    const float sx = quantize_row_u8(xq, x + (size_t)r * k, k, k64);
    for (int j = 0; j < o; j++) {
      const signed char *wj = w + (size_t)j * k;
      int acc = 0;
      for (int e = 0; e < k64; e++) acc += (int)xq[e] * (int)wj[e];
      y[(size_t)r * o + j] = S8_FINISH(acc, sx, r, j);
    }
  }
}

#if defined(__x86_64__)
// AVX512-VNNI (AMD Zen 4 and later, Intel Ice Lake server and later): VPDPBUSD multiplies 64
// unsigned input bytes by 64 signed weights and adds each four into one of 16 int32 sums. Four
// weight rows × up to four input rows per block, folded as in ROWS_LINEAR_BODY.
#define VNNI_TARGET __attribute__((target("avx512vnni,avx512f,avx512bw,avx512vl,avx512dq")))
#define LOADI(p) ({ __m512i v_; memcpy(&v_, (p), sizeof v_); v_; })
#define VNNI(acc, xv, wv) acc = (i16)_mm512_dpbusd_epi32((__m512i)(acc), (xv), (wv))
#define VNNI_STEP(t, u, v, z) { __m512i w_ = LOADI(wb + (size_t)(t) * k + e); VNNI(a##t, xv0, w_); \
  if (R > 1) VNNI(a##u, xv1, w_); if (R > 2) VNNI(a##v, xv2, w_); if (R > 3) VNNI(a##z, xv3, w_); }
#define IACC_ZERO(t) i16 a##t = 0;

VNNI_TARGET static void rows_linear_s8_vnni(float *y, const float *x, const signed char *w, const float *scale,
                                            const int *rowsum, const float *b, int n, int k, int o) {
  const int k64 = k - k % 64, o4 = o - o % 4;
  unsigned char xq[4][k64 + 64];
  float sx[4];
  for (int r = 0; r < n; r += 4) {
    const int R = n - r < 4 ? n - r : 4;
    for (int q = 0; q < R; q++) sx[q] = quantize_row_u8(xq[q], x + (size_t)(r + q) * k, k, k64);
    for (int j = 0; j < o4; j += 4) {
      const signed char *wb = w + (size_t)j * k;
      REP16(IACC_ZERO)
      for (int e = 0; e < k64; e += 64) {
        PREFETCH_STEP(wb, 16, e / 4)  /* 4 rows × 64 bytes = 256 bytes a step (T·16 bytes of int8) */
        __m512i xv0 = LOADI(&xq[0][e]), xv1 = R > 1 ? LOADI(&xq[1][e]) : xv0;
        __m512i xv2 = R > 2 ? LOADI(&xq[2][e]) : xv0, xv3 = R > 3 ? LOADI(&xq[3][e]) : xv0;
        VNNI_STEP(0, 4, 8, 12) VNNI_STEP(1, 5, 9, 13) VNNI_STEP(2, 6, 10, 14) VNNI_STEP(3, 7, 11, 15)
      }
      i16 c0 = FOLD4(FOLD2(a0, a1), FOLD2(a2, a3)), c1 = FOLD4(FOLD2(a4, a5), FOLD2(a6, a7));
      i16 c2 = FOLD4(FOLD2(a8, a9), FOLD2(a10, a11));
      i16 c3 = FOLD4(FOLD2(a12, a13), FOLD2(a14, a15));
      i16 s = FOLD16(FOLD8(c0, c1), FOLD8(c2, c3));
      for (int q_ = 0; q_ < R; q_++)
        for (int t = 0; t < 4; t++) y[(size_t)(r + q_) * o + j + t] = S8_FINISH(s[4 * q_ + t], sx[q_], r + q_, j + t);
    }
    for (int j = o4; j < o; j++) {
      const signed char *wj = w + (size_t)j * k;
      for (int q_ = 0; q_ < R; q_++) {
        i16 a = 0;
        for (int e = 0; e < k64; e += 64) VNNI(a, LOADI(&xq[q_][e]), LOADI(wj + e));
        int u = 0;
        for (int l = 0; l < 16; l++) u += a[l];
        y[(size_t)(r + q_) * o + j] = S8_FINISH(u, sx[q_], r + q_, j);
      }
    }
  }
}
#endif

void quarry_rows_linear_s8(float *y, const float *x, const signed char *w, const float *scale, const int *rowsum,
                           const float *b, int n, int k, int o) {
#if defined(__x86_64__)
  static int vnni = -1;  // decided once; the race is benign
  if (vnni < 0) vnni = __builtin_cpu_supports("avx512vnni");
  if (vnni) {
    rows_linear_s8_vnni(y, x, w, scale, rowsum, b, n, k, o);
    return;
  }
#endif
  quarry_rows_linear_s8_portable(y, x, w, scale, rowsum, b, n, k, o);
}
