-- Organisation names are unique per creating organisation (and among coordinating organisations,
-- which nobody created), not across the whole installation: a coordinator whose name is refused
-- learns nothing about the organisations of other coordinators.
DROP INDEX organisations_name_key;
CREATE UNIQUE INDEX organisations_name_key
    ON organisations (created_by_organisation_id, lower(name)) NULLS NOT DISTINCT;
