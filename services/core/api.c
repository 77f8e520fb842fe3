/* The declarative endpoint runner: validation of path, query and body values against an
 * api_op_t, one transaction (with the route's authentication), and the answer. */
#include "core/api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/token.h"

#define API_MAX_PARAMS 24
#define SCRATCH_LEN 256

static int email_valid(const char *s) {
    const char *at = strchr(s, '@');
    size_t n = strlen(s);
    if (at == NULL || at == s || strchr(at + 1, '@') != NULL || n > 254)
        return 0;
    const char *dot = strrchr(at, '.');
    if (dot == NULL || dot == at + 1 || dot[1] == '\0')
        return 0;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p <= ' ')
            return 0;
    return 1;
}

static int country_valid(const char *s) {
    return strlen(s) == 2 && isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]);
}

static int cursor_valid(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 200)
        return 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
            return 0;
    return 1;
}

static size_t utf8_length(const char *s) {
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Checks a textual value (from the query string or a JSON string) against its field. */
static int check_text(const api_field_t *f, const char *v, json_field_error_t *err) {
    const char *what = NULL;
    char buf[160];
    switch (f->kind) {
    case API_STRING:
    case API_TEXT: {
        size_t n = utf8_length(v);
        if (n < (size_t)f->min || n > (size_t)f->max) {
            snprintf(buf, sizeof(buf), "%s must be %ld to %ld characters long", f->name, f->min,
                     f->max);
            what = buf;
        } else if (f->kind == API_STRING) {
            for (const char *p = v; *p; p++)
                if ((unsigned char)*p < 0x20)
                    what = "must not contain control characters";
        }
        break;
    }
    case API_ENUM: {
        const char *const *a = f->allowed;
        while (*a != NULL && strcmp(*a, v) != 0)
            a++;
        if (*a == NULL) {
            size_t used = (size_t)snprintf(buf, sizeof(buf), "%s must be one of:", f->name);
            for (a = f->allowed; *a != NULL && used < sizeof(buf); a++)
                used += (size_t)snprintf(buf + used, sizeof(buf) - used, " %s", *a);
            what = buf;
        }
        break;
    }
    case API_UUID:
        if (!uuid_valid(v))
            what = "must be a UUID";
        break;
    case API_DATE:
        if (!date_valid(v))
            what = "must be a date in the form YYYY-MM-DD";
        break;
    case API_EMAIL:
        if (!email_valid(v))
            what = "must be an e-mail address";
        break;
    case API_COUNTRY:
        if (!country_valid(v))
            what = "must be an ISO 3166-1 alpha-2 country code such as LU";
        break;
    case API_CURSOR:
        if (!cursor_valid(v))
            what = "must be a cursor returned by a previous page";
        break;
    default:
        break;
    }
    if (what == NULL)
        return 0;
    snprintf(err->field, sizeof(err->field), "%s", f->name);
    if (what == buf)
        snprintf(err->message, sizeof(err->message), "%s", buf);
    else
        snprintf(err->message, sizeof(err->message), "%s %s", f->name, what);
    return -1;
}

static int parse_long(const char *s, long *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0')
        return -1;
    *out = v;
    return 0;
}

/* Reads a query field into `slot`; returns 0 (value or NULL), -1 on a bad value. */
static int read_query(http_req_t *req, const api_field_t *f, char *slot, const char **out,
                      json_field_error_t *err) {
    *out = NULL;
    if (http_query(req, f->name, slot, SCRATCH_LEN) == NULL) {
        if (f->required) {
            snprintf(err->field, sizeof(err->field), "%s", f->name);
            snprintf(err->message, sizeof(err->message), "query parameter %s is required", f->name);
            return -1;
        }
        return 0;
    }
    if (f->kind == API_INT || f->kind == API_BOOL) {
        long v;
        int ok = f->kind == API_INT ? parse_long(slot, &v) == 0 && v >= f->min && v <= f->max
                                    : strcmp(slot, "true") == 0 || strcmp(slot, "false") == 0;
        if (!ok) {
            snprintf(err->field, sizeof(err->field), "%s", f->name);
            if (f->kind == API_INT)
                snprintf(err->message, sizeof(err->message),
                         "%s must be a whole number from %ld to %ld", f->name, f->min, f->max);
            else
                snprintf(err->message, sizeof(err->message), "%s must be true or false", f->name);
            return -1;
        }
    } else if (check_text(f, slot, err) != 0) {
        return -1;
    }
    *out = slot;
    return 0;
}

/* Reads a body field; strings point into the body, numbers and booleans into `slot`. */
static int read_body(const cJSON *body, const api_field_t *f, char *slot, char **json_text,
                     const char **out, json_field_error_t *err) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(body, f->name);
    *out = NULL;
    if (item == NULL || cJSON_IsNull(item)) {
        if (!f->required)
            return 0;
        snprintf(err->field, sizeof(err->field), "%s", f->name);
        snprintf(err->message, sizeof(err->message), "%s is required", f->name);
        return -1;
    }
    switch (f->kind) {
    case API_INT: {
        long v;
        if (json_get_int(body, f->name, 1, f->min, f->max, &v, err) != 0)
            return -1;
        snprintf(slot, SCRATCH_LEN, "%ld", v);
        *out = slot;
        return 0;
    }
    case API_BOOL: {
        int v;
        if (json_get_bool(body, f->name, 1, &v, err) != 0)
            return -1;
        *out = v ? "true" : "false";
        return 0;
    }
    case API_JSON:
        *json_text = cJSON_PrintUnformatted(item);
        *out = *json_text;
        return *out != NULL ? 0 : -1;
    default:
        if (!cJSON_IsString(item)) {
            snprintf(err->field, sizeof(err->field), "%s", f->name);
            snprintf(err->message, sizeof(err->message), "%s must be a string", f->name);
            return -1;
        }
        if (check_text(f, item->valuestring, err) != 0)
            return -1;
        *out = item->valuestring;
        return 0;
    }
}

static void send_field_error(http_req_t *req, const json_field_error_t *err) {
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "field", err->field);
    http_send_error_with(req, 400, "invalid_body", err->message, extra);
}

typedef struct api_values {
    const char *params[API_MAX_PARAMS];
    char slots[API_MAX_PARAMS][SCRATCH_LEN];
    char *json_texts[API_MAX_PARAMS];
    size_t n;
} api_values_t;

static void values_free(api_values_t *v) {
    for (size_t i = 0; i < v->n; i++)
        cJSON_free(v->json_texts[i]);
}

/* Collects every value of `op` (with `extra` after the body fields); returns 0, or -1 after
 * answering. */
static int collect(http_req_t *req, const api_op_t *op, const char *const *extra, api_values_t *v) {
    json_field_error_t err = {{0}, {0}};
    for (const char *const *p = op->path; p != NULL && *p != NULL; p++, v->n++) {
        if (http_param(req, *p, v->slots[v->n], SCRATCH_LEN) == NULL ||
            !uuid_valid(v->slots[v->n])) {
            /* A malformed id names nothing: the same answer as a missing object. */
            http_send_not_found(req);
            return -1;
        }
        v->params[v->n] = v->slots[v->n];
    }
    for (const api_field_t *f = op->query; f != NULL && f->name != NULL; f++, v->n++)
        if (read_query(req, f, v->slots[v->n], &v->params[v->n], &err) != 0)
            goto invalid;
    if (op->body != NULL) {
        const char *known[API_MAX_PARAMS + 1];
        size_t k = 0;
        for (const api_field_t *f = op->body; f->name != NULL; f++)
            known[k++] = f->name;
        known[k] = NULL;
        if (json_only_fields(req->body, known, &err) != 0)
            goto invalid;
        for (const api_field_t *f = op->body; f->name != NULL; f++, v->n++)
            if (read_body(req->body, f, v->slots[v->n], &v->json_texts[v->n], &v->params[v->n],
                          &err) != 0)
                goto invalid;
    }
    for (const char *const *c = extra; c != NULL && *c != NULL; c++, v->n++)
        v->params[v->n] = *c;
    for (const char *const *c = op->constants; c != NULL && *c != NULL; c++, v->n++)
        v->params[v->n] = *c;
    return 0;
invalid:
    v->n++; /* so that values_free sees a JSON text allocated by the failing field */
    send_field_error(req, &err);
    return -1;
}

void api_answer(http_req_t *req, db_txn_t *txn, int stmt_index, int status) {
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    if (status == 204) {
        http_send_body(req, 204, "application/json", "", 0, NULL);
        return;
    }
    const char *json = db_txn_value(txn, stmt_index);
    if (json == NULL) {
        http_send_not_found(req);
        return;
    }
    http_send_json_text(req, status, json, strlen(json));
}

static void api_done(http_req_t *req, db_txn_t *txn) {
    const api_op_t *op = req->match.route->data;
    api_answer(req, txn, req->result_index, op->status);
}

/* What api_run_with_token's answer adds; lives in the request pool. */
typedef struct token_answer {
    char token[TOKEN_LEN + 1];
    const char *field;
    const char *url_format;
    int status;
} token_answer_t;

static void token_done(http_req_t *req, db_txn_t *txn) {
    const token_answer_t *t = req->handler_data;
    const char *json = db_txn_value(txn, req->result_index);
    cJSON *doc = db_txn_status(txn) == DB_OK && json != NULL ? cJSON_Parse(json) : NULL;
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        api_answer(req, txn, req->result_index, t->status);
        return;
    }
    cJSON_AddStringToObject(doc, t->field, t->token);
    if (t->url_format != NULL) {
        char url[256];
        snprintf(url, sizeof(url), t->url_format, t->token);
        cJSON_AddStringToObject(doc, "url", url);
    }
    http_send_json(req, t->status, doc);
    cJSON_Delete(doc);
}

int api_run_with_token(http_req_t *req, const api_op_t *op, const char *const *extra,
                       const char *field, const char *url_format, int status) {
    token_answer_t *t = h2o_mem_alloc_pool(&req->h2o->pool, sizeof(*t));
    char hash[TOKEN_HASH_LEN + 1];
    const char *params[API_MAX_PARAMS + 1];
    size_t n = 0;
    token_new(t->token, hash);
    t->field = field;
    t->url_format = url_format;
    t->status = status;
    req->handler_data = t;
    params[n++] = hash;
    for (const char *const *e = extra; e != NULL && *e != NULL && n < API_MAX_PARAMS; e++)
        params[n++] = *e;
    params[n] = NULL;
    return api_run(req, op, params, token_done);
}

int api_handle(http_req_t *req) {
    return api_run(req, req->match.route->data, NULL, api_done);
}

int api_run(http_req_t *req, const api_op_t *op, const char *const *extra, http_db_cb done) {
    api_values_t *v = calloc(1, sizeof(*v));
    if (v == NULL)
        return -1;
    if (collect(req, op, extra, v) != 0) {
        values_free(v);
        free(v);
        return 0;
    }
    if ((int)v->n != op->stmt->nparams) {
        values_free(v);
        free(v);
        http_send_error(req, 500, "internal", "endpoint %s is misconfigured", op->stmt->name);
        return 0;
    }
    db_txn_t *txn = http_txn_new(req);
    int index = txn != NULL ? db_txn_add(txn, op->stmt, v->params) : -1;
    values_free(v);
    free(v);
    if (index < 0) {
        db_txn_free(txn);
        return -1;
    }
    req->result_index = index;
    http_db_submit(req, txn, done);
    return 0;
}
