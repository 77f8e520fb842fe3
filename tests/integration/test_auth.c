/* Authentication through the real server: the operator's create-coordinator command, login and
 * /v1/me, identical answers for unknown users and wrong passwords, absolute and idle expiry,
 * logout, password change, altered tokens, throttling with Retry-After, and one-time invitations.
 * argon2 is slow under the sanitizers, so each test hashes one password (through the command) and
 * copies the hash to the other users it needs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

TestSuite(auth, .fini = it_teardown);

#define PASSWORD "correct horse battery staple"

typedef struct account {
    char email[128];
    char user_id[37];
    char org_id[37];
} account_t;

/* A fresh word for names, so that runs on the shared test database never collide. */
static void fresh(char out[33]) {
    PGconn *admin = it_db_connect(NULL);
    PGresult *r = it_db_query(admin, "SELECT replace(gen_random_uuid()::text, '-', '')", 0, NULL);
    snprintf(out, 33, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    it_db_close(admin);
}

/* Runs `isms-cluster admin create-coordinator`, with `password` on standard input (NULL: none) and
 * the admin URL in the environment unless `no_url`; its output goes to `out`. Returns the exit
 * status. */
static int run_cli(const char *org, const char *email, const char *password, int no_url, char *out,
                   size_t outlen) {
    char path[] = "/tmp/it-auth-cli-XXXXXX", cmd[2048];
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    const char *url = getenv("ISMS_TEST_ADMIN_DATABASE_URL");
    snprintf(cmd, sizeof(cmd),
             "%s%s%s '%s' admin create-coordinator --organisation '%s' --email '%s' >%s 2>&1",
             no_url ? "env -u ISMS_ADMIN_DATABASE_URL" : "ISMS_ADMIN_DATABASE_URL='",
             no_url ? "" : url, no_url ? "" : "'", ISMS_TEST_BINARY, org, email, path);
    FILE *p = popen(cmd, "w");
    cr_assert(p != NULL);
    if (password != NULL)
        fprintf(p, "%s\n", password);
    int status = pclose(p);
    FILE *f = fopen(path, "r");
    size_t n = f != NULL ? fread(out, 1, outlen - 1, f) : 0;
    out[n] = '\0';
    if (f != NULL)
        fclose(f);
    unlink(path);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* A coordinator created by the command, with PASSWORD. */
static void make_coordinator(account_t *a) {
    char word[33], org[64], out[512];
    fresh(word);
    snprintf(org, sizeof(org), "Auth coordination %s", word);
    snprintf(a->email, sizeof(a->email), "coord-%s@auth.example", word);
    int status = run_cli(org, a->email, PASSWORD, 0, out, sizeof(out));
    cr_assert_eq(status, 0, "create-coordinator failed (%d): %s", status, out);
    PGconn *admin = it_db_connect(NULL);
    const char *params[] = {a->email};
    PGresult *r = it_db_query(admin, "SELECT id, organisation_id FROM isms.users WHERE email = $1",
                              1, params);
    cr_assert_eq(PQntuples(r), 1);
    snprintf(a->user_id, sizeof(a->user_id), "%s", PQgetvalue(r, 0, 0));
    snprintf(a->org_id, sizeof(a->org_id), "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    it_db_close(admin);
}

/* A colleague of `of` with the same password (the hash is copied, not recomputed). */
static void make_colleague(const account_t *of, account_t *a, int disabled) {
    char word[33];
    fresh(word);
    snprintf(a->email, sizeof(a->email), "user-%s@auth.example", word);
    PGconn *admin = it_db_connect(NULL);
    const char *params[] = {of->user_id, a->email, disabled ? "true" : "false"};
    PGresult *r =
        it_db_query(admin,
                    "INSERT INTO isms.users (organisation_id, email, display_name, "
                    "password_hash, password_changed_at, disabled) SELECT organisation_id, "
                    "$2, 'Colleague', password_hash, now(), $3 FROM isms.users WHERE id = $1 "
                    "RETURNING id, organisation_id",
                    3, params);
    snprintf(a->user_id, sizeof(a->user_id), "%s", PQgetvalue(r, 0, 0));
    snprintf(a->org_id, sizeof(a->org_id), "%s", PQgetvalue(r, 0, 1));
    PQclear(r);
    it_db_close(admin);
}

/* These tests lock out their client address on purpose: they connect from 127.0.0.2 so that the
 * suite's other tests, which log in from 127.0.0.1 at the same time, are not throttled. */
#define CLIENT_ADDRESS "127.0.0.2"

/* Forgets the failed logins recorded from the tests' address. */
static void reset_throttle(void) {
    PGconn *admin = it_db_connect(NULL);
    it_db_exec(admin, "DELETE FROM isms.login_failures WHERE client_addr = '" CLIENT_ADDRESS "'");
    it_db_close(admin);
}

static it_response_t *login(const it_server_t *srv, const char *email, const char *password) {
    char body[512];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", email, password);
    return it_request(srv, &(it_request_t){.method = "POST",
                                           .path = "/v1/auth/login",
                                           .body = body,
                                           .local_address = CLIENT_ADDRESS});
}

/* Logs in and returns the token (static storage per slot). */
static const char *login_token(const it_server_t *srv, const char *email, const char *password,
                               int slot) {
    static char tokens[4][128];
    it_response_t *r = login(srv, email, password);
    cr_assert_eq(r->status, 200, "login %s: %d %s", email, r->status, r->body);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r->json, "token");
    cr_assert(cJSON_IsString(t) && strlen(t->valuestring) == 43, "no token: %s", r->body);
    snprintf(tokens[slot], sizeof(tokens[slot]), "%s", t->valuestring);
    it_response_free(r);
    return tokens[slot];
}

static it_response_t *with_token(const it_server_t *srv, const char *method, const char *path,
                                 const char *token, const char *body) {
    char header[300];
    snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
    const char *headers[] = {header, NULL};
    return it_request(srv, &(it_request_t){.method = method,
                                           .path = path,
                                           .headers = headers,
                                           .body = body,
                                           .local_address = CLIENT_ADDRESS});
}

static int me_status(const it_server_t *srv, const char *token) {
    it_response_t *r = with_token(srv, "GET", "/v1/me", token, NULL);
    int status = r->status;
    if (status == 401) {
        it_assert_error(r, 401, "unauthenticated");
        const char *www = it_header(r, "www-authenticate");
        cr_assert(www != NULL && strcmp(www, "Bearer") == 0, "a 401 asks for a bearer token");
    }
    it_response_free(r);
    return status;
}

/* Runs `sql` on the session of `token` ($1 is the token's hash). */
static void on_session(const char *token, const char *sql_where_hash_is_1) {
    PGconn *admin = it_db_connect(NULL);
    char hash_sql[1024];
    snprintf(hash_sql, sizeof(hash_sql), "%s", sql_where_hash_is_1);
    const char *params[] = {token};
    PGresult *r = it_db_query(admin, hash_sql, 1, params);
    PQclear(r);
    it_db_close(admin);
}
#define SESSION_IS "token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')"

static void assert_same_bytes(const it_response_t *a, const it_response_t *b, const char *what) {
    cr_assert_eq(a->status, b->status, "%s: %d vs %d", what, a->status, b->status);
    cr_assert(a->body_len == b->body_len && memcmp(a->body, b->body, a->body_len) == 0,
              "%s:\n  %s\n  %s", what, a->body, b->body);
    const char *ha = it_header(a, "www-authenticate"), *hb = it_header(b, "www-authenticate");
    cr_assert((ha == NULL) == (hb == NULL), "%s: WWW-Authenticate differs", what);
}

/* ---- the operator's command, login, /v1/me ----------------------------------------------------
 */

Test(auth, create_coordinator_command_then_login_and_me) {
    reset_throttle();
    account_t coord;
    make_coordinator(&coord);
    it_server_t *srv = it_server_start(NULL);
    const char *token = login_token(srv, coord.email, PASSWORD, 0);
    it_response_t *me = with_token(srv, "GET", "/v1/me", token, NULL);
    cr_assert_eq(me->status, 200, "%s", me->body);
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(me->json, "user");
    const cJSON *org = cJSON_GetObjectItemCaseSensitive(me->json, "organisation");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(user, "email")->valuestring, coord.email);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(user, "id")->valuestring, coord.user_id);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(org, "kind")->valuestring, "coordinator");
    cr_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(me->json, "clusters")));
    cr_assert_null(strstr(me->body, "password"), "/v1/me shows a password field: %s", me->body);
    it_response_free(me);

    /* Only the argon2id hash of the password and the SHA-256 of the token are stored. */
    PGconn *admin = it_db_connect(NULL);
    const char *params[] = {coord.user_id, token};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.users u JOIN isms.sessions s ON s.user_id = "
                            "u.id WHERE u.id = $1 AND u.password_hash LIKE '$argon2id$%' AND "
                            "s.token_hash = encode(sha256(convert_to($2, 'UTF8')), 'hex')",
                            2, params),
                 1);
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.sessions WHERE user_id = $1 AND "
                            "(strpos(token_hash, $2) > 0 OR strpos(client_addr, $2) > 0)",
                            2, params),
                 0, "the token itself is stored");

    /* The command refuses a second account with the same e-mail, a short password, a member
     * organisation's name and a missing database URL. */
    char out[512], org_name[128];
    int status = run_cli("Another org", coord.email, PASSWORD, 0, out, sizeof(out));
    cr_assert_neq(status, 0);
    cr_assert_not_null(strstr(out, "already exists"), "%s", out);
    status = run_cli("Another org", "short@auth.example", "short", 0, out, sizeof(out));
    cr_assert_eq(status, 2, "%s", out);
    char word[33];
    fresh(word);
    snprintf(org_name, sizeof(org_name), "Auth member %s", word);
    const char *mparams[] = {org_name};
    PQclear(it_db_query(admin, "INSERT INTO isms.organisations (name, kind) VALUES ($1, 'member')",
                        1, mparams));
    char email[128];
    snprintf(email, sizeof(email), "m-%s@auth.example", word);
    status = run_cli(org_name, email, PASSWORD, 0, out, sizeof(out));
    cr_assert_neq(status, 0);
    cr_assert_not_null(strstr(out, "not a coordinating organisation"), "%s", out);
    status = run_cli("Org", "x@auth.example", PASSWORD, 1, out, sizeof(out));
    cr_assert_eq(status, 2, "%s", out);
    const char *eparams[] = {email};
    cr_assert_eq(it_db_long(admin, "SELECT count(*) FROM isms.users WHERE email = $1", 1, eparams),
                 0);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(auth, unknown_user_wrong_password_and_disabled_user_get_identical_answers) {
    reset_throttle();
    account_t coord, disabled;
    make_coordinator(&coord);
    make_colleague(&coord, &disabled, 1);
    it_server_t *srv = it_server_start(NULL);
    it_response_t *wrong = login(srv, coord.email, "not the password at all");
    it_assert_error(wrong, 401, "invalid_credentials");
    it_response_t *unknown = login(srv, "nobody-at-all@auth.example", "not the password at all");
    assert_same_bytes(unknown, wrong, "unknown user vs wrong password");
    it_response_t *off = login(srv, disabled.email, PASSWORD);
    assert_same_bytes(off, wrong, "disabled user vs wrong password");
    it_response_t *upper = login(srv, "NOBODY-AT-ALL@auth.example", "x");
    assert_same_bytes(upper, wrong, "unknown user in capitals vs wrong password");
    it_response_free(wrong);
    it_response_free(unknown);
    it_response_free(off);
    it_response_free(upper);
    /* The e-mail address is compared without regard to case. */
    char shout[128];
    snprintf(shout, sizeof(shout), "%s", coord.email);
    for (char *p = shout; *p; p++)
        *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
    login_token(srv, shout, PASSWORD, 0);
    reset_throttle();
    cr_assert_eq(it_server_stop(srv), 0);
}

/* ---- session lifetime ------------------------------------------------------------------------ */

Test(auth, sessions_expire_absolutely_and_when_idle) {
    reset_throttle();
    account_t coord;
    make_coordinator(&coord);
    const char *env[] = {"ISMS_TOKEN_TTL=60", "ISMS_TOKEN_IDLE=60", NULL};
    it_server_t *srv = it_server_start(&(it_server_options_t){.env = env});

    it_response_t *r = login(srv, coord.email, PASSWORD);
    cr_assert_eq(r->status, 200, "%s", r->body);
    const char *expires = cJSON_GetObjectItemCaseSensitive(r->json, "expires_at")->valuestring;
    PGconn *admin = it_db_connect(NULL);
    const char *p[] = {expires};
    cr_assert_lt(it_db_long(admin,
                            "SELECT abs(extract(epoch FROM $1::timestamptz - now()) - 60)::int", 1,
                            p),
                 5, "ISMS_TOKEN_TTL=60 gives a session of 60 s, not until %s", expires);
    it_response_free(r);

    const char *absolute = login_token(srv, coord.email, PASSWORD, 0);
    cr_assert_eq(me_status(srv, absolute), 200);
    on_session(absolute, "UPDATE isms.sessions SET expires_at = now() - interval '1 second' "
                         "WHERE " SESSION_IS);
    cr_assert_eq(me_status(srv, absolute), 401, "a session past expires_at still works");

    const char *idle = login_token(srv, coord.email, PASSWORD, 1);
    on_session(idle, "UPDATE isms.sessions SET last_used_at = now() - interval '61 seconds' "
                     "WHERE " SESSION_IS);
    cr_assert_eq(me_status(srv, idle), 401, "a session idle for longer than 60 s still works");

    /* Used 45 s ago: still valid, and using it pushes the idle limit forward. */
    const char *busy = login_token(srv, coord.email, PASSWORD, 2);
    on_session(busy, "UPDATE isms.sessions SET last_used_at = now() - interval '45 seconds' "
                     "WHERE " SESSION_IS);
    cr_assert_eq(me_status(srv, busy), 200);
    const char *bp[] = {busy};
    cr_assert_eq(it_db_long(admin,
                            "SELECT count(*) FROM isms.sessions WHERE " SESSION_IS
                            " AND last_used_at > now() - interval '5 seconds'",
                            1, bp),
                 1, "a session in use must not run into its idle limit");
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(auth, logout_revokes_only_the_current_session) {
    reset_throttle();
    account_t coord;
    make_coordinator(&coord);
    it_server_t *srv = it_server_start(NULL);
    const char *first = login_token(srv, coord.email, PASSWORD, 0);
    const char *second = login_token(srv, coord.email, PASSWORD, 1);
    it_response_t *r = with_token(srv, "POST", "/v1/auth/logout", first, NULL);
    cr_assert_eq(r->status, 204, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(me_status(srv, first), 401);
    cr_assert_eq(me_status(srv, second), 200);
    r = with_token(srv, "POST", "/v1/auth/logout", first, NULL);
    it_assert_error(r, 401, "unauthenticated");
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
}

Test(auth, password_change_revokes_every_session_of_the_user) {
    reset_throttle();
    account_t coord, colleague;
    make_coordinator(&coord);
    make_colleague(&coord, &colleague, 0);
    it_server_t *srv = it_server_start(NULL);
    const char *first = login_token(srv, coord.email, PASSWORD, 0);
    const char *second = login_token(srv, coord.email, PASSWORD, 1);
    const char *other = login_token(srv, colleague.email, PASSWORD, 2);

    it_response_t *r = with_token(srv, "POST", "/v1/auth/password", first,
                                  "{\"current_password\":\"wrong wrong\",\"new_password\":"
                                  "\"a brand new passphrase\"}");
    it_assert_error(r, 403, "invalid_credentials");
    it_response_free(r);
    r = with_token(srv, "POST", "/v1/auth/password", first,
                   "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"short\"}");
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);
    cr_assert_eq(me_status(srv, first), 200, "a refused change revokes nothing");

    r = with_token(srv, "POST", "/v1/auth/password", first,
                   "{\"current_password\":\"" PASSWORD "\",\"new_password\":"
                   "\"a brand new passphrase\"}");
    cr_assert_eq(r->status, 204, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(me_status(srv, first), 401, "the session that changed the password survives");
    cr_assert_eq(me_status(srv, second), 401, "another session of the user survives");
    cr_assert_eq(me_status(srv, other), 200, "a colleague's session was revoked");
    r = login(srv, coord.email, PASSWORD);
    it_assert_error(r, 401, "invalid_credentials");
    it_response_free(r);
    login_token(srv, coord.email, "a brand new passphrase", 3);
    reset_throttle();
    cr_assert_eq(it_server_stop(srv), 0);
}

/* ---- tokens ---------------------------------------------------------------------------------- */

Test(auth, altered_tokens_do_not_authenticate) {
    reset_throttle();
    account_t coord;
    make_coordinator(&coord);
    it_server_t *srv = it_server_start(NULL);
    char token[64], altered[80];
    snprintf(token, sizeof(token), "%s", login_token(srv, coord.email, PASSWORD, 0));
    size_t n = strlen(token);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 5) {
            snprintf(altered, sizeof(altered), "%s", token);
            altered[i] = (char)(altered[i] ^ (1 << bit));
            if (altered[i] <= ' ' || altered[i] > '~')
                continue; /* a control character cannot travel in a header */
            cr_assert_eq(me_status(srv, altered), 401, "bit %d of character %zu flipped", bit, i);
        }
    }
    snprintf(altered, sizeof(altered), "%.*s", (int)n - 1, token);
    cr_assert_eq(me_status(srv, altered), 401, "a truncated token");
    snprintf(altered, sizeof(altered), "%sA", token);
    cr_assert_eq(me_status(srv, altered), 401, "a token with a character appended");
    /* A token travels in the Authorization header only, never in the URL. */
    char path[320];
    snprintf(path, sizeof(path), "/v1/me?access_token=%s&token=%s", token, token);
    it_response_t *r = it_get(srv, path);
    it_assert_error(r, 401, "unauthenticated");
    it_response_free(r);
    char basic[160];
    snprintf(basic, sizeof(basic), "Authorization: Basic %s", token);
    r = it_request(srv,
                   &(it_request_t){.path = "/v1/me", .headers = (const char *[]){basic, NULL}});
    it_assert_error(r, 401, "unauthenticated");
    it_response_free(r);
    cr_assert_eq(me_status(srv, token), 200, "the unaltered token still works");
    cr_assert_eq(it_server_stop(srv), 0);
}

/* ---- throttling ------------------------------------------------------------------------------ */

static void assert_throttled(const it_response_t *r) {
    it_assert_error(r, 429, "too_many_attempts");
    const char *retry = it_header(r, "retry-after");
    cr_assert_not_null(retry, "a 429 says when to retry");
    char *end;
    long seconds = strtol(retry, &end, 10);
    cr_assert(*end == '\0' && seconds >= 1 && seconds <= 900, "Retry-After: %s", retry);
}

Test(auth, failed_logins_are_throttled_per_account_and_per_address) {
    reset_throttle();
    account_t coord, colleague;
    make_coordinator(&coord);
    make_colleague(&coord, &colleague, 0);
    const char *env[] = {"ISMS_LOGIN_MAX_FAILURES=3", NULL};
    it_server_t *srv = it_server_start(&(it_server_options_t){.env = env});

    /* Failures are forgotten by a successful login. */
    for (int i = 0; i < 2; i++)
        it_response_free(login(srv, coord.email, "wrong password"));
    login_token(srv, coord.email, PASSWORD, 0);
    for (int i = 0; i < 2; i++)
        it_response_free(login(srv, coord.email, "wrong password"));
    login_token(srv, coord.email, PASSWORD, 0);

    /* Three failures lock the account, even for the right password. */
    for (int i = 0; i < 3; i++) {
        it_response_t *r = login(srv, coord.email, "wrong password");
        it_assert_error(r, 401, "invalid_credentials");
        it_response_free(r);
    }
    it_response_t *r = login(srv, coord.email, PASSWORD);
    assert_throttled(r);
    it_response_free(r);
    /* An unknown account is throttled the same way (no hint that it does not exist). */
    for (int i = 0; i < 3; i++)
        it_response_free(login(srv, "ghost@auth.example", "wrong password"));
    it_response_t *ghost = login(srv, "ghost@auth.example", "wrong password");
    assert_throttled(ghost);
    it_response_free(ghost);
    /* The colleague is not locked out by someone else's failures at 6 of 12 for the address. */
    login_token(srv, colleague.email, PASSWORD, 1);
    /* Spraying many accounts from one address: 12 failures lock the address. */
    for (int i = 0; i < 6; i++) {
        char email[64];
        snprintf(email, sizeof(email), "spray%d@auth.example", i);
        r = login(srv, email, "wrong password");
        it_assert_error(r, 401, "invalid_credentials");
        it_response_free(r);
    }
    r = login(srv, colleague.email, PASSWORD);
    assert_throttled(r);
    it_response_free(r);
    reset_throttle();
    login_token(srv, colleague.email, PASSWORD, 1);
    cr_assert_eq(it_server_stop(srv), 0);
}

/* A wrong current password counts as a failed login of the account: a stolen session cannot guess
 * the password faster than the login form allows. */
Test(auth, wrong_current_passwords_are_throttled_like_logins) {
    reset_throttle();
    account_t coord;
    make_coordinator(&coord);
    const char *env[] = {"ISMS_LOGIN_MAX_FAILURES=3", NULL};
    it_server_t *srv = it_server_start(&(it_server_options_t){.env = env});
    const char *token = login_token(srv, coord.email, PASSWORD, 0);
    static const char guess[] =
        "{\"current_password\":\"a guess\",\"new_password\":\"a brand new passphrase\"}";
    for (int i = 0; i < 3; i++) {
        it_response_t *r = with_token(srv, "POST", "/v1/auth/password", token, guess);
        it_assert_error(r, 403, "invalid_credentials");
        it_response_free(r);
    }
    it_response_t *r = with_token(srv, "POST", "/v1/auth/password", token,
                                  "{\"current_password\":\"" PASSWORD "\",\"new_password\":"
                                  "\"a brand new passphrase\"}");
    assert_throttled(r);
    it_response_free(r);
    r = login(srv, coord.email, PASSWORD);
    assert_throttled(r);
    it_response_free(r);
    cr_assert_eq(me_status(srv, token), 200, "a throttled change revokes nothing");
    reset_throttle();
    cr_assert_eq(it_server_stop(srv), 0);
}

/* ---- invitations ----------------------------------------------------------------------------- */

static const char *invitation_token_of(const it_response_t *r, char *out) {
    cr_assert_eq(r->status, 201, "%s", r->body);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(r->json, "invitation_token");
    cr_assert(cJSON_IsString(t) && strlen(t->valuestring) == 43, "%s", r->body);
    snprintf(out, 64, "%s", t->valuestring);
    return out;
}

static it_response_t *accept_invitation(const it_server_t *srv, const char *token,
                                        const char *password) {
    char body[256];
    snprintf(body, sizeof(body), "{\"token\":\"%s\",\"password\":\"%s\"}", token, password);
    return it_request(
        srv,
        &(it_request_t){.method = "POST", .path = "/v1/auth/invitations/accept", .body = body});
}

Test(auth, an_invitation_is_accepted_once) {
    reset_throttle();
    account_t coord;
    make_coordinator(&coord);
    it_server_t *srv = it_server_start(NULL);
    const char *ct = login_token(srv, coord.email, PASSWORD, 0);
    char word[33], body[256], path[128], first[64], second[64], email[128];
    fresh(word);
    snprintf(body, sizeof(body), "{\"name\":\"Invited org %s\",\"kind\":\"member\"}", word);
    it_response_t *r = with_token(srv, "POST", "/v1/organisations", ct, body);
    cr_assert_eq(r->status, 201, "%s", r->body);
    snprintf(path, sizeof(path), "/v1/organisations/%s/users",
             cJSON_GetObjectItemCaseSensitive(r->json, "id")->valuestring);
    it_response_free(r);
    snprintf(email, sizeof(email), "invited-%s@auth.example", word);
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"display_name\":\"Invited\"}", email);
    r = with_token(srv, "POST", path, ct, body);
    invitation_token_of(r, first);
    char reinvite[128];
    snprintf(
        reinvite, sizeof(reinvite), "/v1/users/%s/invitations",
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->json, "user"), "id")
            ->valuestring);
    it_response_free(r);

    r = login(srv, email, "no password is set yet");
    it_assert_error(r, 401, "invalid_credentials");
    it_response_free(r);

    /* Renewing an unused invitation retires the older one. */
    r = with_token(srv, "POST", reinvite, ct, NULL);
    invitation_token_of(r, second);
    it_response_free(r);
    r = accept_invitation(srv, first, "the invited one's passphrase");
    it_assert_error(r, 410, "invitation_invalid");
    it_response_free(r);
    r = accept_invitation(srv, second, "the invited one's passphrase");
    cr_assert_eq(r->status, 204, "%s", r->body);
    it_response_free(r);
    const char *invited = login_token(srv, email, "the invited one's passphrase", 1);
    r = accept_invitation(srv, second, "a takeover passphrase");
    it_assert_error(r, 410, "invitation_invalid");
    it_response_free(r);
    r = accept_invitation(srv, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                          "a takeover passphrase");
    it_assert_error(r, 410, "invitation_invalid");
    it_response_free(r);
    r = accept_invitation(srv, "too-short", "a takeover passphrase");
    it_assert_error(r, 400, "invalid_body");
    it_response_free(r);

    /* Once the user is active, an invitation would reset their password: refused, even to the
     * organisation's administrator (here the user itself). The coordinator, who invited the first
     * administrator, no longer manages the organisation's users at all. */
    r = with_token(srv, "POST", reinvite, invited, NULL);
    it_assert_error(r, 409, "already_active");
    it_response_free(r);
    r = with_token(srv, "POST", reinvite, ct, NULL);
    it_assert_error(r, 409, "administrator_exists");
    it_response_free(r);
    login_token(srv, email, "the invited one's passphrase", 2);
    cr_assert_eq(it_server_stop(srv), 0);
}
