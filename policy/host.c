/*
 * host.c — connect/listen patterns: HOST[:PORT].
 *
 *   HOST  a DNS name glob: labels, where a label "*" stands for one or more whole labels
 *         ("*.amazonaws.com", "s3.*.amazonaws.com"; "api*.x.com" is an error)
 *         | "*"  (any address, named or not)
 *         | an IPv4 address or CIDR block (10.0.0.0/8)
 *         | an IPv6 address or CIDR block, bracketed when a port follows: "[::1]:443",
 *           "[2001:db8::]/32:443" or "[2001:db8::/32]:443"; bare "::1" or "2001:db8::/32"
 *   PORT  1..65535; without it, any port.
 *
 * Names are lower-cased here and matched case-insensitively (the NFA's letter sets hold both
 * cases, which costs nothing in the DFA: 'A' and 'a' fall into one byte class). A trailing
 * dot (fully qualified form) is dropped. Addresses become IPv4-mapped IPv6 (::ffff:a.b.c.d)
 * so that one trie holds both families: 10.0.0.0/8 is ::ffff:10.0.0.0/104.
 *
 * A name pattern is matched against the string "name:port" by the category's one DFA; a
 * pattern without a port ends in ":[0-9]+".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* "443" → 443; 0 with an error for anything else. */
static uint32_t parse_port(const char *s, size_t n, char *err, size_t cap)
{
	uint32_t v = 0;
	if (n == 0) {
		snprintf(err, cap, "empty port after ':'; expected a port 1..65535");
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i])) {
			snprintf(err, cap, "bad port \"%.*s\": expected a number 1..65535", (int)(n > 16 ? 16 : n), s);
			return 0;
		}
		if (v <= 65535)
			v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v == 0 || v > 65535) {
		snprintf(err, cap, "port %.*s is out of range: expected 1..65535", (int)(n > 16 ? 16 : n), s);
		return 0;
	}
	return v;
}

/* "/24" (s points after the '/') → 24; -1 with an error. */
static int parse_plen(const char *s, size_t n, int max, char *err, size_t cap)
{
	int v = 0;
	if (n == 0 || n > 3) {
		snprintf(err, cap, "bad CIDR prefix length \"/%.*s\": expected 0..%d", (int)(n > 8 ? 8 : n), s, max);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i])) {
			snprintf(err, cap, "bad CIDR prefix length \"/%.*s\": expected 0..%d", (int)n, s, max);
			return -1;
		}
		v = v * 10 + (s[i] - '0');
	}
	if (v > max) {
		snprintf(err, cap, "CIDR prefix length /%d is too long: at most /%d", v, max);
		return -1;
	}
	return v;
}

/* Dotted-quad IPv4, strictly: four decimal parts 0..255 without leading zeros (which some
 * parsers read as octal). */
static int parse_ipv4(const char *s, size_t n, uint8_t ip[16], char *err, size_t cap)
{
	unsigned part = 0, val = 0, digits = 0;
	bool bad = false;
	for (size_t i = 0; i <= n && !bad; i++) {
		if (i == n || s[i] == '.') {
			if (digits == 0 || part > 3 || val > 255)
				bad = true;
			else
				ip[12 + part++] = (uint8_t)val;
			val = digits = 0;
		} else if (is_digit(s[i])) {
			if (digits == 1 && val == 0)
				bad = true; /* leading zero */
			val = val * 10 + (unsigned)(s[i] - '0');
			if (++digits > 3)
				bad = true;
		} else {
			bad = true;
		}
	}
	if (bad || part != 4) {
		snprintf(err, cap, "bad IPv4 address: expected four numbers 0..255 without leading zeros, such "
			 "as 10.0.0.1");
		return -1;
	}
	fs_ip_from_v4(ip + 12, ip);
	return 0;
}

static int parse_ipv6(const char *s, size_t n, uint8_t ip[16], char *err, size_t cap)
{
	char buf[64];
	if (n == 0 || n >= sizeof buf) {
		snprintf(err, cap, "bad IPv6 address");
		return -1;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	if (inet_pton(AF_INET6, buf, ip) != 1) {
		snprintf(err, cap, "bad IPv6 address \"%s\" (IPv4 addresses go without brackets; zones such as "
			 "%%eth0 are not supported)", buf);
		return -1;
	}
	return 0;
}

static bool host_bits_clear(const uint8_t ip[16], unsigned plen)
{
	for (unsigned b = plen; b < 128; b++)
		if ((ip[b >> 3] >> (7 - (b & 7))) & 1)
			return false;
	return true;
}

/* ADDR or ADDR/LEN, v6 chooses the family. */
static int parse_addr(const char *s, size_t n, bool v6, struct fs_hostpat *out, char *err, size_t cap)
{
	const char *slash = memchr(s, '/', n);
	size_t an = slash ? (size_t)(slash - s) : n;
	out->kind = FS_HOST_ADDR;
	if ((v6 ? parse_ipv6(s, an, out->ip, err, cap) : parse_ipv4(s, an, out->ip, err, cap)) < 0)
		return -1;
	out->plen = 128;
	if (slash) {
		int max = v6 ? 128 : 32;
		int l = parse_plen(slash + 1, n - an - 1, max, err, cap);
		if (l < 0)
			return -1;
		out->plen = (unsigned)l + (v6 ? 0u : 96u);
		if (!host_bits_clear(out->ip, out->plen)) {
			snprintf(err, cap, "the address has bits set after the /%d prefix; write the network "
				 "address (for example 10.0.0.0/8, not 10.0.0.1/8)", l);
			return -1;
		}
	}
	return 0;
}

static int parse_name(const char *s, size_t n, struct fs_hostpat *out, char *err, size_t cap)
{
	if (n > 0 && s[n - 1] == '.') /* "example.com." is "example.com" */
		n--;
	if (n == 0 || n > 253) {
		snprintf(err, cap, n ? "host name is longer than 253 characters" : "empty host name");
		return -1;
	}
	size_t label = 0;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';
		if (c == '.') {
			if (label == 0) {
				snprintf(err, cap, "empty label in host name (\"..\", or a leading '.')");
				return -1;
			}
			if (label > 63) {
				snprintf(err, cap, "label longer than 63 characters in host name");
				return -1;
			}
			size_t start = i - label;
			if (memchr(s + start, '*', label) && label != 1) {
				snprintf(err, cap, "'*' must stand for whole labels (\"*.example.com\", "
					 "\"s3.*.amazonaws.com\"); found \"%.*s\"", (int)(label > 40 ? 40 : label),
					 s + start);
				return -1;
			}
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '-' || c == '_' ||
		      c == '*')) {
			if ((unsigned char)c > 0x20 && (unsigned char)c < 0x7f)
				snprintf(err, cap, "'%c' is not allowed in a host name (letters, digits, '-', '_', "
					 "and '*' for whole labels)", c);
			else
				snprintf(err, cap, "byte 0x%02x is not allowed in a host name (letters, digits, '-', "
					 "'_', and '*' for whole labels)", (unsigned char)c);
			return -1;
		}
		label++;
	}
	out->kind = FS_HOST_NAME;
	for (size_t i = 0; i < n; i++)
		out->name[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	out->name[n] = 0;
	return 0;
}

/* Does the host read as an IPv4 address or block (its last label numeric)? */
static bool looks_ipv4(const char *s, size_t n)
{
	const char *slash = memchr(s, '/', n);
	if (slash)
		return true; /* a name never has '/'; report it as a CIDR problem */
	size_t i = n;
	while (i > 0 && s[i - 1] != '.')
		i--;
	if (i == n)
		return false;
	for (size_t k = i; k < n; k++)
		if (!is_digit(s[k]))
			return false;
	return true;
}

int fs_host_parse(const char *pat, struct fs_hostpat *out, char *err, size_t cap)
{
	size_t len = strlen(pat);
	memset(out, 0, sizeof *out);
	if (len == 0) {
		snprintf(err, cap, "empty pattern; expected HOST[:PORT] such as \"*.amazonaws.com:443\"");
		return -1;
	}

	if (pat[0] == '[') {
		/* [v6], [v6]:port, [v6]/len, [v6]/len:port, [v6/len]:port */
		const char *close = memchr(pat, ']', len);
		if (!close) {
			snprintf(err, cap, "missing ']' after a bracketed IPv6 address");
			return -1;
		}
		char inner[80];
		size_t in = (size_t)(close - pat - 1);
		const char *rest = close + 1;
		size_t rn = len - (size_t)(rest - pat);
		const char *colon = memchr(rest, ':', rn);
		size_t plen_n = colon ? (size_t)(colon - rest) : rn; /* the "/len" between ']' and ':' */
		if (in + plen_n >= sizeof inner) {
			snprintf(err, cap, "bad IPv6 address in brackets");
			return -1;
		}
		if (plen_n && rest[0] != '/') {
			snprintf(err, cap, "unexpected \"%.*s\" after ']': expected ':PORT'", (int)(rn > 20 ? 20 : rn), rest);
			return -1;
		}
		if (plen_n && memchr(pat + 1, '/', in)) {
			snprintf(err, cap, "two prefix lengths");
			return -1;
		}
		memcpy(inner, pat + 1, in);
		memcpy(inner + in, rest, plen_n);
		if (parse_addr(inner, in + plen_n, true, out, err, cap) < 0)
			return -1;
		if (colon && !(out->port = parse_port(colon + 1, len - (size_t)(colon + 1 - pat), err, cap)))
			return -1;
		return 0;
	}

	const char *first = memchr(pat, ':', len), *last = strrchr(pat, ':');
	if (first && first != last) /* two or more ':': a bare IPv6 address, never with a port */
		return parse_addr(pat, len, true, out, err, cap);

	size_t hn = first ? (size_t)(first - pat) : len;
	if (first && !(out->port = parse_port(first + 1, len - hn - 1, err, cap)))
		return -1;
	if (hn == 0) {
		snprintf(err, cap, "empty host before ':'; use \"*\" for any host");
		return -1;
	}
	if (hn == 1 && pat[0] == '*') { /* any address */
		out->kind = FS_HOST_ADDR;
		out->plen = 0;
		return 0;
	}
	if (looks_ipv4(pat, hn))
		return parse_addr(pat, hn, false, out, err, cap);
	return parse_name(pat, hn, out, err, cap);
}

int fs_host_add_name(struct fs_nfa *a, const struct fs_hostpat *h, uint32_t rank)
{
	/* label wildcard: one byte that is neither '.' nor ':' */
	uint8_t bits[32];
	memset(bits, 0xff, 32);
	fs_bits_clr(bits, '.');
	fs_bits_clr(bits, ':');
	uint32_t set_label = fs_nfa_set(a, bits);
	memset(bits, 0, 32);
	for (unsigned c = '0'; c <= '9'; c++)
		fs_bits_set(bits, c);
	uint32_t set_digit = fs_nfa_set(a, bits);

	uint32_t j = fs_nfa_root(a);
	for (const char *p = h->name; *p; p++) {
		if (*p == '*') {
			j = fs_nfa_step(a, j, FS_TOK_LABELS, set_label);
		} else {
			uint8_t b[32] = { 0 };
			fs_bits_set(b, (uint8_t)*p);
			if (*p >= 'a' && *p <= 'z') /* names match case-insensitively */
				fs_bits_set(b, (uint8_t)(*p - 'a' + 'A'));
			j = fs_nfa_step(a, j, FS_TOK_ONE, fs_nfa_set(a, b));
		}
	}
	j = fs_nfa_step(a, j, FS_TOK_ONE, fs_nfa_byte(a, ':'));
	if (h->port) {
		char digits[8];
		int nd = snprintf(digits, sizeof digits, "%u", (unsigned)h->port);
		for (int i = 0; i < nd; i++)
			j = fs_nfa_step(a, j, FS_TOK_ONE, fs_nfa_byte(a, (uint8_t)digits[i]));
	} else {
		j = fs_nfa_step(a, j, FS_TOK_PLUS, set_digit); /* any port */
	}
	fs_nfa_accept(a, j, rank);
	return a->oom || a->too_big ? -1 : 0;
}
