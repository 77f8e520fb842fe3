/* Calendar feeds (a revocable read-only token in the URL, since calendar clients cannot send
 * headers; only its SHA-256 is stored) written as iCalendar by ical.c, and the two bodies that
 * need more validation than api_field_t gives: a cluster's curriculum and its planning settings. */
#include <ctype.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/token.h"
#include "planning/ical.h"
#include "planning/planning_internal.h"

static void answer_ok(http_req_t *req, db_txn_t *txn) {
    api_answer(req, txn, req->result_index, 200);
}

/* ---- curriculum ------------------------------------------------------------------------------ */

static int module_key_valid(const char *s) {
    size_t n = strlen(s);
    if (n < 1 || n > 64 || !islower((unsigned char)s[0]))
        return 0;
    for (const char *p = s; *p; p++)
        if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '_')
            return 0;
    return 1;
}

/* Checks one module of the list; fills `err` and returns -1 when it is wrong. */
static int check_module(const cJSON *m, int i, json_field_error_t *err) {
    static const char *const known[] = {"module_key",         "title", "kind", "half_days",
                                        "separate_half_days", NULL};
    static const char *const kinds[] = {"training", "gap_analysis", NULL};
    const char *key, *title, *kind;
    long half_days;
    int separate = 0;
    if (!cJSON_IsObject(m)) {
        snprintf(err->field, sizeof(err->field), "modules");
        snprintf(err->message, sizeof(err->message), "modules[%d] must be an object", i);
        return -1;
    }
    if (json_only_fields(m, known, err) != 0 ||
        json_get_string(m, "module_key", 1, 1, 64, &key, err) != 0 ||
        json_get_string(m, "title", 1, 1, 800, &title, err) != 0 ||
        json_get_enum(m, "kind", 1, kinds, &kind, err) != 0 ||
        json_get_int(m, "half_days", 1, 1, 8, &half_days, err) != 0 ||
        json_get_bool(m, "separate_half_days", 0, &separate, err) != 0)
        return -1;
    if (!module_key_valid(key)) {
        snprintf(err->field, sizeof(err->field), "module_key");
        snprintf(err->message, sizeof(err->message),
                 "modules[%d].module_key must be lower-case letters, digits and _", i);
        return -1;
    }
    return 0;
}

int planning_put_curriculum(http_req_t *req) {
    static const char *const known[] = {"modules", NULL};
    json_field_error_t err = {{0}, {0}};
    const cJSON *modules = cJSON_GetObjectItemCaseSensitive(req->body, "modules");
    if (json_only_fields(req->body, known, &err) != 0) {
        planning_invalid_field(req, err.field, err.message);
        return 0;
    }
    int n = cJSON_GetArraySize(modules);
    if (!cJSON_IsArray(modules) || n < 1 || n > 50) {
        planning_invalid_field(req, "modules", "modules must be a list of 1 to 50 modules");
        return 0;
    }
    int i = 0, trainings = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, modules) {
        if (check_module(m, i++, &err) != 0) {
            planning_invalid_field(req, err.field, err.message);
            return 0;
        }
        trainings +=
            strcmp(cJSON_GetObjectItemCaseSensitive(m, "kind")->valuestring, "training") == 0;
    }
    if (trainings == 0) {
        planning_invalid_field(req, "modules", "a curriculum needs at least one training");
        return 0;
    }
    char *text = cJSON_PrintUnformatted(modules);
    if (text == NULL)
        return -1;
    const char *extra[] = {text, NULL};
    int rc = api_run(req, req->match.route->data, extra, answer_ok);
    cJSON_free(text);
    return rc;
}

/* ---- planning settings ----------------------------------------------------------------------- */

static int hhmm_valid(const char *s) {
    return strlen(s) == 5 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
           s[2] == ':' && isdigit((unsigned char)s[3]) && isdigit((unsigned char)s[4]) &&
           (s[0] - '0') * 10 + (s[1] - '0') < 24 && (s[3] - '0') * 10 + (s[4] - '0') < 60;
}

int planning_patch_settings(http_req_t *req) {
    static const char *const times[] = {"morning_start", "morning_end", "afternoon_start",
                                        "afternoon_end", NULL};
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(req->body, "weekdays");
    if (w != NULL && !cJSON_IsNull(w)) {
        int seen = 0, ok = cJSON_IsArray(w) && cJSON_GetArraySize(w) >= 1;
        const cJSON *d;
        cJSON_ArrayForEach(d, w) {
            int v = cJSON_IsNumber(d) && d->valuedouble == (double)d->valueint ? d->valueint : 0;
            ok &= v >= 1 && v <= 7 && !(seen & (1 << v));
            if (v >= 1 && v <= 7)
                seen |= 1 << v;
        }
        if (!ok) {
            planning_invalid_field(req, "weekdays",
                                   "weekdays must list ISO weekdays 1 (Monday) to 7 (Sunday), "
                                   "each at most once");
            return 0;
        }
    }
    for (const char *const *t = times; *t != NULL; t++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(req->body, *t);
        if (cJSON_IsString(v) && !hhmm_valid(v->valuestring)) {
            char message[96];
            snprintf(message, sizeof(message), "%s must be a time HH:MM", *t);
            planning_invalid_field(req, *t, message);
            return 0;
        }
    }
    return api_run(req, req->match.route->data, NULL, answer_ok);
}

/* ---- feeds ----------------------------------------------------------------------------------- */

int planning_post_feed(http_req_t *req) {
    return api_run_with_token(req, req->match.route->data, NULL, "token", "/v1/calendar/%s.ics",
                              201);
}

/* "YYYY-MM-DD HH:MI" into a day and minutes after midnight. */
static int local_time(const char *s, plan_day_t *day, int *minute) {
    char date[11];
    if (s == NULL || strlen(s) != 16 || s[10] != ' ' || s[13] != ':')
        return -1;
    memcpy(date, s, 10);
    date[10] = '\0';
    *minute = ((s[11] - '0') * 10 + (s[12] - '0')) * 60 + (s[14] - '0') * 10 + (s[15] - '0');
    return plan_day_parse(date, day);
}

static const char *str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Turns planning_feed()'s document into iCalendar text (malloc'd), or NULL. */
static char *feed_text(const cJSON *doc, size_t *len) {
    const cJSON *obs = cJSON_GetObjectItemCaseSensitive(doc, "observances");
    const cJSON *events = cJSON_GetObjectItemCaseSensitive(doc, "events");
    int nobs = cJSON_GetArraySize(obs), nev = cJSON_GetArraySize(events), i = 0;
    ical_observance_t *o = calloc((size_t)nobs + 1, sizeof(*o));
    ical_event_t *e = calloc((size_t)nev + 1, sizeof(*e));
    char *text = NULL;
    const cJSON *x;
    if (o == NULL || e == NULL)
        goto done;
    cJSON_ArrayForEach(x, obs) {
        const cJSON *dl = cJSON_GetObjectItemCaseSensitive(x, "daylight");
        o[i].daylight = cJSON_IsTrue(dl);
        o[i].minute = cJSON_GetObjectItemCaseSensitive(x, "minute")->valueint;
        o[i].offset_from = cJSON_GetObjectItemCaseSensitive(x, "offset_from")->valueint;
        o[i].offset_to = cJSON_GetObjectItemCaseSensitive(x, "offset_to")->valueint;
        if (plan_day_parse(str(x, "day"), &o[i].day) != 0)
            goto done;
        i++;
    }
    i = 0;
    cJSON_ArrayForEach(x, events) {
        plan_day_t end_day;
        e[i] = (ical_event_t){str(x, "uid"),
                              0,
                              str(x, "dtstamp"),
                              0,
                              0,
                              0,
                              str(x, "summary"),
                              str(x, "description"),
                              str(x, "location"),
                              str(x, "status")};
        e[i].sequence = (long)cJSON_GetObjectItemCaseSensitive(x, "sequence")->valuedouble;
        if (local_time(str(x, "start"), &e[i].day, &e[i].start_minute) != 0 ||
            local_time(str(x, "end"), &end_day, &e[i].end_minute) != 0)
            goto done;
        if (end_day > e[i].day)
            e[i].end_minute = 24 * 60; /* a session never runs past midnight */
        i++;
    }
    ical_calendar_t cal = {
        "-//isms-cluster//planning//EN", str(doc, "name"), str(doc, "time_zone"), o, nobs, e, nev};
    text = ical_write(&cal, len);
done:
    free(o);
    free(e);
    return text;
}

static void calendar_loaded(http_req_t *req, db_txn_t *txn) {
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    cJSON *doc = cJSON_Parse(db_txn_value(txn, req->result_index));
    size_t len = 0;
    char *text = doc != NULL ? feed_text(doc, &len) : NULL;
    cJSON_Delete(doc);
    if (text == NULL) {
        http_send_error(req, 500, "internal", "the calendar could not be written");
        return;
    }
    static const char *const headers[] = {"content-disposition", "inline; filename=\"isms.ics\"",
                                          NULL};
    http_send_body(req, 200, "text/calendar; charset=utf-8", text, len, headers);
    free(text);
}

int planning_get_calendar(http_req_t *req) {
    char token[80];
    if (http_param(req, "token", token, sizeof(token)) == NULL) {
        http_send_not_found(req);
        return 0;
    }
    size_t n = strlen(token);
    if (n > 4 && strcmp(token + n - 4, ".ics") == 0)
        token[n -= 4] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)token[i]) && token[i] != '-' && token[i] != '_')
            n = 0;
    if (n != TOKEN_LEN) {
        http_send_not_found(req);
        return 0;
    }
    char hash[TOKEN_HASH_LEN + 1];
    token_sha256_hex(token, n, hash);
    const char *params[] = {hash};
    db_txn_t *txn = http_txn_new(req);
    int index = txn != NULL ? db_txn_add(txn, &planning_statements[P_FEED_READ], params) : -1;
    if (index < 0) {
        db_txn_free(txn);
        return -1;
    }
    req->result_index = index;
    http_db_submit(req, txn, calendar_loaded);
    return 0;
}
