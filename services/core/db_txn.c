/* The transaction object: what a handler puts in (settings, prepared statements with copied
 * parameters) and what it reads back in its callback (status, SQLSTATE, results). The pool in
 * db.c sends it and fills in the outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/db_internal.h"

/* ---- transactions ---------------------------------------------------------------------------- */

db_txn_t *db_txn_new(void) {
    db_txn_t *txn = calloc(1, sizeof(*txn));
    if (txn != NULL)
        txn->failed_index = -1;
    return txn;
}

void db_txn_free(db_txn_t *txn) {
    if (txn == NULL)
        return;
    for (int i = 0; i < txn->nstmts; i++) {
        txn_stmt_t *s = &txn->stmts[i];
        for (int p = 0; s->params != NULL && p < s->stmt->nparams; p++)
            free(s->params[p]);
        free(s->params);
        PQclear(s->result);
    }
    for (int i = 0; i < txn->nsettings; i++) {
        free(txn->setting_names[i]);
        free(txn->setting_values[i]);
    }
    free(txn->stmts);
    free(txn->error_message);
    free(txn->error_detail);
    free(txn);
}

void db_txn_read_only(db_txn_t *txn) {
    txn->read_only = 1;
}

void db_txn_read_write_prefix(db_txn_t *txn, int n) {
    txn->read_write_prefix = n > 0 ? n : 0;
}

int db_txn_setting(db_txn_t *txn, const char *name, const char *value) {
    if (txn->nsettings == DB_MAX_SETTINGS)
        return -1;
    char *n = strdup(name), *v = strdup(value != NULL ? value : "");
    if (n == NULL || v == NULL) {
        free(n);
        free(v);
        return -1;
    }
    txn->setting_names[txn->nsettings] = n;
    txn->setting_values[txn->nsettings] = v;
    txn->nsettings++;
    return 0;
}

int db_txn_add(db_txn_t *txn, const db_stmt_t *stmt, const char *const *params) {
    if (txn->nstmts == txn->cap) {
        int cap = txn->cap ? txn->cap * 2 : 4;
        txn_stmt_t *stmts = realloc(txn->stmts, (size_t)cap * sizeof(*stmts));
        if (stmts == NULL)
            return -1;
        txn->stmts = stmts;
        txn->cap = cap;
    }
    txn_stmt_t *s = &txn->stmts[txn->nstmts];
    memset(s, 0, sizeof(*s));
    s->stmt = stmt;
    if (stmt->nparams > 0) {
        s->params = calloc((size_t)stmt->nparams, sizeof(char *));
        if (s->params == NULL)
            return -1;
        for (int p = 0; p < stmt->nparams; p++) {
            if (params[p] != NULL && (s->params[p] = strdup(params[p])) == NULL) {
                for (int q = 0; q < p; q++)
                    free(s->params[q]);
                free(s->params);
                return -1;
            }
        }
    }
    return txn->nstmts++;
}

db_status_t db_txn_status(const db_txn_t *txn) {
    return txn->status;
}

const char *db_txn_sqlstate(const db_txn_t *txn) {
    return txn->sqlstate;
}

const char *db_txn_error_message(const db_txn_t *txn) {
    return txn->error_message != NULL ? txn->error_message : "";
}

const char *db_txn_error_detail(const db_txn_t *txn) {
    return txn->error_detail != NULL ? txn->error_detail : "";
}

int db_txn_failed_index(const db_txn_t *txn) {
    return txn->failed_index;
}

const PGresult *db_txn_result(const db_txn_t *txn, int i) {
    if (i < 0 || i >= txn->nstmts)
        return NULL;
    return txn->stmts[i].result;
}

const char *db_txn_value(const db_txn_t *txn, int i) {
    const PGresult *r = db_txn_result(txn, i);
    if (r == NULL || PQntuples(r) < 1 || PQnfields(r) < 1 || PQgetisnull(r, 0, 0))
        return NULL;
    return PQgetvalue(r, 0, 0);
}

/* Records the first failure of a transaction. */
void db_txn_fail(db_txn_t *txn, db_status_t status, const PGresult *res, int index) {
    if (txn->status != DB_OK)
        return;
    txn->status = status;
    txn->failed_index = index;
    if (res != NULL) {
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
        snprintf(txn->sqlstate, sizeof(txn->sqlstate), "%s", state != NULL ? state : "XX000");
        txn->error_message = strdup(msg != NULL ? msg : "");
        txn->error_detail = detail != NULL ? strdup(detail) : NULL;
    }
}

void db_txn_complete(db_txn_t *txn) {
    txn->cb(txn, txn->arg);
    db_txn_free(txn);
}
