/* The server under test: `isms-cluster serve` as a child process on a port it picks itself, with
 * its stderr in the test's scratch directory. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 20000
#define MAX_ENV 64

/* Reaps the server if it has exited; non-zero while it runs. */
int it_server_running(it_server_t *server) {
    if (!server->exited && it__wait(server->pid, 0, &server->exit_status) == 0)
        server->exited = 1;
    return !server->exited;
}

void it_server_signal(it_server_t *server, int sig) {
    cr_assert(it_server_running(server), "the server (pid %d) is no longer running: exit status %d",
              (int)server->pid, server->exit_status);
    kill(server->pid, sig);
}

int it_server_wait(it_server_t *server, int timeout_ms) {
    if (!server->exited && it__wait(server->pid, timeout_ms, &server->exit_status) == 0)
        server->exited = 1;
    return server->exited ? server->exit_status : -1;
}

char *it_server_log(const it_server_t *server) {
    char *text = it__read_file(server->log_path, NULL);
    return text != NULL ? text : strdup("");
}

int it_server_log_has_sanitizer_report(const it_server_t *server) {
    char *text = it_server_log(server);
    int found = strstr(text, "ERROR: AddressSanitizer") != NULL ||
                strstr(text, "ERROR: LeakSanitizer") != NULL ||
                strstr(text, "runtime error:") != NULL;
    free(text);
    return found;
}

/* Matches a log line against NULL-terminated name/value pairs. */
static int line_matches(const cJSON *line, const char *const *pairs) {
    for (size_t i = 0; pairs[i] != NULL; i += 2) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(line, pairs[i]);
        if (!cJSON_IsString(v) || strcmp(v->valuestring, pairs[i + 1]) != 0)
            return 0;
    }
    return 1;
}

static cJSON *find_line(const it_server_t *server, const char *const *pairs) {
    char *text = it_server_log(server);
    cJSON *found = NULL;
    for (char *line = text, *next; found == NULL && line != NULL && *line != '\0'; line = next) {
        next = strchr(line, '\n');
        if (next != NULL)
            *next++ = '\0';
        if (line[0] != '{')
            continue;
        cJSON *doc = cJSON_Parse(line);
        if (doc != NULL && line_matches(doc, pairs))
            found = doc;
        else
            cJSON_Delete(doc);
    }
    free(text);
    return found;
}

cJSON *it_server_log_find(const it_server_t *server, int timeout_ms, const char *name,
                          const char *value, ...) {
    const char *pairs[34] = {name, value};
    size_t n = 2;
    va_list ap;
    va_start(ap, value);
    for (const char *s; n + 2 < sizeof(pairs) / sizeof(pairs[0]) && (s = va_arg(ap, const char *));)
        pairs[n++] = s;
    va_end(ap);
    cr_assert(n % 2 == 0, "it_server_log_find: names and values must come in pairs");
    pairs[n] = NULL;
    uint64_t deadline = it_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        cJSON *line = find_line(server, pairs);
        if (line != NULL || it_now_ms() >= deadline)
            return line;
        it_sleep_ms(10);
    }
}

/* Kills a server that is still running at teardown: SIGTERM first so that it can drain. */
static void release_server(void *obj) {
    it_server_t *server = obj;
    if (server->pid > 0 && it_server_running(server)) {
        kill(server->pid, SIGTERM);
        if (it_server_wait(server, 5000) < 0) {
            kill(server->pid, SIGKILL);
            it_server_wait(server, -1);
        }
    }
    free(server);
}

/* Fails the test; the runner prints the end of the server's stderr. */
static void fail_with_log(const it_server_t *server, const char *what) {
    cr_assert_fail("%s (server pid %d, log %s)", what, (int)server->pid, server->log_path);
}

/* Reads the port from the {"msg":"listening",...,"port":N} line. */
static void await_port(it_server_t *server) {
    const char *const pairs[] = {"msg", "listening", NULL};
    uint64_t deadline = it_now_ms() + START_TIMEOUT_MS;
    for (;;) {
        cJSON *line = find_line(server, pairs);
        if (line != NULL) {
            const cJSON *port = cJSON_GetObjectItemCaseSensitive(line, "port");
            server->port = cJSON_IsNumber(port) ? port->valueint : 0;
            cJSON_Delete(line);
            if (server->port <= 0)
                fail_with_log(server, "the listening log line has no port");
            snprintf(server->url, sizeof(server->url), "http://127.0.0.1:%d", server->port);
            return;
        }
        if (!it_server_running(server))
            fail_with_log(server, "the server exited during start-up");
        if (it_now_ms() >= deadline)
            fail_with_log(server, "the server did not log \"listening\" within 10 s");
        it_sleep_ms(5);
    }
}

static int answers_200(const it_server_t *server, const char *path) {
    it_response_t *r = it_request(server, &(it_request_t){.path = path, .timeout_ms = 1000});
    int ok = r->status == 200;
    it_response_free(r);
    return ok;
}

static void await_ready(it_server_t *server, int need_ready) {
    uint64_t deadline = it_now_ms() + START_TIMEOUT_MS;
    int live = 0;
    for (;;) {
        live = live || answers_200(server, "/healthz");
        if (live && (!need_ready || answers_200(server, "/readyz")))
            return;
        if (!it_server_running(server))
            fail_with_log(server, "the server exited during start-up");
        if (it_now_ms() >= deadline)
            fail_with_log(server, live ? "/readyz did not answer 200 within 10 s"
                                       : "/healthz did not answer 200 within 10 s");
        it_sleep_ms(10);
    }
}

it_server_t *it_server_start(const it_server_options_t *opts) {
    static const it_server_options_t defaults = {0};
    if (opts == NULL)
        opts = &defaults;
    const char *db =
        opts->database_url != NULL ? opts->database_url : it__require_env("ISMS_TEST_DATABASE_URL");
    it_server_t *server = calloc(1, sizeof(*server));
    cr_assert(server != NULL, "out of memory");
    it__register(release_server, server);
    it__scratch_path(server->log_path, sizeof(server->log_path), "server", "log");

    /* A name of its own lets tests find this server's sessions among others on the database. */
    static int started;
    char db_var[1200];
    snprintf(server->app_name, sizeof(server->app_name), "isms-it-%d-%d", (int)getpid(), ++started);
    snprintf(db_var, sizeof(db_var), "ISMS_DATABASE_URL=%s%sapplication_name=%s", db,
             strstr(db, "://") == NULL ? " "
             : strchr(db, '?') != NULL ? "&"
                                       : "?",
             server->app_name);
    const char *env[MAX_ENV + 4] = {"ISMS_HTTP_HOST=127.0.0.1", "ISMS_HTTP_PORT=0", db_var};
    size_t n = 3;
    for (size_t i = 0; opts->env != NULL && opts->env[i] != NULL; i++) {
        cr_assert(i < MAX_ENV, "it_server_start: more than %d variables", MAX_ENV);
        env[n++] = opts->env[i];
    }
    env[n] = NULL;
    const char *argv[] = {ISMS_TEST_BINARY, "serve", NULL};
    server->pid = it__spawn(argv, env, NULL, server->log_path, 1);
    cr_assert(server->pid > 0, "cannot start %s", ISMS_TEST_BINARY);
    await_port(server);
    await_ready(server, !opts->no_wait_ready);
    return server;
}

int it_server_stop(it_server_t *server) {
    if (it_server_running(server)) {
        kill(server->pid, SIGTERM);
        if (it_server_wait(server, STOP_TIMEOUT_MS) < 0) {
            kill(server->pid, SIGKILL);
            it_server_wait(server, -1);
            fail_with_log(server, "the server did not exit within 20 s of SIGTERM");
        }
    }
    if (it_server_log_has_sanitizer_report(server))
        cr_expect_fail("the server's stderr has a sanitizer report (%s)", server->log_path);
    return server->exit_status;
}
