-- Progress, part 4: the API functions for deliverables (with their effective due dates) and the
-- gap analysis (the coach's draft, then the frozen baseline). SECURITY INVOKER throughout, with
-- the helpers of 0012_progress_api.sql.

-- ---------------------------------------------------------------------------------------------
-- Deliverables
-- ---------------------------------------------------------------------------------------------
-- Every deliverable of an enrolment with its effective due date: the planned date of its
-- module (planning), else the date set on the deliverable, else the cluster's module deadline.
CREATE FUNCTION progress_deliverables(p_enrolment uuid, p_cluster uuid)
    RETURNS TABLE (key text, title text, reference text, module_key text, ord integer,
                   status text, approved_on date, due_date date, due_source text,
                   explicit_due_date date, document text, notes text, updated_at timestamptz)
    LANGUAGE sql STABLE AS $$
    SELECT t.key, t.title, t.reference, t.module_key, t.position, coalesce(d.status, 'todo'),
           d.approved_on, coalesce(p.due_date, d.due_date, m.due_date),
           CASE WHEN p.due_date IS NOT NULL THEN 'planning' WHEN d.due_date IS NOT NULL THEN 'deliverable'
                WHEN m.due_date IS NOT NULL THEN 'cluster' END,
           d.due_date, d.document, d.notes, d.updated_at
      FROM deliverable_types t
      LEFT JOIN deliverables d ON d.enrolment_id = p_enrolment AND d.deliverable_key = t.key
      LEFT JOIN module_due_dates(p_cluster) p ON p.module_key = t.module_key
      LEFT JOIN module_deadlines m ON m.cluster_id = p_cluster AND m.module_key = t.module_key
$$;

CREATE FUNCTION api_deliverable_list(p_enrolment uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'read');
    v_today date := (SELECT cluster_today(time_zone) FROM clusters WHERE id = e.cluster_id);
BEGIN
    RETURN json_build_object('enrolment_id', e.id, 'as_of', v_today, 'items', (
        SELECT json_agg(json_build_object('deliverable', d.key, 'title', d.title,
                   'reference', d.reference, 'module_key', d.module_key, 'status', d.status,
                   'approved_on', d.approved_on, 'due_date', d.due_date, 'due_source', d.due_source,
                   'explicit_due_date', d.explicit_due_date,
                   'overdue', d.status <> 'approved' AND d.due_date < v_today,
                   'document', d.document, 'notes', d.notes, 'updated_at', d.updated_at)
                   ORDER BY d.ord)
          FROM progress_deliverables(e.id, e.cluster_id) d));
END $$;

-- A deliverable with an item's values merged in: an absent member keeps the value, null clears
-- it; an approved deliverable keeps (or gets, by default today) its approval date, others have
-- none.
CREATE FUNCTION deliverable_merged(t deliverables, i jsonb, p_today date) RETURNS deliverables
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF i ? 'status' THEN t.status := i->>'status'; END IF;
    IF i ? 'approved_on' THEN t.approved_on := (i->>'approved_on')::date; END IF;
    t.approved_on := CASE WHEN t.status = 'approved' THEN coalesce(t.approved_on, p_today) END;
    IF i ? 'due_date' THEN t.due_date := (i->>'due_date')::date; END IF;
    IF i ? 'document' THEN t.document := i->>'document'; END IF;
    IF i ? 'notes' THEN t.notes := i->>'notes'; END IF;
    RETURN t;
END $$;

-- items: [{"deliverable", "status"?, "approved_on"?, "due_date"?, "document"?, "notes"?}];
-- absent members keep their value, null clears. Approving without a date approves today. Missing
-- rows are first created as "todo" (what a missing row means), then each item is merged into the
-- current row version.
CREATE FUNCTION api_deliverable_update(p_enrolment uuid, p_items jsonb) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'write');
    v_today date := (SELECT cluster_today(time_zone) FROM clusters WHERE id = e.cluster_id);
    bad record;
BEGIN
    SELECT i.n - 1 AS idx, i.item->>'deliverable' AS key, t.key AS known,
           (i.item->>'approved_on')::date AS approved_on,
           CASE WHEN i.item ? 'status' THEN i.item->>'status' ELSE coalesce(d.status, 'todo') END AS status
      INTO bad
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS i(item, n)
      LEFT JOIN deliverable_types t ON t.key = i.item->>'deliverable'
      LEFT JOIN deliverables d ON d.enrolment_id = e.id AND d.deliverable_key = t.key
     WHERE t.key IS NULL OR (i.item->>'approved_on')::date > v_today
        OR ((i.item->>'approved_on') IS NOT NULL
            AND CASE WHEN i.item ? 'status' THEN i.item->>'status' ELSE coalesce(d.status, 'todo') END <> 'approved')
     ORDER BY i.n LIMIT 1;
    IF bad.idx IS NOT NULL AND bad.known IS NULL THEN
        PERFORM raise_field_error('400', 'invalid_body', format('items[%s].deliverable', bad.idx),
                                  format('%s is not a known deliverable', bad.key));
    ELSIF bad.idx IS NOT NULL AND bad.status <> 'approved' THEN
        PERFORM raise_field_error('422', 'invalid_value', format('items[%s].approved_on', bad.idx),
                                  'only an approved deliverable has an approval date');
    ELSIF bad.idx IS NOT NULL THEN
        PERFORM raise_field_error('422', 'invalid_value', format('items[%s].approved_on', bad.idx),
                                  'the approval date cannot be in the future');
    END IF;
    INSERT INTO deliverables (cluster_id, organisation_id, enrolment_id, deliverable_key, updated_by)
    SELECT e.cluster_id, e.organisation_id, e.id, i->>'deliverable', ctx_user()
      FROM jsonb_array_elements(p_items) i
    ON CONFLICT (enrolment_id, deliverable_key) DO NOTHING;
    UPDATE deliverables t
       SET (status, approved_on, due_date, document, notes, updated_at, updated_by) =
           (SELECT m.status, m.approved_on, m.due_date, m.document, m.notes, now(), ctx_user()
              FROM deliverable_merged(t, i, v_today) m)
      FROM jsonb_array_elements(p_items) i
     WHERE t.enrolment_id = e.id AND t.deliverable_key = i->>'deliverable'
       AND (SELECT (m.status, m.approved_on, m.due_date, m.document, m.notes)
                   IS DISTINCT FROM (t.status, t.approved_on, t.due_date, t.document, t.notes)
              FROM deliverable_merged(t, i, v_today) m);
    PERFORM audit('deliverable_update', 'enrolment', e.id, e.cluster_id, e.organisation_id,
                  jsonb_build_object('deliverables', (SELECT jsonb_agg(i->'deliverable')
                                                        FROM jsonb_array_elements(p_items) i)));
    RETURN api_deliverable_list(p_enrolment);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Gap analysis
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION gap_analysis_json(g gap_analyses) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', g.id, 'enrolment_id', g.enrolment_id,
        'cluster_id', g.cluster_id, 'organisation_id', g.organisation_id,
        'framework', (SELECT framework_ref_json(f) FROM frameworks f WHERE f.id = g.framework_id),
        'status', g.status, 'onsite_date', g.onsite_date, 'analysis_date', g.analysis_date,
        'estimated_coaching_half_days', g.estimated_coaching_half_days, 'summary', g.summary,
        'baseline', g.baseline, 'created_at', g.created_at, 'updated_at', g.updated_at,
        'finalised_at', g.finalised_at,
        'items', CASE WHEN g.status = 'final' THEN (
            SELECT json_agg(json_build_object('requirement', r.ref, 'status', i.status,
                                              'maturity', i.maturity) ORDER BY r.position)
              FROM gap_analysis_items i JOIN requirements r ON r.id = i.requirement_id
             WHERE i.gap_analysis_id = g.id) END)
$$;

CREATE FUNCTION api_gap_analysis_get(p_enrolment uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'read');
    g gap_analyses;
BEGIN
    SELECT * INTO g FROM gap_analyses WHERE enrolment_id = e.id;
    IF g.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN gap_analysis_json(g);
END $$;

-- Creates or changes the draft; absent values are kept.
CREATE FUNCTION api_gap_analysis_put(p_enrolment uuid, p_onsite date, p_analysis date,
                                     p_estimate integer, p_summary text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'staff');
    g gap_analyses;
BEGIN
    SELECT * INTO g FROM gap_analyses WHERE enrolment_id = e.id FOR UPDATE;
    IF g.status = 'final' THEN
        PERFORM raise_error('409', 'gap_analysis_final',
                            'the gap analysis is final and can no longer be changed');
    END IF;
    IF coalesce(p_analysis, g.analysis_date) < coalesce(p_onsite, g.onsite_date) THEN
        PERFORM raise_field_error('422', 'invalid_value', 'analysis_date',
                                  'the analysis cannot come before the on-site visit');
    END IF;
    IF g.id IS NULL THEN
        INSERT INTO gap_analyses (cluster_id, organisation_id, enrolment_id, framework_id,
                                  onsite_date, analysis_date, estimated_coaching_half_days,
                                  summary, created_by, updated_by)
        VALUES (e.cluster_id, e.organisation_id, e.id, cluster_framework_id(e.cluster_id),
                p_onsite, p_analysis, p_estimate, p_summary, ctx_user(), ctx_user());
    ELSE
        UPDATE gap_analyses SET onsite_date = coalesce(p_onsite, onsite_date),
            analysis_date = coalesce(p_analysis, analysis_date),
            estimated_coaching_half_days = coalesce(p_estimate, estimated_coaching_half_days),
            summary = coalesce(p_summary, summary), updated_at = now(), updated_by = ctx_user()
         WHERE id = g.id;
    END IF;
    SELECT * INTO g FROM gap_analyses WHERE enrolment_id = e.id;
    PERFORM audit('gap_analysis_update', 'gap_analysis', g.id, g.cluster_id, g.organisation_id);
    RETURN gap_analysis_json(g);
END $$;

-- Counts by status, overall and per group, of the enrolment's requirements right now.
CREATE FUNCTION progress_baseline_counts(p_enrolment uuid, p_fw uuid) RETURNS jsonb
    LANGUAGE sql STABLE AS $$
    WITH cur AS (
        SELECT r.group_key, coalesce(a.status, 'not_started') AS status, a.maturity
          FROM requirements r
          LEFT JOIN assessments a ON a.enrolment_id = p_enrolment AND a.requirement_id = r.id
         WHERE r.framework_id = p_fw),
    counted AS (
        SELECT group_key, count(*) AS total,
               count(*) FILTER (WHERE status = 'not_started') AS not_started,
               count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
               count(*) FILTER (WHERE status = 'implemented') AS implemented,
               count(*) FILTER (WHERE status = 'not_applicable') AS not_applicable,
               round(avg(maturity), 2) AS average_maturity
          FROM cur GROUP BY GROUPING SETS ((group_key), ()))
    SELECT jsonb_build_object(
        'totals', (SELECT to_jsonb(c) - 'group_key' FROM counted c WHERE group_key IS NULL),
        'groups', (SELECT jsonb_object_agg(group_key, to_jsonb(c) - 'group_key')
                     FROM counted c WHERE group_key IS NOT NULL))
$$;

-- Freezes the baseline: every requirement's current status and maturity.
CREATE FUNCTION api_gap_analysis_finalise(p_enrolment uuid) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'staff');
    g gap_analyses;
BEGIN
    SELECT * INTO g FROM gap_analyses WHERE enrolment_id = e.id FOR UPDATE;
    IF g.id IS NULL THEN
        PERFORM raise_error('409', 'gap_analysis_missing',
                            'record the gap analysis (PUT) before finalising it');
    ELSIF g.status = 'final' THEN
        PERFORM raise_error('409', 'gap_analysis_final', 'the gap analysis is already final');
    ELSIF g.estimated_coaching_half_days IS NULL THEN
        PERFORM raise_field_error('422', 'estimate_missing', 'estimated_coaching_half_days',
            'record the estimated coaching need in half-days before finalising');
    END IF;
    INSERT INTO gap_analysis_items (gap_analysis_id, cluster_id, organisation_id, enrolment_id,
                                    requirement_id, status, maturity)
    SELECT g.id, e.cluster_id, e.organisation_id, e.id, r.id, coalesce(a.status, 'not_started'),
           a.maturity
      FROM requirements r
      LEFT JOIN assessments a ON a.enrolment_id = e.id AND a.requirement_id = r.id
     WHERE r.framework_id = g.framework_id;
    UPDATE gap_analyses SET status = 'final', finalised_at = now(), finalised_by = ctx_user(),
           baseline = progress_baseline_counts(e.id, g.framework_id), updated_at = now(),
           updated_by = ctx_user()
     WHERE id = g.id;
    SELECT * INTO g FROM gap_analyses WHERE id = g.id;
    PERFORM audit('gap_analysis_finalise', 'gap_analysis', g.id, g.cluster_id, g.organisation_id,
                  jsonb_build_object('estimated_coaching_half_days', g.estimated_coaching_half_days));
    RETURN gap_analysis_json(g);
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
