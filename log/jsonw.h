/*
 * jsonw.h — a bounded JSON writer for log lines.
 *
 * Writes into a caller-supplied buffer (the stack of whichever thread, signal handler or vfork
 * child is logging): no allocation, no locks, no errno change. Every string is escaped so the
 * result is valid JSON whatever bytes come in: control characters become \uXXXX, and bytes
 * that are not valid UTF-8 become U+FFFD (a log pipeline rejects a line with broken UTF-8
 * whole, losing the event). A string that does not fit its budget is cut at a character
 * boundary and ends with the marker "...[truncated]"; the writer remembers that it cut.
 */
#ifndef FNSHIELD_JSONW_H
#define FNSHIELD_JSONW_H

#include <stddef.h>
#include <stdint.h>

#define JSONW_TRUNCATED_MARK "...[truncated]"

struct jsonw {
	char *buf;
	size_t len;
	size_t cap;       /* hard limit, including room for the final newline */
	int truncated;    /* a value was cut */
	int need_comma;
};

void jw_init(struct jsonw *w, char *buf, size_t cap);
void jw_object_open(struct jsonw *w);
void jw_object_open_key(struct jsonw *w, const char *key); /* "key":{ */
void jw_object_close(struct jsonw *w);
void jw_array_open(struct jsonw *w, const char *key);
void jw_array_close(struct jsonw *w);

/* "key":"value", the value escaped and cut to at most `budget` bytes of output. */
void jw_str(struct jsonw *w, const char *key, const char *s, size_t budget);
void jw_strn(struct jsonw *w, const char *key, const char *s, size_t n, size_t budget);
void jw_int(struct jsonw *w, const char *key, long long v);
void jw_bool(struct jsonw *w, const char *key, int v);
/* A value that is already JSON (a number, a nested object written elsewhere). */
void jw_raw(struct jsonw *w, const char *key, const char *json);

/* Bytes left before cap (keeping `reserve` for what must still follow). */
size_t jw_room(const struct jsonw *w, size_t reserve);

/* Escape s[0..n) into out as JSON string content (no quotes), stopping before out_cap. Returns
 * the number of input bytes consumed; *out_len gets the bytes written. For tests. */
size_t jw_escape(const char *s, size_t n, char *out, size_t out_cap, size_t *out_len);

#endif
