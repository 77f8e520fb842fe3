/* Feedback authorship keys (migrations/0060_feedback_keys.sql explains the scheme): the server
 * secret, the per-user key pair wrapped under the password and the secret, the organisation key
 * sealed to each user, and the session box that auth_session() unwraps with the pad derived from
 * the bearer token. Pure computation with libsodium; thread-safe after keys_init. */
#pragma once
#include <stddef.h>

/* Room for the JSON that auth_login_succeeded stores (16 shares at most). */
#define KEYS_JSON_MAX 6144

/** Loads the server secret: 64 hex digits from the file `file` when it is not empty, else from
 * `hex` when it is not empty, else a random one for this process only (*ephemeral set to 1: keys
 * made with it cannot be opened after a restart). Returns 0, or -1 with a message in `err`. */
int keys_init(const char *file, const char *hex, int *ephemeral, char *err, size_t errlen);

/** Reads 64 hex digits (surrounding white space allowed) from `path` into `secret`; 0 or -1. */
int keys_read_secret_file(const char *path, unsigned char secret[32]);

/** At a verified login: opens (or makes) the user's key pair and the organisation key from
 * `stored` (the JSON of isms.auth_login_keys), seals the organisation key to waiting colleagues
 * and writes the JSON for isms.auth_login_succeeded into `out`. Writes "" (no keys) when `stored`
 * is unusable. Slow (argon2id): call it off the event loop. */
void keys_login(const char *stored, const char *password, const char *token, char *out,
                size_t outlen);

/** At a password change: re-wraps the secret key of `stored` (the JSON of isms.auth_own_keys)
 * from `old_password` to `new_password`. Writes the new salt and box in hex, or empty strings when
 * the key cannot be opened. Slow (argon2id, twice). */
void keys_rewrap(const char *stored, const char *old_password, const char *new_password,
                 char salt_hex[33], char box_hex[225]);

/** `isms-cluster admin rotate-feedback-secret --new-secret-file FILE`: re-wraps every user's key
 * from the current secret (ISMS_FEEDBACK_SECRET_FILE or ISMS_FEEDBACK_SECRET) to the new one in
 * one transaction. Returns the process exit status. */
int keys_rotate_command(int argc, char **argv);
