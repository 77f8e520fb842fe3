-- Progress, part 2: tenant data under row-level security. Per cluster: the chosen framework and
-- explicit module deadlines. Per enrolment: the assessment of every requirement with its
-- history, the gap analysis and its frozen baseline, the Statement of Applicability, the
-- deliverables, and a weekly progress series kept up to date by triggers.
--
-- Who sees and writes what (the same rule as the enrolments they belong to): the member
-- organisation its own rows, a coach the enrolments assigned to them, a coordinator every
-- enrolment of the clusters they coordinate. Gap analyses are written by coaches and
-- coordinators only. History and the weekly series are written by triggers, never by the API.

-- ---------------------------------------------------------------------------------------------
-- Per cluster
-- ---------------------------------------------------------------------------------------------
CREATE TABLE cluster_frameworks (
    cluster_id uuid PRIMARY KEY REFERENCES clusters (id),
    framework_id uuid NOT NULL REFERENCES frameworks (id),
    chosen_at timestamptz NOT NULL DEFAULT now(),
    chosen_by uuid
);

-- Due dates a coordinator sets for a module's deliverables while no planned training session
-- gives one (see module_due_dates).
CREATE TABLE module_deadlines (
    cluster_id uuid NOT NULL REFERENCES clusters (id),
    module_key text NOT NULL CHECK (module_key IN (
        'initial_training', 'gap_analysis', 'scope_policy_assets', 'risk_assessment',
        'risk_treatment', 'document_management', 'security_measures', 'human_resources',
        'incident_management', 'management_review', 'audit')),
    due_date date NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    PRIMARY KEY (cluster_id, module_key)
);

-- ---------------------------------------------------------------------------------------------
-- Per enrolment
-- ---------------------------------------------------------------------------------------------
-- A missing row means "not started" with nothing recorded.
CREATE TABLE assessments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    framework_id uuid NOT NULL,
    requirement_id uuid NOT NULL,
    status text NOT NULL DEFAULT 'not_started'
        CHECK (status IN ('not_started', 'in_progress', 'implemented', 'not_applicable')),
    maturity smallint CHECK (maturity BETWEEN 0 AND 5),
    owner text CHECK (length(btrim(owner)) BETWEEN 1 AND 200),
    due_date date,
    evidence_notes text CHECK (length(evidence_notes) <= 10000),
    evidence_links text[] NOT NULL DEFAULT '{}' CHECK (cardinality(evidence_links) <= 20),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    UNIQUE (enrolment_id, requirement_id),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id),
    FOREIGN KEY (framework_id, requirement_id) REFERENCES requirements (framework_id, id)
);
CREATE INDEX assessments_cluster ON assessments (cluster_id);

-- Every change of an assessment: who, when, old and new values (append-only).
CREATE TABLE assessment_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    requirement_id uuid NOT NULL REFERENCES requirements (id),
    changed_at timestamptz NOT NULL DEFAULT now(),
    changed_by uuid,
    changed_by_name text,
    changed_by_role text CHECK (changed_by_role IN ('member', 'coach', 'coordinator', 'operator')),
    request_id text,
    old_status text,
    new_status text NOT NULL,
    old_maturity smallint,
    new_maturity smallint,
    changes jsonb NOT NULL DEFAULT '{}',
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id)
);
CREATE INDEX assessment_history_enrolment ON assessment_history (enrolment_id, id DESC);
CREATE INDEX assessment_history_requirement ON assessment_history (enrolment_id, requirement_id, id DESC);

-- Counts at the end of each (cluster-local) week in which something changed; the trend series
-- carries the last known week forward.
CREATE TABLE progress_weeks (
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    week date NOT NULL CHECK (extract(isodow FROM week) = 1),
    requirements integer NOT NULL,
    in_progress integer NOT NULL,
    implemented integer NOT NULL,
    not_applicable integer NOT NULL,
    deliverables_approved integer NOT NULL,
    PRIMARY KEY (enrolment_id, week),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id)
);

CREATE TABLE gap_analyses (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL UNIQUE,
    framework_id uuid NOT NULL REFERENCES frameworks (id),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'final')),
    onsite_date date,
    analysis_date date,
    estimated_coaching_half_days integer CHECK (estimated_coaching_half_days BETWEEN 0 AND 200),
    summary text CHECK (length(summary) <= 20000),
    baseline jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    created_by uuid,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    finalised_at timestamptz,
    finalised_by uuid,
    CHECK ((status = 'final') = (finalised_at IS NOT NULL)),
    CHECK (status = 'draft' OR (estimated_coaching_half_days IS NOT NULL AND baseline IS NOT NULL)),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id)
);

-- The frozen baseline: every requirement's status and maturity when the gap analysis was finalised.
CREATE TABLE gap_analysis_items (
    gap_analysis_id uuid NOT NULL REFERENCES gap_analyses (id),
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    requirement_id uuid NOT NULL REFERENCES requirements (id),
    status text NOT NULL,
    maturity smallint,
    PRIMARY KEY (gap_analysis_id, requirement_id),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id)
);

-- Statement of Applicability: one row per Annex A control decided; a missing row is undecided.
-- Inclusions state at least one reason, exclusions a justification.
CREATE TABLE soa_entries (
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    framework_id uuid NOT NULL,
    requirement_id uuid NOT NULL,
    applicable boolean NOT NULL,
    reasons text[] NOT NULL DEFAULT '{}' CHECK (reasons <@ ARRAY['legal', 'contractual',
        'business_requirement', 'risk_assessment_result', 'best_practice']),
    justification text CHECK (length(justification) <= 2000),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    PRIMARY KEY (enrolment_id, requirement_id),
    CHECK (applicable OR coalesce(length(btrim(justification)), 0) > 0),
    CHECK (NOT applicable OR cardinality(reasons) > 0),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id),
    FOREIGN KEY (framework_id, requirement_id) REFERENCES requirements (framework_id, id)
);

-- The SoA as a controlled document: its version goes up with every change.
CREATE TABLE soa_documents (
    enrolment_id uuid PRIMARY KEY,
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    version integer NOT NULL CHECK (version >= 1),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id)
);

-- A missing row is a deliverable still to do.
CREATE TABLE deliverables (
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    deliverable_key text NOT NULL REFERENCES deliverable_types (key),
    status text NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'drafted', 'approved')),
    approved_on date,
    due_date date,
    document text CHECK (length(document) <= 500),
    notes text CHECK (length(notes) <= 2000),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    PRIMARY KEY (enrolment_id, deliverable_key),
    CHECK ((status = 'approved') = (approved_on IS NOT NULL)),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id)
);

-- ---------------------------------------------------------------------------------------------
-- Immutability of history and of finalised baselines (for everybody, the owner included)
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION progress_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER assessment_history_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON assessment_history FOR EACH STATEMENT EXECUTE FUNCTION progress_append_only();
CREATE TRIGGER gap_analysis_items_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
    ON gap_analysis_items FOR EACH STATEMENT EXECUTE FUNCTION progress_append_only();

CREATE FUNCTION gap_analysis_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'final' THEN
        RAISE EXCEPTION USING ERRCODE = 'IC409', MESSAGE = 'gap_analysis_final',
            DETAIL = 'the gap analysis is final and can no longer be changed';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER gap_analyses_frozen BEFORE UPDATE OR DELETE ON gap_analyses
    FOR EACH ROW EXECUTE FUNCTION gap_analysis_frozen();

-- ---------------------------------------------------------------------------------------------
-- History and weekly series, maintained by statement-level triggers (SECURITY DEFINER: the API
-- role cannot write either table directly).
-- ---------------------------------------------------------------------------------------------
-- The role in which the current user acts on an enrolment, for the history.
CREATE FUNCTION progress_actor_role(p_cluster uuid, p_org uuid, p_enrolment uuid) RETURNS text
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT CASE WHEN ctx_user() IS NULL THEN 'operator'
                WHEN ctx_org() = p_org THEN 'member'
                WHEN p_enrolment = ANY (ctx_coached_enrolments()) THEN 'coach'
                WHEN p_cluster = ANY (ctx_coordinated_clusters()) THEN 'coordinator'
                ELSE 'operator' END
$$;

-- Rewrites the current week's counts for the given enrolments.
CREATE FUNCTION progress_week_refresh(p_enrolments uuid[]) RETURNS void
    LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    INSERT INTO progress_weeks (cluster_id, organisation_id, enrolment_id, week, requirements,
                                in_progress, implemented, not_applicable, deliverables_approved)
    SELECT e.cluster_id, e.organisation_id, e.id,
           date_trunc('week', now() AT TIME ZONE c.time_zone)::date,
           (SELECT count(*) FROM requirements r WHERE r.framework_id = fw.id),
           coalesce(a.in_progress, 0), coalesce(a.implemented, 0), coalesce(a.not_applicable, 0),
           (SELECT count(*) FROM deliverables d
             WHERE d.enrolment_id = e.id AND d.status = 'approved')
      FROM enrolments e
      JOIN clusters c ON c.id = e.cluster_id
      CROSS JOIN LATERAL (SELECT coalesce((SELECT framework_id FROM cluster_frameworks
                                            WHERE cluster_id = e.cluster_id),
                                           (SELECT id FROM frameworks WHERE is_default)) AS id) fw
      LEFT JOIN LATERAL (
          SELECT count(*) FILTER (WHERE status = 'in_progress') AS in_progress,
                 count(*) FILTER (WHERE status = 'implemented') AS implemented,
                 count(*) FILTER (WHERE status = 'not_applicable') AS not_applicable
            FROM assessments WHERE enrolment_id = e.id AND framework_id = fw.id) a ON true
     WHERE e.id = ANY (p_enrolments)
    ON CONFLICT (enrolment_id, week) DO UPDATE
       SET requirements = EXCLUDED.requirements, in_progress = EXCLUDED.in_progress,
           implemented = EXCLUDED.implemented, not_applicable = EXCLUDED.not_applicable,
           deliverables_approved = EXCLUDED.deliverables_approved
$$;

CREATE FUNCTION assessments_after_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    INSERT INTO assessment_history (cluster_id, organisation_id, enrolment_id, requirement_id,
        changed_by, changed_by_name, changed_by_role, request_id, old_status, new_status,
        old_maturity, new_maturity, changes)
    SELECT n.cluster_id, n.organisation_id, n.enrolment_id, n.requirement_id, ctx_user(),
           (SELECT display_name FROM users WHERE id = ctx_user()),
           progress_actor_role(n.cluster_id, n.organisation_id, n.enrolment_id), ctx_request(),
           NULL, n.status, NULL, n.maturity,
           jsonb_strip_nulls(jsonb_build_object(
               'owner', CASE WHEN n.owner IS NOT NULL THEN jsonb_build_object('old', NULL, 'new', n.owner) END,
               'due_date', CASE WHEN n.due_date IS NOT NULL THEN jsonb_build_object('old', NULL, 'new', n.due_date) END,
               'evidence_notes', CASE WHEN n.evidence_notes IS NOT NULL THEN jsonb_build_object('old', NULL, 'new', n.evidence_notes) END,
               'evidence_links', CASE WHEN cardinality(n.evidence_links) > 0 THEN jsonb_build_object('old', '[]'::jsonb, 'new', to_jsonb(n.evidence_links)) END))
      FROM new_rows n
     -- A row in its default state is what a missing row means: nothing changed yet.
     WHERE (n.status, n.maturity, n.owner, n.due_date, n.evidence_notes, cardinality(n.evidence_links))
           IS DISTINCT FROM ('not_started', NULL, NULL, NULL, NULL, 0);
    PERFORM progress_week_refresh(ARRAY(SELECT DISTINCT enrolment_id FROM new_rows));
    RETURN NULL;
END $$;

-- A change of a field is recorded as {"field": {"old": ..., "new": ...}}; a no-op update leaves
-- no history.
CREATE FUNCTION assessments_after_update() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    INSERT INTO assessment_history (cluster_id, organisation_id, enrolment_id, requirement_id,
        changed_by, changed_by_name, changed_by_role, request_id, old_status, new_status,
        old_maturity, new_maturity, changes)
    SELECT n.cluster_id, n.organisation_id, n.enrolment_id, n.requirement_id, ctx_user(),
           (SELECT display_name FROM users WHERE id = ctx_user()),
           progress_actor_role(n.cluster_id, n.organisation_id, n.enrolment_id), ctx_request(),
           o.status, n.status, o.maturity, n.maturity,
           jsonb_strip_nulls(jsonb_build_object(
               'owner', CASE WHEN n.owner IS DISTINCT FROM o.owner THEN jsonb_build_object('old', o.owner, 'new', n.owner) END,
               'due_date', CASE WHEN n.due_date IS DISTINCT FROM o.due_date THEN jsonb_build_object('old', o.due_date, 'new', n.due_date) END,
               'evidence_notes', CASE WHEN n.evidence_notes IS DISTINCT FROM o.evidence_notes THEN jsonb_build_object('old', o.evidence_notes, 'new', n.evidence_notes) END,
               'evidence_links', CASE WHEN n.evidence_links IS DISTINCT FROM o.evidence_links THEN jsonb_build_object('old', to_jsonb(o.evidence_links), 'new', to_jsonb(n.evidence_links)) END))
      FROM new_rows n JOIN old_rows o ON o.id = n.id
     WHERE (n.status, n.maturity, n.owner, n.due_date, n.evidence_notes, n.evidence_links)
           IS DISTINCT FROM (o.status, o.maturity, o.owner, o.due_date, o.evidence_notes, o.evidence_links);
    PERFORM progress_week_refresh(ARRAY(SELECT DISTINCT enrolment_id FROM new_rows));
    RETURN NULL;
END $$;

CREATE TRIGGER assessments_history_insert AFTER INSERT ON assessments
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION assessments_after_insert();
CREATE TRIGGER assessments_history_update AFTER UPDATE ON assessments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION assessments_after_update();

CREATE FUNCTION deliverables_after_write() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    PERFORM progress_week_refresh(ARRAY(SELECT DISTINCT enrolment_id FROM new_rows));
    RETURN NULL;
END $$;
CREATE TRIGGER deliverables_week_insert AFTER INSERT ON deliverables
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deliverables_after_write();
CREATE TRIGGER deliverables_week_update AFTER UPDATE ON deliverables
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION deliverables_after_write();

-- ---------------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------------
-- "Which clusters is my organisation enrolled in" (ctx_member_clusters(), used by the policies of
-- clusters and of the per-cluster tables below) looks enrolments up by organisation alone, which
-- the (cluster_id, organisation_id) key cannot serve: without this index every request of a
-- member scans all enrolments.
CREATE INDEX IF NOT EXISTS enrolments_organisation ON enrolments (organisation_id);

ALTER TABLE cluster_frameworks ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE module_deadlines ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE assessments ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE assessment_history ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE progress_weeks ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE gap_analyses ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE gap_analysis_items ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE soa_entries ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE soa_documents ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE deliverables ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- The owner runs the triggers above and the cross-tenant aggregates (the anonymised benchmark;
-- other services' SECURITY DEFINER helpers, e.g. coaching reading the gap analysis estimate).
CREATE POLICY owner_all ON cluster_frameworks TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON module_deadlines TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON assessments TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON assessment_history TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON progress_weeks TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON gap_analyses TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON gap_analysis_items TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON soa_entries TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON soa_documents TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON deliverables TO isms_owner USING (true) WITH CHECK (true);
-- The weekly series is kept in each cluster's time zone, which the triggers read as the owner.
CREATE POLICY progress_owner_select ON clusters FOR SELECT TO isms_owner USING (true);

-- cluster settings: everyone in the cluster reads them, its coordinators change them.
CREATE POLICY app_select ON cluster_frameworks FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_member_clusters())::uuid[])
           OR cluster_id = ANY ((SELECT ctx_staff_clusters())::uuid[]));
CREATE POLICY app_insert ON cluster_frameworks FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_update ON cluster_frameworks FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

CREATE POLICY app_select ON module_deadlines FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_member_clusters())::uuid[])
           OR cluster_id = ANY ((SELECT ctx_staff_clusters())::uuid[]));
CREATE POLICY app_insert ON module_deadlines FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_update ON module_deadlines FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_delete ON module_deadlines FOR DELETE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

-- Per-enrolment rows: the organisation itself, its coaches, the cluster's coordinators.
DO $$
DECLARE
    t text;
    who text := '(organisation_id = (SELECT ctx_org())'
                ' OR enrolment_id = ANY ((SELECT ctx_coached_enrolments())::uuid[])'
                ' OR cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))';
    staff text := '(enrolment_id = ANY ((SELECT ctx_coached_enrolments())::uuid[])'
                  ' OR cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))';
BEGIN
    FOREACH t IN ARRAY ARRAY['assessments', 'assessment_history', 'progress_weeks', 'gap_analyses',
                             'gap_analysis_items', 'soa_entries', 'soa_documents', 'deliverables'] LOOP
        EXECUTE format('CREATE POLICY app_select ON %I FOR SELECT TO isms_app USING %s', t, who);
    END LOOP;
    FOREACH t IN ARRAY ARRAY['assessments', 'soa_entries', 'soa_documents', 'deliverables'] LOOP
        EXECUTE format('CREATE POLICY app_insert ON %I FOR INSERT TO isms_app WITH CHECK %s', t, who);
        EXECUTE format('CREATE POLICY app_update ON %I FOR UPDATE TO isms_app USING %s WITH CHECK %s',
                       t, who, who);
    END LOOP;
    -- The gap analysis is the coach's (or the coordinator's) record.
    EXECUTE format('CREATE POLICY app_insert ON gap_analyses FOR INSERT TO isms_app WITH CHECK %s', staff);
    EXECUTE format('CREATE POLICY app_update ON gap_analyses FOR UPDATE TO isms_app USING %s WITH CHECK %s',
                   staff, staff);
    EXECUTE format('CREATE POLICY app_insert ON gap_analysis_items FOR INSERT TO isms_app WITH CHECK %s', staff);
END $$;

GRANT SELECT, INSERT, UPDATE ON cluster_frameworks TO isms_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON module_deadlines TO isms_app;
GRANT SELECT, INSERT, UPDATE ON assessments, soa_entries, soa_documents, deliverables, gap_analyses TO isms_app;
GRANT SELECT, INSERT ON gap_analysis_items TO isms_app;
GRANT SELECT ON assessment_history, progress_weeks TO isms_app;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
