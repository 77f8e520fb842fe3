-- Progress, part 1: the requirement catalogue (reference data shared by every tenant), the
-- deliverables an ISO/IEC 27001 certification needs, and the two extension points that later
-- services replace (module_due_dates by planning, coaching_budget_summary by coaching).
--
-- A framework is a (code, version) pair, e.g. ('ISO/IEC 27001', '2022'). Its requirements are
-- either clause leaves (kind 'clause', grouped by clause 4..10) or controls (kind 'control',
-- grouped by theme A.5..A.8). Titles are our own short wording, not the standard's text. Further
-- frameworks or versions are loaded with `isms-cluster catalogue import FILE`.

-- ---------------------------------------------------------------------------------------------
-- Catalogue
-- ---------------------------------------------------------------------------------------------
CREATE TABLE frameworks (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code text NOT NULL CHECK (length(btrim(code)) BETWEEN 1 AND 100),
    version text NOT NULL CHECK (length(btrim(version)) BETWEEN 1 AND 20),
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    source text NOT NULL DEFAULT 'builtin' CHECK (source IN ('builtin', 'import')),
    is_default boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (code, version)
);
-- Exactly one framework is what a cluster uses until its coordinator chooses another.
CREATE UNIQUE INDEX frameworks_one_default ON frameworks (is_default) WHERE is_default;

CREATE TABLE framework_groups (
    framework_id uuid NOT NULL REFERENCES frameworks (id),
    key text NOT NULL CHECK (key ~ '^[A-Za-z0-9][A-Za-z0-9.]{0,19}$'),
    kind text NOT NULL CHECK (kind IN ('clause', 'control')),
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    position integer NOT NULL,
    PRIMARY KEY (framework_id, key),
    UNIQUE (framework_id, key, kind)
);

CREATE TABLE requirements (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    framework_id uuid NOT NULL REFERENCES frameworks (id),
    ref text NOT NULL CHECK (ref ~ '^[A-Za-z0-9][A-Za-z0-9.]{0,19}$'),
    kind text NOT NULL CHECK (kind IN ('clause', 'control')),
    group_key text NOT NULL,
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 300),
    position integer NOT NULL,
    UNIQUE (framework_id, ref),
    UNIQUE (framework_id, id),
    -- A requirement's kind is its group's kind.
    FOREIGN KEY (framework_id, group_key, kind) REFERENCES framework_groups (framework_id, key, kind)
);
CREATE INDEX requirements_framework ON requirements (framework_id, position);

-- Reference data: readable by everybody through the API, changed only by migrations and the
-- operator's import command.
GRANT SELECT ON frameworks, framework_groups, requirements TO isms_app;

-- ---------------------------------------------------------------------------------------------
-- ISO/IEC 27001:2022
-- ---------------------------------------------------------------------------------------------
INSERT INTO frameworks (code, version, title, source, is_default)
VALUES ('ISO/IEC 27001', '2022', 'Information security management systems: requirements (2022 edition)',
        'builtin', true);

INSERT INTO framework_groups (framework_id, key, kind, title, position)
SELECT f.id, g.key, g.kind, g.title, g.position
  FROM frameworks f,
       (VALUES ('4', 'clause', 'Context of the organisation', 1),
               ('5', 'clause', 'Leadership', 2),
               ('6', 'clause', 'Planning', 3),
               ('7', 'clause', 'Support', 4),
               ('8', 'clause', 'Operation', 5),
               ('9', 'clause', 'Performance evaluation', 6),
               ('10', 'clause', 'Improvement', 7),
               ('A.5', 'control', 'Organisational controls', 8),
               ('A.6', 'control', 'People controls', 9),
               ('A.7', 'control', 'Physical controls', 10),
               ('A.8', 'control', 'Technological controls', 11)) AS g(key, kind, title, position)
 WHERE f.code = 'ISO/IEC 27001' AND f.version = '2022';

-- The 30 assessable leaves of clauses 4 to 10.
INSERT INTO requirements (framework_id, ref, kind, group_key, title, position)
SELECT f.id, r.ref, 'clause', split_part(r.ref, '.', 1), r.title, r.position
  FROM frameworks f,
       (VALUES ('4.1', 'Internal and external issues that matter to the ISMS are known', 1),
               ('4.2', 'Interested parties and what they require are known', 2),
               ('4.3', 'The boundaries of the ISMS are set and documented', 3),
               ('4.4', 'The ISMS exists as a managed system of interacting processes', 4),
               ('5.1', 'Top management leads the ISMS and shows commitment to it', 5),
               ('5.2', 'Top management has issued an information security policy', 6),
               ('5.3', 'Security roles, responsibilities and authorities are assigned', 7),
               ('6.1.1', 'Risks and opportunities for the ISMS itself are planned for', 8),
               ('6.1.2', 'A repeatable method for assessing security risks is defined and used', 9),
               ('6.1.3', 'Risks are treated: controls chosen, applicability stated, plan approved', 10),
               ('6.2', 'Security objectives are set, with plans to reach them', 11),
               ('6.3', 'Changes to the ISMS are made in a planned way', 12),
               ('7.1', 'The ISMS has the resources it needs', 13),
               ('7.2', 'People doing security work are competent, with evidence kept', 14),
               ('7.3', 'Staff know the policy and their part in security', 15),
               ('7.4', 'What is communicated about security, to whom and when, is decided', 16),
               ('7.5.1', 'The ISMS keeps the documented information it needs', 17),
               ('7.5.2', 'Documents are identified, formatted, reviewed and approved', 18),
               ('7.5.3', 'Documented information is available, protected and version-controlled', 19),
               ('8.1', 'Security processes are planned, run and controlled', 20),
               ('8.2', 'Risk assessments are carried out at planned times and on change', 21),
               ('8.3', 'The risk treatment plan is carried out', 22),
               ('9.1', 'Security performance is monitored, measured and evaluated', 23),
               ('9.2.1', 'Internal audits take place at planned intervals', 24),
               ('9.2.2', 'An internal audit programme defines scope, criteria and auditors', 25),
               ('9.3.1', 'Top management reviews the ISMS at planned intervals', 26),
               ('9.3.2', 'The management review considers every required input', 27),
               ('9.3.3', 'The management review records decisions on improvement and change', 28),
               ('10.1', 'The ISMS keeps getting more suitable and effective', 29),
               ('10.2', 'Nonconformities are corrected and their causes removed', 30))
       AS r(ref, title, position)
 WHERE f.code = 'ISO/IEC 27001' AND f.version = '2022';

-- The 93 controls of Annex A in four themes: 37 organisational, 8 people, 14 physical, 34
-- technological.
INSERT INTO requirements (framework_id, ref, kind, group_key, title, position)
SELECT f.id, 'A.' || r.ref, 'control', 'A.' || split_part(r.ref, '.', 1), r.title,
       100 + row_number() OVER (ORDER BY split_part(r.ref, '.', 1)::int, split_part(r.ref, '.', 2)::int)
  FROM frameworks f,
       (VALUES ('5.1', 'Security policy and topic-specific policies, approved and communicated'),
               ('5.2', 'Security roles and responsibilities defined and allocated'),
               ('5.3', 'Conflicting duties and areas of responsibility kept apart'),
               ('5.4', 'Managers require everyone to apply the security rules'),
               ('5.5', 'Contacts with the relevant authorities maintained'),
               ('5.6', 'Contacts with security forums and professional associations'),
               ('5.7', 'Information about threats collected and analysed'),
               ('5.8', 'Security built into project management'),
               ('5.9', 'Inventory of information and related assets, with owners'),
               ('5.10', 'Rules for the acceptable use and handling of information and assets'),
               ('5.11', 'Assets handed back when a job or contract ends'),
               ('5.12', 'Information classified according to its security needs'),
               ('5.13', 'Information labelled according to its classification'),
               ('5.14', 'Rules and agreements for every kind of information transfer'),
               ('5.15', 'Rules for physical and logical access based on business needs'),
               ('5.16', 'Identities managed over their whole life cycle'),
               ('5.17', 'Passwords and other authentication secrets allocated and handled safely'),
               ('5.18', 'Access rights granted, reviewed, changed and removed'),
               ('5.19', 'Security risks of suppliers'' products and services managed'),
               ('5.20', 'Security requirements agreed with each supplier'),
               ('5.21', 'Security risks in the ICT supply chain managed'),
               ('5.22', 'Supplier services monitored and reviewed, changes controlled'),
               ('5.23', 'Cloud services acquired, used, managed and left securely'),
               ('5.24', 'Incident handling prepared: process, roles and responsibilities'),
               ('5.25', 'Security events assessed and classified as incidents or not'),
               ('5.26', 'Incidents answered according to documented procedures'),
               ('5.27', 'Lessons from incidents used to strengthen controls'),
               ('5.28', 'Evidence about security events identified, collected and preserved'),
               ('5.29', 'Security kept at an appropriate level during a disruption'),
               ('5.30', 'ICT readiness for business continuity planned and tested'),
               ('5.31', 'Legal, regulatory and contractual requirements identified and met'),
               ('5.32', 'Intellectual property rights respected'),
               ('5.33', 'Records protected against loss, destruction, falsification and misuse'),
               ('5.34', 'Privacy and personal data protected as laws and contracts require'),
               ('5.35', 'Independent review of how security is managed'),
               ('5.36', 'Compliance with security policies, rules and standards reviewed'),
               ('5.37', 'Operating procedures documented and available to those who need them'),
               ('6.1', 'Background checks on candidates, proportionate to the role'),
               ('6.2', 'Security responsibilities stated in employment contracts'),
               ('6.3', 'Security awareness, education and training for staff'),
               ('6.4', 'A formal disciplinary process for security violations'),
               ('6.5', 'Security duties that remain after leaving or changing role'),
               ('6.6', 'Confidentiality and non-disclosure agreements'),
               ('6.7', 'Security measures for working remotely'),
               ('6.8', 'A way for staff to report security events quickly'),
               ('7.1', 'Secure perimeters around areas with information and assets'),
               ('7.2', 'Entry to secure areas controlled'),
               ('7.3', 'Offices, rooms and facilities secured'),
               ('7.4', 'Premises monitored for unauthorised physical access'),
               ('7.5', 'Protection against physical and environmental threats'),
               ('7.6', 'Rules for working in secure areas'),
               ('7.7', 'Clear desks and locked screens'),
               ('7.8', 'Equipment placed and protected securely'),
               ('7.9', 'Assets protected when used off the premises'),
               ('7.10', 'Storage media managed from acquisition to disposal'),
               ('7.11', 'Power and other utilities protected against failure'),
               ('7.12', 'Power and data cables protected'),
               ('7.13', 'Equipment maintained correctly'),
               ('7.14', 'Data wiped or destroyed before equipment is disposed of or reused'),
               ('8.1', 'Information on user end-point devices protected'),
               ('8.2', 'Privileged access rights restricted and managed'),
               ('8.3', 'Access to information restricted according to the access rules'),
               ('8.4', 'Access to source code and development tools controlled'),
               ('8.5', 'Secure authentication technologies and procedures'),
               ('8.6', 'Capacity of resources monitored and adjusted'),
               ('8.7', 'Protection against malware, with user awareness'),
               ('8.8', 'Technical vulnerabilities found, evaluated and fixed'),
               ('8.9', 'Secure configurations defined, applied and monitored'),
               ('8.10', 'Information deleted when no longer needed'),
               ('8.11', 'Data masked where policy or law requires it'),
               ('8.12', 'Measures against data leakage'),
               ('8.13', 'Backups made and tested according to a policy'),
               ('8.14', 'Enough redundancy in information processing facilities'),
               ('8.15', 'Logs of activities, exceptions and faults produced and protected'),
               ('8.16', 'Networks, systems and applications watched for anomalies'),
               ('8.17', 'System clocks synchronised to an approved source'),
               ('8.18', 'Use of utility programs that can override controls restricted'),
               ('8.19', 'Software installation on operational systems controlled'),
               ('8.20', 'Networks and network devices secured and managed'),
               ('8.21', 'Security of network services defined and monitored'),
               ('8.22', 'Groups of services, users and systems separated on networks'),
               ('8.23', 'Access to external websites filtered'),
               ('8.24', 'Rules for using cryptography and managing keys'),
               ('8.25', 'Rules for a secure development life cycle'),
               ('8.26', 'Security requirements set when building or acquiring applications'),
               ('8.27', 'Principles for engineering secure systems'),
               ('8.28', 'Secure coding principles applied'),
               ('8.29', 'Security tested during development and acceptance'),
               ('8.30', 'Outsourced development directed and monitored'),
               ('8.31', 'Development, test and production environments kept apart'),
               ('8.32', 'Changes to systems and facilities controlled'),
               ('8.33', 'Test information chosen, protected and managed'),
               ('8.34', 'Audit tests on operational systems planned to limit disruption'))
       AS r(ref, title)
 WHERE f.code = 'ISO/IEC 27001' AND f.version = '2022';

-- ---------------------------------------------------------------------------------------------
-- Deliverables: the documented information a certification audit asks for, each tied to the
-- curriculum module that teaches it (module keys are fixed by the cross-service contract).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE deliverable_types (
    key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
    title text NOT NULL,
    reference text NOT NULL,
    module_key text NOT NULL CHECK (module_key IN (
        'initial_training', 'gap_analysis', 'scope_policy_assets', 'risk_assessment',
        'risk_treatment', 'document_management', 'security_measures', 'human_resources',
        'incident_management', 'management_review', 'audit')),
    position integer NOT NULL UNIQUE
);
GRANT SELECT ON deliverable_types TO isms_app;

INSERT INTO deliverable_types (key, title, reference, module_key, position) VALUES
    ('scope', 'ISMS scope', '4.3', 'scope_policy_assets', 1),
    ('security_policy', 'Information security policy', '5.2', 'scope_policy_assets', 2),
    ('security_objectives', 'Security objectives and plans to reach them', '6.2', 'scope_policy_assets', 3),
    ('risk_assessment_process', 'Risk assessment method', '6.1.2', 'risk_assessment', 4),
    ('risk_assessment_results', 'Risk assessment results', '8.2', 'risk_assessment', 5),
    ('risk_treatment_process', 'Risk treatment method and treatment plan', '6.1.3', 'risk_treatment', 6),
    ('statement_of_applicability', 'Statement of Applicability', '6.1.3 d', 'risk_treatment', 7),
    ('risk_treatment_results', 'Risk treatment results', '8.3', 'risk_treatment', 8),
    ('documented_information_control', 'Procedure for controlling documented information', '7.5', 'document_management', 9),
    ('security_controls_documentation', 'Topic-specific policies and operating procedures of the included controls', 'Annex A', 'security_measures', 10),
    ('operational_planning', 'Operational planning and control records', '8.1', 'security_measures', 11),
    ('monitoring_results', 'Monitoring and measurement results', '9.1', 'security_measures', 12),
    ('competence_evidence', 'Evidence of competence', '7.2', 'human_resources', 13),
    ('awareness_records', 'Awareness programme and attendance records', '7.3', 'human_resources', 14),
    ('nonconformities_corrective_actions', 'Nonconformities and corrective actions', '10.2', 'incident_management', 15),
    ('management_review_results', 'Management review results', '9.3', 'management_review', 16),
    ('internal_audit_programme', 'Internal audit programme', '9.2', 'audit', 17),
    ('internal_audit_results', 'Internal audit results', '9.2', 'audit', 18);

-- ---------------------------------------------------------------------------------------------
-- Extension points (same signatures forever; later migrations replace the bodies)
-- ---------------------------------------------------------------------------------------------
-- The date by which the deliverables taught by module_key are due in a cluster. Planning (0030)
-- replaces it with the date of the next training session after that module's session; until
-- then there is no planned date and progress falls back on explicit due dates.
CREATE FUNCTION module_due_dates(p_cluster uuid)
    RETURNS TABLE (module_key text, due_date date) LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN;
END $$;

-- An enrolment's coaching budget in half-days. Coaching (0020) replaces it; no rows until then.
CREATE FUNCTION coaching_budget_summary(p_enrolment uuid)
    RETURNS TABLE (ceiling integer, delivered integer, planned integer, remaining integer)
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN;
END $$;

GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
