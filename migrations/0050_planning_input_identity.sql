-- planning_input() reads across tenants (it runs as the owner): a transaction of the server's role
-- without an identity now gets the same 404 as for a cluster it cannot see, like every table under
-- row-level security. The body is otherwise that of 0031_planning_input.sql.
CREATE OR REPLACE FUNCTION planning_input(p_cluster uuid, p_today date DEFAULT NULL) RETURNS json
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
