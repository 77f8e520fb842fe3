/* The coaching ledger under concurrency, through the real server and database: 100 simultaneous
 * bookings against a budget with 28 half-days left (16 database connections), and the
 * Idempotency-Key contract: replay across server processes, another body with the same key,
 * a retry while the first request is still running, and a retry after the client gave up on a
 * request that the server then committed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test_coaching_world.h"

TestSuite(coaching_concurrency, .fini = it_teardown);

static const char *const many_connections[] = {"ISMS_DB_POOL_SIZE=16", "ISMS_LOG_LEVEL=warn", NULL};

static long ledger_count(PGconn *admin, const char *enrolment, const char *status) {
    const char *params[] = {enrolment, status};
    return it_db_long(admin,
                      "SELECT count(*) FROM isms.coaching_sessions WHERE enrolment_id = $1 "
                      "AND ($2::text IS NULL OR status = $2)",
                      2, params);
}

/* Waits until a request of the app role waits for a lock inside the booking function. */
static void await_blocked_booking(PGconn *admin) {
    uint64_t deadline = it_now_ms() + 10000;
    for (;;) {
        long n = it_db_long(admin,
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                            "current_database() AND wait_event_type = 'Lock' AND query LIKE "
                            "'%api_coaching_session_create%'",
                            0, NULL);
        if (n > 0)
            return;
        cr_assert_lt(it_now_ms(), deadline, "no booking is waiting for the budget lock");
        it_sleep_ms(10);
    }
}

Test(coaching_concurrency, one_hundred_simultaneous_bookings_against_28_half_days, .timeout = 120) {
    PGconn *admin = it_db_connect(NULL);
    coaching_world_t w;
    cw_build(admin, &w);
    it_server_t *srv = it_server_start(&(it_server_options_t){.env = many_connections});
    enum { N = 100 };
    static char paths[N][128], bodies[N][160];
    it_request_t reqs[N];
    const char *headers[] = {w.auth[CW_U_COACH1], NULL};
    for (int i = 0; i < N; i++) {
        /* One half-day each, on 50 days from 1 March, morning and afternoon: the coach is never
         * booked twice in one half-day, so the budget is the only reason to refuse. */
        int day = i / 2;
        snprintf(paths[i], sizeof(paths[i]), "/v1/enrolments/%s/coaching-sessions", w.id[CW_E_A1]);
        snprintf(bodies[i], sizeof(bodies[i]),
                 "{\"session_date\":\"2024-%02d-%02d\",\"slot\":\"%s\",\"half_days\":1,"
                 "\"topic\":\"concurrent %d\"}",
                 day < 31 ? 3 : 4, day < 31 ? day + 1 : day - 30, i % 2 ? "afternoon" : "morning",
                 i);
        reqs[i] = (it_request_t){.method = "POST",
                                 .path = paths[i],
                                 .headers = headers,
                                 .body = bodies[i],
                                 .timeout_ms = 60000};
    }
    it_response_t **rs = it_batch_finish(it_batch_start(srv, reqs, N, N));
    int created = 0, refused = 0;
    for (int i = 0; i < N; i++) {
        if (rs[i]->status == 201) {
            created++;
        } else {
            cr_assert_eq(rs[i]->status, 409, "request %d: %d %s", i, rs[i]->status, rs[i]->body);
            const cJSON *err = cJSON_GetObjectItemCaseSensitive(rs[i]->json, "error");
            cr_assert_str_eq(cw_json_str(err, "code"), "budget_exceeded", "request %d: %s", i,
                             rs[i]->body);
            cr_assert_eq(cw_json_int(err, "remaining_half_days"), 0, "%s", rs[i]->body);
            refused++;
        }
    }
    it_responses_free(rs, N);
    cr_assert_eq(created, 28, "exactly the 28 half-days left are booked (%d were)", created);
    cr_assert_eq(refused, 72);
    cr_assert_eq(ledger_count(admin, w.id[CW_E_A1], NULL), 28, "the ledger shows 28 sessions");
    char path[128];
    snprintf(path, sizeof(path), "/v1/enrolments/%s/coaching-budget", w.id[CW_E_A1]);
    it_response_t *b = cw_call(srv, &w, CW_U_COORD, NULL, path, NULL, NULL);
    cr_assert_eq(b->status, 200, "%s", b->body);
    cr_assert_eq(cw_json_int(b->json, "planned_half_days"), 28);
    cr_assert_eq(cw_json_int(b->json, "remaining_half_days"), 0);
    it_response_free(b);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* ---- Idempotency-Key ---------------------------------------------------------------------------
 */

static const char booking[] = "{\"session_date\":\"2024-05-06\",\"slot\":\"morning\",\"half_days\":"
                              "2,\"topic\":\"ISMS scope\"}";

Test(coaching_concurrency, a_retry_on_another_server_process_gets_the_first_response) {
    PGconn *admin = it_db_connect(NULL);
    coaching_world_t w;
    cw_build(admin, &w);
    it_server_t *one = it_server_start(NULL), *two = it_server_start(NULL);
    char path[128];
    snprintf(path, sizeof(path), "/v1/enrolments/%s/coaching-sessions", w.id[CW_E_A1]);
    it_response_t *first =
        cw_call(one, &w, CW_U_COACH1, "POST", path, booking, "Idempotency-Key: scope-day-1");
    cr_assert_eq(first->status, 201, "%s", first->body);
    cr_assert_null(it_header(first, "Idempotent-Replayed"));
    /* The same request, members in another order, through the other process. */
    it_response_t *again = cw_call(two, &w, CW_U_COACH1, "POST", path,
                                   "{\"topic\": \"ISMS scope\", \"half_days\": 2, "
                                   "\"slot\": \"morning\", \"session_date\": \"2024-05-06\"}",
                                   "Idempotency-Key: scope-day-1");
    cr_assert_eq(again->status, 201, "%s", again->body);
    cr_assert_str_eq(again->body, first->body, "the replay is the first response, byte for byte");
    cr_assert_str_eq(it_header(again, "Idempotent-Replayed"), "true");
    cr_assert_eq(ledger_count(admin, w.id[CW_E_A1], NULL), 1, "one entry, not two");

    it_response_t *other = cw_call(two, &w, CW_U_COACH1, "POST", path,
                                   "{\"session_date\":\"2024-05-07\",\"slot\":\"morning\","
                                   "\"half_days\":2,\"topic\":\"ISMS scope\"}",
                                   "Idempotency-Key: scope-day-1");
    it_assert_error(other, 422, "idempotency_key_reused");
    cr_assert_eq(ledger_count(admin, w.id[CW_E_A1], NULL), 1);

    /* Keys belong to their user: the coordinator's "scope-day-1" is a new request. */
    char body[256];
    snprintf(body, sizeof(body),
             "{\"coach_user_id\":\"%s\",\"session_date\":\"2024-05-08\",\"slot\":\"morning\","
             "\"half_days\":1,\"topic\":\"ISMS scope\"}",
             w.id[CW_U_COACH1]);
    it_response_t *coord =
        cw_call(one, &w, CW_U_COORD, "POST", path, body, "Idempotency-Key: scope-day-1");
    cr_assert_eq(coord->status, 201, "%s", coord->body);
    cr_assert_eq(ledger_count(admin, w.id[CW_E_A1], NULL), 2);

    char too_long[300] = "Idempotency-Key: ";
    memset(too_long + strlen(too_long), 'k', 256);
    too_long[strlen("Idempotency-Key: ") + 256] = '\0';
    it_response_t *bad = cw_call(one, &w, CW_U_COACH1, "POST", path, booking, too_long);
    it_assert_error(bad, 400, "invalid_idempotency_key");
    cr_assert_eq(ledger_count(admin, w.id[CW_E_A1], NULL), 2);
    it_response_free(first);
    it_response_free(again);
    it_response_free(other);
    it_response_free(coord);
    it_response_free(bad);
    cr_assert_eq(it_server_stop(one), 0);
    cr_assert_eq(it_server_stop(two), 0);
}

/* Holds the enrolment's budget row lock in an admin transaction: bookings of it wait. */
static void hold_budget(PGconn *admin, const coaching_world_t *w) {
    const char *params[] = {w->id[CW_E_A1], w->id[CW_C_A], w->id[CW_O_A1]};
    PQclear(it_db_query(admin,
                        "INSERT INTO isms.coaching_budgets (enrolment_id, cluster_id, "
                        "organisation_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                        3, params));
    it_db_exec(admin, "BEGIN");
    PQclear(it_db_query(admin,
                        "SELECT 1 FROM isms.coaching_budgets WHERE enrolment_id = $1 FOR UPDATE", 1,
                        params));
}

Test(coaching_concurrency, a_retry_while_the_first_is_running_gets_409_then_the_replay) {
    PGconn *admin = it_db_connect(NULL), *locker = it_db_connect(NULL);
    coaching_world_t w;
    cw_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[128];
    snprintf(path, sizeof(path), "/v1/enrolments/%s/coaching-sessions", w.id[CW_E_A1]);
    const char *headers[] = {w.auth[CW_U_COACH1], "Idempotency-Key: in-flight", NULL};
    it_request_t req = {
        .method = "POST", .path = path, .headers = headers, .body = booking, .timeout_ms = 20000};
    hold_budget(locker, &w);
    it_batch_t *first = it_batch_start(srv, &req, 1, 1);
    cr_assert_eq(it_batch_wait_sent(first, 5000), 1);
    await_blocked_booking(admin);

    it_response_t *during = it_request(srv, &req);
    it_assert_error(during, 409, "idempotency_in_progress");
    cr_assert_str_eq(it_header(during, "Retry-After"), "1");

    it_db_exec(locker, "COMMIT");
    it_response_t **done = it_batch_finish(first);
    cr_assert_eq(done[0]->status, 201, "%s", done[0]->body);
    it_response_t *after = it_request(srv, &req);
    cr_assert_eq(after->status, 201, "%s", after->body);
    cr_assert_str_eq(after->body, done[0]->body);
    cr_assert_eq(ledger_count(admin, w.id[CW_E_A1], NULL), 1);
    it_responses_free(done, 1);
    it_response_free(during);
    it_response_free(after);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(coaching_concurrency, a_retry_after_the_client_gave_up_on_a_committed_booking_is_replayed) {
    PGconn *admin = it_db_connect(NULL), *locker = it_db_connect(NULL);
    coaching_world_t w;
    cw_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[128];
    snprintf(path, sizeof(path), "/v1/enrolments/%s/coaching-sessions", w.id[CW_E_A1]);
    const char *headers[] = {w.auth[CW_U_COACH1], "Idempotency-Key: cut-connection", NULL};
    it_request_t impatient = {
        .method = "POST", .path = path, .headers = headers, .body = booking, .timeout_ms = 300};
    hold_budget(locker, &w);
    it_batch_t *first = it_batch_start(srv, &impatient, 1, 1);
    cr_assert_eq(it_batch_wait_sent(first, 5000), 1);
    await_blocked_booking(admin);
    /* The client gives up and closes its connection while the booking waits... */
    it_response_t **cut = it_batch_finish(first);
    cr_assert_eq(cut[0]->status, 0, "the client saw no answer: %d %s", cut[0]->status,
                 cut[0]->body);
    /* ...the server goes on and commits it. */
    it_db_exec(locker, "COMMIT");
    uint64_t deadline = it_now_ms() + 10000;
    while (ledger_count(admin, w.id[CW_E_A1], NULL) == 0) {
        cr_assert_lt(it_now_ms(), deadline, "the booking was not committed");
        it_sleep_ms(10);
    }
    const char *params[] = {w.id[CW_E_A1]};
    PGresult *row = it_db_query(
        admin, "SELECT id::text FROM isms.coaching_sessions WHERE enrolment_id = $1", 1, params);
    char committed[37];
    snprintf(committed, sizeof(committed), "%s", PQgetvalue(row, 0, 0));
    PQclear(row);

    impatient.timeout_ms = 10000;
    it_response_t *retry = it_request(srv, &impatient);
    cr_assert_eq(retry->status, 201, "%s", retry->body);
    cr_assert_str_eq(it_header(retry, "Idempotent-Replayed"), "true");
    cr_assert_str_eq(cw_json_str(retry->json, "id"), committed,
                     "the retry answers with the session committed for the first request");
    cr_assert_eq(ledger_count(admin, w.id[CW_E_A1], NULL), 1, "and books nothing more");
    it_responses_free(cut, 1);
    it_response_free(retry);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(coaching_concurrency, a_refusal_is_replayed_too) {
    PGconn *admin = it_db_connect(NULL);
    coaching_world_t w;
    cw_build(admin, &w);
    const char *params[] = {w.id[CW_E_A1], w.id[CW_C_A], w.id[CW_O_A1]};
    PQclear(it_db_query(admin,
                        "INSERT INTO isms.coaching_budgets (enrolment_id, cluster_id, "
                        "organisation_id, ceiling_half_days) VALUES ($1, $2, $3, 1)",
                        3, params));
    it_server_t *srv = it_server_start(NULL);
    char path[128];
    snprintf(path, sizeof(path), "/v1/enrolments/%s/coaching-sessions", w.id[CW_E_A1]);
    it_response_t *first =
        cw_call(srv, &w, CW_U_COACH1, "POST", path, booking, "Idempotency-Key: too-big");
    it_assert_error(first, 409, "budget_exceeded");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(first->json, "error");
    cr_assert_eq(cw_json_int(err, "remaining_half_days"), 1);
    cr_assert_eq(cw_json_int(err, "requested_half_days"), 2);
    it_response_t *again =
        cw_call(srv, &w, CW_U_COACH1, "POST", path, booking, "Idempotency-Key: too-big");
    cr_assert_eq(again->status, 409);
    cr_assert_str_eq(again->body, first->body);
    cr_assert_str_eq(it_header(again, "Idempotent-Replayed"), "true");
    cr_assert_eq(ledger_count(admin, w.id[CW_E_A1], NULL), 0);
    it_response_free(first);
    it_response_free(again);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(coaching_concurrency, a_coach_is_booked_once_per_half_day_across_organisations) {
    PGconn *admin = it_db_connect(NULL);
    coaching_world_t w;
    cw_build(admin, &w);
    /* Coach 1 also coaches A2: bookings of A1 and A2 do not share a budget lock. */
    const char *params[] = {w.id[CW_C_A], w.id[CW_O_A2], w.id[CW_E_A2], w.id[CW_U_COACH1]};
    PQclear(it_db_query(admin,
                        "INSERT INTO isms.coach_assignments (cluster_id, organisation_id, "
                        "enrolment_id, coach_user_id) VALUES ($1, $2, $3, $4)",
                        4, params));
    it_server_t *srv = it_server_start(&(it_server_options_t){.env = many_connections});
    enum { N = 20 };
    static char paths[2][128];
    const char *headers[] = {w.auth[CW_U_COACH1], NULL};
    const char *body = "{\"session_date\":\"2024-06-03\",\"slot\":\"afternoon\",\"half_days\":1,"
                       "\"topic\":\"same half-day\"}";
    it_request_t reqs[2];
    for (int i = 0; i < 2; i++) {
        snprintf(paths[i], sizeof(paths[i]), "/v1/enrolments/%s/coaching-sessions",
                 w.id[i == 0 ? CW_E_A1 : CW_E_A2]);
        reqs[i] = (it_request_t){.method = "POST",
                                 .path = paths[i],
                                 .headers = headers,
                                 .body = body,
                                 .timeout_ms = 30000};
    }
    it_response_t **rs = it_batch_finish(it_batch_start(srv, reqs, 2, N));
    int created = 0;
    for (int i = 0; i < N; i++) {
        if (rs[i]->status == 201)
            created++;
        else
            it_assert_error(rs[i], 409, "coach_unavailable");
    }
    it_responses_free(rs, N);
    cr_assert_eq(created, 1, "one booking of the coach's afternoon, not %d", created);
    cr_assert_eq(
        ledger_count(admin, w.id[CW_E_A1], NULL) + ledger_count(admin, w.id[CW_E_A2], NULL), 1);
    cr_assert_eq(it_server_stop(srv), 0);
}
