/* Structured logging: one JSON object per line on stderr, built field by field without allocation.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

/** Sets the minimum level written; lines below it are dropped before they are built. */
void log_set_level(log_level_t level);
/** Parses "debug", "info", "warn" or "error"; returns 0, or -1 for anything else. */
int log_level_parse(const char *text, log_level_t *out);
/** Returns non-zero when a line of this level would be written. */
int log_enabled(log_level_t level);

/** A log line under construction. Lives on the caller's stack; log_emit writes and resets it. */
typedef struct log_line {
    char buf[2048];
    size_t len;
    int truncated;
} log_line_t;

/** Starts a line with "time", "level" and "msg". */
void log_begin(log_line_t *line, log_level_t level, const char *msg);
void log_str(log_line_t *line, const char *key, const char *value);
void log_strn(log_line_t *line, const char *key, const char *value, size_t len);
void log_int(log_line_t *line, const char *key, int64_t value);
void log_double(log_line_t *line, const char *key, double value);
/** Closes the object and writes the line to stderr in one write(2). */
void log_emit(log_line_t *line);

/** Convenience for a line with only a message and an optional detail. */
void log_msg(log_level_t level, const char *msg, const char *detail);

/** Appends `len` bytes of `s` to `out` as JSON string content (no quotes); returns bytes written or
 * -1 when `cap` is too small. Exposed for other writers of JSON text. */
long json_escape_into(char *out, size_t cap, const char *s, size_t len);
