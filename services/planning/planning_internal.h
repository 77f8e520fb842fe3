/* Shared between the planning service's files: statement indices, the operations and field lists
 * the hand-written handlers reuse, and those handlers. */
#pragma once
#include "core/api.h"
#include "core/http.h"
#include "planning/planning.h"

enum {
    P_TEMPLATES,
    P_CURRICULUM_GET,
    P_CURRICULUM_PUT,
    P_SETTINGS_GET,
    P_SETTINGS_UPDATE,
    P_HOLIDAYS,
    P_UNAV_LIST_ORG,
    P_UNAV_LIST_USER,
    P_UNAV_CREATE_ORG,
    P_UNAV_CREATE_USER,
    P_UNAV_DELETE,
    P_SESSIONS_CLUSTER,
    P_SESSIONS_ORG,
    P_SESSIONS_USER,
    P_SESSION_GET,
    P_SESSION_MOVE_INPUT,
    P_SESSION_UPDATE,
    P_SESSION_EDIT,
    P_SESSION_TRANSITION,
    P_PLAN_INPUT,
    P_PLAN_APPLY,
    P_REG_LIST,
    P_REG_CREATE,
    P_REG_DELETE,
    P_REG_ATTENDANCE,
    P_ATTENDANCE_REPORT,
    P_FEED_CREATE,
    P_FEED_LIST,
    P_FEED_REVOKE,
    P_FEED_READ,
    P_COUNT
};

extern const api_field_t planning_unavailability_body[];
extern const api_field_t planning_feed_body[];
extern const api_field_t planning_settings_body[];

/* plan_handlers.c: endpoints that run the scheduler. */
int planning_post_plan(http_req_t *req);
int planning_post_plan_apply(http_req_t *req);
int planning_patch_session(http_req_t *req);
int planning_post_unavailability(http_req_t *req);

/* feeds.c: calendar feeds, and bodies validated beyond api_field_t (curriculum, settings). */
int planning_put_curriculum(http_req_t *req);
int planning_patch_settings(http_req_t *req);
int planning_post_feed(http_req_t *req);
int planning_get_calendar(http_req_t *req);

/* Sends a 400 invalid_body naming the field. */
void planning_invalid_field(http_req_t *req, const char *field, const char *message);
