/* Request accessors (path and query parameters, headers, the client's address) and the bridges
 * that let a handler wait for the database or a worker thread safely: the request may be disposed
 * of while they run (the client left), and the pending link is cut when it is. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/http_internal.h"

/* ---- database bridge ------------------------------------------------------------------------- */

static void on_db_done(db_txn_t *txn, void *arg) {
    http_async_t *a = arg;
    http_req_t *req = a->req;
    http_db_cb cb = a->cb;
    free(a);
    if (req == NULL)
        return; /* the client went away; the pool frees the transaction */
    req->pending = NULL;
    cb(req, txn);
}

void http_db_submit(http_req_t *req, db_txn_t *txn, http_db_cb cb) {
    http_async_t *a = malloc(sizeof(*a));
    if (a == NULL) {
        db_txn_free(txn);
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    a->req = req;
    a->cb = cb;
    req->pending = a;
    db_status_t st = db_txn_submit(req->server->db, txn, on_db_done, a);
    if (st != DB_OK) {
        req->pending = NULL;
        free(a);
        db_txn_free(txn);
        http_send_db_status(req, st);
    }
}

static void on_work(uv_work_t *w) {
    http_async_t *a = w->data;
    a->work_fn(a->data);
}

static void on_work_done(uv_work_t *w, int status) {
    http_async_t *a = w->data;
    http_req_t *req = a->req;
    if (req != NULL) {
        req->pending = NULL;
        if (status == 0)
            a->work_done(req, a->data);
        else
            http_send_error(req, 500, "internal", "the request could not be completed");
    }
    a->free_data(a->data);
    free(a);
}

int http_queue_work(http_req_t *req, http_work_fn work, http_work_done done, void *data,
                    void (*free_data)(void *)) {
    http_async_t *a = calloc(1, sizeof(*a));
    if (a == NULL)
        goto fail;
    a->req = req;
    a->work_fn = work;
    a->work_done = done;
    a->data = data;
    a->free_data = free_data;
    a->work.data = a;
    if (uv_queue_work(req->server->loop, &a->work, on_work, on_work_done) != 0)
        goto fail;
    req->pending = a;
    return 0;
fail:
    free(a);
    free_data(data);
    http_send_error(req, 500, "internal", "the request could not be scheduled");
    return -1;
}

db_txn_t *http_txn_new(http_req_t *req) {
    db_txn_t *txn = db_txn_new();
    if (txn == NULL)
        return NULL;
    if (db_txn_setting(txn, "app.request_id", req->request_id) != 0)
        goto fail;
    if (req->match.route != NULL && (req->match.route->flags & ROUTE_AUTH)) {
        const char *params[] = {req->token_hash, req->token_pad};
        if (db_txn_add(txn, req->server->auth_stmt, params) < 0)
            goto fail;
        db_txn_read_write_prefix(txn, 1); /* a read-only route still records the session's use */
    }
    return txn;
fail:
    db_txn_free(txn);
    return NULL;
}

const char *http_client_addr(const http_req_t *req, char *buf, size_t buflen) {
    struct sockaddr_storage sa;
    buf[0] = '\0';
    if (req->h2o == NULL || req->h2o->conn->callbacks->get_peername == NULL)
        return buf;
    socklen_t len = req->h2o->conn->callbacks->get_peername(req->h2o->conn, (struct sockaddr *)&sa);
    if (len == 0)
        return buf;
    if (sa.ss_family == AF_INET)
        inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, buf, (socklen_t)buflen);
    else if (sa.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, buf, (socklen_t)buflen);
    return buf;
}

/* ---- request accessors ----------------------------------------------------------------------- */

const char *http_param(const http_req_t *req, const char *name, char *buf, size_t buflen) {
    return route_param(&req->match, name, buf, buflen);
}

static int hexval(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

const char *http_query(const http_req_t *req, const char *name, char *buf, size_t buflen) {
    h2o_req_t *h = req->h2o;
    if (h == NULL || h->query_at == SIZE_MAX)
        return NULL;
    const char *q = h->path.base + h->query_at + 1, *end = h->path.base + h->path.len;
    size_t nlen = strlen(name);
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *stop = amp != NULL ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(stop - q));
        const char *kend = eq != NULL ? eq : stop;
        if ((size_t)(kend - q) == nlen && memcmp(q, name, nlen) == 0) {
            size_t o = 0;
            for (const char *p = eq != NULL ? eq + 1 : stop; p < stop; p++) {
                char c = *p;
                if (c == '+') {
                    c = ' ';
                } else if (c == '%') {
                    if (stop - p < 3 || hexval(p[1]) < 0 || hexval(p[2]) < 0)
                        return NULL;
                    c = (char)(hexval(p[1]) * 16 + hexval(p[2]));
                    p += 2;
                }
                if (c == '\0' || o + 1 >= buflen)
                    return NULL;
                buf[o++] = c;
            }
            buf[o] = '\0';
            return buf;
        }
        q = stop + 1;
    }
    return NULL;
}

const char *http_header(const http_req_t *req, const char *name, char *buf, size_t buflen) {
    if (req->h2o == NULL)
        return NULL;
    ssize_t i = h2o_find_header_by_str(&req->h2o->headers, name, strlen(name), -1);
    if (i < 0)
        return NULL;
    h2o_iovec_t v = req->h2o->headers.entries[i].value;
    if (v.len + 1 > buflen)
        return NULL;
    memcpy(buf, v.base, v.len);
    buf[v.len] = '\0';
    return buf;
}
