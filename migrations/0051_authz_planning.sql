-- References to people in planning bodies are checked like reads, and conflict messages name
-- only people, organisations and clusters the caller may see.

-- Whether the caller may see user p_user: a colleague, a user of an organisation it may see, or
-- staff of a cluster it belongs to (as staff or through its organisation's enrolment).
CREATE FUNCTION ctx_may_see_user(p_user uuid) RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM users u WHERE u.id = p_user
                      AND (u.organisation_id = ctx_org() OR u.organisation_id = ANY (ctx_visible_orgs())))
        OR EXISTS (SELECT 1 FROM cluster_staff s WHERE s.user_id = p_user
                      AND (s.cluster_id = ANY (ctx_staff_clusters())
                           OR s.cluster_id = ANY (ctx_member_clusters())))
$$;

-- The first booking that collides with the given one, as a sentence for the caller. A booking of
-- a cluster the caller does not belong to is named only as "not available then", and a person or
-- organisation only when the caller may see them.
CREATE OR REPLACE FUNCTION planning_first_conflict(p_cluster uuid, p_training uuid, p_coaching uuid,
                                                   p_date date, p_slot text, p_half_days integer,
                                                   p_people uuid[], p_orgs uuid[]) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_range int4range := planning_slot_range(p_slot, p_half_days);
    v_user uuid;
    v_org uuid;
    v_other uuid;
    v_who text;
    v_when text := format('%s %s', p_date, CASE WHEN p_half_days = 2 THEN 'all day' ELSE p_slot END);
BEGIN
    SELECT u.id, o.id, t.cluster_id INTO v_user, v_org, v_other
      FROM training_sessions t
      LEFT JOIN users u ON u.id = ANY (p_people) AND u.id IN (t.trainer_user_id, t.coach_user_id)
      LEFT JOIN organisations o ON o.id = ANY (p_orgs)
           AND (o.id = t.organisation_id AND t.part = 1
                OR (t.kind = 'training' AND EXISTS (
                        SELECT 1 FROM enrolments e WHERE e.cluster_id = t.cluster_id
                           AND e.organisation_id = o.id AND e.status = 'admitted')))
     WHERE t.session_date = p_date AND t.status <> 'cancelled' AND t.id IS DISTINCT FROM p_training
       AND planning_slot_range(t.slot, t.half_days) && v_range
       AND (u.id IS NOT NULL OR o.id IS NOT NULL)
     ORDER BY t.id LIMIT 1;
    IF v_user IS NULL AND v_org IS NULL THEN
        SELECT u.id, o.id, s.cluster_id INTO v_user, v_org, v_other
          FROM coaching_sessions s
          LEFT JOIN users u ON u.id = ANY (p_people) AND u.id = s.coach_user_id
          LEFT JOIN organisations o ON o.id = ANY (p_orgs) AND o.id = s.organisation_id
         WHERE s.session_date = p_date AND s.status <> 'cancelled'
           AND s.id IS DISTINCT FROM p_coaching
           AND planning_slot_range(s.slot, s.half_days) && v_range
           AND (u.id IS NOT NULL OR o.id IS NOT NULL)
         ORDER BY s.id LIMIT 1;
    END IF;
    IF v_user IS NULL AND v_org IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_user IS NOT NULL THEN
        v_who := CASE WHEN ctx_user() IS NULL OR ctx_may_see_user(v_user)
                      THEN (SELECT display_name FROM users WHERE id = v_user) ELSE 'the trainer' END;
    ELSE
        v_who := CASE WHEN ctx_user() IS NULL OR v_org = ctx_org() OR v_org = ANY (ctx_visible_orgs())
                      THEN (SELECT name FROM organisations WHERE id = v_org) ELSE 'an organisation' END;
    END IF;
    IF v_other = p_cluster THEN
        RETURN format('%s already has a session in this cluster on %s', v_who, v_when);
    END IF;
    IF ctx_user() IS NULL OR v_other = ANY (ctx_staff_clusters()) OR v_other = ANY (ctx_member_clusters()) THEN
        RETURN format('%s already has a session in another cluster on %s', v_who, v_when);
    END IF;
    RETURN format('%s is not available on %s', v_who, v_when);
END $$;
REVOKE EXECUTE ON FUNCTION
    planning_first_conflict(uuid, uuid, uuid, date, text, integer, uuid[], uuid[]) FROM isms_app;

-- A session's trainer must be a trainer of the session's cluster; any other id (missing, another
-- tenant's, a coach) answers the same.
CREATE FUNCTION planning_require_trainer(p_cluster uuid, p_trainer uuid) RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    IF p_trainer IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM cluster_staff WHERE cluster_id = p_cluster AND user_id = p_trainer
                                      AND role = 'trainer') THEN
        PERFORM raise_error('422', 'invalid_reference',
                            'trainer_user_id must name a trainer of this cluster');
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api_session_update(p_id uuid, p_date date, p_slot text, p_trainer uuid,
                                              p_location text, p_notes text, p_version integer,
                                              p_plan_version text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    t training_sessions := planning_require_session_coordinator(p_id);
    v_move boolean := p_date IS NOT NULL OR p_slot IS NOT NULL OR p_trainer IS NOT NULL;
BEGIN
    PERFORM planning_require_trainer(t.cluster_id, p_trainer);
    IF v_move THEN
        PERFORM planning_lock_cluster(t.cluster_id);
        PERFORM planning_require_version(t.cluster_id, p_plan_version, NULL);
    END IF;
    SELECT * INTO t FROM training_sessions WHERE id = p_id FOR UPDATE;
    IF p_version IS NOT NULL AND p_version <> t.version THEN
        PERFORM raise_error('409', 'stale_version', format(
            'the session changed since you loaded it (version %s, now %s); reload it', p_version,
            t.version));
    END IF;
    UPDATE training_sessions SET session_date = coalesce(p_date, session_date),
           slot = coalesce(p_slot, slot), trainer_user_id = coalesce(p_trainer, trainer_user_id),
           location = CASE WHEN p_location IS NULL THEN location ELSE nullif(btrim(p_location), '') END,
           notes = CASE WHEN p_notes IS NULL THEN notes ELSE nullif(p_notes, '') END
     WHERE id = p_id RETURNING * INTO t;
    PERFORM audit(CASE WHEN v_move THEN 'session_move' ELSE 'session_update' END,
                  'training_session', t.id, t.cluster_id, t.organisation_id,
                  jsonb_build_object('session_date', t.session_date, 'slot', t.slot));
    RETURN training_session_json(t);
END $$;

GRANT EXECUTE ON FUNCTION ctx_may_see_user(uuid), planning_require_trainer(uuid, uuid) TO isms_app;

-- The move check's input, after the trainer of the body has been checked (before any rule is
-- evaluated, so that an unknown trainer never shows up in a conflict).
CREATE FUNCTION api_session_move_input(p_id uuid, p_trainer uuid) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    t training_sessions := planning_require_session_coordinator(p_id);
BEGIN
    PERFORM planning_require_trainer(t.cluster_id, p_trainer);
    RETURN api_session_move_input(p_id);
END $$;
GRANT EXECUTE ON FUNCTION api_session_move_input(uuid, uuid) TO isms_app;

-- Trainers see and record the participants and presence of their own sessions only (the
-- coordinators and the registering organisation as before).
CREATE FUNCTION ctx_trained_sessions() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce(array_agg(id), '{}') FROM training_sessions
          WHERE trainer_user_id = ctx_user() AND ctx_user() IS NOT NULL $$;
GRANT EXECUTE ON FUNCTION ctx_trained_sessions() TO isms_app;

DROP POLICY app_select ON training_registrations;
CREATE POLICY app_select ON training_registrations FOR SELECT TO isms_app
    USING (organisation_id = ctx_org()
           OR cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR training_session_id = ANY ((SELECT ctx_trained_sessions())::uuid[]));
DROP POLICY app_update ON training_registrations;
CREATE POLICY app_update ON training_registrations FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR training_session_id = ANY ((SELECT ctx_trained_sessions())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
                OR training_session_id = ANY ((SELECT ctx_trained_sessions())::uuid[]));
