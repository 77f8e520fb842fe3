/* Graceful shutdown on the shared test database: SIGTERM stops accepting connections, lets every
 * request in flight (running in the pool or waiting in its queue) finish, then exits 0; the drain
 * timeout bounds the exit even when a query never ends. */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "harness.h"

TestSuite(shutdown, .fini = it_teardown);

#define POOL_SIZE 4

/* Sockets the server process has open: listener, database connections and accepted clients. */
static int open_sockets(pid_t pid) {
    char dir[64], path[400], target[64];
    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    DIR *d = opendir(dir);
    int n = 0;
    cr_assert_not_null(d, "cannot read %s", dir);
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        ssize_t len = readlink(path, target, sizeof(target) - 1);
        n += len > 7 && strncmp(target, "socket:", 7) == 0;
    }
    closedir(d);
    return n;
}

/* Starts `n` /v1/meta requests while `admin` holds a lock they need, and returns once the server
 * has accepted every connection and its pool's sessions all wait for the lock. */
static it_batch_t *start_blocked_requests(it_server_t *srv, PGconn *admin, size_t n) {
    it_server_await_sessions(srv, admin, "state = 'idle'", POOL_SIZE, 10000);
    int before = open_sockets(srv->pid);
    it_db_exec(admin, "BEGIN; LOCK TABLE public.schema_migrations IN ACCESS EXCLUSIVE MODE");
    it_batch_t *batch =
        it_batch_start(srv, &(it_request_t){.path = "/v1/meta", .timeout_ms = 20000}, 1, n);
    cr_assert_eq(it_batch_wait_sent(batch, 5000), n, "not every request was sent");
    uint64_t start = it_now_ms();
    while (open_sockets(srv->pid) < before + (int)n) {
        cr_assert_lt(it_now_ms() - start, 5000, "the server did not accept %zu connections", n);
        it_batch_run(batch, 5);
    }
    it_server_await_sessions(srv, admin, "wait_event_type = 'Lock'", POOL_SIZE, 10000);
    /* The requests are read on the loop turn after their accept. */
    it_batch_run(batch, 50);
    return batch;
}

/* Polls new connections until one is refused; returns how long that took, or -1. */
static long await_refused(it_server_t *srv, it_batch_t *batch, int bound_ms) {
    uint64_t start = it_now_ms();
    while (it_now_ms() - start < (uint64_t)bound_ms) {
        it_response_t *r = it_request(srv, &(it_request_t){.path = "/healthz", .timeout_ms = 500});
        int refused = r->curl_code == CURLE_COULDNT_CONNECT;
        it_response_free(r);
        if (refused)
            return (long)(it_now_ms() - start);
        it_batch_run(batch, 5);
    }
    return -1;
}

Test(shutdown, sigterm_finishes_requests_in_flight_and_refuses_new_ones) {
    enum { N = 50 };
    it_server_t *srv = it_server_start(&(it_server_options_t){
        .env = (const char *[]){"ISMS_DB_POOL_SIZE=4", "ISMS_SHUTDOWN_TIMEOUT_MS=10000", NULL}});
    PGconn *admin = it_db_connect(NULL);
    it_batch_t *batch = start_blocked_requests(srv, admin, N);

    it_server_signal(srv, SIGTERM);
    uint64_t signalled = it_now_ms();
    cr_assert_geq(await_refused(srv, batch, 250), 0,
                  "new connections still accepted after SIGTERM");
    long spent = (long)(it_now_ms() - signalled);
    if (spent < 300)
        it_batch_run(batch, (int)(300 - spent));
    cr_assert(it_server_running(srv), "the server exited with requests in flight");
    it_db_exec(admin, "COMMIT");

    it_response_t **rs = it_batch_finish(batch);
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(rs[i]->status, 200, "request %zu: %d %s %s", i, rs[i]->status,
                     rs[i]->curl_error, rs[i]->body);
        cr_assert(cJSON_IsObject(rs[i]->json), "request %zu: %s", i, rs[i]->body);
        const char *conn = it_header(rs[i], "connection");
        cr_assert(conn != NULL && strcasecmp(conn, "close") == 0,
                  "request %zu: a response during shutdown closes its connection", i);
    }
    it_responses_free(rs, N);
    cr_assert_eq(it_server_wait(srv, 5000), 0, "exit status after the drain");
    cr_assert_eq(it_server_stop(srv), 0);
    cJSON *line = it_server_log_find(srv, 0, "msg", "stopped", NULL);
    cr_assert_not_null(line, "no \"stopped\" log line");
    cJSON_Delete(line);
    line =
        it_server_log_find(srv, 0, "msg", "shutdown timeout: abandoning in-flight requests", NULL);
    int timed_out = line != NULL;
    cJSON_Delete(line);
    cr_assert_not(timed_out, "the drain should not have timed out");
}

Test(shutdown, drain_timeout_bounds_the_exit_when_a_query_never_ends) {
    enum { N = 6 };
    it_server_t *srv = it_server_start(&(it_server_options_t){
        .env = (const char *[]){"ISMS_DB_POOL_SIZE=4", "ISMS_SHUTDOWN_TIMEOUT_MS=300", NULL}});
    PGconn *admin = it_db_connect(NULL);
    it_batch_t *batch = start_blocked_requests(srv, admin, N);

    uint64_t signalled = it_now_ms();
    it_server_signal(srv, SIGTERM);
    int status = -1;
    while (it_now_ms() - signalled < 3000 && (status = it_server_wait(srv, 0)) < 0)
        it_batch_run(batch, 10);
    uint64_t took = it_now_ms() - signalled;
    it_db_exec(admin, "COMMIT");
    cr_assert_eq(status, 0, "no clean exit within 3 s of SIGTERM (drain timeout 300 ms)");
    cr_assert_geq(took, 250, "exited after %llu ms, before the drain timeout",
                  (unsigned long long)took);

    it_response_t **rs = it_batch_finish(batch);
    for (size_t i = 0; i < N; i++)
        cr_assert_neq(rs[i]->status, 200, "request %zu succeeded although its query never ran", i);
    it_responses_free(rs, N);
    cr_assert_eq(it_server_stop(srv), 0);
    cJSON *line =
        it_server_log_find(srv, 0, "msg", "shutdown timeout: abandoning in-flight requests", NULL);
    cr_assert_not_null(line, "the drain timeout is logged");
    cJSON_Delete(line);
}
