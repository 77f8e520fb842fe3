/* The HTTP core through the real server on the shared test database: liveness, readiness,
 * /v1/meta, request ids, the error shape, methods, body rules, HTTP/2, the pool under concurrency
 * and the access log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

TestSuite(http_core, .fini = it_teardown);

static it_server_t *start_default(void) {
    return it_server_start(NULL);
}

static void assert_stops_cleanly(it_server_t *srv) {
    cr_assert_eq(it_server_stop(srv), 0, "the server should exit with status 0 after SIGTERM");
}

static int is_uuid_v4(const char *s) {
    if (s == NULL || strlen(s) != 36 || s[14] != '4' || strchr("89ab", s[19]) == NULL)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : strchr("0123456789abcdef", s[i]) == NULL)
            return 0;
    }
    return 1;
}

static const char *json_string(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- liveness, readiness, metadata ----------------------------------------------------------- */

Test(http_core, healthz_answers_status_ok) {
    it_server_t *srv = start_default();
    it_response_t *r = it_get(srv, "/healthz");
    cr_assert_eq(r->status, 200);
    cr_assert_str_eq(r->body, "{\"status\":\"ok\"}");
    cr_assert_str_eq(it_header(r, "content-type"), "application/json");
    it_response_free(r);
    assert_stops_cleanly(srv);
}

Test(http_core, readyz_answers_200_while_the_database_is_up) {
    it_server_t *srv = start_default();
    it_response_t *r = it_get(srv, "/readyz");
    cr_assert_eq(r->status, 200, "body: %s", r->body);
    cr_assert_not_null(r->json);
    it_response_free(r);
    assert_stops_cleanly(srv);
}

Test(http_core, meta_reports_name_version_schema_and_database_time) {
    it_server_t *srv = start_default();
    PGconn *admin = it_db_connect(NULL);
    it_response_t *r = it_get(srv, "/v1/meta");
    cr_assert_eq(r->status, 200, "body: %s", r->body);
    cr_assert(cJSON_IsObject(r->json), "not JSON: %s", r->body);
    cr_assert_str_eq(json_string(r->json, "name"), "isms-cluster");
    const char *version = json_string(r->json, "version");
    int major, minor, patch;
    cr_assert(version != NULL && sscanf(version, "%d.%d.%d", &major, &minor, &patch) == 3,
              "version is not MAJOR.MINOR.PATCH: %s", r->body);

    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(r->json, "schema_version");
    long expected = it_db_long(admin, "SELECT max(version) FROM public.schema_migrations", 0, NULL);
    cr_assert(cJSON_IsNumber(schema), "schema_version is not a number: %s", r->body);
    cr_assert_eq((long)schema->valuedouble, expected);

    /* UTC with milliseconds, and the database's own clock (within a minute). */
    const char *when = json_string(r->json, "database_time");
    cr_assert(when != NULL && strlen(when) == 24 && when[10] == 'T' && when[23] == 'Z',
              "database_time is not YYYY-MM-DDTHH:MM:SS.mmmZ: %s", r->body);
    const char *params[] = {when};
    cr_assert_lt(it_db_long(admin, "SELECT abs(extract(epoch FROM now() - $1::timestamptz))::int",
                            1, params),
                 60);
    it_response_free(r);
    assert_stops_cleanly(srv);
}

/* ---- request ids ----------------------------------------------------------------------------- */

Test(http_core, every_response_carries_a_distinct_request_id) {
    it_server_t *srv = start_default();
    const it_request_t reqs[] = {
        {.path = "/healthz"},
        {.path = "/readyz"},
        {.path = "/v1/meta"},
        {.path = "/no/such/path"},
        {.method = "POST", .path = "/healthz"},
        {.method = "HEAD", .path = "/healthz"},
        {.path = "/v1/meta", .body = "hello", .content_type = "text/plain"},
        {.path = "/v1/meta", .body = "{}"},
        {.path = "/v1/meta", .http2 = 1},
    };
    enum { N = sizeof(reqs) / sizeof(reqs[0]) };
    char seen[N][130];
    for (size_t i = 0; i < N; i++) {
        it_response_t *r = it_request(srv, &reqs[i]);
        const char *id = it_header(r, "x-request-id");
        cr_assert(r->status > 0, "%s %s: no answer: %s", reqs[i].method ? reqs[i].method : "GET",
                  reqs[i].path, r->curl_error);
        cr_assert(is_uuid_v4(id), "%s %s (status %d): X-Request-Id is %s",
                  reqs[i].method ? reqs[i].method : "GET", reqs[i].path, r->status,
                  id ? id : "missing");
        snprintf(seen[i], sizeof(seen[i]), "%s", id);
        for (size_t j = 0; j < i; j++)
            cr_assert_str_neq(seen[i], seen[j], "two responses share request id %s", id);
        it_response_free(r);
    }
    assert_stops_cleanly(srv);
}

Test(http_core, sane_incoming_request_id_is_echoed) {
    it_server_t *srv = start_default();
    char longest[129];
    memset(longest, 'a', 128);
    longest[128] = '\0';
    const char *ids[] = {"req-123_abc.DEF:9", "0f3c9a7e-1b2d-4c5e-8f90-a1b2c3d4e5f6", longest};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char header[200];
        snprintf(header, sizeof(header), "X-Request-Id: %s", ids[i]);
        it_response_t *r = it_request(
            srv, &(it_request_t){.path = "/healthz", .headers = (const char *[]){header, NULL}});
        cr_assert_eq(r->status, 200);
        cr_assert_str_eq(it_header(r, "x-request-id"), ids[i]);
        it_response_free(r);
    }
    assert_stops_cleanly(srv);
}

Test(http_core, insane_incoming_request_id_is_replaced) {
    it_server_t *srv = start_default();
    char too_long[140];
    memset(too_long, 'a', 129);
    too_long[129] = '\0';
    const char *ids[] = {too_long,   "has space",   "semi;colon", "quote\"d",
                         "<script>", "caf\xc3\xa9", "a/b"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char header[200];
        snprintf(header, sizeof(header), "X-Request-Id: %s", ids[i]);
        it_response_t *r = it_request(
            srv, &(it_request_t){.path = "/healthz", .headers = (const char *[]){header, NULL}});
        cr_assert_eq(r->status, 200, "X-Request-Id \"%s\": status %d", ids[i], r->status);
        const char *id = it_header(r, "x-request-id");
        cr_assert(is_uuid_v4(id), "X-Request-Id \"%s\" came back as \"%s\"", ids[i],
                  id ? id : "(missing)");
        it_response_free(r);
    }
    assert_stops_cleanly(srv);
}

/* ---- routing and methods --------------------------------------------------------------------- */

Test(http_core, unknown_path_is_404_not_found) {
    it_server_t *srv = start_default();
    const char *paths[] = {"/nope", "/v1/meta/extra", "/v1", "/healthz/"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        it_response_t *r = it_get(srv, paths[i]);
        it_assert_error(r, 404, "not_found");
        it_response_free(r);
    }
    assert_stops_cleanly(srv);
}

Test(http_core, wrong_method_is_405_with_allow) {
    it_server_t *srv = start_default();
    const char *methods[] = {"POST", "PUT", "PATCH", "DELETE"};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        it_response_t *r =
            it_request(srv, &(it_request_t){.method = methods[i], .path = "/healthz"});
        it_assert_error(r, 405, "method_not_allowed");
        cr_assert_str_eq(it_header(r, "allow"), "GET, HEAD", "%s /healthz", methods[i]);
        it_response_free(r);
    }
    assert_stops_cleanly(srv);
}

Test(http_core, head_answers_like_get_without_a_body) {
    it_server_t *srv = start_default();
    const char *paths[] = {"/healthz", "/v1/meta"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        it_response_t *get = it_get(srv, paths[i]);
        it_response_t *head = it_request(srv, &(it_request_t){.method = "HEAD", .path = paths[i]});
        cr_assert_eq(head->curl_code, CURLE_OK, "HEAD %s: %s", paths[i], head->curl_error);
        cr_assert_eq(head->status, 200, "HEAD %s", paths[i]);
        cr_assert_eq(head->body_len, 0, "HEAD %s sent a body", paths[i]);
        cr_assert_str_eq(it_header(head, "content-type"), it_header(get, "content-type"));
        cr_assert_not_null(it_header(head, "x-request-id"));
        it_response_free(get);
        it_response_free(head);
    }
    it_response_t *r = it_request(srv, &(it_request_t){.method = "HEAD", .path = "/nope"});
    cr_assert_eq(r->status, 404);
    cr_assert_eq(r->body_len, 0);
    it_response_free(r);
    assert_stops_cleanly(srv);
}

/* ---- body rules ------------------------------------------------------------------------------ */

Test(http_core, body_with_another_media_type_is_415) {
    it_server_t *srv = start_default();
    const char *types[] = {"text/plain", "application/x-www-form-urlencoded", "",
                           "application/json; charset=latin1", "application/jsonx"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        it_response_t *r = it_request(
            srv, &(it_request_t){.path = "/v1/meta", .body = "{}", .content_type = types[i]});
        cr_assert_eq(r->status, 415, "Content-Type \"%s\": status %d", types[i], r->status);
        it_assert_error(r, 415, "unsupported_media_type");
        it_response_free(r);
    }
    assert_stops_cleanly(srv);
}

Test(http_core, json_body_on_a_route_without_one_is_400_invalid_body) {
    it_server_t *srv = start_default();
    const char *types[] = {"application/json", "application/json; charset=utf-8",
                           "Application/JSON"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        it_response_t *r = it_request(
            srv,
            &(it_request_t){.path = "/v1/meta", .body = "{\"a\":1}", .content_type = types[i]});
        it_assert_error(r, 400, "invalid_body");
        it_response_free(r);
    }
    assert_stops_cleanly(srv);
}

Test(http_core, body_over_the_limit_is_413_body_too_large) {
    it_server_t *srv = it_server_start(
        &(it_server_options_t){.env = (const char *[]){"ISMS_BODY_LIMIT=2048", NULL}});
    char *body = malloc(4097);
    cr_assert_not_null(body);
    memset(body, ' ', 4096);
    body[0] = '{';
    body[4095] = '}';
    body[4096] = '\0';
    it_response_t *r = it_request(srv, &(it_request_t){.path = "/v1/meta", .body = body});
    it_assert_error(r, 413, "body_too_large");
    it_response_free(r);
    /* At the limit the body is read, and refused for what it is. */
    body[2047] = '}';
    r = it_request(srv, &(it_request_t){.path = "/v1/meta", .body = body, .body_len = 2048});
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    free(body);
    /* The server is still there. */
    r = it_get(srv, "/healthz");
    cr_assert_eq(r->status, 200);
    it_response_free(r);
    assert_stops_cleanly(srv);
}

/* Strict JSON needs a route that takes a body: POST /v1/auth/login (email and password). Each
 * body below is refused before the handler runs, so no account is needed. */
static void assert_login_body_refused(const char *body, size_t len, const char *code) {
    it_server_t *srv = start_default();
    it_response_t *r = it_request(
        srv,
        &(it_request_t){.method = "POST", .path = "/v1/auth/login", .body = body, .body_len = len});
    it_assert_error(r, 400, code);
    it_response_free(r);
    assert_stops_cleanly(srv);
}

/* Nesting of `depth` arrays around the login fields: depth 1 is the object itself. */
static char *nested_body(int depth) {
    size_t cap = (size_t)depth * 2 + 64;
    char *s = malloc(cap);
    size_t n = (size_t)snprintf(s, cap, "{\"email\":\"a@example.org\",\"password\":");
    for (int i = 1; i < depth; i++)
        s[n++] = '[';
    s[n++] = '1';
    for (int i = 1; i < depth; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

Test(http_core, invalid_json_is_400_invalid_json) {
    const char body[] = "{\"email\":\"a@example.org\",\"password\":";
    assert_login_body_refused(body, sizeof(body) - 1, "invalid_json");
}

Test(http_core, invalid_utf8_is_400_invalid_utf8) {
    const char body[] = "{\"email\":\"a\xff@example.org\",\"password\":\"x\"}";
    assert_login_body_refused(body, sizeof(body) - 1, "invalid_utf8");
}

Test(http_core, nesting_deeper_than_64_is_400_too_deep) {
    char *body = nested_body(65);
    assert_login_body_refused(body, strlen(body), "too_deep");
    free(body);
}

Test(http_core, nesting_of_64_is_not_too_deep) {
    it_server_t *srv = start_default();
    char *body = nested_body(64);
    it_response_t *r =
        it_request(srv, &(it_request_t){.method = "POST", .path = "/v1/auth/login", .body = body});
    const char *code =
        r->json ? json_string(cJSON_GetObjectItemCaseSensitive(r->json, "error"), "code") : NULL;
    cr_assert(r->status != 0 && (code == NULL || strcmp(code, "too_deep") != 0),
              "depth 64 was refused: %d %s", r->status, r->body);
    it_response_free(r);
    free(body);
    assert_stops_cleanly(srv);
}

Test(http_core, duplicate_key_is_400_duplicate_key) {
    const char body[] =
        "{\"email\":\"a@example.org\",\"password\":\"x\",\"email\":\"b@example.org\"}";
    assert_login_body_refused(body, sizeof(body) - 1, "duplicate_key");
}

/* ---- protocols and concurrency --------------------------------------------------------------- */

Test(http_core, http2_with_prior_knowledge_works) {
    it_server_t *srv = start_default();
    it_response_t *r = it_request(srv, &(it_request_t){.path = "/v1/meta", .http2 = 1});
    cr_assert_eq(r->curl_code, CURLE_OK, "%s", r->curl_error);
    cr_assert_eq(r->http_version, CURL_HTTP_VERSION_2_0, "curl reports HTTP version code %ld",
                 r->http_version);
    cr_assert_eq(r->status, 200, "body: %s", r->body);
    cr_assert_str_eq(json_string(r->json, "name"), "isms-cluster");
    cr_assert_not_null(it_header(r, "x-request-id"));
    it_response_free(r);
    /* Errors keep their shape over HTTP/2. */
    r = it_request(srv, &(it_request_t){.path = "/nope", .http2 = 1});
    it_assert_error(r, 404, "not_found");
    it_response_free(r);
    assert_stops_cleanly(srv);
}

Test(http_core, http11_is_the_default) {
    it_server_t *srv = start_default();
    it_response_t *r = it_get(srv, "/healthz");
    cr_assert_eq(r->http_version, CURL_HTTP_VERSION_1_1);
    it_response_free(r);
    assert_stops_cleanly(srv);
}

Test(http_core, one_connection_pool_serves_200_concurrent_queries) {
    enum { N = 200 };
    it_server_t *srv = it_server_start(&(it_server_options_t){
        .env = (const char *[]){"ISMS_DB_POOL_SIZE=1", "ISMS_LOG_LEVEL=warn", NULL}});
    it_response_t **rs = it_request_many(srv, &(it_request_t){.path = "/v1/meta"}, N);
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(rs[i]->status, 200, "request %zu: status %d (%s) %s", i, rs[i]->status,
                     rs[i]->curl_error, rs[i]->body);
        cr_assert_str_eq(json_string(rs[i]->json, "name"), "isms-cluster");
    }
    it_responses_free(rs, N);
    assert_stops_cleanly(srv);
}

/* ---- access log ------------------------------------------------------------------------------ */

static void assert_access_line(const it_server_t *srv, const char *id, const char *method,
                               const char *path, int status) {
    cJSON *line = it_server_log_find(srv, 2000, "msg", "request", "request_id", id, NULL);
    cr_assert_not_null(line, "no access log line with request_id %s", id);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(line, "status");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(line, "duration_ms");
    cr_assert_str_eq(json_string(line, "method"), method);
    cr_assert_str_eq(json_string(line, "path"), path);
    cr_assert(cJSON_IsNumber(st) && st->valueint == status, "status in the log line");
    cr_assert(cJSON_IsNumber(ms) && ms->valuedouble >= 0 && ms->valuedouble < 10000,
              "duration_ms in the log line");
    cr_assert_not_null(json_string(line, "time"));
    cr_assert_not_null(json_string(line, "level"));
    cJSON_Delete(line);
}

Test(http_core, every_request_gets_one_structured_log_line) {
    it_server_t *srv = start_default();
    it_response_t *r = it_request(
        srv, &(it_request_t){.path = "/v1/meta",
                             .headers = (const char *[]){"X-Request-Id: it-log-meta", NULL}});
    cr_assert_eq(r->status, 200);
    it_response_free(r);
    r = it_request(srv,
                   &(it_request_t){.method = "POST",
                                   .path = "/healthz",
                                   .headers = (const char *[]){"X-Request-Id: it-log-405", NULL}});
    cr_assert_eq(r->status, 405);
    it_response_free(r);
    r = it_get(srv, "/nope");
    char id[130];
    snprintf(id, sizeof(id), "%s", it_header(r, "x-request-id"));
    it_response_free(r);

    assert_access_line(srv, "it-log-meta", "GET", "/v1/meta", 200);
    assert_access_line(srv, "it-log-405", "POST", "/healthz", 405);
    assert_access_line(srv, id, "GET", "/nope", 404);
    cJSON *line = it_server_log_find(srv, 0, "request_id", id, "error", "not_found", NULL);
    cr_assert_not_null(line, "the 404's log line names its error code");
    cJSON_Delete(line);

    /* Exactly one line per request. */
    char *log = it_server_log(srv);
    int count = 0;
    for (const char *p = log; (p = strstr(p, "\"request_id\":\"it-log-meta\"")) != NULL; p++)
        count++;
    free(log);
    cr_assert_eq(count, 1, "%d log lines for one request", count);
    assert_stops_cleanly(srv);
}
