/*
 * dnstable.c — lock-free table of resolved names (see dnstable.h).
 */
#include "dnstable.h"

#include <stdatomic.h>
#include <stdbool.h>
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
atomic_bool dns_filled;

/* Two multiply-xorshift rounds over the address's two halves: enough to spread addresses that
 * differ in any byte (IPv4-mapped ones differ only in the last four). */
static unsigned hash_ip(const uint8_t ip[16])
{
	uint64_t a, b;
	memcpy(&a, ip, 8);
	memcpy(&b, ip + 8, 8);
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 31;
	return (unsigned)(h ^ (h >> 32));
}

/* The name of a slot that holds ip, copied consistently; 0 if the slot is empty, holds another
 * address, or changed under us too often. The address is compared in place first, so probing
 * slots of other addresses copies no name. */
static int read_slot(struct slot *s, const uint8_t ip[16], char name[DNS_NAME_MAX])
{
	for (int tries = 0; tries < 4; tries++) {
		unsigned a = atomic_load_explicit(&s->seq, memory_order_acquire);
		if (a == 0)
			return 0;
		if (a & 1)
			continue;
		int same = !memcmp(s->ip, ip, 16);
		if (same)
			memcpy(name, s->name, DNS_NAME_MAX);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) != a)
			continue;
		if (!same)
			return 0;
		name[DNS_NAME_MAX - 1] = 0;
		return 1;
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
		char sname[DNS_NAME_MAX];
		unsigned seq = atomic_load_explicit(&s->seq, memory_order_relaxed);
		if (read_slot(s, ip, sname) && !strcmp(sname, lower))
			return; /* known */
		if (seq != 0) {
			unsigned st = atomic_load_explicit(&s->stamp, memory_order_relaxed);
			if (st < oldest) {
				oldest = st;
				victim = s;
			}
		} else {
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
	atomic_store_explicit(&dns_filled, true, memory_order_release);
}

int dns_lookup(const uint8_t ip[16], char names[DNS_LOOKUP_MAX][DNS_NAME_MAX])
{
	if (!dns_recorded())
		return 0;
	unsigned h = hash_ip(ip);
	int found = 0;
	for (int i = 0; i < PROBE && found < DNS_LOOKUP_MAX; i++) {
		struct slot *s = &table[(h + (unsigned)i) & (SLOTS - 1)];
		/* Slots are filled in probe order and never emptied: past an empty one, nothing. */
		if (atomic_load_explicit(&s->seq, memory_order_relaxed) == 0)
			break;
		if (read_slot(s, ip, names[found]))
			found++;
	}
	return found;
}
