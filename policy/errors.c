/*
 * errors.c — collecting configuration errors: message, JSON path, line and column.
 *
 * Every error found is counted; the first FS_MAX_ERRORS are kept. Positions are computed only
 * for kept errors (a scan from the start of the text), so a policy with 100,000 errors costs
 * no more than one with 16.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void fs_line_col(const char *text, size_t len, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	if (off > len)
		off = len;
	for (size_t i = 0; i < off; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == '\n') {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80) {
			/* Columns count characters: UTF-8 continuation bytes do not start one. */
			c++;
		}
	}
	*line = l;
	*col = c;
}

static void add(struct fs_ctx *cx, size_t offset, const char *path, const char *fmt, va_list ap)
{
	struct fs_errors *errs = cx->errs;
	if (errs->count < FS_MAX_ERRORS) {
		struct fs_error *e = &errs->e[errs->count];
		vsnprintf(e->message, sizeof e->message, fmt, ap);
		snprintf(e->path, sizeof e->path, "%s", path ? path : "");
		if (offset == FS_NOPOS) {
			e->line = e->column = 0;
		} else {
			fs_line_col(cx->text, cx->len, offset, &e->line, &e->column);
		}
	}
	if (errs->count < 0x7fffffff)
		errs->count++;
}

void fs_err_at(struct fs_ctx *cx, size_t offset, const char *path, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add(cx, offset, path, fmt, ap);
	va_end(ap);
}

void fs_err_node(struct fs_ctx *cx, uint32_t node, int at_key, const char *path, const char *fmt, ...)
{
	size_t off = FS_NOPOS;
	if (cx->pos && node < cx->npos) {
		const struct fs_jpos *p = &cx->pos[node];
		off = (at_key && p->key != FS_JP_NONE) ? p->key : p->val;
	}
	va_list ap;
	va_start(ap, fmt);
	add(cx, off, path, fmt, ap);
	va_end(ap);
}

const char *fs_quote(const char *s, size_t len, char *buf, size_t cap)
{
	/* Enough for messages: printable ASCII as is, the rest as \xNN or \n …; long strings are
	 * cut with "…" so that the message keeps its explanation. */
	size_t o = 0, max = cap > 8 ? cap - 8 : 0;
	if (cap < 3) {
		if (cap)
			buf[0] = 0;
		return buf;
	}
	buf[o++] = '"';
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		char tmp[5];
		size_t tl;
		if (ch == '"' || ch == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)ch;
			tl = 2;
		} else if (ch == '\n') {
			memcpy(tmp, "\\n", 2);
			tl = 2;
		} else if (ch == '\t') {
			memcpy(tmp, "\\t", 2);
			tl = 2;
		} else if (ch < 0x20 || ch == 0x7f) {
			snprintf(tmp, sizeof tmp, "\\x%02x", ch);
			tl = 4;
		} else {
			tmp[0] = (char)ch; /* UTF-8 passes through */
			tl = 1;
		}
		if (o + tl > max) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, tmp, tl);
		o += tl;
	}
	buf[o++] = '"';
	buf[o] = 0;
	return buf;
}
