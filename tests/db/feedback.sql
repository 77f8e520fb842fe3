-- Feedback boards under the app role: what the role can and cannot read, the release threshold,
-- ticks, author-only changes, moderation, anonymous audit and the event log.
BEGIN;
SELECT plan(77);
SET LOCAL search_path = isms, public;

-- ---- fixtures (as the superuser) -------------------------------------------------------------
-- Organisations A..D are members, K coordinates; one user each; the cluster's threshold is 3.
CREATE TEMP TABLE fx (name text PRIMARY KEY, id uuid);
INSERT INTO fx VALUES
    ('org_a', 'f7000000-0000-4000-8000-00000000000a'), ('org_b', 'f7000000-0000-4000-8000-00000000000b'),
    ('org_c', 'f7000000-0000-4000-8000-00000000000c'), ('org_d', 'f7000000-0000-4000-8000-00000000000d'),
    ('org_k', 'f7000000-0000-4000-8000-0000000000ee'),
    ('user_a', 'f7000000-0000-4000-8000-0000000001aa'), ('user_b', 'f7000000-0000-4000-8000-0000000001bb'),
    ('user_c', 'f7000000-0000-4000-8000-0000000001cc'), ('user_d', 'f7000000-0000-4000-8000-0000000001dd'),
    ('user_k', 'f7000000-0000-4000-8000-0000000001ee'),
    ('cluster', 'f7000000-0000-4000-8000-000000000c01');
GRANT SELECT ON fx TO isms_app;
CREATE FUNCTION pg_temp.fx(p text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM fx WHERE name = p $$;

INSERT INTO organisations (id, name, kind)
SELECT pg_temp.fx('org_' || s), 'Feedback test org ' || s, CASE WHEN s = 'k' THEN 'coordinator' ELSE 'member' END
  FROM unnest(ARRAY['a', 'b', 'c', 'd', 'k']) s;
INSERT INTO users (id, organisation_id, email, display_name)
SELECT pg_temp.fx('user_' || s), pg_temp.fx('org_' || s), 'fb-' || s || '@example.test', 'Feedback user ' || s
  FROM unnest(ARRAY['a', 'b', 'c', 'd', 'k']) s;
SELECT set_config('app.user_id', pg_temp.fx('user_k')::text, true);
INSERT INTO clusters (id, name, coordinating_organisation_id, country, time_zone, start_date,
                      target_end_date, feedback_release_threshold)
VALUES (pg_temp.fx('cluster'), 'Feedback test cluster', pg_temp.fx('org_k'), 'LU',
        'Europe/Luxembourg', '2025-01-01', '2026-01-01', 3);
INSERT INTO enrolments (cluster_id, organisation_id, status)
SELECT pg_temp.fx('cluster'), pg_temp.fx('org_' || s), 'admitted' FROM unnest(ARRAY['a', 'b', 'c', 'd']) s;

-- Each organisation's feedback key (made at a login in production, 0060); only its verifier is stored.
CREATE FUNCTION pg_temp.key(p_who text) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to('pgtap feedback key ' || p_who, 'UTF8'))
$$;
INSERT INTO organisation_feedback_keys (organisation_id, verifier)
SELECT pg_temp.fx('org_' || s), feedback_verifier_of(pg_temp.key(s)) FROM unnest(ARRAY['a', 'b', 'c', 'd', 'k']) s;

-- Acting as someone: the identity and the key auth_session() would set, under the app role.
CREATE FUNCTION pg_temp.act(p_who text) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('app.user_id', pg_temp.fx('user_' || p_who)::text, true),
           set_config('app.organisation_id', pg_temp.fx('org_' || p_who)::text, true),
           set_config('app.feedback_key', encode(pg_temp.key(p_who), 'hex'), true);
$$;
-- The identity alone, with any key but the organisation's: what forged settings can do.
CREATE FUNCTION pg_temp.forge(p_who text, p_key text) RETURNS void LANGUAGE sql AS $$
    SELECT set_config('app.user_id', pg_temp.fx('user_' || p_who)::text, true),
           set_config('app.organisation_id', pg_temp.fx('org_' || p_who)::text, true),
           set_config('app.feedback_key', p_key, true);
$$;
GRANT EXECUTE ON FUNCTION pg_temp.act(text), pg_temp.fx(text), pg_temp.key(text), pg_temp.forge(text, text) TO isms_app;
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid);
GRANT SELECT, INSERT ON ids TO isms_app;
-- Makes the board's next tick due and runs the ticks as the server's timer would (no identity).
CREATE FUNCTION pg_temp.tick() RETURNS integer LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feedback_boards SET next_release_at = now() - interval '1 second'
     WHERE id = (SELECT id FROM ids WHERE name = 'board');
    PERFORM set_config('app.user_id', '', true), set_config('app.organisation_id', '', true);
    RETURN feedback_release_due();
END $$;

-- ---- keyed hashing (RFC 4231 test cases 2 and 6) ----------------------------------------------
SELECT is(encode(feedback_hmac_sha256(convert_to('Jefe', 'UTF8'),
                                      convert_to('what do ya want for nothing?', 'UTF8')), 'hex'),
          '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843', 'HMAC-SHA256, RFC 4231 case 2');
SELECT is(encode(feedback_hmac_sha256(decode(repeat('aa', 131), 'hex'),
                 convert_to('Test Using Larger Than Block-Size Key - Hash Key First', 'UTF8')), 'hex'),
          '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54', 'HMAC-SHA256, RFC 4231 case 6');

-- ---- a board and the first posts ------------------------------------------------------------
SET LOCAL ROLE isms_app;
SELECT pg_temp.act('k');
INSERT INTO ids SELECT 'board', (api_feedback_board_create(pg_temp.fx('cluster'), 'Risk assessment',
                                 'What went wrong?', NULL, NULL) ->> 'id')::uuid;
SELECT is((api_feedback_board_get((SELECT id FROM ids WHERE name = 'board')) ->> 'state'), 'open',
          'the coordinator opens a board');
SELECT pg_temp.act('a');
INSERT INTO ids SELECT 'post_a', (api_feedback_post_create((SELECT id FROM ids WHERE name = 'board'),
                                  'The scope took us three meetings') ->> 'id')::uuid;
SELECT pg_temp.act('b');
INSERT INTO ids SELECT 'post_b', (api_feedback_post_create((SELECT id FROM ids WHERE name = 'board'),
                                  'Asset owners were unclear') ->> 'id')::uuid;

-- ---- what the app role cannot read ----------------------------------------------------------
SELECT throws_ok('SELECT author_tag FROM feedback_posts', '42501', NULL, 'author tags are not readable');
SELECT throws_ok('SELECT p FROM feedback_posts p', '42501', NULL, 'whole post rows are not readable');
SELECT throws_ok('SELECT ctid FROM feedback_posts', '42501', NULL, 'the physical order is not readable');
SELECT throws_ok('SELECT xmin FROM feedback_posts', '42501', NULL, 'writing transactions are not readable');
SELECT throws_ok('SELECT 1 FROM organisation_feedback_keys', '42501', NULL, 'key verifiers are not readable');
SELECT throws_ok('SELECT 1 FROM user_feedback_keys', '42501', NULL, 'wrapped user keys are not readable');
SELECT throws_ok('SELECT 1 FROM feedback_change_actors', '42501', NULL, 'who changed something is not readable');
SELECT throws_ok('SELECT 1 FROM sessions', '42501', NULL, 'session boxes are not readable');
SELECT throws_ok('SELECT 1 FROM feedback_reactions', '42501', NULL, 'reactions are not readable');
SELECT throws_ok('SELECT count(*) FROM feedback_posts WHERE author_tag IS NOT NULL', '42501', NULL,
                 'author tags cannot be filtered on either');
SELECT throws_ok(format('SELECT feedback_emit(%L, ''{}'', true)', (SELECT id FROM ids WHERE name = 'board')),
                 '42501', NULL, 'the event log is written by the owner only');
SELECT throws_ok(format('SELECT feedback_board_tick(%L, true)', (SELECT id FROM ids WHERE name = 'board')),
                 'IC404', NULL, 'only a coordinator closes (forces a release of) a board');
SELECT is(feedback_board_tick((SELECT id FROM ids WHERE name = 'board'), false), false,
          'a tick that is not due does nothing');
SELECT ok(NOT EXISTS (
    SELECT 1 FROM information_schema.columns
     WHERE table_schema = 'isms' AND table_name LIKE 'feedback%'
       AND (column_name LIKE '%user%' OR column_name LIKE '%organisation%' OR column_name LIKE '%author_id%')),
    'no feedback table has a user or organisation column');

-- ---- the organisation setting without the key is nobody -----------------------------------------
SELECT pg_temp.forge('a', '');
SELECT is(feedback_my_post_ids(), '{}'::uuid[], 'A''s identity without a key has no posts');
SELECT pg_temp.forge('a', encode(pg_temp.key('b'), 'hex'));
SELECT is(feedback_my_post_ids(), '{}'::uuid[], 'nor with another organisation''s key');
SELECT throws_ok(format('SELECT api_feedback_post_create(%L, ''forged'')', (SELECT id FROM ids WHERE name = 'board')),
                 'IC409', 'feedback_key_pending', 'and cannot post (no fictitious organisation towards k)');

-- ---- waiting posts are the author's alone ----------------------------------------------------
SELECT pg_temp.act('a');
SELECT is(api_feedback_post_get((SELECT id FROM ids WHERE name = 'post_a'))::jsonb
          - 'id' - 'board_id',
          '{"status": "waiting", "is_mine": true, "text": "The scope took us three meetings", "batch": null,
            "released_on": null, "me_too": 0, "me_too_mine": false, "hidden": false, "hidden_reason": null,
            "edit_pending": false}'::jsonb, 'the author sees its waiting post');
SELECT is(json_array_length(api_feedback_post_list((SELECT id FROM ids WHERE name = 'board'), NULL, NULL) -> 'items'),
          1, 'the author lists only its own waiting post');
SELECT pg_temp.act('c');
SELECT throws_ok(format('SELECT api_feedback_post_get(%L)', (SELECT id FROM ids WHERE name = 'post_a')),
                 'IC404', NULL, 'another member cannot see a waiting post');
SELECT is(json_array_length(api_feedback_post_list((SELECT id FROM ids WHERE name = 'board'), NULL, NULL) -> 'items'),
          0, 'another member lists nothing before the release');
SELECT pg_temp.act('k');
SELECT is((SELECT count(*)::integer FROM feedback_posts), 0, 'the coordinator reads no waiting post');
SELECT is(feedback_my_post_ids(), '{}'::uuid[], 'the coordinator has no posts of its own');

-- ---- foreign changes look like missing posts ------------------------------------------------
SELECT pg_temp.act('b');
SELECT throws_ok(format('SELECT api_feedback_post_update(%L, ''mine now'')', (SELECT id FROM ids WHERE name = 'post_a')),
                 'IC404', 'not_found', 'editing another organisation''s post is a 404');
SELECT throws_ok(format('SELECT api_feedback_post_delete(%L)', (SELECT id FROM ids WHERE name = 'post_a')),
                 'IC404', 'not_found', 'deleting another organisation''s post is a 404');
SELECT throws_ok('SELECT api_feedback_post_update(''f7000000-0000-4000-8000-999999999999'', ''x'')',
                 'IC404', 'not_found', 'editing a missing post is the same 404');
UPDATE feedback_posts SET body = 'tampered' WHERE id = (SELECT id FROM ids WHERE name = 'post_a');
DELETE FROM feedback_posts WHERE id = (SELECT id FROM ids WHERE name = 'post_a');
RESET ROLE;
SELECT is((SELECT body FROM feedback_posts WHERE id = (SELECT id FROM ids WHERE name = 'post_a')),
          'The scope took us three meetings', 'direct SQL cannot change or delete another''s post');
SET LOCAL ROLE isms_app;

-- ---- below the threshold nothing is released -------------------------------------------------
RESET ROLE;
SELECT is(pg_temp.tick(), 1, 'the tick runs (the waiting count changes)');
SET LOCAL ROLE isms_app;
SELECT pg_temp.act('d');
SELECT is((api_feedback_board_get((SELECT id FROM ids WHERE name = 'board')) ->> 'waiting_posts')::integer, 2,
          'readers see how many posts wait');
SELECT is((api_feedback_board_get((SELECT id FROM ids WHERE name = 'board')) -> 'statistics' ->> 'suppressed'), 'true',
          'statistics are suppressed below the threshold');
SELECT is(json_array_length(api_feedback_post_list((SELECT id FROM ids WHERE name = 'board'), NULL, NULL) -> 'items'),
          0, 'two organisations of three: nothing released');

-- ---- at the threshold a batch is released ----------------------------------------------------
SELECT pg_temp.act('c');
INSERT INTO ids SELECT 'post_c', (api_feedback_post_create((SELECT id FROM ids WHERE name = 'board'),
                                  'The risk method was too heavy') ->> 'id')::uuid;
RESET ROLE;
SELECT is(pg_temp.tick(), 1, 'the tick releases');
SET LOCAL ROLE isms_app;
SELECT pg_temp.act('d');
SELECT is((SELECT count(*)::integer FROM json_array_elements(
              api_feedback_post_list((SELECT id FROM ids WHERE name = 'board'), NULL, NULL) -> 'items') i
            WHERE i ->> 'status' = 'released' AND i ->> 'is_mine' = 'false' AND i ->> 'batch' = '1'
              AND i ->> 'released_on' = (now() AT TIME ZONE 'Europe/Luxembourg')::date::text),
          3, 'a third organisation sees the batch, dated by day, none of it its own');
SELECT is((api_feedback_board_get((SELECT id FROM ids WHERE name = 'board')) ->> 'waiting_posts')::integer, 0,
          'nothing waits any more');
SELECT pg_temp.act('a');
SELECT is((SELECT count(*)::integer FROM json_array_elements(
              api_feedback_post_list((SELECT id FROM ids WHERE name = 'board'), NULL, NULL) -> 'items') i
            WHERE (i ->> 'is_mine')::boolean), 1, 'the author recognises exactly its own post');

-- ---- audit: anonymous writes carry nobody ---------------------------------------------------
RESET ROLE;
SELECT is((SELECT count(*)::integer FROM audit_events WHERE action LIKE 'feedback_post%'
              AND entity_id IN (SELECT id FROM ids WHERE name LIKE 'post_%')), 0,
          'anonymous writes leave no audit row at all (not even one without a name)');
SELECT is((SELECT (detail ->> 'posts')::integer FROM audit_events WHERE action = 'feedback_release'
              AND entity_id = (SELECT id FROM ids WHERE name = 'board')), 3,
          'the release is audited with its count');
SELECT is((SELECT count(*)::integer FROM audit_events
            WHERE action LIKE 'feedback_post%' AND (user_id IS NOT NULL OR organisation_id IS NOT NULL)
              AND entity_id IN (SELECT id FROM ids WHERE name LIKE 'post_%')), 0,
          'no post audit event names anybody');
SET LOCAL ROLE isms_app;
SELECT pg_temp.act('k');
SELECT is((SELECT count(*)::integer FROM audit_events WHERE action LIKE 'feedback_post%'), 0,
          'coordinators cannot watch anonymous writes appear in the trail');

-- ---- edits, deletions and "me too" wait for the next tick ------------------------------------
SELECT pg_temp.act('d');
SELECT is(api_feedback_me_too((SELECT id FROM ids WHERE name = 'post_a'), true) ->> 'me_too_mine', 'true',
          'a member says me too');
SELECT pg_temp.act('a');
SELECT throws_ok(format('SELECT api_feedback_me_too(%L, true)', (SELECT id FROM ids WHERE name = 'post_a')),
                 'IC409', 'own_post', 'not to its own post');
SELECT is(api_feedback_post_update((SELECT id FROM ids WHERE name = 'post_a'), 'Scope: two meetings') ->> 'edit_pending',
          'true', 'the author edits its released post');
RESET ROLE;
SELECT is(pg_temp.tick(), 1, 'a tick after two organisations changed something');
SET LOCAL ROLE isms_app;
SELECT pg_temp.act('c');
SELECT is(api_feedback_board_get((SELECT id FROM ids WHERE name = 'board'))::jsonb ->> 'changes_waiting', 'true',
          'readers see that changes are waiting');
SELECT is(api_feedback_post_get((SELECT id FROM ids WHERE name = 'post_a'))::jsonb ->> 'text',
          'The scope took us three meetings', 'two organisations of three: the edit waits');
SELECT pg_temp.act('b');
SELECT is(api_feedback_post_delete((SELECT id FROM ids WHERE name = 'post_b'))::text, '', 'the author deletes one');
SELECT pg_temp.act('c');
SELECT is(api_feedback_post_get((SELECT id FROM ids WHERE name = 'post_a'))::jsonb ->> 'text',
          'The scope took us three meetings', 'others see the published text until the tick');
SELECT is(api_feedback_post_get((SELECT id FROM ids WHERE name = 'post_a'))::jsonb ->> 'me_too', '0',
          'and the published count');
SELECT is(api_feedback_post_get((SELECT id FROM ids WHERE name = 'post_b'))::jsonb ->> 'status', 'released',
          'and the post that is to go');
SELECT is(api_feedback_post_get((SELECT id FROM ids WHERE name = 'post_a'))::jsonb ->> 'edit_pending', 'false',
          'without a hint of the pending edit');
RESET ROLE;
CREATE TEMP TABLE seen AS SELECT last_event_id FROM feedback_boards WHERE id = (SELECT id FROM ids WHERE name = 'board');
GRANT SELECT ON seen TO isms_app;
SELECT is(pg_temp.tick(), 1, 'the next tick publishes');
SET LOCAL ROLE isms_app;
SELECT pg_temp.act('c');
SELECT is(api_feedback_post_get((SELECT id FROM ids WHERE name = 'post_a'))::jsonb - 'id' - 'board_id' - 'released_on',
          '{"status": "released", "is_mine": false, "text": "Scope: two meetings", "batch": 1, "me_too": 1,
            "me_too_mine": false, "hidden": false, "hidden_reason": null, "edit_pending": false}'::jsonb,
          'after the tick: the new text and count, no history');
SELECT throws_ok(format('SELECT api_feedback_post_get(%L)', (SELECT id FROM ids WHERE name = 'post_b')),
                 'IC404', NULL, 'the deleted post is gone');
SELECT is((SELECT array_agg(event ORDER BY event) FROM api_feedback_events(
              (SELECT id FROM ids WHERE name = 'board'), (SELECT last_event_id FROM seen), 200)),
          ARRAY['board', 'post', 'post_removed'], 'the tick''s events: a board, a post, a removal');

-- ---- moderation -----------------------------------------------------------------------------
SELECT pg_temp.act('d');
SELECT throws_ok(format('SELECT api_feedback_post_moderate(%L, ''x'', true)', (SELECT id FROM ids WHERE name = 'post_c')),
                 'IC403', 'forbidden', 'members do not moderate');
SELECT pg_temp.act('k');
SELECT is(api_feedback_post_moderate((SELECT id FROM ids WHERE name = 'post_c'), 'Names a supplier', true)
              ->> 'hidden', 'true', 'the coordinator hides a post');
SELECT throws_ok(format('UPDATE feedback_posts SET body = ''edited by the coordinator'' WHERE id = %L',
                        (SELECT id FROM ids WHERE name = 'post_c')),
                 'IC404', NULL, 'the coordinator cannot change a post''s text');
SELECT pg_temp.act('d');
SELECT throws_ok(format('SELECT api_feedback_post_get(%L)', (SELECT id FROM ids WHERE name = 'post_c')),
                 'IC404', NULL, 'members no longer see the hidden post');
SELECT pg_temp.act('c');
SELECT is(api_feedback_post_get((SELECT id FROM ids WHERE name = 'post_c'))::jsonb ->> 'hidden_reason',
          'Names a supplier', 'its author sees that and why it was hidden');

-- ---- closing is a last tick: one organisation's posts are never released alone ---------------
SELECT pg_temp.act('a');
SELECT lives_ok(format('SELECT api_feedback_post_create(%L, ''One more thing'')', (SELECT id FROM ids WHERE name = 'board')),
                'one organisation posts again');
SELECT pg_temp.act('k');
SELECT is(api_feedback_board_close((SELECT id FROM ids WHERE name = 'board'))::jsonb
              - 'id' - 'cluster_id' - 'created_at' - 'closed_at' - 'anonymity' - 'last_event_id'
              - 'next_release_at' - 'title' - 'prompt' - 'training_session_id' - 'can_moderate'
              - 'can_post' - 'release_interval_minutes' - 'changes_waiting',
          '{"state": "closed", "batches": 1, "waiting_posts": 1,
            "statistics": {"suppressed": false, "released_posts": 1, "me_too_total": 1}}'::jsonb,
          'closing does not release one organisation''s post on its own');
SELECT pg_temp.act('b');
SELECT throws_ok(format('SELECT api_feedback_post_create(%L, ''late'')', (SELECT id FROM ids WHERE name = 'board')),
                 'IC409', 'board_closed', 'a closed board takes no posts');

-- ---- a cap on what one organisation keeps waiting ------------------------------------------
SELECT pg_temp.act('k');
INSERT INTO ids SELECT 'board2', (api_feedback_board_create(pg_temp.fx('cluster'), 'Second', NULL, NULL, NULL) ->> 'id')::uuid;
SELECT pg_temp.act('d');
SELECT lives_ok(format('SELECT api_feedback_post_create(%L, ''post '' || g) FROM generate_series(1, 50) g',
                       (SELECT id FROM ids WHERE name = 'board2')), 'fifty posts may wait');
SELECT throws_ok(format('SELECT api_feedback_post_create(%L, ''one too many'')', (SELECT id FROM ids WHERE name = 'board2')),
                 'IC409', 'too_many_waiting', 'the fifty-first waits for a release');
SELECT throws_ok(format('SELECT feedback_publish_changes(%L)', (SELECT id FROM ids WHERE name = 'board2')),
                 '42501', NULL, 'the tick''s steps are not the app role''s to call');

-- ---- the release interval has a floor; release times are drawn in a window ---------------------
SELECT pg_temp.act('k');
SELECT throws_ok(format('SELECT api_feedback_board_update(%L, NULL, NULL, 60)', (SELECT id FROM ids WHERE name = 'board2')),
                 'IC400', 'invalid_body', 'a coordinator cannot set an interval under four hours');
SELECT throws_ok(format('UPDATE feedback_boards SET release_interval_minutes = 239 WHERE id = %L',
                        (SELECT id FROM ids WHERE name = 'board2')),
                 '23514', NULL, 'not even with direct SQL');
RESET ROLE;
SELECT ok((SELECT bool_and(t >= now() + interval '240 minutes' AND t < now() + interval '360 minutes')
             FROM (SELECT feedback_next_release(now(), 240) AS t FROM generate_series(1, 200)) x),
          'release times fall in [interval, 1.5 x interval)');
SELECT ok((SELECT count(DISTINCT feedback_next_release(now(), 240)) FROM generate_series(1, 200)) > 150,
          'and are drawn at random');
SELECT setseed(0.5);
CREATE TEMP TABLE draws AS SELECT feedback_next_release(now(), 240) AS t FROM generate_series(1, 5);
SELECT setseed(0.5);
SELECT set_eq('SELECT feedback_next_release(now(), 240) FROM generate_series(1, 5)', 'SELECT t FROM draws',
              'the random source is the session''s, so a seed reproduces it');
-- A due tick moves the next release into the window after the scheduled one.
UPDATE feedback_boards SET next_release_at = now() - interval '1 minute' WHERE id = (SELECT id FROM ids WHERE name = 'board2');
SELECT lives_ok(format('SELECT feedback_board_tick(%L, false)', (SELECT id FROM ids WHERE name = 'board2')), 'a due tick');
SELECT ok((SELECT next_release_at >= now() - interval '1 minute' + interval '240 minutes'
                  AND next_release_at < now() - interval '1 minute' + interval '360 minutes'
             FROM feedback_boards WHERE id = (SELECT id FROM ids WHERE name = 'board2')),
          'the next release is drawn in the window after the scheduled one');

-- ---- auth_session writes nothing in a read-only transaction ---------------------------------------
INSERT INTO sessions (user_id, organisation_id, token_hash, expires_at, idle_seconds, last_used_at)
VALUES (pg_temp.fx('user_a'), pg_temp.fx('org_a'), 'pgtap-read-only-session', now() + interval '1 day',
        86400, now() - interval '10 minutes');
SET LOCAL transaction_read_only = on;
SET LOCAL ROLE isms_app;
SELECT is(auth_session('pgtap-read-only-session'), pg_temp.fx('user_a'),
          'a session is validated in a read-only transaction (last use not touched)');
SELECT is(current_setting('app.feedback_key'), '', 'a session without a box gives no key');

SELECT * FROM finish();
ROLLBACK;
