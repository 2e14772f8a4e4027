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
  /// The entries' scalars, one after another; `entries[k]` is entry k's range there.
  private let storage: [Unicode.Scalar]
  private let entries: [Range<Int>]
  /// The entries starting with each ASCII scalar (a range of `entries`), and with any other.
  /// Within one first scalar, entries of one scalar come first, then the rest by their second
  /// scalar; `singles[c]` and `pairs[c * 128 + d]` are the ranges for ASCII `c` and `d`.
  private let asciiHeads: [Range<Int>]
  private let singles: [Range<Int>]
  private let pairs: [Range<Int>]
  private let otherHeads: [Unicode.Scalar: Range<Int>]
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
    var storage: [Unicode.Scalar] = []
    var entries: [Range<Int>] = []
    var asciiHeads = [Range<Int>](repeating: 0..<0, count: 128)
    var otherHeads: [Unicode.Scalar: Range<Int>] = [:]
    var singles = [Range<Int>](repeating: 0..<0, count: 128)
    var pairs = [Range<Int>](repeating: 0..<0, count: 128 * 128)
    for first in byFirst.keys.sorted(by: { $0.value < $1.value }) {
      let start = entries.count
      let group = byFirst[first]!.sorted { ($0.count > 1 ? Int($0[1].value) : -1) < ($1.count > 1 ? Int($1[1].value) : -1) }
      for e in group {
        let k = entries.count
        entries.append(storage.count..<storage.count + e.count)
        storage += e
        guard first.isASCII else { continue }
        let c = Int(first.value)
        if e.count == 1 {
          singles[c] = (singles[c].isEmpty ? k : singles[c].lowerBound)..<k + 1
        } else if e[1].isASCII {
          let key = c * 128 + Int(e[1].value)
          pairs[key] = (pairs[key].isEmpty ? k : pairs[key].lowerBound)..<k + 1
        }
      }
      if first.isASCII { asciiHeads[Int(first.value)] = start..<entries.count } else {
        otherHeads[first] = start..<entries.count
      }
    }
    self.singles = singles
    self.pairs = pairs
    self.storage = storage
    self.entries = entries
    self.asciiHeads = asciiHeads
    self.otherHeads = otherHeads
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
    matches(in: PythonText.scalars(text), ignoring: ignoring, limit: limit)
  }

  /// The listed entries found in the text of `scalars`, as `matches(in:)`.
  func matches(in scalars: [Unicode.Scalar], ignoring: Set<String> = [], limit: Int = .max) -> [String] {
    // Python's `lower()`: ASCII letters are lowered on the fly; a text with other scalars that
    // change when lowercased (`É`, `K` the Kelvin sign) is lowered whole first.
    let lowered =
      scalars.contains { !$0.isASCII && $0.properties.changesWhenLowercased }
      ? PythonText.lower(scalars, 0..<scalars.count) : scalars
    var found: [String] = []
    var hits: [Range<Int>] = []
    lowered.withUnsafeBufferPointer { s in
      storage.withUnsafeBufferPointer { storage in
        entries.withUnsafeBufferPointer { entries in
          @inline(__always) func at(_ i: Int) -> Unicode.Scalar {
            let v = s[i].value
            return v >= 0x41 && v <= 0x5A ? unsafeBitCast(v + 32, to: Unicode.Scalar.self) : s[i]
          }
          var previousIsWord = false
          var i = 0
          while i < s.count {
            let c = at(i)
            let wasWord = previousIsWord
            previousIsWord = isWordScalar(c)
            i += 1
            if wasWord { continue }
            let start = i - 1
            // The entries that can start here: by the first two scalars when both are ASCII.
            var first: Range<Int>
            var second: Range<Int> = 0..<0
            if c.isASCII {
              let a = Int(c.value)
              if asciiHeads[a].isEmpty { continue }
              let next = i < s.count ? at(i) : " "
              if next.isASCII {
                first = singles[a]
                second = pairs[a &* 128 &+ Int(next.value)]
              } else {
                first = asciiHeads[a]
              }
            } else {
              guard let heads = otherHeads[c] else { continue }
              first = heads
            }
            for g in 0..<2 {
              for k in g == 0 ? first : second {
                let e = entries[k]
                guard start + e.count <= s.count else { continue }
                var j = 1
                while j < e.count && at(start + j) == storage[e.lowerBound + j] { j += 1 }
                guard j == e.count && (start + j == s.count || !isWordScalar(at(start + j))) else { continue }
                hits.append(e)
              }
            }
            guard !hits.isEmpty else { continue }
            for e in hits {
              let word = PythonText.string(storage[e])
              if !ignoring.contains(word) {
                found.append(word)
                if found.count >= limit { return }
              }
            }
            hits.removeAll(keepingCapacity: true)
          }
        }
      }
    }
    return found
  }
}

/// Python's `\w` for one code point: a letter (L*), a number (any numeric type) or `_`.
func isWordScalar(_ c: Unicode.Scalar) -> Bool {
  let v = c.value
  if v < 0x80 {
    return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
  }
  if v < 0x10000 { return ScalarTable.bmp[Int(v)] & ScalarTable.word != 0 }
  return ScalarTable.isAlpha(c) || c.properties.numericType != nil
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
