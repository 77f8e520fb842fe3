/* Exports of the Statement of Applicability: CSV (RFC 4180) and XLSX (libxlsxwriter). Both take
 * the JSON document of GET /v1/enrolments/{id}/soa and put the organisation's name, the
 * framework, the version and its date above one row per Annex A control. No network I/O: the CSV
 * writer works in memory, the XLSX writer on a temporary file (call it off the event loop). */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>

#include "core/textbuf.h"

/** The exports' output: a textbuf_t whose `data` the caller frees with free() after a success. */
typedef textbuf_t soa_buf_t;

/** Number of columns of every CSV record (title block, blank line, header and rows). */
#define SOA_CSV_COLUMNS 7

/** Writes the CSV: CRLF line ends, fields quoted when they hold a comma, a quote, CR or LF, quotes
 * doubled, and a cell a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
 * quoted with a leading apostrophe. Returns 0, or -1 when `doc` lacks a member or memory runs out
 * (out->data is then freed). */
int soa_csv_write(const cJSON *doc, soa_buf_t *out);

/** Appends one CSV field (with its separator when not first in the record) as soa_csv_write does:
 * csv_field of core/csv.h with the formula guard. Returns 0 or -1. */
int soa_csv_field(soa_buf_t *out, const char *value, int first);

/** Writes the XLSX workbook into `out`, using a temporary file in `tmpdir` (NULL: $TMPDIR or
 * /tmp). Returns 0, or -1 (out->data freed). */
int soa_xlsx_write(const cJSON *doc, const char *tmpdir, soa_buf_t *out);

/** A file name for the export: "soa-<organisation slug>-v<version>.<ext>", ASCII only. */
void soa_file_name(const cJSON *doc, const char *ext, char *out, size_t outlen);

/** Human-readable labels used in both exports. */
const char *soa_reason_label(const char *reason);
const char *soa_status_label(const char *status);
