/* The LISTEN connection: a small state machine (connect, LISTEN, ready) driven by uv_poll on a dup
 * of libpq's socket, like the pool's connections in db.c (libpq may replace its socket while
 * connecting, and the dup keeps the descriptor epoll knows alive until the close callback). One
 * timer serves both the reconnection backoff and, while ready, the probe that notices a connection
 * which died without a word. */
#include "core/listen.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"

#define MAX_CHANNELS 8
#define PROBE_MS 15000
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

typedef enum { L_NEW, L_DOWN, L_CONNECTING, L_SUBSCRIBING, L_READY, L_CLOSED } listen_state_t;

/* A poll handle and the descriptor it watches; freed in its close callback. */
typedef struct listen_poll {
    uv_poll_t handle;
    int fd;
    pg_listener_t *owner;
} listen_poll_t;

struct pg_listener {
    uv_loop_t *loop;
    char *conninfo;
    char app_name[64];
    char *channels[MAX_CHANNELS];
    int nchannels;
    listen_notify_fn on_notify;
    listen_ready_fn on_ready;
    void *arg;
    PGconn *pg;
    listen_poll_t *poll;
    ino_t sock_ino;
    int events;
    uv_timer_t timer;
    listen_state_t state;
    int attempt;       /* reconnection attempts since the last ready */
    int probing;       /* a probe awaits its answer */
    int open_handles;  /* the timer and the poll handle */
    int timer_started; /* the timer handle was initialised */
};

static void listen_connect(pg_listener_t *l);
static void on_poll(uv_poll_t *handle, int status, int events);

int listen_backoff_ms(int attempt) {
    long ms = BACKOFF_MIN_MS;
    for (int i = 0; i < attempt && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : (int)ms;
}

/* ---- freeing --------------------------------------------------------------------------------- */

static void maybe_free(pg_listener_t *l) {
    if (l->state != L_CLOSED || l->open_handles > 0)
        return;
    for (int i = 0; i < l->nchannels; i++)
        free(l->channels[i]);
    free(l->conninfo);
    free(l);
}

static void on_poll_closed(uv_handle_t *handle) {
    listen_poll_t *p = (listen_poll_t *)handle;
    pg_listener_t *l = p->owner;
    close(p->fd);
    free(p);
    l->open_handles--;
    maybe_free(l);
}

static void on_timer_closed(uv_handle_t *handle) {
    pg_listener_t *l = handle->data;
    l->open_handles--;
    maybe_free(l);
}

/* ---- socket watching ------------------------------------------------------------------------- */

static void unwatch(pg_listener_t *l) {
    if (l->poll == NULL)
        return;
    uv_poll_stop(&l->poll->handle);
    uv_close((uv_handle_t *)&l->poll->handle, on_poll_closed);
    l->poll = NULL;
    l->events = 0;
}

static int watch(pg_listener_t *l, int events) {
    int fd = PQsocket(l->pg);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return -1;
    if (l->poll != NULL && st.st_ino != l->sock_ino)
        unwatch(l);
    if (l->poll == NULL) {
        listen_poll_t *p = calloc(1, sizeof(*p));
        if (p == NULL)
            return -1;
        p->owner = l;
        p->fd = dup(fd);
        if (p->fd < 0 || uv_poll_init(l->loop, &p->handle, p->fd) != 0) {
            if (p->fd >= 0)
                close(p->fd);
            free(p);
            return -1;
        }
        p->handle.data = l;
        l->open_handles++;
        l->poll = p;
        l->sock_ino = st.st_ino;
        l->events = 0;
    }
    if (events != l->events) {
        if (uv_poll_start(&l->poll->handle, events, on_poll) != 0)
            return -1;
        l->events = events;
    }
    return 0;
}

static int flush(pg_listener_t *l) {
    int r = PQflush(l->pg);
    if (r < 0)
        return -1;
    return watch(l, r == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

/* ---- connection life cycle ------------------------------------------------------------------- */

static void on_reconnect_timer(uv_timer_t *timer) {
    listen_connect(timer->data);
}

static void lost(pg_listener_t *l, const char *why) {
    int was_ready = l->state == L_READY;
    int delay = listen_backoff_ms(l->attempt);
    log_level_t level = was_ready || l->attempt == 0 ? LOG_WARN : LOG_DEBUG;
    if (log_enabled(level)) {
        log_line_t line;
        log_begin(&line, level,
                  was_ready ? "notification listener lost"
                            : "notification listener connect failed");
        log_str(&line, "detail", why);
        log_int(&line, "retry_ms", delay);
        log_emit(&line);
    }
    l->attempt++;
    l->probing = 0;
    unwatch(l);
    PQfinish(l->pg);
    l->pg = NULL;
    l->state = L_DOWN;
    uv_timer_stop(&l->timer);
    uv_timer_start(&l->timer, on_reconnect_timer, (uint64_t)delay, 0);
}

static void on_probe_timer(uv_timer_t *timer) {
    pg_listener_t *l = timer->data;
    if (l->state != L_READY)
        return;
    if (l->probing) {
        lost(l, "the connection did not answer a probe");
        return;
    }
    if (PQsendQuery(l->pg, "SELECT 1") != 1 || flush(l) != 0) {
        lost(l, PQerrorMessage(l->pg));
        return;
    }
    l->probing = 1;
}

static void became_ready(pg_listener_t *l) {
    l->state = L_READY;
    l->attempt = 0;
    log_msg(LOG_INFO, "notification listener up", NULL);
    uv_timer_stop(&l->timer);
    uv_timer_start(&l->timer, on_probe_timer, PROBE_MS, PROBE_MS);
    if (l->on_ready != NULL)
        l->on_ready(l->arg);
}

static void subscribe(pg_listener_t *l) {
    char sql[MAX_CHANNELS * 80 + 1];
    size_t n = 0;
    for (int i = 0; i < l->nchannels; i++)
        n += (size_t)snprintf(sql + n, sizeof(sql) - n, "LISTEN %s;", l->channels[i]);
    if (PQsetnonblocking(l->pg, 1) != 0 || PQsendQuery(l->pg, sql) != 1 || flush(l) != 0) {
        lost(l, PQerrorMessage(l->pg));
        return;
    }
    l->state = L_SUBSCRIBING;
}

static void on_notice(void *arg, const char *message) {
    (void)arg;
    log_msg(LOG_DEBUG, "database notice", message);
}

static void listen_connect(pg_listener_t *l) {
    const char *keys[] = {"dbname", "application_name", NULL};
    const char *vals[] = {l->conninfo, l->app_name, NULL};
    l->pg = PQconnectStartParams(keys, vals, 1);
    if (l->pg == NULL || PQstatus(l->pg) == CONNECTION_BAD) {
        lost(l, l->pg != NULL ? PQerrorMessage(l->pg) : "out of memory");
        return;
    }
    PQsetNoticeProcessor(l->pg, on_notice, NULL);
    l->state = L_CONNECTING;
    if (watch(l, UV_WRITABLE) != 0)
        lost(l, "cannot watch the database socket");
}

static void on_connect_poll(pg_listener_t *l) {
    switch (PQconnectPoll(l->pg)) {
    case PGRES_POLLING_READING:
        if (watch(l, UV_READABLE) != 0)
            lost(l, "cannot watch the database socket");
        break;
    case PGRES_POLLING_WRITING:
        if (watch(l, UV_WRITABLE) != 0)
            lost(l, "cannot watch the database socket");
        break;
    case PGRES_POLLING_OK:
        subscribe(l);
        break;
    default:
        lost(l, PQerrorMessage(l->pg));
    }
}

/* Reads the results that have arrived; returns -1 when the connection was lost. */
static int read_results(pg_listener_t *l) {
    while (!PQisBusy(l->pg)) {
        PGresult *res = PQgetResult(l->pg);
        if (res == NULL) {
            if (l->state == L_SUBSCRIBING)
                became_ready(l);
            l->probing = 0;
            return 0;
        }
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            char why[256];
            snprintf(why, sizeof(why), "%s", PQresultErrorMessage(res));
            PQclear(res);
            lost(l, why);
            return -1;
        }
        PQclear(res);
    }
    return 0;
}

static void deliver(pg_listener_t *l) {
    PGnotify *n;
    while (l->pg != NULL && (n = PQnotifies(l->pg)) != NULL) {
        if (l->on_notify != NULL)
            l->on_notify(n->relname, n->extra != NULL ? n->extra : "", l->arg);
        PQfreemem(n);
    }
}

static void on_poll(uv_poll_t *handle, int status, int events) {
    pg_listener_t *l = handle->data;
    if (l->state == L_CONNECTING) {
        on_connect_poll(l);
        return;
    }
    if (status < 0) {
        lost(l, uv_strerror(status));
        return;
    }
    if ((events & UV_WRITABLE) && flush(l) != 0) {
        lost(l, PQerrorMessage(l->pg));
        return;
    }
    if (!(events & UV_READABLE))
        return;
    if (PQconsumeInput(l->pg) != 1 || PQstatus(l->pg) == CONNECTION_BAD) {
        lost(l, PQerrorMessage(l->pg));
        return;
    }
    if (read_results(l) != 0)
        return;
    deliver(l);
}

/* ---- public ---------------------------------------------------------------------------------- */

/* "<application_name of conninfo, or isms-cluster>.listen", so that tools that count the pool's
 * sessions by name do not count this one. */
static void name_listener(pg_listener_t *l) {
    const char *base = "isms-cluster";
    PQconninfoOption *opts = PQconninfoParse(l->conninfo, NULL);
    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, "application_name") == 0 && o->val != NULL && o->val[0] != '\0')
            base = o->val;
    snprintf(l->app_name, sizeof(l->app_name), "%.56s.listen", base);
    PQconninfoFree(opts);
}

pg_listener_t *listen_new(uv_loop_t *loop, const char *conninfo, listen_notify_fn on_notify,
                          listen_ready_fn on_ready, void *arg) {
    pg_listener_t *l = calloc(1, sizeof(*l));
    if (l == NULL || (l->conninfo = strdup(conninfo)) == NULL) {
        free(l);
        return NULL;
    }
    l->loop = loop;
    l->on_notify = on_notify;
    l->on_ready = on_ready;
    l->arg = arg;
    name_listener(l);
    return l;
}

int listen_add_channel(pg_listener_t *l, const char *channel) {
    size_t n = strlen(channel);
    if (l->state != L_NEW || l->nchannels == MAX_CHANNELS || n == 0 || n > 63 ||
        !((channel[0] >= 'a' && channel[0] <= 'z') || channel[0] == '_'))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((channel[i] >= 'a' && channel[i] <= 'z') ||
              (channel[i] >= '0' && channel[i] <= '9') || channel[i] == '_'))
            return -1;
    if ((l->channels[l->nchannels] = strdup(channel)) == NULL)
        return -1;
    l->nchannels++;
    return 0;
}

int listen_start(pg_listener_t *l) {
    if (l->state != L_NEW || l->nchannels == 0 || uv_timer_init(l->loop, &l->timer) != 0)
        return -1;
    l->timer.data = l;
    l->timer_started = 1;
    l->open_handles++;
    listen_connect(l);
    return 0;
}

int listen_is_ready(const pg_listener_t *l) {
    return l->state == L_READY;
}

void listen_close(pg_listener_t *l) {
    if (l == NULL || l->state == L_CLOSED)
        return;
    unwatch(l);
    PQfinish(l->pg);
    l->pg = NULL;
    l->state = L_CLOSED;
    if (l->timer_started) {
        uv_timer_stop(&l->timer);
        uv_close((uv_handle_t *)&l->timer, on_timer_closed);
    }
    maybe_free(l);
}
