-- Least privilege for cluster staff: coaching rates are for the cluster's coordinators and
-- coaches, not its trainers.
CREATE OR REPLACE FUNCTION api_coaching_rate_list(p_cluster uuid) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster) THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT (ctx_cluster_roles(p_cluster) && ARRAY['coordinator', 'coach']) THEN
        PERFORM raise_error('403', 'forbidden', 'coaching rates are for the cluster''s coordinators and coaches');
    END IF;
    RETURN json_build_object('items', coalesce((SELECT json_agg(coaching_rate_json(r) ORDER BY r.id)
                                                 FROM coaching_rates r WHERE r.cluster_id = p_cluster), '[]'));
END $$;
