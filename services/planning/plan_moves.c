/* Changes to a plan that come one at a time: a coordinator moving a session by hand (checked by
 * plan_validate against everything the scheduler knows, 409 naming each conflict), and a new
 * unavailability (the sessions it hits and, per cluster, a minimal-change re-plan proposal). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "planning/plan_json.h"
#include "planning/planning_internal.h"

/* ---- manual moves ---------------------------------------------------------------------------- */

static const char *const slot_values[] = {"morning", "afternoon", NULL};
static const api_field_t b_session[] = {{"session_date", API_DATE, 0, 0, 0, NULL},
                                        {"slot", API_ENUM, 0, 0, 0, slot_values},
                                        {"trainer_user_id", API_UUID, 0, 0, 0, NULL},
                                        {"location", API_STRING, 0, 0, 300, NULL},
                                        {"notes", API_TEXT, 0, 0, 5000, NULL},
                                        {"version", API_INT, 0, 1, 2147483647, NULL},
                                        {NULL, 0, 0, 0, 0, NULL}};
static const char *const p_id[] = {"id", NULL};
/* A change that moves nothing: no plan version to check. */
static const api_op_t op_session_edit = {
    &planning_statements[P_SESSION_EDIT], p_id, NULL, b_session, NULL, 200};

typedef struct move_state {
    char id[64];
    const char *date, *slot, *trainer, *location, *notes, *version; /* NULL: unchanged */
} move_state_t;

static void answer_ok(http_req_t *req, db_txn_t *txn) {
    api_answer(req, txn, req->result_index, 200);
}

/* The plan as it is, with session k moved as asked; violations that involve k are the answer. */
static int move_conflicts(const plan_doc_t *doc, int k, const move_state_t *m, cJSON *list) {
    plan_input_t in = doc->in;
    int n = in.ncurrent, count = 0;
    plan_session_t *current = malloc(((size_t)n + 1) * sizeof(*current));
    plan_session_t *plan = malloc(((size_t)n + 1) * sizeof(*plan));
    if (current == NULL || plan == NULL) {
        free(current);
        free(plan);
        return -1;
    }
    memcpy(current, in.current, (size_t)n * sizeof(*current));
    current[k].status = PLAN_PLANNED; /* a coordinator may move a confirmed session */
    in.current = current;
    for (int i = 0; i < n; i++) {
        plan[i] = current[i];
        plan[i].origin = i;
    }
    if (m->date != NULL)
        plan_day_parse(m->date, &plan[k].day);
    if (m->slot != NULL)
        plan[k].slot = strcmp(m->slot, "afternoon") == 0 ? PLAN_AFTERNOON : PLAN_MORNING;
    for (int r = 0; m->trainer != NULL && r < doc->in.nresources; r++)
        if (strcmp(doc->resources[r].id, m->trainer) == 0)
            plan[k].trainer = r;
    plan_violation_t *v = NULL;
    int nv = plan_validate(&in, plan, n, &v);
    for (int i = 0; i < nv; i++)
        if (v[i].session == k || v[i].other == k) {
            cJSON_AddItemToArray(list, cJSON_CreateString(v[i].text));
            count++;
        }
    free(v);
    free(current);
    free(plan);
    return nv < 0 ? -1 : count;
}

static void move_loaded(http_req_t *req, db_txn_t *txn) {
    move_state_t *m = req->handler_data;
    char err[128];
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    cJSON *root = cJSON_Parse(db_txn_value(txn, req->result_index));
    cJSON *plan = cJSON_DetachItemFromObject(root, "plan");
    plan_doc_t doc;
    if (plan == NULL || plan_doc_from_json(plan, &doc, err, sizeof(err)) != 0) {
        if (plan == NULL)
            cJSON_Delete(plan);
        else
            plan_doc_free(&doc);
        cJSON_Delete(root);
        http_send_error(req, 500, "internal", "the planner input could not be read");
        return;
    }
    cJSON_Delete(root);
    int k = plan_doc_find_session(&doc, m->id);
    cJSON *conflicts = cJSON_CreateArray();
    int n = k < 0 ? -1
            : doc.current[k].half_days == 2 && m->slot != NULL && strcmp(m->slot, "afternoon") == 0
                ? -2
                : move_conflicts(&doc, k, m, conflicts);
    char version[40];
    snprintf(version, sizeof(version), "%s", doc.plan_version);
    plan_doc_free(&doc);
    if (n == -2) {
        cJSON_Delete(conflicts);
        http_send_error(req, 422, "invalid_value", "a whole-day session starts in the morning");
        return;
    }
    if (n < 0) {
        cJSON_Delete(conflicts);
        http_send_error(req, 500, "internal", "the session could not be checked");
        return;
    }
    if (n > 0) {
        char message[600];
        const cJSON *first = cJSON_GetArrayItem(conflicts, 0);
        snprintf(message, sizeof(message), "the move breaks %d rule%s: %s%s", n, n == 1 ? "" : "s",
                 first->valuestring, n > 1 ? " (and more: see conflicts)" : "");
        cJSON *extra = cJSON_CreateObject();
        cJSON_AddItemToObject(extra, "conflicts", conflicts);
        http_send_error_with(req, 409, "conflict", message, extra);
        return;
    }
    cJSON_Delete(conflicts);
    const char *params[] = {m->id,       m->date,  m->slot,    m->trainer,
                            m->location, m->notes, m->version, version};
    db_txn_t *t2 = http_txn_new(req);
    int index = t2 != NULL ? db_txn_add(t2, &planning_statements[P_SESSION_UPDATE], params) : -1;
    if (index < 0) {
        db_txn_free(t2);
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    req->result_index = index;
    http_db_submit(req, t2, answer_ok);
}

static const char *pool_copy(http_req_t *req, const cJSON *body, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, name);
    char buf[32];
    if (cJSON_IsString(v))
        return h2o_strdup(&req->h2o->pool, v->valuestring, SIZE_MAX).base;
    if (!cJSON_IsNumber(v))
        return NULL;
    snprintf(buf, sizeof(buf), "%d", v->valueint);
    return h2o_strdup(&req->h2o->pool, buf, SIZE_MAX).base;
}

/* Checks every field like api_run would, without running anything. */
static int body_valid(http_req_t *req) {
    static const char *const known[] = {
        "session_date", "slot", "trainer_user_id", "location", "notes", "version", NULL};
    json_field_error_t err;
    const char *s;
    long l;
    if (json_only_fields(req->body, known, &err) != 0 ||
        json_get_date(req->body, "session_date", 0, &s, &err) != 0 ||
        json_get_enum(req->body, "slot", 0, slot_values, &s, &err) != 0 ||
        json_get_uuid(req->body, "trainer_user_id", 0, &s, &err) != 0 ||
        json_get_string(req->body, "location", 0, 0, 1200, &s, &err) != 0 ||
        json_get_string(req->body, "notes", 0, 0, 20000, &s, &err) != 0 ||
        json_get_int(req->body, "version", 0, 1, 2147483647, &l, &err) != 0) {
        planning_invalid_field(req, err.field, err.message);
        return 0;
    }
    return 1;
}

int planning_patch_session(http_req_t *req) {
    char id[64];
    if (http_param(req, "id", id, sizeof(id)) == NULL || !uuid_valid(id)) {
        http_send_not_found(req);
        return 0;
    }
    const cJSON *b = req->body;
    if (!cJSON_GetObjectItemCaseSensitive(b, "session_date") &&
        !cJSON_GetObjectItemCaseSensitive(b, "slot") &&
        !cJSON_GetObjectItemCaseSensitive(b, "trainer_user_id"))
        return api_run(req, &op_session_edit, NULL, answer_ok);
    if (!body_valid(req))
        return 0;
    move_state_t *m = h2o_mem_alloc_pool(&req->h2o->pool, sizeof(move_state_t));
    memset(m, 0, sizeof(*m));
    snprintf(m->id, sizeof(m->id), "%s", id);
    m->date = pool_copy(req, b, "session_date");
    m->slot = pool_copy(req, b, "slot");
    m->trainer = pool_copy(req, b, "trainer_user_id");
    m->location = pool_copy(req, b, "location");
    m->notes = pool_copy(req, b, "notes");
    m->version = pool_copy(req, b, "version");
    req->handler_data = m;
    const char *params[] = {m->id, m->trainer};
    db_txn_t *txn = http_txn_new(req);
    int index =
        txn != NULL ? db_txn_add(txn, &planning_statements[P_SESSION_MOVE_INPUT], params) : -1;
    if (index < 0) {
        db_txn_free(txn);
        return -1;
    }
    db_txn_read_only(txn);
    req->result_index = index;
    http_db_submit(req, txn, move_loaded);
    return 0;
}
