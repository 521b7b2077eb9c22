/*
 * image.c — the compiled form of a policy: one block of bytes, used as it lies.
 *
 * fs_policy_compile writes every table (automata, address tries, rule texts) into one image
 * and then reads it back like any other; `fnshield compile` saves that image to a file, the
 * library maps a compiled file read-only, and a child maps the copy its parent sealed
 * (shim/inherit.c). So there is one way a policy comes into use: a view over an image. Loading
 * one builds nothing: the header is checked, the checksum compared, each table's view checks
 * what its matcher relies on (dfa.c, iptrie.c, rules.c), and the policy's pointers are set.
 *
 * Layout: the header below, the records that describe every table (fs_img_put_record), then
 * the source text, the alias table and every category's tables, each at an 8-byte boundary,
 * addressed by 32-bit offsets from the image's first byte. A load that trusts the image (a
 * child mapping its parent's copy) reads the header and the records only: its first page or
 * two, whatever the policy's size. Fields have fixed widths, no pointers and no padding the
 * writer does not zero: the image is the same on every little-endian machine (x86_64 and arm64
 * read each other's); the byte order is recorded and another one refused.
 *
 * The checksum (XXH3, 64 bits, of every byte after its own field) is there for damage — a
 * truncated copy, a flipped bit, a half-written file: it is no signature. Whoever can write
 * the policy file can write any policy; the views' checks are what keep a crafted file from
 * crashing a process.
 */
#define XXH_INLINE_ALL /* header-only: static functions, nothing exported, no libxxhash.so */
#include <xxhash.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>

#include "internal.h"
#include "sha256.h"

#define MAGIC "FNSHPOL\n"
#define BYTE_ORDER_MARK 0x01020304u
#define ALIASES_RESOLVED 1u

struct img_header {
	char magic[8];
	uint64_t checksum;      /* XXH3-64 of bytes [16, size) */
	uint32_t format;        /* FS_IMAGE_FORMAT */
	uint32_t byte_order;    /* BYTE_ORDER_MARK as the writer stored it */
	uint64_t size;          /* the whole image */
	uint32_t header_size;
	uint32_t flags;         /* ALIASES_RESOLVED */
	uint8_t mode, backtrace, stack, has_init;
	uint32_t source, source_len;     /* the JSON text, NUL-terminated */
	uint32_t metrics, metrics_len;   /* log.metrics_namespace, NUL-terminated */
	uint32_t aliases, aliases_len;   /* "pattern\0alias\0"… */
	uint32_t rules[FS_NCATEGORIES], init[FS_NCATEGORIES];
	char digest[64];        /* SHA-256 of the source text, hex */
	char machine[16];       /* uname -m of the compiling machine, for people */
};

/* ---- writing -------------------------------------------------------------------------------- */

static bool reserve(struct fs_img_writer *w, size_t more)
{
	if (w->failed)
		return false;
	if (w->len + more > UINT32_MAX) {
		w->failed = true;
		return false;
	}
	if (w->len + more <= w->cap)
		return true;
	size_t cap = w->cap ? w->cap : 4096;
	while (cap < w->len + more)
		cap *= 2;
	uint8_t *b = realloc(w->buf, cap);
	if (!b) {
		w->failed = true;
		return false;
	}
	memset(b + w->cap, 0, cap - w->cap); /* padding is zeros: the same policy, the same bytes */
	w->buf = b;
	w->cap = cap;
	return true;
}

void fs_img_append(struct fs_img_writer *w, const void *p, size_t n)
{
	if (!reserve(w, n))
		return;
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
}

uint32_t fs_img_put(struct fs_img_writer *w, const void *p, size_t n)
{
	size_t pad = (8 - w->len % 8) % 8;
	if (!reserve(w, pad + n))
		return 0;
	w->len += pad;
	uint32_t off = (uint32_t)w->len;
	fs_img_append(w, p, n);
	return w->failed ? 0 : off;
}

uint32_t fs_img_put_record(struct fs_img_writer *w, const void *p, size_t n)
{
	if (!w->records)
		return fs_img_put(w, p, n);
	uint32_t off = fs_img_put(w->records, p, n);
	if (w->records->failed || w->records_at + off > UINT32_MAX)
		w->failed = true;
	return w->failed ? 0 : (uint32_t)(w->records_at + off);
}

static uint32_t put_string(struct fs_img_writer *w, const char *s, size_t len)
{
	uint32_t off = fs_img_put(w, s, len);
	fs_img_append(w, "", 1);
	return off;
}

/* The header, the texts and the tables into w, the records into w->records; the header is
 * filled in here and written by the caller. */
static void write_parts(struct fs_img_writer *w, const struct fs_image_parts *parts, struct img_header *hp)
{
	struct img_header h = { .format = FS_IMAGE_FORMAT, .byte_order = BYTE_ORDER_MARK,
				.header_size = sizeof h };
	memcpy(h.magic, MAGIC, 8);
	fs_img_put(w, &h, sizeof h); /* filled in by the caller */
	if (w->records_room && reserve(w, w->records_at + w->records_room - w->len))
		w->len = w->records_at + w->records_room; /* zeros until the records are copied in */
	h.flags = parts->resolved_aliases ? ALIASES_RESOLVED : 0;
	h.mode = (uint8_t)parts->mode;
	h.backtrace = parts->raw->backtrace;
	h.stack = parts->raw->stack;
	h.has_init = parts->raw->has_init;
	h.source = put_string(w, parts->source, parts->source_len);
	h.source_len = (uint32_t)parts->source_len;
	h.metrics_len = (uint32_t)strlen(parts->raw->metrics_namespace);
	h.metrics = put_string(w, parts->raw->metrics_namespace, h.metrics_len);
	if (parts->aliases && parts->aliases->len) {
		h.aliases = fs_img_put(w, parts->aliases->buf, parts->aliases->len);
		h.aliases_len = (uint32_t)parts->aliases->len;
	}
	for (int c = 0; c < FS_NCATEGORIES; c++) {
		h.rules[c] = fs_rules_put(w, parts->rules[c]);
		if (parts->init[c])
			h.init[c] = fs_rules_put(w, parts->init[c]);
	}
	*hp = h;
}

/* Written twice: the records go right after the header, and how much room they take is known
 * only once everything is written; a record holds the offsets of its tables and of the records
 * below it. Neither the records' sizes nor the tables' places depend on where records go, so
 * the second pass, with that room kept after the header, puts every table where the first did
 * (shifted by the room) and each record at its final place. */
uint8_t *fs_image_write(const struct fs_image_parts *parts, size_t *len)
{
	struct img_header h;
	const size_t records_at = (sizeof h + 7) / 8 * 8;
	struct fs_img_writer probe_records = { 0 }, probe = { .records = &probe_records,
							      .records_at = records_at };
	write_parts(&probe, parts, &h); /* no room kept: only the records' size is wanted */
	size_t room = (probe_records.len + 7) / 8 * 8;
	bool failed = probe.failed;
	free(probe.buf);
	free(probe_records.buf);
	struct fs_img_writer records = { 0 }, w = { .records = &records, .records_at = records_at,
						    .records_room = room };
	if (!failed)
		write_parts(&w, parts, &h);
	if (!w.failed && records.len <= room)
		memcpy(w.buf + records_at, records.buf, records.len);
	failed = failed || records.failed || records.len > room;
	free(records.buf);
	char hex[65];
	fs_sha256_hex(parts->source, parts->source_len, hex);
	memcpy(h.digest, hex, 64);
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(h.machine, sizeof h.machine, "%.15s", u.machine);
	if (failed || w.failed) {
		free(w.buf);
		return NULL;
	}
	h.size = w.len;
	memcpy(w.buf, &h, sizeof h);
	h.checksum = XXH3_64bits(w.buf + 16, w.len - 16);
	memcpy(w.buf + 8, &h.checksum, 8);
	*len = w.len;
	return w.buf;
}

/* ---- reading -------------------------------------------------------------------------------- */

int fs_img_fail(struct fs_img *im, const char *fmt, ...)
{
	if (im->err[0])
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(im->err, im->errcap, fmt, ap);
	va_end(ap);
	return -1;
}

const void *fs_img_array(struct fs_img *im, uint32_t off, uint64_t n, size_t elem, size_t align,
			 const char *what)
{
	uint64_t bytes = n * elem; /* n < 2^32, elem small: no overflow */
	if (off == 0 || off % align || off > im->len || bytes > im->len - off) {
		fs_img_fail(im, "the %s lie outside the image", what);
		return NULL;
	}
	return im->base + off;
}

bool fs_img_rank_ok(uint32_t rank, const uint32_t n[3])
{
	if (rank == FS_RANK_NONE)
		return true;
	int l = fs_rank_list(rank);
	return l >= 0 && l <= 2 && (uint32_t)fs_rank_index(rank) < n[l];
}

int fs_image_is(const void *data, size_t len)
{
	return data && len >= 8 && memcmp(data, MAGIC, 8) == 0;
}

/* A string of the image: in bounds, its NUL where the header says (trusted: as the image's
 * checker found it; reading it again would cost a child a page of the image, see the top). */
static const char *string_at(struct fs_img *im, uint32_t off, uint32_t len, const char *what)
{
	const char *s = fs_img_array(im, off, (uint64_t)len + 1, 1, 1, what);
	if (s && !im->trusted && s[len] != 0) {
		fs_img_fail(im, "the %s are cut short", what);
		return NULL;
	}
	return s;
}

/* The header's promises: what every later check builds on. */
static const struct img_header *header(struct fs_img *im, bool trusted)
{
	const struct img_header *h = (const void *)im->base;
	if (im->len < 8 || memcmp(h->magic, MAGIC, 8) != 0) {
		fs_img_fail(im, "not a compiled fnshield policy (it does not start with fnshield's mark)");
		return NULL;
	}
	if (im->len < offsetof(struct img_header, size) + 8) {
		fs_img_fail(im, "truncated: %zu bytes, not even its header", im->len);
		return NULL;
	}
	if (h->byte_order != BYTE_ORDER_MARK) {
		fs_img_fail(im, "compiled for a machine of another byte order: compile it again with "
				"`fnshield compile` on this architecture");
		return NULL;
	}
	if (h->format != FS_IMAGE_FORMAT) {
		fs_img_fail(im, "compiled policy format %u, and this fnshield reads format %u: compile "
				"it again with this version's `fnshield compile`", h->format, FS_IMAGE_FORMAT);
		return NULL;
	}
	if (h->size != im->len) {
		fs_img_fail(im, h->size > im->len ? "truncated: %zu of its %llu bytes"
						  : "%zu bytes where its header says %llu: something "
						    "was appended", im->len, (unsigned long long)h->size);
		return NULL;
	}
	if (im->len < sizeof *h || h->header_size != sizeof *h) {
		fs_img_fail(im, "its header is damaged");
		return NULL;
	}
	if (!trusted && XXH3_64bits(im->base + 16, im->len - 16) != h->checksum) {
		fs_img_fail(im, "damaged: its checksum does not match its content");
		return NULL;
	}
	if (h->mode > FS_MODE_BLOCK || h->backtrace > 1 || h->stack > 1 || h->has_init > 1) {
		fs_img_fail(im, "its settings are out of range");
		return NULL;
	}
	return h;
}

static void release(const uint8_t *image, size_t len, enum fs_image_owner owner)
{
	if (owner == FS_IMG_MALLOC)
		free((void *)image);
	else if (owner == FS_IMG_MMAP)
		munmap((void *)image, len);
}

struct fs_policy *fs_policy_load_image(const void *data, size_t len, const struct fs_image_options *opts,
				       struct fs_errors *errs)
{
	if (errs) /* NULL: the caller wants no report (a child's start: no 7 KB on its stack) */
		memset(errs, 0, sizeof *errs);
	struct fs_image_options o = { .mode_override = -1 };
	if (opts)
		o = *opts;
	char err[200] = "";
	struct fs_img im = { .base = data, .len = data ? len : 0, .err = err, .errcap = sizeof err,
			      .trusted = o.trusted };
	_Static_assert(sizeof(struct fs_policy) <= FS_POLICY_PLACE_BYTES, "FS_POLICY_PLACE_BYTES");
	struct fs_policy *p = o.place ? memset(o.place, 0, sizeof *p) : calloc(1, sizeof *p);
	if (p)
		p->placed = o.place != NULL;
	const struct img_header *h = header(&im, o.trusted);
	if (!p || !h)
		goto fail;
	p->image = data;
	p->image_len = len;
	p->owner = (enum fs_image_owner)o.owner;
	p->mode = o.mode_override >= 0 ? o.mode_override : h->mode;
	p->backtrace = h->backtrace;
	p->stack = h->stack;
	p->has_init = h->has_init;
	p->resolved_aliases = h->flags & ALIASES_RESOLVED;
	memcpy(p->digest, h->digest, 64);
	memcpy(p->machine, h->machine, sizeof p->machine);
	p->machine[sizeof p->machine - 1] = 0;
	for (int i = 0; i < 64; i++)
		if (!strchr("0123456789abcdef", p->digest[i]) || !p->digest[i])
			goto bad_header;
	p->source = string_at(&im, h->source, h->source_len, "source text");
	p->source_len = h->source_len;
	p->metrics_namespace = string_at(&im, h->metrics, h->metrics_len, "metrics namespace");
	if (!p->source || !p->metrics_namespace)
		goto fail;
	if (h->aliases_len) {
		p->aliases = fs_img_array(&im, h->aliases, h->aliases_len, 1, 1, "alias table");
		if (!p->aliases)
			goto fail;
		if (p->aliases[h->aliases_len - 1] != 0) {
			fs_img_fail(&im, "the alias table is cut short");
			goto fail;
		}
		p->aliases_len = h->aliases_len;
	}
	for (int in_init = 0; in_init < 2; in_init++)
		for (int c = 0; c < FS_NCATEGORIES; c++) {
			uint32_t off = in_init ? h->init[c] : h->rules[c];
			struct fs_rules *r = &p->store[in_init][c];
			if (!off && in_init)
				continue;
			if (fs_rules_view(&im, off, r, &p->dfa_store[in_init][c],
					  &p->trie_store[in_init][c]) < 0)
				goto fail;
			if (r->category != c || r->init != in_init) {
				fs_img_fail(&im, "its categories are out of order");
				goto fail;
			}
			if (in_init)
				p->init[c] = r;
			else
				p->rules[c] = r;
		}
	return p;
bad_header:
	fs_img_fail(&im, "its header is damaged");
fail:
	if (errs) {
		struct fs_ctx cx = { .text = "", .errs = errs };
		fs_err_at(&cx, FS_NOPOS, "", "compiled policy: %s", err[0] ? err : "out of memory");
	}
	if (p && !p->placed)
		free(p);
	release(data, len, (enum fs_image_owner)o.owner);
	return NULL;
}

void fs_policy_free(struct fs_policy *p)
{
	if (!p)
		return;
	release(p->image, p->image_len, p->owner);
	if (!p->placed)
		free(p);
}

const void *fs_policy_image(const struct fs_policy *p, size_t *len)
{
	*len = p->image_len;
	return p->image;
}

const char *fs_policy_source(const struct fs_policy *p, size_t *len)
{
	*len = p->source_len;
	return p->source;
}

const char *fs_policy_digest(const struct fs_policy *p)
{
	return p->digest;
}

const char *fs_policy_machine(const struct fs_policy *p)
{
	return p->machine;
}
