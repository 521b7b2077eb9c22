/*
 * logline.c — format fnshield's JSON lines (see logline.h).
 */
#include "logline.h"
#include "fields.h"
#include "jsonw.h"

#include <string.h>
#include <time.h>

#define FNSHIELD_VERSION "0.1.0"

/* Civil date from days since 1970-01-01 (Howard Hinnant's algorithm): gmtime_r is not on the
 * async-signal-safe list, and this runs in signal handlers and vfork children. */
static void civil_from_days(long z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long yy = (long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static void put_digits(char *p, unsigned v, int n)
{
	while (n--) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

long long logline_timestamp(char out[32])
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	long days = ts.tv_sec / 86400, secs = ts.tv_sec % 86400;
	int y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	memcpy(out, "0000-00-00T00:00:00.000Z", 25);
	put_digits(out, (unsigned)y, 4);
	put_digits(out + 5, mo, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, (unsigned)(secs / 3600), 2);
	put_digits(out + 14, (unsigned)(secs / 60 % 60), 2);
	put_digits(out + 17, (unsigned)(secs % 60), 2);
	put_digits(out + 20, (unsigned)(ts.tv_nsec / 1000000), 3);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long head(struct jsonw *w, const char *kind, const char *level)
{
	char ts[32];
	long long ms = logline_timestamp(ts);
	jw_object_open(w);
	jw_str(w, LF_KIND, kind, 16);
	jw_str(w, LF_TIMESTAMP, ts, 32);
	jw_str(w, LF_LEVEL, level, 8);
	return ms;
}

/* Fields every line ends with: who logged, and (under Lambda) for which function. Bounded:
 * at most TAIL_MAX bytes. */
#define TAIL_MAX 1100
#define RESERVE_EMF 640
#define ID_MAX 128 /* a Lambda request id (the shim keeps LAMBDA_ID_MAX bytes of it) */
static void tail(struct jsonw *w, const struct log_context *c)
{
	jw_int(w, LF_PID, c->pid);
	jw_str(w, LF_EXE, c->exe, 256);
	if (c->phase) {
		jw_str(w, LF_PHASE, c->phase, 8);
		if (c->request_id) {
			jw_str(w, LF_REQUEST_ID, c->request_id, ID_MAX);
			if (c->trace_id && c->trace_id[0])
				jw_str(w, LF_TRACE_ID, c->trace_id, ID_MAX + 32);
		}
	}
	if (c->function && c->function[0])
		jw_str(w, LF_FUNCTION, c->function, 170);
}

/* The line's end: "truncated" when any field was cut, and the closing brace. */
static void close_line(struct jsonw *w)
{
	if (w->truncated)
		jw_bool(w, LF_TRUNCATED, 1);
	jw_object_close(w);
}

/* CloudWatch Embedded Metric Format: under Lambda, every violation line is also a metric
 * datapoint, "violations" by function, category and action, with no setup. The dimension values
 * are the line's own "function", "category" and "action" fields. */
#define EMF_MAX 300
static void emf(struct jsonw *w, const struct log_context *c, long long ms, unsigned long count)
{
	if (!c->function || !c->function[0])
		return;
	jw_object_open_key(w, LF_EMF);
	jw_int(w, LF_EMF_TIMESTAMP, ms);
	jw_array_open(w, LF_EMF_METRICS);
	jw_object_open(w);
	jw_str(w, LF_EMF_NAMESPACE, c->metrics_namespace ? c->metrics_namespace : "fnshield", 256);
	jw_raw(w, LF_EMF_DIMENSIONS, "[[\"" LF_FUNCTION "\",\"" LF_CATEGORY "\",\"" LF_ACTION "\"],"
				     "[\"" LF_CATEGORY "\",\"" LF_ACTION "\"]]");
	jw_raw(w, LF_EMF_METRIC_LIST, "[{\"Name\":\"" LF_VIOLATIONS "\",\"Unit\":\"Count\"}]");
	jw_object_close(w);
	jw_array_close(w);
	jw_object_close(w);
	jw_int(w, LF_VIOLATIONS, (long long)count);
}

static size_t finish(struct jsonw *w)
{
	/* jw never exceeds cap, and cap leaves one byte for the newline. */
	w->buf[w->len++] = '\n';
	return w->len;
}

size_t logline_format_violation(const struct log_context *c, const struct violation *v,
				char *buf, size_t cap)
{
	struct jsonw w;
	jw_init(&w, buf, cap - 1);
	int block = v->action == FS_BLOCK;
	long long ms = head(&w, LK_VIOLATION, block ? "ERROR" : "WARN");
	jw_str(&w, LF_ACTION, fs_action_name(v->action), 8);
	jw_str(&w, LF_CATEGORY, fs_category_name(v->category), 8);
	jw_str(&w, LF_CALL, v->call, 32);
	if (v->interposition)
		jw_str(&w, LF_INTERPOSITION, v->interposition, 16);
	/* Variable parts get what is left after the tail and the rule are reserved. */
	/* The native stack, when the policy asks (not for a summary of repeats: its stack would be
	 * one of many, or the exit path's); it has its own budget, reserved here. */
	const int bt = v->count <= 1 && c->backtrace;
	/* The managed origin likewise (not for a summary either): written last, its frames get
	 * exactly what every other field left, so they are the first thing cut; the origin
	 * object has LOGLINE_ORIGIN_MAX kept for it from the target and argv. */
	const int managed = v->count <= 1 && c->origin;
	const size_t after = TAIL_MAX + 128 + RESERVE_EMF + (bt ? c->backtrace_budget : 0);
	const size_t reserve = after + (managed ? LOGLINE_ORIGIN_MAX : 0);
	jw_str(&w, LF_TARGET, v->target, jw_room(&w, reserve) / 2);
	if (v->resolved)
		jw_str(&w, LF_RESOLVED, v->resolved, jw_room(&w, reserve) / 3);
	if (v->ip) {
		jw_str(&w, LF_IP, v->ip, 48);
		jw_int(&w, LF_PORT, v->port);
		if (v->host)
			jw_str(&w, LF_HOST, v->host, 300);
	}
	if (v->argv) {
		jw_array_open(&w, LF_ARGV);
		size_t i;
		for (i = 0; v->argv[i]; i++) {
			/* Each element needs room for itself, a separator, and a possible final
			 * "...[N more]" element. */
			size_t room = jw_room(&w, reserve + 40);
			if (room < 24)
				break;
			jw_str(&w, NULL, v->argv[i], room > 1024 ? 1024 : room);
		}
		if (v->argv[i]) {
			size_t more = 0;
			while (v->argv[i + more])
				more++;
			char note[40] = "...[";
			char *p = note + 4;
			char digits[24];
			int nd = 0;
			do {
				digits[nd++] = (char)('0' + more % 10);
				more /= 10;
			} while (more);
			while (nd)
				*p++ = digits[--nd];
			memcpy(p, " more, truncated]", 18);
			jw_str(&w, NULL, note, 40);
			w.truncated = 1;
		}
		jw_array_close(&w);
	}
	char rule[96];
	fs_rule_name(v->category, v->verdict, rule, sizeof rule);
	if (bt)
		c->backtrace(&w, LF_BACKTRACE, c->backtrace_budget);
	jw_str(&w, LF_RULE, rule, 96);
	if (v->count > 1) {
		jw_int(&w, LF_COUNT, (long long)v->count);
		jw_bool(&w, LF_REPEATED, 1);
	}
	emf(&w, c, ms, v->count > 1 ? v->count : 1);
	tail(&w, c);
	if (managed)
		c->origin(&w, jw_room(&w, sizeof ",\"" LF_TRUNCATED "\":true}"));
	close_line(&w);
	return finish(&w);
}

size_t logline_format_start(const struct log_context *c, const char *source, const char *digest,
			    int mode, unsigned protections, const char *seccomp,
			    const char *supervisor, char *buf, size_t cap)
{
	struct jsonw w;
	jw_init(&w, buf, cap - 1);
	head(&w, LK_START, "INFO");
	jw_str(&w, LF_VERSION, FNSHIELD_VERSION, 16);
	jw_str(&w, LF_MODE, mode == FS_MODE_BLOCK ? "block" : "alert", 8);
	jw_str(&w, LF_POLICY, source, 1024);
	jw_str(&w, LF_DIGEST, digest, 80);
	/* What is in force: categories the policy restricts, and the interposition itself. */
	jw_array_open(&w, LF_PROTECTIONS);
	for (int k = 0; k < FS_NCATEGORIES; k++)
		if (protections & (1u << k))
			jw_str(&w, NULL, fs_category_name(k), 16);
	jw_array_close(&w);
	jw_str(&w, LF_INTERPOSITION, "preload", 16);
	jw_str(&w, LF_SECCOMP, seccomp, 96);
	if (supervisor)
		jw_str(&w, LF_SUPERVISOR, supervisor, 96);
	tail(&w, c);
	close_line(&w);
	return finish(&w);
}

size_t logline_format_error(const struct log_context *c, const char *message,
			    const char *json_path, int line, int column, const char *source,
			    char *buf, size_t cap)
{
	struct jsonw w;
	jw_init(&w, buf, cap - 1);
	head(&w, LK_ERROR, "ERROR");
	jw_str(&w, LF_MESSAGE, message, 1500);
	if (json_path)
		jw_str(&w, LF_PATH, json_path, 400);
	if (line > 0) {
		jw_int(&w, LF_LINE, line);
		jw_int(&w, LF_COLUMN, column);
	}
	if (source)
		jw_str(&w, LF_SOURCE, source, 1024);
	tail(&w, c);
	close_line(&w);
	return finish(&w);
}

void logline_copy(char *out, size_t cap, const char *s)
{
	size_t n = cap ? strnlen(s, cap - 1) : 0;
	memcpy(out, s, n);
	if (cap)
		out[n] = 0;
}
