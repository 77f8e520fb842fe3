/* The life of an organisation's feedback key, through real logins: the first login makes it, a
 * colleague who joins later waits for it (reads, but cannot write) until a login of someone who
 * holds it seals it to them, a password change keeps it, and when nobody holds it any more (all
 * passwords reset) the next login makes a new one, under which the earlier posts are nobody's.
 * Anonymous writes leave no line in the server's access log. */
#include <sodium.h>

#include "harness.h"
#include "test_feedback_fixtures.h"

TestSuite(feedback_keys, .fini = it_teardown);

#define SECRET                                                                                     \
    "ISMS_FEEDBACK_SECRET=11223344556677889900aabbccddeeff00112233445566778899aabbccddeeff"

static fb_world_t w;
static it_server_t *srv;
static PGconn *admin;

static void set_password(const char *user, const char *password) {
    char hash[crypto_pwhash_STRBYTES];
    cr_assert_eq(crypto_pwhash_str(hash, password, strlen(password),
                                   crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                   crypto_pwhash_MEMLIMIT_INTERACTIVE),
                 0);
    const char *params[] = {user, hash};
    PQclear(
        it_db_query(admin, "UPDATE isms.users SET password_hash = $2 WHERE id = $1", 2, params));
}

static void login(fb_party_t *p, const char *password) {
    char body[256];
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"%s\"}", p->email, password);
    it_response_t *r =
        it_request(srv, &(it_request_t){.method = "POST", .path = "/v1/auth/login", .body = body});
    cr_assert_eq(r->status, 200, "%s", r->body);
    snprintf(p->auth, sizeof(p->auth), "Authorization: Bearer %s", fb_str(r, "token"));
    it_response_free(r);
}

static int post_status(const char *board, const fb_party_t *who) {
    char path[128];
    snprintf(path, sizeof(path), "/v1/feedback/boards/%s/posts", board);
    it_response_t *r = fb_call(srv, "POST", path, who, "{\"text\":\"hello\"}");
    int status = r->status;
    if (status == 409)
        cr_assert_not_null(strstr(r->body, "feedback_key_pending"), "%s", r->body);
    it_response_free(r);
    return status;
}

/* 1: the post is the caller's; 0: visible but not the caller's; -1: not visible. */
static int mine(const char *post, const fb_party_t *who) {
    char path[128];
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s", post);
    it_response_t *r = fb_call(srv, "GET", path, who, NULL);
    int v =
        r->status == 404 ? -1 : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "is_mine"));
    it_response_free(r);
    return v;
}

Test(feedback_keys, made_at_the_first_login_passed_on_by_colleagues_kept_across_passwords) {
    admin = it_db_connect(getenv("ISMS_TEST_ADMIN_DATABASE_URL"));
    fb_world(&w, admin, 3, 2);
    const char *env[] = {SECRET, "ISMS_FEEDBACK_SECRET_FILE=", NULL};
    srv = it_server_start(&(it_server_options_t){.env = env});
    char board[37], post[37];
    fb_open_board(srv, &w, board);

    /* A second person in A's organisation. */
    fb_party_t first = w.member[0], second = first;
    const char *org[] = {first.org};
    PGresult *res = it_db_query(admin,
                                "INSERT INTO isms.users (organisation_id, email, display_name) "
                                "VALUES ($1, 'fb.second.' || md5(random()::text) || "
                                "'@example.test', 'Second') RETURNING id, email",
                                1, org);
    snprintf(second.user, sizeof(second.user), "%s", PQgetvalue(res, 0, 0));
    snprintf(second.email, sizeof(second.email), "%s", PQgetvalue(res, 0, 1));
    PQclear(res);
    set_password(first.user, "first password");
    set_password(second.user, "second password");

    login(&first, "first password");
    fb_post(srv, board, &first, "written by the first person", post);
    cr_assert_eq(mine(post, &first), 1, "the first login made the key");

    login(&second, "second password");
    cr_assert_eq(post_status(board, &second), 409, "a newcomer waits for the key");
    cr_assert_eq(mine(post, &second), -1, "and does not see the organisation's waiting post");

    login(&first, "first password"); /* seals the key to the colleague */
    login(&second, "second password");
    cr_assert_eq(mine(post, &second), 1, "after a colleague's login the key is there");
    cr_assert_eq(post_status(board, &second), 201);

    it_response_t *r = fb_call(srv, "POST", "/v1/auth/password", &second,
                               "{\"current_password\":\"second password\","
                               "\"new_password\":\"second password, new\"}");
    cr_assert_eq(r->status, 204, "%s", r->body);
    it_response_free(r);
    login(&second, "second password, new");
    cr_assert_eq(mine(post, &second), 1, "a password change keeps the key");

    /* Everybody's wrapped key lost (passwords reset without the old one): a new key. */
    PQclear(it_db_query(admin, "DELETE FROM isms.user_feedback_keys WHERE organisation_id = $1", 1,
                        org));
    login(&first, "first password");
    cr_assert_eq(mine(post, &first), -1, "under a new key the earlier waiting post is nobody's");
    cr_assert_eq(post_status(board, &first), 201, "but the organisation writes again");
    char *log = it_server_log(srv);
    cr_assert_not_null(strstr(log, "/v1/auth/login"), "the log was captured");
    cr_assert_null(strstr(log, "/posts\",\"status\":201"), "anonymous writes leave no log line");
    cr_assert_null(strstr(log, "/posts\",\"status\":409"), "nor refused ones");
    free(log);
    cr_assert_eq(it_server_stop(srv), 0);
    it_db_close(admin);
}
