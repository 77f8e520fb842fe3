/* Unit tests for the Statement of Applicability exports (progress/soa_export.h): RFC 4180 CSV with
 * the title block, and the XLSX container. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "progress/soa_export.h"

static const char soa_doc[] =
    "{\"organisation_name\":\"Acme, \\\"Secure\\\" S.A.\",\"version\":3,"
    "\"version_date\":\"2025-01-10\",\"exported_on\":\"2025-02-01\","
    "\"framework\":{\"code\":\"ISO/IEC 27001\",\"version\":\"2022\",\"title\":\"t\"},"
    "\"items\":["
    "{\"control\":\"A.5.1\",\"theme\":\"A.5\",\"theme_title\":\"Organisational controls\","
    "\"title\":\"Policies, "
    "approved\",\"applicable\":true,\"reasons\":[\"legal\",\"best_practice\"],"
    "\"justification\":null,\"implementation_status\":\"implemented\"},"
    "{\"control\":\"A.7.4\",\"theme\":\"A.7\",\"theme_title\":\"Physical controls\","
    "\"title\":\"Monitoring\",\"applicable\":false,\"reasons\":[],"
    "\"justification\":\"No premises:\\nwe rent \\\"desks\\\"\","
    "\"implementation_status\":\"not_applicable\"},"
    "{\"control\":\"A.8.1\",\"theme\":\"A.8\",\"theme_title\":\"Technological controls\","
    "\"title\":\"End points\",\"applicable\":null,\"reasons\":[],\"justification\":null,"
    "\"implementation_status\":\"not_started\"}]}";

/* A small RFC 4180 reader for the tests: the fields of record `index` (0-based), joined by '|'. */
static int csv_record(const char *csv, int index, char *out, size_t outlen, int *fields) {
    const char *p = csv;
    int rec = 0;
    size_t used = 0;
    *fields = 0;
    out[0] = '\0';
    while (*p) {
        int quoted = *p == '"';
        if (quoted)
            p++;
        if (rec == index && *fields > 0 && used + 1 < outlen)
            out[used++] = '|';
        for (;;) {
            if (quoted && p[0] == '"' && p[1] == '"') {
                if (rec == index && used + 1 < outlen)
                    out[used++] = '"';
                p += 2;
            } else if (quoted && p[0] == '"') {
                p++;
                break;
            } else if (!quoted && (*p == ',' || *p == '\r' || *p == '\0')) {
                break;
            } else {
                cr_assert(quoted || *p != '\n', "a bare LF ends a record");
                if (rec == index && used + 1 < outlen)
                    out[used++] = *p;
                p++;
            }
        }
        out[used] = '\0';
        if (rec == index)
            (*fields)++;
        if (*p == ',') {
            p++;
            continue;
        }
        cr_assert(*p == '\0' || (p[0] == '\r' && p[1] == '\n'), "records end with CRLF");
        if (rec == index)
            return 0;
        if (*p == '\0')
            break;
        p += 2;
        rec++;
    }
    return -1;
}

static cJSON *doc(void) {
    cJSON *d = cJSON_Parse(soa_doc);
    cr_assert_not_null(d);
    return d;
}

Test(soa_export, csv_has_title_block_header_and_one_record_per_control) {
    cJSON *d = doc();
    soa_buf_t out;
    char rec[1024];
    int fields;
    cr_assert_eq(soa_csv_write(d, &out), 0);
    cr_assert_eq(csv_record(out.data, 0, rec, sizeof(rec), &fields), 0);
    cr_assert_str_eq(rec, "Statement of Applicability||||||");
    csv_record(out.data, 1, rec, sizeof(rec), &fields);
    cr_assert_str_eq(rec, "Organisation|Acme, \"Secure\" S.A.|||||");
    csv_record(out.data, 2, rec, sizeof(rec), &fields);
    cr_assert_str_eq(rec, "Framework|ISO/IEC 27001:2022|||||");
    csv_record(out.data, 3, rec, sizeof(rec), &fields);
    cr_assert_str_eq(rec, "Version|3|||||");
    csv_record(out.data, 4, rec, sizeof(rec), &fields);
    cr_assert_str_eq(rec, "Date|2025-01-10|||||");
    csv_record(out.data, 7, rec, sizeof(rec), &fields);
    cr_assert_str_eq(rec, "Control|Theme|Title|Applicable|Reasons|Justification|"
                          "Implementation status");
    csv_record(out.data, 8, rec, sizeof(rec), &fields);
    cr_assert_str_eq(rec, "A.5.1|Organisational controls|Policies, approved|yes|"
                          "legal requirement; best practice||implemented");
    csv_record(out.data, 9, rec, sizeof(rec), &fields);
    cr_assert_str_eq(rec, "A.7.4|Physical controls|Monitoring|no||No premises:\nwe rent "
                          "\"desks\"|not applicable");
    csv_record(out.data, 10, rec, sizeof(rec), &fields);
    cr_assert_str_eq(rec, "A.8.1|Technological controls|End points||||not started");
    cr_assert_eq(csv_record(out.data, 11, rec, sizeof(rec), &fields), -1, "no extra record");
    for (int i = 0; i <= 10; i++) {
        csv_record(out.data, i, rec, sizeof(rec), &fields);
        cr_assert_eq(fields, SOA_CSV_COLUMNS, "record %d has %d fields", i, fields);
    }
    free(out.data);
    cJSON_Delete(d);
}

Test(soa_export, csv_field_quotes_only_when_needed) {
    soa_buf_t b = {0};
    cr_assert_eq(soa_csv_field(&b, "plain", 1), 0);
    cr_assert_eq(soa_csv_field(&b, "a,b", 0), 0);
    cr_assert_eq(soa_csv_field(&b, "say \"hi\"", 0), 0);
    cr_assert_eq(soa_csv_field(&b, "two\r\nlines", 0), 0);
    cr_assert_eq(soa_csv_field(&b, "", 0), 0);
    cr_assert_str_eq(b.data, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",");
    free(b.data);
}

Test(soa_export, refuses_a_document_without_items) {
    cJSON *d = cJSON_Parse("{\"organisation_name\":\"x\",\"version\":1}");
    soa_buf_t out;
    cr_assert_eq(soa_csv_write(d, &out), -1);
    cr_assert_null(out.data);
    cr_assert_eq(soa_xlsx_write(d, NULL, &out), -1);
    cJSON_Delete(d);
}

Test(soa_export, xlsx_is_a_zip_container) {
    cJSON *d = doc();
    soa_buf_t out;
    cr_assert_eq(soa_xlsx_write(d, NULL, &out), 0);
    cr_assert_gt(out.len, 1000);
    cr_assert_eq(memcmp(out.data, "PK\x03\x04", 4), 0, "an XLSX file is a ZIP archive");
    free(out.data);
    cJSON_Delete(d);
}

Test(soa_export, file_names_are_ascii_slugs_with_the_version) {
    cJSON *d = doc();
    char name[128];
    soa_file_name(d, "csv", name, sizeof(name));
    cr_assert_str_eq(name, "soa-acme-secure-s-a-v3.csv");
    cJSON_Delete(d);
    d = cJSON_Parse("{\"organisation_name\":\"\xc3\x89"
                    "cole\",\"version\":0}");
    soa_file_name(d, "xlsx", name, sizeof(name));
    cr_assert_str_eq(name, "soa-cole-v0.xlsx");
    cJSON_Delete(d);
}

Test(soa_export, labels) {
    cr_assert_str_eq(soa_reason_label("risk_assessment_result"), "risk assessment result");
    cr_assert_str_eq(soa_status_label("in_progress"), "in progress");
    cr_assert_str_eq(soa_status_label("other"), "other");
}
