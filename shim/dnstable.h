/*
 * dnstable.h — which names this process resolved to which addresses.
 *
 * SPEC: "A name rule applies to connections to addresses that the process resolved from a
 * matching name." The getaddrinfo / gethostbyname hooks record (address, name) pairs; connect
 * looks an address up and matches the names it finds. The table is a fixed array in the
 * library's memory (forked children inherit it), written and read without locks: each slot is
 * guarded by a sequence counter (odd while a writer fills it), and a reader that sees the
 * counter move retries. Full table: the oldest entry in an address's probe window is
 * overwritten, so a long-running process keeps its recent names.
 */
#ifndef FNSHIELD_DNSTABLE_H
#define FNSHIELD_DNSTABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define DNS_NAME_MAX 256
#define DNS_LOOKUP_MAX 4

void dns_record(const uint8_t ip[16], const char *name);

/* Set once a name is in the table (slots are never emptied): a process that has resolved
 * nothing — or only connects to literal addresses — learns that it has no names in one load. */
extern atomic_bool dns_filled;

static inline bool dns_recorded(void)
{
	return atomic_load_explicit(&dns_filled, memory_order_acquire);
}

/* Names recorded for ip, lower-case, at most DNS_LOOKUP_MAX. Returns how many. */
int dns_lookup(const uint8_t ip[16], char names[DNS_LOOKUP_MAX][DNS_NAME_MAX]);

#endif
