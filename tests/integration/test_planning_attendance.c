/* Registrations and attendance through the real server: each organisation registers its
 * participants (two per training, fewer flagged), presence is recorded by the trainer once the
 * session has taken place, the attendance report per organisation, and training_attendance() that
 * the cost split reads. */
#include <stdarg.h>

#include "test_planning_world.h"

TestSuite(planning_attendance, .fini = it_teardown);

static const cJSON *item(const cJSON *o, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* The per-organisation line of a registrations answer. */
static const cJSON *org_line(const cJSON *doc, const char *org) {
    const cJSON *o;
    cJSON_ArrayForEach(o, item(doc, "organisations")) {
        if (strcmp(pw_str(o, "organisation_id"), org) == 0)
            return o;
    }
    return NULL;
}

Test(planning_attendance, registers_flags_fewer_than_two_and_records_presence) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pw_build(admin, &w, "2029-01-08");
    it_server_t *srv = it_server_start(NULL);
    char version[40], scope[40];
    pw_plan_and_apply(srv, &w, version);
    pw_session_of(admin, &w, "scope_policy_assets", scope, NULL);

    char body[200];
    snprintf(body, sizeof(body), "{\"participant_user_id\":\"%s\"}", w.id[U_A]);
    it_response_t *r =
        pw_call(srv, &w, U_A, "POST", body, "/v1/training-sessions/%s/registrations", scope);
    cr_assert_eq(r->status, 201, "%s", r->body);
    cr_assert_str_eq(pw_str(r->json, "participant_name"), "Anna of A");
    char first[40];
    snprintf(first, sizeof(first), "%s", pw_str(r->json, "id"));
    it_response_free(r);
    r = pw_call(srv, &w, U_A, "GET", NULL, "/v1/training-sessions/%s/registrations", scope);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsTrue(item(org_line(r->json, w.id[O_A]), "below_target")), "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_A, "POST", "{\"participant_name\":\"Ben (backup)\"}",
                "/v1/training-sessions/%s/registrations", scope);
    cr_assert_eq(r->status, 201, "%s", r->body);
    char second[40];
    snprintf(second, sizeof(second), "%s", pw_str(r->json, "id"));
    it_response_free(r);
    r = pw_call(srv, &w, U_A, "POST", "{\"participant_name\":\"ben (BACKUP)\"}",
                "/v1/training-sessions/%s/registrations", scope);
    it_assert_error(r, 409, "already_registered");
    it_response_free(r);
    /* Another organisation registers for itself, and sees only its own people. */
    r = pw_call(srv, &w, U_B, "POST", "{\"participant_name\":\"Bea\"}",
                "/v1/training-sessions/%s/registrations", scope);
    cr_assert_eq(r->status, 201, "%s", r->body);
    it_response_free(r);
    snprintf(body, sizeof(body), "{\"organisation_id\":\"%s\",\"participant_name\":\"X\"}",
             w.id[O_A]);
    r = pw_call(srv, &w, U_B, "POST", body, "/v1/training-sessions/%s/registrations", scope);
    cr_assert(r->status == 403 || r->status == 422, "%d %s", r->status, r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_B, "GET", NULL, "/v1/training-sessions/%s/registrations", scope);
    cr_assert_eq(cJSON_GetArraySize(item(r->json, "items")), 1, "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_COORD, "GET", NULL, "/v1/training-sessions/%s/registrations", scope);
    cr_assert_eq(cJSON_GetArraySize(item(r->json, "items")), 3, "%s", r->body);
    cr_assert(cJSON_IsFalse(item(org_line(r->json, w.id[O_A]), "below_target")));
    cr_assert(cJSON_IsTrue(item(org_line(r->json, w.id[O_B]), "below_target")));
    it_response_free(r);

    /* Presence is recorded after the session only. */
    r = pw_call(srv, &w, U_TRAINER, "PUT", "{\"attended\":true}", "/v1/registrations/%s/attendance",
                first);
    it_assert_error(r, 409, "not_yet_held");
    it_response_free(r);
    const char *ids[] = {scope};
    PQclear(it_db_query(admin,
                        "UPDATE isms.training_sessions SET session_date = current_date - 7, "
                        "status = 'confirmed' WHERE id = $1",
                        1, ids));
    r = pw_call(srv, &w, U_COORD, "POST", NULL, "/v1/training-sessions/%s/complete", scope);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    r = pw_call(srv, &w, U_A, "PUT", "{\"attended\":true}", "/v1/registrations/%s/attendance",
                first);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = pw_call(srv, &w, U_TRAINER, "PUT", "{\"attended\":true}", "/v1/registrations/%s/attendance",
                first);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsTrue(item(r->json, "attended")));
    it_response_free(r);
    r = pw_call(srv, &w, U_TRAINER, "PUT", "{\"attended\":\"yes\"}",
                "/v1/registrations/%s/attendance", second);
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);

    /* The report: evidence for clauses 7.2 and 7.3. */
    r = pw_call(srv, &w, U_A, "GET", NULL, "/v1/enrolments/%s/attendance-report", w.id[E_A]);
    cr_assert_eq(r->status, 200, "%s", r->body);
    const cJSON *totals = item(r->json, "totals");
    cr_assert_eq(pw_int(totals, "sessions"), 12);
    cr_assert_eq(pw_int(totals, "half_days"), 13);
    cr_assert_eq(pw_int(totals, "half_days_attended"), 1);
    cr_assert_eq(pw_int(totals, "sessions_below_target"), 11);
    cr_assert(strstr(pw_str(r->json, "evidence"), "7.2") != NULL);
    it_response_free(r);
    r = pw_call(srv, &w, U_B, "GET", NULL, "/v1/enrolments/%s/attendance-report", w.id[E_A]);
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    const char *cluster[] = {w.id[C1], w.id[E_A]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT attended_half_days::int FROM isms.training_attendance($1) "
                            "WHERE enrolment_id = $2",
                            2, cluster),
                 1);
    cr_assert_eq(it_db_long(admin,
                            "SELECT planned_half_days::int FROM isms.training_attendance($1) "
                            "WHERE enrolment_id = $2",
                            2, cluster),
                 1);

    /* A recorded registration stays as evidence; an unrecorded one can be withdrawn. */
    r = pw_call(srv, &w, U_A, "DELETE", NULL, "/v1/registrations/%s", first);
    it_assert_error(r, 409, "attendance_recorded");
    it_response_free(r);
    r = pw_call(srv, &w, U_A, "DELETE", NULL, "/v1/registrations/%s", second);
    cr_assert_eq(r->status, 204, "%s", r->body);
    it_response_free(r);
    /* Registrations close once the session is done. */
    r = pw_call(srv, &w, U_A, "POST", "{\"participant_name\":\"Late\"}",
                "/v1/training-sessions/%s/registrations", scope);
    it_assert_error(r, 409, "session_closed");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}
