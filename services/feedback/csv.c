/* The CSV export of a board's posts: one column per field of a post that says nothing about its
 * author beyond is_mine, quoted as RFC 4180 asks, guarded against spreadsheet formulas. */
#include "feedback/csv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const columns[] = {"status",  "batch",  "released_on",
                                      "text",    "me_too", "me_too_mine",
                                      "is_mine", "hidden", "hidden_reason"};
#define NCOLUMNS (sizeof(columns) / sizeof(columns[0]))

typedef struct out {
    char *buf;
    size_t len, cap;
    int failed;
} out_t;

static void out_put(out_t *o, const char *s, size_t n) {
    if (o->failed)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *grown = realloc(o->buf, cap);
        if (grown == NULL) {
            o->failed = 1;
            return;
        }
        o->buf = grown;
        o->cap = cap;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* One cell: quoted when it holds a comma, quote or line break; an apostrophe first when a
 * spreadsheet would take it for a formula. */
static void out_cell(out_t *o, const char *v) {
    int formula = v[0] != '\0' && strchr("=+-@\t\r", v[0]) != NULL;
    int quote = formula || strpbrk(v, ",\"\r\n") != NULL;
    if (quote)
        out_put(o, "\"", 1);
    if (formula)
        out_put(o, "'", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            out_put(o, "\"\"", 2);
        else
            out_put(o, p, 1);
    }
    if (quote)
        out_put(o, "\"", 1);
}

/* The text of a JSON value in a cell: strings as they are, null as empty, numbers and booleans
 * as JSON writes them. */
static void out_value(out_t *o, const cJSON *v) {
    char num[32];
    if (cJSON_IsString(v))
        out_cell(o, v->valuestring);
    else if (cJSON_IsBool(v))
        out_cell(o, cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof(num), "%.0f", v->valuedouble);
        out_cell(o, num);
    }
}

char *feedback_csv(const cJSON *posts, size_t *len) {
    out_t o = {0};
    if (!cJSON_IsArray(posts))
        return NULL;
    for (size_t c = 0; c < NCOLUMNS; c++) {
        if (c > 0)
            out_put(&o, ",", 1);
        out_cell(&o, columns[c]);
    }
    out_put(&o, "\r\n", 2);
    const cJSON *post;
    cJSON_ArrayForEach(post, posts) {
        if (!cJSON_IsObject(post)) {
            free(o.buf);
            return NULL;
        }
        for (size_t c = 0; c < NCOLUMNS; c++) {
            if (c > 0)
                out_put(&o, ",", 1);
            out_value(&o, cJSON_GetObjectItemCaseSensitive(post, columns[c]));
        }
        out_put(&o, "\r\n", 2);
    }
    if (o.failed) {
        free(o.buf);
        return NULL;
    }
    *len = o.len;
    return o.buf;
}
