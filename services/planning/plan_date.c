/* Calendar arithmetic for the planner (see plan_date.h). The conversions are Howard Hinnant's
 * days_from_civil / civil_from_days, exact for every date of the proleptic Gregorian calendar. */
#include "planning/plan_date.h"

#include <stdio.h>
#include <string.h>

plan_day_t plan_day_from_ymd(int year, int month, int day) {
    int y = year - (month <= 2);
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (plan_day_t)(era * 146097 + doe - 719468);
}

void plan_day_to_ymd(plan_day_t d, int *year, int *month, int *day) {
    int z = d + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    int m = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (m <= 2);
    *month = m;
    *day = doy - (153 * mp + 2) / 5 + 1;
}

int plan_weekday(plan_day_t d) {
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    int w = (int)((d % 7 + 7) % 7);
    return (w + 3) % 7;
}

int plan_day_parse(const char *s, plan_day_t *out) {
    int y, m, d;
    char tail;
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1)
        return -1;
    plan_day_t day = plan_day_from_ymd(y, m, d);
    int y2, m2, d2;
    plan_day_to_ymd(day, &y2, &m2, &d2);
    if (y2 != y || m2 != m || d2 != d)
        return -1;
    *out = day;
    return 0;
}

void plan_day_format(plan_day_t d, char out[11]) {
    int y, m, dd;
    char tmp[48];
    plan_day_to_ymd(d, &y, &m, &dd);
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y, m, dd);
    memcpy(out, tmp, 10);
    out[10] = '\0';
}

void plan_day_format_basic(plan_day_t d, char out[9]) {
    int y, m, dd;
    char tmp[48];
    plan_day_to_ymd(d, &y, &m, &dd);
    snprintf(tmp, sizeof(tmp), "%04d%02d%02d", y, m, dd);
    memcpy(out, tmp, 8);
    out[8] = '\0';
}

const char *plan_weekday_name(int weekday) {
    static const char *const names[] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
    return weekday >= 0 && weekday < 7 ? names[weekday] : "?";
}
