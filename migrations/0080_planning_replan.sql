-- Planning, part 5: what a coordinator reads while re-planning. A target end date cannot be moved
-- before sessions that are already planned (409 naming them: move or cancel them first), and a
-- training session names the organisation it is for (a gap analysis), so lists can say whose it is.

-- ---------------------------------------------------------------------------------------------
-- The target end date and the sessions already planned
-- ---------------------------------------------------------------------------------------------
-- "Risk assessment, Monday 14 May 2029 (morning)": how a session is named in messages.
CREATE FUNCTION planning_session_words(p_title text, p_org text, p_date date, p_slot text,
                                       p_half_days integer) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT p_title || coalesce(' of ' || p_org, '') || ', '
           || to_char(p_date, 'FMDay FMDD FMMonth YYYY') || ' ('
           || CASE WHEN p_half_days = 2 THEN 'whole day' ELSE p_slot END || ')'
$$;

-- Refuses a target end date before the cluster's live sessions (trainings, gap analyses and
-- coaching), naming the first five: the coordinator moves or cancels them first, or picks a later
-- date. Runs as the owner so that it sees every session of the cluster whoever changes the date.
CREATE FUNCTION planning_guard_end_date() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_n integer;
    v_last date;
    v_list text;
BEGIN
    SELECT count(*), max(x.d),
           string_agg(x.words, '; ' ORDER BY x.d, x.slot_i, x.words) FILTER (WHERE x.rn <= 5)
      INTO v_n, v_last, v_list
      FROM (SELECT y.*, row_number() OVER (ORDER BY y.d, y.slot_i, y.words) AS rn
              FROM (SELECT t.session_date AS d, planning_slot_index(t.slot) AS slot_i,
                           planning_session_words(planning_module_title(t.cluster_id, t.module_key),
                                                  o.name, t.session_date, t.slot, t.half_days)
                               AS words
                      FROM training_sessions t
                      LEFT JOIN organisations o ON o.id = t.organisation_id
                     WHERE t.cluster_id = NEW.id AND t.status <> 'cancelled'
                       AND t.session_date > NEW.target_end_date
                    UNION ALL
                    SELECT s.session_date, planning_slot_index(s.slot),
                           planning_session_words('Coaching', o.name, s.session_date, s.slot,
                                                  s.half_days)
                      FROM coaching_sessions s
                      JOIN organisations o ON o.id = s.organisation_id
                     WHERE s.cluster_id = NEW.id AND s.status <> 'cancelled'
                       AND s.session_date > NEW.target_end_date) AS y) AS x;
    IF v_n > 0 THEN
        PERFORM raise_error('409', 'sessions_after_end_date', format(
            '%s planned after %s: %s%s. Move or cancel %s first, or choose %s or later',
            CASE WHEN v_n = 1 THEN 'One session is' ELSE v_n || ' sessions are' END,
            to_char(NEW.target_end_date, 'FMDD FMMonth YYYY'), v_list,
            CASE WHEN v_n > 5 THEN format(' and %s more', v_n - 5) ELSE '' END,
            CASE WHEN v_n = 1 THEN 'it' ELSE 'them' END,
            to_char(v_last, 'FMDD FMMonth YYYY')));
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER clusters_guard_end_date BEFORE UPDATE OF target_end_date ON clusters
    FOR EACH ROW WHEN (NEW.target_end_date < OLD.target_end_date)
    EXECUTE FUNCTION planning_guard_end_date();

-- ---------------------------------------------------------------------------------------------
-- A training session names the organisation it is for
-- ---------------------------------------------------------------------------------------------
-- The name of the organisation a session is for (NULL for trainings): whoever may read the session
-- may read whose it is, so this reads past the organisations' row-level security.
CREATE FUNCTION planning_organisation_name(p_org uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT o.name FROM organisations o WHERE o.id = p_org
$$;

CREATE OR REPLACE FUNCTION training_session_json(t training_sessions) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', t.id, 'cluster_id', t.cluster_id, 'kind', t.kind,
        'module_key', t.module_key, 'title', planning_module_title(t.cluster_id, t.module_key),
        'part', t.part, 'organisation_id', t.organisation_id,
        'organisation_name', planning_organisation_name(t.organisation_id),
        'enrolment_id', t.enrolment_id,
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

-- Granted one by one: a blanket grant would undo the earlier revokes of internal functions.
GRANT EXECUTE ON FUNCTION planning_session_words(text, text, date, text, integer),
    planning_organisation_name(uuid) TO isms_app;
