/* Shared between the feedback service's files: its statements and the event-stream route. */
#pragma once
#include "core/db.h"
#include "core/http.h"

enum {
    FB_BOARD_CREATE,
    FB_BOARD_LIST,
    FB_BOARD_GET,
    FB_BOARD_UPDATE,
    FB_BOARD_CLOSE,
    FB_BOARD_OPEN,
    FB_POST_LIST,
    FB_POST_CREATE,
    FB_POST_GET,
    FB_POST_UPDATE,
    FB_POST_DELETE,
    FB_ME_TOO,
    FB_POST_MODERATE,
    FB_EXPORT,
    FB_EVENTS,
    FB_RELEASE_DUE,
    FB_STATEMENT_COUNT
};

/* Events per query of a stream: a longer backlog is read in several queries. */
#define FB_EVENTS_PAGE 200
#define FB_EVENTS_PAGE_TEXT "200"

/** GET /v1/feedback/boards/{id}/events: the board's server-sent event stream (stream.c). */
int feedback_events_route(http_req_t *req);
