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
    guard quarry_poppler_load() != 0 else { return false }
    guard let surface = qp_cairo_pdf_surface_create(path, width, height) else { return false }
    defer { qp_cairo_surface_destroy(surface) }
    guard let cr = qp_cairo_create(surface) else { return false }
    for page in pages {
      for run in page {
        qp_cairo_select_font_face(
          cr, "DejaVu Serif", CAIRO_FONT_SLANT_NORMAL, run.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        qp_cairo_set_font_size(cr, run.size)
        qp_cairo_move_to(cr, run.x, run.y)
        qp_cairo_show_text(cr, run.text)
      }
      qp_cairo_show_page(cr)
    }
    qp_cairo_destroy(cr)
    qp_cairo_surface_finish(surface)
    return qp_cairo_surface_status(surface) == CAIRO_STATUS_SUCCESS
  }
}
