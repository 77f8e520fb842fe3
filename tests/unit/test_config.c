/* Unit tests for start-up configuration (services/core/config.h), read through a fake environment.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "core/config.h"

/* The fake environment: a few name=value pairs set by each test, and every name looked up. */
static struct {
    const char *name;
    const char *value;
} env[8];
static size_t env_count;
static const char *looked_up[64];
static size_t lookups;

static const char *fake_lookup(const char *name) {
    if (lookups < sizeof(looked_up) / sizeof(looked_up[0]))
        looked_up[lookups++] = name;
    for (size_t i = 0; i < env_count; i++)
        if (strcmp(env[i].name, name) == 0)
            return env[i].value;
    return NULL;
}

static void set_env(const char *name, const char *value) {
    cr_assert_lt(env_count, sizeof(env) / sizeof(env[0]));
    env[env_count].name = name;
    env[env_count].value = value;
    env_count++;
}

static void reset_env(void) {
    env_count = 0;
    lookups = 0;
}

TestSuite(config, .init = reset_env);

static config_t cfg;
static char err[256];

/* Loads with a single variable set; returns config_load's result. */
static int load_with(const char *name, const char *value) {
    reset_env();
    set_env(name, value);
    err[0] = '\0';
    return config_load(&cfg, fake_lookup, err, sizeof(err));
}

/* The numeric variables and the ranges config.c documents for them. */
static const struct {
    const char *name;
    long min, max;
} numeric[] = {
    {"ISMS_HTTP_PORT", 0, 65535},         {"ISMS_DB_POOL_SIZE", 1, 256},
    {"ISMS_DB_QUEUE_LIMIT", 0, 100000},   {"ISMS_DB_STATEMENT_TIMEOUT_MS", 0, 3600000},
    {"ISMS_BODY_LIMIT", 1024, 67108864},  {"ISMS_SHUTDOWN_TIMEOUT_MS", 0, 600000},
    {"ISMS_TOKEN_TTL", 60, 2592000},      {"ISMS_TOKEN_IDLE", 60, 2592000},
    {"ISMS_LOGIN_MAX_FAILURES", 1, 1000}, {"ISMS_LOGIN_WINDOW", 1, 86400},
};
#define NUMERIC_COUNT (sizeof(numeric) / sizeof(numeric[0]))

/* Asserts that `value` for `name` is refused with a message naming both. */
static void expect_refused(const char *name, const char *value) {
    cr_expect_eq(load_with(name, value), -1, "%s=\"%s\" was accepted", name, value);
    cr_expect(strstr(err, name) != NULL, "message does not name %s: %s", name, err);
    char quoted[96];
    snprintf(quoted, sizeof(quoted), "\"%s\"", value);
    cr_expect(strstr(err, quoted) != NULL, "message does not quote the value: %s", err);
}

Test(config, uses_documented_defaults_when_nothing_is_set) {
    cr_assert_eq(config_load(&cfg, fake_lookup, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(cfg.database_url, "dbname=isms user=isms_app");
    cr_assert_str_eq(cfg.http_host, "127.0.0.1");
    cr_assert_eq(cfg.http_port, 8080);
    cr_assert_eq(cfg.db_pool_size, 4);
    cr_assert_eq(cfg.db_queue_limit, 1024);
    cr_assert_eq(cfg.db_statement_timeout_ms, 30000);
    cr_assert_eq(cfg.body_limit, 1048576);
    cr_assert_eq(cfg.log_level, LOG_INFO);
    cr_assert_eq(cfg.shutdown_timeout_ms, 10000);
    cr_assert_eq(cfg.token_ttl_s, 43200);
    cr_assert_eq(cfg.token_idle_s, 3600);
    cr_assert_eq(cfg.login_throttle_max, 5);
    cr_assert_eq(cfg.login_throttle_window_s, 900);
}

Test(config, treats_empty_value_as_unset) {
    cr_assert_eq(load_with("ISMS_HTTP_PORT", ""), 0, "%s", err);
    cr_assert_eq(cfg.http_port, 8080);
    cr_assert_eq(load_with("ISMS_HTTP_HOST", ""), 0, "%s", err);
    cr_assert_str_eq(cfg.http_host, "127.0.0.1");
}

Test(config, reads_values_that_are_set) {
    set_env("ISMS_DATABASE_URL", "host=db dbname=x");
    set_env("ISMS_HTTP_HOST", "::1");
    set_env("ISMS_HTTP_PORT", "9090");
    set_env("ISMS_DB_POOL_SIZE", "16");
    set_env("ISMS_BODY_LIMIT", "2048");
    set_env("ISMS_LOG_LEVEL", "debug");
    set_env("ISMS_TOKEN_TTL", "120");
    set_env("ISMS_LOGIN_WINDOW", "60");
    cr_assert_eq(config_load(&cfg, fake_lookup, err, sizeof(err)), 0, "%s", err);
    cr_assert_str_eq(cfg.database_url, "host=db dbname=x");
    cr_assert_str_eq(cfg.http_host, "::1");
    cr_assert_eq(cfg.http_port, 9090);
    cr_assert_eq(cfg.db_pool_size, 16);
    cr_assert_eq(cfg.body_limit, 2048);
    cr_assert_eq(cfg.log_level, LOG_DEBUG);
    cr_assert_eq(cfg.token_ttl_s, 120);
    cr_assert_eq(cfg.login_throttle_window_s, 60);
    /* Unset ones keep their defaults. */
    cr_assert_eq(cfg.db_queue_limit, 1024);
}

Test(config, accepts_each_numeric_variable_at_its_bounds) {
    char text[32];
    for (size_t i = 0; i < NUMERIC_COUNT; i++) {
        snprintf(text, sizeof(text), "%ld", numeric[i].min);
        cr_expect_eq(load_with(numeric[i].name, text), 0, "%s", err);
        snprintf(text, sizeof(text), "%ld", numeric[i].max);
        cr_expect_eq(load_with(numeric[i].name, text), 0, "%s", err);
    }
    cr_assert_eq(load_with("ISMS_BODY_LIMIT", "67108864"), 0);
    cr_assert_eq(cfg.body_limit, 67108864);
    cr_assert_eq(load_with("ISMS_HTTP_PORT", "0"), 0);
    cr_assert_eq(cfg.http_port, 0);
}

Test(config, refuses_each_numeric_variable_below_its_minimum) {
    char text[32];
    for (size_t i = 0; i < NUMERIC_COUNT; i++) {
        snprintf(text, sizeof(text), "%ld", numeric[i].min - 1);
        expect_refused(numeric[i].name, text);
    }
}

Test(config, refuses_each_numeric_variable_above_its_maximum) {
    char text[32];
    for (size_t i = 0; i < NUMERIC_COUNT; i++) {
        snprintf(text, sizeof(text), "%ld", numeric[i].max + 1);
        expect_refused(numeric[i].name, text);
    }
}

Test(config, refuses_each_numeric_variable_when_not_a_number) {
    static const char *const bad[] = {"abc", "12abc", "1.5", "0x10", "99999999999999999999999"};
    for (size_t i = 0; i < NUMERIC_COUNT; i++)
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
            expect_refused(numeric[i].name, bad[k]);
}

Test(config, says_what_range_is_accepted) {
    cr_assert_eq(load_with("ISMS_DB_POOL_SIZE", "0"), -1);
    cr_assert_str_eq(err,
                     "ISMS_DB_POOL_SIZE=\"0\" is invalid: expected a whole number from 1 to 256");
}

Test(config, parses_each_log_level) {
    static const struct {
        const char *text;
        log_level_t level;
    } levels[] = {
        {"debug", LOG_DEBUG}, {"info", LOG_INFO}, {"warn", LOG_WARN}, {"error", LOG_ERROR}};
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        cr_expect_eq(load_with("ISMS_LOG_LEVEL", levels[i].text), 0, "%s", err);
        cr_expect_eq(cfg.log_level, levels[i].level, "level %s", levels[i].text);
    }
}

Test(config, refuses_unknown_log_level) {
    expect_refused("ISMS_LOG_LEVEL", "verbose");
    expect_refused("ISMS_LOG_LEVEL", "warning");
    expect_refused("ISMS_LOG_LEVEL", "3");
}

Test(config, accepts_ip_literals_as_http_host) {
    static const char *const ok[] = {
        "127.0.0.1", "0.0.0.0", "192.168.10.20", "::", "::1", "fe80::1", "2001:db8::8a2e:370:7334"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cr_expect_eq(load_with("ISMS_HTTP_HOST", ok[i]), 0, "%s", err);
        cr_expect_str_eq(cfg.http_host, ok[i]);
    }
}

Test(config, refuses_http_host_that_is_not_an_ip_literal) {
    static const char *const bad[] = {"localhost", "example.com",    "256.1.1.1",  "1.2.3",
                                      "[::1]",     "127.0.0.1:8080", " 127.0.0.1", "::g"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_refused("ISMS_HTTP_HOST", bad[i]);
}

Test(config, truncates_message_to_the_buffer) {
    char small[16];
    reset_env();
    set_env("ISMS_HTTP_PORT", "70000");
    cr_assert_eq(config_load(&cfg, fake_lookup, small, sizeof(small)), -1);
    cr_assert_str_eq(small, "ISMS_HTTP_PORT=");
}

Test(config, documents_every_variable_it_reads) {
    cr_assert_eq(config_load(&cfg, fake_lookup, err, sizeof(err)), 0, "%s", err);
    cr_assert_gt(lookups, 0);
    for (size_t i = 0; i < lookups; i++) {
        const config_var_t *var = config_vars;
        while (var->name != NULL && strcmp(var->name, looked_up[i]) != 0)
            var++;
        cr_expect_not_null(var->name, "%s is read but not in config_vars", looked_up[i]);
    }
    for (const config_var_t *var = config_vars; var->name != NULL; var++) {
        size_t i = 0;
        while (i < lookups && strcmp(var->name, looked_up[i]) != 0)
            i++;
        cr_expect_lt(i, lookups, "%s is documented but never read", var->name);
        cr_expect(var->default_value != NULL && var->help != NULL && var->help[0] != '\0',
                  "%s lacks a default or help", var->name);
    }
}
