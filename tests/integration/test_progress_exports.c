/* The Statement of Applicability through the real server: decisions with their reasons and
 * justifications, validation, isolation, and both exports read back by independent readers
 * (Python's csv module and openpyxl, Debian's python3-openpyxl). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "test_progress_world.h"

TestSuite(progress_exports, .fini = it_teardown);

static const char justification[] =
    "Shared office: the landlord, a \\\"partner\\\", controls the building's access";
static const char justification_plain[] =
    "Shared office: the landlord, a \"partner\", controls the building's access";

/* Reads the CSV with csv.reader and the XLSX with openpyxl; prints {"csv": rows, "xlsx": rows,
 * "sheet": title} with dates as YYYY-MM-DD and numbers as numbers. */
static const char reader_py[] =
    "import csv, datetime, json, sys\n"
    "import openpyxl\n"
    "with open(sys.argv[1], newline='', encoding='utf-8') as f:\n"
    "    rows = list(csv.reader(f, strict=True))\n"
    "ws = openpyxl.load_workbook(sys.argv[2]).active\n"
    "def cell(v):\n"
    "    if v is None: return ''\n"
    "    if isinstance(v, (datetime.date, datetime.datetime)): return v.strftime('%Y-%m-%d')\n"
    "    return v\n"
    "cells = [[cell(v) for v in row] for row in ws.iter_rows(values_only=True)]\n"
    "print(json.dumps({'csv': rows, 'xlsx': cells, 'sheet': ws.title}))\n";

/* A Python 3 that has openpyxl: Debian's, else the first on PATH. */
static const char *python(void) {
    if (access("/usr/bin/python3", X_OK) == 0 &&
        system("/usr/bin/python3 -c 'import openpyxl' 2>/dev/null") == 0)
        return "/usr/bin/python3";
    return "python3";
}

static void write_file(const char *path, const char *data, size_t len) {
    FILE *fp = fopen(path, "wb");
    cr_assert_not_null(fp, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, len, fp), len);
    fclose(fp);
}

/* Runs the reader on both files and returns its JSON. */
static cJSON *read_back(const char *csv_path, const char *xlsx_path, const char *dir) {
    char script[512], cmd[2048], out[1 << 16];
    snprintf(script, sizeof(script), "%s/reader.py", dir);
    write_file(script, reader_py, strlen(reader_py));
    snprintf(cmd, sizeof(cmd), "%s '%s' '%s' '%s' 2>&1", python(), script, csv_path, xlsx_path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    cr_assert_eq(status, 0, "the independent readers failed (python3-openpyxl installed?): %s",
                 out);
    cJSON *doc = cJSON_Parse(out);
    cr_assert_not_null(doc, "reader output: %.300s", out);
    return doc;
}

/* Row `i` of `rows` as one string, fields joined by '|' (numbers as integers). */
static const char *row_text(const cJSON *rows, int i) {
    static char buf[2048];
    const cJSON *row = cJSON_GetArrayItem(rows, i), *v;
    buf[0] = '\0';
    cr_assert_not_null(row, "no row %d", i);
    int first = 1;
    cJSON_ArrayForEach(v, row) {
        char num[32];
        const char *s = cJSON_IsString(v) ? v->valuestring : num;
        if (cJSON_IsNumber(v))
            snprintf(num, sizeof(num), "%d", v->valueint);
        strncat(buf, first ? "" : "|", sizeof(buf) - strlen(buf) - 1);
        strncat(buf, s, sizeof(buf) - strlen(buf) - 1);
        first = 0;
    }
    return buf;
}

/* The index of the row whose first cell is `control`, or -1. */
static int row_of(const cJSON *rows, const char *control) {
    int i = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows) {
        const cJSON *c = cJSON_GetArrayItem(row, 0);
        if (cJSON_IsString(c) && strcmp(c->valuestring, control) == 0)
            return i;
        i++;
    }
    return -1;
}

static void check_table(const cJSON *rows, const char *org, const char *today, int padded) {
    char expect[512];
    cr_assert_eq(cJSON_GetArraySize(rows), 8 + 93, "8 rows above the 93 controls");
    cr_assert_str_eq(row_text(rows, 0),
                     padded ? "Statement of Applicability||||||" : "Statement of Applicability");
    snprintf(expect, sizeof(expect), padded ? "Organisation|%s|||||" : "Organisation|%s", org);
    cr_assert_str_eq(row_text(rows, 1), expect);
    cr_assert_str_eq(row_text(rows, 2),
                     padded ? "Framework|ISO/IEC 27001:2022|||||" : "Framework|ISO/IEC 27001:2022");
    cr_assert_str_eq(row_text(rows, 3), padded ? "Version|1|||||" : "Version|1");
    snprintf(expect, sizeof(expect), padded ? "Date|%s|||||" : "Date|%s", today);
    cr_assert_str_eq(row_text(rows, 4), expect);
    cr_assert_str_eq(row_text(rows, 7),
                     "Control|Theme|Title|Applicable|Reasons|Justification|Implementation status");
    int i = row_of(rows, "A.7.4");
    snprintf(expect, sizeof(expect), "A.7.4|Physical controls|%s|no||%s|not applicable",
             "Premises monitored for unauthorised physical access", justification_plain);
    cr_assert_str_eq(row_text(rows, i), expect);
    i = row_of(rows, "A.5.1");
    cr_assert(strstr(row_text(rows, i), "|yes|legal requirement; risk assessment result||") != NULL,
              "%s", row_text(rows, i));
    i = row_of(rows, "A.8.13");
    cr_assert(strstr(row_text(rows, i), "|yes|best practice||implemented") != NULL, "%s",
              row_text(rows, i));
    i = row_of(rows, "A.8.1");
    cr_assert(strstr(row_text(rows, i), "||||not started") != NULL, "undecided: %s",
              row_text(rows, i));
}

/* Unknown reasons and controls, exclusions without a justification and another organisation's
 * SoA are refused, naming the field. */
static void check_soa_refusals(const it_server_t *srv, const pworld_t *w, const char *soa,
                               const char *other) {
    pw_expect_field(srv, w, PW_U_M1, "PATCH", soa,
                    "{\"items\":[{\"control\":\"A.5.1\",\"applicable\":true,"
                    "\"reasons\":[\"regulator_asked\"]}]}",
                    400, "invalid_body", "items[0].reasons[0]");
    pw_expect_field(srv, w, PW_U_M1, "PATCH", soa,
                    "{\"items\":[{\"control\":\"A.7.4\",\"applicable\":false}]}", 400,
                    "invalid_body", "items[0].justification");
    pw_expect_field(srv, w, PW_U_M1, "PATCH", soa,
                    "{\"items\":[{\"control\":\"A.5.38\",\"applicable\":true,"
                    "\"reasons\":[\"legal\"]}]}",
                    400, "invalid_body", "items[0].control");
    pw_expect_field(srv, w, PW_U_M1, "PATCH", soa,
                    "{\"items\":[{\"control\":\"6.1.3\",\"applicable\":true,"
                    "\"reasons\":[\"legal\"]}]}",
                    400, "invalid_body", "items[0].control");
    pw_expect_error(srv, w, PW_U_M1, "PATCH", other,
                    "{\"items\":[{\"control\":\"A.5.1\",\"applicable\":true,"
                    "\"reasons\":[\"legal\"]}]}",
                    404, "not_found");
}

Test(progress_exports, soa_decisions_and_both_exports_read_back) {
    PGconn *admin = it_db_connect(NULL);
    pworld_t w;
    pworld_build(admin, &w);
    it_server_t *srv = it_server_start(NULL);
    char soa[160], csv_path[160], xlsx_path[160], assess[160], body[1024], other[160];
    pw_path(soa, "/v1/enrolments/%s/soa", w.id[PW_E1]);
    pw_path(other, "/v1/enrolments/%s/soa", w.id[PW_E2]);
    pw_path(assess, "/v1/enrolments/%s/assessments", w.id[PW_E1]);

    check_soa_refusals(srv, &w, soa, other);
    snprintf(body, sizeof(body),
             "{\"items\":[{\"control\":\"A.7.4\",\"applicable\":false,\"justification\":\"%s\"},"
             "{\"control\":\"A.5.1\",\"applicable\":true,"
             "\"reasons\":[\"legal\",\"risk_assessment_result\"]},"
             "{\"control\":\"A.8.13\",\"applicable\":true,\"reasons\":[\"best_practice\"]}]}",
             justification);
    it_response_t *r = pw_expect(srv, &w, PW_U_M1, "PATCH", soa, body, 200);
    const cJSON *counts = cJSON_GetObjectItemCaseSensitive(r->json, "counts");
    cr_assert_str_eq(pw_str(counts, "applicable"), "2");
    cr_assert_str_eq(pw_str(counts, "excluded"), "1");
    cr_assert_str_eq(pw_str(counts, "undecided"), "90");
    cr_assert_str_eq(pw_str(r->json, "version"), "1");
    char today[11];
    snprintf(today, sizeof(today), "%.10s", pw_str(r->json, "version_date"));
    it_response_free(r);
    it_response_free(
        pw_expect(srv, &w, PW_U_M1, "PATCH", assess,
                  "{\"items\":[{\"requirement\":\"A.8.13\",\"status\":\"implemented\"}]}", 200));
    /* The excluded control cannot be implemented; its assessment follows the SoA. */
    pw_expect_field(srv, &w, PW_U_M1, "PATCH", assess,
                    "{\"items\":[{\"requirement\":\"A.7.4\",\"status\":\"in_progress\"}]}", 409,
                    "control_excluded", "items[0].status");

    char dir[] = "/tmp/isms-it-progress-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    snprintf(csv_path, sizeof(csv_path), "%s/soa.csv", dir);
    snprintf(xlsx_path, sizeof(xlsx_path), "%s/soa.xlsx", dir);

    char path[200], expect[200];
    snprintf(path, sizeof(path), "%s.csv", soa);
    r = pw_expect(srv, &w, PW_U_M1, "GET", path, NULL, 200);
    cr_assert(strncmp(it_header(r, "content-type"), "text/csv", 8) == 0);
    snprintf(expect, sizeof(expect), "attachment; filename=\"soa-it-progress-m1-%s-v1.csv\"",
             w.id[PW_ORG_M1]);
    cr_assert_str_eq(it_header(r, "content-disposition"), expect);
    cr_assert(strncmp(r->body, "Statement of Applicability,,,,,,\r\n", 34) == 0, "CRLF records");
    write_file(csv_path, r->body, r->body_len);
    it_response_free(r);
    snprintf(path, sizeof(path), "%s.xlsx", soa);
    r = pw_expect(srv, &w, PW_U_COACH, "GET", path, NULL, 200);
    cr_assert_str_eq(it_header(r, "content-type"),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    cr_assert(r->body_len > 4 && memcmp(r->body, "PK", 2) == 0);
    write_file(xlsx_path, r->body, r->body_len);
    it_response_free(r);
    /* Another organisation's SoA cannot be exported. */
    snprintf(path, sizeof(path), "%s.xlsx", other);
    pw_expect_error(srv, &w, PW_U_M1, "GET", path, NULL, 404, "not_found");
    snprintf(path, sizeof(path), "%s.csv", other);
    pw_expect_error(srv, &w, PW_U_COACH, "GET", path, NULL, 404, "not_found");

    cJSON *back = read_back(csv_path, xlsx_path, dir);
    char org[160];
    snprintf(org, sizeof(org), "it progress M1 %s", w.id[PW_ORG_M1]);
    check_table(cJSON_GetObjectItemCaseSensitive(back, "csv"), org, today, 1);
    check_table(cJSON_GetObjectItemCaseSensitive(back, "xlsx"), org, today, 1);
    cr_assert_str_eq(pw_str(back, "sheet"), "Statement of Applicability");
    cJSON_Delete(back);
    char cleanup[300];
    snprintf(cleanup, sizeof(cleanup), "rm -rf '%s'", dir);
    cr_assert_eq(system(cleanup), 0);
    cr_assert_eq(it_server_stop(srv), 0);
}
