/* Unit tests for the shared writers of the exports: the growable text buffer (core/textbuf.h) and
 * the RFC 4180 field writer with its spreadsheet formula guard (core/csv.h). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/textbuf.h"

/* Puts the buffer in the failed state without exhausting memory: a length that cannot fit. */
static void make_fail(textbuf_t *b) {
    cr_assert_eq(textbuf_append(b, "", SIZE_MAX), -1);
    cr_assert(b->failed);
}

/* One field written alone (CSV_FIRST added), as a string the test compares and frees. */
static char *field_alone(const char *value, unsigned flags) {
    textbuf_t b = {0};
    cr_assert_eq(csv_field(&b, value, flags | CSV_FIRST), 0);
    char *text = textbuf_take(&b, NULL);
    cr_assert_not_null(text);
    return text;
}

static void expect_field(const char *value, unsigned flags, const char *want) {
    char *got = field_alone(value, flags);
    cr_assert_str_eq(got, want, "field for \"%s\"", value != NULL ? value : "(NULL)");
    free(got);
}

Test(textbuf, starts_empty_and_keeps_a_nul_after_the_last_byte) {
    textbuf_t b = {0};
    cr_assert_null(b.data);
    cr_assert_eq(textbuf_append(&b, "ab", 2), 0);
    cr_assert_eq(textbuf_append_str(&b, "cd"), 0);
    cr_assert_eq(textbuf_printf(&b, "-%d-%s", 42, "x"), 0);
    cr_assert_eq(b.len, 9);
    cr_assert_str_eq(b.data, "abcd-42-x");
    cr_assert_eq(b.data[b.len], '\0');
    textbuf_free(&b);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
}

Test(textbuf, keeps_bytes_after_an_embedded_nul) {
    textbuf_t b = {0};
    cr_assert_eq(textbuf_append(&b, "a\0b", 3), 0);
    cr_assert_eq(b.len, 3);
    cr_assert_eq(memcmp(b.data, "a\0b", 4), 0);
    textbuf_free(&b);
}

Test(textbuf, grows_past_several_kibibytes_without_losing_bytes) {
    textbuf_t b = {0};
    for (int i = 0; i < 5000; i++)
        cr_assert_eq(textbuf_printf(&b, "%04d,", i), 0);
    cr_assert_eq(b.len, 5000 * 5);
    cr_assert_geq(b.cap, b.len + 1);
    for (int i = 0; i < 5000; i += 997) {
        char want[16];
        snprintf(want, sizeof(want), "%04d,", i);
        cr_assert_eq(memcmp(b.data + 5 * i, want, 5), 0, "record %d", i);
    }
    cr_assert_eq(strlen(b.data), b.len);
    textbuf_free(&b);
}

Test(textbuf, formats_text_longer_than_the_room_left) {
    char *big = malloc(12001);
    memset(big, 'k', 12000);
    big[12000] = '\0';
    textbuf_t b = {0};
    cr_assert_eq(textbuf_append_str(&b, "head:"), 0);
    cr_assert_eq(textbuf_printf(&b, "[%s]", big), 0);
    cr_assert_eq(b.len, 5 + 12002);
    cr_assert_eq(strncmp(b.data, "head:[kkk", 9), 0);
    cr_assert_str_eq(b.data + b.len - 3, "kk]");
    textbuf_free(&b);
    free(big);
}

Test(textbuf, take_hands_over_the_text_and_empties_the_buffer) {
    textbuf_t b = {0};
    size_t len = 99;
    textbuf_append_str(&b, "hello");
    char *text = textbuf_take(&b, &len);
    cr_assert_str_eq(text, "hello");
    cr_assert_eq(len, 5);
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    free(text);
}

Test(textbuf, take_of_an_untouched_buffer_is_an_empty_string) {
    textbuf_t b = {0};
    size_t len = 99;
    char *text = textbuf_take(&b, &len);
    cr_assert_not_null(text);
    cr_assert_str_eq(text, "");
    cr_assert_eq(len, 0);
    free(text);
}

Test(textbuf, a_failure_sticks_until_the_buffer_is_freed) {
    textbuf_t b = {0};
    cr_assert_eq(textbuf_append_str(&b, "kept"), 0);
    make_fail(&b);
    cr_assert_eq(textbuf_append_str(&b, "lost"), -1);
    cr_assert_eq(textbuf_append(&b, "x", 1), -1);
    cr_assert_eq(textbuf_printf(&b, "%d", 7), -1);
    cr_assert_eq(csv_field(&b, "lost", 0), -1);
    cr_assert_eq(csv_end_record(&b), -1);
    cr_assert_str_eq(b.data, "kept", "nothing is appended after a failure");
    cr_assert_eq(b.len, 4);
    textbuf_free(&b);
    cr_assert_not(b.failed);
    cr_assert_eq(textbuf_append_str(&b, "again"), 0);
    cr_assert_str_eq(b.data, "again");
    textbuf_free(&b);
}

Test(textbuf, take_of_a_failed_buffer_frees_it_and_returns_null) {
    textbuf_t b = {0};
    size_t len = 99;
    textbuf_append_str(&b, "partial");
    make_fail(&b);
    cr_assert_null(textbuf_take(&b, &len));
    cr_assert_eq(len, 99, "the length is left alone");
    cr_assert_null(b.data);
    cr_assert_not(b.failed);
}

Test(csv, leaves_plain_fields_unquoted) {
    expect_field("plain", 0, "plain");
    expect_field("a;b x=y 'q", 0, "a;b x=y 'q");
    expect_field("R\xc3\xa9union \xe2\x80\x93", 0, "R\xc3\xa9union \xe2\x80\x93");
}

Test(csv, quotes_comma_quote_cr_and_lf_and_doubles_quotes) {
    expect_field("a,b", 0, "\"a,b\"");
    expect_field("say \"hi\"", 0, "\"say \"\"hi\"\"\"");
    expect_field("\"", 0, "\"\"\"\"");
    expect_field("cr\ronly", 0, "\"cr\ronly\"");
    expect_field("lf\nonly", 0, "\"lf\nonly\"");
    expect_field("two\r\nlines", 0, "\"two\r\nlines\"");
}

Test(csv, null_and_empty_are_empty_fields) {
    textbuf_t b = {0};
    csv_field(&b, NULL, CSV_FIRST);
    csv_field(&b, "", 0);
    csv_field(&b, NULL, CSV_NUMBER);
    csv_field(&b, "x", 0);
    csv_end_record(&b);
    csv_field(&b, NULL, CSV_FIRST);
    cr_assert_eq(csv_end_record(&b), 0);
    cr_assert_str_eq(b.data, ",,,x\r\n\r\n");
    textbuf_free(&b);
}

Test(csv, separates_fields_with_commas_and_ends_records_with_crlf) {
    textbuf_t b = {0};
    csv_field(&b, "a", CSV_FIRST);
    csv_field(&b, "b,c", 0);
    csv_field(&b, "d", 0);
    csv_end_record(&b);
    csv_field(&b, "e", CSV_FIRST);
    csv_end_record(&b);
    cr_assert_str_eq(b.data, "a,\"b,c\",d\r\ne\r\n");
    textbuf_free(&b);
}

Test(csv, neutralises_cells_a_spreadsheet_would_run) {
    expect_field("=1+2", 0, "\"'=1+2\"");
    expect_field("+1", 0, "\"'+1\"");
    expect_field("-2", 0, "\"'-2\"");
    expect_field("@SUM(A1)", 0, "\"'@SUM(A1)\"");
    expect_field("\tx", 0, "\"'\tx\"");
    expect_field("\rx", 0, "\"'\rx\"");
    expect_field("=HYPERLINK(\"http://x\")", 0, "\"'=HYPERLINK(\"\"http://x\"\")\"");
    expect_field("-", 0, "\"'-\"");
}

Test(csv, guards_only_the_first_character) {
    expect_field("x=1", 0, "x=1");
    expect_field(" =1", 0, " =1");
    expect_field("'=1", 0, "'=1");
    expect_field("\"=1", 0, "\"\"\"=1\"");
    expect_field("\n=1", 0, "\"\n=1\"");
}

Test(csv, numbers_the_caller_formatted_are_not_neutralised) {
    expect_field("-12.05", CSV_NUMBER, "-12.05");
    expect_field("+3", CSV_NUMBER, "+3");
    expect_field("366/916", CSV_NUMBER, "366/916");
    expect_field("-1,5", CSV_NUMBER, "\"-1,5\"");
}

Test(csv, writes_fields_of_several_kibibytes) {
    size_t n = 9000;
    char *value = malloc(n + 1);
    memset(value, 'v', n);
    value[n] = '\0';
    value[100] = '"';
    value[5000] = ',';
    value[8999] = '"';
    char *got = field_alone(value, 0);
    cr_assert_eq(strlen(got), n + 2 + 2, "two quotes doubled, two around");
    cr_assert_eq(got[0], '"');
    cr_assert_eq(strncmp(got + 101, "\"\"v", 3), 0);
    cr_assert_str_eq(got + strlen(got) - 4, "v\"\"\"");
    free(got);
    free(value);
}
