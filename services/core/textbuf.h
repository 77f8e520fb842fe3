/* A growable, NUL-terminated byte buffer for the writers that build a whole document in memory
 * (CSV, iCalendar, XLSX read back). An allocation failure is remembered in a sticky flag, so a
 * writer can append without checking each call and look once at the end. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

/** Start from {0}. Owns `data` until textbuf_take() gives it to the caller or textbuf_free(). */
typedef struct textbuf {
    char *data; /* NULL until the first append; then always NUL-terminated */
    size_t len; /* bytes before the terminating NUL */
    size_t cap; /* bytes allocated */
    int failed; /* set when an append failed (memory, size); every later append does nothing */
} textbuf_t;

/** Appends `n` bytes. Returns 0, or -1 when memory ran out now or before (the flag is set). */
int textbuf_append(textbuf_t *b, const void *bytes, size_t n);

/** Appends a NUL-terminated string. Returns 0 or -1, as textbuf_append. */
int textbuf_append_str(textbuf_t *b, const char *s);

/** Appends formatted text. Returns 0 or -1 (memory, or a format error; the flag is set). */
int textbuf_printf(textbuf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int textbuf_vprintf(textbuf_t *b, const char *fmt, va_list ap);

/** Hands the text to the caller, who frees it with free(), and stores its length in *len (may be
 * NULL); an untouched buffer gives "". When the flag is set it frees the text and returns NULL.
 * Either way the buffer is empty again afterwards. */
char *textbuf_take(textbuf_t *b, size_t *len);

/** Frees the text and empties the buffer (the flag is cleared too). */
void textbuf_free(textbuf_t *b);
