/* Catalogue files for `isms-cluster catalogue import FILE`: another framework, or another version
 * of one, as CSV or JSON (the formats are described in services/progress/catalogue-format.md).
 * Parsing and validation are pure functions over the file's text; every error names the line. */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

typedef enum { CATALOGUE_CSV, CATALOGUE_JSON } catalogue_format_t;

#define CATALOGUE_MAX_REQUIREMENTS 5000
#define CATALOGUE_MAX_GROUPS 200

/** Parses and validates a catalogue. On success returns 0 and sets *out to the normalised
 * document {"code", "version", "title", "groups": [{"key", "kind", "title"}], "requirements":
 * [{"ref", "kind", "group", "title"}]} (the caller cJSON_Deletes it). On failure returns -1 with a
 * message "line N: ..." in `err`. */
int catalogue_parse(const char *text, size_t len, catalogue_format_t format, cJSON **out, char *err,
                    size_t errlen);

/** The format of a file: by its extension (.csv, .json), else by its first non-blank character. */
catalogue_format_t catalogue_guess_format(const char *path, const char *text, size_t len);
