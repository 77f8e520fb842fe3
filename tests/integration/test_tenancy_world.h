/* A fixture for the tenancy integration tests: two clusters, each with its coordinating
 * organisation, member organisations, coaches from a consultancy and member staff, written through
 * the admin connection. Every user gets a session whose token the test chose (the database keeps
 * its SHA-256, as the server does), so no password is hashed. Names carry fresh UUIDs: the shared
 * test database keeps what earlier runs wrote, and the fixture never depends on it. */
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* Everything the fixture names. Organisations O_*, users U_*, clusters C_*, enrolments E_*,
 * staff roles S_*, coach assignments CA_*. */
enum {
    O_COORD_A,
    O_COORD_B,
    O_CONSULT_A,
    O_CONSULT_B,
    O_A1,
    O_A2,
    O_A3,
    O_B1,
    O_B2,
    O_B3,
    U_COORD_A,
    U_COORD_B,
    U_COACH_A1,
    U_COACH_A2,
    U_COACH_B1,
    U_A1,
    U_A1B,
    U_A2,
    U_B1,
    C_A,
    C_B,
    E_A1,
    E_A2,
    E_B1,
    E_B2,
    S_A_COORD,
    S_B_COORD,
    S_A_COACH1,
    S_A_COACH2,
    S_B_COACH1,
    CA_A1,
    CA_B1,
    W_COUNT
};

typedef struct world {
    char id[W_COUNT][37];
    char token[W_COUNT][80]; /* session tokens of the U_* entries */
    char auth[W_COUNT][112]; /* "Authorization: Bearer <token>" */
} world_t;

static const char *const world_names[W_COUNT] = {
    "O_COORD_A",  "O_COORD_B",  "O_CONSULT_A", "O_CONSULT_B", "O_A1",       "O_A2",
    "O_A3",       "O_B1",       "O_B2",        "O_B3",        "U_COORD_A",  "U_COORD_B",
    "U_COACH_A1", "U_COACH_A2", "U_COACH_B1",  "U_A1",        "U_A1B",      "U_A2",
    "U_B1",       "C_A",        "C_B",         "E_A1",        "E_A2",       "E_B1",
    "E_B2",       "S_A_COORD",  "S_B_COORD",   "S_A_COACH1",  "S_A_COACH2", "S_B_COACH1",
    "CA_A1",      "CA_B1"};

/* Runs `sql` with the world's ids as $1..$W_COUNT. */
static void world_exec(PGconn *admin, const world_t *w, const char *sql) {
    const char *params[W_COUNT];
    for (int i = 0; i < W_COUNT; i++)
        params[i] = w->id[i];
    PQclear(it_db_query(admin, sql, W_COUNT, params));
}

/* The parameter list is typed once so that every statement can use any id. */
#define WORLD_CASTS                                                                                \
    "WITH p AS (SELECT $1::uuid o_coord_a, $2::uuid o_coord_b, $3::uuid o_consult_a, "             \
    "$4::uuid o_consult_b, $5::uuid o_a1, $6::uuid o_a2, $7::uuid o_a3, $8::uuid o_b1, "           \
    "$9::uuid o_b2, $10::uuid o_b3, $11::uuid u_coord_a, $12::uuid u_coord_b, "                    \
    "$13::uuid u_coach_a1, $14::uuid u_coach_a2, $15::uuid u_coach_b1, $16::uuid u_a1, "           \
    "$17::uuid u_a1b, $18::uuid u_a2, $19::uuid u_b1, $20::uuid c_a, $21::uuid c_b, "              \
    "$22::uuid e_a1, $23::uuid e_a2, $24::uuid e_b1, $25::uuid e_b2, $26::uuid s_a_coord, "        \
    "$27::uuid s_b_coord, $28::uuid s_a_coach1, $29::uuid s_a_coach2, $30::uuid s_b_coach1, "      \
    "$31::uuid ca_a1, $32::uuid ca_b1) "

static const char world_orgs_sql[] = WORLD_CASTS
    "INSERT INTO isms.organisations (id, name, kind, employee_count, created_by_organisation_id) "
    "SELECT id, 'it tenancy ' || id, kind, emp, creator FROM p, LATERAL (VALUES "
    "(o_coord_a, 'coordinator', NULL::int, NULL::uuid), (o_coord_b, 'coordinator', NULL, NULL), "
    "(o_consult_a, 'consultancy', NULL, o_coord_a), (o_consult_b, 'consultancy', NULL, o_coord_b), "
    "(o_a1, 'member', 40, o_coord_a), (o_a2, 'member', 80, o_coord_a), (o_a3, 'member', 20, "
    "o_coord_a), "
    "(o_b1, 'member', 30, o_coord_b), (o_b2, 'member', 60, o_coord_b), (o_b3, 'member', 10, "
    "o_coord_b)"
    ") AS v(id, kind, emp, creator)";

static const char world_users_sql[] = WORLD_CASTS
    "INSERT INTO isms.users (id, organisation_id, email, display_name, password_changed_at, role, "
    "may_create_clusters) "
    "SELECT id, org, 'it-' || id || '@tenancy.example', name, now(), x.role, r = 'creator' "
    "FROM p, LATERAL (VALUES "
    "(u_coord_a, o_coord_a, 'Coordinator A', 'creator'), "
    "(u_coord_b, o_coord_b, 'Coordinator B', 'creator'), "
    "(u_coach_a1, o_consult_a, 'Coach A1', 'admin'), (u_coach_a2, o_consult_a, 'Coach A2', "
    "'staff'), "
    "(u_coach_b1, o_consult_b, 'Coach B1', 'admin'), (u_a1, o_a1, 'Member A1', 'admin'), "
    "(u_a1b, o_a1, 'Member A1 colleague', 'staff'), (u_a2, o_a2, 'Member A2', 'admin'), "
    "(u_b1, o_b1, 'Member B1', 'admin')"
    ") AS v(id, org, name, r), LATERAL (SELECT CASE r WHEN 'creator' THEN 'admin' ELSE r END) "
    "AS x(role)";

/* The trigger that makes a cluster's creator its coordinator reads app.user_id. */
static const char world_cluster_a_sql[] = WORLD_CASTS
    "INSERT INTO isms.clusters (id, name, coordinating_organisation_id, country, time_zone, "
    "start_date, target_end_date) SELECT c_a, 'it cluster A ' || c_a, o_coord_a, 'LU', "
    "'Europe/Luxembourg', '2025-01-06', '2026-06-30' FROM p";
static const char world_cluster_b_sql[] = WORLD_CASTS
    "INSERT INTO isms.clusters (id, name, coordinating_organisation_id, country, time_zone, "
    "start_date, target_end_date) SELECT c_b, 'it cluster B ' || c_b, o_coord_b, 'BE', "
    "'Europe/Brussels', '2025-02-03', '2026-06-30' FROM p";

static const char world_rest_sql[] = WORLD_CASTS
    ", s AS (UPDATE isms.cluster_staff SET id = CASE cluster_id WHEN (SELECT c_a FROM p) "
    "  THEN (SELECT s_a_coord FROM p) ELSE (SELECT s_b_coord FROM p) END "
    "  WHERE cluster_id IN ((SELECT c_a FROM p), (SELECT c_b FROM p)) RETURNING 1), "
    "st AS (INSERT INTO isms.cluster_staff (id, cluster_id, user_id, role) "
    "  SELECT s_a_coach1, c_a, u_coach_a1, 'coach' FROM p UNION ALL "
    "  SELECT s_a_coach2, c_a, u_coach_a2, 'coach' FROM p UNION ALL "
    "  SELECT s_b_coach1, c_b, u_coach_b1, 'coach' FROM p RETURNING 1), "
    "en AS (INSERT INTO isms.enrolments (id, cluster_id, organisation_id, status, employee_count, "
    "  admitted_at) SELECT id, cl, org, status, 10, CASE WHEN status = 'admitted' THEN now() END "
    "  FROM p, LATERAL (VALUES (e_a1, c_a, o_a1, 'admitted'), (e_a2, c_a, o_a2, 'applied'), "
    "  (e_b1, c_b, o_b1, 'admitted'), (e_b2, c_b, o_b2, 'applied')) AS v(id, cl, org, status) "
    "  RETURNING 1) "
    "SELECT (SELECT count(*) FROM s) + (SELECT count(*) FROM st) + (SELECT count(*) FROM en)";

static const char world_assign_sql[] = WORLD_CASTS
    "INSERT INTO isms.coach_assignments (id, cluster_id, organisation_id, enrolment_id, "
    "coach_user_id) SELECT ca_a1, c_a, o_a1, e_a1, u_coach_a1 FROM p UNION ALL "
    "SELECT ca_b1, c_b, o_b1, e_b1, u_coach_b1 FROM p";

/* Sessions for every user: token "it-tenancy-<user id>", valid for an hour. */
static const char world_sessions_sql[] =
    "INSERT INTO isms.sessions (user_id, organisation_id, token_hash, expires_at, idle_seconds) "
    "SELECT id, organisation_id, encode(sha256(convert_to('it-tenancy-' || id, 'UTF8')), 'hex'), "
    "now() + interval '1 hour', 3600 FROM isms.users WHERE id = ANY ($1::uuid[])";

static void world_build(PGconn *admin, world_t *w) {
    memset(w, 0, sizeof(*w));
    PGresult *ids =
        it_db_query(admin, "SELECT gen_random_uuid() FROM generate_series(1, 32)", 0, NULL);
    cr_assert_eq(PQntuples(ids), W_COUNT);
    for (int i = 0; i < W_COUNT; i++)
        snprintf(w->id[i], sizeof(w->id[i]), "%s", PQgetvalue(ids, i, 0));
    PQclear(ids);
    it_db_exec(admin, "BEGIN");
    world_exec(admin, w, world_orgs_sql);
    world_exec(admin, w, world_users_sql);
    const char *coord_a[] = {w->id[U_COORD_A]}, *coord_b[] = {w->id[U_COORD_B]};
    PQclear(it_db_query(admin, "SELECT set_config('app.user_id', $1, true)", 1, coord_a));
    world_exec(admin, w, world_cluster_a_sql);
    PQclear(it_db_query(admin, "SELECT set_config('app.user_id', $1, true)", 1, coord_b));
    world_exec(admin, w, world_cluster_b_sql);
    PQclear(it_db_query(admin, "SELECT set_config('app.user_id', '', true)", 0, NULL));
    world_exec(admin, w, world_rest_sql);
    world_exec(admin, w, world_assign_sql);
    char users[W_COUNT * 38 + 3] = "{";
    for (int u = U_COORD_A; u <= U_B1; u++) {
        strcat(users, w->id[u]);
        strcat(users, u < U_B1 ? "," : "}");
        char token[80];
        snprintf(token, sizeof(token), "it-tenancy-%s", w->id[u]);
        memcpy(w->token[u], token, sizeof(token));
        snprintf(w->auth[u], sizeof(w->auth[u]), "Authorization: Bearer %s", token);
    }
    const char *params[] = {users};
    PQclear(it_db_query(admin, world_sessions_sql, 1, params));
    it_db_exec(admin, "COMMIT");
}

/* Sends a request as `user` (-1: without a token). `body` may be NULL. */
static it_response_t *world_call(const it_server_t *srv, const world_t *w, int user,
                                 const char *method, const char *path, const char *body) {
    const char *headers[] = {user >= 0 ? w->auth[user] : NULL, NULL};
    return it_request(
        srv, &(it_request_t){.method = method, .path = path, .headers = headers, .body = body});
}

/* The fixture name of an id, or NULL when `s` names nothing of the fixture. */
static const char *world_name_of(const world_t *w, const char *s) {
    for (int i = 0; i < W_COUNT; i++)
        if (strcmp(w->id[i], s) == 0)
            return world_names[i];
    return NULL;
}

/* The set of fixture names of the "id" members of a page's items, sorted and comma-separated
 * ("?" for an id outside the fixture). */
static void world_item_names(const world_t *w, const cJSON *page, char *out, size_t outlen) {
    const char *names[64];
    size_t n = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(page, "items")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
        const char *name = cJSON_IsString(id) ? world_name_of(w, id->valuestring) : NULL;
        if (n < 64)
            names[n++] = name != NULL ? name : "?";
    }
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            const char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strncat(out, names[i], outlen - strlen(out) - 1);
        if (i + 1 < n)
            strncat(out, ",", outlen - strlen(out) - 1);
    }
}
