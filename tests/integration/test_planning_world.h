/* A fixture for the planning integration tests, written through the admin connection with fresh
 * ids (the shared test database keeps what earlier runs wrote): cluster C1 (coordinator U_COORD,
 * trainer U_TRAINER, coach U_COACH, members O_A and O_B admitted, gap-analysis estimates 6 and 4
 * coaching half-days) and cluster C2 of another coordinator, whose organisation O_C shares the same
 * trainer and coach. Every user gets a session with a token the test chose. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

enum {
    O_COORD,
    O_COORD2,
    O_CONSULT,
    O_A,
    O_B,
    O_C,
    U_COORD,
    U_COORD2,
    U_TRAINER,
    U_COACH,
    U_A,
    U_B,
    U_C,
    C1,
    C2,
    E_A,
    E_B,
    E_C,
    PW_COUNT
};

typedef struct pworld {
    char id[PW_COUNT][37];
    char auth[PW_COUNT][112];
    char start[11];
} pworld_t;

#define PW_CASTS                                                                                   \
    "WITH p AS (SELECT $1::uuid o_coord, $2::uuid o_coord2, $3::uuid o_consult, $4::uuid o_a, "    \
    "$5::uuid o_b, $6::uuid o_c, $7::uuid u_coord, $8::uuid u_coord2, $9::uuid u_trainer, "        \
    "$10::uuid u_coach, $11::uuid u_a, $12::uuid u_b, $13::uuid u_c, $14::uuid c1, $15::uuid c2, " \
    "$16::uuid e_a, $17::uuid e_b, $18::uuid e_c, $19::date start) "

static const char pw_people_sql[] = PW_CASTS
    ", o AS (INSERT INTO isms.organisations (id, name, kind, employee_count, "
    "created_by_organisation_id) SELECT id, 'it planning ' || name || ' ' || id, kind, 10, creator "
    "FROM p, LATERAL (VALUES (o_coord, 'coordination', 'coordinator', NULL::uuid), "
    "(o_coord2, 'coordination 2', 'coordinator', NULL), (o_consult, 'consulting', 'consultancy', "
    "o_coord), (o_a, 'Org A', 'member', o_coord), (o_b, 'Org B', 'member', o_coord), "
    "(o_c, 'Org C', 'member', o_coord2)) AS v(id, name, kind, creator) RETURNING 1) "
    "SELECT count(*) FROM o";

static const char pw_users_sql[] = PW_CASTS
    "INSERT INTO isms.users (id, organisation_id, email, display_name, password_changed_at) "
    "SELECT id, org, 'it-planning-' || id || '@planning.example', name, now() FROM p, LATERAL "
    "(VALUES (u_coord, o_coord, 'Coordinator'), (u_coord2, o_coord2, 'Coordinator 2'), "
    "(u_trainer, o_coord, 'Trainer Tom'), (u_coach, o_consult, 'Coach Carla'), "
    "(u_a, o_a, 'Anna of A'), (u_b, o_b, 'Bob of B'), (u_c, o_c, 'Cleo of C')) AS v(id, org, name)";

static const char pw_cluster_sql[] = PW_CASTS
    "INSERT INTO isms.clusters (id, name, coordinating_organisation_id, country, time_zone, "
    "start_date, target_end_date) SELECT CASE WHEN current_setting('app.user_id') = u_coord::text "
    "THEN c1 ELSE c2 END, 'it planning cluster ' || gen_random_uuid(), CASE WHEN "
    "current_setting('app.user_id') = u_coord::text THEN o_coord ELSE o_coord2 END, 'LU', "
    "'Europe/Luxembourg', start, start + 263 FROM p";

static const char pw_rest_sql[] = PW_CASTS
    ", st AS (INSERT INTO isms.cluster_staff (cluster_id, user_id, role) "
    "  SELECT c1, u_trainer, 'trainer' FROM p UNION ALL SELECT c1, u_coach, 'coach' FROM p "
    "  UNION ALL SELECT c2, u_trainer, 'trainer' FROM p UNION ALL SELECT c2, u_coach, 'coach' "
    "  FROM p RETURNING 1), "
    "en AS (INSERT INTO isms.enrolments (id, cluster_id, organisation_id, status, employee_count, "
    "  management_commitment_by, management_commitment_at, human_resources_confirmed, "
    "  financial_resources_confirmed, admitted_at) SELECT id, cl, org, 'admitted', 10, 'CEO', "
    "  start - 30, true, true, now() FROM p, LATERAL (VALUES (e_a, c1, o_a), (e_b, c1, o_b), "
    "  (e_c, c2, o_c)) AS v(id, cl, org) RETURNING 1) "
    "SELECT (SELECT count(*) FROM st) + (SELECT count(*) FROM en)";

static const char pw_assign_sql[] = PW_CASTS
    ", a AS (INSERT INTO isms.coach_assignments (cluster_id, organisation_id, enrolment_id, "
    "  coach_user_id) SELECT cl, org, e, u_coach FROM p, LATERAL (VALUES (c1, o_a, e_a), "
    "  (c1, o_b, e_b), (c2, o_c, e_c)) AS v(cl, org, e) RETURNING 1), "
    "g AS (INSERT INTO isms.gap_analyses (cluster_id, organisation_id, enrolment_id, framework_id, "
    "  estimated_coaching_half_days) SELECT c1, org, e, (SELECT id FROM isms.frameworks "
    "  WHERE is_default), est FROM p, LATERAL (VALUES (o_a, e_a, 6), (o_b, e_b, 4)) "
    "  AS v(org, e, est) RETURNING 1) "
    "SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM g)";

static const char pw_sessions_sql[] =
    "INSERT INTO isms.sessions (user_id, organisation_id, token_hash, expires_at, idle_seconds) "
    "SELECT id, organisation_id, encode(sha256(convert_to('it-planning-' || id, 'UTF8')), 'hex'), "
    "now() + interval '1 hour', 3600 FROM isms.users WHERE id = ANY ($1::uuid[])";

static void pw_exec(PGconn *admin, const pworld_t *w, const char *sql) {
    const char *params[PW_COUNT + 1];
    for (int i = 0; i < PW_COUNT; i++)
        params[i] = w->id[i];
    params[PW_COUNT] = w->start;
    PQclear(it_db_query(admin, sql, PW_COUNT + 1, params));
}

/* Builds the world with clusters starting on `start` (a Monday, YYYY-MM-DD). */
static void pw_build(PGconn *admin, pworld_t *w, const char *start) {
    memset(w, 0, sizeof(*w));
    snprintf(w->start, sizeof(w->start), "%s", start);
    PGresult *ids =
        it_db_query(admin, "SELECT gen_random_uuid() FROM generate_series(1, 18)", 0, NULL);
    for (int i = 0; i < PW_COUNT; i++)
        snprintf(w->id[i], sizeof(w->id[i]), "%s", PQgetvalue(ids, i, 0));
    PQclear(ids);
    it_db_exec(admin, "BEGIN");
    pw_exec(admin, w, pw_people_sql);
    pw_exec(admin, w, pw_users_sql);
    const char *coord[] = {w->id[U_COORD]}, *coord2[] = {w->id[U_COORD2]};
    PQclear(it_db_query(admin, "SELECT set_config('app.user_id', $1, true)", 1, coord));
    pw_exec(admin, w, pw_cluster_sql);
    PQclear(it_db_query(admin, "SELECT set_config('app.user_id', $1, true)", 1, coord2));
    pw_exec(admin, w, pw_cluster_sql);
    PQclear(it_db_query(admin, "SELECT set_config('app.user_id', '', true)", 0, NULL));
    pw_exec(admin, w, pw_rest_sql);
    pw_exec(admin, w, pw_assign_sql);
    char users[PW_COUNT * 38 + 3] = "{";
    for (int u = U_COORD; u <= U_C; u++) {
        strcat(users, w->id[u]);
        strcat(users, u < U_C ? "," : "}");
        char id[37];
        memcpy(id, w->id[u], sizeof(id));
        snprintf(w->auth[u], sizeof(w->auth[u]), "Authorization: Bearer it-planning-%s", id);
    }
    const char *params[] = {users};
    PQclear(it_db_query(admin, pw_sessions_sql, 1, params));
    it_db_exec(admin, "COMMIT");
}

/* Sends a request as `user` (-1: anonymous); `path` is a printf format. */
static it_response_t *pw_call(const it_server_t *srv, const pworld_t *w, int user,
                              const char *method, const char *body, const char *path, ...)
    __attribute__((format(printf, 6, 7)));
static it_response_t *pw_call(const it_server_t *srv, const pworld_t *w, int user,
                              const char *method, const char *body, const char *path, ...) {
    char full[512];
    va_list ap;
    va_start(ap, path);
    vsnprintf(full, sizeof(full), path, ap);
    va_end(ap);
    const char *headers[] = {user >= 0 ? w->auth[user] : NULL, NULL};
    return it_request(
        srv, &(it_request_t){.method = method, .path = full, .headers = headers, .body = body});
}

static const char *pw_str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int pw_int(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", name);
    return v->valueint;
}

/* Previews and applies C1's plan as its coordinator; returns the applied plan version. */
static void pw_plan_and_apply(const it_server_t *srv, const pworld_t *w, char version[40]) {
    it_response_t *r = pw_call(srv, w, U_COORD, "POST", NULL, "/v1/clusters/%s/plan", w->id[C1]);
    cr_assert_eq(r->status, 200, "preview: %s", r->body);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "feasible")), "%s", r->body);
    snprintf(version, 40, "%s", pw_str(r->json, "plan_version"));
    it_response_free(r);
    char body[80];
    snprintf(body, sizeof(body), "{\"plan_version\":\"%s\"}", version);
    r = pw_call(srv, w, U_COORD, "POST", body, "/v1/clusters/%s/plan/apply", w->id[C1]);
    cr_assert_eq(r->status, 200, "apply: %s", r->body);
    it_response_free(r);
}

/* The id of C1's first live session of module `key` (part 1). */
static void pw_session_of(PGconn *admin, const pworld_t *w, const char *key, char out[40],
                          char date[11]) {
    const char *params[] = {w->id[C1], key};
    PGresult *r = it_db_query(admin,
                              "SELECT id, session_date FROM isms.training_sessions WHERE "
                              "cluster_id = $1 AND module_key = $2 AND part = 1 AND status <> "
                              "'cancelled'",
                              2, params);
    cr_assert_eq(PQntuples(r), 1, "no live session of %s", key);
    snprintf(out, 40, "%s", PQgetvalue(r, 0, 0));
    if (date != NULL)
        snprintf(date, 11, "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
}
