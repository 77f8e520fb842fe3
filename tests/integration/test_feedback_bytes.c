/* Byte search: a full feedback scenario (posting, editing, deleting, "me too", moderation, ticks,
 * closing; every read, the CSV export, the event streams and the audit trail) captures every
 * response's status line, headers and body per viewer, and no capture may contain any
 * organisation's or user's id, name or e-mail other than the viewer's own. The server's log may
 * contain none at all. */
#include "harness.h"
#include "test_feedback_fixtures.h"

TestSuite(feedback_bytes, .fini = it_teardown);

enum { A, B, C, D, K, H, NVIEWERS }; /* members A-D, the coordinator, a coach */

typedef struct capture {
    char *text[NVIEWERS];
    size_t len[NVIEWERS];
} capture_t;

static it_server_t *srv;
static fb_world_t w;
static fb_party_t coach;
static capture_t cap;

static const fb_party_t *viewer(int v) {
    return v == K ? &w.coordinator : v == H ? &coach : &w.member[v];
}

static void keep(int v, const char *s, size_t n) {
    cap.text[v] = realloc(cap.text[v], cap.len[v] + n + 2);
    memcpy(cap.text[v] + cap.len[v], s, n);
    cap.len[v] += n;
    cap.text[v][cap.len[v]++] = '\n';
    cap.text[v][cap.len[v]] = '\0';
}

/* Sends a request as viewer `v`, keeps everything that came back, returns the response. */
static it_response_t *as(int v, const char *method, const char *path, const char *body) {
    it_response_t *r = fb_call(srv, method, path, viewer(v), body);
    char line[32];
    snprintf(line, sizeof(line), "%d", r->status);
    keep(v, line, strlen(line));
    for (size_t i = 0; i < r->nheaders; i++) {
        keep(v, r->headers[i].name, strlen(r->headers[i].name));
        keep(v, r->headers[i].value, strlen(r->headers[i].value));
    }
    keep(v, r->body, r->body_len);
    return r;
}

static void as_free(int v, const char *method, const char *path, const char *body) {
    it_response_free(as(v, method, path, body));
}

static void read_everything(const char *board) {
    char path[160];
    for (int v = 0; v < NVIEWERS; v++) {
        snprintf(path, sizeof(path), "/v1/feedback/boards/%s", board);
        as_free(v, "GET", path, NULL);
        snprintf(path, sizeof(path), "/v1/clusters/%s/feedback/boards", w.cluster);
        as_free(v, "GET", path, NULL);
        snprintf(path, sizeof(path), "/v1/feedback/boards/%s/export", board);
        as_free(v, "GET", path, NULL);
        snprintf(path, sizeof(path), "/v1/feedback/boards/%s/posts?limit=2", board);
        it_response_t *page = as(v, "GET", path, NULL);
        const cJSON *next = cJSON_GetObjectItemCaseSensitive(page->json, "next_cursor");
        if (cJSON_IsString(next)) {
            snprintf(path, sizeof(path), "/v1/feedback/boards/%s/posts?limit=2&cursor=%s", board,
                     next->valuestring);
            as_free(v, "GET", path, NULL);
        }
        it_response_free(page);
        it_response_t *list = fb_list(srv, board, viewer(v));
        const cJSON *item;
        cJSON_ArrayForEach(item, fb_items(list)) {
            snprintf(path, sizeof(path), "/v1/feedback/posts/%s",
                     cJSON_GetObjectItemCaseSensitive(item, "id")->valuestring);
            as_free(v, "GET", path, NULL);
        }
        it_response_free(list);
    }
}

/* Each viewer's stream from the start (Last-Event-ID 0) and from now, up to event `last`. */
static void read_streams(const char *board) {
    char path[128], needle[32];
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s", board);
    it_response_t *b = fb_call(srv, "GET", path, &w.coordinator, NULL);
    snprintf(needle, sizeof(needle), "id: %ld\n", fb_num(b->json, "last_event_id"));
    it_response_free(b);
    for (int v = 0; v < NVIEWERS; v++) {
        for (int fresh = 0; fresh <= 1; fresh++) {
            fb_sse_t *s = fb_sse_open(srv, board, viewer(v), fresh ? NULL : "0");
            fb_sse_await(s, needle, 5000);
            keep(v, s->buf, s->len);
            fb_sse_close(s);
        }
    }
}

static void assert_absent(const char *hay, const char *needle, const char *what, int v) {
    cr_assert_null(strcasestr(hay, needle), "%s \"%s\" appears in what viewer %d received", what,
                   needle, v);
}

static void assert_no_identity(const char *hay, const fb_party_t *p, int v) {
    assert_absent(hay, p->org, "organisation id", v);
    assert_absent(hay, p->user, "user id", v);
    assert_absent(hay, p->org_name, "organisation name", v);
    assert_absent(hay, p->user_name, "user name", v);
    assert_absent(hay, p->email, "e-mail", v);
}

static void scenario(PGconn *admin, char board[37]) {
    char path[160], alpha1[37], alpha2[37], bravo1[37], bravo2[37], charlie[37];
    fb_open_board(srv, &w, board);
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/posts", board);
    const char *texts[] = {"alpha one", "bravo one", "charlie one", "alpha two", "bravo two"};
    char *ids[] = {alpha1, bravo1, charlie, alpha2, bravo2};
    const int by[] = {A, B, C, A, B};
    for (int i = 0; i < 5; i++) {
        char body[64];
        snprintf(body, sizeof(body), "{\"text\":\"%s\"}", texts[i]);
        it_response_t *r = as(by[i], "POST", path, body);
        if (i == 0) {
            /* A client that names itself in X-Request-Id: the server's id is used instead, so
             * the access log (searched below) cannot show who wrote. */
            char id[64];
            snprintf(id, sizeof(id), "X-Request-Id: %s", w.member[A].org);
            it_response_t *named = it_request(
                srv, &(it_request_t){.method = "POST",
                                     .path = path,
                                     .headers = (const char *[]){w.member[A].auth, id, NULL},
                                     .body = "{\"text\":\"alpha, self-named\"}"});
            cr_assert_eq(named->status, 201, "%s", named->body);
            cr_assert_str_neq(it_header(named, "x-request-id"), w.member[A].org);
            it_response_free(named);
        }
        cr_assert_eq(r->status, 201, "%s", r->body);
        snprintf(ids[i], 37, "%s", fb_str(r, "id"));
        it_response_free(r);
    }
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s", alpha2);
    as_free(A, "PATCH", path, "{\"text\":\"alpha two, edited while waiting\"}");
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s", bravo2);
    as_free(B, "DELETE", path, NULL);
    read_everything(board);
    fb_tick(admin, board);
    read_everything(board);

    snprintf(path, sizeof(path), "/v1/feedback/posts/%s/me-too", alpha1);
    for (int v = 0; v < NVIEWERS; v++)
        as_free(v, "PUT", path, NULL);
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s/me-too", bravo1);
    as_free(C, "PUT", path, NULL);
    as_free(D, "PUT", path, NULL);
    as_free(D, "DELETE", path, NULL);
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s", alpha1);
    as_free(A, "PATCH", path, "{\"text\":\"alpha one, edited after release\"}");
    for (int v = B; v < NVIEWERS; v++) {
        as_free(v, "PATCH", path, "{\"text\":\"not yours\"}");
        as_free(v, "DELETE", path, NULL);
        as_free(v, "PATCH", path, "{\"text\":\"\",\"author\":\"x\"}");
    }
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s", bravo1);
    as_free(B, "DELETE", path, NULL);
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s/hide", charlie);
    as_free(D, "POST", path, "{\"reason\":\"members do not moderate\"}");
    as_free(K, "POST", path, "{\"reason\":\"Names a supplier\"}");
    fb_tick(admin, board);
    read_everything(board);
    read_streams(board);
    snprintf(path, sizeof(path), "/v1/clusters/%s/audit-events?limit=200", w.cluster);
    as_free(K, "GET", path, NULL);
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/close", board);
    as_free(K, "POST", path, NULL);
    read_everything(board);
}

Test(feedback_bytes, no_response_header_stream_or_log_line_names_anybody_but_the_viewer) {
    char board[37];
    srv = it_server_start(NULL);
    PGconn *admin = it_db_connect(NULL);
    fb_world(&w, admin, 4, 3);
    fb_party(admin, &coach, "consultancy", "H");
    const char *staff[] = {w.cluster, coach.user};
    PQclear(it_db_query(admin,
                        "INSERT INTO isms.cluster_staff (cluster_id, user_id, role) "
                        "VALUES ($1, $2, 'coach')",
                        2, staff));
    scenario(admin, board);
    cr_assert_eq(it_server_stop(srv), 0);

    for (int v = 0; v < NVIEWERS; v++) {
        cr_assert_gt(cap.len[v], 10000u, "viewer %d received too little to prove anything", v);
        for (int p = 0; p < NVIEWERS; p++)
            if (p != v)
                assert_no_identity(cap.text[v], viewer(p), v);
    }
    cr_assert_not_null(strstr(cap.text[A], "\"is_mine\" : true"), "the author recognises its own");
    cr_assert_not_null(strstr(cap.text[K], "feedback_post_hide"), "the audit trail was read");
    char *log = it_server_log(srv);
    cr_assert_not_null(strstr(log, "/feedback/posts/"), "the log was captured");
    for (int p = 0; p < NVIEWERS; p++)
        assert_no_identity(log, viewer(p), -1);
    free(log);
    for (int v = 0; v < NVIEWERS; v++)
        free(cap.text[v]);
}
