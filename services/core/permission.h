/* Who may call a route: every route declares it in route_t.permission with the vocabulary of the
 * `x-permission` extension of proto/openapi.yaml, and the server refuses to start on a route
 * without a valid declaration. The database functions enforce it; the contract test
 * (tests/contract/test_openapi.sh) checks that the spec and the route tables declare the same;
 * proto/x-permission.md explains the roles, scopes and conditions.
 *
 * Text form:  GRANT [GRANT ...] [" | forbidden to " GRANT [GRANT ...]]
 *   GRANT     role ":" scope ["?" condition]
 *   role      anyone user org_admin org_member coordinator coach trainer cluster_creator
 *   scope     none self organisation enrolment cluster session
 * The grants before "|" may call the route; every other caller gets an answer byte for byte like
 * a missing object's (404), except that callers holding one of the grants after "forbidden to"
 * (they may already see the object) get `403 forbidden`. */
#pragma once
#include <stddef.h>

#include "core/router.h"

/** Checks `route`'s declaration: 0 when valid, else -1 with a sentence in `err`. */
int permission_check(const route_t *route, char *err, size_t errlen);
