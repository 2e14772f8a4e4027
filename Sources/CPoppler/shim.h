#pragma once
// poppler-glib, imported by PDFExtract only. Small helpers for what Swift cannot reach through
// the GLib macros.
#include <poppler.h>
#include <cairo.h>
#include <cairo-pdf.h>

/// Whether `error` is a poppler error with `code` (POPPLER_ERROR_ENCRYPTED, …).
static inline int quarry_poppler_error_is(const GError *error, int code) {
  return error != NULL && error->domain == POPPLER_ERROR && error->code == code;
}

/// Releases a GObject (document, page).
static inline void quarry_unref(void *object) { if (object) g_object_unref(object); }

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
