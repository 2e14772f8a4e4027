/// The one record type that flows between stages: a text with a stable id and metadata.
///
/// On disk a document is one JSON object per line,
/// `{"id": …, "text": …, "source": …, "metadata": {…}}`: datatrove's reader takes `id`, `text`
/// and `metadata`, dolma's also needs the top-level `source`.
public struct Document: Sendable, Equatable {
  /// Stable identifier, unique within a corpus.
  public var id: String
  /// The document's text (UTF-8).
  public var text: String
  /// Where the document comes from (dolma's `source`: `warc`, `html`, a mixture source name);
  /// empty when unknown (then not written).
  public var source: String
  /// Pass-through facts about the document (url, title, scores, …). Written with sorted keys.
  public var metadata: [String: JSONValue]

  /// Creates a document.
  public init(id: String, text: String, source: String = "", metadata: [String: JSONValue] = [:]) {
    self.id = id
    self.text = text
    self.source = source
    self.metadata = metadata
  }
}

extension Document {
  /// The JSON object for this document, with keys `id`, `text`, `source` (when known),
  /// `metadata` in that order.
  public func jsonLine() -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count + 64)
    out += "{\"id\":"
    JSONValue.writeString(id, to: &out)
    out += ",\"text\":"
    JSONValue.writeString(text, to: &out)
    if !source.isEmpty {
      out += ",\"source\":"
      JSONValue.writeString(source, to: &out)
    }
    out += ",\"metadata\":"
    JSONValue.object(metadata).write(to: &out)
    out += "}"
    return out
  }

  /// What was wrong with a document's `id` on reading, when the reader had to give it one.
  public enum IDRepair: String, Sendable {
    /// No `id` (or `null`).
    case missing = "missing_id"
    /// An `id` that is neither a string nor an integer (a fraction, a bool, an array, an object).
    case nonString = "non_string_id"
    /// A string `id` in the namespace of generated ids, from input Quarry did not write.
    case reserved = "reserved_id"
  }

  /// Every generated id starts with this; ids from outside Quarry never do (see `IDRepair.reserved`).
  public static let generatedIDPrefix = "quarry:"

  /// The id given to the document on `line` of a file with stem `stem` when it has no usable id.
  public static func generatedID(stem: String, line: Int) -> String {
    generatedIDPrefix + stem + ":" + String(line)
  }

  /// Decodes a document from one JSON line.
  ///
  /// `text` is required. Ids are strings; an integer id becomes its decimal digits, the same way
  /// wherever documents are read. A missing, `null` or other non-string id is replaced by
  /// `fallbackID` and the original (if any) kept as `metadata.original_id`; `repair` says why.
  /// Generated ids start with `generatedIDPrefix`; unless `trustGeneratedIDs` (input written by
  /// Quarry), a string id that starts with it is replaced too, so a generated id never collides
  /// with a real one. Top-level keys other than `id`, `text` and `metadata` are folded into the
  /// metadata, as datatrove's reader does.
  /// - Throws: `JSONError` for malformed JSON, or a missing or non-string `text`.
  public init(
    jsonLine bytes: UnsafeBufferPointer<UInt8>, fallbackID: String, trustGeneratedIDs: Bool = false,
    repair: inout IDRepair?
  ) throws(JSONError) {
    let value = try JSONValue.parse(bytes)
    guard case .object(let object) = value else { throw .notAnObject }
    guard case .string(let text)? = object["text"] else { throw .missingField("text") }
    var metadata: [String: JSONValue] = [:]
    if case .object(let m)? = object["metadata"] { metadata = m }
    var source = ""
    if case .string(let s)? = object["source"] { source = s }
    for (key, value) in object where key != "id" && key != "text" && key != "metadata" && (key != "source" || source.isEmpty) {
      metadata[key] = value
    }
    var id = fallbackID
    repair = nil
    switch object["id"] {
    case .string(let s)?:
      if trustGeneratedIDs || !s.hasPrefix(Document.generatedIDPrefix) {
        id = s
      } else {
        repair = .reserved
        metadata["original_id"] = .string(s)
      }
    case .int(let n)?: id = String(n)
    case nil, .null?: repair = .missing
    case .some(let other):
      repair = .nonString
      metadata["original_id"] = other
    }
    self.init(id: id, text: text, source: source, metadata: metadata)
  }

  /// Decodes a document from one JSON line, as `init(jsonLine:fallbackID:trustGeneratedIDs:repair:)`
  /// without saying whether the id was repaired.
  public init(jsonLine bytes: UnsafeBufferPointer<UInt8>, fallbackID: String) throws(JSONError) {
    var repair: IDRepair?
    try self.init(jsonLine: bytes, fallbackID: fallbackID, repair: &repair)
  }
}
