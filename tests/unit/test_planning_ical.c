/* The iCalendar writer: CRLF line ends, folding at 75 octets that never splits a UTF-8 character,
 * TEXT escaping, the VTIMEZONE, stable UID / SEQUENCE / DTSTAMP, local times with TZID and
 * STATUS:CANCELLED; and the calendar dates and weekdays it relies on. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "planning/ical.h"
#include "planning/plan_date.h"

static const ical_observance_t cet[] = {
    {0, 14518, 0, 7200, 3600},   /* 2009-10-01, standard time (the feed's first day) */
    {1, 14696, 120, 3600, 7200}, /* 2010-03-28 02:00: daylight saving time begins */
    {0, 14913, 180, 7200, 3600}, /* 2010-10-31 03:00: back to standard time */
};

static char *write_one(const ical_event_t *events, int n, size_t *len) {
    ical_calendar_t cal = {"-//isms-cluster//planning//EN",
                           "Cluster, \"demo\"",
                           "Europe/Luxembourg",
                           cet,
                           3,
                           events,
                           n};
    return ical_write(&cal, len);
}

/* Unfolds the text (removes CRLF + space) into a new string. */
static char *unfold(const char *text) {
    char *out = malloc(strlen(text) + 1);
    size_t n = 0;
    for (const char *p = text; *p; p++) {
        if (p[0] == '\r' && p[1] == '\n' && p[2] == ' ') {
            p += 2;
            continue;
        }
        out[n++] = *p;
    }
    out[n] = '\0';
    return out;
}

static const ical_event_t training = {
    "3f1d2a9c-0000-4000-8000-000000000001@isms-cluster",
    3,
    "20250102T101500Z",
    14522,
    9 * 60,
    12 * 60 + 30,
    "Risk assessment \xe2\x80\x94 cluster training; part 1, with notes\\",
    "Second line\nthird",
    "Salle \xc3\xa9t\xc3\xa9, Luxembourg",
    "CONFIRMED"};

Test(ical, every_line_ends_in_crlf_and_holds_at_most_75_octets) {
    ical_event_t e = training;
    char summary[600];
    memset(summary, 0, sizeof(summary));
    for (int i = 0; i < 60; i++)
        strcat(summary, "\xc3\xa9t\xc3\xa9 "); /* 2-byte characters at every offset */
    e.summary = summary;
    size_t len;
    char *text = write_one(&e, 1, &len);
    cr_assert_not_null(text);
    cr_assert_eq(strlen(text), len);
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\n') {
            cr_assert(i > 0 && text[i - 1] == '\r', "bare LF at %zu", i);
            cr_assert_leq(i - 1 - start, 75, "a line of %zu octets", i - 1 - start);
            /* A continuation never starts inside a UTF-8 sequence. */
            if (i + 2 < len && text[i + 1] == ' ')
                cr_assert_neq((unsigned char)text[i + 2] & 0xC0, 0x80);
            start = i + 1;
        } else if (text[i] == '\r') {
            cr_assert(i + 1 < len && text[i + 1] == '\n', "bare CR at %zu", i);
        }
    }
    char *plain = unfold(text);
    cr_assert(strstr(plain, "SUMMARY:\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9 ") != NULL);
    free(plain);
    free(text);
}

Test(ical, escapes_text_values) {
    size_t len;
    char *text = write_one(&training, 1, &len);
    char *plain = unfold(text);
    cr_assert(strstr(plain, "SUMMARY:Risk assessment \xe2\x80\x94 cluster training\\; part 1\\, "
                            "with notes\\\\\r\n") != NULL,
              "%s", plain);
    cr_assert(strstr(plain, "DESCRIPTION:Second line\\nthird\r\n") != NULL);
    cr_assert(strstr(plain, "LOCATION:Salle \xc3\xa9t\xc3\xa9\\, Luxembourg\r\n") != NULL);
    cr_assert(strstr(plain, "X-WR-CALNAME:Cluster\\, \"demo\"\r\n") != NULL);
    free(plain);
    free(text);
}

Test(ical, writes_the_event_with_uid_sequence_stamp_local_times_and_time_zone) {
    size_t len;
    char *text = write_one(&training, 1, &len);
    char *plain = unfold(text);
    cr_assert(strncmp(plain, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:", 36) == 0);
    cr_assert(strstr(plain, "UID:3f1d2a9c-0000-4000-8000-000000000001@isms-cluster\r\n"));
    cr_assert(strstr(plain, "SEQUENCE:3\r\n"));
    cr_assert(strstr(plain, "DTSTAMP:20250102T101500Z\r\n"));
    cr_assert(strstr(plain, "DTSTART;TZID=Europe/Luxembourg:20091005T090000\r\n"), "%s", plain);
    cr_assert(strstr(plain, "DTEND;TZID=Europe/Luxembourg:20091005T123000\r\n"));
    cr_assert(strstr(plain, "BEGIN:VTIMEZONE\r\nTZID:Europe/Luxembourg\r\n"));
    cr_assert(strstr(plain, "BEGIN:DAYLIGHT\r\nDTSTART:20100328T020000\r\nTZOFFSETFROM:+0100\r\n"
                            "TZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\n"),
              "%s", plain);
    cr_assert(strstr(plain, "STATUS:CONFIRMED\r\n"));
    cr_assert(strstr(plain, "END:VCALENDAR\r\n") == plain + strlen(plain) - 15);
    free(plain);
    free(text);
}

Test(ical, marks_cancelled_sessions_cancelled_and_transparent) {
    ical_event_t e = training;
    e.status = "CANCELLED";
    e.sequence = 7;
    size_t len;
    char *text = write_one(&e, 1, &len);
    cr_assert(strstr(text, "STATUS:CANCELLED\r\nTRANSP:TRANSPARENT\r\n"));
    cr_assert(strstr(text, "SEQUENCE:7\r\n"));
    free(text);
}

Test(ical, refuses_malformed_events_and_time_zones) {
    ical_event_t e = training;
    size_t len;
    e.end_minute = e.start_minute;
    cr_assert_null(write_one(&e, 1, &len));
    e = training;
    e.dtstamp = "2025-01-02";
    cr_assert_null(write_one(&e, 1, &len));
    ical_calendar_t cal = {"-//x//EN", NULL, "Bad\"zone", NULL, 0, &training, 1};
    cr_assert_null(ical_write(&cal, &len));
}

Test(ical, an_empty_calendar_is_still_valid) {
    ical_calendar_t cal = {"-//x//EN", NULL, "UTC", NULL, 0, NULL, 0};
    size_t len;
    char *text = ical_write(&cal, &len);
    cr_assert_not_null(text);
    cr_assert(strstr(text, "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"));
    cr_assert_null(strstr(text, "BEGIN:VEVENT"));
    free(text);
}

Test(plan_date, converts_dates_and_weekdays_exactly) {
    plan_day_t d;
    cr_assert_eq(plan_day_parse("1970-01-01", &d), 0);
    cr_assert_eq(d, 0);
    cr_assert_eq(plan_weekday(d), 3); /* Thursday */
    cr_assert_eq(plan_day_parse("2009-10-05", &d), 0);
    cr_assert_eq(plan_weekday(d), 0); /* Monday */
    char out[11];
    plan_day_format(d, out);
    cr_assert_str_eq(out, "2009-10-05");
    cr_assert_eq(plan_day_parse("2010-02-29", &d), -1);
    cr_assert_eq(plan_day_parse("2012-02-29", &d), 0);
    cr_assert_eq(plan_day_parse("2012-2-29", &d), -1);
    cr_assert_eq(plan_day_parse("1969-12-31", &d), 0);
    cr_assert_eq(d, -1);
    cr_assert_eq(plan_weekday(d), 2);
    for (plan_day_t x = -800000; x < 800000; x += 997) {
        int y, m, dd;
        plan_day_to_ymd(x, &y, &m, &dd);
        cr_assert_eq(plan_day_from_ymd(y, m, dd), x);
    }
}
