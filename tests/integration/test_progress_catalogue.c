/* `isms-cluster catalogue import` with a 2013-style file (tests/integration/
 * test_progress_catalogue_2013.csv: the 2013 edition's clauses and 114 controls in 14 groups),
 * duplicates refused with the line, and a cluster choosing the imported framework through the
 * API. The imported framework gets a unique version so that runs do not collide in the shared
 * test database, and is removed at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "harness.h"
#include "test_progress_world.h"

TestSuite(progress_catalogue, .fini = it_teardown);

#define SOURCE ISMS_TEST_SOURCE_DIR "/tests/integration/test_progress_catalogue_2013.csv"

static char *slurp(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    cr_assert_not_null(fp, "cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    *len = (size_t)n;
    return buf;
}

/* Writes `text` with every ",2013," replaced by ",<version>,", plus `extra` at the end. */
static void write_variant(const char *path, const char *text, const char *version,
                          const char *extra) {
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp);
    const char *p = text, *hit;
    while ((hit = strstr(p, ",2013,")) != NULL) {
        fwrite(p, 1, (size_t)(hit - p), fp);
        fprintf(fp, ",%s,", version);
        p = hit + 6;
    }
    fputs(p, fp);
    fputs(extra, fp);
    fclose(fp);
}

/* Runs `isms-cluster catalogue ARGS` against the test database; returns the exit status and
 * fills `out` with its output (stdout and stderr). */
static int run_catalogue(const char *args, char *out, size_t outlen) {
    char cmd[1024];
    setenv("ISMS_ADMIN_DATABASE_URL", getenv("ISMS_TEST_ADMIN_DATABASE_URL"), 1);
    snprintf(cmd, sizeof(cmd), "'%s' catalogue %s 2>&1", ISMS_TEST_BINARY, args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, outlen - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void remove_framework(PGconn *admin, const char *version, const char *cluster,
                             const char *enrolment) {
    const char *params[] = {version, cluster, enrolment};
    /* History is append-only by trigger; the cleanup of a test database sets triggers aside. */
    it_db_exec(admin, "BEGIN; SET LOCAL session_replication_role = replica");
    PQclear(it_db_query(admin,
                        "WITH f AS (SELECT id FROM isms.frameworks WHERE version = $1), "
                        "h AS (DELETE FROM isms.assessment_history WHERE enrolment_id = $3::uuid), "
                        "a AS (DELETE FROM isms.assessments WHERE enrolment_id = $3::uuid), "
                        "w AS (DELETE FROM isms.progress_weeks WHERE enrolment_id = $3::uuid), "
                        "c AS (DELETE FROM isms.cluster_frameworks WHERE cluster_id = $2::uuid), "
                        "r AS (DELETE FROM isms.requirements WHERE framework_id IN "
                        "      (SELECT id FROM f)), "
                        "g AS (DELETE FROM isms.framework_groups WHERE framework_id IN "
                        "      (SELECT id FROM f)) "
                        "DELETE FROM isms.frameworks WHERE id IN (SELECT id FROM f)",
                        3, params));
    it_db_exec(admin, "COMMIT");
}

/* Cluster B chooses the imported framework `fw` (version `version`) before any progress is
 * recorded, works with it, and keeps it once progress is recorded. */
static void check_cluster_uses(const it_server_t *srv, const pworld_t *w, const char *fw,
                               const char *version) {
    char path[200], body[400];
    pw_path(path, "/v1/clusters/%s/framework", w->id[PW_CL_B]);
    snprintf(body, sizeof(body), "{\"framework_id\":\"%s\"}", fw);
    pw_expect_error(srv, w, PW_U_M4, "PUT", path, body, 403, "forbidden");
    pw_expect_error(srv, w, PW_U_COORD, "PUT", path, body, 404, "not_found");
    pw_expect_field(srv, w, PW_U_COORD_B, "PUT", path,
                    "{\"framework_id\":\"00000000-0000-4000-8000-000000000000\"}", 400,
                    "invalid_body", "framework_id");
    it_response_t *r = pw_expect(srv, w, PW_U_COORD_B, "PUT", path, body, 200);
    cr_assert_str_eq(pw_str(cJSON_GetObjectItemCaseSensitive(r->json, "framework"), "version"),
                     version);
    cr_assert_str_eq(pw_str(r->json, "chosen"), "true");
    it_response_free(r);

    pw_path(path, "/v1/enrolments/%s/assessments", w->id[PW_E4]);
    r = pw_expect(srv, w, PW_U_M4, "GET", path, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->json, "items")), 140);
    it_response_free(r);
    pw_expect_field(srv, w, PW_U_M4, "PATCH", path,
                    "{\"items\":[{\"requirement\":\"A.5.1\",\"status\":\"implemented\"}]}", 400,
                    "invalid_body", "items[0].requirement");
    it_response_free(
        pw_expect(srv, w, PW_U_M4, "PATCH", path,
                  "{\"items\":[{\"requirement\":\"A.9.4.3\",\"status\":\"implemented\"}]}", 200));
    pw_path(path, "/v1/enrolments/%s/progress", w->id[PW_E4]);
    r = pw_expect(srv, w, PW_U_M4, "GET", path, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->json, "annex_a")), 14);
    cr_assert_str_eq(pw_str(cJSON_GetObjectItemCaseSensitive(r->json, "totals"), "requirements"),
                     "140");
    it_response_free(r);
    pw_path(path, "/v1/enrolments/%s/soa", w->id[PW_E4]);
    r = pw_expect(srv, w, PW_U_M4, "GET", path, NULL, 200);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r->json, "items")), 114);
    it_response_free(r);
    /* Progress is recorded against it now: the cluster keeps it. */
    pw_path(path, "/v1/clusters/%s/framework", w->id[PW_CL_B]);
    r = pw_expect(srv, w, PW_U_M4, "GET", "/v1/frameworks?limit=200", NULL, 200);
    const cJSON *iso22 = NULL, *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItemCaseSensitive(r->json, "items")) {
        if (strcmp(pw_str(item, "version"), "2022") == 0)
            iso22 = item;
    }
    cr_assert_not_null(iso22);
    snprintf(body, sizeof(body), "{\"framework_id\":\"%s\"}", pw_str(iso22, "id"));
    it_response_free(r);
    pw_expect_field(srv, w, PW_U_COORD_B, "PUT", path, body, 409, "framework_in_use",
                    "framework_id");
}

Test(progress_catalogue, imports_a_2013_catalogue_once_and_a_cluster_uses_it) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pworld_build(admin, &w);
    char version[24], dir[] = "/tmp/isms-it-catalogue-XXXXXX", file[128], dup[128];
    char args[300], out[4096];
    snprintf(version, sizeof(version), "2013-%.8s", w.id[PW_CL_B]);
    cr_assert_not_null(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/iso27001-%s.csv", dir, version);
    snprintf(dup, sizeof(dup), "%s/duplicate.csv", dir);
    size_t len;
    char *text = slurp(SOURCE, &len);
    write_variant(file, text, version, "");
    /* Line 145: A.9.2.3 again (it is first defined on line 60 of the file). */
    char again[120];
    snprintf(again, sizeof(again), "ISO/IEC 27001,%s,,control,A.9,,A.9.2.3,Again\n", version);
    write_variant(dup, text, version, again);
    free(text);

    snprintf(args, sizeof(args), "check '%s'", dup);
    cr_assert_eq(run_catalogue(args, out, sizeof(out)), 1, "%s", out);
    cr_assert(strstr(out, "line 145: duplicate requirement A.9.2.3 (first defined on line 60)") !=
                  NULL,
              "%s", out);
    snprintf(args, sizeof(args), "import '%s'", dup);
    cr_assert_eq(run_catalogue(args, out, sizeof(out)), 1, "%s", out);
    cr_assert(strstr(out, "line 145: duplicate requirement A.9.2.3") != NULL, "%s", out);

    /* The JSON format, checked without the database. */
    char json[128];
    snprintf(json, sizeof(json), "%s/small.json", dir);
    FILE *fp = fopen(json, "w");
    cr_assert_not_null(fp);
    fputs("{\"framework\": \"Small\", \"version\": \"1\", \"title\": \"Small framework\",\n"
          " \"groups\": [{\"key\": \"A\", \"kind\": \"control\", \"title\": \"All\"}],\n"
          " \"requirements\": [\n"
          "  {\"ref\": \"A.1\", \"group\": \"A\", \"title\": \"One\"},\n"
          "  {\"ref\": \"A.1\", \"group\": \"A\", \"title\": \"Again\"}]}\n",
          fp);
    fclose(fp);
    snprintf(args, sizeof(args), "check '%s'", json);
    cr_assert_eq(run_catalogue(args, out, sizeof(out)), 1, "%s", out);
    cr_assert(strstr(out, "line 5: duplicate requirement A.1 (first defined on line 4)") != NULL,
              "%s", out);

    snprintf(args, sizeof(args), "import '%s'", file);
    cr_assert_eq(run_catalogue(args, out, sizeof(out)), 0, "%s", out);
    char summary[160];
    snprintf(summary, sizeof(summary),
             "imported ISO/IEC 27001 %s: 21 groups, 26 clauses, 114 controls", version);
    cr_assert(strstr(out, summary) != NULL, "%s", out);
    cr_assert_eq(run_catalogue(args, out, sizeof(out)), 1, "a second import is refused: %s", out);
    cr_assert(strstr(out, "already in the catalogue") != NULL, "%s", out);
    cr_assert_eq(run_catalogue("list", out, sizeof(out)), 0, "%s", out);
    cr_assert(strstr(out, version) != NULL, "%s", out);
    cr_assert_eq(run_catalogue("import", out, sizeof(out)), 2, "usage: %s", out);

    const char *params[] = {version};
    PGresult *res =
        it_db_query(admin, "SELECT id FROM isms.frameworks WHERE version = $1", 1, params);
    char fw[37];
    snprintf(fw, sizeof(fw), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);

    it_server_t *srv = it_server_start(NULL);
    check_cluster_uses(srv, &w, fw, version);
    cr_assert_eq(it_server_stop(srv), 0);

    remove_framework(admin, version, w.id[PW_CL_B], w.id[PW_E4]);
    snprintf(args, sizeof(args), "rm -rf '%s'", dir);
    cr_assert_eq(system(args), 0);
}
