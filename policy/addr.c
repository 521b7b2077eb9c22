/*
 * addr.c — the one 16-byte form of an address (see policy.h, "addresses").
 */
#include "policy.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

int fs_ip_parse(const char *text, uint8_t ip[16])
{
	struct in_addr a4;
	if (inet_pton(AF_INET, text, &a4) == 1) {
		fs_ip_from_v4(&a4, ip);
		return 0;
	}
	return inet_pton(AF_INET6, text, ip) == 1 ? 0 : -1;
}

int fs_ip_is_v4(const uint8_t ip[16])
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return !memcmp(ip, prefix, 12);
}

void fs_ip_text(const uint8_t ip[16], char *out, size_t cap)
{
	if (fs_ip_is_v4(ip))
		inet_ntop(AF_INET, ip + 12, out, (socklen_t)cap);
	else
		inet_ntop(AF_INET6, ip, out, (socklen_t)cap);
}

int fs_endpoint_parse(const char *text, uint8_t ip[16], uint16_t *port)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	if (!colon || (size_t)(colon - text) >= sizeof host)
		return -1;
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = 0;
	char *h = host;
	if (h[0] == '[') { /* [::1]:9001 */
		h++;
		h[strcspn(h, "]")] = 0;
	}
	char *end;
	long p = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || p < 0 || p > 65535 || fs_ip_parse(h, ip) < 0)
		return -1;
	*port = (uint16_t)p;
	return 0;
}
