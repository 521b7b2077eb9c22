/*
 * path.c — lexical path normalisation (fs_path_normalise).
 *
 * Rules match normalised absolute paths, so "/var/task/../task//x", "./x" relative to a
 * working directory, and "/tmp/" must all reach the matcher in one spelling.
 *
 * Done right to left: walking the components backwards, a ".." simply skips the next
 * component that is kept, so the length of the result is known before anything is written
 * and the result is written once, backwards, into `out`. A path whose intermediate form would
 * not fit ("/a/very/long/name/../..") but whose result fits is therefore fine. Pure: no system
 * calls, no allocation, no stdio — async-signal-safe. `out` must not overlap the inputs.
 */
#include <string.h>

#include "internal.h"

struct walker {
	int skip;        /* ".." waiting to remove a component */
	size_t total;    /* length of the result so far ("/comp" each) */
	char *out;       /* NULL in the measuring pass */
	size_t pos;      /* writing pass: where the next (earlier) component ends */
};

/* Visit the components of s[0..n) from the last to the first. */
static void walk(struct walker *w, const char *s, size_t n)
{
	size_t end = n;
	while (end > 0) {
		while (end > 0 && s[end - 1] == '/')
			end--;
		size_t start = end;
		while (start > 0 && s[start - 1] != '/')
			start--;
		size_t len = end - start;
		if (len == 0)
			break;
		if (len == 1 && s[start] == '.') {
			/* nothing */
		} else if (len == 2 && s[start] == '.' && s[start + 1] == '.') {
			w->skip++;
		} else if (w->skip > 0) {
			w->skip--;
		} else if (w->out) {
			w->pos -= len;
			memcpy(w->out + w->pos, s + start, len);
			w->out[--w->pos] = '/';
		} else {
			w->total += len + 1;
		}
		end = start;
	}
}

long fs_path_normalise(const char *base, const char *path, char *out, size_t cap)
{
	if (!path || !*path || !out || cap == 0)
		return -1;
	bool relative = path[0] != '/';
	if (relative && (!base || base[0] != '/'))
		return -1;
	size_t plen = strlen(path), blen = relative ? strlen(base) : 0;

	/* pass 1: measure (".." beyond the root is dropped: never above "/") */
	struct walker w = { 0 };
	walk(&w, path, plen);
	if (relative)
		walk(&w, base, blen);
	size_t total = w.total ? w.total : 1;
	if (total >= cap || total > (size_t)0x7fffffff)
		return -1;

	/* pass 2: write, backwards */
	if (w.total == 0) {
		out[0] = '/';
	} else {
		struct walker wr = { .out = out, .pos = w.total };
		walk(&wr, path, plen);
		if (relative)
			walk(&wr, base, blen);
	}
	out[total] = 0;
	return (long)total;
}

long fs_path_normal_length(const char *path, size_t cap)
{
	const uint8_t *p = (const uint8_t *)path, *q = p;
	if (!p || p[0] != '/')
		return -1;
	for (;; q++) {
		if (*q == '/') {
			if (!fs_path_slash_is_normal(q, p))
				return -1;
		} else if (*q == 0) {
			break;
		}
	}
	return (size_t)(q - p) < cap ? (long)(q - p) : -1;
}

int fs_path_is_proc_mem(const char *p)
{
	if (strncmp(p, "/proc/", 6))
		return 0;
	const char *s = strchr(p + 6, '/');
	if (!s)
		return 0;
	if (!strcmp(s, "/mem"))
		return 1;
	if (strncmp(s, "/task/", 6))
		return 0;
	s = strchr(s + 6, '/');
	return s && !strcmp(s, "/mem");
}
