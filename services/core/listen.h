/* A dedicated PostgreSQL connection for LISTEN/NOTIFY, outside the request pool: notifications
 * from every server process reach every other one through it. It runs nonblocking on the libuv
 * loop, probes the connection now and then, reconnects with backoff when it is lost and, once
 * every channel is listened to again, says so, so that subscribers can catch up on what they
 * may have missed while it was away. */
#pragma once
#include <uv.h>

typedef struct pg_listener pg_listener_t;

/** A notification on `channel` with its payload ("" when none). */
typedef void (*listen_notify_fn)(const char *channel, const char *payload, void *arg);
/** Every channel is listened to (first time, and after each reconnection). */
typedef void (*listen_ready_fn)(void *arg);

/** Creates a listener that will connect with `conninfo` (copied). Its sessions are named after
 * the connection's application_name with ".listen" appended. Nothing connects before
 * listen_start. The callbacks must not call listen_close. Returns NULL when out of memory. */
pg_listener_t *listen_new(uv_loop_t *loop, const char *conninfo, listen_notify_fn on_notify,
                          listen_ready_fn on_ready, void *arg);
/** Adds a channel (a lower-case identifier of at most 63 characters) before listen_start.
 * Returns 0, or -1 for a bad name or too many channels. */
int listen_add_channel(pg_listener_t *l, const char *channel);
/** Starts connecting; returns 0 or -1. */
int listen_start(pg_listener_t *l);
/** Non-zero while every channel is listened to. */
int listen_is_ready(const pg_listener_t *l);
/** Disconnects and frees the listener once its handles are closed. */
void listen_close(pg_listener_t *l);

/** The delay before reconnection attempt `attempt` (0, 1, ...): doubling from 100 ms to 2 s. */
int listen_backoff_ms(int attempt);
