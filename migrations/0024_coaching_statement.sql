-- Coaching, part 5: the cost statement of a cluster, per organisation, in integer cents.
--
-- Who shares the training costs: every enrolment of the cluster that was admitted (admitted,
-- withdrawn after admission, completed), for the days it took part in the programme:
--   programme    = the cluster's start_date .. target_end_date, both days included;
--   participation = from the day of admission (or the programme's start, if later) to the day of
--                  withdrawal (or the programme's end), both included, in the cluster's time zone.
-- A cost item is split by its split method (or the cluster's default), weights being:
--   equal      : participation days (equal shares for organisations there from start to end;
--                pro rata for one that joins or withdraws mid-programme);
--   employees  : employee count x participation days (an unknown count counts as 1, with a warning);
--   attendance : training half-days attended (isms.training_attendance(), planning's); when none
--                is recorded yet the planned half-days ("registrations"), and when neither is known,
--                equal (each fallback is named in the item's "basis" and in the warnings).
-- Rounding: cost_split_largest_remainder (0023), item by item, so each item's shares sum to the
-- item and the organisations' totals sum to the cluster's total to the cent.
-- Coaching: delivered (done) half-days x the coach's rate in the cluster, or the default rate.

CREATE FUNCTION coaching_cost_statement(p_cluster uuid, p_enrolment uuid) RETURNS json
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    c clusters;
    v_split text;
    v_rate bigint;
    v_currency text;
BEGIN
    -- The whole statement for the cluster's coordinators; one organisation's part for its staff.
    IF NOT (p_cluster = ANY (ctx_coordinated_clusters())
            OR (p_enrolment IS NOT NULL AND EXISTS (
                SELECT 1 FROM enrolments e WHERE e.id = p_enrolment AND e.cluster_id = p_cluster
                   AND e.organisation_id = ctx_org()))) THEN
        PERFORM raise_not_found();
    END IF;
    SELECT * INTO c FROM clusters WHERE id = p_cluster;
    SELECT coalesce(s.split_method, 'equal'), coalesce(s.half_day_rate_cents, 0), coalesce(s.currency, 'EUR')
      INTO v_split, v_rate, v_currency
      FROM (SELECT 1) AS one LEFT JOIN coaching_cost_settings s ON s.cluster_id = p_cluster;
    RETURN (
    WITH att AS (
        SELECT a.enrolment_id, sum(a.attended_half_days) AS attended, sum(a.planned_half_days) AS planned
          FROM training_attendance(p_cluster) a GROUP BY a.enrolment_id),
    p AS (
        SELECT e.id AS enrolment_id, e.organisation_id, o.name AS organisation_name, e.status,
               CASE WHEN e.admitted_at IS NOT NULL
                    THEN greatest(c.start_date, (e.admitted_at AT TIME ZONE c.time_zone)::date) END AS p_from,
               CASE WHEN e.status = 'withdrawn' AND e.ended_at IS NOT NULL
                    THEN least(c.target_end_date, (e.ended_at AT TIME ZONE c.time_zone)::date)
                    ELSE c.target_end_date END AS p_to,
               coalesce(e.employee_count, o.employee_count) AS employees,
               coalesce(att.attended, 0) AS attended, coalesce(att.planned, 0) AS planned
          FROM enrolments e
          JOIN organisations o ON o.id = e.organisation_id
          LEFT JOIN att ON att.enrolment_id = e.id
         WHERE e.cluster_id = p_cluster
           AND (e.admitted_at IS NOT NULL OR EXISTS (SELECT 1 FROM coaching_sessions s
                                                      WHERE s.enrolment_id = e.id AND s.status = 'done'))),
    pd AS (SELECT p.*, coalesce(greatest(p.p_to - p.p_from + 1, 0), 0) AS days FROM p),
    tot AS (SELECT coalesce(sum(round(pd.attended * 100)), 0) AS attended,
                   coalesce(sum(round(pd.planned * 100)), 0) AS planned FROM pd),
    items AS (
        SELECT i.*, m.method,
               CASE WHEN m.method <> 'attendance' THEN m.method
                    WHEN tot.attended > 0 THEN 'attendance'
                    WHEN tot.planned > 0 THEN 'registrations'
                    ELSE 'equal' END AS basis
          FROM coaching_cost_items i
          CROSS JOIN LATERAL (SELECT coalesce(i.split_method, v_split) AS method) m
          CROSS JOIN tot
         WHERE i.cluster_id = p_cluster),
    shares AS (
        SELECT i.id AS item_id, x.key AS enrolment_id, x.weight, x.cents
          FROM items i
          CROSS JOIN LATERAL cost_split_largest_remainder(i.amount_cents,
              (SELECT array_agg(pd.enrolment_id ORDER BY pd.enrolment_id) FROM pd),
              (SELECT array_agg(CASE i.basis
                                    WHEN 'equal' THEN pd.days::bigint
                                    WHEN 'employees' THEN coalesce(pd.employees, 1)::bigint * pd.days
                                    WHEN 'attendance' THEN round(pd.attended * 100)::bigint
                                    ELSE round(pd.planned * 100)::bigint END
                                ORDER BY pd.enrolment_id) FROM pd)) x),
    item_totals AS (SELECT item_id, sum(cents)::bigint AS allocated, sum(weight)::bigint AS total_weight
                      FROM shares GROUP BY item_id),
    coaching AS (
        SELECT s.enrolment_id, s.coach_user_id, sum(s.half_days)::integer AS half_days,
               coalesce(r.half_day_rate_cents, v_rate) AS rate, r.id IS NOT NULL AS own_rate
          FROM coaching_sessions s
          LEFT JOIN coaching_rates r ON r.cluster_id = s.cluster_id AND r.coach_user_id = s.coach_user_id
         WHERE s.cluster_id = p_cluster AND s.status = 'done'
         GROUP BY s.enrolment_id, s.coach_user_id, r.id, r.half_day_rate_cents),
    orgs AS (
        SELECT pd.*,
               coalesce((SELECT sum(sh.cents) FROM shares sh WHERE sh.enrolment_id = pd.enrolment_id), 0)::bigint
                   AS training_cents,
               coalesce((SELECT sum(k.half_days::bigint * k.rate) FROM coaching k
                          WHERE k.enrolment_id = pd.enrolment_id), 0)::bigint AS coaching_cents
          FROM pd),
    totals AS (
        SELECT (SELECT coalesce(sum(amount_cents), 0) FROM items)::bigint AS training,
               (SELECT coalesce(sum(coaching_cents), 0) FROM orgs)::bigint AS coaching,
               (SELECT coalesce(sum(i.amount_cents - coalesce(t.allocated, 0)), 0)
                  FROM items i LEFT JOIN item_totals t ON t.item_id = i.id)::bigint AS unallocated)
    SELECT json_build_object(
        'cluster_id', c.id, 'cluster_name', c.name, 'currency', v_currency,
        'programme', json_build_object('start', c.start_date, 'end', c.target_end_date,
                                       'days', c.target_end_date - c.start_date + 1),
        'default_split_method', v_split, 'coaching_half_day_rate_cents', v_rate,
        'rounding', 'Amounts are integer cents. Each cost item is split on its own: an organisation '
                    'with weight w out of a total weight W receives floor(amount * w / W) cents; '
                    'the cents left over go one each to the largest remainders (amount * w mod W), '
                    'ties to the larger weight, then to the smaller enrolment id. Shares of an item '
                    'sum to the item; organisation totals sum to the cluster total.',
        'items', (SELECT coalesce(json_agg(json_build_object('id', i.id, 'category', i.category,
                      'description', i.description, 'quantity', i.quantity, 'unit', i.unit,
                      'unit_amount_cents', i.unit_amount_cents, 'amount_cents', i.amount_cents,
                      'split_method', i.method, 'basis', i.basis, 'incurred_on', i.incurred_on,
                      'allocated_cents', coalesce(t.allocated, 0))
                      ORDER BY i.created_at, i.id), '[]'::json)
                    FROM items i LEFT JOIN item_totals t ON t.item_id = i.id),
        'organisations', (SELECT coalesce(json_agg(json_build_object(
                'enrolment_id', o.enrolment_id, 'organisation_id', o.organisation_id,
                'organisation_name', o.organisation_name, 'enrolment_status', o.status,
                'participation', json_build_object('from', o.p_from, 'to', o.p_to, 'days', o.days),
                'employee_count', o.employees, 'attended_training_half_days', o.attended,
                'planned_training_half_days', o.planned,
                'lines', (SELECT coalesce(json_agg(l.line ORDER BY l.ord, l.at, l.id), '[]'::json) FROM (
                    SELECT 0 AS ord, i.created_at AS at, i.id::text AS id, json_build_object(
                               'kind', 'training', 'item_id', i.id, 'category', i.category,
                               'description', i.description, 'basis', i.basis,
                               'weight', sh.weight, 'total_weight', t.total_weight,
                               'amount_cents', sh.cents) AS line
                      FROM shares sh JOIN items i ON i.id = sh.item_id
                      JOIN item_totals t ON t.item_id = sh.item_id
                     WHERE sh.enrolment_id = o.enrolment_id
                    UNION ALL
                    SELECT 1, NULL, k.coach_user_id::text, json_build_object(
                               'kind', 'coaching', 'coach_user_id', k.coach_user_id,
                               'coach_name', (SELECT u.display_name FROM users u WHERE u.id = k.coach_user_id),
                               'description', 'coaching', 'half_days', k.half_days,
                               'rate_cents', k.rate, 'amount_cents', k.half_days::bigint * k.rate)
                      FROM coaching k WHERE k.enrolment_id = o.enrolment_id) l),
                'training_cents', o.training_cents, 'coaching_cents', o.coaching_cents,
                'total_cents', o.training_cents + o.coaching_cents,
                'warnings', to_json(array_remove(ARRAY[
                    CASE WHEN o.employees IS NULL AND EXISTS (SELECT 1 FROM items i WHERE i.basis = 'employees')
                         THEN 'the employee count is unknown: it counts as 1' END], NULL)))
                ORDER BY o.organisation_name, o.enrolment_id), '[]'::json)
              FROM orgs o WHERE p_enrolment IS NULL OR o.enrolment_id = p_enrolment),
        'training_total_cents', totals.training,
        'coaching_total_cents', CASE WHEN p_enrolment IS NULL THEN totals.coaching END,
        'unallocated_cents', CASE WHEN p_enrolment IS NULL THEN totals.unallocated END,
        'total_cents', CASE WHEN p_enrolment IS NULL THEN totals.training + totals.coaching END,
        'warnings', to_json(array_remove(ARRAY[
            CASE WHEN EXISTS (SELECT 1 FROM items WHERE basis = 'registrations')
                 THEN 'no training attendance is recorded yet: items split by attendance use the planned half-days' END,
            CASE WHEN EXISTS (SELECT 1 FROM items WHERE method = 'attendance' AND basis = 'equal')
                 THEN 'no training attendance is known: items split by attendance are split equally' END,
            CASE WHEN EXISTS (SELECT 1 FROM coaching WHERE rate = 0)
                 THEN 'no coaching rate is set for some delivered coaching: it is costed at 0' END,
            CASE WHEN totals.unallocated > 0 AND p_enrolment IS NULL
                 THEN 'some costs are shared by no organisation (nobody took part): see unallocated_cents' END],
            NULL)))
      FROM totals);
END $$;

-- The whole statement: the cluster's coordinators.
CREATE FUNCTION api_cost_statement_cluster(p_cluster uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM require_coordinator(p_cluster);
    RETURN coaching_cost_statement(p_cluster, NULL);
END $$;

-- One organisation's statement: its staff and the cluster's coordinators (its coach: 403).
CREATE FUNCTION api_cost_statement_enrolment(p_enrolment uuid) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := coaching_require_enrolment(p_enrolment);
BEGIN
    IF NOT (e.cluster_id = ANY (ctx_coordinated_clusters()) OR e.organisation_id = ctx_org()) THEN
        PERFORM raise_error('403', 'forbidden',
                            'an organisation''s costs are for its staff and the cluster''s coordinators');
    END IF;
    RETURN coaching_cost_statement(e.cluster_id, e.id);
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
