/* Cost statement to CSV (see statement_csv.h): one record per line of each organisation, then the
 * totals, written with the shared RFC 4180 writer (core/csv.h). */
#include "coaching/statement_csv.h"

#include <stdio.h>
#include <string.h>

#include "core/csv.h"

static void field(textbuf_t *b, const char *value, int first) {
    csv_field(b, value, first ? CSV_FIRST : 0);
}

/* A number we formatted ourselves: never neutralised (a negative amount stays a number). */
static void number(textbuf_t *b, const char *value) {
    csv_field(b, value, CSV_NUMBER);
}

void coaching_format_cents(long long cents, char *buf, size_t buflen) {
    /* Magnitude as unsigned, so that LLONG_MIN formats too. */
    unsigned long long m = cents < 0 ? 0ULL - (unsigned long long)cents : (unsigned long long)cents;
    snprintf(buf, buflen, "%s%llu.%02llu", cents < 0 ? "-" : "", m / 100, m % 100);
}

static const char *str(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* An integer member (cents, half-days, weights); -1 when absent or not a whole number. */
static int num(const cJSON *obj, const char *name, long long *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)(long long)v->valuedouble)
        return -1;
    *out = (long long)v->valuedouble;
    return 0;
}

typedef struct record {
    const char *org, *org_id, *line, *category, *description, *basis;
    char share[48], half_days[24], rate[32], amount[32];
} record_t;

static void write_record(textbuf_t *b, const record_t *r, const char *currency) {
    field(b, r->org, 1);
    field(b, r->org_id, 0);
    field(b, r->line, 0);
    field(b, r->category, 0);
    field(b, r->description, 0);
    field(b, r->basis, 0);
    number(b, r->share);
    number(b, r->half_days);
    number(b, r->rate);
    number(b, r->amount);
    field(b, currency, 0);
    csv_end_record(b);
}

/* One statement line of an organisation. Returns 0 or -1 (malformed). */
static int write_line(textbuf_t *b, const cJSON *org, const cJSON *line, const char *currency) {
    record_t r = {str(org, "organisation_name"),
                  str(org, "organisation_id"),
                  str(line, "kind"),
                  str(line, "category"),
                  str(line, "description"),
                  str(line, "basis"),
                  "",
                  "",
                  "",
                  ""};
    long long amount, a, w;
    if (r.line == NULL || num(line, "amount_cents", &amount) != 0)
        return -1;
    coaching_format_cents(amount, r.amount, sizeof(r.amount));
    if (strcmp(r.line, "coaching") == 0) {
        const char *coach = str(line, "coach_name");
        r.category = "coaching";
        r.description = coach != NULL ? coach : "coaching";
        if (num(line, "half_days", &a) != 0 || num(line, "rate_cents", &w) != 0)
            return -1;
        snprintf(r.half_days, sizeof(r.half_days), "%lld", a);
        coaching_format_cents(w, r.rate, sizeof(r.rate));
    } else if (num(line, "weight", &a) == 0 && num(line, "total_weight", &w) == 0) {
        snprintf(r.share, sizeof(r.share), "%lld/%lld", a, w);
    }
    write_record(b, &r, currency);
    return 0;
}

static int write_organisation(textbuf_t *b, const cJSON *org, const char *currency) {
    const cJSON *lines = cJSON_GetObjectItemCaseSensitive(org, "lines");
    long long total;
    if (!cJSON_IsArray(lines) || num(org, "total_cents", &total) != 0 ||
        str(org, "organisation_name") == NULL)
        return -1;
    for (const cJSON *line = lines->child; line != NULL; line = line->next)
        if (write_line(b, org, line, currency) != 0)
            return -1;
    record_t r = {str(org, "organisation_name"),
                  str(org, "organisation_id"),
                  "organisation_total",
                  NULL,
                  NULL,
                  NULL,
                  "",
                  "",
                  "",
                  ""};
    coaching_format_cents(total, r.amount, sizeof(r.amount));
    write_record(b, &r, currency);
    return 0;
}

/* A cluster-level record (unallocated, cluster_total) when the statement has that member. */
static void write_total(textbuf_t *b, const cJSON *statement, const char *member, const char *line,
                        const char *currency) {
    long long cents;
    if (num(statement, member, &cents) != 0)
        return;
    record_t r = {str(statement, "cluster_name"), NULL, line, NULL, NULL, NULL, "", "", "", ""};
    coaching_format_cents(cents, r.amount, sizeof(r.amount));
    write_record(b, &r, currency);
}

char *coaching_statement_csv(const cJSON *statement, size_t *len) {
    static const char *const header[COACHING_CSV_COLUMNS] = {
        "organisation", "organisation_id", "line", "category", "description", "basis",
        "share",        "half_days",       "rate", "amount",   "currency"};
    textbuf_t b = {0};
    const cJSON *orgs = cJSON_GetObjectItemCaseSensitive(statement, "organisations");
    const char *currency = str(statement, "currency");
    if (!cJSON_IsArray(orgs) || currency == NULL)
        return NULL;
    for (int i = 0; i < COACHING_CSV_COLUMNS; i++)
        field(&b, header[i], i == 0);
    csv_end_record(&b);
    for (const cJSON *org = orgs->child; org != NULL; org = org->next)
        if (write_organisation(&b, org, currency) != 0) {
            textbuf_free(&b);
            return NULL;
        }
    write_total(&b, statement, "unallocated_cents", "unallocated", currency);
    write_total(&b, statement, "total_cents", "cluster_total", currency);
    return textbuf_take(&b, len);
}
