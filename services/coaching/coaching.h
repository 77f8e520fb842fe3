/* Coaching: the half-day ledger of each enrolment, its budget (ceiling, estimate, delivered,
 * planned, remaining; the invariant delivered + planned <= ceiling is enforced by PostgreSQL,
 * migrations/0020_coaching.sql), burn-down and forecast, the coach's view across clusters, the
 * effort log, and cost sharing with per-organisation statements (JSON and CSV). */
#pragma once
#include <stddef.h>

#include "core/db.h"
#include "core/router.h"

extern const route_t coaching_routes[];
extern const size_t coaching_routes_count;
extern const db_stmt_t coaching_statements[];
extern const size_t coaching_statements_count;

/** Extra statement parameters that a route's handler adds after the body fields (the
 * Idempotency-Key and the request fingerprint for idempotent POSTs; 0 otherwise). Lets a test
 * check that every route passes exactly the parameters its statement takes. */
int coaching_route_extra_params(const route_t *route);
