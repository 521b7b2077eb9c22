/*
 * repeat.c — count repeated violations instead of logging each (see repeat.h).
 */
#include "repeat.h"
#include "state.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#define SLOTS 256 /* power of two */
#define PROBE 8
#define INTERVAL_MS 1000

enum { EMPTY = 0, FILLING = 1, READY = 2 };

/* What a summary line needs of the violation, kept from its first occurrence. */
struct slot {
	atomic_int state;
	uint64_t key;
	atomic_ulong total;      /* occurrences in all */
	atomic_ulong pending;    /* occurrences not yet in any line */
	atomic_llong last_ms;    /* when the last line for it was written */
	struct violation v;      /* pointers below point into this slot */
	char call[32], target[512], resolved[256], ip[48], host[256];
	char argv_text[512];     /* argv, joined: enough to say which command it was */
	char *argv[2];
};

static struct slot table[SLOTS];

/* The table is large (a slot keeps its strings) and lives in .bss: pages no violation touched
 * are never faulted in. So flushing (at exit, before every exec) visits only the slots claimed
 * so far, and only when some occurrence is pending — usually it touches nothing at all. */
static atomic_uint nclaimed;               /* claimed[0..nclaimed): slot index + 1, 0 not yet */
static atomic_ushort claimed[SLOTS];
static atomic_int any_pending SHIM_LOAD_STATE;           /* some slot's pending count may be non-zero */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t mix(uint64_t h, const char *s)
{
	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t key_of(const struct violation *v)
{
	uint64_t h = 1469598103934665603ULL;
	h = (h ^ (uint64_t)(v->category * 4 + v->action)) * 1099511628211ULL;
	h = (h ^ (uint64_t)(v->verdict.list + 2) * 131 ^ (uint64_t)v->verdict.index) * 1099511628211ULL;
	h = (h ^ (uint64_t)v->port) * 1099511628211ULL;
	h = mix(h, v->call);
	h = mix(h, v->target);
	h = mix(h, v->resolved);
	for (size_t i = 0; v->argv && v->argv[i] && i < 256; i++)
		h = mix(h, v->argv[i]);
	return h | 1; /* never 0 */
}

static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = 0;
}

/* Keep what a summary needs: the strings are cut to the slot's room, argv joined by spaces. */
static void keep(struct slot *s, const struct violation *v)
{
	s->v = *v;
	copy(s->call, sizeof s->call, v->call);
	copy(s->target, sizeof s->target, v->target);
	s->v.call = s->call;
	s->v.target = s->target;
	s->v.resolved = v->resolved ? (copy(s->resolved, sizeof s->resolved, v->resolved), s->resolved) : NULL;
	s->v.ip = v->ip ? (copy(s->ip, sizeof s->ip, v->ip), s->ip) : NULL;
	s->v.host = v->host ? (copy(s->host, sizeof s->host, v->host), s->host) : NULL;
	s->v.argv = NULL;
	if (v->argv) {
		size_t o = 0;
		for (size_t i = 0; v->argv[i] && o + 1 < sizeof s->argv_text; i++) {
			if (i)
				s->argv_text[o++] = ' ';
			size_t n = strlen(v->argv[i]);
			if (n > sizeof s->argv_text - 1 - o)
				n = sizeof s->argv_text - 1 - o;
			memcpy(s->argv_text + o, v->argv[i], n);
			o += n;
		}
		s->argv_text[o] = 0;
		s->argv[0] = s->argv_text;
		s->argv[1] = NULL;
		s->v.argv = s->argv;
	}
}

static void fill(struct slot *s, uint64_t key, const struct violation *v)
{
	s->key = key;
	keep(s, v);
	atomic_store(&s->total, 0);
	atomic_store(&s->pending, 0);
	atomic_store(&s->last_ms, now_ms());
	atomic_store_explicit(&s->state, READY, memory_order_release);
}

/* The slot of this violation: its own, a free one, or — the window being full — the one idle
 * longest with nothing pending (so a new loop is still caught in a long-lived process). */
static struct slot *find_or_claim(uint64_t key, const struct violation *v)
{
	unsigned h = (unsigned)(key ^ (key >> 32));
	struct slot *victim = NULL;
	long long oldest = 0;
	for (int i = 0; i < PROBE; i++) {
		struct slot *s = &table[(h + (unsigned)i) & (SLOTS - 1)];
		int st = atomic_load_explicit(&s->state, memory_order_acquire);
		if (st == READY && s->key == key)
			return s;
		if (st == EMPTY) {
			int expected = EMPTY;
			if (atomic_compare_exchange_strong(&s->state, &expected, FILLING)) {
				fill(s, key, v);
				unsigned at = atomic_fetch_add(&nclaimed, 1);
				if (at < SLOTS)
					atomic_store(&claimed[at], (unsigned short)(s - table + 1));
				return s;
			}
		} else if (st == READY && atomic_load(&s->pending) == 0) {
			long long last = atomic_load(&s->last_ms);
			if (!victim || last < oldest) {
				victim = s;
				oldest = last;
			}
		}
	}
	int expected = READY;
	if (victim && atomic_compare_exchange_strong(&victim->state, &expected, FILLING)) {
		fill(victim, key, v);
		return victim;
	}
	return NULL; /* contended: the caller logs in full */
}

/* One line standing for `count` occurrences. */
static void log_summary(const struct violation *v, unsigned long count)
{
	struct violation line = *v;
	line.count = count;
	log_violation(&line);
}

void repeat_log_violation(const struct violation *v)
{
	struct slot *s = find_or_claim(key_of(v), v);
	if (!s) {
		log_violation(v);
		return;
	}
	unsigned long total = atomic_fetch_add(&s->total, 1) + 1;
	if (total <= REPEAT_FULL_LINES) {
		log_violation(v);
		return;
	}
	atomic_fetch_add(&s->pending, 1);
	atomic_store(&any_pending, 1);
	long long now = now_ms(), last = atomic_load(&s->last_ms);
	if (now - last >= INTERVAL_MS && atomic_compare_exchange_strong(&s->last_ms, &last, now)) {
		unsigned long n = atomic_exchange(&s->pending, 0);
		if (n)
			log_summary(v, n);
	}
}

/* The slots claimed so far. A slot being claimed right now may not be published yet (its entry
 * is still 0): then any_pending is raised again, so that the next flush looks once more. */
static unsigned claimed_count(void)
{
	unsigned n = atomic_load(&nclaimed);
	return n < SLOTS ? n : SLOTS;
}

static struct slot *claimed_slot(unsigned i)
{
	unsigned short v = atomic_load(&claimed[i]);
	if (!v) {
		atomic_store(&any_pending, 1);
		return NULL;
	}
	return &table[v - 1];
}

void repeat_forget_pending(void)
{
	if (!atomic_exchange(&any_pending, 0))
		return;
	for (unsigned i = 0, n = claimed_count(); i < n; i++) {
		struct slot *s = claimed_slot(i);
		if (s)
			atomic_store(&s->pending, 0);
	}
}

void repeat_flush(void)
{
	if (!atomic_exchange(&any_pending, 0))
		return;
	for (unsigned i = 0, n = claimed_count(); i < n; i++) {
		struct slot *s = claimed_slot(i);
		if (!s || atomic_load_explicit(&s->state, memory_order_acquire) != READY)
			continue;
		unsigned long n = atomic_exchange(&s->pending, 0);
		if (n) {
			atomic_store(&s->last_ms, now_ms());
			log_summary(&s->v, n);
		}
	}
}
