/* Every route of every service declares who may call it (core/permission.h), in the vocabulary
 * of the spec's x-permission; the checker refuses declarations that are missing or malformed. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "auth/auth.h"
#include "coaching/coaching.h"
#include "core/permission.h"
#include "feedback/feedback.h"
#include "planning/planning.h"
#include "progress/progress.h"
#include "system/system.h"
#include "tenancy/tenancy.h"
#include "web/web.h"

static int handler(struct http_req *req) {
    (void)req;
    return 0;
}

#define ROUTE(f, p)                                                                                \
    { .method = "GET", .pattern = "/x/{id}", .handler = handler, .flags = (f), .permission = (p) }

Test(route_permissions, every_route_of_every_service_declares_a_valid_permission) {
    const struct {
        const route_t *routes;
        const size_t *n;
    } tables[] = {
        {system_routes, &system_routes_count},     {auth_routes, &auth_routes_count},
        {tenancy_routes, &tenancy_routes_count},   {coaching_routes, &coaching_routes_count},
        {feedback_routes, &feedback_routes_count}, {progress_routes, &progress_routes_count},
        {planning_routes, &planning_routes_count}, {web_routes, &web_routes_count}};
    size_t checked = 0;
    char err[160];
    for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
        for (size_t r = 0; r < *tables[t].n; r++, checked++) {
            const route_t *route = &tables[t].routes[r];
            cr_expect_eq(permission_check(route, err, sizeof(err)), 0, "%s %s: %s", route->method,
                         route->pattern, err);
        }
    cr_expect_geq(checked, 137);
}

Test(route_permissions, accepts_the_vocabulary) {
    char err[160];
    const route_t ok[] = {
        ROUTE(ROUTE_PUBLIC, "anyone:none"),
        ROUTE(ROUTE_AUTH, "user:self"),
        ROUTE(ROUTE_AUTH, "coordinator:cluster coach:enrolment org_member:enrolment"),
        ROUTE(ROUTE_AUTH, "org_admin:organisation coordinator:organisation?no_active_admin | "
                          "forbidden to org_member:organisation"),
        ROUTE(ROUTE_AUTH, "trainer:session cluster_creator:none"),
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        cr_expect_eq(permission_check(&ok[i], err, sizeof(err)), 0, "\"%s\": %s", ok[i].permission,
                     err);
}

Test(route_permissions, refuses_missing_unknown_and_inconsistent_declarations) {
    char err[160];
    const route_t bad[] = {
        ROUTE(ROUTE_AUTH, NULL),
        ROUTE(ROUTE_AUTH, ""),
        ROUTE(ROUTE_AUTH, "coordinator"),
        ROUTE(ROUTE_AUTH, "boss:cluster"),
        ROUTE(ROUTE_AUTH, "coordinator:galaxy"),
        ROUTE(ROUTE_AUTH, "coordinator:cluster?"),
        ROUTE(ROUTE_AUTH, "coordinator:cluster  coach:cluster"),
        ROUTE(ROUTE_AUTH, "coordinator:cluster "),
        ROUTE(ROUTE_AUTH, "coordinator:cluster | forbidden to "),
        ROUTE(ROUTE_AUTH, "coordinator:cluster | forbidden to anyone:none"),
        ROUTE(ROUTE_AUTH, "anyone:none"),
        ROUTE(ROUTE_PUBLIC, "user:none"),
        ROUTE(ROUTE_PUBLIC, "anyone:none user:none"),
        ROUTE(ROUTE_PUBLIC, "anyone:cluster"),
        ROUTE(ROUTE_AUTH, "user:cluster"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        cr_expect_eq(permission_check(&bad[i], err, sizeof(err)), -1, "\"%s\" was accepted",
                     bad[i].permission ? bad[i].permission : "(null)");
        cr_expect_neq(err[0], '\0', "no reason for \"%s\"",
                      bad[i].permission ? bad[i].permission : "(null)");
    }
}
