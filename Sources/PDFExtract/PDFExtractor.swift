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
    PDFWorker.read(source, password: password, limits: limits, command: workerCommand).map { content in
      let (text, columns) = PDFLayout.text(of: content)
      return Extraction(
        text: text, pageCount: content.pageCount, title: content.title, producer: content.producer,
        columns: columns, truncated: content.truncated)
    }
  }
}
