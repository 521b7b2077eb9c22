/*
 * backtrace.h — the native call stack of the calling thread, for violation lines
 * ("log": {"backtrace": true}).
 *
 * Each frame is one JSON string, innermost first:
 *   "libpython3.11.so.1.0+0x1a2b3c PyObject_Call"   module, ELF address, exported symbol
 *   "python3.11+0x21f4a0"                           no exported symbol covers the address
 *   "0x7f3a5c01d2e0"                                outside every ELF module (JIT code)
 * MODULE is the file's base name; the offset is the ELF virtual address, so
 * `addr2line -e FILE 0xOFFSET` (or gdb) finds the line wherever the module was loaded. For a
 * return address the symbol is looked up at the call instruction (address - 1).
 *
 * Safe in every context a hook runs in — any thread, a signal handler, a vfork child — with no
 * allocation, no loader lock, no file opened and errno unchanged; see backtrace.c for how.
 */
#ifndef FNSHIELD_BACKTRACE_H
#define FNSHIELD_BACKTRACE_H

#include "jsonw.h"

#include <stddef.h>

#define BACKTRACE_DEPTH 16    /* frames in a violation line */
#define BACKTRACE_BUDGET 1024 /* bytes of a violation line for its "backtrace" field */

/* Leave out the innermost frames that lie in the module holding this code (libfnshield.so:
 * the hook, the check, the line writer), so the first frame is the hooked call's caller. */
#define BT_SKIP_OWN 1u

/* Append "key":["frame",...] to w: at most max_frames frames (after the skipped ones) and at
 * most budget bytes, comma, key and brackets included. When the frames do not all fit in the
 * budget, the last element is "...[truncated]" and w->truncated is set. Writes nothing when
 * no frame could be captured (another thread held the unwinder for too long, or nothing fits).
 * Returns the number of frames written. */
int backtrace_jw(struct jsonw *w, const char *key, size_t budget, int max_frames, unsigned flags);

/* The same, as a bare JSON array in out (NUL-terminated, cap bytes including the NUL):
 * BACKTRACE_DEPTH frames, fnshield's own left out; "[]" when nothing was captured.
 * Returns the array's length. */
size_t backtrace_json(char *out, size_t cap);

/* Optional: set the unwinder up and read the module table now (from the constructor, when the
 * policy asks for backtraces), so the first violation does not pay for it. */
void backtrace_prepare(void);

#endif
