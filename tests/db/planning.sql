-- Planning in the database (migrations/0030-0033): row-level security of the planning tables
-- for each role, the guards that keep anybody from being booked twice across clusters, the
-- session life cycle and iCalendar SEQUENCE, the planner input and its version, feeds, holidays
-- and the contract functions module_due_dates() and training_attendance(). Runs as the superuser,
-- which builds the fixture; checks run as isms_app with the identity auth_session() would set.
-- Everything is rolled back.
BEGIN;
SET LOCAL search_path = isms, public;
SELECT plan(38);

CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                       org text);
GRANT SELECT ON ids TO isms_app;
INSERT INTO ids (name, org) VALUES
    ('coord', NULL), ('coord2', NULL), ('consult', NULL), ('org_a', NULL), ('org_b', NULL),
    ('org_c', NULL), ('u_coord', 'coord'), ('u_coord2', 'coord2'), ('u_trainer', 'coord'),
    ('u_coach', 'consult'), ('u_a', 'org_a'), ('u_b', 'org_b'), ('u_c', 'org_c'),
    ('cl_1', NULL), ('cl_2', NULL), ('en_a', NULL), ('en_b', NULL), ('en_c', NULL);
CREATE FUNCTION pg_temp.id(p_name text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM pg_temp.ids WHERE name = p_name $$;
CREATE FUNCTION pg_temp.act_as(p_user text) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('app.user_id', pg_temp.id(p_user)::text, true),
           set_config('app.organisation_id',
                      pg_temp.id((SELECT org FROM pg_temp.ids WHERE name = p_user))::text, true);
$$;

INSERT INTO organisations (id, name, kind, created_by_organisation_id)
SELECT pg_temp.id(n), 'pgtap planning ' || n || ' ' || pg_temp.id(n), k, c
  FROM (VALUES ('coord', 'coordinator', NULL::uuid), ('coord2', 'coordinator', NULL),
               ('consult', 'consultancy', NULL), ('org_a', 'member', pg_temp.id('coord')),
               ('org_b', 'member', pg_temp.id('coord')), ('org_c', 'member', pg_temp.id('coord2')))
       AS v(n, k, c);
INSERT INTO users (id, organisation_id, email, display_name)
SELECT i.id, pg_temp.id(i.org), 'pgtap-' || i.id || '@planning.example', i.name
  FROM pg_temp.ids i WHERE i.name LIKE 'u\_%';
SELECT set_config('app.user_id', pg_temp.id('u_coord')::text, true);
INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date,
                      target_end_date)
VALUES (pg_temp.id('cl_1'), 'pgtap planning 1', pg_temp.id('coord'), 'LU', 'Europe/Luxembourg',
        '2029-01-08', '2029-09-28');
SELECT set_config('app.user_id', pg_temp.id('u_coord2')::text, true);
INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date,
                      target_end_date)
VALUES (pg_temp.id('cl_2'), 'pgtap planning 2', pg_temp.id('coord2'), 'LU', 'Europe/Luxembourg',
        '2029-01-08', '2029-09-28');
SELECT set_config('app.user_id', '', true);
INSERT INTO cluster_staff (cluster_id, user_id, role) VALUES
    (pg_temp.id('cl_1'), pg_temp.id('u_trainer'), 'trainer'),
    (pg_temp.id('cl_1'), pg_temp.id('u_coach'), 'coach'),
    (pg_temp.id('cl_2'), pg_temp.id('u_trainer'), 'trainer');
INSERT INTO enrolments (id, cluster_id, organisation_id, status) VALUES
    (pg_temp.id('en_a'), pg_temp.id('cl_1'), pg_temp.id('org_a'), 'admitted'),
    (pg_temp.id('en_b'), pg_temp.id('cl_1'), pg_temp.id('org_b'), 'admitted'),
    (pg_temp.id('en_c'), pg_temp.id('cl_2'), pg_temp.id('org_c'), 'admitted');
INSERT INTO coach_assignments (cluster_id, organisation_id, enrolment_id, coach_user_id) VALUES
    (pg_temp.id('cl_1'), pg_temp.id('org_a'), pg_temp.id('en_a'), pg_temp.id('u_coach'));
INSERT INTO training_sessions (id, cluster_id, module_key, session_date, slot, half_days,
                               trainer_user_id)
VALUES ('00000000-0000-4000-8000-00000000f001', pg_temp.id('cl_1'), 'scope_policy_assets',
        '2029-02-05', 'morning', 1, pg_temp.id('u_trainer')),
       ('00000000-0000-4000-8000-00000000f002', pg_temp.id('cl_1'), 'risk_assessment',
        '2029-02-26', 'morning', 1, pg_temp.id('u_trainer'));
INSERT INTO training_sessions (id, cluster_id, kind, module_key, organisation_id, enrolment_id,
                               session_date, slot, half_days, coach_user_id)
VALUES ('00000000-0000-4000-8000-00000000f003', pg_temp.id('cl_1'), 'gap_analysis',
        'gap_analysis', pg_temp.id('org_a'), pg_temp.id('en_a'), '2029-01-22', 'morning', 1,
        pg_temp.id('u_coach'));
SET CONSTRAINTS ALL IMMEDIATE;

-- ---------------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------------
SELECT is((SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'isms' AND c.relrowsecurity AND c.relforcerowsecurity
              AND c.relname IN ('cluster_modules', 'cluster_planning_settings', 'unavailability',
                                'training_sessions', 'training_registrations', 'calendar_feeds')),
          6, 'row-level security is enabled and forced on every planning table');

SET LOCAL ROLE isms_app;
SELECT pg_temp.act_as('u_a');
SELECT is((SELECT count(*)::int FROM training_sessions), 3,
          'a member sees the cluster''s trainings and its own gap analysis');
SELECT pg_temp.act_as('u_b');
SELECT is((SELECT count(*)::int FROM training_sessions), 2,
          'another member does not see that gap analysis');
SELECT pg_temp.act_as('u_c');
SELECT is((SELECT count(*)::int FROM training_sessions), 0, 'another cluster sees nothing');
SELECT pg_temp.act_as('u_coach');
SELECT is((SELECT count(*)::int FROM training_sessions WHERE kind = 'gap_analysis'), 1,
          'the coach sees the gap analysis of the organisation it coaches');
SELECT pg_temp.act_as('u_coord2');
SELECT is((SELECT count(*)::int FROM training_sessions), 0,
          'another cluster''s coordinator sees nothing');
SELECT pg_temp.act_as('u_a');
SELECT throws_ok($$INSERT INTO training_sessions (cluster_id, module_key, session_date, slot,
                       half_days) VALUES (pg_temp.id('cl_1'), 'audit', '2029-05-07', 'morning', 1)$$,
                 '42501', NULL, 'a member cannot plan sessions');
WITH u AS (UPDATE training_sessions SET notes = 'x' RETURNING 1)
SELECT is(count(*)::int, 0, 'a member changes no session') FROM u;

-- Unavailability
SELECT lives_ok($$INSERT INTO unavailability (organisation_id, start_date, end_date, reason)
                  VALUES (pg_temp.id('org_a'), '2029-03-05', '2029-03-09', 'audit week')$$,
                'an organisation declares its own unavailability');
SELECT throws_ok($$INSERT INTO unavailability (organisation_id, start_date, end_date)
                   VALUES (pg_temp.id('org_b'), '2029-03-05', '2029-03-09')$$,
                 '42501', NULL, 'but not another organisation''s');
SELECT pg_temp.act_as('u_b');
SELECT is((SELECT count(*)::int FROM unavailability), 0,
          'other members do not see an organisation''s unavailability');
SELECT pg_temp.act_as('u_coord');
SELECT is((SELECT count(*)::int FROM unavailability), 1, 'its coordinator does');
SELECT pg_temp.act_as('u_coach');
SELECT is((SELECT count(*)::int FROM unavailability), 1, 'and its coach');
SELECT pg_temp.act_as('u_trainer');
SELECT lives_ok($$INSERT INTO unavailability (organisation_id, user_id, start_date, end_date)
                  VALUES (pg_temp.id('coord'), pg_temp.id('u_trainer'), '2029-04-02', '2029-04-06')$$,
                'a trainer declares their own unavailability');

-- Registrations and feeds
SELECT pg_temp.act_as('u_a');
SELECT lives_ok($$INSERT INTO training_registrations (cluster_id, organisation_id, enrolment_id,
                       training_session_id, participant_name)
                  VALUES (pg_temp.id('cl_1'), pg_temp.id('org_a'), pg_temp.id('en_a'),
                          '00000000-0000-4000-8000-00000000f001', 'Anna')$$,
                'an organisation registers its participant');
SELECT throws_ok($$INSERT INTO training_registrations (cluster_id, organisation_id, enrolment_id,
                       training_session_id, participant_name)
                   VALUES (pg_temp.id('cl_1'), pg_temp.id('org_b'), pg_temp.id('en_b'),
                           '00000000-0000-4000-8000-00000000f001', 'Intruder')$$,
                 '42501', NULL, 'but not another organisation''s');
WITH u AS (UPDATE training_registrations SET attended = true RETURNING 1)
SELECT is(count(*)::int, 0, 'an organisation does not record its own presence') FROM u;
SELECT pg_temp.act_as('u_trainer');
WITH u AS (UPDATE training_registrations SET attended = true RETURNING 1)
SELECT is(count(*)::int, 1, 'the trainer records presence') FROM u;
SELECT pg_temp.act_as('u_b');
SELECT is((SELECT count(*)::int FROM training_registrations), 0,
          'another member does not see the registration');
SELECT pg_temp.act_as('u_a');
SELECT lives_ok($$INSERT INTO calendar_feeds (token_hash, scope, organisation_id, user_id)
                  VALUES (repeat('a', 64), 'organisation', pg_temp.id('org_a'), pg_temp.id('u_a'))$$,
                'a user creates a feed of their own');
SELECT pg_temp.act_as('u_b');
SELECT is((SELECT count(*)::int FROM calendar_feeds), 0, 'nobody else sees it');
RESET ROLE;

-- ---------------------------------------------------------------------------------------------
-- Guards and life cycle
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($$INSERT INTO training_sessions (cluster_id, module_key, session_date, slot,
                       half_days, trainer_user_id)
                   VALUES (pg_temp.id('cl_2'), 'initial_training', '2029-02-05', 'morning', 2,
                           pg_temp.id('u_trainer'))$$,
                 'IC409', 'double_booked',
                 'a trainer cannot be booked in two clusters at once');
SELECT throws_ok($$INSERT INTO coaching_sessions (cluster_id, organisation_id, enrolment_id,
                       coach_user_id, session_date, slot, half_days, topic)
                   VALUES (pg_temp.id('cl_1'), pg_temp.id('org_a'), pg_temp.id('en_a'),
                           pg_temp.id('u_coach'), '2029-02-05', 'morning', 1, 'clash')$$,
                 'IC409', 'double_booked',
                 'an organisation is not coached during its training');
SELECT lives_ok($$INSERT INTO coaching_sessions (cluster_id, organisation_id, enrolment_id,
                       coach_user_id, session_date, slot, half_days, topic)
                   VALUES (pg_temp.id('cl_1'), pg_temp.id('org_a'), pg_temp.id('en_a'),
                           pg_temp.id('u_coach'), '2029-02-05', 'afternoon', 1, 'after training')$$,
                'coaching in the afternoon after a morning training is fine');
UPDATE training_sessions SET session_date = '2029-02-06'
 WHERE id = '00000000-0000-4000-8000-00000000f001';
SELECT is((SELECT sequence FROM training_sessions WHERE id = '00000000-0000-4000-8000-00000000f001'),
          1, 'a move increases the iCalendar SEQUENCE');
UPDATE training_sessions SET notes = 'private' WHERE id = '00000000-0000-4000-8000-00000000f001';
SELECT is((SELECT array[sequence, version] FROM training_sessions
            WHERE id = '00000000-0000-4000-8000-00000000f001'),
          array[1, 3], 'a note changes the version, not the SEQUENCE');
SELECT throws_ok($$UPDATE training_sessions SET status = 'done'
                    WHERE id = '00000000-0000-4000-8000-00000000f001'$$,
                 'IC409', 'invalid_transition', 'planned cannot become done');
UPDATE training_sessions SET status = 'confirmed' WHERE id = '00000000-0000-4000-8000-00000000f002';
UPDATE training_sessions SET status = 'cancelled' WHERE id = '00000000-0000-4000-8000-00000000f002';
SELECT throws_ok($$UPDATE training_sessions SET session_date = '2029-03-05'
                    WHERE id = '00000000-0000-4000-8000-00000000f002'$$,
                 'IC409', 'session_closed', 'a cancelled session does not move');

-- ---------------------------------------------------------------------------------------------
-- Planner input, feeds, holidays, contract functions
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.act_as('u_coord');
SELECT is(length(planning_input(pg_temp.id('cl_1'), '2029-01-01')->>'plan_version'), 32,
          'the planner input carries a version');
SELECT is(planning_input(pg_temp.id('cl_1'), '2029-01-01')->>'plan_version',
          planning_input(pg_temp.id('cl_1'), '2029-01-01')->>'plan_version',
          'the same input has the same version');
CREATE TEMP TABLE v AS SELECT planning_input(pg_temp.id('cl_1'), '2029-01-01')->>'plan_version' AS x;
INSERT INTO unavailability (organisation_id, start_date, end_date)
VALUES (pg_temp.id('org_b'), '2029-06-04', '2029-06-08');
SELECT isnt(planning_input(pg_temp.id('cl_1'), '2029-01-01')->>'plan_version', (SELECT x FROM v),
            'a new unavailability changes the version');
SELECT pg_temp.act_as('u_c');
SELECT throws_ok($$SELECT planning_input(pg_temp.id('cl_1'), NULL)$$, 'IC404', 'not_found',
                 'another cluster''s input is not found');
-- The server's own session without an identity reads no cluster's input (it would bypass RLS).
SELECT set_config('app.user_id', '', true), set_config('app.organisation_id', '', true);
SET SESSION AUTHORIZATION isms_app;
SELECT throws_ok($$SELECT isms.planning_input(pg_temp.id('cl_1'), NULL)$$, 'IC404', 'not_found',
                 'without an identity the server''s role reads no planner input');
RESET SESSION AUTHORIZATION;
SELECT pg_temp.act_as('u_c');
SELECT throws_ok($$SELECT planning_feed(repeat('b', 64))$$, 'IC404', 'not_found',
                 'an unknown feed token is not found');
SELECT ok((SELECT count(*) FROM public_holidays WHERE country = 'LU'
            AND day BETWEEN '2009-01-01' AND '2030-12-31') >= 22 * 10
          AND EXISTS (SELECT 1 FROM public_holidays WHERE country = 'LU' AND day = '2010-04-05'),
          'Luxembourg''s public holidays 2009-2030 are shipped (Easter Monday 2010 included)');
SELECT pg_temp.act_as('u_coord');
SELECT is((SELECT due_date FROM module_due_dates(pg_temp.id('cl_1'))
            WHERE module_key = 'gap_analysis'),
          '2029-02-06'::date, 'the gap analysis is due at the next training');
SELECT is((SELECT attended_half_days FROM training_attendance(pg_temp.id('cl_1'))
            WHERE enrolment_id = pg_temp.id('en_a')),
          1::numeric, 'training_attendance counts the half-days attended');

UPDATE enrolments SET status = 'withdrawn' WHERE id = pg_temp.id('en_a');
SELECT is((SELECT status FROM training_sessions WHERE id = '00000000-0000-4000-8000-00000000f003'),
          'cancelled', 'a withdrawn organisation''s gap analysis is cancelled');

SELECT * FROM finish();
ROLLBACK;
