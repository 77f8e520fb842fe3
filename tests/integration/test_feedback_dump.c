/* A dump does not attribute posts. Members log in with passwords (so the server makes their keys
 * the production way, with a known server secret), post, react and get released; the database is
 * dumped with pg_dump and restored into a fresh database. Then, on the restored copy:
 * - with a live session's token (positive control), K_org = box XOR pad recomputes A's tags, so
 *   the method of the attempts below is right;
 * - without the secret: neither that key nor any key made from what the dump holds (ids,
 *   verifiers, public keys, boxes, seals, token hashes) recomputes a tag, and the key's bytes
 *   appear nowhere in the dump;
 * - with the secret but without a session: the secret opens the outer layer of every wrapped
 *   user key but not the inner one (wrong passwords, token hashes), and keys made from the secret
 *   and the dump recompute no tag; only the user's password (the last step, as control) opens it.
 * Then the operator's rotation command re-wraps the keys under a new secret, and a login with the
 * new secret still finds the organisation's posts. */
#include <sodium.h>

#include "harness.h"
#include "internal.h"
#include "test_feedback_fixtures.h"

TestSuite(feedback_dump, .fini = it_teardown);

enum { A, B, C, D };

#define SECRET_HEX "4f1c2d3e4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0"
#define PASSWORD "correct horse battery"

static fb_world_t w;
static char tokens[3][64];

static void hex(const unsigned char *bin, size_t len, char *out) {
    sodium_bin2hex(out, 2 * len + 1, bin, len);
}

static void unhex(const char *text, unsigned char *out, size_t len) {
    size_t got = 0;
    cr_assert(sodium_hex2bin(out, len, text, strlen(text), NULL, &got, NULL) == 0 && got == len,
              "bad hex %s", text);
}

/* Gives `p` a password and logs it in through the server: its Authorization header and token. */
static void login(const it_server_t *srv, PGconn *admin, fb_party_t *p, char token[64]) {
    char hash[crypto_pwhash_STRBYTES], body[256];
    cr_assert_eq(crypto_pwhash_str(hash, PASSWORD, strlen(PASSWORD),
                                   crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                   crypto_pwhash_MEMLIMIT_INTERACTIVE),
                 0);
    const char *params[] = {p->user, hash};
    PQclear(
        it_db_query(admin, "UPDATE isms.users SET password_hash = $2 WHERE id = $1", 2, params));
    snprintf(body, sizeof(body), "{\"email\":\"%s\",\"password\":\"" PASSWORD "\"}", p->email);
    it_response_t *r =
        it_request(srv, &(it_request_t){.method = "POST", .path = "/v1/auth/login", .body = body});
    cr_assert_eq(r->status, 200, "%s", r->body);
    snprintf(token, 64, "%s", fb_str(r, "token"));
    snprintf(p->auth, sizeof(p->auth), "Authorization: Bearer %s", token);
    it_response_free(r);
}

/* How many author tags on the restored database the keys of `keys_sql` (a query of bytea
 * column `key`, run with the org ids $1..$3) recompute on any board. */
static long matches(PGconn *db, const char *keys_sql) {
    char sql[4096];
    snprintf(sql, sizeof(sql),
             "WITH keys AS (%s) SELECT count(*) FROM keys k, isms.feedback_posts p "
             "WHERE k.key IS NOT NULL AND p.author_tag = isms.feedback_tag("
             "isms.feedback_hmac_pad(k.key, 54), isms.feedback_hmac_pad(k.key, 92), 'author', "
             "p.board_id)",
             keys_sql);
    const char *orgs[] = {w.member[A].org, w.member[B].org, w.member[C].org};
    return it_db_long(db, sql, 3, orgs);
}

/* The key of the session with `token`, from its box on the restored database. */
static void session_key(PGconn *db, const char *token, unsigned char key[32]) {
    unsigned char pad[32], box[32];
    char hash[65];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)token, strlen(token));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)"isms-feedback-session", 21);
    crypto_auth_hmacsha256_final(&st, pad);
    unsigned char digest[32];
    crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
    hex(digest, 32, hash);
    const char *params[] = {hash};
    PGresult *res = it_db_query(
        db, "SELECT encode(feedback_box, 'hex') FROM isms.sessions WHERE token_hash = $1", 1,
        params);
    unhex(PQgetvalue(res, 0, 0), box, 32);
    PQclear(res);
    for (int i = 0; i < 32; i++)
        key[i] = box[i] ^ pad[i];
}

static void dump_and_restore(it_pg_t *pg) {
    char pg_dump[600], psql[600], file[700], conn[800];
    snprintf(pg_dump, sizeof(pg_dump), "%s/pg_dump", it__require_env("ISMS_TEST_PG_BINDIR"));
    snprintf(psql, sizeof(psql), "%s/psql", it__require_env("ISMS_TEST_PG_BINDIR"));
    snprintf(file, sizeof(file), "%s/dump.sql", pg->dir);
    snprintf(conn, sizeof(conn), "host=%s port=%d user=postgres dbname=", pg->socket_dir, pg->port);
    char from[900], to[900];
    snprintf(from, sizeof(from), "%sisms", conn);
    snprintf(to, sizeof(to), "%srestored", conn);
    const char *dump[] = {pg_dump, "-f", file, from, NULL};
    cr_assert_eq(it__run(dump, NULL, getenv("ISMS_TEST_PG_OSUSER"), NULL, 60000), 0, "pg_dump");
    PGconn *admin = it_db_connect(pg->admin_url);
    it_db_exec(admin, "CREATE DATABASE restored");
    it_db_close(admin);
    const char *restore[] = {psql, "-q", "-v", "ON_ERROR_STOP=1", "-f", file, to, NULL};
    cr_assert_eq(it__run(restore, NULL, getenv("ISMS_TEST_PG_OSUSER"), NULL, 60000), 0, "restore");
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    text[n] = '\0';
    fclose(f);
    return text;
}

/* Opens A's user key with the server secret and `password`: 1 when both layers open (and then
 * the organisation key's tags match), 0 when only the outer one does. */
static int open_user_key(PGconn *db, const unsigned char secret[32], const char *password,
                         long *tags) {
    const char *params[] = {w.member[A].user};
    PGresult *res = it_db_query(db,
                                "SELECT encode(kek_salt, 'hex'), encode(secret_box, 'hex'), "
                                "encode(public_key, 'hex'), encode(org_seal, 'hex') "
                                "FROM isms.user_feedback_keys WHERE user_id = $1",
                                1, params);
    cr_assert_eq(PQntuples(res), 1);
    unsigned char salt[16], box[112], inner[72], pk[32], sk[32], seal[80], ks[32], kek[32];
    unsigned char org_key[32], k_org[32];
    unhex(PQgetvalue(res, 0, 0), salt, 16);
    unhex(PQgetvalue(res, 0, 1), box, 112);
    unhex(PQgetvalue(res, 0, 2), pk, 32);
    unhex(PQgetvalue(res, 0, 3), seal, 80);
    PQclear(res);
    crypto_generichash(ks, 32, (const unsigned char *)"isms-feedback-user-keys", 23, secret, 32);
    cr_assert_eq(crypto_secretbox_open_easy(inner, box + 24, 88, box, ks), 0,
                 "the server secret opens the outer layer");
    cr_assert_eq(crypto_pwhash(kek, 32, password, strlen(password), salt,
                               crypto_pwhash_OPSLIMIT_INTERACTIVE,
                               crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13),
                 0);
    if (crypto_secretbox_open_easy(sk, inner + 24, 48, inner, kek) != 0)
        return 0;
    cr_assert_eq(crypto_box_seal_open(org_key, seal, 80, pk, sk), 0);
    crypto_generichash(k_org, 32, (const unsigned char *)"isms-feedback-tags", 18, org_key, 32);
    char key_hex[65], sql[256];
    hex(k_org, 32, key_hex);
    snprintf(sql, sizeof(sql),
             "SELECT decode('%s', 'hex') AS key WHERE $1::uuid IS NOT NULL "
             "AND $2::uuid IS NOT NULL AND $3::uuid IS NOT NULL",
             key_hex);
    *tags = matches(db, sql);
    return 1;
}

Test(feedback_dump, a_restored_dump_attributes_nothing_without_a_session) {
    it_pg_t *pg = it_pg_create();
    PGconn *admin = it_db_connect(pg->admin_url);
    fb_world(&w, admin, 4, 3);
    const char *env[] = {"ISMS_FEEDBACK_SECRET=" SECRET_HEX, NULL};
    it_server_t *srv =
        it_server_start(&(it_server_options_t){.database_url = pg->app_url, .env = env});
    for (int i = 0; i < 3; i++)
        login(srv, admin, &w.member[i], tokens[i]);
    char board[37], post_a[37], post_b[37], path[128];
    fb_open_board(srv, &w, board);
    fb_post(srv, board, &w.member[A], "from A", post_a);
    fb_post(srv, board, &w.member[B], "from B", post_b);
    fb_post(srv, board, &w.member[C], "from C", NULL);
    fb_tick(admin, board);
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s/me-too", post_b);
    it_response_t *r = fb_call(srv, "PUT", path, &w.member[A], NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
    it_db_close(admin);

    dump_and_restore(pg);
    char url[700];
    snprintf(url, sizeof(url), "host=%s port=%d dbname=restored user=postgres", pg->socket_dir,
             pg->port);
    PGconn *db = it_db_connect(url);
    it_db_exec(db, "SET search_path = isms, public");

    /* Control: a live session's token recomputes its organisation's tags. */
    unsigned char k_a[32];
    char k_a_hex[65], sql[512];
    session_key(db, tokens[A], k_a);
    hex(k_a, 32, k_a_hex);
    snprintf(sql, sizeof(sql),
             "SELECT decode('%s', 'hex') AS key WHERE $1::uuid IS NOT NULL "
             "AND $2::uuid IS NOT NULL AND $3::uuid IS NOT NULL",
             k_a_hex);
    cr_assert_eq(matches(db, sql), 1, "with A's token, A's post is found");

    /* Without the secret: everything the dump holds, tried as a key. */
    cr_assert_eq(
        matches(db, "SELECT sha256(uuid_send(o)) AS key FROM unnest(ARRAY[$1, $2, $3]::uuid[]) o "
                    "UNION ALL SELECT verifier FROM isms.organisation_feedback_keys "
                    "UNION ALL SELECT sha256(verifier) FROM isms.organisation_feedback_keys "
                    "UNION ALL SELECT public_key FROM isms.user_feedback_keys "
                    "UNION ALL SELECT substr(secret_box, 1, 32) FROM isms.user_feedback_keys "
                    "UNION ALL SELECT substr(secret_box, 81, 32) FROM isms.user_feedback_keys "
                    "UNION ALL SELECT substr(org_seal, 1, 32) FROM isms.user_feedback_keys "
                    "UNION ALL SELECT substr(org_seal, 49, 32) FROM isms.user_feedback_keys "
                    "UNION ALL SELECT feedback_box FROM isms.sessions "
                    "UNION ALL SELECT decode(token_hash, 'hex') FROM isms.sessions "
                    "UNION ALL SELECT isms.feedback_xor(feedback_box, decode(token_hash, 'hex')) "
                    "  FROM isms.sessions"),
        0, "no key made from the dump recomputes a tag");
    char dump_path[700];
    snprintf(dump_path, sizeof(dump_path), "%s/dump.sql", pg->dir);
    char *dump = read_file(dump_path);
    cr_assert_null(strstr(dump, k_a_hex), "the key is not in the dump");
    cr_assert_not_null(strstr(dump, "user_feedback_keys"), "the dump holds the wrapped keys");
    free(dump);

    /* With the secret, without a session or a password. */
    unsigned char secret[32];
    unhex(SECRET_HEX, secret, 32);
    cr_assert_eq(matches(db, "SELECT isms.feedback_hmac_sha256(decode('" SECRET_HEX "', 'hex'), "
                             "uuid_send(o)) AS key FROM unnest(ARRAY[$1, $2, $3]::uuid[]) o "
                             "UNION ALL SELECT isms.feedback_hmac_sha256(decode('" SECRET_HEX
                             "', 'hex'), verifier) FROM isms.organisation_feedback_keys "
                             "UNION ALL SELECT decode('" SECRET_HEX "', 'hex')"),
                 0, "no key made from the secret and the dump recomputes a tag");
    long tags = -1;
    cr_assert_eq(open_user_key(db, secret, "", &tags), 0,
                 "no password: the inner layer stays shut");
    cr_assert_eq(open_user_key(db, secret, w.member[A].email, &tags), 0, "nor with a guess");
    cr_assert_eq(open_user_key(db, secret, "password", &tags), 0, "nor with another guess");
    cr_assert_eq(open_user_key(db, secret, PASSWORD, &tags), 1, "the password is what opens it");
    cr_assert_eq(tags, 1, "and then the organisation key finds A's post");

    /* Rotation: the operator re-wraps every key under a new secret on the live database. */
    char new_file[700];
    snprintf(new_file, sizeof(new_file), "%s/new-secret", pg->dir);
    FILE *f = fopen(new_file, "w");
    fprintf(f, "%s\n", "0f1e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff1");
    fclose(f);
    char admin_url_env[700];
    snprintf(admin_url_env, sizeof(admin_url_env), "ISMS_ADMIN_DATABASE_URL=%s", pg->admin_url);
    const char *rot_env[] = {admin_url_env, "ISMS_FEEDBACK_SECRET=" SECRET_HEX,
                             "ISMS_FEEDBACK_SECRET_FILE=", NULL};
    const char *rot[] = {ISMS_TEST_BINARY,    "admin",  "rotate-feedback-secret",
                         "--new-secret-file", new_file, NULL};
    cr_assert_eq(it__run(rot, rot_env, NULL, NULL, 60000), 0, "rotation");
    char file_env[800];
    snprintf(file_env, sizeof(file_env), "ISMS_FEEDBACK_SECRET_FILE=%s", new_file);
    const char *env2[] = {file_env, "ISMS_FEEDBACK_SECRET=", NULL};
    srv = it_server_start(&(it_server_options_t){.database_url = pg->app_url, .env = env2});
    admin = it_db_connect(pg->admin_url);
    login(srv, admin, &w.member[A], tokens[A]);
    snprintf(path, sizeof(path), "/v1/feedback/posts/%s", post_a);
    r = fb_call(srv, "GET", path, &w.member[A], NULL);
    cr_assert_eq(r->status, 200, "%s", r->body);
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r->json, "is_mine")),
              "after the rotation A still finds its post: %s", r->body);
    it_response_free(r);
    cr_assert_eq(it_server_stop(srv), 0);
    it_db_close(admin);
    it_db_close(db);
}
