/* Unit tests for structured logging (services/core/log.h): escaping, and that every emitted line,
 * truncated or not, is one valid JSON object. Lines are captured by pointing stderr at a file. */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"

/* ---- capturing stderr
 * ---------------------------------------------------------------------------- */

static FILE *capture_file;
static int saved_stderr = -1;

static void capture_begin(void) {
    fflush(stderr);
    capture_file = tmpfile();
    cr_assert_not_null(capture_file);
    saved_stderr = dup(STDERR_FILENO);
    cr_assert_geq(saved_stderr, 0);
    cr_assert_geq(dup2(fileno(capture_file), STDERR_FILENO), 0);
}

/* Restores stderr and returns what was written, NUL-terminated, in `out`. */
static size_t capture_end(char *out, size_t cap) {
    cr_assert_geq(dup2(saved_stderr, STDERR_FILENO), 0);
    close(saved_stderr);
    saved_stderr = -1;
    rewind(capture_file);
    size_t n = fread(out, 1, cap - 1, capture_file);
    out[n] = '\0';
    fclose(capture_file);
    capture_file = NULL;
    return n;
}

/* Emits `line` and returns the captured text in `out`. */
static size_t emit_captured(log_line_t *line, char *out, size_t cap) {
    capture_begin();
    log_emit(line);
    return capture_end(out, cap);
}

/* Checks that `text` is exactly one line holding one JSON object, and returns the object. */
static cJSON *parse_line(const char *text, size_t len) {
    cr_assert_gt(len, 1, "nothing was written");
    cr_assert_eq(text[len - 1], '\n', "the line does not end in a newline");
    cr_assert_eq(memchr(text, '\n', len - 1), NULL, "more than one line was written");
    const char *end = NULL;
    cJSON *obj = cJSON_ParseWithLengthOpts(text, len - 1, &end, 0);
    cr_assert_not_null(obj, "not JSON: %s", text);
    cr_assert_eq(end, text + len - 1, "trailing data after the object: %s", text);
    cr_assert(cJSON_IsObject(obj));
    return obj;
}

static const char *str_field(const cJSON *obj, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    cr_assert(cJSON_IsString(item), "\"%s\" is missing or not a string", key);
    return item->valuestring;
}

static double num_field(const cJSON *obj, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    cr_assert(cJSON_IsNumber(item), "\"%s\" is missing or not a number", key);
    return item->valuedouble;
}

static int is_truncated(const cJSON *obj) {
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "truncated"));
}

/* ---- json_escape_into
 * ---------------------------------------------------------------------------- */

static void expect_escaped(const char *in, size_t len, const char *want) {
    char out[256];
    long n = json_escape_into(out, sizeof(out), in, len);
    cr_assert_eq(n, (long)strlen(want), "length %ld for \"%s\"", n, want);
    cr_assert_eq(memcmp(out, want, (size_t)n), 0, "got \"%.*s\", want \"%s\"", (int)n, out, want);
}

Test(log, escape_copies_plain_text_unchanged) {
    expect_escaped("hello /v1/clusters?x=1", 22, "hello /v1/clusters?x=1");
    expect_escaped("", 0, "");
    expect_escaped("caf\xc3\xa9 \x7f", 7, "caf\xc3\xa9 \x7f");
}

Test(log, escape_escapes_quotes_and_backslashes) {
    expect_escaped("say \"hi\"", 8, "say \\\"hi\\\"");
    expect_escaped("C:\\dir", 6, "C:\\\\dir");
}

Test(log, escape_writes_control_characters_as_unicode_escapes) {
    expect_escaped("a\nb\rc\td", 7, "a\\nb\\rc\\td");
    expect_escaped("\x01", 1, "\\u0001");
    expect_escaped("\x1f", 1, "\\u001f");
    expect_escaped("\x1b[31m", 5, "\\u001b[31m");
    expect_escaped("a\0b", 3, "a\\u0000b");
    expect_escaped("\b\f", 2, "\\u0008\\u000c");
}

Test(log, escape_returns_minus_one_when_the_buffer_is_too_small) {
    char out[8];
    cr_assert_eq(json_escape_into(out, 5, "abcde", 5), 5);
    cr_assert_eq(json_escape_into(out, 4, "abcde", 5), -1);
    cr_assert_eq(json_escape_into(out, 6, "\x01", 1), 6);
    cr_assert_eq(json_escape_into(out, 5, "\x01", 1), -1);
    cr_assert_eq(json_escape_into(out, 2, "\"", 1), 2);
    cr_assert_eq(json_escape_into(out, 1, "\"", 1), -1);
    cr_assert_eq(json_escape_into(out, 0, "", 0), 0);
    cr_assert_eq(json_escape_into(out, 0, "a", 1), -1);
}

Test(log, escape_never_writes_past_cap) {
    char out[16];
    memset(out, '#', sizeof(out));
    cr_assert_eq(json_escape_into(out, 4, "ab\"\"", 4), -1);
    for (size_t i = 4; i < sizeof(out); i++)
        cr_assert_eq(out[i], '#', "byte %zu was written", i);
}

/* ---- log lines
 * ------------------------------------------------------------------------------------ */

Test(log, line_is_one_json_object_with_time_level_and_msg) {
    char text[4096];
    log_line_t line;
    log_begin(&line, LOG_WARN, "disk \"almost\" full");
    size_t n = emit_captured(&line, text, sizeof(text));
    cJSON *obj = parse_line(text, n);
    const char *when = str_field(obj, "time");
    /* 2024-05-01T12:34:56.789Z */
    cr_assert_eq(strlen(when), 24, "time \"%s\"", when);
    cr_assert(when[4] == '-' && when[10] == 'T' && when[19] == '.' && when[23] == 'Z');
    cr_assert_str_eq(str_field(obj, "level"), "warn");
    cr_assert_str_eq(str_field(obj, "msg"), "disk \"almost\" full");
    cr_assert_not(is_truncated(obj));
    cJSON_Delete(obj);
}

Test(log, line_keeps_string_and_number_fields) {
    char text[4096];
    const char *path = "/v1/a\"b\\c\nd\x01\t\xc3\xa9";
    log_line_t line;
    log_begin(&line, LOG_INFO, "request");
    log_str(&line, "path", path);
    log_strn(&line, "method", "GETXXX", 3);
    log_str(&line, "none", NULL);
    log_int(&line, "status", 404);
    log_int(&line, "min", INT64_MIN);
    log_int(&line, "max", INT64_MAX);
    log_double(&line, "duration_ms", 1.5);
    size_t n = emit_captured(&line, text, sizeof(text));
    cJSON *obj = parse_line(text, n);
    cr_assert_str_eq(str_field(obj, "path"), path);
    cr_assert_str_eq(str_field(obj, "method"), "GET");
    cr_assert_str_eq(str_field(obj, "none"), "");
    cr_assert_eq(num_field(obj, "status"), 404);
    cr_assert_eq(num_field(obj, "duration_ms"), 1.5);
    cr_assert_not_null(strstr(text, "\"min\":-9223372036854775808"));
    cr_assert_not_null(strstr(text, "\"max\":9223372036854775807"));
    cJSON_Delete(obj);
}

Test(log, line_names_each_level) {
    static const char *const names[] = {"debug", "info", "warn", "error"};
    char text[4096];
    for (int level = LOG_DEBUG; level <= LOG_ERROR; level++) {
        log_line_t line;
        log_begin(&line, (log_level_t)level, "m");
        size_t n = emit_captured(&line, text, sizeof(text));
        cJSON *obj = parse_line(text, n);
        cr_expect_str_eq(str_field(obj, "level"), names[level]);
        cJSON_Delete(obj);
    }
}

Test(log, writes_non_finite_and_huge_doubles_as_valid_json) {
    char text[4096];
    log_line_t line;
    log_begin(&line, LOG_INFO, "m");
    log_double(&line, "nan", NAN);
    log_double(&line, "inf", INFINITY);
    log_double(&line, "huge", 1e300);
    log_double(&line, "tiny", -1e-9);
    size_t n = emit_captured(&line, text, sizeof(text));
    cJSON *obj = parse_line(text, n);
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "nan")));
    cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, "inf")));
    cr_assert_float_eq(num_field(obj, "huge"), 1e300, 1e294);
    cr_assert_eq(num_field(obj, "tiny"), 0);
    cJSON_Delete(obj);
}

Test(log, drops_a_field_that_does_not_fit_and_marks_the_line_truncated) {
    char text[8192];
    char big[3000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    log_line_t line;
    log_begin(&line, LOG_ERROR, "request");
    log_str(&line, "request_id", "r-1");
    log_str(&line, "body", big);
    log_int(&line, "status", 500);
    size_t n = emit_captured(&line, text, sizeof(text));
    cr_assert_leq(n, sizeof(line.buf));
    cJSON *obj = parse_line(text, n);
    cr_assert(is_truncated(obj));
    cr_assert_str_eq(str_field(obj, "request_id"), "r-1");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(obj, "body"));
    cJSON_Delete(obj);
}

Test(log, truncation_keeps_valid_json_when_earlier_values_hold_commas) {
    char text[8192];
    char commas[2100];
    for (size_t i = 0; i < sizeof(commas); i++)
        commas[i] = i % 2 ? ',' : 'a';
    /* Whichever length leaves too little room for the next field, the cut must not land inside
     * the earlier value. */
    for (size_t len = 1900; len < sizeof(commas); len++) {
        log_line_t line;
        log_begin(&line, LOG_INFO, "m");
        log_strn(&line, "list", commas, len);
        log_int(&line, "count", 1234567890);
        size_t n = emit_captured(&line, text, sizeof(text));
        cJSON *obj = parse_line(text, n);
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, "list");
        if (list != NULL)
            cr_assert(cJSON_IsString(list) && strlen(list->valuestring) == len);
        cr_assert(list != NULL || is_truncated(obj));
        cJSON_Delete(obj);
    }
}

/* Fills the line to every length around the end of the buffer, then adds one more field of each
 * kind: whatever fits, the line must stay inside its buffer and be valid JSON. */
Test(log, every_fill_level_near_the_end_of_the_buffer_gives_valid_json) {
    char text[8192];
    char fill[2100];
    memset(fill, 'f', sizeof(fill));
    for (size_t len = 1900; len < sizeof(fill); len++) {
        for (int kind = 0; kind < 3; kind++) {
            log_line_t line;
            log_begin(&line, LOG_INFO, "m");
            log_strn(&line, "fill", fill, len);
            if (kind == 0)
                log_str(&line, "k", "a\"\\b\n");
            else if (kind == 1)
                log_int(&line, "k", -123456789);
            else
                log_double(&line, "k", 12345.678);
            size_t n = emit_captured(&line, text, sizeof(text));
            cr_assert_leq(n, sizeof(line.buf), "fill %zu kind %d wrote %zu bytes", len, kind, n);
            cJSON *obj = parse_line(text, n);
            const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, "k");
            cr_assert(k != NULL || is_truncated(obj), "fill %zu kind %d lost k silently", len,
                      kind);
            cJSON_Delete(obj);
        }
    }
}

Test(log, long_message_is_dropped_but_line_stays_valid) {
    char text[8192];
    char msg[4000];
    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    log_line_t line;
    log_begin(&line, LOG_INFO, msg);
    log_str(&line, "after", "x");
    size_t n = emit_captured(&line, text, sizeof(text));
    cJSON *obj = parse_line(text, n);
    cr_assert(is_truncated(obj));
    cr_assert_str_eq(str_field(obj, "level"), "info");
    cJSON_Delete(obj);
}

Test(log, emit_resets_the_line_for_reuse) {
    char text[4096];
    log_line_t line;
    log_begin(&line, LOG_INFO, "first");
    emit_captured(&line, text, sizeof(text));
    cr_assert_eq(line.len, 0);
    log_begin(&line, LOG_INFO, "second");
    size_t n = emit_captured(&line, text, sizeof(text));
    cJSON *obj = parse_line(text, n);
    cr_assert_str_eq(str_field(obj, "msg"), "second");
    cJSON_Delete(obj);
}

/* ---- levels
 * ---------------------------------------------------------------------------------------- */

Test(log, parses_level_names) {
    log_level_t level = LOG_ERROR;
    cr_assert_eq(log_level_parse("debug", &level), 0);
    cr_assert_eq(level, LOG_DEBUG);
    cr_assert_eq(log_level_parse("warn", &level), 0);
    cr_assert_eq(level, LOG_WARN);
    cr_assert_eq(log_level_parse("error", &level), 0);
    cr_assert_eq(level, LOG_ERROR);
    cr_assert_eq(log_level_parse("info", &level), 0);
    cr_assert_eq(level, LOG_INFO);
    cr_assert_eq(log_level_parse("fatal", &level), -1);
    cr_assert_eq(log_level_parse("", &level), -1);
    cr_assert_eq(level, LOG_INFO);
}

Test(log, drops_messages_below_the_minimum_level) {
    char text[4096];
    log_set_level(LOG_WARN);
    cr_assert_not(log_enabled(LOG_INFO));
    cr_assert(log_enabled(LOG_WARN));
    cr_assert(log_enabled(LOG_ERROR));
    capture_begin();
    log_msg(LOG_INFO, "quiet", NULL);
    log_msg(LOG_DEBUG, "quieter", "detail");
    size_t n = capture_end(text, sizeof(text));
    cr_assert_eq(n, 0, "wrote: %s", text);
    log_set_level(LOG_INFO);
}

Test(log, msg_writes_message_and_optional_detail) {
    char text[4096];
    log_set_level(LOG_INFO);
    capture_begin();
    log_msg(LOG_ERROR, "db down", "connection refused");
    size_t n = capture_end(text, sizeof(text));
    cJSON *obj = parse_line(text, n);
    cr_assert_str_eq(str_field(obj, "level"), "error");
    cr_assert_str_eq(str_field(obj, "msg"), "db down");
    cr_assert_str_eq(str_field(obj, "detail"), "connection refused");
    cJSON_Delete(obj);
    capture_begin();
    log_msg(LOG_INFO, "started", NULL);
    n = capture_end(text, sizeof(text));
    obj = parse_line(text, n);
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(obj, "detail"));
    cJSON_Delete(obj);
}
