/* Login, logout, password change, invitation acceptance and /v1/me. Password hashing and
 * verification run on libuv's worker threads; the event loop never waits for argon2. An unknown
 * e-mail address is verified against a dummy hash and recorded as a failure like a wrong
 * password, so both answer with the same body after similar work. */
#include "auth/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/api.h"
#include "core/http.h"
#include "core/json.h"
#include "core/token.h"
#include "auth/keys.h"

const db_stmt_t auth_session_statement = {"auth_session", "SELECT isms.auth_session($1, $2)", 2};

enum {
    S_LOOKUP,
    S_FAILED,
    S_SUCCEEDED,
    S_LOGOUT,
    S_PASSWORD_STATE,
    S_PASSWORD_FAILED,
    S_SET_OWN,
    S_ACCEPT,
    S_ME,
    S_LOGIN_KEYS,
    S_OWN_KEYS
};

const db_stmt_t auth_statements[] = {
    [S_LOOKUP] = {"auth_login_lookup", "SELECT isms.auth_login_lookup($1, $2, $3, $4)", 4},
    [S_FAILED] = {"auth_login_failed", "SELECT isms.auth_login_failed($1, $2)", 2},
    [S_SUCCEEDED] = {"auth_login_succeeded",
                     "SELECT isms.auth_login_succeeded($1, $2, $3, $4, $5, $6::jsonb)", 6},
    [S_LOGOUT] = {"auth_logout", "SELECT isms.auth_logout()", 0},
    [S_PASSWORD_STATE] = {"auth_password_state", "SELECT isms.auth_password_state($1, $2, $3)", 3},
    [S_PASSWORD_FAILED] = {"auth_password_failed", "SELECT isms.auth_password_failed($1)", 1},
    [S_SET_OWN] = {"auth_set_own_password", "SELECT isms.auth_set_own_password($1, $2, $3)", 3},
    [S_ACCEPT] = {"auth_accept_invitation", "SELECT isms.auth_accept_invitation($1, $2)", 2},
    [S_ME] = {"auth_me", "SELECT isms.api_me()::text", 0},
    [S_LOGIN_KEYS] = {"auth_login_keys", "SELECT isms.auth_login_keys($1)::text", 1},
    [S_OWN_KEYS] = {"auth_own_keys", "SELECT isms.auth_own_keys()::text", 0},
};
const size_t auth_statements_count = sizeof(auth_statements) / sizeof(auth_statements[0]);

static const config_t *auth_cfg;
static char dummy_hash[crypto_pwhash_STRBYTES];

#define PASSWORD_MIN 10
#define PASSWORD_MAX 1024

int auth_password_hash(const char *password, char out[128]) {
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

int auth_init(const config_t *cfg) {
    char random_password[33], err[256];
    unsigned char bytes[16];
    int ephemeral;
    auth_cfg = cfg;
    if (keys_init(cfg->feedback_secret_file, cfg->feedback_secret, &ephemeral, err, sizeof(err)) !=
        0) {
        log_line_t line;
        log_begin(&line, LOG_ERROR, err);
        log_emit(&line);
        return -1;
    }
    if (ephemeral) {
        log_line_t line;
        log_begin(&line, LOG_WARN,
                  "no ISMS_FEEDBACK_SECRET_FILE: feedback keys made now cannot be opened after "
                  "a restart");
        log_emit(&line);
    }
    randombytes_buf(bytes, sizeof(bytes));
    sodium_bin2hex(random_password, sizeof(random_password), bytes, sizeof(bytes));
    return auth_password_hash(random_password, dummy_hash);
}

/* ---- shared steps ---------------------------------------------------------------------------- */

/* State of a multi-step request. The request owns one copy in its memory pool (wiped when the
 * request ends); a worker thread gets its own malloc'd copy, since a running work item cannot be
 * cancelled when the client leaves, and the result is copied back if the request is still there. */
typedef struct auth_work {
    char email[256];
    char password[PASSWORD_MAX + 1];
    char new_password[PASSWORD_MAX + 1];
    char stored_hash[crypto_pwhash_STRBYTES];
    char new_hash[crypto_pwhash_STRBYTES];
    char user_id[37];
    char addr[64];
    char token[TOKEN_LEN + 1];
    char token_hash[65];
    char keys[KEYS_JSON_MAX];    /* stored key material in, then what to store out */
    char kek_salt[33], box[225]; /* a re-wrapped secret key at a password change */
    int verified;
    int failed;
} auth_work_t;

static void auth_work_free(void *p) {
    sodium_memzero(p, sizeof(auth_work_t));
    free(p);
}

static void auth_work_wipe(void *p) {
    sodium_memzero(p, sizeof(auth_work_t));
}

static auth_work_t *auth_work_new(http_req_t *req) {
    auth_work_t *w = h2o_mem_alloc_shared(&req->h2o->pool, sizeof(*w), auth_work_wipe);
    memset(w, 0, sizeof(*w));
    req->handler_data = w;
    return w;
}

/* Runs `work` on a copy of the request's state; `done` runs with the state copied back. */
static void queue_work(http_req_t *req, http_work_fn work, http_work_done done) {
    auth_work_t *copy = malloc(sizeof(*copy));
    if (copy == NULL) {
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    memcpy(copy, req->handler_data, sizeof(*copy));
    http_queue_work(req, work, done, copy, auth_work_free);
}

static auth_work_t *work_result(http_req_t *req, void *copy) {
    memcpy(req->handler_data, copy, sizeof(auth_work_t));
    return req->handler_data;
}

/* Reads a required string field into `out`; answers 400 and returns -1 when invalid. */
static int body_string(http_req_t *req, const char *name, size_t min, size_t max, char *out,
                       size_t outlen) {
    const char *value = NULL;
    json_field_error_t err;
    if (json_get_string(req->body, name, 1, min, max, &value, &err) != 0) {
        cJSON *extra = cJSON_CreateObject();
        cJSON_AddStringToObject(extra, "field", err.field);
        http_send_error_with(req, 400, "invalid_body", err.message, extra);
        return -1;
    }
    snprintf(out, outlen, "%s", value);
    return 0;
}

static int only_fields(http_req_t *req, const char *const *known) {
    json_field_error_t err;
    if (json_only_fields(req->body, known, &err) == 0)
        return 0;
    cJSON *extra = cJSON_CreateObject();
    cJSON_AddStringToObject(extra, "field", err.field);
    http_send_error_with(req, 400, "invalid_body", err.message, extra);
    return -1;
}

static void send_invalid_credentials(http_req_t *req) {
    http_send_error(req, 401, "invalid_credentials", "the e-mail address or the password is wrong");
}

/* Submits one statement (plus the route's authentication) with `params`, keeping `w` for `cb`. */
static void submit_one(http_req_t *req, int stmt, const char *const *params, http_db_cb cb) {
    db_txn_t *txn = http_txn_new(req);
    int index = txn != NULL ? db_txn_add(txn, &auth_statements[stmt], params) : -1;
    if (index < 0) {
        db_txn_free(txn);
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    req->result_index = index;
    http_db_submit(req, txn, cb);
}

/* Like submit_one, with a second statement whose result follows at req->result_index + 1. */
static void submit_two(http_req_t *req, int stmt, const char *const *params, int stmt2,
                       const char *const *params2, http_db_cb cb) {
    db_txn_t *txn = http_txn_new(req);
    int index = txn != NULL ? db_txn_add(txn, &auth_statements[stmt], params) : -1;
    if (index < 0 || db_txn_add(txn, &auth_statements[stmt2], params2) < 0) {
        db_txn_free(txn);
        http_send_error(req, 500, "internal", "out of memory");
        return;
    }
    req->result_index = index;
    http_db_submit(req, txn, cb);
}

/* Answers 429 with Retry-After when a lookup ({"retry_after": seconds, ...}) says the account or
 * the client address is throttled; returns non-zero when it answered. */
static int answer_if_throttled(http_req_t *req, const cJSON *lookup) {
    const cJSON *retry = cJSON_GetObjectItem(lookup, "retry_after");
    if (!cJSON_IsNumber(retry) || retry->valueint <= 0)
        return 0;
    char seconds[16];
    snprintf(seconds, sizeof(seconds), "%d", retry->valueint);
    http_add_header(req, "Retry-After", seconds);
    http_send_error(req, 429, "too_many_attempts",
                    "too many failed attempts; wait %s seconds before trying again", seconds);
    return 1;
}

/* ---- login ----------------------------------------------------------------------------------- */

static void login_recorded(http_req_t *req, db_txn_t *txn) {
    auth_work_t *w = req->handler_data;
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    if (w->failed) {
        send_invalid_credentials(req);
        return;
    }
    cJSON *session = cJSON_Parse(db_txn_value(txn, req->result_index));
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "token", w->token);
    cJSON_AddStringToObject(doc, "token_type", "Bearer");
    cJSON_AddItemToObject(doc, "expires_at", cJSON_DetachItemFromObject(session, "expires_at"));
    cJSON_AddItemToObject(doc, "user_id", cJSON_DetachItemFromObject(session, "user_id"));
    http_send_json(req, 200, doc);
    cJSON_Delete(doc);
    cJSON_Delete(session);
}

static void login_verify(void *p) {
    auth_work_t *w = p;
    const char *hash = w->stored_hash[0] != '\0' ? w->stored_hash : dummy_hash;
    int ok = crypto_pwhash_str_verify(hash, w->password, strlen(w->password)) == 0;
    w->verified = ok && w->stored_hash[0] != '\0' && w->user_id[0] != '\0';
    if (w->verified) {
        char stored[KEYS_JSON_MAX];
        token_new(w->token, w->token_hash);
        memcpy(stored, w->keys, sizeof(stored));
        keys_login(stored, w->password, w->token, w->keys, sizeof(w->keys));
    }
}

static void login_verified(http_req_t *req, void *p) {
    auth_work_t *keep = work_result(req, p);
    sodium_memzero(keep->password, sizeof(keep->password));
    if (keep->verified) {
        char ttl[16], idle[16];
        snprintf(ttl, sizeof(ttl), "%d", auth_cfg->token_ttl_s);
        snprintf(idle, sizeof(idle), "%d", auth_cfg->token_idle_s);
        const char *params[] = {keep->user_id, keep->token_hash,
                                keep->addr,    ttl,
                                idle,          keep->keys[0] != '\0' ? keep->keys : NULL};
        submit_one(req, S_SUCCEEDED, params, login_recorded);
    } else {
        keep->failed = 1;
        const char *params[] = {keep->email, keep->addr};
        submit_one(req, S_FAILED, params, login_recorded);
    }
}

static void login_looked_up(http_req_t *req, db_txn_t *txn) {
    auth_work_t *w = req->handler_data;
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    cJSON *found = cJSON_Parse(db_txn_value(txn, req->result_index));
    const cJSON *hash = cJSON_GetObjectItem(found, "password_hash");
    const cJSON *user = cJSON_GetObjectItem(found, "user_id");
    if (answer_if_throttled(req, found)) {
        cJSON_Delete(found);
        return;
    }
    if (cJSON_IsString(hash))
        snprintf(w->stored_hash, sizeof(w->stored_hash), "%s", hash->valuestring);
    if (cJSON_IsString(user))
        snprintf(w->user_id, sizeof(w->user_id), "%s", user->valuestring);
    cJSON_Delete(found);
    const char *keys = db_txn_value(txn, req->result_index + 1);
    snprintf(w->keys, sizeof(w->keys), "%s", keys != NULL ? keys : "");
    queue_work(req, login_verify, login_verified);
}

static int post_login(http_req_t *req) {
    static const char *const known[] = {"email", "password", NULL};
    auth_work_t *w = auth_work_new(req);
    if (only_fields(req, known) != 0 ||
        body_string(req, "email", 3, 254, w->email, sizeof(w->email)) != 0 ||
        body_string(req, "password", 1, PASSWORD_MAX, w->password, sizeof(w->password)) != 0)
        return 0;
    http_client_addr(req, w->addr, sizeof(w->addr));
    char max[16], window[16];
    snprintf(max, sizeof(max), "%d", auth_cfg->login_throttle_max);
    snprintf(window, sizeof(window), "%d", auth_cfg->login_throttle_window_s);
    const char *params[] = {w->email, w->addr, max, window};
    submit_two(req, S_LOOKUP, params, S_LOGIN_KEYS, params, login_looked_up);
    return 0;
}

/* ---- logout, me ------------------------------------------------------------------------------ */

static void answer_no_content(http_req_t *req, db_txn_t *txn) {
    api_answer(req, txn, req->result_index, 204);
}

static void answer_json(http_req_t *req, db_txn_t *txn) {
    api_answer(req, txn, req->result_index, 200);
}

static int post_logout(http_req_t *req) {
    submit_one(req, S_LOGOUT, NULL, answer_no_content);
    return 0;
}

static int get_me(http_req_t *req) {
    submit_one(req, S_ME, NULL, answer_json);
    return 0;
}

/* ---- password change ------------------------------------------------------------------------- */

static void password_rehash(void *p) {
    auth_work_t *w = p;
    w->verified = w->stored_hash[0] != '\0' &&
                  crypto_pwhash_str_verify(w->stored_hash, w->password, strlen(w->password)) == 0;
    if (w->verified && auth_password_hash(w->new_password, w->new_hash) != 0)
        w->new_hash[0] = '\0';
    if (w->verified)
        keys_rewrap(w->keys, w->password, w->new_password, w->kek_salt, w->box);
}

static void password_refused(http_req_t *req, db_txn_t *txn) {
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    http_send_error(req, 403, "invalid_credentials", "the current password is wrong");
}

static void password_hashed(http_req_t *req, void *p) {
    auth_work_t *w = work_result(req, p);
    if (!w->verified) {
        /* Counted like a failed login of the account, so guessing here is no faster. */
        const char *params[] = {w->addr};
        submit_one(req, S_PASSWORD_FAILED, params, password_refused);
        return;
    }
    if (w->new_hash[0] == '\0') {
        http_send_error(req, 500, "internal", "the password could not be hashed");
        return;
    }
    const char *params[] = {w->new_hash, w->kek_salt[0] ? w->kek_salt : NULL,
                            w->box[0] ? w->box : NULL};
    submit_one(req, S_SET_OWN, params, answer_no_content);
}

static void password_current_loaded(http_req_t *req, db_txn_t *txn) {
    auth_work_t *w = req->handler_data;
    if (db_txn_status(txn) != DB_OK) {
        http_send_db_error(req, txn);
        return;
    }
    cJSON *state = cJSON_Parse(db_txn_value(txn, req->result_index));
    const cJSON *hash = cJSON_GetObjectItem(state, "password_hash");
    if (answer_if_throttled(req, state)) {
        cJSON_Delete(state);
        return;
    }
    snprintf(w->stored_hash, sizeof(w->stored_hash), "%s",
             cJSON_IsString(hash) ? hash->valuestring : "");
    cJSON_Delete(state);
    const char *keys = db_txn_value(txn, req->result_index + 1);
    snprintf(w->keys, sizeof(w->keys), "%s", keys != NULL ? keys : "");
    queue_work(req, password_rehash, password_hashed);
}

static int post_password(http_req_t *req) {
    static const char *const known[] = {"current_password", "new_password", NULL};
    auth_work_t *w = auth_work_new(req);
    if (only_fields(req, known) != 0 ||
        body_string(req, "current_password", 1, PASSWORD_MAX, w->password, sizeof(w->password)) !=
            0 ||
        body_string(req, "new_password", PASSWORD_MIN, PASSWORD_MAX, w->new_password,
                    sizeof(w->new_password)) != 0)
        return 0;
    http_client_addr(req, w->addr, sizeof(w->addr));
    char max[16], window[16];
    snprintf(max, sizeof(max), "%d", auth_cfg->login_throttle_max);
    snprintf(window, sizeof(window), "%d", auth_cfg->login_throttle_window_s);
    const char *params[] = {w->addr, max, window};
    submit_two(req, S_PASSWORD_STATE, params, S_OWN_KEYS, NULL, password_current_loaded);
    return 0;
}

/* ---- invitations ----------------------------------------------------------------------------- */

static void accept_hash(void *p) {
    auth_work_t *w = p;
    if (auth_password_hash(w->new_password, w->new_hash) != 0)
        w->new_hash[0] = '\0';
}

static void accept_hashed(http_req_t *req, void *p) {
    auth_work_t *w = work_result(req, p);
    if (w->new_hash[0] == '\0') {
        http_send_error(req, 500, "internal", "the password could not be hashed");
        return;
    }
    token_sha256_hex(w->token, strlen(w->token), w->token_hash);
    const char *params[] = {w->token_hash, w->new_hash};
    submit_one(req, S_ACCEPT, params, answer_no_content);
}

static int post_accept_invitation(http_req_t *req) {
    static const char *const known[] = {"token", "password", NULL};
    auth_work_t *w = auth_work_new(req);
    if (only_fields(req, known) != 0 ||
        body_string(req, "token", TOKEN_LEN, TOKEN_LEN, w->token, sizeof(w->token)) != 0 ||
        body_string(req, "password", PASSWORD_MIN, PASSWORD_MAX, w->new_password,
                    sizeof(w->new_password)) != 0)
        return 0;
    queue_work(req, accept_hash, accept_hashed);
    return 0;
}

const route_t auth_routes[] = {
    {"POST", "/v1/auth/login", post_login, ROUTE_JSON_BODY, NULL, "anyone:none"},
    {"POST", "/v1/auth/logout", post_logout, ROUTE_AUTH, NULL, "user:self"},
    {"POST", "/v1/auth/password", post_password, ROUTE_AUTH | ROUTE_JSON_BODY, NULL, "user:self"},
    {"POST", "/v1/auth/invitations/accept", post_accept_invitation, ROUTE_JSON_BODY, NULL,
     "anyone:none"},
    {"GET", "/v1/me", get_me, ROUTE_AUTH, NULL, "user:self"},
};
const size_t auth_routes_count = sizeof(auth_routes) / sizeof(auth_routes[0]);
