/*
 * logread.c — fnshield's lines out of raw logs, JSON lines and CloudWatch exports (logread.h).
 */
#include "logread.h"
#include "cli.h"
#include "fields.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Where CloudWatch puts a log line: an event's "message"; a Logs Insights result's "@message",
 * or the "value" of a {"field": "@message"} pair. */
#define CW_MESSAGE "message"
#define CW_INSIGHTS_MESSAGE "@message"
#define CW_INSIGHTS_FIELD "field"
#define CW_INSIGHTS_VALUE "value"

const char *logread_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

unsigned long logread_violations(const cJSON *line)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(line, LF_COUNT);
	return cJSON_IsNumber(n) && n->valuedouble >= 1 ? (unsigned long)n->valuedouble : 1;
}

const char *logread_package(const cJSON *line)
{
	const cJSON *origin = cJSON_GetObjectItemCaseSensitive(line, LF_ORIGIN);
	if (!cJSON_IsObject(origin))
		return NULL;
	const char *pkg = logread_str(origin, LO_PACKAGE);
	return pkg ? pkg : NO_PACKAGE;
}

static void scan_text(const struct logread *r, const char *s, size_t n);

static void walk(const struct logread *r, const cJSON *v)
{
	if (cJSON_IsArray(v)) {
		for (const cJSON *c = v->child; c; c = c->next)
			walk(r, c);
		return;
	}
	if (!cJSON_IsObject(v))
		return;
	const char *kind = logread_str(v, LF_KIND);
	if (kind) {
		r->line(r->ctx, kind, v);
		return;
	}
	/* CloudWatch: {"events": [{"message": "..."}]}, Logs Insights: [{"field": "@message",
	 * "value": "..."}], or any other wrapping: look into messages and nested values. */
	const char *field = logread_str(v, CW_INSIGHTS_FIELD);
	int insights = field && !strcmp(field, CW_INSIGHTS_MESSAGE);
	for (const cJSON *m = v->child; m; m = m->next) {
		if (cJSON_IsString(m)) {
			if (!strcmp(m->string, CW_MESSAGE) || !strcmp(m->string, CW_INSIGHTS_MESSAGE) ||
			    (insights && !strcmp(m->string, CW_INSIGHTS_VALUE)))
				scan_text(r, m->valuestring, strlen(m->valuestring));
		} else if (cJSON_IsArray(m) || cJSON_IsObject(m)) {
			walk(r, m);
		}
	}
}

/* Lines of text: in every line that mentions fnshield, every JSON object found in it. */
static void scan_text(const struct logread *r, const char *s, size_t n)
{
	const char *end = s + n;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *le = nl ? nl : end;
		if (memmem(s, (size_t)(le - s), LF_KIND, strlen(LF_KIND))) {
			const char *p = memchr(s, '{', (size_t)(le - s));
			while (p && p < le) {
				const char *pend = NULL;
				cJSON *o = cJSON_ParseWithLengthOpts(p, (size_t)(le - p), &pend, 0);
				if (o && cJSON_IsObject(o) && pend && pend > p) {
					walk(r, o);
					cJSON_Delete(o);
					p = memchr(pend, '{', (size_t)(le - pend));
				} else {
					cJSON_Delete(o);
					p = p + 1 < le ? memchr(p + 1, '{', (size_t)(le - p - 1)) : NULL;
				}
			}
		}
		s = nl ? nl + 1 : end;
	}
}

static const char *skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A whole input: one or more JSON documents (an export), else lines of text. */
void logread_input(const struct logread *r, const char *buf, size_t len)
{
	const char *end = buf + len, *p = skip_ws(buf, end);
	if (p < end && (*p == '{' || *p == '[')) {
		size_t cap = 8, n = 0;
		cJSON **docs = calloc(cap, sizeof *docs);
		int ok = docs != NULL;
		while (ok && p < end) {
			const char *pend = NULL;
			cJSON *d = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &pend, 0);
			if (!d || !pend || pend <= p) {
				cJSON_Delete(d);
				ok = 0;
				break;
			}
			if (n == cap) {
				cap *= 2;
				cJSON **nd = realloc(docs, cap * sizeof *nd);
				if (!nd) {
					cJSON_Delete(d);
					ok = 0;
					break;
				}
				docs = nd;
			}
			docs[n++] = d;
			p = skip_ws(pend, end);
		}
		if (ok)
			for (size_t i = 0; i < n; i++)
				walk(r, docs[i]);
		for (size_t i = 0; i < n; i++)
			cJSON_Delete(docs[i]);
		free(docs);
		if (ok)
			return;
	}
	scan_text(r, buf, len);
}

/* All of a stream (heap, NUL-terminated); NULL on a read error (errno says why). */
static char *read_stream(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap + 1);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				free(buf);
				return NULL;
			}
			break;
		}
		if (n == cap) {
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
	}
	if (buf) {
		buf[n] = 0;
		*len = n;
	}
	return buf;
}

int logread_files(const struct logread *r, char *const *paths, int n, const char *command)
{
	for (int i = 0; i < (n ? n : 1); i++) {
		const char *path = n ? paths[i] : "-";
		int is_stdin = !strcmp(path, "-");
		FILE *f = is_stdin ? stdin : fopen(path, "rb");
		size_t len = 0;
		char *buf = f ? read_stream(f, &len) : NULL;
		int saved = errno;
		if (f && !is_stdin)
			fclose(f);
		if (!buf) {
			fprintf(stderr, "fnshield %s: cannot read %s: %s\n", command,
				is_stdin ? "stdin" : path, strerror(saved));
			return EX_NOINPUT;
		}
		logread_input(r, buf, len);
		free(buf);
	}
	return 0;
}
