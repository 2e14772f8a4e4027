internal import CPoppler

/// Writes simple text PDFs with cairo (which comes with poppler-glib): the test documents and
/// fixtures whose expected text is known exactly. DejaVu Serif, one text run per call.
struct PDFWriter {
  /// A run of text with its baseline's left end (points, origin top-left).
  struct Run {
    var x: Double
    var y: Double
    var size: Double
    var text: String
    var bold = false
  }

  var width = 612.0
  var height = 792.0

  /// Writes `pages` (each a list of runs) to `path`.
  /// - Returns: false when cairo could not write the file.
  func write(_ pages: [[Run]], to path: String) -> Bool {
    guard let surface = cairo_pdf_surface_create(path, width, height) else { return false }
    defer { cairo_surface_destroy(surface) }
    guard let cr = cairo_create(surface) else { return false }
    for page in pages {
      for run in page {
        cairo_select_font_face(
          cr, "DejaVu Serif", CAIRO_FONT_SLANT_NORMAL, run.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, run.size)
        cairo_move_to(cr, run.x, run.y)
        cairo_show_text(cr, run.text)
      }
      cairo_show_page(cr)
    }
    cairo_destroy(cr)
    cairo_surface_finish(surface)
    return cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS
  }
}
