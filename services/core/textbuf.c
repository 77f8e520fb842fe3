/* The growable text buffer (see textbuf.h): doubling growth from 1 KiB, a NUL always after the
 * last byte, and a sticky failure flag instead of an error check on every append. */
#include "core/textbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXTBUF_FIRST_CAP 1024

/* Makes room for `n` more bytes and the NUL. Returns 0, or -1 with the flag set. */
static int textbuf_reserve(textbuf_t *b, size_t n) {
    if (b->failed)
        return -1;
    if (n > SIZE_MAX - 1 - b->len)
        goto fail;
    size_t need = b->len + n + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : TEXTBUF_FIRST_CAP;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    char *grown = realloc(b->data, cap);
    if (grown == NULL)
        goto fail;
    b->data = grown;
    b->cap = cap;
    return 0;
fail:
    b->failed = 1;
    return -1;
}

int textbuf_append(textbuf_t *b, const void *bytes, size_t n) {
    if (textbuf_reserve(b, n) != 0)
        return -1;
    if (n > 0)
        memcpy(b->data + b->len, bytes, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int textbuf_append_str(textbuf_t *b, const char *s) {
    return textbuf_append(b, s, strlen(s));
}

int textbuf_vprintf(textbuf_t *b, const char *fmt, va_list ap) {
    va_list again;
    va_copy(again, ap);
    /* First try into the room that is already there; a NULL data means no room at all. */
    size_t room = b->data != NULL && !b->failed ? b->cap - b->len : 0;
    int n = vsnprintf(room ? b->data + b->len : NULL, room, fmt, ap);
    int rc = -1;
    if (n < 0)
        b->failed = 1;
    else if ((size_t)n < room)
        rc = 0;
    else if (textbuf_reserve(b, (size_t)n) == 0) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
        rc = 0;
    }
    va_end(again);
    if (rc == 0)
        b->len += (size_t)n;
    else if (b->data != NULL)
        b->data[b->len] = '\0'; /* a failed attempt leaves no partial text behind */
    return rc;
}

int textbuf_printf(textbuf_t *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int rc = textbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

char *textbuf_take(textbuf_t *b, size_t *len) {
    char *text = NULL;
    if (textbuf_append(b, "", 0) == 0) {
        text = b->data;
        if (len != NULL)
            *len = b->len;
        b->data = NULL;
    }
    textbuf_free(b);
    return text;
}

void textbuf_free(textbuf_t *b) {
    free(b->data);
    memset(b, 0, sizeof(*b));
}
