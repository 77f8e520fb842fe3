/* Planning: the curriculum, unavailability, holidays, the programme scheduler and its plans,
 * sessions, attendance, calendar feeds, and the paper's demo cluster. The scheduler and the
 * calendar writer are pure C (scheduler.h, ical.h); the data lives under row-level security
 * (migrations/0030-0033). */
#pragma once
#include <stddef.h>

#include "core/db.h"
#include "core/router.h"

extern const route_t planning_routes[];
extern const size_t planning_routes_count;
extern const db_stmt_t planning_statements[];
extern const size_t planning_statements_count;

/** `isms-cluster demo`: loads (or reloads) the paper's cluster, plans it with the scheduler and
 * prints a login for each role. Uses ISMS_ADMIN_DATABASE_URL; returns the exit status. */
int planning_demo_command(int argc, char **argv);
