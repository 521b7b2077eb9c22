/*
 * test_origin.c — the runtime-independent half of "origin" and "stack" (shim/origin.c): which
 * frame is the origin, its package by runtime, frames cut to the budget and never past 16;
 * and in a whole line (log/logline.c), the stack is what gives way, not the target or argv.
 */
#include "fields.h"
#include "logline.h"
#include "origin.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static char buf[LOGLINE_MAX + 1];

static struct origin_out start(struct jsonw *w, enum origin_runtime rt, size_t budget)
{
	jw_init(w, buf, sizeof buf - 1);
	jw_object_open(w);
	jw_array_open(w, LF_STACK);
	return (struct origin_out){.w = w, .runtime = rt, .stack_end = budget};
}

static int frame(struct origin_out *o, const char *file, int line, const char *fn, int library)
{
	return origin_frame(o, file, strlen(file), fn, strlen(fn), line, library);
}

Test(origin, the_origin_is_the_innermost_frame_outside_the_library)
{
	struct jsonw w;
	struct origin_out o = start(&w, ORIGIN_PYTHON, 4000);
	frame(&o, "/usr/lib/python3.11/subprocess.py", 1834, "Popen._execute_child", 1);
	frame(&o, "/var/task/lib/python3.11/site-packages/requests/api.py", 59, "request", 0);
	frame(&o, "/var/task/handler.py", 3, "handler", 0);
	cr_assert(o.have_origin);
	cr_assert_str_eq(o.origin_file, "/var/task/lib/python3.11/site-packages/requests/api.py");
	cr_assert_eq(o.origin_line, 59);
	cr_assert_str_eq(o.origin_function, "request");
	cr_assert_str_eq(o.origin_package, "requests");
	cr_assert_eq(o.written, 3);
}

static const char *package_of(enum origin_runtime rt, const char *file)
{
	static struct origin_out o;
	struct jsonw w;
	o = start(&w, rt, 4000);
	frame(&o, file, 1, "f", 0);
	return o.origin_package;
}

Test(origin, packages_by_runtime)
{
	cr_assert_str_eq(package_of(ORIGIN_PYTHON, "/opt/python/lib/python3.12/site-packages/six.py"), "six");
	cr_assert_str_eq(package_of(ORIGIN_PYTHON, "/usr/lib/python3/dist-packages/yaml/__init__.py"), "yaml");
	cr_assert_str_eq(package_of(ORIGIN_PYTHON, "/opt/python/mylayer/x.py"), "mylayer");
	cr_assert_str_eq(package_of(ORIGIN_PYTHON, "/home/me/script.py"), "");
	cr_assert_str_eq(package_of(ORIGIN_NODE, "/var/task/node_modules/@aws-sdk/client-s3/dist/index.js"),
			 "@aws-sdk/client-s3");
	cr_assert_str_eq(package_of(ORIGIN_NODE, "/var/task/node_modules/a/node_modules/left-pad/index.js"),
			 "left-pad");
	cr_assert_str_eq(package_of(ORIGIN_NODE, "/var/task/node_modules/loose.js"), "");
	cr_assert_str_eq(package_of(ORIGIN_NODE, "/var/task/index.mjs"), "");
	cr_assert_str_eq(package_of(ORIGIN_JAVA, "Util.java"), "");
}

Test(origin, at_most_16_frames_and_the_origin_found_beyond_them)
{
	struct jsonw w;
	struct origin_out o = start(&w, ORIGIN_NODE, 4000);
	int stop = 0;
	for (int i = 0; i < 40 && !stop; i++)
		stop = frame(&o, "node:internal/x", i, "inner", 1);
	cr_assert(!stop);
	cr_assert_eq(o.written, ORIGIN_FRAMES);
	stop = frame(&o, "/var/task/index.js", 7, "handler", 0);
	cr_assert(stop, "full stack and an origin: the walker may stop");
	cr_assert_str_eq(o.origin_file, "/var/task/index.js");
}

Test(origin, frames_that_do_not_fit_are_left_out_whole)
{
	struct jsonw w;
	struct origin_out o = start(&w, ORIGIN_PYTHON, 200);
	for (int i = 0; i < 10; i++)
		frame(&o, "/var/task/a_rather_long_module_name.py", i, "function_name", 0);
	cr_assert(o.written >= 1 && o.written < 10, "%d", o.written);
	cr_assert_leq(w.len + 1, 200);
	jw_array_close(&w);
	jw_object_close(&w);
	buf[w.len] = 0;
	cr_assert(!strstr(buf, "truncated"), "%s", buf);
	cr_assert_eq(buf[w.len - 2], ']', "%s", buf);
}

/* A stand-in for origin_jw: many long frames, as a deep stack of long paths would give. */
static int deep_stack(struct jsonw *w, size_t budget)
{
	struct origin_out o = {.w = w, .runtime = ORIGIN_PYTHON};
	size_t mark = w->len;
	jw_array_open(w, LF_STACK);
	o.stack_end = mark + budget - LOGLINE_ORIGIN_MAX;
	char file[200];
	for (int i = 0; i < 100; i++) {
		snprintf(file, sizeof file, "/var/task/%0150d.py", i);
		if (frame(&o, file, i, "f", 0))
			break;
	}
	jw_array_close(w);
	jw_object_open_key(w, LF_ORIGIN);
	jw_str(w, "file", o.origin_file, 300);
	jw_object_close(w);
	return o.written;
}

Test(origin, in_a_full_line_the_stack_gives_way_first)
{
	char *argv[11];
	char arg[100];
	memset(arg, 'a', sizeof arg - 1);
	arg[sizeof arg - 1] = 0;
	for (int i = 0; i < 10; i++)
		argv[i] = arg;
	argv[10] = NULL;
	struct violation v = {.category = FS_EXEC, .call = "execve", .target = "/bin/sh", .argv = argv,
			      .verdict = {.action = FS_BLOCK, .list = FS_LIST_DEFAULT, .index = -1},
			      .action = FS_BLOCK};
	struct log_context c = {.pid = 1, .exe = "/usr/bin/python3", .origin = deep_stack};
	char line[LOGLINE_MAX + 1];
	size_t n = logline_format_violation(&c, &v, line, LOGLINE_MAX);
	line[n] = 0;
	cr_assert_leq(n, LOGLINE_MAX);
	cr_assert(strstr(line, "\"stack\":[{"), "%s", line);
	cr_assert(strstr(line, "\"origin\":{\"file\":\"/var/task/"), "%s", line);
	cr_assert(strstr(line, "\"rule\":\"exec.default\""), "%s", line);
	/* every argument is there whole; the frames are fewer than the walker offered */
	int args = 0, frames = 0;
	for (const char *p = line; (p = strstr(p, arg)); p += sizeof arg - 1)
		args++;
	for (const char *p = line; (p = strstr(p, "{\"file\":\"/var/task/0")); p++)
		frames++;
	cr_assert_eq(args, 10, "%d args: %s", args, line);
	cr_assert(frames >= 1 && frames < ORIGIN_FRAMES, "%d frames: %s", frames, line);
	cr_assert(!strstr(line, "truncated"), "%s", line);
}

Test(origin, a_summary_line_has_no_stack)
{
	struct violation v = {.category = FS_READ, .call = "open", .target = "/proc/self/environ",
			      .verdict = {.action = FS_BLOCK, .list = FS_LIST_BLOCK, .index = 0},
			      .action = FS_BLOCK, .count = 7};
	struct log_context c = {.pid = 1, .exe = "/usr/bin/python3", .origin = deep_stack};
	char line[LOGLINE_MAX + 1];
	size_t n = logline_format_violation(&c, &v, line, LOGLINE_MAX);
	line[n] = 0;
	cr_assert(!strstr(line, "\"stack\""), "%s", line);
}
