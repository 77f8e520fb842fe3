/* A fixture for the progress integration tests, written through the admin connection: cluster A
 * (coordinator, one coach assigned to E1, admitted members M1, M2, M3) started eight weeks ago,
 * and cluster B (another coordinator, member M4). Every user gets a session whose token the test
 * chose, so no password is hashed. Ids are fresh UUIDs: the shared test database keeps what
 * earlier runs wrote, and the fixture never depends on it. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

enum {
    PW_ORG_COORD,
    PW_ORG_CONSULT,
    PW_ORG_M1,
    PW_ORG_M2,
    PW_ORG_M3,
    PW_ORG_M4,
    PW_ORG_COORD_B,
    PW_U_COORD, /* users: PW_U_COORD..PW_U_COORD_B */
    PW_U_COACH,
    PW_U_M1,
    PW_U_M2,
    PW_U_M3,
    PW_U_M4,
    PW_U_COORD_B,
    PW_CL_A,
    PW_CL_B,
    PW_E1,
    PW_E2,
    PW_E3,
    PW_E4,
    PW_COUNT
};

typedef struct pworld {
    char id[PW_COUNT][37];
    char auth[PW_COUNT][112]; /* "Authorization: Bearer <token>" of the users */
} pworld_t;

static const char *const pworld_names[PW_COUNT] = {
    "org coord",   "org consult", "org M1", "org M2", "org M3", "org M4", "org coord B",
    "coordinator", "coach",       "M1",     "M2",     "M3",     "M4",     "coordinator B",
    "cluster A",   "cluster B",   "E1",     "E2",     "E3",     "E4"};

/* The fixture in one transaction; %1$s.. are the ids in enum order. */
static const char pworld_sql[] =
    "BEGIN;"
    "INSERT INTO isms.organisations (id, name, kind) VALUES"
    " ('%1$s', 'it progress coord %1$s', 'coordinator'),"
    " ('%2$s', 'it progress consult %2$s', 'consultancy'),"
    " ('%3$s', 'it progress M1 %3$s', 'member'), ('%4$s', 'it progress M2 %4$s', 'member'),"
    " ('%5$s', 'it progress M3 %5$s', 'member'), ('%6$s', 'it progress M4 %6$s', 'member'),"
    " ('%7$s', 'it progress coord B %7$s', 'coordinator');"
    "INSERT INTO isms.users (id, organisation_id, email, display_name, password_changed_at) VALUES"
    " ('%8$s', '%1$s', 'it-%8$s@progress.example', 'Cora Coordinator', now()),"
    " ('%9$s', '%2$s', 'it-%9$s@progress.example', 'Carl Coach', now()),"
    " ('%10$s', '%3$s', 'it-%10$s@progress.example', 'Mia One', now()),"
    " ('%11$s', '%4$s', 'it-%11$s@progress.example', 'Max Two', now()),"
    " ('%12$s', '%5$s', 'it-%12$s@progress.example', 'Mo Three', now()),"
    " ('%13$s', '%6$s', 'it-%13$s@progress.example', 'Oz Four', now()),"
    " ('%14$s', '%7$s', 'it-%14$s@progress.example', 'Bea Coordinator', now());"
    "SELECT set_config('app.user_id', '%8$s', true);"
    "INSERT INTO isms.clusters (id, name, coordinating_organisation_id, country, time_zone,"
    " start_date, target_end_date) VALUES ('%15$s', 'it progress A %15$s', '%1$s', 'LU',"
    " 'Europe/Luxembourg', current_date - 56, current_date + 300);"
    "SELECT set_config('app.user_id', '%14$s', true);"
    "INSERT INTO isms.clusters (id, name, coordinating_organisation_id, country, time_zone,"
    " start_date, target_end_date) VALUES ('%16$s', 'it progress B %16$s', '%7$s', 'LU',"
    " 'Europe/Luxembourg', current_date - 56, current_date + 300);"
    "SELECT set_config('app.user_id', '', true);"
    "INSERT INTO isms.cluster_staff (cluster_id, user_id, role) VALUES ('%15$s', '%9$s', 'coach');"
    "INSERT INTO isms.enrolments (id, cluster_id, organisation_id, status, employee_count,"
    " admitted_at) VALUES ('%17$s', '%15$s', '%3$s', 'admitted', 10, now()),"
    " ('%18$s', '%15$s', '%4$s', 'admitted', 20, now()),"
    " ('%19$s', '%15$s', '%5$s', 'admitted', 30, now()),"
    " ('%20$s', '%16$s', '%6$s', 'admitted', 40, now());"
    "INSERT INTO isms.coach_assignments (cluster_id, organisation_id, enrolment_id, coach_user_id)"
    " VALUES ('%15$s', '%3$s', '%17$s', '%9$s');"
    "INSERT INTO isms.sessions (user_id, organisation_id, token_hash, expires_at, idle_seconds)"
    " SELECT id, organisation_id, encode(sha256(convert_to('it-progress-' || id, 'UTF8')), 'hex'),"
    " now() + interval '1 hour', 3600 FROM isms.users"
    " WHERE id IN ('%8$s', '%9$s', '%10$s', '%11$s', '%12$s', '%13$s', '%14$s');"
    "COMMIT;";

static inline void pworld_build(PGconn *admin, pworld_t *w) {
    memset(w, 0, sizeof(*w));
    PGresult *ids =
        it_db_query(admin, "SELECT gen_random_uuid() FROM generate_series(1, 20)", 0, NULL);
    cr_assert_eq(PQntuples(ids), PW_COUNT);
    for (int i = 0; i < PW_COUNT; i++)
        snprintf(w->id[i], sizeof(w->id[i]), "%s", PQgetvalue(ids, i, 0));
    PQclear(ids);
    for (int u = PW_U_COORD; u <= PW_U_COORD_B; u++) {
        char id[37];
        memcpy(id, w->id[u], sizeof(id));
        snprintf(w->auth[u], sizeof(w->auth[u]), "Authorization: Bearer it-progress-%s", id);
    }
    char sql[sizeof(pworld_sql) + 80 * 37];
    const char(*v)[37] = w->id;
    snprintf(sql, sizeof(sql), pworld_sql, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8],
             v[9], v[10], v[11], v[12], v[13], v[14], v[15], v[16], v[17], v[18], v[19]);
    it_db_exec(admin, sql);
}

/* Sends a request as `user` (-1: without a token); `body` may be NULL. */
static inline it_response_t *pw_call(const it_server_t *srv, const pworld_t *w, int user,
                                     const char *method, const char *path, const char *body) {
    const char *headers[] = {user >= 0 ? w->auth[user] : NULL, NULL};
    return it_request(
        srv, &(it_request_t){.method = method, .path = path, .headers = headers, .body = body});
}

/* Sends and asserts the status; returns the response (the caller frees it). */
static inline it_response_t *pw_expect(const it_server_t *srv, const pworld_t *w, int user,
                                       const char *method, const char *path, const char *body,
                                       int status) {
    it_response_t *r = pw_call(srv, w, user, method, path, body);
    cr_assert_eq(r->status, status, "%s %s %s: expected %d, got %d %s",
                 user >= 0 ? pworld_names[user] : "anonymous", method, path, status, r->status,
                 r->body);
    return r;
}

/* Asserts the error answer `status`/`code` (the project's error shape). */
static inline void pw_expect_error(const it_server_t *srv, const pworld_t *w, int user,
                                   const char *method, const char *path, const char *body,
                                   int status, const char *code) {
    it_response_t *r = pw_call(srv, w, user, method, path, body);
    it_assert_error(r, status, code);
    it_response_free(r);
}

/* |a - b| < 0.01, for the percentages of the summaries. */
#define pw_near(a, b) ((a) - (b) < 0.01 && (b) - (a) < 0.01)

/* Asserts a 400/422/409 error whose "field" member is `field`. */
static inline void pw_expect_field(const it_server_t *srv, const pworld_t *w, int user,
                                   const char *method, const char *path, const char *body,
                                   int status, const char *code, const char *field) {
    it_response_t *r = pw_call(srv, w, user, method, path, body);
    it_assert_error(r, status, code);
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(r->json, "error"), "field");
    cr_assert(cJSON_IsString(f) && strcmp(f->valuestring, field) == 0,
              "%s %s: expected field %s, got %s", method, path, field, r->body);
    it_response_free(r);
}

/* A path under an id: pw_path(buf, "/v1/enrolments/%s/progress", w->id[PW_E1]). */
#define pw_path(buf, fmt, id) snprintf((buf), sizeof(buf), (fmt), (id))

/* Member `name` of a JSON object, as a string or number text (static buffer), or NULL. */
static inline const char *pw_str(const cJSON *obj, const char *name) {
    static char num[64];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (cJSON_IsString(v))
        return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(num, sizeof(num), "%g", v->valuedouble);
        return num;
    }
    if (cJSON_IsBool(v))
        return cJSON_IsTrue(v) ? "true" : "false";
    return NULL;
}

/* The first element of `array` whose member `key` equals `value`, or NULL. */
static inline const cJSON *pw_find(const cJSON *array, const char *key, const char *value) {
    const cJSON *item;
    cJSON_ArrayForEach(item, array) {
        const char *v = pw_str(item, key);
        if (v != NULL && strcmp(v, value) == 0)
            return item;
    }
    return NULL;
}
