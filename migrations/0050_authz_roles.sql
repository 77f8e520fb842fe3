-- Roles of people instead of kinds of organisations. An organisation has its own roles (`admin`
-- manages its users, `staff` works in it); a cluster has its roles (cluster_staff: coordinator,
-- coach, trainer); the operator's `isms-cluster admin create-coordinator` grants the capability
-- to create clusters and the organisations to enrol in them (users.may_create_clusters). Every
-- check below asks for one of these, never for the kind of the caller's organisation.
--
-- Member organisations own their people: a coordinator invites an organisation's first
-- administrator (while it has no active one) and may then only ask for a new administrator; the
-- organisation's administrators add, disable, re-invite and promote its users.
--
-- An invitation reserves no e-mail address: the invited user keeps the address in pending_email
-- (unique within the organisation only) until accepting, when it becomes the login address. So
-- inviting an address that belongs to another tenant answers exactly like any other invitation.

ALTER TABLE users ADD COLUMN role text NOT NULL DEFAULT 'staff' CHECK (role IN ('admin', 'staff'));
ALTER TABLE users ADD COLUMN may_create_clusters boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN pending_email text
    CHECK (pending_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(pending_email) <= 254);
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users ADD CONSTRAINT users_some_email CHECK (email IS NOT NULL OR pending_email IS NOT NULL);
CREATE UNIQUE INDEX users_pending_email_key ON users (organisation_id, lower(pending_email));

-- Existing installations: the operator's coordinators and every cluster coordinator keep the
-- capability to create clusters; the earliest active user of each organisation administers it.
UPDATE users SET may_create_clusters = true
 WHERE id IN (SELECT user_id FROM cluster_staff WHERE role = 'coordinator')
    OR id IN (SELECT entity_id FROM audit_events WHERE action = 'coordinator_create');
UPDATE users SET role = 'admin'
 WHERE id IN (SELECT DISTINCT ON (organisation_id) id FROM users
               WHERE NOT disabled AND password_changed_at IS NOT NULL
               ORDER BY organisation_id, created_at, id);

CREATE OR REPLACE VIEW users_public WITH (security_invoker = true) AS
    SELECT id, organisation_id, coalesce(email, pending_email) AS email, display_name, disabled,
           password_changed_at, created_at, role
      FROM users;

GRANT SELECT (role, pending_email), INSERT (role, pending_email), UPDATE (role) ON users TO isms_app;

-- ---------------------------------------------------------------------------------------------
-- Role functions (SECURITY DEFINER: they read the caller's own rows whatever the policies say)
-- ---------------------------------------------------------------------------------------------
-- The caller's role in its own organisation, or NULL without an enabled identity.
CREATE FUNCTION ctx_org_role() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT role FROM users WHERE id = ctx_user() AND NOT disabled $$;

-- Whether the caller administers organisation p_org (its own, with role admin).
CREATE FUNCTION ctx_is_org_admin(p_org uuid) RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT p_org IS NOT NULL AND p_org = ctx_org() AND ctx_org_role() IS NOT DISTINCT FROM 'admin' $$;

-- Whether the operator allowed the caller to create clusters and organisations.
CREATE FUNCTION ctx_may_create_clusters() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce((SELECT may_create_clusters FROM users
                            WHERE id = ctx_user() AND NOT disabled), false) $$;

-- The caller's roles in cluster p_cluster (coordinator, coach, trainer).
CREATE FUNCTION ctx_cluster_roles(p_cluster uuid) RETURNS text[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce(array_agg(role ORDER BY role), '{}') FROM cluster_staff
          WHERE cluster_id = p_cluster AND user_id = ctx_user() $$;

-- Whether organisation p_org has an enabled administrator who has set a password.
CREATE FUNCTION org_has_active_admin(p_org uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT EXISTS (SELECT 1 FROM users WHERE organisation_id = p_org AND role = 'admin'
                            AND NOT disabled AND password_changed_at IS NOT NULL) $$;

-- Organisations the caller may manage as a coordinator: those enrolled in a cluster it
-- coordinates and, for a user allowed to create clusters, those its organisation created (to
-- enrol them). Managing means changing the organisation's record, inviting its first
-- administrator and asking for a new one -- never managing its users.
CREATE OR REPLACE FUNCTION ctx_managed_orgs() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$
    SELECT coalesce(array_agg(DISTINCT o), '{}') FROM (
        SELECT e.organisation_id FROM enrolments e
         WHERE e.cluster_id = ANY (ctx_coordinated_clusters())
        UNION SELECT id FROM organisations
         WHERE created_by_organisation_id = ctx_org() AND ctx_org() IS NOT NULL
           AND ctx_may_create_clusters()
    ) AS v(o) $$;

-- Organisations the caller may see beyond its own: enrolled in or staffing a cluster it
-- coordinates, whose enrolments it coaches, and (for a cluster creator) created by its
-- organisation. A trainer sees none of them through its organisation.
CREATE OR REPLACE FUNCTION ctx_visible_orgs() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$
    SELECT coalesce(array_agg(DISTINCT o), '{}') FROM (
        SELECT e.organisation_id FROM enrolments e
         WHERE e.cluster_id = ANY (ctx_coordinated_clusters())
        UNION SELECT u.organisation_id FROM cluster_staff s JOIN users u ON u.id = s.user_id
         WHERE s.cluster_id = ANY (ctx_coordinated_clusters())
        UNION SELECT e.organisation_id FROM enrolments e
         WHERE e.id = ANY (ctx_coached_enrolments())
        UNION SELECT id FROM organisations
         WHERE created_by_organisation_id = ctx_org() AND ctx_org() IS NOT NULL
           AND ctx_may_create_clusters()
    ) AS v(o) $$;

-- Whether the caller may invite (or re-invite) users of p_org with role p_role: the
-- organisation's administrators any user; a coordinator managing it only an administrator, and
-- only while the organisation has no active one.
CREATE FUNCTION ctx_may_invite(p_org uuid, p_role text) RETURNS boolean LANGUAGE sql STABLE
    AS $$ SELECT ctx_is_org_admin(p_org)
              OR (p_role = 'admin' AND p_org = ANY (ctx_managed_orgs())
                  AND NOT org_has_active_admin(p_org)) $$;

-- ---------------------------------------------------------------------------------------------
-- Policies that asked for the kind of the caller's organisation
-- ---------------------------------------------------------------------------------------------
DROP POLICY app_select ON organisations;
DROP POLICY app_insert ON organisations;
DROP POLICY app_update ON organisations;
CREATE POLICY app_select ON organisations FOR SELECT TO isms_app
    USING (id = ctx_org() OR id = ANY ((SELECT ctx_visible_orgs())::uuid[])
           OR (created_by_organisation_id = ctx_org() AND (SELECT ctx_may_create_clusters())));
CREATE POLICY app_insert ON organisations FOR INSERT TO isms_app
    WITH CHECK (created_by_organisation_id = ctx_org() AND (SELECT ctx_may_create_clusters()));
CREATE POLICY app_update ON organisations FOR UPDATE TO isms_app
    USING (ctx_is_org_admin(id) OR id = ANY ((SELECT ctx_managed_orgs())::uuid[]))
    WITH CHECK (ctx_is_org_admin(id) OR id = ANY ((SELECT ctx_managed_orgs())::uuid[]));

DROP POLICY app_insert ON users;
DROP POLICY app_update ON users;
CREATE POLICY app_insert ON users FOR INSERT TO isms_app
    WITH CHECK (ctx_may_invite(organisation_id, role));
-- Users change their own name (not their role, not whether they are disabled); administrators
-- change the users of their organisation.
CREATE POLICY app_update ON users FOR UPDATE TO isms_app
    USING (id = ctx_user() OR ctx_is_org_admin(organisation_id))
    WITH CHECK (ctx_is_org_admin(organisation_id)
                OR (id = ctx_user() AND NOT disabled AND role = (SELECT ctx_org_role())));

DROP POLICY app_insert ON clusters;
CREATE POLICY app_insert ON clusters FOR INSERT TO isms_app
    WITH CHECK (coordinating_organisation_id = ctx_org() AND (SELECT ctx_may_create_clusters()));

-- ---------------------------------------------------------------------------------------------
-- Users and invitations
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION user_json(u users_public) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', u.id, 'organisation_id', u.organisation_id, 'email', u.email,
        'display_name', u.display_name, 'role', u.role, 'disabled', u.disabled,
        'activated', u.password_changed_at IS NOT NULL, 'created_at', u.created_at)
$$;

-- Whether an address is already used in organisation p_org (by an account or an invitation).
-- The caller may see every user of that organisation, so nothing of other tenants is revealed.
CREATE FUNCTION org_email_taken(p_org uuid, p_email text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM users WHERE organisation_id = p_org
                      AND lower(coalesce(email, pending_email)) = lower(p_email))
$$;

-- Records an invitation for a user the caller may invite; returns its expiry.
CREATE OR REPLACE FUNCTION auth_create_invitation(p_user_id uuid, p_token_hash text,
                                                  p_valid_seconds integer)
    RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    u users%ROWTYPE;
    v_expires timestamptz := now() + make_interval(secs => p_valid_seconds);
BEGIN
    SELECT * INTO u FROM users WHERE id = p_user_id;
    IF u.id IS NULL OR NOT ctx_may_invite(u.organisation_id, u.role) THEN
        PERFORM raise_not_found();
    END IF;
    UPDATE invitations SET expires_at = least(expires_at, now())
     WHERE user_id = p_user_id AND used_at IS NULL;
    INSERT INTO invitations (user_id, organisation_id, token_hash, created_by, expires_at)
    VALUES (p_user_id, u.organisation_id, p_token_hash, ctx_user(), v_expires);
    RETURN v_expires;
END $$;

-- The answer when the caller may see organisation p_org but not invite into it with p_role.
CREATE FUNCTION require_may_invite(p_org uuid, p_role text) RETURNS void
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM organisations WHERE id = p_org) THEN
        PERFORM raise_not_found();
    END IF;
    IF ctx_may_invite(p_org, p_role) THEN
        RETURN;
    END IF;
    IF p_org = ANY (ctx_managed_orgs()) AND org_has_active_admin(p_org) THEN
        PERFORM raise_error('409', 'administrator_exists',
            'the organisation''s administrators manage its users; ask them for a new administrator '
            'with POST /v1/organisations/{id}/administrator-requests');
    END IF;
    IF p_org = ANY (ctx_managed_orgs()) THEN
        PERFORM raise_error('403', 'forbidden',
                            'a coordinator invites only the organisation''s first administrator');
    END IF;
    PERFORM raise_error('403', 'forbidden', 'only the organisation''s administrators manage its users');
END $$;

-- Creates a user without a password and an invitation whose token the server generated. The
-- address is the user's pending address until the invitation is accepted: whether it belongs to
-- somebody elsewhere is never checked here, so the answer cannot reveal it.
DROP FUNCTION api_user_invite(uuid, text, text, text, integer);
CREATE FUNCTION api_user_invite(p_org uuid, p_email text, p_name text, p_role text,
                                p_token_hash text, p_valid_seconds integer) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    u users_public;
    v_role text := coalesce(p_role, CASE WHEN ctx_is_org_admin(p_org) THEN 'staff' ELSE 'admin' END);
    v_id uuid;
    v_expires timestamptz;
BEGIN
    PERFORM require_may_invite(p_org, v_role);
    IF org_email_taken(p_org, p_email) THEN
        PERFORM raise_error('409', 'email_taken',
                            'a user of this organisation already has this e-mail address');
    END IF;
    INSERT INTO users (organisation_id, pending_email, display_name, role)
    VALUES (p_org, p_email, btrim(p_name), v_role) RETURNING id INTO v_id;
    SELECT * INTO u FROM users_public WHERE id = v_id;
    v_expires := auth_create_invitation(u.id, p_token_hash, p_valid_seconds);
    PERFORM audit('user_invite', 'user', u.id, NULL, u.organisation_id,
                  jsonb_build_object('role', v_role, 'email', u.email));
    RETURN json_build_object('user', user_json(u), 'invitation_expires_at', v_expires);
END $$;

CREATE OR REPLACE FUNCTION api_user_reinvite(p_user uuid, p_token_hash text, p_valid_seconds integer)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    u users_public;
    v_expires timestamptz;
BEGIN
    SELECT * INTO u FROM users_public WHERE id = p_user;
    IF u.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM require_may_invite(u.organisation_id, u.role);
    -- An invitation sets a password: for a user who already has one it would hand the account to
    -- whoever holds the link. Active users change their password themselves.
    IF u.password_changed_at IS NOT NULL THEN
        PERFORM raise_error('409', 'already_active',
                            'this user has already set a password; only unused invitations can be renewed');
    END IF;
    v_expires := auth_create_invitation(u.id, p_token_hash, p_valid_seconds);
    PERFORM audit('user_invite', 'user', u.id, NULL, u.organisation_id,
                  jsonb_build_object('role', u.role, 'email', u.email));
    RETURN json_build_object('user', user_json(u), 'invitation_expires_at', v_expires);
END $$;

-- Users rename themselves; an organisation's administrators rename, disable, enable and change
-- the role of its users (never disabling or demoting the last active administrator).
DROP FUNCTION api_user_update(uuid, text, boolean);
CREATE FUNCTION api_user_update(p_id uuid, p_name text, p_disabled boolean, p_role text)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    u users_public;
BEGIN
    SELECT * INTO u FROM users_public WHERE id = p_id;
    IF u.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF (p_disabled IS NOT NULL OR p_role IS NOT NULL) AND NOT ctx_is_org_admin(u.organisation_id) THEN
        PERFORM raise_error('403', 'forbidden',
                            'only the organisation''s administrators disable users or change roles');
    END IF;
    IF p_name IS NOT NULL AND p_id <> ctx_user() AND NOT ctx_is_org_admin(u.organisation_id) THEN
        PERFORM raise_error('403', 'forbidden', 'you cannot change this user');
    END IF;
    IF p_disabled IS NOT NULL AND p_id = ctx_user() THEN
        PERFORM raise_error('422', 'invalid_value', 'you cannot disable yourself');
    END IF;
    IF p_role = 'staff' AND p_id = ctx_user() THEN
        PERFORM raise_error('422', 'invalid_value',
                            'you cannot give up your own administration; another administrator can');
    END IF;
    UPDATE users SET display_name = coalesce(btrim(p_name), display_name),
                     disabled = coalesce(p_disabled, disabled), role = coalesce(p_role, role)
     WHERE id = p_id;
    SELECT * INTO u FROM users_public WHERE id = p_id;
    IF p_disabled THEN
        PERFORM auth_revoke_user_sessions(p_id);
    END IF;
    PERFORM audit(CASE WHEN p_disabled THEN 'user_disable' WHEN p_disabled = false THEN 'user_enable'
                       WHEN p_role IS NOT NULL THEN 'user_role' ELSE 'user_update' END,
                  'user', u.id, NULL, u.organisation_id,
                  CASE WHEN p_role IS NOT NULL THEN jsonb_build_object('role', p_role) ELSE '{}' END);
    RETURN user_json(u);
END $$;

-- Revokes the sessions of a user the caller administers (used when disabling).
CREATE OR REPLACE FUNCTION auth_revoke_user_sessions(p_user uuid) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    UPDATE sessions SET revoked_at = now()
     WHERE user_id = p_user AND revoked_at IS NULL AND ctx_is_org_admin(organisation_id)
$$;

-- Redeems a one-time invitation: the pending address becomes the login address, the password is
-- set and the invitation marked used. An address that meanwhile became another account's login
-- makes the invitation unusable, with the answer of an unknown one.
CREATE OR REPLACE FUNCTION auth_accept_invitation(p_token_hash text, p_hash text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    i invitations%ROWTYPE;
BEGIN
    SELECT * INTO i FROM invitations WHERE token_hash = p_token_hash FOR UPDATE;
    IF i.id IS NULL OR i.used_at IS NOT NULL OR i.expires_at <= now() THEN
        PERFORM raise_error('410', 'invitation_invalid',
                            'the invitation is unknown, already used or expired; ask for a new one');
    END IF;
    UPDATE invitations SET used_at = now() WHERE id = i.id;
    BEGIN
        UPDATE users SET email = coalesce(pending_email, email), pending_email = NULL,
                         password_hash = p_hash, password_changed_at = now()
         WHERE id = i.user_id;
    EXCEPTION WHEN unique_violation THEN
        PERFORM raise_error('410', 'invitation_invalid',
                            'the invitation is unknown, already used or expired; ask for a new one');
    END;
    UPDATE sessions SET revoked_at = now() WHERE user_id = i.user_id AND revoked_at IS NULL;
    PERFORM set_config('app.user_id', i.user_id::text, true),
            set_config('app.organisation_id', i.organisation_id::text, true);
    PERFORM audit('invitation_accept', 'user', i.user_id, NULL, i.organisation_id);
    RETURN json_build_object('user_id', i.user_id);
END $$;

-- A coordinator asks a managed organisation's administrators for a new administrator (for
-- example when its administrator left). The request is an event of the organisation's audit
-- trail, which its administrators read; nothing else changes.
CREATE FUNCTION api_organisation_admin_request(p_org uuid, p_message text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := gen_random_uuid();
BEGIN
    IF NOT EXISTS (SELECT 1 FROM organisations WHERE id = p_org) THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT p_org = ANY (ctx_managed_orgs()) THEN
        PERFORM raise_error('403', 'forbidden',
                            'only the coordinators of the organisation''s clusters ask for an administrator');
    END IF;
    PERFORM audit('administrator_request', 'organisation', p_org, NULL, p_org,
                  jsonb_build_object('request_id', v_id, 'message', nullif(btrim(p_message), '')));
    RETURN json_build_object('id', v_id, 'organisation_id', p_org,
                             'message', nullif(btrim(p_message), ''), 'requested_by', ctx_user(),
                             'has_active_administrator', org_has_active_admin(p_org));
END $$;

-- ---------------------------------------------------------------------------------------------
-- Organisations, clusters and the organisation's trail
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION api_organisation_create(p_name text, p_kind text, p_employees integer,
                                                   p_sector text, p_country text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    o organisations;
BEGIN
    IF NOT ctx_may_create_clusters() THEN
        PERFORM raise_error('403', 'forbidden',
                            'only users the operator allowed to create clusters create organisations');
    END IF;
    IF EXISTS (SELECT 1 FROM organisations WHERE lower(name) = lower(btrim(p_name))
                  AND created_by_organisation_id = ctx_org()) THEN
        PERFORM raise_error('409', 'conflict', 'an organisation with this name already exists');
    END IF;
    INSERT INTO organisations (name, kind, employee_count, sector, country, created_by_organisation_id)
    VALUES (btrim(p_name), p_kind, p_employees, p_sector, p_country, ctx_org())
    RETURNING * INTO o;
    PERFORM audit('organisation_create', 'organisation', o.id, NULL, o.id);
    RETURN organisation_json(o);
END $$;

CREATE OR REPLACE FUNCTION api_organisation_update(p_id uuid, p_name text, p_employees integer,
                                                   p_sector text, p_country text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    o organisations;
BEGIN
    UPDATE organisations SET name = coalesce(btrim(p_name), name),
        employee_count = coalesce(p_employees, employee_count),
        sector = coalesce(p_sector, sector), country = coalesce(p_country, country)
     WHERE id = p_id RETURNING * INTO o;
    IF o.id IS NULL THEN
        IF EXISTS (SELECT 1 FROM organisations WHERE id = p_id) THEN
            PERFORM raise_error('403', 'forbidden',
                'only the organisation''s administrators and its coordinators change it');
        END IF;
        PERFORM raise_not_found();
    END IF;
    PERFORM audit('organisation_update', 'organisation', o.id, NULL, o.id);
    RETURN organisation_json(o);
END $$;

CREATE OR REPLACE FUNCTION api_cluster_create(p_name text, p_country text, p_tz text, p_start date,
                                              p_end date, p_cycle_min integer, p_cycle_max integer,
                                              p_ceiling integer, p_threshold integer) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := gen_random_uuid();
    c clusters;
BEGIN
    IF NOT ctx_may_create_clusters() THEN
        PERFORM raise_error('403', 'forbidden', 'only users the operator allowed to create clusters do');
    END IF;
    PERFORM check_time_zone(p_tz);
    IF p_end <= p_start THEN
        PERFORM raise_error('400', 'invalid_body', 'target_end_date must be after start_date');
    END IF;
    IF coalesce(p_cycle_max, 4) < coalesce(p_cycle_min, 3) THEN
        PERFORM raise_error('400', 'invalid_body', 'cycle_weeks_max must not be below cycle_weeks_min');
    END IF;
    INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date,
                          target_end_date, cycle_weeks_min, cycle_weeks_max,
                          coaching_ceiling_half_days, feedback_release_threshold)
    VALUES (v_id, btrim(p_name), ctx_org(), p_country, p_tz, p_start, p_end,
            coalesce(p_cycle_min, 3), coalesce(p_cycle_max, 4), coalesce(p_ceiling, 28),
            coalesce(p_threshold, 3));
    SELECT * INTO c FROM clusters WHERE id = v_id;
    PERFORM audit('cluster_create', 'cluster', c.id, c.id, ctx_org());
    RETURN cluster_json(c);
END $$;

-- An organisation's trail: its administrators read it, and so do the coordinators who manage
-- the organisation (they see the events the audit policy lets them see).
CREATE OR REPLACE FUNCTION api_audit_organisation(p_org uuid, p_limit integer, p_cursor text)
    RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT ctx_is_org_admin(p_org) AND NOT p_org = ANY (ctx_managed_orgs()) THEN
        IF EXISTS (SELECT 1 FROM organisations WHERE id = p_org) THEN
            PERFORM raise_error('403', 'forbidden',
                'only the organisation''s administrators and its coordinators read its events');
        END IF;
        PERFORM raise_not_found();
    END IF;
    RETURN audit_page(NULL, p_org, p_limit, p_cursor);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Me: the caller, its organisation, its clusters and what it may do
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION me_permissions() RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'organisation_role', r.role,
        'manage_users', r.is_admin, 'change_organisation', r.is_admin,
        'read_organisation_audit', r.is_admin,
        'create_clusters', r.creates, 'create_organisations', r.creates,
        'coordinated_clusters', to_json(ctx_coordinated_clusters()),
        'coached_enrolments', to_json(ctx_coached_enrolments()),
        'trained_clusters', to_json(ctx_trained_clusters()),
        'managed_organisations', to_json(ctx_managed_orgs()))
      FROM (SELECT role, role IS NOT DISTINCT FROM 'admin' AS is_admin, creates
              FROM (SELECT ctx_org_role() AS role, ctx_may_create_clusters() AS creates) x) r
$$;

CREATE OR REPLACE FUNCTION api_me() RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'user', (SELECT user_json(u) FROM users_public u WHERE u.id = ctx_user()),
        'organisation', (SELECT organisation_json(o) FROM organisations o WHERE o.id = ctx_org()),
        'clusters', coalesce((
            SELECT json_agg(json_build_object('cluster_id', c.id, 'name', c.name,
                'roles', to_json(ctx_cluster_roles(c.id)),
                'enrolment', (SELECT json_build_object('id', e.id, 'status', e.status)
                                FROM enrolments e
                               WHERE e.cluster_id = c.id AND e.organisation_id = ctx_org()))
                ORDER BY c.start_date, c.id)
            FROM clusters c), '[]'),
        'permissions', me_permissions())
$$;

-- Nothing asks for the kind of the caller's organisation any more.
DROP FUNCTION ctx_org_kind();
DROP FUNCTION auth_email_free(text);

-- Granted one by one: a blanket grant would give back what earlier migrations revoked.
GRANT EXECUTE ON FUNCTION ctx_org_role(), ctx_is_org_admin(uuid), ctx_may_create_clusters(),
      ctx_cluster_roles(uuid), org_has_active_admin(uuid), ctx_may_invite(uuid, text),
      org_email_taken(uuid, text), require_may_invite(uuid, text),
      api_user_invite(uuid, text, text, text, text, integer), api_user_update(uuid, text, boolean, text),
      api_organisation_admin_request(uuid, text), me_permissions()
    TO isms_app;
