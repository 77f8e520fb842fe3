/* RFC 4180 CSV writing on a textbuf_t: one field at a time, records ended by CRLF. Text fields are
 * guarded against spreadsheet formula injection unless the caller says the value is its own
 * number. */
#pragma once
#include "core/textbuf.h"

/** Flags of csv_field. */
enum {
    /* The first field of a record: no separator before it. */
    CSV_FIRST = 1 << 0,
    /* A number the caller formatted: no formula guard, so "-12.05" stays a number. */
    CSV_NUMBER = 1 << 1,
};

/** Appends one field, preceded by a comma unless CSV_FIRST. NULL is an empty field. The field is
 * quoted when it holds a comma, a quote, CR or LF (quotes doubled). Unless CSV_NUMBER, a value that
 * a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) is quoted and gets a
 * leading apostrophe inside the quotes. Returns 0, or -1 when memory ran out (the buffer's flag is
 * set). */
int csv_field(textbuf_t *out, const char *value, unsigned flags);

/** Ends a record with CRLF. Returns 0 or -1, as csv_field. */
int csv_end_record(textbuf_t *out);
