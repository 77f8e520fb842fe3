/* Tenancy endpoints: organisations, users and invitations, clusters, enrolments, staff, coach
 * assignments and the audit trail. Each endpoint is a declaration: the values it takes and the
 * SQL function (migrations/0003_tenancy_api.sql) that answers under row-level security. */
#include "tenancy/tenancy.h"

#include <string.h>

#include "auth/auth.h"
#include "core/api.h"

enum {
    S_ORG_CREATE,
    S_ORG_LIST,
    S_ORG_GET,
    S_ORG_UPDATE,
    S_USER_LIST,
    S_USER_INVITE,
    S_USER_REINVITE,
    S_USER_GET,
    S_USER_UPDATE,
    S_CLUSTER_CREATE,
    S_CLUSTER_LIST,
    S_CLUSTER_GET,
    S_CLUSTER_UPDATE,
    S_ENROL_CREATE,
    S_ENROL_LIST,
    S_ENROL_GET,
    S_ENROL_UPDATE,
    S_ENROL_TRANSITION,
    S_STAFF_LIST,
    S_STAFF_ADD,
    S_STAFF_REMOVE,
    S_COACH_LIST,
    S_COACH_CREATE,
    S_COACH_DELETE,
    S_AUDIT_CLUSTER,
    S_AUDIT_ORG,
    S_ADMIN_REQUEST,
    S_COUNT
};

const db_stmt_t tenancy_statements[] = {
    [S_ORG_CREATE] = {"tenancy_org_create",
                      "SELECT isms.api_organisation_create($1, $2, $3, $4, $5)::text", 5},
    [S_ORG_LIST] = {"tenancy_org_list", "SELECT isms.api_organisation_list($1, $2)::text", 2},
    [S_ORG_GET] = {"tenancy_org_get", "SELECT isms.api_organisation_get($1)::text", 1},
    [S_ORG_UPDATE] = {"tenancy_org_update",
                      "SELECT isms.api_organisation_update($1, $2, $3, $4, $5)::text", 5},
    [S_USER_LIST] = {"tenancy_user_list", "SELECT isms.api_user_list($1, $2, $3)::text", 3},
    [S_USER_INVITE] = {"tenancy_user_invite",
                       "SELECT isms.api_user_invite($1, $2, $3, $4, $5, $6)::text", 6},
    [S_USER_REINVITE] = {"tenancy_user_reinvite", "SELECT isms.api_user_reinvite($1, $2, $3)::text",
                         3},
    [S_USER_GET] = {"tenancy_user_get", "SELECT isms.api_user_get($1)::text", 1},
    [S_USER_UPDATE] = {"tenancy_user_update", "SELECT isms.api_user_update($1, $2, $3, $4)::text",
                       4},
    [S_CLUSTER_CREATE] =
        {"tenancy_cluster_create",
         "SELECT isms.api_cluster_create($1, $2, $3, $4, $5, $6, $7, $8, $9)::text", 9},
    [S_CLUSTER_LIST] = {"tenancy_cluster_list", "SELECT isms.api_cluster_list($1, $2)::text", 2},
    [S_CLUSTER_GET] = {"tenancy_cluster_get", "SELECT isms.api_cluster_get($1)::text", 1},
    [S_CLUSTER_UPDATE] =
        {"tenancy_cluster_update",
         "SELECT isms.api_cluster_update($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)::text", 10},
    [S_ENROL_CREATE] = {"tenancy_enrolment_create",
                        "SELECT isms.api_enrolment_create($1, $2, $3, $4, $5, $6, $7)::text", 7},
    [S_ENROL_LIST] = {"tenancy_enrolment_list",
                      "SELECT isms.api_enrolment_list($1, $2, $3, $4)::text", 4},
    [S_ENROL_GET] = {"tenancy_enrolment_get", "SELECT isms.api_enrolment_get($1)::text", 1},
    [S_ENROL_UPDATE] = {"tenancy_enrolment_update",
                        "SELECT isms.api_enrolment_update($1, $2, $3, $4, $5, $6)::text", 6},
    [S_ENROL_TRANSITION] = {"tenancy_enrolment_transition",
                            "SELECT isms.api_enrolment_transition($1, $2)::text", 2},
    [S_STAFF_LIST] = {"tenancy_staff_list", "SELECT isms.api_staff_list($1)::text", 1},
    [S_STAFF_ADD] = {"tenancy_staff_add", "SELECT isms.api_staff_add($1, $2, $3)::text", 3},
    [S_STAFF_REMOVE] = {"tenancy_staff_remove", "SELECT isms.api_staff_remove($1, $2)", 2},
    [S_COACH_LIST] = {"tenancy_coach_list", "SELECT isms.api_coach_assignment_list($1)::text", 1},
    [S_COACH_CREATE] = {"tenancy_coach_create",
                        "SELECT isms.api_coach_assignment_create($1, $2, $3)::text", 3},
    [S_COACH_DELETE] = {"tenancy_coach_delete", "SELECT isms.api_coach_assignment_delete($1)", 1},
    [S_AUDIT_CLUSTER] = {"tenancy_audit_cluster", "SELECT isms.api_audit_cluster($1, $2, $3)::text",
                         3},
    [S_AUDIT_ORG] = {"tenancy_audit_org", "SELECT isms.api_audit_organisation($1, $2, $3)::text",
                     3},
    [S_ADMIN_REQUEST] = {"tenancy_admin_request",
                         "SELECT isms.api_organisation_admin_request($1, $2)::text", 2},
};
const size_t tenancy_statements_count = S_COUNT;

/* ---- fields ---------------------------------------------------------------------------------- */

static const char *const org_kinds[] = {"member", "coordinator", "consultancy", NULL};
static const char *const staff_roles[] = {"coordinator", "coach", "trainer", NULL};
static const char *const org_roles[] = {"admin", "staff", NULL};
static const char *const enrolment_statuses[] = {"applied", "admitted", "withdrawn", "completed",
                                                 NULL};

static const char *const p_id[] = {"id", NULL};
static const char *const p_id_staff[] = {"id", "staff_id", NULL};

static const api_field_t q_page[] = {API_PAGINATION, {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t q_enrolments[] = {
    {"status", API_ENUM, 0, 0, 0, enrolment_statuses}, API_PAGINATION, {NULL, 0, 0, 0, 0, NULL}};

static const api_field_t b_org_create[] = {{"name", API_STRING, 1, 1, 200, NULL},
                                           {"kind", API_ENUM, 1, 0, 0, org_kinds},
                                           {"employee_count", API_INT, 0, 1, 1000000, NULL},
                                           {"sector", API_STRING, 0, 1, 200, NULL},
                                           {"country", API_COUNTRY, 0, 0, 0, NULL},
                                           {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_org_update[] = {{"name", API_STRING, 0, 1, 200, NULL},
                                           {"employee_count", API_INT, 0, 1, 1000000, NULL},
                                           {"sector", API_STRING, 0, 1, 200, NULL},
                                           {"country", API_COUNTRY, 0, 0, 0, NULL},
                                           {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_user_invite[] = {{"email", API_EMAIL, 1, 0, 0, NULL},
                                            {"display_name", API_STRING, 1, 1, 200, NULL},
                                            {"role", API_ENUM, 0, 0, 0, org_roles},
                                            {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_user_update[] = {{"display_name", API_STRING, 0, 1, 200, NULL},
                                            {"disabled", API_BOOL, 0, 0, 0, NULL},
                                            {"role", API_ENUM, 0, 0, 0, org_roles},
                                            {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_admin_request[] = {{"message", API_TEXT, 0, 0, 2000, NULL},
                                              {NULL, 0, 0, 0, 0, NULL}};

#define CLUSTER_SETTINGS                                                                           \
    {"cycle_weeks_min", API_INT, 0, 1, 12, NULL}, {"cycle_weeks_max", API_INT, 0, 1, 12, NULL},    \
        {"coaching_ceiling_half_days", API_INT, 0, 0, 200, NULL}, {                                \
        "feedback_release_threshold", API_INT, 0, 2, 20, NULL                                      \
    }
static const api_field_t b_cluster_create[] = {{"name", API_STRING, 1, 1, 200, NULL},
                                               {"country", API_COUNTRY, 1, 0, 0, NULL},
                                               {"time_zone", API_STRING, 1, 1, 64, NULL},
                                               {"start_date", API_DATE, 1, 0, 0, NULL},
                                               {"target_end_date", API_DATE, 1, 0, 0, NULL},
                                               CLUSTER_SETTINGS,
                                               {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_cluster_update[] = {{"name", API_STRING, 0, 1, 200, NULL},
                                               {"country", API_COUNTRY, 0, 0, 0, NULL},
                                               {"time_zone", API_STRING, 0, 1, 64, NULL},
                                               {"start_date", API_DATE, 0, 0, 0, NULL},
                                               {"target_end_date", API_DATE, 0, 0, 0, NULL},
                                               CLUSTER_SETTINGS,
                                               {NULL, 0, 0, 0, 0, NULL}};

#define ENROLMENT_CRITERIA                                                                         \
    {"employee_count", API_INT, 0, 1, 1000000, NULL},                                              \
        {"management_commitment_by", API_STRING, 0, 1, 200, NULL},                                 \
        {"management_commitment_at", API_DATE, 0, 0, 0, NULL},                                     \
        {"human_resources_confirmed", API_BOOL, 0, 0, 0, NULL}, {                                  \
        "financial_resources_confirmed", API_BOOL, 0, 0, 0, NULL                                   \
    }
static const api_field_t b_enrolment_create[] = {
    {"organisation_id", API_UUID, 1, 0, 0, NULL}, ENROLMENT_CRITERIA, {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_enrolment_update[] = {ENROLMENT_CRITERIA, {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_staff_add[] = {{"user_id", API_UUID, 1, 0, 0, NULL},
                                          {"role", API_ENUM, 1, 0, 0, staff_roles},
                                          {NULL, 0, 0, 0, 0, NULL}};
static const api_field_t b_coach_create[] = {{"enrolment_id", API_UUID, 1, 0, 0, NULL},
                                             {"coach_user_id", API_UUID, 1, 0, 0, NULL},
                                             {NULL, 0, 0, 0, 0, NULL}};

static const char *const c_admit[] = {"admit", NULL};
static const char *const c_withdraw[] = {"withdraw", NULL};
static const char *const c_complete[] = {"complete", NULL};

/* ---- operations ------------------------------------------------------------------------------ */

#define OP(name, stmt, path, query, body, constants, status)                                       \
    static const api_op_t name = {&tenancy_statements[stmt], path, query, body, constants, status}

OP(op_org_create, S_ORG_CREATE, NULL, NULL, b_org_create, NULL, 201);
OP(op_org_list, S_ORG_LIST, NULL, q_page, NULL, NULL, 200);
OP(op_org_get, S_ORG_GET, p_id, NULL, NULL, NULL, 200);
OP(op_org_update, S_ORG_UPDATE, p_id, NULL, b_org_update, NULL, 200);
OP(op_user_list, S_USER_LIST, p_id, q_page, NULL, NULL, 200);
OP(op_user_invite, S_USER_INVITE, p_id, NULL, b_user_invite, NULL, 201);
OP(op_user_reinvite, S_USER_REINVITE, p_id, NULL, NULL, NULL, 201);
OP(op_user_get, S_USER_GET, p_id, NULL, NULL, NULL, 200);
OP(op_user_update, S_USER_UPDATE, p_id, NULL, b_user_update, NULL, 200);
OP(op_cluster_create, S_CLUSTER_CREATE, NULL, NULL, b_cluster_create, NULL, 201);
OP(op_cluster_list, S_CLUSTER_LIST, NULL, q_page, NULL, NULL, 200);
OP(op_cluster_get, S_CLUSTER_GET, p_id, NULL, NULL, NULL, 200);
OP(op_cluster_update, S_CLUSTER_UPDATE, p_id, NULL, b_cluster_update, NULL, 200);
OP(op_enrol_create, S_ENROL_CREATE, p_id, NULL, b_enrolment_create, NULL, 201);
OP(op_enrol_list, S_ENROL_LIST, p_id, q_enrolments, NULL, NULL, 200);
OP(op_enrol_get, S_ENROL_GET, p_id, NULL, NULL, NULL, 200);
OP(op_enrol_update, S_ENROL_UPDATE, p_id, NULL, b_enrolment_update, NULL, 200);
OP(op_enrol_admit, S_ENROL_TRANSITION, p_id, NULL, NULL, c_admit, 200);
OP(op_enrol_withdraw, S_ENROL_TRANSITION, p_id, NULL, NULL, c_withdraw, 200);
OP(op_enrol_complete, S_ENROL_TRANSITION, p_id, NULL, NULL, c_complete, 200);
OP(op_staff_list, S_STAFF_LIST, p_id, NULL, NULL, NULL, 200);
OP(op_staff_add, S_STAFF_ADD, p_id, NULL, b_staff_add, NULL, 201);
OP(op_staff_remove, S_STAFF_REMOVE, p_id_staff, NULL, NULL, NULL, 204);
OP(op_coach_list, S_COACH_LIST, p_id, NULL, NULL, NULL, 200);
OP(op_coach_create, S_COACH_CREATE, p_id, NULL, b_coach_create, NULL, 201);
OP(op_coach_delete, S_COACH_DELETE, p_id, NULL, NULL, NULL, 204);
OP(op_audit_cluster, S_AUDIT_CLUSTER, p_id, q_page, NULL, NULL, 200);
OP(op_audit_org, S_AUDIT_ORG, p_id, q_page, NULL, NULL, 200);
OP(op_admin_request, S_ADMIN_REQUEST, p_id, NULL, b_admin_request, NULL, 201);

/* ---- invitations: the server makes the token, the database keeps its hash ---------------------
 */

static int post_invitation(http_req_t *req) {
    static const char *const validity[] = {AUTH_INVITATION_SECONDS, NULL};
    return api_run_with_token(req, req->match.route->data, validity, "invitation_token", NULL, 201);
}

#define AUTHED ROUTE_AUTH
#define BODY (ROUTE_AUTH | ROUTE_JSON_BODY)

const route_t tenancy_routes[] = {
    {"GET", "/v1/organisations", api_handle, AUTHED, &op_org_list, "user:none"},
    {"POST", "/v1/organisations", api_handle, BODY, &op_org_create,
     "cluster_creator:none | forbidden to user:none"},
    {"GET", "/v1/organisations/{id}", api_handle, AUTHED, &op_org_get,
     "org_member:organisation coordinator:organisation coach:organisation"},
    {"PATCH", "/v1/organisations/{id}", api_handle, BODY, &op_org_update,
     "org_admin:organisation coordinator:organisation cluster_creator:organisation | forbidden to "
     "org_member:organisation coordinator:organisation coach:organisation"},
    {"GET", "/v1/organisations/{id}/users", api_handle, AUTHED, &op_user_list,
     "org_member:organisation coordinator:organisation coach:organisation"},
    {"POST", "/v1/organisations/{id}/users", post_invitation, BODY, &op_user_invite,
     "org_admin:organisation coordinator:organisation?no_active_admin "
     "cluster_creator:organisation?no_active_admin | forbidden to org_member:organisation "
     "coordinator:organisation coach:organisation"},
    {"GET", "/v1/organisations/{id}/audit-events", api_handle, AUTHED, &op_audit_org,
     "org_admin:organisation coordinator:organisation cluster_creator:organisation | forbidden to "
     "org_member:organisation coordinator:organisation coach:organisation"},
    {"POST", "/v1/organisations/{id}/administrator-requests", api_handle, BODY, &op_admin_request,
     "coordinator:organisation cluster_creator:organisation | forbidden to org_member:organisation "
     "coordinator:organisation coach:organisation"},
    {"GET", "/v1/users/{id}", api_handle, AUTHED, &op_user_get,
     "user:self org_member:organisation coordinator:organisation coach:organisation"},
    {"PATCH", "/v1/users/{id}", api_handle, BODY, &op_user_update,
     "user:self org_admin:organisation | forbidden to org_member:organisation "
     "coordinator:organisation coach:organisation"},
    {"POST", "/v1/users/{id}/invitations", post_invitation, AUTHED, &op_user_reinvite,
     "org_admin:organisation coordinator:organisation?no_active_admin "
     "cluster_creator:organisation?no_active_admin | forbidden to org_member:organisation "
     "coordinator:organisation coach:organisation"},
    {"GET", "/v1/clusters", api_handle, AUTHED, &op_cluster_list, "user:none"},
    {"POST", "/v1/clusters", api_handle, BODY, &op_cluster_create,
     "cluster_creator:none | forbidden to user:none"},
    {"GET", "/v1/clusters/{id}", api_handle, AUTHED, &op_cluster_get,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"PATCH", "/v1/clusters/{id}", api_handle, BODY, &op_cluster_update,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/enrolments", api_handle, AUTHED, &op_enrol_list,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"POST", "/v1/clusters/{id}/enrolments", api_handle, BODY, &op_enrol_create,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/staff", api_handle, AUTHED, &op_staff_list,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"POST", "/v1/clusters/{id}/staff", api_handle, BODY, &op_staff_add,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"DELETE", "/v1/clusters/{id}/staff/{staff_id}", api_handle, AUTHED, &op_staff_remove,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/coach-assignments", api_handle, AUTHED, &op_coach_list,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"POST", "/v1/clusters/{id}/coach-assignments", api_handle, BODY, &op_coach_create,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/audit-events", api_handle, AUTHED, &op_audit_cluster,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"DELETE", "/v1/coach-assignments/{id}", api_handle, AUTHED, &op_coach_delete,
     "coordinator:enrolment | forbidden to coach:enrolment org_member:enrolment"},
    {"GET", "/v1/enrolments/{id}", api_handle, AUTHED, &op_enrol_get,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"PATCH", "/v1/enrolments/{id}", api_handle, BODY, &op_enrol_update,
     "coordinator:enrolment | forbidden to coach:enrolment org_member:enrolment"},
    {"POST", "/v1/enrolments/{id}/admit", api_handle, AUTHED, &op_enrol_admit,
     "coordinator:enrolment | forbidden to coach:enrolment org_member:enrolment"},
    {"POST", "/v1/enrolments/{id}/withdraw", api_handle, AUTHED, &op_enrol_withdraw,
     "coordinator:enrolment | forbidden to coach:enrolment org_member:enrolment"},
    {"POST", "/v1/enrolments/{id}/complete", api_handle, AUTHED, &op_enrol_complete,
     "coordinator:enrolment | forbidden to coach:enrolment org_member:enrolment"},
};
const size_t tenancy_routes_count = sizeof(tenancy_routes) / sizeof(tenancy_routes[0]);
