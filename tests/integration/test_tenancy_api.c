/* The tenancy API as documented in proto/openapi.yaml: the enrolment life cycle and its admission
 * criteria, cluster settings and size warning, staff and coach assignments, pagination, and the
 * audit trail that every write leaves. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test_tenancy_world.h"

TestSuite(tenancy_api, .fini = it_teardown);

static const char *str(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Sends and checks the status; returns the response. */
static it_response_t *expect(const it_server_t *srv, const world_t *w, int user, const char *method,
                             const char *path, const char *body, int status) {
    it_response_t *r = world_call(srv, w, user, method, path, body);
    cr_assert_eq(r->status, status, "%s %s %s: %d %s", world_names[user], method, path, r->status,
                 r->body);
    return r;
}

Test(tenancy_api, enrolment_life_cycle_follows_the_method) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[160], body[256], enrolment[160], action[200];
    snprintf(path, sizeof(path), "/v1/clusters/%s/enrolments", w.id[C_A]);
    snprintf(body, sizeof(body), "{\"organisation_id\":\"%s\",\"employee_count\":300}", w.id[O_A3]);
    it_response_t *r = expect(srv, &w, U_COORD_A, "POST", path, body, 201);
    cr_assert_str_eq(str(r->json, "status"), "applied");
    snprintf(enrolment, sizeof(enrolment), "/v1/enrolments/%s", str(r->json, "id"));
    it_response_free(r);
    it_response_free(expect(srv, &w, U_COORD_A, "POST", path, body, 409));

    /* Admission names every missing criterion, including "not an SME" (250 or more). */
    snprintf(action, sizeof(action), "%s/admit", enrolment);
    r = expect(srv, &w, U_COORD_A, "POST", action, NULL, 422);
    it_assert_error(r, 422, "admission_criteria_missing");
    const char *message = str(cJSON_GetObjectItemCaseSensitive(r->json, "error"), "message");
    static const char *const missing[] = {"sme", "management_commitment",
                                          "human_resources_confirmed",
                                          "financial_resources_confirmed"};
    for (size_t i = 0; i < 4; i++)
        cr_assert_not_null(strstr(message, missing[i]), "%s is not named: %s", missing[i], message);
    it_response_free(r);

    /* Members cannot admit; the coordinator records the criteria and admits. */
    r = world_call(srv, &w, U_A1, "POST", action, NULL);
    cr_assert(r->status == 404, "a member of another organisation gets %d", r->status);
    it_response_free(r);
    it_response_free(expect(srv, &w, U_COORD_A, "PATCH", enrolment,
                            "{\"employee_count\":120,\"management_commitment_by\":\"CEO\","
                            "\"management_commitment_at\":\"2025-01-10\","
                            "\"human_resources_confirmed\":true,"
                            "\"financial_resources_confirmed\":true}",
                            200));
    r = expect(srv, &w, U_COORD_A, "POST", action, NULL, 200);
    cr_assert_str_eq(str(r->json, "status"), "admitted");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->json, "missing_criteria")),
                 0);
    it_response_free(r);
    r = expect(srv, &w, U_COORD_A, "POST", action, NULL, 409);
    it_assert_error(r, 409, "invalid_transition");
    it_response_free(r);

    /* Cluster A now has 2 admitted organisations: below the method's 3, hence a warning. */
    snprintf(path, sizeof(path), "/v1/clusters/%s", w.id[C_A]);
    r = expect(srv, &w, U_A1, "GET", path, NULL, 200);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r->json, "admitted_count")->valueint, 2);
    cr_assert_not_null(str(r->json, "size_warning"));
    it_response_free(r);

    snprintf(action, sizeof(action), "%s/complete", enrolment);
    r = expect(srv, &w, U_COORD_A, "POST", action, NULL, 200);
    cr_assert_str_eq(str(r->json, "status"), "completed");
    cr_assert_not_null(str(r->json, "ended_at"));
    it_response_free(r);
    snprintf(action, sizeof(action), "%s/withdraw", enrolment);
    it_response_free(expect(srv, &w, U_COORD_A, "POST", action, NULL, 409));

    /* Every write above left one audit event in cluster A, readable by its coordinator only. */
    snprintf(path, sizeof(path), "/v1/clusters/%s/audit-events?limit=200", w.id[C_A]);
    r = expect(srv, &w, U_COORD_A, "GET", path, NULL, 200);
    char actions[512] = "";
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(r->json, "items")) {
        strncat(actions, str(item, "action"), sizeof(actions) - strlen(actions) - 2);
        strcat(actions, " ");
    }
    cr_assert_str_eq(actions,
                     "enrolment_complete enrolment_admit enrolment_update "
                     "enrolment_apply ",
                     "audit trail, newest first: %s", actions);
    it_response_free(r);
    r = expect(srv, &w, U_A1, "GET", path, NULL, 403);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(tenancy_api, clusters_are_created_with_the_method_defaults_and_validated) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    const char *valid = "{\"name\":\"New cluster\",\"country\":\"LU\",\"time_zone\":"
                        "\"Europe/Luxembourg\",\"start_date\":\"2025-03-01\",\"target_end_date\":"
                        "\"2026-03-01\"}";
    it_response_t *r = expect(srv, &w, U_COORD_A, "POST", "/v1/clusters", valid, 201);
    const cJSON *settings = cJSON_GetObjectItemCaseSensitive(r->json, "settings");
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(settings, "cycle_weeks_min")->valueint, 3);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(settings, "cycle_weeks_max")->valueint, 4);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(settings, "coaching_ceiling_half_days")->valueint,
                 28);
    cr_assert_eq(cJSON_GetObjectItemCaseSensitive(settings, "feedback_release_threshold")->valueint,
                 3);
    cr_assert_str_eq(str(r->json, "coordinating_organisation_id"), w.id[O_COORD_A]);
    char staff[160];
    snprintf(staff, sizeof(staff), "/v1/clusters/%s/staff", str(r->json, "id"));
    it_response_free(r);
    r = expect(srv, &w, U_COORD_A, "GET", staff, NULL, 200);
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r->json, "items"), 0);
    cr_assert_str_eq(str(first, "user_id"), w.id[U_COORD_A], "the creator coordinates it");
    cr_assert_str_eq(str(first, "role"), "coordinator");
    char last[256];
    snprintf(last, sizeof(last), "%s/%s", staff, str(first, "id"));
    it_response_free(r);
    r = expect(srv, &w, U_COORD_A, "DELETE", last, NULL, 409);
    it_assert_error(r, 409, "last_coordinator");
    it_response_free(r);

    static const struct {
        const char *body, *field;
    } bad[] = {
        {"{\"name\":\"x\",\"country\":\"LU\",\"time_zone\":\"Mars/Olympus\",\"start_date\":"
         "\"2025-03-01\",\"target_end_date\":\"2026-03-01\"}",
         NULL},
        {"{\"name\":\"x\",\"country\":\"LU\",\"time_zone\":\"UTC\",\"start_date\":\"2025-03-01\","
         "\"target_end_date\":\"2025-03-01\"}",
         NULL},
        {"{\"name\":\"x\",\"country\":\"LU\",\"time_zone\":\"UTC\",\"start_date\":\"2025-03-01\","
         "\"target_end_date\":\"2026-03-01\",\"cycle_weeks_min\":5,\"cycle_weeks_max\":4}",
         NULL},
        {"{\"name\":\"x\",\"country\":\"lu\",\"time_zone\":\"UTC\",\"start_date\":\"2025-03-01\","
         "\"target_end_date\":\"2026-03-01\"}",
         "country"},
        {"{\"name\":\"x\",\"country\":\"LU\",\"time_zone\":\"UTC\",\"start_date\":\"2025-02-30\","
         "\"target_end_date\":\"2026-03-01\"}",
         "start_date"},
        {"{\"name\":\"x\",\"country\":\"LU\",\"time_zone\":\"UTC\",\"start_date\":\"2025-03-01\","
         "\"target_end_date\":\"2026-03-01\",\"feedback_release_threshold\":1}",
         "feedback_release_threshold"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        r = world_call(srv, &w, U_COORD_A, "POST", "/v1/clusters", bad[i].body);
        it_assert_error(r, 400, "invalid_body");
        const char *field = str(cJSON_GetObjectItemCaseSensitive(r->json, "error"), "field");
        if (bad[i].field != NULL)
            cr_assert(field != NULL && strcmp(field, bad[i].field) == 0, "%s", r->body);
        it_response_free(r);
    }
    /* Members do not create clusters or organisations. */
    r = world_call(srv, &w, U_A1, "POST", "/v1/clusters", valid);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = world_call(srv, &w, U_A1, "POST", "/v1/organisations",
                   "{\"name\":\"x\",\"kind\":\"member\"}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(tenancy_api, removing_a_coach_removes_their_assignments) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[200], body[200];
    snprintf(path, sizeof(path), "/v1/clusters/%s/coach-assignments", w.id[C_A]);
    snprintf(body, sizeof(body), "{\"enrolment_id\":\"%s\",\"coach_user_id\":\"%s\"}", w.id[E_A2],
             w.id[U_COACH_A2]);
    it_response_t *r = expect(srv, &w, U_COORD_A, "POST", path, body, 201);
    it_response_free(r);
    it_response_free(expect(srv, &w, U_COORD_A, "POST", path, body, 409));
    /* Coach A2 now sees enrolment A2 and nothing else. */
    char enrolments[160];
    snprintf(enrolments, sizeof(enrolments), "/v1/clusters/%s/enrolments", w.id[C_A]);
    r = expect(srv, &w, U_COACH_A2, "GET", enrolments, NULL, 200);
    char names[256];
    world_item_names(&w, r->json, names, sizeof(names));
    cr_assert_str_eq(names, "E_A2");
    it_response_free(r);
    /* A coach of another cluster cannot be assigned here (same answer as a random user). */
    snprintf(body, sizeof(body), "{\"enrolment_id\":\"%s\",\"coach_user_id\":\"%s\"}", w.id[E_A2],
             w.id[U_COACH_B1]);
    r = expect(srv, &w, U_COORD_A, "POST", path, body, 422);
    it_assert_error(r, 422, "invalid_reference");
    it_response_free(r);

    snprintf(path, sizeof(path), "/v1/clusters/%s/staff/%s", w.id[C_A], w.id[S_A_COACH2]);
    it_response_free(expect(srv, &w, U_A1, "DELETE", path, NULL, 403));
    it_response_free(expect(srv, &w, U_COORD_A, "DELETE", path, NULL, 204));
    /* The former coach no longer sees the cluster at all. */
    r = expect(srv, &w, U_COACH_A2, "GET", enrolments, NULL, 404);
    it_response_free(r);
    snprintf(path, sizeof(path), "/v1/enrolments/%s", w.id[E_A2]);
    it_response_free(expect(srv, &w, U_COACH_A2, "GET", path, NULL, 404));
    const char *params[] = {w.id[U_COACH_A2]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.coach_assignments WHERE coach_user_id = $1",
                            1, params),
                 0);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(tenancy_api, lists_are_paginated_with_an_opaque_cursor) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    /* Coordinator B sees 5 organisations; pages of 2 list each exactly once. */
    char path[512], seen[1024] = "", cursor[208] = "";
    int pages = 0, items = 0;
    do {
        snprintf(path, sizeof(path), "/v1/organisations?limit=2%s%s", cursor[0] ? "&cursor=" : "",
                 cursor);
        it_response_t *r = expect(srv, &w, U_COORD_B, "GET", path, NULL, 200);
        const cJSON *item;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(r->json, "items")) {
            cr_assert_null(strstr(seen, str(item, "id")), "listed twice: %s", str(item, "id"));
            strcat(seen, str(item, "id"));
            items++;
        }
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(r->json, "next_cursor");
        cr_assert(cJSON_IsString(next) || cJSON_IsNull(next), "%s", r->body);
        snprintf(cursor, sizeof(cursor), "%s", cJSON_IsString(next) ? next->valuestring : "");
        it_response_free(r);
        pages++;
    } while (cursor[0] != '\0' && pages < 10);
    cr_assert_eq(items, 5);
    cr_assert_eq(pages, 3);

    /* The audit trail pages newest first with its own cursor. */
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof(path), "/v1/organisations/%s", w.id[O_B1]);
        char body[64];
        snprintf(body, sizeof(body), "{\"sector\":\"sector %d\"}", i);
        it_response_free(expect(srv, &w, U_COORD_B, "PATCH", path, body, 200));
    }
    int audit = 0;
    cursor[0] = '\0';
    seen[0] = '\0';
    do {
        snprintf(path, sizeof(path), "/v1/organisations/%s/audit-events?limit=2%s%s", w.id[O_B1],
                 cursor[0] ? "&cursor=" : "", cursor);
        it_response_t *r = expect(srv, &w, U_B1, "GET", path, NULL, 200);
        const cJSON *item;
        cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(r->json, "items")) {
            cr_assert_null(strstr(seen, str(item, "id")), "listed twice");
            strcat(seen, str(item, "id"));
            audit++;
        }
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(r->json, "next_cursor");
        snprintf(cursor, sizeof(cursor), "%s", cJSON_IsString(next) ? next->valuestring : "");
        it_response_free(r);
    } while (cursor[0] != '\0' && audit < 20);
    cr_assert_eq(audit, 5, "5 updates of organisation B1, each audited once");

    static const struct {
        const char *query, *code;
    } bad[] = {{"?limit=0", "invalid_body"},
               {"?limit=201", "invalid_body"},
               {"?limit=ten", "invalid_body"},
               {"?cursor=not%20a%20cursor", "invalid_body"},
               {"?cursor=abc", "invalid_cursor"}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "/v1/organisations%s", bad[i].query);
        it_response_t *r = world_call(srv, &w, U_COORD_B, "GET", path, NULL);
        it_assert_error(r, 400, bad[i].code);
        it_response_free(r);
    }
    it_response_free(expect(srv, &w, U_COORD_B, "GET", "/v1/organisations?limit=200", NULL, 200));
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(tenancy_api, me_shows_the_caller_and_their_roles_per_cluster) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    static const struct {
        int user;
        const char *roles;
        int enrolled;
    } cases[] = {{U_COORD_A, "coordinator", 0}, {U_COACH_A1, "coach", 0}, {U_A1, "", 1}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        it_response_t *r = expect(srv, &w, cases[i].user, "GET", "/v1/me", NULL, 200);
        const cJSON *clusters = cJSON_GetObjectItemCaseSensitive(r->json, "clusters");
        cr_assert_eq(cJSON_GetArraySize(clusters), 1, "%s: %s", world_names[cases[i].user],
                     r->body);
        const cJSON *c = cJSON_GetArrayItem(clusters, 0);
        cr_assert_str_eq(str(c, "cluster_id"), w.id[C_A]);
        char *roles = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "roles"));
        char want[64];
        snprintf(want, sizeof(want), cases[i].roles[0] ? "[\"%s\"]" : "[]%s", cases[i].roles);
        cr_assert_str_eq(roles, want);
        cJSON_free(roles);
        const cJSON *enrolment = cJSON_GetObjectItemCaseSensitive(c, "enrolment");
        cr_assert_eq(cJSON_IsObject(enrolment), cases[i].enrolled, "%s", r->body);
        cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(r->json, "user"), "id"),
                         w.id[cases[i].user]);
        it_response_free(r);
    }
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(tenancy_api, disabling_a_user_ends_their_sessions) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[128], own[128];
    snprintf(path, sizeof(path), "/v1/users/%s", w.id[U_A1B]);
    snprintf(own, sizeof(own), "/v1/users/%s", w.id[U_A1]);
    it_response_free(expect(srv, &w, U_A1B, "GET", "/v1/me", NULL, 200));
    /* Another tenant does not see the user; the coordinator and a colleague see but may not. */
    it_response_free(expect(srv, &w, U_A2, "PATCH", path, "{\"disabled\":true}", 404));
    it_response_t *r = expect(srv, &w, U_COORD_A, "PATCH", path, "{\"disabled\":true}", 403);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    it_response_free(expect(srv, &w, U_A1B, "PATCH", own, "{\"disabled\":true}", 403));
    it_response_free(expect(srv, &w, U_A1B, "PATCH", path, "{\"role\":\"admin\"}", 403));
    r = expect(srv, &w, U_A1, "PATCH", own, "{\"disabled\":true}", 422);
    it_assert_error(r, 422, "invalid_value");
    it_response_free(r);
    /* The organisation's administrator disables its user. */
    r = expect(srv, &w, U_A1, "PATCH", path, "{\"disabled\":true}", 200);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "disabled")), "%s", r->body);
    it_response_free(r);
    r = world_call(srv, &w, U_A1B, "GET", "/v1/me", NULL);
    it_assert_error(r, 401, "unauthenticated");
    it_response_free(r);
    /* Enabling the user again does not bring the revoked session back. */
    it_response_free(expect(srv, &w, U_A1, "PATCH", path, "{\"disabled\":false}", 200));
    r = world_call(srv, &w, U_A1B, "GET", "/v1/me", NULL);
    it_assert_error(r, 401, "unauthenticated");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Organisation names are unique per creating coordinator: another coordinator's choice of name is
 * not refused, so a refusal reveals nothing about other tenants. */
Test(tenancy_api, organisation_names_are_unique_per_coordinator_only) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char body[160];
    snprintf(body, sizeof(body), "{\"name\":\"Same name %s\",\"kind\":\"member\"}", w.id[C_A]);
    it_response_t *r = world_call(srv, &w, U_COORD_A, "POST", "/v1/organisations", body);
    cr_assert_eq(r->status, 201, "%s", r->body);
    it_response_free(r);
    r = world_call(srv, &w, U_COORD_B, "POST", "/v1/organisations", body);
    cr_assert_eq(r->status, 201, "another coordinator may use the name: %s", r->body);
    it_response_free(r);
    r = world_call(srv, &w, U_COORD_A, "POST", "/v1/organisations", body);
    it_assert_error(r, 409, "conflict");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}
