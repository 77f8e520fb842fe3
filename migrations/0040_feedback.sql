-- Feedback boards, part 1: boards, anonymous posts, "me too" reactions, the public event log and the
-- release machinery. The endpoint functions are in 0041_feedback_api.sql.
--
-- ANONYMITY DESIGN. The unit of anonymity is the organisation. Nothing that anybody but the author
-- can read says which organisation (or user) wrote a post or reacted to one, and nothing that others
-- see changes at the moment an organisation acts.
--
-- 1. No feedback table has an organisation or user column. Authorship is stored as a keyed hash:
--      author_tag  = HMAC-SHA256(board key, 'author:' || organisation id)
--      reactor_tag = HMAC-SHA256(board key, 'me_too:' || organisation id)
--    Each board has its own random 256-bit key (in feedback_board_keys, kept as the two HMAC pads),
--    so tags cannot be linked across boards, and the two purposes cannot be linked on one board.
-- 2. The app role (isms_app) cannot read a tag or a key: feedback_board_keys and feedback_reactions
--    grant it nothing, and its privileges on feedback_posts are per column and leave out
--    author_tag. Column privileges also deny it whole-row access and the system columns ctid and
--    xmin, which would reveal the physical order of writing. Tags are computed, compared and
--    counted only inside SECURITY DEFINER functions that work for the calling organisation
--    (ctx_org()) and return post ids, never tags: feedback_my_post_ids(), feedback_my_reactions().
--    The row-level policies use those: a post that is not released is visible to its author only.
-- 3. No time of writing is stored. What others see changes only at a board's release ticks (every
--    release_interval_minutes, and when the coordinator closes the board):
--    - waiting posts are released in a batch only when they come from at least k distinct
--      organisations (k = clusters.feedback_release_threshold, 2..20), at a tick or when the
--      coordinator closes the board (a last tick); posts that never make a batch stay with their
--      authors, so a release is never one organisation's posts alone;
--    - a released post shows its batch number and the batch's date (the cluster's time zone), its
--      order within the batch is drawn at random at release time, and ids are UUIDv4;
--    - edits and deletions of released posts wait in feedback_post_changes (readable by the author
--      only) and are published at the next tick, without any trace of the earlier text;
--    - "me too" counts are published at ticks (feedback_posts.me_too); who reacted is never stored
--      in the clear and never counted per organisation;
--    - the number of waiting posts that readers see is the count at the last tick, so it moves
--      only with the ticks, never when somebody writes;
--    - the public event log (feedback_events, the SSE stream's source) gets entries only at ticks
--      and for coordinator actions; its ids are per board and say nothing about authors.
-- 4. Audit: the coordinator's actions are audited as usual. A member's anonymous writes are
--    audited by audit_anonymous(): no user, no organisation, no request id and no cluster (so no
--    API caller, coordinators included, can watch them appear), and the day as the time.
-- 5. Limits. The database owner and superusers hold the keys and can compute every organisation's
--    tags; that is the platform operator, not a tenant. What remains inferable by members is said
--    in each board's "anonymity" answer (0041): in a 2-organisation cluster with k = 2, every
--    released post that is not yours is the other organisation's.

-- ---------------------------------------------------------------------------------------------
-- Keyed hashing
-- ---------------------------------------------------------------------------------------------
-- The HMAC pad of a key (RFC 2104): the key padded to 64 bytes with zeros, each byte XOR `p_byte`.
CREATE FUNCTION feedback_hmac_pad(p_key bytea, p_byte integer) RETURNS bytea
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    k bytea := CASE WHEN length(p_key) > 64 THEN sha256(p_key) ELSE p_key END;
BEGIN
    k := k || decode(repeat('00', 64 - length(k)), 'hex');
    FOR i IN 0..63 LOOP
        k := set_byte(k, i, get_byte(k, i) # p_byte);
    END LOOP;
    RETURN k;
END $$;

CREATE FUNCTION feedback_hmac_sha256(p_key bytea, p_message bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT sha256(feedback_hmac_pad(p_key, 92) || sha256(feedback_hmac_pad(p_key, 54) || p_message))
$$;

-- HMAC from precomputed pads: the tag of an organisation for one purpose ('author' or 'me_too').
CREATE FUNCTION feedback_tag(p_inner bytea, p_outer bytea, p_purpose text, p_org uuid)
    RETURNS bytea LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT sha256(p_outer || sha256(p_inner || convert_to(p_purpose || ':', 'UTF8') || uuid_send(p_org)))
$$;

-- ---------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------
CREATE TABLE feedback_boards (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL REFERENCES clusters (id),
    training_session_id uuid,
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    prompt text CHECK (length(prompt) BETWEEN 1 AND 2000),
    state text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed')),
    release_interval_minutes integer NOT NULL DEFAULT 15
        CHECK (release_interval_minutes BETWEEN 1 AND 1440),
    next_release_at timestamptz NOT NULL,
    batches integer NOT NULL DEFAULT 0,
    waiting_posts integer NOT NULL DEFAULT 0, -- as counted at the last tick
    last_event_id bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    UNIQUE (cluster_id, id),
    CHECK ((state = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX feedback_boards_cluster ON feedback_boards (cluster_id, created_at DESC, id DESC);
CREATE INDEX feedback_boards_due ON feedback_boards (next_release_at) WHERE state = 'open';

-- Boards may name one of the cluster's training sessions (planning's table, migration 0030).
DO $$
BEGIN
    IF to_regclass('isms.training_sessions') IS NOT NULL THEN
        ALTER TABLE feedback_boards ADD CONSTRAINT feedback_boards_training_session_fkey
            FOREIGN KEY (training_session_id) REFERENCES training_sessions (id) ON DELETE SET NULL;
    END IF;
END $$;

CREATE TABLE feedback_board_keys (
    board_id uuid PRIMARY KEY REFERENCES feedback_boards (id) ON DELETE CASCADE,
    inner_pad bytea NOT NULL CHECK (length(inner_pad) = 64),
    outer_pad bytea NOT NULL CHECK (length(outer_pad) = 64)
);

CREATE TABLE feedback_posts (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    cluster_id uuid NOT NULL,
    board_id uuid NOT NULL,
    author_tag bytea NOT NULL CHECK (length(author_tag) = 32),
    body text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 4000),
    batch integer CHECK (batch >= 1),
    released_on date,
    rank integer,
    me_too integer NOT NULL DEFAULT 0 CHECK (me_too >= 0), -- as counted at the last tick
    hidden boolean NOT NULL DEFAULT false,
    hidden_reason text CHECK (length(btrim(hidden_reason)) BETWEEN 1 AND 500),
    UNIQUE (cluster_id, board_id, id),
    FOREIGN KEY (cluster_id, board_id) REFERENCES feedback_boards (cluster_id, id),
    CHECK ((batch IS NULL) = (released_on IS NULL) AND (batch IS NULL) = (rank IS NULL)),
    CHECK (hidden = (hidden_reason IS NOT NULL)),
    CHECK (batch IS NOT NULL OR NOT hidden)
);
CREATE INDEX feedback_posts_author ON feedback_posts (board_id, author_tag);
CREATE INDEX feedback_posts_order ON feedback_posts (board_id, batch DESC, rank);

-- An edit or a deletion of a released post, waiting for the next tick. Visible to the author only.
CREATE TABLE feedback_post_changes (
    post_id uuid PRIMARY KEY,
    cluster_id uuid NOT NULL,
    board_id uuid NOT NULL,
    body text CHECK (char_length(body) BETWEEN 1 AND 4000),
    withdraw boolean NOT NULL DEFAULT false,
    FOREIGN KEY (cluster_id, board_id, post_id)
        REFERENCES feedback_posts (cluster_id, board_id, id) ON DELETE CASCADE,
    CHECK (withdraw = (body IS NULL))
);
CREATE INDEX feedback_post_changes_board ON feedback_post_changes (board_id);

CREATE TABLE feedback_reactions (
    post_id uuid NOT NULL,
    cluster_id uuid NOT NULL,
    board_id uuid NOT NULL,
    reactor_tag bytea NOT NULL CHECK (length(reactor_tag) = 32),
    PRIMARY KEY (post_id, reactor_tag),
    FOREIGN KEY (cluster_id, board_id, post_id)
        REFERENCES feedback_posts (cluster_id, board_id, id) ON DELETE CASCADE
);
CREATE INDEX feedback_reactions_reactor ON feedback_reactions (board_id, reactor_tag);

-- The public event log: what changed for readers, in order. A post event is rendered from the
-- post's current state for each reader (or as its removal); no foreign key, so that the event of a
-- deleted post stays as its tombstone.
CREATE TABLE feedback_events (
    board_id uuid NOT NULL,
    cluster_id uuid NOT NULL,
    id bigint NOT NULL CHECK (id >= 1),
    kind text NOT NULL CHECK (kind IN ('board', 'post')),
    post_id uuid,
    PRIMARY KEY (board_id, id),
    FOREIGN KEY (cluster_id, board_id) REFERENCES feedback_boards (cluster_id, id),
    CHECK ((kind = 'post') = (post_id IS NOT NULL))
);

-- ---------------------------------------------------------------------------------------------
-- Who may read, post and moderate (SECURITY DEFINER lookups for the policies)
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION feedback_member_clusters() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp AS $$
    SELECT coalesce(array_agg(cluster_id), '{}') FROM enrolments
     WHERE organisation_id = ctx_org() AND status IN ('admitted', 'completed')
$$;

CREATE FUNCTION feedback_poster_clusters() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp AS $$
    SELECT coalesce(array_agg(cluster_id), '{}') FROM enrolments
     WHERE organisation_id = ctx_org() AND status = 'admitted'
$$;

-- Readers: the cluster's staff (coordinators, coaches, trainers) and its admitted or completed
-- member organisations.
CREATE FUNCTION feedback_reader_clusters() RETURNS uuid[] LANGUAGE sql STABLE
    SET search_path = isms, pg_temp AS $$
    SELECT ctx_staff_clusters() || feedback_member_clusters()
$$;

-- The calling organisation's posts (not the tags: ids), over every board it can post or read on.
CREATE FUNCTION feedback_my_post_ids() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp AS $$
    SELECT coalesce(array_agg(p.id), '{}')
      FROM feedback_boards b
      JOIN feedback_board_keys k ON k.board_id = b.id
      JOIN feedback_posts p ON p.board_id = b.id
           AND p.author_tag = feedback_tag(k.inner_pad, k.outer_pad, 'author', ctx_org())
     WHERE b.cluster_id = ANY (feedback_member_clusters())
$$;

-- The posts the calling organisation has said "me too" to.
CREATE FUNCTION feedback_my_reactions() RETURNS uuid[] LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = isms, pg_temp AS $$
    SELECT coalesce(array_agg(r.post_id), '{}')
      FROM feedback_boards b
      JOIN feedback_board_keys k ON k.board_id = b.id
      JOIN feedback_reactions r ON r.board_id = b.id
           AND r.reactor_tag = feedback_tag(k.inner_pad, k.outer_pad, 'me_too', ctx_org())
     WHERE b.cluster_id = ANY (feedback_member_clusters())
$$;

-- ---------------------------------------------------------------------------------------------
-- Row-level security
-- ---------------------------------------------------------------------------------------------
ALTER TABLE feedback_boards ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE feedback_board_keys ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE feedback_posts ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE feedback_post_changes ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE feedback_reactions ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
ALTER TABLE feedback_events ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;

CREATE POLICY feedback_owner_all ON feedback_boards TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY feedback_owner_all ON feedback_board_keys TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY feedback_owner_all ON feedback_posts TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY feedback_owner_all ON feedback_post_changes TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY feedback_owner_all ON feedback_reactions TO isms_owner USING (true) WITH CHECK (true);
CREATE POLICY feedback_owner_all ON feedback_events TO isms_owner USING (true) WITH CHECK (true);

-- boards: readers see them; coordinators create and change them.
CREATE POLICY app_select ON feedback_boards FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT feedback_reader_clusters())::uuid[]));
CREATE POLICY app_insert ON feedback_boards FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]) AND state = 'open'
                AND batches = 0 AND waiting_posts = 0 AND last_event_id = 0);
CREATE POLICY app_update ON feedback_boards FOR UPDATE TO isms_app
    USING (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));

-- posts: released ones to the cluster's readers (hidden ones to its coordinators only); waiting
-- ones to their author only. Authors edit their waiting posts and delete them; coordinators
-- moderate released posts (the guard trigger below keeps each to its own columns).
CREATE POLICY app_select ON feedback_posts FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT feedback_reader_clusters())::uuid[])
           AND ((batch IS NOT NULL
                 AND (NOT hidden OR cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[])))
                OR id = ANY ((SELECT feedback_my_post_ids())::uuid[])));
CREATE POLICY app_insert ON feedback_posts FOR INSERT TO isms_app
    WITH CHECK (cluster_id = ANY ((SELECT feedback_poster_clusters())::uuid[]));
CREATE POLICY app_update_author ON feedback_posts FOR UPDATE TO isms_app
    USING (batch IS NULL AND id = ANY ((SELECT feedback_my_post_ids())::uuid[]))
    WITH CHECK (batch IS NULL AND id = ANY ((SELECT feedback_my_post_ids())::uuid[]));
CREATE POLICY app_update_moderator ON feedback_posts FOR UPDATE TO isms_app
    USING (batch IS NOT NULL AND cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]))
    WITH CHECK (batch IS NOT NULL AND cluster_id = ANY ((SELECT ctx_coordinated_clusters())::uuid[]));
CREATE POLICY app_delete ON feedback_posts FOR DELETE TO isms_app
    USING (batch IS NULL AND id = ANY ((SELECT feedback_my_post_ids())::uuid[]));

-- pending changes: the author's own, nobody else's.
CREATE POLICY app_all ON feedback_post_changes TO isms_app
    USING (post_id = ANY ((SELECT feedback_my_post_ids())::uuid[])
           AND cluster_id = ANY ((SELECT feedback_poster_clusters())::uuid[]))
    WITH CHECK (post_id = ANY ((SELECT feedback_my_post_ids())::uuid[])
                AND cluster_id = ANY ((SELECT feedback_poster_clusters())::uuid[]));

-- events: the cluster's readers (each event is rendered under the reader's own visibility).
CREATE POLICY app_select ON feedback_events FOR SELECT TO isms_app
    USING (cluster_id = ANY ((SELECT feedback_reader_clusters())::uuid[]));

-- ---------------------------------------------------------------------------------------------
-- Triggers: keys for new boards, tags for new posts, columns per role on updates
-- ---------------------------------------------------------------------------------------------
-- A 256-bit key from the server's strong random source (gen_random_uuid carries 122 random bits).
CREATE FUNCTION feedback_board_add_key() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    k bytea := sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
                      || uuid_send(gen_random_uuid()));
BEGIN
    INSERT INTO feedback_board_keys (board_id, inner_pad, outer_pad)
    VALUES (NEW.id, feedback_hmac_pad(k, 54), feedback_hmac_pad(k, 92));
    RETURN NULL;
END $$;
CREATE TRIGGER feedback_boards_add_key AFTER INSERT ON feedback_boards
    FOR EACH ROW EXECUTE FUNCTION feedback_board_add_key();

-- Locks an open board the caller can read against a concurrent close, or raises 409 board_closed
-- (404 when the caller cannot read it).
CREATE FUNCTION feedback_require_open(p_board uuid) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_state text;
BEGIN
    SELECT state INTO v_state FROM feedback_boards
     WHERE id = p_board AND cluster_id = ANY (feedback_reader_clusters()) FOR SHARE;
    IF v_state IS NULL THEN
        PERFORM raise_not_found();
    ELSIF v_state <> 'open' THEN
        PERFORM raise_error('409', 'board_closed',
                            'this board is closed; its coordinator can reopen it');
    END IF;
END $$;

-- A new post: the author's tag for the calling organisation, nothing else from the writer.
CREATE FUNCTION feedback_post_before_insert() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    k feedback_board_keys;
BEGIN
    IF ctx_org() IS NULL THEN
        PERFORM raise_not_found();
    END IF;
    PERFORM feedback_require_open(NEW.board_id);
    SELECT * INTO k FROM feedback_board_keys WHERE board_id = NEW.board_id;
    NEW.author_tag := feedback_tag(k.inner_pad, k.outer_pad, 'author', ctx_org());
    IF (SELECT count(*) FROM feedback_posts WHERE board_id = NEW.board_id AND batch IS NULL
           AND author_tag = NEW.author_tag) >= 50 THEN
        PERFORM raise_error('409', 'too_many_waiting', 'your organisation already has 50 posts '
                            'waiting on this board; post again after the next release');
    END IF;
    NEW.batch := NULL;
    NEW.released_on := NULL;
    NEW.rank := NULL;
    NEW.me_too := 0;
    NEW.hidden := false;
    NEW.hidden_reason := NULL;
    RETURN NEW;
END $$;
CREATE TRIGGER feedback_posts_before_insert BEFORE INSERT ON feedback_posts
    FOR EACH ROW EXECUTE FUNCTION feedback_post_before_insert();

-- The app role may change a post's text only as its author (while it waits), and its moderation
-- only as a coordinator of its cluster; the policies let either update the row, this keeps each
-- to its columns. (Updates made by the release tick run as the owner.)
CREATE FUNCTION feedback_post_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_user = 'isms_app' THEN
        IF NEW.body IS DISTINCT FROM OLD.body
           AND NOT (OLD.batch IS NULL AND OLD.id = ANY (feedback_my_post_ids())) THEN
            PERFORM raise_not_found();
        END IF;
        IF (NEW.hidden, NEW.hidden_reason) IS DISTINCT FROM (OLD.hidden, OLD.hidden_reason)
           AND NOT (OLD.batch IS NOT NULL AND OLD.cluster_id = ANY (ctx_coordinated_clusters())) THEN
            PERFORM raise_not_found();
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER feedback_posts_guard BEFORE UPDATE ON feedback_posts
    FOR EACH ROW EXECUTE FUNCTION feedback_post_guard();

-- ---------------------------------------------------------------------------------------------
-- Audit of anonymous writes: no user, organisation, request id or cluster; the day only
-- ---------------------------------------------------------------------------------------------
CREATE FUNCTION audit_anonymous(p_action text, p_entity_type text, p_entity_id uuid,
                                p_detail jsonb DEFAULT '{}')
    RETURNS void LANGUAGE sql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
    INSERT INTO audit_events (at, request_id, user_id, cluster_id, organisation_id, action,
                              entity_type, entity_id, detail)
    VALUES (date_trunc('day', now()), NULL, NULL, NULL, NULL, p_action, p_entity_type,
            p_entity_id, coalesce(p_detail, '{}'))
$$;

-- ---------------------------------------------------------------------------------------------
-- The event log and the release tick
-- ---------------------------------------------------------------------------------------------
-- Appends post events (in random order) and optionally a board event, then notifies listeners
-- ("<board id> <last event id>", delivered at commit). Needs the owner's privileges: the app role
-- reaches it only through the SECURITY DEFINER functions below, each of which checks its caller.
CREATE FUNCTION feedback_emit(p_board uuid, p_posts uuid[], p_board_event boolean) RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    v_posts uuid[] := ARRAY(SELECT DISTINCT unnest(coalesce(p_posts, '{}')));
    n integer := cardinality(v_posts);
    v_last bigint;
    v_cluster uuid;
BEGIN
    IF n = 0 AND NOT p_board_event THEN
        RETURN NULL;
    END IF;
    UPDATE feedback_boards SET last_event_id = last_event_id + n + p_board_event::integer
     WHERE id = p_board RETURNING last_event_id, cluster_id INTO v_last, v_cluster;
    INSERT INTO feedback_events (board_id, cluster_id, id, kind, post_id)
    SELECT p_board, v_cluster, v_last - n - p_board_event::integer + row_number() OVER (ORDER BY random()),
           'post', pid
      FROM unnest(v_posts) AS pid;
    IF p_board_event THEN
        INSERT INTO feedback_events (board_id, cluster_id, id, kind) VALUES (p_board, v_cluster, v_last, 'board');
    END IF;
    PERFORM pg_notify('isms_feedback', p_board::text || ' ' || v_last::text);
    RETURN v_last;
END $$;

-- Publishes a board's pending deletions and edits of released posts and its "me too" counts;
-- returns the posts that changed for readers. Needs the owner's privileges (from the tick).
CREATE FUNCTION feedback_publish_changes(p_board uuid) RETURNS uuid[] LANGUAGE plpgsql AS $$
DECLARE
    v_changed uuid[];
BEGIN
    WITH gone AS (
        DELETE FROM feedback_posts p USING feedback_post_changes c
         WHERE c.board_id = p_board AND c.withdraw AND p.id = c.post_id RETURNING p.id),
    edited AS (
        UPDATE feedback_posts p SET body = c.body FROM feedback_post_changes c
         WHERE c.board_id = p_board AND NOT c.withdraw AND p.id = c.post_id
           AND p.body IS DISTINCT FROM c.body RETURNING p.id)
    SELECT coalesce(array_agg(id), '{}') INTO v_changed
      FROM (SELECT id FROM gone UNION ALL SELECT id FROM edited) AS x;
    DELETE FROM feedback_post_changes WHERE board_id = p_board;
    WITH counted AS (
        UPDATE feedback_posts p
           SET me_too = (SELECT count(*) FROM feedback_reactions r WHERE r.post_id = p.id)
         WHERE p.board_id = p_board AND p.batch IS NOT NULL
           AND p.me_too <> (SELECT count(*) FROM feedback_reactions r WHERE r.post_id = p.id)
        RETURNING p.id)
    SELECT v_changed || coalesce(array_agg(id), '{}') INTO v_changed FROM counted;
    RETURN v_changed;
END $$;

-- Releases the board's waiting posts as batch `p_batch`, in an order drawn at random, dated by
-- the day in `p_time_zone`; returns them. Needs the owner's privileges (from the tick).
CREATE FUNCTION feedback_release_batch(p_board uuid, p_batch integer, p_time_zone text)
    RETURNS uuid[] LANGUAGE sql AS $$
    WITH drawn AS (
        SELECT id, row_number() OVER (ORDER BY random()) AS r
          FROM feedback_posts WHERE board_id = p_board AND batch IS NULL),
    released AS (
        UPDATE feedback_posts p SET batch = p_batch, rank = drawn.r::integer,
               released_on = (now() AT TIME ZONE p_time_zone)::date
          FROM drawn WHERE p.id = drawn.id RETURNING p.id)
    SELECT coalesce(array_agg(id), '{}') FROM released
$$;

-- One tick of a board: publishes what waits for it and, when the threshold allows, releases the
-- waiting posts as one batch; counts what still waits; closes the board when `p_closing` (a last
-- tick, at once).
-- Returns whether readers see a change. Runs for the timer (only when the tick is due) or for a
-- coordinator of the board's cluster who closes it.
CREATE FUNCTION feedback_board_tick(p_board uuid, p_closing boolean) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    b record;
    v_changed uuid[];
    v_released uuid[];
    v_waiting integer;
    v_waiting_orgs integer;
    v_interval interval;
BEGIN
    SELECT fb.id, fb.cluster_id, fb.state, fb.batches, fb.waiting_posts, fb.next_release_at,
           fb.release_interval_minutes, c.feedback_release_threshold AS k, c.time_zone
      INTO b
      FROM feedback_boards fb JOIN clusters c ON c.id = fb.cluster_id
     WHERE fb.id = p_board FOR NO KEY UPDATE OF fb;
    IF b.id IS NULL OR (p_closing AND NOT b.cluster_id = ANY (ctx_coordinated_clusters())) THEN
        PERFORM raise_not_found();
    END IF;
    IF b.state <> 'open' OR (NOT p_closing AND b.next_release_at > now()) THEN
        RETURN false;
    END IF;
    v_changed := feedback_publish_changes(p_board);

    -- A batch needs k distinct organisations, also when the board closes: otherwise whoever
    -- closes could release one organisation's latest posts on their own, right after watching
    -- it write.
    SELECT count(*), count(DISTINCT author_tag) INTO v_waiting, v_waiting_orgs
      FROM feedback_posts WHERE board_id = p_board AND batch IS NULL;
    IF v_waiting > 0 AND v_waiting_orgs >= b.k THEN
        v_released := feedback_release_batch(p_board, b.batches + 1, b.time_zone);
        v_changed := v_changed || v_released;
        PERFORM audit('feedback_release', 'feedback_board', p_board, b.cluster_id, NULL,
                      jsonb_build_object('batch', b.batches + 1, 'posts', cardinality(v_released)));
        v_waiting := 0;
    END IF;

    v_interval := make_interval(mins => b.release_interval_minutes);
    UPDATE feedback_boards
       SET batches = batches + (coalesce(cardinality(v_released), 0) > 0)::integer,
           waiting_posts = v_waiting,
           state = CASE WHEN p_closing THEN 'closed' ELSE state END,
           closed_at = CASE WHEN p_closing THEN now() END,
           next_release_at = CASE WHEN p_closing THEN next_release_at
               ELSE next_release_at + v_interval
                    * (floor(extract(epoch FROM now() - next_release_at)
                             / extract(epoch FROM v_interval)) + 1) END
     WHERE id = p_board;
    IF cardinality(v_changed) > 0 OR v_waiting <> b.waiting_posts OR p_closing THEN
        PERFORM feedback_emit(p_board, v_changed, true);
        RETURN true;
    END IF;
    RETURN false;
END $$;

-- Runs every tick that is due (called by each server process every few seconds; boards another
-- process is ticking, or that a writer holds, are skipped until the next call).
CREATE FUNCTION feedback_release_due() RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = isms, pg_temp AS $$
DECLARE
    v_board uuid;
    n integer := 0;
BEGIN
    FOR v_board IN SELECT id FROM feedback_boards
                    WHERE state = 'open' AND next_release_at <= now()
                    ORDER BY next_release_at LIMIT 100 FOR NO KEY UPDATE SKIP LOCKED LOOP
        IF feedback_board_tick(v_board, false) THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Grants: no tags, no keys, no reactions; per-column rights on posts
-- ---------------------------------------------------------------------------------------------
GRANT SELECT ON feedback_boards, feedback_events TO isms_app;
GRANT INSERT (id, cluster_id, training_session_id, title, prompt, release_interval_minutes,
              next_release_at),
      UPDATE (title, prompt, release_interval_minutes, next_release_at) ON feedback_boards TO isms_app;
GRANT SELECT (id, cluster_id, board_id, body, batch, released_on, rank, me_too, hidden,
              hidden_reason),
      INSERT (id, cluster_id, board_id, body),
      UPDATE (body, hidden, hidden_reason),
      DELETE ON feedback_posts TO isms_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON feedback_post_changes TO isms_app;
-- (0041 grants EXECUTE on every function of the schema, by convention, then takes back these
-- three internal steps of the tick, which would fail for the app role anyway.)
