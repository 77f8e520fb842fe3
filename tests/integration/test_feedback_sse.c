/* The feedback event stream: what a stream starts with, release batches arriving under the
 * reader's own visibility, Last-Event-ID resuming without gaps, heartbeats, two server processes
 * on one database (a release made through one reaches the other's streams through LISTEN/NOTIFY),
 * streams ended by the graceful shutdown, and a PostgreSQL restart in the middle of a stream. */
#include <signal.h>

#include "harness.h"
#include "test_feedback_fixtures.h"

TestSuite(feedback_sse, .fini = it_teardown);

#define WAIT_MS 5000
#define HEARTBEAT_WAIT_MS 8000 /* 5 s of silence, checked every second */

/* Posts as `who` straight through the database (the server may not be connected yet). */
static void post_sql(PGconn *admin, const fb_party_t *who, const char *board, const char *text) {
    const char *params[] = {who->user, who->org, board, text, who->key};
    it_db_exec(admin, "BEGIN; SET LOCAL search_path = isms");
    PQclear(it_db_query(admin,
                        "SELECT set_config('app.user_id', $1, true), "
                        "set_config('app.organisation_id', $2, true), "
                        "set_config('app.feedback_key', $5, true), "
                        "isms.api_feedback_post_create($3, $4)",
                        5, params));
    it_db_exec(admin, "COMMIT");
}

/* Every event id of a stream's text must follow the previous one: nothing was skipped. Ids are
 * per board and the stream sends each change once, so between two reads the ids are those of
 * the events in between. Returns the last id. */
static long assert_ids_increase(const char *text) {
    fb_event_t ev[256];
    size_t n = fb_sse_events(text, ev, 256);
    long last = -1;
    for (size_t i = 0; i < n; i++) {
        cr_assert_gt(ev[i].id, last, "event ids go back: %ld after %ld in %s", ev[i].id, last,
                     text);
        last = ev[i].id;
    }
    fb_events_free(ev, n);
    return last;
}

/* The set of post texts a stream delivered as "post" events, joined in id order. */
static int count_posts(const char *text, const char *needle) {
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

Test(feedback_sse, a_stream_starts_with_the_board_and_follows_releases_as_rest_does) {
    fb_world_t w;
    char board[37];
    it_server_t *srv = it_server_start(NULL);
    PGconn *admin = it_db_connect(NULL);
    fb_world(&w, admin, 4, 3);
    fb_open_board(srv, &w, board);
    fb_sse_t *d = fb_sse_open(srv, board, &w.member[3], NULL);
    fb_sse_t *a = fb_sse_open(srv, board, &w.member[0], NULL);
    fb_sse_await(d, "event: board\n", WAIT_MS);
    fb_sse_await(a, "event: board\n", WAIT_MS);
    cr_assert_eq(fb_sse_status(d), 200);
    cr_assert(strncmp(d->buf, "retry: ", 7) == 0, "%s", d->buf);

    fb_post(srv, board, &w.member[0], "alpha", NULL);
    fb_post(srv, board, &w.member[1], "bravo", NULL);
    fb_sse_drive(d, 300);
    cr_assert_null(strstr(d->buf, "event: post"), "writing changes nothing others see");
    fb_tick(admin, board); /* two organisations of three: only the waiting count */
    fb_sse_await(d, "\"waiting_posts\" : 2", WAIT_MS);
    cr_assert_null(strstr(d->buf, "alpha"));
    fb_post(srv, board, &w.member[2], "charlie", NULL);
    fb_tick(admin, board);
    fb_sse_await(d, "\"batches\" : 1", WAIT_MS);
    fb_sse_await(a, "\"batches\" : 1", WAIT_MS);
    cr_assert_eq(count_posts(d->buf, "event: post\n"), 3, "%s", d->buf);
    cr_assert_eq(count_posts(d->buf, "\"is_mine\" : true"), 0, "%s", d->buf);
    cr_assert_eq(count_posts(a->buf, "\"is_mine\" : true"), 1, "the author recognises its post");
    assert_ids_increase(d->buf);

    /* Hidden: removed for members, still there (hidden) for the coordinator. */
    fb_sse_t *k = fb_sse_open(srv, board, &w.coordinator, "0");
    fb_sse_await(k, "\"text\" : \"charlie\"", WAIT_MS);
    const char *params[] = {board};
    PGresult *res = it_db_query(
        admin, "SELECT id FROM isms.feedback_posts WHERE board_id = $1 AND body = 'charlie'", 1,
        params);
    char path[128], removed[96];
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s/hide", PQgetvalue(res, 0, 0));
    snprintf(removed, sizeof(removed), "event: post_removed\ndata: {\"id\" : \"%s\"",
             PQgetvalue(res, 0, 0));
    PQclear(res);
    it_response_t *r = fb_call(srv, "POST", path, &w.coordinator, "{\"reason\":\"off topic\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    fb_sse_await(d, removed, WAIT_MS);
    fb_sse_await(k, "\"hidden_reason\" : \"off topic\"", WAIT_MS);
    fb_sse_close(k);
    fb_sse_close(a);
    fb_sse_close(d);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(feedback_sse, last_event_id_resumes_without_gaps_and_heartbeats_keep_it_alive) {
    fb_world_t w;
    char board[37], last[32];
    it_server_t *srv = it_server_start(NULL);
    PGconn *admin = it_db_connect(NULL);
    fb_world(&w, admin, 3, 3);
    fb_open_board(srv, &w, board);
    for (int i = 0; i < 3; i++)
        fb_post(srv, board, &w.member[i], "first batch", NULL);
    fb_tick(admin, board);
    fb_sse_t *s = fb_sse_open(srv, board, &w.coordinator, "0");
    fb_sse_await(s, "\"batches\" : 1", WAIT_MS);
    long seen = assert_ids_increase(s->buf);
    cr_assert_eq(count_posts(s->buf, "event: post\n"), 3, "a replay from 0 holds every post");
    fb_sse_close(s);

    /* Away for two batches and an edit. */
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 3; i++)
            fb_post(srv, board, &w.member[i], round ? "third batch" : "second batch", NULL);
        fb_tick(admin, board);
    }
    snprintf(last, sizeof(last), "%ld", seen);
    s = fb_sse_open(srv, board, &w.coordinator, last);
    fb_sse_await(s, "\"batches\" : 3", WAIT_MS);
    cr_assert_eq(count_posts(s->buf, "event: post\n"), 6, "both missed batches, nothing more");
    cr_assert_eq(count_posts(s->buf, "first batch"), 0, "nothing before the given id");
    /* Each post and the board once, at its latest id: ids rise, the board comes last. */
    fb_event_t ev[64];
    size_t n = fb_sse_events(s->buf, ev, 64);
    cr_assert_eq(n, 7, "six posts and the board: %s", s->buf);
    cr_assert_gt(ev[0].id, seen, "nothing at or before the given id");
    assert_ids_increase(s->buf);
    cr_assert_str_eq(ev[n - 1].name, "board");
    cr_assert_not_null(strstr(ev[n - 1].data, "\"batches\" : 3"));
    fb_events_free(ev, n);

    /* Nothing happens for five seconds: a heartbeat comment. */
    size_t before = s->len;
    fb_sse_await(s, ": heartbeat\n\n", HEARTBEAT_WAIT_MS);
    cr_assert_gt(s->len, before);
    fb_sse_close(s);

    it_response_t *r =
        it_request(srv, &(it_request_t){.path = "/v1/feedback/boards/x/events",
                                        .headers = (const char *[]){w.coordinator.auth, NULL}});
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    char path[128];
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/events", board);
    r = it_request(srv, &(it_request_t){.path = path,
                                        .headers = (const char *[]){w.coordinator.auth,
                                                                    "Last-Event-ID: -3", NULL}});
    it_assert_error(r, 400, "invalid_value");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(feedback_sse, a_release_through_one_server_reaches_the_streams_of_another) {
    fb_world_t w;
    char board[37];
    it_server_t *one = it_server_start(NULL), *two = it_server_start(NULL);
    PGconn *admin = it_db_connect(NULL);
    fb_world(&w, admin, 3, 3);
    fb_open_board(one, &w, board);
    fb_sse_t *s = fb_sse_open(two, board, &w.member[0], NULL);
    fb_sse_await(s, "event: board\n", WAIT_MS);
    for (int i = 0; i < 3; i++)
        fb_post(one, board, &w.member[i], "across processes", NULL);
    char path[128];
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/close", board);
    it_response_t *r = fb_call(one, "POST", path, &w.coordinator, NULL); /* releases the batch */
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    fb_sse_await(s, "\"state\" : \"closed\"", WAIT_MS);
    cr_assert_eq(count_posts(s->buf, "\"text\" : \"across processes\""), 3, "%s", s->buf);
    fb_sse_close(s);
    cr_assert_eq(it_server_stop(one), 0);
    cr_assert_eq(it_server_stop(two), 0);
}

Test(feedback_sse, the_graceful_shutdown_ends_open_streams_at_once) {
    fb_world_t w;
    char board[37];
    it_server_t *srv = it_server_start(
        &(it_server_options_t){.env = (const char *[]){"ISMS_SHUTDOWN_TIMEOUT_MS=30000", NULL}});
    PGconn *admin = it_db_connect(NULL);
    fb_world(&w, admin, 3, 3);
    fb_open_board(srv, &w, board);
    fb_sse_t *s[3];
    for (int i = 0; i < 3; i++) {
        s[i] = fb_sse_open_with(srv, board, &w.member[i], NULL, i == 2); /* one over HTTP/2 */
        fb_sse_await(s[i], "event: board\n", WAIT_MS);
    }
    uint64_t t0 = it_now_ms();
    it_server_signal(srv, SIGTERM);
    for (int i = 0; i < 3; i++) {
        cr_assert(fb_sse_await_end(s[i], 3000), "stream %d still open after SIGTERM", i);
        cr_assert_eq(s[i]->result, CURLE_OK, "stream %d ended badly: %s", i,
                     curl_easy_strerror(s[i]->result));
        fb_sse_close(s[i]);
    }
    cr_assert_eq(it_server_wait(srv, 10000), 0, "exit status");
    cr_assert_lt(it_now_ms() - t0, 10000, "the drain waited for the streams");
    cJSON *line =
        it_server_log_find(srv, 0, "msg", "shutdown timeout: abandoning in-flight requests", NULL);
    cr_assert_null(line, "the drain timed out");
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(feedback_sse, a_postgresql_restart_during_a_stream_loses_no_released_post) {
    fb_world_t w;
    char board[37];
    it_pg_t *pg = it_pg_create();
    it_server_t *srv = it_server_start(&(it_server_options_t){.database_url = pg->app_url});
    PGconn *admin = it_db_connect(pg->admin_url);
    fb_world(&w, admin, 3, 3);
    fb_open_board(srv, &w, board);
    fb_sse_t *s = fb_sse_open(srv, board, &w.member[0], NULL);
    fb_sse_await(s, "event: board\n", WAIT_MS);
    for (int i = 0; i < 3; i++)
        fb_post(srv, board, &w.member[i], "before the restart", NULL);
    fb_tick(admin, board);
    fb_sse_await(s, "\"batches\" : 1", WAIT_MS);
    it_db_close(admin);

    it_pg_stop(pg, "immediate");
    fb_sse_drive(s, 200);
    it_pg_start(pg);
    /* Released at once, before the server can have listened again: caught up on reconnection. */
    admin = it_db_connect(pg->admin_url);
    for (int i = 0; i < 3; i++)
        post_sql(admin, &w.member[i], board, "while the listener was away");
    fb_tick(admin, board);
    fb_sse_await(s, "\"batches\" : 2", 15000);
    cr_assert_eq(count_posts(s->buf, "while the listener was away"), 3, "%s", s->buf);

    /* And the stream goes on with the new connection. */
    cJSON *up = it_server_log_find(srv, 10000, "msg", "notification listener up", NULL);
    cJSON_Delete(up);
    for (int i = 0; i < 3; i++)
        fb_post(srv, board, &w.member[i], "after the restart", NULL);
    fb_tick(admin, board);
    fb_sse_await(s, "\"batches\" : 3", WAIT_MS);
    cr_assert_eq(count_posts(s->buf, "after the restart"), 3, "%s", s->buf);
    assert_ids_increase(s->buf);
    cr_assert(s->running, "the stream itself stayed open");
    fb_sse_close(s);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(feedback_sse, a_reader_who_loses_access_loses_the_stream) {
    fb_world_t w;
    char board[37], path[128];
    it_server_t *srv = it_server_start(NULL);
    PGconn *admin = it_db_connect(NULL);
    fb_world(&w, admin, 3, 3);
    fb_open_board(srv, &w, board);
    fb_sse_t *s = fb_sse_open(srv, board, &w.member[0], NULL);
    fb_sse_await(s, "event: board\n", WAIT_MS);
    const char *params[] = {w.member[0].user};
    PQclear(it_db_query(admin, "UPDATE isms.sessions SET revoked_at = now() WHERE user_id = $1", 1,
                        params));
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s", board);
    it_response_t *r = fb_call(srv, "PATCH", path, &w.coordinator, "{\"title\":\"Renamed\"}");
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    fb_sse_await(s, "event: error\ndata: {\"error\":{\"code\":\"unauthenticated\"", WAIT_MS);
    cr_assert(fb_sse_await_end(s, WAIT_MS), "the stream goes on after its session was revoked");
    cr_assert_null(strstr(s->buf, "Renamed"), "nothing more reached the revoked reader");
    fb_sse_close(s);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* A session may keep a few live streams (tabs, devices), not an unbounded number: the ninth is
 * refused with 429 while another reader's stream still opens, and closing one frees a place. */
Test(feedback_sse, a_session_keeps_at_most_eight_live_streams) {
    fb_world_t w;
    char board[37], path[128];
    it_server_t *srv = it_server_start(NULL);
    PGconn *admin = it_db_connect(NULL);
    fb_world(&w, admin, 3, 3);
    fb_open_board(srv, &w, board);
    fb_sse_t *s[8];
    for (int i = 0; i < 8; i++) {
        /* The one closed below speaks HTTP/2, whose clients say when they leave (over HTTP/1.1 the
         * server only learns it when a write fails, after a heartbeat or two). */
        s[i] = fb_sse_open_with(srv, board, &w.member[0], NULL, i == 0);
        fb_sse_await(s[i], "event: board\n", WAIT_MS);
    }
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/events", board);
    const char *headers[] = {w.member[0].auth, NULL};
    it_response_t *r = it_request(srv, &(it_request_t){.path = path, .headers = headers});
    it_assert_error(r, 429, "too_many_streams");
    cr_assert_not_null(it_header(r, "retry-after"), "a 429 says when to retry");
    it_response_free(r);
    fb_sse_t *other = fb_sse_open(srv, board, &w.member[1], NULL);
    fb_sse_await(other, "event: board\n", WAIT_MS);
    fb_sse_close(other);
    fb_sse_close(s[0]);
    fb_sse_t *again = NULL;
    for (uint64_t deadline = it_now_ms() + WAIT_MS; again == NULL;) {
        fb_sse_t *try = fb_sse_open(srv, board, &w.member[0], NULL);
        while (try->running && fb_sse_status(try) == 0)
            fb_sse_drive(try, 20);
        if (fb_sse_status(try) == 200) {
            again = try;
        } else {
            cr_assert_eq(fb_sse_status(try), 429, "a refused stream answers 429");
            fb_sse_close(try);
            cr_assert_lt(it_now_ms(), deadline, "the closed stream's place was never freed");
            it_sleep_ms(200);
        }
    }
    fb_sse_await(again, "event: board\n", WAIT_MS);
    fb_sse_close(again);
    for (int i = 1; i < 8; i++)
        fb_sse_close(s[i]);
    cr_assert_eq(it_server_stop(srv), 0);
}
