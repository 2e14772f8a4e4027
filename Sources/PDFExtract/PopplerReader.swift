internal import CPoppler
import DataCore

/// Reads a PDF's text layer with poppler-glib: for each page, the text, one box per character
/// (`poppler_page_get_text_layout`) and the font runs (`poppler_page_get_text_attributes`),
/// grouped into words. Poppler parses untrusted bytes in C++: call this only inside the
/// isolated worker (`PDFWorker`).
enum PopplerReader {
  struct Limits: Sendable {
    /// Bytes of the file.
    var maxFileBytes = 256 << 20
    /// Pages read (the rest are counted, not read).
    var maxPages = 2000
    /// Characters read over all pages.
    var maxCharacters = 20_000_000
  }

  static func read(path: String, password: String? = nil, limits: Limits = Limits()) -> Result<PDFContent, PDFFailure> {
    let bytes: [UInt8]
    do {
      bytes = try readFile(path, limit: limits.maxFileBytes)
    } catch {
      if case .invalidInput = error { return .failure(.tooLarge) }
      return .failure(.unreadable)
    }
    let data = bytes.withUnsafeBytes { g_bytes_new($0.baseAddress, gsize($0.count)) }
    defer { g_bytes_unref(data) }
    var error: UnsafeMutablePointer<GError>? = nil
    guard let document = poppler_document_new_from_bytes(data, password, &error) else {
      defer { if let error { g_error_free(error) } }
      return .failure(quarry_poppler_error_is(error, Int32(POPPLER_ERROR_ENCRYPTED.rawValue)) != 0 ? .encrypted : .damaged)
    }
    defer { quarry_unref(UnsafeMutableRawPointer(document)) }
    let pageCount = Int(poppler_document_get_n_pages(document))
    var content = PDFContent(
      pageCount: pageCount, title: takeString(poppler_document_get_title(document)),
      producer: takeString(poppler_document_get_producer(document)), fonts: [], pages: [], truncated: nil)
    var fontIndex: [String: Int] = [:]
    var characters = 0
    for index in 0..<pageCount {
      guard index < limits.maxPages else {
        content.truncated = "pages"
        break
      }
      guard let page = poppler_document_get_page(document, Int32(index)) else { continue }
      defer { quarry_unref(UnsafeMutableRawPointer(page)) }
      let p = readPage(page, fonts: &content.fonts, fontIndex: &fontIndex)
      characters += p.words.reduce(0) { $0 + $1.text.unicodeScalars.count }
      content.pages.append(p)
      if characters > limits.maxCharacters {
        content.truncated = "characters"
        break
      }
    }
    return .success(content)
  }

  /// A GLib string as a Swift string, freed.
  private static func takeString(_ p: UnsafeMutablePointer<gchar>?) -> String {
    guard let p else { return "" }
    defer { g_free(p) }
    return String(cString: p)
  }

  private static func readPage(
    _ page: OpaquePointer, fonts: inout [String], fontIndex: inout [String: Int]
  ) -> PDFPage {
    var width = 0.0
    var height = 0.0
    poppler_page_get_size(page, &width, &height)
    guard let raw = poppler_page_get_text(page) else { return PDFPage(width: width, height: height, words: []) }
    let text = Array(String(cString: raw).unicodeScalars)
    g_free(raw)
    // One rectangle per character; without them (a mismatch), no boxes: the words keep
    // poppler's order on a synthetic grid.
    var rects: UnsafeMutablePointer<PopplerRectangle>? = nil
    var n: guint = 0
    let haveLayout = poppler_page_get_text_layout(page, &rects, &n) != 0 && Int(n) == text.count
    defer { if let rects { g_free(rects) } }
    // Font name and size per character, from the attribute runs (inclusive ends).
    var fontOf = [Int32](repeating: -1, count: text.count)
    var sizeOf = [Float](repeating: 0, count: text.count)
    if let list = poppler_page_get_text_attributes(page) {
      var node: UnsafeMutablePointer<GList>? = list
      while let cell = node {
        if let a = cell.pointee.data?.assumingMemoryBound(to: PopplerTextAttributes.self).pointee {
          let name = a.font_name.map { String(cString: $0) } ?? ""
          let id: Int
          if let known = fontIndex[name] {
            id = known
          } else {
            id = fonts.count
            fonts.append(name)
            fontIndex[name] = id
          }
          let lo = max(0, Int(a.start_index))
          let hi = min(text.count - 1, Int(a.end_index))
          if lo <= hi {
            for k in lo...hi {
              fontOf[k] = Int32(id)
              sizeOf[k] = Float(a.font_size)
            }
          }
        }
        node = cell.pointee.next
      }
      poppler_page_free_text_attributes(list)
    }
    if fonts.isEmpty {
      fonts.append("")
      fontIndex[""] = 0
    }
    var words: [PDFWord] = []
    var line = 0
    var start = -1
    func finish(_ end: Int, endsLine: Bool) {
      defer { start = -1 }
      guard start >= 0 else {
        if endsLine, !words.isEmpty { words[words.count - 1].endsLine = true }
        return
      }
      var out = String.UnicodeScalarView()
      out.append(contentsOf: text[start..<end])
      var x0 = Double.infinity
      var y0 = Double.infinity
      var x1 = -Double.infinity
      var y1 = -Double.infinity
      if haveLayout, let rects {
        for k in start..<end {
          let r = rects[k]
          x0 = min(x0, min(r.x1, r.x2))
          x1 = max(x1, max(r.x1, r.x2))
          y0 = min(y0, min(r.y1, r.y2))
          y1 = max(y1, max(r.y1, r.y2))
        }
      } else {
        x0 = Double(start)
        x1 = Double(end)
        y0 = Double(line) * 12
        y1 = y0 + 10
      }
      let font = fontOf[start] >= 0 ? Int(fontOf[start]) : 0
      var glyphFonts: [Int32] = []
      if fontOf[start..<end].contains(where: { $0 != fontOf[start] }) {
        glyphFonts = fontOf[start..<end].map { $0 >= 0 ? $0 : Int32(font) }
      }
      words.append(
        PDFWord(
          text: String(out), x0: x0, y0: y0, x1: x1, y1: y1, font: font, size: Double(sizeOf[start]),
          endsLine: endsLine, glyphFonts: glyphFonts))
    }
    for (k, c) in text.enumerated() {
      if c == "\n" {
        finish(k, endsLine: true)
        line += 1
      } else if c == " " || c == "\t" || c == "\r" {
        finish(k, endsLine: false)
      } else if start < 0 {
        start = k
      } else if haveLayout, let rects, k > start {
        // Poppler glues blocks that touch in its text flow ("screen.When", a heading and the
        // next column's first word): a gap, a step back or a jump in height inside a word is
        // a word break (and a jump in height, a line break).
        let (a, b) = (rects[k - 1], rects[k])
        let size = Double(max(sizeOf[k - 1], sizeOf[k], 4))
        let gap = min(b.x1, b.x2) - max(a.x1, a.x2)
        let rise = abs((a.y1 + a.y2) - (b.y1 + b.y2)) / 2
        if rise > 0.8 * size {
          finish(k, endsLine: true)
          start = k
        } else if gap > 0.35 * size || gap < -2 * size {
          finish(k, endsLine: false)
          start = k
        }
      }
    }
    finish(text.count, endsLine: true)
    return PDFPage(width: width, height: height, words: words)
  }
}
