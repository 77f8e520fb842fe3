/* The request's identity lives only in its own transaction: over a pool of ONE database connection,
 * requests of two tenants interleaved by the thousand never see each other's rows, and a request
 * that fails half-way leaves nothing of its identity to the next one on that connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test_tenancy_world.h"

TestSuite(tenancy_pool, .fini = it_teardown);

static const char *const one_connection[] = {"ISMS_DB_POOL_SIZE=1", "ISMS_LOG_LEVEL=warn", NULL};

/* Ids that must never appear in an answer to a caller of tenant A, and the reverse. */
static const int tenant_a_only[] = {O_A1, O_A2,  O_A3,      O_COORD_A,  O_CONSULT_A, U_COORD_A,
                                    U_A1, U_A1B, U_A2,      U_COACH_A1, U_COACH_A2,  C_A,
                                    E_A1, E_A2,  S_A_COORD, S_A_COACH1, S_A_COACH2,  CA_A1};
static const int tenant_b_only[] = {O_B1,      O_B2,      O_B3,       O_COORD_B, O_CONSULT_B,
                                    U_COORD_B, U_B1,      U_COACH_B1, C_B,       E_B1,
                                    E_B2,      S_B_COORD, S_B_COACH1, CA_B1};

/* The first fixture id of `list` that occurs in `body`, or -1. */
static int leaked(const world_t *w, const char *body, const int *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strstr(body, w->id[list[i]]) != NULL)
            return list[i];
    return -1;
}
#define LEAKED(w, body, list) leaked((w), (body), (list), sizeof(list) / sizeof((list)[0]))

typedef struct probe {
    int user;
    int tenant_b;  /* which tenant the caller belongs to */
    int must_show; /* an id its answer must contain */
    char path[160];
} probe_t;

Test(tenancy_pool, ten_thousand_interleaved_requests_on_one_connection_never_cross_tenants,
     .timeout = 120) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(&(it_server_options_t){.env = one_connection});
    probe_t probes[] = {
        {U_COORD_A, 0, E_A2, ""},  {U_COORD_B, 1, E_B2, ""},  {U_A1, 0, O_A1, "/v1/organisations"},
        {U_B1, 1, U_B1, "/v1/me"}, {U_COACH_A1, 0, E_A1, ""}, {U_COORD_B, 1, O_B3, ""},
    };
    enum { NPROBES = sizeof(probes) / sizeof(probes[0]) };
    snprintf(probes[0].path, sizeof(probes[0].path), "/v1/clusters/%s/enrolments", w.id[C_A]);
    snprintf(probes[1].path, sizeof(probes[1].path), "/v1/clusters/%s/enrolments", w.id[C_B]);
    snprintf(probes[4].path, sizeof(probes[4].path), "/v1/enrolments/%s", w.id[E_A1]);
    snprintf(probes[5].path, sizeof(probes[5].path), "/v1/organisations?limit=200");
    it_request_t reqs[NPROBES];
    const char *headers[NPROBES][2];
    for (size_t i = 0; i < NPROBES; i++) {
        headers[i][0] = w.auth[probes[i].user];
        headers[i][1] = NULL;
        reqs[i] =
            (it_request_t){.path = probes[i].path, .headers = headers[i], .timeout_ms = 30000};
    }
    enum { TOTAL = 10000, BATCH = 250 };
    uint64_t start = it_now_ms();
    for (size_t done = 0; done < TOTAL; done += BATCH) {
        it_response_t **rs = it_batch_finish(it_batch_start(srv, reqs, NPROBES, BATCH));
        for (size_t i = 0; i < BATCH; i++) {
            const probe_t *p = &probes[i % NPROBES];
            const it_response_t *r = rs[i];
            cr_assert_eq(r->status, 200, "request %zu (%s GET %s): %d %s %s", done + i,
                         world_names[p->user], p->path, r->status, r->body, r->curl_error);
            int other = p->tenant_b ? LEAKED(&w, r->body, tenant_a_only)
                                    : LEAKED(&w, r->body, tenant_b_only);
            cr_assert_eq(other, -1, "request %zu: %s sees %s: %s", done + i, world_names[p->user],
                         other >= 0 ? world_names[other] : "", r->body);
            cr_assert(strstr(r->body, w.id[p->must_show]) != NULL,
                      "request %zu: %s does not see its own %s: %s", done + i, world_names[p->user],
                      world_names[p->must_show], r->body);
        }
        it_responses_free(rs, BATCH);
    }
    cr_log_info("%d requests in %llu ms", TOTAL, (unsigned long long)(it_now_ms() - start));
    /* Counted by the server's own application_name: other servers of the suite run at the same
     * time, and the notification listener names its connection "<name>.listen". */
    const char *app[] = {srv->app_name};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                            "AND datname = current_database() AND backend_type = 'client backend'",
                            1, app),
                 1, "the server's pool should hold exactly one connection");
    cr_assert_eq(it_server_stop(srv), 0);
}

/* The server's only connection ends up idle, not inside a transaction. The answer to a failed
 * request may leave before its ROLLBACK has completed, so this waits a little. */
static void assert_connection_idle(PGconn *admin, const it_server_t *srv) {
    uint64_t deadline = it_now_ms() + 2000;
    const char *app[] = {srv->app_name};
    while (it_db_long(admin,
                      "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 "
                      "AND datname = current_database() AND state <> 'idle'",
                      1, app) > 0) {
        cr_assert_lt(it_now_ms(), deadline, "the server's connection stays inside a transaction");
        it_sleep_ms(5);
    }
}

Test(tenancy_pool, a_failed_request_leaves_no_identity_on_the_connection) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(&(it_server_options_t){.env = one_connection});
    char enrol_a[128], enrol_b[128], dup[128], transition[160];
    snprintf(enrol_a, sizeof(enrol_a), "/v1/clusters/%s/enrolments", w.id[C_A]);
    snprintf(enrol_b, sizeof(enrol_b), "/v1/clusters/%s/enrolments", w.id[C_B]);
    snprintf(dup, sizeof(dup), "{\"organisation_id\":\"%s\"}", w.id[O_A1]);
    snprintf(transition, sizeof(transition), "/v1/enrolments/%s/complete", w.id[E_A2]);
    for (int round = 0; round < 3; round++) {
        /* Coordinator A: refused after its identity was set (409 from the SQL function). */
        it_response_t *r = world_call(srv, &w, U_COORD_A, "POST", enrol_a, dup);
        it_assert_error(r, 409, "conflict");
        it_response_free(r);
        assert_connection_idle(admin, srv);
        /* The next request on the only connection: member B1 sees only its own enrolment. */
        r = world_call(srv, &w, U_B1, "GET", enrol_b, NULL);
        cr_assert_eq(r->status, 200, "%s", r->body);
        char names[256];
        world_item_names(&w, r->json, names, sizeof(names));
        cr_assert_str_eq(names, "E_B1", "right after A's failed request, B1 sees: %s", r->body);
        it_response_free(r);
        /* Another failure mode: a refused state transition (409 invalid_transition). */
        r = world_call(srv, &w, U_COORD_A, "POST", transition, NULL);
        it_assert_error(r, 409, "invalid_transition");
        it_response_free(r);
        /* Without a token nothing is read, even right after A's identity was in use. */
        r = world_call(srv, &w, -1, "GET", enrol_a, NULL);
        it_assert_error(r, 401, "unauthenticated");
        it_response_free(r);
        /* A tenant-B coordinator asking for cluster A after A's failure: A's cluster is unknown. */
        r = world_call(srv, &w, U_COORD_B, "GET", enrol_a, NULL);
        it_assert_error(r, 404, "not_found");
        it_response_free(r);
        /* A failed authentication right after a failure sets no identity either. */
        const char *bad[] = {"Authorization: Bearer it-tenancy-no-such-session-token", NULL};
        r = it_request(srv, &(it_request_t){.path = enrol_a, .headers = bad});
        it_assert_error(r, 401, "unauthenticated");
        it_response_free(r);
    }
    assert_connection_idle(admin, srv);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* The same sequence on a plain connection of the app role, the way the pool sends it: after the
 * failed transaction is rolled back, an unauthenticated transaction reads with no identity. */
Test(tenancy_pool, after_a_rolled_back_request_an_unauthenticated_read_sees_nothing) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    const char *app_url = getenv("ISMS_TEST_DATABASE_URL");
    cr_assert(app_url != NULL && app_url[0] != '\0', "set ISMS_TEST_DATABASE_URL");
    PGconn *app = it_db_connect(app_url);
    char hash_sql[256];
    snprintf(hash_sql, sizeof(hash_sql),
             "SELECT isms.auth_session(encode(sha256(convert_to('%s', 'UTF8')), 'hex'))",
             w.token[U_COORD_A]);
    it_db_exec(app, "BEGIN");
    it_db_exec(app, "SELECT set_config('app.request_id', 'it-pool', true)");
    it_db_exec(app, hash_sql);
    cr_assert_eq(it_db_long(app, "SELECT count(*) FROM isms.enrolments", 0, NULL), 2,
                 "coordinator A sees its two enrolments inside its transaction");
    const char *params[] = {w.id[C_A], w.id[O_A1]};
    PGresult *res = PQexecParams(app,
                                 "SELECT isms.api_enrolment_create($1, $2, NULL, NULL, NULL, "
                                 "NULL, NULL)",
                                 2, NULL, params, NULL, NULL, 0);
    cr_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "IC409");
    PQclear(res);
    it_db_exec(app, "ROLLBACK");
    it_db_exec(app, "BEGIN");
    PGresult *ctx = it_db_query(app,
                                "SELECT coalesce(current_setting('app.user_id', true), ''), "
                                "coalesce(current_setting('app.organisation_id', true), ''), "
                                "(SELECT count(*) FROM isms.enrolments) + "
                                "(SELECT count(*) FROM isms.organisations) + "
                                "(SELECT count(*) FROM isms.users_public) + "
                                "(SELECT count(*) FROM isms.audit_events)",
                                0, NULL);
    cr_assert_str_eq(PQgetvalue(ctx, 0, 0), "", "app.user_id survived the rollback");
    cr_assert_str_eq(PQgetvalue(ctx, 0, 1), "", "app.organisation_id survived the rollback");
    cr_assert_str_eq(PQgetvalue(ctx, 0, 2), "0", "an unauthenticated read saw rows");
    PQclear(ctx);
    it_db_exec(app, "COMMIT");
}
