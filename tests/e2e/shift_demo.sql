-- The demo is the paper's cluster (October 2009 to April 2010). A programme that ended years ago
-- cannot be planned today, so before the end-to-end run the demo's dates move forward by whole
-- weeks (weekdays stay) until the programme starts next week. Run as superuser on the test
-- database only, with the demo cluster's id as :cluster; triggers are bypassed because this
-- rewrites history, which no API may do.
\set ON_ERROR_STOP on
BEGIN;
SET LOCAL search_path = isms, public;
SET LOCAL session_replication_role = replica;
CREATE TEMP TABLE shift ON COMMIT DROP AS
SELECT c.id AS cluster_id,
       7 * ceil(((current_date + 7) - c.start_date) / 7.0)::integer AS days
  FROM clusters c
 WHERE c.id = :'cluster' AND c.target_end_date < current_date;
UPDATE clusters c SET start_date = c.start_date + s.days, target_end_date = c.target_end_date + s.days
  FROM shift s WHERE c.id = s.cluster_id;
UPDATE training_sessions t SET session_date = t.session_date + s.days
  FROM shift s WHERE t.cluster_id = s.cluster_id;
UPDATE coaching_sessions t SET session_date = t.session_date + s.days
  FROM shift s WHERE t.cluster_id = s.cluster_id;
UPDATE gap_analyses g SET onsite_date = g.onsite_date + s.days, analysis_date = g.analysis_date + s.days
  FROM shift s WHERE g.cluster_id = s.cluster_id;
UPDATE enrolments e SET management_commitment_at = e.management_commitment_at + s.days,
       admitted_at = e.admitted_at + s.days * interval '1 day',
       applied_at = e.applied_at + s.days * interval '1 day'
  FROM shift s WHERE e.cluster_id = s.cluster_id;
-- Unavailability of the demo's organisations and staff (one shift: the demo has one cluster).
UPDATE unavailability u SET start_date = u.start_date + s.days, end_date = u.end_date + s.days
  FROM (SELECT max(days) AS days FROM shift) s
 WHERE s.days IS NOT NULL
   AND (u.organisation_id IN (SELECT organisation_id FROM enrolments WHERE cluster_id IN (SELECT cluster_id FROM shift))
        OR u.user_id IN (SELECT user_id FROM cluster_staff WHERE cluster_id IN (SELECT cluster_id FROM shift)));
-- The coach's journey records and finalises the Airport Authority's gap analysis: it starts from
-- none, as before the on-site half-day (the demo has finalised one).
DELETE FROM gap_analysis_items i USING gap_analyses g, organisations o
 WHERE i.gap_analysis_id = g.id AND o.id = g.organisation_id AND g.cluster_id = :'cluster'
   AND o.name = 'Luxembourg Airport Authority';
DELETE FROM gap_analyses g USING organisations o
 WHERE o.id = g.organisation_id AND g.cluster_id = :'cluster' AND o.name = 'Luxembourg Airport Authority';
SELECT count(*) AS clusters_moved, max(days) AS days FROM shift;
COMMIT;
