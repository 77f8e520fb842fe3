/* Fixtures for the feedback integration tests: a cluster world made with the admin connection
 * (organisations, users, sessions with known tokens, admitted enrolments), HTTP shortcuts with a
 * bearer token, the release tick as the server's timer runs it, and a small server-sent events
 * client on libcurl. Included by the test_feedback*.c files only; everything here is static. */
#pragma once
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FB_MAX_MEMBERS 6

typedef struct fb_party {
    char org[37], user[37];
    char org_name[64], user_name[64], email[96];
    char auth[160]; /* "Authorization: Bearer <token>" */
    char key[65];   /* the organisation's feedback tag key (hex), as a login would unwrap it */
} fb_party_t;

typedef struct fb_world {
    PGconn *admin;
    char cluster[37];
    int nmembers;
    fb_party_t member[FB_MAX_MEMBERS]; /* A, B, C, ... */
    fb_party_t coordinator;
} fb_world_t;

static __attribute__((unused)) const char *fb_value(PGresult *res, int row, int col) {
    return PQgetvalue(res, row, col);
}

/* One organisation with one user and a session; `kind` member or coordinator. The organisation
 * gets a feedback key and the session its box, as a login makes them (migration 0060). */
static __attribute__((unused)) void fb_party(PGconn *admin, fb_party_t *p, const char *kind,
                                             const char *tag) {
    const char *params[] = {kind, tag};
    it_db_exec(admin, "SET search_path = isms, public"); /* the SQL HMAC calls its helpers */
    PGresult *res = it_db_query(
        admin,
        "WITH o AS (INSERT INTO isms.organisations (name, kind) "
        "           VALUES ('FbOrg ' || $2 || ' ' || substr(md5(random()::text), 1, 10), $1) "
        "           RETURNING id, name), "
        "     u AS (INSERT INTO isms.users (organisation_id, email, display_name) "
        "           SELECT id, 'fb.' || lower($2) || '.' || substr(md5(random()::text), 1, 10) "
        "                      || '@example.test', 'FbUser ' || $2 || ' ' || "
        "                      substr(md5(random()::text), 1, 8) FROM o "
        "           RETURNING id, organisation_id, email, display_name), "
        "     t AS (SELECT 'fbtok' || md5(random()::text) AS token), "
        "     k AS (SELECT sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())) "
        "                  AS key), "
        "     v AS (INSERT INTO isms.organisation_feedback_keys (organisation_id, verifier) "
        "           SELECT o.id, isms.feedback_verifier_of(k.key) FROM o, k), "
        "     s AS (INSERT INTO isms.sessions (user_id, organisation_id, token_hash, expires_at, "
        "                                      idle_seconds, feedback_box) "
        "           SELECT u.id, u.organisation_id, encode(sha256(convert_to(t.token, 'UTF8')), "
        "                  'hex'), now() + interval '1 day', 86400, isms.feedback_xor(k.key, "
        "                  isms.feedback_hmac_sha256(convert_to(t.token, 'UTF8'), "
        "                  convert_to('isms-feedback-session', 'UTF8'))) FROM u, t, k RETURNING "
        "id) "
        "SELECT o.id, u.id, o.name, u.display_name, u.email, t.token, encode(k.key, 'hex') "
        "FROM o, u, t, s, k",
        2, params);
    snprintf(p->org, sizeof(p->org), "%s", fb_value(res, 0, 0));
    snprintf(p->user, sizeof(p->user), "%s", fb_value(res, 0, 1));
    snprintf(p->org_name, sizeof(p->org_name), "%s", fb_value(res, 0, 2));
    snprintf(p->user_name, sizeof(p->user_name), "%s", fb_value(res, 0, 3));
    snprintf(p->email, sizeof(p->email), "%s", fb_value(res, 0, 4));
    snprintf(p->auth, sizeof(p->auth), "Authorization: Bearer %s", fb_value(res, 0, 5));
    snprintf(p->key, sizeof(p->key), "%s", fb_value(res, 0, 6));
    PQclear(res);
}

/* A cluster with `n` admitted member organisations and release threshold `k`. */
static __attribute__((unused)) void fb_world(fb_world_t *w, PGconn *admin, int n, int k) {
    char threshold[8];
    memset(w, 0, sizeof(*w));
    w->admin = admin;
    w->nmembers = n;
    fb_party(admin, &w->coordinator, "coordinator", "K");
    snprintf(threshold, sizeof(threshold), "%d", k);
    const char *params[] = {w->coordinator.user, w->coordinator.org, threshold};
    /* The cluster's creator becomes its coordinator (a trigger reads app.user_id). */
    it_db_exec(admin, "BEGIN");
    PQclear(it_db_query(admin, "SELECT set_config('app.user_id', $1, true)", 1, params));
    PGresult *res = it_db_query(admin,
                                "INSERT INTO isms.clusters (name, coordinating_organisation_id, "
                                "country, time_zone, start_date, target_end_date, "
                                "feedback_release_threshold) VALUES ('FbCluster', $1, 'LU', "
                                "'Europe/Luxembourg', current_date, current_date + 365, "
                                "$2::integer) RETURNING id",
                                2, params + 1);
    snprintf(w->cluster, sizeof(w->cluster), "%s", fb_value(res, 0, 0));
    PQclear(res);
    it_db_exec(admin, "COMMIT");
    for (int i = 0; i < n; i++) {
        char tag[2] = {(char)('A' + i), 0};
        fb_party(admin, &w->member[i], "member", tag);
        const char *e[] = {w->cluster, w->member[i].org};
        PQclear(it_db_query(admin,
                            "INSERT INTO isms.enrolments (cluster_id, organisation_id, status, "
                            "admitted_at) VALUES ($1, $2, 'admitted', now())",
                            2, e));
    }
}

/* ---- HTTP ------------------------------------------------------------------------------------ */

static __attribute__((unused)) it_response_t *fb_call(const it_server_t *srv, const char *method,
                                                      const char *path, const fb_party_t *who,
                                                      const char *body) {
    const char *headers[] = {who != NULL ? who->auth : NULL, NULL};
    return it_request(srv, &(it_request_t){.method = method,
                                           .path = path,
                                           .headers = who != NULL ? headers : NULL,
                                           .body = body});
}

static __attribute__((unused)) const char *fb_str(const it_response_t *r, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->json, name);
    cr_assert(cJSON_IsString(v), "no string \"%s\" in %d %s", name, r->status, r->body);
    return v->valuestring;
}

static __attribute__((unused)) long fb_num(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    cr_assert(cJSON_IsNumber(v), "no number \"%s\"", name);
    return (long)v->valuedouble;
}

/* Opens a board in the world's cluster as its coordinator; its id into `board`. */
static __attribute__((unused)) void fb_open_board(const it_server_t *srv, const fb_world_t *w,
                                                  char board[37]) {
    char path[128];
    snprintf(path, sizeof(path), "/v1/clusters/%s/feedback/boards", w->cluster);
    it_response_t *r = fb_call(srv, "POST", path, &w->coordinator,
                               "{\"title\":\"Risk assessment\",\"prompt\":\"What went wrong?\"}");
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(board, 37, "%s", fb_str(r, "id"));
    it_response_free(r);
}

/* Posts `text` as `who`; the new post's id into `id` (may be NULL). */
static __attribute__((unused)) void fb_post(const it_server_t *srv, const char *board,
                                            const fb_party_t *who, const char *text, char *id) {
    char path[128];
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "text", text);
    char *json = cJSON_PrintUnformatted(body);
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/posts", board);
    it_response_t *r = fb_call(srv, "POST", path, who, json);
    cr_assert_eq(r->status, 201, "%s", r->body);
    if (id != NULL)
        snprintf(id, 37, "%s", fb_str(r, "id"));
    it_response_free(r);
    cJSON_free(json);
    cJSON_Delete(body);
}

/* Makes the board's release tick due and runs due ticks, as every server's timer does; returns
 * once the tick is done (a server's own timer may have taken it: the tick moves next_release_at
 * past now when it commits). */
static __attribute__((unused)) void fb_tick(PGconn *admin, const char *board) {
    const char *params[] = {board};
    PQclear(it_db_query(admin,
                        "UPDATE isms.feedback_boards SET next_release_at = now() - interval '1 s' "
                        "WHERE id = $1",
                        1, params));
    it_db_long(admin, "SELECT isms.feedback_release_due()", 0, NULL);
    it_db_await(admin,
                "SELECT count(*) FROM isms.feedback_boards WHERE id = $1 "
                "AND (next_release_at > now() OR state = 'closed')",
                1, params, 1, 5000);
}

/* GET the board's posts as `who` (one page of up to 200); the caller frees. */
static __attribute__((unused)) it_response_t *fb_list(const it_server_t *srv, const char *board,
                                                      const fb_party_t *who) {
    char path[160];
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/posts?limit=200", board);
    it_response_t *r = fb_call(srv, "GET", path, who, NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    return r;
}

static __attribute__((unused)) const cJSON *fb_items(const it_response_t *r) {
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(r->json, "items");
    cr_assert(cJSON_IsArray(items), "%s", r->body);
    return items;
}

/* ---- a server-sent events client ------------------------------------------------------------- */

typedef struct fb_sse {
    CURLM *multi;
    CURL *easy;
    struct curl_slist *headers;
    char *buf;
    size_t len, cap;
    int running;
    CURLcode result;
} fb_sse_t;

static __attribute__((unused)) size_t fb_sse_write(char *data, size_t size, size_t n, void *arg) {
    fb_sse_t *s = arg;
    size_t add = size * n;
    if (s->len + add + 1 > s->cap) {
        s->cap = (s->len + add + 1) * 2;
        s->buf = realloc(s->buf, s->cap);
        cr_assert_not_null(s->buf);
    }
    memcpy(s->buf + s->len, data, add);
    s->len += add;
    s->buf[s->len] = '\0';
    return add;
}

static __attribute__((unused)) void fb_sse_drive(fb_sse_t *s, int ms) {
    int still = 0;
    curl_multi_perform(s->multi, &still);
    if (still > 0 && ms > 0)
        curl_multi_poll(s->multi, NULL, 0, ms, NULL);
    curl_multi_perform(s->multi, &still);
    s->running = still;
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(s->multi, &left)) != NULL)
        if (m->msg == CURLMSG_DONE)
            s->result = m->data.result;
}

/* Opens GET /v1/feedback/boards/{board}/events as `who`, with Last-Event-ID `last` (or none),
 * over HTTP/2 (prior knowledge) when `http2`. */
static __attribute__((unused)) fb_sse_t *fb_sse_open_with(const it_server_t *srv, const char *board,
                                                          const fb_party_t *who, const char *last,
                                                          int http2) {
    char url[256], header[64];
    fb_sse_t *s = calloc(1, sizeof(*s));
    cr_assert_not_null(s);
    s->buf = calloc(1, 1);
    s->multi = curl_multi_init();
    s->easy = curl_easy_init();
    snprintf(url, sizeof(url), "%s/v1/feedback/boards/%s/events", srv->url, board);
    s->headers = curl_slist_append(NULL, who->auth);
    if (last != NULL) {
        snprintf(header, sizeof(header), "Last-Event-ID: %s", last);
        s->headers = curl_slist_append(s->headers, header);
    }
    curl_easy_setopt(s->easy, CURLOPT_URL, url);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, fb_sse_write);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_HTTP_VERSION,
                     http2 ? (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
                           : (long)CURL_HTTP_VERSION_1_1);
    curl_multi_add_handle(s->multi, s->easy);
    s->running = 1;
    fb_sse_drive(s, 0);
    return s;
}

static __attribute__((unused)) fb_sse_t *fb_sse_open(const it_server_t *srv, const char *board,
                                                     const fb_party_t *who, const char *last) {
    return fb_sse_open_with(srv, board, who, last, 0);
}

/* Drives the stream until its text contains `needle`; fails the test after `timeout_ms`. */
static __attribute__((unused)) void fb_sse_await(fb_sse_t *s, const char *needle, int timeout_ms) {
    uint64_t deadline = it_now_ms() + (uint64_t)timeout_ms;
    while (strstr(s->buf, needle) == NULL) {
        const char *tail = s->len > 3000 ? s->buf + s->len - 3000 : s->buf;
        cr_assert(it_now_ms() < deadline, "no \"%s\" on the stream within %d ms; it ends: %s",
                  needle, timeout_ms, tail);
        cr_assert(s->running, "the stream ended (%s) without \"%s\"; it ends: %s",
                  curl_easy_strerror(s->result), needle, tail);
        fb_sse_drive(s, 20);
    }
}

/* Drives the stream until it ends; returns non-zero when it did within `timeout_ms`. */
static __attribute__((unused)) int fb_sse_await_end(fb_sse_t *s, int timeout_ms) {
    uint64_t deadline = it_now_ms() + (uint64_t)timeout_ms;
    while (s->running && it_now_ms() < deadline)
        fb_sse_drive(s, 20);
    return !s->running;
}

static __attribute__((unused)) long fb_sse_status(fb_sse_t *s) {
    long status = 0;
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

static __attribute__((unused)) void fb_sse_close(fb_sse_t *s) {
    curl_multi_remove_handle(s->multi, s->easy);
    curl_easy_cleanup(s->easy);
    curl_multi_cleanup(s->multi);
    curl_slist_free_all(s->headers);
    free(s->buf);
    free(s);
}

/* The events of a stream's text, in order: ids (-1 when absent), names and data. */
typedef struct fb_event {
    long id;
    char name[32];
    char *data;
} fb_event_t;

static __attribute__((unused)) size_t fb_sse_events(const char *text, fb_event_t *out, size_t max) {
    size_t n = 0;
    const char *p = text;
    while (*p != '\0' && n < max) {
        const char *end = strstr(p, "\n\n");
        if (end == NULL)
            break;
        fb_event_t e = {.id = -1};
        int has = 0;
        for (const char *line = p; line < end;) {
            const char *nl = memchr(line, '\n', (size_t)(end - line));
            size_t len = nl != NULL ? (size_t)(nl - line) : (size_t)(end - line);
            if (len > 4 && strncmp(line, "id: ", 4) == 0)
                e.id = strtol(line + 4, NULL, 10), has = 1;
            else if (len > 7 && strncmp(line, "event: ", 7) == 0)
                snprintf(e.name, sizeof(e.name), "%.*s", (int)(len - 7), line + 7), has = 1;
            else if (len >= 6 && strncmp(line, "data: ", 6) == 0)
                e.data = strndup(line + 6, len - 6), has = 1;
            line += len + 1;
        }
        if (has && e.name[0] != '\0')
            out[n++] = e;
        else
            free(e.data);
        p = end + 2;
    }
    return n;
}

static __attribute__((unused)) void fb_events_free(fb_event_t *events, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(events[i].data);
}
