/* The HTTP server: h2o on the shared libuv loop with one catch-all handler that routes, checks the
 * body, authenticates and calls the route's handler. Every answer carries X-Request-Id and goes
 * through http_send_body; errors that h2o produces on its own (a body over the limit, a malformed
 * request) are rewritten into the same error shape by a response filter. */
#include "core/http.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/errors.h"
#include "core/json.h"
#include "core/log.h"

struct http_server {
    uv_loop_t *loop;
    const config_t *cfg;
    router_t *router;
    db_pool_t *db;
    const db_stmt_t *auth_stmt;
    h2o_globalconf_t h2o_config;
    h2o_context_t h2o_ctx;
    h2o_accept_ctx_t accept_ctx;
    uv_tcp_t listener;
    int listening;
    int inflight;
    int shutting_down;
    uv_timer_t drain_timer;
    void (*on_drained)(void *);
    void *on_drained_arg;
    struct {
        void (*cb)(void *);
        void *arg;
    } shutdown_hooks[8]; /* http_server_on_shutdown */
    int nshutdown_hooks;
};

typedef struct server_handler {
    h2o_handler_t super;
    http_server_t *server;
} server_handler_t;

/* Links a database transaction back to its request; the request clears `req` when it goes. Owned
 * by the pending transaction, freed in on_db_done. */
typedef struct http_async {
    http_req_t *req;
    http_db_cb cb;
    uv_work_t work;
    http_work_fn work_fn;
    http_work_done work_done;
    void *data;
    void (*free_data)(void *);
} http_async_t;

/* Per-request log fields copied at the start: h2o's strings may be gone when the request ends. */
typedef struct req_log {
    char method[12];
    char path[256];
    int status;
} req_log_t;

typedef struct req_slot {
    http_req_t req;
    req_log_t log;
} req_slot_t;

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *reason_for(int status) {
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

/* ---- request ids ----------------------------------------------------------------------------- */

static int request_id_sane(const char *s, size_t len) {
    if (len < 1 || len > 128)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-'))
            return 0;
    }
    return 1;
}

/* A random UUIDv4. */
static void uuid_v4(char out[37]) {
    unsigned char b[16];
    randombytes_buf(b, sizeof(b));
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

static void assign_request_id(h2o_req_t *h, char *out, size_t cap) {
    ssize_t i = h2o_find_header_by_str(&h->headers, H2O_STRLIT("x-request-id"), -1);
    if (i >= 0) {
        h2o_iovec_t v = h->headers.entries[i].value;
        if (request_id_sane(v.base, v.len) && v.len < cap) {
            memcpy(out, v.base, v.len);
            out[v.len] = '\0';
            return;
        }
    }
    uuid_v4(out);
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
    h->res.reason = reason_for(status);
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

/* ---- database bridge ------------------------------------------------------------------------- */

static void on_db_done(db_txn_t *txn, void *arg) {
    http_async_t *a = arg;
    http_req_t *req = a->req;
    http_db_cb cb = a->cb;
    free(a);
    if (req == NULL)
        return; /* the client went away; the pool frees the transaction */
    req->pending = NULL;
    cb(req, txn);
}

void http_db_submit(http_req_t *req, db_txn_t *txn, http_db_cb cb) {
    http_async_t *a = malloc(sizeof(*a));
    if (a == NULL) {
        db_txn_free(txn);
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    a->req = req;
    a->cb = cb;
    req->pending = a;
    db_status_t st = db_txn_submit(req->server->db, txn, on_db_done, a);
    if (st != DB_OK) {
        req->pending = NULL;
        free(a);
        db_txn_free(txn);
        http_send_db_status(req, st);
    }
}

static void on_work(uv_work_t *w) {
    http_async_t *a = w->data;
    a->work_fn(a->data);
}

static void on_work_done(uv_work_t *w, int status) {
    http_async_t *a = w->data;
    http_req_t *req = a->req;
    if (req != NULL) {
        req->pending = NULL;
        if (status == 0)
            a->work_done(req, a->data);
        else
            http_send_error(req, 500, "internal", "the request could not be completed");
    }
    a->free_data(a->data);
    free(a);
}

int http_queue_work(http_req_t *req, http_work_fn work, http_work_done done, void *data,
                    void (*free_data)(void *)) {
    http_async_t *a = calloc(1, sizeof(*a));
    if (a == NULL)
        goto fail;
    a->req = req;
    a->work_fn = work;
    a->work_done = done;
    a->data = data;
    a->free_data = free_data;
    a->work.data = a;
    if (uv_queue_work(req->server->loop, &a->work, on_work, on_work_done) != 0)
        goto fail;
    req->pending = a;
    return 0;
fail:
    free(a);
    free_data(data);
    http_send_error(req, 500, "internal", "the request could not be scheduled");
    return -1;
}

db_txn_t *http_txn_new(http_req_t *req) {
    db_txn_t *txn = db_txn_new();
    if (txn == NULL)
        return NULL;
    if (db_txn_setting(txn, "app.request_id", req->request_id) != 0)
        goto fail;
    if (req->match.route != NULL && (req->match.route->flags & ROUTE_AUTH)) {
        const char *params[] = {req->token_hash};
        if (db_txn_add(txn, req->server->auth_stmt, params) < 0)
            goto fail;
    }
    return txn;
fail:
    db_txn_free(txn);
    return NULL;
}

const char *http_client_addr(const http_req_t *req, char *buf, size_t buflen) {
    struct sockaddr_storage sa;
    buf[0] = '\0';
    if (req->h2o == NULL || req->h2o->conn->callbacks->get_peername == NULL)
        return buf;
    socklen_t len = req->h2o->conn->callbacks->get_peername(req->h2o->conn, (struct sockaddr *)&sa);
    if (len == 0)
        return buf;
    if (sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, buf, (socklen_t)buflen);
    else if (sa.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, buf, (socklen_t)buflen);
    return buf;
}

/* ---- request accessors ----------------------------------------------------------------------- */

const char *http_param(const http_req_t *req, const char *name, char *buf, size_t buflen) {
    return route_param(&req->match, name, buf, buflen);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

const char *http_query(const http_req_t *req, const char *name, char *buf, size_t buflen) {
    h2o_req_t *h = req->h2o;
    if (h == NULL || h->query_at == SIZE_MAX)
        return NULL;
    const char *q = h->path.base + h->query_at + 1, *end = h->path.base + h->path.len;
    size_t nlen = strlen(name);
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));
        const char *kend = eq != NULL ? eq : stop;
        if ((size_t)(kend - q) == nlen && memcmp(q, name, nlen) == 0) {
            size_t o = 0;
            for (const char *p = eq != NULL ? eq + 1 : stop; p < stop; p++) {
                char c = *p;
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    if (stop - p < 3 || hexval(p[1]) < 0 || hexval(p[2]) < 0)
                        return NULL;
                    c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
                    p += 2;
                }
                if (c == '\0' || o + 1 >= buflen)
                    return NULL;
                buf[o++] = c;
            }
            buf[o] = '\0';
            return buf;
        }
        q = stop + 1;
    }
    return NULL;
}

const char *http_header(const http_req_t *req, const char *name, char *buf, size_t buflen) {
    if (req->h2o == NULL)
        return NULL;
    ssize_t i = h2o_find_header_by_str(&req->h2o->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    h2o_iovec_t v = req->h2o->headers.entries[i].value;
    if (v.len + 1 > buflen)
        return NULL;
    memcpy(buf, v.base, v.len);
    buf[v.len] = '\0';
    return buf;
}

/* ---- the request pipeline -------------------------------------------------------------------- */

static void drain_check(http_server_t *server);

static void log_access(req_slot_t *slot, uint64_t end_ns) {
    http_req_t *req = &slot->req;
    int status = slot->log.status != 0 ? slot->log.status : 499;
    log_level_t level = status >= 500 ? LOG_ERROR : LOG_INFO;
    if (!log_enabled(level))
        return;
    log_line_t line;
    log_begin(&line, level, "request");
    log_str(&line, "request_id", req->request_id);
    log_str(&line, "method", slot->log.method);
    log_str(&line, "path", slot->log.path);
    log_int(&line, "status", status);
    log_double(&line, "duration_ms", (double)(end_ns - req->start_ns) / 1e6);
    if (req->error_code[0] != '\0')
        log_str(&line, "error", req->error_code);
    if (slot->log.status == 0)
        log_str(&line, "error", "client_closed");
    log_emit(&line);
}

/* Runs when h2o disposes the request's memory pool: the request is over, answered or not. */
static void on_req_dispose(void *p) {
    req_slot_t *slot = p;
    http_req_t *req = &slot->req;
    if (req->pending != NULL)
        req->pending->req = NULL;
    log_access(slot, now_ns());
    cJSON_Delete(req->body);
    http_server_t *server = req->server;
    server->inflight--;
    drain_check(server);
}

static int content_type_is_json(h2o_req_t *h) {
    ssize_t i = h2o_find_header(&h->headers, H2O_TOKEN_CONTENT_TYPE, -1);
    if (i < 0)
        return 0;
    h2o_iovec_t v = h->headers.entries[i].value;
    static const char json[] = "application/json";
    size_t n = sizeof(json) - 1;
    if (v.len < n || strncasecmp(v.base, json, n) != 0)
        return 0;
    /* Parameters may follow; the only charset JSON has is UTF-8. */
    const char *rest = v.base + n, *end = v.base + v.len;
    while (rest < end && *rest == ' ')
        rest++;
    if (rest == end)
        return 1;
    if (*rest != ';')
        return 0;
    for (const char *p = rest; p + 8 <= end; p++)
        if (strncasecmp(p, "charset=", 8) == 0)
            return (size_t)(end - p - 8) >= 5 && strncasecmp(p + 8, "utf-8", 5) == 0;
    return 1;
}

/* Validates the body against the route; returns 0 to go on, -1 when the request was answered. */
static int check_body(http_req_t *req) {
    h2o_req_t *h = req->h2o;
    int flags = req->match.route->flags;
    int has_body = h->entity.base != NULL && h->entity.len > 0;
    if (!has_body) {
        if (flags & ROUTE_JSON_BODY) {
            http_send_error(req, 400, "invalid_body", "this request needs a JSON body");
            return -1;
        }
        return 0;
    }
    /* The media type first: the contract refuses any body that is not JSON with 415. */
    if (!content_type_is_json(h)) {
        http_send_error(req, 415, "unsupported_media_type",
                        "send the body as JSON with Content-Type: application/json");
        return -1;
    }
    if (!(flags & (ROUTE_JSON_BODY | ROUTE_OPTIONAL_BODY))) {
        http_send_error(req, 400, "invalid_body", "this request takes no body");
        return -1;
    }
    char detail[160];
    switch (json_parse_strict(h->entity.base, h->entity.len, &req->body, detail, sizeof(detail))) {
    case JSON_OK:
        return 0;
    case JSON_EUTF8:
        http_send_error(req, 400, "invalid_utf8", "the body is not valid UTF-8");
        return -1;
    case JSON_EDEPTH:
        http_send_error(req, 400, "too_deep", "the body is nested too deeply: %s", detail);
        return -1;
    case JSON_EDUPKEY:
        http_send_error(req, 400, "duplicate_key", "the body is ambiguous: %s", detail);
        return -1;
    default:
        http_send_error(req, 400, "invalid_json", "the body is not valid JSON: %s", detail);
        return -1;
    }
}

/* Extracts a bearer token of sane shape; returns NULL when there is none. */
static const char *bearer_token(http_req_t *req, char *buf, size_t buflen) {
    const char *auth = http_header(req, "authorization", buf, buflen);
    if (auth == NULL || strncasecmp(auth, "Bearer ", 7) != 0)
        return NULL;
    const char *token = auth + 7;
    size_t n = strlen(token);
    if (n < 16 || n > 256)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char c = token[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return NULL;
    }
    return token;
}

static int on_req(h2o_handler_t *self, h2o_req_t *h) {
    http_server_t *server = ((server_handler_t *)self)->server;
    req_slot_t *slot = h2o_mem_alloc_shared(&h->pool, sizeof(*slot), on_req_dispose);
    http_req_t *req = &slot->req;
    memset(slot, 0, sizeof(*slot));
    req->h2o = h;
    req->server = server;
    req->start_ns = now_ns();
    server->inflight++;
    assign_request_id(h, req->request_id, sizeof(req->request_id));
    snprintf(slot->log.method, sizeof(slot->log.method), "%.*s", (int)h->method.len,
             h->method.base);
    snprintf(slot->log.path, sizeof(slot->log.path), "%.*s", (int)h->path_normalized.len,
             h->path_normalized.base);

    /* HEAD is GET without a body; h2o drops the body for us. */
    h2o_iovec_t method = h->method;
    if (h2o_memis(method.base, method.len, H2O_STRLIT("HEAD")))
        method = h2o_iovec_init(H2O_STRLIT("GET"));
    switch (router_match(server->router, method.base, method.len, h->path_normalized.base,
                         h->path_normalized.len, &req->match)) {
    case ROUTE_NOT_FOUND:
        http_send_not_found(req);
        return 0;
    case ROUTE_METHOD_NOT_ALLOWED: {
        const char *allow[] = {"Allow", req->match.allow, NULL};
        cJSON *doc = cJSON_CreateObject();
        cJSON *err = cJSON_AddObjectToObject(doc, "error");
        cJSON_AddStringToObject(err, "code", "method_not_allowed");
        cJSON_AddStringToObject(err, "message", "this path does not accept that method");
        char *text = cJSON_PrintUnformatted(doc);
        snprintf(req->error_code, sizeof(req->error_code), "method_not_allowed");
        http_send_body(req, 405, "application/json", text, strlen(text), allow);
        cJSON_free(text);
        cJSON_Delete(doc);
        return 0;
    }
    case ROUTE_FOUND:
        break;
    }
    if (req->match.route->flags & ROUTE_ANONYMOUS)
        uuid_v4(req->request_id);
    if (check_body(req) != 0)
        return 0;
    if (req->match.route->flags & ROUTE_AUTH) {
        char buf[300];
        const char *token = bearer_token(req, buf, sizeof(buf));
        if (token == NULL || server->auth_stmt == NULL) {
            http_add_header(req, "WWW-Authenticate", "Bearer");
            http_send_error(req, 401, "unauthenticated",
                            "send a valid session token as Authorization: Bearer <token>");
            return 0;
        }
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
        sodium_bin2hex(req->token_hash, sizeof(req->token_hash), digest, sizeof(digest));
    }
    if (req->match.route->handler(req) != 0 && !req->answered)
        http_send_error(req, 500, "internal", "the request could not be handled");
    return 0;
}

/* ---- h2o's own errors in our shape ----------------------------------------------------------- */

typedef struct error_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
    int sent;
} error_ostream_t;

static void error_ostream_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs,
                               size_t bufcnt, h2o_send_state_t state) {
    error_ostream_t *os = (error_ostream_t *)self;
    (void)bufs;
    (void)bufcnt;
    if (h2o_send_state_is_in_progress(state) || os->sent) {
        h2o_ostream_send_next(&os->super, req, NULL, 0, state);
        return;
    }
    os->sent = 1;
    h2o_ostream_send_next(&os->super, req, &os->body, 1, state);
}

static void on_setup_error_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot) {
    (void)self;
    if (req->res.status >= 400 &&
        h2o_find_header_by_str(&req->res.headers, H2O_STRLIT("x-request-id"), -1) == -1) {
        const char *code = req->res.status == 413   ? "body_too_large"
                           : req->res.status == 404 ? "not_found"
                           : req->res.status == 400 ? "bad_request"
                           : req->res.status >= 500 ? "internal"
                                                    : "bad_request";
        const char *message = req->res.status == 413
                                  ? "the request body is larger than the server accepts"
                                  : "the request could not be processed";
        char id[37], text[256];
        uuid_v4(id);
        int n = snprintf(text, sizeof(text), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
                         code, message);
        error_ostream_t *os =
            (error_ostream_t *)h2o_add_ostream(req, sizeof(error_ostream_t), slot);
        os->super.do_send = error_ostream_send;
        os->body = h2o_strdup(&req->pool, text, (size_t)n);
        os->sent = 0;
        req->res.content_length = (size_t)n;
        h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                       H2O_STRLIT("application/json"), 1);
        h2o_iovec_t idv = h2o_strdup(&req->pool, id, strlen(id));
        h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL,
                              idv.base, idv.len);
        if (log_enabled(LOG_INFO)) {
            log_line_t line;
            log_begin(&line, LOG_INFO, "request");
            log_str(&line, "request_id", id);
            log_int(&line, "status", req->res.status);
            log_str(&line, "error", code);
            log_emit(&line);
        }
        slot = &os->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

/* ---- server life cycle ----------------------------------------------------------------------- */

http_server_t *http_server_new(uv_loop_t *loop, const config_t *cfg, router_t *router,
                               db_pool_t *db) {
    http_server_t *server = calloc(1, sizeof(*server));
    if (server == NULL)
        return NULL;
    server->loop = loop;
    server->cfg = cfg;
    server->router = router;
    server->db = db;
    h2o_config_init(&server->h2o_config);
    server->h2o_config.max_request_entity_size = cfg->body_limit;
    server->h2o_config.server_name = h2o_iovec_init(H2O_STRLIT("isms-cluster"));
    h2o_hostconf_t *host =
        h2o_config_register_host(&server->h2o_config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    server_handler_t *handler = (server_handler_t *)h2o_create_handler(path, sizeof(*handler));
    handler->super.on_req = on_req;
    handler->server = server;
    h2o_create_filter(path, sizeof(h2o_filter_t))->on_setup_ostream = on_setup_error_ostream;
    h2o_create_filter(&host->fallback_path, sizeof(h2o_filter_t))->on_setup_ostream =
        on_setup_error_ostream;
    h2o_context_init(&server->h2o_ctx, loop, &server->h2o_config);
    server->accept_ctx.ctx = &server->h2o_ctx;
    server->accept_ctx.hosts = server->h2o_config.hosts;
    uv_timer_init(loop, &server->drain_timer);
    server->drain_timer.data = server;
    return server;
}

void http_server_set_auth_statement(http_server_t *server, const db_stmt_t *stmt) {
    server->auth_stmt = stmt;
}

db_pool_t *http_server_db(const http_server_t *server) {
    return server->db;
}

const config_t *http_server_config(const http_server_t *server) {
    return server->cfg;
}

static void on_accept(uv_stream_t *listener, int status) {
    http_server_t *server = listener->data;
    if (status != 0 || server->shutting_down)
        return;
    uv_tcp_t *conn = h2o_mem_alloc(sizeof(*conn));
    uv_tcp_init(listener->loop, conn);
    if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
        uv_close((uv_handle_t *)conn, (uv_close_cb)free);
        return;
    }
    uv_tcp_nodelay(conn, 1);
    h2o_accept(&server->accept_ctx, h2o_uv_socket_create((uv_stream_t *)conn, (uv_close_cb)free));
}

int http_server_listen(http_server_t *server, int *port) {
    struct sockaddr_storage addr;
    int r;
    if (strchr(server->cfg->http_host, ':') != NULL)
        r = uv_ip6_addr(server->cfg->http_host, server->cfg->http_port,
                        (struct sockaddr_in6 *)&addr);
    else
        r = uv_ip4_addr(server->cfg->http_host, server->cfg->http_port,
                        (struct sockaddr_in *)&addr);
    if (r != 0)
        return r;
    uv_tcp_init(server->loop, &server->listener);
    server->listener.data = server;
    server->listening = 1;
    if ((r = uv_tcp_bind(&server->listener, (struct sockaddr *)&addr, 0)) != 0 ||
        (r = uv_listen((uv_stream_t *)&server->listener, 1024, on_accept)) != 0)
        return r;
    struct sockaddr_storage bound;
    int len = sizeof(bound);
    uv_tcp_getsockname(&server->listener, (struct sockaddr *)&bound, &len);
    *port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
                                              : ((struct sockaddr_in *)&bound)->sin_port);
    return 0;
}

static void drained(http_server_t *server) {
    void (*cb)(void *) = server->on_drained;
    server->on_drained = NULL;
    uv_timer_stop(&server->drain_timer);
    if (cb != NULL)
        cb(server->on_drained_arg);
}

static void drain_check(http_server_t *server) {
    if (server->shutting_down && server->inflight == 0)
        drained(server);
}

static void on_drain_timeout(uv_timer_t *timer) {
    http_server_t *server = timer->data;
    if (server->inflight > 0) {
        log_line_t line;
        log_begin(&line, LOG_WARN, "shutdown timeout: abandoning in-flight requests");
        log_int(&line, "inflight", server->inflight);
        log_emit(&line);
    }
    drained(server);
}

static void on_drain_start(uv_timer_t *timer) {
    http_server_t *server = timer->data;
    if (server->inflight == 0) {
        drained(server);
        return;
    }
    uv_timer_start(&server->drain_timer, on_drain_timeout,
                   (uint64_t)server->cfg->shutdown_timeout_ms, 0);
}

void http_server_shutdown(http_server_t *server, void (*on_drained)(void *arg), void *arg) {
    if (server->shutting_down)
        return;
    server->shutting_down = 1;
    server->on_drained = on_drained;
    server->on_drained_arg = arg;
    if (server->listening) {
        uv_close((uv_handle_t *)&server->listener, NULL);
        server->listening = 0;
    }
    h2o_context_request_shutdown(&server->h2o_ctx);
    for (int i = 0; i < server->nshutdown_hooks; i++)
        server->shutdown_hooks[i].cb(server->shutdown_hooks[i].arg);
    /* Decide on the next loop turn so that the caller never re-enters from its own callback. */
    uv_timer_start(&server->drain_timer, on_drain_start, 0, 0);
}

int http_server_on_shutdown(http_server_t *server, void (*cb)(void *arg), void *arg) {
    int max = (int)(sizeof(server->shutdown_hooks) / sizeof(server->shutdown_hooks[0]));
    if (server->nshutdown_hooks == max)
        return -1;
    server->shutdown_hooks[server->nshutdown_hooks].cb = cb;
    server->shutdown_hooks[server->nshutdown_hooks].arg = arg;
    server->nshutdown_hooks++;
    return 0;
}

void http_server_free(http_server_t *server) {
    if (server == NULL)
        return;
    uv_close((uv_handle_t *)&server->drain_timer, NULL);
}
