-- Planning, part 4: registrations and attendance (the method asks for two people of each
-- organisation at every training; the report is evidence for ISO/IEC 27001 clauses 7.2 and 7.3),
-- and the calendar feeds (iCalendar, written by the server from what planning_feed() returns).

-- ---------------------------------------------------------------------------------------------
-- Registrations and attendance
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION planning_participants_target() RETURNS integer LANGUAGE sql IMMUTABLE
    AS $$ SELECT 2 $$;

CREATE FUNCTION registration_json(r training_registrations) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', r.id, 'training_session_id', r.training_session_id,
        'cluster_id', r.cluster_id, 'organisation_id', r.organisation_id,
        'enrolment_id', r.enrolment_id, 'participant_user_id', r.participant_user_id,
        'participant_name', r.participant_name, 'attended', r.attended,
        'attendance_recorded_at', r.attendance_recorded_at, 'created_at', r.created_at)
$$;

CREATE FUNCTION planning_training_session(p_id uuid) RETURNS training_sessions
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    t training_sessions;
BEGIN
    SELECT * INTO t FROM training_sessions WHERE id = p_id AND kind = 'training';
    IF t.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN t;
END $$;

-- The session's registrations the caller may see, and per organisation whether it reaches the
-- method's two participants.
CREATE FUNCTION api_registrations_list(p_session uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    t training_sessions := planning_training_session(p_session);
BEGIN
    RETURN json_build_object('training_session_id', t.id,
        'target_per_organisation', planning_participants_target(),
        'items', coalesce((SELECT json_agg(registration_json(r) ORDER BY r.organisation_id,
                                                                       r.participant_name, r.id)
                             FROM training_registrations r WHERE r.training_session_id = t.id), '[]'),
        'organisations', coalesce((
            SELECT json_agg(json_build_object('organisation_id', e.organisation_id,
                       'organisation_name', o.name, 'registered', n.registered,
                       'attended', n.attended,
                       'below_target', n.registered < planning_participants_target())
                       ORDER BY o.name, e.organisation_id)
              FROM enrolments e JOIN organisations o ON o.id = e.organisation_id
              CROSS JOIN LATERAL (
                  SELECT count(*)::integer AS registered,
                         count(*) FILTER (WHERE r.attended)::integer AS attended
                    FROM training_registrations r
                   WHERE r.training_session_id = t.id AND r.enrolment_id = e.id) n
             WHERE e.cluster_id = t.cluster_id AND e.status = 'admitted'), '[]'));
END $$;

-- Registers a participant: a user of the organisation (p_user) or a name. The organisation is
-- the caller's own, or the one a coordinator names.
CREATE FUNCTION api_registration_create(p_session uuid, p_org uuid, p_user uuid, p_name text)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    t training_sessions := planning_training_session(p_session);
    v_org uuid := coalesce(p_org, ctx_org());
    v_name text := btrim(p_name);
    e enrolments;
    v_id uuid := gen_random_uuid();
    r training_registrations;
BEGIN
    SELECT * INTO e FROM enrolments WHERE cluster_id = t.cluster_id AND organisation_id = v_org;
    IF e.id IS NULL OR e.status <> 'admitted' THEN
        PERFORM raise_error('422', 'invalid_reference',
                            'organisation_id must name an admitted organisation of the session''s cluster');
    END IF;
    IF NOT (v_org = ctx_org() OR t.cluster_id = ANY (ctx_coordinated_clusters())) THEN
        PERFORM raise_error('403', 'forbidden', 'an organisation registers its own participants');
    END IF;
    IF t.status NOT IN ('planned', 'confirmed') THEN
        PERFORM raise_error('409', 'session_closed',
                            format('registrations are closed: the session is %s', t.status));
    END IF;
    IF p_user IS NOT NULL THEN
        SELECT coalesce(v_name, u.display_name) INTO v_name FROM users_public u
         WHERE u.id = p_user AND u.organisation_id = v_org;
        IF NOT FOUND THEN
            PERFORM raise_error('422', 'invalid_reference',
                                'participant_user_id must name a user of the organisation');
        END IF;
    END IF;
    IF v_name IS NULL OR v_name = '' THEN
        PERFORM raise_error('400', 'invalid_body', 'participant_name or participant_user_id is required');
    END IF;
    IF EXISTS (SELECT 1 FROM training_registrations x
                WHERE x.training_session_id = t.id AND x.organisation_id = v_org
                  AND (lower(x.participant_name) = lower(v_name) OR x.participant_user_id = p_user)) THEN
        PERFORM raise_error('409', 'already_registered', format('%s is already registered', v_name));
    END IF;
    IF (SELECT count(*) FROM training_registrations x
         WHERE x.training_session_id = t.id AND x.organisation_id = v_org) >= 10 THEN
        PERFORM raise_error('409', 'too_many_participants',
                            'an organisation registers at most 10 participants per session');
    END IF;
    INSERT INTO training_registrations (id, cluster_id, organisation_id, enrolment_id,
                                        training_session_id, participant_user_id,
                                        participant_name, registered_by)
    VALUES (v_id, t.cluster_id, v_org, e.id, t.id, p_user, v_name, ctx_user());
    SELECT * INTO r FROM training_registrations WHERE id = v_id;
    PERFORM audit('registration_create', 'training_registration', v_id, t.cluster_id, v_org);
    RETURN registration_json(r);
END $$;

CREATE FUNCTION api_registration_delete(p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r training_registrations;
BEGIN
    SELECT * INTO r FROM training_registrations WHERE id = p_id;
    IF r.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF r.attended IS NOT NULL THEN
        PERFORM raise_error('409', 'attendance_recorded',
                            'attendance is recorded for this registration: it stays as evidence');
    END IF;
    DELETE FROM training_registrations WHERE id = p_id;
    IF NOT FOUND THEN
        PERFORM raise_error('403', 'forbidden', 'an organisation withdraws its own participants');
    END IF;
    PERFORM audit('registration_delete', 'training_registration', r.id, r.cluster_id,
                  r.organisation_id);
END $$;

-- Records whether a registered participant attended, once the session has taken place.
CREATE FUNCTION api_registration_attendance(p_id uuid, p_attended boolean) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    r training_registrations;
    t training_sessions;
BEGIN
    SELECT * INTO r FROM training_registrations WHERE id = p_id;
    IF r.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    SELECT * INTO t FROM training_sessions WHERE id = r.training_session_id;
    IF t.session_date > (SELECT (now() AT TIME ZONE c.time_zone)::date FROM clusters c
                          WHERE c.id = t.cluster_id) THEN
        PERFORM raise_error('409', 'not_yet_held', format(
            'the session is on %s: presence is recorded after it', t.session_date));
    END IF;
    IF t.status = 'cancelled' THEN
        PERFORM raise_error('409', 'session_closed', 'the session was cancelled');
    END IF;
    UPDATE training_registrations SET attended = p_attended, attendance_recorded_at = now(),
           attendance_recorded_by = ctx_user()
     WHERE id = p_id;
    IF NOT FOUND THEN
        PERFORM raise_error('403', 'forbidden',
                            'presence is recorded by the cluster''s coordinators and trainers');
    END IF;
    SELECT * INTO r FROM training_registrations WHERE id = p_id;
    PERFORM audit('attendance_record', 'training_registration', r.id, r.cluster_id,
                  r.organisation_id, jsonb_build_object('attended', p_attended));
    RETURN registration_json(r);
END $$;

-- An organisation's attendance over the cluster's trainings: who was registered and who came.
CREATE FUNCTION api_attendance_report(p_enrolment uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments;
BEGIN
    SELECT * INTO e FROM enrolments WHERE id = p_enrolment;
    IF e.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN (
    WITH s AS (
        SELECT t.*, coalesce(n.registered, 0) AS registered, coalesce(n.attended, 0) AS attended,
               n.people
          FROM training_sessions t
          LEFT JOIN LATERAL (
              SELECT count(*)::integer AS registered,
                     count(*) FILTER (WHERE r.attended)::integer AS attended,
                     json_agg(json_build_object('registration_id', r.id,
                         'participant_name', r.participant_name,
                         'participant_user_id', r.participant_user_id, 'attended', r.attended)
                         ORDER BY r.participant_name) AS people
                FROM training_registrations r
               WHERE r.training_session_id = t.id AND r.enrolment_id = e.id) n ON true
         WHERE t.cluster_id = e.cluster_id AND t.kind = 'training' AND t.status <> 'cancelled')
    SELECT json_build_object('enrolment_id', e.id, 'organisation_id', e.organisation_id,
        'organisation_name', (SELECT name FROM organisations WHERE id = e.organisation_id),
        'cluster_id', e.cluster_id,
        'target_per_session', planning_participants_target(),
        'evidence', 'Training records for ISO/IEC 27001 clause 7.2 (competence) and 7.3 '
                    '(awareness): who was registered for each training and who attended.',
        'sessions', coalesce(json_agg(json_build_object('training_session_id', s.id,
            'module_key', s.module_key, 'title', planning_module_title(s.cluster_id, s.module_key),
            'part', s.part, 'session_date', s.session_date, 'slot', s.slot,
            'half_days', s.half_days, 'status', s.status, 'registered', s.registered,
            'attended', s.attended,
            'below_target', s.registered < planning_participants_target(),
            'participants', coalesce(s.people, '[]'))
            ORDER BY s.session_date, planning_slot_index(s.slot)), '[]'),
        'totals', json_build_object(
            'sessions', count(s.id),
            'half_days', coalesce(sum(s.half_days), 0),
            'sessions_below_target', count(s.id) FILTER (WHERE s.registered < planning_participants_target()),
            'sessions_held', count(s.id) FILTER (WHERE s.status = 'done'),
            'half_days_attended', coalesce(sum(s.half_days) FILTER (WHERE s.attended > 0), 0),
            'sessions_missed', count(s.id) FILTER (WHERE s.status = 'done' AND s.attended = 0)))
      FROM s);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Calendar feeds
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION calendar_feed_json(f calendar_feeds) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', f.id, 'scope', f.scope, 'cluster_id', f.cluster_id,
        'organisation_id', f.organisation_id, 'user_id', f.user_id, 'label', f.label,
        'created_at', f.created_at, 'last_used_at', f.last_used_at, 'revoked_at', f.revoked_at)
$$;

-- Creates a feed of the caller's: the cluster's trainings (anybody in the cluster), the caller's
-- organisation's sessions, or the caller's own sessions as trainer or coach.
CREATE FUNCTION api_feed_create(p_scope text, p_cluster uuid, p_label text, p_token_hash text)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := gen_random_uuid();
    f calendar_feeds;
BEGIN
    IF p_scope = 'cluster' THEN
        IF p_cluster IS NULL THEN
            PERFORM raise_error('400', 'invalid_body', 'cluster_id is required for a cluster feed');
        END IF;
        PERFORM planning_require_visible_cluster(p_cluster);
    ELSIF p_cluster IS NOT NULL THEN
        PERFORM raise_error('400', 'invalid_body', 'cluster_id is only for cluster feeds');
    END IF;
    INSERT INTO calendar_feeds (id, token_hash, scope, cluster_id, organisation_id, user_id, label)
    VALUES (v_id, p_token_hash, p_scope, p_cluster, ctx_org(), ctx_user(), p_label);
    SELECT * INTO f FROM calendar_feeds WHERE id = v_id;
    PERFORM audit('calendar_feed_create', 'calendar_feed', v_id, p_cluster, ctx_org(),
                  jsonb_build_object('scope', p_scope));
    RETURN calendar_feed_json(f);
END $$;

CREATE FUNCTION api_feed_list() RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('items', coalesce(json_agg(calendar_feed_json(f)
                                                        ORDER BY f.created_at, f.id), '[]'))
      FROM calendar_feeds f WHERE f.user_id = ctx_user()
$$;

CREATE FUNCTION api_feed_revoke(p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    f calendar_feeds;
BEGIN
    UPDATE calendar_feeds SET revoked_at = now()
     WHERE id = p_id AND revoked_at IS NULL RETURNING * INTO f;
    IF f.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM audit('calendar_feed_revoke', 'calendar_feed', f.id, f.cluster_id, f.organisation_id);
END $$;

-- One event of a feed, in the calendar's time zone p_tz.
CREATE FUNCTION planning_feed_event(p_uid text, p_sequence bigint, p_updated timestamptz,
                                    p_cluster uuid, p_date date, p_slot text, p_half_days integer,
                                    p_tz text, p_summary text, p_description text,
                                    p_location text, p_status text) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT json_build_object('uid', p_uid, 'sequence', p_sequence,
        'dtstamp', to_char(p_updated AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"'),
        'start', to_char(((p_date + CASE p_slot WHEN 'morning' THEN st.morning_start
                                                ELSE st.afternoon_start END)
                          AT TIME ZONE c.time_zone) AT TIME ZONE p_tz, 'YYYY-MM-DD HH24:MI'),
        'end', to_char(((p_date + CASE WHEN p_slot = 'afternoon' OR p_half_days = 2
                                       THEN st.afternoon_end ELSE st.morning_end END)
                        AT TIME ZONE c.time_zone) AT TIME ZONE p_tz, 'YYYY-MM-DD HH24:MI'),
        'summary', p_summary, 'description', p_description, 'location', p_location,
        'status', CASE p_status WHEN 'planned' THEN 'TENTATIVE' WHEN 'cancelled' THEN 'CANCELLED'
                                ELSE 'CONFIRMED' END)
      FROM clusters c, planning_settings(p_cluster) st WHERE c.id = p_cluster
$$;

-- The events of a feed, by the SHA-256 of its token: no private notes, only what the feed's owner
-- may still see. Raises IC404 for an unknown or revoked token or a disabled owner.
CREATE FUNCTION planning_feed(p_token_hash text) RETURNS json
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    f calendar_feeds;
    v_clusters uuid[];
    v_tz text;
    v_name text;
    v_events json;
    v_from date;
    v_to date;
BEGIN
    SELECT * INTO f FROM calendar_feeds WHERE token_hash = p_token_hash AND revoked_at IS NULL;
    IF f.id IS NULL OR (SELECT disabled FROM users WHERE id = f.user_id) THEN
        PERFORM raise_not_found();
    END IF;
    IF f.last_used_at IS NULL OR f.last_used_at < now() - interval '10 minutes' THEN
        UPDATE calendar_feeds SET last_used_at = now() WHERE id = f.id;
    END IF;
    -- Clusters whose trainings the feed shows, as the owner may see them today.
    SELECT coalesce(array_agg(DISTINCT x), '{}') INTO v_clusters FROM (
        SELECT s.cluster_id FROM cluster_staff s
         WHERE s.user_id = f.user_id AND f.scope IN ('cluster', 'staff')
        UNION SELECT e.cluster_id FROM enrolments e
         WHERE e.organisation_id = f.organisation_id AND e.status IN ('admitted', 'completed')
           AND f.scope IN ('cluster', 'organisation')) AS v(x)
     WHERE f.scope <> 'cluster' OR x = f.cluster_id;
    IF f.scope = 'cluster' AND cardinality(v_clusters) = 0 THEN
        PERFORM raise_not_found();
    END IF;
    SELECT c.time_zone, CASE f.scope WHEN 'cluster' THEN c.name END INTO v_tz, v_name
      FROM clusters c WHERE c.id = ANY (v_clusters) ORDER BY c.start_date, c.id LIMIT 1;
    v_tz := coalesce(v_tz, 'UTC');
    v_name := coalesce(v_name, CASE f.scope
        WHEN 'organisation' THEN (SELECT name FROM organisations WHERE id = f.organisation_id)
        ELSE (SELECT display_name FROM users WHERE id = f.user_id) END);
    WITH t AS (
        SELECT ts.*, c.name AS cluster_name FROM training_sessions ts
          JOIN clusters c ON c.id = ts.cluster_id
         WHERE (f.scope = 'cluster' AND ts.cluster_id = f.cluster_id AND ts.kind = 'training')
            OR (f.scope = 'organisation' AND ((ts.kind = 'training' AND ts.cluster_id = ANY (v_clusters))
                                              OR ts.organisation_id = f.organisation_id))
            OR (f.scope = 'staff' AND f.user_id IN (ts.trainer_user_id, ts.coach_user_id))),
    cs AS (
        SELECT s.*, o.name AS organisation_name FROM coaching_sessions s
          JOIN organisations o ON o.id = s.organisation_id
         WHERE (f.scope = 'organisation' AND s.organisation_id = f.organisation_id)
            OR (f.scope = 'staff' AND s.coach_user_id = f.user_id)),
    ev AS (
        SELECT t.session_date AS day, planning_feed_event(t.id || '@isms-cluster', t.sequence,
                   t.updated_at, t.cluster_id, t.session_date, t.slot, t.half_days, v_tz,
                   CASE WHEN t.kind = 'training'
                        THEN planning_module_title(t.cluster_id, t.module_key)
                             || CASE WHEN (SELECT count(*) FROM training_sessions p
                                            WHERE p.cluster_id = t.cluster_id
                                              AND p.module_key = t.module_key
                                              AND p.status <> 'cancelled') > 1
                                     THEN format(' (part %s)', t.part) ELSE '' END
                             || ' - ' || t.cluster_name
                        WHEN t.part = 1 THEN 'Gap analysis on site: '
                             || (SELECT name FROM organisations WHERE id = t.organisation_id)
                        ELSE 'Gap analysis, analysis of results: '
                             || (SELECT name FROM organisations WHERE id = t.organisation_id) END,
                   CASE WHEN t.kind = 'training'
                        THEN format('Training of the cluster %s.%s', t.cluster_name,
                                    coalesce(' Trainer: ' || (SELECT display_name FROM users
                                                               WHERE id = t.trainer_user_id) || '.', ''))
                        ELSE format('Gap analysis (cluster %s).%s', t.cluster_name,
                                    coalesce(' Coach: ' || (SELECT display_name FROM users
                                                             WHERE id = t.coach_user_id) || '.', '')) END,
                   CASE WHEN t.kind = 'training'
                        THEN coalesce(t.location, (planning_settings(t.cluster_id)).location) END,
                   t.status) AS e
          FROM t
        UNION ALL
        SELECT cs.session_date, planning_feed_event(cs.id || '@isms-cluster',
                   extract(epoch FROM cs.updated_at - cs.created_at)::bigint, cs.updated_at,
                   cs.cluster_id, cs.session_date, cs.slot, cs.half_days, v_tz,
                   'Coaching: ' || cs.organisation_name,
                   format('Coaching half-day: %s.%s', cs.topic,
                          coalesce(' Coach: ' || (SELECT display_name FROM users
                                                   WHERE id = cs.coach_user_id) || '.', '')),
                   NULL, cs.status)
          FROM cs)
    SELECT coalesce(json_agg(ev.e ORDER BY ev.e->>'start', ev.e->>'uid'), '[]'), min(ev.day),
           max(ev.day)
      INTO v_events, v_from, v_to FROM ev;
    RETURN json_build_object('name', v_name, 'time_zone', v_tz,
        'observances', planning_tz_observances(v_tz, coalesce(v_from, current_date) - 1,
                                               coalesce(v_to, current_date) + 1),
        'events', v_events);
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
