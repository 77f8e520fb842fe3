-- Data for tests/bench/progress.sh: :clusters clusters of :orgs member organisations, every
-- enrolment with a full assessment of ISO/IEC 27001:2022 (123 requirements), its history, 26 weeks
-- of weekly series, a final gap analysis with its baseline, deliverables and cluster module
-- deadlines, so that GET /v1/enrolments/{id}/progress does all of its work. Generated set-wise as
-- the superuser with triggers set aside (session_replication_role = replica), so it takes seconds.
--
-- Ids are predictable so that wrk and pgbench can pick enrolment n (1 .. clusters * orgs):
--   enrolment    00000000-0000-4000-8000-<n, 12 digits>
--   organisation 00000000-0000-4000-b000-<n>, its member user 00000000-0000-4000-c000-<n>
--   session      token "bench-session-token-<n>" (the database keeps its SHA-256, as the server does)
--   cluster      00000000-0000-4000-a000-<c, 12 digits>, c = (n - 1) / orgs + 1
BEGIN;
SET LOCAL search_path = isms, public;
SET LOCAL session_replication_role = replica;

CREATE FUNCTION pg_temp.bench_id(p_kind text, p_n integer) RETURNS uuid LANGUAGE sql IMMUTABLE
    AS $$ SELECT ('00000000-0000-4000-' || p_kind || '-' || lpad(p_n::text, 12, '0'))::uuid $$;

INSERT INTO organisations (id, name, kind)
VALUES (pg_temp.bench_id('9000', 0), 'bench coordinator', 'coordinator');
INSERT INTO users (id, organisation_id, email, display_name)
VALUES (pg_temp.bench_id('9000', 1), pg_temp.bench_id('9000', 0), 'coordinator@bench.example',
        'Bench Coordinator');
INSERT INTO organisations (id, name, kind, employee_count)
SELECT pg_temp.bench_id('b000', n), 'bench member ' || n, 'member', 5 + n % 200
  FROM generate_series(1, :clusters * :orgs) AS n;
INSERT INTO users (id, organisation_id, email, display_name)
SELECT pg_temp.bench_id('c000', n), pg_temp.bench_id('b000', n), 'member-' || n || '@bench.example',
       'Member ' || n
  FROM generate_series(1, :clusters * :orgs) AS n;
INSERT INTO sessions (user_id, organisation_id, token_hash, expires_at, idle_seconds)
SELECT pg_temp.bench_id('c000', n), pg_temp.bench_id('b000', n),
       encode(sha256(convert_to('bench-session-token-' || n, 'UTF8')), 'hex'), now() + interval '2 days',
       172800
  FROM generate_series(1, :clusters * :orgs) AS n;

INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date,
                      target_end_date)
SELECT pg_temp.bench_id('a000', c), 'bench cluster ' || c, pg_temp.bench_id('9000', 0), 'LU',
       'Europe/Luxembourg', current_date - 182, current_date + 183
  FROM generate_series(1, :clusters) AS c;
INSERT INTO cluster_staff (cluster_id, user_id, role)
SELECT pg_temp.bench_id('a000', c), pg_temp.bench_id('9000', 1), 'coordinator'
  FROM generate_series(1, :clusters) AS c;
INSERT INTO enrolments (id, cluster_id, organisation_id, status, employee_count,
                        human_resources_confirmed, financial_resources_confirmed, admitted_at)
SELECT pg_temp.bench_id('8000', n), pg_temp.bench_id('a000', (n - 1) / :orgs + 1),
       pg_temp.bench_id('b000', n), 'admitted', 5 + n % 200, true, true, now() - interval '180 days'
  FROM generate_series(1, :clusters * :orgs) AS n;

-- Full assessments: roughly a third implemented, a third in progress, a few controls excluded.
CREATE TEMP TABLE bench_assessment AS
SELECT n, e.cluster_id, e.organisation_id, e.id AS enrolment_id, r.framework_id, r.id AS requirement_id,
       r.kind, r.ref, h,
       CASE WHEN r.kind = 'control' AND h < 6 THEN 'not_applicable'
            WHEN h < 40 THEN 'implemented' WHEN h < 75 THEN 'in_progress' ELSE 'not_started' END AS status
  FROM generate_series(1, :clusters * :orgs) AS n
  JOIN enrolments e ON e.id = pg_temp.bench_id('8000', n)
  CROSS JOIN requirements r
  JOIN frameworks f ON f.id = r.framework_id AND f.is_default
  CROSS JOIN LATERAL (SELECT abs(hashtext(n || '/' || r.ref)) % 100 AS h) x;
INSERT INTO assessments (cluster_id, organisation_id, enrolment_id, framework_id, requirement_id,
                         status, maturity, owner, due_date, evidence_notes, updated_at, updated_by)
SELECT cluster_id, organisation_id, enrolment_id, framework_id, requirement_id, status,
       CASE WHEN status = 'not_applicable' THEN NULL ELSE h % 6 END,
       'Owner ' || h % 4, current_date + (h % 60) - 20, 'evidence for ' || ref,
       now() - make_interval(days => h), pg_temp.bench_id('c000', n)
  FROM bench_assessment;
INSERT INTO soa_entries (cluster_id, organisation_id, enrolment_id, framework_id, requirement_id,
                         applicable, reasons, justification)
SELECT cluster_id, organisation_id, enrolment_id, framework_id, requirement_id,
       status <> 'not_applicable',
       CASE WHEN status <> 'not_applicable' THEN ARRAY['risk_assessment_result'] ELSE '{}' END,
       CASE WHEN status = 'not_applicable' THEN 'not relevant to this organisation' END
  FROM bench_assessment WHERE kind = 'control';
INSERT INTO soa_documents (enrolment_id, cluster_id, organisation_id, version)
SELECT id, cluster_id, organisation_id, 1 + n % 5
  FROM generate_series(1, :clusters * :orgs) AS n JOIN enrolments ON id = pg_temp.bench_id('8000', n);
INSERT INTO assessment_history (cluster_id, organisation_id, enrolment_id, requirement_id, changed_at,
                                changed_by, changed_by_name, changed_by_role, old_status,
                                new_status, new_maturity)
SELECT cluster_id, organisation_id, enrolment_id, requirement_id,
       now() - make_interval(days => 150 - h), pg_temp.bench_id('c000', n), 'Member ' || n, 'member',
       NULL, CASE WHEN status = 'implemented' THEN 'in_progress' ELSE status END, h % 6
  FROM bench_assessment;
INSERT INTO assessment_history (cluster_id, organisation_id, enrolment_id, requirement_id, changed_at,
                                changed_by, changed_by_name, changed_by_role, old_status,
                                new_status, new_maturity)
SELECT cluster_id, organisation_id, enrolment_id, requirement_id,
       now() - make_interval(days => 100 - h), pg_temp.bench_id('c000', n), 'Member ' || n, 'member',
       'in_progress', 'implemented', h % 6
  FROM bench_assessment WHERE status = 'implemented';

-- The final gap analysis, taken when everything implemented now was still in progress.
INSERT INTO gap_analyses (id, cluster_id, organisation_id, enrolment_id, framework_id, status,
                          onsite_date, analysis_date, estimated_coaching_half_days, summary,
                          finalised_at, baseline)
SELECT pg_temp.bench_id('d000', n), e.cluster_id, e.organisation_id, e.id,
       (SELECT id FROM frameworks WHERE is_default), 'final', current_date - 170, current_date - 169,
       8 + n % 20, 'baseline of member ' || n, now() - interval '168 days',
       progress_baseline_counts(e.id, (SELECT id FROM frameworks WHERE is_default))
  FROM generate_series(1, :clusters * :orgs) AS n JOIN enrolments e ON e.id = pg_temp.bench_id('8000', n);
INSERT INTO gap_analysis_items (gap_analysis_id, cluster_id, organisation_id, enrolment_id,
                                requirement_id, status, maturity)
SELECT pg_temp.bench_id('d000', n), cluster_id, organisation_id, enrolment_id, requirement_id,
       CASE WHEN status = 'implemented' AND h % 2 = 0 THEN 'in_progress' ELSE status END, h % 4
  FROM bench_assessment;

-- The baseline's counts, from the frozen items.
UPDATE gap_analyses g
   SET baseline = jsonb_build_object(
           'totals', (SELECT jsonb_build_object('total', count(*),
                          'not_started', count(*) FILTER (WHERE i.status = 'not_started'),
                          'in_progress', count(*) FILTER (WHERE i.status = 'in_progress'),
                          'implemented', count(*) FILTER (WHERE i.status = 'implemented'),
                          'not_applicable', count(*) FILTER (WHERE i.status = 'not_applicable'),
                          'average_maturity', round(avg(i.maturity), 2))
                        FROM gap_analysis_items i WHERE i.gap_analysis_id = g.id),
           'groups', (SELECT jsonb_object_agg(group_key, c) FROM (
                         SELECT r.group_key, jsonb_build_object('total', count(*),
                             'not_started', count(*) FILTER (WHERE i.status = 'not_started'),
                             'in_progress', count(*) FILTER (WHERE i.status = 'in_progress'),
                             'implemented', count(*) FILTER (WHERE i.status = 'implemented'),
                             'not_applicable', count(*) FILTER (WHERE i.status = 'not_applicable'),
                             'average_maturity', round(avg(i.maturity), 2)) AS c
                           FROM gap_analysis_items i JOIN requirements r ON r.id = i.requirement_id
                          WHERE i.gap_analysis_id = g.id GROUP BY r.group_key) x));

-- 26 weeks of the weekly series, rising to today's counts.
INSERT INTO progress_weeks (cluster_id, organisation_id, enrolment_id, week, requirements,
                            in_progress, implemented, not_applicable, deliverables_approved)
SELECT a.cluster_id, a.organisation_id, a.enrolment_id,
       date_trunc('week', current_date)::date - 7 * w, 123,
       a.ip, (a.im * (26 - w)) / 26, a.na, (8 * (26 - w)) / 26
  FROM (SELECT cluster_id, organisation_id, enrolment_id,
               count(*) FILTER (WHERE status = 'in_progress') AS ip,
               count(*) FILTER (WHERE status = 'implemented') AS im,
               count(*) FILTER (WHERE status = 'not_applicable') AS na
          FROM bench_assessment GROUP BY 1, 2, 3) a
  CROSS JOIN generate_series(0, 25) AS w;

-- Deliverables: the first modules' approved in most organisations, some late ones.
INSERT INTO deliverables (cluster_id, organisation_id, enrolment_id, deliverable_key, status,
                          approved_on, document)
SELECT e.cluster_id, e.organisation_id, e.id, t.key, s.status,
       CASE WHEN s.status = 'approved' THEN current_date - 30 END, 'DOC-' || t.position
  FROM generate_series(1, :clusters * :orgs) AS n
  JOIN enrolments e ON e.id = pg_temp.bench_id('8000', n)
  CROSS JOIN deliverable_types t
  CROSS JOIN LATERAL (SELECT CASE WHEN t.position <= 5 AND (n + t.position) % 7 <> 0 THEN 'approved'
                                  WHEN t.position <= 10 THEN 'drafted' ELSE 'todo' END AS status) s;
INSERT INTO module_deadlines (cluster_id, module_key, due_date)
SELECT pg_temp.bench_id('a000', c), m.key, current_date + m.offset_days
  FROM generate_series(1, :clusters) AS c,
       (VALUES ('scope_policy_assets', -120), ('risk_assessment', -90), ('risk_treatment', -60),
               ('document_management', -30), ('security_measures', 10), ('human_resources', 40),
               ('incident_management', 70), ('management_review', 100), ('audit', 130))
       AS m(key, offset_days);
COMMIT;
ANALYZE;
