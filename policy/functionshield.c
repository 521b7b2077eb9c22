/*
 * functionshield.c — accept a PureSec FunctionShield policy by translating it into fnshield's
 * language (SPEC: "A FunctionShield policy … is also accepted and translated").
 *
 * FunctionShield had four switches, each "block", "alert" or "allow":
 *
 *   create_child_process   → "exec": ACTION
 *   outbound_connectivity  → "connect": {"default": ACTION, "allow": AWS endpoints}
 *                            (FunctionShield always let traffic to AWS endpoints through)
 *   read_write_tmp         → ACTION on everything under /tmp, in both "read" and "write"
 *   read_handler           → ACTION on everything under /var/task in "read", outside init (the
 *                            runtime itself reads the handler while the function starts)
 *
 * The policy's mode is "block", so each switch acts as written; FNSHIELD_MODE=alert still
 * turns every block into an alert.
 */
#include "functionshield.h"

#include "cJSON.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const FS_KEYS[] = {
	"create_child_process", "outbound_connectivity", "read_write_tmp", "read_handler",
};
enum { CHILD, OUTBOUND, TMP, HANDLER, NKEYS };

/* AWS service endpoints, as FunctionShield's "AWS endpoints are always allowed". */
#define AWS_ENDPOINTS "\"*.amazonaws.com\", \"*.amazonaws.com.cn\", \"*.api.aws\""

static int action_of(const cJSON *v)
{
	if (!cJSON_IsString(v))
		return -1;
	for (int a = FS_ALLOW; a <= FS_BLOCK; a++)
		if (!strcmp(v->valuestring, fs_action_name(a)))
			return a;
	return -1;
}

/* Line and column of the first `"key"` in the text: good enough to point at a switch. */
static void locate(const char *text, size_t len, const char *key, int *line, int *col)
{
	char needle[64];
	snprintf(needle, sizeof needle, "\"%s\"", key);
	const char *hit = memmem(text, len, needle, strlen(needle));
	*line = *col = 0;
	if (!hit)
		return;
	*line = 1;
	*col = 1;
	for (const char *p = text; p < hit; p++) {
		if (*p == '\n') {
			++*line;
			*col = 1;
		} else {
			++*col;
		}
	}
}

int fs_functionshield_translate(const char *text, size_t len, char **out, size_t *outlen,
				struct fs_errors *errs)
{
	cJSON *root = cJSON_ParseWithLength(text, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return 0; /* not ours to judge: the normal parser reports it */
	}
	int found = 0, act[NKEYS];
	for (int k = 0; k < NKEYS; k++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, FS_KEYS[k]);
		act[k] = v ? action_of(v) : FS_ALLOW;
		found |= v != NULL;
	}
	if (!found) {
		cJSON_Delete(root);
		return 0;
	}
	for (const cJSON *m = root->child; m; m = m->next) {
		int known = 0;
		for (int k = 0; k < NKEYS; k++)
			known |= !strcmp(m->string, FS_KEYS[k]);
		if (known && action_of(m) >= 0)
			continue;
		struct fs_error e = {0};
		locate(text, len, m->string, &e.line, &e.column);
		snprintf(e.path, sizeof e.path, "%s", m->string);
		if (known)
			snprintf(e.message, sizeof e.message, "FunctionShield switch \"%.60s\" must be "
				 "\"block\", \"alert\" or \"allow\"", m->string);
		else
			snprintf(e.message, sizeof e.message, "unknown key \"%.60s\" in a FunctionShield "
				 "policy; expected create_child_process, outbound_connectivity, "
				 "read_write_tmp or read_handler (FunctionShield and fnshield keys cannot "
				 "be mixed)", m->string);
		if (errs->count < FS_MAX_ERRORS)
			errs->e[errs->count] = e;
		errs->count++;
	}
	cJSON_Delete(root);
	if (errs->count)
		return -1;

	const char *a_child = fs_action_name(act[CHILD]), *a_out = fs_action_name(act[OUTBOUND]);
	const char *a_tmp = fs_action_name(act[TMP]), *a_hdl = fs_action_name(act[HANDLER]);
	/* read: /tmp and the handler's code in their lists; during init only the /tmp rule. */
	char read[256], init_read[128], write[128];
	snprintf(write, sizeof write, "{\"default\": \"allow\", \"%s\": [\"/tmp/**\"]}", a_tmp);
	snprintf(init_read, sizeof init_read, "{\"default\": \"allow\", \"%s\": [\"/tmp/**\"]}", a_tmp);
	if (act[TMP] == act[HANDLER])
		snprintf(read, sizeof read, "{\"default\": \"allow\", \"%s\": [\"/tmp/**\", \"/var/task/**\"]}", a_tmp);
	else
		snprintf(read, sizeof read, "{\"default\": \"allow\", \"%s\": [\"/tmp/**\"], \"%s\": [\"/var/task/**\"]}",
			 a_tmp, a_hdl);
	int n = asprintf(out,
			 "{\"version\": 1, \"mode\": \"block\",\n"
			 " \"exec\": \"%s\",\n"
			 " \"connect\": {\"default\": \"%s\", \"allow\": [" AWS_ENDPOINTS "]},\n"
			 " \"read\": %s,\n"
			 " \"write\": %s,\n"
			 " \"init\": {\"read\": %s}}\n",
			 a_child, a_out, read, write, init_read);
	if (n < 0) {
		*out = NULL;
		return -1;
	}
	*outlen = (size_t)n;
	return 1;
}
