/* Shape checks for the progress service's batch bodies, {"items": [...]}: assessments, Statement
 * of Applicability decisions, deliverables and module deadlines. Pure functions (no I/O): what
 * only the database knows (does requirement "A.5.1" exist in the cluster's framework?) is checked
 * there, these check everything else and name the offending field, e.g. "items[3].status". */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/json.h"

#define PROGRESS_ITEMS_MAX 500

typedef enum {
    PROGRESS_ITEMS_ASSESSMENT,  /* {"requirement", "status", "maturity", "owner", ...} */
    PROGRESS_ITEMS_SOA,         /* {"control", "applicable", "reasons", "justification"} */
    PROGRESS_ITEMS_DELIVERABLE, /* {"deliverable", "status", "approved_on", "due_date", ...} */
    PROGRESS_ITEMS_DEADLINE,    /* {"module_key", "due_date"} */
} progress_items_kind_t;

/** The allowed values of the enumerations, NULL-terminated (shared with the route table). */
extern const char *const progress_assessment_statuses[];
extern const char *const progress_soa_reasons[];
extern const char *const progress_deliverable_statuses[];
extern const char *const progress_module_keys[];

/** Checks a batch body: an object whose only member "items" is an array of 1 to
 * PROGRESS_ITEMS_MAX objects of `kind`, each naming its subject once in the batch. Returns 0, or
 * -1 with `err` naming the field ("items", "items[2].maturity", ...). */
int progress_items_check(progress_items_kind_t kind, const cJSON *body, json_field_error_t *err);

/** Number of characters (code points) of a valid UTF-8 string. */
size_t progress_utf8_chars(const char *s);
