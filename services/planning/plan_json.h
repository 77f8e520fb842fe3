/* The scheduler's JSON boundary, pure (no I/O): the document planning_input() returns becomes a
 * plan_input_t; a plan becomes the preview answer, the changes api_plan_apply() writes, or a
 * re-plan proposal. */
#pragma once
#include <cjson/cJSON.h>

#include "planning/scheduler.h"

/** A parsed planner input. Strings point into `root`; free everything with plan_doc_free. */
typedef struct plan_doc {
    cJSON *root;
    plan_input_t in;
    plan_module_t *modules;
    int *part_offset; /* per module: a separate half-day of a curriculum module is a module of
                         its own, whose part 0 is the curriculum module's part 1 + offset */
    plan_resource_t *resources;
    plan_org_t *orgs;
    int *trainers;
    plan_holiday_t *holidays;
    plan_period_t *periods;
    plan_session_t *current;
    const char **enrolment_ids; /* per organisation */
    int *estimate_missing;      /* per organisation */
    const char **period_ids;    /* per period: the unavailability's id, NULL elsewhere */
    const char *plan_version;
    const char *cluster_id;
    const char *cluster_name;
    plan_day_t today, target_end;
} plan_doc_t;

/** Parses the text of {"plan_version", "input": {...}}. Returns 0, or -1 with a reason in `err`. */
int plan_doc_parse(const char *text, plan_doc_t *doc, char *err, size_t errlen);
/** Parses an already parsed document (the object with "plan_version" and "input"); takes it. */
int plan_doc_from_json(cJSON *root, plan_doc_t *doc, char *err, size_t errlen);
void plan_doc_free(plan_doc_t *doc);

/** Index of the current session with this id, or -1. */
int plan_doc_find_session(const plan_doc_t *doc, const char *id);

/** The preview answer. `full` (coordinators): every session, explanations naming people and
 * reasons, warnings; otherwise only the trainings that move. `changes_only`: leave out the
 * sessions that stay where they are. Returns a new object or NULL. */
cJSON *plan_preview_json(const plan_doc_t *doc, const plan_result_t *r, int full, int changes_only);
/** What api_plan_apply writes for plan `r` (which must be feasible). */
cJSON *plan_changes_json(const plan_doc_t *doc, const plan_result_t *r);
/** Writes "YYYY-MM-DD" of a day into a cJSON object under `name`. */
void plan_json_add_day(cJSON *obj, const char *name, plan_day_t d);
