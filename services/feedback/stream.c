/* Live feedback: GET /v1/feedback/boards/{id}/events streams a board's events as server-sent
 * events, and the release timer runs the boards' due ticks. A tick or a coordinator's action
 * commits events and a NOTIFY "<board id> <last event id>"; the LISTEN connection hands it to
 * every stream of that board in this process, and each stream then reads what is new with its
 * own identity (the reader's visibility, exactly as for the REST reads), from the id it last
 * sent. When the LISTEN connection comes back after a loss, every stream reads again, so nothing
 * released meanwhile is missed. A process connects for LISTEN only once it has had a stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/errors.h"
#include "core/json.h"
#include "core/listen.h"
#include "core/log.h"
#include "core/sse.h"
#include "feedback/feedback.h"
#include "feedback/internal.h"

#define CHANNEL "isms_feedback"
#define TIMER_MS 1000
#define RELEASE_EVERY 5 /* timer turns between release ticks */
/* Timer turns between reads of every stream: access is checked again, so a revoked session or
 * a withdrawn organisation loses its stream even when nothing happens on the board. */
#define RECHECK_EVERY 60
#define RETRY_MS 2000 /* what clients are told to wait before reconnecting */

/* One reader's stream. Owned by the runtime's list while its SSE stream lives, and by the queries
 * in flight (refs); freed when both are over. */
typedef struct fb_stream {
    struct fb_stream *prev, *next;
    sse_stream_t *sse; /* NULL once the stream is over */
    http_req_t *req;   /* valid while sse is not NULL */
    char board[37];
    long long last_id; /* the last event id the reader has; -1 before the first */
    int querying;      /* a query is in flight */
    int again;         /* something changed while it was */
    int retry;         /* the last query found the database unavailable */
    int refs;
    char session[65]; /* hash of the reader's session token: the per-session limit */
} fb_stream_t;

/* Live streams hold a connection and a little memory each, for as long as the reader wants: a
 * person needs a few (tabs, devices), nobody needs hundreds. */
#define FB_MAX_STREAMS 4096
#define FB_MAX_STREAMS_PER_SESSION 8

static struct {
    uv_loop_t *loop;
    db_pool_t *db;
    sse_hub_t *hub;
    pg_listener_t *listener;
    uv_timer_t timer;
    unsigned turns;
    int releasing; /* a release query is in flight */
    int listening; /* the LISTEN connection was started (with the first stream) */
    int closing;
    fb_stream_t *streams;
    int nstreams;
} rt;

static void stream_poll(fb_stream_t *fs);

static void stream_unref(fb_stream_t *fs) {
    if (--fs->refs == 0)
        free(fs);
}

/* ---- writing events -------------------------------------------------------------------------- */

/* Sends the rows (id, event, data) of an events query; returns how many there were. */
static int send_rows(fb_stream_t *fs, const PGresult *res) {
    int n = res != NULL ? PQntuples(res) : 0;
    for (int i = 0; i < n && fs->sse != NULL; i++) {
        const char *id = PQgetvalue(res, i, 0), *data = PQgetvalue(res, i, 2);
        if (sse_send(fs->sse, id, PQgetvalue(res, i, 1), data, strlen(data)) != 0)
            break;
        fs->last_id = strtoll(id, NULL, 10);
    }
    return n;
}

/* Ends a stream the reader may no longer follow (its session ended, the board went). */
static void stream_fail(fb_stream_t *fs, const http_error_t *e) {
    cJSON *doc = cJSON_CreateObject();
    cJSON *err = cJSON_AddObjectToObject(doc, "error");
    cJSON_AddStringToObject(err, "code", e->code);
    cJSON_AddStringToObject(err, "message", e->message);
    char *text = cJSON_PrintUnformatted(doc);
    if (text != NULL)
        sse_send(fs->sse, NULL, "error", text, strlen(text));
    cJSON_free(text);
    cJSON_Delete(doc);
    sse_end(fs->sse);
}

/* ---- reading events -------------------------------------------------------------------------- */

static db_txn_t *events_txn(http_req_t *req, const char *board, const char *after) {
    db_txn_t *txn = http_txn_new(req);
    const char *params[] = {board, after, FB_EVENTS_PAGE_TEXT};
    if (txn != NULL &&
        (req->result_index = db_txn_add(txn, &feedback_statements[FB_EVENTS], params)) < 0) {
        db_txn_free(txn);
        return NULL;
    }
    return txn;
}

static void on_poll_done(db_txn_t *txn, void *arg) {
    fb_stream_t *fs = arg;
    fs->querying = 0;
    if (fs->sse == NULL) {
        stream_unref(fs);
        return;
    }
    db_status_t st = db_txn_status(txn);
    if (st == DB_OK) {
        int n = send_rows(fs, db_txn_result(txn, fs->req->result_index));
        if (n >= FB_EVENTS_PAGE || fs->again)
            stream_poll(fs);
    } else if (st == DB_EINVAL) {
        http_error_t e = http_error_for_sqlstate(db_txn_sqlstate(txn), db_txn_error_message(txn),
                                                 db_txn_error_detail(txn));
        if (e.status == 503)
            fs->retry = 1;
        else
            stream_fail(fs, &e);
    } else {
        fs->retry = 1; /* the database is away: the timer tries again */
    }
    stream_unref(fs);
}

/* Reads what is new for the stream, now or after the query in flight. */
static void stream_poll(fb_stream_t *fs) {
    if (fs->sse == NULL || rt.closing)
        return;
    if (fs->querying) {
        fs->again = 1;
        return;
    }
    char after[32];
    snprintf(after, sizeof(after), "%lld", fs->last_id);
    db_txn_t *txn = events_txn(fs->req, fs->board, after);
    if (txn == NULL) {
        fs->retry = 1;
        return;
    }
    fs->querying = 1;
    fs->again = 0;
    fs->retry = 0;
    fs->refs++;
    if (db_txn_submit(rt.db, txn, on_poll_done, fs) != DB_OK) {
        db_txn_free(txn);
        fs->querying = 0;
        fs->retry = 1;
        fs->refs--;
    }
}

/* ---- the route ------------------------------------------------------------------------------- */

static void on_stream_closed(void *data) {
    fb_stream_t *fs = data;
    fs->sse = NULL;
    fs->req = NULL;
    if (fs->prev != NULL)
        fs->prev->next = fs->next;
    else
        rt.streams = fs->next;
    if (fs->next != NULL)
        fs->next->prev = fs->prev;
    rt.nstreams--;
    stream_unref(fs);
}

/* Refuses a stream past the limits; returns non-zero when it answered. */
static int refuse_over_limit(http_req_t *req) {
    int mine = 0;
    for (const fb_stream_t *fs = rt.streams; fs != NULL; fs = fs->next)
        mine += strcmp(fs->session, req->token_hash) == 0;
    if (mine >= FB_MAX_STREAMS_PER_SESSION) {
        http_add_header(req, "Retry-After", "5");
        http_send_error(req, 429, "too_many_streams",
                        "this session already has %d live streams open; close one first",
                        FB_MAX_STREAMS_PER_SESSION);
        return 1;
    }
    if (rt.nstreams >= FB_MAX_STREAMS) {
        http_add_header(req, "Retry-After", "5");
        http_send_error(req, 503, "overloaded", "too many live streams are open; retry shortly");
        return 1;
    }
    return 0;
}

static void on_first_events(http_req_t *req, db_txn_t *txn) {
    const long long *after = req->handler_data; /* the client's last id, or -1 */
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    if (refuse_over_limit(req))
        return;
    fb_stream_t *fs = calloc(1, sizeof(*fs));
    if (fs == NULL) {
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    http_param(req, "id", fs->board, sizeof(fs->board));
    fs->req = req;
    fs->last_id = *after;
    fs->refs = 1;
    snprintf(fs->session, sizeof(fs->session), "%s", req->token_hash);
    fs->sse = sse_start(rt.hub, req, RETRY_MS, on_stream_closed, fs);
    if (fs->sse == NULL) {
        free(fs);
        http_add_header(req, "Retry-After", "1");
        http_send_error(req, 503, "shutting_down", "the server is restarting; retry shortly");
        return;
    }
    fs->next = rt.streams;
    if (rt.streams != NULL)
        rt.streams->prev = fs;
    rt.streams = fs;
    rt.nstreams++;
    if (send_rows(fs, db_txn_result(txn, req->result_index)) >= FB_EVENTS_PAGE)
        stream_poll(fs);
    /* The LISTEN connection starts with the first stream; once it is ready, every stream reads
     * again, so what was committed since this stream's first read is not missed. */
    if (!rt.listening) {
        rt.listening = 1;
        if (listen_start(rt.listener) != 0)
            log_msg(LOG_ERROR, "feedback: the notification listener could not start", NULL);
    }
}

int feedback_events_route(http_req_t *req) {
    char board[64], header[64], query[64];
    int64_t after = 0;
    if (http_param(req, "id", board, sizeof(board)) == NULL || !uuid_valid(board)) {
        http_send_not_found(req);
        return 0;
    }
    /* Browsers resend the last id as a header; a first connection may give it in the query. */
    const char *last = http_header(req, "last-event-id", header, sizeof(header));
    if (last == NULL)
        last = http_query(req, "last_event_id", query, sizeof(query));
    if (last != NULL && sse_parse_event_id(last, &after) != 0) {
        http_send_error(req, 400, "invalid_value",
                        "Last-Event-ID must be an event id that this stream sent");
        return 0;
    }
    if (rt.hub == NULL) {
        http_send_error(req, 503, "unavailable", "live updates are not running");
        return 0;
    }
    char after_text[32];
    snprintf(after_text, sizeof(after_text), "%lld", (long long)after);
    long long *kept = h2o_mem_alloc_pool(&req->h2o->pool, sizeof(*kept));
    *kept = last != NULL ? (long long)after : -1;
    req->handler_data = kept;
    db_txn_t *txn = events_txn(req, board, last != NULL ? after_text : NULL);
    if (txn == NULL)
        return -1;
    http_db_submit(req, txn, on_first_events);
    return 0;
}

/* ---- notifications, the timer, shutdown ------------------------------------------------------ */

/* "<board id> <last event id>" */
static void on_notify(const char *channel, const char *payload, void *arg) {
    char board[37];
    long long last;
    (void)arg;
    if (strcmp(channel, CHANNEL) != 0 || sscanf(payload, "%36s %lld", board, &last) != 2)
        return;
    for (fb_stream_t *fs = rt.streams, *next; fs != NULL; fs = next) {
        next = fs->next;
        if (strcmp(fs->board, board) == 0 && last > fs->last_id)
            stream_poll(fs);
    }
}

/* LISTEN is (again) in place: whatever was notified while it was not is read now. */
static void on_listener_ready(void *arg) {
    (void)arg;
    for (fb_stream_t *fs = rt.streams, *next; fs != NULL; fs = next) {
        next = fs->next;
        stream_poll(fs);
    }
}

static void on_release_done(db_txn_t *txn, void *arg) {
    (void)arg;
    rt.releasing = 0;
    if (db_txn_status(txn) == DB_EINVAL)
        log_msg(LOG_WARN, "feedback release tick failed", db_txn_error_message(txn));
}

static void release_due(void) {
    if (rt.releasing || db_pool_connected(rt.db) == 0)
        return;
    db_txn_t *txn = db_txn_new();
    if (txn == NULL || db_txn_add(txn, &feedback_statements[FB_RELEASE_DUE], NULL) < 0) {
        db_txn_free(txn);
        return;
    }
    rt.releasing = 1;
    if (db_txn_submit(rt.db, txn, on_release_done, NULL) != DB_OK) {
        db_txn_free(txn);
        rt.releasing = 0;
    }
}

static void on_timer(uv_timer_t *timer) {
    (void)timer;
    int recheck = (rt.turns + 1) % RECHECK_EVERY == 0;
    for (fb_stream_t *fs = rt.streams, *next; fs != NULL; fs = next) {
        next = fs->next;
        if ((fs->retry || recheck) && !fs->querying)
            stream_poll(fs);
    }
    if (++rt.turns % RELEASE_EVERY == 0)
        release_due();
}

static void on_server_shutdown(void *arg) {
    (void)arg;
    rt.closing = 1;
    uv_timer_stop(&rt.timer);
    uv_close((uv_handle_t *)&rt.timer, NULL);
    listen_close(rt.listener);
    rt.listener = NULL;
}

int feedback_start(uv_loop_t *loop, http_server_t *server) {
    rt.loop = loop;
    rt.db = http_server_db(server);
    rt.hub = sse_hub_new(loop, server);
    rt.listener = listen_new(loop, http_server_config(server)->database_url, on_notify,
                             on_listener_ready, NULL);
    if (rt.hub == NULL || rt.listener == NULL || listen_add_channel(rt.listener, CHANNEL) != 0 ||
        uv_timer_init(loop, &rt.timer) != 0)
        return -1;
    if (http_server_on_shutdown(server, on_server_shutdown, NULL) != 0) {
        uv_close((uv_handle_t *)&rt.timer, NULL);
        return -1;
    }
    uv_timer_start(&rt.timer, on_timer, TIMER_MS, TIMER_MS);
    return 0;
}
