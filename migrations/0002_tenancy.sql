-- Tenancy and identity: organisations, users, clusters, enrolments, staff, coach assignments,
-- sessions, invitations, login throttling and the audit trail, isolated by row-level security.
--
-- The request's identity lives in transaction-scoped settings (app.user_id, app.organisation_id,
-- app.session_id), set only by isms.auth_session() after it has validated a session token. Every
-- policy reads them through NULLIF(current_setting(..., true), ''), so a transaction without an
-- identity sees and writes nothing. Helper functions that need to read across tenants (which
-- clusters does this user coordinate?) are SECURITY DEFINER, run as isms_owner, and the owner has
-- explicit policies on exactly the tables those helpers read.

-- ---------------------------------------------------------------------------------------------
-- Identity of the current transaction
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION ctx_user() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::uuid $$;
CREATE FUNCTION ctx_org() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.organisation_id', true), '')::uuid $$;
CREATE FUNCTION ctx_request() RETURNS text LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.request_id', true), '') $$;

-- Raises the project's error for "no such resource": the same answer for a missing object and for
-- another tenant's, so nothing can be learnt from the difference.
CREATE FUNCTION raise_not_found() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'IC404', MESSAGE = 'not_found', DETAIL = 'no such resource';
END $$;

CREATE FUNCTION raise_error(status text, code text, message text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'IC' || status, MESSAGE = code, DETAIL = message;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
CREATE TABLE organisations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('member', 'coordinator', 'consultancy')),
    employee_count integer CHECK (employee_count BETWEEN 1 AND 1000000),
    sector text CHECK (length(sector) <= 200),
    country text CHECK (country ~ '^[A-Z]{2}$'),
    created_by_organisation_id uuid REFERENCES organisations (id),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX organisations_name_key ON organisations (lower(name));

CREATE TABLE users (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    email text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254),
    display_name text NOT NULL CHECK (length(btrim(display_name)) BETWEEN 1 AND 200),
    password_hash text,
    disabled boolean NOT NULL DEFAULT false,
    password_changed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organisation_id, id)
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- What the app role may read of a user: everything but the password hash. security_invoker makes
-- the caller's row-level security and column privileges apply through the view.
CREATE VIEW users_public WITH (security_invoker = true) AS
    SELECT id, organisation_id, email, display_name, disabled, password_changed_at, created_at
      FROM users;

CREATE TABLE clusters (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    coordinating_organisation_id uuid NOT NULL REFERENCES organisations (id),
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    time_zone text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
    start_date date NOT NULL,
    target_end_date date NOT NULL,
    cycle_weeks_min integer NOT NULL DEFAULT 3 CHECK (cycle_weeks_min BETWEEN 1 AND 12),
    cycle_weeks_max integer NOT NULL DEFAULT 4 CHECK (cycle_weeks_max BETWEEN 1 AND 12),
    coaching_ceiling_half_days integer NOT NULL DEFAULT 28 CHECK (coaching_ceiling_half_days BETWEEN 0 AND 200),
    feedback_release_threshold integer NOT NULL DEFAULT 3 CHECK (feedback_release_threshold BETWEEN 2 AND 20),
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (target_end_date > start_date),
    CHECK (cycle_weeks_max >= cycle_weeks_min)
);

CREATE TABLE enrolments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL REFERENCES clusters (id),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    status text NOT NULL DEFAULT 'applied'
        CHECK (status IN ('applied', 'admitted', 'withdrawn', 'completed')),
    employee_count integer CHECK (employee_count BETWEEN 1 AND 1000000),
    management_commitment_by text CHECK (length(management_commitment_by) <= 200),
    management_commitment_at date,
    human_resources_confirmed boolean NOT NULL DEFAULT false,
    financial_resources_confirmed boolean NOT NULL DEFAULT false,
    applied_at timestamptz NOT NULL DEFAULT now(),
    admitted_at timestamptz,
    ended_at timestamptz,
    UNIQUE (cluster_id, organisation_id),
    UNIQUE (cluster_id, organisation_id, id)
);

CREATE TABLE cluster_staff (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL REFERENCES clusters (id),
    user_id uuid NOT NULL REFERENCES users (id),
    role text NOT NULL CHECK (role IN ('coordinator', 'coach', 'trainer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cluster_id, user_id, role)
);
CREATE INDEX cluster_staff_user ON cluster_staff (user_id);

CREATE TABLE coach_assignments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    coach_user_id uuid NOT NULL,
    coach_role text NOT NULL DEFAULT 'coach' CHECK (coach_role = 'coach'),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (enrolment_id, coach_user_id),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id),
    FOREIGN KEY (cluster_id, coach_user_id, coach_role)
        REFERENCES cluster_staff (cluster_id, user_id, role) ON DELETE CASCADE
);
CREATE INDEX coach_assignments_coach ON coach_assignments (coach_user_id);

CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL REFERENCES users (id),
    organisation_id uuid NOT NULL,
    token_hash text NOT NULL UNIQUE,
    client_addr text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    idle_seconds integer NOT NULL,
    revoked_at timestamptz,
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id)
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE invitations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    token_hash text NOT NULL UNIQUE,
    created_by uuid REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id)
);

CREATE TABLE login_failures (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    client_addr text NOT NULL,
    at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email ON login_failures (email, at);
CREATE INDEX login_failures_addr ON login_failures (client_addr, at);

CREATE TABLE audit_events (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    request_id text,
    user_id uuid,
    cluster_id uuid,
    organisation_id uuid,
    action text NOT NULL,
    entity_type text NOT NULL,
    entity_id uuid,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_cluster ON audit_events (cluster_id, at DESC, id DESC);
CREATE INDEX audit_events_org ON audit_events (organisation_id, at DESC, id DESC);

-- The audit trail is append-only for everybody, the owner included.
CREATE FUNCTION audit_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_immutable();

-- ---------------------------------------------------------------------------------------------
-- Cross-tenant lookups for policies (SECURITY DEFINER, owner-only reads)
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION ctx_org_kind() RETURNS text LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT kind FROM organisations WHERE id = ctx_org() $$;

CREATE FUNCTION ctx_coordinated_clusters() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce(array_agg(DISTINCT cluster_id), '{}') FROM cluster_staff
          WHERE user_id = ctx_user() AND role = 'coordinator' $$;

CREATE FUNCTION ctx_staff_clusters() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce(array_agg(DISTINCT cluster_id), '{}') FROM cluster_staff
          WHERE user_id = ctx_user() $$;

CREATE FUNCTION ctx_member_clusters() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce(array_agg(cluster_id), '{}') FROM enrolments
          WHERE organisation_id = ctx_org() $$;

CREATE FUNCTION ctx_coached_enrolments() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce(array_agg(enrolment_id), '{}') FROM coach_assignments
          WHERE coach_user_id = ctx_user() $$;

-- Organisations a user may see beyond its own: those enrolled in or staffing a cluster the user
-- coordinates, those whose enrolments the user coaches, and those the user's (coordinating)
-- organisation created.
CREATE FUNCTION ctx_visible_orgs() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
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
    ) AS v(o) $$;

-- Organisations whose records a coordinator may change: created by its organisation, or enrolled
-- in a cluster it coordinates.
CREATE FUNCTION ctx_managed_orgs() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$
    SELECT coalesce(array_agg(DISTINCT o), '{}') FROM (
        SELECT e.organisation_id FROM enrolments e
         WHERE e.cluster_id = ANY (ctx_coordinated_clusters())
        UNION SELECT id FROM organisations
         WHERE created_by_organisation_id = ctx_org() AND ctx_org() IS NOT NULL
           AND ctx_org_kind() = 'coordinator'
    ) AS v(o) $$;

-- ---------------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------------
ALTER TABLE organisations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE users ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE clusters ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE enrolments ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE cluster_staff ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE coach_assignments ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE login_failures ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- The owner runs the SECURITY DEFINER helpers above and the authentication functions below.
CREATE POLICY owner_all ON organisations TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON users TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON enrolments TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON cluster_staff TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON coach_assignments TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON sessions TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON invitations TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON login_failures TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_insert ON audit_events FOR INSERT TO isms_owner WITH CHECK (true);
CREATE POLICY owner_select ON clusters FOR SELECT TO isms_owner USING (true);

-- organisations: one's own, and those visible through clusters; coordinators create and manage.
CREATE POLICY app_select ON organisations FOR SELECT TO isms_app
    USING (id = ctx_org() OR created_by_organisation_id = ctx_org()
           OR id = ANY ((SELECT ctx_visible_orgs())::uuid[]));
CREATE POLICY app_insert ON organisations FOR INSERT TO isms_app
    WITH CHECK (created_by_organisation_id = ctx_org() AND (SELECT ctx_org_kind()) = 'coordinator');
CREATE POLICY app_update ON organisations FOR UPDATE TO isms_app
    USING (id = ctx_org() OR id = ANY ((SELECT ctx_managed_orgs())::uuid[]))
    WITH CHECK (id = ctx_org() OR id = ANY ((SELECT ctx_managed_orgs())::uuid[]));

-- users: colleagues and users of visible organisations; coordinators invite and disable.
CREATE POLICY app_select ON users FOR SELECT TO isms_app
    USING (organisation_id = ctx_org() OR organisation_id = ANY ((SELECT ctx_visible_orgs())::uuid[]));
CREATE POLICY app_insert ON users FOR INSERT TO isms_app
    WITH CHECK (organisation_id = ANY ((SELECT ctx_managed_orgs())::uuid[])
                OR (organisation_id = ctx_org() AND (SELECT ctx_org_kind()) = 'coordinator'));
CREATE POLICY app_update ON users FOR UPDATE TO isms_app
    USING (id = ctx_user() OR organisation_id = ANY ((SELECT ctx_managed_orgs())::uuid[])
           OR (organisation_id = ctx_org() AND (SELECT ctx_org_kind()) = 'coordinator'))
    WITH CHECK (id = ctx_user() OR organisation_id = ANY ((SELECT ctx_managed_orgs())::uuid[])
                OR (organisation_id = ctx_org() AND (SELECT ctx_org_kind()) = 'coordinator'));

-- clusters: coordinators, staff and enrolled organisations see them; coordinators change them.
CREATE POLICY app_select ON clusters FOR SELECT TO isms_app
    USING (id = ANY ((SELECT ctx_staff_clusters())::uuid[]) OR id = ANY ((SELECT ctx_member_clusters())::uuid[]));
CREATE POLICY app_insert ON clusters FOR INSERT TO isms_app
    WITH CHECK (coordinating_organisation_id = ctx_org()
                AND (SELECT ctx_org_kind()) = 'coordinator');
CREATE POLICY app_update ON clusters FOR UPDATE TO isms_app
    USING (id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

-- enrolments: the coordinator's clusters, one's own organisation's, and those one coaches.
CREATE POLICY app_select ON enrolments FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR organisation_id = ctx_org()
           OR id = ANY ((SELECT ctx_coached_enrolments())::uuid[]));
CREATE POLICY app_insert ON enrolments FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
                AND organisation_id = ANY ((SELECT ctx_visible_orgs())::uuid[]));
CREATE POLICY app_update ON enrolments FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

-- cluster staff: who trains and coaches is shared with the cluster; coordinators manage it.
CREATE POLICY app_select ON cluster_staff FOR SELECT TO isms_app
    USING (user_id = ctx_user()
           OR cluster_id = ANY ((SELECT ctx_staff_clusters())::uuid[])
           OR cluster_id = ANY ((SELECT ctx_member_clusters())::uuid[]));
CREATE POLICY app_insert ON cluster_staff FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_delete ON cluster_staff FOR DELETE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

-- coach assignments: the coordinator, the coach and the coached organisation.
CREATE POLICY app_select ON coach_assignments FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR coach_user_id = ctx_user() OR organisation_id = ctx_org());
CREATE POLICY app_insert ON coach_assignments FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_delete ON coach_assignments FOR DELETE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

-- audit events: coordinators read their clusters', members their own organisation's.
CREATE POLICY app_select ON audit_events FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]) OR organisation_id = ctx_org());

-- sessions, invitations and login failures are reached only through the functions below.

-- ---------------------------------------------------------------------------------------------
-- Audit
-- ---------------------------------------------------------------------------------------------
-- Appends an audit event for the current request. Runs as the owner so that writers need no
-- INSERT grant on the trail (nobody can forge or erase entries through the API).
CREATE FUNCTION audit(p_action text, p_entity_type text, p_entity_id uuid, p_cluster_id uuid,
                      p_organisation_id uuid, p_detail jsonb DEFAULT '{}')
    RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    INSERT INTO audit_events (request_id, user_id, cluster_id, organisation_id, action,
                              entity_type, entity_id, detail)
    VALUES (ctx_request(), ctx_user(), p_cluster_id, p_organisation_id, p_action, p_entity_type,
            p_entity_id, coalesce(p_detail, '{}'))
$$;

-- ---------------------------------------------------------------------------------------------
-- Authentication (SECURITY DEFINER: these read sessions and password hashes for the server)
-- ---------------------------------------------------------------------------------------------
-- Validates a session by the SHA-256 of its token and makes it the transaction's identity. Raises
-- IC401 for an unknown, revoked, expired or idle session, or a disabled user. Touches
-- last_used_at at most once a minute to keep reads cheap, and at least every half idle limit so
-- that a session in use never reaches its idle limit (ISMS_TOKEN_IDLE may be as short as 60 s).
CREATE FUNCTION auth_session(p_token_hash text) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    s sessions%ROWTYPE;
    u_disabled boolean;
BEGIN
    SELECT * INTO s FROM sessions WHERE token_hash = p_token_hash;
    SELECT disabled INTO u_disabled FROM users WHERE id = s.user_id;
    IF s.id IS NULL OR s.revoked_at IS NOT NULL OR s.expires_at <= now()
       OR s.last_used_at + make_interval(secs => s.idle_seconds) <= now() OR u_disabled THEN
        RAISE EXCEPTION USING ERRCODE = 'IC401', MESSAGE = 'unauthenticated',
            DETAIL = 'the session is missing, expired or revoked; log in again';
    END IF;
    IF s.last_used_at < now() - least(interval '60 seconds',
                                      make_interval(secs => s.idle_seconds / 2)) THEN
        UPDATE sessions SET last_used_at = now() WHERE id = s.id;
    END IF;
    PERFORM set_config('app.user_id', s.user_id::text, true),
            set_config('app.organisation_id', s.organisation_id::text, true),
            set_config('app.session_id', s.id::text, true);
    RETURN s.user_id;
END $$;

-- First step of a login: the stored hash for an e-mail (NULL when unknown or disabled) and whether
-- the account (p_max failures per window) or the client address (4 * p_max) is throttled (seconds
-- to wait, 0 when not).
CREATE FUNCTION auth_login_lookup(p_email text, p_addr text, p_max integer, p_window integer)
    RETURNS json LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_since timestamptz := now() - make_interval(secs => p_window);
    v_wait integer := 0;
    v_oldest timestamptz;
    u users%ROWTYPE;
BEGIN
    SELECT min(at) INTO v_oldest FROM (
        SELECT at FROM login_failures WHERE email = lower(p_email) AND at > v_since
        ORDER BY at DESC LIMIT p_max) f HAVING count(*) >= p_max;
    IF v_oldest IS NULL THEN
        -- An address is shared by everyone behind one NAT: it gets four times the allowance.
        SELECT min(at) INTO v_oldest FROM (
            SELECT at FROM login_failures WHERE client_addr = p_addr AND at > v_since
            ORDER BY at DESC LIMIT 4 * p_max) f HAVING count(*) >= 4 * p_max;
    END IF;
    IF v_oldest IS NOT NULL THEN
        v_wait := greatest(1, ceil(extract(epoch FROM v_oldest + make_interval(secs => p_window) - now()))::integer);
    END IF;
    SELECT * INTO u FROM users WHERE lower(email) = lower(p_email) AND NOT disabled;
    RETURN json_build_object('user_id', u.id, 'password_hash', u.password_hash,
                             'retry_after', v_wait);
END $$;

CREATE FUNCTION auth_login_failed(p_email text, p_addr text) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    DELETE FROM login_failures WHERE at < now() - interval '1 day';
    INSERT INTO login_failures (email, client_addr) VALUES (lower(p_email), p_addr);
$$;

-- Creates a session for a user whose password the server has verified; returns what the client
-- needs (the token itself never reaches the database, only its hash).
CREATE FUNCTION auth_login_succeeded(p_user_id uuid, p_token_hash text, p_addr text,
                                     p_ttl integer, p_idle integer)
    RETURNS json LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    u users%ROWTYPE;
    v_session uuid;
    v_expires timestamptz := now() + make_interval(secs => p_ttl);
BEGIN
    SELECT * INTO u FROM users WHERE id = p_user_id AND NOT disabled;
    IF u.id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = 'IC401', MESSAGE = 'invalid_credentials',
            DETAIL = 'the e-mail address or the password is wrong';
    END IF;
    DELETE FROM login_failures WHERE email = lower(u.email);
    INSERT INTO sessions (user_id, organisation_id, token_hash, client_addr, expires_at, idle_seconds)
    VALUES (u.id, u.organisation_id, p_token_hash, p_addr, v_expires, p_idle)
    RETURNING id INTO v_session;
    PERFORM set_config('app.user_id', u.id::text, true),
            set_config('app.organisation_id', u.organisation_id::text, true);
    PERFORM audit('login', 'session', v_session, NULL, u.organisation_id);
    RETURN json_build_object('expires_at', v_expires, 'user_id', u.id);
END $$;

CREATE FUNCTION auth_logout() RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    UPDATE sessions SET revoked_at = now()
     WHERE id = NULLIF(current_setting('app.session_id', true), '')::uuid AND revoked_at IS NULL;
    SELECT audit('logout', 'session', NULLIF(current_setting('app.session_id', true), '')::uuid,
                 NULL, ctx_org());
$$;

-- The current user's password hash, for verifying the current password before a change.
CREATE FUNCTION auth_own_password_hash() RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT password_hash FROM users WHERE id = ctx_user()
$$;

-- Sets the current user's password (hashed by the server) and revokes every session of the user.
CREATE FUNCTION auth_set_own_password(p_hash text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    IF ctx_user() IS NULL THEN
        PERFORM raise_error('401', 'unauthenticated', 'log in again');
    END IF;
    UPDATE users SET password_hash = p_hash, password_changed_at = now() WHERE id = ctx_user();
    UPDATE sessions SET revoked_at = now() WHERE user_id = ctx_user() AND revoked_at IS NULL;
    PERFORM audit('password_change', 'user', ctx_user(), NULL, ctx_org());
END $$;

-- Redeems a one-time invitation: sets the password and marks the invitation used.
CREATE FUNCTION auth_accept_invitation(p_token_hash text, p_hash text) RETURNS json
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
    UPDATE users SET password_hash = p_hash, password_changed_at = now() WHERE id = i.user_id;
    UPDATE sessions SET revoked_at = now() WHERE user_id = i.user_id AND revoked_at IS NULL;
    PERFORM set_config('app.user_id', i.user_id::text, true),
            set_config('app.organisation_id', i.organisation_id::text, true);
    PERFORM audit('invitation_accept', 'user', i.user_id, NULL, i.organisation_id);
    RETURN json_build_object('user_id', i.user_id);
END $$;

-- Records an invitation for a user the caller may see; returns its expiry.
CREATE FUNCTION auth_create_invitation(p_user_id uuid, p_token_hash text, p_valid_seconds integer)
    RETURNS timestamptz LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_org uuid;
    v_expires timestamptz := now() + make_interval(secs => p_valid_seconds);
BEGIN
    -- The caller must be able to manage the user's organisation (checked with the caller's view).
    SELECT organisation_id INTO v_org FROM users WHERE id = p_user_id;
    IF v_org IS NULL OR NOT (v_org = ANY (ctx_managed_orgs())
                             OR (v_org = ctx_org() AND ctx_org_kind() = 'coordinator')) THEN
        PERFORM raise_not_found();
    END IF;
    UPDATE invitations SET expires_at = least(expires_at, now())
     WHERE user_id = p_user_id AND used_at IS NULL;
    INSERT INTO invitations (user_id, organisation_id, token_hash, created_by, expires_at)
    VALUES (p_user_id, v_org, p_token_hash, ctx_user(), v_expires);
    RETURN v_expires;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Grants: the app role reads and writes tenant tables under the policies above, never the
-- password hashes, sessions, invitations or throttling records directly.
-- ---------------------------------------------------------------------------------------------
GRANT SELECT, INSERT, UPDATE ON organisations, clusters, enrolments TO isms_app;
GRANT SELECT (id, organisation_id, email, display_name, disabled, password_changed_at, created_at),
      INSERT (organisation_id, email, display_name),
      UPDATE (display_name, disabled) ON users TO isms_app;
GRANT SELECT, INSERT, DELETE ON cluster_staff, coach_assignments TO isms_app;
GRANT SELECT ON audit_events, users_public TO isms_app;
GRANT EXECUTE ON FUNCTION ctx_user(), ctx_org(), ctx_request(), raise_not_found(),
      raise_error(text, text, text), ctx_org_kind(), ctx_coordinated_clusters(),
      ctx_staff_clusters(), ctx_member_clusters(), ctx_coached_enrolments(), ctx_visible_orgs(),
      ctx_managed_orgs(), audit(text, text, uuid, uuid, uuid, jsonb), auth_session(text),
      auth_login_lookup(text, text, integer, integer), auth_login_failed(text, text),
      auth_login_succeeded(uuid, text, text, integer, integer), auth_logout(),
      auth_own_password_hash(), auth_set_own_password(text),
      auth_accept_invitation(text, text), auth_create_invitation(uuid, text, integer)
    TO isms_app;
