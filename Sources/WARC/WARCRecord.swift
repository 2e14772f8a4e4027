/// One `Name: value` line of a WARC or HTTP header block, as written (names keep their case).
public struct HeaderField: Sendable, Hashable {
  /// The field name, such as `WARC-Type`.
  public var name: String
  /// The value with surrounding whitespace removed; folded continuation lines are joined
  /// with one space.
  public var value: String

  /// Creates a field.
  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

/// Case-insensitive lookups over an ordered header list.
extension [HeaderField] {
  /// The value of the first field named `name` (ASCII case-insensitive), or `nil`.
  public func first(named name: String) -> String? {
    first { asciiEqualsIgnoringCase($0.name, name) }?.value
  }

  /// The values of every field named `name`, in order (repeated fields are kept).
  public func all(named name: String) -> [String] {
    filter { asciiEqualsIgnoringCase($0.name, name) }.map(\.value)
  }
}

/// The `WARC-Type` of a record (WARC 1.1 §6).
///
/// ARC records are mapped as warcio's `arc2warc` does: the `filedesc://` record becomes
/// `.warcinfo`, every other record `.response`.
public enum WARCRecordType: Sendable, Hashable, CustomStringConvertible {
  /// Describes the records that follow it (crawler, format, operator).
  case warcinfo
  /// A complete scheme-specific response, such as an HTTP status line, headers and body.
  case response
  /// A resource without protocol envelope, such as a file fetched by FTP or a log.
  case resource
  /// The request that produced a response.
  case request
  /// Content created about another record (outlinks, fetch timings).
  case metadata
  /// A revisit of content already archived; the block holds headers only.
  case revisit
  /// A converted version of another record's content.
  case conversion
  /// A continuation segment of a record split across files.
  case continuation
  /// Any other value (e.g. `unknown`), or `""` when the header is missing.
  case unknown(String)

  /// Parses a `WARC-Type` value, case-insensitively.
  public init(_ value: String) {
    switch value.lowercased() {
    case "warcinfo": self = .warcinfo
    case "response": self = .response
    case "resource": self = .resource
    case "request": self = .request
    case "metadata": self = .metadata
    case "revisit": self = .revisit
    case "conversion": self = .conversion
    case "continuation": self = .continuation
    default: self = .unknown(value)
    }
  }

  /// The header value, such as `response`.
  public var description: String {
    switch self {
    case .warcinfo: return "warcinfo"
    case .response: return "response"
    case .resource: return "resource"
    case .request: return "request"
    case .metadata: return "metadata"
    case .revisit: return "revisit"
    case .conversion: return "conversion"
    case .continuation: return "continuation"
    case .unknown(let value): return value
    }
  }
}

/// One WARC record (or ARC record presented as WARC), with its block fully in memory.
///
/// The block is bounded by `WARCLimits.maxBlockBytes`; larger records are skipped by the
/// reader and reported as damage, never loaded.
public struct WARCRecord: Sendable {
  /// The version line: `WARC/1.0`, `WARC/1.1`, `WARC/0.17`, or `ARC/1` / `ARC/2` for ARC.
  public var version: String
  /// The `WARC-Type`.
  public var type: WARCRecordType
  /// Every header field in file order.
  ///
  /// For ARC records, WARC-style fields synthesized from the ARC header line (`WARC-Type`, `WARC-Target-URI`, `WARC-Date`, `WARC-IP-Address`,
  /// `Content-Type`, `Content-Length`).
  public var headers: [HeaderField]
  /// The record block: for `response` records, the raw HTTP message (status line, headers
  /// and body exactly as archived; decode it with `parseHTTPResponse`).
  public var block: [UInt8]
  /// Where the record starts in the file: the compressed offset of the gzip member holding
  /// its first byte (exact for per-record gzip, as CDX indexes use), or the byte offset of
  /// its version line in an uncompressed file.
  public var offset: Int

  /// Creates a record.
  public init(
    version: String, type: WARCRecordType, headers: [HeaderField], block: [UInt8], offset: Int
  ) {
    self.version = version
    self.type = type
    self.headers = headers
    self.block = block
    self.offset = offset
  }

  /// `WARC-Target-URI`, with the `<…>` some WARC 0.x writers add removed; `nil` if missing.
  public var targetURI: String? {
    guard var uri = headers.first(named: "WARC-Target-URI") else { return nil }
    if uri.hasPrefix("<") && uri.hasSuffix(">") && uri.count >= 2 {
      uri = String(uri.dropFirst().dropLast())
    }
    return uri
  }

  /// `WARC-Record-ID` as written, such as `<urn:uuid:…>`; `nil` if missing (always for ARC).
  public var recordID: String? { headers.first(named: "WARC-Record-ID") }

  /// `WARC-Date` as written in ISO 8601, such as `2024-03-01T00:00:01Z`; `nil` if missing.
  public var date: String? { headers.first(named: "WARC-Date") }

  /// The WARC `Content-Type` of the block, such as `application/http; msgtype=response`.
  public var contentType: String? { headers.first(named: "Content-Type") }

  /// The declared `Content-Length`, or `nil` when missing or not a non-negative integer.
  public var contentLength: Int? {
    headers.first(named: "Content-Length").flatMap { Int($0) }.flatMap { $0 >= 0 ? $0 : nil }
  }

  /// The value of the first header named `name` (case-insensitive), or `nil`.
  public func header(_ name: String) -> String? { headers.first(named: name) }
}

/// ASCII case-insensitive string equality (header names are ASCII tokens).
func asciiEqualsIgnoringCase(_ a: String, _ b: String) -> Bool {
  let (x, y) = (a.utf8, b.utf8)
  guard x.count == y.count else { return false }
  for (p, q) in zip(x, y) where p != q {
    let lp = p >= 0x41 && p <= 0x5A ? p | 0x20 : p
    let lq = q >= 0x41 && q <= 0x5A ? q | 0x20 : q
    if lp != lq { return false }
  }
  return true
}
