/* Calendar arithmetic for the planner: dates as day numbers (days since 1970-01-01, proleptic
 * Gregorian), weekdays and the YYYY-MM-DD form. Pure functions, no time zone, no I/O. */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef int32_t plan_day_t;

/** Day number of a civil date (month 1-12, day 1-31; not validated). */
plan_day_t plan_day_from_ymd(int year, int month, int day);
/** Civil date of a day number. */
void plan_day_to_ymd(plan_day_t d, int *year, int *month, int *day);
/** Weekday, 0 = Monday ... 6 = Sunday. */
int plan_weekday(plan_day_t d);
/** Parses an existing date in YYYY-MM-DD form; returns 0, or -1 when malformed or not a date. */
int plan_day_parse(const char *s, plan_day_t *out);
/** Writes YYYY-MM-DD (11 bytes with the NUL). */
void plan_day_format(plan_day_t d, char out[11]);
/** Writes YYYYMMDD (9 bytes with the NUL), the iCalendar DATE form. */
void plan_day_format_basic(plan_day_t d, char out[9]);
/** English name of a weekday (0 = Monday). */
const char *plan_weekday_name(int weekday);
