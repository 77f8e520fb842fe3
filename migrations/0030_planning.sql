-- Planning, part 1: the curriculum (templates and each cluster's copy), planning settings, public
-- holidays (Luxembourg shipped as data), unavailability of organisations and staff, the
-- programme's sessions (training_sessions: trainings for the whole cluster and each organisation's
-- gap analysis), registrations and attendance, calendar feed tokens; the guards that keep anybody
-- from being booked twice across every cluster; and the contract functions module_due_dates()
-- (progress's extension point) and training_attendance() (coaching's).
--
-- Who sees what: a cluster's trainings are shared with everybody in the cluster (staff and
-- members); an organisation's gap analysis, unavailability and registrations with that
-- organisation, its coaches and the cluster's coordinators; a staff member's unavailability with
-- the staff member and the coordinators of the clusters they work in. Coordinators write the
-- programme; organisations declare their unavailability and register their participants.

-- ---------------------------------------------------------------------------------------------
-- Identity helpers (SECURITY DEFINER, owner-only reads)
-- ---------------------------------------------------------------------------------------------
-- Organisations enrolled in a cluster the user coordinates, or whose enrolment the user coaches.
CREATE FUNCTION ctx_planning_orgs() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce(array_agg(DISTINCT organisation_id), '{}') FROM enrolments
          WHERE cluster_id = ANY (ctx_coordinated_clusters()) OR id = ANY (ctx_coached_enrolments()) $$;

-- Staff (trainers, coaches, coordinators) of the clusters the user coordinates.
CREATE FUNCTION ctx_coordinated_staff() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce(array_agg(DISTINCT user_id), '{}') FROM cluster_staff
          WHERE cluster_id = ANY (ctx_coordinated_clusters()) $$;

-- Clusters where the user trains.
CREATE FUNCTION ctx_trained_clusters() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp
    AS $$ SELECT coalesce(array_agg(DISTINCT cluster_id), '{}') FROM cluster_staff
          WHERE user_id = ctx_user() AND role = 'trainer' $$;

-- ---------------------------------------------------------------------------------------------
-- Vocabulary
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION planning_slot_index(p_slot text) RETURNS integer LANGUAGE sql IMMUTABLE
    PARALLEL SAFE AS $$ SELECT CASE p_slot WHEN 'morning' THEN 0 WHEN 'afternoon' THEN 1 END $$;

-- The half-days a session occupies on its day: [0,1) morning, [1,2) afternoon, [0,2) whole day.
CREATE FUNCTION planning_slot_range(p_slot text, p_half_days integer) RETURNS int4range
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT int4range(planning_slot_index(p_slot), planning_slot_index(p_slot) + p_half_days) $$;

-- ---------------------------------------------------------------------------------------------
-- Curriculum
-- ---------------------------------------------------------------------------------------------
-- Reference data shared by every tenant: the method's default curriculum and any other template.
CREATE TABLE curriculum_templates (
    key text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,63}$'),
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    is_default boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX curriculum_templates_one_default ON curriculum_templates (is_default)
    WHERE is_default;

CREATE TABLE curriculum_template_modules (
    template_key text NOT NULL REFERENCES curriculum_templates (key),
    position integer NOT NULL CHECK (position BETWEEN 1 AND 50),
    module_key text NOT NULL CHECK (module_key ~ '^[a-z][a-z0-9_]{0,63}$'),
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('training', 'gap_analysis')),
    half_days integer NOT NULL CHECK (half_days BETWEEN 1 AND 8),
    PRIMARY KEY (template_key, position),
    UNIQUE (template_key, module_key)
);

INSERT INTO curriculum_templates (key, title, is_default)
VALUES ('iso27001_cluster', 'ISO/IEC 27001 cluster programme (the method''s default: 6.5 training days)', true);
INSERT INTO curriculum_template_modules (template_key, position, module_key, title, kind, half_days) VALUES
    ('iso27001_cluster', 1, 'initial_training', 'Initial training: ISO/IEC 27001 and the implementation guide', 'training', 3),
    ('iso27001_cluster', 2, 'gap_analysis', 'Gap analysis', 'gap_analysis', 2),
    ('iso27001_cluster', 3, 'scope_policy_assets', 'Scope, ISMS policy and assets', 'training', 1),
    ('iso27001_cluster', 4, 'risk_assessment', 'Risk assessment', 'training', 1),
    ('iso27001_cluster', 5, 'risk_treatment', 'Risk treatment and treatment plan', 'training', 1),
    ('iso27001_cluster', 6, 'document_management', 'Document management', 'training', 1),
    ('iso27001_cluster', 7, 'security_measures', 'Security policy, security measures and effectiveness', 'training', 2),
    ('iso27001_cluster', 8, 'human_resources', 'Human resources management', 'training', 1),
    ('iso27001_cluster', 9, 'incident_management', 'Incident management and continual improvement', 'training', 1),
    ('iso27001_cluster', 10, 'management_review', 'Management review of the ISMS', 'training', 1),
    ('iso27001_cluster', 11, 'audit', 'Audit', 'training', 1);

-- A cluster's own copy, made the first time its coordinator changes it; until then the cluster
-- follows the default template (planning_modules()).
CREATE TABLE cluster_modules (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL REFERENCES clusters (id),
    position integer NOT NULL CHECK (position BETWEEN 1 AND 50),
    module_key text NOT NULL CHECK (module_key ~ '^[a-z][a-z0-9_]{0,63}$'),
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('training', 'gap_analysis')),
    half_days integer NOT NULL CHECK (half_days BETWEEN 1 AND 8),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (cluster_id, module_key),
    UNIQUE (cluster_id, position)
);

-- Weekdays (ISO: 1 Monday .. 7 Sunday), half-day hours and the usual training location.
CREATE TABLE cluster_planning_settings (
    cluster_id uuid PRIMARY KEY REFERENCES clusters (id),
    weekdays integer[] NOT NULL DEFAULT '{1,2,3,4,5}'
        CHECK (cardinality(weekdays) BETWEEN 1 AND 7 AND weekdays <@ '{1,2,3,4,5,6,7}'),
    morning_start time NOT NULL DEFAULT '09:00',
    morning_end time NOT NULL DEFAULT '12:30',
    afternoon_start time NOT NULL DEFAULT '13:30',
    afternoon_end time NOT NULL DEFAULT '17:00',
    location text CHECK (length(location) <= 300),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid,
    CHECK (morning_start < morning_end AND morning_end <= afternoon_start
           AND afternoon_start < afternoon_end)
);

-- ---------------------------------------------------------------------------------------------
-- Public holidays (reference data)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE public_holidays (
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    day date NOT NULL,
    name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
    PRIMARY KEY (country, day)
);

-- Luxembourg, 2009-2030: the legal public holidays (Europe Day since 2019).
INSERT INTO public_holidays (country, day, name) VALUES
    ('LU', '2009-01-01', 'New Year''s Day'), ('LU', '2009-04-13', 'Easter Monday'), ('LU', '2009-05-01', 'Labour Day'),
    ('LU', '2009-05-21', 'Ascension Day'), ('LU', '2009-06-01', 'Whit Monday'), ('LU', '2009-06-23', 'National Day'),
    ('LU', '2009-08-15', 'Assumption Day'), ('LU', '2009-11-01', 'All Saints'' Day'), ('LU', '2009-12-25', 'Christmas Day'),
    ('LU', '2009-12-26', 'St Stephen''s Day'),
    ('LU', '2010-01-01', 'New Year''s Day'), ('LU', '2010-04-05', 'Easter Monday'), ('LU', '2010-05-01', 'Labour Day'),
    ('LU', '2010-05-13', 'Ascension Day'), ('LU', '2010-05-24', 'Whit Monday'), ('LU', '2010-06-23', 'National Day'),
    ('LU', '2010-08-15', 'Assumption Day'), ('LU', '2010-11-01', 'All Saints'' Day'), ('LU', '2010-12-25', 'Christmas Day'),
    ('LU', '2010-12-26', 'St Stephen''s Day'),
    ('LU', '2011-01-01', 'New Year''s Day'), ('LU', '2011-04-25', 'Easter Monday'), ('LU', '2011-05-01', 'Labour Day'),
    ('LU', '2011-06-02', 'Ascension Day'), ('LU', '2011-06-13', 'Whit Monday'), ('LU', '2011-06-23', 'National Day'),
    ('LU', '2011-08-15', 'Assumption Day'), ('LU', '2011-11-01', 'All Saints'' Day'), ('LU', '2011-12-25', 'Christmas Day'),
    ('LU', '2011-12-26', 'St Stephen''s Day'),
    ('LU', '2012-01-01', 'New Year''s Day'), ('LU', '2012-04-09', 'Easter Monday'), ('LU', '2012-05-01', 'Labour Day'),
    ('LU', '2012-05-17', 'Ascension Day'), ('LU', '2012-05-28', 'Whit Monday'), ('LU', '2012-06-23', 'National Day'),
    ('LU', '2012-08-15', 'Assumption Day'), ('LU', '2012-11-01', 'All Saints'' Day'), ('LU', '2012-12-25', 'Christmas Day'),
    ('LU', '2012-12-26', 'St Stephen''s Day'),
    ('LU', '2013-01-01', 'New Year''s Day'), ('LU', '2013-04-01', 'Easter Monday'), ('LU', '2013-05-01', 'Labour Day'),
    ('LU', '2013-05-09', 'Ascension Day'), ('LU', '2013-05-20', 'Whit Monday'), ('LU', '2013-06-23', 'National Day'),
    ('LU', '2013-08-15', 'Assumption Day'), ('LU', '2013-11-01', 'All Saints'' Day'), ('LU', '2013-12-25', 'Christmas Day'),
    ('LU', '2013-12-26', 'St Stephen''s Day'),
    ('LU', '2014-01-01', 'New Year''s Day'), ('LU', '2014-04-21', 'Easter Monday'), ('LU', '2014-05-01', 'Labour Day'),
    ('LU', '2014-05-29', 'Ascension Day'), ('LU', '2014-06-09', 'Whit Monday'), ('LU', '2014-06-23', 'National Day'),
    ('LU', '2014-08-15', 'Assumption Day'), ('LU', '2014-11-01', 'All Saints'' Day'), ('LU', '2014-12-25', 'Christmas Day'),
    ('LU', '2014-12-26', 'St Stephen''s Day'),
    ('LU', '2015-01-01', 'New Year''s Day'), ('LU', '2015-04-06', 'Easter Monday'), ('LU', '2015-05-01', 'Labour Day'),
    ('LU', '2015-05-14', 'Ascension Day'), ('LU', '2015-05-25', 'Whit Monday'), ('LU', '2015-06-23', 'National Day'),
    ('LU', '2015-08-15', 'Assumption Day'), ('LU', '2015-11-01', 'All Saints'' Day'), ('LU', '2015-12-25', 'Christmas Day'),
    ('LU', '2015-12-26', 'St Stephen''s Day'),
    ('LU', '2016-01-01', 'New Year''s Day'), ('LU', '2016-03-28', 'Easter Monday'), ('LU', '2016-05-01', 'Labour Day'),
    ('LU', '2016-05-05', 'Ascension Day'), ('LU', '2016-05-16', 'Whit Monday'), ('LU', '2016-06-23', 'National Day'),
    ('LU', '2016-08-15', 'Assumption Day'), ('LU', '2016-11-01', 'All Saints'' Day'), ('LU', '2016-12-25', 'Christmas Day'),
    ('LU', '2016-12-26', 'St Stephen''s Day'),
    ('LU', '2017-01-01', 'New Year''s Day'), ('LU', '2017-04-17', 'Easter Monday'), ('LU', '2017-05-01', 'Labour Day'),
    ('LU', '2017-05-25', 'Ascension Day'), ('LU', '2017-06-05', 'Whit Monday'), ('LU', '2017-06-23', 'National Day'),
    ('LU', '2017-08-15', 'Assumption Day'), ('LU', '2017-11-01', 'All Saints'' Day'), ('LU', '2017-12-25', 'Christmas Day'),
    ('LU', '2017-12-26', 'St Stephen''s Day'),
    ('LU', '2018-01-01', 'New Year''s Day'), ('LU', '2018-04-02', 'Easter Monday'), ('LU', '2018-05-01', 'Labour Day'),
    ('LU', '2018-05-10', 'Ascension Day'), ('LU', '2018-05-21', 'Whit Monday'), ('LU', '2018-06-23', 'National Day'),
    ('LU', '2018-08-15', 'Assumption Day'), ('LU', '2018-11-01', 'All Saints'' Day'), ('LU', '2018-12-25', 'Christmas Day'),
    ('LU', '2018-12-26', 'St Stephen''s Day'),
    ('LU', '2019-01-01', 'New Year''s Day'), ('LU', '2019-04-22', 'Easter Monday'), ('LU', '2019-05-01', 'Labour Day'),
    ('LU', '2019-05-09', 'Europe Day'), ('LU', '2019-05-30', 'Ascension Day'), ('LU', '2019-06-10', 'Whit Monday'),
    ('LU', '2019-06-23', 'National Day'), ('LU', '2019-08-15', 'Assumption Day'), ('LU', '2019-11-01', 'All Saints'' Day'),
    ('LU', '2019-12-25', 'Christmas Day'), ('LU', '2019-12-26', 'St Stephen''s Day'),
    ('LU', '2020-01-01', 'New Year''s Day'), ('LU', '2020-04-13', 'Easter Monday'), ('LU', '2020-05-01', 'Labour Day'),
    ('LU', '2020-05-09', 'Europe Day'), ('LU', '2020-05-21', 'Ascension Day'), ('LU', '2020-06-01', 'Whit Monday'),
    ('LU', '2020-06-23', 'National Day'), ('LU', '2020-08-15', 'Assumption Day'), ('LU', '2020-11-01', 'All Saints'' Day'),
    ('LU', '2020-12-25', 'Christmas Day'), ('LU', '2020-12-26', 'St Stephen''s Day'),
    ('LU', '2021-01-01', 'New Year''s Day'), ('LU', '2021-04-05', 'Easter Monday'), ('LU', '2021-05-01', 'Labour Day'),
    ('LU', '2021-05-09', 'Europe Day'), ('LU', '2021-05-13', 'Ascension Day'), ('LU', '2021-05-24', 'Whit Monday'),
    ('LU', '2021-06-23', 'National Day'), ('LU', '2021-08-15', 'Assumption Day'), ('LU', '2021-11-01', 'All Saints'' Day'),
    ('LU', '2021-12-25', 'Christmas Day'), ('LU', '2021-12-26', 'St Stephen''s Day'),
    ('LU', '2022-01-01', 'New Year''s Day'), ('LU', '2022-04-18', 'Easter Monday'), ('LU', '2022-05-01', 'Labour Day'),
    ('LU', '2022-05-09', 'Europe Day'), ('LU', '2022-05-26', 'Ascension Day'), ('LU', '2022-06-06', 'Whit Monday'),
    ('LU', '2022-06-23', 'National Day'), ('LU', '2022-08-15', 'Assumption Day'), ('LU', '2022-11-01', 'All Saints'' Day'),
    ('LU', '2022-12-25', 'Christmas Day'), ('LU', '2022-12-26', 'St Stephen''s Day'),
    ('LU', '2023-01-01', 'New Year''s Day'), ('LU', '2023-04-10', 'Easter Monday'), ('LU', '2023-05-01', 'Labour Day'),
    ('LU', '2023-05-09', 'Europe Day'), ('LU', '2023-05-18', 'Ascension Day'), ('LU', '2023-05-29', 'Whit Monday'),
    ('LU', '2023-06-23', 'National Day'), ('LU', '2023-08-15', 'Assumption Day'), ('LU', '2023-11-01', 'All Saints'' Day'),
    ('LU', '2023-12-25', 'Christmas Day'), ('LU', '2023-12-26', 'St Stephen''s Day'),
    ('LU', '2024-01-01', 'New Year''s Day'), ('LU', '2024-04-01', 'Easter Monday'), ('LU', '2024-05-01', 'Labour Day'),
    ('LU', '2024-05-09', 'Europe Day and Ascension Day'), ('LU', '2024-05-20', 'Whit Monday'), ('LU', '2024-06-23', 'National Day'),
    ('LU', '2024-08-15', 'Assumption Day'), ('LU', '2024-11-01', 'All Saints'' Day'), ('LU', '2024-12-25', 'Christmas Day'),
    ('LU', '2024-12-26', 'St Stephen''s Day'),
    ('LU', '2025-01-01', 'New Year''s Day'), ('LU', '2025-04-21', 'Easter Monday'), ('LU', '2025-05-01', 'Labour Day'),
    ('LU', '2025-05-09', 'Europe Day'), ('LU', '2025-05-29', 'Ascension Day'), ('LU', '2025-06-09', 'Whit Monday'),
    ('LU', '2025-06-23', 'National Day'), ('LU', '2025-08-15', 'Assumption Day'), ('LU', '2025-11-01', 'All Saints'' Day'),
    ('LU', '2025-12-25', 'Christmas Day'), ('LU', '2025-12-26', 'St Stephen''s Day'),
    ('LU', '2026-01-01', 'New Year''s Day'), ('LU', '2026-04-06', 'Easter Monday'), ('LU', '2026-05-01', 'Labour Day'),
    ('LU', '2026-05-09', 'Europe Day'), ('LU', '2026-05-14', 'Ascension Day'), ('LU', '2026-05-25', 'Whit Monday'),
    ('LU', '2026-06-23', 'National Day'), ('LU', '2026-08-15', 'Assumption Day'), ('LU', '2026-11-01', 'All Saints'' Day'),
    ('LU', '2026-12-25', 'Christmas Day'), ('LU', '2026-12-26', 'St Stephen''s Day'),
    ('LU', '2027-01-01', 'New Year''s Day'), ('LU', '2027-03-29', 'Easter Monday'), ('LU', '2027-05-01', 'Labour Day'),
    ('LU', '2027-05-06', 'Ascension Day'), ('LU', '2027-05-09', 'Europe Day'), ('LU', '2027-05-17', 'Whit Monday'),
    ('LU', '2027-06-23', 'National Day'), ('LU', '2027-08-15', 'Assumption Day'), ('LU', '2027-11-01', 'All Saints'' Day'),
    ('LU', '2027-12-25', 'Christmas Day'), ('LU', '2027-12-26', 'St Stephen''s Day'),
    ('LU', '2028-01-01', 'New Year''s Day'), ('LU', '2028-04-17', 'Easter Monday'), ('LU', '2028-05-01', 'Labour Day'),
    ('LU', '2028-05-09', 'Europe Day'), ('LU', '2028-05-25', 'Ascension Day'), ('LU', '2028-06-05', 'Whit Monday'),
    ('LU', '2028-06-23', 'National Day'), ('LU', '2028-08-15', 'Assumption Day'), ('LU', '2028-11-01', 'All Saints'' Day'),
    ('LU', '2028-12-25', 'Christmas Day'), ('LU', '2028-12-26', 'St Stephen''s Day'),
    ('LU', '2029-01-01', 'New Year''s Day'), ('LU', '2029-04-02', 'Easter Monday'), ('LU', '2029-05-01', 'Labour Day'),
    ('LU', '2029-05-09', 'Europe Day'), ('LU', '2029-05-10', 'Ascension Day'), ('LU', '2029-05-21', 'Whit Monday'),
    ('LU', '2029-06-23', 'National Day'), ('LU', '2029-08-15', 'Assumption Day'), ('LU', '2029-11-01', 'All Saints'' Day'),
    ('LU', '2029-12-25', 'Christmas Day'), ('LU', '2029-12-26', 'St Stephen''s Day'),
    ('LU', '2030-01-01', 'New Year''s Day'), ('LU', '2030-04-22', 'Easter Monday'), ('LU', '2030-05-01', 'Labour Day'),
    ('LU', '2030-05-09', 'Europe Day'), ('LU', '2030-05-30', 'Ascension Day'), ('LU', '2030-06-10', 'Whit Monday'),
    ('LU', '2030-06-23', 'National Day'), ('LU', '2030-08-15', 'Assumption Day'), ('LU', '2030-11-01', 'All Saints'' Day'),
    ('LU', '2030-12-25', 'Christmas Day'), ('LU', '2030-12-26', 'St Stephen''s Day');

-- ---------------------------------------------------------------------------------------------
-- Unavailability
-- ---------------------------------------------------------------------------------------------
-- A period when an organisation (user_id NULL) or one person (user_id set; organisation_id is the
-- person's own organisation) cannot take part in a session. Both ends inclusive, to the half-day.
CREATE TABLE unavailability (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organisation_id uuid NOT NULL REFERENCES organisations (id),
    user_id uuid,
    start_date date NOT NULL,
    start_slot text NOT NULL DEFAULT 'morning' CHECK (start_slot IN ('morning', 'afternoon')),
    end_date date NOT NULL,
    end_slot text NOT NULL DEFAULT 'afternoon' CHECK (end_slot IN ('morning', 'afternoon')),
    reason text CHECK (length(reason) <= 500),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (end_date > start_date OR (end_date = start_date
                                     AND NOT (start_slot = 'afternoon' AND end_slot = 'morning'))),
    CHECK (end_date - start_date <= 366),
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id)
);
CREATE INDEX unavailability_org ON unavailability (organisation_id, start_date) WHERE user_id IS NULL;
CREATE INDEX unavailability_user ON unavailability (user_id, start_date) WHERE user_id IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- The programme's sessions
-- ---------------------------------------------------------------------------------------------
-- A training (kind 'training', the whole cluster, a trainer) or one half-day of an organisation's
-- gap analysis (kind 'gap_analysis', part 1 on site with the organisation, the others the coach's
-- analysis). A module of several half-days has several parts. `sequence` is the iCalendar SEQUENCE
-- (it grows with every change a calendar shows); `version` grows with every change at all.
CREATE TABLE training_sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL REFERENCES clusters (id),
    kind text NOT NULL DEFAULT 'training' CHECK (kind IN ('training', 'gap_analysis')),
    module_key text NOT NULL CHECK (module_key ~ '^[a-z][a-z0-9_]{0,63}$'),
    part integer NOT NULL DEFAULT 1 CHECK (part BETWEEN 1 AND 8),
    organisation_id uuid,
    enrolment_id uuid,
    session_date date NOT NULL,
    slot text NOT NULL CHECK (slot IN ('morning', 'afternoon')),
    half_days integer NOT NULL CHECK (half_days IN (1, 2)),
    status text NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'confirmed', 'done', 'cancelled')),
    trainer_user_id uuid REFERENCES users (id),
    coach_user_id uuid REFERENCES users (id),
    location text CHECK (length(location) <= 300),
    notes text CHECK (length(notes) <= 5000),
    cancel_reason text CHECK (length(cancel_reason) <= 500),
    sequence integer NOT NULL DEFAULT 0,
    version integer NOT NULL DEFAULT 1,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    done_at timestamptz,
    cancelled_at timestamptz,
    CHECK (half_days = 1 OR slot = 'morning'),
    CHECK ((kind = 'training') = (organisation_id IS NULL)),
    CHECK ((organisation_id IS NULL) = (enrolment_id IS NULL)),
    CHECK (kind = 'training' OR coach_user_id IS NOT NULL),
    UNIQUE (cluster_id, id),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id)
);
CREATE INDEX training_sessions_cluster ON training_sessions (cluster_id, session_date);
CREATE INDEX training_sessions_day ON training_sessions (session_date) WHERE status <> 'cancelled';
CREATE INDEX training_sessions_trainer ON training_sessions (trainer_user_id, session_date);
CREATE INDEX training_sessions_coach ON training_sessions (coach_user_id, session_date);
CREATE INDEX training_sessions_org ON training_sessions (organisation_id, session_date);
-- One live session per module part (and organisation, for gap analyses).
CREATE UNIQUE INDEX training_sessions_live_part ON training_sessions
    (cluster_id, module_key, part, coalesce(enrolment_id, '00000000-0000-0000-0000-000000000000'))
    WHERE status <> 'cancelled';

-- Participants an organisation registers for a training, and whether they attended.
CREATE TABLE training_registrations (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL,
    organisation_id uuid NOT NULL,
    enrolment_id uuid NOT NULL,
    training_session_id uuid NOT NULL,
    participant_user_id uuid,
    participant_name text NOT NULL CHECK (length(btrim(participant_name)) BETWEEN 1 AND 200),
    attended boolean,
    attendance_recorded_at timestamptz,
    attendance_recorded_by uuid,
    registered_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (cluster_id, organisation_id, enrolment_id)
        REFERENCES enrolments (cluster_id, organisation_id, id),
    FOREIGN KEY (cluster_id, training_session_id) REFERENCES training_sessions (cluster_id, id),
    FOREIGN KEY (organisation_id, participant_user_id) REFERENCES users (organisation_id, id)
);
CREATE UNIQUE INDEX training_registrations_person ON training_registrations
    (training_session_id, organisation_id, lower(btrim(participant_name)));
CREATE INDEX training_registrations_enrolment ON training_registrations (enrolment_id);

-- ---------------------------------------------------------------------------------------------
-- Calendar feeds: a read-only token in the URL (calendar clients cannot send headers). Only the
-- token's SHA-256 is stored; revoking sets revoked_at.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE calendar_feeds (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    token_hash text NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    scope text NOT NULL CHECK (scope IN ('cluster', 'organisation', 'staff')),
    cluster_id uuid REFERENCES clusters (id),
    organisation_id uuid NOT NULL REFERENCES organisations (id), -- the owner's organisation
    user_id uuid NOT NULL,                                       -- the owner
    label text CHECK (length(label) <= 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    CHECK ((scope = 'cluster') = (cluster_id IS NOT NULL)),
    FOREIGN KEY (organisation_id, user_id) REFERENCES users (organisation_id, id)
);
CREATE INDEX calendar_feeds_user ON calendar_feeds (user_id);

-- ---------------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------------
ALTER TABLE cluster_modules ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE cluster_planning_settings ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE unavailability ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE training_sessions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE training_registrations ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE calendar_feeds ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

-- The owner runs the planner's input loader, the booking guards and the feeds.
CREATE POLICY owner_all ON cluster_modules TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON cluster_planning_settings TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON unavailability TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON training_sessions TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON training_registrations TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY owner_all ON calendar_feeds TO isms_owner USING (true) WITH CHECK (true);

-- The curriculum copy and settings: everybody in the cluster reads, coordinators write.
CREATE POLICY app_select ON cluster_modules FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_staff_clusters())::uuid[])
           OR cluster_id = ANY ((SELECT ctx_member_clusters())::uuid[]));
CREATE POLICY app_write ON cluster_modules TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_select ON cluster_planning_settings FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_staff_clusters())::uuid[])
           OR cluster_id = ANY ((SELECT ctx_member_clusters())::uuid[]));
CREATE POLICY app_write ON cluster_planning_settings TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

-- Unavailability: one's own organisation's; the organisations one coordinates or coaches; the
-- staff of the clusters one coordinates. Written by the organisation (for itself or for the
-- person writing) or by a coordinator for the organisations and staff of their clusters.
CREATE POLICY app_select ON unavailability FOR SELECT TO isms_app
    USING (organisation_id = ctx_org()
           OR (user_id IS NULL AND organisation_id = ANY ((SELECT ctx_planning_orgs())::uuid[]))
           OR user_id = ANY ((SELECT ctx_coordinated_staff())::uuid[]));
CREATE POLICY app_insert ON unavailability FOR INSERT TO isms_app
    WITH CHECK ((organisation_id = ctx_org() AND (user_id IS NULL OR user_id = ctx_user()))
                OR (user_id IS NULL AND organisation_id IN (
                        SELECT e.organisation_id FROM enrolments e
                         WHERE e.cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])))
                OR user_id = ANY ((SELECT ctx_coordinated_staff())::uuid[]));
CREATE POLICY app_delete ON unavailability FOR DELETE TO isms_app
    USING ((organisation_id = ctx_org() AND (user_id IS NULL OR user_id = ctx_user()))
           OR (user_id IS NULL AND organisation_id IN (
                   SELECT e.organisation_id FROM enrolments e
                    WHERE e.cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])))
           OR user_id = ANY ((SELECT ctx_coordinated_staff())::uuid[]));

-- Sessions: trainings are shared with the whole cluster; a gap analysis with its organisation,
-- its coaches and the coordinators. Coordinators write.
CREATE POLICY app_select ON training_sessions FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR (organisation_id IS NULL
               AND (cluster_id = ANY ((SELECT ctx_staff_clusters())::uuid[])
                    OR cluster_id = ANY ((SELECT ctx_member_clusters())::uuid[])))
           OR organisation_id = ctx_org()
           OR enrolment_id = ANY ((SELECT ctx_coached_enrolments())::uuid[]));
CREATE POLICY app_insert ON training_sessions FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_update ON training_sessions FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

-- Registrations: the organisation, the cluster's coordinators and trainers.
CREATE POLICY app_select ON training_registrations FOR SELECT TO isms_app
    USING (organisation_id = ctx_org()
           OR cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR cluster_id = ANY ((SELECT ctx_trained_clusters())::uuid[]));
CREATE POLICY app_insert ON training_registrations FOR INSERT TO isms_app
    WITH CHECK (organisation_id = ctx_org()
                OR cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_delete ON training_registrations FOR DELETE TO isms_app
    USING (organisation_id = ctx_org()
           OR cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
-- Presence is recorded by the coordinators and trainers.
CREATE POLICY app_update ON training_registrations FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR cluster_id = ANY ((SELECT ctx_trained_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
                OR cluster_id = ANY ((SELECT ctx_trained_clusters())::uuid[]));

-- Feeds belong to the person who made them.
CREATE POLICY app_own ON calendar_feeds TO isms_app
    USING (user_id = ctx_user()) WITH CHECK (user_id = ctx_user() AND organisation_id = ctx_org());

-- ---------------------------------------------------------------------------------------------
-- Session life cycle: planned -> confirmed -> done, planned | confirmed -> cancelled. The
-- identity of a session never changes; a done or cancelled one no longer moves.
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION training_sessions_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.id, NEW.cluster_id, NEW.kind, NEW.module_key, NEW.part, NEW.organisation_id,
        NEW.enrolment_id, NEW.created_at) IS DISTINCT FROM (OLD.id, OLD.cluster_id, OLD.kind,
        OLD.module_key, OLD.part, OLD.organisation_id, OLD.enrolment_id, OLD.created_at) THEN
        RAISE EXCEPTION 'a training session''s identity cannot change';
    END IF;
    IF NEW.status <> OLD.status AND NOT (
        (OLD.status = 'planned' AND NEW.status IN ('confirmed', 'cancelled'))
        OR (OLD.status = 'confirmed' AND NEW.status IN ('done', 'cancelled'))) THEN
        PERFORM raise_error('409', 'invalid_transition', format(
            'a %s session cannot become %s%s', OLD.status, NEW.status,
            CASE WHEN OLD.status = 'planned' AND NEW.status = 'done'
                 THEN ': confirm it first' ELSE '' END));
    END IF;
    IF OLD.status IN ('done', 'cancelled')
       AND (NEW.session_date, NEW.slot, NEW.half_days, NEW.trainer_user_id, NEW.coach_user_id)
           IS DISTINCT FROM (OLD.session_date, OLD.slot, OLD.half_days, OLD.trainer_user_id,
                             OLD.coach_user_id) THEN
        PERFORM raise_error('409', 'session_closed',
                            format('a %s session cannot be moved', OLD.status));
    END IF;
    IF (NEW.session_date, NEW.slot, NEW.half_days, NEW.status, NEW.trainer_user_id,
        NEW.coach_user_id, NEW.location) IS DISTINCT FROM (OLD.session_date, OLD.slot,
        OLD.half_days, OLD.status, OLD.trainer_user_id, OLD.coach_user_id, OLD.location) THEN
        NEW.sequence := OLD.sequence + 1;
    END IF;
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    NEW.confirmed_at := CASE WHEN NEW.status = 'confirmed' AND OLD.status <> 'confirmed' THEN now()
                             ELSE NEW.confirmed_at END;
    NEW.done_at := CASE WHEN NEW.status = 'done' AND OLD.status <> 'done' THEN now() ELSE NEW.done_at END;
    NEW.cancelled_at := CASE WHEN NEW.status = 'cancelled' AND OLD.status <> 'cancelled' THEN now()
                             ELSE NEW.cancelled_at END;
    RETURN NEW;
END $$;
CREATE TRIGGER training_sessions_touch BEFORE UPDATE ON training_sessions
    FOR EACH ROW EXECUTE FUNCTION training_sessions_touch();

-- ---------------------------------------------------------------------------------------------
-- Nobody in two places at once, across every cluster. Checked at commit (a plan moves several
-- sessions at once), against trainings, gap analyses and coaching sessions. Reads every cluster
-- and names another cluster's booking only as "in another cluster".
-- ---------------------------------------------------------------------------------------------
-- Serialises writers that book the same people or organisations (in a fixed order, so that two
-- writers cannot wait for each other): whoever checks second sees what the first committed.
CREATE FUNCTION planning_lock_resources(p_ids uuid[]) RETURNS void LANGUAGE sql AS $$
    SELECT count(pg_advisory_xact_lock(3031, hashtext(x::text)))::integer
      FROM (SELECT DISTINCT x FROM unnest(p_ids) AS x WHERE x IS NOT NULL ORDER BY x) AS ids
$$;

CREATE FUNCTION planning_first_conflict(p_cluster uuid, p_training uuid, p_coaching uuid,
                                        p_date date, p_slot text, p_half_days integer,
                                        p_people uuid[], p_orgs uuid[]) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_range int4range := planning_slot_range(p_slot, p_half_days);
    v_who text;
    v_other uuid;
BEGIN
    SELECT coalesce(u.display_name, o.name), t.cluster_id INTO v_who, v_other
      FROM training_sessions t
      LEFT JOIN users u ON u.id = ANY (p_people) AND u.id IN (t.trainer_user_id, t.coach_user_id)
      LEFT JOIN organisations o ON o.id = ANY (p_orgs)
           AND (o.id = t.organisation_id AND t.part = 1
                OR (t.kind = 'training' AND EXISTS (
                        SELECT 1 FROM enrolments e WHERE e.cluster_id = t.cluster_id
                           AND e.organisation_id = o.id AND e.status = 'admitted')))
     WHERE t.session_date = p_date AND t.status <> 'cancelled' AND t.id IS DISTINCT FROM p_training
       AND planning_slot_range(t.slot, t.half_days) && v_range
       AND (u.id IS NOT NULL OR o.id IS NOT NULL)
     ORDER BY t.id LIMIT 1;
    IF v_who IS NULL THEN
        SELECT coalesce(u.display_name, o.name), s.cluster_id INTO v_who, v_other
          FROM coaching_sessions s
          LEFT JOIN users u ON u.id = ANY (p_people) AND u.id = s.coach_user_id
          LEFT JOIN organisations o ON o.id = ANY (p_orgs) AND o.id = s.organisation_id
         WHERE s.session_date = p_date AND s.status <> 'cancelled'
           AND s.id IS DISTINCT FROM p_coaching
           AND planning_slot_range(s.slot, s.half_days) && v_range
           AND (u.id IS NOT NULL OR o.id IS NOT NULL)
         ORDER BY s.id LIMIT 1;
    END IF;
    IF v_who IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN format('%s already has a session %s on %s %s', v_who,
                  CASE WHEN v_other = p_cluster THEN 'in this cluster' ELSE 'in another cluster' END,
                  p_date, CASE WHEN p_half_days = 2 THEN 'all day' ELSE p_slot END);
END $$;

-- People and organisations a session occupies.
CREATE FUNCTION planning_session_people(t training_sessions) RETURNS uuid[]
    LANGUAGE sql STABLE AS $$
    SELECT array_remove(ARRAY[t.trainer_user_id, t.coach_user_id], NULL)
$$;

CREATE FUNCTION planning_session_orgs(t training_sessions) RETURNS uuid[]
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT CASE WHEN t.kind = 'training'
                THEN (SELECT coalesce(array_agg(e.organisation_id), '{}') FROM enrolments e
                       WHERE e.cluster_id = t.cluster_id AND e.status = 'admitted')
                WHEN t.part = 1 THEN ARRAY[t.organisation_id]
                ELSE '{}'::uuid[] END
$$;

CREATE FUNCTION training_sessions_no_double_booking() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    t training_sessions;
    v_conflict text;
BEGIN
    SELECT * INTO t FROM training_sessions WHERE id = NEW.id;
    IF t.id IS NULL OR t.status = 'cancelled' THEN
        RETURN NULL;
    END IF;
    PERFORM planning_lock_resources(planning_session_people(t) || planning_session_orgs(t));
    v_conflict := planning_first_conflict(t.cluster_id, t.id, NULL, t.session_date, t.slot,
                                          t.half_days, planning_session_people(t),
                                          planning_session_orgs(t));
    IF v_conflict IS NOT NULL THEN
        PERFORM raise_error('409', 'double_booked', v_conflict);
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER training_sessions_no_double_booking
    AFTER INSERT OR UPDATE OF session_date, slot, half_days, status, trainer_user_id, coach_user_id
    ON training_sessions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION training_sessions_no_double_booking();

-- Coaching (the coaching service's ledger) must not collide with a training or gap analysis of
-- the same coach or organisation either; coaching against coaching is coaching's own check.
CREATE FUNCTION coaching_sessions_no_training_overlap() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    s coaching_sessions;
    v_range int4range;
    v_who text;
BEGIN
    SELECT * INTO s FROM coaching_sessions WHERE id = NEW.id;
    IF s.id IS NULL OR s.status = 'cancelled' THEN
        RETURN NULL;
    END IF;
    PERFORM planning_lock_resources(ARRAY[s.coach_user_id, s.organisation_id]);
    v_range := planning_slot_range(s.slot, s.half_days);
    SELECT CASE WHEN t.trainer_user_id = s.coach_user_id OR t.coach_user_id = s.coach_user_id
                THEN (SELECT display_name FROM users WHERE id = s.coach_user_id)
                ELSE (SELECT name FROM organisations WHERE id = s.organisation_id) END
      INTO v_who
      FROM training_sessions t
     WHERE t.session_date = s.session_date AND t.status <> 'cancelled'
       AND planning_slot_range(t.slot, t.half_days) && v_range
       AND (s.coach_user_id IN (t.trainer_user_id, t.coach_user_id)
            OR s.organisation_id = ANY (planning_session_orgs(t)))
     ORDER BY t.id LIMIT 1;
    IF v_who IS NOT NULL THEN
        PERFORM raise_error('409', 'double_booked', format(
            '%s has a training or gap analysis on %s %s', v_who, s.session_date,
            CASE WHEN s.half_days = 2 THEN 'all day' ELSE s.slot END));
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER coaching_sessions_no_training_overlap
    AFTER INSERT OR UPDATE OF session_date, slot, half_days, status, coach_user_id
    ON coaching_sessions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION coaching_sessions_no_training_overlap();

-- An organisation that withdraws no longer takes part: its gap-analysis sessions still to come
-- are cancelled (its coaching is cancelled by the coaching service).
CREATE FUNCTION planning_cancel_on_withdrawal() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    UPDATE training_sessions SET status = 'cancelled',
           cancel_reason = 'the organisation withdrew from the cluster'
     WHERE enrolment_id = NEW.id AND status IN ('planned', 'confirmed');
    RETURN NULL;
END $$;
CREATE TRIGGER planning_cancel_on_withdrawal AFTER UPDATE OF status ON enrolments
    FOR EACH ROW WHEN (NEW.status = 'withdrawn' AND OLD.status IS DISTINCT FROM 'withdrawn')
    EXECUTE FUNCTION planning_cancel_on_withdrawal();

-- ---------------------------------------------------------------------------------------------
-- The curriculum a cluster follows, and its settings with their defaults
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION planning_modules(p_cluster uuid)
    RETURNS TABLE (pos integer, module_key text, title text, kind text, half_days integer,
                   customised boolean)
    LANGUAGE sql STABLE AS $$
    SELECT m.position, m.module_key, m.title, m.kind, m.half_days, true
      FROM cluster_modules m WHERE m.cluster_id = p_cluster
    UNION ALL
    SELECT tm.position, tm.module_key, tm.title, tm.kind, tm.half_days, false
      FROM curriculum_template_modules tm
      JOIN curriculum_templates t ON t.key = tm.template_key AND t.is_default
     WHERE NOT EXISTS (SELECT 1 FROM cluster_modules m WHERE m.cluster_id = p_cluster)
    ORDER BY 1
$$;

CREATE FUNCTION planning_settings(p_cluster uuid) RETURNS cluster_planning_settings
    LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT s FROM cluster_planning_settings s WHERE s.cluster_id = p_cluster),
                    ROW(p_cluster, '{1,2,3,4,5}', '09:00', '12:30', '13:30', '17:00', NULL,
                        now(), NULL)::cluster_planning_settings)
$$;

-- The title of a module in a cluster (a removed module keeps its key as title).
CREATE FUNCTION planning_module_title(p_cluster uuid, p_key text) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT m.title FROM planning_modules(p_cluster) m WHERE m.module_key = p_key),
                    (SELECT tm.title FROM curriculum_template_modules tm WHERE tm.module_key = p_key
                      ORDER BY tm.template_key LIMIT 1), p_key)
$$;

-- ---------------------------------------------------------------------------------------------
-- Contract functions
-- ---------------------------------------------------------------------------------------------
-- Progress's extension point: a module's deliverables are due at the next training after it (the
-- last module's at the target end date, or a cycle after its session when that is later).
CREATE OR REPLACE FUNCTION module_due_dates(p_cluster uuid)
    RETURNS TABLE (module_key text, due_date date) LANGUAGE plpgsql STABLE
    SET search_path = isms, pg_temp AS $$
BEGIN
    RETURN QUERY
    WITH m AS (SELECT pm.pos, pm.module_key, pm.kind FROM planning_modules(p_cluster) pm),
         s AS (SELECT t.module_key, min(t.session_date) AS first_day, max(t.session_date) AS last_day
                 FROM training_sessions t
                WHERE t.cluster_id = p_cluster AND t.status <> 'cancelled'
                GROUP BY t.module_key),
         ms AS (SELECT m.pos, m.module_key, m.kind, s.first_day, s.last_day
                  FROM m JOIN s ON s.module_key = m.module_key)
    SELECT ms.module_key,
           coalesce((SELECT min(n.first_day) FROM ms n
                      WHERE n.kind = 'training' AND n.pos > ms.pos
                        AND n.first_day > ms.last_day),
                    greatest(c.target_end_date, ms.last_day + 7 * c.cycle_weeks_min))
      FROM ms CROSS JOIN clusters c
     WHERE c.id = p_cluster
     ORDER BY ms.pos;
END $$;

-- Coaching's extension point: per enrolment, the training half-days its people attended and
-- those it registered for (training sessions that are not cancelled).
CREATE OR REPLACE FUNCTION training_attendance(p_cluster uuid)
    RETURNS TABLE (enrolment_id uuid, attended_half_days numeric, planned_half_days numeric)
    LANGUAGE plpgsql STABLE SET search_path = isms, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT e.id,
           coalesce((SELECT sum(t.half_days) FROM training_sessions t
                      WHERE t.cluster_id = p_cluster AND t.kind = 'training'
                        AND t.status <> 'cancelled'
                        AND EXISTS (SELECT 1 FROM training_registrations r
                                     WHERE r.training_session_id = t.id AND r.enrolment_id = e.id
                                       AND r.attended)), 0)::numeric,
           coalesce((SELECT sum(t.half_days) FROM training_sessions t
                      WHERE t.cluster_id = p_cluster AND t.kind = 'training'
                        AND t.status <> 'cancelled'
                        AND EXISTS (SELECT 1 FROM training_registrations r
                                     WHERE r.training_session_id = t.id
                                       AND r.enrolment_id = e.id)), 0)::numeric
      FROM enrolments e
     WHERE e.cluster_id = p_cluster;
END $$;

GRANT SELECT ON curriculum_templates, curriculum_template_modules, public_holidays TO isms_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON cluster_modules, cluster_planning_settings TO isms_app;
GRANT SELECT, INSERT, DELETE ON unavailability TO isms_app;
GRANT SELECT, INSERT, UPDATE ON training_sessions TO isms_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON training_registrations TO isms_app;
GRANT SELECT, INSERT, UPDATE ON calendar_feeds TO isms_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
