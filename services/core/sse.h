/* Server-sent event streams (text/event-stream) on h2o: a long-lived response the server writes
 * event by event. The hub of a server sends a heartbeat comment on every stream that has been
 * quiet for SSE_HEARTBEAT_MS (which is also how a vanished HTTP/1.1 client is noticed), and ends
 * every stream when the server's shutdown starts, so that the drain never waits for them. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/http.h"

#define SSE_HEARTBEAT_MS 5000
/* A client this far behind is cut off; it reconnects with Last-Event-ID and catches up. */
#define SSE_MAX_BUFFERED ((size_t)4 << 20)

typedef struct sse_hub sse_hub_t;
typedef struct sse_stream sse_stream_t;

/** Called exactly once when a stream is over (the client left, sse_end completed, or the server
 * shut it down); the stream is freed right after and must not be used from then on. */
typedef void (*sse_closed_fn)(void *data);

/** Creates the hub for `server`'s streams on `loop` and registers its shutdown hook. The hub lives
 * as long as the process. Returns NULL on failure. */
sse_hub_t *sse_hub_new(uv_loop_t *loop, http_server_t *server);

/** Answers `req` with an event stream (200, text/event-stream) whose first line asks clients to
 * reconnect after `retry_ms`. Returns the stream, or NULL when the server is shutting down or out
 * of memory (the request is then still unanswered). `on_closed(data)` is called when it is over. */
sse_stream_t *sse_start(sse_hub_t *hub, http_req_t *req, unsigned retry_ms, sse_closed_fn on_closed,
                        void *data);
/** Queues one event (`id` and `event` may be NULL; `data` may hold newlines). Returns 0, or -1
 * when the stream is ending or over, a field is malformed, or the client is too far behind (the
 * stream is then ended). */
int sse_send(sse_stream_t *s, const char *id, const char *event, const char *data, size_t len);
/** Queues a comment line (": text"), e.g. a heartbeat. Returns 0 or -1 like sse_send. */
int sse_comment(sse_stream_t *s, const char *text);
/** Ends the stream once what is queued has been written. */
void sse_end(sse_stream_t *s);

/* ---- pure helpers (no I/O) ------------------------------------------------------------------- */

/** Writes one event in the text/event-stream format into `out` when it fits in `cap` and returns
 * its length (which may exceed `cap`: then nothing usable was written), or -1 when `id` or `event`
 * contains a line break or NUL. Data lines are split on CR, LF and CRLF. */
long sse_format_event(char *out, size_t cap, const char *id, const char *event, const char *data,
                      size_t len);
/** Parses a Last-Event-ID value: decimal digits only, at most 18 of them. Returns 0 and stores
 * the value, or -1. */
int sse_parse_event_id(const char *text, int64_t *out);
