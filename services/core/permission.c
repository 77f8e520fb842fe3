/* Validation of the per-route permission declarations (see permission.h). */
#include "core/permission.h"

#include <stdio.h>
#include <string.h>

static const char *const roles[] = {"anyone",      "user",  "org_admin", "org_member",
                                    "coordinator", "coach", "trainer",   "cluster_creator"};
static const char *const scopes[] = {"none",      "self",    "organisation",
                                     "enrolment", "cluster", "session"};

static int in_list(const char *word, size_t len, const char *const *list, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == len && strncmp(list[i], word, len) == 0)
            return 1;
    return 0;
}

/* Checks one "role:scope[?condition]" of `len` characters; counts the grants of `anyone`. */
static int check_grant(const char *g, size_t len, int *anyone, char *err, size_t errlen) {
    const char *colon = memchr(g, ':', len);
    const char *end = memchr(g, '?', len);
    size_t scope_end = end != NULL ? (size_t)(end - g) : len;
    if (colon == NULL || (size_t)(colon - g) >= scope_end) {
        snprintf(err, errlen, "grant \"%.*s\" is not role:scope", (int)len, g);
        return -1;
    }
    size_t rlen = (size_t)(colon - g), slen = scope_end - rlen - 1;
    if (!in_list(g, rlen, roles, sizeof(roles) / sizeof(roles[0]))) {
        snprintf(err, errlen, "unknown role \"%.*s\"", (int)rlen, g);
        return -1;
    }
    if (!in_list(colon + 1, slen, scopes, sizeof(scopes) / sizeof(scopes[0]))) {
        snprintf(err, errlen, "unknown scope \"%.*s\"", (int)slen, colon + 1);
        return -1;
    }
    if (end != NULL && (size_t)(end - g) + 1 == len) {
        snprintf(err, errlen, "grant \"%.*s\" has an empty condition", (int)len, g);
        return -1;
    }
    int is_anyone = rlen == 6 && strncmp(g, "anyone", 6) == 0;
    int is_user = rlen == 4 && strncmp(g, "user", 4) == 0;
    int no_object = slen == 4 && strncmp(colon + 1, "none", 4) == 0;
    int self = slen == 4 && strncmp(colon + 1, "self", 4) == 0;
    if ((is_anyone && !no_object) || (is_user && !no_object && !self)) {
        snprintf(err, errlen, "role %.*s takes scope none%s", (int)rlen, g,
                 is_user ? " or self" : "");
        return -1;
    }
    *anyone += is_anyone;
    return 0;
}

/* Checks a space-separated list of grants; returns how many there are, or -1. */
static int check_grants(const char *s, size_t len, int *anyone, char *err, size_t errlen) {
    int count = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != ' ')
            j++;
        if (j == i || check_grant(s + i, j - i, anyone, err, errlen) != 0) {
            if (j == i)
                snprintf(err, errlen, "two spaces or a trailing space in the grants");
            return -1;
        }
        count++;
        i = j + 1;
        if (j + 1 == len) {
            snprintf(err, errlen, "a trailing space in the grants");
            return -1;
        }
    }
    return count;
}

int permission_check(const route_t *route, char *err, size_t errlen) {
    static const char sep[] = " | forbidden to ";
    const char *p = route->permission;
    if (p == NULL || p[0] == '\0') {
        snprintf(err, errlen, "no permission is declared");
        return -1;
    }
    const char *bar = strstr(p, sep);
    size_t glen = bar != NULL ? (size_t)(bar - p) : strlen(p);
    int anyone = 0;
    int n = check_grants(p, glen, &anyone, err, errlen);
    if (n <= 0) {
        if (n == 0)
            snprintf(err, errlen, "the list of grants is empty");
        return -1;
    }
    if (anyone > 0 && n > 1) {
        snprintf(err, errlen, "anyone:none is the only grant of a public route");
        return -1;
    }
    if (bar != NULL) {
        int readers_anyone = 0;
        const char *r = bar + sizeof(sep) - 1;
        if (check_grants(r, strlen(r), &readers_anyone, err, errlen) <= 0 || readers_anyone) {
            if (readers_anyone)
                snprintf(err, errlen, "anyone cannot be told 403");
            else if (r[0] == '\0')
                snprintf(err, errlen, "\"forbidden to\" names nobody");
            return -1;
        }
    }
    int authenticated = (route->flags & ROUTE_AUTH) != 0;
    if (authenticated == (anyone > 0)) {
        snprintf(err, errlen, "%s",
                 authenticated ? "an authenticated route grants anyone"
                               : "a public route must grant anyone:none");
        return -1;
    }
    return 0;
}
