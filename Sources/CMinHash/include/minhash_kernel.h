#pragma once
#include <stddef.h>
#include <stdint.h>

/// mins[i] = min(mins[i], min over shingles x of f_i(x)) for i < p, where x is the 64-bit
/// shingle hash folded to 32 bits, f_i(x) = a[i]*x + b[i] (mod 2^32), then h ^= h >> 15.
/// Uses AVX2 when the CPU has it (checked at run time), else a portable loop.
void quarry_minhash32(const uint64_t *shingles, size_t n, const uint32_t *a, const uint32_t *b,
                      uint32_t *mins, size_t p);
