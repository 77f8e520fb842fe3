/* libFuzzer target for the router (services/core/router.h). The first byte picks the mode: match
 * arbitrary method and path bytes against a fixed table, or register the input as a pattern and
 * check that the pattern, used as a path, finds its own route. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/router.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int handle(struct http_req *req) {
    (void)req;
    return 0;
}

#define ROUTE(m, p)                                                                                \
    { .method = (m), .pattern = (p), .handler = handle, .flags = 0 }

static const route_t table[] = {
    ROUTE("GET", "/"),
    ROUTE("GET", "/v1/clusters"),
    ROUTE("POST", "/v1/clusters"),
    ROUTE("GET", "/v1/clusters/{id}"),
    ROUTE("PATCH", "/v1/clusters/{id}"),
    ROUTE("DELETE", "/v1/clusters/{id}"),
    ROUTE("GET", "/v1/clusters/{cluster_id}/members/{member_id}"),
    ROUTE("PUT", "/v1/clusters/{cluster_id}/members/{member_id}/roles/{role}"),
    ROUTE("GET", "/v1/a/{b}/{c}/{d}/{e}/{f}/{g}"),
    ROUTE("POST", "/v1/login"),
    ROUTE("GET", "/v1/health"),
};

static router_t *fixed;

static void match_fixed(const char *data, size_t size) {
    if (fixed == NULL) {
        fixed = router_new();
        CHECK(fixed != NULL);
        CHECK(router_add(fixed, table, sizeof(table) / sizeof(table[0])) == 0);
    }
    size_t method_len = size == 0 ? 0 : (unsigned char)data[0] % 9;
    if (size > 0) {
        data++;
        size--;
    }
    if (method_len > size)
        method_len = size;
    const char *method = data, *path = data + method_len;
    size_t path_len = size - method_len;
    route_match_t m;
    route_status_t st = router_match(fixed, method, method_len, path, path_len, &m);
    if (st == ROUTE_FOUND) {
        CHECK(m.route != NULL);
        CHECK(strlen(m.route->method) == method_len);
        CHECK(memcmp(m.route->method, method, method_len) == 0);
        CHECK(m.nparams <= ROUTER_MAX_PARAMS);
        for (size_t i = 0; i < m.nparams; i++) {
            const route_param_t *p = &m.params[i];
            CHECK(p->value >= path && p->value + p->value_len <= path + path_len);
            CHECK(p->value_len > 0 && memchr(p->value, '/', p->value_len) == NULL);
            char name[64], buf[256];
            CHECK(p->name_len < sizeof(name));
            memcpy(name, p->name, p->name_len);
            name[p->name_len] = '\0';
            const char *got = route_param(&m, name, buf, sizeof(buf));
            CHECK((got != NULL) == (p->value_len < sizeof(buf)));
        }
    } else if (st == ROUTE_METHOD_NOT_ALLOWED) {
        CHECK(m.route == NULL && m.allow[0] != '\0' && strlen(m.allow) < sizeof(m.allow));
    } else {
        CHECK(st == ROUTE_NOT_FOUND && m.route == NULL);
    }
}

static void add_pattern(const char *data, size_t size) {
    char pattern[512];
    size_t len = size < sizeof(pattern) - 1 ? size : sizeof(pattern) - 1;
    memcpy(pattern, data, len);
    pattern[len] = '\0';
    route_t one[] = {ROUTE("GET", pattern)};
    router_t *r = router_new();
    CHECK(r != NULL);
    if (router_add(r, one, 1) == 0) {
        route_match_t m;
        len = strlen(pattern);
        CHECK(router_match(r, "GET", 3, pattern, len, &m) == ROUTE_FOUND && m.route == &one[0]);
        CHECK(router_match(r, "POST", 4, pattern, len, &m) == ROUTE_METHOD_NOT_ALLOWED);
        CHECK(router_add(r, one, 1) == -1);
    }
    router_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > 0 && data[0] == 'P')
        add_pattern((const char *)data + 1, size - 1);
    else
        match_fixed((const char *)data, size);
    return 0;
}
