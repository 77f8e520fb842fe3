-- Planning, part 6: a training module of several half-days may be given as separate half-days,
-- each followed by its own coaching cycle (the method's "security policy, measures and
-- effectiveness, 2 x 0.5 d" is, by default), or joined into whole days. The scheduler plans each
-- separate half-day as a module of its own; the sessions keep the module's key and parts 1, 2, ...

ALTER TABLE curriculum_template_modules
    ADD COLUMN separate_half_days boolean NOT NULL DEFAULT false;
ALTER TABLE cluster_modules ADD COLUMN separate_half_days boolean NOT NULL DEFAULT false;

-- Clusters following the default template that already planned the module as a whole day keep it
-- so: their plan does not change under them. The others get the method's default.
INSERT INTO cluster_modules (cluster_id, position, module_key, title, kind, half_days)
SELECT c.id, tm.position, tm.module_key, tm.title, tm.kind, tm.half_days
  FROM clusters c
  JOIN curriculum_template_modules tm ON true
  JOIN curriculum_templates t ON t.key = tm.template_key AND t.is_default
 WHERE NOT EXISTS (SELECT 1 FROM cluster_modules m WHERE m.cluster_id = c.id)
   AND EXISTS (SELECT 1 FROM training_sessions s
                WHERE s.cluster_id = c.id AND s.module_key = 'security_measures'
                  AND s.status <> 'cancelled');
UPDATE curriculum_template_modules SET separate_half_days = true
 WHERE template_key = 'iso27001_cluster' AND module_key = 'security_measures';

DROP FUNCTION planning_modules(uuid);
CREATE FUNCTION planning_modules(p_cluster uuid)
    RETURNS TABLE (pos integer, module_key text, title text, kind text, half_days integer,
                   separate_half_days boolean, customised boolean)
    LANGUAGE sql STABLE AS $$
    SELECT m.position, m.module_key, m.title, m.kind, m.half_days, m.separate_half_days, true
      FROM cluster_modules m WHERE m.cluster_id = p_cluster
    UNION ALL
    SELECT tm.position, tm.module_key, tm.title, tm.kind, tm.half_days, tm.separate_half_days,
           false
      FROM curriculum_template_modules tm
      JOIN curriculum_templates t ON t.key = tm.template_key AND t.is_default
     WHERE NOT EXISTS (SELECT 1 FROM cluster_modules m WHERE m.cluster_id = p_cluster)
    ORDER BY 1
$$;

CREATE OR REPLACE FUNCTION api_curriculum_templates() RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('items', coalesce(json_agg(json_build_object('key', t.key,
        'title', t.title, 'is_default', t.is_default,
        'modules', (SELECT json_agg(json_build_object('position', m.position,
                        'module_key', m.module_key, 'title', m.title, 'kind', m.kind,
                        'half_days', m.half_days, 'separate_half_days', m.separate_half_days)
                        ORDER BY m.position)
                      FROM curriculum_template_modules m WHERE m.template_key = t.key))
        ORDER BY t.key), '[]'))
      FROM curriculum_templates t
$$;

CREATE OR REPLACE FUNCTION planning_curriculum_json(p_cluster uuid) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT json_build_object('cluster_id', p_cluster,
        'customised', coalesce(bool_or(m.customised), false),
        'training_half_days', coalesce(sum(m.half_days) FILTER (WHERE m.kind = 'training'), 0),
        'modules', coalesce(json_agg(json_build_object('position', m.pos,
            'module_key', m.module_key, 'title', m.title, 'kind', m.kind,
            'half_days', m.half_days, 'separate_half_days', m.separate_half_days)
            ORDER BY m.pos), '[]'))
      FROM planning_modules(p_cluster) m
$$;

-- Replaces the cluster's copy (add, remove, reorder, change durations, join or separate a
-- module's half-days); the template is untouched. p_modules: [{"module_key", "title", "kind",
-- "half_days", "separate_half_days"?}] in order, validated by the server.
CREATE OR REPLACE FUNCTION api_cluster_curriculum_put(p_cluster uuid, p_modules json) RETURNS json
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
    INSERT INTO cluster_modules (cluster_id, position, module_key, title, kind, half_days,
                                 separate_half_days)
    SELECT p_cluster, m.ordinality, m.value->>'module_key', btrim(m.value->>'title'),
           m.value->>'kind', (m.value->>'half_days')::integer,
           coalesce((m.value->>'separate_half_days')::boolean, false)
      FROM json_array_elements(p_modules) WITH ORDINALITY AS m;
    PERFORM audit('curriculum_update', 'cluster', p_cluster, p_cluster, NULL,
                  jsonb_build_object('modules', json_array_length(p_modules)));
    RETURN planning_curriculum_json(p_cluster);
END $$;

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
                        'kind', m.kind, 'half_days', m.half_days,
                        'separate_half_days', m.separate_half_days) ORDER BY m.pos)
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

-- Granted one by one: a blanket grant would undo the earlier revokes of internal functions.
GRANT EXECUTE ON FUNCTION planning_modules(uuid) TO isms_app;
