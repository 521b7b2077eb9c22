/*
 * jsonw.c — bounded JSON writer (see jsonw.h).
 */
#include "jsonw.h"

#include <string.h>

static const char hexdigits[] = "0123456789abcdef";

void jw_init(struct jsonw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->len = 0;
	w->cap = cap;
	w->truncated = 0;
	w->need_comma = 0;
}

/* Append raw bytes if they fit; a writer never goes past cap (callers budget ahead). */
static void put(struct jsonw *w, const char *s, size_t n)
{
	if (w->len + n > w->cap) {
		w->truncated = 1;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void putc1(struct jsonw *w, char c) { put(w, &c, 1); }

size_t jw_room(const struct jsonw *w, size_t reserve)
{
	return w->len + reserve >= w->cap ? 0 : w->cap - w->len - reserve;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 if it is not valid:
 * no overlong forms, no surrogates, nothing above U+10FFFF. */
static size_t utf8_valid_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	unsigned cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	return len;
}

size_t jw_escape(const char *s, size_t n, char *out, size_t out_cap, size_t *out_len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, o = 0;
	while (i < n) {
		char esc[8];
		const char *piece = esc;
		size_t plen, consumed = 1;
		unsigned c = u[i];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			plen = 2;
		} else if (c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			plen = 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hexdigits[c >> 4];
			esc[5] = hexdigits[c & 15];
			plen = 6;
		} else if (c < 0x80) {
			piece = (const char *)&u[i];
			plen = 1;
		} else {
			size_t l = utf8_valid_len(u + i, n - i);
			if (l) {
				piece = (const char *)&u[i];
				plen = consumed = l;
			} else {
				piece = "\\ufffd";
				plen = 6;
			}
		}
		if (o + plen > out_cap)
			break;
		memcpy(out + o, piece, plen);
		o += plen;
		i += consumed;
	}
	*out_len = o;
	return i;
}

static void key(struct jsonw *w, const char *k)
{
	if (w->need_comma)
		putc1(w, ',');
	w->need_comma = 1;
	if (k) {
		putc1(w, '"');
		put(w, k, strlen(k)); /* keys are our own constants: no escaping needed */
		put(w, "\":", 2);
	}
}

void jw_object_open(struct jsonw *w)
{
	key(w, NULL);
	putc1(w, '{');
	w->need_comma = 0;
}

void jw_object_open_key(struct jsonw *w, const char *k)
{
	key(w, k);
	putc1(w, '{');
	w->need_comma = 0;
}

void jw_object_close(struct jsonw *w)
{
	putc1(w, '}');
	w->need_comma = 1;
}

void jw_array_open(struct jsonw *w, const char *k)
{
	key(w, k);
	putc1(w, '[');
	w->need_comma = 0;
}

void jw_array_close(struct jsonw *w)
{
	putc1(w, ']');
	w->need_comma = 1;
}

void jw_strn(struct jsonw *w, const char *k, const char *s, size_t n, size_t budget)
{
	static const size_t mark = sizeof JSONW_TRUNCATED_MARK - 1;
	key(w, k);
	putc1(w, '"');
	/* Never let the string push the line past cap: keep room for its closing quote. */
	size_t room = jw_room(w, 1);
	if (budget > room)
		budget = room;
	size_t used;
	size_t consumed = jw_escape(s, n, w->buf + w->len, budget, &used);
	if (consumed < n) {
		/* Cut: back off until the marker fits too. Re-escaping a shorter prefix keeps the
		 * cut on a character boundary. */
		size_t limit = budget > mark ? budget - mark : 0;
		jw_escape(s, n, w->buf + w->len, limit, &used);
		w->len += used;
		if (w->len + mark <= w->cap)
			put(w, JSONW_TRUNCATED_MARK, mark);
		w->truncated = 1;
	} else {
		w->len += used;
	}
	putc1(w, '"');
}

void jw_str(struct jsonw *w, const char *k, const char *s, size_t budget)
{
	jw_strn(w, k, s ? s : "", s ? strlen(s) : 0, budget);
}

void jw_int(struct jsonw *w, const char *k, long long v)
{
	char tmp[24];
	size_t n = 0;
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		tmp[sizeof tmp - 1 - n++] = '-';
	key(w, k);
	put(w, tmp + sizeof tmp - n, n);
}

void jw_bool(struct jsonw *w, const char *k, int v)
{
	key(w, k);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void jw_raw(struct jsonw *w, const char *k, const char *json)
{
	key(w, k);
	put(w, json, strlen(json));
}
