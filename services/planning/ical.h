/* iCalendar (RFC 5545) writer for the calendar feeds: pure C, no I/O. Lines end in CRLF and are
 * folded at 75 octets without splitting a UTF-8 character; TEXT values are escaped; times are
 * local to the calendar's time zone, described by a VTIMEZONE built from the observances the
 * caller gives (PostgreSQL computes them from its time zone database). */
#pragma once
#include <stddef.h>

#include "planning/plan_date.h"

/** One onset of a time zone offset (a VTIMEZONE STANDARD or DAYLIGHT sub-component). */
typedef struct ical_observance {
    int daylight;
    plan_day_t day;             /* local date and time of the onset, in the offset before it */
    int minute;                 /* minutes after local midnight */
    int offset_from, offset_to; /* seconds east of UTC */
} ical_observance_t;

typedef struct ical_event {
    const char *uid;     /* stable for the session's whole life */
    long sequence;       /* increases with every change of the session */
    const char *dtstamp; /* UTC, YYYYMMDDTHHMMSSZ: when the event last changed */
    plan_day_t day;
    int start_minute, end_minute; /* local minutes after midnight; end after start */
    const char *summary;
    const char *description; /* may be NULL */
    const char *location;    /* may be NULL */
    const char *status;      /* "TENTATIVE", "CONFIRMED" or "CANCELLED" */
} ical_event_t;

typedef struct ical_calendar {
    const char *prodid; /* "-//isms-cluster//planning//EN" */
    const char *name;   /* X-WR-CALNAME, may be NULL */
    const char *tzid;   /* IANA name, e.g. "Europe/Luxembourg" */
    const ical_observance_t *observances;
    int nobservances;
    const ical_event_t *events;
    int nevents;
} ical_calendar_t;

/** Writes the calendar. Returns the text (malloc'd, NUL-terminated; free() it) and its length in
 * *len, or NULL when out of memory or when an event is malformed. */
char *ical_write(const ical_calendar_t *cal, size_t *len);

/** Escapes a TEXT value (backslash, semicolon, comma, newline; other control characters are
 * dropped) into `out` (at least 2 * strlen(in) + 1 bytes). Returns the length written. */
size_t ical_escape_text(const char *in, char *out);
