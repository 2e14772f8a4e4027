/// One PDF to text: the text layer read in an isolated worker (`PDFWorker`), then laid out in
/// this process (`PDFLayout`).
public enum PDFExtractor {
  /// A PDF's text and what was learned about it.
  public struct Extraction: Sendable {
    public var text: String
    public var pageCount: Int
    public var title: String
    public var producer: String
    /// Columns found on each page read.
    public var columns: [Int]
    /// Why reading stopped early ("pages", "characters"), if it did.
    public var truncated: String?
    /// Where the references section starts in `text` (Unicode scalars), if found.
    public var referencesStart: Int?
    /// Glyphs mapped from raw TeX font codes or private-use pieces.
    public var mappedGlyphs = 0
    /// Glyphs dropped because nothing maps them (control codes, private use, U+FFFD).
    public var unmappedGlyphs = 0
    /// Fonts read as raw codes (no usable ToUnicode map).
    public var rawFonts: [String] = []
    /// How much the text reads like language, and whether the text layer is garbage.
    public var quality = PDFTextQuality(text: "", unmapped: 0)
  }

  /// The text of the PDF at `path`; `workerCommand` overrides how the worker is started (tests
  /// run the built `quarry`).
  public static func extract(
    path: String, password: String? = nil, limits: PDFWorker.Limits = .init(), workerCommand: [String]? = nil
  ) -> Result<Extraction, PDFFailure> {
    extract(.path(path), password: password, limits: limits, workerCommand: workerCommand)
  }

  /// The text of a PDF file or of PDF bytes held in memory.
  public static func extract(
    _ source: PDFWorker.Source, password: String? = nil, limits: PDFWorker.Limits = .init(),
    workerCommand: [String]? = nil
  ) -> Result<Extraction, PDFFailure> {
    extract(source, password: password, limits: limits, launch: .spawn(workerCommand))
  }

  /// The text of a PDF, read in a worker started by `launch`.
  public static func extract(
    _ source: PDFWorker.Source, password: String? = nil, limits: PDFWorker.Limits = .init(),
    launch: PDFWorker.Launch
  ) -> Result<Extraction, PDFFailure> {
    PDFWorker.read(source, password: password, limits: limits, launch: launch).map { read in
      var content = read
      let glyphs = PDFGlyphs.repair(&content)
      let layout = PDFLayout.layout(content)
      let text = layout.text
      var e = Extraction(
        text: text, pageCount: content.pageCount, title: content.title, producer: content.producer,
        columns: layout.columns, truncated: content.truncated)
      e.referencesStart = layout.referencesStart
      e.mappedGlyphs = glyphs.mapped
      e.unmappedGlyphs = glyphs.unmapped
      e.rawFonts = glyphs.rawFonts
      e.quality = PDFTextQuality(text: text, unmapped: glyphs.unmapped)
      return e
    }
  }
}
