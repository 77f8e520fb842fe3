/* `isms-cluster catalogue`: the platform operator's tool for the requirement catalogue.
 *   catalogue list          the frameworks in the database
 *   catalogue check FILE    validate a catalogue file without touching the database
 *   catalogue import FILE   validate it, then load it in one transaction
 * Like `admin`, it connects with ISMS_ADMIN_DATABASE_URL; the server never writes the catalogue. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress/catalogue.h"
#include "progress/progress.h"

#define CATALOGUE_FILE_MAX (8 * 1024 * 1024)

static int usage(void) {
    fprintf(stderr,
            "usage: isms-cluster catalogue list\n"
            "       isms-cluster catalogue check FILE\n"
            "       isms-cluster catalogue import FILE\n"
            "FILE is CSV or JSON (see services/progress/catalogue-format.md); list and import\n"
            "connect with ISMS_ADMIN_DATABASE_URL.\n");
    return 2;
}

/* Reads a whole file (at most CATALOGUE_FILE_MAX bytes); the caller frees it. */
static char *read_catalogue_file(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    char *buf = NULL;
    if (fp == NULL) {
        fprintf(stderr, "isms-cluster catalogue: cannot open %s\n", path);
        return NULL;
    }
    if (fseek(fp, 0, SEEK_END) == 0) {
        long n = ftell(fp);
        if (n < 0 || n > CATALOGUE_FILE_MAX)
            fprintf(stderr, "isms-cluster catalogue: %s is larger than %d bytes\n", path,
                    CATALOGUE_FILE_MAX);
        else if (fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
                 fread(buf, 1, (size_t)n, fp) == (size_t)n) {
            buf[n] = '\0';
            *len = (size_t)n;
        } else {
            fprintf(stderr, "isms-cluster catalogue: cannot read %s\n", path);
            free(buf);
            buf = NULL;
        }
    }
    fclose(fp);
    return buf;
}

/* Parses and validates FILE; prints the first problem with its line. */
static cJSON *load(const char *path) {
    size_t len = 0;
    char *text = read_catalogue_file(path, &len), err[512];
    cJSON *doc = NULL;
    if (text == NULL)
        return NULL;
    if (catalogue_parse(text, len, catalogue_guess_format(path, text, len), &doc, err,
                        sizeof(err)) != 0)
        fprintf(stderr, "isms-cluster catalogue: %s: %s\n", path, err);
    free(text);
    return doc;
}

static void print_summary(const cJSON *doc, const char *verb) {
    int clauses = 0, controls = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "requirements")) {
        const char *kind = cJSON_GetObjectItemCaseSensitive(r, "kind")->valuestring;
        clauses += strcmp(kind, "clause") == 0;
        controls += strcmp(kind, "control") == 0;
    }
    printf("%s %s %s: %d groups, %d clauses, %d controls\n", verb,
           cJSON_GetObjectItemCaseSensitive(doc, "code")->valuestring,
           cJSON_GetObjectItemCaseSensitive(doc, "version")->valuestring,
           cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "groups")), clauses, controls);
}

static PGconn *connect_admin(void) {
    const char *conninfo = getenv("ISMS_ADMIN_DATABASE_URL");
    if (conninfo == NULL || conninfo[0] == '\0') {
        fprintf(stderr, "isms-cluster catalogue: set ISMS_ADMIN_DATABASE_URL\n");
        return NULL;
    }
    PGconn *pg = PQconnectdb(conninfo);
    if (PQstatus(pg) != CONNECTION_OK) {
        fprintf(stderr, "isms-cluster catalogue: cannot connect: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    return pg;
}

static int cmd_import(const char *path) {
    cJSON *doc = load(path);
    if (doc == NULL)
        return 1;
    int rc = 1;
    char *json = cJSON_PrintUnformatted(doc);
    PGconn *pg = json != NULL ? connect_admin() : NULL;
    if (pg != NULL) {
        const char *params[] = {json};
        PGresult *res = PQexecParams(pg, "SELECT isms.catalogue_import($1::jsonb)", 1, NULL, params,
                                     NULL, NULL, 0);
        const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (PQresultStatus(res) == PGRES_TUPLES_OK) {
            print_summary(doc, "imported");
            printf("framework id %s\n", PQgetvalue(res, 0, 0));
            rc = 0;
        } else if (state != NULL && strcmp(state, "IC409") == 0) {
            fprintf(stderr, "isms-cluster catalogue: %s: %s\n", path,
                    PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
        } else {
            fprintf(stderr, "isms-cluster catalogue: import failed: %s", PQerrorMessage(pg));
        }
        PQclear(res);
        PQfinish(pg);
    }
    cJSON_free(json);
    cJSON_Delete(doc);
    return rc;
}

static int cmd_list(void) {
    PGconn *pg = connect_admin();
    if (pg == NULL)
        return 1;
    PGresult *res =
        PQexec(pg, "SELECT f.id, f.code, f.version, f.source, f.is_default,"
                   " count(*) FILTER (WHERE r.kind = 'clause'),"
                   " count(*) FILTER (WHERE r.kind = 'control')"
                   " FROM isms.frameworks f LEFT JOIN isms.requirements r"
                   " ON r.framework_id = f.id GROUP BY f.id ORDER BY f.code, f.version");
    int rc = PQresultStatus(res) == PGRES_TUPLES_OK ? 0 : 1;
    if (rc != 0)
        fprintf(stderr, "isms-cluster catalogue: %s", PQerrorMessage(pg));
    for (int i = 0; rc == 0 && i < PQntuples(res); i++)
        printf("%s  %s %s  %s clauses, %s controls  (%s%s)\n", PQgetvalue(res, i, 0),
               PQgetvalue(res, i, 1), PQgetvalue(res, i, 2), PQgetvalue(res, i, 5),
               PQgetvalue(res, i, 6), PQgetvalue(res, i, 3),
               strcmp(PQgetvalue(res, i, 4), "t") == 0 ? ", default" : "");
    PQclear(res);
    PQfinish(pg);
    return rc;
}

int progress_catalogue_command(int argc, char **argv) {
    const char *sub = argc > 2 ? argv[2] : "";
    if (strcmp(sub, "list") == 0 && argc == 3)
        return cmd_list();
    if (strcmp(sub, "import") == 0 && argc == 4)
        return cmd_import(argv[3]);
    if (strcmp(sub, "check") == 0 && argc == 4) {
        cJSON *doc = load(argv[3]);
        if (doc == NULL)
            return 1;
        print_summary(doc, "valid:");
        cJSON_Delete(doc);
        return 0;
    }
    return usage();
}
