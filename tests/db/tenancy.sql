-- Tenant isolation in the database itself (migrations/0002_tenancy.sql): the app role's flags,
-- row-level security on every table that has a tenant column (discovered from the catalogue), what
-- each role sees in a fixture of two clusters, and writes into another tenant refused. Runs as the
-- superuser, which builds the fixture; every check runs as isms_app with the identity set the way
-- isms.auth_session() sets it. Everything is rolled back.
BEGIN;
SET LOCAL search_path = isms, public;
SELECT plan(105);

-- ---------------------------------------------------------------------------------------------
-- Fixture: names for ids, and how to act as one of the users
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                       org text);
GRANT SELECT ON ids TO isms_app;
INSERT INTO ids (name, org) VALUES
    ('coord_a', NULL), ('coord_b', NULL), ('consult_a', NULL), ('consult_b', NULL),
    ('org_a1', NULL), ('org_a2', NULL), ('org_a3', NULL),
    ('org_b1', NULL), ('org_b2', NULL), ('org_b3', NULL),
    ('u_coord_a', 'coord_a'), ('u_coord_b', 'coord_b'),
    ('u_coach_a1', 'consult_a'), ('u_coach_a2', 'consult_a'), ('u_coach_b1', 'consult_b'),
    ('u_a1', 'org_a1'), ('u_a1_colleague', 'org_a1'), ('u_a2', 'org_a2'), ('u_b1', 'org_b1'),
    ('cl_a', NULL), ('cl_b', NULL),
    ('en_a1', NULL), ('en_a2', NULL), ('en_a3', NULL), ('en_b1', NULL), ('en_b2', NULL),
    ('en_b3', NULL), ('ca_a1', NULL), ('ca_b1', NULL);

CREATE FUNCTION pg_temp.id(p_name text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM pg_temp.ids WHERE name = p_name $$;
-- The fixture name of an id, or the id itself for a row that is not part of the fixture.
CREATE FUNCTION pg_temp.nm(p_id uuid) RETURNS text LANGUAGE sql STABLE
    AS $$ SELECT coalesce((SELECT name FROM pg_temp.ids WHERE id = p_id), p_id::text) $$;
-- Acts as a user: what auth_session() sets after validating a token.
CREATE FUNCTION pg_temp.act_as(p_user text) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('app.user_id', pg_temp.id(p_user)::text, true),
           set_config('app.organisation_id',
                      pg_temp.id((SELECT org FROM pg_temp.ids WHERE name = p_user))::text, true);
$$;
CREATE FUNCTION pg_temp.no_identity() RETURNS void LANGUAGE sql AS $$
    SELECT set_config('app.user_id', '', true), set_config('app.organisation_id', '', true),
           set_config('app.session_id', '', true);
$$;
-- Rows of a table the current role sees; -1 when it may not read the table at all.
CREATE FUNCTION pg_temp.visible_rows(p_table regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', p_table) INTO n;
    RETURN n;
EXCEPTION WHEN insufficient_privilege THEN
    RETURN -1;
END $$;
-- Tables of schema isms with a tenant column: cluster_id, enrolment_id or any *organisation_id
-- (which also finds the tenant roots, organisations and clusters, by their
-- created_by_organisation_id and coordinating_organisation_id).
CREATE FUNCTION pg_temp.tenant_tables() RETURNS SETOF regclass LANGUAGE sql STABLE AS $$
    SELECT DISTINCT c.oid::regclass
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND NOT a.attisdropped AND a.attnum > 0
     WHERE n.nspname = 'isms' AND c.relkind IN ('r', 'p')
       AND (a.attname IN ('cluster_id', 'enrolment_id') OR a.attname LIKE '%organisation\_id')
$$;
-- Hex SHA-256 of a session token, as the server stores it.
CREATE FUNCTION pg_temp.token_hash(p_token text) RETURNS text LANGUAGE sql IMMUTABLE
    AS $$ SELECT encode(sha256(convert_to(p_token, 'UTF8')), 'hex') $$;

INSERT INTO organisations (id, name, kind, employee_count, created_by_organisation_id)
SELECT pg_temp.id(n), 'pgtap ' || n || ' ' || pg_temp.id(n), k, e, pg_temp.id(c)
  FROM (VALUES ('coord_a', 'coordinator', NULL, NULL), ('coord_b', 'coordinator', NULL, NULL),
               ('consult_a', 'consultancy', NULL, 'coord_a'), ('consult_b', 'consultancy', NULL, 'coord_b'),
               ('org_a1', 'member', 40, 'coord_a'), ('org_a2', 'member', 90, 'coord_a'),
               ('org_a3', 'member', 12, 'coord_a'), ('org_b1', 'member', 30, 'coord_b'),
               ('org_b2', 'member', 60, 'coord_b'), ('org_b3', 'member', 200, 'coord_b'))
       AS v(n, k, e, c);
INSERT INTO users (id, organisation_id, email, display_name, password_hash, password_changed_at)
SELECT id, pg_temp.id(org), name || '.' || id || '@pgtap.example', name, 'not-a-hash', now()
  FROM ids WHERE name LIKE 'u\_%';

-- The creator of a cluster becomes its coordinator (trigger), so create each as its coordinator.
SELECT set_config('app.user_id', pg_temp.id('u_coord_a')::text, true);
INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date, target_end_date)
VALUES (pg_temp.id('cl_a'), 'pgtap cluster A', pg_temp.id('coord_a'), 'LU', 'Europe/Luxembourg',
        '2025-01-01', '2025-12-31');
SELECT set_config('app.user_id', pg_temp.id('u_coord_b')::text, true);
INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date, target_end_date)
VALUES (pg_temp.id('cl_b'), 'pgtap cluster B', pg_temp.id('coord_b'), 'BE', 'Europe/Brussels',
        '2025-02-01', '2025-12-31');
SELECT pg_temp.no_identity();

INSERT INTO cluster_staff (cluster_id, user_id, role)
VALUES (pg_temp.id('cl_a'), pg_temp.id('u_coach_a1'), 'coach'),
       (pg_temp.id('cl_a'), pg_temp.id('u_coach_a2'), 'coach'),
       (pg_temp.id('cl_b'), pg_temp.id('u_coach_b1'), 'coach');
INSERT INTO enrolments (id, cluster_id, organisation_id, status, employee_count)
SELECT pg_temp.id('en_' || s), pg_temp.id('cl_' || left(s, 1)), pg_temp.id('org_' || s),
       CASE WHEN s LIKE '%1' THEN 'admitted' ELSE 'applied' END, 10
  FROM unnest(ARRAY['a1', 'a2', 'a3', 'b1', 'b2', 'b3']) AS s;
INSERT INTO coach_assignments (id, cluster_id, organisation_id, enrolment_id, coach_user_id)
VALUES (pg_temp.id('ca_a1'), pg_temp.id('cl_a'), pg_temp.id('org_a1'), pg_temp.id('en_a1'), pg_temp.id('u_coach_a1')),
       (pg_temp.id('ca_b1'), pg_temp.id('cl_b'), pg_temp.id('org_b1'), pg_temp.id('en_b1'), pg_temp.id('u_coach_b1'));
INSERT INTO audit_events (action, entity_type, cluster_id, organisation_id)
VALUES ('ev_cl_a', 'test', pg_temp.id('cl_a'), NULL),
       ('ev_org_a1', 'test', pg_temp.id('cl_a'), pg_temp.id('org_a1')),
       ('ev_org_a2', 'test', NULL, pg_temp.id('org_a2')),
       ('ev_consult_a', 'test', NULL, pg_temp.id('consult_a')),
       ('ev_cl_b', 'test', pg_temp.id('cl_b'), NULL),
       ('ev_org_b1', 'test', pg_temp.id('cl_b'), pg_temp.id('org_b1'));
-- An action of coordinator A outside any cluster and organisation (e.g. creating an organisation
-- before enrolling it): only its actor sees it.
INSERT INTO audit_events (action, entity_type, user_id) VALUES ('ev_by_coord_a', 'test', pg_temp.id('u_coord_a'));
INSERT INTO sessions (user_id, organisation_id, token_hash, expires_at, idle_seconds, last_used_at, revoked_at)
SELECT pg_temp.id(u), pg_temp.id(o), pg_temp.token_hash(t), now() + e, i, now() - l, r
  FROM (VALUES ('u_a1', 'org_a1', 'pgtap-token-a1', interval '1 hour', 3600, interval '0', NULL::timestamptz),
               ('u_b1', 'org_b1', 'pgtap-token-b1', interval '1 hour', 3600, interval '0', NULL),
               ('u_a2', 'org_a2', 'pgtap-token-expired', interval '-1 second', 3600, interval '0', NULL),
               ('u_a2', 'org_a2', 'pgtap-token-revoked', interval '1 hour', 3600, interval '0', now()),
               ('u_a2', 'org_a2', 'pgtap-token-idle', interval '1 hour', 600, interval '601 seconds', NULL),
               ('u_a2', 'org_a2', 'pgtap-token-short-idle', interval '1 hour', 60, interval '45 seconds', NULL),
               ('u_a1_colleague', 'org_a1', 'pgtap-token-disabled', interval '1 hour', 3600, interval '0', NULL))
       AS v(u, o, t, e, i, l, r);
UPDATE users SET disabled = true WHERE id = pg_temp.id('u_a1_colleague');
INSERT INTO invitations (user_id, organisation_id, token_hash, expires_at)
VALUES (pg_temp.id('u_a2'), pg_temp.id('org_a2'), pg_temp.token_hash('pgtap-invitation'), now() + interval '1 day');

-- ---------------------------------------------------------------------------------------------
-- Roles
-- ---------------------------------------------------------------------------------------------
SELECT isnt_superuser('isms_app', 'the app role is not a superuser');
SELECT ok(NOT rolbypassrls AND NOT rolcreaterole AND NOT rolcreatedb AND rolcanlogin,
          'the app role logs in, cannot bypass RLS, create roles or databases')
  FROM pg_roles WHERE rolname = 'isms_app';
SELECT ok(NOT rolsuper AND NOT rolbypassrls AND NOT rolcanlogin,
          'the owner role is no superuser, cannot bypass RLS and cannot log in')
  FROM pg_roles WHERE rolname = 'isms_owner';
SELECT is((SELECT array_agg(r.rolname::text ORDER BY r.rolname) FROM pg_roles r
            WHERE r.rolname <> 'isms_app' AND pg_has_role('isms_app', r.oid, 'MEMBER')),
          NULL, 'the app role is a member of no other role');
SELECT is((SELECT count(*) FROM pg_class WHERE relowner = 'isms_app'::regrole)
          + (SELECT count(*) FROM pg_proc WHERE proowner = 'isms_app'::regrole)
          + (SELECT count(*) FROM pg_namespace WHERE nspowner = 'isms_app'::regrole)
          + (SELECT count(*) FROM pg_type WHERE typowner = 'isms_app'::regrole),
          0::bigint, 'the app role owns no relation, function, schema or type');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'isms' AND c.relowner <> 'isms_owner'::regrole),
          NULL, 'the owner role owns every relation of schema isms');

-- ---------------------------------------------------------------------------------------------
-- Row-level security on every table with a tenant column, discovered from the catalogue
-- ---------------------------------------------------------------------------------------------
SELECT ok(ARRAY['isms.organisations', 'isms.users', 'isms.clusters', 'isms.enrolments',
                'isms.cluster_staff', 'isms.coach_assignments', 'isms.sessions', 'isms.invitations',
                'isms.audit_events']::regclass[] <@ ARRAY(SELECT pg_temp.tenant_tables()),
          'the discovery finds every tenancy table');
SELECT is((SELECT array_agg(t::text ORDER BY t::text) FROM pg_temp.tenant_tables() AS t
             JOIN pg_class c ON c.oid = t WHERE NOT c.relrowsecurity),
          NULL, 'every table with cluster_id or organisation_id has ROW LEVEL SECURITY enabled');
SELECT is((SELECT array_agg(t::text ORDER BY t::text) FROM pg_temp.tenant_tables() AS t
             JOIN pg_class c ON c.oid = t WHERE NOT c.relforcerowsecurity),
          NULL, 'every table with cluster_id or organisation_id FORCEs row level security');
SELECT is((SELECT array_agg(c.relname::text ORDER BY c.relname) FROM pg_class c
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'isms' AND c.relkind IN ('v', 'm')
              AND has_table_privilege('isms_app', c.oid, 'SELECT')
              AND NOT coalesce(c.reloptions @> ARRAY['security_invoker=true'], false)),
          NULL, 'every view the app role reads is security_invoker (RLS applies through it)');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'isms' AND p.prosecdef
              AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) AS c WHERE c LIKE 'search_path=%')),
          NULL, 'every SECURITY DEFINER function pins its search_path');
SELECT is((SELECT array_agg(p.oid::regprocedure::text ORDER BY 1) FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'isms' AND has_function_privilege('public', p.oid, 'EXECUTE')),
          NULL, 'no function of schema isms is executable by PUBLIC');

-- Fixture sanity: the tables below hold rows, so the zero counts that follow mean something.
SELECT is((SELECT array_agg(t ORDER BY t) FROM unnest(ARRAY['organisations', 'users', 'clusters',
              'enrolments', 'cluster_staff', 'coach_assignments', 'sessions', 'invitations',
              'audit_events']) AS t WHERE pg_temp.visible_rows(('isms.' || t)::regclass) = 0),
          NULL, 'the fixture fills every tenancy table');

SET ROLE isms_app;
SELECT pg_temp.no_identity();
SELECT is((SELECT array_agg(t::text || '=' || pg_temp.visible_rows(t) ORDER BY t::text)
             FROM pg_temp.tenant_tables() AS t WHERE pg_temp.visible_rows(t) > 0),
          NULL, 'without an identity the app role sees no row of any tenant table');
SELECT is(pg_temp.visible_rows('isms.users_public'), 0::bigint, 'without an identity: no user through the view');
RESET ROLE;
-- Settings that were never set in the session behave like empty ones.
SELECT set_config('app.user_id', NULL, true), set_config('app.organisation_id', NULL, true);
SET ROLE isms_app;
SELECT is((SELECT count(*) FROM enrolments) + (SELECT count(*) FROM organisations)
          + (SELECT count(*) FROM clusters), 0::bigint, 'with reset identity settings: nothing either');

-- ---------------------------------------------------------------------------------------------
-- Who sees what
-- ---------------------------------------------------------------------------------------------
-- Coordinator of cluster A.
SELECT pg_temp.act_as('u_coord_a');
SELECT set_eq('SELECT pg_temp.nm(id) FROM clusters', ARRAY['cl_a'], 'coordinator A: clusters');
SELECT set_eq('SELECT pg_temp.nm(id) FROM enrolments', ARRAY['en_a1', 'en_a2', 'en_a3'],
              'coordinator A: every enrolment of A, none of B');
SELECT set_eq('SELECT pg_temp.nm(id) FROM organisations',
              ARRAY['coord_a', 'consult_a', 'org_a1', 'org_a2', 'org_a3'], 'coordinator A: organisations');
SELECT set_eq('SELECT pg_temp.nm(id) FROM users',
              ARRAY['u_coord_a', 'u_coach_a1', 'u_coach_a2', 'u_a1', 'u_a1_colleague', 'u_a2'],
              'coordinator A: users of its organisations');
SELECT set_eq('SELECT pg_temp.nm(id) FROM users_public',
              ARRAY['u_coord_a', 'u_coach_a1', 'u_coach_a2', 'u_a1', 'u_a1_colleague', 'u_a2'],
              'coordinator A: the same users through users_public');
SELECT set_eq('SELECT pg_temp.nm(user_id) || ''/'' || role FROM cluster_staff',
              ARRAY['u_coord_a/coordinator', 'u_coach_a1/coach', 'u_coach_a2/coach'], 'coordinator A: staff of A');
SELECT set_eq('SELECT pg_temp.nm(id) FROM coach_assignments', ARRAY['ca_a1'], 'coordinator A: coach assignments of A');
SELECT set_eq('SELECT action FROM audit_events', ARRAY['ev_cl_a', 'ev_org_a1', 'ev_by_coord_a'],
              'coordinator A: audit events of its cluster and of its own actions');
SELECT is(cluster_admitted_count(pg_temp.id('cl_b')), 0, 'coordinator A: cluster B''s size is not revealed');
SELECT is(cluster_admitted_count(pg_temp.id('cl_a')), 1, 'coordinator A: cluster A''s size');

-- Coordinator of cluster B: nothing of A.
SELECT pg_temp.act_as('u_coord_b');
SELECT set_eq('SELECT pg_temp.nm(id) FROM enrolments', ARRAY['en_b1', 'en_b2', 'en_b3'], 'coordinator B: enrolments of B');
SELECT set_eq('SELECT pg_temp.nm(id) FROM clusters', ARRAY['cl_b'], 'coordinator B: clusters');
SELECT set_eq('SELECT pg_temp.nm(id) FROM organisations',
              ARRAY['coord_b', 'consult_b', 'org_b1', 'org_b2', 'org_b3'], 'coordinator B: organisations');
SELECT is((SELECT count(*) FROM (
              SELECT id FROM organisations UNION ALL SELECT id FROM users_public
              UNION ALL SELECT id FROM clusters UNION ALL SELECT id FROM enrolments
              UNION ALL SELECT cluster_id FROM cluster_staff UNION ALL SELECT id FROM coach_assignments
              UNION ALL SELECT coalesce(cluster_id, organisation_id) FROM audit_events) AS v(id)
            WHERE pg_temp.nm(id) ~ '(_a[0-9]?|_a_|^cl_a|coord_a|consult_a)'),
          0::bigint, 'coordinator B: no row of cluster A anywhere');

-- Member staff of organisation A1.
SELECT pg_temp.act_as('u_a1');
SELECT set_eq('SELECT pg_temp.nm(id) FROM organisations', ARRAY['org_a1'], 'member A1: its own organisation only');
SELECT set_eq('SELECT pg_temp.nm(id) FROM enrolments', ARRAY['en_a1'], 'member A1: its own enrolment only');
SELECT set_eq('SELECT pg_temp.nm(id) FROM clusters', ARRAY['cl_a'], 'member A1: the cluster it is enrolled in');
SELECT set_eq('SELECT pg_temp.nm(id) FROM users_public', ARRAY['u_a1', 'u_a1_colleague'], 'member A1: its colleagues');
SELECT set_eq('SELECT pg_temp.nm(user_id) FROM cluster_staff', ARRAY['u_coord_a', 'u_coach_a1', 'u_coach_a2'],
              'member A1: the staff of its cluster (shared rows)');
SELECT set_eq('SELECT pg_temp.nm(id) FROM coach_assignments', ARRAY['ca_a1'], 'member A1: its own coach assignment');
SELECT set_eq('SELECT action FROM audit_events', ARRAY['ev_org_a1'], 'member A1: its own organisation''s events');
SELECT is(cluster_admitted_count(pg_temp.id('cl_a')), 1, 'member A1: the size of its cluster');

-- Member staff of organisation A2: the same cluster, another organisation.
SELECT pg_temp.act_as('u_a2');
SELECT set_eq('SELECT pg_temp.nm(id) FROM enrolments', ARRAY['en_a2'], 'member A2: its own enrolment only');
SELECT set_eq('SELECT pg_temp.nm(id) FROM organisations', ARRAY['org_a2'], 'member A2: its own organisation only');
SELECT is_empty('SELECT 1 FROM coach_assignments', 'member A2: no coach assignment of A1');
SELECT set_eq('SELECT action FROM audit_events', ARRAY['ev_org_a2'], 'member A2: its own events only');

-- Coach of enrolment A1.
SELECT pg_temp.act_as('u_coach_a1');
SELECT set_eq('SELECT pg_temp.nm(id) FROM enrolments', ARRAY['en_a1'], 'coach A1: the enrolment assigned to it');
SELECT set_eq('SELECT pg_temp.nm(id) FROM organisations', ARRAY['consult_a', 'org_a1'],
              'coach A1: its organisation and the one it coaches');
SELECT set_eq('SELECT pg_temp.nm(id) FROM clusters', ARRAY['cl_a'], 'coach A1: the cluster it staffs');
SELECT set_eq('SELECT pg_temp.nm(id) FROM coach_assignments', ARRAY['ca_a1'], 'coach A1: its assignment');
SELECT set_eq('SELECT action FROM audit_events', ARRAY['ev_consult_a'], 'coach A1: its own organisation''s events only');

-- Coach of cluster A without an assignment.
SELECT pg_temp.act_as('u_coach_a2');
SELECT is_empty('SELECT 1 FROM enrolments', 'coach A2 (not assigned): no enrolment');
SELECT is_empty('SELECT 1 FROM coach_assignments', 'coach A2 (not assigned): no assignment');
SELECT set_eq('SELECT pg_temp.nm(id) FROM organisations', ARRAY['consult_a'], 'coach A2: its own organisation only');
SELECT set_eq('SELECT pg_temp.nm(id) FROM users_public', ARRAY['u_coach_a1', 'u_coach_a2'], 'coach A2: its colleagues only');

-- A session of A1 is an identity that reaches exactly A1's rows.
SELECT pg_temp.no_identity();
SELECT is(auth_session(pg_temp.token_hash('pgtap-token-a1')), pg_temp.id('u_a1'), 'auth_session returns the session''s user');
SELECT set_eq('SELECT pg_temp.nm(id) FROM enrolments', ARRAY['en_a1'], 'after auth_session: A1''s enrolment only');

-- ---------------------------------------------------------------------------------------------
-- Writes into another tenant are refused
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.act_as('u_coord_a');
PREPARE enrol_into_b AS INSERT INTO enrolments (cluster_id, organisation_id)
    VALUES (pg_temp.id('cl_b'), pg_temp.id('org_a2'));
SELECT throws_ok('enrol_into_b', '42501', NULL, 'coordinator A cannot create an enrolment in cluster B');
PREPARE enrol_foreign_org AS INSERT INTO enrolments (cluster_id, organisation_id)
    VALUES (pg_temp.id('cl_a'), pg_temp.id('org_b2'));
SELECT throws_ok('enrol_foreign_org', '42501', NULL, 'coordinator A cannot enrol an organisation of B');
PREPARE move_enrolment AS UPDATE enrolments SET cluster_id = pg_temp.id('cl_b') WHERE id = pg_temp.id('en_a2');
SELECT throws_ok('move_enrolment', '42501', NULL, 'coordinator A cannot move an enrolment into cluster B');
WITH u AS (UPDATE enrolments SET status = 'withdrawn' WHERE cluster_id = pg_temp.id('cl_b') RETURNING 1)
SELECT is(count(*), 0::bigint, 'coordinator A updates no enrolment of B') FROM u;
PREPARE staff_into_b AS INSERT INTO cluster_staff (cluster_id, user_id, role)
    VALUES (pg_temp.id('cl_b'), pg_temp.id('u_coord_a'), 'coordinator');
SELECT throws_ok('staff_into_b', '42501', NULL, 'coordinator A cannot make itself coordinator of B');
PREPARE assign_in_b AS INSERT INTO coach_assignments (cluster_id, organisation_id, enrolment_id, coach_user_id)
    VALUES (pg_temp.id('cl_b'), pg_temp.id('org_b2'), pg_temp.id('en_b2'), pg_temp.id('u_coach_b1'));
SELECT throws_ok('assign_in_b', '42501', NULL, 'coordinator A cannot assign coaches in B');
WITH d AS (DELETE FROM cluster_staff WHERE cluster_id = pg_temp.id('cl_b') RETURNING 1)
SELECT is(count(*), 0::bigint, 'coordinator A deletes no staff of B') FROM d;
WITH d AS (DELETE FROM coach_assignments WHERE cluster_id = pg_temp.id('cl_b') RETURNING 1)
SELECT is(count(*), 0::bigint, 'coordinator A deletes no coach assignment of B') FROM d;
PREPARE cluster_for_b AS INSERT INTO clusters (name, coordinating_organisation_id, country, time_zone, start_date, target_end_date)
    VALUES ('x', pg_temp.id('coord_b'), 'LU', 'UTC', '2025-01-01', '2025-02-01');
SELECT throws_ok('cluster_for_b', '42501', NULL, 'coordinator A cannot create a cluster for organisation B');
PREPARE org_for_b AS INSERT INTO organisations (name, kind, created_by_organisation_id)
    VALUES ('pgtap forged', 'member', pg_temp.id('coord_b'));
SELECT throws_ok('org_for_b', '42501', NULL, 'coordinator A cannot create an organisation on behalf of B');
PREPARE user_into_b AS INSERT INTO users (organisation_id, email, display_name)
    VALUES (pg_temp.id('org_b1'), 'forged@pgtap.example', 'forged');
SELECT throws_ok('user_into_b', '42501', NULL, 'coordinator A cannot add a user to an organisation of B');
WITH u AS (UPDATE organisations SET name = 'hijacked' WHERE id = pg_temp.id('org_b1') RETURNING 1)
SELECT is(count(*), 0::bigint, 'coordinator A cannot rename an organisation of B') FROM u;
WITH u AS (UPDATE users SET disabled = true WHERE id = pg_temp.id('u_b1') RETURNING 1)
SELECT is(count(*), 0::bigint, 'coordinator A cannot disable a user of B') FROM u;
WITH u AS (UPDATE clusters SET name = 'hijacked' WHERE id = pg_temp.id('cl_b') RETURNING 1)
SELECT is(count(*), 0::bigint, 'coordinator A cannot change cluster B') FROM u;
PREPARE move_cluster AS UPDATE clusters SET id = pg_temp.id('cl_b') WHERE id = pg_temp.id('cl_a');
SELECT throws_ok('move_cluster', '42501', NULL, 'coordinator A cannot turn its cluster into B');

SELECT pg_temp.act_as('u_a1');
WITH u AS (UPDATE organisations SET name = 'hijacked' WHERE id = pg_temp.id('org_a2') RETURNING 1)
SELECT is(count(*), 0::bigint, 'member A1 cannot update organisation A2') FROM u;
WITH u AS (UPDATE organisations SET name = 'hijacked' WHERE id <> pg_temp.id('org_a1') RETURNING 1)
SELECT is(count(*), 0::bigint, 'member A1 updates no organisation but its own') FROM u;
WITH u AS (UPDATE enrolments SET status = 'admitted' WHERE id = pg_temp.id('en_a1') RETURNING 1)
SELECT is(count(*), 0::bigint, 'member A1 cannot change its own enrolment') FROM u;
WITH u AS (UPDATE users SET display_name = 'renamed' WHERE id = pg_temp.id('u_a1_colleague') RETURNING 1)
SELECT is(count(*), 0::bigint, 'member A1 cannot rename a colleague') FROM u;
PREPARE member_enrols AS INSERT INTO enrolments (cluster_id, organisation_id)
    VALUES (pg_temp.id('cl_b'), pg_temp.id('org_a1'));
SELECT throws_ok('member_enrols', '42501', NULL, 'member A1 cannot enrol itself in cluster B');
PREPARE member_adds_user AS INSERT INTO users (organisation_id, email, display_name)
    VALUES (pg_temp.id('org_a1'), 'colleague2@pgtap.example', 'c2');
SELECT throws_ok('member_adds_user', '42501', NULL, 'member staff cannot create users');
-- A1 is staff of its organisation (not its administrator): it changes no organisation at all.
WITH u AS (UPDATE organisations SET id = pg_temp.id('org_a2') WHERE id = pg_temp.id('org_a1') RETURNING 1)
SELECT is(count(*), 0::bigint, 'member A1 cannot turn its organisation into A2') FROM u;

SELECT pg_temp.act_as('u_coach_a1');
WITH u AS (UPDATE enrolments SET human_resources_confirmed = true WHERE id = pg_temp.id('en_a1') RETURNING 1)
SELECT is(count(*), 0::bigint, 'a coach cannot change the enrolment it coaches') FROM u;
WITH d AS (DELETE FROM coach_assignments RETURNING 1)
SELECT is(count(*), 0::bigint, 'a coach cannot remove its own assignment') FROM d;

-- What the app role may never touch directly.
PREPARE read_hashes AS SELECT password_hash FROM users;
SELECT throws_ok('read_hashes', '42501', NULL, 'the app role cannot read password hashes');
PREPARE read_sessions AS SELECT * FROM sessions;
SELECT throws_ok('read_sessions', '42501', NULL, 'the app role cannot read sessions');
PREPARE read_invitations AS SELECT * FROM invitations;
SELECT throws_ok('read_invitations', '42501', NULL, 'the app role cannot read invitations');
PREPARE forge_audit AS INSERT INTO audit_events (action, entity_type, cluster_id) VALUES ('forged', 'x', pg_temp.id('cl_a'));
SELECT throws_ok('forge_audit', '42501', NULL, 'the app role cannot write audit events directly');
PREPARE erase_audit AS DELETE FROM audit_events;
SELECT throws_ok('erase_audit', '42501', NULL, 'the app role cannot erase audit events');
PREPARE change_org_of_user AS UPDATE users SET organisation_id = pg_temp.id('org_a2') WHERE id = pg_temp.id('u_coach_a1');
SELECT throws_ok('change_org_of_user', '42501', NULL, 'the app role cannot move a user to another organisation');

-- ---------------------------------------------------------------------------------------------
-- Sessions, invitations and throttling (the SECURITY DEFINER functions)
-- ---------------------------------------------------------------------------------------------
SELECT pg_temp.no_identity();
SELECT throws_ok($$SELECT auth_session(pg_temp.token_hash('no-such-token'))$$, 'IC401', 'unauthenticated',
                 'an unknown token does not authenticate');
SELECT throws_ok($$SELECT auth_session(pg_temp.token_hash('pgtap-token-expired'))$$, 'IC401', 'unauthenticated',
                 'an expired session does not authenticate');
SELECT throws_ok($$SELECT auth_session(pg_temp.token_hash('pgtap-token-revoked'))$$, 'IC401', 'unauthenticated',
                 'a revoked session does not authenticate');
SELECT throws_ok($$SELECT auth_session(pg_temp.token_hash('pgtap-token-idle'))$$, 'IC401', 'unauthenticated',
                 'an idle session does not authenticate');
SELECT throws_ok($$SELECT auth_session(pg_temp.token_hash('pgtap-token-disabled'))$$, 'IC401', 'unauthenticated',
                 'a disabled user''s session does not authenticate');
SELECT throws_ok($$SELECT auth_session(upper(pg_temp.token_hash('pgtap-token-a1')))$$, 'IC401', 'unauthenticated',
                 'only the exact hash authenticates');
SELECT is(nullif(current_setting('app.user_id', true), ''), NULL, 'a failed authentication sets no identity');
SELECT is(auth_session(pg_temp.token_hash('pgtap-token-short-idle')), pg_temp.id('u_a2'),
          'a session used 45 s ago with a 60 s idle limit authenticates');
RESET ROLE;
SELECT cmp_ok((SELECT last_used_at + make_interval(secs => idle_seconds) - now() FROM sessions
                WHERE token_hash = pg_temp.token_hash('pgtap-token-short-idle')),
              '>=', interval '30 seconds', 'using a session keeps it alive for at least half its idle limit');
SET ROLE isms_app;

SELECT pg_temp.act_as('u_coord_a');
SELECT throws_ok(format('SELECT auth_create_invitation(%L, %L, 60)', pg_temp.id('u_b1'), pg_temp.token_hash('x')),
                 'IC404', 'not_found', 'coordinator A cannot invite a user of B');
SELECT lives_ok(format('SELECT auth_revoke_user_sessions(%L)', pg_temp.id('u_b1')),
                'revoking a foreign user''s sessions runs');
RESET ROLE;
SELECT is((SELECT revoked_at FROM sessions WHERE token_hash = pg_temp.token_hash('pgtap-token-b1')), NULL,
          '... and revokes nothing');
SET ROLE isms_app;
SELECT pg_temp.no_identity();
SELECT is((auth_accept_invitation(pg_temp.token_hash('pgtap-invitation'), 'new-hash')->>'user_id')::uuid,
          pg_temp.id('u_a2'), 'an invitation is accepted once');
SELECT throws_ok($$SELECT auth_accept_invitation(pg_temp.token_hash('pgtap-invitation'), 'other-hash')$$,
                 'IC410', 'invitation_invalid', '... and not twice');

-- Throttling: per account at the limit, per client address at four times the limit.
RESET ROLE;
DELETE FROM login_failures WHERE client_addr IN ('192.0.2.1', '192.0.2.2');
INSERT INTO login_failures (email, client_addr, at)
SELECT 'victim@pgtap.example', '192.0.2.1', now() - interval '10 minutes' FROM generate_series(1, 3);
SET ROLE isms_app;
SELECT cmp_ok((auth_login_lookup('Victim@pgtap.example', '192.0.2.9', 3, 900)->>'retry_after')::int, '>', 0,
              'an account with 3 failures is throttled from any address (max 3)');
SELECT is((auth_login_lookup('other@pgtap.example', '192.0.2.1', 3, 900)->>'retry_after')::int, 0,
          'the address of 3 failures is not throttled for another account (address limit 12)');
SELECT is((auth_login_lookup('victim@pgtap.example', '192.0.2.9', 3, 300)->>'retry_after')::int, 0,
          'failures older than the window do not count');
RESET ROLE;
INSERT INTO login_failures (email, client_addr)
SELECT 'sprayed' || i || '@pgtap.example', '192.0.2.2' FROM generate_series(1, 12) AS i;
SET ROLE isms_app;
SELECT cmp_ok((auth_login_lookup('fresh@pgtap.example', '192.0.2.2', 3, 900)->>'retry_after')::int, '>', 0,
              'an address with 12 failures over many accounts is throttled (max 3 x 4)');
SELECT is(auth_login_lookup('u_a1.' || pg_temp.id('u_a1') || '@pgtap.example', '192.0.2.9', 3, 900)->>'password_hash',
          'not-a-hash', 'the login lookup finds a known user');
SELECT is(auth_login_lookup('nobody@pgtap.example', '192.0.2.9', 3, 900)->>'user_id', NULL,
          'the login lookup of an unknown user finds nothing');

-- ---------------------------------------------------------------------------------------------
-- The audit trail is append-only, for the owner too
-- ---------------------------------------------------------------------------------------------
RESET ROLE;
SET ROLE isms_owner;
SELECT throws_ok($$UPDATE isms.audit_events SET action = 'rewritten'$$, 'P0001', 'audit events are append-only',
                 'the owner cannot rewrite audit events');
SELECT throws_ok($$DELETE FROM isms.audit_events$$, 'P0001', 'audit events are append-only',
                 'the owner cannot delete audit events');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
