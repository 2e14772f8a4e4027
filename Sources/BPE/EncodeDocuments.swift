import DataCore

#if canImport(Glibc)
  import Glibc
#endif

extension BPETokenizer {
  /// Writes one `{"id", "ids"}` JSON line per document of the JSONL(.zst) file `path` to `fd`
  /// (no special tokens added). Skipped lines and generated ids go to `onProblem`.
  /// - Throws: `DataError` for an unreadable input or a failed write.
  public func writeIDs(
    ofDocumentsIn path: String, to fd: Int32, onProblem: (LineProblem) -> Void = { _ in }
  ) throws {
    var encoder = BPEEncoder(self)
    var out = BufferedOutput(fd: fd)
    var head = ""
    try JSONLReader(path: path).forEach({ doc in
      head.removeAll(keepingCapacity: true)
      head += "{\"id\":"
      JSONValue.writeString(doc.id, to: &head)
      head += ",\"ids\":["
      out.append(head)
      encoder.withIDs(of: doc.text) { out.appendDecimals($0) }
      out.append("]}\n")
      try out.flushIfFull()
    }, onProblem: onProblem)
    try out.flush()
  }
}

/// Buffered output to a file descriptor, for bulk output (`print` formats and locks per call).
struct BufferedOutput {
  private var buffer = [UInt8](repeating: 0, count: 1 << 17)
  private var used = 0
  let fd: Int32

  init(fd: Int32) { self.fd = fd }

  /// Makes room for `count` more bytes.
  private mutating func reserve(_ count: Int) {
    if used + count > buffer.count {
      let more = max(used + count - buffer.count, buffer.count)
      buffer.append(contentsOf: repeatElement(0, count: more))
    }
  }

  mutating func append(_ text: String) {
    var copy = text
    copy.withUTF8 { utf8 in
      reserve(utf8.count)
      for b in utf8 {
        buffer[used] = b
        used += 1
      }
    }
  }

  /// Appends `ids` in decimal, separated by commas.
  mutating func appendDecimals(_ ids: UnsafeBufferPointer<Int32>) {
    reserve(12 * ids.count)
    var at = used
    buffer.withUnsafeMutableBufferPointer { out in
      for (k, id) in ids.enumerated() {
        if k > 0 {
          out[at] = 0x2C
          at += 1
        }
        var v = UInt32(id.magnitude)
        if id < 0 {
          out[at] = 0x2D
          at += 1
        }
        var digits = 1
        var p: UInt32 = 10
        while digits < 10 && v >= p {
          digits += 1
          p &*= 10
        }
        var end = at + digits
        at = end
        repeat {
          end -= 1
          out[end] = 0x30 + UInt8(truncatingIfNeeded: v % 10)
          v /= 10
        } while v > 0
      }
    }
    used = at
  }

  mutating func flushIfFull() throws(DataError) {
    if used >= 1 << 16 { try flush() }
  }

  mutating func flush() throws(DataError) {
    let count = used
    used = 0
    var failure: DataError?
    buffer.withUnsafeBytes { raw in
      do throws(DataError) {
        try writeAll(fd, UnsafeRawBufferPointer(rebasing: raw[0..<count]), path: "<fd \(fd)>")
      } catch { failure = error }
    }
    if let failure { throw failure }
  }

}


extension BPETokenizer {
  /// The text of ids written as decimals separated by spaces or commas ("72 101,108").
  /// - Throws: `DataError.invalidInput` for a word that is not an id of this vocabulary.
  public func decode(idList: String) throws -> String {
    var ids: [Int] = []
    for word in idList.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" || $0 == "\t" }) {
      guard let id = Int(word), id >= 0, id < vocabSize else {
        throw DataError.invalidInput("'\(word)' is not a token id below \(vocabSize)")
      }
      ids.append(id)
    }
    return decode(ids)
  }

  /// The text of one line of `tokenizer encode`: a `{"id", "ids"}` object (`--input`), ids
  /// separated by spaces (`--text`), or a JSON array of ids.
  /// - Throws: `DataError.invalidInput` for a line that holds no ids of this vocabulary.
  public func decode(encodedLine line: String) throws -> String {
    let trimmed = line.drop { $0 == " " || $0 == "\t" }
    guard trimmed.first == "{" || trimmed.first == "[" else {
      do { return try decode(idList: line) } catch { throw DataError.invalidInput("\(error)") }
    }
    let value: JSONValue
    do { value = try JSONValue.parse(line) } catch {
      throw DataError.invalidInput("not a line of `quarry tokenizer encode`: \(line.prefix(80))")
    }
    let list: [JSONValue]
    switch value {
    case .array(let a): list = a
    case .object(let o):
      guard case .array(let a)? = o["ids"] else { throw DataError.invalidInput("no \"ids\" array in: \(line.prefix(80))") }
      list = a
    default: throw DataError.invalidInput("not a list of ids: \(line.prefix(80))")
    }
    var ids: [Int] = []
    for v in list {
      guard let id = v.intValue, id >= 0, id < vocabSize else {
        throw DataError.invalidInput("\(v.jsonText) is not a token id below \(vocabSize)")
      }
      ids.append(id)
    }
    return decode(ids)
  }
}
