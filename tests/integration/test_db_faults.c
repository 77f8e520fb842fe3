/* Database faults, against a throwaway PostgreSQL that the tests stop and start: readiness follows
 * the database, requests fail fast with 503 while it is away, the pool reconnects by itself, and a
 * client that leaves while its query is blocked costs nothing but the query. */
#include <string.h>

#include "harness.h"

TestSuite(db_faults, .fini = it_teardown);

#define BOUND_MS 2000  /* what the server promises */
#define SETUP_MS 10000 /* how long the test waits for its own preconditions */

static it_server_t *start_on(const it_pg_t *pg) {
    return it_server_start(&(it_server_options_t){.database_url = pg->app_url});
}

static int status_of(const it_server_t *srv, const char *path, long timeout_ms) {
    it_response_t *r = it_request(srv, &(it_request_t){.path = path, .timeout_ms = timeout_ms});
    int status = r->status;
    it_response_free(r);
    return status;
}

/* Polls `path` until it answers `status`; returns the milliseconds it took, or -1 after `bound`.
 * No request is abandoned before the bound: a query left behind by a client that gave up could
 * still be waiting in the database when the test next counts sessions. */
static long await_status(const it_server_t *srv, const char *path, int status, int bound_ms) {
    uint64_t start = it_now_ms();
    for (uint64_t spent = 0; spent < (uint64_t)bound_ms; spent = it_now_ms() - start) {
        long left = (long)((uint64_t)bound_ms - spent);
        if (status_of(srv, path, left > 100 ? left : 100) == status)
            return (long)(it_now_ms() - start);
        it_sleep_ms(20);
    }
    return -1;
}

static void assert_unavailable(const it_response_t *r, uint64_t took_ms) {
    it_assert_error(r, 503, "database_unavailable");
    cr_assert_not_null(it_header(r, "retry-after"), "a 503 says when to retry");
    cr_assert_lt(took_ms, BOUND_MS, "the 503 took %llu ms", (unsigned long long)took_ms);
}

#define POOL_SIZE 4 /* the default ISMS_DB_POOL_SIZE */

static void await_pool_idle(PGconn *admin, const it_server_t *srv) {
    it_server_await_sessions(srv, admin, "state = 'idle'", POOL_SIZE, SETUP_MS);
}

static void await_lock_waiters(PGconn *admin, const it_server_t *srv, long n) {
    it_server_await_sessions(srv, admin, "wait_event_type = 'Lock'", n, SETUP_MS);
}

static void lock_schema_migrations(PGconn *admin) {
    it_db_exec(admin, "BEGIN; LOCK TABLE public.schema_migrations IN ACCESS EXCLUSIVE MODE");
}

Test(db_faults, readiness_and_queries_follow_the_database) {
    it_pg_t *pg = it_pg_create();
    it_server_t *srv = start_on(pg);
    const pid_t pid = srv->pid;
    const char *modes[] = {"fast", "immediate"};
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
        cr_assert_eq(status_of(srv, "/readyz", BOUND_MS), 200);
        it_pg_stop(pg, modes[m]);
        cr_assert_geq(await_status(srv, "/readyz", 503, BOUND_MS), 0,
                      "/readyz still not 503 %d ms after a %s stop", BOUND_MS, modes[m]);
        for (int i = 0; i < 5; i++) {
            uint64_t t0 = it_now_ms();
            it_response_t *r =
                it_request(srv, &(it_request_t){.path = "/v1/meta", .timeout_ms = BOUND_MS + 1000});
            assert_unavailable(r, it_now_ms() - t0);
            it_response_free(r);
        }
        it_response_t *r = it_get(srv, "/readyz");
        assert_unavailable(r, 0);
        it_response_free(r);
        cr_assert_eq(status_of(srv, "/healthz", BOUND_MS), 200,
                     "liveness does not depend on the database");

        it_pg_start(pg);
        cr_assert_geq(await_status(srv, "/readyz", 200, BOUND_MS), 0,
                      "/readyz not back to 200 within %d ms of the restart (%s)", BOUND_MS,
                      modes[m]);
        cr_assert_geq(await_status(srv, "/v1/meta", 200, BOUND_MS), 0,
                      "/v1/meta not back to 200 within %d ms of the restart (%s)", BOUND_MS,
                      modes[m]);
        cr_assert(it_server_running(srv) && srv->pid == pid, "the same server process recovered");
    }
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Starts `n` /v1/meta requests and returns once all of them wait for the lock `admin` holds. */
static it_batch_t *start_blocked_queries(const it_server_t *srv, PGconn *admin, size_t n) {
    await_pool_idle(admin, srv);
    lock_schema_migrations(admin);
    it_batch_t *batch =
        it_batch_start(srv, &(it_request_t){.path = "/v1/meta", .timeout_ms = 10000}, 1, n);
    cr_assert_eq(it_batch_wait_sent(batch, SETUP_MS), n);
    await_lock_waiters(admin, srv, (long)n);
    return batch;
}

static void assert_all_unavailable(it_batch_t *batch, size_t n, uint64_t since) {
    it_response_t **rs = it_batch_finish(batch);
    for (size_t i = 0; i < n; i++)
        assert_unavailable(rs[i], it_now_ms() - since);
    it_responses_free(rs, n);
}

/* Queries waiting for a lock when their backends are killed, then when the whole instance goes
 * down: each is answered 503 at once. (An immediate stop, because a fast stop ends the lock holder
 * too, and a waiting query may then complete before its own backend notices the shutdown.) */
Test(db_faults, queries_in_flight_when_the_database_goes_get_503) {
    it_pg_t *pg = it_pg_create();
    it_server_t *srv = start_on(pg);
    PGconn *admin = it_db_connect(pg->admin_url);
    it_batch_t *batch = start_blocked_queries(srv, admin, 3);
    uint64_t killed = it_now_ms();
    const char *params[] = {srv->app_name};
    PQclear(it_db_query(admin,
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = $1",
                        1, params));
    assert_all_unavailable(batch, 3, killed);
    it_db_exec(admin, "COMMIT");
    cr_assert_geq(await_status(srv, "/v1/meta", 200, BOUND_MS), 0,
                  "the pool did not replace the killed connections within %d ms", BOUND_MS);

    batch = start_blocked_queries(srv, admin, 3);
    uint64_t stopped = it_now_ms();
    it_pg_stop(pg, "immediate");
    assert_all_unavailable(batch, 3, stopped);
    it_pg_start(pg);
    cr_assert_geq(await_status(srv, "/v1/meta", 200, BOUND_MS), 0);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Connections killed while they prepare their statements (here: waiting for a lock) are not a
 * schema problem: the pool reconnects with its short backoff, not the long one meant for an
 * unmigrated database. */
Test(db_faults, connections_killed_while_preparing_come_back_quickly) {
    it_pg_t *pg = it_pg_create();
    PGconn *admin = it_db_connect(pg->admin_url);
    lock_schema_migrations(admin);
    it_server_t *srv =
        it_server_start(&(it_server_options_t){.database_url = pg->app_url, .no_wait_ready = 1});
    await_lock_waiters(admin, srv, POOL_SIZE);
    const char *params[] = {srv->app_name};
    PQclear(it_db_query(admin,
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = $1",
                        1, params));
    it_db_exec(admin, "COMMIT");
    cr_assert_geq(await_status(srv, "/readyz", 200, BOUND_MS), 0,
                  "/readyz not 200 within %d ms of the lock's release", BOUND_MS);
    await_pool_idle(admin, srv);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Clients that give up (after 50 ms) while their queries wait for a lock: four of them hold pool
 * connections, the others wait in the pool's queue. When the lock goes, every transaction
 * completes for nobody, and the server carries on. */
Test(db_faults, clients_that_leave_during_a_blocked_query_do_no_harm) {
    enum { N = 10 };
    it_pg_t *pg = it_pg_create();
    it_server_t *srv = start_on(pg);
    PGconn *admin = it_db_connect(pg->admin_url);
    for (int http2 = 0; http2 <= 1; http2++) {
        await_pool_idle(admin, srv);
        lock_schema_migrations(admin);
        uint64_t locked = it_now_ms();
        const char *id = http2 ? "X-Request-Id: it-gone-h2" : "X-Request-Id: it-gone-h1";
        it_response_t **rs = it_request_many(srv,
                                             &(it_request_t){.path = "/v1/meta",
                                                             .headers = (const char *[]){id, NULL},
                                                             .http2 = http2,
                                                             .timeout_ms = 50},
                                             N);
        for (int i = 0; i < N; i++)
            cr_assert_eq(rs[i]->curl_code, CURLE_OPERATION_TIMEDOUT,
                         "request %d (HTTP/%s) was answered: %d %s", i, http2 ? "2" : "1.1",
                         rs[i]->status, rs[i]->body);
        it_responses_free(rs, N);
        await_lock_waiters(admin, srv, POOL_SIZE);
        uint64_t held = it_now_ms() - locked;
        if (held < 500)
            it_sleep_ms((int)(500 - held));
        it_db_exec(admin, "COMMIT");

        it_response_t *r = it_get(srv, "/v1/meta");
        cr_assert_eq(r->status, 200, "the next request: %d %s", r->status, r->body);
        it_response_free(r);
        cr_assert(it_server_running(srv));
        cr_assert_not(it_server_log_has_sanitizer_report(srv));
    }
    /* Each abandoned request is logged once, as a client that closed. */
    cJSON *line = it_server_log_find(srv, 2000, "request_id", "it-gone-h1", NULL);
    cr_assert_not_null(line, "no access log line for an abandoned request");
    cJSON_Delete(line);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* ISMS_DB_STATEMENT_TIMEOUT_MS bounds every statement: a query stuck behind a lock is cancelled by
 * PostgreSQL, the client gets 503 `timeout` instead of waiting, and the connection serves the next
 * request normally. */
Test(db_faults, a_statement_over_the_timeout_answers_503_and_frees_its_connection) {
    it_pg_t *pg = it_pg_create();
    const char *env[] = {"ISMS_DB_STATEMENT_TIMEOUT_MS=300", "ISMS_DB_POOL_SIZE=1", NULL};
    it_server_t *srv =
        it_server_start(&(it_server_options_t){.database_url = pg->app_url, .env = env});
    PGconn *admin = it_db_connect(pg->admin_url);
    lock_schema_migrations(admin);
    uint64_t start = it_now_ms();
    it_response_t *r = it_request(srv, &(it_request_t){.path = "/v1/meta", .timeout_ms = 10000});
    uint64_t took = it_now_ms() - start;
    it_assert_error(r, 503, "timeout");
    cr_assert_not_null(it_header(r, "retry-after"), "a 503 says when to retry");
    cr_assert_lt(took, 3000, "the timeout answered after %llu ms", (unsigned long long)took);
    cr_assert_geq(took, 250, "answered after %llu ms, before the timeout",
                  (unsigned long long)took);
    it_response_free(r);
    it_db_exec(admin, "COMMIT");
    r = it_get(srv, "/v1/meta");
    cr_assert_eq(r->status, 200, "the next request on the same connection: %d %s", r->status,
                 r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}
