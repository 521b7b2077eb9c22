/*
 * json.c — parse the policy text with cJSON, and find where every value is.
 *
 * cJSON builds the tree but records no positions, and the errors a person needs are
 * "exec.allow[2], line 7 column 12". So, once cJSON has accepted the text, a small scanner
 * walks it again and records the start of every value (and of its member name) in document
 * order. cJSON keeps members and elements in document order too, so value number k of the
 * scan is node number k of a pre-order walk of the tree: no pointers need matching.
 *
 * The scanner also sees what cJSON hides: a string containing \u0000 (cJSON's C strings stop
 * there, so "exec\u0000x" would read as "exec") and raw control characters, which JSON forbids
 * inside strings but cJSON lets through.
 *
 * Both passes are linear. Nesting is bounded by cJSON (CJSON_NESTING_LIMIT, 1000), which
 * bounds the recursion in count_preorder() as well.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cJSON.h"
#include "internal.h"

#define SCAN_MAX_DEPTH 1100 /* above CJSON_NESTING_LIMIT: a deeper text never reaches us */

struct posvec {
	struct fs_jpos *v;
	uint32_t n, cap;
	bool failed;
};

static void push_pos(struct posvec *pv, uint32_t val, uint32_t key, uint8_t flags)
{
	if (pv->failed)
		return;
	if (pv->n == pv->cap) {
		uint32_t ncap = pv->cap ? pv->cap * 2 : 256;
		struct fs_jpos *nv = ncap > pv->cap ? realloc(pv->v, (size_t)ncap * sizeof *nv) : NULL;
		if (!nv) {
			pv->failed = true;
			return;
		}
		pv->v = nv;
		pv->cap = ncap;
	}
	pv->v[pv->n++] = (struct fs_jpos){ .val = val, .key = key, .size = 0, .flags = flags };
}

/* Skip a string starting at t[i] == '"'; returns the offset after the closing quote and sets
 * *flags (FS_JP_VAL_NUL / FS_JP_VAL_CTRL). */
static size_t scan_string(const char *t, size_t n, size_t i, uint8_t *flags)
{
	*flags = 0;
	for (i++; i < n; i++) {
		unsigned char ch = (unsigned char)t[i];
		if (ch == '"')
			return i + 1;
		if (ch == '\\') {
			if (i + 5 < n && t[i + 1] == 'u' && memcmp(t + i + 2, "0000", 4) == 0)
				*flags |= FS_JP_VAL_NUL;
			i++; /* the escaped character; \uXXXX digits are plain characters */
		} else if (ch < 0x20) {
			*flags |= FS_JP_VAL_CTRL;
		}
	}
	return n;
}

/* Record the value starts of a text cJSON accepted. Returns false if the text does not look
 * the way it should (then positions are simply not reported). */
static bool scan(const char *t, size_t n, struct posvec *pv)
{
	char stack[SCAN_MAX_DEPTH]; /* 'o' or 'a' */
	int depth = 0;
	bool want_key = false;
	uint32_t key = FS_JP_NONE;
	uint8_t keyflags = 0;
	size_t i = 0;

	if (n >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0) /* cJSON skips a UTF-8 BOM */
		i = 3;
	while (i < n) {
		unsigned char c = (unsigned char)t[i];
		if (c <= 0x20) { /* cJSON's notion of whitespace */
			i++;
			continue;
		}
		switch (c) {
		case '{':
		case '[':
			if (depth == SCAN_MAX_DEPTH)
				return false;
			push_pos(pv, (uint32_t)i, key, keyflags);
			key = FS_JP_NONE;
			keyflags = 0;
			stack[depth++] = c == '{' ? 'o' : 'a';
			want_key = c == '{';
			i++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return false;
			depth--;
			want_key = false;
			i++;
			break;
		case ',':
			want_key = depth > 0 && stack[depth - 1] == 'o';
			i++;
			break;
		case ':':
			want_key = false;
			i++;
			break;
		case '"': {
			uint8_t f;
			size_t end = scan_string(t, n, i, &f);
			if (want_key) {
				key = (uint32_t)i;
				keyflags = (uint8_t)(f << 2); /* VAL_* → KEY_* */
				want_key = false;
			} else {
				push_pos(pv, (uint32_t)i, key, (uint8_t)(keyflags | f));
				key = FS_JP_NONE;
				keyflags = 0;
			}
			i = end;
			break;
		}
		default:
			/* number, true, false, null: up to the next delimiter */
			push_pos(pv, (uint32_t)i, key, keyflags);
			key = FS_JP_NONE;
			keyflags = 0;
			while (i < n && (unsigned char)t[i] > 0x20 && t[i] != ',' && t[i] != ']' && t[i] != '}' &&
			       t[i] != ':')
				i++;
			break;
		}
	}
	return !pv->failed && depth == 0;
}

/* Subtree sizes, in pre-order; returns the number of nodes. Recursion depth is bounded by
 * cJSON's nesting limit. */
static uint32_t count_preorder(const cJSON *node, uint32_t idx, struct fs_jpos *pos, uint32_t npos)
{
	uint32_t size = 1;
	for (const cJSON *ch = node->child; ch; ch = ch->next)
		size += count_preorder(ch, idx + size, pos, npos);
	if (pos && idx < npos)
		pos[idx].size = size;
	return size;
}

/* What was found at a syntax error, for the message. */
static void describe_at(const char *t, size_t n, size_t off, char *buf, size_t cap)
{
	if (off >= n) {
		snprintf(buf, cap, "the end of the text (an object, array or string is not closed)");
		return;
	}
	unsigned char c = (unsigned char)t[off];
	if (c >= 0x21 && c < 0x7f) {
		/* Show a little of what follows, so the place can be recognised. */
		size_t k = 0;
		char word[24];
		while (off + k < n && k < sizeof word - 1 && (unsigned char)t[off + k] > 0x20 &&
		       (unsigned char)t[off + k] < 0x7f && (k == 0 || !strchr(",:[]{}\"", t[off + k])))
			word[k] = t[off + k], k++;
		word[k] = 0;
		snprintf(buf, cap, "'%s'", word);
	} else {
		snprintf(buf, cap, "byte 0x%02x", c);
	}
}

int fs_json_load(struct fs_ctx *cx, struct fs_json *j)
{
	const char *t = cx->text;
	size_t n = cx->len;
	memset(j, 0, sizeof *j);

	size_t k = 0;
	if (n >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0)
		k = 3;
	while (k < n && (t[k] == ' ' || t[k] == '\t' || t[k] == '\n' || t[k] == '\r'))
		k++;
	if (k == n) {
		fs_err_at(cx, FS_NOPOS, "", "policy is empty: expected a JSON object such as "
			  "{\"version\": 1, \"mode\": \"alert\"}");
		return -1;
	}
	/* cJSON's strings are C strings: a raw NUL byte would silently cut one short. */
	const char *nul = memchr(t, 0, n);
	if (nul) {
		fs_err_at(cx, (size_t)(nul - t), "", "JSON syntax error: NUL byte in the policy text "
			  "(a policy is UTF-8 text; is this a binary file?)");
		return -1;
	}
	if (n > UINT32_MAX - 16) {
		fs_err_at(cx, FS_NOPOS, "", "policy is too large (%zu bytes)", n);
		return -1;
	}
	j->copy = malloc(n + 1);
	if (!j->copy) {
		fs_err_at(cx, FS_NOPOS, "", "out of memory reading the policy (%zu bytes)", n);
		return -1;
	}
	memcpy(j->copy, t, n);
	j->copy[n] = 0;

	const char *end = NULL;
	j->root = cJSON_ParseWithLengthOpts(j->copy, n + 1, &end, 0);
	size_t off = end ? (size_t)(end - j->copy) : 0;
	if (!j->root) {
		char what[64];
		/* cJSON reports the end of the buffer as its last byte (our NUL). */
		describe_at(t, n, off, what, sizeof what);
		fs_err_at(cx, off > n ? n : off, "", "JSON syntax error: unexpected %s", what);
		return -1;
	}
	/* Anything but whitespace after the value is an error (JSON allows one value). */
	while (off < n && (t[off] == ' ' || t[off] == '\t' || t[off] == '\n' || t[off] == '\r'))
		off++;
	if (off < n) {
		char what[64];
		describe_at(t, n, off, what, sizeof what);
		fs_err_at(cx, off, "", "JSON syntax error: unexpected %s after the end of the policy "
			  "object (one JSON object expected)", what);
		return -1;
	}

	struct posvec pv = { 0 };
	uint32_t nodes = count_preorder(j->root, 0, NULL, 0);
	if (!scan(t, n, &pv) || pv.n != nodes) {
		/* Cannot happen for a text cJSON accepted; but without the scan a \u0000 inside a
		 * string would go unnoticed, so refuse rather than guess. */
		free(pv.v);
		fs_err_at(cx, FS_NOPOS, "", pv.failed ? "out of memory reading the policy"
			  : "internal error: the policy text could not be scanned");
		return -1;
	}
	count_preorder(j->root, 0, pv.v, pv.n);
	j->pos = pv.v;
	j->npos = pv.n;
	cx->pos = j->pos;
	cx->npos = j->npos;
	return 0;
}

void fs_json_free(struct fs_json *j)
{
	if (j->root)
		cJSON_Delete(j->root);
	free(j->copy);
	free(j->pos);
	memset(j, 0, sizeof *j);
}
