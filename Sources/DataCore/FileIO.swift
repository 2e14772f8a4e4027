#if canImport(Glibc)
  import Glibc
#endif
import Synchronization

/// A source of bytes read in chunks: a plain file or a decompressing stream.
package protocol ByteStream: AnyObject {
  /// Returns the next chunk of bytes, or `nil` at the end of the stream.
  func nextChunk() throws(DataError) -> [UInt8]?
  /// Bytes consumed from the underlying file so far (compressed bytes for codecs).
  var consumedBytes: Int { get }
}

/// Reads a file in fixed-size chunks with `read(2)`.
package final class FileByteStream: ByteStream {
  let path: String
  private var fd: Int32
  private let chunkSize: Int
  package private(set) var consumedBytes = 0

  /// Opens `path` for reading.
  /// - Throws: `DataError.io` when the file cannot be opened.
  package init(path: String, chunkSize: Int = 1 << 20) throws(DataError) {
    self.path = path
    fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw .io(path: path, operation: "open", errno: errno) }
    // A small regular file is read in one chunk of its own size (+1 to see the end at once).
    var st = stat()
    if fstat(fd, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG && Int(st.st_size) < chunkSize {
      self.chunkSize = Int(st.st_size) + 1
    } else {
      self.chunkSize = chunkSize
    }
  }

  deinit { if fd >= 0 { close(fd) } }

  package func nextChunk() throws(DataError) -> [UInt8]? {
    guard fd >= 0 else { return nil }
    var n = 0
    let size = chunkSize
    let fd = self.fd
    var failure: Int32 = 0
    var buffer = [UInt8](unsafeUninitializedCapacity: size) { raw, initialized in
      while n < size {
        let r = read(fd, raw.baseAddress.map { $0 + n }, size - n)
        if r < 0 {
          if errno == EINTR { continue }
          failure = errno
          break
        }
        if r == 0 { break }
        n += r
      }
      initialized = n
    }
    if failure != 0 { throw .io(path: path, operation: "read", errno: failure) }
    if n == 0 {
      close(fd)
      self.fd = -1
      return nil
    }
    consumedBytes += n
    return buffer
  }
}

/// Reads a whole (small) file into memory, refusing files over `limit` bytes.
/// - Throws: `DataError.io` on failure, `DataError.invalidInput` when the file is too large.
package func readFile(_ path: String, limit: Int = 1 << 30) throws(DataError) -> [UInt8] {
  let stream = try FileByteStream(path: path)
  var out: [UInt8] = []
  while let chunk = try stream.nextChunk() {
    if out.isEmpty { out = chunk } else { out += chunk }
    if out.count > limit { throw .invalidInput("'\(path)' is larger than \(limit) bytes") }
  }
  return out
}

/// Numbers the temporary files of this process, so concurrent writers never share one.
private let tempCounter = Atomic<Int>(0)

/// A buffered writer that writes to a temporary name and renames into place on `commit()`.
///
/// A run killed before `commit()` leaves only a hidden `.name.PID-N.tmp` file (unique per process
/// and writer, so two writers never share one), which the job layer sweeps before a rerun; readers never
/// see a half-written output.
package final class AtomicFileWriter {
  /// The final path.
  package let path: String
  /// The temporary path written until `commit()`.
  package let tempPath: String
  private var fd: Int32
  private var buffer: [UInt8] = []
  private let bufferLimit = 1 << 20
  /// Bytes written so far.
  package private(set) var bytesWritten = 0

  /// Creates (truncating) the temporary file next to `path`.
  /// - Throws: `DataError.io` when the directory is not writable.
  package init(path: String) throws(DataError) {
    self.path = path
    let slash = path.lastIndex(of: "/")
    let dir = slash.map { String(path[..<$0]) } ?? "."
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    tempPath = dir + "/." + name + "." + String(getpid()) + "-" + String(tempCounter.add(1, ordering: .relaxed).newValue) + ".tmp"
    fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    if fd < 0 { throw .io(path: tempPath, operation: "create", errno: errno) }
    // The buffer grows as needed: many outputs are small, and a 1 MiB reservation per file
    // costs an mmap and page faults each time.
  }

  deinit {
    if fd >= 0 {
      close(fd)
      unlink(tempPath)
    }
  }

  /// Appends bytes.
  package func write<C: Collection>(_ bytes: C) throws(DataError) where C.Element == UInt8 {
    buffer.append(contentsOf: bytes)
    bytesWritten += bytes.count
    if buffer.count >= bufferLimit { try flush() }
  }

  /// Appends the UTF-8 bytes of a string.
  package func write(_ string: String) throws(DataError) {
    var s = string
    s.withUTF8 { buffer.append(contentsOf: $0) }
    bytesWritten += s.utf8.count
    if buffer.count >= bufferLimit { try flush() }
  }

  private func flush() throws(DataError) {
    var failure: DataError?
    buffer.withUnsafeBytes { raw in
      do throws(DataError) { try writeAll(fd, raw, path: tempPath) } catch { failure = error }
    }
    if let failure { throw failure }
    buffer.removeAll(keepingCapacity: true)
  }

  /// Flushes and renames the temporary file to its final name; with `sync`, fsyncs first so
  /// the data also survives a power loss (a killed process never leaves a half file either way).
  package func commit(sync: Bool = true) throws(DataError) {
    try flush()
    if sync && fsync(fd) != 0 { throw .io(path: tempPath, operation: "fsync", errno: errno) }
    close(fd)
    fd = -1
    if rename(tempPath, path) != 0 { throw .io(path: path, operation: "rename", errno: errno) }
  }
}

/// Writes all of `bytes` to `fd` (retrying short writes and EINTR).
/// - Throws: `DataError.io` naming `path` when a write fails.
package func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(DataError) {
  var off = 0
  while off < bytes.count {
    let r = Glibc.write(fd, bytes.baseAddress.map { $0 + off }, bytes.count - off)
    if r < 0 {
      if errno == EINTR { continue }
      throw .io(path: path, operation: "write", errno: errno)
    }
    off += r
  }
}

/// Writes `bytes` to `path` atomically (temporary name, then rename), fsynced when `sync`.
package func writeFileAtomically(_ path: String, _ bytes: [UInt8], sync: Bool = true) throws(DataError) {
  let w = try AtomicFileWriter(path: path)
  try w.write(bytes)
  try w.commit(sync: sync)
}

/// Writes `text` to `path` atomically, fsynced when `sync`.
package func writeFileAtomically(_ path: String, _ text: String, sync: Bool = true) throws(DataError) {
  try writeFileAtomically(path, Array(text.utf8), sync: sync)
}

/// Creates `path` and its parents if missing.
/// - Throws: `DataError.io` when a component cannot be created.
package func makeDirectories(_ path: String) throws(DataError) {
  var current = path.hasPrefix("/") ? "" : "."
  for part in path.split(separator: "/") {
    current += "/" + part
    if mkdir(current, 0o755) != 0 && errno != EEXIST {
      throw .io(path: current, operation: "mkdir", errno: errno)
    }
  }
}

/// Whether a file or directory exists at `path`.
package func fileExists(_ path: String) -> Bool {
  var st = stat()
  return stat(path, &st) == 0
}

/// Whether `path` is a directory.
package func isDirectory(_ path: String) -> Bool {
  var st = stat()
  return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
}

/// The size of the file at `path`, or 0 when it cannot be read.
package func fileSize(_ path: String) -> Int {
  var st = stat()
  return stat(path, &st) == 0 ? Int(st.st_size) : 0
}

/// A read-only memory map of a whole file; unmapped on deinit.
///
/// Large side files (MinHash signatures) are read through the page cache this way, so a
/// corpus larger than RAM still works.
package final class MappedFile {
  /// The mapped bytes.
  package let bytes: UnsafeRawBufferPointer
  private let base: UnsafeMutableRawPointer?

  /// Maps `path`.
  /// - Throws: `DataError.io` when it cannot be opened or mapped.
  package init(path: String) throws(DataError) {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    if fd < 0 { throw .io(path: path, operation: "open", errno: errno) }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) != 0 { throw .io(path: path, operation: "stat", errno: errno) }
    let size = Int(st.st_size)
    if size == 0 {
      base = nil
      bytes = UnsafeRawBufferPointer(start: nil, count: 0)
      return
    }
    let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
    if p == MAP_FAILED || p == nil { throw .io(path: path, operation: "mmap", errno: errno) }
    base = p
    bytes = UnsafeRawBufferPointer(start: p, count: size)
  }

  deinit { if let base { munmap(base, bytes.count) } }
}

/// Writes an array of plain values (integers, fixed structs) to `path` atomically.
package func writeValues<T: BitwiseCopyable>(_ values: [T], to path: String) throws(DataError) {
  let w = try AtomicFileWriter(path: path)
  try w.write(values.withUnsafeBytes { Array($0) })
  try w.commit(sync: false)
}

/// Reads a file written by `writeValues`.
/// - Throws: `DataError` when the file is missing or its size is not a multiple of `T`'s.
package func readValues<T: BitwiseCopyable>(_ type: T.Type, from path: String) throws(DataError) -> [T] {
  let bytes = try readFile(path, limit: 1 << 40)
  let stride = MemoryLayout<T>.stride
  guard bytes.count % stride == 0 else {
    throw .invalidInput("'\(path)' has \(bytes.count) bytes, not a whole number of records; delete it and rerun the step that writes it")
  }
  return [T](unsafeUninitializedCapacity: bytes.count / stride) { buf, n in
    bytes.withUnsafeBytes { raw in
      UnsafeMutableRawBufferPointer(buf).copyMemory(from: raw)
    }
    n = bytes.count / stride
  }
}
