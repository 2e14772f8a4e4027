// An owned, zero-initialised flat allocation. The model keeps its parameters, gradients and
// activations in these (one owner each; never shared across tasks). The allocation starts on a
// 64-byte boundary (a cache line, one AVX-512 vector): malloc's large blocks start 16 bytes
// into a page, and every vector load from them would straddle two cache lines.

#if canImport(Glibc)
import Glibc
#endif

package final class Buffer<T: ModelScalar> {
  package let count: Int
  package let base: UnsafeMutablePointer<T>

  package init(_ count: Int) {
    self.count = count
    let bytes = max(1, count) * MemoryLayout<T>.stride
    let raw = UnsafeMutableRawPointer.allocate(
      byteCount: bytes, alignment: bytes >= Self.hugeFrom ? Self.hugePage : max(64, MemoryLayout<T>.alignment))
    if bytes >= Self.hugeFrom { adviseHugePages(raw, bytes) }
    base = raw.bindMemory(to: T.self, capacity: max(1, count))
    base.initialize(repeating: 0, count: max(1, count))
  }

  /// Transparent huge pages (2 MB) for buffers of at least 2 MB.
  static var hugePage: Int { 2 << 20 }
  static var hugeFrom: Int { 2 << 20 }

  deinit { base.deallocate() }

  package subscript(i: Int) -> T {
    get { base[i] }
    set { base[i] = newValue }
  }

  package func zero() { base.update(repeating: 0, count: count) }

  package func copy(from other: Buffer<T>) {
    precondition(other.count == count, "buffer sizes differ")
    base.update(from: other.base, count: count)
  }

  package var array: [T] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

/// Asks for transparent huge pages over [p, p + bytes): big buffers (the weights, read once per
/// token when decoding) then take a few 2 MB TLB entries instead of thousands of 4 KB ones.
func adviseHugePages(_ p: UnsafeMutableRawPointer, _ bytes: Int) {
  #if canImport(Glibc)
  _ = madvise(p, bytes, MADV_HUGEPAGE)
  #endif
}
