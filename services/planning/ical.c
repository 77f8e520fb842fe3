/* iCalendar writer (see ical.h). Content lines are assembled unfolded, then folded: a physical
 * line holds at most 75 octets, a continuation starts with one space, and a fold never falls
 * inside a UTF-8 sequence. */
#include "planning/ical.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/textbuf.h"

#define FOLD_OCTETS 75

/* Writes one content line, folded, followed by CRLF. */
static void line(textbuf_t *b, const char *text) {
    size_t n = strlen(text), at = 0, room = FOLD_OCTETS;
    while (n - at > room) {
        size_t cut = at + room;
        while (cut > at && ((unsigned char)text[cut] & 0xC0) == 0x80)
            cut--; /* never split a UTF-8 sequence */
        textbuf_append(b, text + at, cut - at);
        textbuf_append(b, "\r\n ", 3);
        at = cut;
        room = FOLD_OCTETS - 1; /* the leading space counts */
    }
    textbuf_append(b, text + at, n - at);
    textbuf_append(b, "\r\n", 2);
}

static void linef(textbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void linef(textbuf_t *b, const char *fmt, ...) {
    textbuf_t text = {0}; /* formatted unfolded first, then folded into `b` */
    va_list ap;
    va_start(ap, fmt);
    int rc = textbuf_vprintf(&text, fmt, ap);
    va_end(ap);
    if (rc == 0)
        line(b, text.data);
    else
        b->failed = 1;
    textbuf_free(&text);
}

size_t ical_escape_text(const char *in, char *out) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        switch (*p) {
        case '\\':
        case ';':
        case ',':
            out[n++] = '\\';
            out[n++] = (char)*p;
            break;
        case '\n':
            out[n++] = '\\';
            out[n++] = 'n';
            break;
        default:
            if (*p >= 0x20 && *p != 0x7f)
                out[n++] = (char)*p;
            else if (*p == '\t')
                out[n++] = ' ';
        }
    }
    out[n] = '\0';
    return n;
}

/* NAME:escaped-text, skipped when the value is NULL. */
static void text_property(textbuf_t *b, const char *name, const char *value) {
    if (value == NULL)
        return;
    size_t nlen = strlen(name), vlen = strlen(value);
    char *text = malloc(nlen + 2 * vlen + 2);
    if (text == NULL) {
        b->failed = 1;
        return;
    }
    memcpy(text, name, nlen);
    text[nlen] = ':';
    ical_escape_text(value, text + nlen + 1);
    line(b, text);
    free(text);
}

static void offset_text(int seconds, char out[16]) {
    int sign = seconds < 0 ? '-' : '+', a = seconds < 0 ? -seconds : seconds;
    if (a % 60 != 0)
        snprintf(out, 16, "%c%02d%02d%02d", sign, (a / 3600) % 100, (a / 60) % 60, a % 60);
    else
        snprintf(out, 16, "%c%02d%02d", sign, (a / 3600) % 100, (a / 60) % 60);
}

static void local_time(plan_day_t day, int minute, char out[20]) {
    char d[9];
    plan_day_format_basic(day, d);
    snprintf(out, 20, "%sT%02d%02d00", d, (minute / 60) % 100, minute % 60);
}

/* A TZID parameter value, quoted when it holds a character that would end it. */
static void tzid_param(const char *tzid, char *out, size_t len) {
    if (strpbrk(tzid, ":;,") != NULL)
        snprintf(out, len, "\"%s\"", tzid);
    else
        snprintf(out, len, "%s", tzid);
}

static int valid_tzid(const char *tzid) {
    if (tzid == NULL || tzid[0] == '\0' || strlen(tzid) > 64)
        return 0;
    for (const unsigned char *p = (const unsigned char *)tzid; *p; p++)
        if (*p < 0x20 || *p == '"' || *p == 0x7f)
            return 0;
    return 1;
}

static void timezone_block(textbuf_t *b, const ical_calendar_t *cal) {
    char from[16], to[16], start[20];
    line(b, "BEGIN:VTIMEZONE");
    linef(b, "TZID:%s", cal->tzid);
    for (int i = 0; i < cal->nobservances; i++) {
        const ical_observance_t *o = &cal->observances[i];
        const char *kind = o->daylight ? "DAYLIGHT" : "STANDARD";
        offset_text(o->offset_from, from);
        offset_text(o->offset_to, to);
        local_time(o->day, o->minute, start);
        linef(b, "BEGIN:%s", kind);
        linef(b, "DTSTART:%s", start);
        linef(b, "TZOFFSETFROM:%s", from);
        linef(b, "TZOFFSETTO:%s", to);
        linef(b, "END:%s", kind);
    }
    if (cal->nobservances == 0) {
        line(b, "BEGIN:STANDARD");
        line(b, "DTSTART:19700101T000000");
        line(b, "TZOFFSETFROM:+0000");
        line(b, "TZOFFSETTO:+0000");
        line(b, "END:STANDARD");
    }
    line(b, "END:VTIMEZONE");
}

static int valid_event(const ical_event_t *e) {
    return e->uid != NULL && e->uid[0] != '\0' && e->dtstamp != NULL && strlen(e->dtstamp) == 16 &&
           e->summary != NULL && e->status != NULL && e->start_minute >= 0 &&
           e->end_minute > e->start_minute && e->end_minute <= 24 * 60 && e->sequence >= 0;
}

static void event_block(textbuf_t *b, const ical_calendar_t *cal, const ical_event_t *e) {
    char tz[80], start[20], end[20];
    tzid_param(cal->tzid, tz, sizeof(tz));
    local_time(e->day, e->start_minute, start);
    if (e->end_minute == 24 * 60)
        local_time(e->day + 1, 0, end);
    else
        local_time(e->day, e->end_minute, end);
    line(b, "BEGIN:VEVENT");
    text_property(b, "UID", e->uid);
    linef(b, "SEQUENCE:%ld", e->sequence);
    linef(b, "DTSTAMP:%s", e->dtstamp);
    linef(b, "DTSTART;TZID=%s:%s", tz, start);
    linef(b, "DTEND;TZID=%s:%s", tz, end);
    text_property(b, "SUMMARY", e->summary);
    text_property(b, "DESCRIPTION", e->description);
    text_property(b, "LOCATION", e->location);
    text_property(b, "STATUS", e->status);
    line(b, strcmp(e->status, "CANCELLED") == 0 ? "TRANSP:TRANSPARENT" : "TRANSP:OPAQUE");
    line(b, "END:VEVENT");
}

char *ical_write(const ical_calendar_t *cal, size_t *len) {
    textbuf_t b = {0};
    if (!valid_tzid(cal->tzid) || cal->prodid == NULL)
        return NULL;
    for (int i = 0; i < cal->nevents; i++)
        if (!valid_event(&cal->events[i]))
            return NULL;
    line(&b, "BEGIN:VCALENDAR");
    line(&b, "VERSION:2.0");
    text_property(&b, "PRODID", cal->prodid);
    line(&b, "CALSCALE:GREGORIAN");
    line(&b, "METHOD:PUBLISH");
    text_property(&b, "X-WR-CALNAME", cal->name);
    text_property(&b, "X-WR-TIMEZONE", cal->tzid);
    timezone_block(&b, cal);
    for (int i = 0; i < cal->nevents; i++)
        event_block(&b, cal, &cal->events[i]);
    line(&b, "END:VCALENDAR");
    return textbuf_take(&b, len);
}
