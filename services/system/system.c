/* Liveness (/healthz), readiness (/readyz: a database connection is up) and /v1/meta, the small
 * query-backed endpoint that shows the pool, prepared statements and transactions at work. */
#include "system/system.h"

#include <string.h>

#include "core/http.h"
#include "version.h"

const db_stmt_t system_statements[] = {
    {"system_meta",
     "SELECT json_build_object('name', 'isms-cluster', 'version', $1::text,"
     " 'schema_version', (SELECT coalesce(max(version), 0) FROM public.schema_migrations),"
     " 'database_time', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
     1},
};
const size_t system_statements_count = sizeof(system_statements) / sizeof(system_statements[0]);

static int get_healthz(http_req_t *req) {
    static const char body[] = "{\"status\":\"ok\"}";
    http_send_json_text(req, 200, body, sizeof(body) - 1);
    return 0;
}

static int get_readyz(http_req_t *req) {
    static const char body[] = "{\"status\":\"ready\"}";
    if (db_pool_connected(http_server_db(req->server)) > 0) {
        http_send_json_text(req, 200, body, sizeof(body) - 1);
        return 0;
    }
    http_send_db_status(req, DB_EUNAVAILABLE);
    return 0;
}

static void meta_done(http_req_t *req, db_txn_t *txn) {
    const char *json = db_txn_value(txn, 0);
    if (db_txn_status(txn) != DB_OK || json == NULL) {
        http_send_db_error(req, txn);
        return;
    }
    http_send_json_text(req, 200, json, strlen(json));
}

static int get_meta(http_req_t *req) {
    db_txn_t *txn = db_txn_new();
    const char *params[] = {ISMS_VERSION};
    if (txn == NULL)
        return -1;
    db_txn_read_only(txn);
    if (db_txn_add(txn, &system_statements[0], params) < 0) {
        db_txn_free(txn);
        return -1;
    }
    http_db_submit(req, txn, meta_done);
    return 0;
}

const route_t system_routes[] = {
    {"GET", "/healthz", get_healthz, ROUTE_PUBLIC, NULL, "anyone:none"},
    {"GET", "/readyz", get_readyz, ROUTE_PUBLIC, NULL, "anyone:none"},
    {"GET", "/v1/meta", get_meta, ROUTE_PUBLIC, NULL, "anyone:none"},
};
const size_t system_routes_count = sizeof(system_routes) / sizeof(system_routes[0]);
