/// What a PDF's text layer holds, as read by the isolated worker: words with their boxes and
/// fonts, page by page, plus the document's metadata. Plain values, so the worker can send
/// them to the parent over a pipe and the layout can run on capped, trusted data.

/// One word: the scalars between spaces or line ends of poppler's text, with its box (points,
/// origin top-left, y down), its font (an index into `PDFContent.fonts`) and size.
public struct PDFWord: Sendable, Equatable {
  public var text: String
  public var x0: Double
  public var y0: Double
  public var x1: Double
  public var y1: Double
  public var font: Int
  public var size: Double
  /// The size of its last glyph (a subscript ends `i2`).
  public var endSize: Double
  /// Poppler ended a line after this word.
  public var endsLine: Bool
  /// The font of each scalar of `text`, when the word mixes fonts (`‖x‖`: CMSY, CMMI, CMSY);
  /// empty when every scalar is in `font`.
  public var glyphFonts: [Int32]

  public init(
    text: String, x0: Double, y0: Double, x1: Double, y1: Double, font: Int, size: Double, endSize: Double? = nil, endsLine: Bool,
    glyphFonts: [Int32] = []
  ) {
    self.text = text
    self.x0 = x0
    self.y0 = y0
    self.x1 = x1
    self.y1 = y1
    self.font = font
    self.size = size
    self.endSize = endSize ?? size
    self.endsLine = endsLine
    self.glyphFonts = glyphFonts
  }
}

/// One page: its size in points and its words in poppler's order.
public struct PDFPage: Sendable, Equatable {
  public var width: Double
  public var height: Double
  public var words: [PDFWord]

  public init(width: Double, height: Double, words: [PDFWord]) {
    self.width = width
    self.height = height
    self.words = words
  }
}

/// A document's text layer.
public struct PDFContent: Sendable, Equatable {
  /// Pages in the file (pages beyond the cap are not read).
  public var pageCount: Int
  public var title: String
  public var producer: String
  /// Font names (subset prefix stripped by poppler), indexed by `PDFWord.font`.
  public var fonts: [String]
  public var pages: [PDFPage]
  /// Why reading stopped early ("pages", "characters"), if it did.
  public var truncated: String?

  public init(pageCount: Int, title: String, producer: String, fonts: [String], pages: [PDFPage], truncated: String?) {
    self.pageCount = pageCount
    self.title = title
    self.producer = producer
    self.fonts = fonts
    self.pages = pages
    self.truncated = truncated
  }
}

/// Why a PDF gave no text layer. `rawValue` is the counted error reason.
public enum PDFFailure: String, Error, Sendable, Equatable {
  /// Encrypted, and no (right) password.
  case encrypted
  /// Not a PDF, or too damaged to open.
  case damaged
  /// Over the size cap.
  case tooLarge = "too_large"
  /// The worker ran past its time limit and was killed.
  case timeout
  /// The worker ran out of its memory limit.
  case memory
  /// The worker died (a signal, or an exit without a result).
  case crash
  /// The file could not be read.
  case unreadable
}

extension PDFFailure {
  /// One line for a log: what happened and what to do.
  public var explanation: String {
    switch self {
    case .encrypted: return "encrypted; give its password (extract-pdf --password) or leave it out"
    case .damaged: return "not a PDF, or too damaged to open"
    case .tooLarge: return "over the PDF size cap; raise it (--max-file-mb) if the file is trusted"
    case .timeout: return "the worker ran past its time limit and was killed; raise --seconds if the file is trusted"
    case .memory: return "the worker ran out of its memory limit; raise --max-memory-mb if the file is trusted"
    case .crash: return "the worker crashed while parsing (poppler); the file is skipped"
    case .unreadable: return "the file could not be read"
    }
  }
}
