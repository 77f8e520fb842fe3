/* The feedback route table against its statements: every route is authenticated and anonymous
 * (the server's request id), passes exactly the parameters its SQL function takes, and statement
 * names are unique and prefixed. A mismatch would otherwise only show as a 500 at run time. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/api.h"
#include "feedback/feedback.h"
#include "feedback/internal.h"

static int count(const char *const *p) {
    int n = 0;
    for (; p != NULL && *p != NULL; p++)
        n++;
    return n;
}

static int count_fields(const api_field_t *f) {
    int n = 0;
    for (; f != NULL && f->name != NULL; f++)
        n++;
    return n;
}

static int highest_placeholder(const char *sql) {
    int n = 0;
    for (const char *p = strchr(sql, '$'); p != NULL; p = strchr(p + 1, '$')) {
        int v = 0;
        for (const char *d = p + 1; *d >= '0' && *d <= '9'; d++)
            v = v * 10 + (*d - '0');
        n = v > n ? v : n;
    }
    return n;
}

Test(feedback_routes, every_route_is_authenticated_and_anonymous) {
    for (size_t i = 0; i < feedback_routes_count; i++) {
        const route_t *r = &feedback_routes[i];
        cr_assert(r->flags & ROUTE_AUTH, "%s %s", r->method, r->pattern);
        cr_assert(r->flags & ROUTE_ANONYMOUS, "%s %s", r->method, r->pattern);
    }
}

Test(feedback_routes, every_operation_passes_exactly_its_statements_parameters) {
    for (size_t i = 0; i < feedback_routes_count; i++) {
        const route_t *r = &feedback_routes[i];
        const api_op_t *op = r->data;
        if (op == NULL)
            continue; /* the event stream builds its own queries */
        int given = count(op->path) + count_fields(op->query) + count_fields(op->body) +
                    count(op->constants);
        cr_assert_eq(given, op->stmt->nparams, "%s %s passes %d values to %s (%d)", r->method,
                     r->pattern, given, op->stmt->name, op->stmt->nparams);
    }
}

Test(feedback_routes, statements_are_complete_prefixed_and_unique) {
    cr_assert_eq(feedback_statements_count, (size_t)FB_STATEMENT_COUNT);
    for (size_t i = 0; i < feedback_statements_count; i++) {
        const db_stmt_t *s = &feedback_statements[i];
        cr_assert_not_null(s->name, "statement %zu is missing", i);
        cr_assert(strncmp(s->name, "feedback_", 9) == 0, "%s", s->name);
        cr_assert_eq(highest_placeholder(s->sql), s->nparams, "%s", s->name);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(s->name, feedback_statements[j].name);
    }
    cr_assert_eq(feedback_statements[FB_EVENTS].nparams, 3);
}
