/* The coaching route table against its statements: every route passes exactly the parameters its
 * SQL function takes (path, query, body, handler extras, constants), names only path parameters
 * its pattern has, and statement names are unique and prefixed. A mismatch would otherwise only
 * show as a 500 "misconfigured" at run time. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "coaching/coaching.h"
#include "core/api.h"

static int count_fields(const api_field_t *f) {
    int n = 0;
    for (; f != NULL && f->name != NULL; f++)
        n++;
    return n;
}

static int count_names(const char *const *p) {
    int n = 0;
    for (; p != NULL && *p != NULL; p++)
        n++;
    return n;
}

static int count_placeholders(const char *sql) {
    int n = 0;
    for (const char *p = strchr(sql, '$'); p != NULL; p = strchr(p + 1, '$'))
        if (p[1] >= '1' && p[1] <= '9') {
            int v = 0;
            for (const char *d = p + 1; *d >= '0' && *d <= '9'; d++)
                v = v * 10 + (*d - '0');
            if (v > n)
                n = v;
        }
    return n;
}

Test(coaching_routes, every_route_passes_exactly_its_statements_parameters) {
    for (size_t i = 0; i < coaching_routes_count; i++) {
        const route_t *r = &coaching_routes[i];
        const api_op_t *op = r->data;
        cr_assert_not_null(op, "%s %s has no operation", r->method, r->pattern);
        int given = count_names(op->path) + count_fields(op->query) + count_fields(op->body) +
                    coaching_route_extra_params(r) + count_names(op->constants);
        cr_assert_eq(given, op->stmt->nparams, "%s %s passes %d values to %s, which takes %d",
                     r->method, r->pattern, given, op->stmt->name, op->stmt->nparams);
        cr_assert_eq(count_placeholders(op->stmt->sql), op->stmt->nparams,
                     "%s declares %d parameters but its SQL uses %d", op->stmt->name,
                     op->stmt->nparams, count_placeholders(op->stmt->sql));
    }
}

Test(coaching_routes, path_parameters_are_in_the_pattern) {
    for (size_t i = 0; i < coaching_routes_count; i++) {
        const route_t *r = &coaching_routes[i];
        const api_op_t *op = r->data;
        for (const char *const *p = op->path; p != NULL && *p != NULL; p++) {
            char braced[64];
            snprintf(braced, sizeof(braced), "{%s}", *p);
            cr_assert_not_null(strstr(r->pattern, braced), "%s %s has no %s", r->method, r->pattern,
                               braced);
        }
    }
}

Test(coaching_routes, statement_names_are_unique_and_prefixed) {
    for (size_t i = 0; i < coaching_statements_count; i++) {
        cr_assert_eq(strncmp(coaching_statements[i].name, "coaching_", 9), 0, "%s",
                     coaching_statements[i].name);
        cr_assert_eq(strncmp(coaching_statements[i].sql, "SELECT isms.api_", 16), 0, "%s",
                     coaching_statements[i].sql);
        for (size_t j = i + 1; j < coaching_statements_count; j++)
            cr_assert_str_neq(coaching_statements[i].name, coaching_statements[j].name);
    }
}

Test(coaching_routes, writes_that_create_ledger_entries_take_an_idempotency_key) {
    int idempotent = 0;
    for (size_t i = 0; i < coaching_routes_count; i++) {
        const route_t *r = &coaching_routes[i];
        const char *last = strrchr(r->pattern, '/');
        int creates = strcmp(r->method, "POST") == 0 &&
                      (strcmp(last, "/coaching-sessions") == 0 || strcmp(last, "/cost-items") == 0);
        if (creates) {
            cr_assert_eq(coaching_route_extra_params(r), 2, "%s %s ignores Idempotency-Key",
                         r->method, r->pattern);
            idempotent++;
        }
    }
    cr_assert_eq(idempotent, 2, "booking a session and creating a cost item are idempotent");
}
