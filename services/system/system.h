/* The system service: liveness, readiness, server metadata, and the migration runner. */
#pragma once
#include <stddef.h>

#include "core/db.h"
#include "core/router.h"

extern const route_t system_routes[];
extern const size_t system_routes_count;
extern const db_stmt_t system_statements[];
extern const size_t system_statements_count;

/** Applies every pending migration in `dir` over `admin_conninfo` (a superuser connection) under
 * an advisory lock, each in its own transaction, recording a checksum; refuses edited files.
 * Sets the app role's password when `app_password` is non-NULL. Returns 0 or -1 (reported on
 * stderr). */
int migrate_run(const char *admin_conninfo, const char *dir, const char *app_password);
