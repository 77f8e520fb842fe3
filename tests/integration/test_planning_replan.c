/* Re-planning as a coordinator meets it: a preview after a while without requests, a preview that
 * names every session it would cancel or move and whom it affects, a coach's own coaching kept,
 * the target end date guarded against planned sessions, and the plan's words. */
#include "test_planning_world.h"

TestSuite(planning_replan, .fini = it_teardown);

static const cJSON *item(const cJSON *o, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* Moves the coordinator's session's last use back, as if it had been idle for two minutes: the
 * next request records the use again (a write), inside the preview's read-only transaction. */
static void age_session(PGconn *admin, const pworld_t *w, int user) {
    const char *params[] = {w->id[user]};
    PQclear(it_db_query(admin,
                        "UPDATE isms.sessions SET last_used_at = now() - interval '2 minutes' "
                        "WHERE user_id = $1",
                        1, params));
}

Test(planning_replan, previews_after_the_session_was_idle_a_while) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    age_session(admin, &w, U_COORD);
    it_response_t *r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    /* The use was recorded. */
    const char *params[] = {w.id[U_COORD]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.sessions WHERE user_id = $1 AND "
                            "last_used_at > now() - interval '1 minute'",
                            1, params),
                 1);
    /* Applying loads the plan read-only too. */
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    char body[80];
    snprintf(body, sizeof(body), "{\"plan_version\":\"%s\"}", pw_str(r->json, "plan_version"));
    it_response_free(r);
    age_session(admin, &w, U_COORD);
    r = pw_call(srv, &w, U_COORD, "POST", body, "/v1/clusters/%s/plan/apply", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* The preview's entry for session `id` in `list` (sessions or cancelled), or NULL. */
static const cJSON *entry(const cJSON *list, const char *key, const char *id) {
    const cJSON *x;
    cJSON_ArrayForEach(x, list) {
        const cJSON *v = item(key != NULL ? item(x, key) : x, "id");
        if (cJSON_IsString(v) && strcmp(v->valuestring, id) == 0)
            return x;
    }
    return NULL;
}

static long coaching_half_days(PGconn *admin, const pworld_t *w, int org) {
    const char *params[] = {w->id[C1], w->id[org]};
    return it_db_long(admin,
                      "SELECT coalesce(sum(half_days), 0) FROM isms.coaching_sessions WHERE "
                      "cluster_id = $1 AND organisation_id = $2 AND status = 'planned'",
                      2, params);
}

/* The coach books three whole days for Org A on days without sessions; Org A then declares the
 * third day unavailable. Writes the ids of the bookings to ids[3] and the third day to day. */
static void coach_books_whole_days(PGconn *admin, const pworld_t *w, char ids[3][40],
                                   char day[11]) {
    const char *params[] = {w->id[C1], w->id[O_A], w->id[E_A], w->id[U_COACH]};
    PGresult *r = it_db_query(
        admin,
        "WITH free AS (SELECT d::date AS d FROM generate_series((SELECT min(session_date) + 1 "
        "    FROM isms.training_sessions WHERE cluster_id = $1 AND part = 1 AND module_key = "
        "    'risk_assessment'), (SELECT max(session_date) FROM isms.training_sessions WHERE "
        "    cluster_id = $1), interval '1 day') AS d "
        "  WHERE extract(isodow FROM d) < 6 AND NOT EXISTS (SELECT 1 FROM "
        "    isms.training_sessions t WHERE t.cluster_id = $1 AND t.session_date = d::date) "
        "  AND NOT EXISTS (SELECT 1 FROM isms.coaching_sessions s WHERE s.coach_user_id = $4 "
        "    AND s.session_date = d::date) ORDER BY d LIMIT 3) "
        ", ins AS (INSERT INTO isms.coaching_sessions (cluster_id, organisation_id, "
        "enrolment_id, coach_user_id, session_date, slot, half_days, topic, created_by) SELECT "
        "$1, $2, $3, $4, d, 'morning', 2, 'Whole day on the risk register', $4 FROM free "
        "RETURNING id, session_date) SELECT id, session_date FROM ins ORDER BY session_date",
        4, params);
    cr_assert_eq(PQntuples(r), 3);
    for (int i = 0; i < 3; i++)
        snprintf(ids[i], 40, "%s", PQgetvalue(r, i, 0));
    snprintf(day, 11, "%s", PQgetvalue(r, 2, 1));
    PQclear(r);
    const char *away[] = {w->id[O_A], day, w->id[U_A]};
    PQclear(it_db_query(admin,
                        "INSERT INTO isms.unavailability (organisation_id, start_date, start_slot, "
                        "end_date, end_slot, reason, created_by) VALUES ($1, $2, 'morning', $2, "
                        "'afternoon', 'board meeting', $3)",
                        3, away));
}

Test(planning_replan, keeps_a_coachs_bookings_and_lists_the_one_it_moves_with_who) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    char version[40], ids[3][40], day[11];
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    pw_plan_and_apply(srv, &w, version);
    coach_books_whole_days(admin, &w, ids, day);
    long before = coaching_half_days(admin, &w, O_A);

    it_response_t *r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsTrue(item(r->json, "feasible")), "%s", r->body);
    cr_assert_eq(cJSON_GetArraySize(item(r->json, "cancelled")), 0, "%s", r->body);
    const cJSON *sessions = item(r->json, "sessions");
    for (int i = 0; i < 2; i++) {
        const cJSON *kept = entry(sessions, NULL, ids[i]);
        cr_assert_not_null(kept, "booking %d is not in the plan: %s", i, r->body);
        cr_assert_str_eq(pw_str(kept, "change"), "kept");
    }
    const cJSON *moved = entry(sessions, NULL, ids[2]);
    cr_assert_not_null(moved, "%s", r->body);
    cr_assert_str_eq(pw_str(moved, "change"), "moved");
    cr_assert_str_eq(pw_str(item(moved, "previous"), "date"), day);
    cr_assert_eq(pw_int(item(moved, "previous"), "half_days"), 2);
    cr_assert(strstr(pw_str(moved, "organisation_name"), "Org A") != NULL);
    cr_assert_str_eq(pw_str(moved, "coach_name"), "Coach Carla");
    snprintf(version, sizeof(version), "%s", pw_str(r->json, "plan_version"));
    it_response_free(r);

    char body[80];
    snprintf(body, sizeof(body), "{\"plan_version\":\"%s\"}", version);
    r = pw_call(srv, &w, U_COORD, "POST", body, "/v1/clusters/%s/plan/apply", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    /* Not one booked half-day lost, and the two days nothing collides with are untouched. */
    cr_assert_eq(coaching_half_days(admin, &w, O_A), before);
    for (int i = 0; i < 2; i++) {
        const char *params[] = {ids[i]};
        cr_assert_eq(it_db_long(admin,
                                "SELECT count(*) FROM isms.coaching_sessions WHERE id = $1 AND "
                                "status = 'planned'",
                                1, params),
                     1);
    }
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(planning_replan, refuses_a_target_end_date_before_planned_sessions_naming_them) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    char version[40], audit[40], audit_day[11];
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    pw_plan_and_apply(srv, &w, version);
    pw_session_of(admin, &w, "audit", audit, audit_day);
    /* The day before the audit; coaching may follow the audit too. */
    const char *params[] = {audit_day, w.id[C1]};
    char before[11], last[11], body[80];
    PGresult *q = it_db_query(admin,
                              "SELECT ($1::date - 1)::text, greatest($1::date, (SELECT "
                              "max(session_date) FROM isms.coaching_sessions WHERE cluster_id = "
                              "$2 AND status = 'planned'))::text",
                              2, params);
    snprintf(before, sizeof(before), "%s", PQgetvalue(q, 0, 0));
    snprintf(last, sizeof(last), "%s", PQgetvalue(q, 0, 1));
    PQclear(q);
    snprintf(body, sizeof(body), "{\"target_end_date\":\"%s\"}", before);
    it_response_t *r = pw_call(srv, &w, U_COORD, "PATCH", body, "/v1/clusters/%s", w.id[C1]);
    it_assert_error(r, 409, "sessions_after_end_date");
    const char *message = pw_str(item(r->json, "error"), "message");
    cr_assert(strstr(message, "Audit") != NULL, "%s", message);
    cr_assert(strstr(message, "Move or cancel") != NULL, "%s", message);
    it_response_free(r);
    /* The day of the last session is fine. */
    snprintf(body, sizeof(body), "{\"target_end_date\":\"%s\"}", last);
    r = pw_call(srv, &w, U_COORD, "PATCH", body, "/v1/clusters/%s", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(planning_replan, a_gap_analysis_names_its_organisation) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    char version[40];
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    pw_plan_and_apply(srv, &w, version);
    it_response_t *r = pw_call(srv, &w, U_COORD, "GET", NULL,
                               "/v1/clusters/%s/training-sessions?limit=200", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    int named = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, item(r->json, "items")) {
        if (strcmp(pw_str(x, "kind"), "gap_analysis") != 0) {
            cr_assert(cJSON_IsNull(item(x, "organisation_name")));
            continue;
        }
        const char *name = pw_str(x, "organisation_name");
        cr_assert(name != NULL && strstr(name, "Org ") != NULL, "%s", r->body);
        named++;
    }
    cr_assert_eq(named, 4);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* The sessions of module `key` in a preview, in plan order. */
static int sessions_of(const cJSON *plan, const char *key, const cJSON *out[4]) {
    int n = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, item(plan, "sessions")) {
        if (strcmp(pw_str(x, "kind"), "training") == 0 &&
            strcmp(pw_str(x, "module_key"), key) == 0 && n < 4)
            out[n++] = x;
    }
    return n;
}

Test(planning_replan, security_measures_are_two_half_days_unless_the_coordinator_joins_them) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    it_response_t *r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    const cJSON *sm[4];
    cr_assert_eq(sessions_of(r->json, "security_measures", sm), 2, "%s", r->body);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(pw_int(sm[i], "half_days"), 1);
        cr_assert_eq(pw_int(sm[i], "part"), i + 1);
    }
    /* Each half-day opens its own coaching cycle: the second comes weeks after the first, with
     * coaching between them. */
    const char *first = pw_str(sm[0], "date"), *second = pw_str(sm[1], "date");
    const char *days[] = {first, second};
    cr_assert_geq(it_db_long(admin, "SELECT $2::date - $1::date", 2, days), 14);
    int coached = 0;
    const cJSON *x;
    cJSON_ArrayForEach(x, item(r->json, "sessions")) {
        coached += strcmp(pw_str(x, "kind"), "coaching") == 0 &&
                   strcmp(pw_str(x, "date"), first) > 0 && strcmp(pw_str(x, "date"), second) < 0;
    }
    cr_assert_gt(coached, 0, "no coaching between the two half-days: %s", r->body);
    it_response_free(r);

    /* The coordinator joins them into one whole day. */
    r = pw_call(srv, &w, U_COORD, "GET", NULL, "/v1/clusters/%s/curriculum", w.id[C1]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cJSON *modules = cJSON_CreateArray();
    cJSON_ArrayForEach(x, item(r->json, "modules")) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "module_key", pw_str(x, "module_key"));
        cJSON_AddStringToObject(m, "title", pw_str(x, "title"));
        cJSON_AddStringToObject(m, "kind", pw_str(x, "kind"));
        cJSON_AddNumberToObject(m, "half_days", pw_int(x, "half_days"));
        cJSON_AddBoolToObject(m, "separate_half_days", 0);
        cJSON_AddItemToArray(modules, m);
    }
    it_response_free(r);
    cJSON *put = cJSON_CreateObject();
    cJSON_AddItemToObject(put, "modules", modules);
    char *body = cJSON_PrintUnformatted(put);
    cJSON_Delete(put);
    r = pw_call(srv, &w, U_COORD, "PUT", body, "/v1/clusters/%s/curriculum", w.id[C1]);
    free(body);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w.id[C1]);
    cr_assert_eq(sessions_of(r->json, "security_measures", sm), 1, "%s", r->body);
    cr_assert_eq(pw_int(sm[0], "half_days"), 2);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}
