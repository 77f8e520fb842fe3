-- Authorization by role (migrations/0050_authz_roles.sql, 0051_authz_planning.sql): the role
-- functions, and every policy that asked for the kind of the caller's organisation, which now asks
-- for the caller's organisation role, cluster role or the capability to create clusters. Runs as
-- the superuser, which builds the fixture; every check runs as isms_app. Everything is rolled back.
BEGIN;
SET LOCAL search_path = isms, public;
SELECT plan(45);

CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
                       org text, role text, creator boolean DEFAULT false);
GRANT SELECT ON ids TO isms_app;
INSERT INTO ids (name, org, role, creator) VALUES
    ('coord_c', NULL, NULL, false), ('coord_d', NULL, NULL, false),
    ('org_m1', NULL, NULL, false), ('org_m2', NULL, NULL, false), ('org_n1', NULL, NULL, false),
    ('u_creator', 'coord_c', 'admin', true), ('u_trainer', 'coord_c', 'staff', false),
    ('u_cstaff', 'coord_c', 'staff', false), ('u_m_admin', 'org_m1', 'admin', false),
    ('u_m_staff', 'org_m1', 'staff', false), ('u_d_creator', 'coord_d', 'admin', true),
    ('cl', NULL, NULL, false);

CREATE FUNCTION pg_temp.id(p_name text) RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT id FROM pg_temp.ids WHERE name = p_name $$;
CREATE FUNCTION pg_temp.act_as(p_user text) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('app.user_id', pg_temp.id(p_user)::text, true),
           set_config('app.organisation_id',
                      pg_temp.id((SELECT org FROM pg_temp.ids WHERE name = p_user))::text, true);
$$;

INSERT INTO organisations (id, name, kind, created_by_organisation_id)
SELECT pg_temp.id(n), 'authz ' || n || ' ' || pg_temp.id(n), k, pg_temp.id(c)
  FROM (VALUES ('coord_c', 'coordinator', NULL), ('coord_d', 'coordinator', NULL),
               ('org_m1', 'member', 'coord_c'), ('org_m2', 'member', 'coord_c'),
               ('org_n1', 'member', 'coord_d')) AS v(n, k, c);
INSERT INTO users (id, organisation_id, email, display_name, password_changed_at, role,
                   may_create_clusters)
SELECT id, pg_temp.id(org), name || '.' || id || '@authz.example', name, now(), role, creator
  FROM ids WHERE name LIKE 'u\_%';
SELECT set_config('app.user_id', pg_temp.id('u_creator')::text, true);
INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date, target_end_date)
VALUES (pg_temp.id('cl'), 'authz cluster', pg_temp.id('coord_c'), 'LU', 'Europe/Luxembourg',
        '2025-01-01', '2025-12-31');
SELECT set_config('app.user_id', '', true);
INSERT INTO cluster_staff (cluster_id, user_id, role) VALUES (pg_temp.id('cl'), pg_temp.id('u_trainer'), 'trainer');
INSERT INTO enrolments (cluster_id, organisation_id, status) VALUES (pg_temp.id('cl'), pg_temp.id('org_m1'), 'admitted');

SELECT hasnt_function('isms', 'ctx_org_kind', 'nothing asks for the kind of the caller''s organisation');
SELECT ok(NOT has_function_privilege('isms_app', 'isms.planning_first_conflict(uuid, uuid, uuid, date, text, integer, uuid[], uuid[])', 'EXECUTE'),
          'the conflict helper stays the triggers'' own');
SELECT ok(org_has_active_admin(pg_temp.id('org_m1')), 'M1 has an active administrator');
SELECT ok(NOT org_has_active_admin(pg_temp.id('org_m2')), 'M2 has none');

SET LOCAL ROLE isms_app;

-- The cluster creator, coordinator of the cluster.
SELECT pg_temp.act_as('u_creator');
SELECT is(ctx_org_role(), 'admin', 'the creator administers its organisation');
SELECT ok(ctx_is_org_admin(pg_temp.id('coord_c')), 'ctx_is_org_admin: its own organisation');
SELECT ok(NOT ctx_is_org_admin(pg_temp.id('org_m1')), 'ctx_is_org_admin: not a member organisation');
SELECT ok(ctx_may_create_clusters(), 'the creator may create clusters');
SELECT is(ctx_cluster_roles(pg_temp.id('cl')), ARRAY['coordinator'], 'the creator coordinates the cluster');
SELECT ok(pg_temp.id('org_m1') = ANY (ctx_managed_orgs()) AND pg_temp.id('org_m2') = ANY (ctx_managed_orgs()),
          'the creator manages the enrolled organisation and the one its organisation created');
SELECT ok(NOT pg_temp.id('org_n1') = ANY (ctx_visible_orgs()), 'not another coordinator''s organisation');
SELECT ok(ctx_may_invite(pg_temp.id('org_m2'), 'admin'), 'the first administrator of M2');
SELECT ok(NOT ctx_may_invite(pg_temp.id('org_m2'), 'staff'), 'but no staff of M2');
SELECT ok(NOT ctx_may_invite(pg_temp.id('org_m1'), 'admin'), 'and nobody into M1, which has an administrator');
SELECT lives_ok($$INSERT INTO organisations (name, kind, created_by_organisation_id)
                  VALUES ('authz created ' || gen_random_uuid(), 'member', ctx_org())$$,
                'organisations app_insert: a cluster creator creates organisations');
SELECT lives_ok($$INSERT INTO users (organisation_id, pending_email, display_name, role)
                  VALUES (pg_temp.id('org_m2'), 'first@authz.example', 'First', 'admin')$$,
                'users app_insert: a coordinator invites the first administrator');
PREPARE creator_adds_staff AS INSERT INTO users (organisation_id, pending_email, display_name, role)
    VALUES (pg_temp.id('org_m1'), 'more@authz.example', 'More', 'admin');
SELECT throws_ok('creator_adds_staff', '42501', NULL, 'users app_insert: not once the organisation has an administrator');
WITH u AS (UPDATE users SET disabled = true WHERE id = pg_temp.id('u_m_staff') RETURNING 1)
SELECT is(count(*), 0::bigint, 'users app_update: the coordinator disables no member user') FROM u;
WITH u AS (UPDATE organisations SET sector = 'renamed by coordinator' WHERE id = pg_temp.id('org_m1') RETURNING 1)
SELECT is(count(*), 1::bigint, 'organisations app_update: the coordinator changes an enrolled organisation') FROM u;

-- A trainer who is staff of the coordinating organisation.
SELECT pg_temp.act_as('u_trainer');
SELECT is(ctx_org_role(), 'staff', 'the trainer is staff of its organisation');
SELECT ok(NOT ctx_may_create_clusters(), 'the trainer may not create clusters');
SELECT is(ctx_cluster_roles(pg_temp.id('cl')), ARRAY['trainer'], 'ctx_cluster_roles: trainer');
SELECT is(cardinality(ctx_managed_orgs()), 0, 'the trainer manages no organisation');
SELECT is((SELECT count(*) FROM organisations), 1::bigint,
          'organisations app_select: the trainer sees its own organisation only');
SELECT is((SELECT count(*) FROM users WHERE organisation_id = pg_temp.id('org_m1')), 0::bigint,
          'users app_select: the trainer sees no member user');
PREPARE trainer_creates_org AS INSERT INTO organisations (name, kind, created_by_organisation_id)
    VALUES ('authz by trainer', 'member', ctx_org());
SELECT throws_ok('trainer_creates_org', '42501', NULL, 'organisations app_insert: not a trainer');
PREPARE trainer_creates_cluster AS INSERT INTO clusters (name, coordinating_organisation_id, country,
    time_zone, start_date, target_end_date)
    VALUES ('authz by trainer', ctx_org(), 'LU', 'Europe/Luxembourg', '2025-01-01', '2025-06-30');
SELECT throws_ok('trainer_creates_cluster', '42501', NULL, 'clusters app_insert: not a trainer');
PREPARE trainer_invites_member AS INSERT INTO users (organisation_id, pending_email, display_name, role)
    VALUES (pg_temp.id('org_m1'), 'trainer-probe@authz.example', 'Probe', 'admin');
SELECT throws_ok('trainer_invites_member', '42501', NULL, 'users app_insert: a trainer joins no member organisation');
PREPARE trainer_invites_colleague AS INSERT INTO users (organisation_id, pending_email, display_name)
    VALUES (ctx_org(), 'trainer-colleague@authz.example', 'Probe');
SELECT throws_ok('trainer_invites_colleague', '42501', NULL, 'users app_insert: nor its own organisation');
WITH u AS (UPDATE users SET disabled = true WHERE id = pg_temp.id('u_creator') RETURNING 1)
SELECT is(count(*), 0::bigint, 'users app_update: the trainer disables nobody') FROM u;
WITH u AS (UPDATE organisations SET name = 'renamed by trainer' RETURNING 1)
SELECT is(count(*), 0::bigint, 'organisations app_update: the trainer renames no organisation') FROM u;

-- The member organisation's administrator and staff.
SELECT pg_temp.act_as('u_m_admin');
SELECT ok(ctx_is_org_admin(pg_temp.id('org_m1')), 'the member administrator administers M1');
SELECT ok(ctx_may_see_user(pg_temp.id('u_trainer')), 'a member sees the trainer of its cluster');
SELECT lives_ok($$INSERT INTO users (organisation_id, pending_email, display_name)
                  VALUES (pg_temp.id('org_m1'), 'new-staff@authz.example', 'New staff')$$,
                'users app_insert: the administrator invites staff');
WITH u AS (UPDATE users SET disabled = true WHERE id = pg_temp.id('u_m_staff') RETURNING 1)
SELECT is(count(*), 1::bigint, 'users app_update: the administrator disables its user') FROM u;
UPDATE users SET disabled = false WHERE id = pg_temp.id('u_m_staff');
WITH u AS (UPDATE organisations SET sector = 'own sector' WHERE id = pg_temp.id('org_m1') RETURNING 1)
SELECT is(count(*), 1::bigint, 'organisations app_update: the administrator changes its organisation') FROM u;

SELECT pg_temp.act_as('u_m_staff');
SELECT ok(NOT ctx_is_org_admin(pg_temp.id('org_m1')), 'staff does not administer M1');
WITH u AS (UPDATE users SET display_name = 'Staff renamed' WHERE id = pg_temp.id('u_m_staff') RETURNING 1)
SELECT is(count(*), 1::bigint, 'users app_update: staff renames itself') FROM u;
PREPARE staff_promotes_itself AS UPDATE users SET role = 'admin' WHERE id = pg_temp.id('u_m_staff');
SELECT throws_ok('staff_promotes_itself', '42501', NULL, 'users app_update: staff cannot make itself administrator');
WITH u AS (UPDATE users SET display_name = 'Admin renamed' WHERE id = pg_temp.id('u_m_admin') RETURNING 1)
SELECT is(count(*), 0::bigint, 'users app_update: staff renames no colleague') FROM u;
WITH u AS (UPDATE organisations SET sector = 'staff sector' RETURNING 1)
SELECT is(count(*), 0::bigint, 'organisations app_update: staff changes no organisation') FROM u;
PREPARE staff_invites AS INSERT INTO users (organisation_id, pending_email, display_name)
    VALUES (pg_temp.id('org_m1'), 'staff-probe@authz.example', 'Probe');
SELECT throws_ok('staff_invites', '42501', NULL, 'users app_insert: staff invites nobody');

-- Another coordinating organisation's creator.
SELECT pg_temp.act_as('u_d_creator');
SELECT ok(NOT ctx_may_see_user(pg_temp.id('u_trainer')), 'another tenant does not see the trainer');
SELECT ok(NOT pg_temp.id('org_m2') = ANY (ctx_managed_orgs()), 'nor manages the other creator''s organisations');
PREPARE other_invites AS INSERT INTO users (organisation_id, pending_email, display_name, role)
    VALUES (pg_temp.id('org_m2'), 'other@authz.example', 'Other', 'admin');
SELECT throws_ok('other_invites', '42501', NULL, 'users app_insert: not into another tenant''s organisation');

RESET ROLE;
SELECT * FROM finish();
ROLLBACK;
