/* The cost statement as CSV (services/coaching/statement_csv.c): RFC 4180 records, amounts from
 * integer cents that add up exactly (organisation lines to the organisation's total, everything to
 * the cluster's total), quoting, and neutralised spreadsheet formulas. */
#include <criterion/criterion.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "coaching/statement_csv.h"

/* A parsed CSV: records of fields (RFC 4180, CRLF), enough for these tests. */
typedef struct csv {
    char *fields[64][COACHING_CSV_COLUMNS + 1];
    int nfields[64];
    int nrecords;
} csv_t;

static void csv_parse(const char *text, csv_t *out) {
    memset(out, 0, sizeof(*out));
    const char *p = text;
    while (*p != '\0') {
        cr_assert_lt(out->nrecords, 64);
        int r = out->nrecords++;
        for (;;) {
            char buf[512];
            size_t n = 0;
            if (*p == '"') {
                for (p++; !(*p == '"' && p[1] != '"'); p++) {
                    cr_assert_neq(*p, '\0', "unterminated quoted field");
                    if (*p == '"')
                        p++;
                    buf[n++] = *p;
                }
                p++;
            } else {
                while (*p != ',' && *p != '\r' && *p != '\0') {
                    cr_assert_neq(*p, '\n', "a bare LF ends a record");
                    buf[n++] = *p++;
                }
            }
            buf[n] = '\0';
            cr_assert_leq(out->nfields[r], COACHING_CSV_COLUMNS);
            out->fields[r][out->nfields[r]++] = strdup(buf);
            if (*p == ',') {
                p++;
                continue;
            }
            cr_assert(p[0] == '\r' && p[1] == '\n', "records end with CRLF");
            p += 2;
            break;
        }
    }
}

static void csv_free(csv_t *c) {
    for (int r = 0; r < c->nrecords; r++)
        for (int f = 0; f < c->nfields[r]; f++)
            free(c->fields[r][f]);
}

/* "1234.56" -> 123456, exactly. */
static long long cents_of(const char *amount) {
    int neg = amount[0] == '-';
    const char *dot = strchr(amount, '.');
    cr_assert(dot != NULL && strlen(dot) == 3, "amount %s has two decimals", amount);
    long long units = strtoll(amount + neg, NULL, 10), hundredths = strtoll(dot + 1, NULL, 10);
    return (neg ? -1 : 1) * (units * 100 + hundredths);
}

static const char *statement_json =
    "{\"cluster_id\":\"c1\",\"cluster_name\":\"Cluster, \\\"One\\\"\",\"currency\":\"EUR\","
    "\"organisations\":["
    "{\"organisation_id\":\"o1\",\"organisation_name\":\"=HYPERLINK(\\\"http://x\\\")\","
    " \"lines\":[{\"kind\":\"training\",\"category\":\"trainer\",\"description\":\"Trainer\","
    "  \"basis\":\"equal\",\"weight\":366,\"total_weight\":916,\"amount_cents\":39955},"
    " {\"kind\":\"coaching\",\"coach_name\":\"Coach One\",\"half_days\":3,\"rate_cents\":50001,"
    "  \"amount_cents\":150003}],\"total_cents\":189958},"
    "{\"organisation_id\":\"o2\",\"organisation_name\":\"M\xc3\xbcller, S\xc3\xb6hne\","
    " \"lines\":[{\"kind\":\"training\",\"category\":\"venue\",\"description\":\"Room\\nfloor 2\","
    "  \"basis\":\"employees\",\"weight\":550,\"total_weight\":916,\"amount_cents\":60041}],"
    " \"total_cents\":60041}],"
    "\"unallocated_cents\":7,\"total_cents\":250006}";

static char *render(const char *json, size_t *len) {
    cJSON *doc = cJSON_Parse(json);
    cr_assert_not_null(doc, "bad test JSON");
    char *csv = coaching_statement_csv(doc, len);
    cJSON_Delete(doc);
    return csv;
}

Test(coaching_csv, formats_cents_without_floating_point) {
    char buf[32];
    const struct {
        long long cents;
        const char *text;
    } cases[] = {{0, "0.00"},
                 {5, "0.05"},
                 {99, "0.99"},
                 {100, "1.00"},
                 {123456, "1234.56"},
                 {-5, "-0.05"},
                 {-123456, "-1234.56"},
                 {900719925474099, "9007199254740.99"},
                 {LLONG_MIN, "-92233720368547758.08"}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        coaching_format_cents(cases[i].cents, buf, sizeof(buf));
        cr_assert_str_eq(buf, cases[i].text);
    }
}

Test(coaching_csv, has_a_header_and_one_record_per_line_and_total) {
    size_t len;
    char *text = render(statement_json, &len);
    cr_assert_not_null(text);
    cr_assert_eq(strlen(text), len);
    csv_t c;
    csv_parse(text, &c);
    cr_assert_eq(c.nrecords, 1 + 3 + 2 + 2, "header, 3 lines, 2 organisation totals, 2 totals");
    const char *header[] = {"organisation", "organisation_id", "line",    "category",
                            "description",  "basis",           "share",   "half_days",
                            "rate",         "amount",          "currency"};
    for (int r = 0; r < c.nrecords; r++)
        cr_assert_eq(c.nfields[r], COACHING_CSV_COLUMNS, "record %d", r);
    for (int f = 0; f < COACHING_CSV_COLUMNS; f++)
        cr_assert_str_eq(c.fields[0][f], header[f]);
    cr_assert_str_eq(c.fields[1][6], "366/916", "the share of a training line");
    cr_assert_str_eq(c.fields[2][2], "coaching");
    cr_assert_str_eq(c.fields[2][4], "Coach One");
    cr_assert_str_eq(c.fields[2][7], "3");
    cr_assert_str_eq(c.fields[2][8], "500.01");
    cr_assert_str_eq(c.fields[2][9], "1500.03");
    cr_assert_str_eq(c.fields[7][2], "cluster_total");
    cr_assert_str_eq(c.fields[7][10], "EUR");
    csv_free(&c);
    free(text);
}

Test(coaching_csv, amounts_add_up_to_each_total) {
    size_t len;
    char *text = render(statement_json, &len);
    csv_t c;
    csv_parse(text, &c);
    long long org_sum = 0, all = 0, cluster_total = -1;
    for (int r = 1; r < c.nrecords; r++) {
        const char *line = c.fields[r][2];
        long long cents = cents_of(c.fields[r][9]);
        if (strcmp(line, "training") == 0 || strcmp(line, "coaching") == 0) {
            org_sum += cents;
            all += cents;
        } else if (strcmp(line, "organisation_total") == 0) {
            cr_assert_eq(org_sum, cents, "record %d: the lines add up to the organisation total",
                         r);
            org_sum = 0;
        } else if (strcmp(line, "unallocated") == 0) {
            all += cents;
        } else if (strcmp(line, "cluster_total") == 0) {
            cluster_total = cents;
        }
    }
    cr_assert_eq(all, cluster_total, "lines and unallocated add up to the cluster total");
    cr_assert_eq(cluster_total, 250006);
    csv_free(&c);
    free(text);
}

Test(coaching_csv, quotes_and_neutralises_what_needs_it) {
    size_t len;
    char *text = render(statement_json, &len);
    cr_assert_not_null(strstr(text, "\"'=HYPERLINK(\"\"http://x\"\")\""),
                       "a formula is quoted and prefixed with an apostrophe: %s", text);
    cr_assert_not_null(strstr(text, "\"M\xc3\xbcller, S\xc3\xb6hne\""), "a comma is quoted");
    cr_assert_not_null(strstr(text, "\"Room\nfloor 2\""), "a line break is quoted");
    cr_assert_not_null(strstr(text, "\"Cluster, \"\"One\"\"\""), "quotes are doubled");
    csv_t c;
    csv_parse(text, &c);
    cr_assert_str_eq(c.fields[1][0], "'=HYPERLINK(\"http://x\")");
    cr_assert_str_eq(c.fields[4][4], "Room\nfloor 2");
    csv_free(&c);
    free(text);
}

Test(coaching_csv, an_organisation_statement_has_no_cluster_totals) {
    const char *json = "{\"cluster_id\":\"c1\",\"currency\":\"CHF\",\"organisations\":["
                       "{\"organisation_id\":\"o1\",\"organisation_name\":\"A\",\"lines\":[],"
                       "\"total_cents\":0}]}";
    size_t len;
    char *text = render(json, &len);
    cr_assert_not_null(text);
    cr_assert_null(strstr(text, "cluster_total"));
    cr_assert_null(strstr(text, "unallocated"));
    cr_assert_not_null(strstr(text, "A,o1,organisation_total,,,,,,,0.00,CHF\r\n"), "%s", text);
    free(text);
}

Test(coaching_csv, refuses_a_malformed_statement) {
    size_t len;
    const char *bad[] = {
        "{\"currency\":\"EUR\"}",
        "{\"organisations\":[]}",
        "{\"currency\":\"EUR\",\"organisations\":[{\"organisation_name\":\"A\",\"lines\":[]}]}",
        "{\"currency\":\"EUR\",\"organisations\":[{\"organisation_name\":\"A\",\"total_cents\":1,"
        "\"lines\":[{\"kind\":\"training\",\"amount_cents\":\"1\"}]}]}",
        "{\"currency\":\"EUR\",\"organisations\":[{\"organisation_name\":\"A\",\"total_cents\":1,"
        "\"lines\":[{\"kind\":\"coaching\",\"amount_cents\":1}]}]}",
        "{\"currency\":\"EUR\",\"organisations\":[{\"organisation_name\":\"A\",\"total_cents\":1.5,"
        "\"lines\":[]}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_null(render(bad[i], &len), "case %zu should be refused", i);
}
