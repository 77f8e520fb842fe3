/* Feedback authorship keys: the server secret, the users' wrapped key pairs, the organisation key
 * sealed to them, the session box, and the operator's secret rotation. The database sees only
 * wrapped or sealed values, verifiers and tags (migrations/0060_feedback_keys.sql). */
#include "auth/keys.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <libpq-fe.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/token.h"

#define WRAPPED_INNER (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 32)
#define WRAPPED_LEN (crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + WRAPPED_INNER)
#define SEAL_LEN (crypto_box_SEALBYTES + 32)
#define SALT_LEN crypto_pwhash_SALTBYTES

static unsigned char server_secret[32];

static int hex_to_bin(const char *hex, unsigned char *out, size_t len) {
    size_t got = 0;
    if (hex == NULL || strlen(hex) != 2 * len)
        return -1;
    return sodium_hex2bin(out, len, hex, 2 * len, NULL, &got, NULL) == 0 && got == len ? 0 : -1;
}

int keys_read_secret_file(const char *path, unsigned char secret[32]) {
    char text[256];
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    char *start = text;
    while (*start != '\0' && isspace((unsigned char)*start))
        start++;
    size_t len = strlen(start);
    while (len > 0 && isspace((unsigned char)start[len - 1]))
        start[--len] = '\0';
    int rc = hex_to_bin(start, secret, 32);
    sodium_memzero(text, sizeof(text));
    return rc;
}

int keys_init(const char *file, const char *hex, int *ephemeral, char *err, size_t errlen) {
    *ephemeral = 0;
    if (file != NULL && file[0] != '\0') {
        if (keys_read_secret_file(file, server_secret) != 0) {
            snprintf(err, errlen,
                     "ISMS_FEEDBACK_SECRET_FILE=\"%s\" is invalid: expected a readable file "
                     "holding 64 hexadecimal digits",
                     file);
            return -1;
        }
        return 0;
    }
    if (hex != NULL && hex[0] != '\0') {
        if (hex_to_bin(hex, server_secret, 32) != 0) {
            snprintf(err, errlen,
                     "ISMS_FEEDBACK_SECRET is invalid: expected 64 hexadecimal digits");
            return -1;
        }
        return 0;
    }
    randombytes_buf(server_secret, sizeof(server_secret));
    *ephemeral = 1;
    return 0;
}

/* The key that wraps users' secret keys under the server secret `secret`. */
static void secret_wrap_key(const unsigned char secret[32], unsigned char out[32]) {
    static const char label[] = "isms-feedback-user-keys";
    crypto_generichash(out, 32, (const unsigned char *)label, sizeof(label) - 1, secret, 32);
}

static int derive_kek(const char *password, const unsigned char salt[SALT_LEN],
                      unsigned char kek[32]) {
    return crypto_pwhash(kek, 32, password, strlen(password), salt,
                         crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
                         crypto_pwhash_ALG_ARGON2ID13);
}

/* nonce || secretbox(msg, key) */
static void box_seal(unsigned char *out, const unsigned char *msg, size_t len,
                     const unsigned char key[32]) {
    randombytes_buf(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, msg, len, out, key);
}

static int box_open(unsigned char *msg, const unsigned char *in, size_t inlen,
                    const unsigned char key[32]) {
    return crypto_secretbox_open_easy(msg, in + crypto_secretbox_NONCEBYTES,
                                      inlen - crypto_secretbox_NONCEBYTES, in, key);
}

/* The secret key wrapped under the password's key, then under the server secret. */
static void wrap_secret_key(const unsigned char sk[32], const unsigned char kek[32],
                            const unsigned char secret[32], unsigned char out[WRAPPED_LEN]) {
    unsigned char inner[WRAPPED_INNER], ks[32];
    box_seal(inner, sk, 32, kek);
    secret_wrap_key(secret, ks);
    box_seal(out, inner, sizeof(inner), ks);
    sodium_memzero(ks, sizeof(ks));
}

static int unwrap_secret_key(const unsigned char in[WRAPPED_LEN], const unsigned char kek[32],
                             unsigned char sk[32]) {
    unsigned char inner[WRAPPED_INNER], ks[32];
    secret_wrap_key(server_secret, ks);
    int rc =
        box_open(inner, in, WRAPPED_LEN, ks) == 0 && box_open(sk, inner, sizeof(inner), kek) == 0
            ? 0
            : -1;
    sodium_memzero(ks, sizeof(ks));
    sodium_memzero(inner, sizeof(inner));
    return rc;
}

/* K_org and its verifier, as 0060 defines them. */
static void org_tag_key(const unsigned char org_key[32], unsigned char k_org[32]) {
    static const char label[] = "isms-feedback-tags";
    crypto_generichash(k_org, 32, (const unsigned char *)label, sizeof(label) - 1, org_key, 32);
}

static void org_verifier(const unsigned char k_org[32], unsigned char out[32]) {
    static const char label[] = "isms-feedback-verify";
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, k_org, 32);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)label, sizeof(label) - 1);
    crypto_auth_hmacsha256_final(&st, out);
}

static const char *str_field(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void add_hex(cJSON *obj, const char *name, const unsigned char *bin, size_t len) {
    char hex[2 * WRAPPED_LEN + 1];
    sodium_bin2hex(hex, sizeof(hex), bin, len);
    cJSON_AddStringToObject(obj, name, hex);
}

/* Seals the organisation key to each waiting colleague of `stored`. */
static void add_shares(cJSON *doc, const cJSON *stored, const unsigned char org_key[32]) {
    cJSON *shares = cJSON_AddArrayToObject(doc, "shares");
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(stored, "pending")) {
        unsigned char pk[32], seal[SEAL_LEN];
        const char *user = str_field(p, "user_id");
        if (user == NULL || hex_to_bin(str_field(p, "public_key"), pk, 32) != 0)
            continue;
        crypto_box_seal(seal, org_key, 32, pk);
        cJSON *share = cJSON_CreateObject();
        cJSON_AddStringToObject(share, "user_id", user);
        add_hex(share, "seal", seal, sizeof(seal));
        cJSON_AddItemToArray(shares, share);
    }
}

/* Secrets of one login; wiped at the end. */
typedef struct login_keys {
    unsigned char pk[32], sk[32], salt[SALT_LEN], kek[32], org_key[32], k_org[32];
    unsigned char wrapped[WRAPPED_LEN], seal[SEAL_LEN], verifier[32], check[32], pad[32];
} login_keys_t;

/* Opens the stored key pair and organisation key; returns whether the organisation key is open. */
static int open_stored(const cJSON *in, const char *password, login_keys_t *k, int *have_pair) {
    *have_pair = hex_to_bin(str_field(in, "public_key"), k->pk, 32) == 0 &&
                 hex_to_bin(str_field(in, "kek_salt"), k->salt, SALT_LEN) == 0 &&
                 hex_to_bin(str_field(in, "secret_box"), k->wrapped, WRAPPED_LEN) == 0 &&
                 derive_kek(password, k->salt, k->kek) == 0 &&
                 unwrap_secret_key(k->wrapped, k->kek, k->sk) == 0;
    if (!*have_pair || hex_to_bin(str_field(in, "org_seal"), k->seal, SEAL_LEN) != 0 ||
        hex_to_bin(str_field(in, "verifier"), k->verifier, 32) != 0 ||
        crypto_box_seal_open(k->org_key, k->seal, SEAL_LEN, k->pk, k->sk) != 0)
        return 0;
    org_tag_key(k->org_key, k->k_org);
    org_verifier(k->k_org, k->check);
    return sodium_memcmp(k->check, k->verifier, 32) == 0;
}

void keys_login(const char *stored, const char *password, const char *token, char *out,
                size_t outlen) {
    login_keys_t *k = sodium_malloc(sizeof(*k));
    cJSON *in = cJSON_Parse(stored), *doc = cJSON_CreateObject();
    out[0] = '\0';
    if (k == NULL || doc == NULL || !cJSON_IsObject(in))
        goto done;
    int have_pair;
    int have_org = open_stored(in, password, k, &have_pair);
    if (!have_pair) {
        randombytes_buf(k->salt, SALT_LEN);
        crypto_box_keypair(k->pk, k->sk);
        if (derive_kek(password, k->salt, k->kek) != 0)
            goto done;
    }
    const cJSON *holders = cJSON_GetObjectItemCaseSensitive(in, "holders");
    int org_known = str_field(in, "verifier") != NULL;
    if (!have_org && (!org_known || (cJSON_IsNumber(holders) && holders->valuedouble == 0))) {
        /* The organisation has no key, or nobody else holds it any more: a new one. */
        randombytes_buf(k->org_key, 32);
        org_tag_key(k->org_key, k->k_org);
        org_verifier(k->k_org, k->verifier);
        add_hex(doc, "verifier", k->verifier, 32);
        have_org = 1;
    }
    wrap_secret_key(k->sk, k->kek, server_secret, k->wrapped);
    add_hex(doc, "public_key", k->pk, 32);
    add_hex(doc, "kek_salt", k->salt, SALT_LEN);
    add_hex(doc, "secret_box", k->wrapped, WRAPPED_LEN);
    if (have_org) {
        char pad_hex[TOKEN_HASH_LEN + 1];
        crypto_box_seal(k->seal, k->org_key, 32, k->pk);
        add_hex(doc, "org_seal", k->seal, SEAL_LEN);
        token_pad_hex(token, pad_hex);
        hex_to_bin(pad_hex, k->pad, 32);
        for (int i = 0; i < 32; i++)
            k->pad[i] ^= k->k_org[i];
        add_hex(doc, "box", k->pad, 32);
        sodium_memzero(pad_hex, sizeof(pad_hex));
        add_shares(doc, in, k->org_key);
    }
    char *text = cJSON_PrintUnformatted(doc);
    if (text != NULL && strlen(text) < outlen)
        memcpy(out, text, strlen(text) + 1);
    cJSON_free(text);
done:
    if (k != NULL)
        sodium_free(k);
    cJSON_Delete(in);
    cJSON_Delete(doc);
}

void keys_rewrap(const char *stored, const char *old_password, const char *new_password,
                 char salt_hex[33], char box_hex[225]) {
    login_keys_t *k = sodium_malloc(sizeof(*k));
    cJSON *in = cJSON_Parse(stored);
    salt_hex[0] = box_hex[0] = '\0';
    if (k == NULL || !cJSON_IsObject(in) ||
        hex_to_bin(str_field(in, "kek_salt"), k->salt, SALT_LEN) != 0 ||
        hex_to_bin(str_field(in, "secret_box"), k->wrapped, WRAPPED_LEN) != 0 ||
        derive_kek(old_password, k->salt, k->kek) != 0 ||
        unwrap_secret_key(k->wrapped, k->kek, k->sk) != 0)
        goto done;
    randombytes_buf(k->salt, SALT_LEN);
    if (derive_kek(new_password, k->salt, k->kek) != 0)
        goto done;
    wrap_secret_key(k->sk, k->kek, server_secret, k->wrapped);
    sodium_bin2hex(salt_hex, 33, k->salt, SALT_LEN);
    sodium_bin2hex(box_hex, 225, k->wrapped, WRAPPED_LEN);
done:
    if (k != NULL)
        sodium_free(k);
    cJSON_Delete(in);
}

/* ---- rotation of the server secret ----------------------------------------------------------- */

/* Re-wraps one stored box from `old_ks` to `new_ks` (the inner, password layer is untouched). */
static int rewrap_outer(const char *hex, const unsigned char old_ks[32],
                        const unsigned char new_ks[32], char out[2 * WRAPPED_LEN + 1]) {
    unsigned char in[WRAPPED_LEN], inner[WRAPPED_INNER], again[WRAPPED_LEN];
    if (hex_to_bin(hex, in, WRAPPED_LEN) != 0 || box_open(inner, in, WRAPPED_LEN, old_ks) != 0)
        return -1;
    box_seal(again, inner, sizeof(inner), new_ks);
    sodium_bin2hex(out, 2 * WRAPPED_LEN + 1, again, WRAPPED_LEN);
    return 0;
}

static int rotate_all(PGconn *pg, const unsigned char old_ks[32], const unsigned char new_ks[32]) {
    PGresult *r = PQexec(pg, "BEGIN; SELECT user_id, encode(secret_box, 'hex') FROM "
                             "isms.user_feedback_keys FOR UPDATE");
    int rc = PQresultStatus(r) == PGRES_TUPLES_OK ? 0 : -1, done = 0, skipped = 0;
    for (int i = 0; rc == 0 && i < PQntuples(r); i++) {
        char box[2 * WRAPPED_LEN + 1];
        if (rewrap_outer(PQgetvalue(r, i, 1), old_ks, new_ks, box) != 0) {
            skipped++; /* made with another secret: it could not be opened before either */
            continue;
        }
        const char *params[] = {PQgetvalue(r, i, 0), box};
        PGresult *u = PQexecParams(pg,
                                   "UPDATE isms.user_feedback_keys SET secret_box = "
                                   "decode($2, 'hex') WHERE user_id = $1",
                                   2, NULL, params, NULL, NULL, 0);
        rc = PQresultStatus(u) == PGRES_COMMAND_OK ? 0 : -1;
        PQclear(u);
        done++;
    }
    PQclear(r);
    r = PQexec(pg, rc == 0 ? "COMMIT" : "ROLLBACK");
    if (rc != 0 || PQresultStatus(r) != PGRES_COMMAND_OK) {
        fprintf(stderr, "isms-cluster admin: rotation failed, nothing changed: %s",
                PQerrorMessage(pg));
        rc = -1;
    } else {
        printf("re-wrapped %d user keys under the new secret (%d could not be opened with the "
               "current one and were left as they were)\n",
               done, skipped);
    }
    PQclear(r);
    return rc;
}

int keys_rotate_command(int argc, char **argv) {
    const char *new_file = argc >= 5 && strcmp(argv[3], "--new-secret-file") == 0 ? argv[4] : NULL;
    const char *conninfo = getenv("ISMS_ADMIN_DATABASE_URL");
    const char *old_file = getenv("ISMS_FEEDBACK_SECRET_FILE");
    const char *old_hex = getenv("ISMS_FEEDBACK_SECRET");
    unsigned char new_secret[32], old_ks[32], new_ks[32];
    char err[256];
    int ephemeral, rc = 1;
    if (new_file == NULL || conninfo == NULL || conninfo[0] == '\0') {
        fprintf(stderr, "usage: isms-cluster admin rotate-feedback-secret --new-secret-file FILE\n"
                        "with ISMS_ADMIN_DATABASE_URL and the current secret "
                        "(ISMS_FEEDBACK_SECRET_FILE or ISMS_FEEDBACK_SECRET) set\n");
        return 2;
    }
    if (keys_init(old_file, old_hex, &ephemeral, err, sizeof(err)) != 0 || ephemeral) {
        fprintf(stderr, "isms-cluster admin: %s\n",
                ephemeral ? "set the current secret (ISMS_FEEDBACK_SECRET_FILE)" : err);
        return 2;
    }
    if (keys_read_secret_file(new_file, new_secret) != 0) {
        fprintf(stderr, "isms-cluster admin: %s must hold 64 hexadecimal digits\n", new_file);
        return 2;
    }
    secret_wrap_key(server_secret, old_ks);
    secret_wrap_key(new_secret, new_ks);
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK)
        fprintf(stderr, "isms-cluster admin: cannot connect: %s", PQerrorMessage(pg));
    else if (rotate_all(pg, old_ks, new_ks) == 0)
        rc = 0;
    PQfinish(pg);
    sodium_memzero(new_secret, sizeof(new_secret));
    sodium_memzero(old_ks, sizeof(old_ks));
    sodium_memzero(new_ks, sizeof(new_ks));
    return rc;
}
