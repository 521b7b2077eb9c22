/*
 * dnstable.c — lock-free table of resolved names (see dnstable.h).
 */
#include "dnstable.h"

#include <stdatomic.h>
#include <string.h>

#define SLOTS 4096   /* power of two */
#define PROBE 8      /* slots an address may occupy: several names per address */

struct slot {
	atomic_uint seq;       /* even: stable; odd: being written */
	atomic_uint stamp;     /* insertion order, to evict the oldest */
	uint8_t ip[16];
	char name[DNS_NAME_MAX];
};

static struct slot table[SLOTS];
static atomic_uint clock_;

static unsigned hash_ip(const uint8_t ip[16])
{
	uint64_t h = 1469598103934665603ULL;
	for (int i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 1099511628211ULL;
	return (unsigned)(h ^ (h >> 32));
}

/* Copy a slot consistently; 0 if it is empty or changed under us too often. */
static int read_slot(struct slot *s, uint8_t ip[16], char name[DNS_NAME_MAX])
{
	for (int tries = 0; tries < 4; tries++) {
		unsigned a = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (a == 0)
			return 0;
		if (a & 1)
			continue;
		memcpy(ip, s->ip, 16);
		memcpy(name, s->name, DNS_NAME_MAX);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) == a) {
			name[DNS_NAME_MAX - 1] = 0;
			return 1;
		}
	}
	return 0;
}

void dns_record(const uint8_t ip[16], const char *name)
{
	char lower[DNS_NAME_MAX];
	size_t n = 0;
	for (; n < DNS_NAME_MAX - 1 && name[n]; n++) {
		char c = name[n];
		lower[n] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	lower[n] = 0;
	if (n && lower[n - 1] == '.') /* "example.com." is "example.com" */
		lower[--n] = 0;
	if (!n)
		return;

	unsigned h = hash_ip(ip);
	struct slot *victim = NULL;
	unsigned oldest = ~0u;
	for (int i = 0; i < PROBE; i++) {
		struct slot *s = &table[(h + (unsigned)i) & (SLOTS - 1)];
		uint8_t sip[16];
		char sname[DNS_NAME_MAX];
		if (read_slot(s, sip, sname)) {
			if (!memcmp(sip, ip, 16) && !strcmp(sname, lower))
				return; /* known */
			unsigned st = atomic_load_explicit(&s->stamp, memory_order_relaxed);
			if (st < oldest) {
				oldest = st;
				victim = s;
			}
		} else if (atomic_load_explicit(&s->seq, memory_order_relaxed) == 0) {
			victim = s;
			break;
		}
	}
	if (!victim)
		return;
	/* Claim the slot: even → odd. Losing the race means another writer has it; the name is
	 * then simply not recorded this time (the next resolution records it). */
	unsigned seq = atomic_load_explicit(&victim->seq, memory_order_relaxed);
	if ((seq & 1) || !atomic_compare_exchange_strong(&victim->seq, &seq, seq + 1))
		return;
	atomic_thread_fence(memory_order_release);
	memcpy(victim->ip, ip, 16);
	memcpy(victim->name, lower, n + 1);
	atomic_store_explicit(&victim->stamp, atomic_fetch_add(&clock_, 1) + 1, memory_order_relaxed);
	atomic_store_explicit(&victim->seq, seq + 2, memory_order_release);
}

int dns_lookup(const uint8_t ip[16], char names[DNS_LOOKUP_MAX][DNS_NAME_MAX])
{
	unsigned h = hash_ip(ip);
	int found = 0;
	for (int i = 0; i < PROBE && found < DNS_LOOKUP_MAX; i++) {
		struct slot *s = &table[(h + (unsigned)i) & (SLOTS - 1)];
		uint8_t sip[16];
		if (read_slot(s, sip, names[found]) && !memcmp(sip, ip, 16))
			found++;
	}
	return found;
}
