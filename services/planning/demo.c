/* `isms-cluster demo`: the cluster of the paper (section 4.2) as demo data. A coordinator, a
 * trainer and one coach; IfOnline (4 employees) and the Luxembourg Airport Authority (about 150);
 * October 2009 to April 2010; a few declared holiday and busy periods; gap-analysis estimates;
 * and a programme planned by the scheduler (as of the eve of the start), applied through the same
 * SQL as the API; then the programme's activity up to its middle (demo_activity.c). Idempotent: a
 * second run reuses every record, keeps the plan (the scheduler finds nothing to move) and sets
 * new passwords, which it prints with the logins. */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "planning/demo.h"
#include "planning/plan_json.h"
#include "planning/planning.h"

#define DEMO_TODAY "2009-09-30"

typedef struct demo_user {
    const char *role, *email, *name, *org;
    char password[40];
    char hash[128];
    char id[40];
} demo_user_t;

static demo_user_t users[] = {
    {"coordinator", "coordinator@demo.example", "Demo Coordinator",
     "Cluster Programme Office (demo)", "", "", ""},
    {"trainer", "trainer@demo.example", "Demo Trainer", "Cluster Programme Office (demo)", "", "",
     ""},
    {"coach", "coach@demo.example", "Demo Coach", "Demo Consulting (demo)", "", "", ""},
    {"member", "ifonline@demo.example", "IfOnline project manager", "IfOnline", "", "", ""},
    {"member", "laa@demo.example", "LAA project manager", "Luxembourg Airport Authority", "", "",
     ""},
};
#define NUSERS (sizeof(users) / sizeof(users[0]))

PGresult *demo_run(PGconn *pg, const char *sql, int n, const char *const *params) {
    PGresult *r = PQexecParams(pg, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return r;
    const char *detail = PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL);
    fprintf(stderr, "isms-cluster demo: %s%s%s\n", PQresultErrorMessage(r),
            detail != NULL ? "  " : "", detail != NULL ? detail : "");
    PQclear(r);
    return NULL;
}

int demo_value(PGconn *pg, const char *sql, int n, const char *const *params, char *out,
               size_t len) {
    PGresult *r = demo_run(pg, sql, n, params);
    if (r == NULL)
        return -1;
    if (out != NULL)
        snprintf(out, len, "%s", PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return 0;
}

static const char org_sql[] =
    "INSERT INTO organisations (name, kind, employee_count, sector, country, "
    "created_by_organisation_id) VALUES ($1, $2, $3::integer, $4, 'LU', $5::uuid) "
    "ON CONFLICT (created_by_organisation_id, lower(name)) "
    "DO UPDATE SET employee_count = EXCLUDED.employee_count "
    "RETURNING id";

/* Every demo organisation's user is its administrator (the trainer is staff of the coordinator's
 * organisation); the coordinator may create clusters. */
static const char user_sql[] =
    "INSERT INTO users (organisation_id, email, display_name, password_hash, password_changed_at, "
    "role, may_create_clusters) VALUES ($1, $2, $3, $4, now(), "
    "CASE WHEN $5 = 'trainer' THEN 'staff' ELSE 'admin' END, $5 = 'coordinator') "
    "ON CONFLICT (lower(email)) DO UPDATE "
    "SET password_hash = EXCLUDED.password_hash, password_changed_at = now(), disabled = false, "
    "role = EXCLUDED.role, may_create_clusters = EXCLUDED.may_create_clusters "
    "RETURNING id";

/* Organisations and users; the member organisations are managed by the coordinator's. */
static int load_people(PGconn *pg, char orgs[][40]) {
    const char *p1[] = {users[0].org, "coordinator", NULL, NULL, NULL};
    const char *p2[] = {users[2].org, "consultancy", NULL, "ISMS consulting", NULL};
    if (demo_value(pg, org_sql, 5, p1, orgs[0], 40) != 0 ||
        demo_value(pg, org_sql, 5, p2, orgs[1], 40) != 0)
        return -1;
    const char *p3[] = {"IfOnline", "member", "4",
                        "IS management of a shared building; HR software services", orgs[0]};
    const char *p4[] = {"Luxembourg Airport Authority", "member", "150", "Air navigation services",
                        orgs[0]};
    if (demo_value(pg, org_sql, 5, p3, orgs[2], 40) != 0 ||
        demo_value(pg, org_sql, 5, p4, orgs[3], 40) != 0)
        return -1;
    const int org_of[] = {0, 0, 1, 2, 3};
    for (size_t i = 0; i < NUSERS; i++) {
        const char *p[] = {orgs[org_of[i]], users[i].email, users[i].name, users[i].hash,
                           users[i].role};
        if (demo_value(pg, user_sql, 5, p, users[i].id, sizeof(users[i].id)) != 0)
            return -1;
    }
    return 0;
}

static const char cluster_find_sql[] =
    "SELECT id FROM clusters WHERE name = $1 AND coordinating_organisation_id = $2";
static const char cluster_sql[] =
    "INSERT INTO clusters (name, coordinating_organisation_id, country, time_zone, start_date, "
    "target_end_date) VALUES ($1, $2, 'LU', 'Europe/Luxembourg', '2009-10-01', '2010-04-30') "
    "RETURNING id";
static const char enrol_sql[] =
    "INSERT INTO enrolments (cluster_id, organisation_id, status, employee_count, "
    "management_commitment_by, management_commitment_at, human_resources_confirmed, "
    "financial_resources_confirmed, admitted_at) VALUES ($1, $2, 'admitted', $3::integer, "
    "'Managing director', '2009-09-15', true, true, '2009-09-25') "
    "ON CONFLICT (cluster_id, organisation_id) DO UPDATE SET status = 'admitted' RETURNING id";
static const char staff_sql[] =
    "INSERT INTO cluster_staff (cluster_id, user_id, role) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING";
static const char coach_sql[] =
    "INSERT INTO coach_assignments (cluster_id, organisation_id, enrolment_id, coach_user_id) "
    "SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM coach_assignments "
    "WHERE enrolment_id = $3 AND coach_user_id = $4)";

/* The cluster, its enrolments, staff and coach assignments. */
static int load_cluster(PGconn *pg, char orgs[][40], char *cluster, size_t len) {
    static const char *const name = "Luxembourg ISMS cluster 2009-2010 (demo)";
    const char *find[] = {name, orgs[0]};
    if (demo_value(pg, cluster_find_sql, 2, find, cluster, len) != 0)
        return -1;
    if (cluster[0] == '\0' && demo_value(pg, cluster_sql, 2, find, cluster, len) != 0)
        return -1;
    const char *staff[][3] = {{cluster, users[1].id, "trainer"}, {cluster, users[2].id, "coach"}};
    for (int i = 0; i < 2; i++)
        if (demo_value(pg, staff_sql, 3, staff[i], NULL, 0) != 0)
            return -1;
    static const char *const employees[] = {"4", "150"};
    for (int i = 0; i < 2; i++) {
        char enrolment[40];
        const char *e[] = {cluster, orgs[2 + i], employees[i]};
        const char *c[] = {cluster, orgs[2 + i], enrolment, users[2].id};
        if (demo_value(pg, enrol_sql, 3, e, enrolment, sizeof(enrolment)) != 0 ||
            demo_value(pg, coach_sql, 4, c, NULL, 0) != 0)
            return -1;
    }
    return 0;
}

/* The declared periods: replaced on every run so that they stay exactly the paper's. */
static int load_unavailability(PGconn *pg, char orgs[][40]) {
    static const char *const periods[][4] = {
        {"2", "2009-12-21", "2010-01-01", "Christmas closure"},
        {"2", "2010-03-01", "2010-03-05", "Yearly audit by a client"},
        {"3", "2009-11-16", "2009-11-20", "ISO 9001 surveillance audit"},
        {"3", "2010-02-15", "2010-02-19", "Carnival school holidays"},
        {"T", "2009-10-19", "2009-10-23", "Conference"},
        {"C", "2010-01-04", "2010-01-08", "Leave"},
    };
    const char *del[] = {orgs[2], orgs[3], users[1].id, users[2].id};
    if (demo_value(
            pg,
            "DELETE FROM unavailability WHERE organisation_id IN ($1, $2) OR user_id IN ($3, $4)",
            4, del, NULL, 0) != 0)
        return -1;
    for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
        const char *who = periods[i][0];
        const char *org = who[0] == 'T' ? users[1].id : who[0] == 'C' ? users[2].id : NULL;
        const char *p[] = {org == NULL ? orgs[who[0] - '0'] : NULL, org, periods[i][1],
                           periods[i][2], periods[i][3]};
        if (demo_value(
                pg,
                "INSERT INTO unavailability (organisation_id, user_id, start_date, end_date, "
                "reason) SELECT coalesce($1::uuid, (SELECT organisation_id FROM users "
                "WHERE id = $2::uuid)), $2::uuid, $3, $4, $5",
                5, p, NULL, 0) != 0)
            return -1;
    }
    return 0;
}

static int changes_empty(const cJSON *changes) {
    const cJSON *x;
    cJSON_ArrayForEach(x, changes) {
        if (cJSON_GetArraySize(x) > 0)
            return 0;
    }
    return 1;
}

/* Plans the programme as of the eve of its start and applies the plan as the coordinator. */
static int plan(PGconn *pg, const char *cluster, plan_doc_t *doc, plan_result_t *r) {
    char err[128];
    const char *p[] = {cluster, DEMO_TODAY};
    PGresult *res = demo_run(pg, "SELECT isms.planning_input($1, $2)::text", 2, p);
    if (res == NULL)
        return -1;
    int rc = plan_doc_parse(PQgetvalue(res, 0, 0), doc, err, sizeof(err));
    PQclear(res);
    if (rc != 0 || plan_solve(&doc->in, r) != PLAN_OK) {
        fprintf(stderr, "isms-cluster demo: the scheduler could not run: %s\n", err);
        return -1;
    }
    if (!r->feasible) {
        fprintf(stderr, "isms-cluster demo: no plan: %s\n", r->explanation);
        return -1;
    }
    cJSON *changes = plan_changes_json(doc, r);
    char *text = cJSON_PrintUnformatted(changes);
    int empty = changes_empty(changes);
    cJSON_Delete(changes);
    rc = 0;
    if (text != NULL && !empty) {
        const char *a[] = {cluster, doc->plan_version, text, DEMO_TODAY};
        rc =
            demo_value(pg, "SELECT isms.api_plan_apply($1, $2, $3::json, $4)::text", 4, a, NULL, 0);
    }
    cJSON_free(text);
    return text == NULL ? -1 : rc;
}

static void print_plan(const plan_doc_t *doc, const plan_result_t *r) {
    char day[11];
    int trainings = 0, analyses = 0, coaching = 0;
    for (int i = 0; i < r->nsessions; i++) {
        trainings += r->sessions[i].kind == PLAN_TRAINING;
        analyses += r->sessions[i].kind == PLAN_GAP_ANALYSIS;
        coaching += r->sessions[i].kind == PLAN_COACHING;
    }
    printf("demo cluster \"%s\" (%s)\n", doc->cluster_name, doc->cluster_id);
    printf("  plan made by the scheduler: %d training sessions, %d gap-analysis half-days, "
           "%d coaching half-days\n",
           trainings, analyses, coaching);
    for (int i = 0; i < r->nsessions; i++) {
        const plan_session_t *s = &r->sessions[i];
        if (s->kind != PLAN_TRAINING)
            continue;
        plan_day_format(s->day, day);
        printf("    %s %-9s %s\n", day,
               s->half_days == 2 ? "all day"
               : s->slot         ? "afternoon"
                                 : "morning",
               doc->modules[s->module].title);
    }
}

static void print_logins(void) {
    printf("  logins (new passwords on every run):\n");
    for (size_t i = 0; i < NUSERS; i++)
        printf("    %-11s %-26s %-32s password: %s\n", users[i].role, users[i].email,
               strcmp(users[i].role, "member") == 0 ? users[i].org : "", users[i].password);
}

static int make_passwords(void) {
    const char *fixed = getenv("ISMS_DEMO_PASSWORD");
    for (size_t i = 0; i < NUSERS; i++) {
        if (fixed != NULL && strlen(fixed) >= 10) {
            snprintf(users[i].password, sizeof(users[i].password), "%s", fixed);
        } else {
            unsigned char bytes[12];
            randombytes_buf(bytes, sizeof(bytes));
            sodium_bin2base64(users[i].password, sizeof(users[i].password), bytes, sizeof(bytes),
                              sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        }
        if (auth_password_hash(users[i].password, users[i].hash) != 0)
            return -1;
    }
    return 0;
}

static int load(PGconn *pg, plan_doc_t *doc, plan_result_t *r, char *summary, size_t len) {
    char orgs[4][40], cluster[40] = "";
    if (demo_value(pg, "BEGIN", 0, NULL, NULL, 0) != 0 ||
        demo_value(pg, "SET LOCAL search_path = isms, public", 0, NULL, NULL, 0) != 0 ||
        demo_value(pg, "SELECT pg_advisory_xact_lock(3039)", 0, NULL, NULL, 0) != 0 ||
        load_people(pg, orgs) != 0)
        return -1;
    if (demo_as(pg, users[0].id, orgs[0]) != 0 ||
        demo_value(pg, "SELECT set_config('app.request_id', 'demo', true)", 0, NULL, NULL, 0) !=
            0 ||
        load_cluster(pg, orgs, cluster, sizeof(cluster)) != 0)
        return -1;
    demo_ids_t ids = {cluster,
                      users[0].id,
                      orgs[0],
                      users[2].id,
                      orgs[1],
                      {users[3].id, users[4].id},
                      {orgs[2], orgs[3]},
                      {"", ""}};
    if (demo_gap_estimates(pg, &ids) != 0 || load_unavailability(pg, orgs) != 0 ||
        plan(pg, cluster, doc, r) != 0 || demo_activity_load(pg, &ids) != 0 ||
        demo_activity_summary(pg, &ids, summary, len) != 0)
        return -1;
    return demo_value(pg, "COMMIT", 0, NULL, NULL, 0);
}

int planning_demo_command(int argc, char **argv) {
    (void)argc;
    (void)argv;
    const char *conninfo = getenv("ISMS_ADMIN_DATABASE_URL");
    if (conninfo == NULL || conninfo[0] == '\0') {
        fprintf(stderr, "isms-cluster demo: set ISMS_ADMIN_DATABASE_URL to a superuser connection "
                        "string of a migrated database\n");
        return 2;
    }
    if (make_passwords() != 0) {
        fprintf(stderr, "isms-cluster demo: hashing the passwords failed\n");
        return 1;
    }
    PGconn *pg = PQconnectdb(conninfo);
    plan_doc_t doc;
    plan_result_t r;
    memset(&doc, 0, sizeof(doc));
    memset(&r, 0, sizeof(r));
    int rc = 1;
    static char summary[4096];
    if (PQstatus(pg) != CONNECTION_OK)
        fprintf(stderr, "isms-cluster demo: cannot connect: %s", PQerrorMessage(pg));
    else if (load(pg, &doc, &r, summary, sizeof(summary)) == 0)
        rc = 0;
    if (rc == 0) {
        print_plan(&doc, &r);
        fputs(summary, stdout);
        print_logins();
    }
    for (size_t i = 0; i < NUSERS; i++)
        sodium_memzero(users[i].password, sizeof(users[i].password));
    plan_result_free(&r);
    plan_doc_free(&doc);
    PQfinish(pg);
    return rc;
}
