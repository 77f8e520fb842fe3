/* Asynchronous PostgreSQL pool on the server's libuv loop. Every request runs as one transaction
 * sent in one pipelined round trip: BEGIN, the request's identity settings, the handler's
 * statements and COMMIT. Statements are prepared on every connection when it is established. */
#pragma once
#include <libpq-fe.h>
#include <stddef.h>
#include <uv.h>

typedef enum {
    DB_OK = 0,
    DB_EUNAVAILABLE = -1, /* no connection to the database is up */
    DB_EQUEUEFULL = -2,   /* every connection is busy and the wait queue is full */
    DB_ECLOSING = -3,     /* the pool is shutting down */
    DB_ENOMEM = -4,
    DB_EINVAL = -5,
} db_status_t;

/** A statement that services prepare on every connection. Each service keeps one static table of
 * these; names must be unique across services. */
typedef struct db_stmt {
    const char *name;
    const char *sql;
    int nparams;
} db_stmt_t;

typedef struct db_pool db_pool_t;
typedef struct db_txn db_txn_t;

/** Called once per transaction with its outcome. The pool frees `txn` after the callback returns;
 * results must not be kept beyond it. */
typedef void (*db_txn_cb)(db_txn_t *txn, void *arg);

/** Creates a pool of `size` connections that will use `conninfo`. Nothing connects until
 * db_pool_start. */
db_pool_t *db_pool_new(uv_loop_t *loop, const char *conninfo, int size, int queue_limit);
/** Bounds every statement on the pool's connections (PostgreSQL's statement_timeout; 0 disables
 * it; default 30000 ms). Applies to connections established afterwards: call before
 * db_pool_start. A statement that runs longer fails with SQLSTATE 57014 (503 `timeout`). */
void db_pool_set_statement_timeout(db_pool_t *pool, int ms);
/** Registers statements to prepare on every connection; call before db_pool_start. `stmts` must
 * outlive the pool. */
int db_pool_register(db_pool_t *pool, const db_stmt_t *stmts, size_t n);
/** Starts connecting; connections that fail or drop reconnect with backoff, for ever. */
int db_pool_start(db_pool_t *pool);
/** Number of connections that are up (idle or busy). */
int db_pool_connected(const db_pool_t *pool);
/** Fails queued and running transactions with DB_ECLOSING (a running one is abandoned: its
 * connection is closed, so PostgreSQL rolls back what has not committed), closes every
 * connection, then calls `on_closed` (from the loop) and frees the pool. Call it once the server
 * has drained its requests. */
void db_pool_close(db_pool_t *pool, void (*on_closed)(void *arg), void *arg);

/** Creates an empty transaction. The caller owns it until db_txn_submit succeeds. */
db_txn_t *db_txn_new(void);
/** Frees a transaction that was never submitted (or that db_txn_submit refused). */
void db_txn_free(db_txn_t *txn);
/** Runs the transaction READ ONLY. */
void db_txn_read_only(db_txn_t *txn);
/** The first `n` statements may write even when the transaction is read only (authentication,
 * which records a session's use): the transaction then begins read-write and runs SET
 * TRANSACTION READ ONLY after them. */
void db_txn_read_write_prefix(db_txn_t *txn, int n);
/** Adds a transaction-scoped setting, set_config(name, value, true), sent right after BEGIN. */
int db_txn_setting(db_txn_t *txn, const char *name, const char *value);
/** Appends a prepared statement with stmt->nparams text parameters (NULL for SQL NULL); the
 * values are copied. Returns the statement's index for db_txn_result, or -1. */
int db_txn_add(db_txn_t *txn, const db_stmt_t *stmt, const char *const *params);
/** Queues the transaction. On DB_OK the pool owns it and will call `cb` exactly once; on error the
 * caller still owns it. */
db_status_t db_txn_submit(db_pool_t *pool, db_txn_t *txn, db_txn_cb cb, void *arg);

/** In the callback: DB_OK when COMMIT succeeded; otherwise the failure kind. */
db_status_t db_txn_status(const db_txn_t *txn);
/** In the callback, after a statement failed: its SQLSTATE, primary message and detail ("" when
 * absent), and the index of the failed statement (-1 for BEGIN, settings or COMMIT). */
const char *db_txn_sqlstate(const db_txn_t *txn);
const char *db_txn_error_message(const db_txn_t *txn);
const char *db_txn_error_detail(const db_txn_t *txn);
int db_txn_failed_index(const db_txn_t *txn);
/** The result of statement `i` (as returned by db_txn_add), or NULL. */
const PGresult *db_txn_result(const db_txn_t *txn, int i);
/** Convenience: value at row 0, column 0 of statement `i`, or NULL when there is none. */
const char *db_txn_value(const db_txn_t *txn, int i);
