/*
 * lambda.c — Lambda phase and invocation ids, read off the Runtime API traffic (lambda.h).
 */
#include "lambda.h"
#include "repeat.h"
#include "state.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define API_FD_LIMIT LAMBDA_API_FD_LIMIT /* above are not tracked (a runtime's are low) */
#define MAX_CONNS 8          /* Runtime API connections watched at once */
#define MAX_INFLIGHT 64      /* invocations in flight at once (AWS_LAMBDA_MAX_CONCURRENCY) */

_Atomic uint64_t lambda_api_fds[API_FD_LIMIT / 64];
#define api_fds lambda_api_fds

/* ---- which descriptors are Runtime API connections --------------------------------------- */

/* Per connection: are we waiting for the response to a /next request, and the headers of it
 * seen so far (a response may arrive in several reads). Only the runtime's loop reads a
 * connection, one read at a time, so a connection's state has a single writer. */
struct conn {
	atomic_int fd;       /* -1: free */
	int awaiting;        /* a /next request was sent; its response headers not yet parsed */
	size_t have;
	char head[2048];     /* the response's status line and headers, as far as received */
};
static struct conn conns[MAX_CONNS];
static atomic_int conns_ready;

static struct conn *conn_of(int fd, int create)
{
	for (int i = 0; i < MAX_CONNS; i++)
		if (atomic_load_explicit(&conns[i].fd, memory_order_acquire) == fd)
			return &conns[i];
	if (!create)
		return NULL;
	for (int i = 0; i < MAX_CONNS; i++) {
		int expected = -1;
		if (atomic_compare_exchange_strong(&conns[i].fd, &expected, fd)) {
			conns[i].awaiting = 0;
			conns[i].have = 0;
			return &conns[i];
		}
	}
	return NULL;
}

void lambda_mark_api_fd(int fd)
{
	if ((unsigned)fd >= API_FD_LIMIT)
		return;
	atomic_fetch_or(&api_fds[fd / 64], (uint64_t)1 << (fd % 64));
	conn_of(fd, 1);
}

void lambda_forget_fd(int fd)
{
	if (!lambda_is_api_fd(fd))
		return;
	atomic_fetch_and(&api_fds[fd / 64], ~((uint64_t)1 << (fd % 64)));
	struct conn *c = conn_of(fd, 0);
	if (c)
		atomic_store(&c->fd, -1);
}

/* The invocation a child process was started in (its parent's), for every thread of it. */
static struct lambda_ids inherited_ids;
static int have_inherited_ids;

void lambda_init(const char *inherited)
{
	for (int i = 0; i < MAX_CONNS; i++)
		atomic_store(&conns[i].fd, -1);
	atomic_store(&conns_ready, 1);
	if (!inherited || strncmp(inherited, "invoke", 6)) {
		shim_set_phase(PHASE_INIT);
		return;
	}
	shim_set_phase(PHASE_INVOKE);
	const char *p = inherited + 6;
	if (*p++ != ' ')
		return;
	size_t n = strcspn(p, " ");
	if (!n || n >= LAMBDA_ID_MAX)
		return;
	memcpy(inherited_ids.request_id, p, n);
	p += n;
	if (*p == ' ')
		logline_copy(inherited_ids.trace_id, sizeof inherited_ids.trace_id, p + 1);
	have_inherited_ids = 1;
}

/* Append s to out[*n] within cap (no stdio: this runs in vfork children). */
static void append(char *out, size_t cap, size_t *n, const char *s)
{
	size_t l = strlen(s);
	if (*n + l >= cap)
		l = cap - 1 - *n;
	memcpy(out + *n, s, l);
	*n += l;
	out[*n] = 0;
}

void lambda_env_entry(char *out, size_t cap)
{
	struct lambda_ids ids;
	size_t n = 0;
	out[0] = 0;
	append(out, cap, &n, LAMBDA_ENV "=");
	if (atomic_load_explicit(&g_phase, memory_order_relaxed) != PHASE_INVOKE) {
		append(out, cap, &n, "init");
		return;
	}
	append(out, cap, &n, "invoke");
	if (lambda_current(&ids)) {
		append(out, cap, &n, " ");
		append(out, cap, &n, ids.request_id);
		append(out, cap, &n, " ");
		append(out, cap, &n, ids.trace_id);
	}
}

/* ---- invocations in flight --------------------------------------------------------------- */

struct inflight {
	atomic_uint seq;     /* seqlock: odd while written */
	atomic_ulong gen;    /* 0: free; else this invocation's generation */
	struct lambda_ids ids;
};
static struct inflight inflight[MAX_INFLIGHT];
static atomic_ulong generation;

/* The invocation this thread received (0: none). */
static __thread __attribute__((tls_model("initial-exec"))) unsigned long thread_gen;

static int read_slot(struct inflight *s, unsigned long *gen, struct lambda_ids *out)
{
	for (int tries = 0; tries < 8; tries++) {
		unsigned a = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (a & 1)
			continue;
		*gen = atomic_load_explicit(&s->gen, memory_order_relaxed);
		if (out)
			memcpy(out, &s->ids, sizeof *out);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) == a)
			return 1;
	}
	return 0;
}

static void write_slot(struct inflight *s, unsigned long gen, const struct lambda_ids *ids)
{
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_acq_rel);
	if (ids)
		memcpy(&s->ids, ids, sizeof *ids);
	atomic_store_explicit(&s->gen, gen, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->seq, 1, memory_order_release);
}

static void begin_invocation(const struct lambda_ids *ids)
{
	unsigned long gen = atomic_fetch_add(&generation, 1) + 1;
	for (int i = 0; i < MAX_INFLIGHT; i++) {
		unsigned long zero = 0;
		/* claim a free slot by its generation, then fill it under its seqlock */
		if (atomic_load(&inflight[i].gen) == 0 &&
		    atomic_compare_exchange_strong(&inflight[i].gen, &zero, ~0UL)) {
			write_slot(&inflight[i], gen, ids);
			thread_gen = gen;
			return;
		}
	}
}

static void end_invocation(const char *request_id, size_t len)
{
	for (int i = 0; i < MAX_INFLIGHT; i++) {
		unsigned long gen;
		struct lambda_ids ids;
		if (read_slot(&inflight[i], &gen, &ids) && gen && gen != ~0UL &&
		    strlen(ids.request_id) == len && !memcmp(ids.request_id, request_id, len)) {
			write_slot(&inflight[i], 0, NULL);
			if (thread_gen == gen)
				thread_gen = 0;
			return;
		}
	}
}

int lambda_current(struct lambda_ids *out)
{
	int active = 0;
	struct lambda_ids only;
	for (int i = 0; i < MAX_INFLIGHT; i++) {
		unsigned long gen;
		if (!atomic_load_explicit(&inflight[i].gen, memory_order_relaxed))
			continue;
		if (!read_slot(&inflight[i], &gen, out) || !gen || gen == ~0UL)
			continue;
		if (thread_gen && gen == thread_gen)
			return 1;
		if (active++ == 0)
			memcpy(&only, out, sizeof only);
	}
	if (active == 1) {
		memcpy(out, &only, sizeof only);
		return 1;
	}
	if (active == 0 && have_inherited_ids) {
		memcpy(out, &inherited_ids, sizeof *out);
		return 1;
	}
	return 0;
}

/* ---- the traffic -------------------------------------------------------------------------- */

static const char NEXT_REQ[] = "GET /2018-06-01/runtime/invocation/next";
static const char INVOCATION_PREFIX[] = "POST /2018-06-01/runtime/invocation/";

static int starts_with(const void *buf, size_t len, const char *s, size_t n)
{
	return len >= n && !memcmp(buf, s, n);
}

void lambda_saw_request(int fd, const void *buf, size_t len)
{
	if (starts_with(buf, len, NEXT_REQ, sizeof NEXT_REQ - 1)) {
		/* Init is over for good; this thread has finished whatever it was running. */
		shim_set_phase(PHASE_INVOKE);
		thread_gen = 0;
		struct conn *c = conn_of(fd, 1);
		if (c) {
			c->awaiting = 1;
			c->have = 0;
		}
		return;
	}
	/* POST /2018-06-01/runtime/invocation/<id>/response (or /error): that one is done. */
	if (starts_with(buf, len, INVOCATION_PREFIX, sizeof INVOCATION_PREFIX - 1)) {
		const char *id = (const char *)buf + sizeof INVOCATION_PREFIX - 1;
		const char *end = memchr(id, '/', len - (sizeof INVOCATION_PREFIX - 1));
		if (end) {
			repeat_flush(); /* this invocation's repeats, under its requestId */
			end_invocation(id, (size_t)(end - id));
		}
	}
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* The value of header `name` in an HTTP head, copied into out (0 if absent). */
static int header(const char *head, size_t len, const char *name, char *out, size_t cap)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i + nl + 1 < len; i++) {
		if (i && head[i - 1] != '\n')
			continue;
		size_t k = 0;
		while (k < nl && lower(head[i + k]) == lower(name[k]))
			k++;
		if (k < nl || head[i + nl] != ':')
			continue;
		size_t v = i + nl + 1, o = 0;
		while (v < len && (head[v] == ' ' || head[v] == '\t'))
			v++;
		while (v < len && head[v] != '\r' && head[v] != '\n' && o + 1 < cap)
			out[o++] = head[v++];
		out[o] = 0;
		return 1;
	}
	return 0;
}

void lambda_saw_response(int fd, const void *buf, size_t len)
{
	struct conn *c = conn_of(fd, 0);
	if (!c || !c->awaiting || !len)
		return;
	size_t room = sizeof c->head - c->have;
	size_t n = len < room ? len : room;
	memcpy(c->head + c->have, buf, n);
	c->have += n;
	/* Only the head: the event body is the caller's data and may say anything. */
	void *end = memmem(c->head, c->have, "\r\n\r\n", 4);
	if (!end && c->have < sizeof c->head)
		return;
	size_t hl = end ? (size_t)((char *)end - c->head) : c->have;
	c->awaiting = 0;
	struct lambda_ids ids;
	memset(&ids, 0, sizeof ids);
	if (header(c->head, hl, "Lambda-Runtime-Aws-Request-Id", ids.request_id, sizeof ids.request_id)) {
		header(c->head, hl, "Lambda-Runtime-Trace-Id", ids.trace_id, sizeof ids.trace_id);
		begin_invocation(&ids);
	}
}
