import DataCore

/// schema.org data in a page's `<script type="application/ld+json">` blocks.
enum StructuredData {
  /// Blocks larger than this are skipped (a JSON-LD block is a few KB).
  static let maxBlockBytes = 1 << 20
  /// Blocks read per page.
  static let maxBlocks = 32

  /// The JSON-LD blocks of `html` (UTF-8), parsed; unparseable ones are skipped.
  static func jsonLD(_ html: [UInt8]) -> [JSONValue] {
    html.withUnsafeBufferPointer { hay -> [JSONValue] in
      var found: [JSONValue] = []
      let marker = Array("application/ld+json".utf8), close = Array("</script".utf8)
      var from = 0
      while found.count < maxBlocks,
        let at = marker.withUnsafeBufferPointer({ byteIndex(hay, $0, from: from) })
      {
        from = at + marker.count
        // The block runs from the end of the opening tag to `</script`.
        guard let gt = (from..<hay.count).first(where: { hay[$0] == 0x3E }) else { break }
        guard let end = close.withUnsafeBufferPointer({ byteIndex(hay, $0, from: gt + 1) }) else { break }
        from = end
        guard end - gt - 1 <= maxBlockBytes else { continue }
        if let value = try? JSONValue.parse(UnsafeBufferPointer(rebasing: hay[(gt + 1)..<end])) {
          found.append(value)
        }
      }
      return found
    }
  }

  /// "# name" and the description of the first schema.org Product (in a block, an array or an
  /// `@graph`) that has a description, as plain text; nil when there is none.
  static func productDescription(_ html: [UInt8]) -> String? {
    for block in jsonLD(html) {
      if let product = firstProduct(block, depth: 0),
        let description = product["description"]?.stringValue.map(plainText), !description.isEmpty
      {
        let name = product["name"]?.stringValue.map(plainText) ?? ""
        return name.isEmpty ? description : "# " + name + "\n\n" + description
      }
    }
    return nil
  }

  private static func firstProduct(_ value: JSONValue, depth: Int) -> [String: JSONValue]? {
    guard depth < 8 else { return nil }
    switch value {
    case .array(let items):
      for item in items {
        if let p = firstProduct(item, depth: depth + 1) { return p }
      }
    case .object(let fields):
      let types: [String]
      switch fields["@type"] {
      case .string(let t): types = [t]
      case .array(let ts): types = ts.compactMap(\.stringValue)
      default: types = []
      }
      if types.contains("Product"), fields["description"]?.stringValue != nil { return fields }
      if let graph = fields["@graph"] { return firstProduct(graph, depth: depth + 1) }
    default: break
    }
    return nil
  }

  static let blockTags: Set<String> = ["p", "br", "li", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "tr"]

  /// A description as plain text: tags dropped (block tags as line breaks), the common
  /// entities decoded, blank runs collapsed.
  static func plainText(_ s: String) -> String {
    var out = ""
    var inTag = false
    var tag = ""
    for c in s {
      if inTag {
        if c == ">" {
          inTag = false
          let name = tag.trim("/ ").split(separator: " ").first.map { $0.lowercased() } ?? ""
          if blockTags.contains(name) { out += "\n" }
        } else {
          tag.append(c)
        }
      } else if c == "<" {
        inTag = true
        tag = ""
      } else {
        out.append(c)
      }
    }
    for (entity, char) in [("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&apos;", "'"), ("&amp;", "&")] {
      out = out.replacingOccurrences(of: entity, with: char)
    }
    let lines = out.split(separator: "\n", omittingEmptySubsequences: true)
      .map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).joined(separator: " ") }
      .filter { !$0.isEmpty }
    return lines.joined(separator: "\n")
  }
}
