/* Unit tests for the pure parts of live feedback: the text/event-stream format and Last-Event-ID
 * parsing (services/core/sse.h), and the LISTEN connection's reconnection backoff
 * (services/core/listen.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/listen.h"
#include "core/sse.h"

static void assert_event(const char *id, const char *event, const char *data, const char *want) {
    char out[512];
    long n = sse_format_event(out, sizeof(out), id, event, data, data != NULL ? strlen(data) : 0);
    cr_assert_eq(n, (long)strlen(want), "length %ld, want %zu", n, strlen(want));
    cr_assert(memcmp(out, want, (size_t)n) == 0, "got \"%.*s\"", (int)n, out);
}

Test(feedback_sse, formats_id_event_and_data) {
    assert_event("7", "post", "{\"id\":1}", "id: 7\nevent: post\ndata: {\"id\":1}\n\n");
}

Test(feedback_sse, leaves_out_what_is_not_given) {
    assert_event(NULL, NULL, "x", "data: x\n\n");
    assert_event("1", NULL, "", "id: 1\ndata: \n\n");
}

Test(feedback_sse, splits_data_on_every_kind_of_line_break) {
    assert_event(NULL, "m", "a\nb\r\nc\rd", "event: m\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
    assert_event(NULL, NULL, "end\n", "data: end\ndata: \n\n");
}

Test(feedback_sse, refuses_line_breaks_in_id_and_event) {
    char out[64];
    cr_assert_eq(sse_format_event(out, sizeof(out), "1\n2", NULL, "x", 1), -1);
    cr_assert_eq(sse_format_event(out, sizeof(out), NULL, "a\rb", "x", 1), -1);
}

Test(feedback_sse, reports_the_length_it_needs_when_the_buffer_is_short) {
    char out[4];
    long n = sse_format_event(out, sizeof(out), "12", "post", "data", 4);
    cr_assert_eq(n, (long)strlen("id: 12\nevent: post\ndata: data\n\n"));
}

Test(feedback_sse, parses_last_event_ids) {
    int64_t v = -1;
    cr_assert_eq(sse_parse_event_id("0", &v), 0);
    cr_assert_eq(v, 0);
    cr_assert_eq(sse_parse_event_id("123456789012345678", &v), 0);
    cr_assert_eq(v, 123456789012345678LL);
    const char *bad[] = {"", "-1", "1.5", " 1", "1 ", "abc", "1234567890123456789", "0x10"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(sse_parse_event_id(bad[i], &v), -1, "accepted \"%s\"", bad[i]);
    cr_assert_eq(sse_parse_event_id(NULL, &v), -1);
}

Test(feedback_sse, listener_backoff_doubles_up_to_two_seconds) {
    const int want[] = {100, 200, 400, 800, 1600, 2000, 2000};
    for (int i = 0; i < 7; i++)
        cr_assert_eq(listen_backoff_ms(i), want[i], "attempt %d", i);
    cr_assert_eq(listen_backoff_ms(1000), 2000);
}
