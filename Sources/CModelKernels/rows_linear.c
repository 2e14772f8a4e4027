#include "rows_linear.h"

#include <stddef.h>

#if defined(__x86_64__)
#include <immintrin.h>

// Up to four input rows against four weight rows at a time: each weight vector is loaded once
// for all the rows (16 accumulators), 16 floats per step. R is a constant in each expansion.
__attribute__((target("avx512f"), always_inline)) static inline void block_avx512(
    float *y, const float *x, const float *w, const float *b, int R, int k, int o, int j) {
  const float *w0 = w + (size_t)j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
  __m512 a[4][4];
  for (int r = 0; r < R; r++)
    for (int t = 0; t < 4; t++) a[r][t] = _mm512_setzero_ps();
  int e = 0;
  for (; e + 16 <= k; e += 16) {
    __m512 v0 = _mm512_loadu_ps(w0 + e), v1 = _mm512_loadu_ps(w1 + e);
    __m512 v2 = _mm512_loadu_ps(w2 + e), v3 = _mm512_loadu_ps(w3 + e);
    for (int r = 0; r < R; r++) {
      __m512 xv = _mm512_loadu_ps(x + (size_t)r * k + e);
      a[r][0] = _mm512_fmadd_ps(v0, xv, a[r][0]);
      a[r][1] = _mm512_fmadd_ps(v1, xv, a[r][1]);
      a[r][2] = _mm512_fmadd_ps(v2, xv, a[r][2]);
      a[r][3] = _mm512_fmadd_ps(v3, xv, a[r][3]);
    }
  }
  for (int r = 0; r < R; r++) {
    const float *xr = x + (size_t)r * k;
    float s[4];
    for (int t = 0; t < 4; t++) s[t] = _mm512_reduce_add_ps(a[r][t]);
    for (int f = e; f < k; f++) {
      s[0] += w0[f] * xr[f];
      s[1] += w1[f] * xr[f];
      s[2] += w2[f] * xr[f];
      s[3] += w3[f] * xr[f];
    }
    float *yr = y + (size_t)r * o + j;
    for (int t = 0; t < 4; t++) yr[t] = s[t] + (b ? b[j + t] : 0);
  }
}

__attribute__((target("avx512f"))) static void rows_avx512_R(float *y, const float *x, const float *w, const float *b,
                                                               int R, int k, int o) {
  int j = 0;
  switch (R) {
  case 1: for (; j + 4 <= o; j += 4) block_avx512(y, x, w, b, 1, k, o, j); break;
  case 2: for (; j + 4 <= o; j += 4) block_avx512(y, x, w, b, 2, k, o, j); break;
  case 3: for (; j + 4 <= o; j += 4) block_avx512(y, x, w, b, 3, k, o, j); break;
  default: for (; j + 4 <= o; j += 4) block_avx512(y, x, w, b, 4, k, o, j); break;
  }
  for (; j < o; j++) {
    const float *wj = w + (size_t)j * k;
    for (int r = 0; r < R; r++) {
      const float *xr = x + (size_t)r * k;
      __m512 a = _mm512_setzero_ps();
      int e = 0;
      for (; e + 16 <= k; e += 16) a = _mm512_fmadd_ps(_mm512_loadu_ps(wj + e), _mm512_loadu_ps(xr + e), a);
      float s = _mm512_reduce_add_ps(a);
      for (; e < k; e++) s += wj[e] * xr[e];
      y[(size_t)r * o + j] = s + (b ? b[j] : 0);
    }
  }
}

/// Rows four at a time (the kernel's register budget).
__attribute__((target("avx512f"))) static void rows_avx512(float *y, const float *x, const float *w, const float *b,
                                                             int n, int k, int o) {
  for (int r = 0; r < n; r += 4) {
    int R = n - r < 4 ? n - r : 4;
    rows_avx512_R(y + (size_t)r * o, x + (size_t)r * k, w, b, R, k, o);
  }
}

__attribute__((target("avx2,fma"))) static float sum8(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static void rows_avx2(float *y, const float *x, const float *w, const float *b,
                                                           int n, int k, int o) {
  int j = 0;
  for (; j + 4 <= o; j += 4) {
    const float *w0 = w + (size_t)j * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
    for (int r = 0; r < n; r++) {
      const float *xr = x + (size_t)r * k;
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      int e = 0;
      for (; e + 8 <= k; e += 8) {
        __m256 xv = _mm256_loadu_ps(xr + e);
        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + e), xv, a0);
        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + e), xv, a1);
        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + e), xv, a2);
        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + e), xv, a3);
      }
      float s0 = sum8(a0), s1 = sum8(a1), s2 = sum8(a2), s3 = sum8(a3);
      for (; e < k; e++) {
        s0 += w0[e] * xr[e];
        s1 += w1[e] * xr[e];
        s2 += w2[e] * xr[e];
        s3 += w3[e] * xr[e];
      }
      float *yr = y + (size_t)r * o + j;
      yr[0] = s0 + (b ? b[j] : 0);
      yr[1] = s1 + (b ? b[j + 1] : 0);
      yr[2] = s2 + (b ? b[j + 2] : 0);
      yr[3] = s3 + (b ? b[j + 3] : 0);
    }
  }
  for (; j < o; j++) {
    const float *wj = w + (size_t)j * k;
    for (int r = 0; r < n; r++) {
      const float *xr = x + (size_t)r * k;
      __m256 a = _mm256_setzero_ps();
      int e = 0;
      for (; e + 8 <= k; e += 8) a = _mm256_fmadd_ps(_mm256_loadu_ps(wj + e), _mm256_loadu_ps(xr + e), a);
      float s = sum8(a);
      for (; e < k; e++) s += wj[e] * xr[e];
      y[(size_t)r * o + j] = s + (b ? b[j] : 0);
    }
  }
}
#endif

static void rows_portable(float *y, const float *x, const float *w, const float *b, int n, int k, int o) {
  for (int j = 0; j < o; j++) {
    const float *wj = w + (size_t)j * k;
    for (int r = 0; r < n; r++) {
      const float *xr = x + (size_t)r * k;
      float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      int e = 0;
      for (; e + 8 <= k; e += 8)
        for (int t = 0; t < 8; t++) s[t] += wj[e + t] * xr[e + t];
      float total = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
      for (; e < k; e++) total += wj[e] * xr[e];
      y[(size_t)r * o + j] = total + (b ? b[j] : 0);
    }
  }
}

void quarry_rows_linear(float *y, const float *x, const float *w, const float *b, int n, int k, int o) {
#if defined(__x86_64__)
  static int level = -1;
  int l = __atomic_load_n(&level, __ATOMIC_RELAXED);
  if (l < 0) {
    __builtin_cpu_init();
    l = __builtin_cpu_supports("avx512f") ? 2 : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? 1 : 0;
    __atomic_store_n(&level, l, __ATOMIC_RELAXED);
  }
  if (l == 2) {
    rows_avx512(y, x, w, b, n, k, o);
    return;
  }
  if (l == 1) {
    rows_avx2(y, x, w, b, n, k, o);
    return;
  }
#endif
  rows_portable(y, x, w, b, n, k, o);
}
