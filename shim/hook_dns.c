/*
 * hook_dns.c — names: remember which addresses each name resolved to (dnstable.h), so that
 * connect rules can name hosts ("*.amazonaws.com:443"). Resolution itself is never checked or
 * changed. A literal address ("10.1.2.3") is no name and is not recorded.
 */
#include "dnstable.h"
#include "real.h"
#include "state.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static int is_literal_address(const char *name)
{
	struct in_addr a4;
	struct in6_addr a6;
	char buf[64];
	size_t n = strcspn(name, "%"); /* fe80::1%eth0 */
	if (n >= sizeof buf)
		return 0;
	memcpy(buf, name, n);
	buf[n] = 0;
	return inet_aton(buf, &a4) || inet_pton(AF_INET6, buf, &a6) == 1;
}

static void record_raw(int af, const void *addr, const char *name)
{
	uint8_t ip[16] = {0};
	if (af == AF_INET) {
		fs_ip_from_v4(addr, ip);
	} else if (af == AF_INET6) {
		memcpy(ip, addr, 16);
	} else {
		return;
	}
	dns_record(ip, name);
}

static void record_addrinfo(const char *node, const struct addrinfo *res)
{
	if (!node || is_literal_address(node))
		return;
	for (; res; res = res->ai_next) {
		if (!res->ai_addr)
			continue;
		if (res->ai_family == AF_INET)
			record_raw(AF_INET, &((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr, node);
		else if (res->ai_family == AF_INET6)
			record_raw(AF_INET6, &((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_addr, node);
	}
}

static void record_hostent(const char *name, const struct hostent *h)
{
	if (!name || !h || is_literal_address(name))
		return;
	for (char **a = h->h_addr_list; a && *a; a++)
		record_raw(h->h_addrtype, *a, name);
}

EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
		       struct addrinfo **res)
{
	int r = REAL(getaddrinfo)(node, service, hints, res);
	if (r == 0 && res && shim_ready() == 0 && g_shim.record_names)
		record_addrinfo(node, *res);
	return r;
}

EXPORT struct hostent *gethostbyname(const char *name)
{
	struct hostent *h = REAL(gethostbyname)(name);
	if (shim_ready() == 0 && g_shim.record_names)
		record_hostent(name, h);
	return h;
}

EXPORT struct hostent *gethostbyname2(const char *name, int af)
{
	struct hostent *h = REAL(gethostbyname2)(name, af);
	if (shim_ready() == 0 && g_shim.record_names)
		record_hostent(name, h);
	return h;
}

EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t buflen,
			   struct hostent **result, int *h_errnop)
{
	int r = REAL(gethostbyname_r)(name, ret, buf, buflen, result, h_errnop);
	if (r == 0 && result && shim_ready() == 0 && g_shim.record_names)
		record_hostent(name, *result);
	return r;
}

EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf,
			    size_t buflen, struct hostent **result, int *h_errnop)
{
	int r = REAL(gethostbyname2_r)(name, af, ret, buf, buflen, result, h_errnop);
	if (r == 0 && result && shim_ready() == 0 && g_shim.record_names)
		record_hostent(name, *result);
	return r;
}
