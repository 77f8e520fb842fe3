/* Declarative endpoints: an api_op_t names a prepared statement and the request values it takes
 * (UUID path parameters, query parameters, body fields), each validated here with an error that
 * names the field. api_handle runs the statement in the request's transaction and answers with
 * the JSON text it returns. Most routes need no handler code of their own. */
#pragma once
#include <stddef.h>

#include "core/db.h"
#include "core/http.h"

typedef enum {
    API_STRING, /* min..max characters */
    API_TEXT,   /* a string passed through; min..max characters, may contain newlines */
    API_INT,    /* min..max */
    API_BOOL,
    API_ENUM, /* one of `allowed` */
    API_UUID,
    API_DATE,    /* YYYY-MM-DD */
    API_EMAIL,   /* a plausible e-mail address, at most 254 characters */
    API_COUNTRY, /* ISO 3166-1 alpha-2, upper case */
    API_CURSOR,  /* an opaque pagination cursor, at most 200 characters */
    API_JSON,    /* any JSON value, passed as its text */
} api_kind_t;

typedef struct api_field {
    const char *name; /* NULL ends a list */
    api_kind_t kind;
    int required;
    long min, max;
    const char *const *allowed;
} api_field_t;

/** One endpoint. The statement's parameters are, in order: the path parameters, the query
 * fields, the body fields, any extra values the handler adds, then `constants`. Absent optional
 * values are SQL NULL. */
typedef struct api_op {
    const db_stmt_t *stmt;
    const char *const *path;      /* UUID path parameter names; NULL-terminated, may be NULL */
    const api_field_t *query;     /* may be NULL */
    const api_field_t *body;      /* may be NULL */
    const char *const *constants; /* fixed trailing parameters; NULL-terminated, may be NULL */
    int status;                   /* 200 or 201; 204 sends no body */
} api_op_t;

/** A field list entry for pagination: limit (1-200) and cursor. */
#define API_PAGINATION                                                                             \
    {"limit", API_INT, 0, 1, 200, NULL}, {                                                         \
        "cursor", API_CURSOR, 0, 0, 0, NULL                                                        \
    }

/** Route handler for routes whose `data` is an api_op_t. */
int api_handle(http_req_t *req);

/** Validates and runs `op` with `extra` parameters (NULL-terminated, may be NULL) after the body
 * fields; `done` answers (it finds the statement index in req->result_index). */
int api_run(http_req_t *req, const api_op_t *op, const char *const *extra, http_db_cb done);

/** Runs `op` with the hash of a new secret token (see core/token.h) as the first extra parameter,
 * before `extra`, and answers `status` with the statement's JSON object plus the token under
 * `field` and, when `url_format` is not NULL, a "url" made from it with the token for its "%s".
 * The token itself never reaches the database; the client sees it once. */
int api_run_with_token(http_req_t *req, const api_op_t *op, const char *const *extra,
                       const char *field, const char *url_format, int status);

/** Answers with the first statement result's single JSON value: `status` (204: no body), or the
 * mapped error when the transaction failed. */
void api_answer(http_req_t *req, db_txn_t *txn, int stmt_index, int status);
