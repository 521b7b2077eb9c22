/*
 * util.c — the small pieces the log-reading commands (`learn`, `report`) share: growable
 * strings, allocation that exits when memory runs out, arrays, hashing, lists of names.
 */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static _Noreturn void out_of_memory(void)
{
	fputs("fnshield: out of memory\n", stderr);
	exit(71);
}

void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = 0;
}

void sb_puts(struct sb *b, const char *s) { sb_putn(b, s, strlen(s)); }
void sb_putc(struct sb *b, char c) { sb_putn(b, &c, 1); }

void sb_printf(struct sb *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof tmp) {
		sb_putn(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big)
		return;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb_putn(b, big, (size_t)n);
	free(big);
}

char *sb_take(struct sb *b)
{
	if (!b->p)
		sb_puts(b, "");
	char *p = b->p;
	memset(b, 0, sizeof *b);
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);
	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		out_of_memory();
	return q;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		out_of_memory();
	return p;
}

void *array_push(void *arr, size_t *n, size_t *cap, size_t size, size_t first)
{
	void **a = arr;
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : first;
		*a = xrealloc(*a, *cap * size);
	}
	char *e = (char *)*a + *n * size;
	memset(e, 0, size);
	++*n;
	return e;
}

uint64_t fnv(const char *s, uint64_t h)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * FNV_PRIME;
	return h;
}

char *list_add(char *list, const char *item, size_t n)
{
	for (const char *p = list; p && *p;) {
		const char *end = strstr(p, ", ");
		size_t m = end ? (size_t)(end - p) : strlen(p);
		if (m == n && !memcmp(p, item, n))
			return list;
		p = end ? end + 2 : p + m;
	}
	struct sb b = {0};
	if (list)
		sb_printf(&b, "%s, ", list);
	sb_putn(&b, item, n);
	free(list);
	return sb_take(&b);
}
