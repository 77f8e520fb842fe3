/* The endpoints that run the scheduler: preview (load the input, solve on a worker thread,
 * answer), apply (load, solve, write what was previewed while its version still holds), manual
 * moves (load, check with the same validator the tests use, write) and new unavailability (write,
 * then propose a minimal-change re-plan for each cluster it hits). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "planning/plan_json.h"
#include "planning/planning_internal.h"

/* One scheduler run, or several (a new unavailability can hit clusters). Owned by the work item:
 * freed by job_free whether or not the completion runs. */
typedef struct plan_job {
    int n;
    plan_doc_t *docs;
    plan_result_t *results;
    int *full; /* per doc: the caller coordinates that cluster */
    int rc;
    cJSON *answer; /* for the unavailability answer */
} plan_job_t;

static plan_job_t *job_new(int n) {
    plan_job_t *j = calloc(1, sizeof(*j));
    if (j == NULL)
        return NULL;
    j->docs = calloc((size_t)n + 1, sizeof(plan_doc_t));
    j->results = calloc((size_t)n + 1, sizeof(plan_result_t));
    j->full = calloc((size_t)n + 1, sizeof(int));
    if (j->docs == NULL || j->results == NULL || j->full == NULL) {
        free(j->docs);
        free(j->results);
        free(j->full);
        free(j);
        return NULL;
    }
    j->n = n;
    return j;
}

static void job_free(void *p) {
    plan_job_t *j = p;
    for (int i = 0; i < j->n; i++) {
        plan_doc_free(&j->docs[i]);
        plan_result_free(&j->results[i]);
    }
    free(j->docs);
    free(j->results);
    free(j->full);
    cJSON_Delete(j->answer);
    free(j);
}

/* A programme whose end date has passed cannot be planned: say so instead of solving. */
static int past_end(const plan_doc_t *doc, plan_result_t *r) {
    if (doc->in.earliest <= doc->in.end)
        return 0;
    char end[11], text[200];
    plan_day_format(doc->target_end, end);
    snprintf(text, sizeof(text),
             "nothing can be planned: the target end date %s has passed; move it to plan again",
             end);
    memset(r, 0, sizeof(*r));
    r->failed_module = -1;
    r->window_from = r->window_to = doc->in.earliest;
    r->explanation = strdup(text);
    return 1;
}

static void job_solve(void *p) {
    plan_job_t *j = p;
    for (int i = 0; i < j->n && j->rc == PLAN_OK; i++) {
        j->docs[i].in.explain = j->full[i];
        if (!past_end(&j->docs[i], &j->results[i]))
            j->rc = plan_solve(&j->docs[i].in, &j->results[i]);
    }
}

static int queue_solve(http_req_t *req, plan_job_t *j, http_work_done done) {
    return http_queue_work(req, job_solve, done, j, job_free);
}

/* Runs one statement (after the route's authentication) and calls `cb`. */
static void submit(http_req_t *req, int stmt, const char *const *params, int read_only,
                   http_db_cb cb) {
    db_txn_t *txn = http_txn_new(req);
    int index = txn != NULL ? db_txn_add(txn, &planning_statements[stmt], params) : -1;
    if (index < 0) {
        db_txn_free(txn);
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    if (read_only)
        db_txn_read_only(txn);
    req->result_index = index;
    http_db_submit(req, txn, cb);
}

static const char *path_id(http_req_t *req) {
    char *id = h2o_mem_alloc_pool(&req->h2o->pool, 64);
    if (http_param(req, "id", id, 64) == NULL || !uuid_valid(id))
        return NULL;
    return id;
}

static void send_internal(http_req_t *req, const char *what) {
    http_send_error(req, 500, "internal", "%s", what);
}

/* Answers a scheduler run that did not produce a result. */
static void send_solve_failure(http_req_t *req, int rc) {
    if (rc == PLAN_ESPAN)
        http_send_error(
            req, 422, "plan_horizon_too_long",
            "the programme and its existing sessions span more than %d days; cancel "
            "sessions far outside the programme's dates or move its dates closer to them",
            PLAN_MAX_SPAN_DAYS);
    else
        send_internal(req, "the scheduler could not run on this input");
}

/* Parses the single planner input a statement returned into a one-document job. */
static plan_job_t *load_job(http_req_t *req, db_txn_t *txn) {
    char err[128];
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return NULL;
    }
    plan_job_t *j = job_new(1);
    if (j == NULL) {
        send_internal(req, "out of memory");
        return NULL;
    }
    j->full[0] = 1;
    if (plan_doc_parse(db_txn_value(txn, req->result_index), &j->docs[0], err, sizeof(err)) != 0) {
        job_free(j);
        send_internal(req, "the planner input could not be read");
        return NULL;
    }
    return j;
}

/* ---- preview --------------------------------------------------------------------------------- */

static void preview_solved(http_req_t *req, void *p) {
    plan_job_t *j = p;
    if (j->rc != PLAN_OK) {
        send_solve_failure(req, j->rc);
        return;
    }
    cJSON *doc = plan_preview_json(&j->docs[0], &j->results[0], 1, 0);
    http_send_json(req, 200, doc);
    cJSON_Delete(doc);
}

static void preview_loaded(http_req_t *req, db_txn_t *txn) {
    plan_job_t *j = load_job(req, txn);
    if (j != NULL)
        queue_solve(req, j, preview_solved);
}

int planning_post_plan(http_req_t *req) {
    const char *id = path_id(req);
    if (id == NULL) {
        http_send_not_found(req);
        return 0;
    }
    const char *params[] = {id, NULL};
    submit(req, P_PLAN_INPUT, params, 1, preview_loaded);
    return 0;
}

/* ---- apply ----------------------------------------------------------------------------------- */

typedef struct apply_state {
    const char *cluster;
    char version[40];
} apply_state_t;

static void answer_ok(http_req_t *req, db_txn_t *txn) {
    api_answer(req, txn, req->result_index, 200);
}

static void apply_solved(http_req_t *req, void *p) {
    plan_job_t *j = p;
    apply_state_t *st = req->handler_data;
    if (j->rc != PLAN_OK) {
        send_solve_failure(req, j->rc);
        return;
    }
    if (!j->results[0].feasible) {
        cJSON *extra = cJSON_CreateObject();
        cJSON *preview = plan_preview_json(&j->docs[0], &j->results[0], 1, 1);
        cJSON_AddItemToObject(extra, "explanation",
                              cJSON_DetachItemFromObject(preview, "explanation"));
        cJSON_Delete(preview);
        http_send_error_with(req, 409, "plan_infeasible",
                             j->results[0].explanation != NULL ? j->results[0].explanation
                                                               : "no plan satisfies every rule",
                             extra);
        return;
    }
    cJSON *changes = plan_changes_json(&j->docs[0], &j->results[0]);
    char *text = cJSON_PrintUnformatted(changes);
    cJSON_Delete(changes);
    if (text == NULL) {
        send_internal(req, "out of memory");
        return;
    }
    const char *params[] = {st->cluster, st->version, text, NULL};
    submit(req, P_PLAN_APPLY, params, 0, answer_ok);
    cJSON_free(text);
}

static void apply_loaded(http_req_t *req, db_txn_t *txn) {
    apply_state_t *st = req->handler_data;
    plan_job_t *j = load_job(req, txn);
    if (j == NULL)
        return;
    if (strcmp(j->docs[0].plan_version, st->version) != 0) {
        job_free(j);
        http_send_error(req, 409, "plan_changed",
                        "the plan or something it depends on changed since the preview; preview "
                        "again and apply the new plan");
        return;
    }
    queue_solve(req, j, apply_solved);
}

void planning_invalid_field(http_req_t *req, const char *field, const char *message) {
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "field", field);
    http_send_error_with(req, 400, "invalid_body", message, extra);
}

int planning_post_plan_apply(http_req_t *req) {
    static const char *const known[] = {"plan_version", NULL};
    json_field_error_t err;
    const char *version = NULL, *id = path_id(req);
    if (id == NULL) {
        http_send_not_found(req);
        return 0;
    }
    if (json_only_fields(req->body, known, &err) != 0 ||
        json_get_string(req->body, "plan_version", 1, 32, 32, &version, &err) != 0) {
        planning_invalid_field(req, err.field, err.message);
        return 0;
    }
    if (strspn(version, "0123456789abcdef") != 32) {
        planning_invalid_field(req, "plan_version", "plan_version must be one a preview returned");
        return 0;
    }
    apply_state_t *st = h2o_mem_alloc_pool(&req->h2o->pool, sizeof(apply_state_t));
    st->cluster = id;
    snprintf(st->version, sizeof(st->version), "%s", version);
    req->handler_data = st;
    const char *params[] = {id, NULL};
    submit(req, P_PLAN_INPUT, params, 1, apply_loaded);
    return 0;
}

/* ---- new unavailability: the sessions it hits and a re-plan proposal per cluster ------------- */

static void unavailability_solved(http_req_t *req, void *p) {
    plan_job_t *j = p;
    if (j->rc != PLAN_OK) {
        send_solve_failure(req, j->rc);
        return;
    }
    cJSON *list = cJSON_GetObjectItemCaseSensitive(j->answer, "replan");
    for (int i = 0; i < j->n; i++) {
        cJSON *item = cJSON_GetArrayItem(list, i);
        cJSON *proposal = plan_preview_json(&j->docs[i], &j->results[i], j->full[i], 1);
        cJSON *child = proposal != NULL ? proposal->child : NULL;
        while (child != NULL) {
            cJSON *next = child->next;
            if (strcmp(child->string, "cluster_id") != 0) {
                cJSON_DetachItemViaPointer(proposal, child);
                cJSON_AddItemToObject(item, child->string, child);
            }
            child = next;
        }
        cJSON_Delete(proposal);
    }
    http_send_json(req, 201, j->answer);
}

static void unavailability_created(http_req_t *req, db_txn_t *txn) {
    char err[128];
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    cJSON *answer = cJSON_Parse(db_txn_value(txn, req->result_index));
    cJSON *list = cJSON_GetObjectItemCaseSensitive(answer, "replan");
    int n = cJSON_GetArraySize(list);
    plan_job_t *j = n > 0 ? job_new(n) : NULL;
    if (answer == NULL || (n > 0 && j == NULL)) {
        cJSON_Delete(answer);
        send_internal(req, "out of memory");
        return;
    }
    if (n == 0) {
        http_send_json(req, 201, answer);
        cJSON_Delete(answer);
        return;
    }
    j->answer = answer;
    for (int i = 0; i < n; i++) {
        cJSON *item = cJSON_GetArrayItem(list, i);
        j->full[i] = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(item, "coordinator"));
        cJSON *input = cJSON_DetachItemFromObject(item, "input");
        cJSON_DeleteItemFromObject(item, "coordinator");
        if (input == NULL || plan_doc_from_json(input, &j->docs[i], err, sizeof(err)) != 0) {
            if (input == NULL)
                memset(&j->docs[i], 0, sizeof(j->docs[i]));
            job_free(j);
            send_internal(req, "the planner input could not be read");
            return;
        }
    }
    queue_solve(req, j, unavailability_solved);
}

int planning_post_unavailability(http_req_t *req) {
    return api_run(req, req->match.route->data, NULL, unavailability_created);
}
