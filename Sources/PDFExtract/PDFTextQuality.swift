/// How much a PDF's text reads like language: a score in 0…1 and a flag for a garbage text
/// layer (letters shifted by a font without a usable map, e.g. "HmenqlZshnm" for
/// "Introduction"), so such a document is marked in metadata rather than passed on as prose.
///
/// Latin-script text is judged by the share of its words that are common function words of
/// English, German, French, Spanish, Italian, Portuguese or Dutch (prose: 0.3–0.5; tables and
/// formula-heavy pages: 0.1 or more; shifted letters: near 0), by the share of its words of
/// three or more letters without a vowel (prose: under 0.05; shifted letters: 0.4 or more),
/// and by the glyphs that nothing could map. Other scripts are judged by the unmapped glyphs
/// only.
public struct PDFTextQuality: Sendable, Equatable {
  /// 0 (garbage) … 1 (reads like language).
  public var score: Double
  /// The text layer is not language: keep it out of prose.
  public var garbage: Bool

  /// Judges `text`, of which `unmapped` glyphs were dropped.
  public init(text: String, unmapped: Int) {
    var words = 0
    var function = 0
    var latinLetters = 0
    var otherLetters = 0
    var characters = 0
    var longWords = 0
    var vowelless = 0
    // The current word: its length, whether it is all Latin, whether it has a vowel, and its
    // first letters (lowercase) for the function-word lookup (all of those are short).
    var length = 0
    var allLatin = true
    var hasVowel = false
    // The word's lowercase UTF-8, packed while it fits in 8 bytes (every function word does).
    var packed: UInt64 = 0
    var bytes = 0
    func endWord() {
      guard length > 0 else { return }
      words += 1
      if bytes <= 8, PDFTextQuality.functionWords.contains(packed) { function += 1 }
      if length >= 3 && allLatin {
        longWords += 1
        if !hasVowel { vowelless += 1 }
      }
      length = 0
      allLatin = true
      hasVowel = false
      packed = 0
      bytes = 0
    }
    for s in text.unicodeScalars {
      characters += 1
      let v = s.value
      let letter: Bool
      if v < 0x80 {
        letter = (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A
      } else {
        letter = s.properties.isAlphabetic
      }
      guard letter else {
        endWord()
        continue
      }
      if v < 0x250 { latinLetters += 1 } else { otherLetters += 1 }
      let lower = PDFTextQuality.lowercase(v)
      length += 1
      if bytes <= 8 { PDFTextQuality.pack(lower, into: &packed, bytes: &bytes) }
      if v >= 0x250 { allLatin = false }
      if !hasVowel && PDFTextQuality.vowels.contains(lower) { hasVowel = true }
    }
    endWord()
    let unmappedPenalty = 1 - min(1, 20 * Double(unmapped) / Double(max(characters, 1)))
    let latin = latinLetters >= 4 * otherLetters
    guard latin, words >= 40 else {
      score = characters == 0 ? 0 : unmappedPenalty
      garbage = false
      return
    }
    let share = Double(function) / Double(words)
    let noVowel = Double(vowelless) / Double(max(longWords, 1))
    let vowelPenalty = 1 - min(1, max(0, (noVowel - 0.05) * 4))
    score = min(1, share / 0.2) * vowelPenalty * unmappedPenalty
    garbage = (share < 0.03 && noVowel > 0.1) || noVowel > 0.3
  }

  /// ASCII and Latin-1 capitals lowercased; other scalars as they are.
  static func lowercase(_ v: UInt32) -> UInt32 {
    if v >= 0x41 && v <= 0x5A { return v | 0x20 }
    if v >= 0xC0 && v <= 0xDE && v != 0xD7 { return v + 0x20 }
    return v
  }

  /// Appends `v`'s UTF-8 bytes to `packed` (first byte lowest); `bytes` counts past 8 when
  /// the word no longer fits.
  static func pack(_ v: UInt32, into packed: inout UInt64, bytes: inout Int) {
    if v < 0x80 {
      if bytes < 8 { packed |= UInt64(v) << (8 * UInt64(bytes)) }
      bytes += 1
      return
    }
    var utf8: [UInt8] = []
    if let scalar = Unicode.Scalar(v) { utf8 = Array(String(scalar).utf8) }
    for b in utf8 {
      if bytes < 8 { packed |= UInt64(b) << (8 * UInt64(bytes)) }
      bytes += 1
    }
  }

  /// `word`'s UTF-8 packed as `pack` does, or nil when longer than 8 bytes.
  static func packed(_ word: String) -> UInt64? {
    var p: UInt64 = 0
    var n = 0
    for s in word.unicodeScalars { pack(s.value, into: &p, bytes: &n) }
    return n <= 8 ? p : nil
  }

  /// Vowels of the seven languages (and y), lowercase.
  static let vowels: Set<UInt32> = Set("aeiouyäöüàâéèêëîïôûùœæáíóúãõåøý".unicodeScalars.map(\.value))

  /// Short, frequent function words of seven Latin-script languages (lowercase).
  static let functionWords: Set<UInt64> = Set(functionWordList.compactMap(packed))

  static let functionWordList: [String] = (
    """
    the of and to in a is that for it as was with be by on not he this are or his from at which but have an they \
    you were her she there been one all we their has would when if more no can its also than into these our \
    der die und in den von zu das mit sich des auf für ist im dem nicht ein eine als auch es an werden aus er hat \
    dass sie nach wird bei einer um am sind noch wie einem über einen so zum war haben nur oder aber vor zur bis \
    le la les de des et en un une du est que qui dans pour pas sur au par plus ce il sont avec se aux ou \
    el los las del y que por con para una su al lo como más pero sus le ya o este ha si porque esta entre \
    il di che è e per un una del della nel non si da sono alla le dei con \
    o os as do da em um uma para com não dos das se na por mais ao \
    het een van en in is dat op te zijn voor met niet aan er om ook als bij of door naar
    """.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
}
