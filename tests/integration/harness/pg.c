/* PostgreSQL for tests: fixture connections (usually the superuser on the test database) and
 * throwaway instances that fault tests may stop, kill and restart. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define PG_TIMEOUT_MS 60000

/* ---- fixture connections --------------------------------------------------------------------- */

static void ignore_notice(void *arg, const char *message) {
    (void)arg;
    (void)message;
}

static void release_conn(void *obj) {
    PQfinish(obj);
}

PGconn *it_db_connect(const char *conninfo) {
    if (conninfo == NULL)
        conninfo = it__require_env("ISMS_TEST_ADMIN_DATABASE_URL");
    PGconn *conn = PQconnectdb(conninfo);
    cr_assert(conn != NULL, "out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(conn));
        PQfinish(conn);
        cr_assert_fail("cannot connect to \"%s\": %s", conninfo, msg);
    }
    PQsetNoticeProcessor(conn, ignore_notice, NULL);
    it__register(release_conn, conn);
    return conn;
}

void it_db_close(PGconn *conn) {
    it__release(conn);
}

static void check_result(PGconn *conn, PGresult *res, const char *sql) {
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return;
    char msg[512];
    snprintf(msg, sizeof(msg), "%s",
             res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(conn));
    PQclear(res);
    cr_assert_fail("SQL failed: %s\n  in: %.300s", msg, sql);
}

void it_db_exec(PGconn *conn, const char *sql) {
    PGresult *res = PQexec(conn, sql);
    check_result(conn, res, sql);
    PQclear(res);
}

PGresult *it_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params) {
    PGresult *res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    check_result(conn, res, sql);
    return res;
}

long it_db_long(PGconn *conn, const char *sql, int nparams, const char *const *params) {
    PGresult *res = it_db_query(conn, sql, nparams, params);
    int ok = PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0);
    long v = ok ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
    PQclear(res);
    cr_assert(ok, "no value from: %.300s", sql);
    return v;
}

/* Polls until the statement returns `expected` or `timeout_ms` passes; returns the last value.
 * Statistics views are cached for the rest of a transaction once read: clear that snapshot on
 * every poll so that waiting works inside an open transaction too. */
static long poll_long(PGconn *conn, const char *sql, int nparams, const char *const *params,
                      long expected, int timeout_ms) {
    uint64_t deadline = it_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        it_db_exec(conn, "SELECT pg_stat_clear_snapshot()");
        long got = it_db_long(conn, sql, nparams, params);
        if (got == expected || it_now_ms() >= deadline)
            return got;
        it_sleep_ms(5);
    }
}

void it_db_await(PGconn *conn, const char *sql, int nparams, const char *const *params,
                 long expected, int timeout_ms) {
    long got = poll_long(conn, sql, nparams, params, expected, timeout_ms);
    cr_assert(got == expected, "waited %d ms for %ld, still %ld from: %.300s", timeout_ms, expected,
              got, sql);
}

void it_server_await_sessions(const it_server_t *server, PGconn *admin, const char *condition,
                              long n, int timeout_ms) {
    char sql[512];
    const char *params[] = {server->app_name};
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND (%s)",
             condition);
    long got = poll_long(admin, sql, 1, params, n, timeout_ms);
    if (got == n)
        return;
    PGresult *res = it_db_query(admin,
                                "SELECT coalesce(string_agg(format('  %s %s %s %s/%s %s', pid, "
                                "application_name, state, wait_event_type, wait_event, "
                                "left(query, 60)), E'\\n'), '') FROM pg_stat_activity "
                                "WHERE datname = current_database()",
                                0, NULL);
    char sessions[4096];
    snprintf(sessions, sizeof(sessions), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    cr_assert_fail("waited %d ms for %ld sessions of %s with %s, saw %ld; the database's "
                   "sessions:\n%s",
                   timeout_ms, n, server->app_name, condition, got, sessions);
}

/* ---- throwaway instances --------------------------------------------------------------------- */

static const char *pg_osuser(void) {
    const char *u = getenv("ISMS_TEST_PG_OSUSER");
    return u != NULL && u[0] != '\0' ? u : NULL;
}

/* Gives `path` to the PostgreSQL OS user when there is one. */
static void give_to_osuser(const char *path) {
    const char *user = pg_osuser();
    if (user == NULL)
        return;
    struct passwd *pw = getpwnam(user);
    cr_assert(pw != NULL, "ISMS_TEST_PG_OSUSER=%s: no such user", user);
    cr_assert(chown(path, pw->pw_uid, pw->pw_gid) == 0, "chown %s: %s", path, strerror(errno));
}

static void pg_tool(const it_pg_t *pg, const char *tool, char *out, size_t cap) {
    (void)pg;
    snprintf(out, cap, "%s/%s", it__require_env("ISMS_TEST_PG_BINDIR"), tool);
}

static void data_dir(const it_pg_t *pg, char *out, size_t cap) {
    snprintf(out, cap, "%s/data", pg->dir);
}

/* Runs a PostgreSQL program as the OS user; fails the test with its log on error. */
static void run_pg(const it_pg_t *pg, const char *const *argv, const char *what) {
    int status = it__run(argv, NULL, pg_osuser(), pg->log_path, PG_TIMEOUT_MS);
    cr_assert(status == 0, "%s failed (status %d); log: %s", what, status, pg->log_path);
}

void it_pg_stop(it_pg_t *pg, const char *mode) {
    char pg_ctl[600], data[1100];
    pg_tool(pg, "pg_ctl", pg_ctl, sizeof(pg_ctl));
    data_dir(pg, data, sizeof(data));
    const char *argv[] = {pg_ctl, "-D", data, "-m", mode, "-w", "-t", "60", "stop", NULL};
    run_pg(pg, argv, "pg_ctl stop");
    pg->running = 0;
}

void it_pg_start(it_pg_t *pg) {
    char pg_ctl[600], data[1100];
    pg_tool(pg, "pg_ctl", pg_ctl, sizeof(pg_ctl));
    data_dir(pg, data, sizeof(data));
    const char *argv[] = {pg_ctl, "-D", data, "-l", pg->log_path, "-w", "-t", "60", "start", NULL};
    run_pg(pg, argv, "pg_ctl start");
    pg->running = 1;
}

static void release_pg(void *obj) {
    it_pg_t *pg = obj;
    char data[1100], pidfile[1200];
    data_dir(pg, data, sizeof(data));
    snprintf(pidfile, sizeof(pidfile), "%s/postmaster.pid", data);
    if (access(pidfile, F_OK) == 0) {
        char pg_ctl[600];
        snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", getenv("ISMS_TEST_PG_BINDIR"));
        const char *argv[] = {pg_ctl, "-D", data, "-m", "immediate", "-w", "stop", NULL};
        it__run(argv, NULL, pg_osuser(), NULL, PG_TIMEOUT_MS);
    }
    it__remove_tree(pg->dir);
    it__remove_tree(pg->socket_dir);
    free(pg);
}

static void write_settings(const it_pg_t *pg) {
    char path[1200];
    snprintf(path, sizeof(path), "%s/data/postgresql.auto.conf", pg->dir);
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "cannot write %s: %s", path, strerror(errno));
    /* Unix socket only: the instance cannot collide with anything on TCP. fsync = off only
     * matters if the machine crashes; commits stay synchronous, because an immediate stop is a
     * crash for PostgreSQL and must not lose what the test committed (the migrations). */
    fprintf(f,
            "port = %d\nlisten_addresses = ''\nunix_socket_directories = '%s'\n"
            "max_connections = 50\nshared_buffers = '16MB'\nfsync = off\n",
            pg->port, pg->socket_dir);
    fclose(f);
    give_to_osuser(path);
}

/* Creates the directories: <test dir>/pg-N (data/ inside) and a short socket directory in $TMPDIR
 * or /tmp (socket paths are limited to 107 bytes). Both belong to the OS user. */
static void make_dirs(it_pg_t *pg) {
    it__scratch_path(pg->dir, sizeof(pg->dir), "pg", NULL);
    cr_assert(mkdir(pg->dir, 0700) == 0, "mkdir %s: %s", pg->dir, strerror(errno));
    it__note_remove(pg->dir);
    give_to_osuser(pg->dir);
    const char *tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] != '/' || strlen(tmp) > 60)
        tmp = "/tmp";
    snprintf(pg->socket_dir, sizeof(pg->socket_dir), "%s/isms-pg.XXXXXX", tmp);
    cr_assert(mkdtemp(pg->socket_dir) != NULL, "mkdtemp: %s", strerror(errno));
    it__note_remove(pg->socket_dir);
    give_to_osuser(pg->socket_dir);
    snprintf(pg->log_path, sizeof(pg->log_path), "%s.log", pg->dir);
    FILE *f = fopen(pg->log_path, "a");
    cr_assert(f != NULL, "cannot create %s: %s", pg->log_path, strerror(errno));
    fclose(f);
    give_to_osuser(pg->log_path);
}

it_pg_t *it_pg_create(void) {
    it_pg_t *pg = calloc(1, sizeof(*pg));
    cr_assert(pg != NULL, "out of memory");
    it__register(release_pg, pg);
    make_dirs(pg);
    pg->port = it__free_port();

    char initdb[600], data[1100];
    pg_tool(pg, "initdb", initdb, sizeof(initdb));
    data_dir(pg, data, sizeof(data));
    it__note_pg(data);
    const char *argv[] = {
        initdb, "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
        "-N",   NULL};
    run_pg(pg, argv, "initdb");
    write_settings(pg);
    it_pg_start(pg);

    char url[600];
    snprintf(url, sizeof(url), "host=%s port=%d dbname=postgres user=postgres", pg->socket_dir,
             pg->port);
    PGconn *conn = it_db_connect(url);
    it_db_exec(conn, "CREATE DATABASE isms");
    it_db_close(conn);
    snprintf(pg->admin_url, sizeof(pg->admin_url), "host=%s port=%d dbname=isms user=postgres",
             pg->socket_dir, pg->port);
    snprintf(pg->app_url, sizeof(pg->app_url), "host=%s port=%d dbname=isms user=isms_app",
             pg->socket_dir, pg->port);

    char admin_var[600], migrate_log[1100];
    snprintf(admin_var, sizeof(admin_var), "ISMS_ADMIN_DATABASE_URL=%s", pg->admin_url);
    snprintf(migrate_log, sizeof(migrate_log), "%s-migrate.log", pg->dir);
    const char *env[] = {admin_var, NULL};
    const char *migrate[] = {ISMS_TEST_BINARY, "migrate", NULL};
    int status = it__run(migrate, env, NULL, migrate_log, PG_TIMEOUT_MS);
    cr_assert(status == 0, "isms-cluster migrate failed (status %d) against %s; log: %s", status,
              pg->admin_url, migrate_log);
    return pg;
}
