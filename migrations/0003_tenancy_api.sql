-- Tenancy API: one function per endpoint, called by the server with validated parameters. They
-- are SECURITY INVOKER, so every row they read or write goes through the row-level security
-- policies of the calling identity; they only decide how to answer (404 for what cannot be seen,
-- 403 for what can be seen but not changed) and write the audit event in the same transaction.

-- ---------------------------------------------------------------------------------------------
-- JSON representations
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION organisation_json(o organisations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', o.id, 'name', o.name, 'kind', o.kind,
        'employee_count', o.employee_count, 'sector', o.sector, 'country', o.country,
        'created_at', o.created_at)
$$;

CREATE FUNCTION user_json(u users_public) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', u.id, 'organisation_id', u.organisation_id, 'email', u.email,
        'display_name', u.display_name, 'disabled', u.disabled,
        'activated', u.password_changed_at IS NOT NULL, 'created_at', u.created_at)
$$;

-- Number of admitted organisations of a cluster the caller can see (members see their cluster's
-- size, not who the others are).
CREATE FUNCTION cluster_admitted_count(p_cluster uuid) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT count(*)::integer FROM enrolments
     WHERE cluster_id = p_cluster AND status = 'admitted'
       AND (p_cluster = ANY (ctx_staff_clusters()) OR p_cluster = ANY (ctx_member_clusters()))
$$;

CREATE FUNCTION cluster_json(c clusters) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', c.id, 'name', c.name,
        'coordinating_organisation_id', c.coordinating_organisation_id, 'country', c.country,
        'time_zone', c.time_zone, 'start_date', c.start_date, 'target_end_date', c.target_end_date,
        'settings', json_build_object('cycle_weeks_min', c.cycle_weeks_min,
            'cycle_weeks_max', c.cycle_weeks_max,
            'coaching_ceiling_half_days', c.coaching_ceiling_half_days,
            'feedback_release_threshold', c.feedback_release_threshold),
        'admitted_count', n,
        'size_warning', CASE WHEN n < 3 OR n > 5 THEN format(
            'the cluster method recommends 3 to 5 organisations; this cluster has %s admitted', n)
            END,
        'created_at', c.created_at)
    FROM (SELECT cluster_admitted_count(c.id) AS n) AS counted
$$;

-- Admission criteria still missing for an enrolment, as field names a coordinator can act on.
CREATE FUNCTION enrolment_missing_criteria(e enrolments) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array_remove(ARRAY[
        CASE WHEN e.employee_count IS NULL THEN 'employee_count'
             WHEN e.employee_count >= 250 THEN 'sme' END,
        CASE WHEN e.management_commitment_by IS NULL OR e.management_commitment_at IS NULL
             THEN 'management_commitment' END,
        CASE WHEN NOT e.human_resources_confirmed THEN 'human_resources_confirmed' END,
        CASE WHEN NOT e.financial_resources_confirmed THEN 'financial_resources_confirmed' END
    ], NULL)
$$;

CREATE FUNCTION enrolment_json(e enrolments) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', e.id, 'cluster_id', e.cluster_id,
        'organisation_id', e.organisation_id,
        'organisation_name', (SELECT name FROM organisations WHERE id = e.organisation_id),
        'status', e.status,
        'criteria', json_build_object('employee_count', e.employee_count,
            'sme', e.employee_count < 250,
            'management_commitment_by', e.management_commitment_by,
            'management_commitment_at', e.management_commitment_at,
            'human_resources_confirmed', e.human_resources_confirmed,
            'financial_resources_confirmed', e.financial_resources_confirmed),
        'missing_criteria', to_json(enrolment_missing_criteria(e)),
        'applied_at', e.applied_at, 'admitted_at', e.admitted_at, 'ended_at', e.ended_at)
$$;

CREATE FUNCTION staff_json(s cluster_staff) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', s.id, 'cluster_id', s.cluster_id, 'user_id', s.user_id,
        'display_name', (SELECT display_name FROM users WHERE id = s.user_id),
        'role', s.role, 'created_at', s.created_at)
$$;

CREATE FUNCTION coach_assignment_json(a coach_assignments) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', a.id, 'cluster_id', a.cluster_id,
        'enrolment_id', a.enrolment_id, 'organisation_id', a.organisation_id,
        'coach_user_id', a.coach_user_id, 'created_at', a.created_at)
$$;

CREATE FUNCTION audit_json(a audit_events) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', a.id, 'at', a.at, 'request_id', a.request_id,
        'user_id', a.user_id, 'cluster_id', a.cluster_id, 'organisation_id', a.organisation_id,
        'action', a.action, 'entity_type', a.entity_type, 'entity_id', a.entity_id,
        'detail', a.detail)
$$;

-- A page of items: {"items": [...], "next_cursor": text or null}.
CREATE FUNCTION page_json(p_items json[], p_limit integer, p_last text) RETURNS json
    LANGUAGE sql IMMUTABLE AS $$
    SELECT json_build_object('items', coalesce(array_to_json(p_items[1:p_limit]), '[]'::json),
        'next_cursor', CASE WHEN coalesce(array_length(p_items, 1), 0) > p_limit THEN p_last END)
$$;

CREATE FUNCTION require_cursor_uuid(p_cursor text) RETURNS uuid LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RETURN p_cursor::uuid;
EXCEPTION WHEN invalid_text_representation THEN
    PERFORM raise_error('400', 'invalid_cursor', 'cursor is not one this server returned');
END $$;

-- ---------------------------------------------------------------------------------------------
-- Organisations
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_organisation_create(p_name text, p_kind text, p_employees integer,
                                        p_sector text, p_country text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    o organisations;
BEGIN
    IF ctx_org_kind() IS DISTINCT FROM 'coordinator' THEN
        PERFORM raise_error('403', 'forbidden', 'only coordinators create organisations');
    END IF;
    IF EXISTS (SELECT 1 FROM organisations WHERE lower(name) = lower(btrim(p_name))) THEN
        PERFORM raise_error('409', 'conflict', 'an organisation with this name already exists');
    END IF;
    INSERT INTO organisations (name, kind, employee_count, sector, country, created_by_organisation_id)
    VALUES (btrim(p_name), p_kind, p_employees, p_sector, p_country, ctx_org())
    RETURNING * INTO o;
    PERFORM audit('organisation_create', 'organisation', o.id, NULL, o.id);
    RETURN organisation_json(o);
END $$;

CREATE FUNCTION api_organisation_list(p_limit integer, p_cursor text) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT page_json(array_agg(organisation_json(o) ORDER BY o.id), coalesce(p_limit, 50),
                     (array_agg(o.id::text ORDER BY o.id))[coalesce(p_limit, 50)])
    FROM (SELECT * FROM organisations
           WHERE p_cursor IS NULL OR id > require_cursor_uuid(p_cursor)
           ORDER BY id LIMIT coalesce(p_limit, 50) + 1) o
$$;

CREATE FUNCTION api_organisation_get(p_id uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    o organisations;
BEGIN
    SELECT * INTO o FROM organisations WHERE id = p_id;
    IF o.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN organisation_json(o);
END $$;

CREATE FUNCTION api_organisation_update(p_id uuid, p_name text, p_employees integer,
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
            PERFORM raise_error('403', 'forbidden', 'you cannot change this organisation');
        END IF;
        PERFORM raise_not_found();
    END IF;
    PERFORM audit('organisation_update', 'organisation', o.id, NULL, o.id);
    RETURN organisation_json(o);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Users and invitations
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_user_list(p_org uuid, p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM organisations WHERE id = p_org) THEN
        PERFORM raise_not_found();
    END IF;
    RETURN (SELECT page_json(array_agg(user_json(u) ORDER BY u.id), coalesce(p_limit, 50),
                             (array_agg(u.id::text ORDER BY u.id))[coalesce(p_limit, 50)])
            FROM (SELECT * FROM users_public WHERE organisation_id = p_org
                     AND (p_cursor IS NULL OR id > require_cursor_uuid(p_cursor))
                   ORDER BY id LIMIT coalesce(p_limit, 50) + 1) u);
END $$;

-- Creates a user without a password and an invitation whose token the server generated.
CREATE FUNCTION api_user_invite(p_org uuid, p_email text, p_name text, p_token_hash text,
                                p_valid_seconds integer) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    u users_public;
    v_expires timestamptz;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM organisations WHERE id = p_org) THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT (p_org = ANY (ctx_managed_orgs()) OR (p_org = ctx_org() AND ctx_org_kind() = 'coordinator')) THEN
        PERFORM raise_error('403', 'forbidden', 'only the coordinator can invite users to this organisation');
    END IF;
    IF EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(p_email))
       OR NOT auth_email_free(p_email) THEN
        PERFORM raise_error('409', 'email_taken', 'a user with this e-mail address already exists');
    END IF;
    INSERT INTO users (organisation_id, email, display_name)
    VALUES (p_org, p_email, btrim(p_name));
    SELECT * INTO u FROM users_public WHERE lower(email) = lower(p_email);
    v_expires := auth_create_invitation(u.id, p_token_hash, p_valid_seconds);
    PERFORM audit('user_invite', 'user', u.id, NULL, u.organisation_id);
    RETURN json_build_object('user', user_json(u), 'invitation_expires_at', v_expires);
END $$;

CREATE FUNCTION api_user_reinvite(p_user uuid, p_token_hash text, p_valid_seconds integer)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    u users_public;
    v_expires timestamptz;
BEGIN
    SELECT * INTO u FROM users_public WHERE id = p_user;
    IF u.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT (u.organisation_id = ANY (ctx_managed_orgs())
            OR (u.organisation_id = ctx_org() AND ctx_org_kind() = 'coordinator')) THEN
        PERFORM raise_error('403', 'forbidden', 'only the coordinator can invite this user');
    END IF;
    -- An invitation sets a password: for a user who already has one it would hand the account to
    -- whoever holds the link. Active users change their password themselves.
    IF u.password_changed_at IS NOT NULL THEN
        PERFORM raise_error('409', 'already_active',
                            'this user has already set a password; only unused invitations can be renewed');
    END IF;
    v_expires := auth_create_invitation(u.id, p_token_hash, p_valid_seconds);
    PERFORM audit('user_invite', 'user', u.id, NULL, u.organisation_id);
    RETURN json_build_object('user', user_json(u), 'invitation_expires_at', v_expires);
END $$;

CREATE FUNCTION api_user_get(p_id uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    u users_public;
BEGIN
    SELECT * INTO u FROM users_public WHERE id = p_id;
    IF u.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN user_json(u);
END $$;

CREATE FUNCTION api_user_update(p_id uuid, p_name text, p_disabled boolean) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    u users_public;
BEGIN
    IF p_disabled IS NOT NULL AND p_id = ctx_user() THEN
        PERFORM raise_error('422', 'invalid_value', 'you cannot disable yourself');
    END IF;
    IF p_disabled IS NOT NULL AND p_id <> ctx_user() AND NOT EXISTS (
        SELECT 1 FROM users WHERE id = p_id AND (organisation_id = ANY (ctx_managed_orgs())
            OR (organisation_id = ctx_org() AND ctx_org_kind() = 'coordinator'))) THEN
        IF EXISTS (SELECT 1 FROM users WHERE id = p_id) THEN
            PERFORM raise_error('403', 'forbidden', 'only the coordinator can disable users');
        END IF;
        PERFORM raise_not_found();
    END IF;
    UPDATE users SET display_name = coalesce(btrim(p_name), display_name),
                     disabled = coalesce(p_disabled, disabled)
     WHERE id = p_id;
    IF NOT FOUND THEN
        -- Row-level security let nothing through: a colleague's record, or one out of sight.
        IF EXISTS (SELECT 1 FROM users_public WHERE id = p_id) THEN
            PERFORM raise_error('403', 'forbidden', 'you cannot change this user');
        END IF;
        PERFORM raise_not_found();
    END IF;
    SELECT * INTO u FROM users_public WHERE id = p_id;
    IF NOT FOUND THEN
        PERFORM raise_not_found();
    END IF;
    IF p_disabled THEN
        PERFORM auth_revoke_user_sessions(p_id);
    END IF;
    PERFORM audit(CASE WHEN p_disabled THEN 'user_disable' WHEN p_disabled = false
                       THEN 'user_enable' ELSE 'user_update' END,
                  'user', u.id, NULL, u.organisation_id);
    RETURN user_json(u);
END $$;

-- An e-mail address is free when no user has it, including users the caller cannot see.
CREATE FUNCTION auth_email_free(p_email text) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT NOT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower(p_email))
$$;

-- Revokes the sessions of a user the caller manages (used when disabling).
CREATE FUNCTION auth_revoke_user_sessions(p_user uuid) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    UPDATE sessions SET revoked_at = now()
     WHERE user_id = p_user AND revoked_at IS NULL
       AND organisation_id = ANY (ctx_managed_orgs() || CASE WHEN ctx_org_kind() = 'coordinator'
                                                             THEN ARRAY[ctx_org()] END)
$$;

-- ---------------------------------------------------------------------------------------------
-- Clusters
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION check_time_zone(p_tz text) RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_tz IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = p_tz) THEN
        PERFORM raise_error('400', 'invalid_body',
                            format('time_zone "%s" is not an IANA time zone name', p_tz));
    END IF;
END $$;

-- The creator becomes the cluster's first coordinator (the staff row is written as the owner:
-- before it exists nobody coordinates the new cluster, so no policy would allow it).
CREATE FUNCTION cluster_add_creator() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    INSERT INTO cluster_staff (cluster_id, user_id, role) VALUES (NEW.id, ctx_user(), 'coordinator');
    RETURN NULL;
END $$;
CREATE TRIGGER clusters_add_creator AFTER INSERT ON clusters
    FOR EACH ROW EXECUTE FUNCTION cluster_add_creator();

CREATE FUNCTION api_cluster_create(p_name text, p_country text, p_tz text, p_start date,
                                   p_end date, p_cycle_min integer, p_cycle_max integer,
                                   p_ceiling integer, p_threshold integer) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := gen_random_uuid();
    c clusters;
BEGIN
    IF ctx_org_kind() IS DISTINCT FROM 'coordinator' THEN
        PERFORM raise_error('403', 'forbidden', 'only coordinators create clusters');
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

CREATE FUNCTION api_cluster_list(p_limit integer, p_cursor text) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT page_json(array_agg(cluster_json(c) ORDER BY c.id), coalesce(p_limit, 50),
                     (array_agg(c.id::text ORDER BY c.id))[coalesce(p_limit, 50)])
    FROM (SELECT * FROM clusters WHERE p_cursor IS NULL OR id > require_cursor_uuid(p_cursor)
           ORDER BY id LIMIT coalesce(p_limit, 50) + 1) c
$$;

CREATE FUNCTION api_cluster_get(p_id uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    c clusters;
BEGIN
    SELECT * INTO c FROM clusters WHERE id = p_id;
    IF c.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN cluster_json(c);
END $$;

CREATE FUNCTION api_cluster_update(p_id uuid, p_name text, p_country text, p_tz text,
                                   p_start date, p_end date, p_cycle_min integer,
                                   p_cycle_max integer, p_ceiling integer, p_threshold integer)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    c clusters;
BEGIN
    PERFORM check_time_zone(p_tz);
    UPDATE clusters SET name = coalesce(btrim(p_name), name), country = coalesce(p_country, country),
        time_zone = coalesce(p_tz, time_zone), start_date = coalesce(p_start, start_date),
        target_end_date = coalesce(p_end, target_end_date),
        cycle_weeks_min = coalesce(p_cycle_min, cycle_weeks_min),
        cycle_weeks_max = coalesce(p_cycle_max, cycle_weeks_max),
        coaching_ceiling_half_days = coalesce(p_ceiling, coaching_ceiling_half_days),
        feedback_release_threshold = coalesce(p_threshold, feedback_release_threshold)
     WHERE id = p_id RETURNING * INTO c;
    IF c.id IS NULL THEN
        IF EXISTS (SELECT 1 FROM clusters WHERE id = p_id) THEN
            PERFORM raise_error('403', 'forbidden', 'only the cluster''s coordinators can change it');
        END IF;
        PERFORM raise_not_found();
    END IF;
    PERFORM audit('cluster_update', 'cluster', c.id, c.id, NULL);
    RETURN cluster_json(c);
END $$;

-- Visible for the caller and coordinated by it, or raise 404/403.
CREATE FUNCTION require_coordinator(p_cluster uuid) RETURNS void LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT p_cluster = ANY (ctx_coordinated_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'only the cluster''s coordinators can do this');
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Enrolments
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_enrolment_create(p_cluster uuid, p_org uuid, p_employees integer,
                                     p_commit_by text, p_commit_at date, p_hr boolean,
                                     p_fin boolean) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    e enrolments;
BEGIN
    PERFORM require_coordinator(p_cluster);
    IF NOT EXISTS (SELECT 1 FROM organisations WHERE id = p_org AND kind = 'member') THEN
        PERFORM raise_error('422', 'invalid_reference',
                            'organisation_id must name a member organisation you manage');
    END IF;
    IF EXISTS (SELECT 1 FROM enrolments WHERE cluster_id = p_cluster AND organisation_id = p_org) THEN
        PERFORM raise_error('409', 'conflict', 'this organisation is already enrolled in the cluster');
    END IF;
    INSERT INTO enrolments (cluster_id, organisation_id, employee_count, management_commitment_by,
                            management_commitment_at, human_resources_confirmed,
                            financial_resources_confirmed)
    VALUES (p_cluster, p_org,
            coalesce(p_employees, (SELECT employee_count FROM organisations WHERE id = p_org)),
            p_commit_by, p_commit_at, coalesce(p_hr, false), coalesce(p_fin, false))
    RETURNING * INTO e;
    PERFORM audit('enrolment_apply', 'enrolment', e.id, e.cluster_id, e.organisation_id);
    RETURN enrolment_json(e);
END $$;

CREATE FUNCTION api_enrolment_list(p_cluster uuid, p_status text, p_limit integer, p_cursor text)
    RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    RETURN (SELECT page_json(array_agg(enrolment_json(e) ORDER BY e.id), coalesce(p_limit, 50),
                             (array_agg(e.id::text ORDER BY e.id))[coalesce(p_limit, 50)])
            FROM (SELECT * FROM enrolments WHERE cluster_id = p_cluster
                     AND (p_status IS NULL OR status = p_status)
                     AND (p_cursor IS NULL OR id > require_cursor_uuid(p_cursor))
                   ORDER BY id LIMIT coalesce(p_limit, 50) + 1) e);
END $$;

CREATE FUNCTION api_enrolment_get(p_id uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments;
BEGIN
    SELECT * INTO e FROM enrolments WHERE id = p_id;
    IF e.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN enrolment_json(e);
END $$;

CREATE FUNCTION require_enrolment_coordinator(p_id uuid) RETURNS enrolments
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments;
BEGIN
    SELECT * INTO e FROM enrolments WHERE id = p_id;
    IF e.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT e.cluster_id = ANY (ctx_coordinated_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'only the cluster''s coordinators can do this');
    END IF;
    RETURN e;
END $$;

CREATE FUNCTION api_enrolment_update(p_id uuid, p_employees integer, p_commit_by text,
                                     p_commit_at date, p_hr boolean, p_fin boolean) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    e enrolments := require_enrolment_coordinator(p_id);
BEGIN
    UPDATE enrolments SET employee_count = coalesce(p_employees, employee_count),
        management_commitment_by = coalesce(p_commit_by, management_commitment_by),
        management_commitment_at = coalesce(p_commit_at, management_commitment_at),
        human_resources_confirmed = coalesce(p_hr, human_resources_confirmed),
        financial_resources_confirmed = coalesce(p_fin, financial_resources_confirmed)
     WHERE id = e.id RETURNING * INTO e;
    PERFORM audit('enrolment_update', 'enrolment', e.id, e.cluster_id, e.organisation_id);
    RETURN enrolment_json(e);
END $$;

-- admit, withdraw or complete, following applied -> admitted -> withdrawn | completed.
CREATE FUNCTION api_enrolment_transition(p_id uuid, p_action text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    e enrolments := require_enrolment_coordinator(p_id);
    v_missing text[];
    v_to text := CASE p_action WHEN 'admit' THEN 'admitted' WHEN 'withdraw' THEN 'withdrawn'
                               WHEN 'complete' THEN 'completed' END;
BEGIN
    IF NOT ((p_action = 'admit' AND e.status = 'applied')
            OR (p_action = 'withdraw' AND e.status IN ('applied', 'admitted'))
            OR (p_action = 'complete' AND e.status = 'admitted')) THEN
        PERFORM raise_error('409', 'invalid_transition',
                            format('an enrolment that is %s cannot be %s', e.status, v_to));
    END IF;
    IF p_action = 'admit' THEN
        v_missing := enrolment_missing_criteria(e);
        IF cardinality(v_missing) > 0 THEN
            PERFORM raise_error('422', 'admission_criteria_missing',
                format('admission needs every criterion of the method; missing: %s',
                       array_to_string(v_missing, ', ')));
        END IF;
    END IF;
    UPDATE enrolments SET status = v_to,
        admitted_at = CASE WHEN v_to = 'admitted' THEN now() ELSE admitted_at END,
        ended_at = CASE WHEN v_to IN ('withdrawn', 'completed') THEN now() ELSE ended_at END
     WHERE id = e.id RETURNING * INTO e;
    PERFORM audit('enrolment_' || p_action, 'enrolment', e.id, e.cluster_id, e.organisation_id);
    RETURN enrolment_json(e);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Staff and coach assignments
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_staff_list(p_cluster uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    RETURN json_build_object('items', coalesce((SELECT json_agg(staff_json(s) ORDER BY s.role, s.id)
                                                 FROM cluster_staff s WHERE s.cluster_id = p_cluster), '[]'));
END $$;

CREATE FUNCTION api_staff_add(p_cluster uuid, p_user uuid, p_role text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    s cluster_staff;
BEGIN
    PERFORM require_coordinator(p_cluster);
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_user AND NOT disabled) THEN
        PERFORM raise_error('422', 'invalid_reference', 'user_id must name an active user you can see');
    END IF;
    IF EXISTS (SELECT 1 FROM cluster_staff WHERE cluster_id = p_cluster AND user_id = p_user AND role = p_role) THEN
        PERFORM raise_error('409', 'conflict', 'this user already has this role in the cluster');
    END IF;
    INSERT INTO cluster_staff (cluster_id, user_id, role) VALUES (p_cluster, p_user, p_role)
    RETURNING * INTO s;
    PERFORM audit('staff_add', 'cluster_staff', s.id, p_cluster, NULL, json_build_object('role', p_role)::jsonb);
    RETURN staff_json(s);
END $$;

CREATE FUNCTION api_staff_remove(p_cluster uuid, p_staff uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    s cluster_staff;
BEGIN
    PERFORM require_coordinator(p_cluster);
    SELECT * INTO s FROM cluster_staff WHERE id = p_staff AND cluster_id = p_cluster;
    IF s.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF s.role = 'coordinator' AND (SELECT count(*) FROM cluster_staff
                                    WHERE cluster_id = p_cluster AND role = 'coordinator') = 1 THEN
        PERFORM raise_error('409', 'last_coordinator', 'a cluster needs at least one coordinator');
    END IF;
    DELETE FROM cluster_staff WHERE id = s.id;
    PERFORM audit('staff_remove', 'cluster_staff', s.id, p_cluster, NULL, json_build_object('role', s.role)::jsonb);
END $$;

CREATE FUNCTION api_coach_assignment_list(p_cluster uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    RETURN json_build_object('items', coalesce((SELECT json_agg(coach_assignment_json(a) ORDER BY a.id)
                                                 FROM coach_assignments a WHERE a.cluster_id = p_cluster), '[]'));
END $$;

CREATE FUNCTION api_coach_assignment_create(p_cluster uuid, p_enrolment uuid, p_coach uuid)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    e enrolments;
    a coach_assignments;
BEGIN
    PERFORM require_coordinator(p_cluster);
    SELECT * INTO e FROM enrolments WHERE id = p_enrolment AND cluster_id = p_cluster;
    IF e.id IS NULL THEN
        PERFORM raise_error('422', 'invalid_reference', 'enrolment_id must name an enrolment of this cluster');
    END IF;
    IF NOT EXISTS (SELECT 1 FROM cluster_staff WHERE cluster_id = p_cluster AND user_id = p_coach AND role = 'coach') THEN
        PERFORM raise_error('422', 'invalid_reference', 'coach_user_id must name a coach of this cluster');
    END IF;
    IF EXISTS (SELECT 1 FROM coach_assignments WHERE enrolment_id = p_enrolment AND coach_user_id = p_coach) THEN
        PERFORM raise_error('409', 'conflict', 'this coach is already assigned to this enrolment');
    END IF;
    INSERT INTO coach_assignments (cluster_id, organisation_id, enrolment_id, coach_user_id)
    VALUES (p_cluster, e.organisation_id, e.id, p_coach) RETURNING * INTO a;
    PERFORM audit('coach_assign', 'coach_assignment', a.id, p_cluster, e.organisation_id);
    RETURN coach_assignment_json(a);
END $$;

CREATE FUNCTION api_coach_assignment_delete(p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    a coach_assignments;
BEGIN
    SELECT * INTO a FROM coach_assignments WHERE id = p_id;
    IF a.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM require_coordinator(a.cluster_id);
    DELETE FROM coach_assignments WHERE id = a.id;
    PERFORM audit('coach_unassign', 'coach_assignment', a.id, a.cluster_id, a.organisation_id);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Audit trail, newest first; the cursor is "<microseconds since epoch>_<id>".
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION audit_page(p_cluster uuid, p_org uuid, p_limit integer, p_cursor text)
    RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_at timestamptz;
    v_id uuid;
    v_limit integer := coalesce(p_limit, 50);
BEGIN
    IF p_cursor IS NOT NULL THEN
        BEGIN
            v_at := to_timestamp(split_part(p_cursor, '_', 1)::numeric / 1000000);
            v_id := split_part(p_cursor, '_', 2)::uuid;
        EXCEPTION WHEN others THEN
            PERFORM raise_error('400', 'invalid_cursor', 'cursor is not one this server returned');
        END;
    END IF;
    RETURN (SELECT page_json(array_agg(audit_json(a) ORDER BY a.at DESC, a.id DESC), v_limit,
                             (array_agg((extract(epoch FROM a.at) * 1000000)::bigint || '_' || a.id
                                        ORDER BY a.at DESC, a.id DESC))[v_limit])
            FROM (SELECT * FROM audit_events
                   WHERE (p_cluster IS NULL OR cluster_id = p_cluster)
                     AND (p_org IS NULL OR organisation_id = p_org)
                     AND (v_at IS NULL OR (at, id) < (v_at, v_id))
                   ORDER BY at DESC, id DESC LIMIT v_limit + 1) a);
END $$;

CREATE FUNCTION api_audit_cluster(p_cluster uuid, p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM require_coordinator(p_cluster);
    RETURN audit_page(p_cluster, NULL, p_limit, p_cursor);
END $$;

CREATE FUNCTION api_audit_organisation(p_org uuid, p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_org IS DISTINCT FROM ctx_org() THEN
        IF EXISTS (SELECT 1 FROM organisations WHERE id = p_org) THEN
            -- Coordinators read an organisation's events through their clusters' trail.
            PERFORM raise_error('403', 'forbidden', 'read this organisation''s events through its cluster');
        END IF;
        PERFORM raise_not_found();
    END IF;
    RETURN audit_page(NULL, p_org, p_limit, p_cursor);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Me
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_me() RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'user', (SELECT user_json(u) FROM users_public u WHERE u.id = ctx_user()),
        'organisation', (SELECT organisation_json(o) FROM organisations o WHERE o.id = ctx_org()),
        'clusters', coalesce((
            SELECT json_agg(json_build_object('cluster_id', c.id, 'name', c.name,
                'roles', coalesce((SELECT json_agg(s.role ORDER BY s.role) FROM cluster_staff s
                                    WHERE s.cluster_id = c.id AND s.user_id = ctx_user()), '[]'),
                'enrolment', (SELECT json_build_object('id', e.id, 'status', e.status)
                                FROM enrolments e
                               WHERE e.cluster_id = c.id AND e.organisation_id = ctx_org()))
                ORDER BY c.start_date, c.id)
            FROM clusters c), '[]'))
$$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
