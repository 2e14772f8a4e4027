// OpenBLAS's CBLAS interface (sgemm/dgemm) and its thread-count controls.
// pkg-config `openblas` adds the include directory (openblas-pthread/ on Debian).
#include <cblas.h>
