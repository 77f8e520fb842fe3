-- Coaching, part 1: the half-day ledger (coaching_sessions), one budget per enrolment
-- (coaching_budgets), the invariant that guards it, idempotency records for ledger writes, and the
-- contract functions other services call: coaching_book(), coaching_budget_summary() (replacing
-- progress's default) and the extension point training_attendance() (replaced by planning).
--
-- The invariant: for every enrolment, delivered + planned <= ceiling, where delivered and planned
-- are the half-days of its sessions that are `done` and `planned`, and the ceiling is the
-- enrolment's own (set by a coordinator with a reason) or, when it has none, its cluster's default
-- (clusters.coaching_ceiling_half_days). It is enforced here, not in the server:
--   * every insert or growth of a non-cancelled session goes through the trigger
--     coaching_sessions_guard, which locks the enrolment's budget row (SELECT ... FOR UPDATE, the
--     row is created on first use) and only then sums the ledger, so concurrent bookings of one
--     enrolment are serialised and each sees every booking committed before it;
--   * an enrolment's own ceiling cannot be set below its used + booked half-days (trigger
--     coaching_budgets_guard, under the same row lock);
--   * bookings and ceiling changes also hold a shared advisory lock on their cluster, and lowering a
--     cluster's default ceiling (trigger on clusters) takes it exclusively, so the default cannot
--     drop below what an enrolment following it has already used or booked.
-- An organisation that withdraws gets its planned sessions cancelled (trigger on enrolments).
--
-- Refusals: coaching_book() raises IC409 budget_exceeded with a DETAIL sentence naming the
-- remaining half-days (for SQL callers such as planning); the API functions (0021) return an
-- envelope {"status": 409, "error": {"code": "budget_exceeded", "remaining_half_days": ...}} that
-- the server sends as the error body, and that an idempotent request stores for its retries.

-- ---------------------------------------------------------------------------------------------
-- Vocabulary
-- ---------------------------------------------------------------------------------------------
-- Half-day slots in the order of the day, for sorting and cursors.
CREATE FUNCTION coaching_slot_index(p_slot text) RETURNS integer LANGUAGE sql IMMUTABLE
    PARALLEL SAFE AS $$
    SELECT CASE p_slot WHEN 'morning' THEN 0 WHEN 'afternoon' THEN 1 END
$$;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
-- One row per enrolment that has been booked against or given its own ceiling. An enrolment
-- without a row has no sessions and follows its cluster's default ceiling.
CREATE TABLE coaching_budgets (
    enrolment_id uuid PRIMARY KEY,
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    ceiling_half_days integer CHECK (ceiling_half_days BETWEEN 0 AND 200), -- NULL: cluster default
    ceiling_reason text CHECK (length(ceiling_reason) <= 500),
    ceiling_changed_by uuid,
    ceiling_changed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id)
);
CREATE INDEX coaching_budgets_cluster ON coaching_budgets (cluster_id);

CREATE TABLE coaching_sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    coach_user_id uuid NOT NULL REFERENCES users (id),
    session_date date NOT NULL,
    slot text NOT NULL CHECK (slot IN ('morning', 'afternoon')),
    half_days integer NOT NULL CHECK (half_days IN (1, 2)),
    topic text NOT NULL CHECK (length(btrim(topic)) BETWEEN 1 AND 200),
    module_key text CHECK (module_key ~ '^[a-z][a-z0-9_]{0,63}$'),
    status text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'cancelled')),
    notes text CHECK (length(notes) <= 20000),
    cancel_reason text CHECK (length(cancel_reason) <= 500),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz,
    cancelled_at timestamptz,
    -- A two-half-day session is a whole day: it starts in the morning.
    CHECK (half_days = 1 OR slot = 'morning'),
    CHECK ((status = 'done') = (completed_at IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    UNIQUE (cluster_id, organisation_id, id),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id)
);
CREATE INDEX coaching_sessions_enrolment ON coaching_sessions (enrolment_id, session_date);
CREATE INDEX coaching_sessions_cluster ON coaching_sessions (cluster_id);
-- A coach is in one place at a time: no two live sessions of a coach share a half-day (a whole-day
-- session occupies both halves).
CREATE UNIQUE INDEX coaching_sessions_coach_morning ON coaching_sessions (coach_user_id, session_date)
    WHERE status <> 'cancelled' AND slot = 'morning';
CREATE UNIQUE INDEX coaching_sessions_coach_afternoon ON coaching_sessions (coach_user_id, session_date)
    WHERE status <> 'cancelled' AND (slot = 'afternoon' OR half_days = 2);

-- Idempotency records of ledger writes (POST with an Idempotency-Key header), scoped to the user.
-- Written in the same transaction as the write they describe, so a record exists exactly when
-- the write committed; kept 24 hours.
CREATE TABLE coaching_idempotency (
    user_id uuid NOT NULL,
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    organisation_id uuid NOT NULL,
    request_hash text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
    response json NOT NULL, -- {"status": 201, "body": {...}} or {"status": 409, "error": {...}}
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, idempotency_key),
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id)
);
CREATE INDEX coaching_idempotency_age ON coaching_idempotency (user_id, created_at);

-- ---------------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------------
ALTER TABLE coaching_budgets ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE coaching_sessions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE coaching_idempotency ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

CREATE POLICY owner_all ON coaching_budgets TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON coaching_sessions TO isms_owner USING (true) WITH CHECK (true);

-- The ledger and its notes: the organisation itself, the coaches assigned to the enrolment and the
-- cluster's coordinators. Other coaches and trainers of the cluster, other members: nothing.
CREATE POLICY app_select ON coaching_budgets FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR organisation_id = ctx_org()
           OR enrolment_id = ANY ((SELECT ctx_coached_enrolments())::uuid[]));
-- Budget rows are created by the lock (as the owner); only coordinators change a ceiling.
CREATE POLICY app_update ON coaching_budgets FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

CREATE POLICY app_select ON coaching_sessions FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR organisation_id = ctx_org()
           OR enrolment_id = ANY ((SELECT ctx_coached_enrolments())::uuid[]));
-- Coordinators and the enrolment's coaches write the ledger; sessions are never deleted.
CREATE POLICY app_insert ON coaching_sessions FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
                OR enrolment_id = ANY ((SELECT ctx_coached_enrolments())::uuid[]));
CREATE POLICY app_update ON coaching_sessions FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR enrolment_id = ANY ((SELECT ctx_coached_enrolments())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
                OR enrolment_id = ANY ((SELECT ctx_coached_enrolments())::uuid[]));

CREATE POLICY app_own ON coaching_idempotency TO isms_app
    USING (user_id = ctx_user()) WITH CHECK (user_id = ctx_user() AND organisation_id = ctx_org());

-- ---------------------------------------------------------------------------------------------
-- The budget lock
-- ---------------------------------------------------------------------------------------------
-- Bookings and ceiling changes of a cluster share this lock; lowering the cluster's default
-- ceiling takes it exclusively (two-key advisory lock space, class 2020 = coaching budgets).
CREATE FUNCTION coaching_cluster_lock(p_cluster uuid, p_exclusive boolean) RETURNS void
    LANGUAGE plpgsql AS $$
BEGIN
    IF p_exclusive THEN
        PERFORM pg_advisory_xact_lock(2020, hashtext(p_cluster::text));
    ELSE
        PERFORM pg_advisory_xact_lock_shared(2020, hashtext(p_cluster::text));
    END IF;
END $$;

-- Locks an enrolment's budget until the end of the transaction (creating its row on first use)
-- and returns its figures as they are once the lock is held. Called by the guard trigger (whose
-- caller row-level security has already admitted) and by the API functions; a
-- direct call outside a trigger must come from someone who may book for the enrolment.
CREATE FUNCTION coaching_budget_lock(p_enrolment uuid, OUT ceiling integer, OUT delivered integer,
                                     OUT planned integer)
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    e enrolments;
    v_own integer;
BEGIN
    SELECT * INTO e FROM enrolments WHERE id = p_enrolment;
    IF e.id IS NULL OR (pg_trigger_depth() = 0 AND NOT (e.cluster_id = ANY (ctx_coordinated_clusters())
                                                       OR e.id = ANY (ctx_coached_enrolments()))) THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM coaching_cluster_lock(e.cluster_id, false);
    INSERT INTO coaching_budgets (enrolment_id, cluster_id, organisation_id)
    VALUES (e.id, e.cluster_id, e.organisation_id) ON CONFLICT DO NOTHING;
    SELECT b.ceiling_half_days INTO v_own FROM coaching_budgets b
     WHERE b.enrolment_id = e.id FOR UPDATE;
    -- Each statement below takes a new snapshot: it sees every booking committed before the lock.
    SELECT coalesce(v_own, c.coaching_ceiling_half_days) INTO ceiling
      FROM clusters c WHERE c.id = e.cluster_id;
    SELECT coalesce(sum(s.half_days) FILTER (WHERE s.status = 'done'), 0)::integer,
           coalesce(sum(s.half_days) FILTER (WHERE s.status = 'planned'), 0)::integer
      INTO delivered, planned
      FROM coaching_sessions s WHERE s.enrolment_id = e.id;
END $$;


CREATE FUNCTION coaching_budget_exceeded_message(p_ceiling integer, p_committed integer,
                                                 p_requested integer) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT format('this booking needs %s half-day(s) but only %s of the %s half-day ceiling remain '
                  '(%s used or booked); a coordinator can raise the ceiling',
                  p_requested, greatest(p_ceiling - p_committed, 0), p_ceiling, p_committed)
$$;

-- Guards every write to the ledger: tenant columns never change, statuses go planned -> done |
-- cancelled only, only planned sessions move, and a session that adds to the committed half-days
-- is checked against the ceiling under the budget lock. (The API books sessions as planned.)
CREATE FUNCTION coaching_sessions_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    b record;
    v_others integer;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF (NEW.id, NEW.cluster_id, NEW.organisation_id, NEW.enrolment_id, NEW.created_at,
            NEW.created_by) IS DISTINCT FROM (OLD.id, OLD.cluster_id, OLD.organisation_id,
            OLD.enrolment_id, OLD.created_at, OLD.created_by) THEN
            RAISE EXCEPTION 'a coaching session''s identity and tenant cannot change';
        END IF;
        IF NEW.status <> OLD.status
           AND NOT (OLD.status = 'planned' AND NEW.status IN ('done', 'cancelled')) THEN
            PERFORM raise_error('409', 'invalid_transition',
                format('a %s coaching session cannot become %s', OLD.status, NEW.status));
        END IF;
        IF OLD.status <> 'planned' AND (NEW.session_date, NEW.slot, NEW.half_days, NEW.coach_user_id)
           IS DISTINCT FROM (OLD.session_date, OLD.slot, OLD.half_days, OLD.coach_user_id) THEN
            PERFORM raise_error('409', 'session_closed',
                format('a %s coaching session cannot be moved or resized', OLD.status));
        END IF;
        NEW.updated_at := now();
    END IF;
    -- Only planned sessions grow; a session inserted as done (history) counts like a booking.
    IF NEW.status <> 'cancelled' AND (TG_OP = 'INSERT' OR NEW.half_days > OLD.half_days) THEN
        SELECT * INTO b FROM coaching_budget_lock(NEW.enrolment_id);
        v_others := b.delivered + b.planned - CASE WHEN TG_OP = 'UPDATE' THEN OLD.half_days ELSE 0 END;
        IF v_others + NEW.half_days > b.ceiling THEN
            PERFORM raise_error('409', 'budget_exceeded',
                coaching_budget_exceeded_message(b.ceiling, v_others, NEW.half_days));
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER coaching_sessions_guard BEFORE INSERT OR UPDATE ON coaching_sessions
    FOR EACH ROW EXECUTE FUNCTION coaching_sessions_guard();

-- A budget's own ceiling never goes below what is used or booked, whoever writes it (the UPDATE
-- holds the row lock that bookings take, so the sum below cannot change meanwhile).
CREATE FUNCTION coaching_budgets_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_ceiling integer;
    v_committed integer;
BEGIN
    IF TG_OP = 'UPDATE' AND (NEW.enrolment_id, NEW.cluster_id, NEW.organisation_id)
       IS DISTINCT FROM (OLD.enrolment_id, OLD.cluster_id, OLD.organisation_id) THEN
        RAISE EXCEPTION 'a coaching budget''s enrolment cannot change';
    END IF;
    -- A row created by the lock follows the default (guarded on clusters); note that BEFORE INSERT
    -- also fires for the lock's INSERT ... ON CONFLICT DO NOTHING of an existing row.
    IF (TG_OP = 'UPDATE' AND NEW.ceiling_half_days IS NOT DISTINCT FROM OLD.ceiling_half_days)
       OR (TG_OP = 'INSERT' AND NEW.ceiling_half_days IS NULL) THEN
        RETURN NEW;
    END IF;
    SELECT coalesce(NEW.ceiling_half_days, c.coaching_ceiling_half_days) INTO v_ceiling
      FROM clusters c WHERE c.id = NEW.cluster_id;
    SELECT coalesce(sum(half_days), 0)::integer INTO v_committed
      FROM coaching_sessions WHERE enrolment_id = NEW.enrolment_id AND status <> 'cancelled';
    IF v_committed > v_ceiling THEN
        PERFORM raise_error('409', 'ceiling_below_committed', format(
            'the ceiling cannot be %s half-days: %s are already used or booked; cancel planned sessions first',
            v_ceiling, v_committed));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER coaching_budgets_guard BEFORE INSERT OR UPDATE ON coaching_budgets
    FOR EACH ROW EXECUTE FUNCTION coaching_budgets_guard();

-- Lowering a cluster's default ceiling must not put an enrolment that follows it over budget.
CREATE FUNCTION coaching_cluster_ceiling_guard() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_max integer;
BEGIN
    IF NEW.coaching_ceiling_half_days >= OLD.coaching_ceiling_half_days THEN
        RETURN NEW;
    END IF;
    PERFORM coaching_cluster_lock(NEW.id, true);
    SELECT max(committed) INTO v_max FROM (
        SELECT sum(s.half_days)::integer AS committed
          FROM coaching_budgets b
          JOIN coaching_sessions s ON s.enrolment_id = b.enrolment_id AND s.status <> 'cancelled'
         WHERE b.cluster_id = NEW.id AND b.ceiling_half_days IS NULL
         GROUP BY b.enrolment_id) AS per_enrolment;
    IF v_max > NEW.coaching_ceiling_half_days THEN
        PERFORM raise_error('409', 'budget_exceeded', format(
            'the default coaching ceiling cannot go below %s half-days: an organisation that follows '
            'it has already used or booked that many; give it its own ceiling first', v_max));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER coaching_ceiling_guard BEFORE UPDATE OF coaching_ceiling_half_days ON clusters
    FOR EACH ROW EXECUTE FUNCTION coaching_cluster_ceiling_guard();

-- An organisation that withdraws gives back its planned coaching: planned sessions are cancelled.
CREATE FUNCTION coaching_cancel_on_withdrawal() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_count integer;
BEGIN
    WITH cancelled AS (
        UPDATE coaching_sessions SET status = 'cancelled', cancelled_at = now(),
               cancel_reason = 'the organisation withdrew from the cluster'
         WHERE enrolment_id = NEW.id AND status = 'planned' RETURNING id)
    SELECT count(*) INTO v_count FROM cancelled;
    IF v_count > 0 THEN
        PERFORM audit('coaching_sessions_cancel', 'enrolment', NEW.id, NEW.cluster_id,
                      NEW.organisation_id,
                      jsonb_build_object('reason', 'withdrawal', 'sessions', v_count));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER coaching_cancel_on_withdrawal AFTER UPDATE OF status ON enrolments
    FOR EACH ROW WHEN (NEW.status = 'withdrawn' AND OLD.status IS DISTINCT FROM 'withdrawn')
    EXECUTE FUNCTION coaching_cancel_on_withdrawal();

-- ---------------------------------------------------------------------------------------------
-- Reading budgets (as the caller: only what the caller may see)
-- ---------------------------------------------------------------------------------------------
-- One row for an enrolment the caller can see, none otherwise.
CREATE FUNCTION coaching_budget_figures(p_enrolment uuid)
    RETURNS TABLE (enrolment_id uuid, cluster_id uuid, organisation_id uuid, ceiling integer,
                   ceiling_source text, cluster_default integer, delivered integer,
                   planned integer)
    LANGUAGE sql STABLE AS $$
    SELECT e.id, e.cluster_id, e.organisation_id,
           coalesce(b.ceiling_half_days, c.coaching_ceiling_half_days),
           CASE WHEN b.ceiling_half_days IS NULL THEN 'cluster_default' ELSE 'enrolment' END,
           c.coaching_ceiling_half_days,
           coalesce(s.delivered, 0), coalesce(s.planned, 0)
      FROM enrolments e
      JOIN clusters c ON c.id = e.cluster_id
      LEFT JOIN coaching_budgets b ON b.enrolment_id = e.id
      LEFT JOIN LATERAL (
          SELECT sum(x.half_days) FILTER (WHERE x.status = 'done')::integer AS delivered,
                 sum(x.half_days) FILTER (WHERE x.status = 'planned')::integer AS planned
            FROM coaching_sessions x WHERE x.enrolment_id = e.id) s ON true
     WHERE e.id = p_enrolment
$$;

-- Contract (progress 0010 created the default): the enrolment's budget in half-days, one row when
-- the caller can see the enrolment.
CREATE OR REPLACE FUNCTION coaching_budget_summary(p_enrolment uuid)
    RETURNS TABLE (ceiling integer, delivered integer, planned integer, remaining integer)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN QUERY SELECT f.ceiling, f.delivered, f.planned, f.ceiling - f.delivered - f.planned
                   FROM coaching_budget_figures(p_enrolment) f;
END $$;

-- Extension point (planning replaces it): attended and planned training half-days per enrolment
-- of a cluster, for splitting training costs by attendance. No rows until planning exists.
CREATE FUNCTION training_attendance(p_cluster uuid)
    RETURNS TABLE (enrolment_id uuid, attended_half_days numeric, planned_half_days numeric)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Booking
-- ---------------------------------------------------------------------------------------------
-- Whether a coach already has a live session in one of the half-days [p_slot, p_slot + p_half_days)
-- of p_date (other than p_except). Reads every cluster, answers only yes or no.
CREATE FUNCTION coaching_coach_busy(p_coach uuid, p_date date, p_slot text, p_half_days integer,
                                    p_except uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM coaching_sessions s
         WHERE s.coach_user_id = p_coach AND s.session_date = p_date AND s.status <> 'cancelled'
           AND s.id IS DISTINCT FROM p_except
           AND int4range(coaching_slot_index(s.slot), coaching_slot_index(s.slot) + s.half_days)
               && int4range(coaching_slot_index(p_slot), coaching_slot_index(p_slot) + p_half_days))
$$;

-- Validates a session's schedule and content; raises 422 with a sentence naming the field.
CREATE FUNCTION coaching_check_session_values(p_slot text, p_half_days integer, p_topic text,
                                              p_module_key text) RETURNS void
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_slot IS NULL OR p_slot NOT IN ('morning', 'afternoon') THEN
        PERFORM raise_error('422', 'invalid_value', 'slot must be morning or afternoon');
    END IF;
    IF p_half_days IS NULL OR p_half_days NOT IN (1, 2) THEN
        PERFORM raise_error('422', 'invalid_value', 'half_days must be 1 or 2');
    END IF;
    IF p_half_days = 2 AND p_slot <> 'morning' THEN
        PERFORM raise_error('422', 'invalid_value',
                            'a session of 2 half-days is a whole day and starts in the morning');
    END IF;
    IF p_topic IS NULL OR length(btrim(p_topic)) NOT BETWEEN 1 AND 200 THEN
        PERFORM raise_error('422', 'invalid_value', 'topic must be 1 to 200 characters long');
    END IF;
    IF p_module_key IS NOT NULL AND p_module_key !~ '^[a-z][a-z0-9_]{0,63}$' THEN
        PERFORM raise_error('422', 'invalid_value', 'module_key must be a curriculum module key');
    END IF;
END $$;

-- Books a planned session for an admitted enrolment, under the budget lock. The caller must
-- coordinate the cluster or coach the enrolment; the coach (default: the caller, when the caller
-- coaches the enrolment) must be assigned to it. Returns {"id": ...} or, when the budget does not
-- allow it, {"exceeded": true, "ceiling", "delivered", "planned", "remaining", "requested",
-- "message"} without writing anything.
CREATE FUNCTION coaching_book_attempt(p_enrolment uuid, p_coach uuid, p_date date, p_slot text,
                                      p_half_days integer, p_topic text, p_module_key text,
                                      p_notes text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    e enrolments;
    b record;
    v_coach uuid := p_coach;
    v_id uuid;
BEGIN
    SELECT * INTO e FROM enrolments WHERE id = p_enrolment;
    IF e.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT (e.cluster_id = ANY (ctx_coordinated_clusters()) OR e.id = ANY (ctx_coached_enrolments())) THEN
        PERFORM raise_error('403', 'forbidden',
                            'only the organisation''s coach or the cluster''s coordinators book coaching');
    END IF;
    IF e.status <> 'admitted' THEN
        PERFORM raise_error('409', 'enrolment_not_active',
                            format('coaching is booked for admitted organisations; this enrolment is %s', e.status));
    END IF;
    PERFORM coaching_check_session_values(p_slot, p_half_days, p_topic, p_module_key);
    IF p_date IS NULL THEN
        PERFORM raise_error('422', 'invalid_value', 'session_date is required');
    END IF;
    IF v_coach IS NULL AND e.id = ANY (ctx_coached_enrolments()) THEN
        v_coach := ctx_user();
    END IF;
    IF v_coach IS NULL OR NOT EXISTS (SELECT 1 FROM coach_assignments a
                                       WHERE a.enrolment_id = e.id AND a.coach_user_id = v_coach) THEN
        PERFORM raise_error('422', 'invalid_reference',
                            'coach_user_id must name a coach assigned to this enrolment');
    END IF;
    SELECT * INTO b FROM coaching_budget_lock(e.id);
    IF b.delivered + b.planned + p_half_days > b.ceiling THEN
        RETURN json_build_object('exceeded', true, 'ceiling', b.ceiling, 'delivered', b.delivered,
            'planned', b.planned, 'remaining', b.ceiling - b.delivered - b.planned,
            'requested', p_half_days,
            'message', coaching_budget_exceeded_message(b.ceiling, b.delivered + b.planned, p_half_days));
    END IF;
    IF coaching_coach_busy(v_coach, p_date, p_slot, p_half_days, NULL) THEN
        PERFORM raise_error('409', 'coach_unavailable',
                            'the coach already has a coaching session in that half-day');
    END IF;
    BEGIN
        INSERT INTO coaching_sessions (cluster_id, organisation_id, enrolment_id, coach_user_id,
                                       session_date, slot, half_days, topic, module_key, notes,
                                       created_by)
        VALUES (e.cluster_id, e.organisation_id, e.id, v_coach, p_date, p_slot, p_half_days,
                btrim(p_topic), p_module_key, p_notes, ctx_user())
        RETURNING id INTO v_id;
    EXCEPTION WHEN unique_violation THEN
        -- Another transaction booked the coach for that half-day since the check above.
        PERFORM raise_error('409', 'coach_unavailable',
                            'the coach already has a coaching session in that half-day');
    END;
    PERFORM audit('coaching_session_book', 'coaching_session', v_id, e.cluster_id, e.organisation_id,
                  jsonb_build_object('session_date', p_date, 'slot', p_slot, 'half_days', p_half_days,
                                     'coach_user_id', v_coach));
    RETURN json_build_object('id', v_id);
END $$;

-- Contract (planning calls it when it applies a plan): books a planned session under the budget
-- lock and returns its id; raises IC409 budget_exceeded when delivered + planned + p_half_days
-- would pass the ceiling (DETAIL: a sentence with the remaining half-days).
CREATE FUNCTION coaching_book(p_enrolment uuid, p_coach uuid, p_date date, p_slot text,
                              p_half_days integer, p_topic text, p_module_key text) RETURNS uuid
    LANGUAGE plpgsql AS $$
DECLARE
    r json := coaching_book_attempt(p_enrolment, p_coach, p_date, p_slot, p_half_days, p_topic,
                                    p_module_key, NULL);
BEGIN
    IF r->>'id' IS NULL THEN
        PERFORM raise_error('409', 'budget_exceeded', r->>'message');
    END IF;
    RETURN (r->>'id')::uuid;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Idempotency (see coaching_idempotency above)
-- ---------------------------------------------------------------------------------------------
-- Starts an idempotent write: NULL when the write should run, or the stored response (with
-- "replayed": true) when this user already committed a request with this key and the same body.
-- Raises 409 idempotency_in_progress while another transaction holds the key, and 422
-- idempotency_key_reused when the key came with another request.
CREATE FUNCTION coaching_idempotency_begin(p_key text, p_hash text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    r coaching_idempotency;
BEGIN
    IF p_key IS NULL THEN
        RETURN NULL;
    END IF;
    -- 64 bits of SHA-256(user, key) in the one-key advisory lock space.
    IF NOT pg_try_advisory_xact_lock(('x' || left(encode(sha256(convert_to(
            ctx_user()::text || ':' || p_key, 'UTF8')), 'hex'), 16))::bit(64)::bigint) THEN
        PERFORM raise_error('409', 'idempotency_in_progress',
            'a request with this Idempotency-Key is still being processed; retry it in a moment');
    END IF;
    -- The lock is held: this statement's snapshot sees the first request if it committed.
    SELECT * INTO r FROM coaching_idempotency
     WHERE user_id = ctx_user() AND idempotency_key = p_key
       AND created_at > now() - interval '24 hours';
    IF r.user_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF r.request_hash <> p_hash THEN
        PERFORM raise_error('422', 'idempotency_key_reused',
            'this Idempotency-Key was used for a different request; use a new key for a new request');
    END IF;
    RETURN json_build_object('status', r.response->'status', 'body', r.response->'body',
                             'error', r.response->'error', 'replayed', true);
END $$;

-- Records the response of an idempotent write (in its transaction) and returns it.
CREATE FUNCTION coaching_idempotency_finish(p_key text, p_hash text, p_response json) RETURNS json
    LANGUAGE plpgsql AS $$
BEGIN
    IF p_key IS NOT NULL THEN
        DELETE FROM coaching_idempotency
         WHERE user_id = ctx_user() AND created_at <= now() - interval '24 hours';
        INSERT INTO coaching_idempotency (user_id, idempotency_key, organisation_id, request_hash,
                                          response)
        VALUES (ctx_user(), p_key, ctx_org(), p_hash, p_response);
    END IF;
    RETURN p_response;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Grants
-- ---------------------------------------------------------------------------------------------
GRANT SELECT, UPDATE (ceiling_half_days, ceiling_reason, ceiling_changed_by, ceiling_changed_at)
    ON coaching_budgets TO isms_app;
GRANT SELECT, INSERT (cluster_id, organisation_id, enrolment_id, coach_user_id, session_date, slot,
                      half_days, topic, module_key, notes, created_by),
      UPDATE (coach_user_id, session_date, slot, half_days, topic, module_key, status, notes,
              cancel_reason, completed_at, cancelled_at, updated_at)
    ON coaching_sessions TO isms_app;
GRANT SELECT, INSERT, DELETE ON coaching_idempotency TO isms_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
