/* Asynchronous libpq pool. Each connection is a small state machine driven by uv_poll on a dup of
 * libpq's socket (libpq may replace its socket while connecting, and the dup keeps the descriptor
 * that epoll knows alive until our close callback). Connections run in pipeline mode; one
 * transaction at a time per connection, sent as BEGIN, settings, statements, COMMIT and Sync. */
#include "core/db_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 500
#define BACKOFF_SCHEMA_MS 5000

typedef enum {
    CONN_DOWN,       /* waiting for the reconnect timer */
    CONN_CONNECTING, /* PQconnectPoll in progress */
    CONN_PREPARING,  /* preparing the registered statements */
    CONN_IDLE,
    CONN_BUSY,     /* running a transaction */
    CONN_ROLLBACK, /* rolling back after a failed transaction */
    CONN_CLOSED,
} conn_state_t;

/* A poll handle and the descriptor it watches; freed in its close callback. */
typedef struct conn_poll {
    uv_poll_t handle;
    int fd;
} conn_poll_t;

typedef struct db_conn {
    db_pool_t *pool;
    PGconn *pg;
    conn_poll_t *poll;
    ino_t sock_ino; /* identity of the socket being watched */
    int events;
    uv_timer_t timer;
    conn_state_t state;
    int backoff_ms;
    int expected; /* queries sent in the current pipeline, before its Sync */
    int index;    /* query whose results are being read */
    int prepare_failed;
    db_txn_t *txn;
} db_conn_t;

struct db_pool {
    uv_loop_t *loop;
    char *conninfo;
    db_conn_t *conns;
    int size;
    int queue_limit, queued;
    char statement_timeout[16]; /* milliseconds, as text for set_config */
    db_txn_t *queue_head, *queue_tail;
    const db_stmt_t *tables[32];
    size_t table_len[32];
    size_t ntables;
    db_stmt_t core[4 + DB_MAX_SETTINGS];
    char *settings_sql[DB_MAX_SETTINGS];
    int started;
    int closing;
    int open_handles;
    void (*on_closed)(void *);
    void *on_closed_arg;
};

enum { CORE_BEGIN, CORE_BEGIN_RO, CORE_COMMIT, CORE_READ_ONLY, CORE_SETTINGS };

static void conn_connect(db_conn_t *c);
static void conn_lost(db_conn_t *c, const char *why);
static void conn_dispatch(db_conn_t *c);
static void on_poll(uv_poll_t *handle, int status, int events);
static void pool_maybe_free(db_pool_t *pool);

/* ---- socket watching ------------------------------------------------------------------------- */

static void on_poll_closed(uv_handle_t *handle) {
    conn_poll_t *p = (conn_poll_t *)handle;
    db_pool_t *pool = handle->data;
    close(p->fd);
    free(p);
    pool->open_handles--;
    pool_maybe_free(pool);
}

static void conn_unwatch(db_conn_t *c) {
    if (c->poll == NULL)
        return;
    uv_poll_stop(&c->poll->handle);
    c->poll->handle.data = c->pool;
    uv_close((uv_handle_t *)&c->poll->handle, on_poll_closed);
    c->poll = NULL;
    c->events = 0;
}

/* Watches libpq's current socket for `events`, replacing the poll when the socket changed. */
static int conn_watch(db_conn_t *c, int events) {
    int fd = PQsocket(c->pg);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return -1;
    if (c->poll != NULL && st.st_ino != c->sock_ino)
        conn_unwatch(c);
    if (c->poll == NULL) {
        conn_poll_t *p = calloc(1, sizeof(*p));
        if (p == NULL)
            return -1;
        p->fd = dup(fd);
        if (p->fd < 0 || uv_poll_init(c->pool->loop, &p->handle, p->fd) != 0) {
            if (p->fd >= 0)
                close(p->fd);
            free(p);
            return -1;
        }
        c->pool->open_handles++;
        p->handle.data = c;
        c->poll = p;
        c->sock_ino = st.st_ino;
        c->events = 0;
    }
    if (events != c->events) {
        if (uv_poll_start(&c->poll->handle, events, on_poll) != 0)
            return -1;
        c->events = events;
    }
    return 0;
}

/* Flushes libpq's output buffer; watches for writability while data remains. */
static int conn_flush(db_conn_t *c) {
    int r = PQflush(c->pg);
    if (r < 0)
        return -1;
    return conn_watch(c, r == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

/* ---- connection life cycle ------------------------------------------------------------------- */

static int pool_connected_count(const db_pool_t *pool) {
    int n = 0;
    for (int i = 0; i < pool->size; i++) {
        conn_state_t s = pool->conns[i].state;
        n += s == CONN_IDLE || s == CONN_BUSY || s == CONN_ROLLBACK;
    }
    return n;
}

int db_pool_connected(const db_pool_t *pool) {
    return pool_connected_count(pool);
}

static void fail_queue(db_pool_t *pool, db_status_t status) {
    while (pool->queue_head != NULL) {
        db_txn_t *txn = pool->queue_head;
        pool->queue_head = txn->next;
        pool->queued--;
        txn->status = status;
        db_txn_complete(txn);
    }
    pool->queue_tail = NULL;
}

static void on_reconnect_timer(uv_timer_t *timer) {
    conn_connect(timer->data);
}

static void conn_schedule_reconnect(db_conn_t *c, int delay_ms) {
    c->state = CONN_DOWN;
    if (c->pool->closing) {
        c->state = CONN_CLOSED;
        pool_maybe_free(c->pool);
        return;
    }
    uv_timer_start(&c->timer, on_reconnect_timer, (uint64_t)delay_ms, 0);
}

static void conn_lost(db_conn_t *c, const char *why) {
    int was_up = c->state == CONN_IDLE || c->state == CONN_BUSY || c->state == CONN_ROLLBACK;
    db_txn_t *txn = c->txn;
    c->txn = NULL;
    if (log_enabled(LOG_WARN)) {
        log_line_t line;
        log_begin(&line, LOG_WARN, was_up ? "database connection lost" : "database connect failed");
        log_str(&line, "detail", why);
        log_int(&line, "retry_ms", c->backoff_ms);
        log_emit(&line);
    }
    conn_unwatch(c);
    PQfinish(c->pg);
    c->pg = NULL;
    int delay = c->prepare_failed ? BACKOFF_SCHEMA_MS : c->backoff_ms;
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
    conn_schedule_reconnect(c, delay);
    if (txn != NULL) {
        db_txn_fail(txn, DB_EUNAVAILABLE, NULL, -1);
        db_txn_complete(txn);
    }
    /* Without any connection, waiting requests would only time out: answer them now. */
    if (pool_connected_count(c->pool) == 0)
        fail_queue(c->pool, DB_EUNAVAILABLE);
}

static void on_notice(void *arg, const char *message) {
    (void)arg;
    log_msg(LOG_DEBUG, "database notice", message);
}

static void conn_connect(db_conn_t *c) {
    const char *keys[] = {"dbname", "fallback_application_name", NULL};
    const char *vals[] = {c->pool->conninfo, "isms-cluster", NULL};
    c->prepare_failed = 0;
    c->pg = PQconnectStartParams(keys, vals, 1);
    if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_lost(c, c->pg != NULL ? PQerrorMessage(c->pg) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(c->pg, on_notice, NULL);
    c->state = CONN_CONNECTING;
    if (conn_watch(c, UV_WRITABLE) != 0)
        conn_lost(c, "cannot watch the database socket");
}

/* Sends every registered statement for preparation, then a Sync. */
static void conn_prepare(db_conn_t *c) {
    db_pool_t *pool = c->pool;
    if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    c->expected = 0;
    c->index = 0;
    /* A session setting, so it bounds every statement of every transaction on this connection. */
    const char *timeout[] = {pool->statement_timeout};
    if (PQsendQueryParams(c->pg, "SELECT set_config('statement_timeout', $1, false)", 1, NULL,
                          timeout, NULL, NULL, 0) != 1) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    c->expected++;
    for (size_t t = 0; t < pool->ntables; t++)
        for (size_t i = 0; i < pool->table_len[t]; i++) {
            const db_stmt_t *s = &pool->tables[t][i];
            if (PQsendPrepare(c->pg, s->name, s->sql, s->nparams, NULL) != 1) {
                conn_lost(c, PQerrorMessage(c->pg));
                return;
            }
            c->expected++;
        }
    if (PQpipelineSync(c->pg) != 1 || conn_flush(c) != 0) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    c->state = CONN_PREPARING;
}

/* A read-only transaction whose first statements may write (authentication records a session's
 * use) begins read-write and turns read only after them: PostgreSQL allows that switch at any
 * point before the transaction has written. */
static int switches_to_read_only(const db_txn_t *txn) {
    return txn->read_only && txn->read_write_prefix > 0;
}

/* Sends a whole transaction in one pipeline. */
static int conn_send_txn(db_conn_t *c, db_txn_t *txn) {
    db_pool_t *pool = c->pool;
    PGconn *pg = c->pg;
    int late = switches_to_read_only(txn);
    const db_stmt_t *begin = &pool->core[txn->read_only && !late ? CORE_BEGIN_RO : CORE_BEGIN];
    c->expected = 0;
    c->index = 0;
    if (PQsendQueryPrepared(pg, begin->name, 0, NULL, NULL, NULL, 0) != 1)
        return -1;
    c->expected++;
    if (txn->nsettings > 0) {
        const char *params[2 * DB_MAX_SETTINGS];
        for (int i = 0; i < txn->nsettings; i++) {
            params[2 * i] = txn->setting_names[i];
            params[2 * i + 1] = txn->setting_values[i];
        }
        const db_stmt_t *set = &pool->core[CORE_SETTINGS + txn->nsettings - 1];
        if (PQsendQueryPrepared(pg, set->name, set->nparams, params, NULL, NULL, 0) != 1)
            return -1;
        c->expected++;
    }
    for (int i = 0; i < txn->nstmts; i++) {
        txn_stmt_t *s = &txn->stmts[i];
        if (late && i == txn->read_write_prefix) {
            if (PQsendQueryPrepared(pg, pool->core[CORE_READ_ONLY].name, 0, NULL, NULL, NULL, 0) !=
                1)
                return -1;
            c->expected++;
        }
        if (PQsendQueryPrepared(pg, s->stmt->name, s->stmt->nparams, (const char *const *)s->params,
                                NULL, NULL, 0) != 1)
            return -1;
        c->expected++;
    }
    if (PQsendQueryPrepared(pg, pool->core[CORE_COMMIT].name, 0, NULL, NULL, NULL, 0) != 1)
        return -1;
    c->expected++;
    if (PQpipelineSync(pg) != 1)
        return -1;
    return conn_flush(c);
}

static void conn_start(db_conn_t *c, db_txn_t *txn) {
    c->txn = txn;
    c->state = CONN_BUSY;
    if (conn_send_txn(c, txn) != 0)
        conn_lost(c, PQerrorMessage(c->pg));
}

/* Gives an idle connection the next queued transaction, if any. */
static void conn_dispatch(db_conn_t *c) {
    db_pool_t *pool = c->pool;
    if (c->state != CONN_IDLE || c->txn != NULL)
        return;
    if (pool->closing) {
        conn_unwatch(c);
        PQfinish(c->pg);
        c->pg = NULL;
        c->state = CONN_CLOSED;
        pool_maybe_free(pool);
        return;
    }
    if (pool->queue_head == NULL)
        return;
    db_txn_t *txn = pool->queue_head;
    pool->queue_head = txn->next;
    if (pool->queue_head == NULL)
        pool->queue_tail = NULL;
    pool->queued--;
    txn->next = NULL;
    conn_start(c, txn);
}

/* Maps a result of the running transaction's query `index` to the handler's statement slot. */
static void txn_take_result(db_conn_t *c, PGresult *res) {
    db_txn_t *txn = c->txn;
    int stmt = c->index - 1 - (txn->nsettings > 0);
    if (switches_to_read_only(txn) && stmt >= txn->read_write_prefix)
        stmt = stmt == txn->read_write_prefix ? -1 : stmt - 1; /* SET TRANSACTION READ ONLY */
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_FATAL_ERROR || st == PGRES_NONFATAL_ERROR || st == PGRES_BAD_RESPONSE) {
        db_txn_fail(txn, DB_EINVAL, res, stmt >= 0 && stmt < txn->nstmts ? stmt : -1);
        PQclear(res);
    } else if (st == PGRES_PIPELINE_ABORTED) {
        PQclear(res);
    } else if (stmt >= 0 && stmt < txn->nstmts && txn->stmts[stmt].result == NULL) {
        txn->stmts[stmt].result = res;
    } else {
        PQclear(res);
    }
}

/* Called when the Sync of the running transaction arrives. */
static void conn_finish_txn(db_conn_t *c) {
    db_txn_t *txn = c->txn;
    c->txn = NULL;
    if (txn->status != DB_OK) {
        /* The explicit transaction block is left aborted after its Sync: end it before reuse, so
         * that nothing (identity settings included) can reach the next transaction. */
        c->expected = 1;
        c->index = 0;
        c->state = CONN_ROLLBACK;
        if (PQsendQueryParams(c->pg, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0) != 1 ||
            PQpipelineSync(c->pg) != 1 || conn_flush(c) != 0) {
            db_txn_complete(txn);
            conn_lost(c, PQerrorMessage(c->pg));
            return;
        }
    } else {
        c->state = CONN_IDLE;
    }
    db_txn_complete(txn);
}

static void conn_on_prepared(db_conn_t *c) {
    if (c->prepare_failed) {
        conn_lost(c, "preparing statements failed; is the database migrated?");
        return;
    }
    c->state = CONN_IDLE;
    c->backoff_ms = BACKOFF_MIN_MS;
    log_msg(LOG_INFO, "database connection up", NULL);
}

/* Reads every result that has arrived; returns -1 when the connection was lost. */
static int conn_read_results(db_conn_t *c) {
    while (c->state == CONN_BUSY || c->state == CONN_PREPARING || c->state == CONN_ROLLBACK) {
        if (PQisBusy(c->pg))
            return 0;
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL) {
            /* End of one query's results in pipeline mode. */
            if (c->index < c->expected)
                c->index++;
            continue;
        }
        if (PQresultStatus(res) == PGRES_PIPELINE_SYNC) {
            PQclear(res);
            if (c->state == CONN_PREPARING) {
                conn_on_prepared(c);
            } else if (c->state == CONN_ROLLBACK) {
                c->state = CONN_IDLE;
            } else {
                conn_finish_txn(c);
            }
            if (c->state == CONN_DOWN)
                return -1;
            conn_dispatch(c);
            continue;
        }
        if (c->state == CONN_BUSY) {
            txn_take_result(c, res);
        } else {
            ExecStatusType st = PQresultStatus(res);
            const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            /* A backend ended while preparing (shutdown, pg_terminate_backend: classes 57P and
             * 08) says nothing about the schema: reconnect with the normal backoff. */
            int ended =
                state != NULL && (strncmp(state, "57P", 3) == 0 || strncmp(state, "08", 2) == 0);
            if (c->state == CONN_PREPARING && st == PGRES_FATAL_ERROR && !ended) {
                c->prepare_failed = 1;
                log_msg(LOG_ERROR, "preparing a statement failed",
                        PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
            }
            PQclear(res);
        }
    }
    return 0;
}

static void conn_on_connect_poll(db_conn_t *c) {
    switch (PQconnectPoll(c->pg)) {
    case PGRES_POLLING_READING:
        if (conn_watch(c, UV_READABLE) != 0)
            conn_lost(c, "cannot watch the database socket");
        break;
    case PGRES_POLLING_WRITING:
        if (conn_watch(c, UV_WRITABLE) != 0)
            conn_lost(c, "cannot watch the database socket");
        break;
    case PGRES_POLLING_OK:
        conn_prepare(c);
        break;
    default:
        conn_lost(c, PQerrorMessage(c->pg));
    }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
    db_conn_t *c = handle->data;
    if (c->state == CONN_CONNECTING) {
        conn_on_connect_poll(c);
        return;
    }
    if (status < 0) {
        conn_lost(c, uv_strerror(status));
        return;
    }
    if ((events & UV_WRITABLE) && conn_flush(c) != 0) {
        conn_lost(c, PQerrorMessage(c->pg));
        return;
    }
    if (events & UV_READABLE) {
        if (PQconsumeInput(c->pg) != 1 || PQstatus(c->pg) == CONNECTION_BAD) {
            conn_lost(c, PQerrorMessage(c->pg));
            return;
        }
        if (conn_read_results(c) != 0)
            return;
        if (c->state == CONN_IDLE && PQstatus(c->pg) == CONNECTION_BAD)
            conn_lost(c, PQerrorMessage(c->pg));
    }
}

/* ---- pool ------------------------------------------------------------------------------------ */

db_pool_t *db_pool_new(uv_loop_t *loop, const char *conninfo, int size, int queue_limit) {
    static const char *const names[] = {"isms_core_begin", "isms_core_begin_ro", "isms_core_commit",
                                        "isms_core_read_only"};
    static const char *const sql[] = {"BEGIN", "BEGIN READ ONLY", "COMMIT",
                                      "SET TRANSACTION READ ONLY"};
    static char setting_names[DB_MAX_SETTINGS][32];
    db_pool_t *pool = calloc(1, sizeof(*pool));
    if (pool == NULL || size < 1)
        goto fail;
    pool->loop = loop;
    pool->size = size;
    pool->queue_limit = queue_limit;
    snprintf(pool->statement_timeout, sizeof(pool->statement_timeout), "30000");
    if ((pool->conninfo = strdup(conninfo)) == NULL ||
        (pool->conns = calloc((size_t)size, sizeof(db_conn_t))) == NULL)
        goto fail;
    for (int i = 0; i < CORE_SETTINGS; i++)
        pool->core[i] = (db_stmt_t){names[i], sql[i], 0};
    /* "SELECT set_config($1,$2,true), set_config($3,$4,true), ..." for 1..DB_MAX_SETTINGS pairs. */
    for (int n = 1; n <= DB_MAX_SETTINGS; n++) {
        char *text = malloc(32 + 32 * (size_t)n);
        if (text == NULL)
            goto fail;
        size_t len = (size_t)sprintf(text, "SELECT");
        for (int k = 0; k < n; k++)
            len += (size_t)sprintf(text + len, "%s set_config($%d, $%d, true)", k ? "," : "",
                                   2 * k + 1, 2 * k + 2);
        pool->settings_sql[n - 1] = text;
        snprintf(setting_names[n - 1], sizeof(setting_names[0]), "isms_core_settings_%d", n);
        pool->core[CORE_SETTINGS + n - 1] = (db_stmt_t){setting_names[n - 1], text, 2 * n};
    }
    db_pool_register(pool, pool->core, sizeof(pool->core) / sizeof(pool->core[0]));
    return pool;
fail:
    if (pool != NULL) {
        for (int n = 0; n < DB_MAX_SETTINGS; n++)
            free(pool->settings_sql[n]);
        free(pool->conns);
        free(pool->conninfo);
        free(pool);
    }
    return NULL;
}

void db_pool_set_statement_timeout(db_pool_t *pool, int ms) {
    snprintf(pool->statement_timeout, sizeof(pool->statement_timeout), "%d", ms);
}

int db_pool_register(db_pool_t *pool, const db_stmt_t *stmts, size_t n) {
    if (pool->ntables == sizeof(pool->tables) / sizeof(pool->tables[0]))
        return -1;
    pool->tables[pool->ntables] = stmts;
    pool->table_len[pool->ntables] = n;
    pool->ntables++;
    return 0;
}

int db_pool_start(db_pool_t *pool) {
    pool->started = 1;
    for (int i = 0; i < pool->size; i++) {
        db_conn_t *c = &pool->conns[i];
        c->pool = pool;
        c->backoff_ms = BACKOFF_MIN_MS;
        if (uv_timer_init(pool->loop, &c->timer) != 0)
            return -1;
        c->timer.data = c;
        pool->open_handles++;
        conn_connect(c);
    }
    return 0;
}

db_status_t db_txn_submit(db_pool_t *pool, db_txn_t *txn, db_txn_cb cb, void *arg) {
    if (pool->closing)
        return DB_ECLOSING;
    txn->cb = cb;
    txn->arg = arg;
    txn->status = DB_OK;
    for (int i = 0; i < pool->size; i++) {
        db_conn_t *c = &pool->conns[i];
        if (c->state == CONN_IDLE && c->txn == NULL) {
            conn_start(c, txn);
            return DB_OK;
        }
    }
    if (pool_connected_count(pool) == 0)
        return DB_EUNAVAILABLE;
    if (pool->queued >= pool->queue_limit)
        return DB_EQUEUEFULL;
    txn->next = NULL;
    if (pool->queue_tail != NULL)
        pool->queue_tail->next = txn;
    else
        pool->queue_head = txn;
    pool->queue_tail = txn;
    pool->queued++;
    return DB_OK;
}

static void on_timer_closed(uv_handle_t *handle) {
    db_conn_t *c = handle->data;
    c->pool->open_handles--;
    pool_maybe_free(c->pool);
}

/* Frees the pool once it is closing, every connection is closed and every handle is gone. */
static void pool_maybe_free(db_pool_t *pool) {
    if (!pool->closing)
        return;
    for (int i = 0; pool->started && i < pool->size; i++)
        if (pool->conns[i].state != CONN_CLOSED)
            return;
    if (pool->started && pool->open_handles > 0) {
        /* Close the timers once; poll handles close as their connections do. */
        for (int i = 0; i < pool->size; i++) {
            uv_handle_t *t = (uv_handle_t *)&pool->conns[i].timer;
            if (!uv_is_closing(t))
                uv_close(t, on_timer_closed);
        }
        return;
    }
    void (*done)(void *) = pool->on_closed;
    void *arg = pool->on_closed_arg;
    for (int n = 0; n < DB_MAX_SETTINGS; n++)
        free(pool->settings_sql[n]);
    free(pool->conns);
    free(pool->conninfo);
    free(pool);
    if (done != NULL)
        done(arg);
}

void db_pool_close(db_pool_t *pool, void (*on_closed)(void *arg), void *arg) {
    pool->closing = 1;
    pool->on_closed = on_closed;
    pool->on_closed_arg = arg;
    fail_queue(pool, DB_ECLOSING);
    for (int i = 0; pool->started && i < pool->size; i++) {
        db_conn_t *c = &pool->conns[i];
        db_txn_t *txn = c->txn;
        switch (c->state) {
        case CONN_BUSY:
        case CONN_ROLLBACK:
            /* The server has drained (or given up waiting): nobody waits for this transaction,
             * and waiting for it could delay the exit for ever (a query stuck on a lock).
             * Closing the connection makes PostgreSQL roll back what has not committed. */
            c->txn = NULL;
            conn_unwatch(c);
            PQfinish(c->pg);
            c->pg = NULL;
            c->state = CONN_CLOSED;
            if (txn != NULL) {
                db_txn_fail(txn, DB_ECLOSING, NULL, -1);
                db_txn_complete(txn);
            }
            break;
        case CONN_DOWN:
            uv_timer_stop(&c->timer);
            c->state = CONN_CLOSED;
            break;
        default:
            conn_unwatch(c);
            PQfinish(c->pg);
            c->pg = NULL;
            c->state = CONN_CLOSED;
        }
    }
    pool_maybe_free(pool);
}
