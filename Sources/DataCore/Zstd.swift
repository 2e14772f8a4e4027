internal import CZstd

/// Streaming zstd compression into an `AtomicFileWriter`.
///
/// Input is staged in fixed 1 MiB blocks before it reaches the compressor, so the compressed
/// bytes depend only on the input bytes, never on how callers split their writes.
package final class ZstdWriter {
  private let sink: AtomicFileWriter
  private let cctx: OpaquePointer
  private var staged: [UInt8] = []
  private let blockSize = 1 << 20
  private var out: [UInt8]

  /// Creates a compressor at `level` writing to `sink`.
  package init(sink: AtomicFileWriter, level: Int32 = 3) throws(DataError) {
    guard let ctx = ZSTD_createCCtx() else {
      throw .zstd(path: sink.path, message: "cannot allocate a compression context")
    }
    cctx = ctx
    self.sink = sink
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
    out = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
    staged.reserveCapacity(blockSize)
  }

  deinit { ZSTD_freeCCtx(cctx) }

  /// Appends uncompressed bytes.
  package func write<C: Collection>(_ bytes: C) throws(DataError) where C.Element == UInt8 {
    staged.append(contentsOf: bytes)
    while staged.count >= blockSize {
      try compress(staged[0..<blockSize], end: false)
      staged.removeSubrange(0..<blockSize)
    }
  }

  /// Appends the UTF-8 bytes of `string`.
  package func write(_ string: String) throws(DataError) {
    var s = string
    let bytes = s.withUTF8 { Array($0) }
    try write(bytes)
  }

  /// Ends the frame and commits the file.
  package func finish() throws(DataError) {
    try compress(staged[...], end: true)
    staged.removeAll()
    try sink.commit()
  }

  private func compress(_ input: ArraySlice<UInt8>, end: Bool) throws(DataError) {
    let outCount = out.count
    var failure: String?
    var chunks: [[UInt8]] = []
    input.withUnsafeBytes { inRaw in
      var inBuf = ZSTD_inBuffer(src: inRaw.baseAddress, size: inRaw.count, pos: 0)
      out.withUnsafeMutableBytes { outRaw in
        while true {
          var outBuf = ZSTD_outBuffer(dst: outRaw.baseAddress, size: outCount, pos: 0)
          let remaining = ZSTD_compressStream2(
            cctx, &outBuf, &inBuf, end ? ZSTD_e_end : ZSTD_e_continue)
          if ZSTD_isError(remaining) != 0 {
            failure = String(cString: ZSTD_getErrorName(remaining))
            return
          }
          if outBuf.pos > 0 {
            chunks.append(Array(UnsafeRawBufferPointer(rebasing: outRaw[0..<outBuf.pos])))
          }
          let done = end ? remaining == 0 : inBuf.pos == inBuf.size
          if done { return }
        }
      }
    }
    if let failure { throw .zstd(path: sink.path, message: failure) }
    for c in chunks { try sink.write(c) }
  }
}

/// Streaming zstd decompression of a file (one or more concatenated frames).
package final class ZstdByteStream: ByteStream {
  private let source: ByteStream
  private let path: String
  private let dctx: OpaquePointer
  private var input: [UInt8] = []
  private var inputPos = 0
  private var sawEnd = false
  private var frameOpen = false
  package var consumedBytes: Int { source.consumedBytes }

  /// Opens `path` for decompression.
  package init(path: String) throws(DataError) {
    source = try FileByteStream(path: path)
    self.path = path
    guard let ctx = ZSTD_createDCtx() else {
      throw .zstd(path: path, message: "cannot allocate a decompression context")
    }
    dctx = ctx
  }

  deinit { ZSTD_freeDCtx(dctx) }

  package func nextChunk() throws(DataError) -> [UInt8]? {
    let outSize = ZSTD_DStreamOutSize()
    var out = [UInt8](repeating: 0, count: outSize)
    while true {
      if inputPos == input.count {
        if sawEnd { return nil }
        if let chunk = try source.nextChunk() {
          input = chunk
          inputPos = 0
        } else {
          sawEnd = true
          if frameOpen { throw .zstd(path: path, message: "truncated stream") }
          return nil
        }
      }
      var produced = 0
      var failure: String?
      input.withUnsafeBytes { inRaw in
        var inBuf = ZSTD_inBuffer(src: inRaw.baseAddress, size: inRaw.count, pos: inputPos)
        out.withUnsafeMutableBytes { outRaw in
          var outBuf = ZSTD_outBuffer(dst: outRaw.baseAddress, size: outSize, pos: 0)
          let r = ZSTD_decompressStream(dctx, &outBuf, &inBuf)
          if ZSTD_isError(r) != 0 {
            failure = String(cString: ZSTD_getErrorName(r))
            return
          }
          frameOpen = r != 0
          produced = outBuf.pos
        }
        inputPos = inBuf.pos
      }
      if let failure { throw .zstd(path: path, message: failure) }
      if produced > 0 {
        out.removeSubrange(produced...)
        return out
      }
    }
  }
}

/// Compresses `bytes` into one zstd frame.
package func zstdCompress(_ bytes: [UInt8], level: Int32 = 3) -> [UInt8] {
  let bound = ZSTD_compressBound(bytes.count)
  var out = [UInt8](repeating: 0, count: bound)
  let n = out.withUnsafeMutableBytes { o in
    bytes.withUnsafeBytes { i in ZSTD_compress(o.baseAddress, bound, i.baseAddress, i.count, level) }
  }
  precondition(ZSTD_isError(n) == 0, "ZSTD_compress cannot fail with a compressBound buffer")
  out.removeSubrange(n...)
  return out
}

/// The largest single frame `zstdDecompressFrame` accepts (token shards write 128-256 KiB).
package let maxZstdFrameBytes = 64 << 20

/// Compresses `bytes` into one independent zstd frame with a content checksum.
package func zstdCompressFrame(_ bytes: UnsafeRawBufferPointer, level: Int32 = 3) throws(DataError) -> [UInt8] {
  guard let cctx = ZSTD_createCCtx() else { throw .zstd(path: "", message: "cannot allocate a context") }
  defer { ZSTD_freeCCtx(cctx) }
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)
  let bound = ZSTD_compressBound(bytes.count)
  var out = [UInt8](repeating: 0, count: bound)
  let n = out.withUnsafeMutableBytes { o in ZSTD_compress2(cctx, o.baseAddress, bound, bytes.baseAddress, bytes.count) }
  if ZSTD_isError(n) != 0 { throw .zstd(path: "", message: String(cString: ZSTD_getErrorName(n))) }
  out.removeSubrange(n...)
  return out
}

/// Decompresses exactly one zstd frame that must hold `size` bytes (at most `maxZstdFrameBytes`).
///
/// The size is checked against the frame's own header before anything is allocated, so a seek
/// table that lies about a frame's size costs nothing.
/// - Throws: `DataError.zstd` when the frame is corrupt, truncated or of another size.
package func zstdDecompressFrame(_ frame: UnsafeRawBufferPointer, size: Int, path: String) throws(DataError) -> [UInt8] {
  guard size >= 0, size <= maxZstdFrameBytes else {
    throw .zstd(path: path, message: "a frame of \(size) bytes is over the \(maxZstdFrameBytes >> 20) MiB limit")
  }
  let declared = ZSTD_getFrameContentSize(frame.baseAddress, frame.count)
  guard declared == UInt64(size) else {
    throw .zstd(
      path: path,
      message: declared >= ZSTD_CONTENTSIZE_ERROR
        ? "the frame header is damaged or does not declare its size"
        : "the frame header says \(declared) bytes, the seek table says \(size)")
  }
  var out = [UInt8](repeating: 0, count: size)
  let n = out.withUnsafeMutableBytes { o in ZSTD_decompress(o.baseAddress, size, frame.baseAddress, frame.count) }
  if ZSTD_isError(n) != 0 { throw .zstd(path: path, message: String(cString: ZSTD_getErrorName(n))) }
  guard n == size else { throw .zstd(path: path, message: "frame holds \(n) bytes, the seek table says \(size)") }
  return out
}
