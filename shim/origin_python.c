/*
 * origin_python.c — the Python code behind a call: the calling thread's frames, read in place.
 *
 * How, and why so:
 *  - Never the GIL. A hook runs in threads that released it (CPython drops it around open(),
 *    connect(), exec), and taking it there deadlocks (a C library holding a mutex calls open()
 *    while the GIL holder waits for that mutex); in a vfork child it would take the parent's.
 *  - Never a Python object made or changed: no PyFrame_GetBack / PyFrame_GetCode (they return
 *    new references: a reference count changed without the GIL is a race), no
 *    PyUnicode_AsUTF8 (it may allocate and cache). Only reads.
 *  - A thread's frames belong to it: while the thread is inside the hook nothing pushes or
 *    pops them, and they keep their code objects (and those their names) alive. So reading the
 *    chain is safe without the GIL, from threads, during import, through ctypes, and in
 *    CPython 3.11's vfork child (which shares the parent's memory) and 3.9's fork child.
 *  - Which thread state: PyGILState_GetThisThreadState() (thread-specific data, no lock), only
 *    when Py_IsInitialized() and not finalizing (before, the key does not exist; during, thread
 *    states are being freed). A thread Python did not create has none: no fields.
 *  - The layouts. 3.9 (and 3.10, same public PyFrameObject) chain PyFrameObjects from
 *    PyThreadState.frame. 3.11 and 3.12 chain _PyInterpreterFrames from tstate->cframe; 3.13
 *    and later from tstate->current_frame, and publish their own offsets in _PyRuntime
 *    (_Py_DebugOffsets, cookie "xdebugpy", the table out-of-process profilers read) — used
 *    here, so only the position of each entry in that table is built in. The offsets that are
 *    built in were read with offsetof() from each version's own headers (Debian's
 *    libpython3.X-dev, pyenv's 3.11) and are checked against the running interpreter on every
 *    frame: a code object must have PyCode_Type as its type, its file and name PyUnicode_Type;
 *    at the first frame that is not so, the walk stops and writes nothing. Versions whose
 *    layout could not be read from their headers here (3.10, 3.12, 3.15+) and free-threaded
 *    builds get no fields rather than a guess.
 *  - Lines: PyFrame_GetLineNumber (3.9), PyCode_Addr2Line (3.11), PyUnstable_InterpreterFrame_
 *    GetLine (3.13+): each only decodes the code object's line table.
 *  - Nothing is read before it is known to be readable (sys_readable8, pages remembered for
 *    the walk): a signal handler may interrupt the interpreter while it links a new frame, and
 *    a layout mistake must cost the fields, never the process.
 *  - Strings: a code object's file and qualified name are almost always compact ASCII, whose
 *    bytes follow the object header; a non-ASCII one is used through its cached UTF-8 form when
 *    it has one, else written as "?".
 */
#include "dynsym.h"
#include "origin.h"
#include "state.h"
#include "real.h"
#include "sys.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum layout { PY_NONE, PY_FRAMEOBJECT, PY_311, PY_DEBUG_OFFSETS };

static struct {
	enum layout layout;
	int minor;
	void *(*this_thread_state)(void);
	int (*is_initialized)(void);
	int (*is_finalizing)(void);
	int (*frame_line)(void *frame);             /* PyFrame_GetLineNumber */
	int (*code_line)(void *code, int offset);   /* PyCode_Addr2Line */
	int (*iframe_line)(void *iframe);           /* PyUnstable_InterpreterFrame_GetLine */
	const void *code_type, *unicode_type;
	/* offsets */
	size_t ts_frame;     /* tstate → first frame (3.11: → cframe) */
	size_t cframe_frame; /* 3.11: cframe → current frame */
	size_t f_previous, f_code, f_instr, f_owner;
	size_t co_filename, co_name, co_code;
	size_t u_length, u_state, u_ascii_size;
	size_t frame_size, code_size; /* bytes of a frame / code object the walk reads */
} py SHIM_LOAD_STATE;

/* Pages found readable during this walk (one walk per thread at a time: on its stack). */
struct pages {
	uintptr_t page[16];
	unsigned n;
};

static int readable(struct pages *v, const void *p, size_t len)
{
	for (uintptr_t a = (uintptr_t)p & ~(uintptr_t)4095; a < (uintptr_t)p + len; a += 4096) {
		unsigned i;
		for (i = 0; i < v->n && i < 16 && v->page[i] != a; i++)
			;
		if (i < v->n && i < 16)
			continue;
		if (!sys_readable8(a < (uintptr_t)p ? (uintptr_t)p : a))
			return 0;
		v->page[v->n++ % 16] = a;
	}
	return 1;
}

static const void *at(const void *p, size_t off)
{
	return *(const void *const *)((const char *)p + off);
}

static const void *type_of(const void *obj)
{
	return at(obj, 8); /* PyObject: ob_refcnt, ob_type */
}

/* An object of this type, its first `len` bytes readable? */
static int object_is(struct pages *v, const void *obj, const void *type, size_t len)
{
	return obj && readable(v, obj, len) && type_of(obj) == type;
}

/* A str's UTF-8 bytes, read in place (see the top). */
static size_t str_bytes(struct pages *v, const void *s, const char **out)
{
	if (!object_is(v, s, py.unicode_type, py.u_ascii_size + 16)) {
		*out = "?";
		return 1;
	}
	const char *o = s;
	uint32_t state = *(const uint32_t *)(o + py.u_state);
	size_t len = (size_t) * (const intptr_t *)(o + py.u_length);
	int compact = (state >> 5) & 1, ascii = (state >> 6) & 1; /* interned:2 kind:3 compact ascii */
	if (compact && ascii) {
		*out = o + py.u_ascii_size;
		return len;
	}
	if (compact) { /* PyCompactUnicodeObject: utf8_length, utf8 */
		const char *utf8 = at(o, py.u_ascii_size + 8);
		if (utf8) {
			*out = utf8;
			return (size_t) * (const intptr_t *)(o + py.u_ascii_size);
		}
	}
	*out = "?";
	return 1;
}

/* The language's own code: the standard library (lib/pythonX.Y outside site-packages) and the
 * frozen import machinery. */
static int library(const char *f, size_t n)
{
	if (n >= 8 && !memcmp(f, "<frozen ", 8))
		return 1;
	int in_lib = 0;
	for (size_t i = 0; i + 12 <= n; i++) {
		if (!memcmp(f + i, "/lib/python3", 12))
			in_lib = 1;
		if (i + 15 <= n && (!memcmp(f + i, "/site-packages/", 15) || !memcmp(f + i, "/dist-packages/", 15)))
			return 0;
	}
	return in_lib;
}

/* One code object's frame; returns -1 when it is not a code object (stop), else what
 * origin_frame says. */
static int frame(struct origin_out *o, struct pages *v, const void *code, int line)
{
	const char *file, *name;
	size_t nf = str_bytes(v, at(code, py.co_filename), &file);
	size_t nn = str_bytes(v, at(code, py.co_name), &name);
	return origin_frame(o, file, nf, name, nn, line, library(file, nf));
}

/* Frame owners that hold a Python function's frame (thread, generator, frame object); the C
 * stack's entry frames (3.12+: 3 or 4) are skipped. */
#define OWNER_IS_CODE(owner) ((owner) <= 2)

int origin_python_walk(struct origin_out *o)
{
	if (py.layout == PY_NONE || !py.is_initialized() || (py.is_finalizing && py.is_finalizing()))
		return 0;
	const void *ts = py.this_thread_state();
	struct pages v = {.n = 0};
	if (!ts || !readable(&v, ts, py.ts_frame + 8))
		return 0;
	const void *f = at(ts, py.ts_frame);
	if (py.layout == PY_311)
		f = f && readable(&v, f, py.cframe_frame + 8) ? at(f, py.cframe_frame) : NULL;
	for (int n = 0; f && n < ORIGIN_WALK_MAX * 2; n++, f = at(f, py.f_previous)) {
		if (!readable(&v, f, py.frame_size))
			break;
		const void *code;
		int line;
		if (py.layout == PY_FRAMEOBJECT) {
			code = at(f, py.f_code);
			if (!object_is(&v, code, py.code_type, py.code_size))
				break;
			line = py.frame_line((void *)f);
		} else {
			unsigned char owner = *((const unsigned char *)f + py.f_owner);
			if (!OWNER_IS_CODE(owner))
				continue;
			/* 3.14: a tagged reference; the low bit is a tag, objects are aligned. */
			code = (const void *)((uintptr_t)at(f, py.f_code) & ~(uintptr_t)3);
			if (!object_is(&v, code, py.code_type, py.code_size))
				break;
			if (py.layout == PY_311) {
				const char *first = (const char *)code + py.co_code;
				const char *instr = at(f, py.f_instr);
				line = py.code_line((void *)code, (int)(instr - first));
			} else {
				line = py.iframe_line((void *)f);
			}
		}
		if (frame(o, &v, code, line))
			break;
	}
	return 1;
}

/* ---- setup ---------------------------------------------------------------------------------- */

static void *sym(const char *name)
{
	return fs_real_dlsym(RTLD_DEFAULT, name);
}

/* Positions in _Py_DebugOffsets of the entries used, per minor version (offsetof() on each
 * version's pycore_runtime.h / pycore_debug_offsets.h). */
struct debug_positions {
	int minor;
	size_t current_frame, previous, executable, instr_ptr, owner, filename, qualname, u_state,
		u_length, u_ascii_size;
};
static const struct debug_positions DEBUG_POSITIONS[] = {
	{13, 184, 232, 240, 248, 264, 280, 296, 544, 552, 560},
	{14, 208, 256, 264, 272, 288, 320, 336, 624, 632, 640},
};

static int from_debug_offsets(int minor)
{
	const char *rt = sym("_PyRuntime");
	if (!rt || memcmp(rt, "xdebugpy", 8))
		return 0;
	uint64_t version = *(const uint64_t *)(rt + 8);
	if ((int)((version >> 16) & 0xff) != minor || *(const uint64_t *)(rt + 16) /* free-threaded */)
		return 0;
	for (size_t i = 0; i < sizeof DEBUG_POSITIONS / sizeof *DEBUG_POSITIONS; i++) {
		const struct debug_positions *d = &DEBUG_POSITIONS[i];
		if (d->minor != minor)
			continue;
#define DBG(pos) ((size_t) * (const uint64_t *)(rt + (pos)))
		py.ts_frame = DBG(d->current_frame);
		py.f_previous = DBG(d->previous);
		py.f_code = DBG(d->executable);
		py.f_instr = DBG(d->instr_ptr);
		py.f_owner = DBG(d->owner);
		py.co_filename = DBG(d->filename);
		py.co_name = DBG(d->qualname);
		py.u_state = DBG(d->u_state);
		py.u_length = DBG(d->u_length);
		py.u_ascii_size = DBG(d->u_ascii_size);
#undef DBG
		return py.iframe_line != NULL;
	}
	return 0;
}

int origin_python_setup(void)
{
	if (!dynsym_defined("PyGILState_GetThisThreadState"))
		return 0; /* not Python, known without dlsym's failure (dynsym.h) */
	py.this_thread_state = (void *(*)(void))sym("PyGILState_GetThisThreadState");
	py.is_initialized = (int (*)(void))sym("Py_IsInitialized");
	if (!py.this_thread_state || !py.is_initialized)
		return 0;
	const unsigned long *version = sym("Py_Version"); /* 3.11+ */
	if (version) {
		py.minor = (int)((*version >> 16) & 0xff);
	} else {
		const char *(*get_version)(void) = (const char *(*)(void))sym("Py_GetVersion");
		const char *v = get_version ? get_version() : "";
		py.minor = !strncmp(v, "3.", 2) ? atoi(v + 2) : 0;
	}
	py.is_finalizing = (int (*)(void))sym(py.minor >= 13 ? "Py_IsFinalizing" : "_Py_IsFinalizing");
	py.frame_line = (int (*)(void *))sym("PyFrame_GetLineNumber");
	py.code_line = (int (*)(void *, int))sym("PyCode_Addr2Line");
	py.iframe_line = (int (*)(void *))sym("PyUnstable_InterpreterFrame_GetLine");
	py.code_type = sym("PyCode_Type");
	py.unicode_type = sym("PyUnicode_Type");
	if (!py.code_type || !py.unicode_type || !py.is_finalizing)
		return 0;
	/* PyASCIIObject: ob_refcnt, ob_type, length, hash, state, (3.9-3.11: wstr). */
	py.u_length = 16;
	py.u_state = 32;
	switch (py.minor) {
	case 9:
	case 10: /* the public PyThreadState.frame and PyFrameObject of cpython/frameobject.h */
		py.layout = PY_FRAMEOBJECT;
		py.ts_frame = 24;
		py.f_previous = 24; /* f_back */
		py.f_code = 32;
		py.co_filename = py.minor == 9 ? 104 : 0;
		py.co_name = 112;
		py.u_ascii_size = 48;
		if (py.minor == 10 || !py.frame_line) /* 3.10's PyCodeObject was not read here */
			py.layout = PY_NONE;
		break;
	case 11:
		py.layout = py.code_line ? PY_311 : PY_NONE;
		py.ts_frame = 56;     /* PyThreadState.cframe */
		py.cframe_frame = 8;  /* _PyCFrame.current_frame */
		py.f_code = 32;
		py.f_previous = 48;
		py.f_instr = 56;      /* prev_instr */
		py.f_owner = 69;
		py.co_filename = 112;
		py.co_name = 128;     /* co_qualname */
		py.co_code = 184;     /* co_code_adaptive */
		py.u_ascii_size = 48;
		break;
	default:
		py.layout = from_debug_offsets(py.minor) ? PY_DEBUG_OFFSETS : PY_NONE;
	}
	/* What the walk reads of a frame and of a code object: up to the furthest field used. */
	size_t fmax = py.f_previous > py.f_code ? py.f_previous : py.f_code;
	fmax = fmax > py.f_instr ? fmax : py.f_instr;
	py.frame_size = (fmax > py.f_owner ? fmax : py.f_owner) + 8;
	size_t cmax = py.co_filename > py.co_name ? py.co_filename : py.co_name;
	py.code_size = cmax + 8;
	return py.layout != PY_NONE;
}
