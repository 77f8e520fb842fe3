/* Statement of Applicability exports. Both formats share one layout: a title block (organisation,
 * framework, version, date of the version, date of the export), a blank row, a header row, then
 * one row per Annex A control. The CSV has the same number of fields on every record, as RFC 4180
 * asks, so that any CSV reader gets a rectangular table. */
#include "progress/soa_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/csv.h"

static const char *const header[SOA_CSV_COLUMNS] = {
    "Control", "Theme", "Title", "Applicable", "Reasons", "Justification", "Implementation status"};

const char *soa_reason_label(const char *reason) {
    static const char *const map[][2] = {{"legal", "legal requirement"},
                                         {"contractual", "contractual obligation"},
                                         {"business_requirement", "business requirement"},
                                         {"risk_assessment_result", "risk assessment result"},
                                         {"best_practice", "best practice"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i][0], reason) == 0)
            return map[i][1];
    return reason;
}

const char *soa_status_label(const char *status) {
    static const char *const map[][2] = {{"not_started", "not started"},
                                         {"in_progress", "in progress"},
                                         {"implemented", "implemented"},
                                         {"not_applicable", "not applicable"}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i][0], status) == 0)
            return map[i][1];
    return status;
}

/* ---- the document ---------------------------------------------------------------------------- */

static const char *str_of(const cJSON *obj, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* The title block as label/value pairs. */
typedef struct soa_meta {
    char framework[256];
    char version[32];
    const char *organisation, *version_date, *exported_on;
} soa_meta_t;

static int soa_meta(const cJSON *doc, soa_meta_t *m) {
    const cJSON *fw = cJSON_GetObjectItemCaseSensitive(doc, "framework");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "version");
    if (!cJSON_IsObject(fw) || !cJSON_IsNumber(version) ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "items")))
        return -1;
    snprintf(m->framework, sizeof(m->framework), "%s:%s", str_of(fw, "code"),
             str_of(fw, "version"));
    snprintf(m->version, sizeof(m->version), "%d", version->valueint);
    m->organisation = str_of(doc, "organisation_name");
    m->exported_on = str_of(doc, "exported_on");
    m->version_date = str_of(doc, "version_date");
    return 0;
}

/* The row values of one control; `reasons` is filled with the joined reason labels. */
static void soa_row(const cJSON *item, const char *cells[SOA_CSV_COLUMNS], char *reasons,
                    size_t reasons_len) {
    const cJSON *applicable = cJSON_GetObjectItemCaseSensitive(item, "applicable");
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(item, "reasons");
    size_t used = 0;
    reasons[0] = '\0';
    for (const cJSON *r = list != NULL ? list->child : NULL; r != NULL; r = r->next)
        if (cJSON_IsString(r) && used < reasons_len)
            used += (size_t)snprintf(reasons + used, reasons_len - used, "%s%s", used ? "; " : "",
                                     soa_reason_label(r->valuestring));
    cells[0] = str_of(item, "control");
    cells[1] = str_of(item, "theme_title");
    cells[2] = str_of(item, "title");
    cells[3] = cJSON_IsTrue(applicable) ? "yes" : cJSON_IsFalse(applicable) ? "no" : "";
    cells[4] = reasons;
    cells[5] = str_of(item, "justification");
    cells[6] = soa_status_label(str_of(item, "implementation_status"));
}

/* ---- CSV ------------------------------------------------------------------------------------- */

int soa_csv_field(soa_buf_t *out, const char *value, int first) {
    return csv_field(out, value, first ? CSV_FIRST : 0);
}

/* One record of SOA_CSV_COLUMNS fields, the missing ones empty, ended by CRLF. */
static int csv_record(soa_buf_t *out, const char *const *cells, size_t n) {
    for (size_t i = 0; i < SOA_CSV_COLUMNS; i++)
        soa_csv_field(out, i < n ? cells[i] : NULL, i == 0);
    return csv_end_record(out);
}

int soa_csv_write(const cJSON *doc, soa_buf_t *out) {
    soa_meta_t m;
    memset(out, 0, sizeof(*out));
    if (soa_meta(doc, &m) != 0)
        return -1;
    const char *title[] = {"Statement of Applicability"};
    const char *rows[][2] = {{"Organisation", m.organisation},
                             {"Framework", m.framework},
                             {"Version", m.version},
                             {"Date", m.version_date},
                             {"Exported on", m.exported_on}};
    int rc = csv_record(out, title, 1);
    for (size_t i = 0; rc == 0 && i < sizeof(rows) / sizeof(rows[0]); i++)
        rc = csv_record(out, rows[i], 2);
    if (rc == 0)
        rc = csv_record(out, NULL, 0);
    if (rc == 0)
        rc = csv_record(out, header, SOA_CSV_COLUMNS);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    for (const cJSON *item = items->child; rc == 0 && item != NULL; item = item->next) {
        const char *cells[SOA_CSV_COLUMNS];
        char reasons[512];
        soa_row(item, cells, reasons, sizeof(reasons));
        rc = csv_record(out, cells, SOA_CSV_COLUMNS);
    }
    if (rc != 0)
        textbuf_free(out);
    return rc;
}

/* ---- XLSX ------------------------------------------------------------------------------------ */

/* Parses YYYY-MM-DD (the prefix of an ISO timestamp too) into a spreadsheet date. */
static int parse_date(const char *s, lxw_datetime *d) {
    memset(d, 0, sizeof(*d));
    return sscanf(s, "%4d-%2d-%2d", &d->year, &d->month, &d->day) == 3 ? 0 : -1;
}

typedef struct xlsx_formats {
    lxw_format *title, *label, *date, *head, *wrap;
} xlsx_formats_t;

static void xlsx_make_formats(lxw_workbook *wb, xlsx_formats_t *f) {
    f->title = workbook_add_format(wb);
    format_set_bold(f->title);
    format_set_font_size(f->title, 14);
    f->label = workbook_add_format(wb);
    format_set_bold(f->label);
    f->date = workbook_add_format(wb);
    format_set_num_format(f->date, "yyyy-mm-dd");
    format_set_align(f->date, LXW_ALIGN_LEFT);
    f->head = workbook_add_format(wb);
    format_set_bold(f->head);
    format_set_bg_color(f->head, 0xD9E1F2);
    format_set_bottom(f->head, LXW_BORDER_THIN);
    format_set_text_wrap(f->head);
    f->wrap = workbook_add_format(wb);
    format_set_text_wrap(f->wrap);
    format_set_align(f->wrap, LXW_ALIGN_VERTICAL_TOP);
}

/* Rows 1-6: the title block; dates are real spreadsheet dates, the version a number. */
static void xlsx_title_block(lxw_worksheet *ws, const soa_meta_t *m, const cJSON *doc,
                             const xlsx_formats_t *f) {
    lxw_datetime d;
    worksheet_write_string(ws, 0, 0, "Statement of Applicability", f->title);
    worksheet_write_string(ws, 1, 0, "Organisation", f->label);
    worksheet_write_string(ws, 1, 1, m->organisation, NULL);
    worksheet_write_string(ws, 2, 0, "Framework", f->label);
    worksheet_write_string(ws, 2, 1, m->framework, NULL);
    worksheet_write_string(ws, 3, 0, "Version", f->label);
    worksheet_write_number(ws, 3, 1, cJSON_GetObjectItemCaseSensitive(doc, "version")->valuedouble,
                           NULL);
    worksheet_write_string(ws, 4, 0, "Date", f->label);
    if (parse_date(m->version_date, &d) == 0)
        worksheet_write_datetime(ws, 4, 1, &d, f->date);
    worksheet_write_string(ws, 5, 0, "Exported on", f->label);
    if (parse_date(m->exported_on, &d) == 0)
        worksheet_write_datetime(ws, 5, 1, &d, f->date);
}

/* Row 8: the header; rows 9...: one per control. Returns the number of controls. */
static int xlsx_table(lxw_worksheet *ws, const cJSON *doc, const xlsx_formats_t *f) {
    static const double widths[SOA_CSV_COLUMNS] = {10, 24, 60, 11, 40, 50, 20};
    const lxw_row_t first = 7;
    for (int c = 0; c < SOA_CSV_COLUMNS; c++) {
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, widths[c],
                             c == 2 || c >= 4 ? f->wrap : NULL);
        worksheet_write_string(ws, first, (lxw_col_t)c, header[c], f->head);
    }
    lxw_row_t row = first + 1;
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items");
    for (const cJSON *item = items->child; item != NULL; item = item->next, row++) {
        const char *cells[SOA_CSV_COLUMNS];
        char reasons[512];
        soa_row(item, cells, reasons, sizeof(reasons));
        for (int c = 0; c < SOA_CSV_COLUMNS; c++)
            if (cells[c][0] != '\0')
                worksheet_write_string(ws, row, (lxw_col_t)c, cells[c], f->wrap);
    }
    worksheet_freeze_panes(ws, first + 1, 1);
    if (row > first + 1)
        worksheet_autofilter(ws, first, 0, row - 1, SOA_CSV_COLUMNS - 1);
    return (int)(row - first - 1);
}

static int read_whole(const char *path, soa_buf_t *out) {
    FILE *fp = fopen(path, "rb");
    char chunk[16384];
    size_t n;
    int rc = fp != NULL ? 0 : -1;
    while (rc == 0 && (n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        rc = textbuf_append(out, chunk, n);
    if (fp != NULL && ferror(fp))
        rc = -1;
    if (fp != NULL)
        fclose(fp);
    return rc;
}

int soa_xlsx_write(const cJSON *doc, const char *tmpdir, soa_buf_t *out) {
    soa_meta_t m;
    char path[4096];
    memset(out, 0, sizeof(*out));
    if (soa_meta(doc, &m) != 0)
        return -1;
    if (tmpdir == NULL)
        tmpdir = getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp";
    snprintf(path, sizeof(path), "%s/isms-soa-XXXXXX", tmpdir);
    int fd = mkstemp(path);
    if (fd < 0)
        return -1;
    close(fd);
    lxw_workbook_options opts = {.constant_memory = 0, .tmpdir = (char *)tmpdir, .use_zip64 = 0};
    lxw_workbook *wb = workbook_new_opt(path, &opts);
    int rc = -1;
    if (wb != NULL) {
        char title[300];
        snprintf(title, sizeof(title), "Statement of Applicability: %s", m.organisation);
        lxw_doc_properties props = {
            .title = title, .subject = m.framework, .company = (char *)m.organisation};
        workbook_set_properties(wb, &props);
        lxw_worksheet *ws = workbook_add_worksheet(wb, "Statement of Applicability");
        xlsx_formats_t f;
        xlsx_make_formats(wb, &f);
        xlsx_title_block(ws, &m, doc, &f);
        xlsx_table(ws, doc, &f);
        rc = workbook_close(wb) == LXW_NO_ERROR ? 0 : -1;
    }
    if (rc == 0)
        rc = read_whole(path, out);
    unlink(path);
    if (rc != 0)
        textbuf_free(out);
    return rc;
}

void soa_file_name(const cJSON *doc, const char *ext, char *out, size_t outlen) {
    char slug[64];
    size_t n = 0;
    int dash = 0;
    for (const char *p = str_of(doc, "organisation_name"); *p && n < sizeof(slug) - 1; p++) {
        char c = *p;
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) {
            if (dash && n > 0)
                slug[n++] = '-';
            if (n < sizeof(slug) - 1)
                slug[n++] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    slug[n] = '\0';
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(doc, "version");
    snprintf(out, outlen, "soa-%s-v%d.%s", n ? slug : "organisation",
             cJSON_IsNumber(version) ? version->valueint : 0, ext);
}
