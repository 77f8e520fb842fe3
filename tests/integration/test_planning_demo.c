/* `isms-cluster demo` on the test database: it loads the paper's cluster with a plan made by the
 * scheduler that keeps every rule, prints a login for each role, runs a second time without
 * error and without adding a row, and its logins work; the programme's activity up to its middle
 * (progress, coaching budget, costs, feedback) is there through the API. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"

TestSuite(planning_demo, .fini = it_teardown);

#define DEMO_PASSWORD "demo-password-for-tests"

/* Runs the demo; returns its exit status and its output in `out`. */
static int run_demo(char *out, size_t len) {
    char cmd[2048];
    snprintf(cmd, sizeof(cmd),
             "ISMS_ADMIN_DATABASE_URL='%s' ISMS_DEMO_PASSWORD='%s' '%s' demo 2>&1",
             getenv("ISMS_TEST_ADMIN_DATABASE_URL"), DEMO_PASSWORD, ISMS_TEST_BINARY);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Rows the demo writes in its cluster, counted, so that two runs can be compared (other tests
 * write to the same tables at the same time, so only the demo cluster's rows count). */
static const char counts_sql[] =
    "WITH d AS (SELECT id FROM isms.clusters WHERE name LIKE '%(demo)') SELECT concat_ws(' ', "
    "(SELECT count(*) FROM isms.assessments WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.assessment_history WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.soa_entries WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.deliverables WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.gap_analysis_items WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.training_sessions WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.coaching_sessions WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.coaching_effort_entries WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.coaching_cost_items WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.feedback_boards WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.feedback_posts WHERE cluster_id IN (SELECT id FROM d)), "
    "(SELECT count(*) FROM isms.audit_events WHERE cluster_id IN (SELECT id FROM d))"
    ")";

static char *db_text(PGconn *admin, const char *sql, int n, const char *const *params) {
    PGresult *r = it_db_query(admin, sql, n, params);
    cr_assert_eq(PQntuples(r), 1, "%s", sql);
    char *v = strdup(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

/* Logs in as a demo user; `auth` receives the Authorization header. */
static void login(it_server_t *srv, const char *email, char *auth, size_t len) {
    char body[200];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"" DEMO_PASSWORD "\"}", email);
    it_response_t *r =
        it_request(srv, &(it_request_t){.method = "POST", .path = "/v1/auth/login", .body = body});
    cr_assert_eq(r->status, 200, "%s", r->body);
    snprintf(auth, len, "Authorization: Bearer %s",
             cJSON_GetObjectItemCaseSensitive(r->json, "token")->valuestring);
    it_response_free(r);
}

/* GET as the holder of `auth`; asserts 200 and returns the response (JSON in ->json). */
static it_response_t *get(it_server_t *srv, const char *auth, const char *fmt, const char *id) {
    char path[256];
    snprintf(path, sizeof(path), fmt, id);
    it_response_t *r =
        it_request(srv, &(it_request_t){.path = path, .headers = (const char *[]){auth, NULL}});
    cr_assert_eq(r->status, 200, "%s: %s", path, r->body);
    cr_assert_not_null(r->json, "%s", path);
    return r;
}

/* A member of a JSON object by a path of names ("a.b.c"), or NULL. */
static const cJSON *at(const cJSON *j, const char *path) {
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *save = NULL, *k = strtok_r(buf, ".", &save); k != NULL && j != NULL;
         k = strtok_r(NULL, ".", &save))
        j = cJSON_GetObjectItemCaseSensitive(j, k);
    return j;
}

static double num(const cJSON *j, const char *path) {
    const cJSON *v = at(j, path);
    cr_assert(cJSON_IsNumber(v), "%s is not a number", path);
    return v->valuedouble;
}

/* Counts a board's posts as one member sees them: released ones of its own and of others, and
 * waiting ones (which can only be its own). */
static void count_posts(it_server_t *srv, const char *auth, const char *board, int *mine,
                        int *theirs, int *waiting) {
    it_response_t *r = get(srv, auth, "/v1/feedback/boards/%s/posts", board);
    *mine = *theirs = *waiting = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, at(r->json, "items")) {
        int is_mine = cJSON_IsTrue(at(item, "is_mine"));
        if (strcmp(at(item, "status")->valuestring, "waiting") == 0) {
            cr_assert(is_mine, "another organisation's waiting post is visible: %s", r->body);
            (*waiting)++;
        } else {
            (*(is_mine ? mine : theirs))++;
        }
    }
    it_response_free(r);
}

/* The programme's activity as each role sees it through the API. */
static void check_activity(it_server_t *srv, PGconn *admin, const char *laa) {
    const char *names[] = {"IfOnline", "Luxembourg Airport Authority"};
    char *enrolment[2], *cluster, ifonline[200], coordinator[200];
    for (int i = 0; i < 2; i++)
        enrolment[i] = db_text(admin,
                               "SELECT e.id FROM isms.enrolments e JOIN isms.organisations o ON "
                               "o.id = e.organisation_id JOIN isms.clusters c ON c.id = "
                               "e.cluster_id WHERE o.name = $1 AND c.name = "
                               "'Luxembourg ISMS cluster 2009-2010 (demo)'",
                               1, &names[i]);
    const char *e0[] = {enrolment[0]};
    cluster = db_text(admin, "SELECT cluster_id FROM isms.enrolments WHERE id = $1", 1, e0);
    login(srv, "ifonline@demo.example", ifonline, sizeof(ifonline));
    login(srv, "coordinator@demo.example", coordinator, sizeof(coordinator));

    /* Progress: both moved on from a final baseline, IfOnline further; LAA is behind on the
     * risk-assessment deliverables. */
    it_response_t *a = get(srv, ifonline, "/v1/enrolments/%s/progress", enrolment[0]);
    it_response_t *b = get(srv, laa, "/v1/enrolments/%s/progress", enrolment[1]);
    double pa = num(a->json, "totals.implemented_percent");
    double pb = num(b->json, "totals.implemented_percent");
    cr_assert(pb > 0 && pa > pb, "implemented: IfOnline %g %%, LAA %g %%", pa, pb);
    cr_assert(num(a->json, "totals.since_baseline.implemented") > 0, "%s", a->body);
    cr_assert(num(a->json, "deliverables.approved") > num(b->json, "deliverables.approved"));
    cr_assert_eq(num(b->json, "baseline.estimated_coaching_half_days"), 24);
    cr_assert(cJSON_IsTrue(at(b->json, "plan.behind_schedule")), "%s", b->body);
    int flagged = 0;
    const cJSON *reason;
    cJSON_ArrayForEach(reason, at(b->json, "plan.reasons")) {
        const cJSON *d = at(reason, "deliverable");
        flagged += cJSON_IsString(d) && strcmp(d->valuestring, "risk_assessment_results") == 0;
    }
    cr_assert_eq(flagged, 1, "the risk assessment results are not flagged: %s", b->body);
    it_response_free(a);
    it_response_free(b);

    /* Coaching budget: delivered and planned make the estimate, within the ceiling. */
    it_response_t *r = get(srv, laa, "/v1/enrolments/%s/coaching-budget", enrolment[1]);
    double delivered = num(r->json, "delivered_half_days"),
           planned = num(r->json, "planned_half_days");
    cr_assert(delivered > 0 && planned > 0, "%s", r->body);
    cr_assert_eq(delivered + planned, 24, "%s", r->body);
    cr_assert(delivered + planned <= num(r->json, "ceiling_half_days"), "%s", r->body);
    it_response_free(r);

    /* Costs: the organisations' statements sum to the cluster's total to the cent. */
    r = get(srv, coordinator, "/v1/clusters/%s/cost-statement", cluster);
    double sum = 0;
    const cJSON *org;
    cJSON_ArrayForEach(org, at(r->json, "organisations")) sum += num(org, "total_cents");
    cr_assert(num(r->json, "training_total_cents") > 0 && num(r->json, "coaching_total_cents") > 0,
              "%s", r->body);
    cr_assert_eq(sum, num(r->json, "total_cents"), "%s", r->body);
    cr_assert_eq(num(r->json, "unallocated_cents"), 0, "%s", r->body);
    it_response_free(r);

    /* Feedback: k = 2; two released posts of each organisation and LAA's later post waiting. The
     * demo wrote them under keys only it held: the users' logins made their organisations' real
     * keys (README, "Who can learn authorship"), so the demo's posts are nobody's: all four are
     * "theirs" to both, and the waiting one is visible to nobody. */
    const char *c[] = {cluster};
    char *board = db_text(admin, "SELECT id FROM isms.feedback_boards WHERE cluster_id = $1", 1, c);
    r = get(srv, ifonline, "/v1/feedback/boards/%s", board);
    cr_assert_eq(num(r->json, "anonymity.release_threshold"), 2, "%s", r->body);
    cr_assert_eq(num(r->json, "waiting_posts"), 1, "%s", r->body);
    it_response_free(r);
    int mine, theirs, waiting;
    count_posts(srv, ifonline, board, &mine, &theirs, &waiting);
    cr_assert(mine == 0 && theirs == 4 && waiting == 0, "IfOnline: %d mine, %d theirs, %d waiting",
              mine, theirs, waiting);
    count_posts(srv, laa, board, &mine, &theirs, &waiting);
    cr_assert(mine == 0 && theirs == 4 && waiting == 0, "LAA: %d mine, %d theirs, %d waiting", mine,
              theirs, waiting);
    free(board);
    free(cluster);
    free(enrolment[0]);
    free(enrolment[1]);
}

Test(planning_demo, loads_the_papers_cluster_twice_with_logins_that_work) {
    static char out[16384], again[16384];
    cr_assert_eq(run_demo(out, sizeof(out)), 0, "%s", out);
    for (const char *const *s = (const char *const[]){"coordinator", "coach", "trainer", "IfOnline",
                                                      "Luxembourg Airport Authority",
                                                      "password: " DEMO_PASSWORD, NULL};
         *s != NULL; s++)
        cr_assert(strstr(out, *s) != NULL, "the demo does not print %s:\n%s", *s, out);
    PGconn *admin = it_db_connect(NULL);
    char *counts = db_text(admin, counts_sql, 0, NULL);
    cr_assert_eq(run_demo(again, sizeof(again)), 0, "second run: %s", again);
    char *counts_again = db_text(admin, counts_sql, 0, NULL);
    cr_assert_str_eq(counts, counts_again, "the second run added or removed rows");
    free(counts);
    free(counts_again);
    cr_assert(strstr(out, "k = 2") != NULL, "the demo does not say the threshold:\n%s", out);
    /* The same cluster and the same plan. */
    cr_assert(strncmp(out, again, (size_t)(strchr(out, '\n') - out)) == 0, "%s\n%s", out, again);

    const char *cluster = "Luxembourg ISMS cluster 2009-2010 (demo)";
    const char *p[] = {cluster};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.training_sessions t JOIN isms.clusters c "
                            "ON c.id = t.cluster_id WHERE c.name = $1 AND t.kind = 'training' "
                            "AND t.status <> 'cancelled'",
                            1, p),
                 12); /* security measures: two separate half-days */
    /* Every rule holds: order and 3-4 weeks between trainings (twelve sessions fit October to
     * April with one cycle bent to 2 weeks), no weekend or holiday, nobody unavailable, within
     * October 2009 - April 2010. */
    /* Consecutive training sessions less than a week apart are parts of one module; the others
     * open a new cycle. */
    cr_assert_leq(
        it_db_long(
            admin,
            "WITH t AS (SELECT t.session_date AS d FROM isms.training_sessions t "
            "  JOIN isms.clusters c ON c.id = t.cluster_id WHERE c.name = $1 AND "
            "  t.kind = 'training' AND t.status <> 'cancelled'), "
            "s AS (SELECT d, d - lag(d) OVER (ORDER BY d) AS prev FROM t), "
            "starts AS (SELECT d FROM s WHERE prev IS NULL OR prev >= 7), "
            "g AS (SELECT d - lag(d) OVER (ORDER BY d) AS gap FROM starts) "
            "SELECT count(*) FILTER (WHERE gap NOT BETWEEN 14 AND 42) * 100 + count(*) FILTER "
            "(WHERE gap NOT BETWEEN 21 AND 28) FROM g WHERE gap IS NOT NULL",
            1, p),
        1,
        "more than one gap between trainings is outside 3-4 weeks, or one is outside the "
        "2-6 weeks a plan may bend them to");
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.training_sessions t JOIN isms.clusters c "
                            "ON c.id = t.cluster_id WHERE c.name = $1 AND (extract(isodow FROM "
                            "t.session_date) > 5 OR t.session_date NOT BETWEEN '2009-10-01' AND "
                            "'2010-04-30' OR EXISTS (SELECT 1 FROM isms.public_holidays h WHERE "
                            "h.country = 'LU' AND h.day = t.session_date) OR EXISTS (SELECT 1 "
                            "FROM isms.unavailability u JOIN isms.enrolments e ON "
                            "e.organisation_id = u.organisation_id AND e.cluster_id = c.id WHERE "
                            "u.user_id IS NULL AND t.kind = 'training' AND t.session_date "
                            "BETWEEN u.start_date AND u.end_date))",
                            1, p),
                 0, "a session breaks a calendar rule");
    /* The gap analyses' estimates are booked; what lies before the as-of day is done. */
    cr_assert_eq(it_db_long(admin,
                            "SELECT sum(s.half_days) FROM isms.coaching_sessions s JOIN "
                            "isms.clusters c ON c.id = s.cluster_id WHERE c.name = $1 "
                            "AND s.status <> 'cancelled'",
                            1, p),
                 16 + 24);
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.coaching_sessions s JOIN isms.clusters c "
                            "ON c.id = s.cluster_id WHERE c.name = $1 AND ((s.status = 'done') "
                            "<> (s.session_date < '2010-01-29'))",
                            1, p),
                 0, "coaching before the as-of day is not all done, or later coaching is");

    it_server_t *srv = it_server_start(NULL);
    it_response_t *r = it_request(
        srv, &(it_request_t){.method = "POST",
                             .path = "/v1/auth/login",
                             .body = "{\"email\":\"laa@demo.example\",\"password\":\"" DEMO_PASSWORD
                                     "\"}"});
    cr_assert_eq(r->status, 200, "%s", r->body);
    char auth[200];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
             cJSON_GetObjectItemCaseSensitive(r->json, "token")->valuestring);
    it_response_free(r);
    r = it_request(srv, &(it_request_t){.path = "/v1/me", .headers = (const char *[]){auth, NULL}});
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(strstr(r->body, cluster) != NULL, "%s", r->body);
    it_response_free(r);
    check_activity(srv, admin, auth);
    cr_assert_eq(it_server_stop(srv), 0);
}
