internal import DataCore

/// Why an archived HTTP response could not be decoded.
public enum HTTPError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The first line is not `HTTP/x.y NNN [reason]`.
  case badStatusLine(String)
  /// The header block is longer than `HTTPLimits.maxHeaderBytes`.
  case headersTooLarge(limit: Int)
  /// The body uses a `Content-Encoding` this module does not decode (e.g. `br`).
  case unsupportedContentEncoding(String)
  /// The decoded body would exceed `HTTPLimits.maxBodyBytes` (decompression-bomb guard).
  case bodyTooLarge(limit: Int)
  /// The body claims `encoding` and starts like it, but no byte of it decodes.
  case contentDecodingFailed(encoding: String, message: String)

  /// A one-line explanation.
  public var description: String {
    switch self {
    case .badStatusLine(let line): return "not an HTTP status line: \"\(line)\""
    case .headersTooLarge(let limit): return "HTTP header block exceeds \(limit) bytes"
    case .unsupportedContentEncoding(let name): return "unsupported Content-Encoding \"\(name)\""
    case .bodyTooLarge(let limit): return "decoded HTTP body exceeds \(limit) bytes"
    case .contentDecodingFailed(let encoding, let message):
      return "\(encoding) body does not decode: \(message)"
    }
  }
}

/// Something recovered from while decoding a body; the body is still usable.
public enum HTTPBodyIssue: String, Sendable, Hashable {
  /// `Transfer-Encoding: chunked`, but the body does not start with a chunk-size line; it
  /// was kept as is (crawlers often store already de-chunked bodies).
  case notChunked = "not_chunked"
  /// A chunk's declared size did not match its data; the next chunk-size line was located
  /// by searching near the declared end.
  case chunkSizeMismatch = "chunk_size_mismatch"
  /// The chunked body ended before its last (zero-size) chunk.
  case chunkedTruncated = "chunked_truncated"
  /// `Content-Encoding` names gzip/deflate but the bytes are not compressed; kept as is.
  case contentEncodingNotApplied = "content_encoding_not_applied"
  /// The compressed body is cut or corrupt; the bytes decoded before the damage are kept.
  case contentDecodingIncomplete = "content_decoding_incomplete"
  /// The header block has no terminating blank line (the block ends in the headers).
  case headersUnterminated = "headers_unterminated"
}

/// Bounds for decoding one HTTP message.
public struct HTTPLimits: Sendable {
  /// The longest header block accepted.
  public var maxHeaderBytes: Int
  /// The largest decoded body (after de-chunking and decompression).
  public var maxBodyBytes: Int

  /// Creates limits; the defaults are 256 KiB of headers and 64 MiB of decoded body.
  public init(maxHeaderBytes: Int = 256 << 10, maxBodyBytes: Int = 64 << 20) {
    self.maxHeaderBytes = maxHeaderBytes
    self.maxBodyBytes = maxBodyBytes
  }
}

/// An archived HTTP response with its body de-chunked and decompressed.
public struct HTTPResponse: Sendable {
  /// The protocol version from the status line, such as `HTTP/1.1`.
  public var version: String
  /// The status code, such as 200.
  public var status: Int
  /// The reason phrase; empty when the status line has none.
  public var reason: String
  /// Header fields in order; repeated fields are all kept.
  public var headers: [HeaderField]
  /// The decoded body: transfer coding removed, then content coding removed.
  public var body: [UInt8]
  /// The media type from `Content-Type`, lowercased, without parameters (`text/html`).
  ///
  /// `nil` when absent. Repeated headers resolve as browsers do (Fetch standard): the last
  /// valid type wins.
  public var contentType: String?
  /// The `charset` parameter of that `Content-Type`, lowercased and unquoted.
  ///
  /// `nil` when absent. Pages often declare a different one in `<meta>`.
  public var charset: String?
  /// What decoding recovered from, in the order met.
  public var issues: [HTTPBodyIssue]

  /// The value of the first header named `name` (case-insensitive), or `nil`.
  public func header(_ name: String) -> String? { headers.first(named: name) }
}

/// Parses an archived HTTP response (a `response` record block or an ARC record body).
///
/// Accepts LF-only line endings, a status line without reason phrase, folded header lines,
/// and a block that ends inside the headers. The body is whatever follows the header block
/// (archives do not always honor the HTTP `Content-Length`). It is de-chunked when
/// `Transfer-Encoding` ends in `chunked`, then decoded per `Content-Encoding` (`gzip`,
/// `x-gzip`, `deflate` raw or zlib-wrapped, `identity`), last coding first.
///
/// - Throws: `HTTPError.badStatusLine` when the block is not an HTTP response,
///   `.unsupportedContentEncoding("br")` for brotli (and any other unknown coding),
///   `.bodyTooLarge` when decoding would exceed `limits.maxBodyBytes`,
///   `.contentDecodingFailed` when a compressed body yields no bytes at all.
public func parseHTTPResponse(
  _ block: [UInt8], limits: HTTPLimits = .init()
) throws(HTTPError) -> HTTPResponse {
  var i = 0
  while i < block.count && (block[i] == 0x0D || block[i] == 0x0A) { i += 1 }
  let headerLimit = min(block.count, i + limits.maxHeaderBytes)
  guard let statusEnd = block.index(of: 0x0A, from: i, to: headerLimit) ?? fullLineEnd(block, i)
  else {
    throw block.count > headerLimit
      ? .headersTooLarge(limit: limits.maxHeaderBytes)
      : .badStatusLine(headerString(block[i..<min(block.count, i + 80)]))
  }
  let statusLine = block[trimmed(block, i..<statusEnd)]
  let parts = statusLine.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: true)
  guard parts.count >= 2, parts[0].count >= 5,
    headerString(parts[0].prefix(5)).uppercased() == "HTTP/",
    parts[1].count == 3, parts[1].allSatisfy(isDigit), let status = Int(headerString(parts[1]))
  else {
    throw .badStatusLine(headerString(statusLine.prefix(80)))
  }
  var response = HTTPResponse(
    version: headerString(parts[0]), status: status,
    reason: parts.count > 2 ? headerString(parts[2]) : "", headers: [], body: [],
    contentType: nil, charset: nil, issues: [])

  // Header fields up to the blank line.
  i = statusEnd + 1
  var bodyStart: Int?
  while i < block.count {
    guard let e = block.index(of: 0x0A, from: i, to: headerLimit) else {
      if block.count > headerLimit { throw .headersTooLarge(limit: limits.maxHeaderBytes) }
      appendField(block, i..<block.count, to: &response.headers)
      i = block.count
      break
    }
    let r = trimmed(block, i..<e)
    if r.isEmpty {
      bodyStart = e + 1
      break
    }
    appendField(block, i..<e, to: &response.headers)
    i = e + 1
  }
  if bodyStart == nil && !response.headers.isEmpty { response.issues.append(.headersUnterminated) }

  (response.contentType, response.charset) = extractMIMEType(
    response.headers.all(named: "Content-Type"))

  var body = Array(block[(bodyStart ?? block.count)...])
  let transfer = codings(response.headers.all(named: "Transfer-Encoding"))
  if transfer.last == "chunked" {
    body = decodeChunked(body, issues: &response.issues)
  }
  let content = codings(response.headers.all(named: "Content-Encoding"))
  for coding in content.reversed() {
    body = try decodeContent(body, coding: coding, limits: limits, issues: &response.issues)
  }
  if body.count > limits.maxBodyBytes { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
  response.body = body
  return response
}

/// The end of a block that is one unterminated line, or `nil` when empty.
private func fullLineEnd(_ block: [UInt8], _ i: Int) -> Int? {
  i < block.count && block.count - i < 16 << 10 ? block.count : nil
}

/// Appends the field on line `range`, folding continuation lines into the previous field.
private func appendField(_ block: [UInt8], _ range: Range<Int>, to headers: inout [HeaderField]) {
  let r = trimmed(block, range)
  guard !r.isEmpty else { return }
  if isBlank(block[range.lowerBound]), !headers.isEmpty {
    headers[headers.count - 1].value += " " + headerString(block[r])
    return
  }
  guard let colon = block.index(of: 0x3A, from: r.lowerBound, to: r.upperBound) else { return }
  let name = trimmed(block, r.lowerBound..<colon)
  let value = trimmed(block, (colon + 1)..<r.upperBound)
  headers.append(HeaderField(name: headerString(block[name]), value: headerString(block[value])))
}

/// Splits comma-separated coding lists into lowercased names, dropping `identity`.
private func codings(_ values: [String]) -> [String] {
  values.flatMap { $0.split(separator: ",") }
    .map { $0.trimmingASCIIWhitespace().lowercased() }
    .filter { !$0.isEmpty && $0 != "identity" }
}

/// The media type and charset of a response with `Content-Type` fields `values`, following
/// the Fetch standard's "extract a MIME type": the last valid type wins, and a repeated type
/// without a charset keeps the charset of the one before it
/// (https://fetch.spec.whatwg.org/#concept-header-extract-mime-type).
func extractMIMEType(_ values: [String]) -> (mime: String?, charset: String?) {
  var mime: String?
  var charset: String?
  for value in values {
    for piece in value.split(separator: ",") {
      let (m, c) = parseContentType(String(piece))
      guard let m, m.contains("/"), m != "*/*" else { continue }
      if m != mime {
        mime = m
        charset = c
      } else if let c {
        charset = c
      }
    }
  }
  return (mime, charset)
}

/// Splits a `Content-Type` value into the lowercased media type and charset.
func parseContentType(_ value: String) -> (mime: String?, charset: String?) {
  let parts = value.split(separator: ";", omittingEmptySubsequences: false)
  let mime = parts.first.map { $0.trimmingASCIIWhitespace().lowercased() }
  var charset: String?
  for param in parts.dropFirst() {
    let kv = param.split(separator: "=", maxSplits: 1)
    guard kv.count == 2, kv[0].trimmingASCIIWhitespace().lowercased() == "charset" else {
      continue
    }
    var v = kv[1].trimmingASCIIWhitespace()
    if v.count >= 2
      && (v.hasPrefix("\"") && v.hasSuffix("\"") || v.hasPrefix("'") && v.hasSuffix("'"))
    {
      v = String(v.dropFirst().dropLast())
    }
    v = v.trimmingASCIIWhitespace().lowercased()
    if !v.isEmpty { charset = v }
  }
  return (mime?.isEmpty == false ? mime : nil, charset)
}

/// Removes one content coding.
private func decodeContent(
  _ body: [UInt8], coding: String, limits: HTTPLimits, issues: inout [HTTPBodyIssue]
) throws(HTTPError) -> [UInt8] {
  let format: DeflateFormat
  switch coding {
  case "gzip", "x-gzip": format = .gzip
  case "deflate": format = .httpDeflate
  default: throw .unsupportedContentEncoding(coding)
  }
  if body.isEmpty { return body }
  if format == .gzip && !Gzip.hasMagic(body) {
    issues.append(.contentEncodingNotApplied)
    return body
  }
  let result = Gzip.decode(body, format: format, maxOutput: limits.maxBodyBytes)
  guard let error = result.error else { return result.bytes }
  if case .outputLimitExceeded = error { throw .bodyTooLarge(limit: limits.maxBodyBytes) }
  if !result.bytes.isEmpty {
    issues.append(.contentDecodingIncomplete)
    return result.bytes
  }
  if format == .httpDeflate && looksLikeText(body) {
    issues.append(.contentEncodingNotApplied)
    return body
  }
  throw .contentDecodingFailed(encoding: coding, message: error.description)
}

/// Whether the first bytes are printable ASCII or whitespace (an uncompressed text body).
private func looksLikeText(_ body: [UInt8]) -> Bool {
  body.prefix(64).allSatisfy { $0 >= 0x20 && $0 < 0x7F || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
}

/// Removes `Transfer-Encoding: chunked` (RFC 9112 §7.1), recovering from wrong chunk sizes.
///
/// When the CRLF expected after a chunk's data is missing, the declared size was wrong: the
/// chunk data is taken up to the chunk-size line nearest the declared end. A body that does
/// not start with a chunk-size line is returned unchanged (`.notChunked`).
func decodeChunked(_ body: [UInt8], issues: inout [HTTPBodyIssue]) -> [UInt8] {
  var out: [UInt8] = []
  out.reserveCapacity(body.count)
  var pos = 0
  var first = true
  while pos < body.count {
    guard let (size, dataStart) = chunkSizeLine(body, at: pos) else {
      if first {
        issues.append(.notChunked)
        return body
      }
      // Not a size line where one must be: keep the rest as data.
      issues.append(.chunkSizeMismatch)
      out.append(contentsOf: body[pos...])
      return out
    }
    first = false
    if size == 0 { return out }
    let declaredEnd = dataStart + size
    if declaredEnd > body.count {
      out.append(contentsOf: body[dataStart...])
      issues.append(.chunkedTruncated)
      return out
    }
    if let next = lineBreakEnd(body, at: declaredEnd),
      next == body.count || chunkSizeLine(body, at: next) != nil
    {
      out.append(contentsOf: body[dataStart..<declaredEnd])
      pos = next
      continue
    }
    // Wrong size: find the size line nearest the declared end.
    issues.append(.chunkSizeMismatch)
    guard let (dataEnd, next) = nearestChunkBoundary(body, from: dataStart, near: declaredEnd)
    else {
      out.append(contentsOf: body[dataStart...])
      return stripFinalChunk(out)
    }
    out.append(contentsOf: body[dataStart..<dataEnd])
    pos = next
  }
  if !first { issues.append(.chunkedTruncated) }
  return out
}

/// Parses a chunk-size line at `i` (`1a3f[;ext]\r\n`); returns the size and the index after
/// the line.
private func chunkSizeLine(_ b: [UInt8], at i: Int) -> (size: Int, next: Int)? {
  var j = i
  var size = 0
  var digits = 0
  while j < b.count, let d = hexValue(b[j]) {
    if digits >= 15 { return nil }
    size = size << 4 | d
    digits += 1
    j += 1
  }
  guard digits > 0 else { return nil }
  // Optional whitespace and extensions, then the line break.
  var k = j
  while k < b.count && k - j < 1024 && b[k] != 0x0A && b[k] != 0x0D {
    if k == j && !(isBlank(b[k]) || b[k] == 0x3B) { return nil }
    k += 1
  }
  if k >= b.count { return size == 0 ? (0, b.count) : nil }
  guard let next = lineBreakEnd(b, at: k) else { return nil }
  return (size, next)
}

/// The index after a CRLF or LF at `i`, or `nil` if there is none.
private func lineBreakEnd(_ b: [UInt8], at i: Int) -> Int? {
  if i < b.count && b[i] == 0x0A { return i + 1 }
  if i + 1 < b.count && b[i] == 0x0D && b[i + 1] == 0x0A { return i + 2 }
  if i == b.count { return i }
  return nil
}

/// The chunk boundary (`CRLF size-line`) closest to `near`, searching `b[from...]`: returns
/// where the data ends and where the next size line starts.
private func nearestChunkBoundary(
  _ b: [UInt8], from: Int, near: Int
) -> (dataEnd: Int, next: Int)? {
  var best: (dataEnd: Int, next: Int)?
  var bestDistance = Int.max
  var i = from
  while let nl = b.index(of: 0x0A, from: i, to: b.count) {
    let dataEnd = nl > from && b[nl - 1] == 0x0D ? nl - 1 : nl
    if let (size, after) = chunkSizeLine(b, at: nl + 1),
      size == 0 || after + size <= b.count
    {
      let d = abs(dataEnd - near)
      if d < bestDistance {
        best = (dataEnd, nl + 1)
        bestDistance = d
      } else if dataEnd > near {
        break
      }
    }
    i = nl + 1
  }
  return best
}

/// Drops a trailing `0\r\n\r\n` last-chunk marker from data kept as is.
private func stripFinalChunk(_ out: [UInt8]) -> [UInt8] {
  let tail: [UInt8] = Array("\r\n0\r\n\r\n".utf8)
  if out.count >= tail.count && Array(out.suffix(tail.count)) == tail {
    return Array(out.dropLast(tail.count))
  }
  return out
}

private func hexValue(_ c: UInt8) -> Int? {
  switch c {
  case 0x30...0x39: return Int(c - 0x30)
  case 0x61...0x66: return Int(c - 0x61 + 10)
  case 0x41...0x46: return Int(c - 0x41 + 10)
  default: return nil
  }
}

extension StringProtocol {
  /// The string without leading and trailing ASCII spaces, tabs, CR and LF.
  func trimmingASCIIWhitespace() -> String {
    let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
    guard let lo = firstIndex(where: { !isSpace($0) }), let hi = lastIndex(where: { !isSpace($0) })
    else { return "" }
    return String(self[lo...hi])
  }
}
