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
#include <ctype.h>
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

/* ---- syntax errors ------------------------------------------------------------------------
 * cJSON says only "failed near here", and its offset is sometimes one past the culprit. When it
 * fails, this strict re-reading finds the first error itself and says what was found and what
 * JSON expects there. If it finds nothing (a limit of cJSON's rather than a JSON error), cJSON's
 * position is reported.
 */

#define JSON_MAX_DEPTH 1000 /* CJSON_NESTING_LIMIT */

/* "'x'", "the end of the text", with hints for the classic mistakes. */
static void found_at(const char *t, size_t n, size_t i, bool hints, char *buf, size_t cap)
{
	if (i >= n) {
		snprintf(buf, cap, "the end of the text");
		return;
	}
	unsigned char c = (unsigned char)t[i];
	if (c < 0x21 || c >= 0x7f) {
		snprintf(buf, cap, "byte 0x%02x", c);
		return;
	}
	char word[24];
	size_t k = 0;
	do
		word[k] = t[i + k], k++;
	while (i + k < n && k < sizeof word - 1 && isalnum((unsigned char)t[i + k]) && isalnum(c));
	word[k] = 0;
	const char *hint = "";
	if (!hints)
		hint = "";
	else if (c == '\'')
		hint = " (JSON strings use double quotes)";
	else if (c == '/' || c == '#')
		hint = " (JSON has no comments)";
	else if (!strcmp(word, "True") || !strcmp(word, "False") || !strcmp(word, "None") || !strcmp(word, "Null") ||
		 !strcmp(word, "TRUE") || !strcmp(word, "FALSE") || !strcmp(word, "NULL"))
		hint = " (JSON writes true, false and null in lower case)";
	else if (isalpha(c) || c == '_' || c == '*')
		hint = " (strings, member names included, need double quotes)";
	snprintf(buf, cap, "'%s'%s", word, hint);
}

/* A string at t[i] == '"': offset after it, or an error. */
static bool check_string(const char *t, size_t n, size_t *i, size_t *eoff, char *msg, size_t cap)
{
	size_t start = *i;
	for (size_t k = start + 1; k < n; k++) {
		unsigned char c = (unsigned char)t[k];
		if (c == '"') {
			*i = k + 1;
			return true;
		}
		if (c == '\\') {
			char e = k + 1 < n ? t[k + 1] : 0;
			if (e == 'u') {
				for (int h = 0; h < 4; h++)
					if (k + 2 + (size_t)h >= n || !isxdigit((unsigned char)t[k + 2 + h])) {
						*eoff = k;
						snprintf(msg, cap, "bad \\u escape in a string: expected 4 hex digits");
						return false;
					}
				k += 5;
			} else if (e && strchr("\"\\/bfnrt", e)) {
				k++;
			} else {
				*eoff = k;
				snprintf(msg, cap, "bad escape '\\%c' in a string; JSON knows \\\" \\\\ \\/ \\b \\f \\n \\r \\t "
					 "\\uXXXX (write \\\\ for a backslash)", e > 0x20 && e < 0x7f ? e : '?');
				return false;
			}
		} else if (c < 0x20) {
			*eoff = k;
			snprintf(msg, cap, "raw control character 0x%02x in a string (a line break inside quotes?); "
				 "escape it, e.g. \\n", c);
			return false;
		}
	}
	*eoff = start;
	snprintf(msg, cap, "unterminated string: no closing '\"'");
	return false;
}

/* A number at t[i], JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool check_number(const char *t, size_t n, size_t *i, size_t *eoff, char *msg, size_t cap)
{
	size_t k = *i;
	bool ok = true;
	if (k < n && t[k] == '-')
		k++;
	if (k < n && t[k] == '0') {
		k++;
		if (k < n && isdigit((unsigned char)t[k]))
			ok = false; /* leading zero */
	} else if (k < n && isdigit((unsigned char)t[k])) {
		while (k < n && isdigit((unsigned char)t[k]))
			k++;
	} else {
		ok = false;
	}
	if (ok && k < n && t[k] == '.') {
		k++;
		if (!(k < n && isdigit((unsigned char)t[k])))
			ok = false;
		while (k < n && isdigit((unsigned char)t[k]))
			k++;
	}
	if (ok && k < n && (t[k] == 'e' || t[k] == 'E')) {
		k++;
		if (k < n && (t[k] == '+' || t[k] == '-'))
			k++;
		if (!(k < n && isdigit((unsigned char)t[k])))
			ok = false;
		while (k < n && isdigit((unsigned char)t[k]))
			k++;
	}
	if (!ok) {
		*eoff = *i;
		snprintf(msg, cap, "bad number");
		return false;
	}
	*i = k;
	return true;
}

/* The first syntax error of t: its offset and a message; false if none is found. */
static bool diagnose(const char *t, size_t n, size_t *eoff, char *msg, size_t cap)
{
	enum { VALUE, VALUE_OR_CLOSE, KEY, KEY_OR_CLOSE, COLON, AFTER, DONE } st = VALUE;
	static const char *const lits[] = { "true", "false", "null" };
	struct frame {
		size_t open;
		char type; /* '{' or '[' */
	} *stack = malloc(JSON_MAX_DEPTH * sizeof *stack);
	int depth = 0;
	size_t i = (n >= 3 && memcmp(t, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
	char f[96];
	bool err = true;
	if (!stack) {
		snprintf(msg, cap, "out of memory");
		*eoff = 0;
		goto out;
	}
	for (;;) {
		while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
			i++;
		*eoff = i;
		if (i == n) {
			if (st == DONE) {
				err = false;
			} else if (depth) {
				int l, c;
				fs_line_col(t, n, stack[depth - 1].open, &l, &c);
				snprintf(msg, cap, "unexpected end of text: the %s opened at line %d, column %d is not "
					 "closed", stack[depth - 1].type == '{' ? "object" : "array", l, c);
			} else {
				snprintf(msg, cap, "unexpected end of text: expected a value");
			}
			goto out;
		}
		char c = t[i];
		found_at(t, n, i, st != DONE, f, sizeof f);
		switch (st) {
		case DONE:
			snprintf(msg, cap, "unexpected %s after the end of the policy object (one JSON object "
				 "expected)", f);
			goto out;
		case COLON:
			if (c != ':') {
				snprintf(msg, cap, "expected ':' after a member name; found %s", f);
				goto out;
			}
			i++;
			st = VALUE;
			continue;
		case KEY:
		case KEY_OR_CLOSE:
			if (c == '"') {
				if (!check_string(t, n, &i, eoff, msg, cap))
					goto out;
				st = COLON;
				continue;
			}
			if (c == '}' && st == KEY_OR_CLOSE)
				break; /* closes below */
			if (c == '}')
				snprintf(msg, cap, "expected a member name after ','; found '}' (JSON allows no comma "
					 "before '}')");
			else
				snprintf(msg, cap, "expected a member name in double quotes%s; found %s",
					 st == KEY_OR_CLOSE ? " or '}'" : "", f);
			goto out;
		case AFTER:
			if (c == ',') {
				i++;
				st = stack[depth - 1].type == '{' ? KEY : VALUE;
				continue;
			}
			if (c == '}' || c == ']')
				break; /* closes below */
			snprintf(msg, cap, "expected ',' or '%c' after %s; found %s (a missing comma?)",
				 stack[depth - 1].type == '{' ? '}' : ']',
				 stack[depth - 1].type == '{' ? "a member" : "an element", f);
			goto out;
		case VALUE:
		case VALUE_OR_CLOSE:
			if (c == ']' && st == VALUE_OR_CLOSE)
				break; /* closes below */
			if (c == '{' || c == '[') {
				if (depth == JSON_MAX_DEPTH) {
					snprintf(msg, cap, "nested more than %d levels deep", JSON_MAX_DEPTH);
					goto out;
				}
				stack[depth++] = (struct frame){ .open = i, .type = c };
				st = c == '{' ? KEY_OR_CLOSE : VALUE_OR_CLOSE;
				i++;
				continue;
			}
			if (c == '"') {
				if (!check_string(t, n, &i, eoff, msg, cap))
					goto out;
			} else if (c == '-' || isdigit((unsigned char)c)) {
				if (!check_number(t, n, &i, eoff, msg, cap))
					goto out;
			} else {
				int k;
				for (k = 0; k < 3; k++) {
					size_t l = strlen(lits[k]);
					if (n - i >= l && memcmp(t + i, lits[k], l) == 0 &&
					    (i + l == n || !isalnum((unsigned char)t[i + l]))) {
						i += l;
						break;
					}
				}
				if (k == 3) {
					if (c == ']' || c == '}')
						snprintf(msg, cap, "expected a value; found '%c'%s", c,
							 depth && t[i] == (stack[depth - 1].type == '{' ? '}' : ']')
								 ? " (JSON allows no comma before it)" : "");
					else
						snprintf(msg, cap, "expected a value (a string, number, object, array, true, "
							 "false or null); found %s", f);
					goto out;
				}
			}
			st = depth ? AFTER : DONE;
			continue;
		}
		/* a closing bracket, where one may come */
		if (c != (stack[depth - 1].type == '{' ? '}' : ']')) {
			int l, col;
			fs_line_col(t, n, stack[depth - 1].open, &l, &col);
			snprintf(msg, cap, "found '%c' but the %s opened at line %d, column %d is not closed (expected "
				 "'%c')", c, stack[depth - 1].type == '{' ? "object" : "array", l, col,
				 stack[depth - 1].type == '{' ? '}' : ']');
			goto out;
		}
		depth--;
		i++;
		st = depth ? AFTER : DONE;
	}
out:
	free(stack);
	return err;
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
		fs_err_at(cx, n, "", "policy is empty: expected a JSON object such as "
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
		char msg[200];
		size_t eoff;
		if (diagnose(t, n, &eoff, msg, sizeof msg)) {
			fs_err_at(cx, eoff, "", "JSON syntax error: %s", msg);
		} else {
			/* cJSON reports the end of the buffer as its last byte (our NUL) */
			fs_err_at(cx, off > n ? n : off, "", "JSON syntax error (the JSON reader gave up here)");
		}
		return -1;
	}
	/* JSON allows one value: cJSON stopped after it; only whitespace may follow. */
	while (off < n && (t[off] == ' ' || t[off] == '\t' || t[off] == '\n' || t[off] == '\r'))
		off++;
	if (off < n) {
		char what[96];
		found_at(t, n, off, false, what, sizeof what);
		fs_err_at(cx, off, "", "JSON syntax error: unexpected %s after the end of the policy object "
			  "(one JSON object expected)", what);
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
