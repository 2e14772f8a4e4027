import DataCore
import Jobs

/// C4's bad-words filter, as datatrove's `C4BadWordsFilter` applies it: a document whose
/// lowercased text contains a listed word or phrase, flanked on both sides by a non-word
/// character or the text's start or end, is dropped (`document_removed_with_badwords`).
///
/// A non-word character is what Python's `\W` means: not a letter, not a number and not `_`
/// (combining marks are non-word). So `ass.` and `ass-hat` match `ass`; `class`, `ass_` and
/// `ass1` do not. The list is one entry per line (the LDNOOBW `en` list that datatrove
/// downloads); entries may hold spaces, `-`, `&` or emoji. Matching is one pass over the text:
/// at each position after a non-word character, only the entries starting with that character
/// are tried.
public struct BadWordsFilter: DocumentStage {
  public let name = "c4_badwords"
  /// Entries by their first scalar, each as scalars.
  private let entries: [Unicode.Scalar: [[Unicode.Scalar]]]
  /// How many entries the list holds.
  public let count: Int

  /// A filter over `words` (lowercased here; blank entries ignored).
  public init(words: [String]) {
    var byFirst: [Unicode.Scalar: [[Unicode.Scalar]]] = [:]
    var seen = Set<String>()
    for raw in words {
      let w = raw.trimmingWhitespace().lowercased()
      guard !w.isEmpty, seen.insert(w).inserted else { continue }
      let scalars = Array(w.unicodeScalars)
      byFirst[scalars[0], default: []].append(scalars)
    }
    entries = byFirst
    count = seen.count
  }

  /// A filter over the word list file `path` (one entry per line).
  /// - Throws: `DataError` when the file cannot be read.
  public init(listFile path: String) throws(DataError) {
    let text = String(decoding: try readFile(path, limit: 16 << 20), as: UTF8.self)
    self.init(words: text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init))
  }

  public func process(_ document: Document) -> StageResult {
    firstMatch(in: document.text) == nil ? .keep(document) : .drop(reason: "document_removed_with_badwords")
  }

  /// Entries that are placeholders in code and TeX (`xx`, `xxx`), which the math- and
  /// code-aware preset ignores in technical documents.
  public static let placeholders: Set<String> = ["xx", "xxx"]

  /// The first listed entry found in `text`, if any, skipping the entries in `ignoring`.
  public func firstMatch(in text: String, ignoring: Set<String> = []) -> String? {
    matches(in: text, ignoring: ignoring, limit: 1).first
  }

  /// The listed entries found in `text`, one per match, left to right (matches may overlap),
  /// at most `limit`.
  public func matches(in text: String, ignoring: Set<String> = [], limit: Int = .max) -> [String] {
    var found: [String] = []
    let s = Array(text.lowercased().unicodeScalars)
    var i = 0
    while i < s.count {
      if i == 0 || !isWordScalar(s[i - 1]), let candidates = entries[s[i]] {
        for e in candidates where i + e.count <= s.count {
          var k = 1
          while k < e.count && s[i + k] == e[k] { k += 1 }
          if k == e.count && (i + k == s.count || !isWordScalar(s[i + k])) {
            var out = String.UnicodeScalarView()
            out.append(contentsOf: e)
            let word = String(out)
            if !ignoring.contains(word) {
              found.append(word)
              if found.count >= limit { return found }
            }
          }
        }
      }
      i += 1
    }
    return found
  }
}

/// Python's `\w` for one code point: a letter (L*), a number (any numeric type) or `_`.
func isWordScalar(_ c: Unicode.Scalar) -> Bool {
  if c.isASCII {
    let v = c.value
    return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
  }
  switch c.properties.generalCategory {
  case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
  default: return c.properties.numericType != nil
  }
}

extension String {
  /// The string without leading and trailing whitespace (Python's `strip()`).
  fileprivate func trimmingWhitespace() -> String {
    let scalars = unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return "" }
    return String(scalars[first...last])
  }
}
