// OpenBLAS, loaded on first use (dlopen) rather than at program start: commands that never
// touch the model do not pay for the library's relocation and its thread pool (whose idle
// threads spin), and the kernel choice (OPENBLAS_CORETYPE) can still be made before loading.
// Only what the model calls: sgemm, dgemm and the thread-count controls, with CBLAS's values.
#pragma once
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

enum { QuarryCblasRowMajor = 101, QuarryCblasNoTrans = 111, QuarryCblasTrans = 112 };

/// The OpenBLAS library, loaded once; exits with a message naming the package when missing.
static inline void *quarry_openblas(void) {
  static void *handle;
  void *h = __atomic_load_n(&handle, __ATOMIC_ACQUIRE);
  if (h) return h;
  h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL);
  if (!h) h = dlopen("libopenblas.so", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "quarry: cannot load OpenBLAS (libopenblas.so.0): %s; install it with `make deps` "
                    "(apt-get install libopenblas0)\n", dlerror());
    exit(1);
  }
  __atomic_store_n(&handle, h, __ATOMIC_RELEASE);
  return h;
}

/// The OpenBLAS function `name`; exits when the library lacks it.
static inline void *quarry_openblas_symbol(const char *name) {
  void *f = dlsym(quarry_openblas(), name);
  if (!f) {
    fprintf(stderr, "quarry: OpenBLAS has no %s\n", name);
    exit(1);
  }
  return f;
}

typedef void (*quarry_sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int,
                                float, float *, int);
typedef void (*quarry_dgemm_fn)(int, int, int, int, int, int, double, const double *, int, const double *, int,
                                double, double *, int);

/// cblas_sgemm (blasint is int in Debian's 32-bit-index OpenBLAS).
static inline void quarry_cblas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
                                      const float *a, int lda, const float *b, int ldb, float beta, float *c,
                                      int ldc) {
  static quarry_sgemm_fn f;
  quarry_sgemm_fn g = __atomic_load_n(&f, __ATOMIC_ACQUIRE);
  if (!g) {
    g = (quarry_sgemm_fn)quarry_openblas_symbol("cblas_sgemm");
    __atomic_store_n(&f, g, __ATOMIC_RELEASE);
  }
  g(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// cblas_dgemm.
static inline void quarry_cblas_dgemm(int order, int transA, int transB, int m, int n, int k, double alpha,
                                      const double *a, int lda, const double *b, int ldb, double beta, double *c,
                                      int ldc) {
  static quarry_dgemm_fn f;
  quarry_dgemm_fn g = __atomic_load_n(&f, __ATOMIC_ACQUIRE);
  if (!g) {
    g = (quarry_dgemm_fn)quarry_openblas_symbol("cblas_dgemm");
    __atomic_store_n(&f, g, __ATOMIC_RELEASE);
  }
  g(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// openblas_get_corename: the kernel set the library chose (or was told to use); NULL when the
/// library has no such function.
static inline const char *quarry_openblas_corename(void) {
  void *f = dlsym(quarry_openblas(), "openblas_get_corename");
  return f ? ((const char *(*)(void))f)() : NULL;
}

/// Whether the library is loaded yet (the kernel choice must come before).
static inline int quarry_openblas_loaded(void) {
  void *h = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
  if (h) dlclose(h);
  return h != NULL;
}

// CPU features, from CPUID and XGETBV (whether the OS saves the AVX and AVX-512 registers).
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
/// CPUID leaf/subleaf into out[0..3] (eax, ebx, ecx, edx); 0 when the leaf does not exist.
static inline int quarry_cpuid(unsigned leaf, unsigned subleaf, unsigned out[4]) {
  return __get_cpuid_count(leaf, subleaf, &out[0], &out[1], &out[2], &out[3]);
}
/// XCR0, the register state the OS enables (bits 1-2: SSE/AVX, 5-7: AVX-512); 0 without OSXSAVE.
static inline unsigned long long quarry_xcr0(void) {
  unsigned r[4];
  if (!__get_cpuid_count(1, 0, &r[0], &r[1], &r[2], &r[3]) || !(r[2] & (1u << 27))) return 0;
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((unsigned long long)hi << 32) | lo;
}
#else
static inline int quarry_cpuid(unsigned leaf, unsigned subleaf, unsigned out[4]) { return 0; }
static inline unsigned long long quarry_xcr0(void) { return 0; }
#endif

/// openblas_get_num_threads.
static inline int quarry_openblas_get_num_threads(void) {
  return ((int (*)(void))quarry_openblas_symbol("openblas_get_num_threads"))();
}

/// openblas_set_num_threads.
static inline void quarry_openblas_set_num_threads(int n) {
  ((void (*)(int))quarry_openblas_symbol("openblas_set_num_threads"))(n);
}
