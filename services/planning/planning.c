/* Planning endpoints: the statement table, the declarative operations (the values each endpoint
 * takes and the SQL function that answers under row-level security) and the route table. The
 * endpoints that run the scheduler or write calendars are in plan_handlers.c and feeds.c. */
#include <string.h>

#include "planning/planning_internal.h"

#define STMT(id, name, sql, n) [id] = {"planning_" name, sql, n}

const db_stmt_t planning_statements[] = {
    STMT(P_TEMPLATES, "templates", "SELECT isms.api_curriculum_templates()::text", 0),
    STMT(P_CURRICULUM_GET, "curriculum_get", "SELECT isms.api_cluster_curriculum($1)::text", 1),
    STMT(P_CURRICULUM_PUT, "curriculum_put",
         "SELECT isms.api_cluster_curriculum_put($1, $2::json)::text", 2),
    STMT(P_SETTINGS_GET, "settings_get", "SELECT isms.api_planning_settings($1)::text", 1),
    STMT(P_SETTINGS_UPDATE, "settings_update",
         "SELECT isms.api_planning_settings_update($1, $2::json, $3, $4, $5, $6, $7)::text", 7),
    STMT(P_HOLIDAYS, "holidays", "SELECT isms.api_holidays($1, $2, $3)::text", 3),
    STMT(P_UNAV_LIST_ORG, "unavailability_list_org",
         "SELECT isms.api_unavailability_list($1, NULL, $2, $3)::text", 3),
    STMT(P_UNAV_LIST_USER, "unavailability_list_user",
         "SELECT isms.api_unavailability_list(NULL, $1, $2, $3)::text", 3),
    STMT(P_UNAV_CREATE_ORG, "unavailability_create_org",
         "SELECT isms.api_unavailability_create($1, NULL, $2, $3, $4, $5, $6)::text", 6),
    STMT(P_UNAV_CREATE_USER, "unavailability_create_user",
         "SELECT isms.api_unavailability_create(NULL, $1, $2, $3, $4, $5, $6)::text", 6),
    STMT(P_UNAV_DELETE, "unavailability_delete", "SELECT isms.api_unavailability_delete($1)", 1),
    STMT(P_SESSIONS_CLUSTER, "sessions_cluster",
         "SELECT isms.api_sessions_cluster($1, $2, $3, $4, $5, $6)::text", 6),
    STMT(P_SESSIONS_ORG, "sessions_org",
         "SELECT isms.api_sessions_organisation($1, $2, $3, $4, $5, $6)::text", 6),
    STMT(P_SESSIONS_USER, "sessions_user",
         "SELECT isms.api_sessions_user($1, $2, $3, $4, $5, $6)::text", 6),
    STMT(P_SESSION_GET, "session_get", "SELECT isms.api_session_get($1)::text", 1),
    STMT(P_SESSION_MOVE_INPUT, "session_move_input",
         "SELECT isms.api_session_move_input($1, $2::uuid)::text", 2),
    STMT(P_SESSION_UPDATE, "session_update",
         "SELECT isms.api_session_update($1, $2, $3, $4, $5, $6, $7, $8)::text", 8),
    STMT(P_SESSION_EDIT, "session_edit",
         "SELECT isms.api_session_update($1, $2, $3, $4, $5, $6, $7, NULL)::text", 7),
    STMT(P_SESSION_TRANSITION, "session_transition",
         "SELECT isms.api_session_transition($1, $2)::text", 2),
    STMT(P_PLAN_INPUT, "plan_input", "SELECT isms.api_plan_input($1, $2)::text", 2),
    STMT(P_PLAN_APPLY, "plan_apply", "SELECT isms.api_plan_apply($1, $2, $3::json, $4)::text", 4),
    STMT(P_REG_LIST, "registrations", "SELECT isms.api_registrations_list($1)::text", 1),
    STMT(P_REG_CREATE, "registration_create",
         "SELECT isms.api_registration_create($1, $2, $3, $4)::text", 4),
    STMT(P_REG_DELETE, "registration_delete", "SELECT isms.api_registration_delete($1)", 1),
    STMT(P_REG_ATTENDANCE, "registration_attendance",
         "SELECT isms.api_registration_attendance($1, $2)::text", 2),
    STMT(P_ATTENDANCE_REPORT, "attendance_report", "SELECT isms.api_attendance_report($1)::text",
         1),
    STMT(P_FEED_CREATE, "feed_create", "SELECT isms.api_feed_create($1, $2, $3, $4)::text", 4),
    STMT(P_FEED_LIST, "feed_list", "SELECT isms.api_feed_list()::text", 0),
    STMT(P_FEED_REVOKE, "feed_revoke", "SELECT isms.api_feed_revoke($1)", 1),
    STMT(P_FEED_READ, "feed_read", "SELECT isms.planning_feed($1)::text", 1),
};
const size_t planning_statements_count = P_COUNT;

/* ---- fields ---------------------------------------------------------------------------------- */

static const char *const slots[] = {"morning", "afternoon", NULL};
static const char *const statuses[] = {"planned", "confirmed", "done", "cancelled", NULL};
static const char *const scopes[] = {"cluster", "organisation", "staff", NULL};

static const char *const p_id[] = {"id", NULL};
#define END_FIELDS                                                                                 \
    { NULL, 0, 0, 0, 0, NULL }

static const api_field_t q_holidays[] = {{"country", API_COUNTRY, 1, 0, 0, NULL},
                                         {"from", API_DATE, 0, 0, 0, NULL},
                                         {"to", API_DATE, 0, 0, 0, NULL},
                                         END_FIELDS};
static const api_field_t q_range[] = {
    {"from", API_DATE, 0, 0, 0, NULL}, {"to", API_DATE, 0, 0, 0, NULL}, END_FIELDS};
static const api_field_t q_sessions[] = {{"from", API_DATE, 0, 0, 0, NULL},
                                         {"to", API_DATE, 0, 0, 0, NULL},
                                         {"status", API_ENUM, 0, 0, 0, statuses},
                                         API_PAGINATION,
                                         END_FIELDS};
const api_field_t planning_unavailability_body[] = {
    {"start_date", API_DATE, 1, 0, 0, NULL},  {"end_date", API_DATE, 1, 0, 0, NULL},
    {"start_slot", API_ENUM, 0, 0, 0, slots}, {"end_slot", API_ENUM, 0, 0, 0, slots},
    {"reason", API_STRING, 0, 1, 500, NULL},  END_FIELDS};
static const api_field_t b_registration[] = {{"organisation_id", API_UUID, 0, 0, 0, NULL},
                                             {"participant_user_id", API_UUID, 0, 0, 0, NULL},
                                             {"participant_name", API_STRING, 0, 1, 200, NULL},
                                             END_FIELDS};
static const api_field_t b_attendance[] = {{"attended", API_BOOL, 1, 0, 0, NULL}, END_FIELDS};
const api_field_t planning_feed_body[] = {{"scope", API_ENUM, 1, 0, 0, scopes},
                                          {"cluster_id", API_UUID, 0, 0, 0, NULL},
                                          {"label", API_STRING, 0, 1, 200, NULL},
                                          END_FIELDS};
const api_field_t planning_settings_body[] = {{"weekdays", API_JSON, 0, 0, 0, NULL},
                                              {"morning_start", API_STRING, 0, 5, 5, NULL},
                                              {"morning_end", API_STRING, 0, 5, 5, NULL},
                                              {"afternoon_start", API_STRING, 0, 5, 5, NULL},
                                              {"afternoon_end", API_STRING, 0, 5, 5, NULL},
                                              {"location", API_STRING, 0, 0, 300, NULL},
                                              END_FIELDS};

static const char *const c_confirm[] = {"confirm", NULL};
static const char *const c_complete[] = {"complete", NULL};
static const char *const c_cancel[] = {"cancel", NULL};

/* ---- operations ------------------------------------------------------------------------------ */

#define OP(name, stmt, path, query, body, constants, status)                                       \
    static const api_op_t name = {&planning_statements[stmt], path, query, body, constants, status}
#define PUBLIC_OP(name, stmt, path, query, body, constants, status)                                \
    const api_op_t name = {&planning_statements[stmt], path, query, body, constants, status}

OP(op_templates, P_TEMPLATES, NULL, NULL, NULL, NULL, 200);
OP(op_curriculum_get, P_CURRICULUM_GET, p_id, NULL, NULL, NULL, 200);
PUBLIC_OP(planning_op_curriculum_put, P_CURRICULUM_PUT, p_id, NULL, NULL, NULL, 200);
OP(op_settings_get, P_SETTINGS_GET, p_id, NULL, NULL, NULL, 200);
PUBLIC_OP(planning_op_settings_update, P_SETTINGS_UPDATE, p_id, NULL, planning_settings_body, NULL,
          200);
OP(op_holidays, P_HOLIDAYS, NULL, q_holidays, NULL, NULL, 200);
OP(op_unav_list_org, P_UNAV_LIST_ORG, p_id, q_range, NULL, NULL, 200);
OP(op_unav_list_user, P_UNAV_LIST_USER, p_id, q_range, NULL, NULL, 200);
PUBLIC_OP(planning_op_unav_create_org, P_UNAV_CREATE_ORG, p_id, NULL, planning_unavailability_body,
          NULL, 201);
PUBLIC_OP(planning_op_unav_create_user, P_UNAV_CREATE_USER, p_id, NULL,
          planning_unavailability_body, NULL, 201);
OP(op_unav_delete, P_UNAV_DELETE, p_id, NULL, NULL, NULL, 204);
OP(op_sessions_cluster, P_SESSIONS_CLUSTER, p_id, q_sessions, NULL, NULL, 200);
OP(op_sessions_org, P_SESSIONS_ORG, p_id, q_sessions, NULL, NULL, 200);
OP(op_sessions_user, P_SESSIONS_USER, p_id, q_sessions, NULL, NULL, 200);
OP(op_session_get, P_SESSION_GET, p_id, NULL, NULL, NULL, 200);
OP(op_session_confirm, P_SESSION_TRANSITION, p_id, NULL, NULL, c_confirm, 200);
OP(op_session_complete, P_SESSION_TRANSITION, p_id, NULL, NULL, c_complete, 200);
OP(op_session_cancel, P_SESSION_TRANSITION, p_id, NULL, NULL, c_cancel, 200);
OP(op_reg_list, P_REG_LIST, p_id, NULL, NULL, NULL, 200);
OP(op_reg_create, P_REG_CREATE, p_id, NULL, b_registration, NULL, 201);
OP(op_reg_delete, P_REG_DELETE, p_id, NULL, NULL, NULL, 204);
OP(op_reg_attendance, P_REG_ATTENDANCE, p_id, NULL, b_attendance, NULL, 200);
OP(op_attendance_report, P_ATTENDANCE_REPORT, p_id, NULL, NULL, NULL, 200);
PUBLIC_OP(planning_op_feed_create, P_FEED_CREATE, NULL, NULL, planning_feed_body, NULL, 201);
OP(op_feed_list, P_FEED_LIST, NULL, NULL, NULL, NULL, 200);
OP(op_feed_revoke, P_FEED_REVOKE, p_id, NULL, NULL, NULL, 204);

#define AUTHED ROUTE_AUTH
#define BODY (ROUTE_AUTH | ROUTE_JSON_BODY)

const route_t planning_routes[] = {
    {"GET", "/v1/curriculum-templates", api_handle, AUTHED, &op_templates, "user:none"},
    {"GET", "/v1/clusters/{id}/curriculum", api_handle, AUTHED, &op_curriculum_get,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"PUT", "/v1/clusters/{id}/curriculum", planning_put_curriculum, BODY,
     &planning_op_curriculum_put,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/planning-settings", api_handle, AUTHED, &op_settings_get,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"PATCH", "/v1/clusters/{id}/planning-settings", planning_patch_settings, BODY,
     &planning_op_settings_update,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/holidays", api_handle, AUTHED, &op_holidays, "user:none"},
    {"GET", "/v1/organisations/{id}/unavailability", api_handle, AUTHED, &op_unav_list_org,
     "org_member:organisation coordinator:organisation coach:organisation"},
    {"POST", "/v1/organisations/{id}/unavailability", planning_post_unavailability, BODY,
     &planning_op_unav_create_org,
     "org_member:organisation coordinator:organisation | forbidden to coach:organisation"},
    {"GET", "/v1/users/{id}/unavailability", api_handle, AUTHED, &op_unav_list_user,
     "user:self org_member:organisation coordinator:cluster"},
    {"POST", "/v1/users/{id}/unavailability", planning_post_unavailability, BODY,
     &planning_op_unav_create_user,
     "user:self coordinator:cluster | forbidden to org_member:organisation"},
    {"DELETE", "/v1/unavailability/{id}", api_handle, AUTHED, &op_unav_delete,
     "user:self org_member:organisation coordinator:organisation coordinator:cluster | forbidden "
     "to coach:organisation"},
    {"POST", "/v1/clusters/{id}/plan", planning_post_plan, AUTHED, NULL,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"POST", "/v1/clusters/{id}/plan/apply", planning_post_plan_apply, BODY, NULL,
     "coordinator:cluster | forbidden to coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/clusters/{id}/training-sessions", api_handle, AUTHED, &op_sessions_cluster,
     "coordinator:cluster coach:cluster trainer:cluster org_member:cluster"},
    {"GET", "/v1/organisations/{id}/training-sessions", api_handle, AUTHED, &op_sessions_org,
     "org_member:organisation coordinator:organisation coach:organisation"},
    {"GET", "/v1/users/{id}/training-sessions", api_handle, AUTHED, &op_sessions_user,
     "user:self org_member:organisation coordinator:cluster coach:cluster trainer:cluster"},
    {"GET", "/v1/training-sessions/{id}", api_handle, AUTHED, &op_session_get,
     "coordinator:session coach:session trainer:cluster org_member:session"},
    {"PATCH", "/v1/training-sessions/{id}", planning_patch_session, BODY, NULL,
     "coordinator:session | forbidden to coach:session trainer:cluster org_member:session"},
    {"POST", "/v1/training-sessions/{id}/confirm", api_handle, AUTHED, &op_session_confirm,
     "coordinator:session | forbidden to coach:session trainer:cluster org_member:session"},
    {"POST", "/v1/training-sessions/{id}/complete", api_handle, AUTHED, &op_session_complete,
     "coordinator:session | forbidden to coach:session trainer:cluster org_member:session"},
    {"POST", "/v1/training-sessions/{id}/cancel", api_handle, AUTHED, &op_session_cancel,
     "coordinator:session | forbidden to coach:session trainer:cluster org_member:session"},
    {"GET", "/v1/training-sessions/{id}/registrations", api_handle, AUTHED, &op_reg_list,
     "coordinator:session coach:session trainer:cluster org_member:session"},
    {"POST", "/v1/training-sessions/{id}/registrations", api_handle, BODY, &op_reg_create,
     "org_member:session?admitted coordinator:session | forbidden to coach:session "
     "trainer:cluster"},
    {"DELETE", "/v1/registrations/{id}", api_handle, AUTHED, &op_reg_delete,
     "org_member:session coordinator:session | forbidden to trainer:session"},
    {"PUT", "/v1/registrations/{id}/attendance", api_handle, BODY, &op_reg_attendance,
     "coordinator:session trainer:session | forbidden to org_member:session"},
    {"GET", "/v1/enrolments/{id}/attendance-report", api_handle, AUTHED, &op_attendance_report,
     "coordinator:enrolment coach:enrolment org_member:enrolment"},
    {"POST", "/v1/calendar-feeds", planning_post_feed, BODY, &planning_op_feed_create, "user:none"},
    {"GET", "/v1/calendar-feeds", api_handle, AUTHED, &op_feed_list, "user:none"},
    {"DELETE", "/v1/calendar-feeds/{id}", api_handle, AUTHED, &op_feed_revoke, "user:self"},
    {"GET", "/v1/calendar/{token}", planning_get_calendar, ROUTE_PUBLIC, NULL, "anyone:none"},
};
const size_t planning_routes_count = sizeof(planning_routes) / sizeof(planning_routes[0]);
