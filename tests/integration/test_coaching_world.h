/* A fixture for the coaching integration tests, written through the admin connection: cluster A
 * (2024) with a coordinator, two coaches from a consultancy (coach 1 assigned to A1, coach 2 to
 * A2), two admitted member organisations A1 and A2, and cluster B with its coordinator and member
 * B1. Every user gets a session whose token the test chose (the database keeps its SHA-256, like
 * the server), so no password is hashed. Ids are fresh UUIDs: the shared test database keeps what
 * earlier runs wrote, and nothing here depends on it. */
#pragma once
#include <stdio.h>
#include <string.h>

#include "harness.h"

enum {
    CW_O_COORD,
    CW_O_COORD_B,
    CW_O_CONSULT,
    CW_O_A1,
    CW_O_A2,
    CW_O_B1,
    CW_U_COORD,
    CW_U_COORD_B,
    CW_U_COACH1,
    CW_U_COACH2,
    CW_U_A1,
    CW_U_A2,
    CW_U_B1,
    CW_C_A,
    CW_C_B,
    CW_E_A1,
    CW_E_A2,
    CW_E_B1,
    CW_COUNT
};

typedef struct coaching_world {
    char id[CW_COUNT][37];
    char auth[CW_COUNT][128]; /* "Authorization: Bearer <token>" of the CW_U_* entries */
} coaching_world_t;

static void cw_exec(PGconn *admin, const coaching_world_t *w, const char *sql) {
    const char *params[CW_COUNT];
    for (int i = 0; i < CW_COUNT; i++)
        params[i] = w->id[i];
    PQclear(it_db_query(admin, sql, CW_COUNT, params));
}

/* Every statement types all CW_COUNT parameters once ($n is entry n - 1), so any may be used. */
#define CW_CASTS                                                                                   \
    "WITH p AS (SELECT $1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6::uuid, $7::uuid, "     \
    "$8::uuid, $9::uuid, $10::uuid, $11::uuid, $12::uuid, $13::uuid, $14::uuid, $15::uuid, "       \
    "$16::uuid, $17::uuid, $18::uuid) "

static const char cw_orgs_sql[] =
    CW_CASTS "INSERT INTO isms.organisations (id, name, kind, employee_count) VALUES "
             "($1::uuid, 'it coaching coord ' || $1, 'coordinator', NULL), "
             "($2::uuid, 'it coaching coord b ' || $2, 'coordinator', NULL), "
             "($3::uuid, 'it coaching consult ' || $3, 'consultancy', NULL), "
             "($4::uuid, 'it coaching a1 ' || $4, 'member', 10), "
             "($5::uuid, 'it coaching a2 ' || $5, 'member', 30), "
             "($6::uuid, 'it coaching b1 ' || $6, 'member', 5)";
static const char cw_users_sql[] = CW_CASTS
    "INSERT INTO isms.users (id, organisation_id, email, display_name, password_changed_at) "
    "SELECT u, o, 'it-' || u || '@coaching.example', n, now() FROM (VALUES "
    "($7::uuid, $1::uuid, 'Coordinator'), ($8::uuid, $2::uuid, 'Coordinator B'), "
    "($9::uuid, $3::uuid, 'Coach One'), ($10::uuid, $3::uuid, 'Coach Two'), "
    "($11::uuid, $4::uuid, 'Member A1'), ($12::uuid, $5::uuid, 'Member A2'), "
    "($13::uuid, $6::uuid, 'Member B1')) AS v(u, o, n)";
static const char cw_cluster_a_sql[] = CW_CASTS
    ", who AS (SELECT set_config('app.user_id', $7::text, true)) "
    "INSERT INTO isms.clusters (id, name, coordinating_organisation_id, country, time_zone, "
    "start_date, target_end_date) SELECT $14::uuid, 'it coaching A ' || $14, $1::uuid, 'LU', "
    "'Europe/Luxembourg', '2024-01-01', '2024-12-31' FROM who";
static const char cw_cluster_b_sql[] = CW_CASTS
    ", who AS (SELECT set_config('app.user_id', $8::text, true)) "
    "INSERT INTO isms.clusters (id, name, coordinating_organisation_id, country, time_zone, "
    "start_date, target_end_date) SELECT $15::uuid, 'it coaching B ' || $15, $2::uuid, 'LU', "
    "'Europe/Luxembourg', '2024-01-01', '2024-12-31' FROM who";
static const char cw_rest_sql[] = CW_CASTS
    ", st AS (INSERT INTO isms.cluster_staff (cluster_id, user_id, role) VALUES "
    "  ($14::uuid, $9::uuid, 'coach'), ($14::uuid, $10::uuid, 'coach') RETURNING 1), "
    "en AS (INSERT INTO isms.enrolments (id, cluster_id, organisation_id, status, employee_count, "
    "  admitted_at) VALUES ($16::uuid, $14::uuid, $4::uuid, 'admitted', 10, '2023-12-01'), "
    "  ($17::uuid, $14::uuid, $5::uuid, 'admitted', 30, '2023-12-01'), "
    "  ($18::uuid, $15::uuid, $6::uuid, 'admitted', 5, '2023-12-01') RETURNING 1), "
    "se AS (INSERT INTO isms.sessions (user_id, organisation_id, token_hash, expires_at, "
    "  idle_seconds) SELECT u.id, u.organisation_id, encode(sha256(convert_to('it-coaching-' || "
    "  u.id, 'UTF8')), 'hex'), now() + interval '1 hour', 3600 FROM isms.users u "
    "  WHERE u.id IN ($7::uuid, $8::uuid, $9::uuid, $10::uuid, $11::uuid, $12::uuid, $13::uuid) "
    "  RETURNING 1) "
    "SELECT (SELECT count(*) FROM st) + (SELECT count(*) FROM en) + (SELECT count(*) FROM se)";
/* Assignments after the enrolments exist (their foreign key needs the committed rows of `en`). */
static const char cw_assign_sql[] = CW_CASTS
    "INSERT INTO isms.coach_assignments (cluster_id, organisation_id, enrolment_id, coach_user_id) "
    "VALUES ($14::uuid, $4::uuid, $16::uuid, $9::uuid), ($14::uuid, $5::uuid, $17::uuid, "
    "$10::uuid)";

static void cw_build(PGconn *admin, coaching_world_t *w) {
    PGresult *r =
        it_db_query(admin, "SELECT gen_random_uuid()::text FROM generate_series(1, $1::int)", 1,
                    (const char *[]){"18"});
    cr_assert_eq(PQntuples(r), CW_COUNT);
    for (int i = 0; i < CW_COUNT; i++)
        snprintf(w->id[i], sizeof(w->id[i]), "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    it_db_exec(admin, "BEGIN");
    cw_exec(admin, w, cw_orgs_sql);
    cw_exec(admin, w, cw_users_sql);
    cw_exec(admin, w, cw_cluster_a_sql);
    cw_exec(admin, w, cw_cluster_b_sql);
    it_db_exec(admin, "SELECT set_config('app.user_id', '', true)");
    cw_exec(admin, w, cw_rest_sql);
    cw_exec(admin, w, cw_assign_sql);
    it_db_exec(admin, "COMMIT");
    for (int i = CW_U_COORD; i <= CW_U_B1; i++) {
        char id[37];
        memcpy(id, w->id[i], sizeof(id));
        snprintf(w->auth[i], sizeof(w->auth[i]), "Authorization: Bearer it-coaching-%s", id);
    }
}

/* A request as user `who` with an optional JSON body and extra header (may be NULL). */
static it_response_t *cw_call(const it_server_t *srv, const coaching_world_t *w, int who,
                              const char *method, const char *path, const char *body,
                              const char *header) {
    const char *headers[] = {w->auth[who], header, NULL};
    it_request_t req = {.method = method, .path = path, .headers = headers, .body = body};
    return it_request(srv, &req);
}

static long cw_json_int(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", name);
    return (long)v->valuedouble;
}

static const char *cw_json_str(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}
