/* Server-sent event streams on h2o 2.2: a stream is an h2o generator. h2o allows one h2o_send in
 * flight per response and says when it may send again by calling `proceed`, so events are queued
 * in `pending` while `sending` is with h2o. When the client goes, h2o calls `stop` and then
 * disposes the request's pool; a shared allocation in that pool tells the stream, which then
 * reports its end and frees itself. */
#include "core/sse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"

#define HUB_TICK_MS 1000

struct sse_hub {
    uv_loop_t *loop;
    uv_timer_t timer;
    sse_stream_t *streams;
    int closing;
};

/* One stream. Allocated here, freed when h2o disposes its request (on_dispose). */
struct sse_stream {
    h2o_generator_t generator; /* first: h2o hands it back to proceed and stop */
    sse_hub_t *hub;
    h2o_req_t *h2o;
    char *sending; /* given to h2o; must stay until proceed or dispose */
    size_t sending_cap;
    char *pending;
    size_t pending_len, pending_cap;
    int in_flight; /* an h2o_send awaits its proceed */
    int ending;    /* end once the queue is written */
    int finished;  /* the final h2o_send was made */
    int stopped;   /* h2o stopped the response: the client is gone */
    uint64_t last_write_ms;
    sse_closed_fn on_closed;
    void *data;
    sse_stream_t *prev, *next;
};

/* ---- formatting ------------------------------------------------------------------------------ */

static int has_line_break(const char *s) {
    return s != NULL && strpbrk(s, "\r\n") != NULL;
}

/* Appends `n` bytes at `*len` when they fit; counts them either way. */
static void put(char *out, size_t cap, size_t *len, const char *s, size_t n) {
    if (*len + n <= cap)
        memcpy(out + *len, s, n);
    *len += n;
}

long sse_format_event(char *out, size_t cap, const char *id, const char *event, const char *data,
                      size_t len) {
    size_t n = 0;
    if (has_line_break(id) || has_line_break(event) || (data == NULL && len > 0))
        return -1;
    if (id != NULL) {
        put(out, cap, &n, "id: ", 4);
        put(out, cap, &n, id, strlen(id));
        put(out, cap, &n, "\n", 1);
    }
    if (event != NULL) {
        put(out, cap, &n, "event: ", 7);
        put(out, cap, &n, event, strlen(event));
        put(out, cap, &n, "\n", 1);
    }
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && data[i] != '\r' && data[i] != '\n')
            continue;
        put(out, cap, &n, "data: ", 6);
        put(out, cap, &n, data + start, i - start);
        put(out, cap, &n, "\n", 1);
        if (i + 1 < len && data[i] == '\r' && data[i + 1] == '\n')
            i++;
        start = i + 1;
    }
    put(out, cap, &n, "\n", 1);
    return (long)n;
}

int sse_parse_event_id(const char *text, int64_t *out) {
    size_t n = text != NULL ? strlen(text) : 0;
    int64_t v = 0;
    if (n == 0 || n > 18)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return 0;
}

/* ---- writing --------------------------------------------------------------------------------- */

/* Hands what is queued to h2o; with `final` the response ends after it. */
static void stream_flush(sse_stream_t *s, int final) {
    char *buf = s->sending;
    size_t cap = s->sending_cap, len = s->pending_len;
    s->sending = s->pending;
    s->sending_cap = s->pending_cap;
    s->pending = buf;
    s->pending_cap = cap;
    s->pending_len = 0;
    s->last_write_ms = uv_now(s->hub->loop);
    h2o_iovec_t iov = h2o_iovec_init(s->sending, len);
    if (final) {
        s->finished = 1;
        h2o_send(s->h2o, &iov, len > 0 ? 1 : 0, H2O_SEND_STATE_FINAL);
    } else {
        s->in_flight = 1;
        h2o_send(s->h2o, &iov, 1, H2O_SEND_STATE_IN_PROGRESS);
    }
    /* h2o may have called back into this stream: nothing below touches it. */
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req) {
    sse_stream_t *s = (sse_stream_t *)g;
    (void)req;
    s->in_flight = 0;
    if (s->stopped || s->finished)
        return;
    if (s->ending)
        stream_flush(s, 1);
    else if (s->pending_len > 0)
        stream_flush(s, 0);
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req) {
    (void)req;
    ((sse_stream_t *)g)->stopped = 1;
}

/* Queues `n` bytes; returns -1 when the stream cannot take them. */
static int stream_queue(sse_stream_t *s, const char *bytes, size_t n) {
    if (s->ending || s->finished || s->stopped)
        return -1;
    if (s->pending_len + n > SSE_MAX_BUFFERED) {
        log_msg(LOG_WARN, "event stream cut off", "the client is too far behind");
        sse_end(s);
        return -1;
    }
    if (s->pending_len + n > s->pending_cap) {
        size_t cap = s->pending_cap ? s->pending_cap : 4096;
        while (cap < s->pending_len + n)
            cap *= 2;
        char *grown = realloc(s->pending, cap);
        if (grown == NULL) {
            sse_end(s);
            return -1;
        }
        s->pending = grown;
        s->pending_cap = cap;
    }
    memcpy(s->pending + s->pending_len, bytes, n);
    s->pending_len += n;
    if (!s->in_flight)
        stream_flush(s, 0);
    return 0;
}

int sse_send(sse_stream_t *s, const char *id, const char *event, const char *data, size_t len) {
    char small[1024];
    long n = sse_format_event(small, sizeof(small), id, event, data, len);
    if (n < 0)
        return -1;
    if ((size_t)n <= sizeof(small))
        return stream_queue(s, small, (size_t)n);
    char *big = malloc((size_t)n);
    if (big == NULL)
        return -1;
    sse_format_event(big, (size_t)n, id, event, data, len);
    int r = stream_queue(s, big, (size_t)n);
    free(big);
    return r;
}

int sse_comment(sse_stream_t *s, const char *text) {
    char line[256];
    if (has_line_break(text))
        return -1;
    int n = snprintf(line, sizeof(line), ": %s\n\n", text);
    if (n < 0 || (size_t)n >= sizeof(line))
        return -1;
    return stream_queue(s, line, (size_t)n);
}

void sse_end(sse_stream_t *s) {
    if (s->ending || s->finished || s->stopped)
        return;
    s->ending = 1;
    if (!s->in_flight)
        stream_flush(s, 1);
}

/* ---- life cycle ------------------------------------------------------------------------------ */

/* The request is gone (answered to the end, or abandoned by the client): report and free. */
static void on_dispose(void *p) {
    sse_stream_t *s = *(sse_stream_t **)p;
    sse_hub_t *hub = s->hub;
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        hub->streams = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    s->h2o = NULL;
    if (s->on_closed != NULL)
        s->on_closed(s->data);
    free(s->sending);
    free(s->pending);
    free(s);
}

sse_stream_t *sse_start(sse_hub_t *hub, http_req_t *req, unsigned retry_ms, sse_closed_fn on_closed,
                        void *data) {
    if (hub->closing || req->h2o == NULL)
        return NULL;
    sse_stream_t *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    sse_stream_t **hook = h2o_mem_alloc_shared(&req->h2o->pool, sizeof(*hook), on_dispose);
    *hook = s;
    s->generator.proceed = on_proceed;
    s->generator.stop = on_stop;
    s->hub = hub;
    s->h2o = req->h2o;
    s->on_closed = on_closed;
    s->data = data;
    s->next = hub->streams;
    if (hub->streams != NULL)
        hub->streams->prev = s;
    hub->streams = s;
    /* A stream is the connection's last response: it ends by closing (HTTP/1.1). */
    req->h2o->http1_is_persistent = 0;
    http_add_header(req, "X-Accel-Buffering", "no");
    http_start_stream(req, &s->generator, "text/event-stream; charset=utf-8");
    char retry[64];
    int n = snprintf(retry, sizeof(retry), "retry: %u\n\n", retry_ms);
    stream_queue(s, retry, (size_t)n);
    return s;
}

static void on_hub_tick(uv_timer_t *timer) {
    sse_hub_t *hub = timer->data;
    uint64_t now = uv_now(hub->loop);
    for (sse_stream_t *s = hub->streams, *next; s != NULL; s = next) {
        next = s->next;
        if (!s->in_flight && now - s->last_write_ms >= SSE_HEARTBEAT_MS)
            sse_comment(s, "heartbeat");
    }
}

/* Shutdown: every stream ends now; clients reconnect elsewhere with Last-Event-ID. */
static void on_server_shutdown(void *arg) {
    sse_hub_t *hub = arg;
    hub->closing = 1;
    uv_timer_stop(&hub->timer);
    uv_close((uv_handle_t *)&hub->timer, NULL);
    for (sse_stream_t *s = hub->streams, *next; s != NULL; s = next) {
        next = s->next;
        sse_end(s);
    }
}

static void free_hub(uv_handle_t *timer) {
    free(timer->data);
}

sse_hub_t *sse_hub_new(uv_loop_t *loop, http_server_t *server) {
    sse_hub_t *hub = calloc(1, sizeof(*hub));
    if (hub == NULL || uv_timer_init(loop, &hub->timer) != 0) {
        free(hub);
        return NULL;
    }
    hub->loop = loop;
    hub->timer.data = hub;
    if (http_server_on_shutdown(server, on_server_shutdown, hub) != 0) {
        uv_close((uv_handle_t *)&hub->timer, free_hub);
        return NULL;
    }
    uv_timer_start(&hub->timer, on_hub_tick, HUB_TICK_MS, HUB_TICK_MS);
    return hub;
}
