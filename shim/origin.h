/*
 * origin.h — who made the call: the Python, JavaScript or Java code behind a violation
 * (SPEC v1.1 "origin" and "stack", policy "log.stack").
 *
 * One walker per runtime reads the calling thread's managed frames, innermost first, and hands
 * each to origin_frame():
 *   origin_python.c  CPython 3.9, 3.11, 3.13, 3.14: the thread's frames read in place
 *   origin_node.c    Node.js 18-24: V8's own stack-trace API
 *   origin_java.c    OpenJDK 11-25: JVMTI/JNI, only from a thread in native state
 * This file writes what they find ("stack": at most ORIGIN_FRAMES frames, cut first when the
 * line runs short) and keeps the innermost frame that is not the language's own library as
 * "origin", with its package. Which walker runs is decided once, at load (origin_setup), from
 * the symbols the process exports; a process without a managed runtime gets no fields.
 *
 * Carried origins. Some programs are started in a process that cannot walk the code that asked
 * for them: Node.js forks and execs in the child (V8 must not run there), the JDK starts
 * programs through jspawnhelper (no JVM there), JDK 11 from a vfork child. For those the
 * origin is captured where it can be (before the fork or vfork; at the posix_spawn of
 * jspawnhelper) as a ready JSON fragment and used by the child's lines.
 *
 * Everything here runs on the check path of a violation that gets a full line: no malloc, no
 * locks, no stdio, errno preserved; never a managed runtime's lock (no GIL), never a change to
 * its objects. Where that cannot be had, the fields are absent.
 */
#ifndef FNSHIELD_ORIGIN_H
#define FNSHIELD_ORIGIN_H

#include "jsonw.h"
#include "policy.h"

#include <stddef.h>

#define ORIGIN_FRAMES 16      /* frames in "stack" */
#define ORIGIN_WALK_MAX 128   /* frames a walker looks at to find the origin */
#define ORIGIN_CARRY_MAX 2600 /* a carried fragment: "stack":[...],"origin":{...} */

enum origin_runtime { ORIGIN_NONE, ORIGIN_PYTHON, ORIGIN_NODE, ORIGIN_JAVA };

/* What a walker writes into: the line's writer and what has been seen so far. */
struct origin_out {
	struct jsonw *w;
	size_t stack_end;          /* w->len the "stack" array may reach (its closing included) */
	enum origin_runtime runtime;
	int walked;                /* frames handed to origin_frame */
	int written;               /* frames written to "stack" */
	int stack_full;
	int have_origin;
	int origin_line;
	char origin_file[256];
	char origin_function[160];
	char origin_package[128];
};

/* A frame, innermost first. file/function need not be NUL-terminated; library: the frame is
 * the language's own (standard library, runtime internals), so it is not the origin. Returns
 * 0 to go on, 1 when the walker may stop (the stack is full and the origin found). */
int origin_frame(struct origin_out *o, const char *file, size_t file_len, const char *function,
		 size_t function_len, int line, int library);

/* The origin's package, where the walker knows it better than the file's path does (Java: the
 * jar). Call after the origin frame was handed over. */
void origin_set_package(struct origin_out *o, const char *package, size_t len);

/* At load (the constructor): which runtime this process is, and what its walker needs.
 * jvm_launcher: the process links the JDK's launcher library (libjli). */
void origin_setup(const struct fs_policy *p, int jvm_launcher);

/* The log_context callback (logline.h): "stack" and "origin" of the calling thread (or the
 * origin carried into this process), within budget bytes. Returns the frames written. */
int origin_jw(struct jsonw *w, size_t budget);

/* Capture the calling thread's fields as a fragment (JSON members, no braces) into out;
 * returns its length, 0 when there is nothing. For carrying them to another process. */
size_t origin_capture(char *out, size_t cap);

/* The environment entry that carries the calling thread's fields to a program it starts
 * through a trampoline (the JDK's jspawnhelper): "_FNSHIELD_ORIGIN=<fragment>" in buf, or NULL
 * when there is nothing to carry. The trampoline's library takes it out of its environment at
 * load (origin_setup), so the program it then runs never sees it. */
#define ORIGIN_CARRY_ENV "_FNSHIELD_ORIGIN"
const char *origin_carry_entry(char *buf, size_t cap);

/* The calling thread is about to vfork (hook_vfork.c): take its fields now, for the child's
 * exec (JDK 11). Forks are seen through pthread_atfork. */
void origin_before_vfork(void);

/* ---- the walkers (origin_python.c, origin_node.c, origin_java.c) -------------------------- */

/* Each *_setup returns 1 when this process is that runtime (and the walker can work), called
 * once from origin_setup. Each *_walk hands the calling thread's frames to origin_frame;
 * returns 0 when it could not walk here safely (then nothing was written). */
int origin_python_setup(void);
int origin_python_walk(struct origin_out *o);
int origin_node_setup(void);
int origin_node_walk(struct origin_out *o);
int origin_java_setup(const char *exe);
int origin_java_walk(struct origin_out *o);

#endif
