-- Planning, part 2: what the scheduler is given and how its plan is written back.
--
-- planning_input() gathers, for one cluster, everything the programme scheduler (C, services/
-- planning/scheduler.c) needs: the curriculum, the admitted organisations with their coach and
-- coaching target (the gap analysis estimate, never above the ceiling), the trainers, holidays,
-- declared unavailability, the bookings of the same people and organisations in other clusters
-- (as bare busy half-days) and the current plan. Its MD5 is the plan version: the same version
-- means the same input, hence (the scheduler being deterministic) the same plan. A plan is applied
-- only while the version is unchanged, under locks on the cluster and on everybody it books.

-- ---------------------------------------------------------------------------------------------
-- Small helpers
-- ---------------------------------------------------------------------------------------------
-- Seconds east of UTC of time zone p_tz at an instant.
CREATE FUNCTION planning_tz_offset(p_tz text, p_at timestamptz) RETURNS integer
    LANGUAGE sql STABLE AS $$
    SELECT extract(epoch FROM (p_at AT TIME ZONE p_tz) - (p_at AT TIME ZONE 'UTC'))::integer
$$;

-- The onsets of p_tz's offsets between two dates (for a VTIMEZONE): the offset in force on
-- p_from, then every change, each with the local date and minute at which it happens.
CREATE FUNCTION planning_tz_observances(p_tz text, p_from date, p_to date) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_off integer := planning_tz_offset(p_tz, p_from::timestamp AT TIME ZONE 'UTC');
    v_min integer := v_off;
    v_new integer;
    v_at timestamptz;
    v_local timestamp;
    v_items jsonb := jsonb_build_array(jsonb_build_object('day', p_from, 'minute', 0,
        'offset_from', v_off, 'offset_to', v_off));
BEGIN
    FOR v_day IN 1 .. greatest(p_to - p_from + 1, 0) LOOP
        v_new := planning_tz_offset(p_tz, (p_from + v_day)::timestamp AT TIME ZONE 'UTC');
        CONTINUE WHEN v_new = v_off;
        FOR v_hour IN 1 .. 24 LOOP
            v_at := (p_from + v_day - 1)::timestamp AT TIME ZONE 'UTC' + make_interval(hours => v_hour);
            EXIT WHEN planning_tz_offset(p_tz, v_at) = v_new;
        END LOOP;
        v_local := (v_at AT TIME ZONE 'UTC') + make_interval(secs => v_off);
        v_items := v_items || jsonb_build_object('day', v_local::date,
            'minute', extract(hour FROM v_local)::integer * 60 + extract(minute FROM v_local)::integer,
            'offset_from', v_off, 'offset_to', v_new);
        v_off := v_new;
        v_min := least(v_min, v_new);
    END LOOP;
    RETURN (SELECT json_agg(x || jsonb_build_object('daylight', (x->>'offset_to')::integer > v_min)
                            ORDER BY (x->>'day')::date, (x->>'minute')::integer)
              FROM jsonb_array_elements(v_items) AS x);
END $$;

-- A staff member's name for somebody who can see the cluster (members cannot read users of other
-- organisations, but they may know who trains them).
CREATE FUNCTION planning_staff_name(p_cluster uuid, p_user uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT u.display_name FROM users u
     WHERE u.id = p_user
       AND (p_cluster = ANY (ctx_staff_clusters()) OR p_cluster = ANY (ctx_member_clusters()))
       AND EXISTS (SELECT 1 FROM cluster_staff s WHERE s.cluster_id = p_cluster AND s.user_id = p_user)
$$;

-- ---------------------------------------------------------------------------------------------
-- The scheduler's input
-- ---------------------------------------------------------------------------------------------
-- Everything planned in other clusters for the given people and organisations, as busy half-days.
CREATE FUNCTION planning_busy_elsewhere(p_cluster uuid, p_people uuid[], p_orgs uuid[],
                                        p_from date, p_to date) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT coalesce(json_agg(json_build_object('resource_id', b.resource_id, 'from', b.day,
               'from_slot', b.slot, 'to', b.day,
               'to_slot', CASE WHEN b.half_days = 2 THEN 'afternoon' ELSE b.slot END,
               'elsewhere', true) ORDER BY b.day, b.slot, b.resource_id), '[]')
      FROM (
        SELECT DISTINCT r.resource_id, t.session_date AS day, t.slot, t.half_days
          FROM training_sessions t
          CROSS JOIN LATERAL unnest(ARRAY[t.trainer_user_id, t.coach_user_id]
                                    || planning_session_orgs(t)) AS r(resource_id)
         WHERE t.cluster_id <> p_cluster AND t.status <> 'cancelled'
           AND t.session_date BETWEEN p_from AND p_to
           AND (r.resource_id = ANY (p_people) OR r.resource_id = ANY (p_orgs))
        UNION
        SELECT r.resource_id, s.session_date, s.slot, s.half_days
          FROM coaching_sessions s
          CROSS JOIN LATERAL unnest(ARRAY[s.coach_user_id, s.organisation_id]) AS r(resource_id)
         WHERE s.cluster_id <> p_cluster AND s.status <> 'cancelled'
           AND s.session_date BETWEEN p_from AND p_to
           AND (r.resource_id = ANY (p_people) OR r.resource_id = ANY (p_orgs))) AS b
$$;

-- The scheduler's input for a cluster, with its version: {"plan_version": md5, "input": {...}}.
-- p_today: the day the plan is made on (default: today in the cluster's time zone); nothing new is
-- placed before the day after it. Anybody in the cluster may load it (an organisation's new
-- unavailability triggers a re-plan proposal); only the server reads it, and what it shows a
-- member leaves out the others' reasons.
CREATE FUNCTION planning_input(p_cluster uuid, p_today date DEFAULT NULL) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    c clusters;
    st cluster_planning_settings;
    v_today date;
    v_earliest date;
    v_lo date;
    v_hi date;
    v_orgs uuid[];
    v_people uuid[];
    v_body json;
BEGIN
    -- Without an identity only the operator's own session (the demo command) may read a cluster:
    -- the server's role sees nothing in a transaction that has none.
    IF (ctx_user() IS NULL AND session_user = 'isms_app')
       OR (ctx_user() IS NOT NULL AND NOT (p_cluster = ANY (ctx_staff_clusters())
                                           OR p_cluster = ANY (ctx_member_clusters()))) THEN
        PERFORM raise_not_found();
    END IF;
    SELECT * INTO c FROM clusters WHERE id = p_cluster;
    IF c.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    st := planning_settings(p_cluster);
    v_today := coalesce(p_today, (now() AT TIME ZONE c.time_zone)::date);
    v_earliest := greatest(c.start_date, v_today + 1);
    v_lo := least(v_earliest, c.start_date) - 60;
    v_hi := greatest(c.target_end_date, v_earliest) + 200;
    SELECT coalesce(array_agg(e.organisation_id ORDER BY e.organisation_id), '{}') INTO v_orgs
      FROM enrolments e WHERE e.cluster_id = p_cluster AND e.status = 'admitted';
    SELECT coalesce(array_agg(DISTINCT p), '{}') INTO v_people FROM (
        SELECT s.user_id FROM cluster_staff s WHERE s.cluster_id = p_cluster AND s.role = 'trainer'
        UNION SELECT a.coach_user_id FROM coach_assignments a
               JOIN enrolments e ON e.id = a.enrolment_id AND e.status = 'admitted'
               WHERE a.cluster_id = p_cluster
        UNION SELECT unnest(ARRAY[t.trainer_user_id, t.coach_user_id]) FROM training_sessions t
               WHERE t.cluster_id = p_cluster AND t.status <> 'cancelled'
        UNION SELECT s.coach_user_id FROM coaching_sessions s
               WHERE s.cluster_id = p_cluster AND s.status <> 'cancelled') AS x(p)
     WHERE p IS NOT NULL;
    v_body := json_build_object(
        'cluster', json_build_object('id', c.id, 'name', c.name, 'country', c.country,
            'time_zone', c.time_zone, 'start_date', c.start_date,
            'target_end_date', c.target_end_date, 'today', v_today, 'earliest', v_earliest,
            'gap_min_days', 7 * c.cycle_weeks_min, 'gap_max_days', 7 * c.cycle_weeks_max,
            'weekdays', to_json(st.weekdays)),
        'modules', (SELECT json_agg(json_build_object('key', m.module_key, 'title', m.title,
                        'kind', m.kind, 'half_days', m.half_days) ORDER BY m.pos)
                      FROM planning_modules(p_cluster) m),
        'organisations', planning_input_orgs(c),
        'people', (SELECT coalesce(json_agg(json_build_object('id', u.id, 'name', u.display_name)
                              ORDER BY u.id), '[]')
                     FROM users u WHERE u.id = ANY (v_people)),
        'trainers', (SELECT coalesce(json_agg(s.user_id ORDER BY s.created_at, s.user_id), '[]')
                       FROM cluster_staff s JOIN users u ON u.id = s.user_id AND NOT u.disabled
                      WHERE s.cluster_id = p_cluster AND s.role = 'trainer'),
        'holidays', (SELECT coalesce(json_agg(json_build_object('day', h.day, 'name', h.name)
                                ORDER BY h.day), '[]')
                       FROM public_holidays h
                      WHERE h.country = c.country AND h.day BETWEEN v_lo AND v_hi),
        'unavailability', (SELECT coalesce(json_agg(json_build_object(
                                'id', u.id, 'resource_id', coalesce(u.user_id, u.organisation_id),
                                'from', u.start_date, 'from_slot', u.start_slot, 'to', u.end_date,
                                'to_slot', u.end_slot, 'label', u.reason)
                                ORDER BY u.start_date, u.id), '[]')
                             FROM unavailability u
                            WHERE u.end_date >= v_lo AND u.start_date <= v_hi
                              AND ((u.user_id IS NULL AND u.organisation_id = ANY (v_orgs))
                                   OR u.user_id = ANY (v_people))),
        'elsewhere', planning_busy_elsewhere(p_cluster, v_people, v_orgs, v_lo, v_hi),
        'sessions', planning_input_sessions(p_cluster));
    RETURN json_build_object('plan_version', md5(v_body::text), 'input', v_body);
END $$;

-- The admitted organisations with their coach and coaching target.
CREATE FUNCTION planning_input_orgs(c clusters) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT coalesce(json_agg(json_build_object('id', x.organisation_id, 'name', x.name,
               'enrolment_id', x.enrolment_id, 'coach_user_id', x.coach,
               'estimate', x.estimate, 'ceiling', x.ceiling,
               'coaching_half_days', least(coalesce(x.estimate, 0), x.ceiling))
               ORDER BY x.organisation_id), '[]')
      FROM (SELECT e.id AS enrolment_id, e.organisation_id, o.name,
                   (SELECT a.coach_user_id FROM coach_assignments a
                     WHERE a.enrolment_id = e.id ORDER BY a.created_at, a.coach_user_id LIMIT 1) AS coach,
                   (SELECT g.estimated_coaching_half_days FROM gap_analyses g
                     WHERE g.enrolment_id = e.id) AS estimate,
                   coalesce((SELECT b.ceiling_half_days FROM coaching_budgets b
                              WHERE b.enrolment_id = e.id), c.coaching_ceiling_half_days) AS ceiling
              FROM enrolments e JOIN organisations o ON o.id = e.organisation_id
             WHERE e.cluster_id = c.id AND e.status = 'admitted') AS x
$$;

-- The current plan: live sessions of the programme and the coaching of admitted organisations.
CREATE FUNCTION planning_input_sessions(p_cluster uuid) RETURNS json
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT coalesce(json_agg(x ORDER BY x->>'date', x->>'slot', x->>'id'), '[]') FROM (
        SELECT json_build_object('id', t.id, 'kind', t.kind, 'module_key', t.module_key,
                   'part', t.part, 'organisation_id', t.organisation_id, 'date', t.session_date,
                   'slot', t.slot, 'half_days', t.half_days, 'status', t.status,
                   'trainer_user_id', t.trainer_user_id, 'coach_user_id', t.coach_user_id) AS x
          FROM training_sessions t
         WHERE t.cluster_id = p_cluster AND t.status <> 'cancelled'
        UNION ALL
        SELECT json_build_object('id', s.id, 'kind', 'coaching', 'module_key', s.module_key,
                   'part', 1, 'organisation_id', s.organisation_id, 'date', s.session_date,
                   'slot', s.slot, 'half_days', s.half_days, 'status', s.status,
                   'trainer_user_id', NULL, 'coach_user_id', s.coach_user_id)
          FROM coaching_sessions s JOIN enrolments e ON e.id = s.enrolment_id
         WHERE s.cluster_id = p_cluster AND s.status <> 'cancelled' AND e.status = 'admitted') AS q
$$;

-- ---------------------------------------------------------------------------------------------
-- Preview and apply
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_plan_input(p_cluster uuid, p_today date) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM require_coordinator(p_cluster);
    RETURN planning_input(p_cluster, p_today);
END $$;

-- Locks the cluster's plan and everybody it may book, in one order for every writer.
CREATE FUNCTION planning_lock_cluster(p_cluster uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(3030, hashtext(p_cluster::text));
    PERFORM planning_lock_resources(
        (SELECT coalesce(array_agg(s.user_id), '{}') FROM cluster_staff s
          WHERE s.cluster_id = p_cluster AND s.role IN ('trainer', 'coach'))
        || (SELECT coalesce(array_agg(e.organisation_id), '{}') FROM enrolments e
             WHERE e.cluster_id = p_cluster AND e.status = 'admitted'));
END $$;

CREATE FUNCTION planning_require_version(p_cluster uuid, p_version text, p_today date)
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF planning_input(p_cluster, p_today)->>'plan_version' IS DISTINCT FROM p_version THEN
        PERFORM raise_error('409', 'plan_changed',
            'the plan or something it depends on (a session, an unavailability, a setting, a '
            'booking of the same people in another cluster) changed since the preview; preview '
            'again and apply the new plan');
    END IF;
END $$;

-- Writes a plan computed by the server from the input of version p_version:
--   {"cancel": [training session ids], "coaching_cancel": [coaching session ids],
--    "sessions": [{"id"?, "kind", "module_key", "part", "organisation_id", "date", "slot",
--                  "half_days", "trainer_user_id", "coach_user_id"}],
--    "coaching": [{"enrolment_id", "coach_user_id", "date", "slot", "half_days", "topic",
--                  "module_key"}]}
-- Sessions with an id move; the others are created. Coaching is booked through coaching_book().
CREATE FUNCTION api_plan_apply(p_cluster uuid, p_version text, p_changes json, p_today date)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    x json;
    v_n integer;
    v_cancelled integer := 0;
    v_coaching_cancelled integer := 0;
    v_moved integer := 0;
    v_created integer := 0;
    v_booked integer := 0;
BEGIN
    PERFORM require_coordinator(p_cluster);
    PERFORM planning_lock_cluster(p_cluster);
    PERFORM planning_require_version(p_cluster, p_version, p_today);
    FOR x IN SELECT * FROM json_array_elements(coalesce(p_changes->'cancel', '[]')) LOOP
        UPDATE training_sessions SET status = 'cancelled', cancel_reason = 'removed by re-planning'
         WHERE id = (x#>>'{}')::uuid AND cluster_id = p_cluster AND status = 'planned';
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_cancelled := v_cancelled + v_n;
    END LOOP;
    FOR x IN SELECT * FROM json_array_elements(coalesce(p_changes->'coaching_cancel', '[]')) LOOP
        UPDATE coaching_sessions SET status = 'cancelled', cancelled_at = now(),
               cancel_reason = 'moved by re-planning the programme'
         WHERE id = (x#>>'{}')::uuid AND cluster_id = p_cluster AND status = 'planned';
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_coaching_cancelled := v_coaching_cancelled + v_n;
    END LOOP;
    FOR x IN SELECT * FROM json_array_elements(coalesce(p_changes->'sessions', '[]')) LOOP
        IF x->>'id' IS NOT NULL THEN
            UPDATE training_sessions SET session_date = (x->>'date')::date, slot = x->>'slot',
                   half_days = (x->>'half_days')::integer,
                   trainer_user_id = (x->>'trainer_user_id')::uuid,
                   coach_user_id = (x->>'coach_user_id')::uuid
             WHERE id = (x->>'id')::uuid AND cluster_id = p_cluster AND status = 'planned';
            IF NOT FOUND THEN
                PERFORM raise_error('409', 'plan_changed',
                                    'a session of the plan changed meanwhile; preview again');
            END IF;
            v_moved := v_moved + 1;
        ELSE
            INSERT INTO training_sessions (cluster_id, kind, module_key, part, organisation_id,
                                           enrolment_id, session_date, slot, half_days,
                                           trainer_user_id, coach_user_id, created_by)
            SELECT p_cluster, x->>'kind', x->>'module_key', (x->>'part')::integer, e.organisation_id,
                   e.id, (x->>'date')::date, x->>'slot', (x->>'half_days')::integer,
                   (x->>'trainer_user_id')::uuid, (x->>'coach_user_id')::uuid, ctx_user()
              FROM (SELECT 1) AS one
              LEFT JOIN enrolments e ON e.cluster_id = p_cluster
                   AND e.organisation_id = (x->>'organisation_id')::uuid;
            v_created := v_created + 1;
        END IF;
    END LOOP;
    FOR x IN SELECT * FROM json_array_elements(coalesce(p_changes->'coaching', '[]')) LOOP
        PERFORM coaching_book((x->>'enrolment_id')::uuid, (x->>'coach_user_id')::uuid,
                              (x->>'date')::date, x->>'slot', (x->>'half_days')::integer,
                              x->>'topic', x->>'module_key');
        v_booked := v_booked + 1;
    END LOOP;
    PERFORM audit('plan_apply', 'cluster', p_cluster, p_cluster, NULL, jsonb_build_object(
        'plan_version', p_version, 'created', v_created, 'moved', v_moved,
        'cancelled', v_cancelled, 'coaching_booked', v_booked,
        'coaching_cancelled', v_coaching_cancelled));
    RETURN json_build_object('applied_version', p_version,
        'plan_version', planning_input(p_cluster, p_today)->>'plan_version',
        'created', v_created, 'moved', v_moved, 'cancelled', v_cancelled,
        'coaching_booked', v_booked, 'coaching_cancelled', v_coaching_cancelled);
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
-- Internal: they read every cluster and check nobody; only the functions above (run as the owner)
-- and the booking guards call them.
REVOKE EXECUTE ON FUNCTION planning_busy_elsewhere(uuid, uuid[], uuid[], date, date),
    planning_input_orgs(clusters), planning_input_sessions(uuid),
    planning_first_conflict(uuid, uuid, uuid, date, text, integer, uuid[], uuid[]) FROM isms_app;
