/* Unit tests for the method-aware path router (services/core/router.h): matching, parameters,
 * 404/405 answers and the patterns router_add refuses. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/router.h"

static int handle_root(struct http_req *req) {
    (void)req;
    return 0;
}

static int handle_other(struct http_req *req) {
    (void)req;
    return 0;
}

/* Designated initializers keep these tables valid when route_t gains members. */
#define ROUTE(m, p, h, f)                                                                          \
    { .method = (m), .pattern = (p), .handler = (h), .flags = (f) }

static const route_t table[] = {
    ROUTE("GET", "/", handle_root, ROUTE_PUBLIC),
    ROUTE("GET", "/v1/clusters", handle_other, ROUTE_AUTH),
    ROUTE("POST", "/v1/clusters", handle_other, ROUTE_AUTH | ROUTE_JSON_BODY),
    ROUTE("GET", "/v1/clusters/{id}", handle_other, ROUTE_AUTH),
    ROUTE("PATCH", "/v1/clusters/{id}", handle_other, ROUTE_AUTH | ROUTE_JSON_BODY),
    ROUTE("DELETE", "/v1/clusters/{id}", handle_other, ROUTE_AUTH),
    ROUTE("GET", "/v1/clusters/{cluster_id}/members/{member_id}", handle_other, ROUTE_AUTH),
    ROUTE("POST", "/v1/login", handle_other, ROUTE_JSON_BODY),
};
#define TABLE_LEN (sizeof(table) / sizeof(table[0]))

static router_t *router;

static void setup(void) {
    router = router_new();
    cr_assert_not_null(router);
    cr_assert_eq(router_add(router, table, TABLE_LEN), 0);
}

static void teardown(void) {
    router_free(router);
    router = NULL;
}

static route_status_t match(const char *method, const char *path, route_match_t *m) {
    return router_match(router, method, strlen(method), path, strlen(path), m);
}

TestSuite(router, .init = setup, .fini = teardown);

Test(router, matches_literal_path_to_its_route) {
    route_match_t m;
    cr_assert_eq(match("GET", "/v1/clusters", &m), ROUTE_FOUND);
    cr_assert_eq(m.route, &table[1]);
    cr_assert_eq(m.nparams, 0);
    cr_assert_eq(match("POST", "/v1/clusters", &m), ROUTE_FOUND);
    cr_assert_eq(m.route, &table[2]);
}

Test(router, matches_root_path) {
    route_match_t m;
    cr_assert_eq(match("GET", "/", &m), ROUTE_FOUND);
    cr_assert_eq(m.route, &table[0]);
    cr_assert_eq(m.route->handler, handle_root);
}

Test(router, matches_param_segment_and_extracts_its_value) {
    route_match_t m;
    char buf[64];
    cr_assert_eq(match("PATCH", "/v1/clusters/4b1e", &m), ROUTE_FOUND);
    cr_assert_eq(m.route, &table[4]);
    cr_assert_eq(m.nparams, 1);
    cr_assert_eq(m.params[0].name_len, 2);
    cr_assert_eq(memcmp(m.params[0].name, "id", 2), 0);
    cr_assert_str_eq(route_param(&m, "id", buf, sizeof(buf)), "4b1e");
}

Test(router, extracts_several_params_by_name) {
    route_match_t m;
    char a[64], b[64];
    cr_assert_eq(match("GET", "/v1/clusters/c-1/members/m-22", &m), ROUTE_FOUND);
    cr_assert_eq(m.route, &table[6]);
    cr_assert_eq(m.nparams, 2);
    cr_assert_str_eq(route_param(&m, "cluster_id", a, sizeof(a)), "c-1");
    cr_assert_str_eq(route_param(&m, "member_id", b, sizeof(b)), "m-22");
}

Test(router, param_values_point_into_the_matched_path) {
    route_match_t m;
    const char *path = "/v1/clusters/abc";
    cr_assert_eq(match("GET", path, &m), ROUTE_FOUND);
    cr_assert_eq(m.params[0].value, path + 13);
    cr_assert_eq(m.params[0].value_len, 3);
}

Test(router, route_param_returns_null_for_unknown_name) {
    route_match_t m;
    char buf[64];
    cr_assert_eq(match("GET", "/v1/clusters/abc", &m), ROUTE_FOUND);
    cr_assert_null(route_param(&m, "cluster_id", buf, sizeof(buf)));
    cr_assert_null(route_param(&m, "i", buf, sizeof(buf)));
    cr_assert_null(route_param(&m, "idx", buf, sizeof(buf)));
}

Test(router, route_param_returns_null_when_value_does_not_fit) {
    route_match_t m;
    char buf[4];
    cr_assert_eq(match("GET", "/v1/clusters/abcd", &m), ROUTE_FOUND);
    cr_assert_null(route_param(&m, "id", buf, sizeof(buf)));
    cr_assert_null(route_param(&m, "id", buf, 0));
    cr_assert_eq(match("GET", "/v1/clusters/abc", &m), ROUTE_FOUND);
    cr_assert_str_eq(route_param(&m, "id", buf, sizeof(buf)), "abc");
}

Test(router, answers_404_for_unknown_path) {
    route_match_t m;
    cr_assert_eq(match("GET", "/v1/unknown", &m), ROUTE_NOT_FOUND);
    cr_assert_null(m.route);
    cr_assert_eq(match("GET", "/v2/clusters", &m), ROUTE_NOT_FOUND);
    cr_assert_eq(match("GET", "/v1/clusters/a/b", &m), ROUTE_NOT_FOUND);
    cr_assert_eq(match("GET", "/v1/clusters/a/members", &m), ROUTE_NOT_FOUND);
    cr_assert_eq(match("GET", "/v1", &m), ROUTE_NOT_FOUND);
}

Test(router, answers_404_for_path_without_leading_slash_or_empty) {
    route_match_t m;
    cr_assert_eq(match("GET", "v1/clusters", &m), ROUTE_NOT_FOUND);
    cr_assert_eq(match("GET", "", &m), ROUTE_NOT_FOUND);
}

Test(router, answers_405_with_allow_for_known_path) {
    route_match_t m;
    cr_assert_eq(match("PUT", "/v1/clusters/abc", &m), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_null(m.route);
    cr_assert_str_eq(m.allow, "GET, PATCH, DELETE, HEAD");
    cr_assert_eq(match("DELETE", "/v1/clusters", &m), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(m.allow, "GET, POST, HEAD");
}

Test(router, lists_head_in_allow_only_where_get_is_allowed) {
    route_match_t m;
    cr_assert_eq(match("GET", "/v1/login", &m), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_str_eq(m.allow, "POST");
}

Test(router, compares_methods_exactly) {
    route_match_t m;
    cr_assert_eq(match("get", "/v1/clusters", &m), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_eq(match("GETS", "/v1/clusters", &m), ROUTE_METHOD_NOT_ALLOWED);
    cr_assert_eq(router_match(router, "GE", 2, "/v1/clusters", 12, &m), ROUTE_METHOD_NOT_ALLOWED);
    /* Only method_len bytes are the method. */
    cr_assert_eq(router_match(router, "GETX", 3, "/v1/clusters", 12, &m), ROUTE_FOUND);
}

Test(router, reads_only_path_len_bytes_of_the_path) {
    static const char text[] = "/v1/clusters/abc?limit=5";
    route_match_t m;
    char buf[16];
    /* An exact-size heap copy without a terminator lets AddressSanitizer catch any over-read. */
    char *path = malloc(16);
    cr_assert_not_null(path);
    memcpy(path, text, 16);
    cr_assert_eq(router_match(router, "GET", 3, path, 16, &m), ROUTE_FOUND);
    cr_assert_str_eq(route_param(&m, "id", buf, sizeof(buf)), "abc");
    cr_assert_eq(router_match(router, "GET", 3, path, 12, &m), ROUTE_FOUND);
    cr_assert_eq(m.route, &table[1]);
    free(path);
}

Test(router, answers_404_for_trailing_slash) {
    route_match_t m;
    cr_assert_eq(match("GET", "/v1/clusters/", &m), ROUTE_NOT_FOUND);
    cr_assert_eq(match("GET", "/v1/clusters/abc/", &m), ROUTE_NOT_FOUND);
    cr_assert_eq(match("GET", "//", &m), ROUTE_NOT_FOUND);
}

Test(router, answers_404_for_empty_segment) {
    route_match_t m;
    cr_assert_eq(match("GET", "/v1//clusters", &m), ROUTE_NOT_FOUND);
    cr_assert_eq(match("GET", "//v1/clusters", &m), ROUTE_NOT_FOUND);
    /* An empty segment never fills a parameter. */
    cr_assert_eq(match("GET", "/v1/clusters//members/m", &m), ROUTE_NOT_FOUND);
}

Test(router, answers_404_for_long_paths) {
    route_match_t m;
    size_t len = 20000;
    char *path = malloc(len + 1);
    cr_assert_not_null(path);
    /* One very long segment. */
    path[0] = '/';
    memset(path + 1, 'a', len - 1);
    path[len] = '\0';
    cr_assert_eq(match("GET", path, &m), ROUTE_NOT_FOUND);
    /* Far more segments than any route can have. */
    for (size_t i = 0; i < len; i += 2)
        memcpy(path + i, "/a", 2);
    cr_assert_eq(match("GET", path, &m), ROUTE_NOT_FOUND);
    free(path);
}

Test(router, matches_long_param_value) {
    static const char prefix[] = "/v1/clusters/";
    route_match_t m;
    char small[64];
    size_t value_len = 10000, len = sizeof(prefix) - 1 + value_len;
    char *path = malloc(len + 1);
    char *copy = malloc(value_len + 1);
    cr_assert(path != NULL && copy != NULL);
    memcpy(path, prefix, sizeof(prefix) - 1);
    memset(path + sizeof(prefix) - 1, 'x', value_len);
    path[len] = '\0';
    cr_assert_eq(match("GET", path, &m), ROUTE_FOUND);
    cr_assert_eq(m.params[0].value_len, value_len);
    cr_assert_null(route_param(&m, "id", small, sizeof(small)));
    cr_assert_eq(route_param(&m, "id", copy, value_len + 1), copy);
    cr_assert_eq(strlen(copy), value_len);
    free(copy);
    free(path);
}

Test(router, refuses_duplicate_route) {
    static const route_t same[] = {ROUTE("GET", "/v1/clusters", handle_other, 0)};
    static const route_t renamed_param[] = {
        ROUTE("DELETE", "/v1/clusters/{cluster}", handle_other, 0)};
    cr_assert_eq(router_add(router, same, 1), -1);
    cr_assert_eq(router_add(router, renamed_param, 1), -1);
}

Test(router, refuses_duplicate_within_one_table) {
    static const route_t twice[] = {
        ROUTE("GET", "/v1/items/{id}", handle_other, 0),
        ROUTE("GET", "/v1/items/{item}", handle_other, 0),
    };
    router_t *r = router_new();
    cr_assert_eq(router_add(r, twice, 2), -1);
    router_free(r);
}

Test(router, accepts_same_path_with_another_method_or_shape) {
    static const route_t more[] = {
        ROUTE("PUT", "/v1/clusters/{id}", handle_other, 0),
        ROUTE("GET", "/v1/clusters/summary/{year}", handle_other, 0),
        ROUTE("GET", "/v1/clusters/{id}/members", handle_other, 0),
    };
    route_match_t m;
    cr_assert_eq(router_add(router, more, 3), 0);
    cr_assert_eq(match("PUT", "/v1/clusters/x", &m), ROUTE_FOUND);
    cr_assert_eq(m.route, &more[0]);
    cr_assert_eq(match("GET", "/v1/clusters/x/members", &m), ROUTE_FOUND);
    cr_assert_eq(m.route, &more[2]);
}

Test(router, refuses_malformed_patterns) {
    static const char *const bad[] = {
        "",        "v1/clusters", "/v1/",  "/v1//clusters", "//",        "/v1/{}",
        "/v1/{id", "/v1/{",       "/{}/a", "/v1/clusters/", "/v1/{id}/",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        route_t one[] = {ROUTE("GET", bad[i], handle_other, 0)};
        router_t *r = router_new();
        cr_expect_eq(router_add(r, one, 1), -1, "pattern \"%s\" was accepted", bad[i]);
        router_free(r);
    }
}

Test(router, refuses_more_than_max_params) {
    static const route_t at_max[] = {ROUTE("GET", "/{a}/{b}/{c}/{d}/{e}/{f}", handle_other, 0)};
    static const route_t over_max[] = {
        ROUTE("GET", "/{a}/{b}/{c}/{d}/{e}/{f}/{g}", handle_other, 0)};
    cr_assert_eq(ROUTER_MAX_PARAMS, 6);
    router_t *r = router_new();
    cr_assert_eq(router_add(r, over_max, 1), -1);
    cr_assert_eq(router_add(r, at_max, 1), 0);
    route_match_t m;
    char buf[8];
    cr_assert_eq(router_match(r, "GET", 3, "/1/2/3/4/5/6", 12, &m), ROUTE_FOUND);
    cr_assert_eq(m.nparams, 6);
    cr_assert_str_eq(route_param(&m, "f", buf, sizeof(buf)), "6");
    router_free(r);
}

Test(router, refuses_more_than_max_segments) {
    static const route_t at_max[] = {
        ROUTE("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p", handle_other, 0)};
    static const route_t over_max[] = {
        ROUTE("GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q", handle_other, 0)};
    cr_assert_eq(ROUTER_MAX_SEGMENTS, 16);
    router_t *r = router_new();
    cr_assert_eq(router_add(r, over_max, 1), -1);
    cr_assert_eq(router_add(r, at_max, 1), 0);
    route_match_t m;
    cr_assert_eq(router_match(r, "GET", 3, at_max[0].pattern, strlen(at_max[0].pattern), &m),
                 ROUTE_FOUND);
    cr_assert_eq(router_match(r, "GET", 3, over_max[0].pattern, strlen(over_max[0].pattern), &m),
                 ROUTE_NOT_FOUND);
    router_free(r);
}

typedef struct visits {
    const route_t *seen[64];
    size_t n;
} visits_t;

static void record_visit(const route_t *route, void *arg) {
    visits_t *v = arg;
    if (v->n < sizeof(v->seen) / sizeof(v->seen[0]))
        v->seen[v->n] = route;
    v->n++;
}

Test(router, each_visits_routes_in_the_order_added) {
    static const route_t later[] = {
        ROUTE("GET", "/v1/zeta", handle_other, 0),
        ROUTE("GET", "/v1/alpha", handle_other, 0),
    };
    visits_t v = {.n = 0};
    cr_assert_eq(router_add(router, later, 2), 0);
    router_each(router, record_visit, &v);
    cr_assert_eq(v.n, TABLE_LEN + 2);
    for (size_t i = 0; i < TABLE_LEN; i++)
        cr_assert_eq(v.seen[i], &table[i], "route %zu out of order", i);
    cr_assert_eq(v.seen[TABLE_LEN], &later[0]);
    cr_assert_eq(v.seen[TABLE_LEN + 1], &later[1]);
}

Test(router, grows_past_its_initial_capacity) {
    enum { N = 100 };
    static char patterns[N][16];
    static route_t many[N];
    router_t *r = router_new();
    for (int i = 0; i < N; i++) {
        snprintf(patterns[i], sizeof(patterns[i]), "/r%d", i);
        many[i] = (route_t)ROUTE("GET", patterns[i], handle_other, 0);
    }
    cr_assert_eq(router_add(r, many, N), 0);
    route_match_t m;
    cr_assert_eq(router_match(r, "GET", 3, "/r99", 4, &m), ROUTE_FOUND);
    cr_assert_eq(m.route, &many[99]);
    cr_assert_eq(router_match(r, "GET", 3, "/r100", 5, &m), ROUTE_NOT_FOUND);
    router_free(r);
}

Test(router, empty_router_finds_nothing) {
    router_t *r = router_new();
    route_match_t m;
    cr_assert_eq(router_match(r, "GET", 3, "/", 1, &m), ROUTE_NOT_FOUND);
    router_free(r);
    router_free(NULL);
}
