import Foundation
import Testing
import TestSupport

@testable import PDFExtract

/// PDFs written here with cairo, read back through the isolated worker (the built `quarry
/// pdf-worker`), checked for exact text.
@Suite("PDF extraction")
struct PDFExtractTests {
  let worker = [quarryBinary, "pdf-worker"]

  /// Writes `pages` to a temporary PDF and extracts its text.
  func text(_ pages: [[PDFWriter.Run]]) throws -> String {
    let path = makeTempDir("quarry-pdf") + "/doc.pdf"
    #expect(PDFWriter().write(pages, to: path))
    return try PDFExtractor.extract(path: path, workerCommand: worker).get().text
  }

  /// Lines of `size`-point text from `(x, y)` down, 14 points apart.
  func lines(_ texts: [String], x: Double, y: Double, size: Double = 10) -> [PDFWriter.Run] {
    texts.enumerated().map { PDFWriter.Run(x: x, y: y + Double($0.offset) * 14, size: size, text: $0.element) }
  }

  @Test("two columns read left, then right, under a full-width title")
  func twoColumns() throws {
    let page =
      [PDFWriter.Run(x: 150, y: 80, size: 18, text: "A Study of Two Columns in Reading Order")]
      + lines(["The left column starts here and", "goes on for a few lines of", "plain text that ends here."], x: 72, y: 140)
      + lines(["The right column comes second,", "and it is read after the left", "one, as a reader would."], x: 320, y: 140)
    #expect(
      try text([page]) == """
        # A Study of Two Columns in Reading Order

        The left column starts here and goes on for a few lines of plain text that ends here.

        The right column comes second, and it is read after the left one, as a reader would.
        """)
  }

  @Test("running heads and page numbers repeated on every page are removed")
  func headersAndFooters() throws {
    let bodies = ["The first page holds one sentence.", "The second page holds another one.", "The third page ends the document."]
    let pages = bodies.enumerated().map { k, body in
      [
        PDFWriter.Run(x: 72, y: 40, size: 9, text: "Journal of Synthetic Tests, Volume 3"),
        PDFWriter.Run(x: 72, y: 200, size: 11, text: body),
        PDFWriter.Run(x: 300, y: 760, size: 9, text: String(k + 1)),
      ]
    }
    #expect(
      try text(pages) == """
        The first page holds one sentence.

        The second page holds another one.

        The third page ends the document.
        """)
  }

  @Test("a single page's running head and foot go by position; its title stays")
  func singlePageMargins() throws {
    let page =
      [
        PDFWriter.Run(x: 72, y: 30, size: 9, text: "Technical Note 7"),
        PDFWriter.Run(x: 540, y: 30, size: 9, text: "12"),
        PDFWriter.Run(x: 72, y: 90, size: 18, text: "A Single Page"),
      ]
      + lines(["The body of a single page is kept", "whole, and only its margins go."], x: 72, y: 140)
      + [
        PDFWriter.Run(x: 72, y: 740, size: 9, text: "Revision: 2.4"),
        PDFWriter.Run(x: 276, y: 740, size: 9, text: "P/N 119-036"),
        PDFWriter.Run(x: 468, y: 740, size: 9, text: "10 June 2019"),
      ]
    #expect(
      try text([page]) == """
        # A Single Page

        The body of a single page is kept whole, and only its margins go.
        """)
  }

  @Test("ligatures are expanded; line-end hyphens are joined, real compounds keep theirs")
  func ligaturesAndHyphens() throws {
    let page =
      lines(["The \u{FB01}rst experi-", "ment was a success, and the", "well-known result held."], x: 72, y: 100)
      + lines(["A self-contained proof is given here."], x: 72, y: 180)
      + lines(["It is self-", "contained too."], x: 72, y: 240)
    #expect(
      try text([page]) == """
        The first experiment was a success, and the well-known result held.

        A self-contained proof is given here.

        It is self-contained too.
        """)
  }

  @Test("headings by size and weight, list items and the references section")
  func structure() throws {
    let page =
      [
        PDFWriter.Run(x: 72, y: 80, size: 20, text: "Structure of a Paper"),
        PDFWriter.Run(x: 72, y: 120, size: 13, text: "1 Introduction"),
      ]
      + lines(["A paper opens with a short paragraph that", "runs over two lines of body text."], x: 72, y: 145)
      + lines(["• the first item of a list", "• the second item"], x: 72, y: 185)
      + [PDFWriter.Run(x: 72, y: 230, size: 10, text: "2.1 Method", bold: true)]
      + lines(["The method is described in one sentence."], x: 72, y: 250)
      + [PDFWriter.Run(x: 72, y: 290, size: 13, text: "References")]
      + lines(["[1] A. Author. A cited work. 2020."], x: 72, y: 315)
    let path = makeTempDir("quarry-pdf") + "/doc.pdf"
    #expect(PDFWriter().write([page], to: path))
    let e = try PDFExtractor.extract(path: path, workerCommand: worker).get()
    #expect(
      e.text == """
        # Structure of a Paper

        ## 1 Introduction

        A paper opens with a short paragraph that runs over two lines of body text.

        - the first item of a list

        - the second item

        ### 2.1 Method

        The method is described in one sentence.

        ## References

        [1] A. Author. A cited work. 2020.
        """)
    let start = try #require(e.referencesStart)
    #expect(String(String.UnicodeScalarView(e.text.unicodeScalars.dropFirst(start))).hasPrefix("## References"))
  }

  @Test("a drop cap joins the first word beside it")
  func dropCap() throws {
    let page =
      [PDFWriter.Run(x: 72, y: 128, size: 30, text: "O")]
      + lines(["ver the years the method was used", "on many kinds of documents, and it", "held up on every one of them."], x: 96, y: 110)
    #expect(try text([page]) == "Over the years the method was used on many kinds of documents, and it held up on every one of them.")
  }

  @Test("a display equation stands on its own line between the paragraphs around it")
  func displayEquation() throws {
    let page =
      lines(["The energy of a body at rest follows from", "its mass and the speed of light, as in"], x: 72, y: 100)
      + [PDFWriter.Run(x: 150, y: 128, size: 10, text: "E = m c2 + 0")]
      + lines(["where the constant is the same for every", "observer, whatever the frame of reference."], x: 72, y: 142)
    #expect(
      try text([page]) == """
        The energy of a body at rest follows from its mass and the speed of light, as in

        E = m c2 + 0

        where the constant is the same for every observer, whatever the frame of reference.
        """)
  }

  @Test("pages read by several processes give exactly what one process reads")
  func pageProcesses() throws {
    // Seven pages of uneven length, a bold heading on some, a running head and page numbers.
    let pages = (1...7).map { k -> [PDFWriter.Run] in
      var runs = [PDFWriter.Run(x: 72, y: 40, size: 9, text: "Proceedings of Synthetic Tests")]
      if k % 3 == 1 { runs.append(PDFWriter.Run(x: 72, y: 90, size: 14, text: "\(k) Section number \(k)", bold: true)) }
      runs += lines((0..<(k * 3)).map { "Line \($0) of page \(k) says something plain." }, x: 72, y: 120)
      runs.append(PDFWriter.Run(x: 300, y: 760, size: 9, text: String(k)))
      return runs
    }
    let path = makeTempDir("quarry-pdf") + "/doc.pdf"
    #expect(PDFWriter().write(pages, to: path))
    var one = PDFWorker.Limits()
    one.pageProcesses = 1
    let single = try PDFWorker.read(path: path, limits: one, command: worker).get()
    #expect(single.pages.count == 7)
    for processes in [2, 3, 4] {
      var many = PDFWorker.Limits()
      many.pageProcesses = processes
      #expect(try PDFWorker.read(path: path, limits: many, command: worker).get() == single, "\(processes) processes")
      #expect(
        try PDFExtractor.extract(.path(path), limits: many, launch: .spawn(worker)).get().text
          == PDFExtractor.extract(.path(path), limits: one, launch: .spawn(worker)).get().text)
    }
  }

  @Test("the worker's reply survives a round trip; a cut or foreign reply is refused")
  func wire() {
    let content = PDFContent(
      pageCount: 2, title: "T", producer: "P", fonts: ["CMR10", "CMSY10"],
      pages: [
        PDFPage(width: 612, height: 792, words: [PDFWord(text: "‖x‖", x0: 1, y0: 2, x1: 3, y1: 4, font: 1, size: 10, endsLine: true, glyphFonts: [1, 0, 1])])
      ], truncated: "pages")
    let bytes = PDFWire.encode(.success(content))
    #expect(PDFWire.decode(bytes) == .success(content))
    #expect(PDFWire.decode(PDFWire.encode(.failure(.encrypted))) == .failure(.encrypted))
    for cut in [0, 3, 5, bytes.count / 2, bytes.count - 1] { #expect(PDFWire.decode(Array(bytes.prefix(cut))) == nil) }
    #expect(PDFWire.decode(Array("not a reply at all".utf8)) == nil)
  }

  @Test("bad files are counted errors: not a PDF, missing, encrypted, and a hang past the deadline")
  func failures() throws {
    let dir = makeTempDir("quarry-pdf")
    let junk = dir + "/junk.pdf"
    try Data("%PDF-1.4 this is not a PDF".utf8).write(to: URL(fileURLWithPath: junk))
    #expect(PDFExtractor.extract(path: junk, workerCommand: worker).failure == .damaged)
    #expect(PDFExtractor.extract(path: dir + "/missing.pdf", workerCommand: worker).failure == .unreadable)
    guard let hostile = sharedCorpus("pdf/hostile") else { return }
    #expect(PDFExtractor.extract(path: hostile + "/qpdf-encrypted-40-bit-R3.pdf", workerCommand: worker).failure == .encrypted)
    var limits = PDFWorker.Limits()
    limits.seconds = 2
    let start = Date()
    #expect(PDFExtractor.extract(path: hostile + "/pdfjs-bomb_giant.pdf", limits: limits, workerCommand: worker).failure == .timeout)
    #expect(Date().timeIntervalSince(start) < 6)
  }
}

@Suite("Hostile PDFs")
struct HostilePDFTests {
  @Test("every hostile file ends in time as text or a counted error, and no worker is left behind")
  func hostileFolder() throws {
    guard let hostile = sharedCorpus("pdf/hostile") else { return }
    var limits = PDFWorker.Limits()
    limits.seconds = 4
    let expected: [String: PDFFailure] = [
      "pdfjs-bomb_giant.pdf": .timeout, "qpdf-encrypted-40-bit-R3.pdf": .encrypted,
      "pypdf-libreoffice-writer-password.pdf": .encrypted, "syn_zero_bytes.pdf": .damaged,
      "syn_not_a_pdf.pdf": .damaged,
    ]
    let files = try FileManager.default.contentsOfDirectory(atPath: hostile).filter { $0.hasSuffix(".pdf") }.sorted()
    #expect(files.count >= 60)
    // The files are reached through links in a folder of this test's own, so that the check for
    // leftover workers below sees only this test's (other suites run PDF workers concurrently).
    let own = makeTempDir("quarry-hostile")
    for name in files { try FileManager.default.createSymbolicLink(atPath: own + "/" + name, withDestinationPath: hostile + "/" + name) }
    for name in files {
      let start = Date()
      let result = PDFExtractor.extract(path: own + "/" + name, limits: limits, workerCommand: [quarryBinary, "pdf-worker"])
      #expect(Date().timeIntervalSince(start) < limits.seconds + 3, "\(name)")
      if let want = expected[name] { #expect(result.failure == want, "\(name)") }
    }
    // Every worker was reaped: no process whose parent is this one runs `pdf-worker` on a file of `own`.
    let me = getpid()
    let workers = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).filter { pid in
      guard Int32(pid) != nil, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return false }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 1, Int32(fields[1]) == me else { return false }
      let command = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
      return command.contains("pdf-worker") && command.contains(own)
    }
    #expect(workers.isEmpty)
  }
}

extension Result {
  var failure: Failure? {
    if case .failure(let f) = self { return f }
    return nil
  }
}
