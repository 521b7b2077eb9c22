/*
 * util.h — what the log-reading commands (cli/learn*.c, cli/report*.c) share: growable strings,
 * allocation that exits (71) when memory runs out, arrays, hashing, lists of names (cli/util.c).
 */
#ifndef FNSHIELD_CLI_UTIL_H
#define FNSHIELD_CLI_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A growable NUL-terminated string. */
struct sb {
	char *p;
	size_t n, cap;
};

void sb_putn(struct sb *b, const char *s, size_t n);
void sb_puts(struct sb *b, const char *s);
void sb_putc(struct sb *b, char c);
void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text (heap, "" when nothing was put); b is left empty. */
char *sb_take(struct sb *b);

/* Allocation that exits (71) with a message when memory runs out. */
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* Append one zeroed element of `size` bytes to the array *arr of *n (room for *cap; the first
 * allocation makes room for `first`); returns it. */
void *array_push(void *arr, size_t *n, size_t *cap, size_t size, size_t first);

/* A list of names "a, b" (heap, NULL when empty) with the n bytes of item added unless it is
 * in it already; the old list is freed. */
char *list_add(char *list, const char *item, size_t n);

/* FNV-1a of s, continuing from h (start with FNV_START). */
#define FNV_START 1469598103934665603ULL
#define FNV_PRIME 1099511628211ULL
uint64_t fnv(const char *s, uint64_t h);

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline bool is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static inline bool is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static inline bool is_alnum(unsigned char c) { return is_digit(c) || is_lower(c) || is_upper(c); }
static inline bool is_hex(unsigned char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
static inline bool starts_with(const char *s, const char *p) { return !strncmp(s, p, strlen(p)); }
static inline bool ends_with(const char *s, const char *p)
{
	size_t n = strlen(s), m = strlen(p);
	return n >= m && !memcmp(s + n - m, p, m);
}

#endif
