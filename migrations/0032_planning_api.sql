-- Planning, part 3: one function per endpoint for the curriculum, settings, holidays,
-- unavailability and the sessions. SECURITY INVOKER: every row goes through the caller's
-- row-level security; these functions decide between 404 (cannot see) and 403 (can see, may not
-- change) and write the audit event in the same transaction.

-- ---------------------------------------------------------------------------------------------
-- JSON representations
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION training_session_json(t training_sessions) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', t.id, 'cluster_id', t.cluster_id, 'kind', t.kind,
        'module_key', t.module_key, 'title', planning_module_title(t.cluster_id, t.module_key),
        'part', t.part, 'organisation_id', t.organisation_id, 'enrolment_id', t.enrolment_id,
        'session_date', t.session_date, 'slot', t.slot, 'half_days', t.half_days,
        'start_time', to_char(CASE t.slot WHEN 'morning' THEN st.morning_start
                                          ELSE st.afternoon_start END, 'HH24:MI'),
        'end_time', to_char(CASE WHEN t.slot = 'afternoon' OR t.half_days = 2 THEN st.afternoon_end
                                 ELSE st.morning_end END, 'HH24:MI'),
        'time_zone', (SELECT c.time_zone FROM clusters c WHERE c.id = t.cluster_id),
        'status', t.status,
        'trainer_user_id', t.trainer_user_id,
        'trainer_name', planning_staff_name(t.cluster_id, t.trainer_user_id),
        'coach_user_id', t.coach_user_id,
        'coach_name', planning_staff_name(t.cluster_id, t.coach_user_id),
        'location', coalesce(t.location, st.location),
        -- Private notes: the cluster's staff only.
        'notes', CASE WHEN t.cluster_id = ANY (ctx_staff_clusters()) THEN t.notes END,
        'cancel_reason', t.cancel_reason, 'sequence', t.sequence, 'version', t.version,
        'created_at', t.created_at, 'updated_at', t.updated_at)
      FROM planning_settings(t.cluster_id) st
$$;

CREATE FUNCTION unavailability_json(u unavailability) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', u.id, 'organisation_id', u.organisation_id,
        'user_id', u.user_id, 'start_date', u.start_date, 'start_slot', u.start_slot,
        'end_date', u.end_date, 'end_slot', u.end_slot, 'reason', u.reason,
        'created_by', u.created_by, 'created_at', u.created_at)
$$;

CREATE FUNCTION planning_settings_json(s cluster_planning_settings) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT json_build_object('cluster_id', s.cluster_id, 'weekdays', to_json(s.weekdays),
        'morning_start', to_char(s.morning_start, 'HH24:MI'),
        'morning_end', to_char(s.morning_end, 'HH24:MI'),
        'afternoon_start', to_char(s.afternoon_start, 'HH24:MI'),
        'afternoon_end', to_char(s.afternoon_end, 'HH24:MI'),
        'location', s.location,
        'cycle_weeks_min', c.cycle_weeks_min, 'cycle_weeks_max', c.cycle_weeks_max,
        'country', c.country, 'time_zone', c.time_zone)
      FROM clusters c WHERE c.id = s.cluster_id
$$;

CREATE FUNCTION planning_require_visible_cluster(p_cluster uuid) RETURNS void
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Curriculum
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_curriculum_templates() RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('items', coalesce(json_agg(json_build_object('key', t.key,
        'title', t.title, 'is_default', t.is_default,
        'modules', (SELECT json_agg(json_build_object('position', m.position,
                        'module_key', m.module_key, 'title', m.title, 'kind', m.kind,
                        'half_days', m.half_days) ORDER BY m.position)
                      FROM curriculum_template_modules m WHERE m.template_key = t.key))
        ORDER BY t.key), '[]'))
      FROM curriculum_templates t
$$;

CREATE FUNCTION planning_curriculum_json(p_cluster uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('cluster_id', p_cluster,
        'customised', coalesce(bool_or(m.customised), false),
        'training_half_days', coalesce(sum(m.half_days) FILTER (WHERE m.kind = 'training'), 0),
        'modules', coalesce(json_agg(json_build_object('position', m.pos,
            'module_key', m.module_key, 'title', m.title, 'kind', m.kind,
            'half_days', m.half_days) ORDER BY m.pos), '[]'))
      FROM planning_modules(p_cluster) m
$$;

CREATE FUNCTION api_cluster_curriculum(p_cluster uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM planning_require_visible_cluster(p_cluster);
    RETURN planning_curriculum_json(p_cluster);
END $$;

-- Replaces the cluster's copy (add, remove, reorder, change durations); the template is untouched.
-- p_modules: [{"module_key", "title", "kind", "half_days"}] in order, validated by the server.
CREATE FUNCTION api_cluster_curriculum_put(p_cluster uuid, p_modules json) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_pinned text;
BEGIN
    PERFORM require_coordinator(p_cluster);
    IF (SELECT count(DISTINCT m->>'module_key') FROM json_array_elements(p_modules) m)
       <> json_array_length(p_modules) THEN
        PERFORM raise_error('422', 'invalid_value', 'each module_key may appear only once');
    END IF;
    -- A module with confirmed or done sessions cannot disappear or change kind.
    SELECT string_agg(DISTINCT t.module_key, ', ') INTO v_pinned
      FROM training_sessions t
     WHERE t.cluster_id = p_cluster AND t.status IN ('confirmed', 'done')
       AND NOT EXISTS (SELECT 1 FROM json_array_elements(p_modules) m
                        WHERE m->>'module_key' = t.module_key AND m->>'kind' = t.kind);
    IF v_pinned IS NOT NULL THEN
        PERFORM raise_error('409', 'module_in_use', format(
            'these modules have confirmed or done sessions and must stay: %s', v_pinned));
    END IF;
    DELETE FROM cluster_modules WHERE cluster_id = p_cluster;
    INSERT INTO cluster_modules (cluster_id, position, module_key, title, kind, half_days)
    SELECT p_cluster, m.ordinality, m.value->>'module_key', btrim(m.value->>'title'),
           m.value->>'kind', (m.value->>'half_days')::integer
      FROM json_array_elements(p_modules) WITH ORDINALITY AS m;
    PERFORM audit('curriculum_update', 'cluster', p_cluster, p_cluster, NULL,
                  jsonb_build_object('modules', json_array_length(p_modules)));
    RETURN planning_curriculum_json(p_cluster);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Settings and holidays
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_planning_settings(p_cluster uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM planning_require_visible_cluster(p_cluster);
    RETURN planning_settings_json(planning_settings(p_cluster));
END $$;

CREATE FUNCTION api_planning_settings_update(p_cluster uuid, p_weekdays json, p_ms text,
                                             p_me text, p_as text, p_ae text, p_location text)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    s cluster_planning_settings;
    v_days integer[];
BEGIN
    PERFORM require_coordinator(p_cluster);
    s := planning_settings(p_cluster);
    IF p_weekdays IS NOT NULL THEN
        SELECT array_agg(DISTINCT d::integer ORDER BY d::integer) INTO v_days
          FROM json_array_elements_text(p_weekdays) d;
        s.weekdays := v_days;
    END IF;
    BEGIN
        s.morning_start := coalesce(p_ms::time, s.morning_start);
        s.morning_end := coalesce(p_me::time, s.morning_end);
        s.afternoon_start := coalesce(p_as::time, s.afternoon_start);
        s.afternoon_end := coalesce(p_ae::time, s.afternoon_end);
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow THEN
        PERFORM raise_error('400', 'invalid_body', 'times must be HH:MM');
    END;
    IF NOT (s.morning_start < s.morning_end AND s.morning_end <= s.afternoon_start
            AND s.afternoon_start < s.afternoon_end) THEN
        PERFORM raise_error('422', 'invalid_value',
            'the half-days must follow each other: morning start < morning end <= afternoon start < afternoon end');
    END IF;
    INSERT INTO cluster_planning_settings (cluster_id, weekdays, morning_start, morning_end,
                                           afternoon_start, afternoon_end, location, updated_by)
    VALUES (p_cluster, s.weekdays, s.morning_start, s.morning_end, s.afternoon_start,
            s.afternoon_end, coalesce(p_location, s.location), ctx_user())
    ON CONFLICT (cluster_id) DO UPDATE SET weekdays = EXCLUDED.weekdays,
        morning_start = EXCLUDED.morning_start, morning_end = EXCLUDED.morning_end,
        afternoon_start = EXCLUDED.afternoon_start, afternoon_end = EXCLUDED.afternoon_end,
        location = EXCLUDED.location, updated_at = now(), updated_by = ctx_user();
    PERFORM audit('planning_settings_update', 'cluster', p_cluster, p_cluster, NULL);
    RETURN planning_settings_json(planning_settings(p_cluster));
END $$;

CREATE FUNCTION api_holidays(p_country text, p_from date, p_to date) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT json_build_object('country', p_country, 'items', coalesce(json_agg(json_build_object(
               'day', h.day, 'name', h.name) ORDER BY h.day), '[]'))
      FROM public_holidays h
     WHERE h.country = p_country
       AND h.day BETWEEN coalesce(p_from, date '-infinity') AND coalesce(p_to, date 'infinity')
$$;

-- ---------------------------------------------------------------------------------------------
-- Unavailability
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_unavailability_list(p_org uuid, p_user uuid, p_from date, p_to date)
    RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF (p_org IS NOT NULL AND NOT EXISTS (SELECT 1 FROM organisations WHERE id = p_org))
       OR (p_user IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users_public WHERE id = p_user)) THEN
        PERFORM raise_not_found();
    END IF;
    RETURN json_build_object('items', coalesce((
        SELECT json_agg(unavailability_json(u) ORDER BY u.start_date, u.id)
          FROM unavailability u
         WHERE (p_org IS NULL OR (u.organisation_id = p_org AND u.user_id IS NULL))
           AND (p_user IS NULL OR u.user_id = p_user)
           AND (p_from IS NULL OR u.end_date >= p_from) AND (p_to IS NULL OR u.start_date <= p_to)
         LIMIT 1000), '[]'));
END $$;

-- Sessions (programme and coaching) that a new unavailability of an organisation or a person hits,
-- as far as the caller may see them.
CREATE FUNCTION planning_affected_sessions(u unavailability) RETURNS json
    LANGUAGE sql STABLE AS $$
    WITH hit AS (
        SELECT t.id, CASE t.kind WHEN 'training' THEN 'training' ELSE 'gap_analysis' END AS type,
               t.cluster_id, planning_module_title(t.cluster_id, t.module_key) AS title,
               t.session_date, t.slot, t.half_days, t.status
          FROM training_sessions t
         WHERE t.status IN ('planned', 'confirmed')
           AND t.session_date BETWEEN u.start_date AND u.end_date
           AND CASE WHEN u.user_id IS NOT NULL THEN u.user_id IN (t.trainer_user_id, t.coach_user_id)
                    ELSE u.organisation_id = ANY (planning_session_orgs(t)) END
        UNION ALL
        SELECT s.id, 'coaching', s.cluster_id, s.topic, s.session_date, s.slot, s.half_days, s.status
          FROM coaching_sessions s
         WHERE s.status = 'planned' AND s.session_date BETWEEN u.start_date AND u.end_date
           AND CASE WHEN u.user_id IS NOT NULL THEN s.coach_user_id = u.user_id
                    ELSE s.organisation_id = u.organisation_id END)
    SELECT coalesce(json_agg(json_build_object('id', h.id, 'type', h.type,
               'cluster_id', h.cluster_id, 'title', h.title, 'session_date', h.session_date,
               'slot', h.slot, 'half_days', h.half_days, 'status', h.status)
               ORDER BY h.session_date, h.slot, h.id), '[]')
      FROM hit h
     WHERE (h.session_date > u.start_date OR u.start_slot = 'morning'
            OR h.slot = 'afternoon' OR h.half_days = 2)
       AND (h.session_date < u.end_date OR u.end_slot = 'afternoon' OR h.slot = 'morning')
$$;

-- Declares an unavailability of organisation p_org (p_user NULL) or of person p_user, and answers
-- with the sessions it hits and, for every cluster concerned, the scheduler's input for a
-- minimal-change re-plan (the server computes the proposal and removes the input).
CREATE FUNCTION api_unavailability_create(p_org uuid, p_user uuid, p_start date, p_end date,
                                          p_start_slot text, p_end_slot text, p_reason text)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_org uuid := p_org;
    v_id uuid := gen_random_uuid();
    u unavailability;
    v_affected json;
BEGIN
    IF p_user IS NOT NULL THEN
        SELECT organisation_id INTO v_org FROM users_public WHERE id = p_user;
        IF v_org IS NULL THEN
            PERFORM raise_not_found();
        END IF;
    ELSIF NOT EXISTS (SELECT 1 FROM organisations WHERE id = p_org) THEN
        PERFORM raise_not_found();
    END IF;
    IF p_end < p_start OR (p_end = p_start AND coalesce(p_start_slot, 'morning') = 'afternoon'
                           AND coalesce(p_end_slot, 'afternoon') = 'morning') THEN
        PERFORM raise_error('422', 'invalid_value', 'end_date must not be before start_date');
    END IF;
    IF p_end - p_start > 366 THEN
        PERFORM raise_error('422', 'invalid_value', 'an unavailability lasts at most a year');
    END IF;
    BEGIN
        INSERT INTO unavailability (id, organisation_id, user_id, start_date, start_slot, end_date,
                                    end_slot, reason, created_by)
        VALUES (v_id, v_org, p_user, p_start, coalesce(p_start_slot, 'morning'), p_end,
                coalesce(p_end_slot, 'afternoon'), p_reason, ctx_user());
    EXCEPTION WHEN insufficient_privilege THEN
        PERFORM raise_error('403', 'forbidden', CASE WHEN p_user IS NULL
            THEN 'only the organisation''s staff or its cluster''s coordinators declare its unavailability'
            ELSE 'only the person or the coordinators of their clusters declare their unavailability' END);
    END;
    SELECT * INTO u FROM unavailability WHERE id = v_id;
    PERFORM audit('unavailability_create', 'unavailability', v_id, NULL, v_org,
                  jsonb_build_object('user_id', p_user, 'start_date', p_start, 'end_date', p_end));
    v_affected := planning_affected_sessions(u);
    RETURN json_build_object('unavailability', unavailability_json(u),
        'affected_sessions', v_affected,
        'replan', (SELECT coalesce(json_agg(json_build_object('cluster_id', c.id,
                       'cluster_name', c.name,
                       'coordinator', c.id = ANY (ctx_coordinated_clusters()),
                       'input', planning_input(c.id, NULL)) ORDER BY c.id), '[]')
                     FROM clusters c
                    WHERE c.id IN (SELECT (a->>'cluster_id')::uuid FROM json_array_elements(v_affected) a
                                    WHERE a->>'status' = 'planned' OR a->>'type' <> 'coaching')));
END $$;

CREATE FUNCTION api_unavailability_delete(p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    u unavailability;
BEGIN
    SELECT * INTO u FROM unavailability WHERE id = p_id;
    IF u.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    DELETE FROM unavailability WHERE id = p_id;
    IF NOT FOUND THEN
        PERFORM raise_error('403', 'forbidden', 'you cannot withdraw this unavailability');
    END IF;
    PERFORM audit('unavailability_delete', 'unavailability', u.id, NULL, u.organisation_id);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Sessions
-- ---------------------------------------------------------------------------------------------
-- A page of sessions in date order; the cursor is "<date>_<slot index>_<id>".
CREATE FUNCTION planning_session_page(p_cluster uuid, p_org uuid, p_user uuid, p_from date,
                                      p_to date, p_status text, p_limit integer, p_cursor text)
    RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_limit integer := coalesce(p_limit, 100);
    v_date date;
    v_slot integer;
    v_id uuid;
BEGIN
    IF p_cursor IS NOT NULL THEN
        BEGIN
            v_date := split_part(p_cursor, '_', 1)::date;
            v_slot := split_part(p_cursor, '_', 2)::integer;
            v_id := split_part(p_cursor, '_', 3)::uuid;
        EXCEPTION WHEN others THEN
            PERFORM raise_error('400', 'invalid_cursor', 'cursor is not one this server returned');
        END;
    END IF;
    RETURN (SELECT page_json(array_agg(training_session_json(t)
                                       ORDER BY t.session_date, planning_slot_index(t.slot), t.id),
                             v_limit,
                             (array_agg(t.session_date || '_' || planning_slot_index(t.slot) || '_' || t.id
                                        ORDER BY t.session_date, planning_slot_index(t.slot), t.id))[v_limit])
            FROM (SELECT * FROM training_sessions t
                   WHERE (p_cluster IS NULL OR t.cluster_id = p_cluster)
                     AND (p_org IS NULL OR t.organisation_id = p_org
                          OR (t.kind = 'training' AND t.cluster_id IN (
                                  SELECT e.cluster_id FROM enrolments e
                                   WHERE e.organisation_id = p_org
                                     AND e.status IN ('admitted', 'completed'))))
                     AND (p_user IS NULL OR p_user IN (t.trainer_user_id, t.coach_user_id))
                     AND (p_from IS NULL OR t.session_date >= p_from)
                     AND (p_to IS NULL OR t.session_date <= p_to)
                     AND (p_status IS NULL OR t.status = p_status)
                     AND (v_date IS NULL OR (t.session_date, planning_slot_index(t.slot), t.id)
                                            > (v_date, v_slot, v_id))
                   ORDER BY t.session_date, planning_slot_index(t.slot), t.id
                   LIMIT v_limit + 1) t);
END $$;

CREATE FUNCTION api_sessions_cluster(p_cluster uuid, p_from date, p_to date, p_status text,
                                     p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM planning_require_visible_cluster(p_cluster);
    RETURN planning_session_page(p_cluster, NULL, NULL, p_from, p_to, p_status, p_limit, p_cursor);
END $$;

CREATE FUNCTION api_sessions_organisation(p_org uuid, p_from date, p_to date, p_status text,
                                          p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM organisations WHERE id = p_org) THEN
        PERFORM raise_not_found();
    END IF;
    RETURN planning_session_page(NULL, p_org, NULL, p_from, p_to, p_status, p_limit, p_cursor);
END $$;

CREATE FUNCTION api_sessions_user(p_user uuid, p_from date, p_to date, p_status text,
                                  p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_user IS DISTINCT FROM ctx_user()
       AND NOT EXISTS (SELECT 1 FROM users_public WHERE id = p_user)
       AND NOT EXISTS (SELECT 1 FROM cluster_staff WHERE user_id = p_user) THEN
        PERFORM raise_not_found();
    END IF;
    RETURN planning_session_page(NULL, NULL, p_user, p_from, p_to, p_status, p_limit, p_cursor);
END $$;

CREATE FUNCTION api_session_get(p_id uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    t training_sessions;
BEGIN
    SELECT * INTO t FROM training_sessions WHERE id = p_id;
    IF t.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN training_session_json(t);
END $$;

CREATE FUNCTION planning_require_session_coordinator(p_id uuid) RETURNS training_sessions
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    t training_sessions;
BEGIN
    SELECT * INTO t FROM training_sessions WHERE id = p_id;
    IF t.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT t.cluster_id = ANY (ctx_coordinated_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'only the cluster''s coordinators change sessions');
    END IF;
    RETURN t;
END $$;

-- What the server needs to check a manual move: the session and its cluster's planner input.
CREATE FUNCTION api_session_move_input(p_id uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    t training_sessions := planning_require_session_coordinator(p_id);
BEGIN
    IF t.status IN ('done', 'cancelled') THEN
        PERFORM raise_error('409', 'session_closed', format('a %s session cannot be moved', t.status));
    END IF;
    RETURN json_build_object('session', training_session_json(t),
                             'plan', planning_input(t.cluster_id, NULL));
END $$;

-- Changes a session. A move (date, slot, trainer) has been checked by the server against the
-- input of version p_plan_version, which must still be current; p_version, when given, is the
-- session's version the client last saw.
CREATE FUNCTION api_session_update(p_id uuid, p_date date, p_slot text, p_trainer uuid,
                                   p_location text, p_notes text, p_version integer,
                                   p_plan_version text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    t training_sessions := planning_require_session_coordinator(p_id);
    v_move boolean := p_date IS NOT NULL OR p_slot IS NOT NULL OR p_trainer IS NOT NULL;
BEGIN
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

-- confirm (planned -> confirmed), complete (confirmed -> done, once held), cancel.
CREATE FUNCTION api_session_transition(p_id uuid, p_action text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    t training_sessions := planning_require_session_coordinator(p_id);
    v_to text := CASE p_action WHEN 'confirm' THEN 'confirmed' WHEN 'complete' THEN 'done'
                               WHEN 'cancel' THEN 'cancelled' END;
    v_today date := (SELECT (now() AT TIME ZONE c.time_zone)::date FROM clusters c
                      WHERE c.id = t.cluster_id);
BEGIN
    IF NOT ((p_action = 'confirm' AND t.status = 'planned')
            OR (p_action = 'complete' AND t.status = 'confirmed')
            OR (p_action = 'cancel' AND t.status IN ('planned', 'confirmed'))) THEN
        PERFORM raise_error('409', 'invalid_transition', format(
            'a %s session cannot become %s%s', t.status, v_to,
            CASE WHEN p_action = 'complete' AND t.status = 'planned' THEN ': confirm it first'
                 ELSE '' END));
    END IF;
    IF v_to = 'done' AND t.session_date > v_today THEN
        PERFORM raise_error('409', 'not_yet_held', format(
            'the session is on %s: it can be marked done once it has taken place', t.session_date));
    END IF;
    UPDATE training_sessions SET status = v_to,
           cancel_reason = CASE WHEN v_to = 'cancelled' THEN 'cancelled by the coordinator'
                                ELSE cancel_reason END
     WHERE id = p_id RETURNING * INTO t;
    PERFORM audit('session_' || p_action, 'training_session', t.id, t.cluster_id, t.organisation_id);
    RETURN training_session_json(t);
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
