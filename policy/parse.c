/*
 * parse.c — validate the cJSON tree against the policy language (SPEC.md, "Policy language")
 * and extract what the compiler needs.
 *
 * Strict by design: SPEC says anything unknown is a configuration error, because a typo that
 * is ignored ("exce", "alow", "Block") silently turns a protection off. Every error is
 * collected (not only the first), each with the JSON path of the offending value and, through
 * the value's pre-order number, its line and column.
 *
 * Node numbering: node `idx` is the idx-th value of the document in pre-order (see json.c);
 * its first child is idx + 1 and each next sibling follows the previous one's subtree
 * (pos[].size), so walking children never searches.
 *
 * The validator only descends into the shapes the language defines (depth <= 4), so its work
 * is linear in the size of the text whatever the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cJSON.h"
#include "internal.h"

static const char *const CATEGORY_KEYS[FS_NCATEGORIES] = { "exec", "connect", "listen", "read", "write" };
static const char *const ACTION_NAMES[3] = { "allow", "alert", "block" };

#define PATHBUF 160 /* struct fs_error keeps 159 bytes of a path */

struct vctx {
	struct fs_ctx *cx;
	const struct fs_json *j;
};

static uint32_t next_sibling(const struct vctx *v, uint32_t idx)
{
	return idx + v->j->pos[idx].size;
}

static uint8_t flags_of(const struct vctx *v, uint32_t idx)
{
	return idx < v->j->npos ? v->j->pos[idx].flags : 0;
}

/* "a number", "an array", … — what was found, for messages. */
static const char *type_name(const cJSON *x)
{
	if (cJSON_IsString(x))
		return "a string";
	if (cJSON_IsNumber(x))
		return "a number";
	if (cJSON_IsTrue(x))
		return "true";
	if (cJSON_IsFalse(x))
		return "false";
	if (cJSON_IsNull(x))
		return "null";
	if (cJSON_IsArray(x))
		return "an array";
	if (cJSON_IsObject(x))
		return "an object";
	return "an unknown value";
}

/* ---- JSON paths ----------------------------------------------------------------------------- */

static bool plain_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++) {
		char c = *k;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

/* Build a child path: parent, then the pieces; cut to cap-1 bytes (errors keep 159). */
static void path_join(char *buf, size_t cap, const char *parent, const char *a, const char *b, const char *c)
{
	const char *parts[4] = { parent, a, b, c };
	size_t o = 0;
	for (int k = 0; k < 4; k++)
		for (const char *p = parts[k]; p && *p && o + 1 < cap; p++)
			buf[o++] = *p;
	buf[o] = 0;
}

static void path_key(char *buf, size_t cap, const char *parent, const char *key)
{
	if (plain_key(key)) {
		path_join(buf, cap, parent, *parent ? "." : "", key, "");
	} else { /* exec["we.ird"] */
		char q[96];
		path_join(buf, cap, parent, "[", fs_quote(key, strlen(key), q, sizeof q), "]");
	}
}

static void path_index(char *buf, size_t cap, const char *parent, int i)
{
	char num[16];
	snprintf(num, sizeof num, "%d", i);
	path_join(buf, cap, parent, "[", num, "]");
}

/* ---- suggestions ("did you mean") --------------------------------------------------------- */

static int edit_distance(const char *a, const char *b)
{
	/* Plain Levenshtein over short strings (keys and actions), one row. */
	size_t la = strlen(a), lb = strlen(b);
	if (la > 32 || lb > 32)
		return 99;
	int row[33];
	for (size_t j = 0; j <= lb; j++)
		row[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int diag = row[0];
		row[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int up = row[j];
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int best = diag + cost;
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* Writes " (did you mean "x"?)" into buf when a candidate is close, else "". */
static const char *suggest(const char *s, const char *const *cands, int n, char *buf, size_t cap)
{
	const char *best = NULL;
	int bestd = 3;
	for (int i = 0; i < n; i++) {
		int d = strcasecmp(s, cands[i]) == 0 ? 0 : edit_distance(s, cands[i]);
		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	if (best && (bestd <= 1 || strlen(s) > 3))
		snprintf(buf, cap, " (did you mean \"%s\"?)", best);
	else
		buf[0] = 0;
	return buf;
}

static void list_names(const char *const *names, int n, char *buf, size_t cap)
{
	size_t o = 0;
	buf[0] = 0;
	for (int i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? (i == n - 1 ? " or " : ", ") : "", names[i]);
}

/* ---- strings -------------------------------------------------------------------------------- */

/* A string value must not hide a NUL (cJSON would cut it there) nor raw control characters. */
static bool string_ok(struct vctx *v, uint32_t idx, const char *path, const char *what)
{
	uint8_t f = flags_of(v, idx);
	if (f & FS_JP_VAL_NUL) {
		fs_err_node(v->cx, idx, 0, path, "%s contains a NUL character (\\u0000), which no %s can hold",
			    what, what);
		return false;
	}
	if (f & FS_JP_VAL_CTRL) {
		fs_err_node(v->cx, idx, 0, path, "%s contains a raw control character (a line break or tab "
			    "inside quotes?); JSON requires it escaped, e.g. \\n or \\t", what);
		return false;
	}
	return true;
}

/*
 * One member of an object whose keys are `known`: reports a bad, unknown or duplicate key
 * and returns -1, else returns the key's index (and marks it seen). `where` names the object
 * for messages ("the policy", "\"exec\"").
 */
static int member_key(struct vctx *v, const cJSON *m, uint32_t idx, const char *mpath, const char *where,
		      const char *const *known, int nknown, unsigned *seen)
{
	uint8_t f = flags_of(v, idx);
	char q[96], s[64], names[160];
	const char *key = m->string ? m->string : "";
	list_names(known, nknown, names, sizeof names);
	if (f & (FS_JP_KEY_NUL | FS_JP_KEY_CTRL)) {
		fs_err_node(v->cx, idx, 1, mpath, "key %s in %s contains a %s; expected %s",
			    fs_quote(key, strlen(key), q, sizeof q), where,
			    (f & FS_JP_KEY_NUL) ? "NUL character (\\u0000)" : "raw control character", names);
		return -1;
	}
	for (int k = 0; k < nknown; k++) {
		if (strcmp(key, known[k]) == 0) {
			if (*seen & (1u << k)) {
				fs_err_node(v->cx, idx, 1, mpath, "duplicate key \"%s\" in %s: each key may appear "
					    "only once (JSON parsers disagree about which one counts)", key, where);
				return -1;
			}
			*seen |= 1u << k;
			return k;
		}
	}
	fs_err_node(v->cx, idx, 1, mpath, "unknown key %s in %s%s; expected %s",
		    fs_quote(key, strlen(key), q, sizeof q), where, suggest(key, known, nknown, s, sizeof s), names);
	return -1;
}

/* An action string: "allow" | "alert" | "block"; -1 (after reporting) otherwise. `what`
 * describes the value ("\"exec\"", "\"exec.default\""); `alt` adds what else is allowed. */
static int parse_action(struct vctx *v, const cJSON *x, uint32_t idx, const char *path, const char *what,
			const char *alt)
{
	char q[96], s[64];
	if (!cJSON_IsString(x)) {
		fs_err_node(v->cx, idx, 0, path, "%s must be \"allow\", \"alert\" or \"block\"%s; found %s", what, alt,
			    type_name(x));
		return -1;
	}
	if (!string_ok(v, idx, path, "an action"))
		return -1;
	for (int a = 0; a < 3; a++)
		if (strcmp(x->valuestring, ACTION_NAMES[a]) == 0)
			return a;
	fs_err_node(v->cx, idx, 0, path, "unknown action %s for %s%s; expected \"allow\", \"alert\" or \"block\"",
		    fs_quote(x->valuestring, strlen(x->valuestring), q, sizeof q), what,
		    suggest(x->valuestring, ACTION_NAMES, 3, s, sizeof s));
	return -1;
}

/* ---- categories ----------------------------------------------------------------------------- */

static bool is_path_category(enum fs_category c)
{
	return c == FS_EXEC || c == FS_READ || c == FS_WRITE;
}

static void check_pattern(struct vctx *v, enum fs_category c, const cJSON *x, uint32_t idx, const char *path)
{
	char err[200], q[96];
	const char *text = x->valuestring;
	int rc;
	if (is_path_category(c)) {
		rc = fs_glob_check(text, err, sizeof err);
	} else {
		struct fs_hostpat h;
		rc = fs_host_parse(text, &h, err, sizeof err);
	}
	if (rc < 0)
		fs_err_node(v->cx, idx, 0, path, "bad %s pattern %s: %s", CATEGORY_KEYS[c],
			    fs_quote(text, strlen(text), q, sizeof q), err);
}

static void parse_list(struct vctx *v, enum fs_category c, const cJSON *arr, uint32_t idx, const char *path,
		       const char *listname, struct fs_raw_cat *out, int list)
{
	char epath[PATHBUF];
	if (!cJSON_IsArray(arr)) {
		const char *hint = is_path_category(c) ? "[\"/tmp/**\"]" : "[\"*.amazonaws.com:443\"]";
		fs_err_node(v->cx, idx, 0, path, "\"%s\" must be an array of pattern strings, e.g. %s; found %s",
			    listname, hint, type_name(arr));
		return;
	}
	uint32_t n = 0;
	for (const cJSON *e = arr->child; e; e = e->next)
		n++;
	if (n >= FS_MAX_LIST_LEN) {
		fs_err_node(v->cx, idx, 0, path, "\"%s\" has %u patterns; at most %u are supported", listname, n,
			    FS_MAX_LIST_LEN - 1);
		return;
	}
	out->list[list] = n ? calloc(n, sizeof *out->list[list]) : NULL;
	if (n && !out->list[list]) {
		fs_err_node(v->cx, idx, 0, path, "out of memory");
		return;
	}
	int i = 0;
	uint32_t eidx = idx + 1;
	for (const cJSON *e = arr->child; e; e = e->next, eidx = next_sibling(v, eidx), i++) {
		path_index(epath, sizeof epath, path, i);
		if (!cJSON_IsString(e)) {
			fs_err_node(v->cx, eidx, 0, epath, "a pattern must be a string; found %s", type_name(e));
			continue;
		}
		if (!string_ok(v, eidx, epath, "a pattern"))
			continue;
		check_pattern(v, c, e, eidx, epath);
		out->list[list][i] = (struct fs_raw_pattern){ .text = e->valuestring, .node = eidx };
	}
	out->n[list] = n;
}

static void parse_category(struct vctx *v, enum fs_category c, const cJSON *x, uint32_t idx, const char *path,
			   struct fs_raw_cat *out)
{
	static const char *const KEYS[] = { "default", "allow", "alert", "block" };
	char what[PATHBUF + 4], mpath[PATHBUF];
	out->present = true;
	out->node = idx;
	out->dflt = FS_ALLOW; /* an object without "default" */
	path_join(what, sizeof what, "\"", path, "\"", "");

	if (cJSON_IsString(x)) {
		int a = parse_action(v, x, idx, path, what, "");
		if (a >= 0)
			out->dflt = (int8_t)a;
		return;
	}
	if (!cJSON_IsObject(x)) {
		fs_err_node(v->cx, idx, 0, path, "%s must be an action (\"allow\", \"alert\", \"block\") or an object "
			    "with \"default\" and lists \"allow\", \"alert\", \"block\"; found %s", what, type_name(x));
		return;
	}
	unsigned seen = 0;
	uint32_t midx = idx + 1;
	for (const cJSON *m = x->child; m; m = m->next, midx = next_sibling(v, midx)) {
		path_key(mpath, sizeof mpath, path, m->string ? m->string : "");
		int k = member_key(v, m, midx, mpath, what, KEYS, 4, &seen);
		if (k == 0) {
			char dwhat[PATHBUF + 4];
			path_join(dwhat, sizeof dwhat, "\"", mpath, "\"", "");
			int a = parse_action(v, m, midx, mpath, dwhat, "");
			if (a >= 0)
				out->dflt = (int8_t)a;
		} else if (k > 0) {
			parse_list(v, c, m, midx, mpath, KEYS[k], out, k - 1);
		}
	}
}

/* ---- sections ------------------------------------------------------------------------------- */

static void parse_init(struct vctx *v, const cJSON *x, uint32_t idx, struct fs_raw_policy *out)
{
	char mpath[PATHBUF];
	if (!cJSON_IsObject(x)) {
		fs_err_node(v->cx, idx, 0, "init", "\"init\" must be an object of category overrides, e.g. "
			    "{\"read\": \"allow\"}; found %s", type_name(x));
		return;
	}
	unsigned seen = 0;
	uint32_t midx = idx + 1;
	for (const cJSON *m = x->child; m; m = m->next, midx = next_sibling(v, midx)) {
		path_key(mpath, sizeof mpath, "init", m->string ? m->string : "");
		int k = member_key(v, m, midx, mpath, "\"init\" (it may only override categories)", CATEGORY_KEYS,
				   FS_NCATEGORIES, &seen);
		if (k >= 0) {
			parse_category(v, (enum fs_category)k, m, midx, mpath, &out->init[k]);
			out->has_init = true;
		}
	}
}

static bool namespace_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr("._/#:-", c);
}

static void parse_log(struct vctx *v, const cJSON *x, uint32_t idx, struct fs_raw_policy *out)
{
	static const char *const KEYS[] = { "backtrace", "metrics_namespace", "stack" };
	char mpath[PATHBUF], q[96];
	if (!cJSON_IsObject(x)) {
		fs_err_node(v->cx, idx, 0, "log", "\"log\" must be an object such as {\"backtrace\": false, "
			    "\"stack\": true, \"metrics_namespace\": \"fnshield\"}; found %s", type_name(x));
		return;
	}
	unsigned seen = 0;
	uint32_t midx = idx + 1;
	for (const cJSON *m = x->child; m; m = m->next, midx = next_sibling(v, midx)) {
		path_key(mpath, sizeof mpath, "log", m->string ? m->string : "");
		int k = member_key(v, m, midx, mpath, "\"log\"", KEYS, 3, &seen);
		if (k == 0 || k == 2) {
			if (cJSON_IsBool(m))
				*(k == 0 ? &out->backtrace : &out->stack) = cJSON_IsTrue(m);
			else
				fs_err_node(v->cx, midx, 0, mpath, "\"log.%s\" must be true or false; found %s",
					    KEYS[k], type_name(m));
		} else if (k == 1) {
			if (!cJSON_IsString(m)) {
				fs_err_node(v->cx, midx, 0, mpath, "\"log.metrics_namespace\" must be a string; found %s",
					    type_name(m));
				continue;
			}
			if (!string_ok(v, midx, mpath, "a metrics namespace"))
				continue;
			const char *s = m->valuestring;
			size_t len = strlen(s);
			size_t bad;
			for (bad = 0; bad < len && namespace_char(s[bad]); bad++)
				;
			if (len == 0 || len > 255 || bad < len) {
				fs_err_node(v->cx, midx, 0, mpath, "bad metrics namespace %s: expected 1 to 255 characters "
					    "of A-Z a-z 0-9 . _ / # : -", fs_quote(s, len, q, sizeof q));
			} else if (strncmp(s, "AWS/", 4) == 0) {
				fs_err_node(v->cx, midx, 0, mpath, "bad metrics namespace %s: namespaces starting with "
					    "\"AWS/\" are reserved by CloudWatch", fs_quote(s, len, q, sizeof q));
			} else {
				memcpy(out->metrics_namespace, s, len + 1);
			}
		}
	}
}

void fs_parse(struct fs_ctx *cx, const struct fs_json *j, struct fs_raw_policy *out)
{
	static const char *const KEYS[] = { "version", "mode", "exec", "connect", "listen",
					    "read", "write", "init", "log" };
	struct vctx v = { .cx = cx, .j = j };
	const cJSON *root = j->root;
	char mpath[PATHBUF], q[96], s[64];

	memset(out, 0, sizeof *out);
	out->mode = FS_MODE_ALERT;
	out->stack = true;
	strcpy(out->metrics_namespace, "fnshield");

	if (!cJSON_IsObject(root)) {
		fs_err_node(cx, 0, 0, "", "the policy must be a JSON object ({\"version\": 1, ...}); found %s",
			    type_name(root));
		return;
	}
	unsigned seen = 0;
	uint32_t midx = 1;
	for (const cJSON *m = root->child; m; m = m->next, midx = next_sibling(&v, midx)) {
		path_key(mpath, sizeof mpath, "", m->string ? m->string : "");
		int k = member_key(&v, m, midx, mpath, "the policy", KEYS, 9, &seen);
		switch (k) {
		case 0: /* version */
			if (!cJSON_IsNumber(m))
				fs_err_node(cx, midx, 0, mpath, "\"version\" must be the number 1; found %s", type_name(m));
			else if (m->valuedouble != 1.0)
				fs_err_node(cx, midx, 0, mpath, "unsupported policy version %g: this fnshield "
					    "understands version 1", m->valuedouble);
			break;
		case 1: /* mode */
			if (!cJSON_IsString(m)) {
				fs_err_node(cx, midx, 0, mpath, "\"mode\" must be \"alert\" or \"block\"; found %s",
					    type_name(m));
			} else if (string_ok(&v, midx, mpath, "a mode")) {
				static const char *const MODES[] = { "alert", "block" };
				if (strcmp(m->valuestring, "alert") == 0)
					out->mode = FS_MODE_ALERT;
				else if (strcmp(m->valuestring, "block") == 0)
					out->mode = FS_MODE_BLOCK;
				else
					fs_err_node(cx, midx, 0, mpath, "unknown mode %s%s; expected \"alert\" or \"block\"",
						    fs_quote(m->valuestring, strlen(m->valuestring), q, sizeof q),
						    suggest(m->valuestring, MODES, 2, s, sizeof s));
			}
			break;
		case 2: case 3: case 4: case 5: case 6:
			parse_category(&v, (enum fs_category)(k - 2), m, midx, mpath, &out->cat[k - 2]);
			break;
		case 7:
			parse_init(&v, m, midx, out);
			break;
		case 8:
			parse_log(&v, m, midx, out);
			break;
		default:
			break;
		}
	}
}

void fs_raw_free(struct fs_raw_policy *r)
{
	for (int c = 0; c < FS_NCATEGORIES; c++)
		for (int l = 0; l < 3; l++) {
			free(r->cat[c].list[l]);
			free(r->init[c].list[l]);
			r->cat[c].list[l] = r->init[c].list[l] = NULL;
		}
}
