/* Authentication: login with argon2id passwords (libsodium), opaque bearer sessions of which only
 * a hash is stored, throttling, logout, password change, invitations, and the operator's
 * create-coordinator command. */
#pragma once
#include <stddef.h>

#include "core/config.h"
#include "core/db.h"
#include "core/router.h"

/* How long an invitation can be redeemed (tokens themselves: core/token.h). */
#define AUTH_INVITATION_SECONDS "604800"

extern const route_t auth_routes[];
extern const size_t auth_routes_count;
extern const db_stmt_t auth_statements[];
extern const size_t auth_statements_count;
/** The statement the HTTP core runs first in every authenticated transaction. */
extern const db_stmt_t auth_session_statement;

/** Prepares what login needs (a dummy hash so that unknown users cost as much as known ones) and
 * keeps `cfg` for the session lifetimes and throttling limits. Returns 0 or -1. */
int auth_init(const config_t *cfg);

/** Hashes a password with argon2id at libsodium's interactive limits (above OWASP's minimum).
 * Returns 0 or -1. Slow by design: call it off the event loop. */
int auth_password_hash(const char *password, char out[128]);

/** `isms-cluster admin create-coordinator --organisation NAME --email EMAIL [--name NAME]`.
 * Reads the password from standard input when it is not a terminal, or generates and prints
 * one. Returns the process exit status. */
int auth_admin_command(int argc, char **argv);
