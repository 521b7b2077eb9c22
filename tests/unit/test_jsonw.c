/*
 * test_jsonw.c — the bounded JSON writer: escaping of any bytes, truncation, limits.
 */
#include "jsonw.h"

#include <criterion/criterion.h>
#include <string.h>

static const char *escape(const char *in, size_t n)
{
	static char out[1024];
	size_t len;
	jw_escape(in, n, out, sizeof out - 1, &len);
	out[len] = 0;
	return out;
}

Test(jsonw, escapes_quotes_backslashes_and_controls)
{
	cr_assert_str_eq(escape("a\"b\\c", 5), "a\\\"b\\\\c");
	cr_assert_str_eq(escape("\n\r\t", 3), "\\n\\r\\t");
	cr_assert_str_eq(escape("\x01\x1f\x7f", 3), "\\u0001\\u001f\\u007f");
	cr_assert_str_eq(escape("nul\0here", 8), "nul\\u0000here");
}

Test(jsonw, keeps_valid_utf8)
{
	const char *s = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
	cr_assert_str_eq(escape(s, strlen(s)), s);
}

Test(jsonw, replaces_invalid_utf8_bytes)
{
	/* a lone continuation byte, a truncated sequence, an overlong '/', a surrogate, > U+10FFFF */
	cr_assert_str_eq(escape("\x80", 1), "\\ufffd");
	cr_assert_str_eq(escape("a\xc3", 2), "a\\ufffd");
	cr_assert_str_eq(escape("\xc0\xaf", 2), "\\ufffd\\ufffd");
	cr_assert_str_eq(escape("\xed\xa0\x80", 3), "\\ufffd\\ufffd\\ufffd");
	cr_assert_str_eq(escape("\xf4\x90\x80\x80", 4), "\\ufffd\\ufffd\\ufffd\\ufffd");
	cr_assert_str_eq(escape("\xff\xfe", 2), "\\ufffd\\ufffd");
}

Test(jsonw, never_cuts_inside_an_escape_or_character)
{
	char out[16];
	size_t len;
	/* "é" is 2 bytes: with room for 1, nothing of it is written */
	size_t used = jw_escape("\xc3\xa9", 2, out, 1, &len);
	cr_assert_eq(used, 0);
	cr_assert_eq(len, 0);
	used = jw_escape("\n", 1, out, 1, &len);
	cr_assert_eq(used, 0);
}

Test(jsonw, object_with_fields)
{
	char buf[256];
	struct jsonw w;
	jw_init(&w, buf, sizeof buf);
	jw_object_open(&w);
	jw_str(&w, "a", "x", 100);
	jw_int(&w, "n", -42);
	jw_bool(&w, "t", 1);
	jw_array_open(&w, "l");
	jw_str(&w, NULL, "1", 10);
	jw_str(&w, NULL, "2", 10);
	jw_array_close(&w);
	jw_object_close(&w);
	buf[w.len] = 0;
	cr_assert_str_eq(buf, "{\"a\":\"x\",\"n\":-42,\"t\":true,\"l\":[\"1\",\"2\"]}");
	cr_assert_eq(w.truncated, 0);
}

Test(jsonw, truncates_with_marker_within_budget)
{
	char buf[256];
	struct jsonw w;
	jw_init(&w, buf, sizeof buf);
	char big[200];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	jw_str(&w, NULL, big, 50);
	buf[w.len] = 0;
	cr_assert(w.truncated);
	cr_assert_leq(w.len, 52u); /* budget plus the two quotes */
	cr_assert(strstr(buf, JSONW_TRUNCATED_MARK "\"") != NULL);
}

Test(jsonw, never_exceeds_cap)
{
	char buf[64];
	struct jsonw w;
	jw_init(&w, buf, 40);
	jw_object_open(&w);
	jw_str(&w, "k", "a very long value that does not fit at all in forty bytes", 1000);
	cr_assert_leq(w.len, 40u);
}
