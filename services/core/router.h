/* Method-aware path router with {param} segments. h2o's own path registration is a prefix match
 * without methods, so the server registers one catch-all handler and dispatches here. */
#pragma once
#include <stddef.h>

#define ROUTER_MAX_PARAMS 6
#define ROUTER_MAX_SEGMENTS 16

struct http_req;

/** A request handler. Returns 0 when it has answered or will answer asynchronously. */
typedef int (*route_handler_t)(struct http_req *req);

/** What a route needs from the request before its handler runs. */
enum {
    ROUTE_PUBLIC = 0,        /* no authentication */
    ROUTE_AUTH = 1,          /* a valid bearer token */
    ROUTE_JSON_BODY = 2,     /* a JSON body, parsed strictly, before the handler */
    ROUTE_OPTIONAL_BODY = 4, /* a JSON body when one is sent */
    ROUTE_ANONYMOUS = 8      /* the request id is always the server's: a client-chosen one could
                                name the writer in the access log */
};

/** One route: services keep a static table of these. */
typedef struct route {
    const char *method;  /* "GET", "POST", "PATCH", "PUT" or "DELETE" */
    const char *pattern; /* "/v1/clusters/{id}" */
    route_handler_t handler;
    int flags;
    const void *data; /* handler-specific description, e.g. an api_op_t */
    /* Who may call the route, in the vocabulary of the spec's x-permission (core/permission.h);
     * the server refuses to start when a route has none. */
    const char *permission;
} route_t;

typedef struct route_param {
    const char *name; /* points into the pattern */
    size_t name_len;
    const char *value; /* points into the matched path */
    size_t value_len;
} route_param_t;

typedef enum {
    ROUTE_FOUND = 0,
    ROUTE_NOT_FOUND = 1,
    ROUTE_METHOD_NOT_ALLOWED = 2,
} route_status_t;

typedef struct route_match {
    const route_t *route;
    route_param_t params[ROUTER_MAX_PARAMS];
    size_t nparams;
    char allow[64]; /* for ROUTE_METHOD_NOT_ALLOWED: "GET, POST" */
} route_match_t;

typedef struct router router_t;

/** Creates an empty router; free with router_free. */
router_t *router_new(void);
void router_free(router_t *router);
/** Adds `n` routes (the table must outlive the router). Returns 0, or -1 on a malformed pattern or
 * a route that duplicates one already added. */
int router_add(router_t *router, const route_t *routes, size_t n);
/** Matches a path (without query string) and method. */
route_status_t router_match(const router_t *router, const char *method, size_t method_len,
                            const char *path, size_t path_len, route_match_t *out);
/** Calls `fn` for every route in the order added. */
void router_each(const router_t *router, void (*fn)(const route_t *route, void *arg), void *arg);
/** Returns a parameter's value as a NUL-terminated copy in `buf`, or NULL if absent or too long. */
const char *route_param(const route_match_t *m, const char *name, char *buf, size_t buflen);
