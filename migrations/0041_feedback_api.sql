-- Feedback boards, part 2: what readers see (posts and boards rendered for the caller) and one
-- function per endpoint. The functions are SECURITY INVOKER: row-level security (0040) decides what
-- the caller reads and writes; the SECURITY DEFINER helpers of 0040 do what needs the board keys.
-- Another organisation's post answers exactly like a missing one wherever the caller would act on
-- it as its author (edit, delete).

-- ---------------------------------------------------------------------------------------------
-- Posts as the caller sees them
-- ---------------------------------------------------------------------------------------------
CREATE TYPE feedback_post_view AS (
    id uuid,
    cluster_id uuid,
    board_id uuid,
    is_mine boolean,
    status text,
    text text,
    batch integer,
    released_on date,
    rank integer,
    me_too integer,
    me_too_mine boolean,
    hidden boolean,
    hidden_reason text,
    edit_pending boolean
);

-- The posts of a board (or one post) that the caller can see: its own (with its pending edit, not
-- after it deleted them), and the released ones (hidden ones for coordinators only). Other
-- organisations' posts carry only what was published at the last tick.
CREATE FUNCTION feedback_posts_for(p_board uuid, p_post uuid) RETURNS SETOF feedback_post_view
    LANGUAGE sql STABLE AS $$
    SELECT p.id, p.cluster_id, p.board_id, m.mine,
           CASE WHEN p.batch IS NULL THEN 'waiting' ELSE 'released' END,
           CASE WHEN m.mine THEN coalesce(c.body, p.body) ELSE p.body END,
           p.batch, p.released_on, p.rank, p.me_too, p.id = ANY (r.ids), p.hidden,
           p.hidden_reason, m.mine AND c.post_id IS NOT NULL
      FROM feedback_posts p
     CROSS JOIN (SELECT feedback_my_post_ids() AS ids) AS own
     CROSS JOIN (SELECT feedback_my_reactions() AS ids) AS r
     CROSS JOIN LATERAL (SELECT p.id = ANY (own.ids) AS mine) AS m
      LEFT JOIN feedback_post_changes c ON c.post_id = p.id
     WHERE (p_board IS NULL OR p.board_id = p_board) AND (p_post IS NULL OR p.id = p_post)
       AND CASE WHEN m.mine THEN NOT coalesce(c.withdraw, false)
                ELSE p.batch IS NOT NULL
                     AND (NOT p.hidden OR p.cluster_id = ANY (ctx_coordinated_clusters())) END
$$;

-- A post for the caller. Nothing in it depends on who wrote it except `is_mine` (and, for the
-- author only, the unpublished edit and its `edit_pending` flag).
CREATE FUNCTION feedback_post_json(v feedback_post_view) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', v.id, 'board_id', v.board_id, 'status', v.status,
        'is_mine', v.is_mine, 'text', v.text, 'batch', v.batch, 'released_on', v.released_on,
        'me_too', v.me_too, 'me_too_mine', v.me_too_mine, 'hidden', v.hidden,
        'hidden_reason', v.hidden_reason, 'edit_pending', v.edit_pending)
$$;

CREATE FUNCTION feedback_post_answer(p_post uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT feedback_post_json(v) FROM feedback_posts_for(NULL, p_post) v
$$;

-- ---------------------------------------------------------------------------------------------
-- Boards as the caller sees them
-- ---------------------------------------------------------------------------------------------
-- What the caller can infer about authorship on this board, said plainly.
CREATE FUNCTION feedback_anonymity_json(p_cluster uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('release_threshold', k, 'member_organisations', n,
        'possible_authors', candidates,
        'threshold_reachable', n >= k,
        'others_attributable', n >= k AND candidates <= 1,
        'statement', CASE
            WHEN n < k THEN format('The release threshold (%s organisations) is above the number '
                'of member organisations (%s): no post on this board can be released to others.', k, n)
            WHEN candidates <= 1 THEN format('This cluster has %s member organisations and releases '
                'posts once %s of them have posted: every released post that is not marked is_mine '
                'was written by the other organisation.', n, k)
            ELSE format('Posts are released in batches, each only once at least %s organisations '
                'have posted in it; a released post that is not yours was written by one of %s '
                'organisations, and nothing in this service tells which.', k, candidates) END)
      FROM (SELECT c.feedback_release_threshold AS k, cluster_admitted_count(c.id) AS n,
                   cluster_admitted_count(c.id)
                   - (c.id = ANY (feedback_member_clusters()))::integer AS candidates
              FROM clusters c WHERE c.id = p_cluster) AS a
$$;

CREATE FUNCTION feedback_board_json(b feedback_boards) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', b.id, 'cluster_id', b.cluster_id,
        'training_session_id', b.training_session_id, 'title', b.title, 'prompt', b.prompt,
        'state', b.state, 'release_interval_minutes', b.release_interval_minutes,
        'next_release_at', CASE WHEN b.state = 'open' THEN b.next_release_at END,
        'waiting_posts', b.waiting_posts, 'batches', b.batches, 'last_event_id', b.last_event_id,
        'statistics', CASE WHEN b.batches = 0 THEN json_build_object('suppressed', true,
                'released_posts', NULL, 'me_too_total', NULL)
            ELSE (SELECT json_build_object('suppressed', false, 'released_posts', count(*),
                         'me_too_total', coalesce(sum(me_too), 0))
                    FROM feedback_posts p
                   WHERE p.board_id = b.id AND p.batch IS NOT NULL AND NOT p.hidden) END,
        'anonymity', feedback_anonymity_json(b.cluster_id),
        'can_post', b.state = 'open' AND b.cluster_id = ANY (feedback_poster_clusters()),
        'can_moderate', b.cluster_id = ANY (ctx_coordinated_clusters()),
        'created_at', b.created_at, 'closed_at', b.closed_at)
$$;

CREATE FUNCTION feedback_board_answer(p_board uuid) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT feedback_board_json(b) FROM feedback_boards b WHERE b.id = p_board
$$;

-- The board if the caller coordinates its cluster; 404 when it cannot see it, 403 when it can.
CREATE FUNCTION feedback_require_moderator(p_board uuid) RETURNS uuid LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_cluster uuid;
BEGIN
    SELECT cluster_id INTO v_cluster FROM feedback_boards WHERE id = p_board;
    IF v_cluster IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT v_cluster = ANY (ctx_coordinated_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'only the cluster''s coordinators can do this');
    END IF;
    RETURN v_cluster;
END $$;

CREATE FUNCTION feedback_require_text(p_text text) RETURNS void LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF btrim(p_text, E' \t\r\n') = '' THEN
        PERFORM raise_error('400', 'invalid_body', 'text must not be blank');
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Coordinator-side SECURITY DEFINER steps (each checks that its caller coordinates the cluster)
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION feedback_board_changed(p_board uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM feedback_boards WHERE id = p_board
                      AND cluster_id = ANY (ctx_coordinated_clusters())) THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM feedback_emit(p_board, '{}', true);
END $$;

CREATE FUNCTION feedback_post_moderated(p_post uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_board uuid;
BEGIN
    SELECT board_id INTO v_board FROM feedback_posts
     WHERE id = p_post AND batch IS NOT NULL AND cluster_id = ANY (ctx_coordinated_clusters());
    IF v_board IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM feedback_emit(v_board, ARRAY[p_post], true);
END $$;

CREATE FUNCTION feedback_board_reopen(p_board uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    UPDATE feedback_boards SET state = 'open', closed_at = NULL,
           next_release_at = now() + make_interval(mins => release_interval_minutes)
     WHERE id = p_board AND state = 'closed' AND cluster_id = ANY (ctx_coordinated_clusters());
    IF FOUND THEN
        PERFORM feedback_emit(p_board, '{}', true);
    END IF;
END $$;

-- Sets or clears the calling organisation's "me too" on a released post of another organisation.
CREATE FUNCTION feedback_me_too_set(p_post uuid, p_on boolean) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    p record;
    v_tag bytea;
BEGIN
    SELECT fp.cluster_id, fp.board_id, fp.author_tag, k.inner_pad, k.outer_pad INTO p
      FROM feedback_posts fp JOIN feedback_board_keys k ON k.board_id = fp.board_id
     WHERE fp.id = p_post AND fp.batch IS NOT NULL AND NOT fp.hidden
       AND fp.cluster_id = ANY (feedback_poster_clusters());
    IF p.board_id IS NULL
       OR p.author_tag = feedback_tag(p.inner_pad, p.outer_pad, 'author', ctx_org()) THEN
        PERFORM raise_not_found();
    END IF;
    v_tag := feedback_tag(p.inner_pad, p.outer_pad, 'me_too', ctx_org());
    IF p_on THEN
        INSERT INTO feedback_reactions (post_id, cluster_id, board_id, reactor_tag)
        VALUES (p_post, p.cluster_id, p.board_id, v_tag) ON CONFLICT DO NOTHING;
    ELSE
        DELETE FROM feedback_reactions WHERE post_id = p_post AND reactor_tag = v_tag;
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Boards
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION api_feedback_board_create(p_cluster uuid, p_title text, p_prompt text,
                                          p_session uuid, p_interval integer) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := gen_random_uuid();
    v_interval integer := coalesce(p_interval, 15);
BEGIN
    PERFORM require_coordinator(p_cluster);
    IF p_session IS NOT NULL THEN
        -- planning's table (0030); plpgsql resolves it only when a session is named. A session of
        -- one organisation (a gap analysis) would name the board's likely authors: refused.
        IF to_regclass('isms.training_sessions') IS NULL THEN
            PERFORM raise_error('422', 'invalid_reference',
                                'training_session_id must name a training session of this cluster');
        ELSIF NOT EXISTS (SELECT 1 FROM training_sessions t
                           WHERE t.id = p_session AND t.cluster_id = p_cluster
                             AND to_jsonb(t) ->> 'organisation_id' IS NULL) THEN
            PERFORM raise_error('422', 'invalid_reference',
                                'training_session_id must name a training session of this cluster');
        END IF;
    END IF;
    INSERT INTO feedback_boards (id, cluster_id, training_session_id, title, prompt,
                                 release_interval_minutes, next_release_at)
    VALUES (v_id, p_cluster, p_session, btrim(p_title), p_prompt, v_interval,
            now() + make_interval(mins => v_interval));
    PERFORM audit('feedback_board_create', 'feedback_board', v_id, p_cluster, NULL);
    RETURN feedback_board_answer(v_id);
END $$;

-- Newest first; the cursor is "<microseconds since epoch>_<id>".
CREATE FUNCTION api_feedback_board_list(p_cluster uuid, p_state text, p_limit integer,
                                        p_cursor text) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_at timestamptz;
    v_id uuid;
    v_limit integer := coalesce(p_limit, 50);
BEGIN
    IF NOT EXISTS (SELECT 1 FROM clusters WHERE id = p_cluster)
       OR NOT p_cluster = ANY (feedback_reader_clusters()) THEN
        PERFORM raise_not_found();
    END IF;
    IF p_cursor IS NOT NULL THEN
        BEGIN
            v_at := to_timestamp(split_part(p_cursor, '_', 1)::numeric / 1000000);
            v_id := split_part(p_cursor, '_', 2)::uuid;
        EXCEPTION WHEN others THEN
            PERFORM raise_error('400', 'invalid_cursor', 'cursor is not one this server returned');
        END;
    END IF;
    RETURN (SELECT page_json(array_agg(feedback_board_json(b) ORDER BY b.created_at DESC, b.id DESC),
                             v_limit,
                             (array_agg((extract(epoch FROM b.created_at) * 1000000)::bigint || '_' || b.id
                                        ORDER BY b.created_at DESC, b.id DESC))[v_limit])
            FROM (SELECT * FROM feedback_boards
                   WHERE cluster_id = p_cluster AND (p_state IS NULL OR state = p_state)
                     AND (v_at IS NULL OR (created_at, id) < (v_at, v_id))
                   ORDER BY created_at DESC, id DESC LIMIT v_limit + 1) b);
END $$;

CREATE FUNCTION api_feedback_board_get(p_board uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    v json := feedback_board_answer(p_board);
BEGIN
    IF v IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN v;
END $$;

CREATE FUNCTION api_feedback_board_update(p_board uuid, p_title text, p_prompt text,
                                          p_interval integer) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_cluster uuid := feedback_require_moderator(p_board);
BEGIN
    UPDATE feedback_boards SET title = coalesce(btrim(p_title), title),
           prompt = coalesce(p_prompt, prompt),
           release_interval_minutes = coalesce(p_interval, release_interval_minutes),
           next_release_at = CASE WHEN p_interval IS NULL THEN next_release_at
               ELSE least(next_release_at, now() + make_interval(mins => p_interval)) END
     WHERE id = p_board;
    PERFORM feedback_board_changed(p_board);
    PERFORM audit('feedback_board_update', 'feedback_board', p_board, v_cluster, NULL);
    RETURN feedback_board_answer(p_board);
END $$;

-- Closing is a last tick, at once: it publishes what waits for the next tick and releases the
-- waiting posts when they come from k organisations, like any tick.
CREATE FUNCTION api_feedback_board_close(p_board uuid) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_cluster uuid := feedback_require_moderator(p_board);
BEGIN
    IF (SELECT state FROM feedback_boards WHERE id = p_board) = 'closed' THEN
        PERFORM raise_error('409', 'invalid_transition', 'this board is already closed');
    END IF;
    PERFORM feedback_board_tick(p_board, true);
    PERFORM audit('feedback_board_close', 'feedback_board', p_board, v_cluster, NULL);
    RETURN feedback_board_answer(p_board);
END $$;

CREATE FUNCTION api_feedback_board_open(p_board uuid) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_cluster uuid := feedback_require_moderator(p_board);
BEGIN
    IF (SELECT state FROM feedback_boards WHERE id = p_board) = 'open' THEN
        PERFORM raise_error('409', 'invalid_transition', 'this board is already open');
    END IF;
    PERFORM feedback_board_reopen(p_board);
    PERFORM audit('feedback_board_open', 'feedback_board', p_board, v_cluster, NULL);
    RETURN feedback_board_answer(p_board);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Posts
-- ---------------------------------------------------------------------------------------------
-- The caller's waiting posts first, then the released ones by batch (newest first) and their
-- random rank. The cursor is "<group>_<key>_<key>": nothing in it depends on who wrote a post.
CREATE FUNCTION api_feedback_post_list(p_board uuid, p_limit integer, p_cursor text) RETURNS json
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_limit integer := coalesce(p_limit, 50);
    v_last bigint;
    c_group integer;
    c_a bigint;
    c_b text;
    v_items json[];
    v_keys text[];
BEGIN
    SELECT last_event_id INTO v_last FROM feedback_boards WHERE id = p_board;
    IF v_last IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF p_cursor IS NOT NULL THEN
        IF p_cursor !~ '^[01]_-?[0-9]{1,10}_[0-9a-f-]{1,36}$' THEN
            PERFORM raise_error('400', 'invalid_cursor', 'cursor is not one this server returned');
        END IF;
        c_group := split_part(p_cursor, '_', 1)::integer;
        c_a := split_part(p_cursor, '_', 2)::bigint;
        c_b := split_part(p_cursor, '_', 3);
    END IF;
    SELECT array_agg(feedback_post_json(v) ORDER BY g, a, bk), array_agg(g || '_' || a || '_' || bk ORDER BY g, a, bk)
      INTO v_items, v_keys
      FROM (SELECT v, g, a, bk FROM (
                SELECT v, CASE WHEN v.batch IS NULL THEN 0 ELSE 1 END AS g,
                       CASE WHEN v.batch IS NULL THEN 0 ELSE -v.batch END::bigint AS a,
                       CASE WHEN v.batch IS NULL THEN v.id::text ELSE lpad(v.rank::text, 10, '0') END AS bk
                  FROM feedback_posts_for(p_board, NULL) v) s
             WHERE p_cursor IS NULL OR (g, a, bk) > (c_group, c_a, c_b)
             ORDER BY g, a, bk LIMIT v_limit + 1) page;
    RETURN json_build_object(
        'items', coalesce(array_to_json(v_items[1:v_limit]), '[]'::json),
        'next_cursor', CASE WHEN coalesce(array_length(v_items, 1), 0) > v_limit THEN v_keys[v_limit] END,
        'last_event_id', v_last);
END $$;

CREATE FUNCTION api_feedback_post_create(p_board uuid, p_text text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_cluster uuid;
    v_id uuid := gen_random_uuid();
BEGIN
    SELECT cluster_id INTO v_cluster FROM feedback_boards WHERE id = p_board;
    IF v_cluster IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT v_cluster = ANY (feedback_poster_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'only admitted member organisations post on a board');
    END IF;
    PERFORM feedback_require_open(p_board);
    PERFORM feedback_require_text(p_text);
    INSERT INTO feedback_posts (id, cluster_id, board_id, body) VALUES (v_id, v_cluster, p_board, p_text);
    PERFORM audit_anonymous('feedback_post_create', 'feedback_post', v_id,
                            jsonb_build_object('board_id', p_board));
    RETURN feedback_post_answer(v_id);
END $$;

CREATE FUNCTION api_feedback_post_get(p_post uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    v json := feedback_post_answer(p_post);
BEGIN
    IF v IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN v;
END $$;

-- The caller's own post (not deleted), or 404: another organisation's post is a missing post.
-- An organisation whose enrolment has ended keeps reading its posts but no longer changes them.
CREATE FUNCTION feedback_require_mine(p_post uuid) RETURNS feedback_post_view
    LANGUAGE plpgsql STABLE AS $$
DECLARE
    v feedback_post_view;
BEGIN
    SELECT * INTO v FROM feedback_posts_for(NULL, p_post);
    IF v.id IS NULL OR NOT v.is_mine THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT v.cluster_id = ANY (feedback_poster_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'your organisation''s enrolment in this cluster has ended');
    END IF;
    RETURN v;
END $$;

-- Edits a waiting post in place; an edit of a released post waits for the next tick (editing it
-- back to the published text cancels it).
CREATE FUNCTION api_feedback_post_update(p_post uuid, p_text text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v feedback_post_view := feedback_require_mine(p_post);
BEGIN
    PERFORM feedback_require_open(v.board_id);
    PERFORM feedback_require_text(p_text);
    IF v.batch IS NULL THEN
        UPDATE feedback_posts SET body = p_text WHERE id = p_post;
    ELSIF p_text = (SELECT body FROM feedback_posts WHERE id = p_post) THEN
        DELETE FROM feedback_post_changes WHERE post_id = p_post;
    ELSE
        INSERT INTO feedback_post_changes (post_id, cluster_id, board_id, body)
        VALUES (p_post, v.cluster_id, v.board_id, p_text)
        ON CONFLICT (post_id) DO UPDATE SET body = EXCLUDED.body, withdraw = false;
    END IF;
    PERFORM audit_anonymous('feedback_post_update', 'feedback_post', p_post,
                            jsonb_build_object('board_id', v.board_id));
    RETURN feedback_post_answer(p_post);
END $$;

-- Deletes a waiting post at once; a released one disappears for others at the next tick.
CREATE FUNCTION api_feedback_post_delete(p_post uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v feedback_post_view := feedback_require_mine(p_post);
BEGIN
    PERFORM feedback_require_open(v.board_id);
    IF v.batch IS NULL THEN
        DELETE FROM feedback_posts WHERE id = p_post;
    ELSE
        INSERT INTO feedback_post_changes (post_id, cluster_id, board_id, body, withdraw)
        VALUES (p_post, v.cluster_id, v.board_id, NULL, true)
        ON CONFLICT (post_id) DO UPDATE SET body = NULL, withdraw = true;
    END IF;
    PERFORM audit_anonymous('feedback_post_delete', 'feedback_post', p_post,
                            jsonb_build_object('board_id', v.board_id));
END $$;

-- "Me too" from the caller's organisation; counted at the next tick.
CREATE FUNCTION api_feedback_me_too(p_post uuid, p_on boolean) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v feedback_post_view;
BEGIN
    SELECT * INTO v FROM feedback_posts_for(NULL, p_post);
    IF v.id IS NULL OR v.status <> 'released' THEN
        PERFORM raise_not_found();
    END IF;
    IF v.is_mine THEN
        PERFORM raise_error('409', 'own_post', 'your organisation cannot say "me too" to its own post');
    END IF;
    IF v.hidden OR NOT v.cluster_id = ANY (feedback_poster_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'only admitted member organisations say "me too"');
    END IF;
    PERFORM feedback_require_open(v.board_id);
    PERFORM feedback_me_too_set(p_post, p_on);
    PERFORM audit_anonymous(CASE WHEN p_on THEN 'feedback_me_too_add' ELSE 'feedback_me_too_remove' END,
                            'feedback_post', p_post, jsonb_build_object('board_id', v.board_id));
    RETURN feedback_post_answer(p_post);
END $$;

-- Hides (with a reason the author sees) or shows a released post; the coordinator never learns
-- who wrote it.
CREATE FUNCTION api_feedback_post_moderate(p_post uuid, p_reason text, p_hidden boolean)
    RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v feedback_post_view;
BEGIN
    IF p_hidden AND coalesce(btrim(p_reason, E' \t\r\n'), '') = '' THEN
        PERFORM raise_error('400', 'invalid_body', 'reason must not be blank');
    END IF;
    SELECT * INTO v FROM feedback_posts_for(NULL, p_post);
    IF v.id IS NULL OR v.status <> 'released' THEN
        PERFORM raise_not_found();
    END IF;
    IF NOT v.cluster_id = ANY (ctx_coordinated_clusters()) THEN
        PERFORM raise_error('403', 'forbidden', 'only the cluster''s coordinators moderate its boards');
    END IF;
    UPDATE feedback_posts SET hidden = p_hidden, hidden_reason = CASE WHEN p_hidden THEN btrim(p_reason) END
     WHERE id = p_post
       AND (hidden, hidden_reason) IS DISTINCT FROM (p_hidden, CASE WHEN p_hidden THEN btrim(p_reason) END);
    IF FOUND THEN
        PERFORM feedback_post_moderated(p_post);
        PERFORM audit(CASE WHEN p_hidden THEN 'feedback_post_hide' ELSE 'feedback_post_unhide' END,
                      'feedback_post', p_post, v.cluster_id, NULL,
                      CASE WHEN p_hidden THEN jsonb_build_object('reason', btrim(p_reason)) ELSE '{}' END);
    END IF;
    RETURN feedback_post_answer(p_post);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Export and the event stream
-- ---------------------------------------------------------------------------------------------
-- Everything the caller sees on the board, in list order, for the server to write as CSV.
CREATE FUNCTION api_feedback_export(p_board uuid) RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    b feedback_boards;
BEGIN
    SELECT * INTO b FROM feedback_boards WHERE id = p_board;
    IF b.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    RETURN json_build_object('board', json_build_object('id', b.id, 'title', b.title),
        'posts', coalesce((SELECT json_agg(feedback_post_json(v)
                                           ORDER BY v.batch DESC NULLS FIRST, v.rank, v.id)
                             FROM feedback_posts_for(p_board, NULL) v), '[]'));
END $$;

-- The events after `p_after`, each rendered from the current state for the caller: a post it can
-- see ("post"), one it no longer can ("post_removed"), or the board. A post or the board that
-- changed several times appears once, at its latest id, so a reader that keeps the last id it got
-- misses nothing. Without `p_after`: the board as it is now, at the current id. An id beyond the
-- current one (given out by another database) replays every post, then the board at the current
-- id, whatever `p_limit` says.
CREATE FUNCTION api_feedback_events(p_board uuid, p_after bigint, p_limit integer)
    RETURNS TABLE (id bigint, event text, data json) LANGUAGE plpgsql STABLE AS $$
DECLARE
    b feedback_boards;
    v_after bigint := p_after;
BEGIN
    SELECT * INTO b FROM feedback_boards fb WHERE fb.id = p_board;
    IF b.id IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    IF v_after IS NULL THEN
        RETURN QUERY SELECT b.last_event_id, 'board'::text, feedback_board_json(b);
        RETURN;
    END IF;
    IF v_after > b.last_event_id THEN
        RETURN QUERY
        SELECT e.id, CASE WHEN v.id IS NULL THEN 'post_removed' ELSE 'post' END,
               CASE WHEN v.id IS NULL THEN json_build_object('id', e.post_id, 'board_id', p_board)
                    ELSE feedback_post_json(v) END
          FROM (SELECT fe.post_id, max(fe.id) AS id FROM feedback_events fe
                 WHERE fe.board_id = p_board AND fe.kind = 'post' GROUP BY fe.post_id) e
          LEFT JOIN feedback_posts_for(p_board, NULL) v ON v.id = e.post_id
         ORDER BY e.id;
        RETURN QUERY SELECT b.last_event_id, 'board'::text, feedback_board_json(b);
        RETURN;
    END IF;
    RETURN QUERY
    SELECT e.id,
           CASE WHEN e.kind = 'board' THEN 'board' WHEN v.id IS NULL THEN 'post_removed' ELSE 'post' END,
           CASE WHEN e.kind = 'board' THEN feedback_board_json(b)
                WHEN v.id IS NULL THEN json_build_object('id', e.post_id, 'board_id', p_board)
                ELSE feedback_post_json(v) END
      FROM (SELECT fe.kind, fe.post_id, max(fe.id) AS id FROM feedback_events fe
             WHERE fe.board_id = p_board AND fe.id > v_after
             GROUP BY fe.kind, fe.post_id ORDER BY max(fe.id) LIMIT coalesce(p_limit, 200)) e
      LEFT JOIN feedback_posts_for(p_board, NULL) v ON v.id = e.post_id
     ORDER BY e.id;
END $$;

GRANT USAGE ON TYPE feedback_post_view TO isms_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA isms TO isms_app;
REVOKE EXECUTE ON FUNCTION feedback_emit(uuid, uuid[], boolean), feedback_publish_changes(uuid),
       feedback_release_batch(uuid, integer, text) FROM isms_app;
