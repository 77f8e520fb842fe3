-- Progress in the database itself (migrations/0010..0014): the shipped ISO/IEC 27001:2022
-- catalogue, the extension points, who sees and writes assessments, SoA decisions, deliverables
-- and gap analyses under row-level security, the history and weekly series kept by triggers, the
-- frozen baseline, and the benchmark's suppression. Runs as the superuser, which builds the
-- fixture; every check of the API runs as isms_app with the identity set the way
-- isms.auth_session() sets it. Everything is rolled back.
BEGIN;
SET LOCAL search_path = isms, public;
SELECT plan(82);

-- ---------------------------------------------------------------------------------------------
-- Catalogue
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE fw22 AS SELECT id FROM frameworks WHERE code = 'ISO/IEC 27001' AND version = '2022';
GRANT SELECT ON fw22 TO isms_app;
SELECT is((SELECT count(*) FROM frameworks WHERE is_default), 1::bigint, 'exactly one default framework');
SELECT ok((SELECT is_default FROM frameworks WHERE id = (SELECT id FROM fw22)), 'ISO/IEC 27001:2022 is the default');
SELECT is((SELECT count(*) FROM requirements WHERE framework_id = (SELECT id FROM fw22) AND kind = 'clause'),
          30::bigint, '30 assessable clause leaves');
SELECT is((SELECT count(*) FROM requirements WHERE framework_id = (SELECT id FROM fw22) AND kind = 'control'),
          93::bigint, '93 Annex A controls');
SELECT is((SELECT array_agg(group_key || '=' || n ORDER BY group_key)
             FROM (SELECT group_key, count(*) AS n FROM requirements
                    WHERE framework_id = (SELECT id FROM fw22) AND kind = 'control' GROUP BY 1) t),
          ARRAY['A.5=37', 'A.6=8', 'A.7=14', 'A.8=34'], 'themes of 37, 8, 14 and 34 controls');
SELECT is((SELECT array_agg(ref ORDER BY position) FROM requirements
            WHERE framework_id = (SELECT id FROM fw22) AND kind = 'clause'),
          ARRAY['4.1', '4.2', '4.3', '4.4', '5.1', '5.2', '5.3', '6.1.1', '6.1.2', '6.1.3', '6.2',
                '6.3', '7.1', '7.2', '7.3', '7.4', '7.5.1', '7.5.2', '7.5.3', '8.1', '8.2', '8.3',
                '9.1', '9.2.1', '9.2.2', '9.3.1', '9.3.2', '9.3.3', '10.1', '10.2'],
          'the clause leaves of clauses 4 to 10, in order');
SELECT is((SELECT count(DISTINCT title) FROM requirements WHERE framework_id = (SELECT id FROM fw22)),
          123::bigint, 'every requirement has its own title');
SELECT is((SELECT array_agg(DISTINCT module_key ORDER BY module_key) FROM deliverable_types),
          ARRAY['audit', 'document_management', 'human_resources', 'incident_management',
                'management_review', 'risk_assessment', 'risk_treatment', 'scope_policy_assets',
                'security_measures'],
          'every thematic module teaches at least one deliverable');
SELECT ok(NOT has_table_privilege('isms_app', 'isms.requirements', 'INSERT')
          AND NOT has_table_privilege('isms_app', 'isms.frameworks', 'UPDATE'),
          'the app role cannot change the catalogue');

-- Extension points keep their contract signatures.
SELECT has_function('isms', 'module_due_dates', ARRAY['uuid'], 'module_due_dates(uuid) exists');
SELECT is(pg_get_function_result('isms.module_due_dates(uuid)'::regprocedure),
          'TABLE(module_key text, due_date date)', 'module_due_dates returns (module_key, due_date)');
SELECT is(pg_get_function_result('isms.coaching_budget_summary(uuid)'::regprocedure),
          'TABLE(ceiling integer, delivered integer, planned integer, remaining integer)',
          'coaching_budget_summary returns (ceiling, delivered, planned, remaining)');
SELECT has_column('isms', 'gap_analyses', 'estimated_coaching_half_days', 'gap_analyses carries the estimate');

-- ---------------------------------------------------------------------------------------------
-- Fixture: cluster A (members a1, a2, a3; coach of a1), cluster B (member b1)
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                       org text);
GRANT SELECT ON ids TO isms_app;
INSERT INTO ids (name, org) VALUES
    ('coord', NULL), ('consult', NULL), ('org_a1', NULL), ('org_a2', NULL), ('org_a3', NULL),
    ('org_b1', NULL), ('u_coord', 'coord'), ('u_coach', 'consult'), ('u_a1', 'org_a1'),
    ('u_a2', 'org_a2'), ('u_a3', 'org_a3'), ('u_b1', 'org_b1'), ('cl_a', NULL), ('cl_b', NULL),
    ('en_a1', NULL), ('en_a2', NULL), ('en_a3', NULL), ('en_b1', NULL);
CREATE FUNCTION pg_temp.id(p_name text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM pg_temp.ids WHERE name = p_name $$;
CREATE FUNCTION pg_temp.act_as(p_user text) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('app.user_id', pg_temp.id(p_user)::text, true),
           set_config('app.organisation_id',
                      pg_temp.id((SELECT org FROM pg_temp.ids WHERE name = p_user))::text, true);
$$;
-- The SQLSTATE and message (error code) a statement raises, or 'ok'.
CREATE FUNCTION pg_temp.outcome(p_sql text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE p_sql;
    RETURN 'ok';
EXCEPTION WHEN others THEN
    RETURN SQLSTATE || ' ' || SQLERRM;
END $$;
GRANT EXECUTE ON FUNCTION pg_temp.outcome(text) TO isms_app;

INSERT INTO organisations (id, name, kind)
SELECT pg_temp.id(n), 'pgtap progress ' || n || ' ' || pg_temp.id(n), k
  FROM (VALUES ('coord', 'coordinator'), ('consult', 'consultancy'), ('org_a1', 'member'),
               ('org_a2', 'member'), ('org_a3', 'member'), ('org_b1', 'member')) AS v(n, k);
INSERT INTO users (id, organisation_id, email, display_name)
SELECT id, pg_temp.id(org), name || '.' || id || '@pgtap.example', 'Person ' || name
  FROM ids WHERE name LIKE 'u\_%';
SELECT set_config('app.user_id', pg_temp.id('u_coord')::text, true);
INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date, target_end_date)
VALUES (pg_temp.id('cl_a'), 'pgtap progress A', pg_temp.id('coord'), 'LU', 'Europe/Luxembourg',
        current_date - 60, current_date + 300),
       (pg_temp.id('cl_b'), 'pgtap progress B', pg_temp.id('coord'), 'LU', 'Europe/Luxembourg',
        current_date - 60, current_date + 300);
SELECT set_config('app.user_id', '', true);
INSERT INTO cluster_staff (cluster_id, user_id, role) VALUES (pg_temp.id('cl_a'), pg_temp.id('u_coach'), 'coach');
-- u_coord coordinates cluster A only.
DELETE FROM cluster_staff WHERE cluster_id = pg_temp.id('cl_b') AND user_id = pg_temp.id('u_coord');
INSERT INTO enrolments (id, cluster_id, organisation_id, status)
SELECT pg_temp.id('en_' || s), pg_temp.id('cl_' || left(s, 1)), pg_temp.id('org_' || s), 'admitted'
  FROM unnest(ARRAY['a1', 'a2', 'a3', 'b1']) AS s;
INSERT INTO coach_assignments (cluster_id, organisation_id, enrolment_id, coach_user_id)
VALUES (pg_temp.id('cl_a'), pg_temp.id('org_a1'), pg_temp.id('en_a1'), pg_temp.id('u_coach'));

-- ---------------------------------------------------------------------------------------------
-- Assessments: members write their own, coaches their enrolments, coordinators their clusters
-- ---------------------------------------------------------------------------------------------
SET ROLE isms_app;
SELECT pg_temp.act_as('u_a1');
SELECT lives_ok(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.1","status":"implemented","maturity":3},
                         {"requirement":"A.5.1","status":"in_progress","owner":"Ann"}]')$$, pg_temp.id('en_a1')),
                'a member records its own assessment');
SELECT is(pg_temp.outcome(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.1","status":"implemented"}]')$$,
                                 pg_temp.id('en_a2'))),
          'IC404 not_found', 'a member cannot touch another organisation''s assessment (404)');
SELECT is(pg_temp.outcome(format($$SELECT api_progress_get(%L)$$, pg_temp.id('en_b1'))),
          'IC404 not_found', 'another cluster''s enrolment answers 404');
SELECT is(pg_temp.outcome(format($$INSERT INTO assessments (cluster_id, organisation_id, enrolment_id, framework_id, requirement_id)
                                   SELECT %L, %L, %L, framework_id, id FROM requirements WHERE ref = '4.2' AND framework_id = %L$$,
                                 pg_temp.id('cl_a'), pg_temp.id('org_a2'), pg_temp.id('en_a2'), (SELECT id FROM fw22))),
          '42501 new row violates row-level security policy for table "assessments"',
          'policies refuse a direct insert into another organisation''s enrolment');
SELECT is(pg_temp.outcome(format($$SELECT api_assessment_update(%L, '[{"requirement":"A.5.99","status":"implemented"}]')$$,
                                 pg_temp.id('en_a1'))),
          'IC400 invalid_body', 'an unknown requirement is a 400');
SELECT is(pg_temp.outcome(format($$SELECT api_assessment_update(%L, '[{"requirement":"6.1.2","status":"not_applicable"}]')$$,
                                 pg_temp.id('en_a1'))),
          'IC422 not_excludable', 'a clause of 4 to 10 cannot be not applicable');
SELECT is(pg_temp.outcome(format($$SELECT api_assessment_update(%L, '[{"requirement":"A.8.1","status":"not_applicable"}]')$$,
                                 pg_temp.id('en_a1'))),
          'IC422 use_soa', 'a control is excluded through the SoA, not the assessment');
SELECT pg_temp.act_as('u_coach');
SELECT lives_ok(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.2","status":"in_progress"}]')$$, pg_temp.id('en_a1')),
                'the coach records the assessment of a coached enrolment');
SELECT is(pg_temp.outcome(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.2","status":"in_progress"}]')$$, pg_temp.id('en_a2'))),
          'IC404 not_found', 'a coach cannot see an enrolment not assigned to them');
SELECT pg_temp.act_as('u_coord');
SELECT lives_ok(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.3","status":"implemented"}]')$$, pg_temp.id('en_a2')),
                'the coordinator writes any enrolment of the cluster');
SELECT is(pg_temp.outcome(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.3","status":"implemented"}]')$$, pg_temp.id('en_b1'))),
          'IC404 not_found', 'the coordinator cannot reach a cluster it does not coordinate');

-- Visibility of the rows themselves.
SELECT pg_temp.act_as('u_a1');
SELECT is((SELECT array_agg(DISTINCT enrolment_id) FROM assessments), ARRAY[pg_temp.id('en_a1')],
          'member a1 sees only its own assessments');
SELECT pg_temp.act_as('u_a2');
SELECT is((SELECT array_agg(DISTINCT enrolment_id) FROM assessments), ARRAY[pg_temp.id('en_a2')],
          'member a2 sees only its own assessments');
SELECT is((SELECT count(*) FROM assessment_history WHERE enrolment_id = pg_temp.id('en_a1')), 0::bigint,
          'member a2 sees no history of a1');
SELECT pg_temp.act_as('u_coach');
SELECT is((SELECT array_agg(DISTINCT enrolment_id) FROM assessments), ARRAY[pg_temp.id('en_a1')],
          'the coach sees only the coached enrolment');
SELECT pg_temp.act_as('u_coord');
SELECT is((SELECT count(DISTINCT enrolment_id) FROM assessments), 2::bigint,
          'the coordinator sees every assessed enrolment of its cluster');
SELECT pg_temp.act_as('u_b1');
SELECT is((SELECT count(*) FROM assessments) + (SELECT count(*) FROM assessment_history)
          + (SELECT count(*) FROM progress_weeks), 0::bigint, 'another cluster''s member sees nothing');

-- ---------------------------------------------------------------------------------------------
-- History and weekly series
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.act_as('u_a1');
SELECT lives_ok(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.1","status":"in_progress","maturity":2}]')$$, pg_temp.id('en_a1')),
                'a member changes a status');
SELECT results_eq(format($$SELECT old_status, new_status, old_maturity, new_maturity, changed_by_role
                             FROM assessment_history h JOIN requirements r ON r.id = h.requirement_id
                            WHERE h.enrolment_id = %L AND r.ref = '4.1' ORDER BY h.id$$, pg_temp.id('en_a1')),
                  $$VALUES ('not_started'::text, 'implemented'::text, NULL::smallint, 3::smallint, 'member'::text),
                           ('implemented', 'in_progress', 3::smallint, 2::smallint, 'member')$$,
                  'every change is kept: who (role), old and new status and maturity');
SELECT is((SELECT changes->'owner'->>'new' FROM assessment_history h JOIN requirements r ON r.id = h.requirement_id
            WHERE h.enrolment_id = pg_temp.id('en_a1') AND r.ref = 'A.5.1'), 'Ann',
          'changes of other fields are recorded with old and new values');
SELECT lives_ok(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.1","status":"in_progress","maturity":2}]')$$, pg_temp.id('en_a1')),
                'repeating the same values');
SELECT is((SELECT count(*) FROM assessment_history h JOIN requirements r ON r.id = h.requirement_id
            WHERE h.enrolment_id = pg_temp.id('en_a1') AND r.ref = '4.1'), 2::bigint,
          'a write that changes nothing leaves no history');
SELECT is((SELECT implemented || '/' || in_progress FROM progress_weeks
            WHERE enrolment_id = pg_temp.id('en_a1') AND week = date_trunc('week', now() AT TIME ZONE 'Europe/Luxembourg')::date),
          '0/3', 'the current week holds the current counts');
SELECT is(pg_temp.outcome('INSERT INTO assessment_history (cluster_id, organisation_id, enrolment_id, requirement_id, new_status) VALUES (NULL, NULL, NULL, NULL, ''x'')'),
          '42501 permission denied for table assessment_history', 'the app role cannot forge history');
RESET ROLE;
SELECT throws_ok('UPDATE assessment_history SET new_status = ''implemented''', 'P0001',
                 'assessment_history is append-only', 'history is append-only, even for the superuser');

-- ---------------------------------------------------------------------------------------------
-- Statement of Applicability
-- ---------------------------------------------------------------------------------------------
SET ROLE isms_app;
SELECT pg_temp.act_as('u_a1');
SELECT lives_ok(format($$SELECT api_soa_update(%L, '[{"control":"A.7.4","applicable":false,"justification":"shared office, no premises of our own"},
                         {"control":"A.5.1","applicable":true,"reasons":["legal","risk_assessment_result"]}]')$$, pg_temp.id('en_a1')),
                'a member records SoA decisions');
SELECT is((SELECT status FROM assessments a JOIN requirements r ON r.id = a.requirement_id
            WHERE a.enrolment_id = pg_temp.id('en_a1') AND r.ref = 'A.7.4'), 'not_applicable',
          'excluding a control marks its assessment not applicable');
SELECT is((SELECT version FROM soa_documents WHERE enrolment_id = pg_temp.id('en_a1')), 1,
          'the SoA document is at version 1');
SELECT is(pg_temp.outcome(format($$SELECT api_assessment_update(%L, '[{"requirement":"A.7.4","status":"implemented"}]')$$, pg_temp.id('en_a1'))),
          'IC409 control_excluded', 'an excluded control cannot be marked implemented');
SELECT is(pg_temp.outcome(format($$SELECT api_soa_update(%L, '[{"control":"4.1","applicable":true,"reasons":["legal"]}]')$$, pg_temp.id('en_a1'))),
          'IC400 invalid_body', 'a clause is not a control of the SoA');
SELECT is(pg_temp.outcome(format($$INSERT INTO soa_entries (cluster_id, organisation_id, enrolment_id, framework_id, requirement_id, applicable)
                                   SELECT %L, %L, %L, framework_id, id, false FROM requirements WHERE ref = 'A.6.1' AND framework_id = %L$$,
                                 pg_temp.id('cl_a'), pg_temp.id('org_a1'), pg_temp.id('en_a1'), (SELECT id FROM fw22))),
          '23514 new row for relation "soa_entries" violates check constraint "soa_entries_check"',
          'the table itself refuses an exclusion without a justification');
SELECT lives_ok(format($$SELECT api_soa_update(%L, '[{"control":"A.7.4","applicable":true,"reasons":["business_requirement"]}]')$$, pg_temp.id('en_a1')),
                'including the control again');
SELECT is((SELECT status || ' v' || (SELECT version FROM soa_documents WHERE enrolment_id = a.enrolment_id)
             FROM assessments a JOIN requirements r ON r.id = a.requirement_id
            WHERE a.enrolment_id = pg_temp.id('en_a1') AND r.ref = 'A.7.4'), 'not_started v2',
          'an included control is back to not started, and the SoA at version 2');

-- ---------------------------------------------------------------------------------------------
-- Deliverables and plan versus actual
-- ---------------------------------------------------------------------------------------------
SELECT lives_ok(format($$SELECT api_deliverable_update(%L, '[{"deliverable":"scope","status":"approved"},
                         {"deliverable":"security_policy","due_date":"2000-01-03"}]')$$, pg_temp.id('en_a1')),
                'a member records deliverables');
SELECT is((SELECT approved_on FROM deliverables WHERE enrolment_id = pg_temp.id('en_a1') AND deliverable_key = 'scope'),
          (now() AT TIME ZONE 'Europe/Luxembourg')::date, 'approving without a date approves today');
SELECT is(pg_temp.outcome(format($$SELECT api_deliverable_update(%L, '[{"deliverable":"policy","status":"approved"}]')$$, pg_temp.id('en_a1'))),
          'IC400 invalid_body', 'an unknown deliverable is a 400');
SELECT is(pg_temp.outcome(format($$SELECT api_deliverable_update(%L, '[{"deliverable":"scope","approved_on":"2999-01-01"}]')$$, pg_temp.id('en_a1'))),
          'IC422 invalid_value', 'an approval date cannot be in the future');
SELECT is((SELECT (api_progress_get(pg_temp.id('en_a1'))->'plan'->>'behind_schedule')::boolean), true,
          'a deliverable past its explicit due date puts the enrolment behind schedule');
SELECT is((SELECT api_progress_get(pg_temp.id('en_a1'))->'plan'->'reasons'->0->>'deliverable'), 'security_policy',
          'the reason names the late deliverable');
SELECT is((SELECT (api_progress_get(pg_temp.id('en_a1'))->'totals'->>'requirements')::int), 123,
          'the summary counts every requirement of the framework');
SELECT is((SELECT json_array_length(api_progress_get(pg_temp.id('en_a1'))->'annex_a')), 4,
          'the summary has the four Annex A themes');
SELECT is((SELECT json_array_length(api_progress_get(pg_temp.id('en_a1'))->'clauses')), 7,
          'the summary has clauses 4 to 10');

-- ---------------------------------------------------------------------------------------------
-- Gap analysis: the coach's record; finalising freezes the baseline
-- ---------------------------------------------------------------------------------------------
SELECT is(pg_temp.outcome(format($$SELECT api_gap_analysis_put(%L, current_date, NULL, 6, NULL)$$, pg_temp.id('en_a1'))),
          'IC403 forbidden', 'a member can see but not write its gap analysis');
SELECT is(pg_temp.outcome(format($$INSERT INTO gap_analyses (cluster_id, organisation_id, enrolment_id, framework_id)
                                   VALUES (%L, %L, %L, %L)$$, pg_temp.id('cl_a'), pg_temp.id('org_a1'),
                                 pg_temp.id('en_a1'), (SELECT id FROM fw22))),
          '42501 new row violates row-level security policy for table "gap_analyses"',
          'policies refuse a gap analysis written by the member');
SELECT pg_temp.act_as('u_coach');
SELECT is(pg_temp.outcome(format($$SELECT api_gap_analysis_finalise(%L)$$, pg_temp.id('en_a1'))),
          'IC409 gap_analysis_missing', 'nothing to finalise before the draft exists');
SELECT lives_ok(format($$SELECT api_gap_analysis_put(%L, current_date - 7, current_date - 6, NULL, 'first visit')$$, pg_temp.id('en_a1')),
                'the coach records the draft');
SELECT is(pg_temp.outcome(format($$SELECT api_gap_analysis_finalise(%L)$$, pg_temp.id('en_a1'))),
          'IC422 estimate_missing', 'finalising needs the coaching estimate');
SELECT lives_ok(format($$SELECT api_gap_analysis_put(%L, NULL, NULL, 12, NULL)$$, pg_temp.id('en_a1')),
                'the coach adds the estimate');
SELECT lives_ok(format($$SELECT api_gap_analysis_finalise(%L)$$, pg_temp.id('en_a1')), 'the coach finalises');
SELECT is((SELECT count(*) FROM gap_analysis_items i JOIN gap_analyses g ON g.id = i.gap_analysis_id
            WHERE g.enrolment_id = pg_temp.id('en_a1')), 123::bigint, 'the baseline holds every requirement');
SELECT is(pg_temp.outcome(format($$SELECT api_gap_analysis_put(%L, NULL, NULL, 20, NULL)$$, pg_temp.id('en_a1'))),
          'IC409 gap_analysis_final', 'a final gap analysis cannot be changed');
SELECT lives_ok(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.4","status":"implemented"}]')$$, pg_temp.id('en_a1')),
                'progress after the baseline');
SELECT is((SELECT api_progress_get(pg_temp.id('en_a1'))->'baseline'->>'improved_requirements'), '1',
          'progress is shown against the baseline');
SELECT is((SELECT status FROM gap_analysis_items i JOIN requirements r ON r.id = i.requirement_id
            WHERE i.enrolment_id = pg_temp.id('en_a1') AND r.ref = '4.4'), 'not_started',
          'the baseline keeps the state at finalisation');
RESET ROLE;
SELECT throws_ok(format($$UPDATE gap_analyses SET estimated_coaching_half_days = 1 WHERE enrolment_id = %L$$, pg_temp.id('en_a1')),
                 'IC409', 'gap_analysis_final', 'the final gap analysis is frozen, even for the superuser');
SELECT throws_ok('DELETE FROM gap_analysis_items', 'P0001', 'gap_analysis_items is append-only',
                 'the baseline snapshot cannot be deleted');

-- ---------------------------------------------------------------------------------------------
-- Benchmark: no median below three contributing enrolments
-- ---------------------------------------------------------------------------------------------
SET ROLE isms_app;
SELECT pg_temp.act_as('u_a1');
SELECT is((SELECT api_progress_benchmark(pg_temp.id('en_a1'))->>'suppressed'), 'true',
          'two contributing enrolments: suppressed');
SELECT is((SELECT api_progress_benchmark(pg_temp.id('en_a1'))->'overall'->>'cluster_median'), NULL,
          'no median while suppressed');
SELECT pg_temp.act_as('u_a3');
SELECT lives_ok(format($$SELECT api_assessment_update(%L, '[{"requirement":"4.1","status":"implemented"}]')$$, pg_temp.id('en_a3')),
                'a third organisation assesses');
SELECT is((SELECT api_progress_benchmark(pg_temp.id('en_a3'))->>'contributors'), '3', 'three contributors');
SELECT isnt((SELECT api_progress_benchmark(pg_temp.id('en_a3'))->'groups'->0->>'cluster_median'), NULL,
            'with three contributors the medians are shown');
SELECT is((SELECT api_progress_benchmark(pg_temp.id('en_a3'))->'groups'->0->>'own_percent'), '25.0',
          'beside the organisation''s own percentage');

-- ---------------------------------------------------------------------------------------------
-- Weekly trend: weeks without a change carry the last counts forward
-- ---------------------------------------------------------------------------------------------
RESET ROLE;
INSERT INTO progress_weeks (cluster_id, organisation_id, enrolment_id, week, requirements,
                            in_progress, implemented, not_applicable, deliverables_approved)
SELECT pg_temp.id('cl_a'), pg_temp.id('org_a2'), pg_temp.id('en_a2'),
       date_trunc('week', current_date - 60)::date + 7 * w, 123, 0, n, 0, 0
  FROM (VALUES (1, 5), (3, 9)) AS v(w, n);
SET ROLE isms_app;
SELECT pg_temp.act_as('u_a2');
SELECT is((SELECT array_agg((p->>'implemented')::int ORDER BY o) FILTER (WHERE o <= 5)
             FROM json_array_elements(api_progress_get(pg_temp.id('en_a2'))->'trend')
                  WITH ORDINALITY AS t(p, o)),
          ARRAY[0, 5, 5, 9, 9], 'the trend starts at the cluster''s start and carries counts forward');
SELECT is((SELECT (p->>'implemented')::int FROM json_array_elements(api_progress_get(pg_temp.id('en_a2'))->'trend') AS t(p)
            ORDER BY p->>'week' DESC LIMIT 1), 1, 'the last point is this week''s counts');
SELECT is((SELECT count(*) FROM progress_cluster_medians(pg_temp.id('cl_b'), (SELECT id FROM fw22))),
          0::bigint, 'the cross-organisation medians answer nobody outside the cluster');
SELECT pg_temp.act_as('u_coach');
SELECT is((SELECT json_agg(i->>'enrolment_id') FROM json_array_elements(
              api_cluster_progress(pg_temp.id('cl_a'), NULL, NULL)->'items') AS i)::text,
          json_build_array(pg_temp.id('en_a1'))::text, 'the overview shows a coach only its enrolments');
SELECT pg_temp.act_as('u_coord');
SELECT is((SELECT json_array_length(api_cluster_progress(pg_temp.id('cl_a'), NULL, NULL)->'items')), 3,
          'the overview shows the coordinator every enrolment');

-- ---------------------------------------------------------------------------------------------
-- Framework choice
-- ---------------------------------------------------------------------------------------------
RESET ROLE;
INSERT INTO frameworks (id, code, version, title, source) VALUES (gen_random_uuid(), 'pgtap', '1', 'pgtap framework', 'import');
SET ROLE isms_app;
SELECT pg_temp.act_as('u_coord');
SELECT is(pg_temp.outcome(format($$SELECT api_cluster_framework_set(%L, %L)$$, pg_temp.id('cl_a'),
                                 (SELECT id FROM frameworks WHERE code = 'pgtap'))),
          'IC409 framework_in_use', 'a cluster with recorded progress keeps its framework');
SELECT pg_temp.act_as('u_a1');
SELECT is(pg_temp.outcome(format($$SELECT api_cluster_framework_set(%L, %L)$$, pg_temp.id('cl_a'),
                                 (SELECT id FROM frameworks WHERE code = 'pgtap'))),
          'IC403 forbidden', 'only coordinators choose the framework');

RESET ROLE;
SELECT * FROM finish();
ROLLBACK;
