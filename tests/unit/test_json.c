/* Unit tests for strict JSON parsing and the typed field readers (services/core/json.h). */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"

/* Parses `len` bytes and returns the status; the tree, if any, is freed. */
static json_status_t parse_len(const char *text, size_t len, char *detail, size_t detail_len) {
    cJSON *root = (cJSON *)1;
    json_status_t st = json_parse_strict(text, len, &root, detail, detail_len);
    if (st == JSON_OK)
        cr_assert_not_null(root);
    else
        cr_assert_null(root, "a failed parse must leave *out NULL");
    cJSON_Delete(root);
    return st;
}

static json_status_t parse(const char *text) {
    char detail[160];
    return parse_len(text, strlen(text), detail, sizeof(detail));
}

/* Builds `n` opening brackets, a core, and the matching closers. Caller frees. */
static char *nested(int n, const char *open, const char *core, const char *close) {
    size_t ol = strlen(open), cl = strlen(close), kl = strlen(core);
    char *s = malloc((size_t)n * (ol + cl) + kl + 1);
    char *p = s;
    cr_assert_not_null(s);
    for (int i = 0; i < n; i++, p += ol)
        memcpy(p, open, ol);
    memcpy(p, core, kl);
    p += kl;
    for (int i = 0; i < n; i++, p += cl)
        memcpy(p, close, cl);
    *p = '\0';
    return s;
}

/* ---- json_parse_strict ----------------------------------------------------------------------- */

Test(json, accepts_valid_objects_and_arrays) {
    static const char *const ok[] = {
        "{}",
        "[]",
        "{\"a\":1}",
        "[1,2,3]",
        "{\"a\":[1,{\"b\":null}],\"c\":\"d\"}",
        "\"text\"",
        "42",
        "-1.5e3",
        "true",
        "false",
        "null",
        " \t\r\n{ \"a\" : [ ] }\r\n ",
        "{\"A\":1,\"a\":2}",
        "[{\"a\":1},{\"a\":2}]",
        "[\"\\n\\t\\\"\\\\\\u0001\\u00e9\"]",
        "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"]",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_expect_eq(parse(ok[i]), JSON_OK, "refused %s", ok[i]);
}

Test(json, returns_the_parsed_tree) {
    const char *text = "{\"name\":\"Alpha\",\"count\":3,\"tags\":[\"x\",\"y\"],\"on\":true}";
    cJSON *root = NULL;
    cr_assert_eq(json_parse_strict(text, strlen(text), &root, NULL, 0), JSON_OK);
    cr_assert_str_eq(cJSON_GetObjectItem(root, "name")->valuestring, "Alpha");
    cr_assert_eq(cJSON_GetObjectItem(root, "count")->valueint, 3);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(root, "tags")), 2);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(root, "on")));
    cJSON_Delete(root);
}

Test(json, reads_only_len_bytes) {
    const char *text = "{\"a\":1}GARBAGE";
    char detail[160];
    cr_assert_eq(parse_len(text, 7, detail, sizeof(detail)), JSON_OK);
    cr_assert_eq(parse_len(text, 8, detail, sizeof(detail)), JSON_EINVALID);
}

Test(json, refuses_invalid_json) {
    static const char *const bad[] = {
        "",          " ",       "{",          "}",           "[1,]",        "{\"a\":1,}",
        "{a:1}",     "{'a':1}", "[1 2]",      "nul",         "tru",         "[\"unterminated]",
        "[\"\\x\"]", "[-]",     "[+1]",       "[.5]",        "[0x10]",      "{\"a\"}",
        "{\"a\" 1}", "[NaN]",   "[Infinity]", "\"\\ud800\"", "\"\\udc00\"", "{1:2}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(parse(bad[i]), JSON_EINVALID, "accepted %s", bad[i]);
}

Test(json, refuses_trailing_data) {
    static const char *const bad[] = {"{} x", "[1][2]", "{}{}", "1 2", "\"a\"\"b\"", "{},"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(parse(bad[i]), JSON_EINVALID, "accepted %s", bad[i]);
    char detail[160];
    cr_assert_eq(parse_len("{}\0", 3, detail, sizeof(detail)), JSON_EINVALID);
}

Test(json, describes_trailing_data_with_its_offset) {
    char detail[160];
    cr_assert_eq(parse_len("[1]  x", 6, detail, sizeof(detail)), JSON_EINVALID);
    cr_assert_str_eq(detail, "unexpected data after the JSON value at byte 5");
}

Test(json, describes_syntax_error_with_its_offset) {
    char detail[160];
    cr_assert_eq(parse_len("[1,]", 4, detail, sizeof(detail)), JSON_EINVALID);
    cr_assert_str_eq(detail, "syntax error at byte 3");
}

Test(json, refuses_control_characters_and_nul_inside_strings) {
    char detail[160];
    /* A NUL, raw or escaped, would silently cut the string short. */
    cr_expect_eq(parse_len("[\"a\0b\"]", 7, detail, sizeof(detail)), JSON_EINVALID);
    cr_expect_str_eq(detail, "control character or NUL in a string at byte 3");
    cr_expect_eq(parse("{\"name\":\"admin\\u0000x\"}"), JSON_EINVALID);
    cr_expect_eq(parse("{\"a\\u0000\":1}"), JSON_EINVALID);
    cr_expect_eq(parse("[\"line\nbreak\"]"), JSON_EINVALID);
    cr_expect_eq(parse("[\"tab\there\"]"), JSON_EINVALID);
    cr_expect_eq(parse("[\"\x1f\"]"), JSON_EINVALID);
    /* Escaped forms are fine, and so is an escaped backslash before "u0000". */
    cr_expect_eq(parse("[\"line\\nbreak\\u001f\"]"), JSON_OK);
    cr_expect_eq(parse("[\"\\\\u0000\"]"), JSON_OK);
    /* Whitespace between tokens is not inside a string. */
    cr_expect_eq(parse("[\n1,\t2]"), JSON_OK);
}

Test(json, refuses_invalid_utf8) {
    static const struct {
        const char *text;
        const char *what;
    } bad[] = {
        {"[\"\x80\"]", "lone continuation byte"},
        {"[\"\xc0\xaf\"]", "overlong 2-byte"},
        {"[\"\xe0\x80\xaf\"]", "overlong 3-byte"},
        {"[\"\xf0\x80\x80\xaf\"]", "overlong 4-byte"},
        {"[\"\xed\xa0\x80\"]", "surrogate"},
        {"[\"\xc3\"]", "truncated sequence"},
        {"[\"\xe2\x82\"]", "truncated 3-byte sequence"},
        {"[\"\xf4\x90\x80\x80\"]", "above U+10FFFF"},
        {"[\"\xff\"]", "invalid byte"},
        {"{\"k\xc3\":1}", "in a key"},
        {"[1]\xc3", "truncated at the very end"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_eq(parse(bad[i].text), JSON_EUTF8, "accepted %s", bad[i].what);
}

Test(json, accepts_nesting_of_exactly_max_depth) {
    cr_assert_eq(JSON_MAX_DEPTH, 64);
    char *arrays = nested(JSON_MAX_DEPTH, "[", "1", "]");
    char *objects = nested(JSON_MAX_DEPTH, "{\"a\":", "1", "}");
    char *mixed = nested(JSON_MAX_DEPTH / 2, "[{\"k\":", "1", "}]");
    cr_expect_eq(parse(arrays), JSON_OK);
    cr_expect_eq(parse(objects), JSON_OK);
    cr_expect_eq(parse(mixed), JSON_OK);
    free(arrays);
    free(objects);
    free(mixed);
}

Test(json, refuses_nesting_one_past_max_depth) {
    char *arrays = nested(JSON_MAX_DEPTH + 1, "[", "1", "]");
    char *objects = nested(JSON_MAX_DEPTH + 1, "{\"a\":", "1", "}");
    /* 32 array-object pairs are 64 levels; the innermost [] is the 65th. */
    char *mixed = nested(JSON_MAX_DEPTH / 2, "[{\"k\":", "[]", "}]");
    char detail[160];
    cr_expect_eq(parse_len(arrays, strlen(arrays), detail, sizeof(detail)), JSON_EDEPTH);
    cr_expect_str_eq(detail, "nesting deeper than 64 levels");
    cr_expect_eq(parse(objects), JSON_EDEPTH);
    cr_expect_eq(parse(mixed), JSON_EDEPTH);
    free(arrays);
    free(objects);
    free(mixed);
}

Test(json, refuses_deep_nesting_even_when_unterminated) {
    char *deep = nested(100000, "[", "", "");
    cr_assert_eq(parse(deep), JSON_EDEPTH);
    free(deep);
}

Test(json, does_not_count_brackets_inside_strings) {
    char *brackets = nested(JSON_MAX_DEPTH, "[", "\"[[[[{{{{ \\\" [[[[{{{{\"", "]");
    char *in_keys = nested(JSON_MAX_DEPTH, "{\"[{\\\"[{\":", "1", "}");
    cr_expect_eq(parse(brackets), JSON_OK);
    cr_expect_eq(parse(in_keys), JSON_OK);
    free(brackets);
    free(in_keys);
}

Test(json, refuses_duplicate_key_at_top_level) {
    char detail[160];
    const char *text = "{\"a\":1,\"b\":2,\"a\":3}";
    cr_assert_eq(parse_len(text, strlen(text), detail, sizeof(detail)), JSON_EDUPKEY);
    cr_assert_str_eq(detail, "key \"a\" appears more than once");
}

Test(json, refuses_duplicate_key_when_nested) {
    char detail[160];
    const char *text = "{\"list\":[{\"ok\":1},{\"x\":{\"id\":1,\"id\":1}}]}";
    cr_assert_eq(parse_len(text, strlen(text), detail, sizeof(detail)), JSON_EDUPKEY);
    cr_assert_str_eq(detail, "key \"id\" appears more than once");
    cr_expect_eq(parse("[{\"a\":1,\"a\":1}]"), JSON_EDUPKEY);
    cr_expect_eq(parse("{\"a\":{},\"a\":[]}"), JSON_EDUPKEY);
}

Test(json, allows_same_key_in_different_objects) {
    cr_assert_eq(parse("{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}"), JSON_OK);
}

Test(json, accepts_null_detail_and_truncates_long_detail) {
    cJSON *root = NULL;
    char small[8];
    cr_assert_eq(json_parse_strict("[1,]", 4, &root, NULL, 0), JSON_EINVALID);
    cr_assert_eq(json_parse_strict("[1,]", 4, &root, small, sizeof(small)), JSON_EINVALID);
    cr_assert_str_eq(small, "syntax ");
    cr_assert_eq(json_parse_strict("[1,]x", 5, &root, small, 1), JSON_EINVALID);
    cr_assert_str_eq(small, "");
}

/* ---- utf8_valid --------------------------------------------------------------------------------
 */

Test(utf8, accepts_well_formed_text_at_every_length_boundary) {
    static const char *const ok[] = {
        "",
        "plain ascii",
        "\xc2\x80",         /* U+0080 */
        "\xdf\xbf",         /* U+07FF */
        "\xe0\xa0\x80",     /* U+0800 */
        "\xed\x9f\xbf",     /* U+D7FF, just below the surrogates */
        "\xee\x80\x80",     /* U+E000, just above them */
        "\xef\xbf\xbf",     /* U+FFFF */
        "\xf0\x90\x80\x80", /* U+10000 */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF */
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_expect(utf8_valid(ok[i], strlen(ok[i])), "refused case %zu", i);
    cr_expect(utf8_valid("a\0b", 3), "NUL is a valid code point");
}

Test(utf8, refuses_malformed_sequences) {
    static const char *const bad[] = {
        "\x80",
        "\xbf",
        "\xc0\xaf",
        "\xc1\xbf",
        "\xe0\x80\xaf",
        "\xe0\x9f\xbf",
        "\xf0\x80\x80\xaf",
        "\xf0\x8f\xbf\xbf",
        "\xed\xa0\x80",
        "\xed\xbf\xbf",
        "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80",
        "\xf8\x88\x80\x80\x80",
        "\xfe",
        "\xff",
        "\xc3",
        "\xe2\x82",
        "\xf0\x9f\x98",
        "\xc3\x41",
        "\xe2\x28\xa1",
        "ok\xc3",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_not(utf8_valid(bad[i], strlen(bad[i])), "accepted case %zu", i);
}

Test(utf8, reads_only_len_bytes) {
    cr_assert(utf8_valid("\xc3\xa9\xff", 2));
    cr_assert_not(utf8_valid("\xc3\xa9", 1));
}

/* ---- field readers -----------------------------------------------------------------------------
 */

static cJSON *body;
static json_field_error_t err;

static void parse_body(void) {
    const char *text =
        "{\"name\":\"Alpha\",\"empty\":\"\",\"count\":7,\"half\":1.5,\"neg\":-3,"
        "\"big\":1e300,\"inf\":1e999,\"huge\":9223372036854775807,\"flag\":true,\"off\":false,"
        "\"nothing\":null,\"list\":[1],\"obj\":{},\"text_num\":\"7\","
        "\"status\":\"active\",\"id\":\"123e4567-e89b-12d3-a456-426614174000\","
        "\"day\":\"2024-02-29\",\"bad_day\":\"2023-02-29\",\"long\":"
        "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}";
    cr_assert_eq(json_parse_strict(text, strlen(text), &body, NULL, 0), JSON_OK);
    memset(&err, 0, sizeof(err));
}

static void free_body(void) {
    cJSON_Delete(body);
    body = NULL;
}

TestSuite(json_field, .init = parse_body, .fini = free_body);

#define cr_assert_field_error(field_name, text)                                                    \
    do {                                                                                           \
        cr_assert_str_eq(err.field, field_name);                                                   \
        cr_assert_str_eq(err.message, text);                                                       \
    } while (0)

Test(json_field, reads_required_string) {
    const char *s = NULL;
    cr_assert_eq(json_get_string(body, "name", 1, 1, 10, &s, &err), 0);
    cr_assert_str_eq(s, "Alpha");
}

Test(json_field, refuses_missing_required_string) {
    const char *s = NULL;
    cr_assert_eq(json_get_string(body, "missing", 1, 0, 10, &s, &err), -1);
    cr_assert_field_error("missing", "missing is required");
    cr_assert_null(s);
}

Test(json_field, treats_null_as_absent) {
    const char *s = "unchanged";
    long n = 42;
    int b = 5;
    cr_assert_eq(json_get_string(body, "nothing", 1, 0, 10, &s, &err), -1);
    cr_assert_field_error("nothing", "nothing is required");
    cr_assert_eq(json_get_string(body, "nothing", 0, 0, 10, &s, &err), 0);
    cr_assert_str_eq(s, "unchanged");
    cr_assert_eq(json_get_int(body, "nothing", 0, 0, 10, &n, &err), 0);
    cr_assert_eq(n, 42);
    cr_assert_eq(json_get_bool(body, "nothing", 0, &b, &err), 0);
    cr_assert_eq(b, 5);
}

Test(json_field, leaves_optional_absent_values_unchanged) {
    const char *s = "unchanged";
    long n = 42;
    int b = 5;
    static const char *const allowed[] = {"a", NULL};
    cr_assert_eq(json_get_string(body, "missing", 0, 1, 10, &s, &err), 0);
    cr_assert_eq(json_get_enum(body, "missing", 0, allowed, &s, &err), 0);
    cr_assert_eq(json_get_uuid(body, "missing", 0, &s, &err), 0);
    cr_assert_eq(json_get_date(body, "missing", 0, &s, &err), 0);
    cr_assert_str_eq(s, "unchanged");
    cr_assert_eq(json_get_int(body, "missing", 0, 0, 10, &n, &err), 0);
    cr_assert_eq(n, 42);
    cr_assert_eq(json_get_bool(body, "missing", 0, &b, &err), 0);
    cr_assert_eq(b, 5);
}

Test(json_field, refuses_string_of_wrong_type) {
    const char *s = NULL;
    cr_assert_eq(json_get_string(body, "count", 0, 0, 10, &s, &err), -1);
    cr_assert_field_error("count", "count must be a string");
    cr_assert_eq(json_get_string(body, "list", 1, 0, 10, &s, &err), -1);
    cr_assert_eq(json_get_string(body, "flag", 1, 0, 10, &s, &err), -1);
    cr_assert_null(s);
}

Test(json_field, enforces_string_length_bounds_inclusively) {
    const char *s = NULL;
    cr_assert_eq(json_get_string(body, "name", 1, 5, 5, &s, &err), 0);
    cr_assert_eq(json_get_string(body, "name", 1, 6, 10, &s, &err), -1);
    cr_assert_field_error("name", "name must be 6 to 10 characters long");
    cr_assert_eq(json_get_string(body, "name", 1, 1, 4, &s, &err), -1);
    cr_assert_field_error("name", "name must be 1 to 4 characters long");
    cr_assert_eq(json_get_string(body, "empty", 1, 1, 4, &s, &err), -1);
    cr_assert_eq(json_get_string(body, "empty", 1, 0, 4, &s, &err), 0);
    cr_assert_str_eq(s, "");
}

Test(json_field, reads_int_within_bounds_inclusively) {
    long n = 0;
    cr_assert_eq(json_get_int(body, "count", 1, 7, 7, &n, &err), 0);
    cr_assert_eq(n, 7);
    cr_assert_eq(json_get_int(body, "neg", 1, -3, 0, &n, &err), 0);
    cr_assert_eq(n, -3);
    cr_assert_eq(json_get_int(body, "count", 1, LONG_MIN, LONG_MAX, &n, &err), 0);
}

Test(json_field, refuses_int_out_of_bounds) {
    long n = 99;
    cr_assert_eq(json_get_int(body, "count", 1, 1, 6, &n, &err), -1);
    cr_assert_field_error("count", "count must be a whole number from 1 to 6");
    cr_assert_eq(json_get_int(body, "count", 1, 8, 10, &n, &err), -1);
    cr_assert_eq(json_get_int(body, "neg", 1, 0, 10, &n, &err), -1);
    cr_assert_eq(n, 99);
}

Test(json_field, refuses_fractional_and_non_numeric_int) {
    long n = 99;
    cr_assert_eq(json_get_int(body, "half", 1, 0, 10, &n, &err), -1);
    cr_assert_field_error("half", "half must be a whole number from 0 to 10");
    cr_assert_eq(json_get_int(body, "text_num", 1, 0, 10, &n, &err), -1);
    cr_assert_eq(json_get_int(body, "flag", 1, 0, 10, &n, &err), -1);
    cr_assert_eq(json_get_int(body, "list", 1, 0, 10, &n, &err), -1);
    cr_assert_eq(json_get_int(body, "missing", 1, 0, 10, &n, &err), -1);
    cr_assert_field_error("missing", "missing is required");
    cr_assert_eq(n, 99);
}

Test(json_field, refuses_int_beyond_the_range_of_long) {
    long n = 99;
    cr_assert_eq(json_get_int(body, "big", 1, LONG_MIN, LONG_MAX, &n, &err), -1);
    cr_assert_eq(json_get_int(body, "inf", 1, LONG_MIN, LONG_MAX, &n, &err), -1);
    cr_assert_eq(json_get_int(body, "huge", 1, LONG_MIN, LONG_MAX, &n, &err), -1);
    cr_assert_eq(json_get_int(body, "big", 1, 0, 10, &n, &err), -1);
    cr_assert_eq(n, 99);
}

Test(json_field, reads_bool) {
    int b = -1;
    cr_assert_eq(json_get_bool(body, "flag", 1, &b, &err), 0);
    cr_assert_eq(b, 1);
    cr_assert_eq(json_get_bool(body, "off", 1, &b, &err), 0);
    cr_assert_eq(b, 0);
}

Test(json_field, refuses_bool_of_wrong_type) {
    int b = -1;
    cr_assert_eq(json_get_bool(body, "count", 1, &b, &err), -1);
    cr_assert_field_error("count", "count must be true or false");
    cr_assert_eq(json_get_bool(body, "name", 0, &b, &err), -1);
    cr_assert_eq(json_get_bool(body, "missing", 1, &b, &err), -1);
    cr_assert_eq(b, -1);
}

static const char *const statuses[] = {"draft", "active", "closed", NULL};

Test(json_field, reads_enum_value_from_the_allowed_list) {
    const char *s = NULL;
    cr_assert_eq(json_get_enum(body, "status", 1, statuses, &s, &err), 0);
    cr_assert_str_eq(s, "active");
}

Test(json_field, refuses_enum_value_outside_the_list_and_names_the_choices) {
    const char *s = NULL;
    cr_assert_eq(json_get_enum(body, "name", 1, statuses, &s, &err), -1);
    cr_assert_field_error("name", "name must be one of: draft, active, closed");
    cr_assert_null(s);
}

Test(json_field, refuses_optional_enum_of_wrong_type_or_length) {
    const char *s = NULL;
    cr_assert_eq(json_get_enum(body, "count", 0, statuses, &s, &err), -1);
    cr_assert_field_error("count", "count must be a string");
    cr_assert_eq(json_get_enum(body, "long", 0, statuses, &s, &err), -1);
    cr_assert_eq(json_get_enum(body, "missing", 1, statuses, &s, &err), -1);
    cr_assert_field_error("missing", "missing is required");
    cr_assert_null(s);
}

Test(json_field, reads_uuid_and_refuses_other_strings) {
    const char *s = NULL;
    cr_assert_eq(json_get_uuid(body, "id", 1, &s, &err), 0);
    cr_assert_str_eq(s, "123e4567-e89b-12d3-a456-426614174000");
    s = NULL;
    cr_assert_eq(json_get_uuid(body, "name", 1, &s, &err), -1);
    cr_assert_field_error("name", "name must be a UUID");
    cr_assert_eq(json_get_uuid(body, "count", 0, &s, &err), -1);
    cr_assert_field_error("count", "count must be a string");
    cr_assert_eq(json_get_uuid(body, "missing", 1, &s, &err), -1);
    cr_assert_null(s);
}

Test(json_field, reads_date_and_refuses_impossible_dates) {
    const char *s = NULL;
    cr_assert_eq(json_get_date(body, "day", 1, &s, &err), 0);
    cr_assert_str_eq(s, "2024-02-29");
    s = NULL;
    cr_assert_eq(json_get_date(body, "bad_day", 1, &s, &err), -1);
    cr_assert_field_error("bad_day", "bad_day must be a date in the form YYYY-MM-DD");
    cr_assert_eq(json_get_date(body, "flag", 0, &s, &err), -1);
    cr_assert_eq(json_get_date(body, "missing", 1, &s, &err), -1);
    cr_assert_null(s);
}

Test(json_field, accepts_only_known_fields) {
    static const char *const known[] = {"a", "b", NULL};
    cJSON *obj = cJSON_Parse("{\"a\":1,\"b\":2}");
    cr_assert_eq(json_only_fields(obj, known, &err), 0);
    cJSON_Delete(obj);
    obj = cJSON_Parse("{}");
    cr_assert_eq(json_only_fields(obj, known, &err), 0);
    cJSON_Delete(obj);
}

Test(json_field, names_the_unknown_field) {
    static const char *const known[] = {"a", "b", NULL};
    cJSON *obj = cJSON_Parse("{\"a\":1,\"B\":2}");
    cr_assert_eq(json_only_fields(obj, known, &err), -1);
    cr_assert_field_error("B", "unknown field \"B\"");
    cJSON_Delete(obj);
}

Test(json_field, refuses_body_that_is_not_an_object) {
    static const char *const known[] = {"a", NULL};
    cJSON *arr = cJSON_Parse("[{\"a\":1}]");
    cr_assert_eq(json_only_fields(arr, known, &err), -1);
    cr_assert_field_error("", "the body must be a JSON object");
    cJSON_Delete(arr);
}

Test(json_field, truncates_long_field_names_in_errors) {
    char name[200];
    const char *s = NULL;
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    cr_assert_eq(json_get_string(body, name, 1, 0, 10, &s, &err), -1);
    cr_assert_eq(strlen(err.field), sizeof(err.field) - 1);
    cr_assert_eq(strlen(err.message), sizeof(err.message) - 1);
}

/* ---- uuid_valid and date_valid ------------------------------------------------------------------
 */

Test(uuid, accepts_canonical_form_in_any_case) {
    cr_expect(uuid_valid("123e4567-e89b-12d3-a456-426614174000"));
    cr_expect(uuid_valid("123E4567-E89B-12D3-A456-426614174000"));
    cr_expect(uuid_valid("00000000-0000-0000-0000-000000000000"));
    cr_expect(uuid_valid("ffffffff-FFFF-ffff-FFFF-ffffffffffff"));
}

Test(uuid, refuses_other_shapes) {
    static const char *const bad[] = {
        "",
        "123e4567-e89b-12d3-a456-42661417400",   /* 35 characters */
        "123e4567-e89b-12d3-a456-4266141740000", /* 37 characters */
        "123e4567e89b-12d3-a456-426614174000-",  /* dash moved */
        "123e4567-e89b-12d3-a456_426614174000",  /* wrong separator */
        "123e4567-e89b-12d3-a456-42661417400g",  /* not hex */
        "{123e4567-e89b-12d3-a456-426614174000}",
        "123e4567e89b12d3a456426614174000",
        " 123e4567-e89b-12d3-a456-426614174000",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_not(uuid_valid(bad[i]), "accepted \"%s\"", bad[i]);
}

Test(date, accepts_existing_dates) {
    static const char *const ok[] = {"2024-02-29", "2000-02-29", "2023-02-28", "2023-12-31",
                                     "2023-01-01", "2023-04-30", "2023-07-31"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_expect(date_valid(ok[i]), "refused %s", ok[i]);
}

Test(date, refuses_dates_that_do_not_exist_or_are_misshapen) {
    static const char *const bad[] = {
        "2023-02-29",
        "1900-02-29",
        "2100-02-29",
        "2023-13-01",
        "2023-00-10",
        "2023-04-31",
        "2023-01-32",
        "2023-01-00",
        "2023-1-01",
        "2023-01-1",
        "2023/01/01",
        "20230101",
        "2023-01-01T00:00:00Z",
        "+023-01-01",
        " 2023-01-01",
        "2023-0a-01",
        "abcd-ef-gh",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_not(date_valid(bad[i]), "accepted \"%s\"", bad[i]);
}
