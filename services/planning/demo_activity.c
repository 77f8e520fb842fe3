/* `isms-cluster demo`, part 2: the paper's programme in its middle (as of DEMO_AS_OF), written
 * through the services' own SQL API functions as the person who would do it: the coach records
 * and finalises each gap analysis over a baseline assessment; the members assess their progress,
 * decide part of their Statement of Applicability and move deliverables (IfOnline ahead, the
 * Luxembourg Airport Authority behind on the risk assessment); the coach marks the coaching
 * before DEMO_AS_OF done; the members log effort; the coordinator records costs and the coaching
 * rate, sets the release threshold to 2 and opens a feedback board for the risk-assessment
 * training, on which both members post and the release tick publishes a batch. Each part is
 * written only when it is not there yet, so a second run adds nothing. */
#include <stdio.h>
#include <string.h>

#include "planning/demo.h"

int demo_as(PGconn *pg, const char *user, const char *org) {
    const char *p[] = {user, org};
    return demo_value(pg,
                      "SELECT set_config('app.user_id', $1, true), "
                      "set_config('app.organisation_id', $2, true)",
                      2, p, NULL, 0);
}

/* Whether a statement returns a non-empty first value ("t", a count > 0, an id ...). */
static int exists(PGconn *pg, const char *sql, int n, const char *const *params, int *yes) {
    char v[64] = "";
    if (demo_value(pg, sql, n, params, v, sizeof(v)) != 0)
        return -1;
    *yes = v[0] != '\0' && strcmp(v, "f") != 0 && strcmp(v, "0") != 0;
    return 0;
}

/* ---- gap analyses ---------------------------------------------------------------------------- */

static const char *const estimates[] = {"16", "24"};
static const char *const summaries[] = {
    "Good security level and awareness; documentation and formalised controls are missing.",
    "ISO 9001 procedures exist; a complete information security risk assessment is needed."};

/* The coach's draft; the on-site and analysis dates are the planned gap-analysis half-days. */
static const char gap_put_sql[] =
    "SELECT api_gap_analysis_put(e.id, "
    "  (SELECT min(t.session_date) FROM training_sessions t WHERE t.cluster_id = e.cluster_id "
    "    AND t.organisation_id = e.organisation_id AND t.kind = 'gap_analysis' "
    "    AND t.status <> 'cancelled'), "
    "  (SELECT max(t.session_date) FROM training_sessions t WHERE t.cluster_id = e.cluster_id "
    "    AND t.organisation_id = e.organisation_id AND t.kind = 'gap_analysis' "
    "    AND t.status <> 'cancelled'), $2::integer, $3) "
    "FROM enrolments e WHERE e.id = $1 AND NOT EXISTS (SELECT 1 FROM gap_analyses g "
    "  WHERE g.enrolment_id = e.id AND g.status = 'final')";

int demo_gap_estimates(PGconn *pg, demo_ids_t *ids) {
    if (demo_as(pg, ids->coach, ids->coach_org) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        const char *f[] = {ids->cluster, ids->member_org[i]};
        if (demo_value(pg,
                       "SELECT id FROM enrolments WHERE cluster_id = $1 AND organisation_id = $2",
                       2, f, ids->enrolment[i], sizeof(ids->enrolment[i])) != 0)
            return -1;
        const char *p[] = {ids->enrolment[i], estimates[i], summaries[i]};
        if (demo_value(pg, gap_put_sql, 3, p, NULL, 0) != 0)
            return -1;
    }
    return demo_as(pg, ids->coordinator, ids->coordinator_org);
}

/* ---- assessments ----------------------------------------------------------------------------- */

/* Sets the requirements of $2 to implemented (maturity $4) and of $3 to in progress ($5). */
static const char assess_sql[] =
    "SELECT api_assessment_update($1, (SELECT jsonb_agg(x) FROM ("
    "  SELECT jsonb_build_object('requirement', r, 'status', 'implemented', 'maturity', "
    "    $4::integer) AS x FROM unnest($2::text[]) r "
    "  UNION ALL SELECT jsonb_build_object('requirement', r, 'status', 'in_progress', "
    "    'maturity', $5::integer) FROM unnest($3::text[]) r) y))";

typedef struct assessed {
    const char *implemented, *in_progress, *details;
} assessed_t;

/* At the gap analysis (the baseline), per organisation. */
static const assessed_t baseline[] = {
    {"{A.5.17,A.7.1,A.7.2,A.7.3,A.8.5,A.8.7,A.8.13,A.8.20}",
     "{5.1,7.1,A.5.9,A.5.15,A.5.18,A.6.3,A.6.6,A.8.8,A.8.15,A.8.24,A.8.28,A.8.32}", NULL},
    {"{7.5.2,7.5.3,A.5.5,A.5.37,A.7.1,A.7.2,A.7.4,A.7.5,A.7.11,A.8.13,A.8.14}",
     "{5.1,7.1,7.2,7.5.1,9.2.1,10.2,A.5.9,A.5.15,A.5.29,A.6.1,A.8.7,A.8.20}", NULL},
};

/* As of DEMO_AS_OF. */
static const assessed_t current[] = {
    {"{4.1,4.2,4.3,5.1,5.2,5.3,6.1.1,6.1.2,6.2,7.1,7.5.1,7.5.2,7.5.3,8.2,A.5.1,A.5.2,A.5.9,A.5.10,"
     "A.5.12,A.5.15,A.5.17,A.5.18,A.6.6,A.7.1,A.7.2,A.7.3,A.7.7,A.8.5,A.8.7,A.8.8,A.8.13,A.8.20,"
     "A.8.24}",
     "{4.4,6.1.3,7.2,7.3,7.4,8.1,8.3,9.1,A.5.19,A.5.24,A.5.31,A.5.34,A.6.3,A.8.15,A.8.25,A.8.28,"
     "A.8.32}",
     "[{\"requirement\":\"5.1\",\"owner\":\"Managing director\",\"evidence_notes\":\"Management "
     "commitment signed on 15 September 2009; ISMS reviewed in the monthly management "
     "meeting.\"},"
     "{\"requirement\":\"6.1.2\",\"owner\":\"Project manager\",\"evidence_notes\":\"Risk "
     "assessment of 42 assets with the cluster's method, approved on 14 December 2009.\"},"
     "{\"requirement\":\"6.1.3\",\"owner\":\"Project manager\",\"evidence_notes\":\"Treatment "
     "plan approved; the Statement of Applicability is being completed.\"}]"},
    {"{4.1,4.3,5.1,5.2,7.1,7.5.1,7.5.2,7.5.3,10.2,A.5.1,A.5.5,A.5.37,A.6.1,A.7.1,A.7.2,A.7.4,"
     "A.7.5,A.7.11,A.8.13,A.8.14}",
     "{4.2,5.3,6.1.1,6.1.2,7.2,9.2.1,A.5.9,A.5.12,A.5.15,A.5.29,A.5.30,A.8.7,A.8.20}",
     "[{\"requirement\":\"6.1.2\",\"owner\":\"Quality manager\",\"due_date\":\"2009-12-14\","
     "\"evidence_notes\":\"Method agreed with the coach; the asset inventory of the air "
     "navigation systems is about 60 % complete.\"},"
     "{\"requirement\":\"8.2\",\"owner\":\"Head of technical services\",\"due_date\":"
     "\"2009-12-14\"},"
     "{\"requirement\":\"6.1.3\",\"owner\":\"Quality manager\",\"due_date\":\"2010-01-04\"},"
     "{\"requirement\":\"7.5.1\",\"owner\":\"Quality manager\",\"evidence_notes\":\"The ISO "
     "9001 document system now covers the ISMS documents.\"}]"},
};

static int assess(PGconn *pg, const char *enrolment, const assessed_t *a, const char *mat_impl,
                  const char *mat_prog) {
    const char *p[] = {enrolment, a->implemented, a->in_progress, mat_impl, mat_prog};
    if (demo_value(pg, assess_sql, 5, p, NULL, 0) != 0)
        return -1;
    if (a->details == NULL)
        return 0;
    const char *d[] = {enrolment, a->details};
    return demo_value(pg, "SELECT api_assessment_update($1, $2::jsonb)", 2, d, NULL, 0);
}

/* The coach's gap analysis: on-site dates, the baseline assessment, then finalised. */
static int gap_analysis(PGconn *pg, const demo_ids_t *ids, int i) {
    const char *e[] = {ids->enrolment[i]};
    int final;
    if (exists(pg, "SELECT 1 FROM gap_analyses WHERE enrolment_id = $1 AND status = 'final'", 1, e,
               &final) != 0)
        return -1;
    if (final)
        return 0;
    const char *p[] = {ids->enrolment[i], estimates[i], summaries[i]};
    if (demo_as(pg, ids->coach, ids->coach_org) != 0 ||
        demo_value(pg, gap_put_sql, 3, p, NULL, 0) != 0 ||
        assess(pg, ids->enrolment[i], &baseline[i], "3", "1") != 0)
        return -1;
    return demo_value(pg, "SELECT api_gap_analysis_finalise($1)", 1, e, NULL, 0);
}

/* ---- Statement of Applicability and deliverables --------------------------------------------- */

static const char *const soa[] = {
    "[{\"control\":\"A.5.1\",\"applicable\":true,\"reasons\":[\"business_requirement\","
    "\"best_practice\"]},"
    "{\"control\":\"A.5.9\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\"]},"
    "{\"control\":\"A.5.12\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\"]},"
    "{\"control\":\"A.5.15\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\","
    "\"contractual\"]},"
    "{\"control\":\"A.5.19\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\"]},"
    "{\"control\":\"A.5.23\",\"applicable\":false,\"reasons\":[],\"justification\":\"IfOnline "
    "uses no external cloud services: customer data is hosted on its own servers.\"},"
    "{\"control\":\"A.5.24\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\"]},"
    "{\"control\":\"A.5.31\",\"applicable\":true,\"reasons\":[\"legal\",\"contractual\"]},"
    "{\"control\":\"A.5.34\",\"applicable\":true,\"reasons\":[\"legal\"]},"
    "{\"control\":\"A.6.3\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\"]},"
    "{\"control\":\"A.6.6\",\"applicable\":true,\"reasons\":[\"contractual\"]},"
    "{\"control\":\"A.7.1\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\"]},"
    "{\"control\":\"A.8.5\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\"]},"
    "{\"control\":\"A.8.7\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\","
    "\"best_practice\"]},"
    "{\"control\":\"A.8.13\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\","
    "\"contractual\"]},"
    "{\"control\":\"A.8.24\",\"applicable\":true,\"reasons\":[\"contractual\"]},"
    "{\"control\":\"A.8.25\",\"applicable\":true,\"reasons\":[\"business_requirement\"]},"
    "{\"control\":\"A.8.30\",\"applicable\":false,\"reasons\":[],\"justification\":\"All "
    "software is developed in-house by IfOnline's own staff; no development is outsourced.\"}]",
    "[{\"control\":\"A.5.1\",\"applicable\":true,\"reasons\":[\"legal\",\"best_practice\"]},"
    "{\"control\":\"A.5.5\",\"applicable\":true,\"reasons\":[\"legal\"]},"
    "{\"control\":\"A.5.9\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\"]},"
    "{\"control\":\"A.5.20\",\"applicable\":true,\"reasons\":[\"contractual\"]},"
    "{\"control\":\"A.5.29\",\"applicable\":true,\"reasons\":[\"legal\","
    "\"risk_assessment_result\"]},"
    "{\"control\":\"A.5.30\",\"applicable\":true,\"reasons\":[\"legal\"]},"
    "{\"control\":\"A.6.1\",\"applicable\":true,\"reasons\":[\"legal\"]},"
    "{\"control\":\"A.6.7\",\"applicable\":false,\"reasons\":[],\"justification\":\"Operational "
    "staff do not work remotely; the air navigation systems can be reached from the premises "
    "only.\"},"
    "{\"control\":\"A.7.1\",\"applicable\":true,\"reasons\":[\"legal\","
    "\"risk_assessment_result\"]},"
    "{\"control\":\"A.7.4\",\"applicable\":true,\"reasons\":[\"legal\"]},"
    "{\"control\":\"A.7.11\",\"applicable\":true,\"reasons\":[\"risk_assessment_result\"]},"
    "{\"control\":\"A.8.14\",\"applicable\":true,\"reasons\":[\"legal\","
    "\"risk_assessment_result\"]},"
    "{\"control\":\"A.8.25\",\"applicable\":false,\"reasons\":[],\"justification\":\"No "
    "software is developed in-house: air navigation systems are bought from certified "
    "suppliers.\"},"
    "{\"control\":\"A.8.28\",\"applicable\":false,\"reasons\":[],\"justification\":\"No "
    "software is developed in-house: air navigation systems are bought from certified "
    "suppliers.\"}]",
};

static const char *const deliverables[] = {
    "[{\"deliverable\":\"scope\",\"status\":\"approved\",\"approved_on\":\"2009-11-16\","
    "\"document\":\"ISMS-01 Scope and boundaries v1.0\"},"
    "{\"deliverable\":\"security_policy\",\"status\":\"approved\",\"approved_on\":\"2009-11-20\","
    "\"document\":\"ISMS-02 Information security policy v1.0\"},"
    "{\"deliverable\":\"security_objectives\",\"status\":\"approved\",\"approved_on\":"
    "\"2009-12-01\",\"document\":\"ISMS-03 Security objectives 2010\"},"
    "{\"deliverable\":\"risk_assessment_process\",\"status\":\"approved\",\"approved_on\":"
    "\"2009-12-04\",\"document\":\"ISMS-04 Risk assessment method v1.0\"},"
    "{\"deliverable\":\"risk_assessment_results\",\"status\":\"approved\",\"approved_on\":"
    "\"2009-12-14\",\"document\":\"ISMS-05 Risk assessment report 2009\"},"
    "{\"deliverable\":\"risk_treatment_process\",\"status\":\"approved\",\"approved_on\":"
    "\"2009-12-22\",\"document\":\"ISMS-06 Risk treatment plan v1.0\"},"
    "{\"deliverable\":\"statement_of_applicability\",\"status\":\"drafted\",\"document\":"
    "\"ISMS-07 Statement of Applicability (draft)\",\"notes\":\"Organisational and "
    "technological controls decided; people and physical controls to follow.\"},"
    "{\"deliverable\":\"risk_treatment_results\",\"status\":\"drafted\"},"
    "{\"deliverable\":\"documented_information_control\",\"status\":\"approved\","
    "\"approved_on\":\"2010-01-22\",\"document\":\"ISMS-08 Control of documented "
    "information\"},"
    "{\"deliverable\":\"security_controls_documentation\",\"status\":\"drafted\",\"notes\":"
    "\"Access control, backup and malware policies drafted.\"}]",
    "[{\"deliverable\":\"documented_information_control\",\"status\":\"approved\","
    "\"approved_on\":\"2009-11-30\",\"document\":\"QM-P-04 Document control (ISO 9001), "
    "extended to the ISMS\"},"
    "{\"deliverable\":\"scope\",\"status\":\"approved\",\"approved_on\":\"2009-12-02\","
    "\"document\":\"LAA-ISMS-001 Scope: air navigation services\"},"
    "{\"deliverable\":\"security_policy\",\"status\":\"approved\",\"approved_on\":\"2009-12-10\","
    "\"document\":\"LAA-ISMS-002 Information security policy\"},"
    "{\"deliverable\":\"security_objectives\",\"status\":\"drafted\"},"
    "{\"deliverable\":\"risk_assessment_process\",\"status\":\"drafted\",\"notes\":\"Method "
    "agreed with the coach; the likelihood scale still needs the safety department's "
    "sign-off.\"},"
    "{\"deliverable\":\"risk_assessment_results\",\"status\":\"todo\",\"notes\":\"Waiting for "
    "the asset inventory of the air navigation systems (about 60 % complete).\"},"
    "{\"deliverable\":\"statement_of_applicability\",\"status\":\"drafted\"}]",
};

/* The member's own progress since the baseline; written once (the SoA document marks it). */
static int progress(PGconn *pg, const demo_ids_t *ids, int i) {
    const char *e[] = {ids->enrolment[i]};
    int done;
    if (exists(pg, "SELECT 1 FROM soa_documents WHERE enrolment_id = $1", 1, e, &done) != 0)
        return -1;
    if (done)
        return 0;
    const char *d[] = {ids->enrolment[i], deliverables[i]};
    const char *s[] = {ids->enrolment[i], soa[i]};
    if (demo_as(pg, ids->member[i], ids->member_org[i]) != 0 ||
        assess(pg, ids->enrolment[i], &current[i], "3", "2") != 0 ||
        demo_value(pg, "SELECT api_deliverable_update($1, $2::jsonb)", 2, d, NULL, 0) != 0)
        return -1;
    return demo_value(pg, "SELECT api_soa_update($1, $2::jsonb)", 2, s, NULL, 0);
}

/* ---- coaching and effort --------------------------------------------------------------------- */

/* The coach's notes and "done" for the planned coaching before the as-of day. */
static int coaching_done(PGconn *pg, const demo_ids_t *ids) {
    const char *p[] = {ids->cluster, DEMO_AS_OF};
    return demo_as(pg, ids->coach, ids->coach_org) != 0 ||
                   demo_value(pg,
                              "SELECT count(api_coaching_session_update(s.id, NULL, NULL, NULL, "
                              "NULL, NULL, CASE s.module_key "
                              "WHEN 'scope_policy_assets' THEN 'Reviewed the draft scope and the "
                              "asset list; agreed the outline of the policy with management.' "
                              "WHEN 'risk_assessment' THEN 'Walked through the risk assessment "
                              "method and assessed the first assets together.' "
                              "WHEN 'risk_treatment' THEN 'Went through the treatment options "
                              "and started the Statement of Applicability.' "
                              "WHEN 'document_management' THEN 'Set up numbering, review and "
                              "approval of the ISMS documents.' "
                              "ELSE 'Worked on the module''s deliverables.' END)) "
                              "FROM coaching_sessions s WHERE s.cluster_id = $1 "
                              "AND s.status = 'planned' AND s.session_date < $2::date "
                              "AND s.notes IS NULL",
                              2, p, NULL, 0) != 0 ||
                   demo_value(pg,
                              "SELECT count(api_coaching_session_complete(s.id)) FROM "
                              "coaching_sessions s WHERE s.cluster_id = $1 AND "
                              "s.status = 'planned' AND s.session_date < $2::date",
                              2, p, NULL, 0) != 0
               ? -1
               : 0;
}

static const char *const effort[] = {
    "('2009-10-12', 240, 'Asset list and scope discussion'), "
    "('2009-11-02', 360, 'Policy draft'), ('2009-11-30', 480, 'Risk assessment workshop'), "
    "('2010-01-11', 300, 'Document control'), ('2010-01-25', 420, 'Topic-specific policies')",
    "('2009-10-12', 480, 'Kick-off with the department heads'), "
    "('2009-11-02', 600, 'Scope and asset inventory'), "
    "('2009-12-07', 240, 'Year-end budget work; little ISMS time'), "
    "('2010-01-18', 720, 'Asset inventory of the air navigation systems')",
};

/* A few weekly effort entries by each member, once. */
static int effort_log(PGconn *pg, const demo_ids_t *ids, int i) {
    const char *e[] = {ids->enrolment[i]};
    int done;
    if (exists(pg, "SELECT 1 FROM coaching_effort_entries WHERE enrolment_id = $1", 1, e, &done) !=
        0)
        return -1;
    if (done)
        return 0;
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "SELECT count(api_effort_record($1, v.w::date, v.m, v.n)) FROM (VALUES %s) "
             "AS v(w, m, n)",
             effort[i]);
    return demo_as(pg, ids->member[i], ids->member_org[i]) != 0 ||
                   demo_value(pg, sql, 1, e, NULL, 0) != 0
               ? -1
               : 0;
}

/* ---- costs (as the coordinator) -------------------------------------------------------------- */

static int costs(PGconn *pg, const demo_ids_t *ids) {
    const char *c[] = {ids->cluster};
    int done;
    if (exists(pg, "SELECT 1 FROM coaching_cost_settings WHERE cluster_id = $1", 1, c, &done) != 0)
        return -1;
    if (!done && demo_value(pg, "SELECT api_cost_settings_update($1, 'equal', 40000, 'EUR')", 1, c,
                            NULL, 0) != 0)
        return -1;
    if (exists(pg, "SELECT 1 FROM coaching_cost_items WHERE cluster_id = $1", 1, c, &done) != 0)
        return -1;
    if (done)
        return 0;
    return demo_value(
        pg,
        "SELECT count(api_cost_item_create($1, v.c, v.d, v.q, v.u, v.a, NULL, v.o::date, NULL, "
        "NULL)) FROM (VALUES "
        "('material', 'Printed course material and copies of ISO/IEC 27001 and 27002', 1, "
        "'lump_sum', 68000::bigint, '2009-10-01'), "
        "('trainer', 'Trainer: initial training and thematic half-days, October 2009 to January "
        "2010', 9, 'half_day', 45000::bigint, '2010-01-25'), "
        "('venue', 'Training room with projector, seven training days', 7, 'day', "
        "25000::bigint, '2010-01-25')) AS v(c, d, q, u, a, o)",
        1, c, NULL, 0);
}

/* ---- feedback -------------------------------------------------------------------------------- */

static const char board_title[] = "Risk assessment training (23 November 2009)";

static const char post_sql[] = "SELECT api_feedback_post_create($1, $2)->>'id'";

/* One release tick of the board, now. */
static int tick(PGconn *pg, const char *board) {
    const char *b[] = {board};
    return demo_value(pg, "UPDATE feedback_boards SET next_release_at = now() WHERE id = $1", 1, b,
                      NULL, 0) != 0 ||
                   demo_value(pg, "SELECT feedback_board_tick($1, false)", 1, b, NULL, 0) != 0
               ? -1
               : 0;
}

/* Acts as a member with a feedback key of its organisation (a login makes the real one, 0060; the
 * first real login of an organisation whose key only the demo held makes a new key). */
static int member_with_key(PGconn *pg, const char *user, const char *org) {
    const char *o[] = {org};
    return demo_as(pg, user, org) != 0 ||
                   demo_value(pg,
                              "WITH k AS (SELECT sha256(uuid_send(gen_random_uuid()) || "
                              "uuid_send(gen_random_uuid())) AS key), "
                              "v AS (INSERT INTO organisation_feedback_keys (organisation_id, "
                              "verifier) SELECT $1, feedback_verifier_of(key) FROM k "
                              "ON CONFLICT (organisation_id) DO UPDATE SET verifier = "
                              "EXCLUDED.verifier) "
                              "SELECT set_config('app.feedback_key', encode(key, 'hex'), true) "
                              "FROM k",
                              1, o, NULL, 0) != 0
               ? -1
               : 0;
}

static int posts(PGconn *pg, const demo_ids_t *ids, const char *board) {
    static const char *const texts[2][2] = {
        {"Working through the asset inventory of a small office step by step made the method "
         "concrete; we reused the spreadsheet the same afternoon.",
         "Half a day was short for the threat catalogue. A list of typical threats for small "
         "service companies before the next module would help."},
        {"Comparing likelihood estimates with the other participants helped us calibrate our "
         "own scale.",
         "We would like guidance on how detailed the asset list has to be when there are "
         "hundreds of technical systems."}};
    char first[40] = "", second[40] = "";
    for (int i = 0; i < 2; i++) {
        if (member_with_key(pg, ids->member[i], ids->member_org[i]) != 0)
            return -1;
        for (int j = 0; j < 2; j++) {
            const char *p[] = {board, texts[i][j]};
            if (demo_value(pg, post_sql, 2, p, i == 0 && j == 1 ? first : NULL, sizeof(first)) != 0)
                return -1;
        }
    }
    /* The first batch; then a "me too" and a post that waits for another organisation. */
    const char *m[] = {first};
    const char *w[] = {board, "Could the slides on risk acceptance criteria be sent before the "
                              "risk treatment session?"};
    if (tick(pg, board) != 0 ||
        demo_value(pg, "SELECT api_feedback_me_too($1, true)", 1, m, NULL, 0) != 0 ||
        demo_value(pg, post_sql, 2, w, second, sizeof(second)) != 0)
        return -1;
    return tick(pg, board);
}

/* k = 2 (the method's minimum, and the only value that releases anything with two members), and
 * the board of the risk-assessment training with its posts, once. */
static int feedback(PGconn *pg, const demo_ids_t *ids) {
    const char *c[] = {ids->cluster};
    if (demo_as(pg, ids->coordinator, ids->coordinator_org) != 0 ||
        demo_value(pg,
                   "SELECT api_cluster_update(c.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
                   "NULL, 2) FROM clusters c WHERE c.id = $1 "
                   "AND c.feedback_release_threshold <> 2",
                   1, c, NULL, 0) != 0)
        return -1;
    const char *f[] = {ids->cluster, board_title};
    char board[40] = "";
    if (demo_value(pg, "SELECT id FROM feedback_boards WHERE cluster_id = $1 AND title = $2", 2, f,
                   board, sizeof(board)) != 0)
        return -1;
    if (board[0] != '\0')
        return 0;
    if (demo_value(pg,
                   "SELECT api_feedback_board_create($1, $2, 'What helped you most in the risk "
                   "assessment training, and what should change for the next modules?', "
                   "(SELECT t.id FROM training_sessions t WHERE t.cluster_id = $1 "
                   "AND t.kind = 'training' AND t.module_key = 'risk_assessment' "
                   "AND t.status <> 'cancelled' ORDER BY t.session_date LIMIT 1), 240)->>'id'",
                   2, f, board, sizeof(board)) != 0)
        return -1;
    return posts(pg, ids, board);
}

int demo_activity_load(PGconn *pg, const demo_ids_t *ids) {
    for (int i = 0; i < 2; i++)
        if (gap_analysis(pg, ids, i) != 0 || progress(pg, ids, i) != 0 ||
            effort_log(pg, ids, i) != 0)
            return -1;
    if (coaching_done(pg, ids) != 0 || demo_as(pg, ids->coordinator, ids->coordinator_org) != 0 ||
        costs(pg, ids) != 0 || feedback(pg, ids) != 0)
        return -1;
    return demo_as(pg, ids->coordinator, ids->coordinator_org);
}

/* ---- what it looks like ---------------------------------------------------------------------- */

static const char org_summary_sql[] =
    "SELECT format(E'    %s: gap analysis final, estimate %s half-days; %s %% implemented "
    "(baseline %s %%); deliverables %s of %s approved%s\\n      coaching %s half-days delivered "
    "+ %s planned of %s; costs so far %s EUR (training %s, coaching %s)\\n', "
    "p->>'organisation_name', p->'baseline'->>'estimated_coaching_half_days', "
    "p->'totals'->>'implemented_percent', p->'baseline'->>'implemented_percent', "
    "p->'deliverables'->>'approved', p->'deliverables'->>'total', "
    "CASE WHEN (p->'plan'->>'behind_schedule')::boolean THEN '; behind on the risk assessment: ' "
    "|| "
    "  (SELECT string_agg(x->>'title', ', ') FROM jsonb_array_elements(p->'plan'->'reasons') x "
    "    WHERE x->>'module_key' = 'risk_assessment') ELSE '' END, "
    "b->>'delivered_half_days', b->>'planned_half_days', b->>'ceiling_half_days', "
    "to_char((s->'organisations'->0->>'total_cents')::numeric / 100, 'FM999G990D00'), "
    "to_char((s->'organisations'->0->>'training_cents')::numeric / 100, 'FM999G990D00'), "
    "to_char((s->'organisations'->0->>'coaching_cents')::numeric / 100, 'FM999G990D00')) "
    "FROM (SELECT api_progress_get($1)::jsonb AS p, api_coaching_budget_get($1)::jsonb AS b, "
    "  api_cost_statement_enrolment($1)::jsonb AS s) x";

static const char board_summary_sql[] =
    "SELECT format(E'    feedback board \"%s\": %s posts released, %s waiting; release threshold "
    "k = %s, the method''s minimum, set for this 2-organisation cluster: every released post not "
    "marked as yours is the other organisation''s\\n', b->>'title', "
    "b->'statistics'->>'released_posts', b->>'waiting_posts', "
    "b->'anonymity'->>'release_threshold') "
    "FROM (SELECT api_feedback_board_get(id)::jsonb AS b FROM feedback_boards "
    "  WHERE cluster_id = $1 AND title = $2) x";

int demo_activity_summary(PGconn *pg, const demo_ids_t *ids, char *out, size_t len) {
    size_t used = (size_t)snprintf(
        out, len,
        "  the programme as of %s (dashboards count overdue work against today's date):\n",
        DEMO_AS_OF);
    char line[1024];
    for (int i = 0; i < 2 && used < len; i++) {
        const char *e[] = {ids->enrolment[i]};
        if (demo_value(pg, org_summary_sql, 1, e, line, sizeof(line)) != 0)
            return -1;
        used += (size_t)snprintf(out + used, len - used, "%s", line);
    }
    const char *b[] = {ids->cluster, board_title};
    if (demo_value(pg, board_summary_sql, 2, b, line, sizeof(line)) != 0)
        return -1;
    if (used < len)
        snprintf(out + used, len - used, "%s", line);
    return 0;
}
