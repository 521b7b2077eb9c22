/*
 * test_hostmatch.c — connect/listen rules: DNS name globs, "*", ports, case, IPv4/IPv6
 * addresses and CIDR blocks, IPv4-mapped addresses, strictest-wins across names and
 * addresses, malformed patterns.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

/* A policy whose connect category blocks the given patterns (default allow). */
static struct fs_policy *blocks(const char *list)
{
	char t[2048];
	snprintf(t, sizeof t, "{\"connect\": {\"default\": \"allow\", \"block\": [%s]}}", list);
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, strlen(t), NULL, &e);
	cr_assert_not_null(p, "%s: %s", list, e.e[0].message);
	return p;
}

/* "10.1.2.3" or "::1" → 16 bytes, IPv4 mapped */
static void addr(const char *s, uint8_t ip[16])
{
	struct in_addr a4;
	memset(ip, 0, 16);
	if (inet_pton(AF_INET, s, &a4) == 1) {
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &a4, 4);
	} else {
		cr_assert_eq(inet_pton(AF_INET6, s, ip), 1, "bad test address %s", s);
	}
}

/* The verdict's index in the block list, -1 for no match. */
static int hit(const struct fs_policy *p, const char *ip, uint16_t port, const char *name)
{
	uint8_t a[16];
	addr(ip, a);
	const char *names[1] = { name };
	struct fs_verdict v = fs_match_addr(fs_policy_rules(p, FS_CONNECT, 0), a, port, names, name ? 1 : 0);
	return v.list == FS_LIST_BLOCK ? v.index : -1;
}

Test(hostmatch, name_globs)
{
	struct fs_policy *p = blocks("\"*.amazonaws.com:443\", \"s3.*.example.com\", \"api.example.org\"");
	const char *ip = "192.0.2.1";
	cr_expect_eq(hit(p, ip, 443, "s3.amazonaws.com"), 0);
	cr_expect_eq(hit(p, ip, 443, "a.b.c.amazonaws.com"), 0);
	cr_expect_eq(hit(p, ip, 443, "amazonaws.com"), -1);        /* '*' is one or more labels */
	cr_expect_eq(hit(p, ip, 443, "evilamazonaws.com"), -1);
	cr_expect_eq(hit(p, ip, 443, "s3.amazonaws.com.evil.net"), -1);
	cr_expect_eq(hit(p, ip, 80, "s3.amazonaws.com"), -1);      /* port given: only that port */
	cr_expect_eq(hit(p, ip, 4430, "s3.amazonaws.com"), -1);
	cr_expect_eq(hit(p, ip, 44, "s3.amazonaws.com"), -1);
	cr_expect_eq(hit(p, ip, 443, "S3.AmazonAWS.com"), 0);       /* case-insensitive */
	cr_expect_eq(hit(p, ip, 443, "s3.amazonaws.com."), 0);      /* fully qualified form */

	cr_expect_eq(hit(p, ip, 1, "s3.us-east-1.example.com"), 1);
	cr_expect_eq(hit(p, ip, 65535, "s3.a.b.example.com"), 1);
	cr_expect_eq(hit(p, ip, 0, "s3.x.example.com"), 1);         /* no port: any, even 0 */
	cr_expect_eq(hit(p, ip, 443, "s3.example.com"), -1);
	cr_expect_eq(hit(p, ip, 443, "x.s3.y.example.com"), -1);

	cr_expect_eq(hit(p, ip, 8080, "api.example.org"), 2);
	cr_expect_eq(hit(p, ip, 8080, "api.example.org.uk"), -1);
	cr_expect_eq(hit(p, ip, 8080, "xapi.example.org"), -1);
	cr_expect_eq(hit(p, ip, 8080, NULL), -1);                   /* no name known */
	cr_expect_eq(hit(p, ip, 8080, ""), -1);
	cr_expect_eq(hit(p, ip, 8080, "api.example.org:1"), -1);    /* junk in a name */
	fs_policy_free(p);
}

Test(hostmatch, upper_case_patterns_are_lowered)
{
	struct fs_policy *p = blocks("\"API.Example.COM:443\"");
	cr_expect_eq(hit(p, "192.0.2.1", 443, "api.example.com"), 0);
	fs_policy_free(p);
}

Test(hostmatch, star_is_any_address)
{
	struct fs_policy *p = blocks("\"*:53\"");
	cr_expect_eq(hit(p, "8.8.8.8", 53, NULL), 0);
	cr_expect_eq(hit(p, "2001:db8::1", 53, NULL), 0);
	cr_expect_eq(hit(p, "8.8.8.8", 54, "dns.google"), -1);
	fs_policy_free(p);
	p = blocks("\"*\"");
	cr_expect_eq(hit(p, "::", 0, NULL), 0);
	cr_expect_eq(hit(p, "255.255.255.255", 65535, NULL), 0);
	fs_policy_free(p);
}

Test(hostmatch, ipv4_and_cidr)
{
	struct fs_policy *p = blocks("\"10.0.0.0/8:5432\", \"192.168.1.7\", \"172.16.0.0/12\", \"0.0.0.0/0:25\","
				     " \"169.254.169.254/32:80\"");
	cr_expect_eq(hit(p, "10.1.2.3", 5432, NULL), 0);
	cr_expect_eq(hit(p, "10.255.255.255", 5432, NULL), 0);
	cr_expect_eq(hit(p, "10.1.2.3", 5433, NULL), -1);
	cr_expect_eq(hit(p, "11.0.0.0", 5432, NULL), -1);
	cr_expect_eq(hit(p, "192.168.1.7", 1, NULL), 1);
	cr_expect_eq(hit(p, "192.168.1.8", 1, NULL), -1);
	cr_expect_eq(hit(p, "172.31.255.255", 9, NULL), 2);
	cr_expect_eq(hit(p, "172.32.0.0", 9, NULL), -1);
	cr_expect_eq(hit(p, "1.2.3.4", 25, NULL), 3);
	cr_expect_eq(hit(p, "1.2.3.4", 26, NULL), -1);
	cr_expect_eq(hit(p, "2001:db8::1", 25, NULL), -1);         /* 0.0.0.0/0 is IPv4 only */
	cr_expect_eq(hit(p, "169.254.169.254", 80, NULL), 4);
	/* an IPv4-mapped address is IPv4 */
	cr_expect_eq(hit(p, "::ffff:10.9.9.9", 5432, NULL), 0);
	fs_policy_free(p);
}

Test(hostmatch, ipv6_forms)
{
	struct fs_policy *p = blocks("\"::1\", \"[::2]:443\", \"[2001:db8::]/32:443\", \"[2001:db9::/32]:80\","
				     " \"2001:dba::/48\", \"[fe80::1]\", \"::ffff:10.0.0.0/104\"");
	cr_expect_eq(hit(p, "::1", 1, NULL), 0);
	cr_expect_eq(hit(p, "::1", 65535, NULL), 0);
	cr_expect_eq(hit(p, "::2", 443, NULL), 1);
	cr_expect_eq(hit(p, "::2", 444, NULL), -1);
	cr_expect_eq(hit(p, "2001:db8:ffff::7", 443, NULL), 2);
	cr_expect_eq(hit(p, "2001:db8:ffff::7", 80, NULL), -1);
	cr_expect_eq(hit(p, "2001:db9::7", 80, NULL), 3);
	cr_expect_eq(hit(p, "2001:dba:1::", 9, NULL), -1);
	cr_expect_eq(hit(p, "2001:dba::1", 9, NULL), 4);
	cr_expect_eq(hit(p, "fe80::1", 9, NULL), 5);
	cr_expect_eq(hit(p, "10.3.4.5", 9, NULL), 6);               /* ::ffff:10/104 is 10/8 */
	fs_policy_free(p);
}

Test(hostmatch, strictest_across_names_and_addresses)
{
	const char *t = "{\"connect\": {\"default\": \"alert\", \"allow\": [\"10.0.0.0/8\", \"*.x.com\"],"
			" \"alert\": [\"db.x.com:5432\"], \"block\": [\"10.6.6.6\"]}}";
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, strlen(t), NULL, &e);
	cr_assert_not_null(p, "%s", e.e[0].message);
	const struct fs_rules *r = fs_policy_rules(p, FS_CONNECT, 0);
	uint8_t a[16];
	const char *names[] = { "other.y.com", "db.x.com" };
	char rule[64];

	addr("10.1.1.1", a);
	struct fs_verdict v = fs_match_addr(r, a, 5432, names, 2);
	fs_rule_name(FS_CONNECT, v, rule, sizeof rule);
	cr_expect_str_eq(rule, "connect.alert[0]");               /* alert (name) over allow (CIDR) */
	v = fs_match_addr(r, a, 80, names, 2);
	fs_rule_name(FS_CONNECT, v, rule, sizeof rule);
	cr_expect_str_eq(rule, "connect.allow[0]");               /* both allow rules: lowest index */
	v = fs_match_addr(r, a, 80, names + 1, 1);
	cr_expect_eq(v.index, 0);
	addr("10.6.6.6", a);
	v = fs_match_addr(r, a, 5432, names, 2);
	fs_rule_name(FS_CONNECT, v, rule, sizeof rule);
	cr_expect_str_eq(rule, "connect.block[0]");
	cr_expect_str_eq(fs_rule_pattern(p, FS_CONNECT, v), "10.6.6.6");
	addr("192.0.2.1", a);
	v = fs_match_addr(r, a, 80, names + 1, 1);
	cr_expect_eq(v.index, 1);                                  /* *.x.com */
	v = fs_match_addr(r, a, 80, names, 1);
	cr_expect_eq(v.list, FS_LIST_DEFAULT);
	cr_expect_eq(v.action, FS_ALERT);
	fs_policy_free(p);
}

Test(hostmatch, listen_uses_the_same_syntax)
{
	const char *t = "{\"listen\": {\"default\": \"block\", \"allow\": [\"127.0.0.1:8080\", \"[::1]:8080\"]}}";
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, strlen(t), NULL, &e);
	cr_assert_not_null(p);
	uint8_t a[16];
	addr("127.0.0.1", a);
	cr_expect_eq(fs_match_addr(fs_policy_rules(p, FS_LISTEN, 0), a, 8080, NULL, 0).action, FS_ALLOW);
	cr_expect_eq(fs_match_addr(fs_policy_rules(p, FS_LISTEN, 0), a, 8081, NULL, 0).action, FS_BLOCK);
	addr("0.0.0.0", a);
	cr_expect_eq(fs_match_addr(fs_policy_rules(p, FS_LISTEN, 0), a, 8080, NULL, 0).action, FS_BLOCK);
	fs_policy_free(p);
}

Test(hostmatch, cost_bounded)
{
	/* 1,000 name rules and 1,000 address rules: a lookup walks at most 128 trie levels and
	 * each name once through the DFA */
	size_t cap = 200000, o = 0;
	char *t = malloc(cap);
	o += (size_t)snprintf(t + o, cap - o, "{\"connect\": {\"block\": [");
	for (int i = 0; i < 1000; i++)
		o += (size_t)snprintf(t + o, cap - o, "%s\"svc%d.*.example.com:%d\", \"10.%d.%d.0/24\"", i ? "," : "", i,
				      1 + i, i / 200, i % 200);
	o += (size_t)snprintf(t + o, cap - o, "]}}");
	struct fs_errors e;
	struct fs_policy *p = fs_policy_compile(t, o, NULL, &e);
	cr_assert_not_null(p, "%s", e.e[0].message);
	uint8_t a[16];
	addr("10.4.199.7", a);
	const char *names[] = { "svc999.eu.example.com" };
	size_t steps;
	struct fs_verdict v = fs_match_addr_steps(fs_policy_rules(p, FS_CONNECT, 0), a, 1000, names, 1, &steps);
	cr_expect_eq(v.index, 2 * 999);
	cr_expect_leq(steps, 128 + strlen(names[0]) + 1 + 5);
	fs_policy_free(p);
	free(t);
}

Test(hostmatch, malformed)
{
	static const struct {
		const char *pat, *needle;
	} BAD[] = {
		{ "", "empty pattern" },
		{ ":443", "empty host" },
		{ "api*.x.com", "whole labels" },
		{ "*api.x.com", "whole labels" },
		{ "a.**.com", "whole labels" },
		{ "300.1.1.1", "bad IPv4" },
		{ "1.2.3", "bad IPv4" },
		{ "1.2.3.4.5", "bad IPv4" },
		{ "01.2.3.4", "bad IPv4" },
		{ "10.0.0.0/33", "at most /32" },
		{ "10.0.0.0/", "prefix length" },
		{ "10.0.0.0/x", "prefix length" },
		{ "10.0.0.1/8", "bits set" },
		{ "x.com:0", "1..65535" },
		{ "x.com:65536", "1..65535" },
		{ "x.com:99999999999", "1..65535" },
		{ "x.com:", "empty port" },
		{ "x.com:ab", "bad port" },
		{ "x.com:-1", "bad port" },
		{ "[::1", "missing ']'" },
		{ "[::1]x", "after ']'" },
		{ "[::1]:", "empty port" },
		{ "[10.0.0.1]:80", "bad IPv6" },
		{ "[::1]/129", "at most /128" },
		{ "2001:db8::1/64", "bits set" },
		{ "fe80::1%eth0", "bad IPv6" },
		{ "a..b", "empty label" },
		{ ".a.com", "empty label" },
		{ "exa mple.com", "not allowed" },
		{ "a/b.com", "bad IPv4" },
		{ "h\xc3\xa9.com", "not allowed" },
	};
	for (size_t i = 0; i < sizeof BAD / sizeof *BAD; i++) {
		char q[128], t[256];
		snprintf(q, sizeof q, "\"%s\"", BAD[i].pat);
		snprintf(t, sizeof t, "{\"connect\": {\"allow\": [%s]}}", q);
		struct fs_errors e;
		struct fs_policy *p = fs_policy_compile(t, strlen(t), NULL, &e);
		cr_expect_null(p, "accepted %s", BAD[i].pat);
		fs_policy_free(p);
		if (e.count) {
			cr_expect_str_eq(e.e[0].path, "connect.allow[0]");
			cr_expect_eq(e.e[0].column, 24);
			cr_expect(strstr(e.e[0].message, BAD[i].needle) != NULL, "%s: \"%s\" lacks \"%s\"", BAD[i].pat,
				  e.e[0].message, BAD[i].needle);
		}
	}
}

Test(hostmatch, accepted_forms)
{
	static const char *const OK[] = {
		"localhost", "x.com.", "*", "*:1", "*:65535", "*.*", "a-b_c.example", "1.2.3.4", "0.0.0.0/0",
		"255.255.255.255/32:9", "::", "::/0", "[::]:1", "[2001:db8::]/32:443", "[2001:db8::/32]:443",
		"::ffff:1.2.3.4", "x.com:00443",
	};
	for (size_t i = 0; i < sizeof OK / sizeof *OK; i++) {
		char t[256];
		snprintf(t, sizeof t, "{\"connect\": {\"allow\": [\"%s\"]}}", OK[i]);
		struct fs_errors e;
		struct fs_policy *p = fs_policy_compile(t, strlen(t), NULL, &e);
		cr_expect_not_null(p, "%s: %s", OK[i], e.e[0].message);
		fs_policy_free(p);
	}
}
