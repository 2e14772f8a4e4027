/// Gopher's repetition rules, as datatrove's `GopherRepetitionFilter` applies them, and a
/// code-aware variant.
///
/// Rules, in order: duplicated paragraphs (`dup_para_frac` by count, `dup_para_char_frac` by
/// characters), duplicated lines (`dup_line_frac`, `dup_line_char_frac`), the most frequent
/// 2-, 3- and 4-gram's characters (`top_2_gram` …), and characters in repeated 5- to 10-grams
/// (`duplicated_5_n_grams` …). An empty text is dropped as `empty`.
///
/// `datatrove` mode copies datatrove 0.10.1, quirks included (a leading newline makes an empty
/// "line" that can repeat; n-grams are over spaCy tokens with punctuation).
///
/// `aware` mode sees through code indentation: lines and paragraphs are compared stripped, and
/// structural lines, with fewer than four runs of letters or digits (`}`, `} else {`,
/// `return nil`, `---`), are neither duplicates nor counted. The
/// n-gram rules run on the words of prose lines (at least 50 of them). Documents that carry
/// math or code (`TextView.carriesTechnicalContent`) are not judged for repetition at all:
/// formulas and code repeat their symbols, lines and identifiers by nature, and global dedup
/// catches copies.
struct GopherRepetition: TextFilter {
  struct Parameters: Sendable, Equatable {
    var dupParaFrac = 0.3
    var dupParaCharFrac = 0.2
    var dupLineFrac = 0.3
    var dupLineCharFrac = 0.2
    var topNGrams: [(Int, Double)] = [(2, 0.2), (3, 0.18), (4, 0.16)]
    var dupNGrams: [(Int, Double)] = [(5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10)]

    static func == (a: Parameters, b: Parameters) -> Bool {
      a.dupParaFrac == b.dupParaFrac && a.dupParaCharFrac == b.dupParaCharFrac && a.dupLineFrac == b.dupLineFrac
        && a.dupLineCharFrac == b.dupLineCharFrac && a.topNGrams.elementsEqual(b.topNGrams, by: ==)
        && a.dupNGrams.elementsEqual(b.dupNGrams, by: ==)
    }
  }

  let name = "gopher_repetition"
  var parameters = Parameters()
  var aware = false

  func evaluate(_ t: TextView, language: String?) -> Verdict {
    let p = parameters
    var v = Verdict()
    let s = t.s
    guard !s.isEmpty else {
      v.reason = "empty"
      return v
    }
    // Formulas and code repeat their symbols, lines and identifiers by nature.
    if aware && t.carriesTechnicalContent { return v }
    let paragraphs: [Range<Int>]
    let lines: [Range<Int>]
    let textLength: Int
    if aware {
      paragraphs = Self.splitParagraphs(s, PythonText.strip(s, 0..<s.count)).map { PythonText.strip(s, $0) }
        .filter { Self.contentRuns(s, $0) >= 4 }
      lines = t.lines.map { PythonText.strip(s, $0) }.filter { Self.contentRuns(s, $0) >= 4 }
      textLength = max(1, lines.reduce(0) { $0 + $1.count })
    } else {
      paragraphs = Self.splitParagraphs(s, PythonText.strip(s, 0..<s.count))
      lines = Self.splitNewlineRuns(s)
      textLength = s.count
    }
    let (pd, pc) = duplicates(t, paragraphs)
    let paraFrac = paragraphs.isEmpty ? 0 : Double(pd) / Double(paragraphs.count)
    v.score("dup_para_frac", paraFrac)
    v.check(paraFrac > p.dupParaFrac, "dup_para_frac")
    v.score("dup_para_char_frac", Double(pc) / Double(textLength))
    v.check(Double(pc) / Double(textLength) > p.dupParaCharFrac, "dup_para_char_frac")
    let (ld, lc) = duplicates(t, lines)
    let lineFrac = lines.isEmpty ? 0 : Double(ld) / Double(lines.count)
    v.score("dup_line_frac", lineFrac)
    v.check(lineFrac > p.dupLineFrac, "dup_line_frac")
    v.score("dup_line_char_frac", Double(lc) / Double(textLength))
    v.check(Double(lc) / Double(textLength) > p.dupLineCharFrac, "dup_line_char_frac")

    let words = aware ? t.proseWords.filter { !t.isSymbol($0) } : t.words
    let ngramLength: Int
    if aware {
      var prose = 0
      for (r, k) in zip(t.lines, t.kinds) where k == .prose { prose += r.count }
      ngramLength = max(1, prose)
    } else {
      ngramLength = s.count
    }
    // The aware n-gram rules need enough prose to speak of repetition.
    let ngrams = !aware || words.count >= 50
    guard ngrams else { return v }
    var grams = WordGrams(t, words)
    for (n, limit) in p.topNGrams where words.count >= n && n > 0 {
      let ratio = Double(grams.topDuplicate(n)) / Double(ngramLength)
      v.score("top_\(n)_gram", ratio)
      v.check(ratio > limit, "top_\(n)_gram")
    }
    for (n, limit) in p.dupNGrams where n > 0 {
      let ratio = Double(grams.repeatedCharacters(n)) / Double(ngramLength)
      v.score("dup_\(n)_gram", ratio)
      v.check(ratio > limit, "duplicated_\(n)_n_grams")
    }
    return v
  }

  /// `find_duplicates`: how many elements repeat an earlier one, and their characters.
  private func duplicates(_ t: TextView, _ xs: [Range<Int>]) -> (Int, Int) {
    var seen = RangeInterner(t.s, capacity: xs.count)
    var count = 0
    var chars = 0
    for r in xs where !seen.intern(r).isNew {
      count += 1
      chars += r.count
    }
    return (count, chars)
  }

  /// `re.split(r"\n{2,}", s[r])`.
  static func splitParagraphs(_ s: [Unicode.Scalar], _ r: Range<Int>) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = r.lowerBound
    var i = r.lowerBound
    while i < r.upperBound {
      if s[i] == "\n" {
        var j = i
        while j < r.upperBound && s[j] == "\n" { j += 1 }
        if j - i >= 2 {
          out.append(start..<i)
          start = j
        }
        i = j
      } else {
        i += 1
      }
    }
    out.append(start..<r.upperBound)
    return out
  }

  /// `re.split(r"\n+", s)`.
  static func splitNewlineRuns(_ s: [Unicode.Scalar]) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var start = 0
    var i = 0
    while i < s.count {
      if s[i] == "\n" {
        out.append(start..<i)
        while i < s.count && s[i] == "\n" { i += 1 }
        start = i
      } else {
        i += 1
      }
    }
    out.append(start..<s.count)
    return out
  }

  /// How many runs of letters or digits a line holds (`} else {` 1, `return nil` 2).
  static func contentRuns(_ s: [Unicode.Scalar], _ r: Range<Int>) -> Int {
    var runs = 0
    var inRun = false
    for i in r {
      let c = s[i]
      let content = PythonText.isAlnum(c)
      if content && !inRun { runs += 1 }
      inRun = content
    }
    return runs
  }
}

/// The words of a text as n-gram material, without building joined strings.
///
/// Every word gets an id (equal words, equal ids). datatrove's top n-grams join words with
/// spaces, and no word holds a space, so two of them are equal exactly when their ids are: they
/// are hashed and compared as id sequences. Its repeated n-grams glue words together (`"ab" +
/// "c"` equals `"a" + "bc"`), so their hash is the polynomial hash of the glued scalars, from
/// prefix sums over the words (O(1) per n-gram); equal ids confirm a repeat at once, and
/// otherwise the scalars are compared, so a collision never invents a repeat.
private struct WordGrams {
  let s: [Unicode.Scalar]
  let words: [Range<Int>]
  let powers: [UInt64]
  /// `ids[k]`: word k's id.
  private var ids: [UInt32]
  /// `glued[k]`: hash of words 0..<k glued; `chars[k]`: their scalars.
  private var glued: [UInt64]
  private var chars: [Int]
  /// Open-addressing table, one n-gram per slot: the hash's high 32 bits, then the first word
  /// index + 1 (0: empty), so a probe touches one cache line.
  private var slots: [UInt64]
  private var mask: Int

  init(_ t: TextView, _ words: [Range<Int>]) {
    s = t.s
    self.words = words
    let powers = RangeHasher.powers(t.s.count + 1)
    var size = 16
    while size < words.count * 2 { size <<= 1 }
    var slots = [UInt64](repeating: 0, count: size)
    let mask = size - 1
    var ids = [UInt32](repeating: 0, count: words.count)
    var polynomial = [UInt64](repeating: 0, count: words.count)
    var glued = [UInt64](repeating: 0, count: words.count + 1)
    var chars = [Int](repeating: 0, count: words.count + 1)
    s.withUnsafeBufferPointer { s in
      slots.withUnsafeMutableBufferPointer { slots in
        for (k, w) in words.enumerated() {
          // The word's id: the first word with the same scalars, found by a cheap hash; the
          // polynomial hash is computed once per distinct word.
          let key = RangeInterner.hash(s, w)
          let tag = key & 0xFFFF_FFFF_0000_0000
          var slot = Int(truncatingIfNeeded: key) & mask
          var id = k
          while true {
            let v = slots[slot]
            if v == 0 {
              slots[slot] = tag | UInt64(k + 1)
              var h: UInt64 = 0
              for i in w { h = RangeHasher.add(RangeHasher.mul(h, RangeHasher.base), UInt64(s[i].value) + 1) }
              polynomial[k] = h
              break
            }
            if v & 0xFFFF_FFFF_0000_0000 == tag {
              let first = Int(v & 0xFFFF_FFFF) - 1
              let o = words[first]
              if o.count == w.count && (0..<w.count).allSatisfy({ s[o.lowerBound + $0] == s[w.lowerBound + $0] }) {
                id = first
                break
              }
            }
            slot = (slot + 1) & mask
          }
          ids[k] = UInt32(id)
          glued[k + 1] = RangeHasher.add(RangeHasher.mul(glued[k], powers[w.count]), polynomial[id])
          chars[k + 1] = chars[k] + w.count
        }
      }
    }
    self.powers = powers
    self.slots = slots
    self.mask = mask
    self.ids = ids
    self.glued = glued
    self.chars = chars
  }

  /// Scalars of words `i ..< i + n` joined by spaces.
  @inline(__always)
  func spacedLength(_ i: Int, _ n: Int) -> Int { chars[i + n] - chars[i] + n - 1 }

  /// Scalars of words `i ..< i + n` glued.
  @inline(__always)
  func gluedLength(_ i: Int, _ n: Int) -> Int { chars[i + n] - chars[i] }

  @inline(__always)
  private func hash(_ i: Int, _ n: Int, spacedJoin: Bool) -> UInt64 {
    if spacedJoin {
      var h = UInt64(n)
      for k in i..<i + n { h = (h ^ UInt64(ids[k])) &* 0x9E37_79B9_7F4A_7C15 }
      return h ^ h >> 29
    }
    let len = gluedLength(i, n)
    let h = RangeHasher.sub(glued[i + n], RangeHasher.mul(glued[i], powers[len]))
    return h &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(len)
  }

  /// Whether words `a ..< a + n` and `b ..< b + n` read the same, joined as asked.
  private func same(_ a: Int, _ b: Int, _ n: Int, spacedJoin: Bool) -> Bool {
    var equalIDs = true
    for k in 0..<n where ids[a + k] != ids[b + k] {
      equalIDs = false
      break
    }
    if equalIDs || spacedJoin { return equalIDs }
    guard gluedLength(a, n) == gluedLength(b, n) else { return false }
    // Walk both glued strings scalar by scalar across word boundaries.
    var wa = a
    var wb = b
    var ia = words[a].lowerBound
    var ib = words[b].lowerBound
    while wa < a + n && wb < b + n {
      if ia == words[wa].upperBound {
        wa += 1
        if wa < a + n { ia = words[wa].lowerBound }
        continue
      }
      if ib == words[wb].upperBound {
        wb += 1
        if wb < b + n { ib = words[wb].lowerBound }
        continue
      }
      if s[ia] != s[ib] { return false }
      ia += 1
      ib += 1
    }
    return true
  }

  /// The first position holding the same n-gram as position `i`, remembering `i` when new,
  /// in `slots` (this value's table, lent out so the probe loop runs on raw memory).
  @inline(__always)
  private func intern(_ i: Int, _ n: Int, spacedJoin: Bool, _ slots: UnsafeMutableBufferPointer<UInt64>) -> Int {
    let h = hash(i, n, spacedJoin: spacedJoin)
    let tag = h & 0xFFFF_FFFF_0000_0000
    var slot = Int(truncatingIfNeeded: h) & mask
    while true {
      let v = slots[slot]
      if v == 0 { break }
      if v & 0xFFFF_FFFF_0000_0000 == tag {
        let first = Int(v & 0xFFFF_FFFF) - 1
        if same(first, i, n, spacedJoin: spacedJoin) { return first }
      }
      slot = (slot + 1) & mask
    }
    slots[slot] = tag | UInt64(i + 1)
    return i
  }

  /// The n-gram table, cleared and lent out (give it back with `slots = table`).
  private mutating func takeClearTable() -> [UInt64] {
    var table = slots
    slots = []
    for k in table.indices { table[k] = 0 }
    return table
  }

  /// `find_top_duplicate` over `" ".join` n-grams: the most frequent one's length × count
  /// (ties go to the first seen).
  mutating func topDuplicate(_ n: Int) -> Int {
    guard words.count >= n else { return 0 }
    var counts = [Int32](repeating: 0, count: words.count)
    var table = takeClearTable()
    table.withUnsafeMutableBufferPointer { table in
      counts.withUnsafeMutableBufferPointer { counts in
        for i in 0...(words.count - n) { counts[intern(i, n, spacedJoin: true, table)] += 1 }
      }
    }
    slots = table
    var best = 0
    for i in 1..<counts.count where counts[i] > counts[best] { best = i }
    return spacedLength(best, n) * Int(counts[best])
  }

  /// `find_all_duplicate` over `"".join` n-grams: characters in n-grams that repeat an earlier
  /// one, skipping ahead n words after each repeat (the skipped n-grams are not remembered).
  mutating func repeatedCharacters(_ n: Int) -> Int {
    var repeated = 0
    var table = takeClearTable()
    table.withUnsafeMutableBufferPointer { table in
      var i = 0
      while i < words.count - n + 1 {
        if intern(i, n, spacedJoin: false, table) == i {
          i += 1
        } else {
          repeated += gluedLength(i, n)
          i += n
        }
      }
    }
    slots = table
    return repeated
  }
}
