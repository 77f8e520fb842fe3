-- Coaching, part 4: cost sharing. A cluster's cost items (trainer days x rate, venue, material ...)
-- are split among the organisations that took part in the programme, and each organisation pays
-- its own coaching: delivered half-days x the coach's rate (or the cluster's default rate). The
-- statement is computed here, in integer cents, by coaching_cost_statement(); the rounding rule is
-- cost_split_largest_remainder() below and is repeated in every statement ("rounding").

CREATE TABLE coaching_cost_settings (
    cluster_id uuid PRIMARY KEY REFERENCES clusters (id),
    split_method text NOT NULL DEFAULT 'equal'
        CHECK (split_method IN ('equal', 'employees', 'attendance')),
    half_day_rate_cents bigint NOT NULL DEFAULT 0 CHECK (half_day_rate_cents BETWEEN 0 AND 100000000),
    currency text NOT NULL DEFAULT 'EUR' CHECK (currency ~ '^[A-Z]{3}$'),
    updated_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- A coach's own half-day rate in a cluster (a consultancy's price), instead of the default.
CREATE TABLE coaching_rates (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL,
    coach_user_id uuid NOT NULL,
    coach_role text NOT NULL DEFAULT 'coach' CHECK (coach_role = 'coach'),
    half_day_rate_cents bigint NOT NULL CHECK (half_day_rate_cents BETWEEN 0 AND 100000000),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cluster_id, coach_user_id),
    FOREIGN KEY (cluster_id, coach_user_id, coach_role)
        REFERENCES cluster_staff (cluster_id, user_id, role) ON DELETE CASCADE
);

CREATE TABLE coaching_cost_items (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL REFERENCES clusters (id),
    category text NOT NULL
        CHECK (category IN ('trainer', 'venue', 'material', 'catering', 'travel', 'other')),
    description text NOT NULL CHECK (length(btrim(description)) BETWEEN 1 AND 200),
    quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 10000),
    unit text NOT NULL CHECK (unit IN ('day', 'half_day', 'hour', 'item', 'lump_sum')),
    unit_amount_cents bigint NOT NULL CHECK (unit_amount_cents BETWEEN 0 AND 1000000000),
    amount_cents bigint GENERATED ALWAYS AS (quantity::bigint * unit_amount_cents) STORED,
    split_method text CHECK (split_method IN ('equal', 'employees', 'attendance')), -- NULL: cluster's
    incurred_on date,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cluster_id, id)
);
CREATE INDEX coaching_cost_items_cluster ON coaching_cost_items (cluster_id);

ALTER TABLE coaching_cost_settings ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE coaching_rates ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE coaching_cost_items ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_all ON coaching_cost_settings TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON coaching_rates TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON coaching_cost_items TO isms_owner USING (true) WITH CHECK (true);

-- Settings and cost items are shared with the cluster's members; coordinators change them.
CREATE POLICY app_select ON coaching_cost_settings FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR cluster_id = ANY ((SELECT ctx_member_clusters())::uuid[]));
CREATE POLICY app_insert ON coaching_cost_settings FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_update ON coaching_cost_settings FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_select ON coaching_cost_items FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR cluster_id = ANY ((SELECT ctx_member_clusters())::uuid[]));
CREATE POLICY app_write ON coaching_cost_items FOR ALL TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
-- Rates: the coordinators, and each coach their own.
CREATE POLICY app_select ON coaching_rates FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]) OR coach_user_id = ctx_user());
CREATE POLICY app_write ON coaching_rates FOR ALL TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

-- ---------------------------------------------------------------------------------------------
-- The rounding rule
-- ---------------------------------------------------------------------------------------------
-- Splits p_total cents among keys in proportion to their weights (negative weights count as 0),
-- exactly: key i gets floor(total * w_i / W) cents, then the cents left over (fewer than the number
-- of keys with a remainder) go one each to the largest remainders (total * w_i mod W), ties to the
-- larger weight, then to the smaller key. The shares sum to p_total, unless every weight is 0 (all
-- shares 0: the caller reports the amount as unallocated). Integer arithmetic throughout.
CREATE FUNCTION cost_split_largest_remainder(p_total bigint, p_keys uuid[], p_weights bigint[])
    RETURNS TABLE (key uuid, weight bigint, cents bigint) LANGUAGE sql IMMUTABLE AS $$
    WITH w AS (SELECT u.k, greatest(coalesce(u.w, 0), 0) AS w
                 FROM unnest(p_keys, p_weights) AS u(k, w)),
         s AS (SELECT coalesce(sum(w.w), 0)::numeric AS total FROM w),
         b AS (SELECT w.k, w.w,
                      CASE WHEN s.total > 0 THEN div(p_total::numeric * w.w, s.total) ELSE 0 END AS fl,
                      CASE WHEN s.total > 0 THEN mod(p_total::numeric * w.w, s.total) ELSE 0 END AS rem
                 FROM w, s),
         n AS (SELECT CASE WHEN (SELECT total FROM s) > 0 THEN p_total - coalesce(sum(b.fl), 0)
                           ELSE 0 END AS left_over FROM b),
         r AS (SELECT b.*, row_number() OVER (ORDER BY b.rem DESC, b.w DESC, b.k) AS rn FROM b)
    SELECT r.k, r.w::bigint, (r.fl + CASE WHEN r.rn <= n.left_over THEN 1 ELSE 0 END)::bigint
      FROM r, n
$$;

-- ---------------------------------------------------------------------------------------------
-- JSON
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION coaching_cost_item_json(i coaching_cost_items) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', i.id, 'cluster_id', i.cluster_id, 'category', i.category,
        'description', i.description, 'quantity', i.quantity, 'unit', i.unit,
        'unit_amount_cents', i.unit_amount_cents, 'amount_cents', i.amount_cents,
        'split_method', i.split_method, 'incurred_on', i.incurred_on,
        'created_at', i.created_at, 'updated_at', i.updated_at)
$$;

CREATE FUNCTION coaching_rate_json(r coaching_rates) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', r.id, 'cluster_id', r.cluster_id, 'coach_user_id', r.coach_user_id,
        'coach_name', (SELECT u.display_name FROM users_public u WHERE u.id = r.coach_user_id),
        'half_day_rate_cents', r.half_day_rate_cents, 'updated_at', r.updated_at)
$$;

-- The cluster's settings, with the defaults when the coordinator has not set any.
CREATE FUNCTION coaching_cost_settings_json(p_cluster uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('cluster_id', p_cluster,
        'split_method', coalesce(s.split_method, 'equal'),
        'half_day_rate_cents', coalesce(s.half_day_rate_cents, 0),
        'currency', coalesce(s.currency, 'EUR'), 'updated_at', s.updated_at)
      FROM (SELECT p_cluster AS id) c
      LEFT JOIN coaching_cost_settings s ON s.cluster_id = c.id
$$;

-- 404 when the caller cannot see the cluster; 403 unless it coordinates it or is a member.
CREATE FUNCTION coaching_require_cost_reader(p_cluster uuid) RETURNS void
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT (p_cluster = ANY (ctx_coordinated_clusters()) OR p_cluster = ANY (ctx_member_clusters())) THEN
        PERFORM raise_error('403', 'forbidden',
                            'costs are shared with the cluster''s coordinators and member organisations');
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Settings, rates, items
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_cost_settings_get(p_cluster uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM coaching_require_cost_reader(p_cluster);
    RETURN coaching_cost_settings_json(p_cluster);
END $$;

CREATE FUNCTION api_cost_settings_update(p_cluster uuid, p_split text, p_rate bigint,
                                         p_currency text) RETURNS json
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM require_coordinator(p_cluster);
    INSERT INTO coaching_cost_settings (cluster_id, split_method, half_day_rate_cents, currency,
                                        updated_by)
    VALUES (p_cluster, coalesce(p_split, 'equal'), coalesce(p_rate, 0), coalesce(p_currency, 'EUR'),
            ctx_user())
    ON CONFLICT (cluster_id) DO UPDATE
       SET split_method = coalesce(p_split, coaching_cost_settings.split_method),
           half_day_rate_cents = coalesce(p_rate, coaching_cost_settings.half_day_rate_cents),
           currency = coalesce(p_currency, coaching_cost_settings.currency),
           updated_by = ctx_user(), updated_at = now();
    PERFORM audit('cost_settings_update', 'cluster', p_cluster, p_cluster, NULL,
                  jsonb_strip_nulls(jsonb_build_object('split_method', p_split,
                      'half_day_rate_cents', p_rate, 'currency', p_currency)));
    RETURN coaching_cost_settings_json(p_cluster);
END $$;

CREATE FUNCTION api_coaching_rate_list(p_cluster uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT p_cluster = ANY (ctx_staff_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'coaching rates are for the cluster''s coordinators and coaches');
    END IF;
    RETURN json_build_object('items', coalesce((SELECT json_agg(coaching_rate_json(r) ORDER BY r.id)
                                                 FROM coaching_rates r WHERE r.cluster_id = p_cluster), '[]'));
END $$;

-- Sets (creates or replaces) a coach's half-day rate in the cluster.
CREATE FUNCTION api_coaching_rate_set(p_cluster uuid, p_coach uuid, p_rate bigint) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    r coaching_rates;
BEGIN
    PERFORM require_coordinator(p_cluster);
    IF NOT EXISTS (SELECT 1 FROM cluster_staff WHERE cluster_id = p_cluster AND user_id = p_coach
                                                  AND role = 'coach') THEN
        PERFORM raise_error('422', 'invalid_reference', 'coach_user_id must name a coach of this cluster');
    END IF;
    INSERT INTO coaching_rates (cluster_id, coach_user_id, half_day_rate_cents)
    VALUES (p_cluster, p_coach, p_rate)
    ON CONFLICT (cluster_id, coach_user_id)
    DO UPDATE SET half_day_rate_cents = EXCLUDED.half_day_rate_cents, updated_at = now();
    SELECT * INTO r FROM coaching_rates WHERE cluster_id = p_cluster AND coach_user_id = p_coach;
    PERFORM audit('coaching_rate_set', 'coaching_rate', r.id, p_cluster, NULL,
                  jsonb_build_object('coach_user_id', p_coach, 'half_day_rate_cents', p_rate));
    RETURN coaching_rate_json(r);
END $$;

CREATE FUNCTION api_coaching_rate_delete(p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r coaching_rates;
BEGIN
    SELECT * INTO r FROM coaching_rates WHERE id = p_id;
    IF r.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM require_coordinator(r.cluster_id);
    DELETE FROM coaching_rates WHERE id = r.id;
    PERFORM audit('coaching_rate_delete', 'coaching_rate', r.id, r.cluster_id, NULL,
                  jsonb_build_object('coach_user_id', r.coach_user_id));
END $$;

CREATE FUNCTION api_cost_item_list(p_cluster uuid, p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM coaching_require_cost_reader(p_cluster);
    RETURN (SELECT page_json(array_agg(coaching_cost_item_json(i) ORDER BY i.id), coalesce(p_limit, 50),
                             (array_agg(i.id::text ORDER BY i.id))[coalesce(p_limit, 50)])
            FROM (SELECT * FROM coaching_cost_items x
                   WHERE x.cluster_id = p_cluster
                     AND (p_cursor IS NULL OR x.id > require_cursor_uuid(p_cursor))
                   ORDER BY x.id LIMIT coalesce(p_limit, 50) + 1) i);
END $$;

-- Creates a cost item; answers an envelope (idempotent with a key, like the ledger's bookings).
CREATE FUNCTION api_cost_item_create(p_cluster uuid, p_category text, p_description text,
                                     p_quantity integer, p_unit text, p_unit_amount bigint,
                                     p_split text, p_incurred_on date, p_key text, p_hash text)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_key text := NULLIF(p_key, '');
    v_hash text := NULLIF(p_hash, '');
    v json := coaching_idempotency_begin(v_key, v_hash);
    i coaching_cost_items;
BEGIN
    IF v IS NOT NULL THEN
        RETURN v;
    END IF;
    PERFORM require_coordinator(p_cluster);
    INSERT INTO coaching_cost_items (cluster_id, category, description, quantity, unit,
                                     unit_amount_cents, split_method, incurred_on, created_by)
    VALUES (p_cluster, p_category, btrim(p_description), p_quantity, p_unit, p_unit_amount,
            NULLIF(p_split, 'cluster_default'), p_incurred_on, ctx_user())
    RETURNING * INTO i;
    PERFORM audit('cost_item_create', 'cost_item', i.id, p_cluster, NULL,
                  jsonb_build_object('amount_cents', i.amount_cents, 'category', i.category));
    RETURN coaching_idempotency_finish(v_key, v_hash,
                                       json_build_object('status', 201, 'body', coaching_cost_item_json(i)));
END $$;

CREATE FUNCTION api_cost_item_update(p_id uuid, p_category text, p_description text,
                                     p_quantity integer, p_unit text, p_unit_amount bigint,
                                     p_split text, p_incurred_on date) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    i coaching_cost_items;
BEGIN
    SELECT * INTO i FROM coaching_cost_items WHERE id = p_id;
    IF i.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM require_coordinator(i.cluster_id);
    UPDATE coaching_cost_items SET category = coalesce(p_category, category),
           description = coalesce(btrim(p_description), description),
           quantity = coalesce(p_quantity, quantity), unit = coalesce(p_unit, unit),
           unit_amount_cents = coalesce(p_unit_amount, unit_amount_cents),
           split_method = CASE WHEN p_split IS NULL THEN split_method
                               ELSE NULLIF(p_split, 'cluster_default') END,
           incurred_on = coalesce(p_incurred_on, incurred_on), updated_at = now()
     WHERE id = i.id RETURNING * INTO i;
    PERFORM audit('cost_item_update', 'cost_item', i.id, i.cluster_id, NULL,
                  jsonb_build_object('amount_cents', i.amount_cents));
    RETURN coaching_cost_item_json(i);
END $$;

CREATE FUNCTION api_cost_item_delete(p_id uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    i coaching_cost_items;
BEGIN
    SELECT * INTO i FROM coaching_cost_items WHERE id = p_id;
    IF i.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM require_coordinator(i.cluster_id);
    DELETE FROM coaching_cost_items WHERE id = i.id;
    PERFORM audit('cost_item_delete', 'cost_item', i.id, i.cluster_id, NULL,
                  jsonb_build_object('amount_cents', i.amount_cents, 'description', i.description));
END $$;

GRANT SELECT, INSERT, UPDATE ON coaching_cost_settings TO isms_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON coaching_rates TO isms_app;
GRANT SELECT, INSERT (cluster_id, category, description, quantity, unit, unit_amount_cents,
                      split_method, incurred_on, created_by),
      UPDATE (category, description, quantity, unit, unit_amount_cents, split_method, incurred_on,
              updated_at),
      DELETE ON coaching_cost_items TO isms_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
