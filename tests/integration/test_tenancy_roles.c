/* Authorization by role (issue: roles of people, not kinds of organisations): a member
 * organisation's administrators manage its users; a coordinator invites only the first
 * administrator and may ask for a new one; a trainer of the coordinating organisation acts as
 * nothing more than a trainer; an e-mail address of another tenant is invited like any other. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"
#include "test_tenancy_world.h"

static const char *str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static it_response_t *expect(const it_server_t *srv, const world_t *w, int user, const char *method,
                             const char *path, const char *body, int status) {
    it_response_t *r = world_call(srv, w, user, method, path, body);
    cr_assert_eq(r->status, status, "%s %s %s: %d %s", world_names[user], method, path, r->status,
                 r->body);
    return r;
}

/* A trainer of cluster A who is an ordinary user of the coordinating organisation A. */
typedef struct trainer {
    char id[40];
    char auth[128];
} trainer_t;

/* Other tests write users into the shared database at the same time: count the world's only. */
#define USERS_OF_ORGS "SELECT count(*) FROM isms.users WHERE organisation_id IN ($1, $2)"

static void add_trainer(PGconn *admin, const world_t *w, trainer_t *t) {
    const char *params[] = {w->id[O_COORD_A], w->id[C_A]};
    PGresult *r = it_db_query(
        admin,
        "WITH u AS (INSERT INTO isms.users (organisation_id, email, display_name, "
        "  password_changed_at) SELECT $1, 'it-trainer-' || gen_random_uuid() || "
        "  '@tenancy.example', 'Trainer A', now() RETURNING id, organisation_id), "
        "s AS (INSERT INTO isms.cluster_staff (cluster_id, user_id, role) "
        "  SELECT $2, id, 'trainer' FROM u), "
        "t AS (INSERT INTO isms.sessions (user_id, organisation_id, token_hash, expires_at, "
        "  idle_seconds) SELECT id, organisation_id, encode(sha256(convert_to('it-tenancy-' || "
        "  id, 'UTF8')), 'hex'), now() + interval '1 hour', 3600 FROM u) SELECT id FROM u",
        2, params);
    snprintf(t->id, sizeof(t->id), "%s", PQgetvalue(r, 0, 0));
    snprintf(t->auth, sizeof(t->auth), "Authorization: Bearer it-tenancy-%s", t->id);
    PQclear(r);
}

static it_response_t *as_trainer(const it_server_t *srv, const trainer_t *t, const char *method,
                                 const char *path, const char *body) {
    const char *headers[] = {t->auth, NULL};
    return it_request(
        srv, &(it_request_t){.method = method, .path = path, .headers = headers, .body = body});
}

static const char *invite_body(char *out, size_t len, const char *email, const char *role) {
    if (role != NULL)
        snprintf(out, len, "{\"email\":\"%s\",\"display_name\":\"Invited\",\"role\":\"%s\"}", email,
                 role);
    else
        snprintf(out, len, "{\"email\":\"%s\",\"display_name\":\"Invited\"}", email);
    return out;
}

Test(tenancy_roles, a_coordinator_invites_only_the_first_administrator) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[128], body[256], email[128];
    /* O_A3 was created by coordinator A's organisation and has no user yet. */
    snprintf(path, sizeof(path), "/v1/organisations/%s/users", w.id[O_A3]);
    snprintf(email, sizeof(email), "first-admin-%s@tenancy.example", w.id[O_A3]);
    it_response_t *r = expect(srv, &w, U_COORD_A, "POST", path,
                              invite_body(body, sizeof(body), email, "staff"), 403);
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = expect(srv, &w, U_COORD_A, "POST", path, invite_body(body, sizeof(body), email, NULL), 201);
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(r->json, "user");
    cr_assert_str_eq(str(user, "role"), "admin", "%s", r->body);
    cr_assert_str_eq(str(user, "email"), email);
    it_response_free(r);
    /* O_A1 has an active administrator: the coordinator may only ask for a new one. */
    snprintf(path, sizeof(path), "/v1/organisations/%s/users", w.id[O_A1]);
    snprintf(email, sizeof(email), "second-admin-%s@tenancy.example", w.id[O_A1]);
    r = expect(srv, &w, U_COORD_A, "POST", path, invite_body(body, sizeof(body), email, NULL), 409);
    it_assert_error(r, 409, "administrator_exists");
    it_response_free(r);
    /* The member's staff may not invite; another tenant does not see the organisation. */
    it_response_free(
        expect(srv, &w, U_A1B, "POST", path, invite_body(body, sizeof(body), email, NULL), 403));
    it_response_free(
        expect(srv, &w, U_B1, "POST", path, invite_body(body, sizeof(body), email, NULL), 404));
    /* The member's administrator invites (staff by default), and the organisation's trail says so.
     */
    r = expect(srv, &w, U_A1, "POST", path, invite_body(body, sizeof(body), email, NULL), 201);
    cr_assert_str_eq(str(cJSON_GetObjectItemCaseSensitive(r->json, "user"), "role"), "staff");
    it_response_free(r);
    const char *params[] = {w.id[O_A1], w.id[U_A1]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.audit_events WHERE organisation_id = $1 "
                            "AND action = 'user_invite' AND user_id = $2",
                            2, params),
                 1);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(tenancy_roles, a_trainer_of_the_coordinating_organisation_is_no_coordinator) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    trainer_t t;
    add_trainer(admin, &w, &t);
    it_server_t *srv = it_server_start(NULL);
    char path[160], body[256];
    const char *orgs[] = {w.id[O_A1], w.id[O_COORD_A]};
    long users_before = it_db_long(admin, USERS_OF_ORGS, 2, orgs);
    static const struct {
        const char *method, *format;
        int id, status;
        const char *body;
    } cases[] = {
        {"POST", "/v1/organisations/%s/users", O_A1, 404,
         "{\"email\":\"trainer-probe@tenancy.example\",\"display_name\":\"x\"}"},
        {"GET", "/v1/organisations/%s/users", O_A1, 404, NULL},
        {"PATCH", "/v1/users/%s", U_A1, 404, "{\"disabled\":true}"},
        {"PATCH", "/v1/users/%s", U_COORD_A, 403, "{\"disabled\":true}"},
        {"PATCH", "/v1/organisations/%s", O_A1, 404, "{\"name\":\"Renamed by a trainer\"}"},
        {"PATCH", "/v1/organisations/%s", O_COORD_A, 403, "{\"name\":\"Renamed by a trainer\"}"},
        {"GET", "/v1/organisations/%s/unavailability", O_A1, 404, NULL},
        {"POST", "/v1/clusters/%s/enrolments", C_A, 403, NULL},
        {"GET", "/v1/clusters/%s/coaching-rates", C_A, 403, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(path, sizeof(path), cases[i].format, w.id[cases[i].id]);
        const char *b = cases[i].body;
        if (b == NULL && strcmp(cases[i].method, "POST") == 0) {
            snprintf(body, sizeof(body), "{\"organisation_id\":\"%s\"}", w.id[O_A3]);
            b = body;
        }
        it_response_t *r = as_trainer(srv, &t, cases[i].method, path, b);
        cr_expect_eq(r->status, cases[i].status, "%s %s: %d %s", cases[i].method, cases[i].format,
                     r->status, r->body);
        it_response_free(r);
    }
    /* The trainer sees its own organisation only, not those its organisation created. */
    it_response_t *r = as_trainer(srv, &t, "GET", "/v1/organisations?limit=200", NULL);
    char names[256];
    world_item_names(&w, r->json, names, sizeof(names));
    cr_assert_str_eq(names, "O_COORD_A", "%s", r->body);
    it_response_free(r);
    r = as_trainer(srv, &t, "POST", "/v1/organisations",
                   "{\"name\":\"Trainer's own\",\"kind\":\"member\"}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    r = as_trainer(srv, &t, "POST", "/v1/clusters",
                   "{\"name\":\"Trainer's cluster\",\"country\":\"LU\",\"time_zone\":"
                   "\"Europe/Luxembourg\",\"start_date\":\"2025-01-06\",\"target_end_date\":"
                   "\"2026-01-06\"}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    cr_assert_eq(it_db_long(admin, USERS_OF_ORGS, 2, orgs), users_before,
                 "the trainer made a user");
    const char *params[] = {w.id[U_A1], w.id[U_COORD_A]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.users WHERE id IN ($1, $2) AND disabled", 2,
                            params),
                 0);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Inviting an address that is another tenant's login answers like any fresh address (the same
 * status and the same members); the address becomes a login only on acceptance, which then
 * fails like an unknown invitation. Within one organisation a repeated address is a conflict. */
Test(tenancy_roles, an_address_of_another_tenant_is_invited_like_any_other) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[128], body[256], fresh_email[128], taken[128], colleague[128];
    snprintf(path, sizeof(path), "/v1/organisations/%s/users", w.id[O_A1]);
    snprintf(fresh_email, sizeof(fresh_email), "fresh-%s@tenancy.example", w.id[O_A1]);
    snprintf(taken, sizeof(taken), "it-%s@tenancy.example", w.id[U_B1]);
    snprintf(colleague, sizeof(colleague), "it-%s@tenancy.example", w.id[U_A1B]);
    it_response_t *a = expect(srv, &w, U_A1, "POST", path,
                              invite_body(body, sizeof(body), fresh_email, NULL), 201);
    it_response_t *b =
        expect(srv, &w, U_A1, "POST", path, invite_body(body, sizeof(body), taken, NULL), 201);
    const cJSON *ua = cJSON_GetObjectItemCaseSensitive(a->json, "user");
    const cJSON *ub = cJSON_GetObjectItemCaseSensitive(b->json, "user");
    cr_assert_str_eq(str(ub, "email"), taken);
    cr_assert_eq(cJSON_GetArraySize(ua), cJSON_GetArraySize(ub), "%s / %s", a->body, b->body);
    cr_assert_eq(cJSON_GetArraySize(a->json), cJSON_GetArraySize(b->json));
    cr_assert_str_eq(str(ua, "role"), str(ub, "role"));
    const char *token = str(b->json, "invitation_token");
    cr_assert_not_null(token, "%s", b->body);
    char accept[256];
    snprintf(accept, sizeof(accept), "{\"token\":\"%s\",\"password\":\"a long passphrase\"}",
             token);
    it_response_t *r = it_request(
        srv,
        &(it_request_t){.method = "POST", .path = "/v1/auth/invitations/accept", .body = accept});
    it_assert_error(r, 410, "invitation_invalid");
    it_response_free(r);
    it_response_free(a);
    it_response_free(b);
    /* The other tenant's user still logs in with its own address, untouched. */
    const char *params[] = {w.id[U_B1], taken};
    cr_assert_eq(it_db_long(admin, "SELECT count(*) FROM isms.users WHERE id = $1 AND email = $2",
                            2, params),
                 1);
    r = expect(srv, &w, U_A1, "POST", path, invite_body(body, sizeof(body), colleague, NULL), 409);
    it_assert_error(r, 409, "email_taken");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(tenancy_roles, a_coordinator_asks_the_administrators_for_a_new_administrator) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[160], audit[160];
    snprintf(path, sizeof(path), "/v1/organisations/%s/administrator-requests", w.id[O_A1]);
    snprintf(audit, sizeof(audit), "/v1/organisations/%s/audit-events", w.id[O_A1]);
    const char *body = "{\"message\":\"our contact left; please name a new administrator\"}";
    it_response_free(expect(srv, &w, U_COACH_A1, "POST", path, body, 403));
    it_response_free(expect(srv, &w, U_A1, "POST", path, body, 403));
    it_response_free(expect(srv, &w, U_COORD_B, "POST", path, body, 404));
    it_response_t *r = expect(srv, &w, U_COORD_A, "POST", path, body, 201);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "has_active_administrator")));
    it_response_free(r);
    /* The member's administrator reads the request in its trail; its staff does not. */
    r = expect(srv, &w, U_A1, "GET", audit, NULL, 200);
    cr_assert_not_null(strstr(r->body, "\"administrator_request\""), "%s", r->body);
    cr_assert_not_null(strstr(r->body, "please name a new administrator"), "%s", r->body);
    it_response_free(r);
    it_response_free(expect(srv, &w, U_A1B, "GET", audit, NULL, 403));
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(tenancy_roles, me_answers_the_callers_permissions) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    static const struct {
        int user;
        const char *role;
        int manage_users, create_clusters, coordinates;
    } cases[] = {{U_COORD_A, "admin", 1, 1, 1},
                 {U_A1, "admin", 1, 0, 0},
                 {U_A1B, "staff", 0, 0, 0},
                 {U_COACH_A2, "staff", 0, 0, 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        it_response_t *r = expect(srv, &w, cases[i].user, "GET", "/v1/me", NULL, 200);
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(r->json, "permissions");
        cr_assert_str_eq(str(p, "organisation_role"), cases[i].role, "%s", r->body);
        cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "manage_users")),
                     cases[i].manage_users, "%s", r->body);
        cr_assert_eq(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "create_clusters")),
                     cases[i].create_clusters, "%s", r->body);
        cr_assert_eq(
            cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(p, "coordinated_clusters")),
            cases[i].coordinates, "%s", r->body);
        it_response_free(r);
    }
    cr_assert_eq(it_server_stop(srv), 0);
}
