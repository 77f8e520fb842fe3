/* Unit tests for the SQLSTATE to HTTP error mapping (services/core/errors.h). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/errors.h"

#define cr_assert_http_error(e, want_status, want_code)                                            \
    do {                                                                                           \
        cr_assert_eq((e).status, want_status);                                                     \
        cr_assert_str_eq((e).code, want_code);                                                     \
        cr_assert_not_null((e).message);                                                           \
        cr_assert_neq((e).message[0], '\0');                                                       \
    } while (0)

Test(errors, maps_sqlstates_to_http_answers) {
    static const struct {
        const char *sqlstate;
        int status;
        const char *code;
    } cases[] = {
        {"23505", 409, "conflict"},
        {"23P01", 409, "conflict"},
        {"23503", 422, "invalid_reference"},
        {"23502", 400, "invalid_body"},
        {"23514", 422, "invalid_value"},
        {"42501", 404, "not_found"},
        {"40001", 503, "retry"},
        {"40P01", 503, "retry"},
        {"55P03", 503, "retry"},
        {"57014", 503, "timeout"},
        {"57P01", 503, "database_unavailable"},
        {"57P03", 503, "database_unavailable"},
        {"08006", 503, "database_unavailable"},
        {"08001", 503, "database_unavailable"},
        {"53300", 503, "overloaded"},
        {"22P02", 400, "invalid_value"},
        {"22003", 400, "invalid_value"},
        {"22007", 400, "invalid_value"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        http_error_t e = http_error_for_sqlstate(cases[i].sqlstate, "raw message", "raw detail");
        cr_expect_eq(e.status, cases[i].status, "%s gave %d", cases[i].sqlstate, e.status);
        cr_expect_str_eq(e.code, cases[i].code, "%s gave %s", cases[i].sqlstate, e.code);
    }
}

Test(errors, maps_unknown_sqlstate_to_500_internal) {
    static const char *const unknown[] = {"42P01", "42703", "XX000", "P0001", "23000", "00000",
                                          "ic409", "IC40",  "",      "2350",  "235050"};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        http_error_t e = http_error_for_sqlstate(unknown[i], "budget_exceeded", "detail");
        cr_expect_eq(e.status, 500, "\"%s\" gave %d", unknown[i], e.status);
        cr_expect_str_eq(e.code, "internal", "\"%s\" gave %s", unknown[i], e.code);
    }
    cr_assert_http_error(http_error_for_sqlstate(NULL, NULL, NULL), 500, "internal");
}

Test(errors, never_passes_database_text_through_for_mapped_states) {
    const char *primary = "duplicate key value violates unique constraint \"users_email_key\"";
    const char *detail = "Key (email)=(a@example.org) already exists.";
    http_error_t e = http_error_for_sqlstate("23505", primary, detail);
    cr_assert_str_eq(e.message, "a record with these values already exists");
    e = http_error_for_sqlstate("XX000", primary, detail);
    cr_assert_null(strstr(e.message, "users_email_key"));
    cr_assert_null(strstr(e.message, "a@example.org"));
}

Test(errors, maps_project_code_to_its_status_code_and_detail) {
    http_error_t e = http_error_for_sqlstate("IC409", "budget_exceeded",
                                             "the booking would exceed the cluster budget");
    cr_assert_http_error(e, 409, "budget_exceeded");
    cr_assert_str_eq(e.message, "the booking would exceed the cluster budget");
    e = http_error_for_sqlstate("IC422", "period_closed", "the period is closed");
    cr_assert_http_error(e, 422, "period_closed");
}

Test(errors, accepts_project_statuses_from_400_to_599) {
    cr_assert_http_error(http_error_for_sqlstate("IC400", "bad", "d"), 400, "bad");
    cr_assert_http_error(http_error_for_sqlstate("IC599", "odd", "d"), 599, "odd");
}

Test(errors, uses_the_code_as_message_when_project_error_has_no_detail) {
    http_error_t e = http_error_for_sqlstate("IC404", "member_not_found", NULL);
    cr_assert_http_error(e, 404, "member_not_found");
    cr_assert_str_eq(e.message, "member_not_found");
    e = http_error_for_sqlstate("IC404", "member_not_found", "");
    cr_assert_str_eq(e.message, "member_not_found");
}

Test(errors, refuses_project_code_whose_message_is_not_an_identifier) {
    static const char *const bad[] = {"Budget exceeded!", "budget exceeded", "Budget_exceeded", "",
                                      "budget-exceeded"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        http_error_t e = http_error_for_sqlstate("IC409", bad[i], "detail");
        cr_expect_eq(e.status, 500, "message \"%s\" gave %d", bad[i], e.status);
        cr_expect_str_eq(e.code, "internal");
    }
    cr_assert_http_error(http_error_for_sqlstate("IC409", NULL, "detail"), 500, "internal");
}

Test(errors, refuses_project_code_with_non_error_status) {
    static const char *const bad[] = {"IC999", "IC200", "IC399", "IC600",
                                      "IC000", "IC4x9", "IC40a", "IC-40"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        http_error_t e = http_error_for_sqlstate(bad[i], "budget_exceeded", "detail");
        cr_expect_eq(e.status, 500, "%s gave %d", bad[i], e.status);
        cr_expect_str_eq(e.code, "internal", "%s gave %s", bad[i], e.code);
    }
}

Test(errors, accepts_codes_of_lowercase_letters_digits_and_underscores) {
    char longest[65];
    memset(longest, 'a', 64);
    longest[64] = '\0';
    cr_expect(error_code_valid("a"));
    cr_expect(error_code_valid("not_found"));
    cr_expect(error_code_valid("err404"));
    cr_expect(error_code_valid("_"));
    cr_expect(error_code_valid(longest));
}

Test(errors, refuses_other_codes) {
    char too_long[66];
    memset(too_long, 'a', 65);
    too_long[65] = '\0';
    static const char *const bad[] = {"",    "Not_found", "not-found", "not found", "caf\xc3\xa9",
                                      "a.b", "a\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_expect_not(error_code_valid(bad[i]), "accepted \"%s\"", bad[i]);
    cr_expect_not(error_code_valid(too_long));
    cr_expect_not(error_code_valid(NULL));
}
