internal import CCLD2

/// A text's language as CLD2 sees it.
public struct LanguageGuess: Sendable, Equatable {
  /// ISO 639-1 code where one exists (`en`, `de`, `zh`, `zh-Hant`); `un` when unknown.
  public var language: String
  /// The language's script, ISO 15924 (`Latn`, `Cyrl`, `Hani`); `Zyyy` when unknown.
  public var script: String
  /// Share of the scored letters in that language, 0…1.
  public var confidence: Double
  /// CLD2's own judgement that the guess is reliable (enough text, a clear winner).
  public var reliable: Bool
  /// The letters CLD2 scored (markup, digits and punctuation are skipped).
  public var textBytes: Int
}

/// Language identification with CLD2 (Compact Language Detector 2, Debian `libcld2-dev`).
///
/// CLD2 scores quadgrams of letters in plain text; it knows 83 languages, needs no model
/// download, and takes about 1 µs per 100 bytes. Invalid UTF-8 is never scored: the guess is
/// then `un` with confidence 0.
public enum LanguageID {
  /// The most likely language of `text`. A text longer than `maxBytes` is judged from three
  /// windows of a third of that each (1.3 KB by default), at its start, middle and end (cut at character
  /// boundaries, joined by newlines): enough letters for a sure guess, a cost that does not
  /// grow with the document, and a mixed document is still seen whole.
  public static func detect(_ text: String, maxBytes: Int = 4 << 10) -> LanguageGuess {
    var copy = text
    return copy.withUTF8 { utf8 in
      if utf8.count <= maxBytes { return detect(utf8) }
      let third = max(1, maxBytes / 3)
      var sample: [UInt8] = []
      sample.reserveCapacity(maxBytes + 2)
      for start in [0, (utf8.count - third) / 2, utf8.count - third] {
        let from = cutAtCharacter(utf8, start)
        let to = cutAtCharacter(utf8, min(utf8.count, from + third))
        if !sample.isEmpty { sample.append(0x0A) }
        sample.append(contentsOf: utf8[from..<to])
      }
      return sample.withUnsafeBufferPointer { detect($0) }
    }
  }

  /// CLD2's guess for the whole of `utf8`.
  private static func detect(_ utf8: UnsafeBufferPointer<UInt8>) -> LanguageGuess {
    var top3 = (quarry_cld2_language(), quarry_cld2_language(), quarry_cld2_language())
    var bytes: Int32 = 0
    var reliable: Int32 = 0
    let valid = withUnsafeMutableBytes(of: &top3) { raw in
      utf8.withMemoryRebound(to: CChar.self) { chars in
        quarry_cld2_detect(
          chars.baseAddress, Int32(utf8.count), 1,
          raw.baseAddress!.assumingMemoryBound(to: quarry_cld2_language.self), &bytes, &reliable)
      }
    }
    guard Int(valid) == utf8.count else {
      return LanguageGuess(language: "un", script: "Zyyy", confidence: 0, reliable: false, textBytes: 0)
    }
    let best = top3.0
    let code = withUnsafeBytes(of: best.code) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    let script = withUnsafeBytes(of: best.script) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    return LanguageGuess(
      language: code, script: script, confidence: Double(best.percent) / 100, reliable: reliable != 0,
      textBytes: Int(bytes))
  }

  /// `n`, moved back to the start of a UTF-8 character so a cut never splits one.
  static func cutAtCharacter(_ utf8: UnsafeBufferPointer<UInt8>, _ n: Int) -> Int {
    var k = n
    while k > 0 && k < utf8.count && utf8[k] & 0xC0 == 0x80 { k -= 1 }
    return k
  }
}
