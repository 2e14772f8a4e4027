internal import CPoppler
import DataCore

#if canImport(Glibc)
  import Glibc
#endif

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

  /// Reads the PDF at `path`. With `shards` above 1 the pages are read by that many processes
  /// (this one and forked helpers, pages dealt out in turn), each with its own copy of the opened
  /// document; the result is the same as one process's.
  static func read(
    path: String, password: String? = nil, limits: Limits = Limits(), shards: Int = 1
  ) -> Result<PDFContent, PDFFailure> {
    guard quarry_poppler_load() != 0 else {
      let message = "quarry: poppler-glib (libpoppler-glib.so.8) could not be loaded; install it with `make deps`\n"
      _ = message.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
      exit(70)
    }
    let bytes: [UInt8]
    do {
      bytes = try readFile(path, limit: limits.maxFileBytes)
    } catch {
      if case .invalidInput = error { return .failure(.tooLarge) }
      return .failure(.unreadable)
    }
    let data = bytes.withUnsafeBytes { qp_g_bytes_new($0.baseAddress, gsize($0.count)) }
    defer { qp_g_bytes_unref(data) }
    var error: UnsafeMutablePointer<GError>? = nil
    guard let document = qp_poppler_document_new_from_bytes(data, password, &error) else {
      defer { if let error { qp_g_error_free(error) } }
      return .failure(quarry_poppler_error_is(error, Int32(POPPLER_ERROR_ENCRYPTED.rawValue)) != 0 ? .encrypted : .damaged)
    }
    defer { quarry_unref(UnsafeMutableRawPointer(document)) }
    let pageCount = max(0, Int(qp_poppler_document_get_n_pages(document)))
    let readable = min(pageCount, limits.maxPages)
    // Two pages per process at least: a helper costs a fork and its own font loading.
    // Pages are handed out one at a time from counters the helpers share, so the processes
    // finish together however uneven the pages are.
    guard let shared = mmap(nil, 64, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0), shared != MAP_FAILED else {
      return .failure(.memory)
    }
    defer { munmap(shared, 64) }
    let nextPage = shared.assumingMemoryBound(to: Int.self)
    let charactersRead = nextPage + 1
    nextPage.pointee = 0
    charactersRead.pointee = 0
    // Two pages per process at least: a helper costs a fork and its own font loading.
    let fanOut = PDFWorker.fanOut(max(1, min(shards, readable / 2)))
    let mine = readShard(document, pages: readable, limits: limits) {
      guard quarry_load(charactersRead) <= limits.maxCharacters else { return nil }
      let index = quarry_fetch_add(nextPage, 1)
      return index < readable ? index : nil
    } counted: { quarry_fetch_add(charactersRead, $0) }
    if let output = fanOut.output {
      // A helper: its pages go to the worker, then it ends.
      _ = PDFWorker.writeAll(output, PDFWorker.encodeShard(mine))
      _exit(0)
    }
    // Deal the helpers' pages back in, in page order, fonts renumbered by first use.
    var byIndex = [PDFPage?](repeating: nil, count: readable)
    var fonts: [String] = []
    var fontIDs: [String: Int] = [:]
    func adopt(_ shard: (content: PDFContent, indices: [Int])) {
      let ids = shard.content.fonts.map { name -> Int in
        if let id = fontIDs[name] { return id }
        fonts.append(name)
        fontIDs[name] = fonts.count - 1
        return fonts.count - 1
      }
      for (var page, index) in zip(shard.content.pages, shard.indices) where index >= 0 && index < readable {
        for w in page.words.indices {
          page.words[w].font = page.words[w].font < ids.count ? ids[page.words[w].font] : 0
          if !page.words[w].glyphFonts.isEmpty {
            page.words[w].glyphFonts = page.words[w].glyphFonts.map { Int($0) < ids.count ? Int32(ids[Int($0)]) : 0 }
          }
        }
        byIndex[index] = page
      }
    }
    adopt(mine)
    for helper in fanOut.helpers {
      switch PDFWorker.collectHelper(helper) {
      case .success(let shard): adopt(shard)
      case .failure(let failure): return .failure(failure)
      }
    }
    var content = PDFContent(
      pageCount: pageCount, title: takeString(qp_poppler_document_get_title(document)),
      producer: takeString(qp_poppler_document_get_producer(document)), fonts: [], pages: [],
      truncated: pageCount > readable ? "pages" : nil)
    var characters = 0
    for page in byIndex {
      guard let page else { break }
      characters += page.words.reduce(0) { $0 + $1.text.unicodeScalars.count }
      content.pages.append(page)
      if characters > limits.maxCharacters {
        content.truncated = "characters"
        break
      }
    }
    // Fonts numbered by first use in the text: the same for any number of processes.
    var order: [Int: Int] = [:]
    func renumber(_ id: Int) -> Int {
      if let n = order[id] { return n }
      order[id] = content.fonts.count
      content.fonts.append(id < fonts.count ? fonts[id] : "")
      return content.fonts.count - 1
    }
    for p in content.pages.indices {
      for w in content.pages[p].words.indices {
        content.pages[p].words[w].font = renumber(content.pages[p].words[w].font)
        content.pages[p].words[w].glyphFonts = content.pages[p].words[w].glyphFonts.map { Int32(renumber(Int($0))) }
      }
    }
    if content.fonts.isEmpty { content.fonts = [""] }
    return .success(content)
  }

  /// The pages `claim` hands out, read in turn; `counted` learns each page's characters.
  private static func readShard(
    _ document: OpaquePointer, pages: Int, limits: Limits, claim: () -> Int?, counted: (Int) -> Void
  ) -> (content: PDFContent, indices: [Int]) {
    var content = PDFContent(pageCount: pages, title: "", producer: "", fonts: [], pages: [], truncated: nil)
    var indices: [Int] = []
    var fontIndex: [String: Int] = [:]
    while let index = claim() {
      var p = PDFPage(width: 0, height: 0, words: [])
      if let page = qp_poppler_document_get_page(document, Int32(index)) {
        p = readPage(page, fonts: &content.fonts, fontIndex: &fontIndex)
        quarry_unref(UnsafeMutableRawPointer(page))
      }
      counted(p.words.reduce(0) { $0 + $1.text.unicodeScalars.count })
      content.pages.append(p)
      indices.append(index)
    }
    return (content, indices)
  }

  /// A GLib string as a Swift string, freed.
  private static func takeString(_ p: UnsafeMutablePointer<gchar>?) -> String {
    guard let p else { return "" }
    defer { qp_g_free(p) }
    return String(cString: p)
  }

  private static func readPage(
    _ page: OpaquePointer, fonts: inout [String], fontIndex: inout [String: Int]
  ) -> PDFPage {
    var width = 0.0
    var height = 0.0
    qp_poppler_page_get_size(page, &width, &height)
    guard let raw = qp_poppler_page_get_text(page) else { return PDFPage(width: width, height: height, words: []) }
    // The page's UTF-8 (repaired if poppler ever emits a bad sequence), read byte by byte: a
    // character is one Unicode scalar, the unit of poppler's boxes.
    var utf8 = Array(UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw)))
    qp_g_free(raw)
    if String(validatingUTF8: utf8.map { CChar(bitPattern: $0) } + [0]) == nil {
      utf8 = Array(String(decoding: utf8, as: UTF8.self).utf8)
    }
    let count = utf8.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
    // One rectangle per character; without them (a mismatch), no boxes: the words keep
    // poppler's order on a synthetic grid.
    var rects: UnsafeMutablePointer<PopplerRectangle>? = nil
    var n: guint = 0
    let haveLayout = qp_poppler_page_get_text_layout(page, &rects, &n) != 0 && Int(n) == count
    defer { if let rects { qp_g_free(rects) } }
    // Font name and size per character, from the attribute runs (inclusive ends).
    var fontOf = [Int32](repeating: -1, count: count)
    var sizeOf = [Float](repeating: 0, count: count)
    if let list = qp_poppler_page_get_text_attributes(page) {
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
          let hi = min(count - 1, Int(a.end_index))
          if lo <= hi {
            for k in lo...hi {
              fontOf[k] = Int32(id)
              sizeOf[k] = Float(a.font_size)
            }
          }
        }
        node = cell.pointee.next
      }
      qp_poppler_page_free_text_attributes(list)
    }
    // Characters outside every font run get the nameless font.
    if fontOf.contains(-1) {
      let unnamed: Int
      if let known = fontIndex[""] {
        unnamed = known
      } else {
        unnamed = fonts.count
        fonts.append("")
        fontIndex[""] = unnamed
      }
      for k in fontOf.indices where fontOf[k] < 0 { fontOf[k] = Int32(unnamed) }
    }
    var words: [PDFWord] = []
    var line = 0
    var start = -1
    var startByte = 0
    func finish(_ end: Int, _ endByte: Int, endsLine: Bool) {
      defer { start = -1 }
      guard start >= 0 else {
        if endsLine, !words.isEmpty { words[words.count - 1].endsLine = true }
        return
      }
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
      let font = Int(fontOf[start])
      var glyphFonts: [Int32] = []
      if fontOf[start..<end].contains(where: { $0 != fontOf[start] }) {
        glyphFonts = Array(fontOf[start..<end])
      }
      words.append(
        PDFWord(
          text: String(decoding: utf8[startByte..<endByte], as: UTF8.self), x0: x0, y0: y0, x1: x1, y1: y1,
          font: font, size: Double(sizeOf[start]), endSize: Double(sizeOf[end - 1]), endsLine: endsLine,
          glyphFonts: glyphFonts))
    }
    var k = 0  // character (scalar) index
    var at = 0  // its first byte
    while at < utf8.count {
      let c = utf8[at]
      let length = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4
      if c == 0x0A {
        finish(k, at, endsLine: true)
        line += 1
      } else if c == 0x20 || c == 0x09 || c == 0x0D {
        finish(k, at, endsLine: false)
      } else if start < 0 {
        start = k
        startByte = at
      } else if haveLayout, let rects, k > start {
        // Poppler glues blocks that touch in its text flow ("screen.When", a heading and the
        // next column's first word): a gap, a step back or a jump in height inside a word is
        // a word break (and a jump in height, a line break).
        let (a, b) = (rects[k - 1], rects[k])
        let size = Double(max(sizeOf[k - 1], sizeOf[k], 4))
        let gap = min(b.x1, b.x2) - max(a.x1, a.x2)
        let rise = abs((a.y1 + a.y2) - (b.y1 + b.y2)) / 2
        if rise > 0.8 * size {
          finish(k, at, endsLine: true)
          start = k
          startByte = at
        } else if gap > 0.35 * size || gap < -2 * size {
          finish(k, at, endsLine: false)
          start = k
          startByte = at
        }
      }
      k += 1
      at += length
    }
    finish(count, utf8.count, endsLine: true)
    return PDFPage(width: width, height: height, words: words)
  }
}
