/* Feedback endpoints: boards, posts, "me too", moderation and the CSV export, each a declaration
 * of the values it takes and the SQL function (migrations/0041_feedback_api.sql) that answers
 * under row-level security. Every route is ROUTE_ANONYMOUS: its request id is the server's, so a
 * client-chosen id cannot put a writer's name into the access log. */
#include "feedback/feedback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "core/json.h"
#include "feedback/csv.h"
#include "feedback/internal.h"

const db_stmt_t feedback_statements[] = {
    [FB_BOARD_CREATE] = {"feedback_board_create",
                         "SELECT isms.api_feedback_board_create($1, $2, $3, $4, $5)::text", 5},
    [FB_BOARD_LIST] = {"feedback_board_list",
                       "SELECT isms.api_feedback_board_list($1, $2, $3, $4)::text", 4},
    [FB_BOARD_GET] = {"feedback_board_get", "SELECT isms.api_feedback_board_get($1)::text", 1},
    [FB_BOARD_UPDATE] = {"feedback_board_update",
                         "SELECT isms.api_feedback_board_update($1, $2, $3, $4)::text", 4},
    [FB_BOARD_CLOSE] = {"feedback_board_close", "SELECT isms.api_feedback_board_close($1)::text",
                        1},
    [FB_BOARD_OPEN] = {"feedback_board_open", "SELECT isms.api_feedback_board_open($1)::text", 1},
    [FB_POST_LIST] = {"feedback_post_list", "SELECT isms.api_feedback_post_list($1, $2, $3)::text",
                      3},
    [FB_POST_CREATE] = {"feedback_post_create",
                        "SELECT isms.api_feedback_post_create($1, $2)::text", 2},
    [FB_POST_GET] = {"feedback_post_get", "SELECT isms.api_feedback_post_get($1)::text", 1},
    [FB_POST_UPDATE] = {"feedback_post_update",
                        "SELECT isms.api_feedback_post_update($1, $2)::text", 2},
    [FB_POST_DELETE] = {"feedback_post_delete", "SELECT isms.api_feedback_post_delete($1)", 1},
    [FB_ME_TOO] = {"feedback_me_too", "SELECT isms.api_feedback_me_too($1, $2)::text", 2},
    [FB_POST_MODERATE] = {"feedback_post_moderate",
                          "SELECT isms.api_feedback_post_moderate($1, $2, $3)::text", 3},
    [FB_EXPORT] = {"feedback_export", "SELECT isms.api_feedback_export($1)::text", 1},
    [FB_EVENTS] = {"feedback_events",
                   "SELECT id::text, event, data::text FROM isms.api_feedback_events($1, $2, $3)",
                   3},
    [FB_RELEASE_DUE] = {"feedback_release_due", "SELECT isms.feedback_release_due()", 0},
};
const size_t feedback_statements_count = FB_STATEMENT_COUNT;

/* ---- fields ---------------------------------------------------------------------------------- */

static const char *const board_states[] = {"open", "closed", NULL};
static const char *const p_id[] = {"id", NULL};

static const api_field_t q_page[] = {API_PAGINATION, {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t q_boards[] = {
    {"state", API_ENUM, 0, 0, 0, board_states}, API_PAGINATION, {NULL, 0, 0, 0, 0, NULL}};

static const api_field_t b_board_create[] = {
    {"title", API_STRING, 1, 1, 200, NULL},
    {"prompt", API_TEXT, 0, 1, 2000, NULL},
    {"training_session_id", API_UUID, 0, 0, 0, NULL},
    {"release_interval_minutes", API_INT, 0, 240, 1440, NULL},
    {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_board_update[] = {
    {"title", API_STRING, 0, 1, 200, NULL},
    {"prompt", API_TEXT, 0, 1, 2000, NULL},
    {"release_interval_minutes", API_INT, 0, 240, 1440, NULL},
    {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_post[] = {{"text", API_TEXT, 1, 1, 4000, NULL},
                                     {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_hide[] = {{"reason", API_STRING, 1, 1, 500, NULL},
                                     {NULL, 0, 0, 0, 0, NULL}};

static const char *const c_on[] = {"true", NULL};
static const char *const c_off[] = {"false", NULL};
static const char *const c_show[] = {"", "false", NULL};

/* ---- operations ------------------------------------------------------------------------------ */

#define OP(name, stmt, path, query, body, constants, status)                                       \
    static const api_op_t name = {&feedback_statements[stmt], path, query, body, constants, status}

OP(op_board_create, FB_BOARD_CREATE, p_id, NULL, b_board_create, NULL, 201);
OP(op_board_list, FB_BOARD_LIST, p_id, q_boards, NULL, NULL, 200);
OP(op_board_get, FB_BOARD_GET, p_id, NULL, NULL, NULL, 200);
OP(op_board_update, FB_BOARD_UPDATE, p_id, NULL, b_board_update, NULL, 200);
OP(op_board_close, FB_BOARD_CLOSE, p_id, NULL, NULL, NULL, 200);
OP(op_board_open, FB_BOARD_OPEN, p_id, NULL, NULL, NULL, 200);
OP(op_post_list, FB_POST_LIST, p_id, q_page, NULL, NULL, 200);
OP(op_post_create, FB_POST_CREATE, p_id, NULL, b_post, NULL, 201);
OP(op_post_get, FB_POST_GET, p_id, NULL, NULL, NULL, 200);
OP(op_post_update, FB_POST_UPDATE, p_id, NULL, b_post, NULL, 200);
OP(op_post_delete, FB_POST_DELETE, p_id, NULL, NULL, NULL, 204);
OP(op_me_too_add, FB_ME_TOO, p_id, NULL, NULL, c_on, 200);
OP(op_me_too_remove, FB_ME_TOO, p_id, NULL, NULL, c_off, 200);
OP(op_post_hide, FB_POST_MODERATE, p_id, NULL, b_hide, c_on, 200);
OP(op_post_unhide, FB_POST_MODERATE, p_id, NULL, NULL, c_show, 200);
OP(op_export, FB_EXPORT, p_id, NULL, NULL, NULL, 200);

/* ---- the CSV export -------------------------------------------------------------------------- */

static void export_done(http_req_t *req, db_txn_t *txn) {
    const char *json = db_txn_status(txn) == DB_OK ? db_txn_value(txn, req->result_index) : NULL;
    if (json == NULL) {
        api_answer(req, txn, req->result_index, 200);
        return;
    }
    cJSON *doc = cJSON_Parse(json);
    const cJSON *board = cJSON_GetObjectItemCaseSensitive(doc, "board");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(board, "id");
    size_t len = 0;
    char *csv = feedback_csv(cJSON_GetObjectItemCaseSensitive(doc, "posts"), &len);
    if (csv == NULL || !cJSON_IsString(id) || !uuid_valid(id->valuestring)) {
        free(csv);
        cJSON_Delete(doc);
        http_send_error(req, 500, "internal", "the export could not be built");
        return;
    }
    char disposition[128];
    snprintf(disposition, sizeof(disposition), "attachment; filename=\"feedback-%s.csv\"",
             id->valuestring);
    const char *extra[] = {"Content-Disposition", disposition, NULL};
    http_send_body(req, 200, "text/csv; charset=utf-8; header=present", csv, len, extra);
    free(csv);
    cJSON_Delete(doc);
}

static int get_export(http_req_t *req) {
    return api_run(req, &op_export, NULL, export_done);
}

/* ---- routes ---------------------------------------------------------------------------------- */

#define READ (ROUTE_AUTH | ROUTE_ANONYMOUS)
#define WRITE (ROUTE_AUTH | ROUTE_ANONYMOUS | ROUTE_JSON_BODY)

const route_t feedback_routes[] = {
    {"GET", "/v1/clusters/{id}/feedback/boards", api_handle, READ, &op_board_list,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster?admitted"},
    {"POST", "/v1/clusters/{id}/feedback/boards", api_handle, WRITE, &op_board_create,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster "
     "org_member:cluster?admitted"},
    {"GET", "/v1/feedback/boards/{id}", api_handle, READ, &op_board_get,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster?admitted"},
    {"PATCH", "/v1/feedback/boards/{id}", api_handle, WRITE, &op_board_update,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster "
     "org_member:cluster?admitted"},
    {"POST", "/v1/feedback/boards/{id}/close", api_handle, READ, &op_board_close,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster "
     "org_member:cluster?admitted"},
    {"POST", "/v1/feedback/boards/{id}/open", api_handle, READ, &op_board_open,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster "
     "org_member:cluster?admitted"},
    {"GET", "/v1/feedback/boards/{id}/posts", api_handle, READ, &op_post_list,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster?admitted"},
    {"POST", "/v1/feedback/boards/{id}/posts", api_handle, WRITE, &op_post_create,
     "org_member:cluster?admitted | forbidden to coordinator:cluster coach:cluster "
     "trainer:cluster"},
    {"GET", "/v1/feedback/boards/{id}/events", feedback_events_route, READ, NULL,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster?admitted"},
    {"GET", "/v1/feedback/boards/{id}/export", get_export, READ, &op_export,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster?admitted"},
    {"GET", "/v1/feedback/posts/{id}", api_handle, READ, &op_post_get,
     "coordinator:cluster?released coach:cluster?released trainer:cluster?released "
     "org_member:cluster?released_or_author"},
    {"PATCH", "/v1/feedback/posts/{id}", api_handle, WRITE, &op_post_update,
     "org_member:cluster?author"},
    {"DELETE", "/v1/feedback/posts/{id}", api_handle, READ, &op_post_delete,
     "org_member:cluster?author"},
    {"PUT", "/v1/feedback/posts/{id}/me-too", api_handle, READ, &op_me_too_add,
     "org_member:cluster?admitted | forbidden to coordinator:cluster coach:cluster "
     "trainer:cluster"},
    {"DELETE", "/v1/feedback/posts/{id}/me-too", api_handle, READ, &op_me_too_remove,
     "org_member:cluster?admitted | forbidden to coordinator:cluster coach:cluster "
     "trainer:cluster"},
    {"POST", "/v1/feedback/posts/{id}/hide", api_handle, WRITE, &op_post_hide,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster "
     "org_member:cluster?admitted"},
    {"POST", "/v1/feedback/posts/{id}/unhide", api_handle, READ, &op_post_unhide,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster "
     "org_member:cluster?admitted"},
};
const size_t feedback_routes_count = sizeof(feedback_routes) / sizeof(feedback_routes[0]);
