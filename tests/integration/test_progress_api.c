/* The progress API as documented in proto/openapi.yaml, through the real server: the catalogue,
 * assessments with their history and validation, who may write what, the gap analysis and its
 * frozen baseline, plan versus actual on a cluster where one organisation is late, the cluster
 * overview and the anonymised benchmark. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test_progress_world.h"

TestSuite(progress_api, .fini = it_teardown);

static const cJSON *member(const cJSON *obj, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static int count_of(const cJSON *obj, const char *name) {
    const cJSON *v = member(obj, name);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", name);
    return v->valueint;
}

Test(progress_api, catalogue_lists_iso_27001_2022) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pworld_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[200];

    it_response_t *r = pw_expect(srv, &w, PW_U_M1, "GET", "/v1/frameworks?limit=200", NULL, 200);
    const cJSON *iso = NULL, *item;
    cJSON_ArrayForEach(item, member(r->json, "items")) {
        if (strcmp(pw_str(item, "code"), "ISO/IEC 27001") == 0 &&
            strcmp(pw_str(item, "version"), "2022") == 0)
            iso = item;
    }
    cr_assert_not_null(iso, "ISO/IEC 27001:2022 is listed: %s", r->body);
    cr_assert_eq(count_of(iso, "clauses"), 30);
    cr_assert_eq(count_of(iso, "controls"), 93);
    char fw[37];
    snprintf(fw, sizeof(fw), "%.36s", pw_str(iso, "id"));
    it_response_free(r);

    pw_path(path, "/v1/frameworks/%s", fw);
    r = pw_expect(srv, &w, PW_U_COACH, "GET", path, NULL, 200);
    const char *themes[][2] = {{"A.5", "37"}, {"A.6", "8"}, {"A.7", "14"}, {"A.8", "34"}};
    for (int i = 0; i < 4; i++) {
        const cJSON *g = pw_find(member(r->json, "groups"), "key", themes[i][0]);
        cr_assert_not_null(g, "theme %s", themes[i][0]);
        cr_assert_str_eq(pw_str(g, "requirements"), themes[i][1], "theme %s", themes[i][0]);
    }
    it_response_free(r);

    snprintf(path, sizeof(path), "/v1/frameworks/%s/requirements?group=A.6", fw);
    r = pw_expect(srv, &w, PW_U_M1, "GET", path, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(member(r->json, "items")), 8);
    it_response_free(r);
    snprintf(path, sizeof(path), "/v1/frameworks/%s/requirements?kind=clause", fw);
    r = pw_expect(srv, &w, PW_U_M1, "GET", path, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(member(r->json, "items")), 30);
    it_response_free(r);
    snprintf(path, sizeof(path), "/v1/frameworks/%s/requirements?group=A.9", fw);
    pw_expect_field(srv, &w, PW_U_M1, "GET", path, NULL, 400, "invalid_body", "group");

    pw_path(path, "/v1/clusters/%s/framework", w.id[PW_CL_A]);
    r = pw_expect(srv, &w, PW_U_M2, "GET", path, NULL, 200);
    cr_assert_str_eq(pw_str(member(r->json, "framework"), "id"), fw);
    cr_assert_str_eq(pw_str(r->json, "chosen"), "false", "the default until one is chosen");
    it_response_free(r);
    pw_path(path, "/v1/clusters/%s/framework", w.id[PW_CL_B]);
    pw_expect_error(srv, &w, PW_U_M2, "GET", path, NULL, 404, "not_found");
    it_response_free(pw_expect(srv, &w, -1, "GET", "/v1/frameworks", NULL, 401));
    cr_assert_eq(it_server_stop(srv), 0);
}

/* History: who, when, old -> new, newest first, per requirement on request (after the two
 * changes of 5.2 made by the test below). */
static void check_history(const it_server_t *srv, const pworld_t *w) {
    char path[220];
    it_response_t *r;
    snprintf(path, sizeof(path), "/v1/enrolments/%s/assessment-history?requirement=5.2",
             w->id[PW_E1]);
    r = pw_expect(srv, w, PW_U_M1, "GET", path, NULL, 200);
    const cJSON *items = member(r->json, "items");
    cr_assert_eq(cJSON_GetArraySize(items), 2, "%s", r->body);
    const cJSON *last = cJSON_GetArrayItem(items, 0), *first = cJSON_GetArrayItem(items, 1);
    cr_assert_str_eq(pw_str(last, "old_status"), "in_progress");
    cr_assert_str_eq(pw_str(last, "new_status"), "implemented");
    cr_assert_str_eq(pw_str(member(last, "changed_by"), "role"), "coach");
    cr_assert_str_eq(pw_str(member(last, "changed_by"), "name"), "Carl Coach");
    cr_assert_str_eq(pw_str(member(member(last, "changes"), "due_date"), "old"), "2030-01-31");
    cr_assert_str_eq(pw_str(first, "old_status"), "not_started");
    cr_assert_str_eq(pw_str(member(first, "changed_by"), "role"), "member");
    it_response_free(r);
    snprintf(path, sizeof(path), "/v1/enrolments/%s/assessment-history?limit=1", w->id[PW_E1]);
    r = pw_expect(srv, w, PW_U_M1, "GET", path, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(member(r->json, "items")), 1);
    cr_assert(cJSON_IsString(member(r->json, "next_cursor")), "%s", r->body);
    it_response_free(r);
}

/* Validation names the field. */
static void check_assessment_validation(const it_server_t *srv, const pworld_t *w, const char *e1) {
    pw_expect_field(srv, w, PW_U_M1, "PATCH", e1,
                    "{\"items\":[{\"requirement\":\"A.5.99\",\"status\":\"implemented\"}]}", 400,
                    "invalid_body", "items[0].requirement");
    pw_expect_field(srv, w, PW_U_M1, "PATCH", e1,
                    "{\"items\":[{\"requirement\":\"4.1\",\"status\":\"done\"}]}", 400,
                    "invalid_body", "items[0].status");
    pw_expect_field(srv, w, PW_U_M1, "PATCH", e1,
                    "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":1},"
                    "{\"requirement\":\"4.2\",\"maturity\":9}]}",
                    400, "invalid_body", "items[1].maturity");
    pw_expect_field(srv, w, PW_U_M1, "PATCH", e1,
                    "{\"items\":[{\"requirement\":\"9.2.1\",\"status\":\"not_applicable\"}]}", 422,
                    "not_excludable", "items[0].status");
    pw_expect_field(srv, w, PW_U_M1, "PATCH", e1, "{\"items\":[],\"x\":1}", 400, "invalid_body",
                    "x");
}

/* Another organisation's enrolment answers exactly like a missing one; the coach reaches only its
 * assigned enrolment, the coordinator only its clusters. */
static void check_assessment_isolation(const it_server_t *srv, const pworld_t *w, const char *e1,
                                       const char *e2, const char *e4) {
    char path[220];
    it_response_t *foreign =
        pw_expect(srv, w, PW_U_M1, "PATCH", e2,
                  "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":1}]}", 404);
    snprintf(path, sizeof(path), "/v1/enrolments/%s/assessments",
             "00000000-0000-4000-8000-000000000000");
    it_response_t *missing =
        pw_expect(srv, w, PW_U_M1, "PATCH", path,
                  "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":1}]}", 404);
    cr_assert_str_eq(foreign->body, missing->body);
    it_response_free(foreign);
    it_response_free(missing);
    it_response_free(pw_expect(srv, w, PW_U_M1, "GET", e2, NULL, 404));
    it_response_free(
        pw_expect(srv, w, PW_U_M1, "GET", "/v1/enrolments/not-a-uuid/assessments", NULL, 404));
    it_response_free(pw_expect(srv, w, PW_U_COACH, "PATCH", e2,
                               "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":1}]}", 404));
    it_response_free(pw_expect(srv, w, PW_U_COORD, "PATCH", e2,
                               "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":1}]}", 200));
    it_response_free(pw_expect(srv, w, PW_U_COORD, "GET", e4, NULL, 404));
    it_response_free(pw_expect(srv, w, PW_U_M4, "GET", e1, NULL, 404));
}

Test(progress_api, assessments_are_validated_isolated_and_kept_with_history) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pworld_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char e1[160], e2[160], e4[160], path[220];
    pw_path(e1, "/v1/enrolments/%s/assessments", w.id[PW_E1]);
    pw_path(e2, "/v1/enrolments/%s/assessments", w.id[PW_E2]);
    pw_path(e4, "/v1/enrolments/%s/assessments", w.id[PW_E4]);

    it_response_t *r = pw_expect(
        srv, &w, PW_U_M1, "PATCH", e1,
        "{\"items\":[{\"requirement\":\"5.2\",\"status\":\"in_progress\",\"maturity\":2,"
        "\"owner\":\"Mia\",\"due_date\":\"2030-01-31\",\"evidence_links\":[\"https://dms/pol\"]},"
        "{\"requirement\":\"A.8.13\",\"status\":\"implemented\",\"maturity\":4}]}",
        200);
    cr_assert_eq(cJSON_GetArraySize(member(r->json, "items")), 2);
    const cJSON *a = pw_find(member(r->json, "items"), "requirement", "5.2");
    cr_assert_str_eq(pw_str(a, "owner"), "Mia");
    cr_assert_str_eq(pw_str(a, "due_date"), "2030-01-31");
    it_response_free(r);
    /* A partial change keeps the other values; null clears one. */
    r = pw_expect(srv, &w, PW_U_COACH, "PATCH", e1,
                  "{\"items\":[{\"requirement\":\"5.2\",\"status\":\"implemented\","
                  "\"due_date\":null}]}",
                  200);
    a = pw_find(member(r->json, "items"), "requirement", "5.2");
    cr_assert_str_eq(pw_str(a, "status"), "implemented");
    cr_assert_str_eq(pw_str(a, "owner"), "Mia");
    cr_assert(cJSON_IsNull(member(a, "due_date")), "%s", r->body);
    it_response_free(r);

    /* The list covers the whole framework, filtered on request. */
    r = pw_expect(srv, &w, PW_U_M1, "GET", e1, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(member(r->json, "items")), 123);
    it_response_free(r);
    snprintf(path, sizeof(path), "%s?status=implemented", e1);
    r = pw_expect(srv, &w, PW_U_COORD, "GET", path, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(member(r->json, "items")), 2);
    it_response_free(r);

    check_history(srv, &w);
    check_assessment_validation(srv, &w, e1);
    check_assessment_isolation(srv, &w, e1, e2, e4);

    /* Every write is audited in the same transaction. */
    const char *params[] = {w.id[PW_E1]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.audit_events WHERE entity_id = $1 "
                            "AND action = 'assessment_update'",
                            1, params),
                 2);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* The weekly trend runs from the cluster's start to this week, ending at today's counts. */
static void check_trend(const it_response_t *r) {
    const cJSON *trend = member(r->json, "trend");
    cr_assert_geq(cJSON_GetArraySize(trend), 9, "%s", r->body);
    const cJSON *now = cJSON_GetArrayItem(trend, cJSON_GetArraySize(trend) - 1);
    cr_assert_eq(count_of(now, "implemented"), 3);
    cr_assert_eq(count_of(cJSON_GetArrayItem(trend, 0), "implemented"), 0);
}

Test(progress_api, gap_analysis_freezes_the_baseline_progress_is_shown_against) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pworld_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char gap[160], fin[180], assess[160], progress[160];
    pw_path(gap, "/v1/enrolments/%s/gap-analysis", w.id[PW_E1]);
    pw_path(fin, "/v1/enrolments/%s/gap-analysis/finalise", w.id[PW_E1]);
    pw_path(assess, "/v1/enrolments/%s/assessments", w.id[PW_E1]);
    pw_path(progress, "/v1/enrolments/%s/progress", w.id[PW_E1]);

    pw_expect_error(srv, &w, PW_U_M1, "GET", gap, NULL, 404, "not_found");
    it_response_t *r = pw_call(srv, &w, PW_U_M1, "PUT", gap, "{\"onsite_date\":\"2025-01-13\"}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = pw_expect(srv, &w, PW_U_COACH, "PUT", gap,
                  "{\"onsite_date\":\"2025-01-13\",\"analysis_date\":\"2025-01-15\","
                  "\"summary\":\"Good technical base, little documented.\"}",
                  200);
    cr_assert_str_eq(pw_str(r->json, "status"), "draft");
    it_response_free(r);
    pw_expect_field(srv, &w, PW_U_COACH, "PUT", gap, "{\"analysis_date\":\"2025-01-01\"}", 422,
                    "invalid_value", "analysis_date");
    pw_expect_field(srv, &w, PW_U_COACH, "PUT", gap, "{\"estimated_coaching_half_days\":201}", 400,
                    "invalid_body", "estimated_coaching_half_days");
    /* The coach records the baseline during the on-site visit. */
    it_response_free(pw_expect(srv, &w, PW_U_COACH, "PATCH", assess,
                               "{\"items\":[{\"requirement\":\"4.1\",\"status\":\"implemented\"},"
                               "{\"requirement\":\"4.2\",\"status\":\"in_progress\"},"
                               "{\"requirement\":\"A.5.1\",\"status\":\"in_progress\"}]}",
                               200));
    pw_expect_field(srv, &w, PW_U_COACH, "POST", fin, NULL, 422, "estimate_missing",
                    "estimated_coaching_half_days");
    it_response_free(
        pw_expect(srv, &w, PW_U_COACH, "PUT", gap, "{\"estimated_coaching_half_days\":16}", 200));
    r = pw_expect(srv, &w, PW_U_COACH, "POST", fin, NULL, 200);
    cr_assert_str_eq(pw_str(r->json, "status"), "final");
    cr_assert_eq(cJSON_GetArraySize(member(r->json, "items")), 123);
    cr_assert_eq(count_of(member(member(r->json, "baseline"), "totals"), "implemented"), 1);
    it_response_free(r);
    pw_expect_error(srv, &w, PW_U_COACH, "PUT", gap, "{\"summary\":\"x\"}", 409,
                    "gap_analysis_final");
    pw_expect_error(srv, &w, PW_U_COORD, "POST", fin, NULL, 409, "gap_analysis_final");
    /* The estimate is what the coaching budget reads. */
    const char *params[] = {w.id[PW_E1]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT estimated_coaching_half_days FROM isms.gap_analyses "
                            "WHERE enrolment_id = $1",
                            1, params),
                 16);

    /* Progress after the baseline. */
    it_response_free(pw_expect(srv, &w, PW_U_M1, "PATCH", assess,
                               "{\"items\":[{\"requirement\":\"4.2\",\"status\":\"implemented\"},"
                               "{\"requirement\":\"4.3\",\"status\":\"implemented\"},"
                               "{\"requirement\":\"A.5.1\",\"status\":\"not_started\"}]}",
                               200));
    r = pw_expect(srv, &w, PW_U_M1, "GET", progress, NULL, 200);
    const cJSON *base = member(r->json, "baseline");
    cr_assert_eq(count_of(base, "improved_requirements"), 2, "%s", r->body);
    cr_assert_eq(count_of(base, "regressed_requirements"), 1);
    cr_assert_eq(count_of(base, "estimated_coaching_half_days"), 16);
    const cJSON *since = member(member(r->json, "totals"), "since_baseline");
    cr_assert_eq(count_of(since, "implemented"), 2);
    const cJSON *c4 = pw_find(member(r->json, "clauses"), "group", "4");
    cr_assert_eq(count_of(member(c4, "counts"), "implemented"), 3);
    cr_assert_eq(count_of(member(c4, "since_baseline"), "implemented"), 2);
    cr_assert(pw_near(member(c4, "implemented_percent")->valuedouble, 75.0), "%s", r->body);
    cr_assert(pw_near(member(member(c4, "percentages"), "not_started")->valuedouble, 25.0));
    check_trend(r);
    it_response_free(r);

    /* The baseline itself did not move. */
    r = pw_expect(srv, &w, PW_U_M1, "GET", gap, NULL, 200);
    cr_assert_str_eq(pw_str(pw_find(member(r->json, "items"), "requirement", "4.3"), "status"),
                     "not_started");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* The overview: side by side for the coordinator, the coach's enrolment only, not members. */
static void check_overview(const it_server_t *srv, const pworld_t *w, const char *overview) {
    it_response_t *r;
    r = pw_expect(srv, w, PW_U_COORD, "GET", overview, NULL, 200);
    const cJSON *items = member(r->json, "items");
    cr_assert_eq(cJSON_GetArraySize(items), 3, "%s", r->body);
    const cJSON *row2 = pw_find(items, "enrolment_id", w->id[PW_E2]);
    cr_assert_str_eq(pw_str(row2, "behind_schedule"), "true");
    cr_assert_eq(count_of(member(row2, "deliverables"), "overdue"), 2);
    cr_assert_eq(cJSON_GetArraySize(member(row2, "groups")), 11);
    cr_assert_str_eq(pw_str(pw_find(items, "enrolment_id", w->id[PW_E3]), "behind_schedule"),
                     "true", "M3 has approved nothing either");
    it_response_free(r);
    r = pw_expect(srv, w, PW_U_COACH, "GET", overview, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(member(r->json, "items")), 1);
    cr_assert_str_eq(pw_str(cJSON_GetArrayItem(member(r->json, "items"), 0), "enrolment_id"),
                     w->id[PW_E1]);
    it_response_free(r);
    pw_expect_error(srv, w, PW_U_M1, "GET", overview, NULL, 403, "forbidden");
    pw_expect_error(srv, w, PW_U_M4, "GET", overview, NULL, 404, "not_found");
}

/* An explicit due date on one deliverable, and a requirement past its own due date. */
static void check_own_due_dates(const it_server_t *srv, const pworld_t *w, const char *d1,
                                const char *p1) {
    it_response_t *r;
    const cJSON *plan, *why;
    it_response_free(
        pw_expect(srv, w, PW_U_M1, "PATCH", d1,
                  "{\"items\":[{\"deliverable\":\"scope\",\"due_date\":\"2024-05-01\"}]}", 200));
    char a1[160];
    pw_path(a1, "/v1/enrolments/%s/assessments", w->id[PW_E1]);
    it_response_free(pw_expect(srv, w, PW_U_M1, "PATCH", a1,
                               "{\"items\":[{\"requirement\":\"A.6.3\",\"status\":\"in_progress\","
                               "\"due_date\":\"2024-06-30\"}]}",
                               200));
    r = pw_expect(srv, w, PW_U_M1, "GET", p1, NULL, 200);
    plan = member(r->json, "plan");
    cr_assert_str_eq(pw_str(plan, "behind_schedule"), "true");
    why = pw_find(member(plan, "reasons"), "deliverable", "scope");
    cr_assert_str_eq(pw_str(why, "due_source"), "deliverable");
    why = pw_find(member(plan, "reasons"), "kind", "requirements_overdue");
    cr_assert_eq(count_of(why, "count"), 1, "%s", r->body);
    it_response_free(r);
}

/* M2 is behind schedule, and says why: both risk assessment deliverables are late. */
static void check_m2_is_late(const it_server_t *srv, const pworld_t *w, const char *p2) {
    it_response_t *r = pw_expect(srv, w, PW_U_M2, "GET", p2, NULL, 200);
    const cJSON *plan = member(r->json, "plan");
    cr_assert_str_eq(pw_str(plan, "behind_schedule"), "true", "%s", r->body);
    const cJSON *reasons = member(plan, "reasons");
    cr_assert_eq(cJSON_GetArraySize(reasons), 2, "%s", r->body);
    const cJSON *why = pw_find(reasons, "deliverable", "risk_assessment_process");
    cr_assert_str_eq(pw_str(why, "kind"), "deliverable_overdue");
    cr_assert_str_eq(pw_str(why, "status"), "drafted");
    cr_assert_str_eq(pw_str(why, "due_date"), "2024-03-01");
    cr_assert_gt(count_of(why, "days_late"), 300);
    cr_assert_not_null(pw_find(reasons, "deliverable", "risk_assessment_results"));
    it_response_free(r);
}

/* M1 has approved its risk assessment deliverables; M2, with the same deadline, has not. */
Test(progress_api, plan_versus_actual_shows_who_is_late_and_why) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pworld_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char deadlines[160], d1[160], d2[160], p1[160], p2[160], overview[160];
    pw_path(deadlines, "/v1/clusters/%s/module-deadlines", w.id[PW_CL_A]);
    pw_path(d1, "/v1/enrolments/%s/deliverables", w.id[PW_E1]);
    pw_path(d2, "/v1/enrolments/%s/deliverables", w.id[PW_E2]);
    pw_path(p1, "/v1/enrolments/%s/progress", w.id[PW_E1]);
    pw_path(p2, "/v1/enrolments/%s/progress", w.id[PW_E2]);
    pw_path(overview, "/v1/clusters/%s/progress", w.id[PW_CL_A]);

    it_response_t *r =
        pw_call(srv, &w, PW_U_M1, "PUT", deadlines,
                "{\"items\":[{\"module_key\":\"audit\",\"due_date\":\"2020-01-01\"}]}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    pw_expect_field(srv, &w, PW_U_COORD, "PUT", deadlines,
                    "{\"items\":[{\"module_key\":\"cooking\",\"due_date\":\"2020-01-01\"}]}", 400,
                    "invalid_body", "items[0].module_key");
    r = pw_expect(srv, &w, PW_U_COORD, "PUT", deadlines,
                  "{\"items\":[{\"module_key\":\"risk_assessment\",\"due_date\":\"2024-03-01\"},"
                  "{\"module_key\":\"audit\",\"due_date\":\"2099-06-30\"}]}",
                  200);
    const cJSON *ra = pw_find(member(r->json, "items"), "module_key", "risk_assessment");
    cr_assert_str_eq(pw_str(ra, "due_date"), "2024-03-01");
    cr_assert_str_eq(pw_str(ra, "source"), "cluster");
    it_response_free(r);

    it_response_free(
        pw_expect(srv, &w, PW_U_M1, "PATCH", d1,
                  "{\"items\":[{\"deliverable\":\"risk_assessment_process\","
                  "\"status\":\"approved\",\"approved_on\":\"2024-02-20\"},"
                  "{\"deliverable\":\"risk_assessment_results\",\"status\":\"approved\"}]}",
                  200));
    r = pw_expect(srv, &w, PW_U_M2, "PATCH", d2,
                  "{\"items\":[{\"deliverable\":\"risk_assessment_process\",\"status\":\"drafted\","
                  "\"document\":\"RA-method-v0.3\"}]}",
                  200);
    const cJSON *late = pw_find(member(r->json, "items"), "deliverable", "risk_assessment_process");
    cr_assert_str_eq(pw_str(late, "overdue"), "true");
    cr_assert_str_eq(pw_str(late, "due_source"), "cluster");
    it_response_free(r);
    pw_expect_field(srv, &w, PW_U_M2, "PATCH", d2,
                    "{\"items\":[{\"deliverable\":\"risk_register\",\"status\":\"drafted\"}]}", 400,
                    "invalid_body", "items[0].deliverable");
    pw_expect_field(srv, &w, PW_U_M2, "PATCH", d2,
                    "{\"items\":[{\"deliverable\":\"scope\",\"status\":\"drafted\","
                    "\"approved_on\":\"2024-01-01\"}]}",
                    422, "invalid_value", "items[0].approved_on");

    /* Everyone in the cluster reads the deadlines; the deliverables show their own. */
    r = pw_expect(srv, &w, PW_U_M3, "GET", deadlines, NULL, 200);
    cr_assert_str_eq(pw_str(pw_find(member(r->json, "items"), "module_key", "audit"), "due_date"),
                     "2099-06-30");
    it_response_free(r);
    r = pw_expect(srv, &w, PW_U_COACH, "GET", d1, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(member(r->json, "items")), 18);
    const cJSON *ra1 = pw_find(member(r->json, "items"), "deliverable", "risk_assessment_process");
    cr_assert_str_eq(pw_str(ra1, "status"), "approved");
    cr_assert_str_eq(pw_str(ra1, "approved_on"), "2024-02-20");
    cr_assert_str_eq(pw_str(ra1, "overdue"), "false");
    it_response_free(r);
    pw_expect_error(srv, &w, PW_U_M2, "GET", d1, NULL, 404, "not_found");

    r = pw_expect(srv, &w, PW_U_M1, "GET", p1, NULL, 200);
    const cJSON *plan = member(r->json, "plan");
    cr_assert_str_eq(pw_str(plan, "behind_schedule"), "false", "%s", r->body);
    cr_assert_eq(count_of(plan, "deliverables_due"), 2);
    cr_assert_eq(count_of(plan, "deliverables_due_approved"), 2);
    cr_assert_str_eq(pw_str(member(plan, "next_due"), "module_key"), "audit");
    cr_assert_eq(count_of(member(r->json, "deliverables"), "approved"), 2);
    it_response_free(r);

    check_m2_is_late(srv, &w, p2);
    check_own_due_dates(srv, &w, d1, p1);
    check_overview(srv, &w, overview);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Concurrent partial changes of one requirement both survive: each is merged into the newest row.
 */
Test(progress_api, concurrent_partial_changes_do_not_undo_each_other) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pworld_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[160], bodies[2][8][160];
    pw_path(path, "/v1/enrolments/%s/assessments", w.id[PW_E1]);
    const char *hdr_m1[] = {w.auth[PW_U_M1], NULL}, *hdr_coach[] = {w.auth[PW_U_COACH], NULL};
    it_request_t reqs[16];
    for (int i = 0; i < 8; i++) {
        snprintf(bodies[0][i], sizeof(bodies[0][i]),
                 "{\"items\":[{\"requirement\":\"A.8.%d\",\"owner\":\"Owner %d\"}]}", i + 1, i);
        snprintf(bodies[1][i], sizeof(bodies[1][i]),
                 "{\"items\":[{\"requirement\":\"A.8.%d\",\"maturity\":%d}]}", i + 1, i % 6);
        reqs[2 * i] = (it_request_t){
            .method = "PATCH", .path = path, .headers = hdr_m1, .body = bodies[0][i]};
        reqs[2 * i + 1] = (it_request_t){
            .method = "PATCH", .path = path, .headers = hdr_coach, .body = bodies[1][i]};
    }
    it_response_t **rs = it_batch_finish(it_batch_start(srv, reqs, 16, 16));
    for (int i = 0; i < 16; i++)
        cr_assert_eq(rs[i]->status, 200, "request %d: %d %s", i, rs[i]->status, rs[i]->body);
    it_responses_free(rs, 16);
    const char *params[] = {w.id[PW_E1]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.assessments a JOIN isms.requirements r "
                            "ON r.id = a.requirement_id, LATERAL (SELECT substring(r.ref FROM "
                            "'^A\\.8\\.([0-9]+)$')::int - 1 AS k) x WHERE a.enrolment_id = $1 "
                            "AND a.owner = 'Owner ' || x.k AND a.maturity = x.k % 6",
                            1, params),
                 8, "both halves of every pair of changes are kept");
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.assessment_history WHERE enrolment_id = $1",
                            1, params),
                 16, "one history entry per change");
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(progress_api, benchmark_shows_medians_only_from_three_contributors) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pworld_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char bench[160], a[3][160];
    pw_path(bench, "/v1/enrolments/%s/benchmark", w.id[PW_E1]);
    for (int i = 0; i < 3; i++)
        pw_path(a[i], "/v1/enrolments/%s/assessments", w.id[PW_E1 + i]);
    /* A.6 (8 controls): M1 implements 2, M2 4, M3 8. */
    it_response_free(pw_expect(srv, &w, PW_U_M1, "PATCH", a[0],
                               "{\"items\":[{\"requirement\":\"A.6.1\",\"status\":\"implemented\"},"
                               "{\"requirement\":\"A.6.2\",\"status\":\"implemented\"}]}",
                               200));
    it_response_free(pw_expect(srv, &w, PW_U_M2, "PATCH", a[1],
                               "{\"items\":[{\"requirement\":\"A.6.1\",\"status\":\"implemented\"},"
                               "{\"requirement\":\"A.6.2\",\"status\":\"implemented\"},"
                               "{\"requirement\":\"A.6.3\",\"status\":\"implemented\"},"
                               "{\"requirement\":\"A.6.4\",\"status\":\"implemented\"}]}",
                               200));

    it_response_t *r = pw_expect(srv, &w, PW_U_M1, "GET", bench, NULL, 200);
    cr_assert_str_eq(pw_str(r->json, "suppressed"), "true", "%s", r->body);
    cr_assert_eq(count_of(r->json, "contributors"), 2);
    const cJSON *g;
    cJSON_ArrayForEach(g, member(r->json, "groups")) {
        cr_assert(cJSON_IsNull(member(g, "cluster_median")), "no median below 3: %s", r->body);
    }
    cr_assert(cJSON_IsNull(member(member(r->json, "overall"), "cluster_median")));
    cr_assert(pw_near(
        member(pw_find(member(r->json, "groups"), "group", "A.6"), "own_percent")->valuedouble,
        25.0));
    it_response_free(r);

    char body[1024] = "{\"items\":[";
    for (int i = 1; i <= 8; i++) {
        char item[96];
        snprintf(item, sizeof(item), "%s{\"requirement\":\"A.6.%d\",\"status\":\"implemented\"}",
                 i > 1 ? "," : "", i);
        strcat(body, item);
    }
    strcat(body, "]}");
    it_response_free(pw_expect(srv, &w, PW_U_M3, "PATCH", a[2], body, 200));
    r = pw_expect(srv, &w, PW_U_M1, "GET", bench, NULL, 200);
    cr_assert_str_eq(pw_str(r->json, "suppressed"), "false", "%s", r->body);
    const cJSON *a6 = pw_find(member(r->json, "groups"), "group", "A.6");
    cr_assert(pw_near(member(a6, "cluster_median")->valuedouble, 50.0), "%s", r->body);
    cr_assert(pw_near(member(a6, "own_percent")->valuedouble, 25.0));
    /* Nothing in the answer names or counts another organisation's figures. */
    cr_assert_null(strstr(r->body, w.id[PW_E2]));
    cr_assert_null(strstr(r->body, w.id[PW_ORG_M3]));
    it_response_free(r);
    pw_path(bench, "/v1/enrolments/%s/benchmark", w.id[PW_E2]);
    it_response_free(pw_expect(srv, &w, PW_U_M1, "GET", bench, NULL, 404));
    cr_assert_eq(it_server_stop(srv), 0);
}
