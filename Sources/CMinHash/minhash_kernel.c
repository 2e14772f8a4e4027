// The MinHash inner loop, the one place Swift cannot vectorize on baseline x86-64 (no 32-bit
// lane multiply or unsigned min before SSE4.1). Dispatches to AVX2 at run time.
#include "minhash_kernel.h"

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2"))) static void minhash_avx2(const uint64_t *shingles, size_t n,
                                                          const uint32_t *a, const uint32_t *b,
                                                          uint32_t *mins, size_t p) {
  size_t vec = p / 8 * 8;
  for (size_t s = 0; s < n; s++) {
    uint64_t x64 = shingles[s];
    uint32_t x = (uint32_t)(x64 >> 32) ^ (uint32_t)x64;
    __m256i xv = _mm256_set1_epi32((int)x);
    for (size_t i = 0; i < vec; i += 8) {
      __m256i av = _mm256_loadu_si256((const __m256i *)(a + i));
      __m256i bv = _mm256_loadu_si256((const __m256i *)(b + i));
      __m256i h = _mm256_add_epi32(_mm256_mullo_epi32(av, xv), bv);
      h = _mm256_xor_si256(h, _mm256_srli_epi32(h, 15));
      __m256i m = _mm256_loadu_si256((const __m256i *)(mins + i));
      _mm256_storeu_si256((__m256i *)(mins + i), _mm256_min_epu32(m, h));
    }
    for (size_t i = vec; i < p; i++) {
      uint32_t h = a[i] * x + b[i];
      h ^= h >> 15;
      if (h < mins[i]) mins[i] = h;
    }
  }
}
#endif

static void minhash_portable(const uint64_t *shingles, size_t n, const uint32_t *a,
                             const uint32_t *b, uint32_t *mins, size_t p) {
  for (size_t s = 0; s < n; s++) {
    uint64_t x64 = shingles[s];
    uint32_t x = (uint32_t)(x64 >> 32) ^ (uint32_t)x64;
    for (size_t i = 0; i < p; i++) {
      uint32_t h = a[i] * x + b[i];
      h ^= h >> 15;
      if (h < mins[i]) mins[i] = h;
    }
  }
}

void quarry_minhash32(const uint64_t *shingles, size_t n, const uint32_t *a, const uint32_t *b,
                      uint32_t *mins, size_t p) {
#if defined(__x86_64__)
  static int has_avx2 = -1;
  if (has_avx2 < 0) has_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
  if (has_avx2) {
    minhash_avx2(shingles, n, a, b, mins, p);
    return;
  }
#endif
  minhash_portable(shingles, n, a, b, mins, p);
}
