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

/** One request. Allocated from the h2o request pool; it is disposed with the request, so a
 * database callback must go through http_db_submit, which learns when the client has gone. */
typedef struct http_req {
    h2o_req_t *h2o;
    http_server_t *server;
    route_match_t match;
    cJSON *body; /* parsed body (ROUTE_JSON_BODY), freed with the request */
    char request_id[130];
    char token_hash[65]; /* SHA-256 (hex) of the bearer token, for ROUTE_AUTH routes */
    char token_pad[65];  /* the token's feedback-key pad (core/token.h), for ROUTE_AUTH routes */
    int result_index;    /* statement whose result answers the request (handler's choice) */
    void *handler_data;  /* handler state between steps; from the request pool */
    char error_code[65]; /* code of the error answer sent, for the access log */
    uint64_t start_ns;
    struct http_async *pending;
    int answered;
} http_req_t;

/** Callback of http_db_submit: runs only while the client is still there. The transaction is
 * freed by the pool after the callback returns. */
typedef void (*http_db_cb)(http_req_t *req, db_txn_t *txn);

/** Work for a libuv worker thread (no h2o, no loop access), and its completion on the loop, which
 * runs only while the client is still there. `data` is freed by the `free_data` given to
 * http_queue_work whether or not `done` runs. */
typedef void (*http_work_fn)(void *data);
typedef void (*http_work_done)(http_req_t *req, void *data);

/** Creates the server on `loop` with `router` (borrowed) and `db` (borrowed). */
http_server_t *http_server_new(uv_loop_t *loop, const config_t *cfg, router_t *router,
                               db_pool_t *db);
/** Binds and listens; on success writes the bound port to *port (useful when configured as 0). */
int http_server_listen(http_server_t *server, int *port);
/** Sets the statement that authenticates ROUTE_AUTH requests: it takes the token's SHA-256 (hex)
 * and must establish the transaction's identity or raise IC401. It runs first in the request's
 * transaction, so authentication costs no extra round trip. */
void http_server_set_auth_statement(http_server_t *server, const db_stmt_t *stmt);
/** Stops accepting, asks clients to close, waits for in-flight requests (at most the configured
 * timeout), then calls `on_drained`. */
void http_server_shutdown(http_server_t *server, void (*on_drained)(void *arg), void *arg);
/** Registers `cb(arg)` to run when http_server_shutdown starts, before the drain (at most 8):
 * long-lived responses such as event streams end there, so the drain does not wait for them. */
int http_server_on_shutdown(http_server_t *server, void (*cb)(void *arg), void *arg);
/** Frees what the server owns after shutdown completed. */
void http_server_free(http_server_t *server);
db_pool_t *http_server_db(const http_server_t *server);
const config_t *http_server_config(const http_server_t *server);

/** Creates the request's transaction: app.request_id is set and, for ROUTE_AUTH routes, the
 * authentication statement comes first (so the handler's statements run as the caller). */
db_txn_t *http_txn_new(http_req_t *req);

/** Runs `work` on a worker thread, then `done` on the loop if the client is still there. Returns
 * 0, or -1 (the request is answered with 500 and `data` freed). */
int http_queue_work(http_req_t *req, http_work_fn work, http_work_done done, void *data,
                    void (*free_data)(void *));

/** The client's address as text ("" when unknown). */
const char *http_client_addr(const http_req_t *req, char *buf, size_t buflen);

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
/** Starts a streaming response (200, `content_type`, the usual headers, no length) whose body
 * `generator` produces with h2o_send; the request counts as answered from here on. */
void http_start_stream(http_req_t *req, h2o_generator_t *generator, const char *content_type);
/** Adds a response header (copied). Call before sending. */
void http_add_header(http_req_t *req, const char *name, const char *value);

/** Submits `txn`; `cb` runs when it completes unless the client has gone by then. On refusal the
 * request is answered with 503 and the transaction freed. Either way the caller gives up `txn`. */
void http_db_submit(http_req_t *req, db_txn_t *txn, http_db_cb cb);

/** The route parameter `name` copied into `buf`, or NULL. */
const char *http_param(const http_req_t *req, const char *name, char *buf, size_t buflen);
/** The value of query parameter `name`, percent-decoded into `buf`; NULL when absent or too long.
 */
const char *http_query(const http_req_t *req, const char *name, char *buf, size_t buflen);
/** The value of request header `name` (lower case) as a NUL-terminated copy, or NULL. */
const char *http_header(const http_req_t *req, const char *name, char *buf, size_t buflen);
