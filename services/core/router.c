/* Route matching: patterns are split into segments once, at registration; a request path is
 * matched segment by segment. The route tables are small (tens of routes), so a linear scan over
 * pre-split patterns is both simple and fast. */
#include "core/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct segment {
    const char *text;
    size_t len;
    int is_param;
} segment_t;

typedef struct compiled {
    const route_t *route;
    segment_t segs[ROUTER_MAX_SEGMENTS];
    size_t nsegs;
} compiled_t;

struct router {
    compiled_t *items;
    size_t count, cap;
};

router_t *router_new(void) {
    return calloc(1, sizeof(router_t));
}

void router_free(router_t *router) {
    if (router == NULL)
        return;
    free(router->items);
    free(router);
}

/* Splits "/a/{b}/c" into segments; returns the count or -1 when malformed. */
static int split(const char *path, size_t len, segment_t *segs, size_t max) {
    size_t n = 0, i = 0;
    if (len == 0 || path[0] != '/')
        return -1;
    if (len == 1)
        return 0;
    while (i < len) {
        i++; /* skip '/' */
        size_t start = i;
        while (i < len && path[i] != '/')
            i++;
        if (n == max)
            return -1;
        segs[n].text = path + start;
        segs[n].len = i - start;
        segs[n].is_param = 0;
        n++;
    }
    return (int)n;
}

static int same_shape(const compiled_t *a, const compiled_t *b) {
    if (a->nsegs != b->nsegs)
        return 0;
    for (size_t i = 0; i < a->nsegs; i++) {
        if (a->segs[i].is_param != b->segs[i].is_param)
            return 0;
        if (!a->segs[i].is_param && (a->segs[i].len != b->segs[i].len ||
                                     memcmp(a->segs[i].text, b->segs[i].text, a->segs[i].len) != 0))
            return 0;
    }
    return 1;
}

int router_add(router_t *router, const route_t *routes, size_t n) {
    for (size_t r = 0; r < n; r++) {
        compiled_t c = {.route = &routes[r]};
        int nsegs =
            split(routes[r].pattern, strlen(routes[r].pattern), c.segs, ROUTER_MAX_SEGMENTS);
        if (nsegs < 0)
            return -1;
        c.nsegs = (size_t)nsegs;
        size_t nparams = 0;
        for (size_t i = 0; i < c.nsegs; i++) {
            segment_t *s = &c.segs[i];
            if (s->len == 0)
                return -1;
            if (s->text[0] == '{') {
                if (s->len < 3 || s->text[s->len - 1] != '}' || ++nparams > ROUTER_MAX_PARAMS)
                    return -1;
                s->is_param = 1;
                s->text++;
                s->len -= 2;
            }
        }
        for (size_t i = 0; i < router->count; i++)
            if (same_shape(&router->items[i], &c) &&
                strcmp(router->items[i].route->method, routes[r].method) == 0)
                return -1;
        if (router->count == router->cap) {
            size_t cap = router->cap ? router->cap * 2 : 32;
            compiled_t *items = realloc(router->items, cap * sizeof(*items));
            if (items == NULL)
                return -1;
            router->items = items;
            router->cap = cap;
        }
        router->items[router->count++] = c;
    }
    return 0;
}

static int match_segments(const compiled_t *c, const segment_t *segs, size_t nsegs,
                          route_match_t *out) {
    if (c->nsegs != nsegs)
        return 0;
    size_t np = 0;
    for (size_t i = 0; i < nsegs; i++) {
        const segment_t *p = &c->segs[i];
        if (p->is_param) {
            if (segs[i].len == 0)
                return 0;
            out->params[np].name = p->text;
            out->params[np].name_len = p->len;
            out->params[np].value = segs[i].text;
            out->params[np].value_len = segs[i].len;
            np++;
        } else if (p->len != segs[i].len || memcmp(p->text, segs[i].text, p->len) != 0) {
            return 0;
        }
    }
    out->nparams = np;
    return 1;
}

static void allow_add(char *allow, size_t cap, const char *method) {
    if (strstr(allow, method) != NULL)
        return;
    size_t used = strlen(allow);
    snprintf(allow + used, cap - used, "%s%s", used ? ", " : "", method);
}

route_status_t router_match(const router_t *router, const char *method, size_t method_len,
                            const char *path, size_t path_len, route_match_t *out) {
    segment_t segs[ROUTER_MAX_SEGMENTS];
    memset(out, 0, sizeof(*out));
    /* A trailing slash names a different resource; only "/" itself may end in one. */
    if (path_len > 1 && path[path_len - 1] == '/')
        return ROUTE_NOT_FOUND;
    int nsegs = split(path, path_len, segs, ROUTER_MAX_SEGMENTS);
    if (nsegs < 0)
        return ROUTE_NOT_FOUND;
    int path_known = 0;
    for (size_t i = 0; i < router->count; i++) {
        const compiled_t *c = &router->items[i];
        route_match_t m;
        if (!match_segments(c, segs, (size_t)nsegs, &m))
            continue;
        path_known = 1;
        allow_add(out->allow, sizeof(out->allow), c->route->method);
        if (strlen(c->route->method) == method_len &&
            memcmp(c->route->method, method, method_len) == 0) {
            *out = m;
            out->route = c->route;
            return ROUTE_FOUND;
        }
    }
    if (path_known) {
        /* HEAD is answered like GET by h2o's protocol layer; list it where GET is allowed. */
        if (strstr(out->allow, "GET") != NULL)
            allow_add(out->allow, sizeof(out->allow), "HEAD");
        return ROUTE_METHOD_NOT_ALLOWED;
    }
    return ROUTE_NOT_FOUND;
}

void router_each(const router_t *router, void (*fn)(const route_t *route, void *arg), void *arg) {
    for (size_t i = 0; i < router->count; i++)
        fn(router->items[i].route, arg);
}

const char *route_param(const route_match_t *m, const char *name, char *buf, size_t buflen) {
    size_t len = strlen(name);
    for (size_t i = 0; i < m->nparams; i++) {
        const route_param_t *p = &m->params[i];
        if (p->name_len == len && memcmp(p->name, name, len) == 0) {
            if (p->value_len + 1 > buflen)
                return NULL;
            memcpy(buf, p->value, p->value_len);
            buf[p->value_len] = '\0';
            return buf;
        }
    }
    return NULL;
}
