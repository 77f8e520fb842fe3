-- Progress, part 5: the summaries. GET /v1/enrolments/{id}/progress is the hottest read of the
-- product, answered by one function in the request's single round trip; the cluster overview
-- puts every enrolment the caller may see side by side; the benchmark shows an organisation its
-- percentages beside the cluster's median, suppressed below three contributing enrolments.

-- ---------------------------------------------------------------------------------------------
-- Building blocks (plain SQL, inlined into the callers' plans)
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION progress_pct(p_part bigint, p_whole bigint) RETURNS numeric
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_whole > 0 THEN round(100.0 * p_part / p_whole, 1) END
$$;

-- How far a status is from done; not applicable has no rank.
CREATE FUNCTION progress_status_rank(p_status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE p_status WHEN 'not_started' THEN 0 WHEN 'in_progress' THEN 1
                         WHEN 'implemented' THEN 2 END
$$;

-- One enrolment's requirements counted by status per group, with the requirements whose own
-- due date has passed while they are not implemented.
CREATE FUNCTION progress_group_counts(p_enrolment uuid, p_fw uuid, p_today date)
    RETURNS TABLE (group_key text, kind text, title text, ord integer, total bigint,
                   not_started bigint, in_progress bigint, implemented bigint,
                   not_applicable bigint, average_maturity numeric, overdue bigint)
    LANGUAGE sql STABLE AS $$
    SELECT g.key, g.kind, g.title, g.position, count(*),
           count(*) FILTER (WHERE a.status IS NULL OR a.status = 'not_started'),
           count(*) FILTER (WHERE a.status = 'in_progress'),
           count(*) FILTER (WHERE a.status = 'implemented'),
           count(*) FILTER (WHERE a.status = 'not_applicable'),
           round(avg(a.maturity), 2),
           count(*) FILTER (WHERE a.due_date < p_today AND a.status IN ('not_started', 'in_progress'))
      FROM framework_groups g
      JOIN requirements r ON r.framework_id = g.framework_id AND r.group_key = g.key
      LEFT JOIN assessments a ON a.enrolment_id = p_enrolment AND a.requirement_id = r.id
     WHERE g.framework_id = p_fw
     GROUP BY g.key, g.kind, g.title, g.position
$$;

-- Counts and percentages by status (of a group, or in total), with the change since the
-- baseline's counts (a member of progress_baseline_counts()) when there is a baseline. STABLE
-- like json_build_object, so that the planner inlines it.
CREATE FUNCTION progress_counts_json(p_total bigint, p_ns bigint, p_ip bigint, p_im bigint,
                                     p_na bigint, p_maturity numeric, p_base jsonb) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT json_build_object('requirements', p_total,
        'counts', json_build_object('not_started', p_ns, 'in_progress', p_ip,
                                    'implemented', p_im, 'not_applicable', p_na),
        'percentages', json_build_object('not_started', progress_pct(p_ns, p_total),
            'in_progress', progress_pct(p_ip, p_total), 'implemented', progress_pct(p_im, p_total),
            'not_applicable', progress_pct(p_na, p_total)),
        'implemented_percent', progress_pct(p_im, p_total - p_na),
        'average_maturity', p_maturity,
        'since_baseline', CASE WHEN p_base IS NOT NULL THEN json_build_object(
            'implemented', p_im - (p_base->>'implemented')::bigint,
            'in_progress', p_ip - (p_base->>'in_progress')::bigint,
            'not_started', p_ns - (p_base->>'not_started')::bigint,
            'implemented_percent', progress_pct(p_im, p_total - p_na)
                - progress_pct((p_base->>'implemented')::bigint,
                               (p_base->>'total')::bigint - (p_base->>'not_applicable')::bigint)) END)
$$;

-- A group's counts, led by its key, kind and title (spliced as text: keeps the members' order and
-- costs no round trip through jsonb).
CREATE FUNCTION progress_group_json(p_group text, p_kind text, p_title text, p_counts json)
    RETURNS json LANGUAGE sql STABLE AS $$
    SELECT (rtrim(json_build_object('group', p_group, 'kind', p_kind, 'title', p_title)::text, '}')
            || ', ' || ltrim(p_counts::text, '{'))::json
$$;

-- ---------------------------------------------------------------------------------------------
-- GET /v1/enrolments/{id}/progress
-- ---------------------------------------------------------------------------------------------
-- One statement after the visibility check. Each requirement's current state is read once (cur)
-- and reused for the counts, the overdue requirements and the comparison with the baseline.
-- The statement's plan is kept for the connection (plan_cache_mode below): planning it costs
-- more than running it, and its shape does not depend on the enrolment.
CREATE FUNCTION api_progress_get(p_enrolment uuid) RETURNS json LANGUAGE plpgsql STABLE
    SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'read');
    c clusters;
    v_fw uuid;
    v_today date;
    v_week date;
BEGIN
    SELECT * INTO c FROM clusters WHERE id = e.cluster_id;
    v_fw := cluster_framework_id(e.cluster_id);
    v_today := cluster_today(c.time_zone);
    v_week := date_trunc('week', v_today)::date;
    RETURN (
    WITH cur AS MATERIALIZED (
        SELECT r.id, r.group_key, coalesce(a.status, 'not_started') AS status, a.maturity,
               a.due_date < v_today AND a.status IN ('not_started', 'in_progress') AS overdue
          FROM requirements r
          LEFT JOIN assessments a ON a.enrolment_id = e.id AND a.requirement_id = r.id
         WHERE r.framework_id = v_fw),
    grp AS MATERIALIZED (
        SELECT g.key AS group_key, g.kind, g.title, g.position AS ord, count(*) AS total,
               count(*) FILTER (WHERE cur.status = 'not_started') AS not_started,
               count(*) FILTER (WHERE cur.status = 'in_progress') AS in_progress,
               count(*) FILTER (WHERE cur.status = 'implemented') AS implemented,
               count(*) FILTER (WHERE cur.status = 'not_applicable') AS not_applicable,
               sum(cur.maturity) AS maturity_sum, count(cur.maturity) AS maturity_n,
               count(*) FILTER (WHERE cur.overdue) AS overdue
          FROM framework_groups g JOIN cur ON cur.group_key = g.key
         WHERE g.framework_id = v_fw
         GROUP BY g.key, g.kind, g.title, g.position),
    tot AS (SELECT sum(total)::bigint AS total, sum(not_started)::bigint AS ns,
                   sum(in_progress)::bigint AS ip, sum(implemented)::bigint AS im,
                   sum(not_applicable)::bigint AS na, sum(overdue)::bigint AS overdue,
                   round(sum(maturity_sum) / nullif(sum(maturity_n), 0), 2) AS maturity
              FROM grp),
    -- The baseline's parts are taken out once (the stored document is compressed).
    ga AS MATERIALIZED (SELECT id, finalised_at, estimated_coaching_half_days,
                               baseline->'totals' AS base_totals, baseline->'groups' AS base_groups
                          FROM gap_analyses WHERE enrolment_id = e.id AND status = 'final'),
    dl AS MATERIALIZED (SELECT * FROM progress_deliverables(e.id, e.cluster_id)),
    moved AS (
        SELECT count(*) FILTER (WHERE progress_status_rank(cur.status) > progress_status_rank(i.status)) AS improved,
               count(*) FILTER (WHERE progress_status_rank(cur.status) < progress_status_rank(i.status)) AS regressed
          FROM ga JOIN gap_analysis_items i ON i.gap_analysis_id = ga.id
          JOIN cur ON cur.id = i.requirement_id),
    pw AS MATERIALIZED (
        SELECT week, requirements, in_progress, implemented, not_applicable, deliverables_approved
          FROM progress_weeks WHERE enrolment_id = e.id AND week <= v_week),
    -- Weekly points from the cluster's start (or the first change) to this week, at most 104;
    -- a week without a change carries the last known counts forward.
    series AS (
        SELECT w::date AS week, p.requirements, p.in_progress, p.implemented, p.not_applicable,
               p.deliverables_approved, count(p.week) OVER (ORDER BY w) AS run
          FROM generate_series(
                   greatest(v_week - 7 * 103,
                            least(date_trunc('week', c.start_date)::date, v_week,
                                  (SELECT min(week) FROM pw))),
                   v_week, interval '1 week') AS w
          LEFT JOIN pw p ON p.week = w::date),
    before AS (SELECT * FROM pw WHERE week < (SELECT min(week) FROM series)
                ORDER BY week DESC LIMIT 1),
    trend AS (
        SELECT s.week,
               coalesce(first_value(s.requirements) OVER r, b.requirements) AS requirements,
               coalesce(first_value(s.in_progress) OVER r, b.in_progress, 0) AS in_progress,
               coalesce(first_value(s.implemented) OVER r, b.implemented, 0) AS implemented,
               coalesce(first_value(s.not_applicable) OVER r, b.not_applicable, 0) AS not_applicable,
               coalesce(first_value(s.deliverables_approved) OVER r, b.deliverables_approved, 0)
                   AS deliverables_approved
          FROM series s LEFT JOIN before b ON s.run = 0
        WINDOW r AS (PARTITION BY s.run ORDER BY s.week)),
    late AS (SELECT * FROM dl WHERE status <> 'approved' AND due_date < v_today)
    SELECT json_build_object(
        'enrolment_id', e.id, 'cluster_id', e.cluster_id, 'organisation_id', e.organisation_id,
        'organisation_name', (SELECT name FROM organisations WHERE id = e.organisation_id),
        'enrolment_status', e.status,
        'framework', (SELECT framework_ref_json(f) FROM frameworks f WHERE f.id = v_fw),
        'as_of', v_today,
        'totals', (SELECT progress_counts_json(t.total, t.ns, t.ip, t.im, t.na, t.maturity,
                                               ga.base_totals)
                     FROM tot t LEFT JOIN ga ON true),
        'clauses', (SELECT json_agg(progress_group_json(g.group_key, g.kind, g.title,
                        progress_counts_json(g.total, g.not_started, g.in_progress, g.implemented,
                            g.not_applicable, round(g.maturity_sum / nullif(g.maturity_n, 0), 2),
                            ga.base_groups->g.group_key)) ORDER BY g.ord)
                      FROM grp g LEFT JOIN ga ON true WHERE g.kind = 'clause'),
        'annex_a', (SELECT json_agg(progress_group_json(g.group_key, g.kind, g.title,
                        progress_counts_json(g.total, g.not_started, g.in_progress, g.implemented,
                            g.not_applicable, round(g.maturity_sum / nullif(g.maturity_n, 0), 2),
                            ga.base_groups->g.group_key)) ORDER BY g.ord)
                      FROM grp g LEFT JOIN ga ON true WHERE g.kind = 'control'),
        'deliverables', (SELECT json_build_object('total', count(*),
                            'todo', count(*) FILTER (WHERE status = 'todo'),
                            'drafted', count(*) FILTER (WHERE status = 'drafted'),
                            'approved', count(*) FILTER (WHERE status = 'approved'),
                            'approved_percent', progress_pct(count(*) FILTER (WHERE status = 'approved'), count(*)))
                           FROM dl),
        'baseline', (SELECT json_build_object('gap_analysis_id', ga.id,
                        'finalised_at', ga.finalised_at,
                        'estimated_coaching_half_days', ga.estimated_coaching_half_days,
                        'implemented_percent', progress_pct((ga.base_totals->>'implemented')::bigint,
                            (ga.base_totals->>'total')::bigint
                            - (ga.base_totals->>'not_applicable')::bigint),
                        'improved_requirements', m.improved, 'regressed_requirements', m.regressed)
                       FROM ga, moved m),
        'trend', (SELECT json_agg(json_build_object('week', week, 'implemented', implemented,
                      'in_progress', in_progress, 'not_applicable', not_applicable,
                      'deliverables_approved', deliverables_approved,
                      'implemented_percent', coalesce(progress_pct(implemented,
                                                      requirements - not_applicable), 0))
                      ORDER BY week)
                    FROM trend),
        'plan', (SELECT json_build_object('as_of', v_today,
                     'deliverables_due', (SELECT count(*) FROM dl WHERE due_date < v_today),
                     'deliverables_due_approved',
                         (SELECT count(*) FROM dl WHERE due_date < v_today AND status = 'approved'),
                     'next_due', (SELECT json_build_object('deliverable', key, 'title', title,
                                             'module_key', module_key, 'due_date', due_date,
                                             'due_source', due_source)
                                    FROM dl WHERE status <> 'approved' AND due_date >= v_today
                                   ORDER BY due_date, ord LIMIT 1),
                     'behind_schedule', EXISTS (SELECT 1 FROM late) OR t.overdue > 0,
                     'reasons', coalesce((SELECT json_agg(json_build_object(
                                    'kind', 'deliverable_overdue', 'deliverable', key,
                                    'title', title, 'module_key', module_key, 'status', status,
                                    'due_date', due_date, 'due_source', due_source,
                                    'days_late', v_today - due_date) ORDER BY due_date, ord)
                                  FROM late), '[]'::json)::jsonb
                         || CASE WHEN t.overdue > 0 THEN jsonb_build_array(jsonb_build_object(
                                'kind', 'requirements_overdue', 'count', t.overdue,
                                'groups', (SELECT jsonb_agg(group_key ORDER BY ord)
                                             FROM grp WHERE overdue > 0)))
                                 ELSE '[]'::jsonb END)
                   FROM tot t))
    );
END $$;

-- ---------------------------------------------------------------------------------------------
-- GET /v1/clusters/{id}/progress: the enrolments the caller may see, side by side
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION progress_overview_json(e enrolments, p_fw uuid, p_today date) RETURNS json
    LANGUAGE sql STABLE AS $$
    WITH grp AS MATERIALIZED (SELECT * FROM progress_group_counts(e.id, p_fw, p_today)),
    ga AS (SELECT * FROM gap_analyses WHERE enrolment_id = e.id),
    dl AS MATERIALIZED (SELECT * FROM progress_deliverables(e.id, e.cluster_id)),
    tot AS (SELECT sum(total)::bigint AS total, sum(implemented)::bigint AS im,
                   sum(not_applicable)::bigint AS na, sum(overdue)::bigint AS overdue FROM grp)
    SELECT json_build_object('enrolment_id', e.id, 'organisation_id', e.organisation_id,
        'organisation_name', (SELECT name FROM organisations WHERE id = e.organisation_id),
        'enrolment_status', e.status,
        'implemented_percent', progress_pct(t.im, t.total - t.na),
        'groups', (SELECT json_agg(json_build_object('group', g.group_key, 'kind', g.kind,
                       'implemented_percent', progress_pct(g.implemented, g.total - g.not_applicable))
                       ORDER BY g.ord) FROM grp g),
        'deliverables', (SELECT json_build_object('total', count(*),
                             'approved', count(*) FILTER (WHERE status = 'approved'),
                             'overdue', count(*) FILTER (WHERE status <> 'approved' AND due_date < p_today))
                           FROM dl),
        'behind_schedule', t.overdue > 0 OR EXISTS (SELECT 1 FROM dl WHERE status <> 'approved'
                                                                     AND due_date < p_today),
        'gap_analysis', (SELECT json_build_object('status', ga.status,
                            'estimated_coaching_half_days', ga.estimated_coaching_half_days,
                            'finalised_at', ga.finalised_at,
                            'baseline_implemented_percent', progress_pct(
                                (ga.baseline->'totals'->>'implemented')::bigint,
                                (ga.baseline->'totals'->>'total')::bigint
                                - (ga.baseline->'totals'->>'not_applicable')::bigint)) FROM ga),
        'coaching', (SELECT json_build_object('ceiling', b.ceiling, 'delivered', b.delivered,
                                              'planned', b.planned, 'remaining', b.remaining)
                       FROM coaching_budget_summary(e.id) b LIMIT 1),
        'last_change', (SELECT max(updated_at) FROM assessments WHERE enrolment_id = e.id))
      FROM tot t
$$;

CREATE FUNCTION api_cluster_progress(p_cluster uuid, p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    c clusters;
    v_fw uuid;
    v_limit integer := coalesce(p_limit, 50);
BEGIN
    SELECT * INTO c FROM clusters WHERE id = p_cluster;
    IF c.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT (p_cluster = ANY (ctx_coordinated_clusters())
            OR EXISTS (SELECT 1 FROM cluster_staff WHERE cluster_id = p_cluster
                          AND user_id = ctx_user() AND role = 'coach')) THEN
        PERFORM raise_error('403', 'forbidden',
            'the overview is for the cluster''s coordinators and coaches; members see their own progress and the benchmark');
    END IF;
    v_fw := cluster_framework_id(p_cluster);
    RETURN (SELECT (page_json(array_agg(progress_overview_json(e, v_fw, cluster_today(c.time_zone))
                                        ORDER BY e.id), v_limit,
                              (array_agg(e.id::text ORDER BY e.id))[v_limit])::jsonb
                    || jsonb_build_object('cluster_id', c.id, 'as_of', cluster_today(c.time_zone),
                           'framework', (SELECT framework_ref_json(f) FROM frameworks f WHERE f.id = v_fw)))::json
              FROM (SELECT * FROM enrolments WHERE cluster_id = p_cluster
                       AND (p_cursor IS NULL OR id > require_cursor_uuid(p_cursor))
                     ORDER BY id LIMIT v_limit + 1) e);
END $$;

-- ---------------------------------------------------------------------------------------------
-- GET /v1/enrolments/{id}/benchmark
-- ---------------------------------------------------------------------------------------------
-- The median implemented percentage per group (and overall: group_key NULL) over the cluster's
-- admitted or completed enrolments that have assessed anything. Reads across organisations, so
-- it runs as the owner; it answers only a caller who belongs to the cluster, and gives no median
-- at all below three contributors, so that no single organisation's figures can be worked out.
CREATE FUNCTION progress_cluster_medians(p_cluster uuid, p_fw uuid)
    RETURNS TABLE (group_key text, median numeric, contributors integer)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    WITH contributing AS (
        SELECT e.id FROM enrolments e
         WHERE e.cluster_id = p_cluster AND e.status IN ('admitted', 'completed')
           AND (p_cluster = ANY (ctx_member_clusters()) OR p_cluster = ANY (ctx_staff_clusters()))
           AND EXISTS (SELECT 1 FROM assessments a WHERE a.enrolment_id = e.id
                                                     AND a.framework_id = p_fw)),
    n AS (SELECT count(*)::integer AS n FROM contributing),
    per AS (
        SELECT c.id, r.group_key,
               progress_pct(count(*) FILTER (WHERE a.status = 'implemented'),
                            count(*) FILTER (WHERE a.status IS DISTINCT FROM 'not_applicable')) AS pct
          FROM contributing c CROSS JOIN requirements r
          LEFT JOIN assessments a ON a.enrolment_id = c.id AND a.requirement_id = r.id
         WHERE r.framework_id = p_fw
         GROUP BY GROUPING SETS ((c.id, r.group_key), (c.id)))
    SELECT per.group_key,
           CASE WHEN n.n >= 3
                THEN round(percentile_cont(0.5) WITHIN GROUP (ORDER BY per.pct)::numeric, 1) END,
           n.n
      FROM per, n GROUP BY per.group_key, n.n
$$;

CREATE FUNCTION api_progress_benchmark(p_enrolment uuid) RETURNS json LANGUAGE plpgsql STABLE
    SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'read');
    v_fw uuid := cluster_framework_id(e.cluster_id);
    v_today date := (SELECT cluster_today(time_zone) FROM clusters WHERE id = e.cluster_id);
BEGIN
    RETURN (
    WITH grp AS MATERIALIZED (SELECT * FROM progress_group_counts(e.id, v_fw, v_today)),
    med AS MATERIALIZED (SELECT * FROM progress_cluster_medians(e.cluster_id, v_fw)),
    n AS (SELECT coalesce(max(contributors), 0) AS n FROM med)
    SELECT json_build_object('enrolment_id', e.id, 'cluster_id', e.cluster_id,
        'framework', (SELECT framework_ref_json(f) FROM frameworks f WHERE f.id = v_fw),
        'minimum_contributors', 3, 'contributors', n.n, 'suppressed', n.n < 3,
        'overall', json_build_object(
            'own_percent', (SELECT progress_pct(sum(implemented)::bigint,
                                                sum(total - not_applicable)::bigint) FROM grp),
            'cluster_median', (SELECT median FROM med WHERE group_key IS NULL)),
        'groups', (SELECT json_agg(json_build_object('group', g.group_key, 'kind', g.kind,
                       'title', g.title,
                       'own_percent', progress_pct(g.implemented, g.total - g.not_applicable),
                       'cluster_median', m.median) ORDER BY g.ord)
                     FROM grp g LEFT JOIN med m ON m.group_key = g.group_key))
      FROM n);
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
