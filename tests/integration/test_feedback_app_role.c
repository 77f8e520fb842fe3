/* The application's database role cannot learn authorship. Connected as isms_app (what the
 * server's credentials or one SQL injection give), with A's identity forged in every setting, a
 * session minted for A's user through auth_login_succeeded and a key of its own planted as A's,
 * every function the role may EXECUTE (enumerated from pg_proc with has_function_privilege) is
 * called with each post, board, cluster, organisation and user id as its uuid arguments, each
 * call undone after it. A wrote post P, B wrote post Q, with the same text; A also has an edit
 * waiting and a "me too" on C's post. Every answer for P must equal the answer for Q once the two
 * ids are exchanged, no answer may say "mine" (but those about what the call itself just wrote
 * with a planted key), and A's waiting edit must appear nowhere. The same
 * run with A's real key must show differences: the probe would prove nothing otherwise. */
#include "harness.h"
#include "test_feedback_fixtures.h"

TestSuite(feedback_app_role, .fini = it_teardown);

enum { A, B, C, D };

/* Calls every executable function in one transaction as the app role; each call's answer (or
 * error) goes into pg_temp.calls (fn, arg, answer), normalised: P as <P>, Q as <Q> when the
 * argument is P, the other way round when it is Q, other ids and times masked. */
static const char probe_sql[] =
    "DO $do$ "
    "DECLARE f record; c record; q text; a text; out text; "
    "BEGIN "
    "FOR f IN SELECT p.oid::regprocedure::text AS sig, p.proname, p.proargtypes::regtype[] AS t "
    "           FROM pg_proc p WHERE p.pronamespace = 'isms'::regnamespace AND p.prokind = 'f' "
    "            AND p.prorettype <> 'trigger'::regtype "
    "            AND has_function_privilege(p.oid, 'EXECUTE') ORDER BY 1 LOOP "
    "  FOR c IN SELECT * FROM pg_temp.cands LOOP "
    "    SELECT coalesce(string_agg(CASE "
    "             WHEN x = 'uuid'::regtype THEN quote_nullable(c.id) || '::uuid' "
    "             WHEN x = 'uuid[]'::regtype THEN 'ARRAY[' || quote_nullable(c.id) || ']::uuid[]' "
    "             WHEN x IN ('text'::regtype, 'character varying'::regtype) THEN '''x''' "
    "             WHEN x IN ('integer'::regtype, 'bigint'::regtype, 'smallint'::regtype, "
    "                        'numeric'::regtype) THEN '100' "
    "             WHEN x = 'boolean'::regtype THEN 'true' "
    "             ELSE 'NULL::' || x::text END, ', ' ORDER BY n), '') INTO a "
    "      FROM unnest(f.t) WITH ORDINALITY AS u(x, n); "
    "    q := format('SELECT coalesce(string_agg(r::text, %L), '''') FROM isms.%I(%s) r', "
    "                ' | ', f.proname, a); "
    "    BEGIN "
    "      EXECUTE q INTO out; "
    "      RAISE EXCEPTION USING ERRCODE = 'XX999', MESSAGE = 'undo'; "
    "    EXCEPTION WHEN OTHERS THEN "
    "      IF SQLSTATE <> 'XX999' THEN out := 'error ' || SQLSTATE || ' ' || SQLERRM; END IF; "
    "    END; "
    "    out := coalesce(out, '<null>'); "
    "    IF c.name = 'Q' THEN "
    "      out := replace(replace(replace(out, (SELECT id FROM pg_temp.cands WHERE name = 'P'), "
    "             '<A>'), c.id, '<P>'), '<A>', '<Q>'); "
    "    ELSE "
    "      out := replace(replace(out, (SELECT id FROM pg_temp.cands WHERE name = 'P'), '<P>'), "
    "             (SELECT id FROM pg_temp.cands WHERE name = 'Q'), '<Q>'); "
    "    END IF; "
    "    out := regexp_replace(out, "
    "'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', "
    "                          '<u>', 'g'); "
    "    out := regexp_replace(out, '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+([+-][0-9:]+|Z)?', "
    "                          '<t>', 'g'); "
    "    INSERT INTO pg_temp.calls VALUES (f.sig, c.name, out); "
    "  END LOOP; "
    "END LOOP; "
    "END $do$";

static PGconn *app;
static fb_world_t w;
static char board[37], post_p[37], post_q[37], post_r[37];

/* Runs the probe with A's identity and `key` as app.feedback_key (after minting a session for A's
 * user with a planted key when `mint`); returns the number of functions whose answers for P and Q
 * differ, and checks the forbidden words when `forged`. */
static long probe(const char *key, int mint, int forged) {
    it_db_exec(app, "BEGIN");
    const char *ids[] = {post_p,          post_q,          board,           w.cluster,
                         w.member[A].org, w.member[B].org, w.member[A].user};
    PQclear(it_db_query(app,
                        "CREATE TEMP TABLE cands ON COMMIT DROP AS SELECT * FROM (VALUES "
                        "('P', $1), ('Q', $2), ('board', $3), ('cluster', $4), ('org_a', $5), "
                        "('org_b', $6), ('user_a', $7), ('none', NULL)) v (name, id)",
                        7, ids));
    it_db_exec(app, "CREATE TEMP TABLE calls (fn text, arg text, answer text) ON COMMIT DROP");
    const char *who[] = {w.member[A].user, w.member[A].org, key};
    PQclear(it_db_query(app,
                        "SELECT set_config('app.user_id', $1, true), "
                        "set_config('app.organisation_id', $2, true), "
                        "set_config('app.feedback_key', $3, true)",
                        3, who));
    if (mint) {
        /* A session for A's user without a password, with a key of the caller's own planted as
         * the organisation's (it replaces the verifier: nobody holds A's key in this world). */
        const char *mint_params[] = {w.member[A].user};
        PQclear(it_db_query(
            app,
            "WITH k AS (SELECT sha256(convert_to('planted', 'UTF8')) AS key, "
            "                  sha256(convert_to('pad', 'UTF8')) AS pad) "
            "SELECT isms.auth_login_succeeded($1::uuid, 'minted-session-hash', '', 3600, 3600, "
            "  jsonb_build_object('public_key', repeat('11', 32), 'kek_salt', repeat('22', 16), "
            "  'secret_box', repeat('33', 112), 'verifier', encode(isms.feedback_verifier_of(key), "
            "  'hex'), 'box', encode(isms.feedback_xor(key, pad), 'hex'))), "
            "  isms.auth_session('minted-session-hash', encode(pad, 'hex')) FROM k",
            1, mint_params));
    }
    it_db_exec(app, probe_sql);
    long differing = it_db_long(app,
                                "SELECT count(*) FROM calls p JOIN calls q ON q.fn = p.fn "
                                "AND q.arg = 'Q' WHERE p.arg = 'P' AND p.answer <> q.answer "
                                "AND p.fn !~ '^feedback_my_tag\\('",
                                0, NULL);
    if (forged) {
        PGresult *res = it_db_query(
            app,
            "SELECT fn, arg, answer FROM calls WHERE (answer ~ '\"(is_mine|me_too_mine|"
            "edit_pending)\" ?: ?true' AND fn !~ '^(api_feedback_post_create|api_feedback_me_too|"
            "feedback_me_too_set)\\(') OR answer LIKE '%waiting edit by A%' "
            "OR (arg NOT IN ('P', 'Q') AND (length(answer) - length(replace(answer, '<P>', ''))) "
            "    <> (length(answer) - length(replace(answer, '<Q>', '')))) "
            "UNION ALL SELECT p.fn, 'P/Q', p.answer || ' <> ' || q.answer FROM calls p "
            "JOIN calls q ON q.fn = p.fn AND q.arg = 'Q' WHERE p.arg = 'P' AND p.answer <> "
            "q.answer "
            /* the caller's own tag of whatever id it is given: a hash of the argument */
            "AND p.fn !~ '^feedback_my_tag\\(' LIMIT 1",
            0, NULL);
        cr_assert_eq(PQntuples(res), 0, "the app role learnt something from %s(%s): %s",
                     PQntuples(res) ? PQgetvalue(res, 0, 0) : "",
                     PQntuples(res) ? PQgetvalue(res, 0, 1) : "",
                     PQntuples(res) ? PQgetvalue(res, 0, 2) : "");
        PQclear(res);
        cr_assert_gt(it_db_long(app, "SELECT count(DISTINCT fn) FROM calls", 0, NULL), 100,
                     "the probe must reach the functions");
    }
    it_db_exec(app, "ROLLBACK");
    return differing;
}

Test(feedback_app_role, forged_settings_and_minted_sessions_learn_no_authorship) {
    PGconn *admin = it_db_connect(getenv("ISMS_TEST_ADMIN_DATABASE_URL"));
    fb_world(&w, admin, 4, 3);
    it_server_t *srv = it_server_start(NULL);
    fb_open_board(srv, &w, board);
    fb_post(srv, board, &w.member[A], "the same text", post_p);
    fb_post(srv, board, &w.member[B], "the same text", post_q);
    fb_post(srv, board, &w.member[C], "the same text", post_r);
    fb_tick(admin, board);
    char path[128];
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s", post_p);
    it_response_t *r =
        fb_call(srv, "PATCH", path, &w.member[A], "{\"text\":\"waiting edit by A\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s/me-too", post_r);
    r = fb_call(srv, "PUT", path, &w.member[A], NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);

    app = it_db_connect(getenv("ISMS_TEST_DATABASE_URL"));
    cr_assert_str_eq(PQparameterStatus(app, "session_authorization"), "isms_app");
    cr_assert_eq(probe("", 0, 1), 0);
    cr_assert_eq(probe(w.member[B].key, 0, 1), 0);
    cr_assert_eq(probe("", 1, 1), 0);
    cr_assert_gt(probe(w.member[A].key, 0, 0), 0, "with A's real key the probe must see A's post");
    it_db_close(app);
    it_db_close(admin);
}
