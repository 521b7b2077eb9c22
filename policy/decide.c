/*
 * decide.c — the decision for one call, from its facts (see decide.h).
 */
#include "decide.h"

#include <errno.h>
#include <string.h>

struct fs_decision fs_decide_path(const struct fs_policy *p, enum fs_category c, int in_init,
				  const struct fs_path_facts *pf)
{
	return fs_decide_path_in(fs_policy_rules(p, c, in_init), fs_policy_mode(p), c, pf);
}

struct fs_decision fs_decide(const struct fs_policy *p, const struct fs_call_facts *f)
{
	enum fs_category c = f->category;
	if (c != FS_CONNECT && c != FS_LISTEN)
		return fs_decide_path(p, c, f->in_init, &f->path);
	return fs_decide_addr_in(fs_policy_rules(p, c, f->in_init), fs_policy_mode(p), c, &f->addr);
}

/* ---- the program an exec runs ------------------------------------------------------------- */

static const struct {
	const char *call;
	enum fs_search search;
} SEARCHES[] = {
	{"execvp", FS_SEARCH_PATH},       {"execvpe", FS_SEARCH_PATH},
	{"execlp", FS_SEARCH_PATH},       {"posix_spawnp", FS_SEARCH_PATH},
	{"system", FS_SEARCH_SHELL},      {"__libc_system", FS_SEARCH_SHELL},
	{"popen", FS_SEARCH_SHELL},       {"_IO_popen", FS_SEARCH_SHELL},
};

enum fs_search fs_exec_search_of(const char *call)
{
	for (size_t i = 0; i < sizeof SEARCHES / sizeof *SEARCHES; i++)
		if (!strcmp(call, SEARCHES[i].call))
			return SEARCHES[i].search;
	return FS_SEARCH_NONE;
}

int fs_search_goes_on(int err)
{
	return err == EACCES || err == ENOENT || err == ENOTDIR || err == ESTALE || err == ENODEV ||
	       err == ETIMEDOUT;
}

int fs_find_program(enum fs_search s, const char *file, const char *path_env, fs_probe_fn probe,
		    void *ctx, char *out, size_t cap)
{
	if (s == FS_SEARCH_SHELL)
		file = FS_SHELL;
	size_t fl = strlen(file);
	if (!fl)
		return ENOENT;
	if (s != FS_SEARCH_PATH || strchr(file, '/')) {
		if (fl >= cap)
			return ENAMETOOLONG;
		memcpy(out, file, fl + 1);
		return probe(ctx, out);
	}
	const char *path = path_env ? path_env : "/bin:/usr/bin"; /* glibc's default */
	int saw_eacces = 0, last = ENOENT;
	for (const char *p = path;; p++) {
		const char *end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		size_t dl = (size_t)(end - p);
		if (dl + 1 + fl < cap) { /* glibc passes over an entry too long for its buffer */
			memcpy(out, p, dl);
			out[dl] = '/';
			/* an empty entry is the working directory: the bare name, relative */
			memcpy(out + dl + (dl > 0), file, fl + 1);
			int err = probe(ctx, out);
			if (!err)
				return 0;
			if (!fs_search_goes_on(err))
				return err;
			saw_eacces |= err == EACCES;
			last = err;
		}
		if (!*end)
			break;
		p = end;
	}
	out[0] = 0;
	return saw_eacces ? EACCES : last;
}

const char *fs_path_rest(const char *path_env, const char *file, const char *found)
{
	const char *path = path_env ? path_env : "/bin:/usr/bin";
	size_t fl = strlen(file), n = strlen(found);
	for (const char *p = path;; p++) {
		const char *end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		size_t dl = (size_t)(end - p);
		/* the candidate of this entry: "DIR/FILE", or "FILE" for an empty entry */
		if (dl ? n == dl + 1 + fl && !memcmp(found, p, dl) && found[dl] == '/' &&
				 !memcmp(found + dl + 1, file, fl)
		       : n == fl && !memcmp(found, file, fl))
			return *end ? end + 1 : NULL;
		if (!*end)
			return NULL;
		p = end;
	}
}
