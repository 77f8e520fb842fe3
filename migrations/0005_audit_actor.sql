-- Everyone sees the audit events of their own actions, including those that belong to no cluster
-- (a coordinator creating an organisation or inviting its staff before enrolling it). Anonymous
-- actions (feedback posts) record no user, so this reveals nothing about them.
DROP POLICY app_select ON audit_events;
CREATE POLICY app_select ON audit_events FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])
           OR organisation_id = ctx_org()
           OR user_id = ctx_user());

-- An organisation's trail: its own staff read it, and so do the coordinators who manage the
-- organisation (they see the events the policy above lets them see).
CREATE OR REPLACE FUNCTION api_audit_organisation(p_org uuid, p_limit integer, p_cursor text)
    RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_org IS DISTINCT FROM ctx_org() AND NOT p_org = ANY (ctx_managed_orgs()) THEN
        IF EXISTS (SELECT 1 FROM organisations WHERE id = p_org) THEN
            PERFORM raise_error('403', 'forbidden', 'only the organisation and its coordinators read its events');
        END IF;
        PERFORM raise_not_found();
    END IF;
    RETURN audit_page(NULL, p_org, p_limit, p_cursor);
END $$;
