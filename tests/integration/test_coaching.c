/* The coaching API through the real server: who sees which ledger, budget and cost (another
 * tenant's answers 404 exactly like a random id), the coach's view across clusters, session
 * changes, the ceiling as a coordinator's decision with its reason in the audit trail, burn-down,
 * the effort log, cost items and the per-organisation statement in JSON and CSV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test_coaching_world.h"

TestSuite(coaching, .fini = it_teardown);

static const char *const quiet[] = {"ISMS_LOG_LEVEL=warn", NULL};

typedef struct ctx {
    PGconn *admin;
    coaching_world_t w;
    it_server_t *srv;
    char path[256];
} ctx_t;

static void ctx_start(ctx_t *c) {
    c->admin = it_db_connect(NULL);
    cw_build(c->admin, &c->w);
    c->srv = it_server_start(&(it_server_options_t){.env = quiet});
}

/* Formats the context's path buffer. */
#define PATH(c, ...) (snprintf((c)->path, sizeof((c)->path), __VA_ARGS__), (c)->path)

static it_response_t *call(ctx_t *c, int who, const char *method, const char *path,
                           const char *body) {
    return cw_call(c->srv, &c->w, who, method, path, body, NULL);
}

static it_response_t *expect(ctx_t *c, int who, const char *method, const char *path,
                             const char *body, int status) {
    it_response_t *r = call(c, who, method, path, body);
    cr_assert_eq(r->status, status, "%s %s: %d %s", method, path, r->status, r->body);
    return r;
}

/* Books a session as coach 1 for A1 and returns its id in `out`. */
static void book(ctx_t *c, const char *date, const char *slot, int half_days, char out[37]) {
    char body[256];
    snprintf(body, sizeof(body),
             "{\"session_date\":\"%s\",\"slot\":\"%s\",\"half_days\":%d,\"topic\":\"Risk\","
             "\"module_key\":\"risk_assessment\",\"notes\":\"confidential: weak backups\"}",
             date, slot, half_days);
    it_response_t *r =
        expect(c, CW_U_COACH1, "POST",
               PATH(c, "/v1/enrolments/%s/coaching-sessions", c->w.id[CW_E_A1]), body, 201);
    snprintf(out, 37, "%s", cw_json_str(r->json, "id"));
    it_response_free(r);
}

Test(coaching, other_tenants_get_the_same_404_as_a_random_id) {
    ctx_t c;
    ctx_start(&c);
    char session[37];
    book(&c, "2024-02-05", "morning", 1, session);
    it_response_t *missing =
        call(&c, CW_U_B1, NULL, "/v1/coaching-sessions/00000000-0000-4000-8000-000000000000", NULL);
    it_assert_error(missing, 404, "not_found");
    const char *paths[] = {
        "/v1/coaching-sessions/%s",          "/v1/enrolments/%s/coaching-sessions",
        "/v1/enrolments/%s/coaching-budget", "/v1/enrolments/%s/coaching-burndown",
        "/v1/enrolments/%s/cost-statement",  "/v1/enrolments/%s/cost-statement.csv",
        "/v1/enrolments/%s/effort"};
    const int callers[] = {CW_U_A2, CW_U_B1, CW_U_COACH2, CW_U_COORD_B};
    for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++)
        for (size_t u = 0; u < sizeof(callers) / sizeof(callers[0]); u++) {
            const char *id = p == 0 ? session : c.w.id[CW_E_A1];
            it_response_t *r = call(&c, callers[u], NULL, PATH(&c, paths[p], id), NULL);
            cr_assert_eq(r->status, 404, "user %d GET %s: %d %s", callers[u], c.path, r->status,
                         r->body);
            cr_assert_str_eq(r->body, missing->body, "the body is the one of a random id");
            it_response_free(r);
        }
    /* The session's notes reach nobody outside the organisation, its coach and the coordinator. */
    const int readers[] = {CW_U_A1, CW_U_COACH1, CW_U_COORD};
    for (size_t u = 0; u < 3; u++) {
        it_response_t *r =
            expect(&c, readers[u], NULL, PATH(&c, "/v1/coaching-sessions/%s", session), NULL, 200);
        cr_assert_str_eq(cw_json_str(r->json, "notes"), "confidential: weak backups");
        it_response_free(r);
    }
    it_response_free(missing);
    cr_assert_eq(it_server_stop(c.srv), 0);
}

Test(coaching, members_read_their_ledger_but_do_not_write_it_and_coaches_see_no_costs) {
    ctx_t c;
    ctx_start(&c);
    it_response_t *r =
        call(&c, CW_U_A1, "POST", PATH(&c, "/v1/enrolments/%s/coaching-sessions", c.w.id[CW_E_A1]),
             "{\"session_date\":\"2024-02-05\",\"slot\":\"morning\",\"half_days\":1,"
             "\"topic\":\"x\"}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = call(&c, CW_U_COACH1, NULL, PATH(&c, "/v1/enrolments/%s/cost-statement", c.w.id[CW_E_A1]),
             NULL);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = call(&c, CW_U_A1, NULL, PATH(&c, "/v1/clusters/%s/cost-statement", c.w.id[CW_C_A]), NULL);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = call(&c, CW_U_B1, NULL, PATH(&c, "/v1/clusters/%s/cost-items", c.w.id[CW_C_A]), NULL);
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    r = call(
        &c, CW_U_COACH1, "POST", PATH(&c, "/v1/enrolments/%s/coaching-sessions", c.w.id[CW_E_A1]),
        "{\"session_date\":\"2024-02-05\",\"slot\":\"morning\",\"half_days\":3,\"topic\":\"x\"}");
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    r = call(
        &c, CW_U_COACH1, "POST", PATH(&c, "/v1/enrolments/%s/coaching-sessions", c.w.id[CW_E_A1]),
        "{\"session_date\":\"2024-02-05\",\"slot\":\"morning\",\"half_days\":1,\"topic\":\"x\","
        "\"status\":\"done\"}");
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    cr_assert_eq(it_server_stop(c.srv), 0);
}

Test(coaching, the_coach_view_lists_assignments_with_budget_and_next_sessions) {
    ctx_t c;
    ctx_start(&c);
    char session[37], body[256];
    /* A session in the future, so that it is a "next" one. */
    PGresult *d = it_db_query(c.admin, "SELECT (current_date + 10)::text", 0, NULL);
    snprintf(body, sizeof(body), "%s", PQgetvalue(d, 0, 0));
    PQclear(d);
    book(&c, body, "afternoon", 1, session);
    it_response_t *r = expect(&c, CW_U_COACH1, NULL, "/v1/me/coaching-assignments", NULL, 200);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(r->json, "items");
    cr_assert_eq(cJSON_GetArraySize(items), 1, "%s", r->body);
    const cJSON *item = cJSON_GetArrayItem(items, 0);
    cr_assert_str_eq(cw_json_str(item, "enrolment_id"), c.w.id[CW_E_A1]);
    cr_assert_eq(
        cw_json_int(cJSON_GetObjectItemCaseSensitive(item, "budget"), "remaining_half_days"), 27);
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(item, "next_sessions");
    cr_assert_str_eq(cw_json_str(cJSON_GetArrayItem(next, 0), "id"), session);
    cr_assert_null(strstr(r->body, c.w.id[CW_E_A2]), "coach 1 does not coach A2");
    it_response_free(r);
    r = expect(&c, CW_U_A1, NULL, "/v1/me/coaching-assignments", NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->json, "items")), 0);
    it_response_free(r);
    cr_assert_eq(it_server_stop(c.srv), 0);
}

Test(coaching, sessions_move_complete_and_cancel) {
    ctx_t c;
    ctx_start(&c);
    char a[37], b[37];
    book(&c, "2024-02-05", "morning", 1, a);
    book(&c, "2024-02-06", "morning", 1, b);
    it_response_t *r = expect(&c, CW_U_COACH1, "PATCH", PATH(&c, "/v1/coaching-sessions/%s", a),
                              "{\"half_days\":2,\"notes\":\"two halves\"}", 200);
    cr_assert_eq(cw_json_int(r->json, "half_days"), 2);
    it_response_free(r);
    r = call(&c, CW_U_COACH1, "PATCH", PATH(&c, "/v1/coaching-sessions/%s", b),
             "{\"session_date\":\"2024-02-05\"}");
    it_assert_error(r, 409, "coach_unavailable");
    it_response_free(r);
    r = expect(&c, CW_U_COACH1, "POST", PATH(&c, "/v1/coaching-sessions/%s/complete", a), NULL,
               200);
    cr_assert_str_eq(cw_json_str(r->json, "status"), "done");
    it_response_free(r);
    r = call(&c, CW_U_COACH1, "POST", PATH(&c, "/v1/coaching-sessions/%s/cancel", a), NULL);
    it_assert_error(r, 409, "invalid_transition");
    it_response_free(r);
    r = expect(&c, CW_U_COACH1, "POST", PATH(&c, "/v1/coaching-sessions/%s/cancel", b),
               "{\"reason\":\"the organisation is closed that day\"}", 200);
    cr_assert_str_eq(cw_json_str(r->json, "cancel_reason"), "the organisation is closed that day");
    it_response_free(r);
    r = expect(&c, CW_U_A1, NULL,
               PATH(&c, "/v1/enrolments/%s/coaching-sessions?status=done", c.w.id[CW_E_A1]), NULL,
               200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->json, "items")), 1);
    it_response_free(r);
    r = expect(&c, CW_U_A1, NULL, PATH(&c, "/v1/enrolments/%s/coaching-budget", c.w.id[CW_E_A1]),
               NULL, 200);
    cr_assert_eq(cw_json_int(r->json, "delivered_half_days"), 2);
    cr_assert_eq(cw_json_int(r->json, "planned_half_days"), 0);
    cr_assert_eq(cw_json_int(r->json, "remaining_half_days"), 26);
    it_response_free(r);
    cr_assert_eq(it_server_stop(c.srv), 0);
}

Test(coaching, raising_a_ceiling_is_a_coordinators_decision_with_a_reason) {
    ctx_t c;
    ctx_start(&c);
    const char *body =
        "{\"ceiling_half_days\":32,\"reason\":\"the gap analysis found more to do\"}";
    PATH(&c, "/v1/enrolments/%s/coaching-budget/ceiling", c.w.id[CW_E_A1]);
    it_response_t *r = call(&c, CW_U_COACH1, "PUT", c.path, body);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = call(&c, CW_U_COORD, "PUT", c.path, "{\"ceiling_half_days\":32}");
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    r = expect(&c, CW_U_COORD, "PUT", c.path, body, 200);
    cr_assert_eq(cw_json_int(r->json, "ceiling_half_days"), 32);
    cr_assert_str_eq(cw_json_str(r->json, "ceiling_source"), "enrolment");
    it_response_free(r);
    r = expect(&c, CW_U_COORD, NULL, PATH(&c, "/v1/clusters/%s/audit-events", c.w.id[CW_C_A]), NULL,
               200);
    cr_assert_not_null(strstr(r->body, "the gap analysis found more to do"), "%s", r->body);
    cr_assert_not_null(strstr(r->body, "coaching_ceiling_change"));
    it_response_free(r);
    cr_assert_eq(it_server_stop(c.srv), 0);
}

Test(coaching, burndown_and_forecast) {
    ctx_t c;
    ctx_start(&c);
    const char *dates[] = {"2024-07-08", "2024-07-22", "2024-08-05", "2024-08-19"};
    for (int i = 0; i < 4; i++) {
        char id[37];
        book(&c, dates[i], "morning", 2, id);
        it_response_free(expect(&c, CW_U_COACH1, "POST",
                                PATH(&c, "/v1/coaching-sessions/%s/complete", id), NULL, 200));
    }
    it_response_t *r =
        expect(&c, CW_U_COORD, NULL,
               PATH(&c, "/v1/enrolments/%s/coaching-burndown?as_of=2024-08-25", c.w.id[CW_E_A1]),
               NULL, 200);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(r->json, "forecast");
    cr_assert_str_eq(cw_json_str(f, "status"), "projected", "%s", r->body);
    cr_assert_str_eq(cw_json_str(f, "run_out_date"), "2025-01-12");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->json, "weeks")), 53);
    it_response_free(r);
    r = call(&c, CW_U_COORD, NULL,
             PATH(&c, "/v1/enrolments/%s/coaching-burndown?as_of=2024-02-30", c.w.id[CW_E_A1]),
             NULL);
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    cr_assert_eq(it_server_stop(c.srv), 0);
}

Test(coaching, effort_is_logged_per_week_and_totalled) {
    ctx_t c;
    ctx_start(&c);
    PATH(&c, "/v1/enrolments/%s/effort-entries", c.w.id[CW_E_A1]);
    it_response_t *r =
        expect(&c, CW_U_A1, "POST", c.path,
               "{\"week_start\":\"2024-03-06\",\"minutes\":150,\"note\":\"risk register\"}", 200);
    cr_assert_str_eq(cw_json_str(r->json, "week_start"), "2024-03-04");
    it_response_free(r);
    r = call(&c, CW_U_A2, "POST", c.path, "{\"week_start\":\"2024-03-06\",\"minutes\":60}");
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    PATH(&c, "/v1/enrolments/%s/effort-entries", c.w.id[CW_E_A2]);
    it_response_free(
        expect(&c, CW_U_A2, "POST", c.path, "{\"week_start\":\"2024-03-04\",\"minutes\":90}", 200));
    r = expect(&c, CW_U_COACH1, NULL, PATH(&c, "/v1/enrolments/%s/effort", c.w.id[CW_E_A1]), NULL,
               200);
    cr_assert_eq(cw_json_int(r->json, "total_minutes"), 150);
    it_response_free(r);
    r = call(&c, CW_U_A1, NULL, PATH(&c, "/v1/clusters/%s/effort", c.w.id[CW_C_A]), NULL);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = expect(&c, CW_U_COORD, NULL, PATH(&c, "/v1/clusters/%s/effort", c.w.id[CW_C_A]), NULL, 200);
    cr_assert_eq(cw_json_int(r->json, "total_minutes"), 240, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(c.srv), 0);
}

/* Sums the `amount` column of the CSV rows whose `line` is one of the given kinds, in cents. */
static long long csv_sum(const char *csv, const char *kinds) {
    long long sum = 0;
    for (const char *line = strstr(csv, "\r\n"); line != NULL && line[2] != '\0';
         line = strstr(line + 2, "\r\n")) {
        char record[512], *fields[16];
        const char *end = strstr(line + 2, "\r\n");
        size_t n = (size_t)(end - line - 2), nf = 0;
        cr_assert_lt(n, sizeof(record));
        memcpy(record, line + 2, n);
        record[n] = '\0';
        for (char *s = record, *tok; (tok = strsep(&s, ",")) != NULL && nf < 16;)
            fields[nf++] = tok;
        cr_assert_eq(nf, 11, "record: %s", record);
        if (strstr(kinds, fields[2]) != NULL) {
            long long units = strtoll(fields[9], NULL, 10);
            sum += units * 100 + strtoll(strchr(fields[9], '.') + 1, NULL, 10);
        }
    }
    return sum;
}

Test(coaching, the_statement_sums_to_the_cent_in_json_and_csv) {
    ctx_t c;
    ctx_start(&c);
    PATH(&c, "/v1/clusters/%s/cost-settings", c.w.id[CW_C_A]);
    it_response_free(expect(&c, CW_U_COORD, "PATCH", c.path,
                            "{\"half_day_rate_cents\":45000,\"split_method\":\"equal\"}", 200));
    PATH(&c, "/v1/clusters/%s/cost-items", c.w.id[CW_C_A]);
    it_response_free(
        expect(&c, CW_U_COORD, "POST", c.path,
               "{\"category\":\"trainer\",\"description\":\"Trainer days\",\"quantity\":13,"
               "\"unit\":\"half_day\",\"unit_amount_cents\":33333}",
               201));
    it_response_free(expect(&c, CW_U_COORD, "POST", c.path,
                            "{\"category\":\"venue\",\"description\":\"Venue\",\"quantity\":1,"
                            "\"unit\":\"lump_sum\",\"unit_amount_cents\":100001,"
                            "\"split_method\":\"employees\"}",
                            201));
    it_response_t *r = call(&c, CW_U_A1, "POST", c.path,
                            "{\"category\":\"venue\",\"description\":\"x\",\"quantity\":1,"
                            "\"unit\":\"item\",\"unit_amount_cents\":1}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    char id[37];
    book(&c, "2024-02-05", "morning", 2, id);
    it_response_free(expect(&c, CW_U_COACH1, "POST",
                            PATH(&c, "/v1/coaching-sessions/%s/complete", id), NULL, 200));

    r = expect(&c, CW_U_COORD, NULL, PATH(&c, "/v1/clusters/%s/cost-statement", c.w.id[CW_C_A]),
               NULL, 200);
    long total = cw_json_int(r->json, "total_cents");
    cr_assert_eq(total, 13 * 33333 + 100001 + 2 * 45000, "%s", r->body);
    long sum = 0;
    const cJSON *orgs = cJSON_GetObjectItemCaseSensitive(r->json, "organisations");
    for (const cJSON *o = orgs->child; o != NULL; o = o->next)
        sum += cw_json_int(o, "total_cents");
    cr_assert_eq(sum + cw_json_int(r->json, "unallocated_cents"), total);
    cr_assert_eq(cw_json_int(r->json, "unallocated_cents"), 0);
    it_response_free(r);

    r = expect(&c, CW_U_COORD, NULL, PATH(&c, "/v1/clusters/%s/cost-statement.csv", c.w.id[CW_C_A]),
               NULL, 200);
    cr_assert_str_eq(it_header(r, "content-type"), "text/csv; charset=utf-8");
    cr_assert_eq(csv_sum(r->body, "training coaching unallocated"), total, "%s", r->body);
    cr_assert_eq(csv_sum(r->body, "cluster_total"), total);
    it_response_free(r);

    r = expect(&c, CW_U_A1, NULL, PATH(&c, "/v1/enrolments/%s/cost-statement.csv", c.w.id[CW_E_A1]),
               NULL, 200);
    cr_assert_null(strstr(r->body, c.w.id[CW_O_A2]), "a member's CSV holds no other organisation");
    cr_assert_null(strstr(r->body, "cluster_total"));
    cr_assert_eq(csv_sum(r->body, "training coaching"), csv_sum(r->body, "organisation_total"));
    it_response_free(r);
    cr_assert_eq(it_server_stop(c.srv), 0);
}
