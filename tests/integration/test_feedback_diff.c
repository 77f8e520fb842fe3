/* Differential anonymity test: two databases that differ only in which organisation wrote which
 * post must answer every other reader byte for byte alike.
 *
 * One database is built through the API (posts by A, B and C, "me too" from A, C and D, a
 * release, a moderation), then copied (CREATE DATABASE ... TEMPLATE), and in the copy A's and B's
 * authorship is exchanged: A's sessions get B's feedback key and B's get A's (and the verifiers
 * follow), so every author, "me too" and change tag of A is B's and the other way round.
 * Everything else (ids, the random order of the batch, event ids, the audit trail) is the same by
 * construction, so nothing needs normalising. Then both databases get the same live steps through
 * their own servers, each by the post's author there, while event streams are open: an edit, a
 * "me too" taken back and a waiting post deleted (two organisations changed released posts: the
 * changes wait, a tick shows only that they wait, and nothing adds a row to the audit trail), then
 * a "me too" of a third organisation and a tick that publishes them. Ticks run with the same seed
 * of the random source on both sides.
 *
 * Compared for a third organisation (C, D) and the coordinator: the board, the board list, the
 * post list and every page of it, every post, the CSV export, the event stream replayed from 0,
 * the live streams, the coordinator's audit trail, and error answers (foreign edits and
 * deletions, "me too" on a waiting post, moderation by a member). Only the Date header (the
 * clock) and X-Request-Id (a fresh random id per request) are left out, and heartbeat comment
 * lines of the streams. The authors themselves must see a difference (is_mine), which proves the
 * exchange happened. */
#include <strings.h>

#include "harness.h"
#include "test_feedback_fixtures.h"

TestSuite(feedback_diff, .fini = it_teardown);

enum { A, B, C, D };

typedef struct side {
    it_server_t *srv;
    PGconn *admin;
    char admin_url[600], app_url[600];
} side_t;

static fb_world_t w;
static char board[37], alpha[37], bravo[37], charlie[37], waiting[37];

/* Status, headers but Date and X-Request-Id, and body, as one text (the caller frees). */
static char *describe(const it_response_t *r) {
    size_t cap = r->body_len + 4096, len = 0;
    char *out = malloc(cap);
    len += (size_t)snprintf(out, cap, "%d\n", r->status);
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->headers[i].name, "date") == 0 ||
            strcasecmp(r->headers[i].name, "x-request-id") == 0)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s: %s\n", r->headers[i].name,
                                r->headers[i].value);
    }
    memcpy(out + len, r->body, r->body_len + 1);
    return out;
}

static void assert_same(side_t *s, const fb_party_t *who, const char *method, const char *path,
                        const char *body) {
    it_response_t *one = fb_call(s[0].srv, method, path, who, body);
    it_response_t *two = fb_call(s[1].srv, method, path, who, body);
    char *d1 = describe(one), *d2 = describe(two);
    cr_assert_str_eq(d1, d2, "%s %s differs between the databases", method, path);
    free(d1);
    free(d2);
    it_response_free(one);
    it_response_free(two);
}

/* A stream's text without heartbeat comments. */
static char *stream_text(const fb_sse_t *s) {
    char *out = calloc(1, s->len + 1), *o = out;
    for (const char *p = s->buf; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl != NULL ? (size_t)(nl - p) + 1 : strlen(p);
        if (*p != ':') {
            memcpy(o, p, n);
            o += n;
        }
        p += n;
    }
    return out;
}

/* Waits for event `id` to arrive whole on the stream. */
static void await_event(fb_sse_t *s, long id) {
    char needle[32];
    snprintf(needle, sizeof(needle), "id: %ld\n", id);
    fb_sse_await(s, needle, 10000);
    uint64_t deadline = it_now_ms() + 5000;
    while (strstr(strstr(s->buf, needle), "\n\n") == NULL && it_now_ms() < deadline)
        fb_sse_drive(s, 20);
}

static void assert_same_streams(fb_sse_t *one, fb_sse_t *two, const char *what) {
    char *t1 = stream_text(one), *t2 = stream_text(two);
    cr_assert_str_eq(t1, t2, "the %s streams differ", what);
    free(t1);
    free(t2);
}

static long last_event_id(side_t *s) {
    char path[96];
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s", board);
    it_response_t *r = fb_call(s->srv, "GET", path, &w.coordinator, NULL);
    long id = fb_num(r->json, "last_event_id");
    it_response_free(r);
    return id;
}

static void act(const it_server_t *srv, const fb_party_t *who, const char *method, const char *post,
                const char *suffix, const char *body, int status) {
    char path[128];
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s%s", post, suffix);
    it_response_t *r = fb_call(srv, method, path, who, body);
    cr_assert_eq(r->status, status, "%s %s: %s", method, path, r->body);
    it_response_free(r);
}

/* The first database, through the API. */
static void build(side_t *s, it_pg_t *pg) {
    s->srv = it_server_start(&(it_server_options_t){.database_url = pg->app_url});
    fb_open_board(s->srv, &w, board);
    fb_post(s->srv, board, &w.member[A], "alpha", alpha);
    fb_post(s->srv, board, &w.member[B], "bravo", bravo);
    fb_post(s->srv, board, &w.member[C], "charlie", charlie);
    fb_tick(s->admin, board);
    act(s->srv, &w.member[A], "PUT", bravo, "/me-too", NULL, 200);
    act(s->srv, &w.member[C], "PUT", alpha, "/me-too", NULL, 200);
    act(s->srv, &w.member[D], "PUT", alpha, "/me-too", NULL, 200);
    fb_post(s->srv, board, &w.member[B], "bravo, waiting", waiting);
    fb_tick(s->admin, board);
    act(s->srv, &w.coordinator, "POST", charlie, "/hide", "{\"reason\":\"Names a supplier\"}", 200);
    cr_assert_eq(it_server_stop(s->srv), 0);
}

/* The copy, with A's and B's keys exchanged. */
static void copy_and_exchange(side_t *s, it_pg_t *pg) {
    char url[600];
    snprintf(url, sizeof(url), "host=%s port=%d dbname=postgres user=postgres", pg->socket_dir,
             pg->port);
    PGconn *postgres = it_db_connect(url);
    it_db_exec(postgres, "CREATE DATABASE isms_exchanged TEMPLATE isms");
    it_db_close(postgres);
    snprintf(s[1].admin_url, sizeof(s[1].admin_url),
             "host=%s port=%d dbname=isms_exchanged user=postgres", pg->socket_dir, pg->port);
    snprintf(s[1].app_url, sizeof(s[1].app_url),
             "host=%s port=%d dbname=isms_exchanged user=isms_app", pg->socket_dir, pg->port);
    s[1].admin = it_db_connect(s[1].admin_url);
    const char *swap[] = {w.member[A].org, w.member[B].org, w.member[A].key, w.member[B].key};
    PGresult *res =
        it_db_query(s[1].admin,
                    "UPDATE isms.sessions SET feedback_box = isms.feedback_xor(feedback_box, "
                    "isms.feedback_xor(decode($3, 'hex'), decode($4, 'hex'))) "
                    "WHERE organisation_id IN ($1::uuid, $2::uuid)",
                    4, swap);
    cr_assert_eq(atoi(PQcmdTuples(res)), 2, "both sessions get the other key");
    PQclear(res);
    res = it_db_query(
        s[1].admin,
        "UPDATE isms.organisation_feedback_keys SET verifier = CASE "
        "WHEN organisation_id = $1::uuid THEN isms.feedback_verifier_of(decode($4, 'hex')) "
        "ELSE isms.feedback_verifier_of(decode($3, 'hex')) END "
        "WHERE organisation_id IN ($1::uuid, $2::uuid)",
        4, swap);
    cr_assert_eq(atoi(PQcmdTuples(res)), 2, "both verifiers follow");
    PQclear(res);
}

/* Makes the board's tick due at `tick_at` and runs it with a seeded random source, in one
 * transaction, so that no server's own timer takes it first. */
static void seeded_tick(side_t *s, const char *tick_at) {
    const char *params[] = {board, tick_at};
    it_db_exec(s->admin, "BEGIN");
    PQclear(it_db_query(
        s->admin, "UPDATE isms.feedback_boards SET next_release_at = $2 WHERE id = $1", 2, params));
    PQclear(it_db_query(s->admin, "SELECT setseed(0.25)", 0, NULL));
    it_db_long(s->admin, "SELECT isms.feedback_release_due()", 0, NULL);
    it_db_exec(s->admin, "COMMIT");
}

static long audit_rows(side_t *s) {
    return it_db_long(s->admin, "SELECT count(*) FROM isms.audit_events", 0, NULL);
}

/* What D reads of the board and of alpha, as one text. */
static char *reader_view(side_t *s) {
    char path[128];
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s", alpha);
    it_response_t *post = fb_call(s->srv, "GET", path, &w.member[D], NULL);
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s", board);
    it_response_t *b = fb_call(s->srv, "GET", path, &w.member[D], NULL);
    cr_assert_eq(post->status, 200, "%s", post->body);
    const cJSON *waiting = cJSON_GetObjectItemCaseSensitive(b->json, "changes_waiting");
    size_t len = post->body_len + b->body_len + 16;
    char *out = malloc(len);
    snprintf(out, len, "%s\n%s\n%d", post->body, b->body, cJSON_IsTrue(waiting));
    it_response_free(post);
    it_response_free(b);
    return out;
}

/* The same live steps on both sides; on each, the edit is made by the post's author there. */
static void live(side_t *s, const char *tick_at) {
    char *waiting_view[2];
    for (int i = 0; i < 2; i++) {
        const fb_party_t *author = &w.member[i == 0 ? A : B];
        long before = audit_rows(&s[i]);
        act(s[i].srv, author, "PATCH", alpha, "", "{\"text\":\"alpha, edited\"}", 200);
        act(s[i].srv, &w.member[D], "DELETE", alpha, "/me-too", NULL, 200);
        act(s[i].srv, &w.member[i == 0 ? B : A], "DELETE", waiting, "", NULL, 204);
        cr_assert_eq(audit_rows(&s[i]), before, "anonymous changes add no audit row");
        seeded_tick(&s[i], tick_at);
        waiting_view[i] = reader_view(&s[i]);
        cr_assert(strstr(waiting_view[i], "alpha, edited") == NULL &&
                      waiting_view[i][strlen(waiting_view[i]) - 1] == '1',
                  "two organisations changed something: it waits, and readers see that: %s",
                  waiting_view[i]);
        act(s[i].srv, &w.member[C], "PUT", bravo, "/me-too", NULL, 200);
        seeded_tick(&s[i], tick_at);
        char *published = reader_view(&s[i]);
        cr_assert(strstr(published, "alpha, edited") != NULL, "three organisations: published");
        free(published);
    }
    cr_assert_str_eq(waiting_view[0], waiting_view[1], "the waiting state differs");
    free(waiting_view[0]);
    free(waiting_view[1]);
}

static void compare_reads(side_t *s, const fb_party_t *who) {
    char path[192];
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s", board);
    assert_same(s, who, "GET", path, NULL);
    snprintf(path, sizeof(path), "/v1/clusters/%s/feedback/boards", w.cluster);
    assert_same(s, who, "GET", path, NULL);
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/posts", board);
    assert_same(s, who, "GET", path, NULL);
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/posts?limit=1", board);
    assert_same(s, who, "GET", path, NULL);
    it_response_t *page = fb_call(s[0].srv, "GET", path, who, NULL);
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/posts?limit=1&cursor=%s", board,
             fb_str(page, "next_cursor"));
    it_response_free(page);
    assert_same(s, who, "GET", path, NULL);
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/export", board);
    assert_same(s, who, "GET", path, NULL);
    const char *posts[] = {alpha, bravo, charlie, waiting};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof(path), "/v1/feedback/posts/%s", posts[i]);
        assert_same(s, who, "GET", path, NULL);
        assert_same(s, who, "PATCH", path, "{\"text\":\"taken over\"}");
        assert_same(s, who, "DELETE", path, NULL);
        snprintf(path, sizeof(path), "/v1/feedback/posts/%s/hide", posts[i]);
        assert_same(s, who, "POST", path, "{\"reason\":\"x\"}");
    }
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s/me-too", waiting);
    assert_same(s, who, "PUT", path, NULL);
    fb_sse_t *one = fb_sse_open(s[0].srv, board, who, "0");
    fb_sse_t *two = fb_sse_open(s[1].srv, board, who, "0");
    long last = last_event_id(&s[0]);
    await_event(one, last);
    await_event(two, last);
    assert_same_streams(one, two, "replayed");
    fb_sse_close(one);
    fb_sse_close(two);
}

Test(feedback_diff, other_readers_cannot_tell_which_organisation_wrote_a_post) {
    side_t s[2];
    memset(s, 0, sizeof(s));
    it_pg_t *pg = it_pg_create();
    snprintf(s[0].admin_url, sizeof(s[0].admin_url), "%s", pg->admin_url);
    snprintf(s[0].app_url, sizeof(s[0].app_url), "%s", pg->app_url);
    s[0].admin = it_db_connect(pg->admin_url);
    fb_world(&w, s[0].admin, 4, 3);
    build(&s[0], pg);
    it_db_close(s[0].admin);
    copy_and_exchange(s, pg);
    s[0].admin = it_db_connect(s[0].admin_url);
    for (int i = 0; i < 2; i++)
        s[i].srv = it_server_start(&(it_server_options_t){.database_url = s[i].app_url});

    /* Live streams open through both servers while the same steps happen on both. */
    fb_sse_t *streams[2][2];
    const fb_party_t *watchers[] = {&w.member[D], &w.coordinator};
    for (int v = 0; v < 2; v++)
        for (int i = 0; i < 2; i++) {
            streams[v][i] = fb_sse_open(s[i].srv, board, watchers[v], NULL);
            fb_sse_await(streams[v][i], "event: board\n", 5000);
        }
    PGresult *res = it_db_query(
        s[0].admin, "SELECT (date_trunc('minute', now()) - interval '1 minute')::text", 0, NULL);
    char tick_at[64];
    snprintf(tick_at, sizeof(tick_at), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    live(s, tick_at);
    long last = last_event_id(&s[0]);
    cr_assert_eq(last, last_event_id(&s[1]));
    for (int v = 0; v < 2; v++) {
        await_event(streams[v][0], last);
        await_event(streams[v][1], last);
        assert_same_streams(streams[v][0], streams[v][1], "live");
        fb_sse_close(streams[v][0]);
        fb_sse_close(streams[v][1]);
    }

    /* The audit trail first: the coordinator's moderation attempts below add to it. */
    char path[128];
    snprintf(path, sizeof(path), "/v1/clusters/%s/audit-events?limit=200", w.cluster);
    assert_same(s, &w.coordinator, "GET", path, NULL);
    const fb_party_t *others[] = {&w.member[C], &w.member[D], &w.coordinator};
    for (int v = 0; v < 3; v++)
        compare_reads(s, others[v]);

    /* The authors do see the exchange: the test would prove nothing otherwise. */
    it_response_t *one = fb_list(s[0].srv, board, &w.member[A]);
    it_response_t *two = fb_list(s[1].srv, board, &w.member[A]);
    cr_assert_str_neq(one->body, two->body, "A's own view must differ between the databases");
    it_response_free(one);
    it_response_free(two);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(it_server_stop(s[i].srv), 0);
}
