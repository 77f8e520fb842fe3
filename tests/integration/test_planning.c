/* Planning through the real server: preview and apply with optimistic concurrency, who may plan,
 * nobody double-booked across clusters, a new unavailability with its re-plan proposal, manual
 * moves with 409s naming the conflict, the session life cycle, an infeasible programme explained,
 * the curriculum copy and the planning settings, holidays and the contract functions. */
#include <stdarg.h>

#include "test_planning_world.h"

TestSuite(planning, .fini = it_teardown);

static const cJSON *item(const cJSON *o, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

Test(planning, previews_applies_and_refuses_a_stale_version) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);

    it_response_t *r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsTrue(item(r->json, "feasible")));
    char version[40];
    snprintf(version, sizeof(version), "%s", pw_str(r->json, "plan_version"));
    cr_assert_eq(strlen(version), 32);
    /* 12 training sessions (security measures as two separate half-days), 2 x 2 gap-analysis
     * half-days, 6 + 4 coaching half-days */
    cr_assert_eq(cJSON_GetArraySize(item(r->json, "sessions")), 12 + 4 + 10, "%s", r->body);
    cr_assert_eq(pw_int(item(r->json, "summary"), "created"), 26);
    it_response_free(r);
    /* Previewing writes nothing and gives the same version again. */
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.training_sessions WHERE "
                            "cluster_id = $1",
                            1, (const char *[]){w.id[C1]}),
                 0);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_str_eq(pw_str(r->json, "plan_version"), version);
    it_response_free(r);

    char body[80];
    snprintf(body, sizeof(body), "{\"plan_version\":\"%s\"}", version);
    r = pw_call(srv, &w, U_COORD, "POST", body, "/v1/clusters/%s/plan/apply", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(pw_int(r->json, "created"), 16);
    cr_assert_eq(pw_int(r->json, "coaching_booked"), 10);
    it_response_free(r);
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.coaching_sessions WHERE "
                            "cluster_id = $1 AND status = 'planned'",
                            1, (const char *[]){w.id[C1]}),
                 10);
    /* The same version again: the cluster changed since. */
    r = pw_call(srv, &w, U_COORD, "POST", body, "/v1/clusters/%s/plan/apply", w.id[C1]);
    it_assert_error(r, 409, "plan_changed");
    it_response_free(r);
    /* A new preview keeps every session where it is. */
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_eq(pw_int(item(r->json, "summary"), "kept"), 26, "%s", r->body);
    cr_assert_eq(pw_int(item(r->json, "summary"), "moved"), 0);
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", "{\"plan_version\":\"nothex\"}",
                "/v1/clusters/%s/plan/apply", w.id[C1]);
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(planning, only_the_coordinator_plans_and_other_tenants_see_nothing) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    it_response_t *r = pw_call(srv, &w, U_A, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD2, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/not-a-uuid/plan");
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    char version[40];
    pw_plan_and_apply(srv, &w, version);
    /* Members see the trainings and their own gap analysis, never another organisation's. */
    r = pw_call(srv, &w, U_A, "GET", NULL, "/v1/clusters/%s/training-sessions?limit=200", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    int trainings = 0, own = 0, other = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, item(r->json, "items")) {
        const char *org = pw_str(s, "organisation_id");
        trainings += org == NULL;
        own += org != NULL && strcmp(org, w.id[O_A]) == 0;
        other += org != NULL && strcmp(org, w.id[O_A]) != 0;
        cr_assert(cJSON_IsNull(item(s, "notes")), "a member sees private notes");
    }
    cr_assert_eq(trainings, 12);
    cr_assert_eq(own, 2);
    cr_assert_eq(other, 0);
    it_response_free(r);
    r = pw_call(srv, &w, U_C, "GET", NULL, "/v1/clusters/%s/training-sessions", w.id[C1]);
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    /* The coach's own list spans its sessions. */
    r = pw_call(srv, &w, U_COACH, "GET", NULL, "/v1/users/%s/training-sessions", w.id[U_COACH]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(cJSON_GetArraySize(item(r->json, "items")), 4);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(planning, nobody_is_double_booked_across_clusters) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    /* C2 holds the shared trainer on C1's first day, and the coach the next two days. */
    const char *p[] = {w.id[C2], w.id[U_TRAINER]};
    const char *q[] = {w.id[C2], w.id[O_C], w.id[E_C], w.id[U_COACH]};
    it_db_exec(admin, "BEGIN");
    PQclear(it_db_query(admin,
                        "INSERT INTO isms.training_sessions (cluster_id, module_key, session_date, "
                        "slot, half_days, trainer_user_id) VALUES ($1, 'initial_training', "
                        "'2029-01-08', 'morning', 2, $2)",
                        2, p));
    PQclear(it_db_query(admin,
                        "INSERT INTO isms.coaching_sessions (cluster_id, organisation_id, "
                        "enrolment_id, coach_user_id, session_date, slot, half_days, topic) "
                        "SELECT $1, $2, $3, $4, d, 'morning', 2, 'elsewhere' FROM (VALUES "
                        "(date '2029-01-10'), (date '2029-01-11')) AS v(d)",
                        4, q));
    it_db_exec(admin, "COMMIT");
    it_server_t *srv = it_server_start(NULL);
    char version[40];
    pw_plan_and_apply(srv, &w, version);
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.training_sessions t WHERE t.cluster_id = $1 "
                            "AND t.session_date = '2029-01-08'",
                            1, (const char *[]){w.id[C1]}),
                 0, "the shared trainer was booked twice");
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.training_sessions t WHERE t.cluster_id = $1 "
                            "AND t.kind = 'gap_analysis' AND t.session_date IN ('2029-01-10', "
                            "'2029-01-11')",
                            1, (const char *[]){w.id[C1]}),
                 0, "the shared coach was booked twice");
    /* The database refuses a double booking that bypasses the planner. */
    PGresult *res =
        PQexecParams(admin,
                     "INSERT INTO isms.training_sessions (cluster_id, module_key, "
                     "session_date, slot, half_days, trainer_user_id) VALUES ($1, "
                     "'extra_module', '2029-01-08', 'morning', 1, $2)",
                     2, NULL, (const char *[]){w.id[C1], w.id[U_TRAINER]}, NULL, NULL, 0);
    cr_assert_neq(PQresultStatus(res), PGRES_COMMAND_OK, "a double booking was accepted");
    cr_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "IC409");
    PQclear(res);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(planning, new_unavailability_lists_hit_sessions_and_proposes_a_minimal_replan) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    char version[40], audit_id[40], audit_day[11];
    pw_plan_and_apply(srv, &w, version);
    pw_session_of(admin, &w, "audit", audit_id, audit_day);
    char body[200];
    snprintf(body, sizeof(body),
             "{\"start_date\":\"%s\",\"end_date\":\"%s\",\"reason\":\"board meeting\"}", audit_day,
             audit_day);
    it_response_t *r =
        pw_call(srv, &w, U_B, "POST", body, "/v1/organisations/%s/unavailability", w.id[O_B]);
    cr_assert_eq(r->status, 201, "%s", r->body);
    const cJSON *hit = cJSON_GetArrayItem(item(r->json, "affected_sessions"), 0);
    cr_assert_str_eq(pw_str(hit, "id"), audit_id);
    const cJSON *proposal = cJSON_GetArrayItem(item(r->json, "replan"), 0);
    cr_assert(cJSON_IsTrue(item(proposal, "feasible")), "%s", r->body);
    /* Minimal change: only the audit moves; a member sees that training and no reasons. */
    cr_assert_eq(cJSON_GetArraySize(item(proposal, "sessions")), 1, "%s", r->body);
    const cJSON *moved = cJSON_GetArrayItem(item(proposal, "sessions"), 0);
    cr_assert_str_eq(pw_str(moved, "id"), audit_id);
    cr_assert_str_eq(pw_str(moved, "change"), "moved");
    cr_assert_str_neq(pw_str(moved, "date"), audit_day);
    char proposed[40];
    snprintf(proposed, sizeof(proposed), "%s", pw_str(proposal, "plan_version"));
    cr_assert_eq(cJSON_GetArraySize(item(proposal, "warnings")), 0);
    it_response_free(r);
    /* The coordinator previews the same plan and applies it. */
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_str_eq(pw_str(r->json, "plan_version"), proposed);
    cr_assert_eq(pw_int(item(r->json, "summary"), "moved"), 1, "%s", r->body);
    it_response_free(r);
    snprintf(body, sizeof(body), "{\"plan_version\":\"%s\"}", proposed);
    r = pw_call(srv, &w, U_COORD, "POST", body, "/v1/clusters/%s/plan/apply", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_eq(pw_int(r->json, "moved"), 1);
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "GET", NULL, "/v1/training-sessions/%s", audit_id);
    cr_assert_str_neq(pw_str(r->json, "session_date"), audit_day);
    cr_assert_eq(pw_int(r->json, "sequence"), 1);
    it_response_free(r);
    /* Unavailability is private to the organisation and its coordinators. */
    r = pw_call(srv, &w, U_A, "GET", NULL, "/v1/organisations/%s/unavailability", w.id[O_B]);
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "GET", NULL, "/v1/organisations/%s/unavailability", w.id[O_B]);
    cr_assert_eq(cJSON_GetArraySize(item(r->json, "items")), 1, "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_A, "POST", "{\"start_date\":\"2029-03-02\",\"end_date\":\"2029-03-01\"}",
                "/v1/organisations/%s/unavailability", w.id[O_A]);
    it_assert_error(r, 422, "invalid_value");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(planning, manual_moves_are_checked_and_sessions_follow_their_life_cycle) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    char version[40], ra[40], ra_day[11], rt[40], rt_day[11];
    pw_plan_and_apply(srv, &w, version);
    pw_session_of(admin, &w, "risk_assessment", ra, ra_day);
    pw_session_of(admin, &w, "risk_treatment", rt, rt_day);
    char body[200];
    snprintf(body, sizeof(body), "{\"session_date\":\"%s\"}", rt_day);
    it_response_t *r = pw_call(srv, &w, U_COORD, "PATCH", body, "/v1/training-sessions/%s", ra);
    it_assert_error(r, 409, "conflict");
    cr_assert(strstr(r->body, "double-booked") != NULL, "%s", r->body);
    cr_assert_gt(cJSON_GetArraySize(item(item(r->json, "error"), "conflicts")), 0);
    it_response_free(r);
    /* The afternoon of the same day breaks nothing. */
    r = pw_call(srv, &w, U_COORD, "PATCH", "{\"slot\":\"afternoon\",\"notes\":\"room 2\"}",
                "/v1/training-sessions/%s", ra);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(pw_str(r->json, "slot"), "afternoon");
    cr_assert_eq(pw_int(r->json, "sequence"), 1);
    int v = pw_int(r->json, "version");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "PATCH", "{\"location\":\"Kirchberg\",\"version\":1}",
                "/v1/training-sessions/%s", ra);
    it_assert_error(r, 409, "stale_version");
    it_response_free(r);
    snprintf(body, sizeof(body), "{\"location\":\"Kirchberg\",\"version\":%d}", v);
    r = pw_call(srv, &w, U_COORD, "PATCH", body, "/v1/training-sessions/%s", ra);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_A, "PATCH", "{\"slot\":\"morning\"}", "/v1/training-sessions/%s", ra);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "PATCH", "{\"colour\":\"red\"}", "/v1/training-sessions/%s", ra);
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    /* planned -> done is refused; confirm, then done only once held; cancel. */
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/training-sessions/%s/complete", ra);
    it_assert_error(r, 409, "invalid_transition");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/training-sessions/%s/confirm", ra);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(pw_str(r->json, "status"), "confirmed");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/training-sessions/%s/confirm", ra);
    it_assert_error(r, 409, "invalid_transition");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/training-sessions/%s/complete", ra);
    it_assert_error(r, 409, "not_yet_held");
    it_response_free(r);
    /* A confirmed session stays where it is when the programme is re-planned. */
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_eq(pw_int(item(r->json, "summary"), "moved"), 0, "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/training-sessions/%s/cancel", rt);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(pw_str(r->json, "status"), "cancelled");
    it_response_free(r);
    snprintf(body, sizeof(body), "{\"session_date\":\"%s\"}", ra_day);
    r = pw_call(srv, &w, U_COORD, "PATCH", body, "/v1/training-sessions/%s", rt);
    it_assert_error(r, 409, "session_closed");
    it_response_free(r);
    /* The next plan places the cancelled module again. */
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_geq(pw_int(item(r->json, "summary"), "created"), 1, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(planning, an_infeasible_programme_is_explained_with_its_nearest_relaxation) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    /* Every week but Wednesdays is taken by one organisation or the other... */
    it_response_t *r = pw_call(srv, &w, U_COORD, "PATCH", "{\"weekdays\":[3]}",
                               "/v1/clusters/%s/planning-settings", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_A, "POST",
                "{\"start_date\":\"2029-01-08\",\"end_date\":\"2029-12-31\",\"reason\":\"busy\"}",
                "/v1/organisations/%s/unavailability", w.id[O_A]);
    cr_assert_eq(r->status, 201, "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsFalse(item(r->json, "feasible")));
    const cJSON *e = item(r->json, "explanation");
    cr_assert(strstr(pw_str(e, "message"), "cannot be placed between") != NULL, "%s", r->body);
    cr_assert(strstr(pw_str(e, "message"), "Org A") != NULL, "%s", r->body);
    cr_assert_gt(cJSON_GetArraySize(item(e, "constraints")), 0);
    /* People come first among the reasons, then holidays, weekdays and the end date. */
    cr_assert_str_eq(pw_str(cJSON_GetArrayItem(item(e, "constraints"), 0), "kind"), "unavailable");
    const cJSON *nearest = cJSON_GetArrayItem(item(e, "relaxations"), 0);
    cr_assert_not_null(nearest, "%s", r->body);
    cr_assert_str_eq(pw_str(nearest, "kind"), "unavailability");
    cr_assert(strstr(pw_str(e, "message"), "Nearest relaxation: ask") != NULL, "%s", r->body);
    char version[40];
    snprintf(version, sizeof(version), "%s", pw_str(r->json, "plan_version"));
    it_response_free(r);
    char body[80];
    snprintf(body, sizeof(body), "{\"plan_version\":\"%s\"}", version);
    r = pw_call(srv, &w, U_COORD, "POST", body, "/v1/clusters/%s/plan/apply", w.id[C1]);
    it_assert_error(r, 409, "plan_infeasible");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(planning, coordinators_adapt_the_curriculum_and_settings) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    it_response_t *r = pw_call(srv, &w, U_A, "GET", NULL, "/v1/clusters/%s/curriculum", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsFalse(item(r->json, "customised")));
    cr_assert_eq(pw_int(r->json, "training_half_days"), 13);
    it_response_free(r);
    static const char curriculum[] =
        "{\"modules\":[{\"module_key\":\"initial_training\",\"title\":\"Kick-off\",\"kind\":"
        "\"training\",\"half_days\":2},{\"module_key\":\"gap_analysis\",\"title\":\"Gap "
        "analysis\",\"kind\":\"gap_analysis\",\"half_days\":2},{\"module_key\":\"risk_assessment\","
        "\"title\":\"Risks\",\"kind\":\"training\",\"half_days\":1},{\"module_key\":\"audit\","
        "\"title\":\"Audit\",\"kind\":\"training\",\"half_days\":1}]}";
    r = pw_call(srv, &w, U_A, "PUT", curriculum, "/v1/clusters/%s/curriculum", w.id[C1]);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "PUT", curriculum, "/v1/clusters/%s/curriculum", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsTrue(item(r->json, "customised")));
    cr_assert_eq(pw_int(r->json, "training_half_days"), 4);
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "PUT",
                "{\"modules\":[{\"module_key\":\"Bad Key\",\"title\":"
                "\"x\",\"kind\":\"training\",\"half_days\":1}]}",
                "/v1/clusters/%s/curriculum", w.id[C1]);
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    /* The template is untouched. */
    r = pw_call(srv, &w, U_A, "GET", NULL, "/v1/curriculum-templates");
    cr_assert(strstr(r->body, "\"scope_policy_assets\"") != NULL);
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "PATCH", "{\"weekdays\":[2,4],\"morning_start\":\"08:30\"}",
                "/v1/clusters/%s/planning-settings", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert_str_eq(pw_str(r->json, "morning_start"), "08:30");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "PATCH", "{\"weekdays\":[2,2]}",
                "/v1/clusters/%s/planning-settings", w.id[C1]);
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert(cJSON_IsTrue(item(r->json, "feasible")), "%s", r->body);
    int trainings = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, item(r->json, "sessions")) {
        const char *day = pw_str(s, "date");
        const char *params[] = {day};
        long dow = it_db_long(admin, "SELECT extract(isodow FROM $1::date)::int", 1, params);
        cr_assert(dow == 2 || dow == 4, "a session on weekday %ld: %s", dow, day);
        trainings += strcmp(pw_str(s, "kind"), "training") == 0;
    }
    cr_assert_eq(trainings, 3, "%s", r->body); /* a whole day, then two half days */
    it_response_free(r);
    /* Holidays are data: Luxembourg's National Day 2029. */
    r = pw_call(srv, &w, U_A, "GET", NULL, "/v1/holidays?country=LU&from=2029-06-01&to=2029-06-30");
    cr_assert(strstr(r->body, "\"2029-06-23\"") != NULL, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(planning, module_due_dates_follow_the_plan) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    char version[40], scope[40], scope_day[11], ra[40], ra_day[11];
    pw_plan_and_apply(srv, &w, version);
    pw_session_of(admin, &w, "scope_policy_assets", scope, scope_day);
    pw_session_of(admin, &w, "risk_assessment", ra, ra_day);
    const char *params[] = {w.id[C1], ra_day};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.module_due_dates($1) WHERE module_key = "
                            "'scope_policy_assets' AND due_date = $2::date",
                            2, params),
                 1, "scope's deliverables are due at the next training");
    cr_assert_eq(it_server_stop(srv), 0);
}

/* A trainer named in a body is checked like a read: another tenant's user, a coach of the
 * cluster and a random id get the same answer, and nothing is stored. */
Test(planning, a_trainer_in_a_body_must_be_a_trainer_of_the_cluster) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    char version[40], ra[40], ra_day[11], body[200];
    pw_plan_and_apply(srv, &w, version);
    pw_session_of(admin, &w, "risk_assessment", ra, ra_day);
    const char *probes[] = {w.id[U_COORD2], w.id[U_COACH], w.id[U_A],
                            "7b1f0c4e-9d2a-4c55-8e0b-3f6a2d1c9e77"};
    char first[300] = "";
    for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
        snprintf(body, sizeof(body), "{\"trainer_user_id\":\"%s\"}", probes[i]);
        it_response_t *r = pw_call(srv, &w, U_COORD, "PATCH", body, "/v1/training-sessions/%s", ra);
        it_assert_error(r, 422, "invalid_reference");
        char *error = cJSON_PrintUnformatted(item(item(r->json, "error"), "message"));
        if (i == 0)
            snprintf(first, sizeof(first), "%s", error);
        cr_assert_str_eq(error, first, "probe %zu answers differently", i);
        cJSON_free(error);
        it_response_free(r);
    }
    const char *params[] = {ra, w.id[U_TRAINER]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.training_sessions WHERE id = $1 "
                            "AND trainer_user_id = $2",
                            2, params),
                 1, "the trainer was changed");
    snprintf(body, sizeof(body), "{\"trainer_user_id\":\"%s\"}", w.id[U_TRAINER]);
    it_response_t *r = pw_call(srv, &w, U_COORD, "PATCH", body, "/v1/training-sessions/%s", ra);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}
