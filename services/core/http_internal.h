/* Internals shared by the HTTP core's files (http.c: server and request pipeline,
 * http_response.c: answers, http_request.c: request accessors and the database and worker
 * bridges). Nothing outside services/core includes this header. */
#pragma once
#include "core/http.h"

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

/** Monotonic nanoseconds. */
uint64_t http_now_ns(void);
/** The reason phrase HTTP/1.1 sends with `status`. */
const char *http_reason_for(int status);
