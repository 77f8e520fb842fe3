/* Server configuration from environment variables, validated once at start-up. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"

typedef struct config {
    const char *database_url;         /* ISMS_DATABASE_URL: libpq conninfo of the app role */
    const char *http_host;            /* ISMS_HTTP_HOST */
    int http_port;                    /* ISMS_HTTP_PORT */
    int db_pool_size;                 /* ISMS_DB_POOL_SIZE */
    int db_queue_limit;               /* ISMS_DB_QUEUE_LIMIT: requests waiting for a connection */
    int db_statement_timeout_ms;      /* ISMS_DB_STATEMENT_TIMEOUT_MS: 0 = no limit */
    size_t body_limit;                /* ISMS_BODY_LIMIT: request body bytes */
    log_level_t log_level;            /* ISMS_LOG_LEVEL */
    int shutdown_timeout_ms;          /* ISMS_SHUTDOWN_TIMEOUT_MS: drain time after SIGTERM */
    int token_ttl_s;                  /* ISMS_TOKEN_TTL: absolute session lifetime, seconds */
    int token_idle_s;                 /* ISMS_TOKEN_IDLE: idle session lifetime, seconds */
    int login_throttle_max;           /* ISMS_LOGIN_MAX_FAILURES: failures per window before 429 */
    int login_throttle_window_s;      /* ISMS_LOGIN_WINDOW: window for counting failures, seconds */
    const char *feedback_secret_file; /* ISMS_FEEDBACK_SECRET_FILE: 64 hex digits, or "" */
    const char *feedback_secret;      /* ISMS_FEEDBACK_SECRET: 64 hex digits, or "" */
} config_t;

/** One documented variable: its name, default and what it accepts. */
typedef struct config_var {
    const char *name;
    const char *default_value;
    const char *help;
} config_var_t;

/** The variables config_load reads, in documentation order, terminated by a NULL name. */
extern const config_var_t config_vars[];

/** Reads every variable through `lookup` (getenv in production) and validates it. Returns 0, or -1
 * with a message naming the variable and what it accepts in `err`. Strings point into lookup's
 * storage or static defaults. */
int config_load(config_t *cfg, const char *(*lookup)(const char *name), char *err, size_t errlen);
