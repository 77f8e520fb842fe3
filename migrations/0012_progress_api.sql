-- Progress, part 3: the API functions for the catalogue, the cluster's framework and module
-- deadlines, assessments and their history, and the Statement of Applicability. SECURITY INVOKER
-- throughout: every row goes through the caller's policies.
-- Batch writes take a JSON array of items that the server has already checked for shape; these
-- functions check what only the database knows (does the requirement exist, may it be
-- excluded) and answer with errors whose DETAIL starts with the request field concerned.

-- ---------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------
-- Raises a 4xx about one request field; DETAIL is "<field>: <sentence>", which the server turns
-- into {"error": {"code", "message", "field"}}.
CREATE FUNCTION raise_field_error(p_status text, p_code text, p_field text, p_message text)
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'IC' || p_status, MESSAGE = p_code,
        DETAIL = p_field || ': ' || p_message;
END $$;

-- The framework a cluster works with: its coordinator's choice, else the default.
CREATE FUNCTION cluster_framework_id(p_cluster uuid) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT framework_id FROM cluster_frameworks WHERE cluster_id = p_cluster),
                    (SELECT id FROM frameworks WHERE is_default))
$$;

-- Today in the cluster's time zone.
CREATE FUNCTION cluster_today(p_tz text) RETURNS date LANGUAGE sql STABLE AS $$
    SELECT (now() AT TIME ZONE p_tz)::date
$$;

CREATE FUNCTION framework_ref_json(f frameworks) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', f.id, 'code', f.code, 'version', f.version, 'title', f.title)
$$;

CREATE FUNCTION framework_json(f frameworks) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', f.id, 'code', f.code, 'version', f.version, 'title', f.title,
        'source', f.source, 'is_default', f.is_default, 'created_at', f.created_at,
        'clauses', (SELECT count(*) FROM requirements WHERE framework_id = f.id AND kind = 'clause'),
        'controls', (SELECT count(*) FROM requirements WHERE framework_id = f.id AND kind = 'control'))
$$;

-- The enrolment the caller names, for reading ('read'), for writing progress data ('write':
-- the enrolment must be admitted) or for the staff's own records ('staff': coach or
-- coordinator only). 404 when the caller cannot see it, 403 when they can but may not act.
CREATE FUNCTION progress_enrolment(p_id uuid, p_mode text) RETURNS enrolments
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments;
BEGIN
    SELECT * INTO e FROM enrolments WHERE id = p_id;
    IF e.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF p_mode = 'staff' AND NOT (e.id = ANY (ctx_coached_enrolments())
                                 OR e.cluster_id = ANY (ctx_coordinated_clusters())) THEN
        PERFORM raise_error('403', 'forbidden',
                            'only the organisation''s coach or the cluster''s coordinators can do this');
    END IF;
    IF p_mode IN ('write', 'staff') AND e.status <> 'admitted' THEN
        PERFORM raise_error('409', 'enrolment_not_active',
                            format('the enrolment is %s; progress is recorded for admitted organisations', e.status));
    END IF;
    RETURN e;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Catalogue
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_framework_list(p_limit integer, p_cursor text) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT page_json(array_agg(framework_json(f) ORDER BY f.id), coalesce(p_limit, 50),
                     (array_agg(f.id::text ORDER BY f.id))[coalesce(p_limit, 50)])
    FROM (SELECT * FROM frameworks WHERE p_cursor IS NULL OR id > require_cursor_uuid(p_cursor)
           ORDER BY id LIMIT coalesce(p_limit, 50) + 1) f
$$;

CREATE FUNCTION api_framework_get(p_id uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    f frameworks;
BEGIN
    SELECT * INTO f FROM frameworks WHERE id = p_id;
    IF f.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN (SELECT (framework_json(f)::jsonb || jsonb_build_object('groups', coalesce(jsonb_agg(
                jsonb_build_object('key', g.key, 'kind', g.kind, 'title', g.title,
                    'requirements', (SELECT count(*) FROM requirements r
                                      WHERE r.framework_id = f.id AND r.group_key = g.key))
                ORDER BY g.position), '[]')))::json
              FROM framework_groups g WHERE g.framework_id = f.id);
END $$;

CREATE FUNCTION api_framework_requirements(p_id uuid, p_kind text, p_group text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM frameworks WHERE id = p_id) THEN
        PERFORM raise_not_found();
    END IF;
    IF p_group IS NOT NULL AND NOT EXISTS (SELECT 1 FROM framework_groups
                                            WHERE framework_id = p_id AND key = p_group) THEN
        PERFORM raise_field_error('400', 'invalid_body', 'group',
                                  format('the framework has no group %s', p_group));
    END IF;
    RETURN json_build_object('items', coalesce((
        SELECT json_agg(json_build_object('id', r.id, 'ref', r.ref, 'kind', r.kind,
                                          'group', r.group_key, 'title', r.title) ORDER BY r.position)
          FROM requirements r
         WHERE r.framework_id = p_id AND (p_kind IS NULL OR r.kind = p_kind)
           AND (p_group IS NULL OR r.group_key = p_group)), '[]'));
END $$;

-- The operator's import (isms-cluster catalogue import): one framework with its groups and
-- requirements, already validated by the command. Refuses a (code, version) that exists. It runs
-- with the caller's rights: the app role has no write grant on the catalogue, so only the
-- operator's administrator connection can use it.
CREATE FUNCTION catalogue_import(p_doc jsonb) RETURNS uuid LANGUAGE plpgsql
    SET search_path = isms, pg_temp AS $$
DECLARE
    v_id uuid;
BEGIN
    IF EXISTS (SELECT 1 FROM frameworks WHERE code = p_doc->>'code' AND version = p_doc->>'version') THEN
        RAISE EXCEPTION USING ERRCODE = 'IC409', MESSAGE = 'framework_exists',
            DETAIL = format('framework %s version %s is already in the catalogue',
                            p_doc->>'code', p_doc->>'version');
    END IF;
    INSERT INTO frameworks (code, version, title, source)
    VALUES (p_doc->>'code', p_doc->>'version', p_doc->>'title', 'import') RETURNING id INTO v_id;
    INSERT INTO framework_groups (framework_id, key, kind, title, position)
    SELECT v_id, g->>'key', g->>'kind', g->>'title', n
      FROM jsonb_array_elements(p_doc->'groups') WITH ORDINALITY AS x(g, n);
    INSERT INTO requirements (framework_id, ref, kind, group_key, title, position)
    SELECT v_id, r->>'ref', r->>'kind', r->>'group', r->>'title', n
      FROM jsonb_array_elements(p_doc->'requirements') WITH ORDINALITY AS x(r, n);
    RETURN v_id;
END $$;

-- ---------------------------------------------------------------------------------------------
-- The cluster's framework and module deadlines
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_cluster_framework_get(p_cluster uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    f frameworks;
    cf cluster_frameworks;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    SELECT * INTO cf FROM cluster_frameworks WHERE cluster_id = p_cluster;
    SELECT * INTO f FROM frameworks WHERE id = cluster_framework_id(p_cluster);
    RETURN json_build_object('cluster_id', p_cluster, 'framework', framework_json(f),
                             'chosen', cf.cluster_id IS NOT NULL, 'chosen_at', cf.chosen_at);
END $$;

-- A cluster may change framework until progress has been recorded against the current one.
CREATE FUNCTION api_cluster_framework_set(p_cluster uuid, p_framework uuid) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_current uuid;
BEGIN
    PERFORM require_coordinator(p_cluster);
    IF NOT EXISTS (SELECT 1 FROM frameworks WHERE id = p_framework) THEN
        PERFORM raise_field_error('400', 'invalid_body', 'framework_id', 'no such framework');
    END IF;
    v_current := cluster_framework_id(p_cluster);
    IF v_current <> p_framework THEN
        IF EXISTS (SELECT 1 FROM assessments WHERE cluster_id = p_cluster)
           OR EXISTS (SELECT 1 FROM soa_entries WHERE cluster_id = p_cluster)
           OR EXISTS (SELECT 1 FROM gap_analyses WHERE cluster_id = p_cluster) THEN
            PERFORM raise_field_error('409', 'framework_in_use', 'framework_id',
                'progress is already recorded against the cluster''s current framework');
        END IF;
        INSERT INTO cluster_frameworks (cluster_id, framework_id, chosen_by)
        VALUES (p_cluster, p_framework, ctx_user())
        ON CONFLICT (cluster_id) DO UPDATE
           SET framework_id = EXCLUDED.framework_id, chosen_at = now(), chosen_by = ctx_user();
        PERFORM audit('cluster_framework_set', 'cluster', p_cluster, p_cluster, NULL,
                      jsonb_build_object('framework_id', p_framework));
    END IF;
    RETURN api_cluster_framework_get(p_cluster);
END $$;

CREATE FUNCTION api_module_deadlines_get(p_cluster uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    RETURN json_build_object('cluster_id', p_cluster, 'items', coalesce((
        SELECT json_agg(json_build_object('module_key', m.module_key,
                   'planned_due_date', p.due_date, 'explicit_due_date', d.due_date,
                   'due_date', coalesce(p.due_date, d.due_date),
                   'source', CASE WHEN p.due_date IS NOT NULL THEN 'planning'
                                  WHEN d.due_date IS NOT NULL THEN 'cluster' END)
                   ORDER BY m.position)
          FROM (SELECT module_key, min(position) AS position FROM deliverable_types
                 GROUP BY module_key) m
          LEFT JOIN module_due_dates(p_cluster) p ON p.module_key = m.module_key
          LEFT JOIN module_deadlines d ON d.cluster_id = p_cluster AND d.module_key = m.module_key),
        '[]'));
END $$;

-- items: [{"module_key", "due_date" (null removes it)}]
CREATE FUNCTION api_module_deadlines_put(p_cluster uuid, p_items jsonb) RETURNS json
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM require_coordinator(p_cluster);
    DELETE FROM module_deadlines d USING jsonb_array_elements(p_items) i
     WHERE d.cluster_id = p_cluster AND d.module_key = i->>'module_key'
       AND (i->>'due_date') IS NULL;
    INSERT INTO module_deadlines (cluster_id, module_key, due_date, updated_by)
    SELECT p_cluster, i->>'module_key', (i->>'due_date')::date, ctx_user()
      FROM jsonb_array_elements(p_items) i WHERE (i->>'due_date') IS NOT NULL
    ON CONFLICT (cluster_id, module_key) DO UPDATE
       SET due_date = EXCLUDED.due_date, updated_at = now(), updated_by = ctx_user();
    PERFORM audit('module_deadlines_set', 'cluster', p_cluster, p_cluster, NULL,
                  jsonb_build_object('items', p_items));
    RETURN api_module_deadlines_get(p_cluster);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Assessments
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION assessment_item_json(r requirements, a assessments) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT json_build_object('requirement', r.ref, 'kind', r.kind, 'group', r.group_key,
        'title', r.title, 'status', coalesce(a.status, 'not_started'), 'maturity', a.maturity,
        'owner', a.owner, 'due_date', a.due_date, 'evidence_notes', a.evidence_notes,
        'evidence_links', coalesce(to_json(a.evidence_links), '[]'), 'updated_at', a.updated_at)
$$;

CREATE FUNCTION api_assessment_list(p_enrolment uuid, p_group text, p_status text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'read');
    v_fw uuid := cluster_framework_id(e.cluster_id);
BEGIN
    IF p_group IS NOT NULL AND NOT EXISTS (SELECT 1 FROM framework_groups
                                            WHERE framework_id = v_fw AND key = p_group) THEN
        PERFORM raise_field_error('400', 'invalid_body', 'group',
                                  format('the framework has no group %s', p_group));
    END IF;
    RETURN json_build_object('enrolment_id', e.id,
        'framework', (SELECT framework_ref_json(f) FROM frameworks f WHERE f.id = v_fw),
        'items', coalesce((
            SELECT json_agg(assessment_item_json(r, a) ORDER BY r.position)
              FROM requirements r
              LEFT JOIN assessments a ON a.enrolment_id = e.id AND a.requirement_id = r.id
             WHERE r.framework_id = v_fw AND (p_group IS NULL OR r.group_key = p_group)
               AND (p_status IS NULL OR coalesce(a.status, 'not_started') = p_status)), '[]'));
END $$;

-- Checks a batch of assessment items against the catalogue and the SoA; raises on the first
-- problem, naming the item.
CREATE FUNCTION assessment_items_check(e enrolments, p_fw uuid, p_items jsonb) RETURNS void
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    bad record;
BEGIN
    SELECT i.n - 1 AS idx, i.item->>'requirement' AS ref, r.kind, i.item->>'status' AS status,
           s.applicable
      INTO bad
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS i(item, n)
      LEFT JOIN requirements r ON r.framework_id = p_fw AND r.ref = i.item->>'requirement'
      LEFT JOIN soa_entries s ON s.enrolment_id = e.id AND s.requirement_id = r.id
     WHERE r.id IS NULL OR i.item->>'status' = 'not_applicable'
        OR (s.applicable = false AND i.item ? 'status')
     ORDER BY i.n LIMIT 1;
    IF bad.idx IS NULL THEN
        RETURN;
    ELSIF bad.kind IS NULL THEN
        PERFORM raise_field_error('400', 'invalid_body', format('items[%s].requirement', bad.idx),
            format('%s is not a requirement of the cluster''s framework', bad.ref));
    ELSIF bad.status = 'not_applicable' AND bad.kind = 'clause' THEN
        PERFORM raise_field_error('422', 'not_excludable', format('items[%s].status', bad.idx),
            format('clause %s is mandatory for certification and cannot be not applicable', bad.ref));
    ELSIF bad.status = 'not_applicable' THEN
        PERFORM raise_field_error('422', 'use_soa', format('items[%s].status', bad.idx),
            format('exclude control %s in the Statement of Applicability, with a justification', bad.ref));
    ELSE
        PERFORM raise_field_error('409', 'control_excluded', format('items[%s].status', bad.idx),
            format('control %s is excluded in the Statement of Applicability; include it there first', bad.ref));
    END IF;
END $$;

-- An assessment with an item's values merged in: an absent member keeps the value, null
-- clears it.
CREATE FUNCTION assessment_merged(t assessments, i jsonb) RETURNS assessments
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF i ? 'status' THEN t.status := i->>'status'; END IF;
    IF i ? 'maturity' THEN t.maturity := (i->>'maturity')::smallint; END IF;
    IF i ? 'owner' THEN t.owner := i->>'owner'; END IF;
    IF i ? 'due_date' THEN t.due_date := (i->>'due_date')::date; END IF;
    IF i ? 'evidence_notes' THEN t.evidence_notes := i->>'evidence_notes'; END IF;
    IF i ? 'evidence_links' THEN
        t.evidence_links := ARRAY(SELECT jsonb_array_elements_text(
                                      coalesce(NULLIF(i->'evidence_links', 'null'), '[]')));
    END IF;
    RETURN t;
END $$;

-- items: [{"requirement", "status"?, "maturity"?, "owner"?, "due_date"?, "evidence_notes"?,
-- "evidence_links"?}]. Missing rows are first created in their default state (which is what a
-- missing row means, so it leaves no history); the UPDATE then merges each item into the current
-- row version, so that concurrent partial changes of one requirement do not undo each other, and
-- skips rows it would not change.
CREATE FUNCTION api_assessment_update(p_enrolment uuid, p_items jsonb) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'write');
    v_fw uuid := cluster_framework_id(e.cluster_id);
    v_refs text[] := ARRAY(SELECT i->>'requirement' FROM jsonb_array_elements(p_items) i);
BEGIN
    PERFORM assessment_items_check(e, v_fw, p_items);
    INSERT INTO assessments (cluster_id, organisation_id, enrolment_id, framework_id,
                             requirement_id, updated_by)
    SELECT e.cluster_id, e.organisation_id, e.id, v_fw, r.id, ctx_user()
      FROM requirements r WHERE r.framework_id = v_fw AND r.ref = ANY (v_refs)
    ON CONFLICT (enrolment_id, requirement_id) DO NOTHING;
    UPDATE assessments t
       SET (status, maturity, owner, due_date, evidence_notes, evidence_links, updated_at,
            updated_by) =
           (SELECT m.status, m.maturity, m.owner, m.due_date, m.evidence_notes, m.evidence_links,
                   now(), ctx_user() FROM assessment_merged(t, i) m)
      FROM jsonb_array_elements(p_items) i
      JOIN requirements r ON r.framework_id = v_fw AND r.ref = i->>'requirement'
     WHERE t.enrolment_id = e.id AND t.requirement_id = r.id
       AND (SELECT (m.status, m.maturity, m.owner, m.due_date, m.evidence_notes, m.evidence_links)
                   IS DISTINCT FROM (t.status, t.maturity, t.owner, t.due_date, t.evidence_notes,
                                     t.evidence_links)
              FROM assessment_merged(t, i) m);
    PERFORM audit('assessment_update', 'enrolment', e.id, e.cluster_id, e.organisation_id,
                  jsonb_build_object('requirements', v_refs));
    RETURN json_build_object('enrolment_id', e.id, 'items', (
        SELECT json_agg(assessment_item_json(r, a) ORDER BY r.position)
          FROM requirements r
          LEFT JOIN assessments a ON a.enrolment_id = e.id AND a.requirement_id = r.id
         WHERE r.framework_id = v_fw AND r.ref = ANY (v_refs)));
END $$;

-- Newest first; the cursor is the last entry's id.
CREATE FUNCTION api_assessment_history(p_enrolment uuid, p_requirement text, p_limit integer,
                                       p_cursor text) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'read');
    v_req uuid;
    v_after bigint;
    v_limit integer := coalesce(p_limit, 50);
BEGIN
    IF p_requirement IS NOT NULL THEN
        SELECT id INTO v_req FROM requirements
         WHERE framework_id = cluster_framework_id(e.cluster_id) AND ref = p_requirement;
        IF v_req IS NULL THEN
            PERFORM raise_field_error('400', 'invalid_body', 'requirement',
                format('%s is not a requirement of the cluster''s framework', p_requirement));
        END IF;
    END IF;
    IF p_cursor IS NOT NULL THEN
        BEGIN
            v_after := p_cursor::bigint;
        EXCEPTION WHEN others THEN
            PERFORM raise_error('400', 'invalid_cursor', 'cursor is not one this server returned');
        END;
    END IF;
    RETURN (SELECT page_json(array_agg(json_build_object('id', h.id, 'requirement', r.ref,
                'changed_at', h.changed_at,
                'changed_by', json_build_object('user_id', h.changed_by, 'name', h.changed_by_name,
                                                'role', h.changed_by_role),
                'old_status', h.old_status, 'new_status', h.new_status,
                'old_maturity', h.old_maturity, 'new_maturity', h.new_maturity,
                'changes', h.changes) ORDER BY h.id DESC), v_limit,
                (array_agg(h.id::text ORDER BY h.id DESC))[v_limit])
              FROM (SELECT * FROM assessment_history
                     WHERE enrolment_id = e.id AND (v_req IS NULL OR requirement_id = v_req)
                       AND (v_after IS NULL OR id < v_after)
                     ORDER BY id DESC LIMIT v_limit + 1) h
              JOIN requirements r ON r.id = h.requirement_id);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Statement of Applicability
-- ---------------------------------------------------------------------------------------------
-- The SoA as a document: every Annex A control with its decision and implementation status.
CREATE FUNCTION api_soa_get(p_enrolment uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'read');
    v_fw uuid := cluster_framework_id(e.cluster_id);
    d soa_documents;
BEGIN
    SELECT * INTO d FROM soa_documents WHERE enrolment_id = e.id;
    RETURN (
        SELECT json_build_object('enrolment_id', e.id,
            'organisation_name', (SELECT name FROM organisations WHERE id = e.organisation_id),
            'framework', (SELECT framework_ref_json(f) FROM frameworks f WHERE f.id = v_fw),
            'version', coalesce(d.version, 0),
            'version_date', (d.updated_at AT TIME ZONE c.time_zone)::date,
            'exported_on', cluster_today(c.time_zone),
            'counts', json_build_object(
                'applicable', count(*) FILTER (WHERE s.applicable),
                'excluded', count(*) FILTER (WHERE NOT s.applicable),
                'undecided', count(*) FILTER (WHERE s.applicable IS NULL)),
            'items', coalesce(json_agg(json_build_object('control', r.ref, 'theme', r.group_key,
                'theme_title', g.title, 'title', r.title, 'applicable', s.applicable,
                'reasons', coalesce(to_json(s.reasons), '[]'), 'justification', s.justification,
                'implementation_status', coalesce(a.status, 'not_started'),
                'updated_at', s.updated_at) ORDER BY r.position), '[]'))
          FROM clusters c
          JOIN requirements r ON r.framework_id = v_fw AND r.kind = 'control'
          JOIN framework_groups g ON g.framework_id = v_fw AND g.key = r.group_key
          LEFT JOIN soa_entries s ON s.enrolment_id = e.id AND s.requirement_id = r.id
          LEFT JOIN assessments a ON a.enrolment_id = e.id AND a.requirement_id = r.id
         WHERE c.id = e.cluster_id
         GROUP BY c.time_zone, d.updated_at);
END $$;

-- items: [{"control", "applicable", "reasons", "justification"?}]; each item replaces the
-- control's decision. Excluding a control marks its assessment not applicable; including an
-- excluded one again puts it back to not started.
CREATE FUNCTION api_soa_update(p_enrolment uuid, p_items jsonb) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    e enrolments := progress_enrolment(p_enrolment, 'write');
    v_fw uuid := cluster_framework_id(e.cluster_id);
    -- Reasons are kept in this order, whatever order they come in.
    v_reasons text[] := ARRAY['legal', 'contractual', 'business_requirement',
                              'risk_assessment_result', 'best_practice'];
    bad record;
BEGIN
    SELECT i.n - 1 AS idx, i.item->>'control' AS ref, r.kind INTO bad
      FROM jsonb_array_elements(p_items) WITH ORDINALITY AS i(item, n)
      LEFT JOIN requirements r ON r.framework_id = v_fw AND r.ref = i.item->>'control'
     WHERE r.id IS NULL OR r.kind <> 'control'
     ORDER BY i.n LIMIT 1;
    IF bad.idx IS NOT NULL THEN
        PERFORM raise_field_error('400', 'invalid_body', format('items[%s].control', bad.idx),
            format('%s is not an Annex A control of the cluster''s framework', bad.ref));
    END IF;
    INSERT INTO soa_entries AS t (cluster_id, organisation_id, enrolment_id, framework_id,
                                  requirement_id, applicable, reasons, justification, updated_by)
    SELECT e.cluster_id, e.organisation_id, e.id, v_fw, r.id, (i->>'applicable')::boolean,
           ARRAY(SELECT d.reason FROM (SELECT DISTINCT reason FROM jsonb_array_elements_text(
                     coalesce(NULLIF(i->'reasons', 'null'), '[]')) AS r(reason)) d
                  ORDER BY array_position(v_reasons, d.reason)),
           NULLIF(btrim(i->>'justification'), ''), ctx_user()
      FROM jsonb_array_elements(p_items) i
      JOIN requirements r ON r.framework_id = v_fw AND r.ref = i->>'control'
    ON CONFLICT (enrolment_id, requirement_id) DO UPDATE
       SET applicable = EXCLUDED.applicable, reasons = EXCLUDED.reasons,
           justification = EXCLUDED.justification, updated_at = now(),
           updated_by = EXCLUDED.updated_by;
    -- Keep the assessments in step with the decisions.
    INSERT INTO assessments AS t (cluster_id, organisation_id, enrolment_id, framework_id,
                                  requirement_id, status, updated_by)
    SELECT e.cluster_id, e.organisation_id, e.id, v_fw, r.id,
           CASE WHEN (i->>'applicable')::boolean THEN 'not_started' ELSE 'not_applicable' END,
           ctx_user()
      FROM jsonb_array_elements(p_items) i
      JOIN requirements r ON r.framework_id = v_fw AND r.ref = i->>'control'
      LEFT JOIN assessments a ON a.enrolment_id = e.id AND a.requirement_id = r.id
     WHERE NOT (i->>'applicable')::boolean OR a.status = 'not_applicable'
    ON CONFLICT (enrolment_id, requirement_id) DO UPDATE
       SET status = EXCLUDED.status, updated_at = now(), updated_by = EXCLUDED.updated_by
     WHERE t.status IS DISTINCT FROM EXCLUDED.status;
    INSERT INTO soa_documents (enrolment_id, cluster_id, organisation_id, version, updated_by)
    VALUES (e.id, e.cluster_id, e.organisation_id, 1, ctx_user())
    ON CONFLICT (enrolment_id) DO UPDATE
       SET version = soa_documents.version + 1, updated_at = now(), updated_by = ctx_user();
    PERFORM audit('soa_update', 'enrolment', e.id, e.cluster_id, e.organisation_id,
                  jsonb_build_object('controls', (SELECT jsonb_agg(i->'control')
                                                    FROM jsonb_array_elements(p_items) i)));
    RETURN api_soa_get(p_enrolment);
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
