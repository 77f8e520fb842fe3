-- Coaching in the database itself (migrations/0020-0024): the ledger's invariant (delivered +
-- planned <= ceiling) under every path that writes it, who sees ledgers, notes, budgets, effort and
-- costs, the idempotency records, the largest-remainder rule, cost statements (equal, employees,
-- attendance fallback, mid-programme join and withdrawal, coaching at delivered x rate), and the
-- burn-down and forecast on a fixture. Runs as the superuser, which builds the fixture; every check
-- runs as isms_app with the identity auth_session() would set. Everything is rolled back.
BEGIN;
SET LOCAL search_path = isms, public;
SELECT plan(97);

-- ---------------------------------------------------------------------------------------------
-- Fixture
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                       org text);
GRANT SELECT ON ids TO isms_app;
INSERT INTO ids (name, org) VALUES
    ('coord_a', NULL), ('coord_b', NULL), ('consult', NULL),
    ('org_a1', NULL), ('org_a2', NULL), ('org_a3', NULL), ('org_b1', NULL),
    ('u_coord_a', 'coord_a'), ('u_coord_b', 'coord_b'), ('u_coach_a1', 'consult'),
    ('u_coach_a2', 'consult'), ('u_a1', 'org_a1'), ('u_a2', 'org_a2'), ('u_b1', 'org_b1'),
    ('cl_a', NULL), ('cl_b', NULL), ('en_a1', NULL), ('en_a2', NULL), ('en_a3', NULL), ('en_b1', NULL);
CREATE FUNCTION pg_temp.id(p_name text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM pg_temp.ids WHERE name = p_name $$;
CREATE FUNCTION pg_temp.act_as(p_user text) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('app.user_id', pg_temp.id(p_user)::text, true),
           set_config('app.organisation_id',
                      pg_temp.id((SELECT org FROM pg_temp.ids WHERE name = p_user))::text, true);
$$;
-- Books n half-day sessions for an enrolment from a date on, one per morning, as the caller.
CREATE FUNCTION pg_temp.book_mornings(p_enrolment text, p_from date, p_n integer) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 0 .. p_n - 1 LOOP
        PERFORM coaching_book(pg_temp.id(p_enrolment), NULL, p_from + i, 'morning', 1, 'fill', NULL);
    END LOOP;
END $$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA pg_temp TO isms_app;

INSERT INTO organisations (id, name, kind, employee_count)
SELECT pg_temp.id(n), 'pgtap coaching ' || n || ' ' || pg_temp.id(n), k, e
  FROM (VALUES ('coord_a', 'coordinator', NULL), ('coord_b', 'coordinator', NULL),
               ('consult', 'consultancy', NULL), ('org_a1', 'member', 10), ('org_a2', 'member', 30),
               ('org_a3', 'member', 20), ('org_b1', 'member', 5)) AS v(n, k, e);
INSERT INTO users (id, organisation_id, email, display_name)
SELECT id, pg_temp.id(org), name || '.' || id || '@pgtap.example', name FROM ids WHERE name LIKE 'u\_%';
SELECT set_config('app.user_id', pg_temp.id('u_coord_a')::text, true);
INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date, target_end_date)
VALUES (pg_temp.id('cl_a'), 'pgtap coaching A', pg_temp.id('coord_a'), 'LU', 'Europe/Luxembourg',
        '2024-01-01', '2024-12-31');
SELECT set_config('app.user_id', pg_temp.id('u_coord_b')::text, true);
INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date, target_end_date)
VALUES (pg_temp.id('cl_b'), 'pgtap coaching B', pg_temp.id('coord_b'), 'LU', 'Europe/Luxembourg',
        '2024-01-01', '2024-12-31');
SELECT set_config('app.user_id', '', true);
INSERT INTO cluster_staff (cluster_id, user_id, role)
VALUES (pg_temp.id('cl_a'), pg_temp.id('u_coach_a1'), 'coach'),
       (pg_temp.id('cl_a'), pg_temp.id('u_coach_a2'), 'coach');
-- a1 and a2 from the start; a3 joins on 2024-07-01 (184 of the programme's 366 days).
INSERT INTO enrolments (id, cluster_id, organisation_id, status, employee_count, admitted_at)
VALUES (pg_temp.id('en_a1'), pg_temp.id('cl_a'), pg_temp.id('org_a1'), 'admitted', 10, '2023-12-01 10:00+01'),
       (pg_temp.id('en_a2'), pg_temp.id('cl_a'), pg_temp.id('org_a2'), 'admitted', 30, '2023-12-01 10:00+01'),
       (pg_temp.id('en_a3'), pg_temp.id('cl_a'), pg_temp.id('org_a3'), 'admitted', 20, '2024-07-01 09:00+02'),
       (pg_temp.id('en_b1'), pg_temp.id('cl_b'), pg_temp.id('org_b1'), 'admitted', 5, '2023-12-01 10:00+01');
INSERT INTO coach_assignments (cluster_id, organisation_id, enrolment_id, coach_user_id)
VALUES (pg_temp.id('cl_a'), pg_temp.id('org_a1'), pg_temp.id('en_a1'), pg_temp.id('u_coach_a1')),
       (pg_temp.id('cl_a'), pg_temp.id('org_a2'), pg_temp.id('en_a2'), pg_temp.id('u_coach_a2'));

-- ---------------------------------------------------------------------------------------------
-- Structure
-- ---------------------------------------------------------------------------------------------
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'isms' AND c.relname LIKE 'coaching\_%' AND c.relkind = 'r'
              AND NOT (c.relrowsecurity AND c.relforcerowsecurity)),
          NULL, 'every coaching table enables and forces row-level security');
SET ROLE isms_app;
SELECT pg_temp.act_as('u_a1');
SELECT throws_ok($$SELECT coaching_budget_lock(pg_temp.id('en_a1'))$$, 'IC404', 'not_found',
                 'the budget lock, called directly by someone who may not book: 404');
RESET ROLE;
SELECT ok(has_function_privilege('isms_app',
              'isms.coaching_book(uuid, uuid, date, text, integer, text, text)', 'EXECUTE'),
          'coaching_book (contract) is executable by the app role');
SELECT is((SELECT coalesce(sum(attended_half_days) + sum(planned_half_days), 0)
             FROM training_attendance(pg_temp.id('cl_a'))), 0::numeric,
          'training_attendance (planning may replace it): nothing attended in the fixture');

-- ---------------------------------------------------------------------------------------------
-- Booking and who may do it
-- ---------------------------------------------------------------------------------------------
SET ROLE isms_app;
SELECT pg_temp.act_as('u_coach_a1');
SELECT lives_ok($$SELECT coaching_book(pg_temp.id('en_a1'), NULL, '2024-01-15', 'morning', 2,
                                       'Risk method', 'risk_assessment')$$,
                'the assigned coach books a whole day for its organisation');
UPDATE coaching_sessions SET notes = 'private notes of a1' WHERE enrolment_id = pg_temp.id('en_a1');
SELECT throws_ok($$SELECT coaching_book(pg_temp.id('en_a2'), NULL, '2024-01-16', 'morning', 1, 'x', NULL)$$,
                 'IC404', 'not_found', 'a coach cannot book for an organisation it does not coach');
SELECT throws_ok($$SELECT coaching_book(pg_temp.id('en_a1'), NULL, '2024-01-15', 'afternoon', 1, 'x', NULL)$$,
                 'IC409', 'coach_unavailable', 'a coach cannot be booked twice in one half-day');
SELECT throws_ok($$SELECT coaching_book(pg_temp.id('en_a1'), NULL, '2024-01-16', 'afternoon', 2, 'x', NULL)$$,
                 'IC422', 'invalid_value', 'a whole day starts in the morning');
SELECT pg_temp.act_as('u_a1');
SELECT throws_ok($$SELECT coaching_book(pg_temp.id('en_a1'), NULL, '2024-01-16', 'morning', 1, 'x', NULL)$$,
                 'IC403', 'forbidden', 'member staff see their ledger but do not book');
SELECT pg_temp.act_as('u_coord_a');
SELECT throws_ok($$SELECT coaching_book(pg_temp.id('en_a1'), NULL, '2024-01-16', 'morning', 1, 'x', NULL)$$,
                 'IC422', 'invalid_reference', 'a coordinator names the coach');
SELECT throws_ok($$SELECT coaching_book(pg_temp.id('en_a1'), pg_temp.id('u_coach_a2'), '2024-01-16',
                                       'morning', 1, 'x', NULL)$$,
                 'IC422', 'invalid_reference', 'the coach must be assigned to the enrolment');
SELECT pg_temp.act_as('u_coord_b');
SELECT throws_ok($$SELECT coaching_book(pg_temp.id('en_a1'), pg_temp.id('u_coach_a1'), '2024-01-16',
                                       'morning', 1, 'x', NULL)$$,
                 'IC404', 'not_found', 'another cluster''s coordinator: 404');

-- ---------------------------------------------------------------------------------------------
-- The ceiling holds on every path
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.act_as('u_coach_a1');
SELECT pg_temp.book_mornings('en_a1', '2024-02-01', 26);
SELECT is((SELECT row(ceiling, delivered, planned, remaining)::text FROM coaching_budget_summary(pg_temp.id('en_a1'))),
          '(28,0,28,0)', 'coaching_budget_summary: 28 of 28 booked, nothing remains');
SELECT throws_ok($$SELECT coaching_book(pg_temp.id('en_a1'), NULL, '2024-06-03', 'morning', 1, 'x', NULL)$$,
                 'IC409', 'budget_exceeded', 'coaching_book refuses the 29th half-day');
SELECT is((SELECT (v->>'status') || ' ' || (v->'error'->>'code') || ' ' || (v->'error'->>'remaining_half_days')
             FROM api_coaching_session_create(pg_temp.id('en_a1'), NULL, '2024-06-03', 'morning', 1,
                                              'x', NULL, NULL, NULL, NULL) AS v),
          '409 budget_exceeded 0', 'the API answers 409 budget_exceeded with the remaining half-days');
SELECT throws_ok($$INSERT INTO coaching_sessions (cluster_id, organisation_id, enrolment_id, coach_user_id,
                                                  session_date, slot, half_days, topic)
                   VALUES (pg_temp.id('cl_a'), pg_temp.id('org_a1'), pg_temp.id('en_a1'),
                           pg_temp.id('u_coach_a1'), '2024-06-04', 'morning', 1, 'direct')$$,
                 'IC409', 'budget_exceeded', 'a direct insert past the ceiling is refused by the trigger');
SELECT throws_ok($$SELECT api_coaching_ceiling_set(pg_temp.id('en_a1'), 30, 'more work found')$$,
                 'IC403', 'forbidden', 'a coach cannot raise a ceiling');
SELECT pg_temp.act_as('u_coord_a');
SELECT throws_ok($$SELECT api_coaching_ceiling_set(pg_temp.id('en_a1'), 27, 'cut')$$,
                 'IC409', 'ceiling_below_committed', 'a ceiling cannot go below what is used or booked');
SELECT throws_ok($$UPDATE coaching_budgets SET ceiling_half_days = 20 WHERE enrolment_id = pg_temp.id('en_a1')$$,
                 'IC409', 'ceiling_below_committed', 'even a direct update cannot lower a ceiling below the bookings');
SELECT is((api_coaching_ceiling_set(pg_temp.id('en_a1'), 30, 'risk analysis needs two more half-days')
           ->>'remaining_half_days')::integer, 2, 'the coordinator raises the ceiling to 30');
SELECT is((SELECT detail->>'reason' || ' ' || (detail->>'from') || '->' || (detail->>'to')
             FROM audit_events WHERE action = 'coaching_ceiling_change' AND entity_id = pg_temp.id('en_a1')),
          'risk analysis needs two more half-days 28->30', 'the reason is in the audit trail');
SELECT pg_temp.act_as('u_coach_a1');
SELECT lives_ok($$SELECT pg_temp.book_mornings('en_a1', '2024-03-01', 2)$$, 'the two new half-days can be booked');
SELECT throws_ok($$SELECT coaching_book(pg_temp.id('en_a1'), NULL, '2024-06-03', 'morning', 1, 'x', NULL)$$,
                 'IC409', 'budget_exceeded', 'and no more');
-- en_a2 follows the cluster's default: the default cannot drop below what it booked.
SELECT pg_temp.act_as('u_coach_a2');
SELECT pg_temp.book_mornings('en_a2', '2024-02-01', 10);
SELECT pg_temp.act_as('u_coord_a');
SELECT throws_ok($$SELECT api_cluster_update(pg_temp.id('cl_a'), NULL, NULL, NULL, NULL, NULL, NULL, NULL, 9, NULL)$$,
                 'IC409', 'budget_exceeded', 'the cluster default cannot go below a following enrolment''s bookings');
SELECT lives_ok($$SELECT api_cluster_update(pg_temp.id('cl_a'), NULL, NULL, NULL, NULL, NULL, NULL, NULL, 10, NULL)$$,
                'the cluster default can go down to it');
SELECT is((SELECT ceiling FROM coaching_budget_summary(pg_temp.id('en_a1'))), 30,
          'an enrolment with its own ceiling does not follow the default');
SELECT lives_ok($$SELECT api_cluster_update(pg_temp.id('cl_a'), NULL, NULL, NULL, NULL, NULL, NULL, NULL, 28, NULL)$$,
                'and back to 28');

-- ---------------------------------------------------------------------------------------------
-- Sessions: transitions, resizing, withdrawal
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.act_as('u_coach_a2');
CREATE TEMP TABLE s2 AS SELECT id, session_date FROM coaching_sessions
 WHERE enrolment_id = pg_temp.id('en_a2') ORDER BY session_date;
SELECT is((api_coaching_session_complete((SELECT id FROM s2 ORDER BY session_date LIMIT 1))->>'status'),
          'done', 'a past planned session is marked done');
SELECT throws_ok($$SELECT api_coaching_session_cancel((SELECT id FROM s2 ORDER BY session_date LIMIT 1), NULL)$$,
                 'IC409', 'invalid_transition', 'a done session cannot be cancelled');
SELECT lives_ok($$SELECT coaching_book(pg_temp.id('en_a2'), NULL, current_date + 30, 'morning', 1, 'future', NULL)$$,
                'a future session is booked');
SELECT throws_ok($$SELECT api_coaching_session_complete((SELECT id FROM coaching_sessions
                                                          WHERE topic = 'future'))$$,
                 'IC409', 'session_in_future', 'a future session cannot be marked done');
SELECT is((api_coaching_session_cancel((SELECT id FROM s2 ORDER BY session_date DESC LIMIT 1), 'ill')->>'status'),
          'cancelled', 'a planned session is cancelled');
SELECT is((SELECT row(delivered, planned)::text FROM coaching_budget_summary(pg_temp.id('en_a2'))),
          '(1,9)', 'delivered 1, planned 9 (8 left of the first 10 and the future one)');
SELECT is((SELECT v->>'status' FROM api_coaching_session_update((SELECT id FROM s2 ORDER BY session_date LIMIT 1 OFFSET 1),
                                          NULL, NULL, 2, NULL, NULL, 'longer') AS v),
          '200', 'a planned session grows within the budget');
SELECT throws_ok($$SELECT api_coaching_session_update((SELECT id FROM s2 ORDER BY session_date LIMIT 1),
                                                     '2024-05-05', NULL, NULL, NULL, NULL, NULL)$$,
                 'IC409', 'session_closed', 'a done session does not move');
RESET ROLE;
UPDATE clusters SET coaching_ceiling_half_days = 11 WHERE id = pg_temp.id('cl_a');
SET ROLE isms_app;
SELECT is((SELECT v->'error'->>'code' || ' ' || (v->'error'->>'remaining_half_days')
             FROM api_coaching_session_update((SELECT id FROM s2 ORDER BY session_date LIMIT 1 OFFSET 2),
                                             NULL, NULL, 2, NULL, NULL, NULL) AS v),
          'budget_exceeded 0', 'growing a session past the ceiling answers 409 budget_exceeded');
RESET ROLE;
UPDATE clusters SET coaching_ceiling_half_days = 28 WHERE id = pg_temp.id('cl_a');
SET ROLE isms_app;
SELECT pg_temp.act_as('u_coord_a');
SELECT lives_ok($$SELECT api_enrolment_transition(pg_temp.id('en_a2'), 'withdraw')$$, 'a2 withdraws');
SELECT is((SELECT row(delivered, planned)::text FROM coaching_budget_summary(pg_temp.id('en_a2'))),
          '(1,0)', 'its planned sessions are cancelled, the delivered one stays');

-- ---------------------------------------------------------------------------------------------
-- Who sees ledgers and notes
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.act_as('u_a1');
SELECT is((SELECT count(*)::integer FROM coaching_sessions WHERE notes = 'private notes of a1'), 1,
          'the organisation reads its notes');
SELECT is((SELECT count(*)::integer FROM coaching_sessions WHERE enrolment_id <> pg_temp.id('en_a1')), 0,
          'and sees no other organisation''s sessions');
SELECT pg_temp.act_as('u_a2');
SELECT is((SELECT count(*)::integer FROM coaching_sessions WHERE enrolment_id = pg_temp.id('en_a1')), 0,
          'another member of the cluster sees none of a1''s sessions');
SELECT throws_ok(format('SELECT api_coaching_session_get(%L)', gen_random_uuid()), 'IC404', 'not_found',
                 'a missing session: 404');
RESET ROLE;
CREATE TEMP TABLE a1_session AS SELECT id FROM coaching_sessions WHERE notes = 'private notes of a1';
GRANT SELECT ON a1_session TO isms_app;
SET ROLE isms_app;
SELECT throws_ok($$SELECT api_coaching_session_get((SELECT id FROM a1_session))$$, 'IC404', 'not_found',
                 'another member: 404 for a1''s session, like a missing one');
SELECT throws_ok($$SELECT api_coaching_budget_get(pg_temp.id('en_a1'))$$, 'IC404', 'not_found',
                 'another member: 404 for a1''s budget');
SELECT pg_temp.act_as('u_coach_a2');
SELECT is((SELECT count(*)::integer FROM coaching_sessions WHERE enrolment_id = pg_temp.id('en_a1')), 0,
          'a coach of the cluster not assigned to a1 sees none of its sessions');
SELECT throws_ok($$SELECT api_coaching_burndown(pg_temp.id('en_a1'), NULL)$$, 'IC404', 'not_found',
                 'nor its burn-down');
SELECT pg_temp.act_as('u_coach_a1');
SELECT is((SELECT count(*)::integer FROM coaching_sessions WHERE notes = 'private notes of a1'), 1,
          'the organisation''s coach reads the notes');
SELECT pg_temp.act_as('u_coord_a');
SELECT is((SELECT count(DISTINCT enrolment_id)::integer FROM coaching_sessions), 2,
          'the coordinator sees every ledger of the cluster');
SELECT pg_temp.act_as('u_coord_b');
SELECT is((SELECT count(*)::integer FROM coaching_sessions) + (SELECT count(*)::integer FROM coaching_budgets),
          0, 'another cluster''s coordinator sees nothing');
SELECT pg_temp.act_as('u_coach_a1');
SELECT is((SELECT json_array_length(api_coaching_my_assignments(NULL, NULL)->'items')), 1,
          'the coach''s view lists its one assignment');

-- ---------------------------------------------------------------------------------------------
-- Idempotency records
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.act_as('u_coord_a');
SELECT ok(coaching_idempotency_begin('key-1', repeat('a', 64)) IS NULL, 'a new key: the write runs');
SELECT is((coaching_idempotency_finish('key-1', repeat('a', 64), '{"status": 201, "body": {"n": 1}}')->>'status'),
          '201', 'the response is recorded');
SELECT is((coaching_idempotency_begin('key-1', repeat('a', 64))->'body'->>'n'), '1',
          'the same key and request: the recorded response');
SELECT throws_ok($$SELECT coaching_idempotency_begin('key-1', repeat('b', 64))$$, 'IC422',
                 'idempotency_key_reused', 'the same key with another request: 422');
SELECT pg_temp.act_as('u_coach_a1');
SELECT ok(coaching_idempotency_begin('key-1', repeat('b', 64)) IS NULL, 'keys are scoped to the user');

-- ---------------------------------------------------------------------------------------------
-- The largest-remainder rule
-- ---------------------------------------------------------------------------------------------
SELECT is((SELECT array_agg(cents ORDER BY key) FROM cost_split_largest_remainder(100,
              ARRAY['00000000-0000-4000-8000-000000000003', '00000000-0000-4000-8000-000000000001',
                    '00000000-0000-4000-8000-000000000002']::uuid[], ARRAY[1, 1, 1])),
          ARRAY[34, 33, 33]::bigint[], 'equal weights: the leftover cent goes to the smallest id');
SELECT is((SELECT array_agg(cents ORDER BY key) FROM cost_split_largest_remainder(100000,
              ARRAY['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002',
                    '00000000-0000-4000-8000-000000000003']::uuid[], ARRAY[366, 366, 184])),
          ARRAY[39956, 39956, 20088]::bigint[],
          'remainders: 308 (of 916) beats 304, so the third takes the cent');
SELECT is((SELECT array_agg(cents ORDER BY key) FROM cost_split_largest_remainder(101,
              ARRAY['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']::uuid[],
              ARRAY[0, 7])), ARRAY[0, 101]::bigint[], 'a zero weight gets nothing');
SELECT is((SELECT array_agg(cents) FROM cost_split_largest_remainder(500,
              ARRAY['00000000-0000-4000-8000-000000000001']::uuid[], ARRAY[0])),
          ARRAY[0]::bigint[], 'all weights zero: nothing is allocated');
SELECT is((SELECT count(*)::integer FROM (
              SELECT t.total, (SELECT sum(x.cents) FROM cost_split_largest_remainder(t.total, t.keys, t.weights) x) AS s,
                     (SELECT bool_and(x.cents BETWEEN floor(t.total::numeric * x.weight / t.w)
                                                  AND ceil(t.total::numeric * x.weight / t.w))
                        FROM cost_split_largest_remainder(t.total, t.keys, t.weights) x) AS fair
                FROM (SELECT (random() * 10000000)::bigint AS total, keys, weights,
                             (SELECT sum(w) FROM unnest(weights) w) AS w
                        FROM (SELECT array_agg(gen_random_uuid()) AS keys,
                                     array_agg(1 + (random() * 5000)::bigint) AS weights
                                FROM generate_series(1, 500) g, generate_series(1, 1 + (g % 7)) k
                               GROUP BY g) c) t) r
             WHERE r.s <> r.total OR NOT r.fair), 0,
          '500 random splits: shares sum to the total and each is its exact share rounded down or up');

-- ---------------------------------------------------------------------------------------------
-- Cost statements
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.act_as('u_coord_a');
SELECT lives_ok($$SELECT api_cost_settings_update(pg_temp.id('cl_a'), 'equal', 50000, 'EUR')$$,
                'the coordinator sets the default coaching rate (500.00 a half-day)');
SELECT lives_ok($$SELECT api_coaching_rate_set(pg_temp.id('cl_a'), pg_temp.id('u_coach_a2'), 60000)$$,
                'and coach a2''s own rate (600.00)');
SELECT lives_ok($$SELECT api_cost_item_create(pg_temp.id('cl_a'), 'trainer', 'Trainer', 13, 'half_day',
                                             7692, NULL, NULL, NULL, NULL)$$, 'a trainer item: 13 x 76.92');
SELECT lives_ok($$SELECT api_cost_item_create(pg_temp.id('cl_a'), 'venue', 'Venue', 1, 'lump_sum',
                                             100000, 'employees', NULL, NULL, NULL)$$, 'a venue split by employees');
SELECT lives_ok($$SELECT api_cost_item_create(pg_temp.id('cl_a'), 'material', 'Binders', 3, 'item',
                                             1000, 'attendance', NULL, NULL, NULL)$$, 'material split by attendance');
CREATE TEMP TABLE st AS SELECT api_cost_statement_cluster(pg_temp.id('cl_a')) AS doc;
CREATE FUNCTION pg_temp.org(p_enrolment text) RETURNS json LANGUAGE sql AS $$
    SELECT o FROM pg_temp.st, json_array_elements(doc->'organisations') o
     WHERE o->>'enrolment_id' = pg_temp.id(p_enrolment)::text $$;
CREATE FUNCTION pg_temp.line(p_enrolment text, p_desc text) RETURNS bigint LANGUAGE sql AS $$
    SELECT (l->>'amount_cents')::bigint FROM json_array_elements(pg_temp.org(p_enrolment)->'lines') l
     WHERE l->>'description' = p_desc $$;
-- a2 withdrew today (2026): it took part for the whole 2024 programme, like a1; a3 joined mid-way.
SELECT is((SELECT doc->>'training_total_cents' FROM st), '202996', 'training total: 99996 + 100000 + 3000');
SELECT is(ARRAY[pg_temp.line('en_a1', 'Trainer'), pg_temp.line('en_a2', 'Trainer'), pg_temp.line('en_a3', 'Trainer')],
          ARRAY[39955, 39955, 20086]::bigint[],
          'equal: pro rata of participation days (366, 366, 184 of 916), largest remainders');
SELECT is(ARRAY[pg_temp.line('en_a1', 'Venue'), pg_temp.line('en_a2', 'Venue'), pg_temp.line('en_a3', 'Venue')],
          ARRAY[19978, 59935, 20087]::bigint[], 'employees: employee count x participation days');
SELECT is((SELECT i->>'basis' FROM st, json_array_elements(doc->'items') i WHERE i->>'description' = 'Binders'),
          'equal', 'attendance without any recorded attendance falls back to equal');
SELECT ok((SELECT (doc->>'warnings') LIKE '%split equally%' FROM st), 'and says so in the warnings');
SELECT is(ARRAY[coalesce(pg_temp.line('en_a1', 'coaching'), 0), pg_temp.line('en_a2', 'coaching')],
          ARRAY[0, 60000]::bigint[], 'coaching: delivered half-days x the coach''s rate (a1 delivered none)');
SELECT is((SELECT (doc->>'total_cents')::bigint FROM st),
          (SELECT sum((o->>'total_cents')::bigint)::bigint FROM st, json_array_elements(doc->'organisations') o),
          'the organisations'' totals sum exactly to the cluster total');
SELECT is((SELECT (doc->>'unallocated_cents')::bigint FROM st), 0::bigint, 'nothing is unallocated');
SELECT pg_temp.act_as('u_a1');
SELECT is((SELECT json_array_length(v->'organisations')::text || ' ' || coalesce(v->>'coaching_total_cents', 'hidden')
             FROM api_cost_statement_enrolment(pg_temp.id('en_a1')) v),
          '1 hidden', 'a member''s statement: its organisation only, no cluster coaching total');
SELECT throws_ok($$SELECT api_cost_statement_cluster(pg_temp.id('cl_a'))$$, 'IC403', 'forbidden',
                 'a member cannot read the whole statement');
SELECT throws_ok($$SELECT coaching_cost_statement(pg_temp.id('cl_a'), pg_temp.id('en_a2'))$$, 'IC404',
                 'not_found', 'nor another organisation''s part, even calling the helper directly');
SELECT pg_temp.act_as('u_coach_a1');
SELECT throws_ok($$SELECT api_cost_statement_enrolment(pg_temp.id('en_a1'))$$, 'IC403', 'forbidden',
                 'the coach sees the ledger, not the costs');
SELECT pg_temp.act_as('u_b1');
SELECT throws_ok($$SELECT api_cost_statement_enrolment(pg_temp.id('en_a1'))$$, 'IC404', 'not_found',
                 'another cluster''s member: 404');
SELECT is((SELECT count(*)::integer FROM coaching_cost_items), 0, 'and no cost item of cluster A');
-- Withdrawal mid-programme: a2's participation ends on the day it withdrew.
RESET ROLE;
UPDATE enrolments SET ended_at = '2024-04-01 12:00+02' WHERE id = pg_temp.id('en_a2');
SET ROLE isms_app;
SELECT pg_temp.act_as('u_coord_a');
SELECT is((SELECT (o->'participation'->>'days')::integer FROM json_array_elements(
              api_cost_statement_cluster(pg_temp.id('cl_a'))->'organisations') o
            WHERE o->>'enrolment_id' = pg_temp.id('en_a2')::text), 92,
          'a withdrawal on 2024-04-01 counts 92 days (1 January to 1 April)');

-- ---------------------------------------------------------------------------------------------
-- Burn-down and forecast on a fixture: en_a3, ceiling 28
-- ---------------------------------------------------------------------------------------------
INSERT INTO coach_assignments (cluster_id, organisation_id, enrolment_id, coach_user_id)
SELECT pg_temp.id('cl_a'), pg_temp.id('org_a3'), pg_temp.id('en_a3'), pg_temp.id('u_coach_a2');
SELECT pg_temp.act_as('u_coach_a2');
-- Delivered: 2 on 2024-07-08, 2 on 2024-07-22, 2 on 2024-08-05, 2 on 2024-08-19; planned: 1 on 2024-09-02.
SELECT api_coaching_session_complete(coaching_book(pg_temp.id('en_a3'), NULL, d, 'morning', 2, 'block', NULL))
  FROM unnest(ARRAY['2024-07-08', '2024-07-22', '2024-08-05', '2024-08-19']::date[]) d;
SELECT coaching_book(pg_temp.id('en_a3'), NULL, '2024-09-02', 'morning', 1, 'next', NULL);
CREATE TEMP TABLE bd AS SELECT api_coaching_burndown(pg_temp.id('en_a3'), '2024-08-25') AS doc;
SELECT is((SELECT json_array_length(doc->'weeks') FROM bd), 53, 'weekly points from 2024-01-01 to 2024-12-30');
SELECT is((SELECT w->>'delivered_cumulative' || '/' || (w->>'booked_cumulative') || '/' || (w->>'remaining_half_days')
             FROM bd, json_array_elements(doc->'weeks') w WHERE w->>'week_start' = '2024-07-29'),
          '4/4/24', 'the week of 29 July: 4 delivered, 4 booked, 24 remaining');
SELECT is((SELECT w->>'booked_cumulative' FROM bd, json_array_elements(doc->'weeks') w
            WHERE w->>'week_start' = '2024-09-02'), '9', 'the planned session counts as booked in its week');
-- Window: 2024-07-01 (the programme's start is earlier, the 56 days go back to 2024-07-01) to 2024-08-25
-- = 56 days, 8 delivered: pace 1 a week; 20 remain; run-out 2024-08-25 + ceil(20 * 56 / 8) = +140 days.
SELECT is((SELECT doc->'forecast'->>'status' || ' ' || (doc->'forecast'->>'pace_half_days_per_week') || ' '
                  || (doc->'forecast'->>'run_out_date') FROM bd),
          'projected 1.00 2025-01-12', 'forecast: 1 half-day a week, the budget runs out on 12 January 2025');
SELECT is((SELECT doc->'forecast'->>'runs_out_before_programme_end' FROM bd), 'false',
          'after the programme''s end');
SELECT is((SELECT (api_coaching_burndown(pg_temp.id('en_a3'), '2024-12-20')->'forecast'->>'status')),
          'no_recent_delivery', 'nothing delivered in the last 8 weeks: no date');
SELECT is((SELECT api_coaching_budget_get(pg_temp.id('en_a3'))->>'alerts'), '[]',
          '9 of 28: no alert yet');
SELECT lives_ok($$SELECT pg_temp.book_mornings('en_a3', '2024-10-01', 12)$$, 'book up to 21 of 28');
SELECT is((SELECT array_agg((a->>'threshold_percent')::integer ORDER BY 1)
             FROM json_array_elements(api_coaching_budget_get(pg_temp.id('en_a3'))->'alerts') a),
          ARRAY[50, 75], 'alerts at 50 % and 75 %');

-- ---------------------------------------------------------------------------------------------
-- Effort log
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.act_as('u_a1');
SELECT is((api_effort_record(pg_temp.id('en_a1'), '2024-03-06', 240, 'policy')->>'week_start'),
          '2024-03-04', 'effort is recorded for the ISO week (Monday)');
SELECT is((api_effort_record(pg_temp.id('en_a1'), '2024-03-08', 300, NULL)->>'minutes'), '300',
          'recording the same week again replaces the entry');
SELECT is((api_effort_enrolment_totals(pg_temp.id('en_a1'), NULL, NULL)->>'total_hours'), '5.00',
          'totals per organisation: 5 hours');
SELECT throws_ok($$SELECT api_effort_record(pg_temp.id('en_a1'), current_date + 14, 60, NULL)$$,
                 'IC422', 'invalid_value', 'no effort for future weeks');
SELECT throws_ok($$SELECT api_effort_cluster_totals(pg_temp.id('cl_a'), NULL, NULL)$$, 'IC403', 'forbidden',
                 'cluster totals are for coordinators');
SELECT pg_temp.act_as('u_coach_a1');
SELECT throws_ok($$SELECT api_effort_record(pg_temp.id('en_a1'), '2024-03-06', 60, NULL)$$,
                 'IC403', 'forbidden', 'the coach reads the effort but does not record it');
SELECT pg_temp.act_as('u_coord_a');
SELECT is((api_effort_cluster_totals(pg_temp.id('cl_a'), NULL, NULL)->>'total_minutes'), '300',
          'the coordinator''s cluster total');
SELECT pg_temp.act_as('u_a2');
SELECT is((SELECT count(*)::integer FROM coaching_effort_entries), 0, 'another member sees no effort of a1');

RESET ROLE;
SELECT * FROM finish();
ROLLBACK;
