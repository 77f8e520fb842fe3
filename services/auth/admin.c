/* `isms-cluster admin create-coordinator`: the platform operator's way to create the first
 * coordinator of an installation: an administrator of its (coordinating) organisation who may
 * create clusters and the organisations to enrol in them. It connects with
 * ISMS_ADMIN_DATABASE_URL (the operator's connection, which is not subject to the tenants'
 * row-level security) and runs as one transaction; the server itself never has such a
 * connection. */
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/keys.h"

static const char *arg_value(int argc, char **argv, const char *name) {
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return NULL;
}

/* Reads the first line of standard input as the password; returns 0 or -1. */
static int read_password(char *out, size_t outlen) {
    if (fgets(out, (int)outlen, stdin) == NULL)
        return -1;
    out[strcspn(out, "\r\n")] = '\0';
    return strlen(out) >= 10 ? 0 : -1;
}

static void generate_password(char out[33]) {
    unsigned char bytes[24];
    randombytes_buf(bytes, sizeof(bytes));
    sodium_bin2base64(out, 33, bytes, sizeof(bytes), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static const char create_sql[] =
    "WITH org AS ("
    "  INSERT INTO isms.organisations (name, kind) VALUES ($1, 'coordinator')"
    "  ON CONFLICT (created_by_organisation_id, lower(name)) DO UPDATE SET name = "
    "isms.organisations.name"
    "  RETURNING id, kind),"
    " usr AS ("
    "  INSERT INTO isms.users (organisation_id, email, display_name, password_hash,"
    "                          password_changed_at, role, may_create_clusters)"
    "  SELECT id, $2, $3, $4, now(), 'admin', true FROM org WHERE kind = 'coordinator'"
    "  RETURNING id, organisation_id),"
    " ev AS ("
    "  INSERT INTO isms.audit_events (action, entity_type, entity_id, organisation_id, detail)"
    "  SELECT 'coordinator_create', 'user', id, organisation_id, '{\"by\":\"operator\"}'"
    "  FROM usr)"
    "SELECT (SELECT kind FROM org), (SELECT id FROM usr)";

int auth_admin_command(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[2], "rotate-feedback-secret") == 0)
        return keys_rotate_command(argc, argv);
    if (argc < 3 || strcmp(argv[2], "create-coordinator") != 0) {
        fprintf(stderr, "usage: isms-cluster admin create-coordinator --organisation NAME "
                        "--email EMAIL [--name DISPLAY_NAME]\n"
                        "       isms-cluster admin rotate-feedback-secret --new-secret-file FILE\n"
                        "The password is read from standard input, or generated and printed "
                        "once when standard input is a terminal.\n");
        return 2;
    }
    const char *org = arg_value(argc, argv, "--organisation");
    const char *email = arg_value(argc, argv, "--email");
    const char *name = arg_value(argc, argv, "--name");
    const char *conninfo = getenv("ISMS_ADMIN_DATABASE_URL");
    if (org == NULL || email == NULL || strchr(email, '@') == NULL) {
        fprintf(stderr, "isms-cluster admin: --organisation and a valid --email are required\n");
        return 2;
    }
    if (conninfo == NULL || conninfo[0] == '\0') {
        fprintf(stderr, "isms-cluster admin: set ISMS_ADMIN_DATABASE_URL\n");
        return 2;
    }
    char password[1100] = "", hash[128];
    int generated = isatty(STDIN_FILENO);
    if (generated) {
        generate_password(password);
    } else if (read_password(password, sizeof(password)) != 0) {
        fprintf(stderr, "isms-cluster admin: the password on standard input must have at least "
                        "10 characters\n");
        return 2;
    }
    if (auth_password_hash(password, hash) != 0) {
        fprintf(stderr, "isms-cluster admin: hashing the password failed (out of memory?)\n");
        return 1;
    }
    int rc = 1;
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "isms-cluster admin: cannot connect: %s", PQerrorMessage(pg));
        goto done;
    }
    const char *params[] = {org, email, name != NULL ? name : email, hash};
    PGresult *r = PQexecParams(pg, create_sql, 4, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        if (state != NULL && strcmp(state, "23505") == 0)
            fprintf(stderr, "isms-cluster admin: a user with e-mail %s already exists\n", email);
        else
            fprintf(stderr, "isms-cluster admin: %s", PQerrorMessage(pg));
    } else if (strcmp(PQgetvalue(r, 0, 0), "coordinator") != 0) {
        fprintf(stderr,
                "isms-cluster admin: organisation \"%s\" exists and is not a coordinating "
                "organisation\n",
                org);
    } else {
        printf("created coordinator %s (user %s) in organisation \"%s\"\n", email,
               PQgetvalue(r, 0, 1), org);
        if (generated)
            printf("password (shown once): %s\n", password);
        rc = 0;
    }
    PQclear(r);
done:
    sodium_memzero(password, sizeof(password));
    PQfinish(pg);
    return rc;
}
