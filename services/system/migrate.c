/* Migration runner for `isms-cluster migrate`: numbered SQL files (NNNN_name.sql) applied in order,
 * each in its own transaction, under an advisory lock so that concurrent runners wait for each
 * other. Every applied file is recorded with its SHA-256; a file edited after it was applied is
 * refused, because the database would no longer match what the file says. This runs before the
 * server and blocks by design. */
#include <dirent.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/token.h"
#include "system/system.h"

#define MIGRATE_LOCK_KEY "7310427313"

typedef struct migration {
    int version;
    char name[256];
    char *sql;
    char checksum[65];
} migration_t;

static int cmp_migration(const void *a, const void *b) {
    return ((const migration_t *)a)->version - ((const migration_t *)b)->version;
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL)
        buf[n] = '\0';
    fclose(f);
    return buf;
}

static void sha256_hex(const char *text, char out[65]) {
    token_sha256_hex(text, strlen(text), out);
}

/* Loads NNNN_*.sql files sorted by number; refuses two files with one number. */
static int load_migrations(const char *dir, migration_t **out, size_t *count) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        fprintf(stderr, "migrate: cannot open migrations directory %s\n", dir);
        return -1;
    }
    migration_t *list = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        int version;
        if (len < 9 || strcmp(e->d_name + len - 4, ".sql") != 0 ||
            sscanf(e->d_name, "%4d_", &version) != 1 || e->d_name[4] != '_')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            migration_t *grown = realloc(list, cap * sizeof(*list));
            if (grown == NULL) {
                rc = -1;
                break;
            }
            list = grown;
        }
        migration_t *m = &list[n];
        m->version = version;
        snprintf(m->name, sizeof(m->name), "%s", e->d_name);
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if ((m->sql = read_file(path)) == NULL) {
            fprintf(stderr, "migrate: cannot read %s\n", path);
            rc = -1;
            break;
        }
        sha256_hex(m->sql, m->checksum);
        n++;
    }
    closedir(d);
    if (rc == 0) {
        qsort(list, n, sizeof(*list), cmp_migration);
        for (size_t i = 1; i < n; i++)
            if (list[i].version == list[i - 1].version) {
                fprintf(stderr, "migrate: %s and %s share the number %04d\n", list[i - 1].name,
                        list[i].name, list[i].version);
                rc = -1;
            }
    }
    *out = list;
    *count = n;
    return rc;
}

static int exec_ok(PGconn *pg, const char *sql, const char *what) {
    PGresult *r = PQexec(pg, sql);
    ExecStatusType st = PQresultStatus(r);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "migrate: %s failed: %s", what, PQerrorMessage(pg));
    PQclear(r);
    return ok ? 0 : -1;
}

/* Returns 1 when applied with the same checksum, 0 when not applied, -1 when edited or on error. */
static int check_applied(PGconn *pg, const migration_t *m) {
    char version[16];
    snprintf(version, sizeof(version), "%d", m->version);
    const char *params[] = {version};
    PGresult *r =
        PQexecParams(pg, "SELECT checksum FROM public.schema_migrations WHERE version = $1", 1,
                     NULL, params, NULL, NULL, 0);
    int rc;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "migrate: reading schema_migrations failed: %s", PQerrorMessage(pg));
        rc = -1;
    } else if (PQntuples(r) == 0) {
        rc = 0;
    } else if (strcmp(PQgetvalue(r, 0, 0), m->checksum) != 0) {
        fprintf(stderr,
                "migrate: %s was changed after it was applied (recorded sha256 %s, file %s).\n"
                "An applied migration must not be edited: restore it and add a new migration.\n",
                m->name, PQgetvalue(r, 0, 0), m->checksum);
        rc = -1;
    } else {
        rc = 1;
    }
    PQclear(r);
    return rc;
}

/* Applies one migration in a transaction. The first runs as the admin (it creates the roles);
 * later ones run as the owner role, so that the owner owns every object. */
static int apply(PGconn *pg, const migration_t *m) {
    char version[16];
    snprintf(version, sizeof(version), "%d", m->version);
    if (exec_ok(pg, "BEGIN", "BEGIN") != 0)
        return -1;
    if (m->version > 1 && exec_ok(pg, "SET LOCAL ROLE isms_owner", "SET ROLE isms_owner") != 0)
        goto fail;
    if (exec_ok(pg, "SET LOCAL search_path = isms, public", "search_path") != 0)
        goto fail;
    PGresult *r = PQexec(pg, m->sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        fprintf(stderr, "migrate: %s failed: %s", m->name, PQerrorMessage(pg));
        PQclear(r);
        goto fail;
    }
    PQclear(r);
    const char *params[] = {version, m->name, m->checksum};
    r = PQexecParams(pg,
                     "INSERT INTO public.schema_migrations (version, name, checksum) "
                     "VALUES ($1, $2, $3)",
                     3, NULL, params, NULL, NULL, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok)
        fprintf(stderr, "migrate: recording %s failed: %s", m->name, PQerrorMessage(pg));
    PQclear(r);
    if (!ok || exec_ok(pg, "COMMIT", "COMMIT") != 0)
        goto fail;
    printf("migrate: applied %s\n", m->name);
    return 0;
fail:
    exec_ok(pg, "ROLLBACK", "ROLLBACK");
    return -1;
}

static int set_app_password(PGconn *pg, const char *password) {
    char *literal = PQescapeLiteral(pg, password, strlen(password));
    if (literal == NULL)
        return -1;
    size_t len = strlen(literal) + 64;
    char *sql = malloc(len);
    int rc = -1;
    if (sql != NULL) {
        snprintf(sql, len, "ALTER ROLE isms_app PASSWORD %s", literal);
        rc = exec_ok(pg, sql, "setting the isms_app password");
        free(sql);
    }
    PQfreemem(literal);
    return rc;
}

int migrate_run(const char *admin_conninfo, const char *dir, const char *app_password) {
    migration_t *list = NULL;
    size_t count = 0;
    int rc = -1, applied = 0;
    PGconn *pg = PQconnectdb(admin_conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "migrate: cannot connect with ISMS_ADMIN_DATABASE_URL: %s",
                PQerrorMessage(pg));
        goto done;
    }
    if (load_migrations(dir, &list, &count) != 0)
        goto done;
    PQclear(PQexec(pg, "SET client_min_messages = warning"));
    if (exec_ok(pg, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")", "taking the migration lock") !=
            0 ||
        exec_ok(pg,
                "CREATE TABLE IF NOT EXISTS public.schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())",
                "creating schema_migrations") != 0)
        goto done;
    for (size_t i = 0; i < count; i++) {
        int state = check_applied(pg, &list[i]);
        if (state < 0)
            goto done;
        if (state == 0) {
            if (apply(pg, &list[i]) != 0)
                goto done;
            applied++;
        }
    }
    if (app_password != NULL && app_password[0] != '\0' && set_app_password(pg, app_password) != 0)
        goto done;
    printf("migrate: %d applied, %zu up to date\n", applied, count - (size_t)applied);
    rc = 0;
done:
    if (PQstatus(pg) == CONNECTION_OK)
        PQclear(PQexec(pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
    PQfinish(pg);
    for (size_t i = 0; i < count; i++)
        free(list[i].sql);
    free(list);
    return rc;
}
