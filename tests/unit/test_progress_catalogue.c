/* Unit tests for catalogue files (progress/catalogue.h): both formats, the normalised document,
 * and errors that name the line. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress/catalogue.h"

#define HEADER "framework,version,framework_title,kind,group,group_title,ref,title\n"

static cJSON *parse_ok(const char *text, catalogue_format_t fmt) {
    char err[512];
    cJSON *doc = NULL;
    int rc = catalogue_parse(text, strlen(text), fmt, &doc, err, sizeof(err));
    cr_assert_eq(rc, 0, "refused: %s", err);
    cr_assert_not_null(doc);
    return doc;
}

/* Asserts a refusal whose message starts with "line <line>: " and contains `what`. */
static void assert_refused(const char *text, catalogue_format_t fmt, int line, const char *what) {
    char err[512], prefix[32];
    cJSON *doc = NULL;
    cr_assert_eq(catalogue_parse(text, strlen(text), fmt, &doc, err, sizeof(err)), -1,
                 "accepted: %s", text);
    cr_assert_null(doc);
    snprintf(prefix, sizeof(prefix), "line %d: ", line);
    cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "expected \"%s...\", got \"%s\"", prefix,
              err);
    cr_assert(strstr(err, what) != NULL, "expected \"%s\" in \"%s\"", what, err);
}

static const char *str(const cJSON *obj, const char *name) {
    return cJSON_GetObjectItemCaseSensitive(obj, name)->valuestring;
}

Test(catalogue, csv_gives_the_normalised_document) {
    cJSON *doc = parse_ok("# a comment line\n" HEADER
                          "ISO/IEC 27001,2013,\"Old edition, 2013\",clause,4,Context,4.1,Issues\r\n"
                          "ISO/IEC 27001,2013,,clause,4,,4.2,\"Parties \"\"and\"\" needs\"\r\n"
                          "\n"
                          "ISO/IEC 27001,2013,,control,A.5,Policies,A.5.1.1,\"Quoted, too\"\n",
                          CATALOGUE_CSV);
    cr_assert_str_eq(str(doc, "code"), "ISO/IEC 27001");
    cr_assert_str_eq(str(doc, "version"), "2013");
    cr_assert_str_eq(str(doc, "title"), "Old edition, 2013");
    const cJSON *groups = cJSON_GetObjectItemCaseSensitive(doc, "groups");
    const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(doc, "requirements");
    cr_assert_eq(cJSON_GetArraySize(groups), 2);
    cr_assert_eq(cJSON_GetArraySize(reqs), 3);
    cr_assert_str_eq(str(cJSON_GetArrayItem(groups, 1), "kind"), "control");
    cr_assert_str_eq(str(cJSON_GetArrayItem(reqs, 1), "title"), "Parties \"and\" needs");
    cr_assert_str_eq(str(cJSON_GetArrayItem(reqs, 2), "kind"), "control");
    cr_assert_str_eq(str(cJSON_GetArrayItem(reqs, 2), "group"), "A.5");
    cr_assert_str_eq(str(cJSON_GetArrayItem(reqs, 2), "title"), "Quoted, too");
    cJSON_Delete(doc);
}

Test(catalogue, csv_duplicate_requirement_names_both_lines) {
    assert_refused(HEADER "F,1,T,clause,4,Context,4.1,One\n"
                          "F,1,,clause,4,,4.2,Two\n"
                          "F,1,,clause,4,,4.1,Again\n",
                   CATALOGUE_CSV, 4, "duplicate requirement 4.1 (first defined on line 2)");
}

Test(catalogue, csv_errors_name_the_first_line_of_a_multi_line_record) {
    assert_refused(HEADER "F,1,T,clause,4,Context,4.1,One\n"
                          "F,1,,clause,4,,4.2,\"a title\non two lines\"\n"
                          "F,1,,clause,4,,4.3,Three\n",
                   CATALOGUE_CSV, 3, "the title of 4.2 must be 1 to 300 printable characters");
    assert_refused(HEADER "# comment\n\nF,1,T,clause,4,\"Con\ntext\",4.1,One\n"
                          "F,1,,clause,4,,4.1,Again\n",
                   CATALOGUE_CSV, 4, "needs its title");
}

Test(catalogue, csv_checks_every_value) {
    assert_refused("framework,version\n", CATALOGUE_CSV, 1, "the first row must be the header");
    assert_refused(HEADER "F,1,T,clause,4,Context,4.1\n", CATALOGUE_CSV, 2,
                   "expected 8 fields, found 7");
    assert_refused(HEADER "F,1,T,annex,4,Context,4.1,x\n", CATALOGUE_CSV, 2,
                   "kind must be clause or control");
    assert_refused(HEADER "F,1,T,clause,4,Context,4 1,x\n", CATALOGUE_CSV, 2, "ref \"4 1\"");
    assert_refused(HEADER "F,1,T,clause,4,Context,4.1,\n", CATALOGUE_CSV, 2, "the title of 4.1");
    assert_refused(HEADER "F,1,T,clause,4,,4.1,x\n", CATALOGUE_CSV, 2, "needs its title");
    assert_refused(HEADER "F,1,T,clause,4,Context,4.1,x\nG,1,,clause,4,,4.2,y\n", CATALOGUE_CSV, 3,
                   "a file holds one framework");
    assert_refused(HEADER "F,1,T,clause,4,Context,4.1,x\nF,1,,control,4,,4.2,y\n", CATALOGUE_CSV, 3,
                   "group 4 holds clauses");
    assert_refused(HEADER "F,1,T,clause,4,Context,4.1,\"open\n", CATALOGUE_CSV, 2, "not closed");
    assert_refused(HEADER "F,1,T,clause,4,Context,4.1,x\"y\n", CATALOGUE_CSV, 2,
                   "a quote inside an unquoted field");
    assert_refused(HEADER, CATALOGUE_CSV, 2, "defines no requirement");
}

Test(catalogue, rejects_invalid_utf8_with_its_line) {
    assert_refused(HEADER "F,1,T,clause,4,Context,4.1,ok\nF,1,,clause,4,,4.2,bad \xff\n",
                   CATALOGUE_CSV, 3, "not valid UTF-8");
}

Test(catalogue, accepts_a_byte_order_mark) {
    cJSON *doc = parse_ok("\xEF\xBB\xBF" HEADER "F,1,T,clause,4,Context,4.1,x\n", CATALOGUE_CSV);
    cJSON_Delete(doc);
}

static const char json_ok[] =
    "{\n"
    "  \"framework\": \"ISO/IEC 27001\",\n"
    "  \"version\": \"2013\",\n"
    "  \"title\": \"Old edition\",\n"
    "  \"groups\": [\n"
    "    {\"key\": \"4\", \"kind\": \"clause\", \"title\": \"Context\"},\n"
    "    {\"key\": \"A.5\", \"kind\": \"control\", \"title\": \"Policies\"}\n"
    "  ],\n"
    "  \"requirements\": [\n"
    "    {\"ref\": \"4.1\", \"group\": \"4\", \"title\": \"Issues\"},\n"
    "    {\"ref\": \"A.5.1.1\", \"group\": \"A.5\", \"title\": \"[x], {y}\"},\n"
    "    {\"ref\": \"A.5.1.2\", \"group\": \"A.5\", \"kind\": \"control\",\n"
    "     \"title\": \"Review\"}\n"
    "  ]\n"
    "}\n";

Test(catalogue, json_gives_the_same_document) {
    cJSON *doc = parse_ok(json_ok, CATALOGUE_JSON);
    const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(doc, "requirements");
    cr_assert_eq(cJSON_GetArraySize(reqs), 3);
    cr_assert_str_eq(str(cJSON_GetArrayItem(reqs, 1), "kind"), "control");
    cr_assert_str_eq(str(doc, "title"), "Old edition");
    cJSON_Delete(doc);
}

/* Replaces the first occurrence of `from` in json_ok by `to`. */
static char *json_with(const char *from, const char *to) {
    const char *at = strstr(json_ok, from);
    cr_assert_not_null(at, "%s", from);
    char *out = malloc(sizeof(json_ok) + strlen(to));
    size_t head = (size_t)(at - json_ok);
    memcpy(out, json_ok, head);
    strcpy(out + head, to);
    strcat(out, at + strlen(from));
    return out;
}

Test(catalogue, json_errors_name_the_element_line) {
    char *t = json_with("\"ref\": \"A.5.1.2\"", "\"ref\": \"4.1\"");
    assert_refused(t, CATALOGUE_JSON, 12, "duplicate requirement 4.1 (first defined on line 10)");
    free(t);
    t = json_with("\"key\": \"A.5\"", "\"key\": \"4\"");
    assert_refused(t, CATALOGUE_JSON, 7, "duplicate group 4 (first defined on line 6)");
    free(t);
    t = json_with("\"group\": \"A.5\", \"kind\"", "\"group\": \"A.9\", \"kind\"");
    assert_refused(t, CATALOGUE_JSON, 12, "unknown group \"A.9\"");
    free(t);
    t = json_with("\"kind\": \"control\",\n", "\"kind\": \"clause\",\n");
    assert_refused(t, CATALOGUE_JSON, 12, "differs from its group");
    free(t);
    t = json_with("\"title\": \"Issues\"", "\"title\": 7");
    assert_refused(t, CATALOGUE_JSON, 10, "\"title\" must be a string");
    free(t);
    t = json_with("\"title\": \"Review\"}", "\"title\": \"Review\", \"extra\": 1}");
    assert_refused(t, CATALOGUE_JSON, 12, "unknown field");
    free(t);
}

Test(catalogue, json_syntax_errors_have_a_line) {
    char *t = json_with("\"ref\": \"4.1\",", "\"ref\": \"4.1\" ");
    char err[256];
    cJSON *doc = NULL;
    cr_assert_eq(catalogue_parse(t, strlen(t), CATALOGUE_JSON, &doc, err, sizeof(err)), -1);
    cr_assert(strncmp(err, "line 10: not valid JSON", 23) == 0, "%s", err);
    free(t);
}

Test(catalogue, guesses_the_format) {
    cr_assert_eq(catalogue_guess_format("x.JSON", "a", 1), CATALOGUE_JSON);
    cr_assert_eq(catalogue_guess_format("x.csv", "{", 1), CATALOGUE_CSV);
    cr_assert_eq(catalogue_guess_format("x", "  \n{", 4), CATALOGUE_JSON);
    cr_assert_eq(catalogue_guess_format("x", "framework", 9), CATALOGUE_CSV);
}
