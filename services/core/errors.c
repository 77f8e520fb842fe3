/* SQLSTATE to HTTP mapping. Classes are documented in PostgreSQL's "Appendix A. Error Codes". The
 * project raises its own errors from SQL with SQLSTATE 'IC' followed by an HTTP status (IC404,
 * IC409, IC422 ...), MESSAGE a stable code and DETAIL a sentence for the person. */
#include "core/errors.h"

#include <string.h>

int error_code_valid(const char *s) {
    size_t n = 0;
    if (s == NULL)
        return 0;
    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return n >= 1 && n <= 64;
}

static const struct {
    const char *prefix;
    http_error_t error;
} table[] = {
    {"23505", {409, "conflict", "a record with these values already exists"}},
    {"23P01", {409, "conflict", "this conflicts with an existing record"}},
    {"23503", {422, "invalid_reference", "the request refers to a record that does not exist"}},
    {"23502", {400, "invalid_body", "a required value is missing"}},
    {"23514", {422, "invalid_value", "a value is outside what is allowed"}},
    {"42501", {404, "not_found", "no such resource"}},
    {"40001", {503, "retry", "the request collided with another one; retry it"}},
    {"40P01", {503, "retry", "the request collided with another one; retry it"}},
    {"55P03", {503, "retry", "the record is busy; retry the request"}},
    {"57014", {503, "timeout", "the request took too long; retry it later"}},
    {"57P", {503, "database_unavailable", "the database is unavailable; retry shortly"}},
    {"08", {503, "database_unavailable", "the database is unavailable; retry shortly"}},
    {"53", {503, "overloaded", "the database is out of resources; retry shortly"}},
    {"22", {400, "invalid_value", "a value in the request is malformed or out of range"}},
};

http_error_t http_error_for_sqlstate(const char *sqlstate, const char *primary,
                                     const char *detail) {
    static const http_error_t internal = {500, "internal",
                                          "an internal error occurred; quote the request id"};
    if (sqlstate == NULL || strlen(sqlstate) != 5)
        return internal;
    if (sqlstate[0] == 'I' && sqlstate[1] == 'C') {
        int status = 0;
        for (int i = 2; i < 5; i++) {
            if (sqlstate[i] < '0' || sqlstate[i] > '9')
                return internal;
            status = status * 10 + (sqlstate[i] - '0');
        }
        if (status < 400 || status > 599 || !error_code_valid(primary))
            return internal;
        http_error_t e = {status, primary, detail != NULL && detail[0] ? detail : primary};
        return e;
    }
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (strncmp(sqlstate, table[i].prefix, strlen(table[i].prefix)) == 0)
            return table[i].error;
    return internal;
}
