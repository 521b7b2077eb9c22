/*
 * origin_node.c — the JavaScript code behind a call, from V8's own stack-trace API.
 *
 * Node.js exports the V8 API that native addons link against; the same functions are called
 * here from C with their C++ names (a member function takes `this` first; Local<T> is one
 * pointer; StackFrame::Location, two ints, comes back in registers like a small C struct):
 *   Isolate::TryGetCurrent, Isolate::InContext, HandleScope::HandleScope / ~HandleScope,
 *   StackTrace::CurrentStackTrace, StackTrace::GetFrameCount / GetFrame,
 *   StackFrame::GetLocation / GetScriptName / GetFunctionName, String::WriteUtf8.
 * They are resolved once at load; where one is missing (another V8) the walker is off. All of
 * them are present, with these signatures, in Node.js 18, 20, 22 and 24 (Debian's libnode and
 * the official builds).
 *
 * When it is safe: only on a thread that has an isolate entered with a context (the main
 * thread or a worker running JavaScript: fs.*Sync, child_process's spawn, a native addon).
 * libuv's pool threads (asynchronous fs, DNS) have none: no fields. Never in a forked child
 * (origin.c: V8 there crashed in prototypes); Node's children get the fields captured before
 * the fork. The walk allocates V8 handles (in the HandleScope opened and closed here) as any
 * binding does; it calls no JavaScript.
 */
#include "dynsym.h"
#include "origin.h"
#include "state.h"
#include "real.h"

#include <dlfcn.h>
#include <string.h>

struct location {
	int line, column; /* 0-based */
};

enum { V8_DETAILED = 127 }; /* StackTrace::kDetailed */
enum { V8_NO_NULL_TERMINATION = 2, V8_REPLACE_INVALID_UTF8 = 8 }; /* String::WriteOptions */

static struct {
	void *(*try_get_current)(void);
	int (*in_context)(void *isolate);
	void (*scope_open)(void *scope, void *isolate);
	void (*scope_close)(void *scope);
	void *(*current_stack_trace)(void *isolate, int limit, int options);
	int (*frame_count)(void *trace);
	void *(*frame_at)(void *trace, void *isolate, unsigned index);
	struct location (*location)(void *frame);
	void *(*script_name)(void *frame);
	void *(*function_name)(void *frame);
	int (*write_utf8)(void *string, void *isolate, char *buf, int cap, int *nchars, int options);
} v8 SHIM_LOAD_STATE;

static size_t text(void *string, void *isolate, char *buf, int cap)
{
	if (!string)
		return 0;
	int n = v8.write_utf8(string, isolate, buf, cap, NULL,
			      V8_NO_NULL_TERMINATION | V8_REPLACE_INVALID_UTF8);
	return n > 0 ? (size_t)n : 0;
}

/* Node.js's own code: its built-in modules ("node:fs", and "internal/..." or "fs" without a
 * path in older versions) and anything without a file. */
static int library(const char *f, size_t n)
{
	if (n == 0 || (n >= 5 && !memcmp(f, "node:", 5)))
		return 1;
	return f[0] != '/' && !(n >= 7 && !memcmp(f, "file://", 7));
}

int origin_node_walk(struct origin_out *o)
{
	void *isolate = v8.try_get_current ? v8.try_get_current() : NULL;
	if (!isolate || !v8.in_context(isolate))
		return 0;
	/* HandleScope: three pointers in release builds; room for more. */
	void *scope[8] __attribute__((aligned(16)));
	v8.scope_open(scope, isolate);
	void *trace = v8.current_stack_trace(isolate, ORIGIN_WALK_MAX, V8_DETAILED);
	int n = trace ? v8.frame_count(trace) : 0;
	for (int i = 0; i < n; i++) {
		void *f = v8.frame_at(trace, isolate, (unsigned)i);
		if (!f)
			break;
		char file[300], name[160];
		size_t nf = text(v8.script_name(f), isolate, file, sizeof file);
		size_t nn = text(v8.function_name(f), isolate, name, sizeof name);
		struct location at = v8.location(f);
		/* An ES module's file is a URL: the path is what a reader looks for. */
		const char *path = file;
		if (nf > 7 && !memcmp(file, "file://", 7)) {
			path += 7;
			nf -= 7;
		}
		if (origin_frame(o, path, nf, name, nn, at.line + 1, library(file, nf + (size_t)(path - file))))
			break;
	}
	v8.scope_close(scope);
	return 1;
}

int origin_node_setup(void)
{
	if (!dynsym_defined("_ZN2v87Isolate13TryGetCurrentEv"))
		return 0; /* not V8, known without dlsym's failure (dynsym.h) */
#define SYM(field, name) (*(void **)&v8.field = fs_real_dlsym(RTLD_DEFAULT, name))
	if (!SYM(try_get_current, "_ZN2v87Isolate13TryGetCurrentEv"))
		return 0;
	int ok = SYM(in_context, "_ZN2v87Isolate9InContextEv") &&
		 SYM(scope_open, "_ZN2v811HandleScopeC1EPNS_7IsolateE") &&
		 SYM(scope_close, "_ZN2v811HandleScopeD1Ev") &&
		 SYM(current_stack_trace,
		     "_ZN2v810StackTrace17CurrentStackTraceEPNS_7IsolateEiNS0_17StackTraceOptionsE") &&
		 SYM(frame_count, "_ZNK2v810StackTrace13GetFrameCountEv") &&
		 SYM(frame_at, "_ZNK2v810StackTrace8GetFrameEPNS_7IsolateEj") &&
		 SYM(location, "_ZNK2v810StackFrame11GetLocationEv") &&
		 SYM(script_name, "_ZNK2v810StackFrame13GetScriptNameEv") &&
		 SYM(function_name, "_ZNK2v810StackFrame15GetFunctionNameEv") &&
		 SYM(write_utf8, "_ZNK2v86String9WriteUtf8EPNS_7IsolateEPciPii");
#undef SYM
	if (!ok)
		v8.try_get_current = NULL;
	return ok;
}
