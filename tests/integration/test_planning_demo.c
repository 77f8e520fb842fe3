/* `isms-cluster demo` on the test database: it loads the paper's cluster with a plan made by the
 * scheduler that keeps every rule, prints a login for each role, runs a second time without
 * error, and its logins work. */
#include <stdarg.h>
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

Test(planning_demo, loads_the_papers_cluster_twice_with_logins_that_work) {
    static char out[16384], again[16384];
    cr_assert_eq(run_demo(out, sizeof(out)), 0, "%s", out);
    for (const char *const *s = (const char *const[]){"coordinator", "coach", "trainer", "IfOnline",
                                                      "Luxembourg Airport Authority",
                                                      "password: " DEMO_PASSWORD, NULL};
         *s != NULL; s++)
        cr_assert(strstr(out, *s) != NULL, "the demo does not print %s:\n%s", *s, out);
    cr_assert_eq(run_demo(again, sizeof(again)), 0, "second run: %s", again);
    /* The same cluster and the same plan. */
    cr_assert(strncmp(out, again, (size_t)(strchr(out, '\n') - out)) == 0, "%s\n%s", out, again);

    PGconn *admin = it_db_connect(NULL);
    const char *cluster = "Luxembourg ISMS cluster 2009-2010 (demo)";
    const char *p[] = {cluster};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.training_sessions t JOIN isms.clusters c "
                            "ON c.id = t.cluster_id WHERE c.name = $1 AND t.kind = 'training' "
                            "AND t.status <> 'cancelled'",
                            1, p),
                 11);
    /* Every rule holds: order and 3-4 weeks between trainings, no weekend or holiday, nobody
     * unavailable, within October 2009 - April 2010. */
    cr_assert_eq(it_db_long(admin,
                            "WITH t AS (SELECT t.module_key, min(t.session_date) AS d, "
                            "  (SELECT m.position FROM isms.curriculum_template_modules m "
                            "    WHERE m.module_key = t.module_key) AS pos "
                            "  FROM isms.training_sessions t JOIN isms.clusters c ON c.id = "
                            "  t.cluster_id WHERE c.name = $1 AND t.kind = 'training' "
                            "  GROUP BY t.module_key), "
                            "g AS (SELECT d - lag(d) OVER (ORDER BY pos) AS gap FROM t) "
                            "SELECT count(*) FROM g WHERE gap IS NOT NULL AND gap NOT BETWEEN 21 "
                            "AND 28",
                            1, p),
                 0, "a gap between trainings is outside 3-4 weeks");
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
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.coaching_sessions s JOIN isms.clusters c "
                            "ON c.id = s.cluster_id WHERE c.name = $1 AND s.status = 'planned'",
                            1, p),
                 12 + 16);

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
    cr_assert_eq(it_server_stop(srv), 0);
}
