/*
 * test_dnstable.c — the lock-free table of resolved names.
 */
#include "dnstable.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void v4(uint8_t ip[16], int a, int b, int c, int d)
{
	memset(ip, 0, 16);
	ip[10] = ip[11] = 0xff;
	ip[12] = (uint8_t)a, ip[13] = (uint8_t)b, ip[14] = (uint8_t)c, ip[15] = (uint8_t)d;
}

Test(dnstable, records_and_finds_lower_case_names)
{
	uint8_t ip[16];
	char names[DNS_LOOKUP_MAX][DNS_NAME_MAX];
	v4(ip, 10, 9, 8, 7);
	cr_assert_eq(dns_lookup(ip, names), 0);
	dns_record(ip, "S3.Amazonaws.COM.");
	dns_record(ip, "s3.amazonaws.com"); /* the same name once */
	dns_record(ip, "other.example");
	int n = dns_lookup(ip, names);
	cr_assert_eq(n, 2);
	cr_assert(!strcmp(names[0], "s3.amazonaws.com") || !strcmp(names[1], "s3.amazonaws.com"));
	cr_assert(!strcmp(names[0], "other.example") || !strcmp(names[1], "other.example"));
}

Test(dnstable, an_address_never_borrows_another_addresses_name)
{
	uint8_t a[16], b[16];
	char names[DNS_LOOKUP_MAX][DNS_NAME_MAX];
	v4(a, 192, 0, 2, 1);
	v4(b, 192, 0, 2, 2);
	dns_record(a, "allowed.example");
	cr_assert_eq(dns_lookup(b, names), 0);
}

static void *writer(void *arg)
{
	int t = (int)(long)arg;
	uint8_t ip[16];
	char name[64];
	for (int i = 0; i < 2000; i++) {
		v4(ip, 100, t, i / 256, i % 256);
		snprintf(name, sizeof name, "host-%d-%d.example", t, i);
		dns_record(ip, name);
		char names[DNS_LOOKUP_MAX][DNS_NAME_MAX];
		int n = dns_lookup(ip, names);
		for (int k = 0; k < n; k++)
			if (strncmp(names[k], "host-", 5))
				return (void *)1; /* torn read */
	}
	return NULL;
}

Test(dnstable, concurrent_writers_never_tear_entries)
{
	pthread_t th[8];
	for (long t = 0; t < 8; t++)
		pthread_create(&th[t], NULL, writer, (void *)t);
	for (int t = 0; t < 8; t++) {
		void *r;
		pthread_join(th[t], &r);
		cr_assert_null(r);
	}
}
