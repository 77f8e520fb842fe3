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
#include "core/token.h"
#include "core/http_internal.h"

uint64_t http_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
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

/* ---- the request pipeline -------------------------------------------------------------------- */

static void drain_check(http_server_t *server);

/* A write on a ROUTE_ANONYMOUS route (an anonymous post, edit, deletion or "me too") leaves no
 * access line, since its time would sit next to the writer's attributed requests; a server error
 * there is logged with the route's pattern instead of the path. */
static int anonymous_write(const http_req_t *req) {
    const route_t *route = req->match.route;
    return route != NULL && (route->flags & ROUTE_ANONYMOUS) && strcmp(route->method, "GET") != 0;
}

static void log_access(req_slot_t *slot, uint64_t end_ns) {
    http_req_t *req = &slot->req;
    int status = slot->log.status != 0 ? slot->log.status : 499;
    log_level_t level = status >= 500 ? LOG_ERROR : LOG_INFO;
    int anonymous = anonymous_write(req);
    if (!log_enabled(level) || (anonymous && status < 500))
        return;
    log_line_t line;
    log_begin(&line, level, "request");
    log_str(&line, "request_id", req->request_id);
    log_str(&line, "method", slot->log.method);
    log_str(&line, "path", anonymous ? req->match.route->pattern : slot->log.path);
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
    log_access(slot, http_now_ns());
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
    req->start_ns = http_now_ns();
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
        token_sha256_hex(token, strlen(token), req->token_hash);
        token_pad_hex(token, req->token_pad);
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
