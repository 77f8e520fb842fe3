/* Secret tokens (sessions, invitations, calendar feeds): 256 random bits in base64url, of which the
 * database only ever stores the SHA-256. */
#pragma once
#include <stddef.h>

#define TOKEN_LEN 43 /* 32 bytes in base64url without padding */
#define TOKEN_HASH_LEN 64

/** Writes a new random token and the hex SHA-256 that the database keeps for it. */
void token_new(char token[TOKEN_LEN + 1], char hash_hex[TOKEN_HASH_LEN + 1]);
/** Writes the hex SHA-256 of the first `len` bytes of `text` (a token, a migration file). */
void token_sha256_hex(const char *text, size_t len, char hash_hex[TOKEN_HASH_LEN + 1]);
/** Writes the hex pad that unwraps a session's feedback key in the database:
 * HMAC-SHA256(token, "isms-feedback-session"). Not derivable from the stored SHA-256. */
void token_pad_hex(const char *token, char pad_hex[TOKEN_HASH_LEN + 1]);
