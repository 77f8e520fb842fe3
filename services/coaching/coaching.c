/* Coaching endpoints: each is a declaration of the values it takes and the SQL function
 * (migrations/0020-0024) that answers under row-level security. Three kinds of handler:
 *   api_handle          the SQL function's JSON is the answer;
 *   coaching_envelope   the SQL function answers {"status", "body" | "error"} so that a refusal
 *                       carries figures (409 budget_exceeded with remaining_half_days ...);
 *   coaching_idempotent an envelope route that also honours an Idempotency-Key header: the key and
 *                       a fingerprint of the request go to SQL, which stores the envelope with the
 *                       write and replays it for a retry (header Idempotent-Replayed: true);
 * plus CSV renderings of the cost statements. */
#include "coaching/coaching.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "coaching/idempotency.h"
#include "coaching/statement_csv.h"
#include "core/api.h"
#include "core/http.h"

enum {
    S_SESSION_LIST,
    S_SESSION_CREATE,
    S_SESSION_GET,
    S_SESSION_UPDATE,
    S_SESSION_COMPLETE,
    S_SESSION_CANCEL,
    S_BUDGET_GET,
    S_CEILING_SET,
    S_BURNDOWN,
    S_CLUSTER_BUDGETS,
    S_MY_ASSIGNMENTS,
    S_EFFORT_RECORD,
    S_EFFORT_ENTRIES,
    S_EFFORT_TOTALS,
    S_EFFORT_CLUSTER,
    S_EFFORT_DELETE,
    S_SETTINGS_GET,
    S_SETTINGS_UPDATE,
    S_RATE_LIST,
    S_RATE_SET,
    S_RATE_DELETE,
    S_ITEM_LIST,
    S_ITEM_CREATE,
    S_ITEM_UPDATE,
    S_ITEM_DELETE,
    S_STATEMENT_CLUSTER,
    S_STATEMENT_ENROLMENT,
    S_COUNT
};

#define STMT(name, call, n)                                                                        \
    { "coaching_" name, "SELECT isms." call "::text", n }

const db_stmt_t coaching_statements[] = {
    [S_SESSION_LIST] = STMT("session_list", "api_coaching_session_list($1, $2, $3, $4, $5, $6)", 6),
    [S_SESSION_CREATE] =
        STMT("session_create",
             "api_coaching_session_create($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10),
    [S_SESSION_GET] = STMT("session_get", "api_coaching_session_get($1)", 1),
    [S_SESSION_UPDATE] =
        STMT("session_update", "api_coaching_session_update($1, $2, $3, $4, $5, $6, $7)", 7),
    [S_SESSION_COMPLETE] = STMT("session_complete", "api_coaching_session_complete($1)", 1),
    [S_SESSION_CANCEL] = STMT("session_cancel", "api_coaching_session_cancel($1, $2)", 2),
    [S_BUDGET_GET] = STMT("budget_get", "api_coaching_budget_get($1)", 1),
    [S_CEILING_SET] = STMT("ceiling_set", "api_coaching_ceiling_set($1, $2, $3)", 3),
    [S_BURNDOWN] = STMT("burndown", "api_coaching_burndown($1, $2)", 2),
    [S_CLUSTER_BUDGETS] = STMT("cluster_budgets", "api_coaching_cluster_budgets($1, $2, $3)", 3),
    [S_MY_ASSIGNMENTS] = STMT("my_assignments", "api_coaching_my_assignments($1, $2)", 2),
    [S_EFFORT_RECORD] = STMT("effort_record", "api_effort_record($1, $2, $3, $4)", 4),
    [S_EFFORT_ENTRIES] = STMT("effort_entries", "api_effort_entries($1, $2, $3, $4, $5)", 5),
    [S_EFFORT_TOTALS] = STMT("effort_totals", "api_effort_enrolment_totals($1, $2, $3)", 3),
    [S_EFFORT_CLUSTER] = STMT("effort_cluster", "api_effort_cluster_totals($1, $2, $3)", 3),
    [S_EFFORT_DELETE] = STMT("effort_delete", "api_effort_delete($1)", 1),
    [S_SETTINGS_GET] = STMT("settings_get", "api_cost_settings_get($1)", 1),
    [S_SETTINGS_UPDATE] = STMT("settings_update", "api_cost_settings_update($1, $2, $3, $4)", 4),
    [S_RATE_LIST] = STMT("rate_list", "api_coaching_rate_list($1)", 1),
    [S_RATE_SET] = STMT("rate_set", "api_coaching_rate_set($1, $2, $3)", 3),
    [S_RATE_DELETE] = STMT("rate_delete", "api_coaching_rate_delete($1)", 1),
    [S_ITEM_LIST] = STMT("item_list", "api_cost_item_list($1, $2, $3)", 3),
    [S_ITEM_CREATE] =
        STMT("item_create", "api_cost_item_create($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10),
    [S_ITEM_UPDATE] =
        STMT("item_update", "api_cost_item_update($1, $2, $3, $4, $5, $6, $7, $8)", 8),
    [S_ITEM_DELETE] = STMT("item_delete", "api_cost_item_delete($1)", 1),
    [S_STATEMENT_CLUSTER] = STMT("statement_cluster", "api_cost_statement_cluster($1)", 1),
    [S_STATEMENT_ENROLMENT] = STMT("statement_enrolment", "api_cost_statement_enrolment($1)", 1),
};
const size_t coaching_statements_count = S_COUNT;

/* ---- fields ---------------------------------------------------------------------------------- */

#define END                                                                                        \
    { NULL, 0, 0, 0, 0, NULL }

static const char *const slots[] = {"morning", "afternoon", NULL};
static const char *const session_statuses[] = {"planned", "done", "cancelled", NULL};
static const char *const module_keys[] = {
    "initial_training",  "gap_analysis",    "scope_policy_assets",
    "risk_assessment",   "risk_treatment",  "document_management",
    "security_measures", "human_resources", "incident_management",
    "management_review", "audit",           NULL};
static const char *const split_methods[] = {"equal", "employees", "attendance", NULL};
static const char *const item_split_methods[] = {"equal", "employees", "attendance",
                                                 "cluster_default", NULL};
static const char *const categories[] = {"trainer", "venue", "material", "catering",
                                         "travel",  "other", NULL};
static const char *const units[] = {"day", "half_day", "hour", "item", "lump_sum", NULL};

static const char *const p_id[] = {"id", NULL};

static const api_field_t q_page[] = {API_PAGINATION, END};
static const api_field_t q_sessions[] = {{"status", API_ENUM, 0, 0, 0, session_statuses},
                                         {"from", API_DATE, 0, 0, 0, NULL},
                                         {"to", API_DATE, 0, 0, 0, NULL},
                                         API_PAGINATION,
                                         END};
static const api_field_t q_burndown[] = {{"as_of", API_DATE, 0, 0, 0, NULL}, END};
static const api_field_t q_period[] = {
    {"from", API_DATE, 0, 0, 0, NULL}, {"to", API_DATE, 0, 0, 0, NULL}, END};
static const api_field_t q_period_page[] = {
    {"from", API_DATE, 0, 0, 0, NULL}, {"to", API_DATE, 0, 0, 0, NULL}, API_PAGINATION, END};

static const api_field_t b_session_create[] = {
    {"coach_user_id", API_UUID, 0, 0, 0, NULL}, {"session_date", API_DATE, 1, 0, 0, NULL},
    {"slot", API_ENUM, 1, 0, 0, slots},         {"half_days", API_INT, 1, 1, 2, NULL},
    {"topic", API_STRING, 1, 1, 200, NULL},     {"module_key", API_ENUM, 0, 0, 0, module_keys},
    {"notes", API_TEXT, 0, 0, 20000, NULL},     END};
static const api_field_t b_session_update[] = {{"session_date", API_DATE, 0, 0, 0, NULL},
                                               {"slot", API_ENUM, 0, 0, 0, slots},
                                               {"half_days", API_INT, 0, 1, 2, NULL},
                                               {"topic", API_STRING, 0, 1, 200, NULL},
                                               {"module_key", API_ENUM, 0, 0, 0, module_keys},
                                               {"notes", API_TEXT, 0, 0, 20000, NULL},
                                               END};
static const api_field_t b_cancel[] = {{"reason", API_TEXT, 0, 0, 500, NULL}, END};
static const api_field_t b_ceiling[] = {
    {"ceiling_half_days", API_INT, 1, 0, 200, NULL}, {"reason", API_TEXT, 1, 3, 500, NULL}, END};
static const api_field_t b_effort[] = {{"week_start", API_DATE, 1, 0, 0, NULL},
                                       {"minutes", API_INT, 1, 0, 6000, NULL},
                                       {"note", API_TEXT, 0, 0, 1000, NULL},
                                       END};
static const api_field_t b_settings[] = {{"split_method", API_ENUM, 0, 0, 0, split_methods},
                                         {"half_day_rate_cents", API_INT, 0, 0, 100000000, NULL},
                                         {"currency", API_STRING, 0, 3, 3, NULL},
                                         END};
static const api_field_t b_rate[] = {{"coach_user_id", API_UUID, 1, 0, 0, NULL},
                                     {"half_day_rate_cents", API_INT, 1, 0, 100000000, NULL},
                                     END};

#define COST_ITEM_FIELDS(required)                                                                 \
    {"category", API_ENUM, required, 0, 0, categories},                                            \
        {"description", API_STRING, required, 1, 200, NULL},                                       \
        {"quantity", API_INT, required, 1, 10000, NULL},                                           \
        {"unit", API_ENUM, required, 0, 0, units},                                                 \
        {"unit_amount_cents", API_INT, required, 0, 1000000000, NULL},                             \
        {"split_method", API_ENUM, 0, 0, 0, item_split_methods}, {                                 \
        "incurred_on", API_DATE, 0, 0, 0, NULL                                                     \
    }
static const api_field_t b_item_create[] = {COST_ITEM_FIELDS(1), END};
static const api_field_t b_item_update[] = {COST_ITEM_FIELDS(0), END};

/* ---- operations ------------------------------------------------------------------------------ */

#define OP(name, stmt, path, query, body, status)                                                  \
    static const api_op_t name = {&coaching_statements[stmt], path, query, body, NULL, status}

OP(op_session_list, S_SESSION_LIST, p_id, q_sessions, NULL, 200);
OP(op_session_create, S_SESSION_CREATE, p_id, NULL, b_session_create, 201);
OP(op_session_get, S_SESSION_GET, p_id, NULL, NULL, 200);
OP(op_session_update, S_SESSION_UPDATE, p_id, NULL, b_session_update, 200);
OP(op_session_complete, S_SESSION_COMPLETE, p_id, NULL, NULL, 200);
OP(op_session_cancel, S_SESSION_CANCEL, p_id, NULL, b_cancel, 200);
OP(op_budget_get, S_BUDGET_GET, p_id, NULL, NULL, 200);
OP(op_ceiling_set, S_CEILING_SET, p_id, NULL, b_ceiling, 200);
OP(op_burndown, S_BURNDOWN, p_id, q_burndown, NULL, 200);
OP(op_cluster_budgets, S_CLUSTER_BUDGETS, p_id, q_page, NULL, 200);
OP(op_my_assignments, S_MY_ASSIGNMENTS, NULL, q_page, NULL, 200);
OP(op_effort_record, S_EFFORT_RECORD, p_id, NULL, b_effort, 200);
OP(op_effort_entries, S_EFFORT_ENTRIES, p_id, q_period_page, NULL, 200);
OP(op_effort_totals, S_EFFORT_TOTALS, p_id, q_period, NULL, 200);
OP(op_effort_cluster, S_EFFORT_CLUSTER, p_id, q_period, NULL, 200);
OP(op_effort_delete, S_EFFORT_DELETE, p_id, NULL, NULL, 204);
OP(op_settings_get, S_SETTINGS_GET, p_id, NULL, NULL, 200);
OP(op_settings_update, S_SETTINGS_UPDATE, p_id, NULL, b_settings, 200);
OP(op_rate_list, S_RATE_LIST, p_id, NULL, NULL, 200);
OP(op_rate_set, S_RATE_SET, p_id, NULL, b_rate, 200);
OP(op_rate_delete, S_RATE_DELETE, p_id, NULL, NULL, 204);
OP(op_item_list, S_ITEM_LIST, p_id, q_page, NULL, 200);
OP(op_item_create, S_ITEM_CREATE, p_id, NULL, b_item_create, 201);
OP(op_item_update, S_ITEM_UPDATE, p_id, NULL, b_item_update, 200);
OP(op_item_delete, S_ITEM_DELETE, p_id, NULL, NULL, 204);
OP(op_statement_cluster, S_STATEMENT_CLUSTER, p_id, NULL, NULL, 200);
OP(op_statement_enrolment, S_STATEMENT_ENROLMENT, p_id, NULL, NULL, 200);

/* ---- envelopes ------------------------------------------------------------------------------- */

/* Answers from {"status": N, "body": {...}} or {"status": N, "error": {"code", "message", ...}};
 * "replayed": true marks a response stored by an earlier request with the same Idempotency-Key. */
static void envelope_done(http_req_t *req, db_txn_t *txn) {
    if (db_txn_status(txn) != DB_OK) {
        if (strcmp(db_txn_error_message(txn), "idempotency_in_progress") == 0)
            http_add_header(req, "Retry-After", "1");
        http_send_db_error(req, txn);
        return;
    }
    const char *text = db_txn_value(txn, req->result_index);
    cJSON *env = text != NULL ? cJSON_Parse(text) : NULL;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(env, "status");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(env, "body");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(env, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(error, "code");
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(error, "message");
    int st = cJSON_IsNumber(status) ? status->valueint : 0;
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(env, "replayed")))
        http_add_header(req, "Idempotent-Replayed", "true");
    if (st >= 400 && st <= 599 && cJSON_IsString(code) && cJSON_IsString(message)) {
        cJSON *extra = cJSON_Duplicate(error, 1);
        cJSON_DeleteItemFromObjectCaseSensitive(extra, "code");
        cJSON_DeleteItemFromObjectCaseSensitive(extra, "message");
        http_send_error_with(req, st, code->valuestring, message->valuestring, extra);
    } else if (st >= 200 && st <= 299 && cJSON_IsObject(body)) {
        http_send_json(req, st, body);
    } else {
        http_send_error(req, 500, "internal", "an internal error occurred; quote the request id");
    }
    cJSON_Delete(env);
}

static int coaching_envelope(http_req_t *req) {
    return api_run(req, req->match.route->data, NULL, envelope_done);
}

static int coaching_idempotent(http_req_t *req) {
    char key[COACHING_IDEMPOTENCY_KEY_MAX + 2];
    char *fingerprint = h2o_mem_alloc_pool(&req->h2o->pool, 65);
    const char *k = http_header(req, "idempotency-key", key, sizeof(key));
    fingerprint[0] = '\0';
    if (h2o_find_header_by_str(&req->h2o->headers, H2O_STRLIT("idempotency-key"), -1) >= 0 &&
        (k == NULL || !coaching_idempotency_key_valid(k))) {
        http_send_error(req, 400, "invalid_idempotency_key",
                        "Idempotency-Key must be 1 to %d printable ASCII characters",
                        COACHING_IDEMPOTENCY_KEY_MAX);
        return 0;
    }
    if (k != NULL) {
        h2o_req_t *h = req->h2o;
        if (coaching_request_fingerprint(h->method.base, h->method.len, h->path_normalized.base,
                                         h->path_normalized.len, req->body, fingerprint) != 0)
            return -1;
    }
    const char *extra[] = {k != NULL ? h2o_strdup(&req->h2o->pool, k, SIZE_MAX).base : "",
                           fingerprint, NULL};
    return api_run(req, req->match.route->data, extra, envelope_done);
}

/* A body is optional: none means an empty object (every field absent). */
static int coaching_optional_body(http_req_t *req) {
    if (req->body == NULL && (req->body = cJSON_CreateObject()) == NULL)
        return -1;
    return api_handle(req);
}

/* ---- CSV ------------------------------------------------------------------------------------- */

static void csv_done(http_req_t *req, db_txn_t *txn) {
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    const char *text = db_txn_value(txn, req->result_index);
    cJSON *doc = text != NULL ? cJSON_Parse(text) : NULL;
    size_t len = 0;
    char *csv = doc != NULL ? coaching_statement_csv(doc, &len) : NULL;
    if (csv == NULL) {
        http_send_error(req, 500, "internal", "the statement could not be rendered");
    } else {
        /* Named after the cluster, or after the enrolment for one organisation's statement. */
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "cluster_id");
        if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc, "total_cents")))
            id = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "organisations"), 0),
                "enrolment_id");
        char disposition[128];
        snprintf(disposition, sizeof(disposition),
                 "attachment; filename=\"cost-statement-%.36s.csv\"",
                 cJSON_IsString(id) ? id->valuestring : "statement");
        const char *headers[] = {"Content-Disposition", disposition, NULL};
        http_send_body(req, 200, "text/csv; charset=utf-8", csv, len, headers);
    }
    free(csv);
    cJSON_Delete(doc);
}

static int coaching_csv(http_req_t *req) {
    return api_run(req, req->match.route->data, NULL, csv_done);
}

/* ---- routes ---------------------------------------------------------------------------------- */

#define AUTHED ROUTE_AUTH
#define BODY (ROUTE_AUTH | ROUTE_JSON_BODY)
#define MAYBE_BODY (ROUTE_AUTH | ROUTE_OPTIONAL_BODY)

const route_t coaching_routes[] = {
    {"GET", "/v1/enrolments/{id}/coaching-sessions", api_handle, AUTHED, &op_session_list,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"POST", "/v1/enrolments/{id}/coaching-sessions", coaching_idempotent, BODY, &op_session_create,
     "coordinator:enrolment coach:enrolment | forbidden to org_member:enrolment"},
    {"GET", "/v1/coaching-sessions/{id}", api_handle, AUTHED, &op_session_get,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"PATCH", "/v1/coaching-sessions/{id}", coaching_envelope, BODY, &op_session_update,
     "coordinator:enrolment coach:enrolment | forbidden to org_member:enrolment"},
    {"POST", "/v1/coaching-sessions/{id}/complete", api_handle, AUTHED, &op_session_complete,
     "coordinator:enrolment coach:enrolment | forbidden to org_member:enrolment"},
    {"POST", "/v1/coaching-sessions/{id}/cancel", coaching_optional_body, MAYBE_BODY,
     &op_session_cancel,
     "coordinator:enrolment coach:enrolment | forbidden to org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/coaching-budget", api_handle, AUTHED, &op_budget_get,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"PUT", "/v1/enrolments/{id}/coaching-budget/ceiling", api_handle, BODY, &op_ceiling_set,
     "coordinator:enrolment | forbidden to coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/coaching-burndown", api_handle, AUTHED, &op_burndown,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/clusters/{id}/coaching-budgets", api_handle, AUTHED, &op_cluster_budgets,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/me/coaching-assignments", api_handle, AUTHED, &op_my_assignments, "user:self"},
    {"POST", "/v1/enrolments/{id}/effort-entries", api_handle, BODY, &op_effort_record,
     "org_member:enrolment | forbidden to coordinator:enrolment coach:enrolment"},
    {"GET", "/v1/enrolments/{id}/effort-entries", api_handle, AUTHED, &op_effort_entries,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/effort", api_handle, AUTHED, &op_effort_totals,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/clusters/{id}/effort", api_handle, AUTHED, &op_effort_cluster,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"DELETE", "/v1/effort-entries/{id}", api_handle, AUTHED, &op_effort_delete,
     "user:self | forbidden to coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/clusters/{id}/cost-settings", api_handle, AUTHED, &op_settings_get,
     "coordinator:cluster org_member:cluster | forbidden to coach:cluster trainer:cluster"},
    {"PATCH", "/v1/clusters/{id}/cost-settings", api_handle, BODY, &op_settings_update,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/coaching-rates", api_handle, AUTHED, &op_rate_list,
     "coordinator:cluster coach:cluster | forbidden to trainer:cluster org_member:cluster"},
    {"POST", "/v1/clusters/{id}/coaching-rates", api_handle, BODY, &op_rate_set,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"DELETE", "/v1/coaching-rates/{id}", api_handle, AUTHED, &op_rate_delete,
     "coordinator:cluster | forbidden to coach:cluster"},
    {"GET", "/v1/clusters/{id}/cost-items", api_handle, AUTHED, &op_item_list,
     "coordinator:cluster org_member:cluster | forbidden to coach:cluster trainer:cluster"},
    {"POST", "/v1/clusters/{id}/cost-items", coaching_idempotent, BODY, &op_item_create,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"PATCH", "/v1/cost-items/{id}", api_handle, BODY, &op_item_update,
     "coordinator:cluster | forbidden to org_member:cluster"},
    {"DELETE", "/v1/cost-items/{id}", api_handle, AUTHED, &op_item_delete,
     "coordinator:cluster | forbidden to org_member:cluster"},
    {"GET", "/v1/clusters/{id}/cost-statement", api_handle, AUTHED, &op_statement_cluster,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/cost-statement.csv", coaching_csv, AUTHED, &op_statement_cluster,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/enrolments/{id}/cost-statement", api_handle, AUTHED, &op_statement_enrolment,
     "coordinator:enrolment org_member:enrolment | forbidden to coach:enrolment"},
    {"GET", "/v1/enrolments/{id}/cost-statement.csv", coaching_csv, AUTHED, &op_statement_enrolment,
     "coordinator:enrolment org_member:enrolment | forbidden to coach:enrolment"},
};
const size_t coaching_routes_count = sizeof(coaching_routes) / sizeof(coaching_routes[0]);

int coaching_route_extra_params(const route_t *route) {
    return route->handler == coaching_idempotent ? 2 : 0;
}
