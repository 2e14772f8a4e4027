// Writes Fixtures/pdf/paper.pdf: a two-page, two-column text PDF with a running head, page
// numbers, a ligature and line-end hyphens, all of our own text.
// Build and run from the repository root:
//   cc Fixtures/pdf/make_fixtures.c $(pkg-config --cflags --libs cairo) -o /tmp/mkpdf && /tmp/mkpdf
#include <cairo.h>
#include <cairo-pdf.h>
#include <stdio.h>

static void text(cairo_t *cr, double x, double y, double size, const char *s) {
  cairo_set_font_size(cr, size);
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s);
}

static void column(cairo_t *cr, double x, double y, const char **lines) {
  for (int i = 0; lines[i]; i++) text(cr, x, y + 14 * i, 10, lines[i]);
}

int main(void) {
  cairo_surface_t *s = cairo_pdf_surface_create("Fixtures/pdf/paper.pdf", 612, 792);
  cairo_t *cr = cairo_create(s);
  cairo_select_font_face(cr, "DejaVu Serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  const char *left1[] = {"Quarry reads the words of a PDF", "with their boxes and fonts, and",
                         "rebuilds lines, columns and para-", "graphs in the order a reader", "follows.", 0};
  const char *right1[] = {"The right column is read after", "the left one. Running heads and",
                          "page numbers repeat on every", "page and are left out of the", "text.", 0};
  const char *left2[] = {"Ligatures such as the \xef\xac\x81 in \xef\xac\x81nd are", "written as their letters, and",
                         "a word broken at a line end is", "joined again: experi-", "ment.", 0};
  const char *right2[] = {"A real compound keeps its hy-", "phen: a self-contained proof", "stays self-",
                          "contained.", 0};
  for (int page = 1; page <= 2; page++) {
    text(cr, 72, 40, 9, "Proceedings of the Quarry Fixtures Workshop");
    if (page == 1) text(cr, 140, 90, 18, "Reading Order in Two-Column Papers");
    column(cr, 72, 140, page == 1 ? left1 : left2);
    column(cr, 320, 140, page == 1 ? right1 : right2);
    char number[8];
    snprintf(number, sizeof number, "%d", page);
    text(cr, 300, 760, 9, number);
    cairo_show_page(cr);
  }
  cairo_destroy(cr);
  cairo_surface_finish(s);
  int ok = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS;
  cairo_surface_destroy(s);
  return ok ? 0 : 1;
}
