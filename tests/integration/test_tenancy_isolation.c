/* Tenant isolation through the HTTP API: another tenant's object answers byte for byte like a
 * random id, whatever the endpoint, the method or the caller's role; ids and tenant columns slipped
 * into bodies are refused without revealing anything; each role lists exactly its rows; and none
 * of these attempts writes anything. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "test_tenancy_world.h"

TestSuite(tenancy_isolation, .fini = it_teardown);

#define RANDOM_ID "5b0f3c1e-9d2a-4e7b-8c6d-0a1b2c3d4e5f"

/* The callers whose view the matrix probes, and what each of them can see. */
static const int callers[] = {U_COORD_A, U_A1, U_COACH_A2, U_COACH_A1};

/* Objects that belong to somebody; `seen_by` lists the callers that may see them. */
typedef enum { K_ORG, K_USER, K_CLUSTER, K_ENROLMENT, K_ASSIGNMENT, K_STAFF } kind_t;
static const struct {
    int object;
    kind_t kind;
    int seen_by[4];
    int nseen;
} objects[] = {
    {O_A1, K_ORG, {U_COORD_A, U_A1, U_COACH_A1}, 3},
    {O_A2, K_ORG, {U_COORD_A}, 1},
    {O_B1, K_ORG, {0}, 0},
    {O_COORD_B, K_ORG, {0}, 0},
    {U_A1, K_USER, {U_COORD_A, U_A1, U_COACH_A1}, 3},
    {U_A2, K_USER, {U_COORD_A}, 1},
    {U_B1, K_USER, {0}, 0},
    {U_COORD_B, K_USER, {0}, 0},
    {C_B, K_CLUSTER, {0}, 0},
    {E_A1, K_ENROLMENT, {U_COORD_A, U_A1, U_COACH_A1}, 3},
    {E_A2, K_ENROLMENT, {U_COORD_A}, 1},
    {E_B1, K_ENROLMENT, {0}, 0},
    {CA_A1, K_ASSIGNMENT, {U_COORD_A, U_A1, U_COACH_A1}, 3},
    {CA_B1, K_ASSIGNMENT, {0}, 0},
    {S_B_COACH1, K_STAFF, {0}, 0},
};

/* Every route that takes an id, with a body that passes validation. In bodies, %1$s is O_A3,
 * %2$s U_COACH_A2 and %3$s E_A2 (objects the caller could legitimately refer to). */
static const struct {
    kind_t kind;
    const char *method, *path, *body;
} routes[] = {
    {K_ORG, "GET", "/v1/organisations/%s", NULL},
    {K_ORG, "PATCH", "/v1/organisations/%s", "{\"sector\":\"probe\"}"},
    {K_ORG, "GET", "/v1/organisations/%s/users", NULL},
    {K_ORG, "POST", "/v1/organisations/%s/users",
     "{\"email\":\"matrix-probe@tenancy.example\",\"display_name\":\"Probe\"}"},
    {K_ORG, "GET", "/v1/organisations/%s/audit-events", NULL},
    {K_USER, "GET", "/v1/users/%s", NULL},
    {K_USER, "PATCH", "/v1/users/%s", "{\"display_name\":\"Probe\"}"},
    {K_USER, "PATCH", "/v1/users/%s", "{\"disabled\":true}"},
    {K_USER, "POST", "/v1/users/%s/invitations", NULL},
    {K_CLUSTER, "GET", "/v1/clusters/%s", NULL},
    {K_CLUSTER, "PATCH", "/v1/clusters/%s", "{\"name\":\"Probe\"}"},
    {K_CLUSTER, "GET", "/v1/clusters/%s/enrolments", NULL},
    {K_CLUSTER, "POST", "/v1/clusters/%s/enrolments", "{\"organisation_id\":\"%1$s\"}"},
    {K_CLUSTER, "GET", "/v1/clusters/%s/staff", NULL},
    {K_CLUSTER, "POST", "/v1/clusters/%s/staff", "{\"user_id\":\"%2$s\",\"role\":\"trainer\"}"},
    {K_CLUSTER, "GET", "/v1/clusters/%s/coach-assignments", NULL},
    {K_CLUSTER, "POST", "/v1/clusters/%s/coach-assignments",
     "{\"enrolment_id\":\"%3$s\",\"coach_user_id\":\"%2$s\"}"},
    {K_CLUSTER, "GET", "/v1/clusters/%s/audit-events", NULL},
    {K_ENROLMENT, "GET", "/v1/enrolments/%s", NULL},
    {K_ENROLMENT, "PATCH", "/v1/enrolments/%s", "{\"human_resources_confirmed\":true}"},
    {K_ENROLMENT, "POST", "/v1/enrolments/%s/admit", NULL},
    {K_ENROLMENT, "POST", "/v1/enrolments/%s/withdraw", NULL},
    {K_ENROLMENT, "POST", "/v1/enrolments/%s/complete", NULL},
    {K_ASSIGNMENT, "DELETE", "/v1/coach-assignments/%s", NULL},
    /* A staff role of another cluster, addressed through the caller's own cluster. */
    {K_STAFF, "DELETE", "/v1/clusters/{C_A}/staff/%s", NULL},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))
#define NOBJECTS (sizeof(objects) / sizeof(objects[0]))

static int sees(size_t object, int caller) {
    for (int i = 0; i < objects[object].nseen; i++)
        if (objects[object].seen_by[i] == caller)
            return 1;
    return 0;
}

static void route_path(const world_t *w, size_t r, const char *id, char *out, size_t outlen) {
    if (routes[r].kind == K_STAFF)
        snprintf(out, outlen, "/v1/clusters/%s/staff/%s", w->id[C_A], id);
    else
        snprintf(out, outlen, routes[r].path, id);
}

static void route_body(const world_t *w, size_t r, char *out, size_t outlen) {
    if (routes[r].body == NULL)
        return;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(out, outlen, routes[r].body, w->id[O_A3], w->id[U_COACH_A2], w->id[E_A2]);
#pragma GCC diagnostic pop
}

/* Asserts that two answers are the same bytes: status, body, and the headers a client could read
 * anything from. */
static void assert_same_answer(const it_response_t *got, const it_response_t *want,
                               const char *what) {
    static const char *const headers[] = {"content-type",     "content-length", "allow",
                                          "www-authenticate", "retry-after",    "cache-control"};
    cr_assert_eq(got->status, want->status, "%s: status %d, a random id gets %d (%s)", what,
                 got->status, want->status, got->body);
    cr_assert(got->body_len == want->body_len && memcmp(got->body, want->body, got->body_len) == 0,
              "%s: body\n  %s\ndiffers from a random id's\n  %s", what, got->body, want->body);
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        const char *a = it_header(got, headers[i]), *b = it_header(want, headers[i]);
        cr_assert((a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0),
                  "%s: header %s is \"%s\", for a random id \"%s\"", what, headers[i],
                  a ? a : "(none)", b ? b : "(none)");
    }
}

/* Number of audit events; every successful write adds one, so an unchanged count after a run of
 * refused requests shows that none of them wrote. */
/* Audit events that concern this test's world (other tests write events at the same time). */
static long audit_count(PGconn *admin, const world_t *w) {
    char ids[W_COUNT * 38 + 3];
    size_t used = 0;
    ids[used++] = '{';
    for (int i = 0; i < W_COUNT; i++)
        used += (size_t)snprintf(ids + used, sizeof(ids) - used, "%s%s", i ? "," : "", w->id[i]);
    snprintf(ids + used, sizeof(ids) - used, "}");
    const char *params[] = {ids};
    return it_db_long(admin,
                      "SELECT count(*) FROM isms.audit_events WHERE cluster_id = ANY ($1::uuid[]) "
                      "OR organisation_id = ANY ($1::uuid[]) OR user_id = ANY ($1::uuid[]) "
                      "OR entity_id = ANY ($1::uuid[])",
                      1, params);
}

/* The objects the probes aimed at are as the fixture wrote them. */
static void assert_fixture_unchanged(PGconn *admin, const world_t *w) {
    const char *enrolments[] = {w->id[E_B1], w->id[E_A2]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.enrolments WHERE (id = $1 AND status = "
                            "'admitted' OR id = $2 AND status = 'applied') AND NOT "
                            "human_resources_confirmed",
                            2, enrolments),
                 2, "a foreign enrolment changed");
    const char *assignments[] = {w->id[CA_A1], w->id[CA_B1]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.coach_assignments WHERE id IN ($1, $2)", 2,
                            assignments),
                 2, "a foreign coach assignment was removed");
    const char *orgs[] = {w->id[O_B1], w->id[O_A2], w->id[O_COORD_B]};
    cr_assert_eq(
        it_db_long(admin,
                   "SELECT count(*) FROM isms.users WHERE organisation_id IN ($1, $2, $3) "
                   "AND (email LIKE 'matrix-probe%' OR display_name = 'Probe' OR disabled)",
                   3, orgs),
        0, "a foreign organisation got a user, or a foreign user changed");
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.organisations WHERE id IN ($1, $2, $3) AND "
                            "sector IS NOT NULL",
                            3, orgs),
                 0, "a foreign organisation changed");
    const char *cluster[] = {w->id[C_B]};
    cr_assert_eq(it_db_long(admin, "SELECT count(*) FROM isms.cluster_staff WHERE cluster_id = $1",
                            1, cluster),
                 2, "the staff of cluster B changed");
}

Test(tenancy_isolation, foreign_ids_answer_like_random_ones_for_every_route_and_role) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    long audit_before = audit_count(admin, &w);
    int compared = 0;
    for (size_t c = 0; c < sizeof(callers) / sizeof(callers[0]); c++) {
        for (size_t r = 0; r < NROUTES; r++) {
            char path[256], body[512] = "", what[512];
            route_body(&w, r, body, sizeof(body));
            const char *b = routes[r].body ? body : NULL;
            route_path(&w, r, RANDOM_ID, path, sizeof(path));
            it_response_t *random = world_call(srv, &w, callers[c], routes[r].method, path, b);
            /* Only a staff role addressed through the caller's own cluster may get past the
             * cluster check (403 for those who see the cluster but do not coordinate it). */
            int past_cluster = routes[r].kind != K_STAFF || callers[c] == U_COORD_A;
            if (past_cluster) {
                it_assert_error(random, 404, "not_found");
                /* An id that is not a UUID names nothing either. */
                route_path(&w, r, "not-a-uuid", path, sizeof(path));
                it_response_t *bad = world_call(srv, &w, callers[c], routes[r].method, path, b);
                snprintf(what, sizeof(what), "%s as %s %s", world_names[callers[c]],
                         routes[r].method, path);
                assert_same_answer(bad, random, what);
                it_response_free(bad);
            }
            for (size_t o = 0; o < NOBJECTS; o++) {
                if (objects[o].kind != routes[r].kind || sees(o, callers[c]))
                    continue;
                route_path(&w, r, w.id[objects[o].object], path, sizeof(path));
                snprintf(what, sizeof(what), "%s as %s %s (%s)", world_names[callers[c]],
                         routes[r].method, path, world_names[objects[o].object]);
                it_response_t *foreign = world_call(srv, &w, callers[c], routes[r].method, path, b);
                assert_same_answer(foreign, random, what);
                it_response_free(foreign);
                compared++;
            }
            it_response_free(random);
        }
    }
    cr_assert_geq(compared, 150, "the matrix compared only %d answers", compared);
    cr_assert_eq(audit_count(admin, &w), audit_before, "a refused request wrote an audit event");
    assert_fixture_unchanged(admin, &w);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Every method on every path of a foreign object answers like it does for a random id: the
 * methods a path has reach the database and answer 404; the others answer 405 with the same
 * Allow. */
Test(tenancy_isolation, method_switching_on_foreign_objects_reveals_nothing) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    long audit_before = audit_count(admin, &w);
    static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    static const struct {
        int object;
        const char *path;
    } paths[] = {
        {O_B1, "/v1/organisations/%s"},
        {O_B1, "/v1/organisations/%s/users"},
        {O_B1, "/v1/organisations/%s/audit-events"},
        {U_B1, "/v1/users/%s"},
        {U_B1, "/v1/users/%s/invitations"},
        {C_B, "/v1/clusters/%s"},
        {C_B, "/v1/clusters/%s/enrolments"},
        {C_B, "/v1/clusters/%s/staff"},
        {C_B, "/v1/clusters/%s/coach-assignments"},
        {C_B, "/v1/clusters/%s/audit-events"},
        {E_B1, "/v1/enrolments/%s"},
        {E_B1, "/v1/enrolments/%s/admit"},
        {E_B1, "/v1/enrolments/%s/withdraw"},
        {E_B1, "/v1/enrolments/%s/complete"},
        {CA_B1, "/v1/coach-assignments/%s"},
    };
    int not_found = 0, not_allowed = 0;
    for (size_t c = 0; c < 3; c++) {
        for (size_t p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
            for (size_t m = 0; m < sizeof(methods) / sizeof(methods[0]); m++) {
                char path[256], what[300];
                /* An empty object passes every body check of these routes. */
                const char *body = strcmp(methods[m], "GET") && strcmp(methods[m], "DELETE") &&
                                           !strstr(paths[p].path, "/invitations") &&
                                           !strstr(paths[p].path, "/admit") &&
                                           !strstr(paths[p].path, "/withdraw") &&
                                           !strstr(paths[p].path, "/complete")
                                       ? "{}"
                                       : NULL;
                snprintf(path, sizeof(path), paths[p].path, RANDOM_ID);
                it_response_t *random = world_call(srv, &w, callers[c], methods[m], path, body);
                snprintf(path, sizeof(path), paths[p].path, w.id[paths[p].object]);
                snprintf(what, sizeof(what), "%s as %s %s", world_names[callers[c]], methods[m],
                         path);
                it_response_t *foreign = world_call(srv, &w, callers[c], methods[m], path, body);
                cr_assert(random->status == 404 || random->status == 405 || random->status == 400,
                          "%s with a random id: %d %s", what, random->status, random->body);
                assert_same_answer(foreign, random, what);
                not_found += foreign->status == 404;
                not_allowed += foreign->status == 405;
                it_response_free(foreign);
                it_response_free(random);
            }
        }
    }
    cr_assert_gt(not_found, 50);
    cr_assert_gt(not_allowed, 50);
    cr_assert_eq(audit_count(admin, &w), audit_before, "a refused request wrote an audit event");
    assert_fixture_unchanged(admin, &w);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Tenant columns cannot be slipped into a body: every operation refuses members it does not take,
 * naming the member, before anything is looked up. */
Test(tenancy_isolation, tenant_columns_injected_in_bodies_are_refused) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    long audit_before = audit_count(admin, &w);
    char p_cluster[128], p_org[128], p_enrol[128], p_user[128], p_staff[128], p_coach[128],
        p_users[128];
    snprintf(p_cluster, sizeof(p_cluster), "/v1/clusters/%s", w.id[C_A]);
    snprintf(p_enrol, sizeof(p_enrol), "/v1/clusters/%s/enrolments", w.id[C_A]);
    snprintf(p_staff, sizeof(p_staff), "/v1/clusters/%s/staff", w.id[C_A]);
    snprintf(p_coach, sizeof(p_coach), "/v1/clusters/%s/coach-assignments", w.id[C_A]);
    snprintf(p_org, sizeof(p_org), "/v1/organisations/%s", w.id[O_A1]);
    snprintf(p_users, sizeof(p_users), "/v1/organisations/%s/users", w.id[O_A1]);
    char e_patch[128], u_patch[128];
    snprintf(e_patch, sizeof(e_patch), "/v1/enrolments/%s", w.id[E_A2]);
    snprintf(u_patch, sizeof(u_patch), "/v1/users/%s", w.id[U_A1]);
    snprintf(p_user, sizeof(p_user), "%s", u_patch);
    const char *b = w.id[C_B], *ob = w.id[O_B3];
    char bodies[9][400];
    snprintf(bodies[0], 400, "{\"organisation_id\":\"%s\",\"cluster_id\":\"%s\"}", w.id[O_A3], b);
    snprintf(bodies[1], 400, "{\"human_resources_confirmed\":true,\"organisation_id\":\"%s\"}", ob);
    snprintf(bodies[2], 400, "{\"human_resources_confirmed\":true,\"cluster_id\":\"%s\"}", b);
    snprintf(bodies[3], 400, "{\"name\":\"x\",\"coordinating_organisation_id\":\"%s\"}",
             w.id[O_COORD_B]);
    snprintf(bodies[4], 400, "{\"sector\":\"x\",\"created_by_organisation_id\":\"%s\"}",
             w.id[O_COORD_B]);
    snprintf(bodies[5], 400,
             "{\"email\":\"inject@tenancy.example\",\"display_name\":\"x\",\"organisation_id\":"
             "\"%s\"}",
             ob);
    snprintf(bodies[6], 400, "{\"display_name\":\"x\",\"organisation_id\":\"%s\"}", ob);
    snprintf(bodies[7], 400, "{\"user_id\":\"%s\",\"role\":\"trainer\",\"cluster_id\":\"%s\"}",
             w.id[U_COACH_A2], b);
    snprintf(bodies[8], 400,
             "{\"enrolment_id\":\"%s\",\"coach_user_id\":\"%s\",\"organisation_id\":\"%s\"}",
             w.id[E_A2], w.id[U_COACH_A2], ob);
    const struct {
        const char *method, *path, *body, *field;
    } cases[] = {
        {"POST", p_enrol, bodies[0], "cluster_id"},
        {"PATCH", e_patch, bodies[1], "organisation_id"},
        {"PATCH", e_patch, bodies[2], "cluster_id"},
        {"PATCH", p_cluster, bodies[3], "coordinating_organisation_id"},
        {"PATCH", p_org, bodies[4], "created_by_organisation_id"},
        {"POST", p_users, bodies[5], "organisation_id"},
        {"PATCH", p_user, bodies[6], "organisation_id"},
        {"POST", p_staff, bodies[7], "cluster_id"},
        {"POST", p_coach, bodies[8], "organisation_id"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        it_response_t *r =
            world_call(srv, &w, U_COORD_A, cases[i].method, cases[i].path, cases[i].body);
        it_assert_error(r, 400, "invalid_body");
        const cJSON *field = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(r->json, "error"), "field");
        cr_assert(cJSON_IsString(field) && strcmp(field->valuestring, cases[i].field) == 0,
                  "%s %s: the error should name %s: %s", cases[i].method, cases[i].path,
                  cases[i].field, r->body);
        it_response_free(r);
    }
    cr_assert_eq(audit_count(admin, &w), audit_before, "a refused request wrote an audit event");
    cr_assert_eq(it_server_stop(srv), 0);
}

/* organisation_id in an enrolment: another tenant's organisation answers exactly like a random id
 * (422 invalid_reference), and a coordinator cannot enrol an organisation of another cluster. */
Test(tenancy_isolation, foreign_organisation_in_enrolment_answers_like_a_random_one) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char path[128], body[128];
    snprintf(path, sizeof(path), "/v1/clusters/%s/enrolments", w.id[C_A]);
    snprintf(body, sizeof(body), "{\"organisation_id\":\"%s\"}", RANDOM_ID);
    it_response_t *random = world_call(srv, &w, U_COORD_A, "POST", path, body);
    it_assert_error(random, 422, "invalid_reference");
    /* O_B1 and O_B2 are enrolled in cluster B, O_B3 nowhere, O_COORD_B coordinates B. */
    const int foreign[] = {O_B1, O_B2, O_B3, O_COORD_B, O_CONSULT_B};
    for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
        char what[128];
        snprintf(body, sizeof(body), "{\"organisation_id\":\"%s\"}", w.id[foreign[i]]);
        snprintf(what, sizeof(what), "enrolling %s into cluster A", world_names[foreign[i]]);
        it_response_t *r = world_call(srv, &w, U_COORD_A, "POST", path, body);
        assert_same_answer(r, random, what);
        it_response_free(r);
    }
    const char *params[] = {w.id[C_A]};
    cr_assert_eq(
        it_db_long(admin, "SELECT count(*) FROM isms.enrolments WHERE cluster_id = $1", 1, params),
        2, "an enrolment was created");
    it_response_free(random);
    /* The same holds for users named in staff and coach-assignment bodies. */
    char staff[128], coach[128];
    snprintf(staff, sizeof(staff), "/v1/clusters/%s/staff", w.id[C_A]);
    snprintf(coach, sizeof(coach), "/v1/clusters/%s/coach-assignments", w.id[C_A]);
    snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"role\":\"coach\"}", RANDOM_ID);
    random = world_call(srv, &w, U_COORD_A, "POST", staff, body);
    it_assert_error(random, 422, "invalid_reference");
    const int users[] = {U_B1, U_COORD_B, U_COACH_B1};
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        char what[128];
        snprintf(body, sizeof(body), "{\"user_id\":\"%s\",\"role\":\"coach\"}", w.id[users[i]]);
        snprintf(what, sizeof(what), "making %s staff of cluster A", world_names[users[i]]);
        it_response_t *r = world_call(srv, &w, U_COORD_A, "POST", staff, body);
        assert_same_answer(r, random, what);
        it_response_free(r);
    }
    it_response_free(random);
    snprintf(body, sizeof(body), "{\"enrolment_id\":\"%s\",\"coach_user_id\":\"%s\"}", RANDOM_ID,
             w.id[U_COACH_A2]);
    random = world_call(srv, &w, U_COORD_A, "POST", coach, body);
    it_assert_error(random, 422, "invalid_reference");
    snprintf(body, sizeof(body), "{\"enrolment_id\":\"%s\",\"coach_user_id\":\"%s\"}", w.id[E_B2],
             w.id[U_COACH_A2]);
    it_response_t *r = world_call(srv, &w, U_COORD_A, "POST", coach, body);
    assert_same_answer(r, random, "assigning a coach to enrolment B2");
    it_response_free(r);
    it_response_free(random);
    /* The same request with an organisation coordinator A manages succeeds. */
    snprintf(body, sizeof(body), "{\"organisation_id\":\"%s\"}", w.id[O_A3]);
    it_response_t *ok = world_call(srv, &w, U_COORD_A, "POST", path, body);
    cr_assert_eq(ok->status, 201, "%s", ok->body);
    it_response_free(ok);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* Each role lists exactly its rows over HTTP. */
Test(tenancy_isolation, each_role_lists_exactly_its_rows) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char enrolments_a[128], enrolments_b[128], assignments_a[128];
    snprintf(enrolments_a, sizeof(enrolments_a), "/v1/clusters/%s/enrolments", w.id[C_A]);
    snprintf(enrolments_b, sizeof(enrolments_b), "/v1/clusters/%s/enrolments", w.id[C_B]);
    snprintf(assignments_a, sizeof(assignments_a), "/v1/clusters/%s/coach-assignments", w.id[C_A]);
    const struct {
        int user;
        const char *path;
        const char *expected;
    } cases[] = {
        {U_COORD_A, enrolments_a, "E_A1,E_A2"},
        {U_COORD_A, "/v1/organisations?limit=200", "O_A1,O_A2,O_A3,O_CONSULT_A,O_COORD_A"},
        {U_COORD_A, "/v1/clusters", "C_A"},
        {U_COORD_A, assignments_a, "CA_A1"},
        {U_COORD_B, enrolments_b, "E_B1,E_B2"},
        {U_COORD_B, "/v1/organisations?limit=200", "O_B1,O_B2,O_B3,O_CONSULT_B,O_COORD_B"},
        {U_A1, enrolments_a, "E_A1"},
        {U_A1, "/v1/organisations", "O_A1"},
        {U_A1, "/v1/clusters", "C_A"},
        {U_A1, assignments_a, "CA_A1"},
        {U_A2, enrolments_a, "E_A2"},
        {U_A2, assignments_a, ""},
        {U_COACH_A1, enrolments_a, "E_A1"},
        {U_COACH_A1, "/v1/organisations", "O_A1,O_CONSULT_A"},
        {U_COACH_A2, enrolments_a, ""},
        {U_COACH_A2, assignments_a, ""},
        {U_COACH_A2, "/v1/organisations", "O_CONSULT_A"},
        {U_B1, enrolments_b, "E_B1"},
        {U_B1, "/v1/clusters", "C_B"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        it_response_t *r = world_call(srv, &w, cases[i].user, "GET", cases[i].path, NULL);
        char names[1024];
        cr_assert_eq(r->status, 200, "%s GET %s: %s", world_names[cases[i].user], cases[i].path,
                     r->body);
        world_item_names(&w, r->json, names, sizeof(names));
        cr_assert_str_eq(names, cases[i].expected, "%s GET %s", world_names[cases[i].user],
                         cases[i].path);
        it_response_free(r);
    }
    cr_assert_eq(it_server_stop(srv), 0);
}

/* A member (staff) can see a colleague but not change them: 403, nothing written. Only the
 * organisation's administrator changes its users, not the coordinator. */
Test(tenancy_isolation, member_cannot_rename_a_colleague) {
    PGconn *admin = it_db_connect(NULL);
    world_t w;
    world_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    long audit_before = audit_count(admin, &w);
    char path[128];
    snprintf(path, sizeof(path), "/v1/users/%s", w.id[U_A1]);
    it_response_t *r = world_call(srv, &w, U_A1B, "PATCH", path, "{\"display_name\":\"Renamed\"}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    snprintf(path, sizeof(path), "/v1/users/%s", w.id[U_A1B]);
    r = world_call(srv, &w, U_COORD_A, "PATCH", path, "{\"display_name\":\"Renamed\"}");
    it_assert_error(r, 403, "forbidden");
    it_response_free(r);
    const char *params[] = {w.id[U_A1], w.id[U_A1B]};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.users WHERE (id = $1 AND display_name = "
                            "'Member A1') OR (id = $2 AND display_name = 'Member A1 colleague')",
                            2, params),
                 2);
    cr_assert_eq(audit_count(admin, &w), audit_before, "a refused change wrote an audit event");
    /* Renaming oneself works, and so does the organisation's administrator renaming its user. */
    r = world_call(srv, &w, U_A1B, "PATCH", path, "{\"display_name\":\"Me\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    r = world_call(srv, &w, U_A1, "PATCH", path, "{\"display_name\":\"Renamed\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}
