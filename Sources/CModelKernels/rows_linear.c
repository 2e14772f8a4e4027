#include "rows_linear.h"

#include "vector16.h"

typedef unsigned short u16v __attribute__((ext_vector_type(16)));
typedef unsigned int u32v __attribute__((ext_vector_type(16)));

static inline float bf16_to_float(unsigned short h) {
  unsigned int w = (unsigned int)h << 16;
  float f;
  memcpy(&f, &w, sizeof f);
  return f;
}
static inline float f32_to_float(float f) { return f; }

#define LOAD_F32(p) LOAD(p)
#define LOAD_BF16(p) ({ u16v h_; memcpy(&h_, (p), sizeof h_); u32v w_ = __builtin_convertvector(h_, u32v) << 16; \
  v16 f_; memcpy(&f_, &w_, sizeof f_); f_; })

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

// One body for both weight types: W is the element type, LOADW (defined before each use)
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

CLONES void quarry_rows_linear_bf16(float *y, const float *x, const unsigned short *w, const float *b, int n,
                                    int k, int o) {
#define LOADW LOAD_BF16
  ROWS_LINEAR_BODY(unsigned short, bf16_to_float)
#undef LOADW
}

void quarry_to_bf16(unsigned short *dst, const float *src, long n) {
  for (long j = 0; j < n; j++) {
    unsigned int u;
    memcpy(&u, src + j, sizeof u);
    if ((u & 0x7f800000u) == 0x7f800000u) {  // inf or NaN: truncate, keeping NaN a NaN
      dst[j] = (unsigned short)((u >> 16) | ((u & 0xffffu) ? 0x40u : 0));
    } else {
      dst[j] = (unsigned short)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
    }
  }
}
