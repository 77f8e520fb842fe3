/* The scheduler's JSON boundary: the document planning_input() returns becomes scheduler input
 * (organisations first, then people; unknown references dropped, not trusted), and a plan becomes
 * the preview (full for coordinators, trainings only for members) and the changes the apply
 * statement writes. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "planning/plan_json.h"

static const char doc_text[] =
    "{\"plan_version\":\"0123456789abcdef0123456789abcdef\",\"input\":{"
    "\"cluster\":{\"id\":\"c1\",\"name\":\"Cluster\",\"earliest\":\"2029-01-08\","
    "\"target_end_date\":\"2029-09-28\",\"today\":\"2029-01-07\",\"gap_min_days\":21,"
    "\"gap_max_days\":28,\"weekdays\":[1,2,3,4,5]},"
    "\"modules\":[{\"key\":\"kickoff\",\"title\":\"Kick-off\",\"kind\":\"training\",\"half_days\":"
    "1},"
    "{\"key\":\"gap_analysis\",\"title\":\"Gap "
    "analysis\",\"kind\":\"gap_analysis\",\"half_days\":2},"
    "{\"key\":\"risks\",\"title\":\"Risks\",\"kind\":\"training\",\"half_days\":1}],"
    "\"organisations\":[{\"id\":\"oa\",\"name\":\"Org A\",\"enrolment_id\":\"ea\","
    "\"coach_user_id\":\"coach\",\"estimate\":2,\"coaching_half_days\":2},"
    "{\"id\":\"ob\",\"name\":\"Org B\",\"enrolment_id\":\"eb\",\"coach_user_id\":null,"
    "\"estimate\":null,\"coaching_half_days\":0}],"
    "\"people\":[{\"id\":\"coach\",\"name\":\"Coach\"},{\"id\":\"tom\",\"name\":\"Tom\"}],"
    "\"trainers\":[\"tom\",\"nobody\"],"
    "\"holidays\":[{\"day\":\"2029-01-08\",\"name\":\"A holiday\"}],"
    "\"unavailability\":[{\"id\":\"u1\",\"resource_id\":\"ob\",\"from\":\"2029-01-09\","
    "\"from_slot\":\"morning\",\"to\":\"2029-01-09\",\"to_slot\":\"afternoon\",\"label\":\"x\"},"
    "{\"id\":\"u2\",\"resource_id\":\"stranger\",\"from\":\"2029-01-09\",\"to\":\"2029-01-10\"}],"
    "\"elsewhere\":[{\"resource_id\":\"tom\",\"from\":\"2029-01-10\",\"from_slot\":\"morning\","
    "\"to\":\"2029-01-10\",\"to_slot\":\"afternoon\",\"elsewhere\":true}],"
    "\"sessions\":[{\"id\":\"s1\",\"kind\":\"training\",\"module_key\":\"risks\",\"part\":1,"
    "\"organisation_id\":null,\"date\":\"2029-02-26\",\"slot\":\"morning\",\"half_days\":1,"
    "\"status\":\"confirmed\",\"trainer_user_id\":\"tom\",\"coach_user_id\":null},"
    "{\"id\":\"s2\",\"kind\":\"gap_analysis\",\"module_key\":\"gap_analysis\",\"part\":1,"
    "\"organisation_id\":\"somebody else\",\"date\":\"2029-01-20\",\"slot\":\"morning\","
    "\"half_days\":1,\"status\":\"planned\"},"
    "{\"id\":\"s3\",\"kind\":\"training\",\"module_key\":\"gone\",\"part\":1,\"date\":\"2029-03-"
    "26\","
    "\"slot\":\"morning\",\"half_days\":1,\"status\":\"planned\"}]}}";

Test(plan_json, reads_the_planner_input) {
    plan_doc_t doc;
    char err[128];
    cr_assert_eq(plan_doc_parse(doc_text, &doc, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(doc.in.nmodules, 3);
    cr_assert_eq(doc.in.modules[1].kind, PLAN_GAP_ANALYSIS);
    cr_assert_eq(doc.in.norgs, 2);
    cr_assert_eq(doc.in.nresources, 4);
    cr_assert_eq(doc.in.orgs[0].coach, 2);
    cr_assert_eq(doc.in.orgs[1].coach, -1);
    cr_assert_eq(doc.in.ntrainers, 1, "an unknown trainer is dropped");
    cr_assert_eq(doc.in.trainers[0], 3);
    cr_assert_eq(doc.in.weekdays, 0x1fu);
    cr_assert_eq(doc.in.gap_max_days, 28);
    cr_assert_eq(doc.in.nperiods, 2, "the period of an unknown resource is dropped");
    cr_assert(doc.in.periods[1].elsewhere);
    cr_assert_str_eq(doc.period_ids[0], "u1");
    cr_assert(doc.estimate_missing[1] && !doc.estimate_missing[0]);
    /* The session of an organisation outside the cluster is dropped; a removed module is kept
     * with module -1 so that the plan cancels it. */
    cr_assert_eq(doc.in.ncurrent, 2);
    cr_assert_eq(doc.in.current[0].status, PLAN_CONFIRMED);
    cr_assert_eq(doc.in.current[0].module, 2);
    cr_assert_eq(doc.in.current[1].module, -1);
    cr_assert_eq(plan_doc_find_session(&doc, "s3"), 1);
    cr_assert_eq(plan_doc_find_session(&doc, "s9"), -1);
    plan_doc_free(&doc);
    cr_assert_neq(plan_doc_parse("{\"plan_version\":\"x\"}", &doc, err, sizeof(err)), 0);
    plan_doc_free(&doc);
    cr_assert_neq(plan_doc_parse("not json", &doc, err, sizeof(err)), 0);
    plan_doc_free(&doc);
}

Test(plan_json, writes_the_preview_and_the_changes) {
    plan_doc_t doc;
    char err[128];
    cr_assert_eq(plan_doc_parse(doc_text, &doc, err, sizeof(err)), 0, "%s", err);
    plan_result_t r;
    cr_assert_eq(plan_solve(&doc.in, &r), PLAN_OK);
    cr_assert(r.feasible, "%s", r.explanation ? r.explanation : "");
    cJSON *full = plan_preview_json(&doc, &r, 1, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(full, "plan_version")->valuestring, doc.plan_version);
    /* kick-off, the pinned risks session, 2 gap-analysis half-days of Org A, 2 coaching */
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(full, "sessions")), 6);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(full, "cancelled")), 1);
    char *text = cJSON_PrintUnformatted(full);
    cr_assert(strstr(text, "Org B has no coach") != NULL, "%s", text);
    cr_assert(strstr(text, "no coaching estimate") == NULL, "Org B has no coach anyway: %s", text);
    free(text);
    cJSON_Delete(full);
    cJSON *member = plan_preview_json(&doc, &r, 0, 1);
    text = cJSON_PrintUnformatted(member);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(member, "sessions")), 1, "%s", text);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(member, "warnings")), 0);
    free(text);
    cJSON_Delete(member);
    cJSON *changes = plan_changes_json(&doc, &r);
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(changes, "cancel")), 1);
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(changes, "cancel"), 0)->valuestring,
                     "s3");
    cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(changes, "sessions")), 3,
                 "the kick-off and two gap-analysis half-days; the confirmed session stays");
    const cJSON *coaching = cJSON_GetObjectItem(changes, "coaching");
    cr_assert_eq(cJSON_GetArraySize(coaching), 2);
    const cJSON *c0 = cJSON_GetArrayItem(coaching, 0);
    cr_assert_str_eq(cJSON_GetObjectItem(c0, "enrolment_id")->valuestring, "ea");
    cr_assert_str_eq(cJSON_GetObjectItem(c0, "topic")->valuestring, "Coaching after: Risks");
    cJSON_Delete(changes);
    plan_result_free(&r);
    plan_doc_free(&doc);
}
