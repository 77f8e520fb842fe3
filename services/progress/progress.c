/* Progress endpoints. Each is a declaration: the values it takes and the SQL function
 * (migrations/0012_progress_api.sql to 0014_progress_summary.sql) that answers under row-level
 * security in the request's single transaction. Batch writes check their items' shape here
 * (progress/items.c) before the database checks them against the catalogue; the SoA exports
 * turn the SoA document into CSV on the loop and into XLSX on a worker thread. */
#include "progress/progress.h"

#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "core/errors.h"
#include "core/json.h"
#include "progress/items.h"
#include "progress/soa_export.h"

enum {
    S_FW_LIST,
    S_FW_GET,
    S_FW_REQUIREMENTS,
    S_CLUSTER_FW_GET,
    S_CLUSTER_FW_SET,
    S_DEADLINES_GET,
    S_DEADLINES_PUT,
    S_CLUSTER_PROGRESS,
    S_ASSESS_LIST,
    S_ASSESS_UPDATE,
    S_HISTORY,
    S_GAP_GET,
    S_GAP_PUT,
    S_GAP_FINALISE,
    S_SOA_GET,
    S_SOA_UPDATE,
    S_DELIV_LIST,
    S_DELIV_UPDATE,
    S_PROGRESS,
    S_BENCHMARK,
    S_COUNT
};

const db_stmt_t progress_statements[] = {
    [S_FW_LIST] = {"progress_fw_list", "SELECT isms.api_framework_list($1, $2)::text", 2},
    [S_FW_GET] = {"progress_fw_get", "SELECT isms.api_framework_get($1)::text", 1},
    [S_FW_REQUIREMENTS] = {"progress_fw_requirements",
                           "SELECT isms.api_framework_requirements($1, $2, $3)::text", 3},
    [S_CLUSTER_FW_GET] = {"progress_cluster_fw_get",
                          "SELECT isms.api_cluster_framework_get($1)::text", 1},
    [S_CLUSTER_FW_SET] = {"progress_cluster_fw_set",
                          "SELECT isms.api_cluster_framework_set($1, $2)::text", 2},
    [S_DEADLINES_GET] = {"progress_deadlines_get", "SELECT isms.api_module_deadlines_get($1)::text",
                         1},
    [S_DEADLINES_PUT] = {"progress_deadlines_put",
                         "SELECT isms.api_module_deadlines_put($1, $2::jsonb)::text", 2},
    [S_CLUSTER_PROGRESS] = {"progress_cluster_overview",
                            "SELECT isms.api_cluster_progress($1, $2, $3)::text", 3},
    [S_ASSESS_LIST] = {"progress_assessment_list",
                       "SELECT isms.api_assessment_list($1, $2, $3)::text", 3},
    [S_ASSESS_UPDATE] = {"progress_assessment_update",
                         "SELECT isms.api_assessment_update($1, $2::jsonb)::text", 2},
    [S_HISTORY] = {"progress_assessment_history",
                   "SELECT isms.api_assessment_history($1, $2, $3, $4)::text", 4},
    [S_GAP_GET] = {"progress_gap_get", "SELECT isms.api_gap_analysis_get($1)::text", 1},
    [S_GAP_PUT] = {"progress_gap_put", "SELECT isms.api_gap_analysis_put($1, $2, $3, $4, $5)::text",
                   5},
    [S_GAP_FINALISE] = {"progress_gap_finalise", "SELECT isms.api_gap_analysis_finalise($1)::text",
                        1},
    [S_SOA_GET] = {"progress_soa_get", "SELECT isms.api_soa_get($1)::text", 1},
    [S_SOA_UPDATE] = {"progress_soa_update", "SELECT isms.api_soa_update($1, $2::jsonb)::text", 2},
    [S_DELIV_LIST] = {"progress_deliverable_list", "SELECT isms.api_deliverable_list($1)::text", 1},
    [S_DELIV_UPDATE] = {"progress_deliverable_update",
                        "SELECT isms.api_deliverable_update($1, $2::jsonb)::text", 2},
    [S_PROGRESS] = {"progress_get", "SELECT isms.api_progress_get($1)::text", 1},
    [S_BENCHMARK] = {"progress_benchmark", "SELECT isms.api_progress_benchmark($1)::text", 1},
};
const size_t progress_statements_count = S_COUNT;

/* ---- fields ---------------------------------------------------------------------------------- */

static const char *const requirement_kinds[] = {"clause", "control", NULL};
static const char *const p_id[] = {"id", NULL};

#define END                                                                                        \
    { NULL, 0, 0, 0, 0, NULL }
static const api_field_t q_page[] = {API_PAGINATION, END};
static const api_field_t q_requirements[] = {
    {"kind", API_ENUM, 0, 0, 0, requirement_kinds}, {"group", API_STRING, 0, 1, 20, NULL}, END};
static const api_field_t q_assessments[] = {
    {"group", API_STRING, 0, 1, 20, NULL},
    {"status", API_ENUM, 0, 0, 0, progress_assessment_statuses},
    END};
static const api_field_t q_history[] = {
    {"requirement", API_STRING, 0, 1, 20, NULL}, API_PAGINATION, END};
static const api_field_t b_framework[] = {{"framework_id", API_UUID, 1, 0, 0, NULL}, END};
static const api_field_t b_items[] = {{"items", API_JSON, 1, 0, 0, NULL}, END};
static const api_field_t b_gap[] = {{"onsite_date", API_DATE, 0, 0, 0, NULL},
                                    {"analysis_date", API_DATE, 0, 0, 0, NULL},
                                    {"estimated_coaching_half_days", API_INT, 0, 0, 200, NULL},
                                    {"summary", API_TEXT, 0, 0, 20000, NULL},
                                    END};

/* A batch write: the endpoint and the kind of its items. `op` comes first, so that the route's
 * data is also its api_op_t. */
typedef struct progress_batch {
    api_op_t op;
    progress_items_kind_t kind;
} progress_batch_t;

/* An export of the SoA document. */
typedef struct progress_export {
    api_op_t op;
    int xlsx;
} progress_export_t;

#define OP(name, stmt, path, query, body, status)                                                  \
    static const api_op_t name = {&progress_statements[stmt], path, query, body, NULL, status}
#define BATCH(name, stmt, kind)                                                                    \
    static const progress_batch_t name = {                                                         \
        {&progress_statements[stmt], p_id, NULL, b_items, NULL, 200}, kind}

OP(op_fw_list, S_FW_LIST, NULL, q_page, NULL, 200);
OP(op_fw_get, S_FW_GET, p_id, NULL, NULL, 200);
OP(op_fw_requirements, S_FW_REQUIREMENTS, p_id, q_requirements, NULL, 200);
OP(op_cluster_fw_get, S_CLUSTER_FW_GET, p_id, NULL, NULL, 200);
OP(op_cluster_fw_set, S_CLUSTER_FW_SET, p_id, NULL, b_framework, 200);
OP(op_deadlines_get, S_DEADLINES_GET, p_id, NULL, NULL, 200);
OP(op_cluster_progress, S_CLUSTER_PROGRESS, p_id, q_page, NULL, 200);
OP(op_assess_list, S_ASSESS_LIST, p_id, q_assessments, NULL, 200);
OP(op_history, S_HISTORY, p_id, q_history, NULL, 200);
OP(op_gap_get, S_GAP_GET, p_id, NULL, NULL, 200);
OP(op_gap_put, S_GAP_PUT, p_id, NULL, b_gap, 200);
OP(op_gap_finalise, S_GAP_FINALISE, p_id, NULL, NULL, 200);
OP(op_soa_get, S_SOA_GET, p_id, NULL, NULL, 200);
OP(op_deliv_list, S_DELIV_LIST, p_id, NULL, NULL, 200);
OP(op_progress, S_PROGRESS, p_id, NULL, NULL, 200);
OP(op_benchmark, S_BENCHMARK, p_id, NULL, NULL, 200);
BATCH(op_deadlines_put, S_DEADLINES_PUT, PROGRESS_ITEMS_DEADLINE);
BATCH(op_assess_update, S_ASSESS_UPDATE, PROGRESS_ITEMS_ASSESSMENT);
BATCH(op_soa_update, S_SOA_UPDATE, PROGRESS_ITEMS_SOA);
BATCH(op_deliv_update, S_DELIV_UPDATE, PROGRESS_ITEMS_DELIVERABLE);
static const progress_export_t op_soa_csv = {
    {&progress_statements[S_SOA_GET], p_id, NULL, NULL, NULL, 200}, 0};
static const progress_export_t op_soa_xlsx = {
    {&progress_statements[S_SOA_GET], p_id, NULL, NULL, NULL, 200}, 1};

/* ---- answers --------------------------------------------------------------------------------- */

/* The database names the field of a 4xx in its DETAIL, "items[2].requirement: ...": answer with
 * {"error": {"code", "message", "field"}} like the server's own checks. Returns 1 when sent. */
static int send_field_error(http_req_t *req, const db_txn_t *txn) {
    const char *state = db_txn_sqlstate(txn), *code = db_txn_error_message(txn);
    const char *detail = db_txn_error_detail(txn), *colon = strstr(detail, ": ");
    if (state == NULL || strncmp(state, "IC4", 3) != 0 || !error_code_valid(code) ||
        colon == NULL || colon == detail || colon - detail > 63)
        return 0;
    for (const char *p = detail; p < colon; p++)
        if (strchr("abcdefghijklmnopqrstuvwxyz0123456789_.[]", *p) == NULL)
            return 0;
    char field[64];
    snprintf(field, sizeof(field), "%.*s", (int)(colon - detail), detail);
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "field", field);
    http_send_error_with(req, atoi(state + 2), code, detail, extra);
    return 1;
}

static void progress_done(http_req_t *req, db_txn_t *txn) {
    const api_op_t *op = req->match.route->data;
    if (db_txn_status(txn) != DB_OK && send_field_error(req, txn))
        return;
    api_answer(req, txn, req->result_index, op->status);
}

static int progress_handle(http_req_t *req) {
    return api_run(req, req->match.route->data, NULL, progress_done);
}

/* PATCH/PUT with {"items": [...]}: the items' shape is checked before anything is sent. */
static int progress_batch(http_req_t *req) {
    const progress_batch_t *batch = req->match.route->data;
    json_field_error_t err;
    if (progress_items_check(batch->kind, req->body, &err) != 0) {
        cJSON *extra = cJSON_CreateObject();
        cJSON_AddStringToObject(extra, "field", err.field);
        http_send_error_with(req, 400, "invalid_body", err.message, extra);
        return 0;
    }
    return api_run(req, &batch->op, NULL, progress_done);
}

/* ---- SoA exports ----------------------------------------------------------------------------- */

/* The SoA document of a finished transaction, or NULL after answering the failure. */
static cJSON *export_document(http_req_t *req, db_txn_t *txn) {
    const char *json = db_txn_status(txn) == DB_OK ? db_txn_value(txn, req->result_index) : NULL;
    cJSON *doc = json != NULL ? cJSON_Parse(json) : NULL;
    if (doc == NULL)
        api_answer(req, txn, req->result_index, 200);
    return doc;
}

static void send_export(http_req_t *req, const cJSON *doc, const char *ext, const char *type,
                        const soa_buf_t *body) {
    char name[128], disposition[160];
    soa_file_name(doc, ext, name, sizeof(name));
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"%s\"", name);
    const char *headers[] = {"content-disposition", disposition, NULL};
    http_send_body(req, 200, type, body->data, body->len, headers);
}

static void csv_done(http_req_t *req, db_txn_t *txn) {
    cJSON *doc = export_document(req, txn);
    soa_buf_t csv;
    if (doc == NULL)
        return;
    if (soa_csv_write(doc, &csv) == 0)
        send_export(req, doc, "csv", "text/csv; charset=utf-8; header=present", &csv);
    else
        http_send_error(req, 500, "internal", "the CSV export failed");
    free(csv.data);
    cJSON_Delete(doc);
}

/* The XLSX job: the document in, the workbook out. Freed by xlsx_job_free. */
typedef struct xlsx_job {
    cJSON *doc;
    soa_buf_t out;
    int rc;
} xlsx_job_t;

static void xlsx_job_free(void *p) {
    xlsx_job_t *job = p;
    cJSON_Delete(job->doc);
    free(job->out.data);
    free(job);
}

static void xlsx_work(void *p) {
    xlsx_job_t *job = p;
    job->rc = soa_xlsx_write(job->doc, NULL, &job->out);
}

static void xlsx_after(http_req_t *req, void *p) {
    xlsx_job_t *job = p;
    if (job->rc != 0) {
        http_send_error(req, 500, "internal", "the XLSX export failed");
        return;
    }
    send_export(req, job->doc, "xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", &job->out);
}

static void xlsx_done(http_req_t *req, db_txn_t *txn) {
    cJSON *doc = export_document(req, txn);
    if (doc == NULL)
        return;
    xlsx_job_t *job = calloc(1, sizeof(*job));
    if (job == NULL) {
        cJSON_Delete(doc);
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    job->doc = doc;
    http_queue_work(req, xlsx_work, xlsx_after, job, xlsx_job_free);
}

static int get_soa_export(http_req_t *req) {
    const progress_export_t *ex = req->match.route->data;
    return api_run(req, &ex->op, NULL, ex->xlsx ? xlsx_done : csv_done);
}

/* ---- routes ---------------------------------------------------------------------------------- */

#define AUTHED ROUTE_AUTH
#define BODY (ROUTE_AUTH | ROUTE_JSON_BODY)

const route_t progress_routes[] = {
    {"GET", "/v1/frameworks", progress_handle, AUTHED, &op_fw_list, "user:none"},
    {"GET", "/v1/frameworks/{id}", progress_handle, AUTHED, &op_fw_get, "user:none"},
    {"GET", "/v1/frameworks/{id}/requirements", progress_handle, AUTHED, &op_fw_requirements,
     "user:none"},
    {"GET", "/v1/clusters/{id}/framework", progress_handle, AUTHED, &op_cluster_fw_get,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"PUT", "/v1/clusters/{id}/framework", progress_handle, BODY, &op_cluster_fw_set,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/module-deadlines", progress_handle, AUTHED, &op_deadlines_get,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"PUT", "/v1/clusters/{id}/module-deadlines", progress_batch, BODY, &op_deadlines_put,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/progress", progress_handle, AUTHED, &op_cluster_progress,
     "coordinator:cluster coach:cluster | forbidden to trainer:cluster org_member:cluster"},
    {"GET", "/v1/enrolments/{id}/assessments", progress_handle, AUTHED, &op_assess_list,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"PATCH", "/v1/enrolments/{id}/assessments", progress_batch, BODY, &op_assess_update,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/assessment-history", progress_handle, AUTHED, &op_history,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/gap-analysis", progress_handle, AUTHED, &op_gap_get,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"PUT", "/v1/enrolments/{id}/gap-analysis", progress_handle, BODY, &op_gap_put,
     "coordinator:enrolment coach:enrolment | forbidden to org_member:enrolment"},
    {"POST", "/v1/enrolments/{id}/gap-analysis/finalise", progress_handle, AUTHED, &op_gap_finalise,
     "coordinator:enrolment coach:enrolment | forbidden to org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/soa", progress_handle, AUTHED, &op_soa_get,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"PATCH", "/v1/enrolments/{id}/soa", progress_batch, BODY, &op_soa_update,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/soa.csv", get_soa_export, AUTHED, &op_soa_csv,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/soa.xlsx", get_soa_export, AUTHED, &op_soa_xlsx,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/deliverables", progress_handle, AUTHED, &op_deliv_list,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"PATCH", "/v1/enrolments/{id}/deliverables", progress_batch, BODY, &op_deliv_update,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/progress", progress_handle, AUTHED, &op_progress,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}/benchmark", progress_handle, AUTHED, &op_benchmark,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
};
const size_t progress_routes_count = sizeof(progress_routes) / sizeof(progress_routes[0]);
