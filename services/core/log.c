/* Structured JSON log lines on stderr. Lines are assembled in a fixed buffer and written with a
 * single write(2) so that lines from several processes sharing stderr do not interleave. */
#include "core/log.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static log_level_t min_level = LOG_INFO;
static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* A truncated line ends with this marker; room for it and the closing "}\n" is always kept free. */
static const char truncated_mark[] = ",\"truncated\":true";
#define LOG_RESERVED (sizeof(truncated_mark) - 1 + 2)

void log_set_level(log_level_t level) {
    min_level = level;
}

int log_enabled(log_level_t level) {
    return level >= min_level;
}

int log_level_parse(const char *text, log_level_t *out) {
    for (int i = 0; i < 4; i++) {
        if (strcmp(text, level_names[i]) == 0) {
            *out = (log_level_t)i;
            return 0;
        }
    }
    return -1;
}

long json_escape_into(char *out, size_t cap, const char *s, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = NULL;
        char tmp[7];
        switch (c) {
        case '"':
            esc = "\\\"";
            break;
        case '\\':
            esc = "\\\\";
            break;
        case '\n':
            esc = "\\n";
            break;
        case '\r':
            esc = "\\r";
            break;
        case '\t':
            esc = "\\t";
            break;
        default:
            if (c < 0x20) {
                memcpy(tmp, "\\u00", 4);
                tmp[4] = hex[c >> 4];
                tmp[5] = hex[c & 15];
                tmp[6] = '\0';
                esc = tmp;
            }
        }
        if (esc != NULL) {
            size_t n = strlen(esc);
            if (o + n > cap)
                return -1;
            memcpy(out + o, esc, n);
            o += n;
        } else {
            if (o + 1 > cap)
                return -1;
            out[o++] = (char)c;
        }
    }
    return (long)o;
}

static void append_raw(log_line_t *line, const char *s, size_t n) {
    if (line->truncated || line->len + n > sizeof(line->buf) - LOG_RESERVED) {
        line->truncated = 1;
        return;
    }
    memcpy(line->buf + line->len, s, n);
    line->len += n;
}

/* A field that did not fit is removed whole, so the line stays valid JSON up to `len`. */
static void field_end(log_line_t *line, size_t start) {
    if (line->truncated)
        line->len = start;
}

static void append_key(log_line_t *line, const char *key) {
    append_raw(line, ",\"", 2);
    append_raw(line, key, strlen(key));
    append_raw(line, "\":", 2);
}

void log_strn(log_line_t *line, const char *key, const char *value, size_t len) {
    size_t start = line->len;
    append_key(line, key);
    append_raw(line, "\"", 1);
    /* Leave room for the closing quote. */
    size_t room = sizeof(line->buf) - LOG_RESERVED - 1;
    if (!line->truncated) {
        long n = line->len <= room
                     ? json_escape_into(line->buf + line->len, room - line->len, value, len)
                     : -1;
        if (n < 0)
            line->truncated = 1;
        else
            line->len += (size_t)n;
    }
    append_raw(line, "\"", 1);
    field_end(line, start);
}

void log_str(log_line_t *line, const char *key, const char *value) {
    if (value == NULL)
        value = "";
    log_strn(line, key, value, strlen(value));
}

void log_int(log_line_t *line, const char *key, int64_t value) {
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", (long long)value);
    size_t start = line->len;
    append_key(line, key);
    append_raw(line, num, (size_t)n);
    field_end(line, start);
}

void log_double(log_line_t *line, const char *key, double value) {
    char num[32];
    int n;
    /* JSON has no NaN or infinity, and "%.3f" of a huge value does not fit in `num`. */
    if (!isfinite(value))
        n = snprintf(num, sizeof(num), "null");
    else if (fabs(value) < 1e15)
        n = snprintf(num, sizeof(num), "%.3f", value);
    else
        n = snprintf(num, sizeof(num), "%.6e", value);
    size_t start = line->len;
    append_key(line, key);
    append_raw(line, num, (size_t)n);
    field_end(line, start);
}

void log_begin(log_line_t *line, log_level_t level, const char *msg) {
    struct timespec ts;
    struct tm tm;
    char when[40];
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - n, ".%03ldZ", ts.tv_nsec / 1000000);
    line->len = 0;
    line->truncated = 0;
    append_raw(line, "{\"time\":\"", 9);
    append_raw(line, when, strlen(when));
    append_raw(line, "\",\"level\":\"", 11);
    append_raw(line, level_names[level], strlen(level_names[level]));
    append_raw(line, "\"", 1);
    log_str(line, "msg", msg);
}

void log_emit(log_line_t *line) {
    if (line->truncated) {
        /* The field that did not fit is already gone and its room was kept: say so. */
        memcpy(line->buf + line->len, truncated_mark, sizeof(truncated_mark) - 1);
        line->len += sizeof(truncated_mark) - 1;
        line->truncated = 0;
    }
    line->buf[line->len++] = '}';
    line->buf[line->len++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line->buf, line->len);
    (void)ignored;
    line->len = 0;
}

void log_msg(log_level_t level, const char *msg, const char *detail) {
    if (!log_enabled(level))
        return;
    log_line_t line;
    log_begin(&line, level, msg);
    if (detail != NULL)
        log_str(&line, "detail", detail);
    log_emit(&line);
}
