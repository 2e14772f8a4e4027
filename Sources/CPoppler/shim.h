#pragma once
// poppler-glib, imported by PDFExtract only, loaded on first use: poppler-glib and the ~40
// libraries it pulls in (GLib, cairo, NSS, fontconfig, …) cost about 7 ms of dynamic linking
// at every start of `quarry`, and only PDF work needs them. So nothing links against them:
// the few types used are declared here as the GLib 2, poppler-glib and cairo headers declare
// them (stable public ABI), and each `qp_` function calls the library's function of the same
// name through a pointer looked up once with dlsym. `quarry_poppler_load()` says whether the
// library is there.
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// GLib (glib/gtypes.h, glib/gerror.h, glib/glist.h)
typedef char gchar;
typedef int gint;
typedef int gboolean;
typedef unsigned int guint;
typedef uint16_t guint16;
typedef uint32_t GQuark;
typedef double gdouble;
typedef size_t gsize;
typedef void *gpointer;
typedef const void *gconstpointer;
typedef struct _GBytes GBytes;
typedef struct _GError {
  GQuark domain;
  gint code;
  gchar *message;
} GError;
typedef struct _GList {
  gpointer data;
  struct _GList *next;
  struct _GList *prev;
} GList;

// poppler-glib (poppler.h, poppler-page.h)
typedef struct _PopplerDocument PopplerDocument;
typedef struct _PopplerPage PopplerPage;
typedef struct _PopplerRectangle {
  gdouble x1, y1, x2, y2;
} PopplerRectangle;
typedef struct _PopplerColor {
  guint16 red, green, blue;
} PopplerColor;
typedef struct _PopplerTextAttributes {
  gchar *font_name;
  gdouble font_size;
  gboolean is_underlined;
  PopplerColor color;
  gint start_index;
  gint end_index;
} PopplerTextAttributes;
typedef enum {
  POPPLER_ERROR_INVALID,
  POPPLER_ERROR_ENCRYPTED,
  POPPLER_ERROR_OPEN_FILE,
  POPPLER_ERROR_BAD_CATALOG,
  POPPLER_ERROR_DAMAGED
} PopplerError;

// cairo (cairo.h)
typedef struct _cairo_surface cairo_surface_t;
typedef struct _cairo cairo_t;
typedef enum { CAIRO_STATUS_SUCCESS = 0 } cairo_status_t;
typedef enum { CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_SLANT_ITALIC, CAIRO_FONT_SLANT_OBLIQUE } cairo_font_slant_t;
typedef enum { CAIRO_FONT_WEIGHT_NORMAL, CAIRO_FONT_WEIGHT_BOLD } cairo_font_weight_t;

/// The loaded poppler-glib (its GLib and cairo come with it), or NULL when it is missing.
static inline void *quarry_poppler_library(void) {
  static void *handle;
  static int tried;
  if (!tried) {
    handle = dlopen("libpoppler-glib.so.8", RTLD_NOW | RTLD_LOCAL);
    if (!handle) handle = dlopen("libpoppler-glib.so", RTLD_NOW | RTLD_LOCAL);
    tried = 1;
  }
  return handle;
}

/// 1 when poppler-glib could be loaded.
static inline int quarry_poppler_load(void) { return quarry_poppler_library() != NULL; }

/// The library's function `name`; exits with a message when it is missing (callers check
/// `quarry_poppler_load()` first).
static inline void *quarry_poppler_symbol(const char *name) {
  void *lib = quarry_poppler_library();
  void *f = lib ? dlsym(lib, name) : NULL;
  if (!f) {
    fprintf(stderr, "quarry: %s not found in poppler-glib (install libpoppler-glib8: make deps)\n", name);
    exit(70);
  }
  return f;
}

/// `static inline R qp_NAME PARAMS`: calls NAME ARGS through a pointer looked up once.
#define QP_FN(R, NAME, PARAMS, ARGS)                                       \
  static inline R qp_##NAME PARAMS {                                       \
    static R(*f_) PARAMS;                                                  \
    if (!f_) f_ = (R(*) PARAMS)quarry_poppler_symbol(#NAME);               \
    return f_ ARGS;                                                        \
  }

QP_FN(GBytes *, g_bytes_new, (gconstpointer data, gsize size), (data, size))
QP_FN(void, g_bytes_unref, (GBytes * bytes), (bytes))
QP_FN(void, g_error_free, (GError * error), (error))
QP_FN(void, g_free, (gpointer p), (p))
QP_FN(void, g_object_unref, (gpointer object), (object))
QP_FN(GQuark, poppler_error_quark, (void), ())
QP_FN(PopplerDocument *, poppler_document_new_from_bytes, (GBytes * bytes, const char *password, GError **error),
      (bytes, password, error))
QP_FN(int, poppler_document_get_n_pages, (PopplerDocument * d), (d))
QP_FN(gchar *, poppler_document_get_title, (PopplerDocument * d), (d))
QP_FN(gchar *, poppler_document_get_producer, (PopplerDocument * d), (d))
QP_FN(PopplerPage *, poppler_document_get_page, (PopplerDocument * d, int index), (d, index))
QP_FN(void, poppler_page_get_size, (PopplerPage * page, double *width, double *height), (page, width, height))
QP_FN(char *, poppler_page_get_text, (PopplerPage * page), (page))
QP_FN(gboolean, poppler_page_get_text_layout, (PopplerPage * page, PopplerRectangle **rects, guint *n),
      (page, rects, n))
QP_FN(GList *, poppler_page_get_text_attributes, (PopplerPage * page), (page))
QP_FN(void, poppler_page_free_text_attributes, (GList * list), (list))
// cairo (a dependency of poppler-glib), for writing test PDFs (PDFWriter).
QP_FN(cairo_surface_t *, cairo_pdf_surface_create, (const char *path, double width, double height),
      (path, width, height))
QP_FN(void, cairo_surface_destroy, (cairo_surface_t * s), (s))
QP_FN(void, cairo_surface_finish, (cairo_surface_t * s), (s))
QP_FN(cairo_status_t, cairo_surface_status, (cairo_surface_t * s), (s))
QP_FN(cairo_t *, cairo_create, (cairo_surface_t * s), (s))
QP_FN(void, cairo_destroy, (cairo_t * cr), (cr))
QP_FN(void, cairo_select_font_face,
      (cairo_t * cr, const char *family, cairo_font_slant_t slant, cairo_font_weight_t weight),
      (cr, family, slant, weight))
QP_FN(void, cairo_set_font_size, (cairo_t * cr, double size), (cr, size))
QP_FN(void, cairo_move_to, (cairo_t * cr, double x, double y), (cr, x, y))
QP_FN(void, cairo_show_text, (cairo_t * cr, const char *text), (cr, text))
QP_FN(void, cairo_show_page, (cairo_t * cr), (cr))

/// Whether `error` is a poppler error with `code` (POPPLER_ERROR_ENCRYPTED, …).
static inline int quarry_poppler_error_is(const GError *error, int code) {
  return error != NULL && error->domain == qp_poppler_error_quark() && error->code == code;
}

/// Releases a GObject (document, page).
static inline void quarry_unref(void *object) { if (object) qp_g_object_unref(object); }

// Process helpers for the worker that runs poppler (PDFWorker).
#include <fcntl.h>
#include <signal.h>
#include <linux/memfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/// A pipe whose ends close on exec (no other spawned process inherits them).
static inline int quarry_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/// Asks the kernel to kill this process when its parent dies.
static inline int quarry_die_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); }

/// Atomic counters in memory shared by a worker and its forked helpers: the next page to read,
/// the characters read so far.
static inline long quarry_fetch_add(long *counter, long amount) { return __atomic_fetch_add(counter, amount, __ATOMIC_SEQ_CST); }
static inline long quarry_load(long *counter) { return __atomic_load_n(counter, __ATOMIC_SEQ_CST); }

/// An anonymous in-memory file (a PDF held in memory, handed to the worker as a file).
static inline int quarry_memfd(const char *name) { return (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC); }
