/* Environment configuration: every variable has a documented default and a validated range, and a
 * bad value stops start-up with a message that names the variable. */
#include "core/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const config_var_t config_vars[] = {
    {"ISMS_DATABASE_URL", "dbname=isms user=isms_app", "libpq connection string of the app role"},
    {"ISMS_HTTP_HOST", "127.0.0.1", "address to listen on (IPv4 or IPv6 literal)"},
    {"ISMS_HTTP_PORT", "8080", "TCP port, 1-65535 (0 picks a free port)"},
    {"ISMS_DB_POOL_SIZE", "4", "database connections, 1-256"},
    {"ISMS_DB_QUEUE_LIMIT", "1024", "requests waiting for a connection before 503, 0-100000"},
    {"ISMS_DB_STATEMENT_TIMEOUT_MS", "30000",
     "longest a database statement may run, ms, 0 (no limit) to 3600000"},
    {"ISMS_BODY_LIMIT", "1048576", "largest request body in bytes, 1024-67108864"},
    {"ISMS_LOG_LEVEL", "info", "debug, info, warn or error"},
    {"ISMS_SHUTDOWN_TIMEOUT_MS", "10000", "drain time for in-flight requests, 0-600000"},
    {"ISMS_TOKEN_TTL", "43200", "absolute session lifetime in seconds, 60-2592000"},
    {"ISMS_TOKEN_IDLE", "3600", "idle session lifetime in seconds, 60-2592000"},
    {"ISMS_LOGIN_MAX_FAILURES", "5",
     "failed logins per account per window (per address: 4x), 1-1000"},
    {"ISMS_LOGIN_WINDOW", "900", "window for counting failed logins, seconds, 1-86400"},
    {"ISMS_FEEDBACK_SECRET_FILE", "",
     "file holding the feedback key secret, 64 hex digits (empty: a secret for this process only)"},
    {"ISMS_FEEDBACK_SECRET", "", "the feedback key secret itself, when no file is given"},
    {NULL, NULL, NULL},
};

static const char *value_of(const char *(*lookup)(const char *), const char *name) {
    const char *v = lookup(name);
    if (v != NULL && v[0] != '\0')
        return v;
    for (const config_var_t *var = config_vars; var->name != NULL; var++)
        if (strcmp(var->name, name) == 0)
            return var->default_value;
    return NULL;
}

static int parse_range(const char *(*lookup)(const char *), const char *name, long min, long max,
                       long *out, char *err, size_t errlen) {
    const char *text = value_of(lookup, name);
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
        snprintf(err, errlen, "%s=\"%s\" is invalid: expected a whole number from %ld to %ld", name,
                 text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

int config_load(config_t *cfg, const char *(*lookup)(const char *name), char *err, size_t errlen) {
    long port, pool, queue, stmt_timeout, body, drain, ttl, idle, maxfail, window;
    memset(cfg, 0, sizeof(*cfg));
    cfg->database_url = value_of(lookup, "ISMS_DATABASE_URL");
    cfg->http_host = value_of(lookup, "ISMS_HTTP_HOST");
    cfg->feedback_secret_file = value_of(lookup, "ISMS_FEEDBACK_SECRET_FILE");
    cfg->feedback_secret = value_of(lookup, "ISMS_FEEDBACK_SECRET");
    if (parse_range(lookup, "ISMS_HTTP_PORT", 0, 65535, &port, err, errlen) ||
        parse_range(lookup, "ISMS_DB_POOL_SIZE", 1, 256, &pool, err, errlen) ||
        parse_range(lookup, "ISMS_DB_QUEUE_LIMIT", 0, 100000, &queue, err, errlen) ||
        parse_range(lookup, "ISMS_DB_STATEMENT_TIMEOUT_MS", 0, 3600000, &stmt_timeout, err,
                    errlen) ||
        parse_range(lookup, "ISMS_BODY_LIMIT", 1024, 64L << 20, &body, err, errlen) ||
        parse_range(lookup, "ISMS_SHUTDOWN_TIMEOUT_MS", 0, 600000, &drain, err, errlen) ||
        parse_range(lookup, "ISMS_TOKEN_TTL", 60, 2592000, &ttl, err, errlen) ||
        parse_range(lookup, "ISMS_TOKEN_IDLE", 60, 2592000, &idle, err, errlen) ||
        parse_range(lookup, "ISMS_LOGIN_MAX_FAILURES", 1, 1000, &maxfail, err, errlen) ||
        parse_range(lookup, "ISMS_LOGIN_WINDOW", 1, 86400, &window, err, errlen))
        return -1;
    const char *level = value_of(lookup, "ISMS_LOG_LEVEL");
    if (log_level_parse(level, &cfg->log_level) != 0) {
        snprintf(err, errlen,
                 "ISMS_LOG_LEVEL=\"%s\" is invalid: expected debug, info, warn or error", level);
        return -1;
    }
    unsigned char addr[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, cfg->http_host, addr) != 1 &&
        inet_pton(AF_INET6, cfg->http_host, addr) != 1) {
        snprintf(err, errlen, "ISMS_HTTP_HOST=\"%s\" is invalid: expected an IP address literal",
                 cfg->http_host);
        return -1;
    }
    cfg->http_port = (int)port;
    cfg->db_pool_size = (int)pool;
    cfg->db_queue_limit = (int)queue;
    cfg->db_statement_timeout_ms = (int)stmt_timeout;
    cfg->body_limit = (size_t)body;
    cfg->shutdown_timeout_ms = (int)drain;
    cfg->token_ttl_s = (int)ttl;
    cfg->token_idle_s = (int)idle;
    cfg->login_throttle_max = (int)maxfail;
    cfg->login_throttle_window_s = (int)window;
    return 0;
}
