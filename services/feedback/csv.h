/* The CSV export of a board's posts (RFC 4180, CRLF line ends). Pure: no I/O. */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

/** The header line and one line per post of `posts` (the JSON array of posts the API returns).
 * A cell a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) gets a leading
 * apostrophe. Returns a malloc'ed, NUL-terminated text (its length in *len), or NULL when `posts`
 * is not an array of objects or memory ran out. */
char *feedback_csv(const cJSON *posts, size_t *len);
