// 16-float vectors for the model's C kernels: clang's ext_vector_type, so each kernel is
// written once and compiled (target_clones) for AVX-512, AVX2/FMA and baseline x86-64.
#pragma once

#include <math.h>
#include <string.h>

// One source, three builds: clang's target_clones compiles each kernel for AVX-512
// (x86-64-v4), AVX2/FMA (x86-64-v3) and baseline x86-64, and the loader picks one by CPU.
#if defined(__x86_64__)
#define CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define CLONES
#endif

typedef float v16 __attribute__((ext_vector_type(16)));
typedef float v8 __attribute__((ext_vector_type(8)));
typedef float v4 __attribute__((ext_vector_type(4)));
typedef int i16 __attribute__((ext_vector_type(16)));

#define LOAD(p) ({ v16 v_; memcpy(&v_, (p), sizeof v_); v_; })
#define STORE(p, v) ({ v16 s_ = (v); memcpy((p), &s_, sizeof s_); })
// Lanes summed in a fixed tree.
// (Names inside the macros are their own, so that an argument named like them, MAX_BODY's
// a_, is not shadowed by the declaration it initialises.)
#define HSUM(a) ({ v16 hs_a_ = (a); v8 hs_b_ = hs_a_.lo + hs_a_.hi; v4 hs_c_ = hs_b_.lo + hs_b_.hi; \
  (hs_c_.x + hs_c_.y) + (hs_c_.z + hs_c_.w); })
#define HMAX(a) ({ v16 hm_a_ = (a); v8 hm_b_ = __builtin_elementwise_max(hm_a_.lo, hm_a_.hi); \
  v4 hm_c_ = __builtin_elementwise_max(hm_b_.lo, hm_b_.hi); fmaxf(fmaxf(hm_c_.x, hm_c_.y), fmaxf(hm_c_.z, hm_c_.w)); })

// exp(x): Cephes' expf range reduction and polynomial (about 2 ulp over the clamped range), 2ⁿ
// built in the exponent bits. The same steps for 16 lanes (EXP16) and for one value (exp1).
#define EXP_BODY(x, V, I)                                                        \
  ({                                                                             \
    V x_ = __builtin_elementwise_min(__builtin_elementwise_max((x), (V)-87.3f), (V)88.3f); \
    V t_ = x_ * 1.44269504f + 12582912.0f;                                       \
    V n_ = t_ - 12582912.0f;                                                     \
    V r_ = x_ - n_ * 0.693359375f;                                               \
    r_ = r_ - n_ * -2.12194440e-4f;                                              \
    V p_ = (V)1.9875691500e-4f;                                                  \
    p_ = p_ * r_ + 1.3981999507e-3f;                                             \
    p_ = p_ * r_ + 8.3334519073e-3f;                                             \
    p_ = p_ * r_ + 4.1665795894e-2f;                                             \
    p_ = p_ * r_ + 1.6666665459e-1f;                                             \
    p_ = p_ * r_ + 5.0000001201e-1f;                                             \
    p_ = p_ * (r_ * r_) + r_ + 1.0f;                                             \
    I nb_;                                                                       \
    memcpy(&nb_, &t_, sizeof nb_);                                               \
    nb_ = (nb_ - 0x4B400000 + 127) << 23;                                        \
    V sc_;                                                                       \
    memcpy(&sc_, &nb_, sizeof sc_);                                              \
    p_ * sc_;                                                                    \
  })
#define EXP16(x) EXP_BODY(x, v16, i16)

typedef float f1 __attribute__((ext_vector_type(1)));
typedef int i1 __attribute__((ext_vector_type(1)));
#define EXP1(arg) ({ f1 in_ = {(arg)}; f1 out_ = EXP_BODY(in_, f1, i1); out_[0]; })
