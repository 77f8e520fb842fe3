/* Answers: every response goes through start_answer, which sets the status, the content type,
 * X-Request-Id and the security and caching defaults; JSON, error and database-error answers are
 * built on it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/http_internal.h"
#include "core/log.h"

const char *http_reason_for(int status) {
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 412:
        return "Precondition Failed";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Content";
    case 428:
        return "Precondition Required";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return status < 400 ? "OK" : "Error";
    }
}

/* ---- responses ------------------------------------------------------------------------------- */

void http_add_header(http_req_t *req, const char *name, const char *value) {
    h2o_req_t *h = req->h2o;
    size_t nlen = strlen(name);
    char *lname = h2o_mem_alloc_pool(&h->pool, nlen + 1);
    for (size_t i = 0; i <= nlen; i++)
        lname[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    h2o_iovec_t v = h2o_strdup(&h->pool, value, strlen(value));
    h2o_add_header_by_str(&h->pool, &h->res.headers, lname, nlen, 1, NULL, v.base, v.len);
}

/* Status and the headers every answer carries; marks the request answered. */
static void start_answer(http_req_t *req, int status, const char *content_type) {
    h2o_req_t *h = req->h2o;
    req->answered = 1;
    ((req_slot_t *)req)->log.status = status;
    h->res.status = status;
    h->res.reason = http_reason_for(status);
    if (req->server->shutting_down)
        h->http1_is_persistent = 0;
    h2o_add_header(&h->pool, &h->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, content_type,
                   strlen(content_type));
    h2o_add_header_by_str(&h->pool, &h->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
                          req->request_id, strlen(req->request_id));
    h2o_add_header_by_str(&h->pool, &h->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    if (h2o_find_header(&h->res.headers, H2O_TOKEN_CACHE_CONTROL, -1) == -1)
        h2o_add_header(&h->pool, &h->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL,
                       H2O_STRLIT("no-store"));
}

void http_send_body(http_req_t *req, int status, const char *content_type, const char *body,
                    size_t len, const char *const *extra) {
    h2o_req_t *h = req->h2o;
    if (req->answered || h == NULL)
        return;
    start_answer(req, status, content_type);
    h->res.content_length = len;
    for (const char *const *e = extra; e != NULL && e[0] != NULL; e += 2)
        http_add_header(req, e[0], e[1]);
    h2o_send_inline(h, body, len);
}

void http_start_stream(http_req_t *req, h2o_generator_t *generator, const char *content_type) {
    if (req->answered || req->h2o == NULL)
        return;
    start_answer(req, 200, content_type);
    h2o_start_response(req->h2o, generator);
}

void http_send_json_text(http_req_t *req, int status, const char *text, size_t len) {
    http_send_body(req, status, "application/json", text, len, NULL);
}

void http_send_json(http_req_t *req, int status, const cJSON *doc) {
    char *text = cJSON_PrintUnformatted(doc);
    if (text == NULL) {
        http_send_error(req, 500, "internal", "the response could not be built");
        return;
    }
    http_send_json_text(req, status, text, strlen(text));
    cJSON_free(text);
}

void http_send_error_with(http_req_t *req, int status, const char *code, const char *message,
                          cJSON *extra) {
    cJSON *doc = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(doc, "error");
    cJSON_AddStringToObject(err, "code", code);
    cJSON_AddStringToObject(err, "message", message);
    if (extra != NULL) {
        for (cJSON *c = extra->child; c != NULL; c = c->next)
            cJSON_AddItemReferenceToObject(err, c->string, c);
    }
    snprintf(req->error_code, sizeof(req->error_code), "%s", code);
    http_send_json(req, status, doc);
    cJSON_Delete(doc);
    cJSON_Delete(extra);
}

void http_send_error(http_req_t *req, int status, const char *code, const char *fmt, ...) {
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);
    http_send_error_with(req, status, code, message, NULL);
}

void http_send_not_found(http_req_t *req) {
    http_send_error(req, 404, "not_found", "no such resource");
}

void http_send_db_status(http_req_t *req, db_status_t status) {
    if (req->h2o == NULL)
        return;
    h2o_add_header(&req->h2o->pool, &req->h2o->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                   H2O_STRLIT("1"));
    if (status == DB_EQUEUEFULL)
        http_send_error(req, 503, "overloaded", "the server is busy; retry shortly");
    else if (status == DB_ECLOSING)
        http_send_error(req, 503, "shutting_down", "the server is restarting; retry shortly");
    else
        http_send_error(req, 503, "database_unavailable",
                        "the database is unavailable; retry shortly");
}

void http_send_db_error(http_req_t *req, const db_txn_t *txn) {
    db_status_t st = db_txn_status(txn);
    if (st == DB_EUNAVAILABLE || st == DB_EQUEUEFULL || st == DB_ECLOSING) {
        http_send_db_status(req, st);
        return;
    }
    http_error_t e = http_error_for_sqlstate(db_txn_sqlstate(txn), db_txn_error_message(txn),
                                             db_txn_error_detail(txn));
    if (e.status >= 500 && log_enabled(LOG_ERROR)) {
        log_line_t line;
        log_begin(&line, LOG_ERROR, "database error");
        log_str(&line, "request_id", req->request_id);
        log_str(&line, "sqlstate", db_txn_sqlstate(txn));
        log_str(&line, "detail", db_txn_error_message(txn));
        log_int(&line, "statement", db_txn_failed_index(txn));
        log_emit(&line);
    }
    if (e.status == 401 && req->h2o != NULL)
        http_add_header(req, "WWW-Authenticate", "Bearer");
    if (e.status == 503 && req->h2o != NULL)
        h2o_add_header(&req->h2o->pool, &req->h2o->res.headers, H2O_TOKEN_RETRY_AFTER, NULL,
                       H2O_STRLIT("1"));
    http_send_error(req, e.status, e.code, "%s", e.message);
}
