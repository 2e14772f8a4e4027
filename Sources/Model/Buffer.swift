// An owned, zero-initialised flat allocation. The model keeps its parameters, gradients and
// activations in these (one owner each; never shared across tasks).

package final class Buffer<T: ModelScalar> {
  package let count: Int
  package let base: UnsafeMutablePointer<T>

  package init(_ count: Int) {
    self.count = count
    base = UnsafeMutablePointer<T>.allocate(capacity: max(1, count))
    base.initialize(repeating: 0, count: max(1, count))
  }

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
