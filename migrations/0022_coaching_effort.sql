-- Coaching, part 3: the effort log. Member staff record the hours their organisation spends on
-- ISMS work, one entry per person and ISO week (the paper compared a cluster's total effort with an
-- earlier experiment); totals per organisation for the organisation, its coaches and the
-- coordinators, and per cluster for the coordinators. Minutes are stored, hours are shown.

CREATE TABLE coaching_effort_entries (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    user_id uuid NOT NULL,
    week_start date NOT NULL CHECK (extract(isodow FROM week_start) = 1),
    minutes integer NOT NULL CHECK (minutes BETWEEN 0 AND 6000),
    note text CHECK (length(note) <= 1000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (enrolment_id, week_start, user_id),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id),
    -- Staff record their own organisation's effort.
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id)
);
CREATE INDEX coaching_effort_cluster ON coaching_effort_entries (cluster_id, week_start);

ALTER TABLE coaching_effort_entries ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON coaching_effort_entries TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY app_select ON coaching_effort_entries FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR organisation_id = ctx_org()
           OR enrolment_id = ANY ((SELECT ctx_coached_enrolments())::uuid[]));
CREATE POLICY app_insert ON coaching_effort_entries FOR INSERT TO isms_app
    WITH CHECK (organisation_id = ctx_org() AND user_id = ctx_user());
CREATE POLICY app_update ON coaching_effort_entries FOR UPDATE TO isms_app
    USING (organisation_id = ctx_org() AND user_id = ctx_user())
    WITH CHECK (organisation_id = ctx_org() AND user_id = ctx_user());
CREATE POLICY app_delete ON coaching_effort_entries FOR DELETE TO isms_app
    USING (organisation_id = ctx_org() AND user_id = ctx_user());

CREATE FUNCTION coaching_hours(p_minutes numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$
    SELECT round(coalesce(p_minutes, 0) / 60.0, 2)
$$;

CREATE FUNCTION coaching_effort_json(x coaching_effort_entries) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', x.id, 'enrolment_id', x.enrolment_id, 'cluster_id', x.cluster_id,
        'organisation_id', x.organisation_id, 'user_id', x.user_id,
        'user_name', (SELECT u.display_name FROM users_public u WHERE u.id = x.user_id),
        'week_start', x.week_start, 'minutes', x.minutes, 'hours', coaching_hours(x.minutes),
        'note', x.note, 'created_at', x.created_at, 'updated_at', x.updated_at)
$$;

-- Records (or replaces) the caller's effort for the ISO week containing p_week.
CREATE FUNCTION api_effort_record(p_enrolment uuid, p_week date, p_minutes integer, p_note text)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    e enrolments := coaching_require_enrolment(p_enrolment);
    v_week date := date_trunc('week', p_week)::date;
    x coaching_effort_entries;
BEGIN
    IF e.organisation_id IS DISTINCT FROM ctx_org() THEN
        PERFORM raise_error('403', 'forbidden', 'the organisation''s own staff record its effort');
    END IF;
    IF v_week > coaching_today(e.cluster_id) THEN
        PERFORM raise_error('422', 'invalid_value', 'effort is recorded for the current or a past week');
    END IF;
    INSERT INTO coaching_effort_entries (cluster_id, organisation_id, enrolment_id, user_id,
                                         week_start, minutes, note)
    VALUES (e.cluster_id, e.organisation_id, e.id, ctx_user(), v_week, p_minutes, p_note)
    ON CONFLICT (enrolment_id, week_start, user_id)
    DO UPDATE SET minutes = EXCLUDED.minutes, note = EXCLUDED.note, updated_at = now();
    SELECT * INTO x FROM coaching_effort_entries
     WHERE enrolment_id = e.id AND week_start = v_week AND user_id = ctx_user();
    PERFORM audit('effort_record', 'coaching_effort_entry', x.id, x.cluster_id, x.organisation_id,
                  jsonb_build_object('week_start', v_week, 'minutes', p_minutes));
    RETURN coaching_effort_json(x);
END $$;

-- Entries of an enrolment, newest week first; the cursor is "YYYY-MM-DD_<id>".
CREATE FUNCTION api_effort_entries(p_enrolment uuid, p_from date, p_to date, p_limit integer,
                                   p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := coaching_require_enrolment(p_enrolment);
    v_limit integer := coalesce(p_limit, 50);
    v_week date;
    v_id uuid;
BEGIN
    IF p_cursor IS NOT NULL THEN
        BEGIN
            v_week := to_date(split_part(p_cursor, '_', 1), 'YYYY-MM-DD');
            v_id := split_part(p_cursor, '_', 2)::uuid;
        EXCEPTION WHEN others THEN
            PERFORM raise_error('400', 'invalid_cursor', 'cursor is not one this server returned');
        END;
    END IF;
    RETURN (SELECT page_json(array_agg(coaching_effort_json(x) ORDER BY x.week_start DESC, x.id),
                             v_limit,
                             (array_agg(to_char(x.week_start, 'YYYY-MM-DD') || '_' || x.id
                                        ORDER BY x.week_start DESC, x.id))[v_limit])
            FROM (SELECT * FROM coaching_effort_entries y
                   WHERE y.enrolment_id = e.id
                     AND (p_from IS NULL OR y.week_start >= date_trunc('week', p_from)::date)
                     AND (p_to IS NULL OR y.week_start <= p_to)
                     AND (v_week IS NULL OR y.week_start < v_week
                          OR (y.week_start = v_week AND y.id > v_id))
                   ORDER BY y.week_start DESC, y.id LIMIT v_limit + 1) x);
END $$;

-- Weekly totals of one organisation's effort (entries in [p_from, p_to] by week start).
CREATE FUNCTION api_effort_enrolment_totals(p_enrolment uuid, p_from date, p_to date) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := coaching_require_enrolment(p_enrolment);
BEGIN
    RETURN (SELECT json_build_object('enrolment_id', e.id, 'cluster_id', e.cluster_id,
                'organisation_id', e.organisation_id,
                'organisation_name', (SELECT o.name FROM organisations o WHERE o.id = e.organisation_id),
                'from', p_from, 'to', p_to,
                'total_minutes', coalesce(sum(w.minutes), 0),
                'total_hours', coaching_hours(sum(w.minutes)),
                'weeks_reported', count(*),
                'weeks', coalesce(json_agg(json_build_object('week_start', w.week_start,
                             'minutes', w.minutes, 'hours', coaching_hours(w.minutes),
                             'people', w.people) ORDER BY w.week_start), '[]'::json))
            FROM (SELECT x.week_start, sum(x.minutes) AS minutes, count(*) AS people
                    FROM coaching_effort_entries x
                   WHERE x.enrolment_id = e.id
                     AND (p_from IS NULL OR x.week_start >= date_trunc('week', p_from)::date)
                     AND (p_to IS NULL OR x.week_start <= p_to)
                   GROUP BY x.week_start) w);
END $$;

-- A cluster's effort for its coordinators: per organisation and per week.
CREATE FUNCTION api_effort_cluster_totals(p_cluster uuid, p_from date, p_to date) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM require_coordinator(p_cluster);
    RETURN (WITH x AS (
                SELECT y.* FROM coaching_effort_entries y
                 WHERE y.cluster_id = p_cluster
                   AND (p_from IS NULL OR y.week_start >= date_trunc('week', p_from)::date)
                   AND (p_to IS NULL OR y.week_start <= p_to))
            SELECT json_build_object('cluster_id', p_cluster, 'from', p_from, 'to', p_to,
                'total_minutes', (SELECT coalesce(sum(minutes), 0) FROM x),
                'total_hours', (SELECT coaching_hours(sum(minutes)) FROM x),
                'organisations', (SELECT coalesce(json_agg(json_build_object(
                        'enrolment_id', e.id, 'organisation_id', e.organisation_id,
                        'organisation_name', o.name, 'enrolment_status', e.status,
                        'total_minutes', coalesce(t.minutes, 0), 'total_hours', coaching_hours(t.minutes),
                        'weeks_reported', coalesce(t.weeks, 0)) ORDER BY o.name, e.id), '[]'::json)
                    FROM enrolments e JOIN organisations o ON o.id = e.organisation_id
                    LEFT JOIN (SELECT enrolment_id, sum(minutes) AS minutes,
                                      count(DISTINCT week_start) AS weeks
                                 FROM x GROUP BY enrolment_id) t ON t.enrolment_id = e.id
                   WHERE e.cluster_id = p_cluster AND e.status <> 'applied'),
                'weeks', (SELECT coalesce(json_agg(json_build_object('week_start', w.week_start,
                              'minutes', w.minutes, 'hours', coaching_hours(w.minutes),
                              'organisations', w.orgs) ORDER BY w.week_start), '[]'::json)
                    FROM (SELECT week_start, sum(minutes) AS minutes,
                                 count(DISTINCT enrolment_id) AS orgs
                            FROM x GROUP BY week_start) w)));
END $$;

CREATE FUNCTION api_effort_delete(p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    x coaching_effort_entries;
BEGIN
    SELECT * INTO x FROM coaching_effort_entries WHERE id = p_id;
    IF x.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF x.user_id IS DISTINCT FROM ctx_user() THEN
        PERFORM raise_error('403', 'forbidden', 'only the person who recorded an effort entry removes it');
    END IF;
    DELETE FROM coaching_effort_entries WHERE id = x.id;
    PERFORM audit('effort_delete', 'coaching_effort_entry', x.id, x.cluster_id, x.organisation_id,
                  jsonb_build_object('week_start', x.week_start, 'minutes', x.minutes));
END $$;

GRANT SELECT, INSERT (cluster_id, organisation_id, enrolment_id, user_id, week_start, minutes, note),
      UPDATE (minutes, note, updated_at), DELETE
    ON coaching_effort_entries TO isms_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
