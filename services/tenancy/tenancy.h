/* Tenancy: organisations, users, clusters, enrolments, staff, coach assignments and the audit
 * trail. Isolation is enforced by PostgreSQL row-level security (migrations/0002_tenancy.sql). */
#pragma once
#include <stddef.h>

#include "core/db.h"
#include "core/router.h"

extern const route_t tenancy_routes[];
extern const size_t tenancy_routes_count;
extern const db_stmt_t tenancy_statements[];
extern const size_t tenancy_statements_count;
