/* Feedback boards: organisations post anonymously, posts are released to the others in batches
 * once enough organisations have written, "me too" is counted and never attributed, coordinators
 * moderate without learning authors, and readers follow a board live over server-sent events.
 * Anonymity is enforced in the database (migrations/0040_feedback.sql explains how). */
#pragma once
#include <stddef.h>
#include <uv.h>

#include "core/db.h"
#include "core/http.h"
#include "core/router.h"

extern const route_t feedback_routes[];
extern const size_t feedback_routes_count;
extern const db_stmt_t feedback_statements[];
extern const size_t feedback_statements_count;

/** Starts what runs beside the requests of `server`: the event-stream hub, the LISTEN connection
 * that feeds it, and the timer that runs due release ticks. Call once, after http_server_new and
 * before the loop runs; it stops by itself when the server's shutdown starts. Returns 0 or -1. */
int feedback_start(uv_loop_t *loop, http_server_t *server);
