-- Coaching, part 2: the API of the ledger and the budgets, one function per endpoint (called by
-- services/coaching with validated parameters). SECURITY INVOKER unless stated: every row goes
-- through the caller's row-level security; 404 for what the caller cannot see, 403 for what it
-- can see but not change.
--
-- Writes that the server answers from an "envelope" ({"status": 201, "body": ...} or
-- {"status": 409, "error": {...}}) return one so that a refusal can carry figures
-- (budget_exceeded: remaining_half_days ...) and, for idempotent POSTs, so that the response can be
-- stored and replayed (coaching_idempotency_begin / _finish).

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------
-- The enrolment if the caller can see it, else 404.
CREATE FUNCTION coaching_require_enrolment(p_id uuid) RETURNS enrolments
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments;
BEGIN
    SELECT * INTO e FROM enrolments WHERE id = p_id;
    IF e.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN e;
END $$;

-- Whether the caller writes this enrolment's ledger: its cluster's coordinator or its coach.
CREATE FUNCTION coaching_writes_ledger(p_cluster uuid, p_enrolment uuid) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT p_cluster = ANY (ctx_coordinated_clusters()) OR p_enrolment = ANY (ctx_coached_enrolments())
$$;

-- Today in the cluster's time zone.
CREATE FUNCTION coaching_today(p_cluster uuid) RETURNS date
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT coalesce((SELECT (now() AT TIME ZONE c.time_zone)::date FROM clusters c WHERE c.id = p_cluster),
                    current_date)
$$;

-- A coach's display name, for callers that see one of the coach's assignments (the coached
-- organisation, the cluster's coordinators, the coach).
CREATE FUNCTION coaching_coach_name(p_user uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT u.display_name FROM users u
     WHERE u.id = p_user
       AND (p_user = ctx_user() OR EXISTS (
            SELECT 1 FROM coach_assignments a
             WHERE a.coach_user_id = p_user
               AND (a.organisation_id = ctx_org() OR a.cluster_id = ANY (ctx_coordinated_clusters()))))
$$;

-- The final gap analysis's estimate (and the gap analysis's status) for an enrolment the caller
-- can see; progress owns the table, the owner reads it.
CREATE FUNCTION coaching_estimate(p_enrolment uuid, OUT estimate integer, OUT status text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM enrolments e WHERE e.id = p_enrolment
                      AND (e.cluster_id = ANY (ctx_coordinated_clusters()) OR e.organisation_id = ctx_org()
                           OR e.id = ANY (ctx_coached_enrolments()))) THEN
        RETURN;
    END IF;
    SELECT CASE WHEN g.status = 'final' THEN g.estimated_coaching_half_days END, g.status
      INTO estimate, status
      FROM gap_analyses g WHERE g.enrolment_id = p_enrolment;
END $$;

-- Percent of the ceiling used or booked (100 when the ceiling is 0).
CREATE FUNCTION coaching_percent(p_part integer, p_ceiling integer) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_ceiling <= 0 THEN 100 ELSE (p_part * 100) / p_ceiling END
$$;

-- Alerts of a budget: one per threshold of the ceiling reached by delivered + planned (50 %, 75 %,
-- 90 %, 100 %), and one when the booked coaching passes the gap analysis's estimate.
CREATE FUNCTION coaching_alerts(p_ceiling integer, p_delivered integer, p_planned integer,
                                p_estimate integer) RETURNS json
    LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(json_agg(a.alert ORDER BY a.ord), '[]'::json) FROM (
        SELECT t AS ord, json_build_object('kind', 'budget_threshold', 'threshold_percent', t,
                   'level', CASE WHEN t >= 100 THEN 'critical' WHEN t >= 90 THEN 'warning' ELSE 'info' END,
                   'message', format('%s %% of the coaching budget is used or booked: %s of %s half-days',
                                     t, p_delivered + p_planned, p_ceiling)) AS alert
          FROM unnest(ARRAY[50, 75, 90, 100]) AS t
         WHERE (p_delivered + p_planned) * 100 >= t * p_ceiling
        UNION ALL
        SELECT 1000, json_build_object('kind', 'estimate_exceeded', 'level', 'warning',
                   'message', format('%s half-days are used or booked, more than the %s the gap analysis estimated',
                                     p_delivered + p_planned, p_estimate))
         WHERE p_estimate IS NOT NULL AND p_delivered + p_planned > p_estimate) AS a
$$;

CREATE FUNCTION coaching_session_json(s coaching_sessions) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', s.id, 'enrolment_id', s.enrolment_id, 'cluster_id', s.cluster_id,
        'organisation_id', s.organisation_id, 'coach_user_id', s.coach_user_id,
        'coach_name', coaching_coach_name(s.coach_user_id), 'session_date', s.session_date,
        'slot', s.slot, 'half_days', s.half_days, 'topic', s.topic, 'module_key', s.module_key,
        'status', s.status, 'notes', s.notes, 'cancel_reason', s.cancel_reason,
        'created_at', s.created_at, 'updated_at', s.updated_at, 'completed_at', s.completed_at,
        'cancelled_at', s.cancelled_at)
$$;

-- The next planned sessions (at most p_n) of an enrolment from today on.
CREATE FUNCTION coaching_next_sessions(p_enrolment uuid, p_cluster uuid, p_n integer) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT coalesce(json_agg(json_build_object('id', s.id, 'session_date', s.session_date,
                    'slot', s.slot, 'half_days', s.half_days, 'topic', s.topic,
                    'module_key', s.module_key, 'coach_user_id', s.coach_user_id)
                ORDER BY s.session_date, coaching_slot_index(s.slot), s.id), '[]'::json)
      FROM (SELECT * FROM coaching_sessions x
             WHERE x.enrolment_id = p_enrolment AND x.status = 'planned'
               AND x.session_date >= coaching_today(p_cluster)
             ORDER BY x.session_date, coaching_slot_index(x.slot), x.id LIMIT p_n) s
$$;

-- The budget of an enrolment the caller can see (NULL otherwise).
CREATE FUNCTION coaching_budget_json(p_enrolment uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('enrolment_id', f.enrolment_id, 'cluster_id', f.cluster_id,
        'organisation_id', f.organisation_id,
        'organisation_name', (SELECT o.name FROM organisations o WHERE o.id = f.organisation_id),
        'enrolment_status', (SELECT e.status FROM enrolments e WHERE e.id = f.enrolment_id),
        'ceiling_half_days', f.ceiling, 'ceiling_source', f.ceiling_source,
        'cluster_default_half_days', f.cluster_default,
        'ceiling_reason', (SELECT b.ceiling_reason FROM coaching_budgets b WHERE b.enrolment_id = f.enrolment_id),
        'estimate_half_days', g.estimate, 'estimate_status', g.status,
        'delivered_half_days', f.delivered, 'planned_half_days', f.planned,
        'remaining_half_days', f.ceiling - f.delivered - f.planned,
        'used_percent', coaching_percent(f.delivered + f.planned, f.ceiling),
        'delivered_percent', coaching_percent(f.delivered, f.ceiling),
        'alerts', coaching_alerts(f.ceiling, f.delivered, f.planned, g.estimate),
        'next_sessions', coaching_next_sessions(f.enrolment_id, f.cluster_id, 3))
      FROM coaching_budget_figures(p_enrolment) f
      LEFT JOIN LATERAL coaching_estimate(f.enrolment_id) g ON true
$$;

-- Cursor of the ledger's order: "YYYY-MM-DD_<slot index>_<id>".
CREATE FUNCTION coaching_session_cursor(s coaching_sessions) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(s.session_date, 'YYYY-MM-DD') || '_' || coaching_slot_index(s.slot) || '_' || s.id
$$;

-- ---------------------------------------------------------------------------------------------
-- The ledger
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_coaching_session_list(p_enrolment uuid, p_status text, p_from date, p_to date,
                                          p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := coaching_require_enrolment(p_enrolment);
    v_limit integer := coalesce(p_limit, 50);
    v_date date;
    v_slot integer;
    v_id uuid;
BEGIN
    IF p_cursor IS NOT NULL THEN
        BEGIN
            v_date := to_date(split_part(p_cursor, '_', 1), 'YYYY-MM-DD');
            v_slot := split_part(p_cursor, '_', 2)::integer;
            v_id := split_part(p_cursor, '_', 3)::uuid;
        EXCEPTION WHEN others THEN
            PERFORM raise_error('400', 'invalid_cursor', 'cursor is not one this server returned');
        END;
    END IF;
    RETURN (SELECT page_json(array_agg(coaching_session_json(s) ORDER BY s.session_date,
                                       coaching_slot_index(s.slot), s.id),
                             v_limit,
                             (array_agg(coaching_session_cursor(s) ORDER BY s.session_date,
                                        coaching_slot_index(s.slot), s.id))[v_limit])
            FROM (SELECT * FROM coaching_sessions x
                   WHERE x.enrolment_id = e.id
                     AND (p_status IS NULL OR x.status = p_status)
                     AND (p_from IS NULL OR x.session_date >= p_from)
                     AND (p_to IS NULL OR x.session_date <= p_to)
                     AND (v_date IS NULL OR (x.session_date, coaching_slot_index(x.slot), x.id)
                                            > (v_date, v_slot, v_id))
                   ORDER BY x.session_date, coaching_slot_index(x.slot), x.id
                   LIMIT v_limit + 1) s);
END $$;

-- Books a session: the envelope {"status": 201, "body": session} or {"status": 409, "error":
-- budget_exceeded with the figures}; with an idempotency key the envelope is stored with the
-- booking and replayed for a retry.
CREATE FUNCTION api_coaching_session_create(p_enrolment uuid, p_coach uuid, p_date date,
                                            p_slot text, p_half_days integer, p_topic text,
                                            p_module_key text, p_notes text, p_key text,
                                            p_hash text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_key text := NULLIF(p_key, '');
    v_hash text := NULLIF(p_hash, '');
    v json := coaching_idempotency_begin(v_key, v_hash);
    r json;
    s coaching_sessions;
BEGIN
    IF v IS NOT NULL THEN
        RETURN v;
    END IF;
    r := coaching_book_attempt(p_enrolment, p_coach, p_date, p_slot, p_half_days, p_topic,
                               p_module_key, p_notes);
    IF r->>'id' IS NULL THEN
        v := json_build_object('status', 409, 'error', json_build_object(
                 'code', 'budget_exceeded', 'message', r->>'message',
                 'remaining_half_days', (r->>'remaining')::integer,
                 'requested_half_days', (r->>'requested')::integer,
                 'ceiling_half_days', (r->>'ceiling')::integer,
                 'delivered_half_days', (r->>'delivered')::integer,
                 'planned_half_days', (r->>'planned')::integer));
    ELSE
        SELECT * INTO s FROM coaching_sessions WHERE id = (r->>'id')::uuid;
        v := json_build_object('status', 201, 'body', coaching_session_json(s));
    END IF;
    RETURN coaching_idempotency_finish(v_key, v_hash, v);
END $$;

CREATE FUNCTION api_coaching_session_get(p_id uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    s coaching_sessions;
BEGIN
    SELECT * INTO s FROM coaching_sessions WHERE id = p_id;
    IF s.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN coaching_session_json(s);
END $$;

-- A visible session the caller may change (404 / 403 otherwise), locked for the change.
CREATE FUNCTION coaching_require_session_writer(p_id uuid) RETURNS coaching_sessions
    LANGUAGE plpgsql AS $$
DECLARE
    s coaching_sessions;
BEGIN
    SELECT * INTO s FROM coaching_sessions WHERE id = p_id;
    IF s.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT coaching_writes_ledger(s.cluster_id, s.enrolment_id) THEN
        PERFORM raise_error('403', 'forbidden',
                            'only the organisation''s coach or the cluster''s coordinators change the ledger');
    END IF;
    SELECT * INTO s FROM coaching_sessions WHERE id = p_id FOR UPDATE;
    RETURN s;
END $$;

-- Changes a session: the schedule (date, slot, half-days) while it is planned, the topic, module
-- and notes unless it is cancelled. Answers an envelope (200, or 409 budget_exceeded).
CREATE FUNCTION api_coaching_session_update(p_id uuid, p_date date, p_slot text,
                                            p_half_days integer, p_topic text, p_module_key text,
                                            p_notes text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    s coaching_sessions := coaching_require_session_writer(p_id);
    v_date date := coalesce(p_date, s.session_date);
    v_slot text := coalesce(p_slot, s.slot);
    v_half integer := coalesce(p_half_days, s.half_days);
    b record;
    v_changed text[];
BEGIN
    IF s.status = 'cancelled' THEN
        PERFORM raise_error('409', 'session_closed', 'a cancelled coaching session cannot be changed');
    END IF;
    PERFORM coaching_check_session_values(v_slot, v_half, coalesce(p_topic, s.topic),
                                          coalesce(p_module_key, s.module_key));
    IF (v_date, v_slot, v_half) IS DISTINCT FROM (s.session_date, s.slot, s.half_days) THEN
        IF s.status <> 'planned' THEN
            PERFORM raise_error('409', 'session_closed',
                                'a coaching session that is done cannot be moved or resized');
        END IF;
        IF v_half > s.half_days THEN
            SELECT * INTO b FROM coaching_budget_lock(s.enrolment_id);
            IF b.delivered + b.planned - s.half_days + v_half > b.ceiling THEN
                RETURN json_build_object('status', 409, 'error', json_build_object(
                    'code', 'budget_exceeded',
                    'message', coaching_budget_exceeded_message(b.ceiling,
                                   b.delivered + b.planned - s.half_days, v_half),
                    'remaining_half_days', b.ceiling - b.delivered - b.planned,
                    'requested_half_days', v_half - s.half_days,
                    'ceiling_half_days', b.ceiling, 'delivered_half_days', b.delivered,
                    'planned_half_days', b.planned));
            END IF;
        END IF;
        IF coaching_coach_busy(s.coach_user_id, v_date, v_slot, v_half, s.id) THEN
            PERFORM raise_error('409', 'coach_unavailable',
                                'the coach already has a coaching session in that half-day');
        END IF;
    END IF;
    v_changed := array_remove(ARRAY[
        CASE WHEN v_date <> s.session_date THEN 'session_date' END,
        CASE WHEN v_slot <> s.slot THEN 'slot' END,
        CASE WHEN v_half <> s.half_days THEN 'half_days' END,
        CASE WHEN p_topic IS NOT NULL AND btrim(p_topic) <> s.topic THEN 'topic' END,
        CASE WHEN p_module_key IS DISTINCT FROM NULL AND p_module_key IS DISTINCT FROM s.module_key
             THEN 'module_key' END,
        CASE WHEN p_notes IS NOT NULL AND p_notes IS DISTINCT FROM s.notes THEN 'notes' END], NULL);
    UPDATE coaching_sessions SET session_date = v_date, slot = v_slot, half_days = v_half,
           topic = coalesce(btrim(p_topic), topic), module_key = coalesce(p_module_key, module_key),
           notes = coalesce(p_notes, notes)
     WHERE id = s.id RETURNING * INTO s;
    PERFORM audit('coaching_session_update', 'coaching_session', s.id, s.cluster_id,
                  s.organisation_id, jsonb_build_object('fields', to_jsonb(v_changed)));
    RETURN json_build_object('status', 200, 'body', coaching_session_json(s));
END $$;

-- planned -> done, on or after the session's date (in the cluster's time zone).
CREATE FUNCTION api_coaching_session_complete(p_id uuid) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    s coaching_sessions := coaching_require_session_writer(p_id);
BEGIN
    IF s.status <> 'planned' THEN
        PERFORM raise_error('409', 'invalid_transition',
                            format('a %s coaching session cannot be marked done', s.status));
    END IF;
    IF s.session_date > coaching_today(s.cluster_id) THEN
        PERFORM raise_error('409', 'session_in_future',
                            'a coaching session can be marked done on or after its date');
    END IF;
    UPDATE coaching_sessions SET status = 'done', completed_at = now()
     WHERE id = s.id RETURNING * INTO s;
    PERFORM audit('coaching_session_complete', 'coaching_session', s.id, s.cluster_id,
                  s.organisation_id, jsonb_build_object('half_days', s.half_days));
    RETURN coaching_session_json(s);
END $$;

-- planned -> cancelled: the half-days go back to the budget.
CREATE FUNCTION api_coaching_session_cancel(p_id uuid, p_reason text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    s coaching_sessions := coaching_require_session_writer(p_id);
BEGIN
    IF s.status <> 'planned' THEN
        PERFORM raise_error('409', 'invalid_transition',
                            format('a %s coaching session cannot be cancelled', s.status));
    END IF;
    UPDATE coaching_sessions SET status = 'cancelled', cancelled_at = now(),
           cancel_reason = NULLIF(btrim(p_reason), '')
     WHERE id = s.id RETURNING * INTO s;
    PERFORM audit('coaching_session_cancel', 'coaching_session', s.id, s.cluster_id,
                  s.organisation_id, jsonb_build_object('half_days', s.half_days));
    RETURN coaching_session_json(s);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Budgets
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_coaching_budget_get(p_enrolment uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := coaching_require_enrolment(p_enrolment);
BEGIN
    RETURN coaching_budget_json(e.id);
END $$;

-- Sets an enrolment's own ceiling (a coordinator's decision, with its reason in the audit trail).
-- It may not go below what is already used or booked.
CREATE FUNCTION api_coaching_ceiling_set(p_enrolment uuid, p_ceiling integer, p_reason text)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    e enrolments := coaching_require_enrolment(p_enrolment);
    f record;
    b record;
BEGIN
    IF NOT e.cluster_id = ANY (ctx_coordinated_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'only the cluster''s coordinators change a coaching ceiling');
    END IF;
    IF p_reason IS NULL OR length(btrim(p_reason)) NOT BETWEEN 3 AND 500 THEN
        PERFORM raise_error('422', 'invalid_value', 'reason must be 3 to 500 characters long');
    END IF;
    SELECT * INTO f FROM coaching_budget_figures(e.id);
    SELECT * INTO b FROM coaching_budget_lock(e.id);
    IF b.delivered + b.planned > p_ceiling THEN
        PERFORM raise_error('409', 'ceiling_below_committed', format(
            'the ceiling cannot be %s half-days: %s are already used or booked; cancel planned sessions first',
            p_ceiling, b.delivered + b.planned));
    END IF;
    UPDATE coaching_budgets SET ceiling_half_days = p_ceiling, ceiling_reason = btrim(p_reason),
           ceiling_changed_by = ctx_user(), ceiling_changed_at = now()
     WHERE enrolment_id = e.id;
    PERFORM audit('coaching_ceiling_change', 'enrolment', e.id, e.cluster_id, e.organisation_id,
                  jsonb_build_object('from', b.ceiling, 'to', p_ceiling, 'from_source', f.ceiling_source,
                                     'reason', btrim(p_reason)));
    RETURN coaching_budget_json(e.id);
END $$;

-- The budgets of a cluster's enrolments that the caller can see (coordinators: all; a coach: the
-- assigned ones; a member: its own), by enrolment id, paginated.
CREATE FUNCTION api_coaching_cluster_budgets(p_cluster uuid, p_limit integer, p_cursor text)
    RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_limit integer := coalesce(p_limit, 50);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    RETURN (SELECT page_json(array_agg(coaching_budget_json(e.id) ORDER BY e.id), v_limit,
                             (array_agg(e.id::text ORDER BY e.id))[v_limit])
            FROM (SELECT x.id FROM enrolments x
                   WHERE x.cluster_id = p_cluster AND x.status <> 'applied'
                     AND (p_cursor IS NULL OR x.id > require_cursor_uuid(p_cursor))
                   ORDER BY x.id LIMIT v_limit + 1) e);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Burn-down and forecast
-- ---------------------------------------------------------------------------------------------
-- The pace of the last 8 weeks (from the cluster's start when it is younger) and the date at which
-- the half-days still to deliver run out at that pace:
--   pace = delivered in the window / window days (shown per week),
--   run_out_date = as_of + ceil(remaining * window days / delivered in the window),
-- with remaining = ceiling - delivered up to as_of. Status: projected, exhausted (the ceiling is
-- already delivered: run_out_date is the day it was reached), no_recent_delivery (nothing
-- delivered in the window: no date), not_started (as_of before the cluster's start).
CREATE FUNCTION coaching_forecast(p_enrolment uuid, p_ceiling integer, p_start date, p_end date,
                                  p_as_of date) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_window_start date := greatest(p_as_of - 55, p_start);
    v_days integer := p_as_of - greatest(p_as_of - 55, p_start) + 1;
    v_in_window integer;
    v_delivered integer;
    v_remaining integer;
    v_run_out date;
    v_status text;
    v_booked_on date;
BEGIN
    SELECT coalesce(sum(half_days) FILTER (WHERE session_date >= v_window_start), 0),
           coalesce(sum(half_days), 0)
      INTO v_in_window, v_delivered
      FROM coaching_sessions
     WHERE enrolment_id = p_enrolment AND status = 'done' AND session_date <= p_as_of;
    v_remaining := p_ceiling - v_delivered;
    IF p_as_of < p_start THEN
        v_status := 'not_started';
        v_days := 0;
    ELSIF v_remaining <= 0 THEN
        v_status := 'exhausted';
        SELECT min(d) INTO v_run_out FROM (
            SELECT session_date AS d, sum(half_days) OVER (ORDER BY session_date, coaching_slot_index(slot), id) AS cum
              FROM coaching_sessions
             WHERE enrolment_id = p_enrolment AND status = 'done' AND session_date <= p_as_of) x
         WHERE x.cum >= p_ceiling;
    ELSIF v_in_window = 0 THEN
        v_status := 'no_recent_delivery';
    ELSE
        v_status := 'projected';
        v_run_out := p_as_of + ceil(v_remaining::numeric * v_days / v_in_window)::integer;
    END IF;
    SELECT min(d) INTO v_booked_on FROM (
        SELECT session_date AS d, sum(half_days) OVER (ORDER BY session_date, coaching_slot_index(slot), id) AS cum
          FROM coaching_sessions WHERE enrolment_id = p_enrolment AND status <> 'cancelled') x
     WHERE x.cum >= p_ceiling;
    RETURN json_build_object('as_of', p_as_of, 'status', v_status,
        'window_start', CASE WHEN v_days > 0 THEN v_window_start END, 'window_days', v_days,
        'delivered_in_window', v_in_window,
        'pace_half_days_per_week', CASE WHEN v_days > 0 THEN round(v_in_window * 7.0 / v_days, 2) END,
        'delivered_half_days', v_delivered, 'remaining_half_days', greatest(v_remaining, 0),
        'run_out_date', v_run_out, 'programme_end', p_end,
        'runs_out_before_programme_end', v_run_out <= p_end,
        'fully_booked_on', v_booked_on);
END $$;

-- Weekly burn-down of an enrolment's budget from the week of the cluster's start (or of its first
-- session) to the week of the programme's end (or of its last session, or of as_of), at most 520
-- weeks: cumulative half-days delivered and booked (delivered + planned) by the end of each week,
-- against the current ceiling, with the forecast and the alerts.
CREATE FUNCTION api_coaching_burndown(p_enrolment uuid, p_as_of date) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := coaching_require_enrolment(p_enrolment);
    f record;
    c clusters;
    g record;
    v_as_of date;
    v_first date;
    v_last date;
BEGIN
    SELECT * INTO f FROM coaching_budget_figures(e.id);
    SELECT * INTO c FROM clusters WHERE id = e.cluster_id;
    SELECT * INTO g FROM coaching_estimate(e.id);
    v_as_of := coalesce(p_as_of, coaching_today(e.cluster_id));
    SELECT date_trunc('week', least(c.start_date, min(session_date)))::date,
           date_trunc('week', greatest(c.target_end_date, max(session_date), v_as_of))::date
      INTO v_first, v_last
      FROM coaching_sessions WHERE enrolment_id = e.id AND status <> 'cancelled';
    v_last := least(v_last, v_first + 7 * 519);
    RETURN json_build_object('enrolment_id', e.id, 'cluster_id', e.cluster_id,
        'organisation_id', e.organisation_id, 'ceiling_half_days', f.ceiling,
        'estimate_half_days', g.estimate, 'delivered_half_days', f.delivered,
        'planned_half_days', f.planned, 'remaining_half_days', f.ceiling - f.delivered - f.planned,
        'weeks', (SELECT coalesce(json_agg(json_build_object('week_start', w.week_start,
                      'delivered_cumulative', w.delivered, 'booked_cumulative', w.booked,
                      'remaining_half_days', f.ceiling - w.delivered,
                      'unbooked_half_days', f.ceiling - w.booked) ORDER BY w.week_start), '[]'::json)
                    FROM (SELECT ws::date AS week_start,
                                 coalesce(sum(s.half_days) FILTER (WHERE s.status = 'done'), 0) AS delivered,
                                 coalesce(sum(s.half_days), 0) AS booked
                            FROM generate_series(v_first, v_last, interval '7 days') AS ws
                            LEFT JOIN coaching_sessions s
                              ON s.enrolment_id = e.id AND s.status <> 'cancelled'
                             AND s.session_date <= ws::date + 6
                           GROUP BY ws) w),
        'forecast', coaching_forecast(e.id, f.ceiling, c.start_date, c.target_end_date, v_as_of),
        'alerts', coaching_alerts(f.ceiling, f.delivered, f.planned, g.estimate));
END $$;

-- ---------------------------------------------------------------------------------------------
-- The coach's view across clusters
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_coaching_my_assignments(p_limit integer, p_cursor text) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT page_json(array_agg(json_build_object('enrolment_id', a.enrolment_id,
                         'cluster_id', a.cluster_id,
                         'cluster_name', (SELECT c.name FROM clusters c WHERE c.id = a.cluster_id),
                         'organisation_id', a.organisation_id,
                         'organisation_name', (SELECT o.name FROM organisations o WHERE o.id = a.organisation_id),
                         'enrolment_status', (SELECT e.status FROM enrolments e WHERE e.id = a.enrolment_id),
                         'budget', (SELECT json_build_object('ceiling_half_days', f.ceiling,
                                        'delivered_half_days', f.delivered, 'planned_half_days', f.planned,
                                        'remaining_half_days', f.ceiling - f.delivered - f.planned,
                                        'used_percent', coaching_percent(f.delivered + f.planned, f.ceiling),
                                        'alerts', coaching_alerts(f.ceiling, f.delivered, f.planned,
                                                                  (SELECT g.estimate FROM coaching_estimate(f.enrolment_id) g)))
                                      FROM coaching_budget_figures(a.enrolment_id) f),
                         'next_sessions', coaching_next_sessions(a.enrolment_id, a.cluster_id, 3))
                     ORDER BY a.enrolment_id),
                     coalesce(p_limit, 50),
                     (array_agg(a.enrolment_id::text ORDER BY a.enrolment_id))[coalesce(p_limit, 50)])
      FROM (SELECT * FROM coach_assignments x
             WHERE x.coach_user_id = ctx_user()
               AND (p_cursor IS NULL OR x.enrolment_id > require_cursor_uuid(p_cursor))
             ORDER BY x.enrolment_id LIMIT coalesce(p_limit, 50) + 1) a
$$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
