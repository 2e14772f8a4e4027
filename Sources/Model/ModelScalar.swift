// The floating-point types the model runs in: Float for training and inference, Double for the
// float64 reference the gradient tests compare against. Matrix products go through OpenBLAS.
internal import COpenBLAS
internal import CModelKernels
import DataCore
import Foundation

/// A scalar the model kernels are generic over. Only `Float` and `Double` conform; the public
/// API is concrete (`Float`), so the generic kernels are specialized inside this module.
package protocol ModelScalar: BinaryFloatingPoint, Sendable {
  /// Row-major `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`.
  static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Self,
    a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
    beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
  static func exp(_ x: Self) -> Self
  static func log(_ x: Self) -> Self
  static func cos(_ x: Self) -> Self
  static func sin(_ x: Self) -> Self
  static func pow(_ x: Self, _ y: Self) -> Self
  /// p[i] = exp(p[i] − shift) for i in 0..<count; returns Σ p[i].
  static func expShifted(_ p: UnsafeMutablePointer<Self>, count: Int, shift: Self) -> Self
}

extension Float: ModelScalar {
  @inline(__always)
  package static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    quarry_cblas_sgemm(
      Int32(QuarryCblasRowMajor), Int32(transA ? QuarryCblasTrans : QuarryCblasNoTrans),
      Int32(transB ? QuarryCblasTrans : QuarryCblasNoTrans),
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }
  @inline(__always) package static func exp(_ x: Float) -> Float { Foundation.expf(x) }
  @inline(__always) package static func log(_ x: Float) -> Float { Foundation.logf(x) }
  @inline(__always) package static func cos(_ x: Float) -> Float { Foundation.cosf(x) }
  @inline(__always) package static func sin(_ x: Float) -> Float { Foundation.sinf(x) }
  @inline(__always) package static func pow(_ x: Float, _ y: Float) -> Float { Foundation.powf(x, y) }
  package static func expShifted(_ p: UnsafeMutablePointer<Float>, count: Int, shift: Float)
    -> Float
  {
    quarry_exp_shifted(p, Int32(count), shift)
  }
}

extension Double: ModelScalar {
  @inline(__always)
  package static func gemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Double,
    a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
    beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
  ) {
    quarry_cblas_dgemm(
      Int32(QuarryCblasRowMajor), Int32(transA ? QuarryCblasTrans : QuarryCblasNoTrans),
      Int32(transB ? QuarryCblasTrans : QuarryCblasNoTrans),
      Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
  }
  @inline(__always) package static func exp(_ x: Double) -> Double { Foundation.exp(x) }
  @inline(__always) package static func log(_ x: Double) -> Double { Foundation.log(x) }
  @inline(__always) package static func cos(_ x: Double) -> Double { Foundation.cos(x) }
  @inline(__always) package static func sin(_ x: Double) -> Double { Foundation.sin(x) }
  @inline(__always) package static func pow(_ x: Double, _ y: Double) -> Double { Foundation.pow(x, y) }
  package static func expShifted(_ p: UnsafeMutablePointer<Double>, count: Int, shift: Double)
    -> Double
  {
    var sum = 0.0
    for i in 0..<count {
      let e = Foundation.exp(p[i] - shift)
      p[i] = e
      sum += e
    }
    return sum
  }
}

/// OpenBLAS's thread pool size. The model always calls OpenBLAS single-threaded: a
/// multi-threaded sgemm may sum in another order, and results must not depend on the thread
/// count. Parallelism comes from data-parallel replicas and the row-parallel kernels instead.
public enum BLASThreads {
  public static var count: Int {
    _ = BLASKernels.selection
    return Int(quarry_openblas_get_num_threads())
  }
  /// Single-threaded OpenBLAS (the model's setting), its kernels chosen first.
  public static func useOne() {
    _ = BLASKernels.selection
    quarry_openblas_set_num_threads(1)
  }
}

extension BLASThreads {
  /// The measured sgemm rate (GFLOP/s) for an n×n×n product on the current OpenBLAS threads:
  /// the median of repetitions over at least `seconds`. MFU is reported against this peak.
  /// With `threads` > 1, OpenBLAS runs multi-threaded for the measurement only; do not call it
  /// while a model computes on another thread.
  public static func sgemmGFLOPS(n: Int = 1024, seconds: Double = 0.5, threads: Int = 1) -> Double {
    _ = BLASKernels.selection
    return measuredSgemmGFLOPS(n: n, seconds: seconds, threads: threads)
  }

  /// `sgemmGFLOPS` on whatever kernels are loaded (the kernel choice itself measures with it).
  static func measuredSgemmGFLOPS(n: Int = 1024, seconds: Double = 0.5, threads: Int = 1) -> Double {
    quarry_openblas_set_num_threads(Int32(max(1, threads)))
    defer { quarry_openblas_set_num_threads(1) }
    let a = Buffer<Float>(n * n), b = Buffer<Float>(n * n), c = Buffer<Float>(n * n)
    var rng = SplitMix64(seed: 1)
    for i in 0..<(n * n) {
      a[i] = Float(rng.nextUnit()) - 0.5
      b[i] = Float(rng.nextUnit()) - 0.5
    }
    func once() -> Double {
      let t0 = monotonicSeconds()
      Float.gemm(
        transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: a.base, lda: n, b: b.base,
        ldb: n, beta: 0, c: c.base, ldc: n)
      return monotonicSeconds() - t0
    }
    _ = once()
    var times: [Double] = []
    let start = monotonicSeconds()
    while times.count < 3 || monotonicSeconds() - start < seconds { times.append(once()) }
    times.sort()
    return 2 * Double(n * n * n) / times[times.count / 2] / 1e9
  }
}

/// CPU seconds used by this process (all threads).
public func processCPUSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
