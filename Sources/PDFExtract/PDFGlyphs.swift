import Foundation

/// Glyphs that a text layer gets wrong, repaired word by word before the layout runs.
///
/// - TeX's math and text fonts (CMSY, CMMI, CMEX, CMR family, MSBM, MSAM) embedded without a
///   usable ToUnicode map come out of poppler as their raw character codes: `‖x‖` reads `kxk`
///   (CMSY 0x6B), α reads U+000B (CMMI). A font is judged raw from its own words (control
///   characters, or lowercase letters in CMSY, where no code is a letter), and only then are
///   its codes mapped with the font's table, so a font with a good map is never touched.
/// - Adobe Symbol's private-use delimiter pieces become the delimiter they build.
/// - What stays unusable (control characters, private use, U+FFFD) is dropped and counted.
/// - TeX quote pairs (` `` ` and `''`) become “ ”, and combining accents are composed (NFC).
package enum PDFGlyphs {
  /// What the repair did over a document.
  package struct Report: Equatable {
    /// Glyphs mapped through a TeX font table or a private-use piece table.
    package var mapped = 0
    /// Glyphs dropped because nothing maps them.
    package var unmapped = 0
    /// Fonts whose codes were read raw.
    package var rawFonts: [String] = []
  }

  /// The TeX font families with tables, by name prefix (poppler strips the subset tag).
  enum Family {
    case symbols, mathItalic, mathExtension, text, blackboard, amsSymbols

    init?(fontName: String) {
      let name = fontName.uppercased()
      let letters = String(name.prefix { $0.isLetter })
      guard name.count > letters.count, name.dropFirst(letters.count).first?.isNumber == true else { return nil }
      switch letters {
      case "CMSY", "CMBSY": self = .symbols
      case "CMMI", "CMMIB": self = .mathItalic
      case "CMEX": self = .mathExtension
      case "CMR", "CMBX", "CMTI", "CMSL", "CMBXTI", "CMBXSL", "CMSS", "CMSSBX", "CMSSI", "CMCSC", "CMDUNH", "CMB": self = .text
      case "MSBM": self = .blackboard
      case "MSAM": self = .amsSymbols
      default: return nil
      }
    }

    /// The Unicode text of raw code `code` (< 0x80); nil keeps the code as it is.
    func map(_ code: UInt32) -> String? {
      switch self {
      case .symbols:
        // ASCII that a good ToUnicode map also gives for CMSY glyphs (minus as '-', bar as
        // '|', …) is left alone: reading it as a raw code would garble a mixed font.
        if PDFGlyphs.omsAmbiguous.contains(code) { return nil }
        return PDFGlyphs.oms[Int(code)]
      case .mathItalic:
        if code < 0x22 { return PDFGlyphs.greek[Int(code)] }
        return PDFGlyphs.omlExtra[code]
      case .mathExtension: return PDFGlyphs.omx(code)
      case .text:
        if code < 0x0B { return PDFGlyphs.greek[Int(code)] }
        return PDFGlyphs.ot1[code]
      case .blackboard:
        guard code >= 0x41 && code <= 0x5A else { return nil }
        return PDFGlyphs.doubleStruck(Character(Unicode.Scalar(code)!))
      case .amsSymbols: return code == 0x03 ? "□" : code == 0x04 ? "■" : nil
      }
    }

    /// Whether the font's own scalars show raw codes.
    func looksRaw(_ scalars: [Unicode.Scalar]) -> Bool {
      switch self {
      case .symbols: return scalars.contains { $0.value < 0x20 || ($0.value >= 0x61 && $0.value <= 0x7A) }
      case .mathExtension: return scalars.contains { $0.value < 0x80 }
      case .blackboard: return scalars.contains { $0.value >= 0x41 && $0.value <= 0x5A }
      case .mathItalic, .text, .amsSymbols: return scalars.contains { $0.value < 0x20 }
      }
    }
  }

  /// Repairs every word of `content` in place.
  package static func repair(_ content: inout PDFContent) -> Report {
    var report = Report()
    // Which fonts read raw: judged over all of each font's glyphs.
    let families: [Family?] = content.fonts.map { Family(fontName: $0) }
    guard !families.isEmpty else { return report }
    func fontOf(_ word: PDFWord, _ k: Int) -> Int {
      let f = word.glyphFonts.isEmpty ? word.font : Int(word.glyphFonts[k])
      return f >= 0 && f < families.count ? f : 0
    }
    var scalarsByFont: [Int: [Unicode.Scalar]] = [:]
    if families.contains(where: { $0 != nil }) {
      for page in content.pages {
        for word in page.words {
          for (k, s) in word.text.unicodeScalars.enumerated() where families[fontOf(word, k)] != nil {
            scalarsByFont[fontOf(word, k), default: []].append(s)
          }
        }
      }
    }
    var raw = [Family?](repeating: nil, count: families.count)
    for (font, scalars) in scalarsByFont where families[font]!.looksRaw(scalars) {
      raw[font] = families[font]
      report.rawFonts.append(content.fonts[font])
    }
    report.rawFonts.sort()
    for p in content.pages.indices {
      for w in content.pages[p].words.indices {
        let word = content.pages[p].words[w]
        let fixed = repairWord(word.text, family: { raw[fontOf(word, $0)] }, report: &report)
        // Scalars, not String ==: that equates a composed accent with its decomposed form.
        if !fixed.unicodeScalars.elementsEqual(word.text.unicodeScalars) {
          content.pages[p].words[w].text = fixed
          content.pages[p].words[w].glyphFonts = []
        }
      }
    }
    return report
  }

  /// One word's text, repaired; `family(k)` is the raw-coded family of scalar `k`, if any.
  static func repairWord(_ text: String, family: (Int) -> Family?, report: inout Report) -> String {
    var needs = false
    for (k, s) in text.unicodeScalars.enumerated() {
      let v = s.value
      if v < 0x20 || (v >= 0xE000 && v <= 0xF8FF) || v == 0xFFFD || v == 0x60 || v == 0x27 || v == 0x2018
        || v == 0x2019 || (v >= 0x300 && v <= 0x36F) || (v < 0x80 && family(k) != nil)
      {
        needs = true
        break
      }
    }
    guard needs else { return text }
    var out = String.UnicodeScalarView()
    var combining = false
    for (k, s) in text.unicodeScalars.enumerated() {
      let v = s.value
      if v < 0x80, let f = family(k), let mapped = f.map(v) {
        out.append(contentsOf: mapped.unicodeScalars)
        report.mapped += 1
        if mapped.unicodeScalars.contains(where: { $0.value >= 0x300 && $0.value <= 0x36F }) { combining = true }
        continue
      }
      if v >= 0xE000 && v <= 0xF8FF {
        if let piece = symbolPieces[v] {
          out.append(contentsOf: piece.unicodeScalars)
          report.mapped += 1
        } else {
          report.unmapped += 1
        }
        continue
      }
      if (v < 0x20 && v != 0x09) || v == 0xFFFD {
        report.unmapped += 1
        continue
      }
      if v >= 0x300 && v <= 0x36F { combining = true }
      out.append(s)
    }
    var fixed = String(out)
    if fixed.contains("``") { fixed = fixed.replacingOccurrences(of: "``", with: "“") }
    if fixed.contains("''") { fixed = fixed.replacingOccurrences(of: "''", with: "”") }
    if fixed.contains("‘‘") { fixed = fixed.replacingOccurrences(of: "‘‘", with: "“") }
    if fixed.contains("’’") { fixed = fixed.replacingOccurrences(of: "’’", with: "”") }
    if combining { fixed = fixed.precomposedStringWithCanonicalMapping }
    return fixed
  }

  /// CMR/CMMI 0x00–0x21: Greek capitals (both), then CMMI's lowercase Greek.
  static let greek: [String] = [
    "Γ", "Δ", "Θ", "Λ", "Ξ", "Π", "Σ", "Υ", "Φ", "Ψ", "Ω", "α", "β", "γ", "δ", "ϵ", "ζ", "η", "θ", "ι", "κ", "λ", "μ",
    "ν", "ξ", "π", "ρ", "σ", "τ", "υ", "ϕ", "χ", "ψ", "ω",
  ]

  /// TeX's math symbol encoding (OMS, CMSY), 0x00–0x7F.
  static let oms: [String?] = [
    "−", "·", "×", "∗", "÷", "⋄", "±", "∓", "⊕", "⊖", "⊗", "⊘", "⊙", "◯", "∘", "•",
    "≍", "≡", "⊆", "⊇", "≤", "≥", "⪯", "⪰", "∼", "≈", "⊂", "⊃", "≪", "≫", "≺", "≻",
    "←", "→", "↑", "↓", "↔", "↗", "↘", "≃", "⇐", "⇒", "⇑", "⇓", "⇔", "↖", "↙", "∝",
    "′", "∞", "∈", "∋", "△", "▽", "̸", "", "∀", "∃", "¬", "∅", "ℜ", "ℑ", "⊤", "⊥",
    "ℵ", nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil,
    nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, "∪", "∩", "⊎", "∧", "∨",
    "⊢", "⊣", "⌊", "⌋", "⌈", "⌉", "{", "}", "⟨", "⟩", "|", "‖", "↕", "⇕", "\\", "≀",
    "√", "⨿", "∇", "∫", "⊔", "⊓", "⊑", "⊒", "§", "†", "‡", "¶", "♣", "♢", "♡", "♠",
  ]

  /// CMSY codes that are also what a ToUnicode map writes for other CMSY glyphs.
  static let omsAmbiguous: Set<UInt32> = Set("*-<>/{|}~\\".unicodeScalars.map(\.value) + [0x7B, 0x7F])

  /// TeX's math italic encoding (OML, CMMI) beyond the Greek letters; letters and digits are
  /// themselves.
  static let omlExtra: [UInt32: String] = [
    0x22: "ε", 0x23: "ϑ", 0x24: "ϖ", 0x25: "ϱ", 0x26: "ς", 0x27: "φ", 0x28: "↼", 0x29: "↽", 0x2A: "⇀",
    0x2B: "⇁", 0x2C: "", 0x2D: "", 0x2E: "▷", 0x2F: "◁", 0x3A: ".", 0x3B: ",", 0x3C: "<", 0x3D: "/", 0x3E: ">",
    0x3F: "⋆", 0x40: "∂", 0x5B: "♭", 0x5C: "♮", 0x5D: "♯", 0x5E: "⌣", 0x5F: "⌢", 0x60: "ℓ", 0x7B: "ı",
    0x7C: "ȷ", 0x7D: "℘", 0x7E: "⃗", 0x7F: "",
  ]

  /// TeX's text encoding (OT1, CMR and kin) where it differs from ASCII.
  static let ot1: [UInt32: String] = [
    0x0B: "ff", 0x0C: "fi", 0x0D: "fl", 0x0E: "ffi", 0x0F: "ffl", 0x10: "ı", 0x11: "ȷ", 0x12: "\u{300}",
    0x13: "\u{301}", 0x14: "\u{30C}", 0x15: "\u{306}", 0x16: "\u{304}", 0x17: "\u{30A}", 0x18: "\u{327}", 0x19: "ß",
    0x1A: "æ", 0x1B: "œ", 0x1C: "ø", 0x1D: "Æ", 0x1E: "Œ", 0x1F: "Ø", 0x20: "", 0x22: "”", 0x3C: "¡", 0x3E: "¿",
    0x5C: "“", 0x5E: "\u{302}", 0x5F: "\u{307}", 0x7B: "–", 0x7C: "—", 0x7D: "\u{30B}", 0x7E: "\u{303}", 0x7F: "\u{308}",
  ]

  /// TeX's math extension encoding (OMX, CMEX): big operators and delimiters as their plain
  /// forms; pieces of extensible delimiters are dropped.
  static func omx(_ code: UInt32) -> String? {
    let delimiters = ["(", ")", "[", "]", "⌊", "⌋", "⌈", "⌉", "{", "}", "⟨", "⟩", "|", "‖", "/", "\\"]
    switch code {
    case 0x00...0x0F: return delimiters[Int(code)]
    case 0x10...0x2F:
      let cycle = ["(", ")", "(", ")", "[", "]", "⌊", "⌋", "⌈", "⌉", "{", "}", "⟨", "⟩", "/", "\\",
        "(", ")", "[", "]", "⌊", "⌋", "⌈", "⌉", "{", "}", "⟨", "⟩", "/", "\\", "/", "\\"]
      return cycle[Int(code - 0x10)]
    case 0x46, 0x47: return "⨆"
    case 0x48, 0x49: return "∮"
    case 0x4A, 0x4B: return "⨀"
    case 0x4C, 0x4D: return "⨁"
    case 0x4E, 0x4F: return "⨂"
    case 0x50, 0x58: return "∑"
    case 0x51, 0x59: return "∏"
    case 0x52, 0x5A: return "∫"
    case 0x53, 0x5B: return "⋃"
    case 0x54, 0x5C: return "⋂"
    case 0x55, 0x5D: return "⨄"
    case 0x56, 0x5E: return "⋀"
    case 0x57, 0x5F: return "⋁"
    case 0x60, 0x61: return "∐"
    case 0x62...0x64: return "ˆ"
    case 0x65...0x67: return "˜"
    case 0x68: return "["
    case 0x69: return "]"
    case 0x6A: return "⌊"
    case 0x6B: return "⌋"
    case 0x6C: return "⌈"
    case 0x6D: return "⌉"
    case 0x6E: return "{"
    case 0x6F: return "}"
    case 0x70...0x74: return "√"
    default: return ""  // pieces: 0x30–0x45, 0x75–0x7F
    }
  }

  /// A capital letter in double-struck form (MSBM).
  static func doubleStruck(_ c: Character) -> String {
    switch c {
    case "C": return "ℂ"
    case "H": return "ℍ"
    case "N": return "ℕ"
    case "P": return "ℙ"
    case "Q": return "ℚ"
    case "R": return "ℝ"
    case "Z": return "ℤ"
    default:
      let offset = c.unicodeScalars.first!.value - 0x41
      return String(Unicode.Scalar(0x1D538 + offset)!)
    }
  }

  /// Adobe Symbol's private-use glyphs (U+F8E5–U+F8FE): a delimiter's top piece stands for
  /// the delimiter; the other pieces add nothing.
  static let symbolPieces: [UInt32: String] = [
    0xF8E5: "", 0xF8E6: "", 0xF8E7: "", 0xF8E8: "®", 0xF8E9: "©", 0xF8EA: "™", 0xF8EB: "(", 0xF8EC: "", 0xF8ED: "",
    0xF8EE: "[", 0xF8EF: "", 0xF8F0: "", 0xF8F1: "{", 0xF8F2: "", 0xF8F3: "", 0xF8F4: "", 0xF8F5: "", 0xF8F6: ")",
    0xF8F7: "", 0xF8F8: "", 0xF8F9: "]", 0xF8FA: "", 0xF8FB: "", 0xF8FC: "}", 0xF8FD: "", 0xF8FE: "",
  ]
}
