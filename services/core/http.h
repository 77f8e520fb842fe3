/* HTTP core: h2o on the libuv loop, routing, strict JSON bodies, one error shape, request ids,
 * access logs, and graceful shutdown. Handlers receive an http_req_t and answer with the
 * http_send_* functions, directly or from a database callback. */
#pragma once
#include <cjson/cJSON.h>
#include <h2o.h>
#include <stddef.h>
#include <uv.h>

#include "core/config.h"
#include "core/db.h"
#include "core/router.h"

typedef struct http_server http_server_t;

/** Who is making the request, once the route's authentication has run. Strings are "" when
 * unset. Filled from the session row by the auth service. */
typedef struct http_identity {
    char user_id[37];
    char organisation_id[37];
    char session_id[37];
} http_identity_t;

/** One request. Allocated from the h2o request pool; it is disposed with the request, so a
 * database callback must go through http_db_submit, which learns when the client has gone. */
typedef struct http_req {
    h2o_req_t *h2o;
    http_server_t *server;
    route_match_t match;
    cJSON *body; /* parsed body (ROUTE_JSON_BODY), freed with the request */
    char request_id[130];
    char client_addr[64];
    http_identity_t identity;
    const char *error_code; /* code of the error answer sent, for the access log */
    uint64_t start_ns;
    struct http_async *pending;
    int answered;
} http_req_t;

/** Callback of http_db_submit: runs only while the client is still there. The transaction is
 * freed by the pool after the callback returns. */
typedef void (*http_db_cb)(http_req_t *req, db_txn_t *txn);

/** A hook that runs before a ROUTE_AUTH route's handler: it receives the bearer token (already
 * checked for shape) and must either call http_continue(req) or answer the request itself. */
typedef void (*http_auth_hook_t)(http_req_t *req, const char *token);

/** Creates the server on `loop` with `router` (borrowed) and `db` (borrowed). */
http_server_t *http_server_new(uv_loop_t *loop, const config_t *cfg, router_t *router,
                               db_pool_t *db);
/** Binds and listens; on success writes the bound port to *port (useful when configured as 0). */
int http_server_listen(http_server_t *server, int *port);
/** Installs the authentication hook used by ROUTE_AUTH routes. */
void http_server_set_auth(http_server_t *server, http_auth_hook_t hook);
/** Stops accepting, asks clients to close, waits for in-flight requests (at most the configured
 * timeout), then calls `on_drained`. */
void http_server_shutdown(http_server_t *server, void (*on_drained)(void *arg), void *arg);
/** Frees what the server owns after shutdown completed. */
void http_server_free(http_server_t *server);
db_pool_t *http_server_db(const http_server_t *server);
const config_t *http_server_config(const http_server_t *server);

/** Runs the route's handler after the authentication hook accepted the request. */
void http_continue(http_req_t *req);

/** Sends a JSON document (serialised here; `doc` stays the caller's). */
void http_send_json(http_req_t *req, int status, const cJSON *doc);
/** Sends already-serialised JSON text (for example built by PostgreSQL); the text is copied. */
void http_send_json_text(http_req_t *req, int status, const char *text, size_t len);
/** Sends a body of any content type; `extra` headers are name/value pairs, NULL-terminated. */
void http_send_body(http_req_t *req, int status, const char *content_type, const char *body,
                    size_t len, const char *const *extra);
/** Sends {"error":{"code","message"}} with the given status. */
void http_send_error(http_req_t *req, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Sends an error with additional members in the error object (e.g. "remaining"); takes `extra`. */
void http_send_error_with(http_req_t *req, int status, const char *code, const char *message,
                          cJSON *extra);
/** 404 not_found: the same answer for a missing object and another tenant's. */
void http_send_not_found(http_req_t *req);
/** Answers a failed transaction: SQLSTATE mapping, 503 with Retry-After for unavailability. */
void http_send_db_error(http_req_t *req, const db_txn_t *txn);
/** Answers a refused submission (DB_EUNAVAILABLE, DB_EQUEUEFULL, DB_ECLOSING). */
void http_send_db_status(http_req_t *req, db_status_t status);
/** Adds a response header (copied). Call before sending. */
void http_add_header(http_req_t *req, const char *name, const char *value);

/** Submits `txn`; `cb` runs when it completes unless the client has gone by then. On refusal the
 * request is answered with 503 and the transaction freed. Either way the caller gives up `txn`. */
void http_db_submit(http_req_t *req, db_txn_t *txn, http_db_cb cb);

/** The route parameter `name` copied into `buf`, or NULL. */
const char *http_param(const http_req_t *req, const char *name, char *buf, size_t buflen);
/** The value of query parameter `name`, percent-decoded into `buf`; NULL when absent or too long. */
const char *http_query(const http_req_t *req, const char *name, char *buf, size_t buflen);
/** The value of request header `name` (lower case) as a NUL-terminated copy, or NULL. */
const char *http_header(const http_req_t *req, const char *name, char *buf, size_t buflen);
