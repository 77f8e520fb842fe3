/* Mapping of database failures to HTTP answers. No constraint name, SQL text or internal message
 * reaches a client: only a status, a stable code and a message written here or by our own SQL. */
#pragma once

typedef struct http_error {
    int status;
    const char *code;    /* stable, machine-readable */
    const char *message; /* what a person should do */
} http_error_t;

/** Maps a SQLSTATE (and, for the project's own "IC###" codes raised from SQL, the message and
 * detail set there) to an HTTP error. For IC codes the status is the three digits, the code is the
 * error's message (an identifier such as "budget_exceeded") and the message is its DETAIL. */
http_error_t http_error_for_sqlstate(const char *sqlstate, const char *primary, const char *detail);

/** Returns non-zero when `s` is a valid machine-readable code: 1-64 of [a-z0-9_]. */
int error_code_valid(const char *s);
