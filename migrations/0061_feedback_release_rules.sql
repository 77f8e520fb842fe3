-- Feedback boards, release rules: changes follow the same threshold as posts, releases keep a
-- floor and a random time, anonymous writes leave no audit row, and the anonymity statement names
-- every inference a reader can make.
--
-- 1. Edits and deletions of released posts and "me too" (set or taken back) are published, with
--    the "me too" counts and so the statistics, only at a tick where at least k organisations
--    made such a change since the last publication. Who acted is kept as per-board tags
--    (feedback_change_actors, purpose 'acted'), counted and then forgotten at publication.
--    Readers see only that changes are waiting (changes_waiting, as of the last tick).
-- 2. The release interval is at least feedback_min_interval_minutes() (4 hours) and at most a day,
--    for every board, whoever sets it. Each next release is drawn at random in the window
--    [interval, 1.5 x interval) after the previous scheduled one (after now when the board opens
--    or its interval changes, and after now when the tick is over an interval late), from random(): a
--    test seeds it with setseed() in the session that runs the tick.
-- 3. No audit row for anonymous writes (posting, editing, deleting, "me too"): a row, even
--    without an author, would sit in the trail's physical order and timestamps next to the
--    author's attributed events. What is published is audited at the release, with the board's
--    counts only.

CREATE FUNCTION feedback_min_interval_minutes() RETURNS integer LANGUAGE sql IMMUTABLE AS
$$ SELECT 240 $$;

-- The next release: a random time in [p_from + interval, p_from + 1.5 x interval).
CREATE FUNCTION feedback_next_release(p_from timestamptz, p_minutes integer) RETURNS timestamptz
    LANGUAGE sql VOLATILE AS $$
    SELECT p_from + make_interval(mins => p_minutes) + random() * make_interval(mins => p_minutes) / 2
$$;

UPDATE feedback_boards SET release_interval_minutes = greatest(release_interval_minutes, 240),
       next_release_at = greatest(next_release_at, now() + interval '4 hours');
ALTER TABLE feedback_boards DROP CONSTRAINT feedback_boards_release_interval_minutes_check,
    ADD CONSTRAINT feedback_boards_release_interval_minutes_check
        CHECK (release_interval_minutes BETWEEN 240 AND 1440),
    ALTER COLUMN release_interval_minutes SET DEFAULT 240,
    ADD COLUMN changes_waiting boolean NOT NULL DEFAULT false; -- as of the last tick

CREATE TABLE feedback_change_actors (
    board_id uuid NOT NULL REFERENCES feedback_boards (id) ON DELETE CASCADE,
    actor_tag bytea NOT NULL CHECK (length(actor_tag) = 32),
    PRIMARY KEY (board_id, actor_tag)
);
ALTER TABLE feedback_change_actors ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY feedback_owner_all ON feedback_change_actors TO isms_owner USING (true) WITH CHECK (true);

-- Notes that the caller's organisation made a change on the board (without saying which).
CREATE FUNCTION feedback_acted(p_board uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    PERFORM feedback_require_key();
    IF NOT EXISTS (SELECT 1 FROM feedback_boards WHERE id = p_board
                      AND cluster_id = ANY (feedback_poster_clusters())) THEN
        PERFORM raise_not_found();
    END IF;
    INSERT INTO feedback_change_actors (board_id, actor_tag)
    VALUES (p_board, feedback_my_tag(p_board, 'acted')) ON CONFLICT DO NOTHING;
END $$;

-- Anonymous writes are not audited one by one (see 3. above).
CREATE OR REPLACE FUNCTION audit_anonymous(p_action text, p_entity_type text, p_entity_id uuid,
                                           p_detail jsonb DEFAULT '{}')
    RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    NULL;
END $$;

-- ---------------------------------------------------------------------------------------------
-- The tick
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION feedback_board_tick(p_board uuid, p_closing boolean) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    b record;
    v_changed uuid[] := '{}';
    v_released uuid[];
    v_waiting integer;
    v_waiting_orgs integer;
    v_actors integer;
    v_changes_waiting boolean;
BEGIN
    SELECT fb.id, fb.cluster_id, fb.state, fb.batches, fb.waiting_posts, fb.changes_waiting,
           fb.next_release_at, fb.release_interval_minutes, c.feedback_release_threshold AS k,
           c.time_zone
      INTO b
      FROM feedback_boards fb JOIN clusters c ON c.id = fb.cluster_id
     WHERE fb.id = p_board FOR NO KEY UPDATE OF fb;
    IF b.id IS NULL OR (p_closing AND NOT b.cluster_id = ANY (ctx_coordinated_clusters())) THEN
        PERFORM raise_not_found();
    END IF;
    IF b.state <> 'open' OR (NOT p_closing AND b.next_release_at > now()) THEN
        RETURN false;
    END IF;

    -- Changes need k organisations too, also when the board closes.
    SELECT count(*) INTO v_actors FROM feedback_change_actors WHERE board_id = p_board;
    IF v_actors >= b.k THEN
        v_changed := feedback_publish_changes(p_board);
        DELETE FROM feedback_change_actors WHERE board_id = p_board;
        v_actors := 0;
    END IF;
    v_changes_waiting := v_actors > 0;

    SELECT count(*), count(DISTINCT author_tag) INTO v_waiting, v_waiting_orgs
      FROM feedback_posts WHERE board_id = p_board AND batch IS NULL;
    IF v_waiting > 0 AND v_waiting_orgs >= b.k THEN
        v_released := feedback_release_batch(p_board, b.batches + 1, b.time_zone);
        v_changed := v_changed || v_released;
        PERFORM audit('feedback_release', 'feedback_board', p_board, b.cluster_id, NULL,
                      jsonb_build_object('batch', b.batches + 1, 'posts', cardinality(v_released)));
        v_waiting := 0;
    END IF;

    UPDATE feedback_boards
       SET batches = batches + (coalesce(cardinality(v_released), 0) > 0)::integer,
           waiting_posts = v_waiting,
           changes_waiting = v_changes_waiting,
           state = CASE WHEN p_closing THEN 'closed' ELSE state END,
           closed_at = CASE WHEN p_closing THEN now() END,
           next_release_at = CASE WHEN p_closing THEN next_release_at
               ELSE feedback_next_release(CASE
                        WHEN b.next_release_at + make_interval(mins => b.release_interval_minutes)
                             > now() THEN b.next_release_at ELSE now() END,
                    b.release_interval_minutes) END
     WHERE id = p_board;
    IF cardinality(v_changed) > 0 OR v_waiting <> b.waiting_posts
       OR v_changes_waiting <> b.changes_waiting OR p_closing THEN
        PERFORM feedback_emit(p_board, v_changed, true);
        RETURN true;
    END IF;
    RETURN false;
END $$;

CREATE OR REPLACE FUNCTION feedback_board_reopen(p_board uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
BEGIN
    UPDATE feedback_boards SET state = 'open', closed_at = NULL,
           next_release_at = feedback_next_release(now(), release_interval_minutes)
     WHERE id = p_board AND state = 'closed' AND cluster_id = ANY (ctx_coordinated_clusters());
    IF FOUND THEN
        PERFORM feedback_emit(p_board, '{}', true);
    END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Boards: the floor, the random release time
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION feedback_require_interval(p_interval integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    IF p_interval IS NOT NULL AND (p_interval < feedback_min_interval_minutes() OR p_interval > 1440) THEN
        PERFORM raise_error('400', 'invalid_body', format(
            'release_interval_minutes must be from %s (%s hours, so that releases cannot follow '
            'single organisations) to 1440', feedback_min_interval_minutes(),
            feedback_min_interval_minutes() / 60));
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api_feedback_board_create(p_cluster uuid, p_title text, p_prompt text,
                                                     p_session uuid, p_interval integer) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid := gen_random_uuid();
    v_interval integer := coalesce(p_interval, feedback_min_interval_minutes());
BEGIN
    PERFORM require_coordinator(p_cluster);
    PERFORM feedback_require_interval(p_interval);
    IF p_session IS NOT NULL THEN
        -- planning's table (0030); a session of one organisation would name the likely authors.
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
            feedback_next_release(now(), v_interval));
    PERFORM audit('feedback_board_create', 'feedback_board', v_id, p_cluster, NULL);
    RETURN feedback_board_answer(v_id);
END $$;

CREATE OR REPLACE FUNCTION api_feedback_board_update(p_board uuid, p_title text, p_prompt text,
                                                     p_interval integer) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v_cluster uuid := feedback_require_moderator(p_board);
BEGIN
    PERFORM feedback_require_interval(p_interval);
    UPDATE feedback_boards SET title = coalesce(btrim(p_title), title),
           prompt = coalesce(p_prompt, prompt),
           release_interval_minutes = coalesce(p_interval, release_interval_minutes),
           next_release_at = CASE WHEN p_interval IS NULL THEN next_release_at
               ELSE least(next_release_at, feedback_next_release(now(), p_interval)) END
     WHERE id = p_board;
    PERFORM feedback_board_changed(p_board);
    PERFORM audit('feedback_board_update', 'feedback_board', p_board, v_cluster, NULL);
    RETURN feedback_board_answer(p_board);
END $$;

-- ---------------------------------------------------------------------------------------------
-- Changes: noted as acted, never audited
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION api_feedback_post_create(p_board uuid, p_text text) RETURNS json
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
    RETURN feedback_post_answer(v_id);
END $$;

CREATE OR REPLACE FUNCTION api_feedback_post_update(p_post uuid, p_text text) RETURNS json
    LANGUAGE plpgsql AS $$
DECLARE
    v feedback_post_view := feedback_require_mine(p_post);
BEGIN
    PERFORM feedback_require_open(v.board_id);
    PERFORM feedback_require_text(p_text);
    IF v.batch IS NULL THEN
        UPDATE feedback_posts SET body = p_text WHERE id = p_post;
    ELSE
        PERFORM feedback_acted(v.board_id);
        IF p_text = (SELECT body FROM feedback_posts WHERE id = p_post) THEN
            DELETE FROM feedback_post_changes WHERE post_id = p_post;
        ELSE
            INSERT INTO feedback_post_changes (post_id, cluster_id, board_id, body)
            VALUES (p_post, v.cluster_id, v.board_id, p_text)
            ON CONFLICT (post_id) DO UPDATE SET body = EXCLUDED.body, withdraw = false;
        END IF;
    END IF;
    RETURN feedback_post_answer(p_post);
END $$;

CREATE OR REPLACE FUNCTION api_feedback_post_delete(p_post uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v feedback_post_view := feedback_require_mine(p_post);
BEGIN
    PERFORM feedback_require_open(v.board_id);
    IF v.batch IS NULL THEN
        DELETE FROM feedback_posts WHERE id = p_post;
    ELSE
        PERFORM feedback_acted(v.board_id);
        INSERT INTO feedback_post_changes (post_id, cluster_id, board_id, body, withdraw)
        VALUES (p_post, v.cluster_id, v.board_id, NULL, true)
        ON CONFLICT (post_id) DO UPDATE SET body = NULL, withdraw = true;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION api_feedback_me_too(p_post uuid, p_on boolean) RETURNS json
    LANGUAGE plpgsql AS $$
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
    PERFORM feedback_acted(v.board_id);
    RETURN feedback_post_answer(p_post);
END $$;

-- ---------------------------------------------------------------------------------------------
-- What a reader can infer, said plainly
-- ---------------------------------------------------------------------------------------------
-- Member organisations of the cluster with at least one person who can log in (an enabled user
-- who has set a password): the organisations that can really have written. Only for readers.
CREATE FUNCTION feedback_active_organisations(p_cluster uuid) RETURNS integer
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    SELECT count(DISTINCT e.organisation_id)::integer
      FROM enrolments e
      JOIN users u ON u.organisation_id = e.organisation_id
     WHERE e.cluster_id = p_cluster AND e.status = 'admitted'
       AND NOT u.disabled AND u.password_hash IS NOT NULL
       AND p_cluster = ANY (feedback_reader_clusters())
$$;

CREATE OR REPLACE FUNCTION feedback_anonymity_json(p_cluster uuid) RETURNS json
    LANGUAGE sql STABLE AS $$
    SELECT json_build_object('release_threshold', k, 'member_organisations', n,
        'organisations_with_people', active,
        'possible_authors', candidates,
        'threshold_reachable', n >= k,
        'others_attributable', n >= k AND candidates <= 1,
        'statement', concat_ws(' ',
            CASE
            WHEN n < k THEN format('Nothing on this board can be released: it needs posts from %s '
                'organisations and the cluster has %s member organisations.', k, n)
            WHEN candidates <= 1 THEN format('This cluster has %s member organisations and a '
                'release needs %s of them: every released post that is not marked as yours was '
                'written by the other organisation.', n, k)
            ELSE format('Posts are released in batches, each only when at least %s organisations '
                'have posted since the last one; a released post that is not marked as yours was '
                'written by one of the other %s member organisations, and nothing in this service '
                'says which.', k, candidates) END,
            format('Edits, deletions and "me too" are published together, only when at least %s '
                'organisations have made such a change since the last publication; until then you '
                'see only that changes are waiting.', k),
            format('%s of the %s member organisations have at least one person with an active '
                'account. The coordinator admits organisations and can create accounts in them: an '
                'organisation without real people, or an account the coordinator controls, would '
                'count towards the %s and narrow down who wrote a post. The coordinator can hide a '
                'released post but cannot see who wrote it.', active, n, k),
            'A post shows the date of its release, not when it was written; the order within a '
            'batch is drawn at random, and releases happen at random times at least every few '
            'hours. The number of posts waiting is shown as counted at the last release.'))
      FROM (SELECT c.feedback_release_threshold AS k, cluster_admitted_count(c.id) AS n,
                   feedback_active_organisations(c.id) AS active,
                   cluster_admitted_count(c.id)
                   - (c.id = ANY (feedback_member_clusters()))::integer AS candidates
              FROM clusters c WHERE c.id = p_cluster) AS a
$$;

CREATE OR REPLACE FUNCTION feedback_board_json(b feedback_boards) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', b.id, 'cluster_id', b.cluster_id,
        'training_session_id', b.training_session_id, 'title', b.title, 'prompt', b.prompt,
        'state', b.state, 'release_interval_minutes', b.release_interval_minutes,
        'next_release_at', CASE WHEN b.state = 'open' THEN b.next_release_at END,
        'waiting_posts', b.waiting_posts, 'changes_waiting', b.changes_waiting,
        'batches', b.batches, 'last_event_id', b.last_event_id,
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

GRANT EXECUTE ON FUNCTION feedback_min_interval_minutes(), feedback_require_interval(integer),
      feedback_acted(uuid), feedback_active_organisations(uuid) TO isms_app;
REVOKE EXECUTE ON FUNCTION feedback_next_release(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION feedback_next_release(timestamptz, integer) TO isms_app;

-- A post or a board must be named: without either, a lookup of "the" post would take the first
-- row of the table, in the order it was written.
CREATE OR REPLACE FUNCTION feedback_posts_for(p_board uuid, p_post uuid) RETURNS SETOF feedback_post_view
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
     WHERE (p_board IS NOT NULL OR p_post IS NOT NULL)
       AND (p_board IS NULL OR p.board_id = p_board) AND (p_post IS NULL OR p.id = p_post)
       AND CASE WHEN m.mine THEN NOT coalesce(c.withdraw, false)
                ELSE p.batch IS NOT NULL
                     AND (NOT p.hidden OR p.cluster_id = ANY (ctx_coordinated_clusters())) END
$$;
