/* Internals shared by the database core's files (db.c: the pool and its connections,
 * db_txn.c: the transaction object). Nothing outside services/core includes this header. */
#pragma once
#include "core/db.h"

#define DB_MAX_SETTINGS 8

typedef struct txn_stmt {
    const db_stmt_t *stmt;
    char **params;
    PGresult *result;
} txn_stmt_t;

struct db_txn {
    db_txn_t *next;
    txn_stmt_t *stmts;
    int nstmts, cap;
    char *setting_names[DB_MAX_SETTINGS];
    char *setting_values[DB_MAX_SETTINGS];
    int nsettings;
    int read_only;
    int read_write_prefix; /* statements run before a read-only transaction turns read only */
    db_status_t status;
    char sqlstate[6];
    char *error_message, *error_detail;
    int failed_index;
    db_txn_cb cb;
    void *arg;
};

/** Records the first failure of a transaction: its status and, from `res` when given, the
 * SQLSTATE, message and detail; `index` is the failed handler statement or -1. */
void db_txn_fail(db_txn_t *txn, db_status_t status, const PGresult *res, int index);
/** Calls the transaction's callback, then frees it. */
void db_txn_complete(db_txn_t *txn);
