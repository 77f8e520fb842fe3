/* Unit tests for the shape checks of the progress service's batch bodies (progress/items.h). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress/items.h"

/* Checks `json` as a batch of `kind`; returns 0 or -1 and fills `err`. */
static int check(progress_items_kind_t kind, const char *json, json_field_error_t *err) {
    cJSON *body = cJSON_Parse(json);
    cr_assert_not_null(body, "test JSON does not parse: %s", json);
    memset(err, 0, sizeof(*err));
    int rc = progress_items_check(kind, body, err);
    cJSON_Delete(body);
    return rc;
}

static void assert_refused(progress_items_kind_t kind, const char *json, const char *field) {
    json_field_error_t err;
    cr_assert_eq(check(kind, json, &err), -1, "accepted: %s", json);
    cr_assert_str_eq(err.field, field, "for %s: field %s (%s)", json, err.field, err.message);
    cr_assert(strstr(err.message, field) != NULL || strstr(err.message, "unknown field") != NULL,
              "the message should name the field: %s", err.message);
}

static void assert_accepted(progress_items_kind_t kind, const char *json) {
    json_field_error_t err;
    cr_assert_eq(check(kind, json, &err), 0, "refused %s: %s %s", json, err.field, err.message);
}

Test(progress_items, accepts_a_full_assessment_item) {
    assert_accepted(
        PROGRESS_ITEMS_ASSESSMENT,
        "{\"items\":[{\"requirement\":\"A.5.1\",\"status\":\"implemented\","
        "\"maturity\":3,\"owner\":\"Jo\",\"due_date\":\"2025-03-31\","
        "\"evidence_notes\":\"policy v2\\napproved\",\"evidence_links\":[\"https://x\"]}]}");
}

Test(progress_items, null_clears_optional_values) {
    assert_accepted(PROGRESS_ITEMS_ASSESSMENT,
                    "{\"items\":[{\"requirement\":\"6.1.2\",\"maturity\":null,\"owner\":null,"
                    "\"due_date\":null,\"evidence_notes\":null,\"evidence_links\":null}]}");
}

Test(progress_items, refuses_unknown_status_naming_the_item) {
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"status\":\"implemented\"},"
                   "{\"requirement\":\"4.2\",\"status\":\"done\"}]}",
                   "items[1].status");
}

Test(progress_items, refuses_null_status) {
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"status\":null}]}", "items[0].status");
}

Test(progress_items, refuses_maturity_out_of_range_or_fractional) {
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":6}]}", "items[0].maturity");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":2.5}]}", "items[0].maturity");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":\"3\"}]}",
                   "items[0].maturity");
}

Test(progress_items, refuses_malformed_requirement_references) {
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"A 5\",\"status\":\"implemented\"}]}",
                   "items[0].requirement");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"\",\"status\":\"implemented\"}]}",
                   "items[0].requirement");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT, "{\"items\":[{\"status\":\"implemented\"}]}",
                   "items[0].requirement");
}

Test(progress_items, refuses_an_item_that_changes_nothing) {
    assert_refused(PROGRESS_ITEMS_ASSESSMENT, "{\"items\":[{\"requirement\":\"4.1\"}]}",
                   "items[0]");
}

Test(progress_items, refuses_unknown_members_and_bad_dates) {
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"colour\":\"red\"}]}", "items[0].colour");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"due_date\":\"2025-02-30\"}]}",
                   "items[0].due_date");
}

Test(progress_items, refuses_bad_evidence_links) {
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"evidence_links\":[\"ok\",7]}]}",
                   "items[0].evidence_links[1]");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"evidence_links\":[\"a\\u0001b\"]}]}",
                   "items[0].evidence_links[0]");
    char big[2048] = "{\"items\":[{\"requirement\":\"4.1\",\"evidence_links\":[";
    for (int i = 0; i < 21; i++)
        strcat(big, i ? ",\"x\"" : "\"x\"");
    strcat(big, "]}]}");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT, big, "items[0].evidence_links");
}

Test(progress_items, refuses_the_same_requirement_twice) {
    json_field_error_t err;
    cr_assert_eq(check(PROGRESS_ITEMS_ASSESSMENT,
                       "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":1},"
                       "{\"requirement\":\"4.2\",\"maturity\":1},"
                       "{\"requirement\":\"4.1\",\"maturity\":2}]}",
                       &err),
                 -1);
    cr_assert_str_eq(err.field, "items[2].requirement");
    cr_assert(strstr(err.message, "items[0]") != NULL, "%s", err.message);
}

Test(progress_items, refuses_bodies_that_are_not_batches) {
    assert_refused(PROGRESS_ITEMS_ASSESSMENT, "{\"items\":[]}", "items");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT, "{\"items\":{}}", "items");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT, "{}", "items");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT, "{\"items\":[1]}", "items[0]");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT,
                   "{\"items\":[{\"requirement\":\"4.1\",\"maturity\":1}],\"more\":1}", "more");
}

Test(progress_items, limits_the_batch_size) {
    size_t n = PROGRESS_ITEMS_MAX + 1, cap = n * 48 + 32, used = 0;
    char *json = malloc(cap);
    used += (size_t)snprintf(json + used, cap - used, "{\"items\":[");
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(json + used, cap - used,
                                 "%s{\"requirement\":\"R%zu\",\"maturity\":1}", i ? "," : "", i);
    snprintf(json + used, cap - used, "]}");
    assert_refused(PROGRESS_ITEMS_ASSESSMENT, json, "items");
    free(json);
}

Test(progress_items, soa_inclusion_needs_a_reason_and_known_reasons_only) {
    assert_accepted(PROGRESS_ITEMS_SOA, "{\"items\":[{\"control\":\"A.5.1\",\"applicable\":true,"
                                        "\"reasons\":[\"legal\",\"risk_assessment_result\"]}]}");
    assert_refused(PROGRESS_ITEMS_SOA,
                   "{\"items\":[{\"control\":\"A.5.1\",\"applicable\":true,\"reasons\":[]}]}",
                   "items[0].reasons");
    assert_refused(PROGRESS_ITEMS_SOA,
                   "{\"items\":[{\"control\":\"A.5.1\",\"applicable\":true,"
                   "\"reasons\":[\"legal\",\"gut_feeling\"]}]}",
                   "items[0].reasons[1]");
}

Test(progress_items, soa_exclusion_needs_a_justification) {
    assert_accepted(PROGRESS_ITEMS_SOA, "{\"items\":[{\"control\":\"A.7.4\",\"applicable\":false,"
                                        "\"justification\":\"no premises of our own\"}]}");
    assert_refused(PROGRESS_ITEMS_SOA, "{\"items\":[{\"control\":\"A.7.4\",\"applicable\":false}]}",
                   "items[0].justification");
    assert_refused(PROGRESS_ITEMS_SOA,
                   "{\"items\":[{\"control\":\"A.7.4\",\"applicable\":false,"
                   "\"justification\":\"  \"}]}",
                   "items[0].justification");
    assert_refused(PROGRESS_ITEMS_SOA, "{\"items\":[{\"control\":\"A.7.4\"}]}",
                   "items[0].applicable");
}

Test(progress_items, deliverables_and_deadlines) {
    assert_accepted(PROGRESS_ITEMS_DELIVERABLE,
                    "{\"items\":[{\"deliverable\":\"scope\",\"status\":\"approved\","
                    "\"approved_on\":\"2025-01-10\",\"document\":\"DMS-12\"}]}");
    assert_refused(PROGRESS_ITEMS_DELIVERABLE,
                   "{\"items\":[{\"deliverable\":\"scope\",\"status\":\"finished\"}]}",
                   "items[0].status");
    assert_refused(PROGRESS_ITEMS_DELIVERABLE,
                   "{\"items\":[{\"deliverable\":\"Scope!\",\"status\":\"todo\"}]}",
                   "items[0].deliverable");
    assert_accepted(PROGRESS_ITEMS_DEADLINE,
                    "{\"items\":[{\"module_key\":\"risk_assessment\",\"due_date\":\"2025-03-01\"},"
                    "{\"module_key\":\"audit\",\"due_date\":null}]}");
    assert_refused(PROGRESS_ITEMS_DEADLINE,
                   "{\"items\":[{\"module_key\":\"cooking\",\"due_date\":\"2025-03-01\"}]}",
                   "items[0].module_key");
    assert_refused(PROGRESS_ITEMS_DEADLINE, "{\"items\":[{\"module_key\":\"audit\"}]}",
                   "items[0].due_date");
}

Test(progress_items, counts_characters_not_bytes) {
    cr_assert_eq(progress_utf8_chars("\xc3\xa9t\xc3\xa9"), 3);
    char owner[512] = "{\"items\":[{\"requirement\":\"4.1\",\"owner\":\"";
    for (int i = 0; i < 200; i++)
        strcat(owner, "\xc3\xa9");
    strcat(owner, "\"}]}");
    assert_accepted(PROGRESS_ITEMS_ASSESSMENT, owner);
}
