/* HTTP client side of the harness: libcurl easy handles for single requests and a curl multi
 * handle for requests that must be in flight at the same time. Every request uses its own
 * connection, so one test's requests never depend on another's keep-alive state. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "harness.h"
#include "internal.h"

#define DEFAULT_TIMEOUT_MS 10000L

/* One transfer: the easy handle and the response it fills. Owned by the request or the batch. */
typedef struct transfer {
    CURL *easy;
    struct curl_slist *headers;
    it_response_t *resp;
    size_t body_cap;
    int sent; /* the request head has been written to the socket */
    int done;
} transfer_t;

struct it_batch {
    CURLM *multi;
    transfer_t *transfers;
    size_t n;
    size_t running;
};

static void global_init(void) {
    static int done;
    if (!done) {
        cr_assert(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK, "curl_global_init failed");
        done = 1;
    }
}

/* ---- callbacks ------------------------------------------------------------------------------- */

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg) {
    transfer_t *t = arg;
    it_response_t *r = t->resp;
    size_t n = size * nmemb;
    if (r->body_len + n + 1 > t->body_cap) {
        size_t cap = (r->body_len + n + 1) * 2;
        char *grown = realloc(r->body, cap);
        if (grown == NULL)
            return 0;
        r->body = grown;
        t->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, n);
    r->body_len += n;
    r->body[r->body_len] = '\0';
    return n;
}

static void free_headers(it_response_t *r) {
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->headers[i].name);
        free(r->headers[i].value);
    }
    free(r->headers);
    r->headers = NULL;
    r->nheaders = 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg) {
    transfer_t *t = arg;
    it_response_t *r = t->resp;
    size_t n = size * nmemb, len = n;
    while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n'))
        len--;
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        free_headers(r); /* a new (final or interim) response starts */
        return n;
    }
    const char *colon = memchr(data, ':', len);
    if (colon == NULL)
        return n;
    const char *value = colon + 1, *end = data + len;
    while (value < end && (*value == ' ' || *value == '\t'))
        value++;
    it_header_t *grown = realloc(r->headers, (r->nheaders + 1) * sizeof(*grown));
    if (grown == NULL)
        return 0;
    r->headers = grown;
    r->headers[r->nheaders].name = strndup(data, (size_t)(colon - data));
    r->headers[r->nheaders].value = strndup(value, (size_t)(end - value));
    r->nheaders++;
    return n;
}

static int on_debug(CURL *easy, curl_infotype type, char *data, size_t size, void *arg) {
    (void)easy;
    (void)data;
    (void)size;
    if (type == CURLINFO_HEADER_OUT)
        ((transfer_t *)arg)->sent = 1;
    return 0;
}

/* ---- transfers ------------------------------------------------------------------------------- */

static void response_destroy(void *obj) {
    it_response_t *resp = obj;
    free_headers(resp);
    free(resp->body);
    cJSON_Delete(resp->json);
    free(resp);
}

/* Releases the handle of a transfer that has not finished. */
static void transfer_abandon(transfer_t *t) {
    curl_easy_cleanup(t->easy);
    curl_slist_free_all(t->headers);
    t->easy = NULL;
    t->headers = NULL;
}

static void transfer_init(transfer_t *t, const it_server_t *server, const it_request_t *req) {
    char url[2048], line[512];
    memset(t, 0, sizeof(*t));
    t->resp = calloc(1, sizeof(*t->resp));
    cr_assert(t->resp != NULL, "out of memory");
    it__register(response_destroy, t->resp);
    t->resp->body = calloc(1, 1);
    t->easy = curl_easy_init();
    cr_assert(t->easy != NULL && t->resp->body != NULL, "out of memory");
    cr_assert(req->path != NULL && req->path[0] == '/', "a request path starts with /");
    snprintf(url, sizeof(url), "%s%s", server->url, req->path);
    const char *method = req->method != NULL ? req->method : "GET";
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : DEFAULT_TIMEOUT_MS;
    CURL *e = t->easy;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, timeout);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
    if (req->local_address != NULL)
        curl_easy_setopt(e, CURLOPT_INTERFACE, req->local_address);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     req->http2 ? (long)CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE
                                : (long)CURL_HTTP_VERSION_1_1);
    if (strcmp(method, "HEAD") == 0)
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0 || req->body != NULL)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    t->headers = curl_slist_append(t->headers, "Expect:");
    if (req->body != NULL) {
        size_t len = req->body_len > 0 ? req->body_len : strlen(req->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body);
        const char *ct = req->content_type != NULL ? req->content_type : "application/json";
        snprintf(line, sizeof(line), "Content-Type:%s%s", ct[0] ? " " : "", ct);
        t->headers = curl_slist_append(t->headers, line);
    }
    for (size_t i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
        t->headers = curl_slist_append(t->headers, req->headers[i]);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(e, CURLOPT_DEBUGDATA, t);
    curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->resp->curl_error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t);
}

/* Records the outcome, parses the body, releases the handle; the response stays. */
static it_response_t *transfer_finish(transfer_t *t, CURLcode code) {
    it_response_t *r = t->resp;
    long status = 0;
    curl_off_t total_us = 0;
    r->curl_code = code;
    if (code != CURLE_OK && r->curl_error[0] == '\0')
        snprintf(r->curl_error, sizeof(r->curl_error), "%s", curl_easy_strerror(code));
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &r->http_version);
    curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
    r->status = (int)status;
    r->elapsed_ms = (double)total_us / 1000.0;
    if (r->body_len > 0 && strlen(r->body) == r->body_len)
        r->json = cJSON_ParseWithOpts(r->body, NULL, 1);
    transfer_abandon(t);
    t->done = 1;
    return r;
}

it_response_t *it_request(const it_server_t *server, const it_request_t *req) {
    transfer_t t;
    global_init();
    transfer_init(&t, server, req);
    return transfer_finish(&t, curl_easy_perform(t.easy));
}

it_response_t *it_get(const it_server_t *server, const char *path) {
    return it_request(server, &(it_request_t){.path = path});
}

const char *it_header(const it_response_t *resp, const char *name) {
    for (size_t i = 0; i < resp->nheaders; i++)
        if (strcasecmp(resp->headers[i].name, name) == 0)
            return resp->headers[i].value;
    return NULL;
}

void it_response_free(it_response_t *resp) {
    if (resp != NULL)
        it__release(resp);
}

/* ---- the error shape ------------------------------------------------------------------------- */

const char *it__error_shape_problem(const it_response_t *r, int status, const char *code) {
    static char problem[1024];
    const char *ct = it_header(r, "content-type"), *id = it_header(r, "x-request-id");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(r->json, "error");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(err, "code");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(err, "message");
    const char *why = NULL;
    if (r->status != status)
        why = "wrong status";
    else if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0)
        why = "Content-Type is not application/json";
    else if (id == NULL || id[0] == '\0')
        why = "no X-Request-Id";
    else if (!cJSON_IsObject(r->json) || cJSON_GetArraySize(r->json) != 1 || !cJSON_IsObject(err))
        why = "the body is not {\"error\":{...}}";
    else if (!cJSON_IsString(c) || strcmp(c->valuestring, code) != 0)
        why = "wrong error code";
    else if (!cJSON_IsString(m) || m->valuestring[0] == '\0')
        why = "the error has no message";
    if (why == NULL)
        return NULL;
    snprintf(problem, sizeof(problem),
             "expected error %d \"%s\": %s; got status %d%s%s, body: %.400s", status, code, why,
             r->status, r->curl_code != CURLE_OK ? ", curl: " : "",
             r->curl_code != CURLE_OK ? r->curl_error : "", r->body);
    return problem;
}

/* ---- concurrent requests --------------------------------------------------------------------- */

static void batch_collect(it_batch_t *b) {
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(b->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        transfer_t *t;
        CURL *easy = msg->easy_handle;
        CURLcode code = msg->data.result;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(b->multi, easy);
        transfer_finish(t, code);
        b->running--;
    }
}

/* Drives transfers until `deadline_ms` or until `enough(b)` holds. */
static void batch_drive(it_batch_t *b, uint64_t deadline_ms, int (*enough)(const it_batch_t *b)) {
    for (;;) {
        int still;
        curl_multi_perform(b->multi, &still);
        batch_collect(b);
        uint64_t now = it_now_ms();
        if (b->running == 0 || (enough != NULL && enough(b)) || now >= deadline_ms)
            return;
        uint64_t wait = deadline_ms - now;
        curl_multi_poll(b->multi, NULL, 0, wait > 20 ? 20 : (int)wait, NULL);
    }
}

/* Frees the batch and the handles of unfinished transfers; responses are released on their own. */
static void batch_destroy(void *obj) {
    it_batch_t *b = obj;
    for (size_t i = 0; b->transfers != NULL && i < b->n; i++)
        if (b->transfers[i].easy != NULL) {
            curl_multi_remove_handle(b->multi, b->transfers[i].easy);
            transfer_abandon(&b->transfers[i]);
        }
    if (b->multi != NULL)
        curl_multi_cleanup(b->multi);
    free(b->transfers);
    free(b);
}

it_batch_t *it_batch_start(const it_server_t *server, const it_request_t *reqs, size_t nreqs,
                           size_t n) {
    global_init();
    cr_assert(nreqs > 0 && n > 0, "it_batch_start: nothing to send");
    it_batch_t *b = calloc(1, sizeof(*b));
    cr_assert(b != NULL, "out of memory");
    it__register(batch_destroy, b);
    b->transfers = calloc(n, sizeof(transfer_t));
    b->multi = curl_multi_init();
    cr_assert(b->transfers != NULL && b->multi != NULL, "out of memory");
    b->n = n;
    for (size_t i = 0; i < n; i++) {
        transfer_init(&b->transfers[i], server, &reqs[i % nreqs]);
        curl_multi_add_handle(b->multi, b->transfers[i].easy);
        b->running++;
    }
    batch_drive(b, it_now_ms(), NULL);
    return b;
}

size_t it_batch_run(it_batch_t *batch, int ms) {
    batch_drive(batch, it_now_ms() + (uint64_t)ms, NULL);
    return batch->running;
}

static size_t count_sent(const it_batch_t *b) {
    size_t sent = 0;
    for (size_t i = 0; i < b->n; i++)
        sent += b->transfers[i].sent;
    return sent;
}

static int all_sent(const it_batch_t *b) {
    return count_sent(b) == b->n;
}

size_t it_batch_wait_sent(it_batch_t *batch, int timeout_ms) {
    batch_drive(batch, it_now_ms() + (uint64_t)timeout_ms, all_sent);
    return count_sent(batch);
}

it_response_t **it_batch_finish(it_batch_t *batch) {
    while (batch->running > 0)
        batch_drive(batch, it_now_ms() + 1000, NULL);
    it_response_t **out = calloc(batch->n, sizeof(*out));
    cr_assert(out != NULL, "out of memory");
    it__register(free, out);
    for (size_t i = 0; i < batch->n; i++)
        out[i] = batch->transfers[i].resp;
    it__release(batch);
    return out;
}

it_response_t **it_request_many(const it_server_t *server, const it_request_t *req, size_t n) {
    return it_batch_finish(it_batch_start(server, req, 1, n));
}

void it_responses_free(it_response_t **resps, size_t n) {
    if (resps == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        it_response_free(resps[i]);
    it__release(resps);
}
