/* Integration test harness: runs the real isms-cluster binary against a real PostgreSQL and talks
 * to it over HTTP. Tests include this header only; a test file starts with
 *     TestSuite(my_suite, .fini = it_teardown);
 *
 * Ownership: servers, database connections and throwaway PostgreSQL instances belong to the
 * harness and are released by it_teardown() or, failing that, when the test process exits.
 * Responses are the caller's to free (it_response_free); any still alive at teardown are freed
 * there, so a failed assertion leaks nothing.
 *
 * Failures: every function that can fail fails the current test with a message (cr_assert), so a
 * test reads as a list of steps. Each test gets a scratch directory under a per-run directory
 * ($TMPDIR or /tmp, isms-it.*); the server's stderr and PostgreSQL's logs are written there. When a
 * test fails or crashes, the test runner prints the tail of each log and keeps the directory;
 * otherwise it is removed. Instances left running by a crashed test are stopped by the runner.
 * A test should end with it_server_stop(): it returns the exit status and checks the server's
 * stderr for sanitizer reports (teardown only cleans up; Criterion ignores failures there).
 *
 * Environment (set by deploy/local.sh test): ISMS_TEST_DATABASE_URL (app role, test database),
 * ISMS_TEST_ADMIN_DATABASE_URL (superuser, same database), ISMS_TEST_PG_BINDIR and
 * ISMS_TEST_PG_OSUSER (for throwaway instances). ISMS_IT_KEEP=1 keeps every scratch directory. */
#pragma once
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- time ------------------------------------------------------------------------------------ */

/** Monotonic milliseconds. */
uint64_t it_now_ms(void);
void it_sleep_ms(int ms);

/* ---- the server ------------------------------------------------------------------------------ */

typedef struct it_server_options {
    const char *database_url; /* NULL: $ISMS_TEST_DATABASE_URL */
    const char *const *env;   /* extra "NAME=value" entries, NULL-terminated; they win */
    int no_wait_ready;        /* return once /healthz answers, without waiting for /readyz 200 */
} it_server_options_t;

typedef struct it_server {
    pid_t pid;
    int port;
    char url[64];        /* "http://127.0.0.1:<port>" */
    char app_name[64];   /* application_name of its database sessions (pg_stat_activity) */
    char log_path[1024]; /* the server's stderr (and stdout) */
    int exited;          /* set once the process has been reaped */
    int exit_status;     /* exit code, or 128 + signal number */
} it_server_t;

/** Starts `isms-cluster serve` on a free port (ISMS_HTTP_PORT=0; the port is read from the
 * "listening" log line, which the server writes at every log level) and waits, at most 10 s, until
 * /healthz answers 200 and /readyz 200. Its database sessions carry a unique application_name
 * (app_name). `opts` may be NULL. */
it_server_t *it_server_start(const it_server_options_t *opts);
/** Sends SIGTERM (unless the server has already exited), waits for the exit (at most 20 s, then
 * SIGKILL) and returns the exit status. Also fails the test when stderr holds a sanitizer report.
 */
int it_server_stop(it_server_t *server);
/** Sends `sig` to the server. */
void it_server_signal(it_server_t *server, int sig);
/** Waits at most `timeout_ms` (negative: no limit) for the server to exit; returns its exit status
 * or -1 (still up). */
int it_server_wait(it_server_t *server, int timeout_ms);
/** Non-zero while the process has not exited. */
int it_server_running(it_server_t *server);
/** The server's stderr so far, NUL-terminated; the caller frees it. */
char *it_server_log(const it_server_t *server);
/** Non-zero when stderr contains a sanitizer report (ASan, LSan or UBSan). */
int it_server_log_has_sanitizer_report(const it_server_t *server);
/** Polls stderr (at most `timeout_ms`) for the first JSON log line whose string members match
 * every name/value pair given (NULL-terminated list); returns it (cJSON_Delete) or NULL. */
cJSON *it_server_log_find(const it_server_t *server, int timeout_ms, const char *name,
                          const char *value, ...) __attribute__((sentinel));

/* ---- HTTP ------------------------------------------------------------------------------------ */

typedef struct it_request {
    const char *method;         /* NULL: "GET"; "HEAD" sends no body and reads none */
    const char *path;           /* "/v1/meta", query string included */
    const char *const *headers; /* "Name: value" strings, NULL-terminated */
    const char *body;           /* NULL: no body */
    size_t body_len;            /* 0: strlen(body) */
    const char *content_type;   /* with a body; NULL: "application/json"; "": no Content-Type */
    int http2;                  /* HTTP/2 with prior knowledge instead of HTTP/1.1 */
    long timeout_ms;            /* whole transfer; 0: 10000 */
    const char *local_address;  /* connect from this loopback address (e.g. "127.0.0.2"); NULL:
                                   the default, 127.0.0.1 */
} it_request_t;

typedef struct it_header {
    char *name;
    char *value;
} it_header_t;

typedef struct it_response {
    int status;         /* 0 when no response arrived: see curl_code */
    CURLcode curl_code; /* CURLE_OK, or why the transfer failed (e.g. CURLE_COULDNT_CONNECT) */
    char curl_error[CURL_ERROR_SIZE];
    long http_version; /* CURL_HTTP_VERSION_1_1, CURL_HTTP_VERSION_2_0, ... */
    char *body;        /* NUL-terminated (never NULL) */
    size_t body_len;
    cJSON *json;          /* the body when it is one strict JSON document, else NULL */
    it_header_t *headers; /* of the final response, in order */
    size_t nheaders;
    double elapsed_ms;
} it_response_t;

/** Sends one request on a new connection and returns what came back (never NULL). */
it_response_t *it_request(const it_server_t *server, const it_request_t *req);
/** GET `path`. */
it_response_t *it_get(const it_server_t *server, const char *path);
/** The first response header called `name` (any case), or NULL. */
const char *it_header(const it_response_t *resp, const char *name);
void it_response_free(it_response_t *resp);

/** Asserts `{"error":{"code":<code>,"message":<non-empty>}}` (nothing else at the top level) with
 * the given status, a JSON content type and an X-Request-Id. */
#define it_assert_error(resp, status, code)                                                        \
    do {                                                                                           \
        const char *it__problem = it__error_shape_problem((resp), (status), (code));               \
        cr_assert(it__problem == NULL, "%s", it__problem);                                         \
    } while (0)
/** What is wrong with `resp` as that error, in a static buffer, or NULL when nothing is. */
const char *it__error_shape_problem(const it_response_t *resp, int status, const char *code);

/* Concurrent requests (curl multi, one connection each for HTTP/1.1). */
typedef struct it_batch it_batch_t;

/** Starts `n` requests at once; request i is reqs[i % nreqs] (nreqs 1: n copies of one). */
it_batch_t *it_batch_start(const it_server_t *server, const it_request_t *reqs, size_t nreqs,
                           size_t n);
/** Drives the transfers for `ms` milliseconds; returns how many are still running. */
size_t it_batch_run(it_batch_t *batch, int ms);
/** Drives the transfers until every request has been written out (at most `timeout_ms`); returns
 * how many have been. */
size_t it_batch_wait_sent(it_batch_t *batch, int timeout_ms);
/** Drives every transfer to its end (each is bounded by its timeout_ms), frees the batch and
 * returns the `n` responses in request order (it_responses_free). */
it_response_t **it_batch_finish(it_batch_t *batch);
/** it_batch_start + it_batch_finish for `n` copies of `req`. */
it_response_t **it_request_many(const it_server_t *server, const it_request_t *req, size_t n);
void it_responses_free(it_response_t **resps, size_t n);

/* ---- PostgreSQL ------------------------------------------------------------------------------ */

/** Connects to `conninfo`, or to $ISMS_TEST_ADMIN_DATABASE_URL when NULL. */
PGconn *it_db_connect(const char *conninfo);
/** Runs SQL (one or more statements, no parameters); fails the test unless it succeeds. */
void it_db_exec(PGconn *conn, const char *sql);
/** Runs one parameterised statement; fails the test unless it succeeds. The caller PQclears. */
PGresult *it_db_query(PGconn *conn, const char *sql, int nparams, const char *const *params);
/** Runs a statement that returns one integer (row 0, column 0). */
long it_db_long(PGconn *conn, const char *sql, int nparams, const char *const *params);
/** Polls such a statement until it returns `expected`; fails the test after `timeout_ms`. Each
 * poll clears the statistics snapshot, so pg_stat_* views are current even inside a transaction. */
void it_db_await(PGconn *conn, const char *sql, int nparams, const char *const *params,
                 long expected, int timeout_ms);
/** Waits until exactly `n` of the server's database sessions (its app_name in pg_stat_activity,
 * read through `admin`) satisfy `condition`, an SQL expression over pg_stat_activity such as
 * "state = 'idle'" or "wait_event_type = 'Lock'". Fails the test after `timeout_ms`, listing the
 * database's sessions. */
void it_server_await_sessions(const it_server_t *server, PGconn *admin, const char *condition,
                              long n, int timeout_ms);
/** Closes a connection before teardown would. */
void it_db_close(PGconn *conn);

/* A throwaway PostgreSQL instance for fault tests: its own data directory, socket directory and
 * port; database `isms`, migrated by the binary under test. Run as $ISMS_TEST_PG_OSUSER when set.
 */
typedef struct it_pg {
    int port;
    int running;
    char app_url[512];   /* isms_app on database isms */
    char admin_url[512]; /* postgres on database isms */
    char dir[512];       /* owned by the PostgreSQL OS user: data/ */
    char socket_dir[128];
    char log_path[1024];
} it_pg_t;

/** initdb, start, CREATE DATABASE isms, `isms-cluster migrate`. Takes about a second. */
it_pg_t *it_pg_create(void);
/** pg_ctl stop with mode "fast", "immediate" or "smart"; waits for it. */
void it_pg_stop(it_pg_t *pg, const char *mode);
/** pg_ctl start; waits until it accepts connections. */
void it_pg_start(it_pg_t *pg);

/* ---- teardown -------------------------------------------------------------------------------- */

/** Releases everything the harness created in this test, newest first: kills servers still
 * running (SIGTERM, then SIGKILL), closes connections, stops and removes throwaway instances. */
void it_teardown(void);
