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

  /// Decodes a document from one JSON line.
  ///
  /// `text` is required. A missing `id` falls back to `fallbackID`. Top-level keys other than
  /// `id`, `text` and `metadata` are folded into the metadata, as datatrove's reader does.
  /// - Throws: `JSONError` for malformed JSON, or a missing or non-string `text`.
  public init(jsonLine bytes: UnsafeBufferPointer<UInt8>, fallbackID: String) throws(JSONError) {
    let value = try JSONValue.parse(bytes)
    guard case .object(let object) = value else { throw .notAnObject }
    guard case .string(let text)? = object["text"] else { throw .missingField("text") }
    var id = fallbackID
    switch object["id"] {
    case .string(let s)?: id = s
    case .int(let n)?: id = String(n)
    default: break
    }
    var metadata: [String: JSONValue] = [:]
    if case .object(let m)? = object["metadata"] { metadata = m }
    var source = ""
    if case .string(let s)? = object["source"] { source = s }
    for (key, value) in object where key != "id" && key != "text" && key != "metadata" && (key != "source" || source.isEmpty) {
      metadata[key] = value
    }
    self.init(id: id, text: text, source: source, metadata: metadata)
  }
}
