/* isms-cluster: the server binary and its command-line tools. Subcommands: serve, migrate, routes,
 * version, help. Each service contributes its routes and prepared statements here. */
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "core/config.h"
#include "core/db.h"
#include "core/http.h"
#include "core/log.h"
#include "core/permission.h"
#include "core/router.h"
#include "auth/auth.h"
#include "coaching/coaching.h"
#include "planning/planning.h"
#include "feedback/feedback.h"
#include "progress/progress.h"
#include "system/system.h"
#include "tenancy/tenancy.h"
#include "web/web.h"
#include "version.h"

typedef struct service {
    const route_t *routes;
    const size_t *nroutes;
    const db_stmt_t *stmts;
    const size_t *nstmts;
} service_t;

static const service_t services[] = {
    {system_routes, &system_routes_count, system_statements, &system_statements_count},
    {auth_routes, &auth_routes_count, auth_statements, &auth_statements_count},
    {tenancy_routes, &tenancy_routes_count, tenancy_statements, &tenancy_statements_count},
    {coaching_routes, &coaching_routes_count, coaching_statements, &coaching_statements_count},
    {feedback_routes, &feedback_routes_count, feedback_statements, &feedback_statements_count},
    {progress_routes, &progress_routes_count, progress_statements, &progress_statements_count},
    {planning_routes, &planning_routes_count, planning_statements, &planning_statements_count},
    {web_routes, &web_routes_count, NULL, NULL},
};
#define NSERVICES (sizeof(services) / sizeof(services[0]))

/* Every route declares who may call it; a route without a valid declaration stops the server. */
static int check_permissions(void) {
    char err[160];
    for (size_t i = 0; i < NSERVICES; i++)
        for (size_t r = 0; r < *services[i].nroutes; r++)
            if (permission_check(&services[i].routes[r], err, sizeof(err)) != 0) {
                fprintf(stderr, "isms-cluster: route %s %s: %s\n", services[i].routes[r].method,
                        services[i].routes[r].pattern, err);
                return -1;
            }
    return 0;
}

static router_t *build_router(void) {
    if (check_permissions() != 0)
        return NULL;
    router_t *router = router_new();
    for (size_t i = 0; router != NULL && i < NSERVICES; i++)
        if (router_add(router, services[i].routes, *services[i].nroutes) != 0) {
            fprintf(stderr, "isms-cluster: a route table is malformed or repeats a route\n");
            router_free(router);
            return NULL;
        }
    return router;
}

/* ---- serve ----------------------------------------------------------------------------------- */

typedef struct server_state {
    uv_loop_t *loop;
    http_server_t *http;
    db_pool_t *db;
    uv_signal_t sigterm, sigint;
    int stopping;
} server_state_t;

static void on_pool_closed(void *arg) {
    server_state_t *st = arg;
    log_msg(LOG_INFO, "stopped", NULL);
    uv_stop(st->loop);
}

static void on_drained(void *arg) {
    server_state_t *st = arg;
    db_pool_close(st->db, on_pool_closed, st);
}

static void on_signal(uv_signal_t *handle, int signum) {
    server_state_t *st = handle->data;
    if (st->stopping)
        return;
    st->stopping = 1;
    log_msg(LOG_INFO, "shutting down", signum == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_shutdown(st->http, on_drained, st);
}

static const char *env_lookup(const char *name) {
    return getenv(name);
}

static int cmd_serve(void) {
    static config_t cfg;
    static server_state_t st;
    char err[256];
    if (config_load(&cfg, env_lookup, err, sizeof(err)) != 0) {
        fprintf(stderr, "isms-cluster: %s\n", err);
        return 2;
    }
    log_set_level(cfg.log_level);
    signal(SIGPIPE, SIG_IGN);
    router_t *router = build_router();
    if (router == NULL)
        return 1;
    st.loop = uv_default_loop();
    st.db = db_pool_new(st.loop, cfg.database_url, cfg.db_pool_size, cfg.db_queue_limit);
    if (st.db == NULL)
        return 1;
    db_pool_set_statement_timeout(st.db, cfg.db_statement_timeout_ms);
    for (size_t i = 0; i < NSERVICES; i++)
        if (services[i].stmts != NULL)
            db_pool_register(st.db, services[i].stmts, *services[i].nstmts);
    static const db_stmt_t *const auth_stmt = &auth_session_statement;
    db_pool_register(st.db, auth_stmt, 1);
    if (auth_init(&cfg) != 0) {
        fprintf(stderr, "isms-cluster: preparing password hashing failed\n");
        return 1;
    }
    st.http = http_server_new(st.loop, &cfg, router, st.db);
    http_server_set_auth_statement(st.http, auth_stmt);
    if (feedback_start(st.loop, st.http) != 0) {
        fprintf(stderr, "isms-cluster: starting live feedback updates failed\n");
        return 1;
    }
    int port = 0, r = http_server_listen(st.http, &port);
    if (r != 0) {
        fprintf(stderr, "isms-cluster: cannot listen on %s:%d: %s\n", cfg.http_host, cfg.http_port,
                uv_strerror(r));
        return 1;
    }
    db_pool_start(st.db);
    uv_signal_init(st.loop, &st.sigterm);
    uv_signal_init(st.loop, &st.sigint);
    st.sigterm.data = st.sigint.data = &st;
    uv_signal_start(&st.sigterm, on_signal, SIGTERM);
    uv_signal_start(&st.sigint, on_signal, SIGINT);
    log_line_t line;
    log_begin(&line, LOG_INFO, "listening");
    log_str(&line, "host", cfg.http_host);
    log_int(&line, "port", port);
    log_str(&line, "version", ISMS_VERSION);
    log_emit(&line);
    uv_run(st.loop, UV_RUN_DEFAULT);
    /* Connections still open after the drain are closed by the process exit. */
    http_server_free(st.http);
    router_free(router);
    return 0;
}

/* ---- other commands -------------------------------------------------------------------------- */

static int cmd_migrate(void) {
    const char *admin = getenv("ISMS_ADMIN_DATABASE_URL");
    const char *dir = getenv("ISMS_MIGRATIONS_DIR");
    if (admin == NULL || admin[0] == '\0') {
        fprintf(stderr,
                "isms-cluster migrate: set ISMS_ADMIN_DATABASE_URL to a superuser "
                "connection string, e.g. \"host=/run/postgresql dbname=isms user=postgres\"\n");
        return 2;
    }
    return migrate_run(admin, dir != NULL && dir[0] ? dir : ISMS_DEFAULT_MIGRATIONS_DIR,
                       getenv("ISMS_APP_PASSWORD")) == 0
               ? 0
               : 1;
}

static void print_route(const route_t *route, void *arg) {
    if (arg != NULL)
        printf("%s %s\t%s\n", route->method, route->pattern, route->permission);
    else
        printf("%s %s\n", route->method, route->pattern);
}

/* `routes`: METHOD PATH per line; `routes --permissions` adds a tab and the declaration. */
static int cmd_routes(int with_permissions) {
    router_t *router = build_router();
    if (router == NULL)
        return 1;
    router_each(router, print_route, with_permissions ? (void *)"" : NULL);
    router_free(router);
    return 0;
}

static int cmd_help(FILE *out) {
    fprintf(out,
            "usage: isms-cluster COMMAND\n\ncommands:\n"
            "  serve      run the HTTP server (configuration from ISMS_* variables)\n"
            "  migrate    apply pending database migrations (ISMS_ADMIN_DATABASE_URL)\n"
            "  admin      operator tasks: admin create-coordinator --organisation NAME "
            "--email EMAIL\n"
            "             admin rotate-feedback-secret --new-secret-file FILE\n"
            "  catalogue  requirement catalogue: catalogue list | check FILE | import FILE\n"
            "  demo       load the paper's demo cluster\n"
            "  routes     print every HTTP route as METHOD PATH (--permissions: and who may call "
            "it)\n"
            "  version    print the version\n"
            "  help       print this text\n\nenvironment (serve):\n");
    for (const config_var_t *v = config_vars; v->name != NULL; v++)
        fprintf(out, "  %-30s %s (default: %s)\n", v->name, v->help, v->default_value);
    fprintf(out, "  %-30s %s\n", "ISMS_WEB_DIR",
            "the browser UI's directory (default: the source tree's web/)");
    fprintf(out,
            "\nenvironment (migrate, admin, catalogue, demo):\n"
            "  %-30s %s\n  %-30s %s\n  %-30s %s\n  %-30s %s\n",
            "ISMS_ADMIN_DATABASE_URL", "superuser connection string (required)",
            "ISMS_MIGRATIONS_DIR", "migration files (default: the source tree's migrations/)",
            "ISMS_APP_PASSWORD", "migrate: becomes the password of the isms_app role",
            "ISMS_DEMO_PASSWORD", "demo: the password of every demo user (default: random)");
    return 0;
}

int main(int argc, char **argv) {
    if (sodium_init() < 0) {
        fprintf(stderr, "isms-cluster: libsodium failed to initialise\n");
        return 1;
    }
    const char *cmd = argc > 1 ? argv[1] : "help";
    if (strcmp(cmd, "serve") == 0)
        return cmd_serve();
    if (strcmp(cmd, "migrate") == 0)
        return cmd_migrate();
    if (strcmp(cmd, "routes") == 0)
        return cmd_routes(argc > 2 && strcmp(argv[2], "--permissions") == 0);
    if (strcmp(cmd, "admin") == 0)
        return auth_admin_command(argc, argv);
    if (strcmp(cmd, "catalogue") == 0)
        return progress_catalogue_command(argc, argv);
    if (strcmp(cmd, "demo") == 0)
        return planning_demo_command(argc, argv);
    if (strcmp(cmd, "version") == 0) {
        printf("isms-cluster %s\n", ISMS_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0)
        return cmd_help(stdout);
    fprintf(stderr, "isms-cluster: unknown command \"%s\"\n\n", cmd);
    cmd_help(stderr);
    return 2;
}
