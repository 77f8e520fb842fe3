/* The CSV field writer (see csv.h): quoting as RFC 4180 asks and the formula guard that every
 * export shares, so a cell written by one export reads the same as in another. */
#include "core/csv.h"

#include <string.h>

/* First characters that make Excel, LibreOffice and Google Sheets evaluate a cell. */
#define CSV_FORMULA_STARTS "=+-@\t\r"

int csv_field(textbuf_t *out, const char *value, unsigned flags) {
    const char *v = value != NULL ? value : "";
    int formula = !(flags & CSV_NUMBER) && v[0] != '\0' && strchr(CSV_FORMULA_STARTS, v[0]) != NULL;
    int quote = formula || strpbrk(v, ",\"\r\n") != NULL;
    if (!(flags & CSV_FIRST))
        textbuf_append(out, ",", 1);
    if (!quote)
        return textbuf_append_str(out, v);
    textbuf_append(out, "\"'", formula ? 2 : 1);
    for (const char *p = v;; p++) {
        size_t run = strcspn(p, "\""); /* copied as it is, up to the next quote */
        textbuf_append(out, p, run);
        p += run;
        if (*p == '\0')
            break;
        textbuf_append(out, "\"\"", 2);
    }
    textbuf_append(out, "\"", 1);
    return out->failed ? -1 : 0;
}

int csv_end_record(textbuf_t *out) {
    return textbuf_append(out, "\r\n", 2);
}
