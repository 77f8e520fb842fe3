/* Scratch directories and teardown. The test runner (Criterion's parent process) creates one
 * directory per run and, after each test, prints the tails of that test's logs when it failed,
 * stops any throwaway PostgreSQL the test left behind and removes what is no longer needed. Inside
 * the test process, a registry releases servers, connections and instances at teardown. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

#define RUN_DIR_ENV "ISMS_IT_RUN_DIR"
#define NOTES_FILE ".cleanup"
#define TAIL_LINES 40

/* ---- files ----------------------------------------------------------------------------------- */

char *it__read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0;
    if (f == NULL)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            char *grown = realloc(buf, cap + 65536);
            if (grown == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
            cap += 65536;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len != NULL)
        *len = n;
    return buf;
}

/* Writes the last `lines` lines of `path` to stderr under a header. */
static void print_tail(const char *path, int lines) {
    size_t len;
    char *text = it__read_file(path, &len);
    if (text == NULL)
        return;
    const char *start = text + len;
    int seen = 0;
    if (start > text && start[-1] == '\n')
        start--;
    while (start > text && seen < lines)
        if (*--start == '\n')
            seen++;
    if (*start == '\n')
        start++;
    fprintf(stderr, "---- last %d lines of %s ----\n%s%s---- end of %s ----\n", lines, path, start,
            len > 0 && text[len - 1] != '\n' ? "\n" : "", path);
    free(text);
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    if (type == FTW_DP)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

void it__remove_tree(const char *path) {
    if (path != NULL && path[0] != '\0')
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- directories ----------------------------------------------------------------------------- */

/* "<run dir>/<suite>.<test>", with anything unusual in the names replaced by '_'. */
static void test_dir_for(const char *run_dir, const char *suite, const char *test, char *out,
                         size_t cap) {
    int n = snprintf(out, cap, "%s/%s.%s", run_dir, suite, test);
    for (size_t i = strlen(run_dir) + 1; n > 0 && i < (size_t)n && i < cap; i++) {
        char c = out[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            out[i] = '_';
    }
}

static const char *tmp_root(void) {
    const char *t = getenv("TMPDIR");
    return t != NULL && t[0] == '/' ? t : "/tmp";
}

/* Creates the run directory once per process tree and exports it to the test processes. */
static const char *run_dir(void) {
    static char path[512];
    const char *env = getenv(RUN_DIR_ENV);
    if (env != NULL && env[0] != '\0')
        return env;
    snprintf(path, sizeof(path), "%s/isms-it.XXXXXX", tmp_root());
    if (mkdtemp(path) == NULL)
        return NULL;
    /* The PostgreSQL OS user must be able to reach the instances' directories below. */
    chmod(path, 0755);
    setenv(RUN_DIR_ENV, path, 1);
    return path;
}

const char *it__test_dir(void) {
    static char path[1024];
    if (path[0] != '\0')
        return path;
    const char *run = run_dir();
    cr_assert(run != NULL, "cannot create a scratch directory under %s: %s", tmp_root(),
              strerror(errno));
    test_dir_for(run, criterion_current_suite->name, criterion_current_test->name, path,
                 sizeof(path));
    cr_assert(mkdir(path, 0755) == 0 || errno == EEXIST, "cannot create %s: %s", path,
              strerror(errno));
    chmod(path, 0755);
    return path;
}

void it__scratch_path(char *out, size_t cap, const char *stem, const char *ext) {
    const char *dir = it__test_dir();
    for (int n = 1;; n++) {
        snprintf(out, cap, "%s/%s-%d%s%s", dir, stem, n, ext != NULL ? "." : "",
                 ext != NULL ? ext : "");
        if (access(out, F_OK) != 0)
            return;
    }
}

static void note(const char *kind, const char *path) {
    char notes[1100];
    snprintf(notes, sizeof(notes), "%s/%s", it__test_dir(), NOTES_FILE);
    FILE *f = fopen(notes, "a");
    if (f != NULL) {
        fprintf(f, "%s %s\n", kind, path);
        fclose(f);
    }
}

void it__note_pg(const char *data_dir) {
    note("pg", data_dir);
}

void it__note_remove(const char *dir) {
    note("rm", dir);
}

/* ---- teardown registry (test process) -------------------------------------------------------- */

typedef struct release_entry {
    void (*release)(void *);
    void *obj;
} release_entry_t;

static release_entry_t *entries;
static size_t nentries, capentries;

void it__register(void (*release)(void *obj), void *obj) {
    static int hooked;
    if (!hooked) {
        hooked = 1;
        atexit(it_teardown);
    }
    if (nentries == capentries) {
        size_t cap = capentries ? capentries * 2 : 16;
        release_entry_t *grown = realloc(entries, cap * sizeof(*grown));
        if (grown == NULL) {
            release(obj);
            cr_assert_fail("out of memory");
        }
        entries = grown;
        capentries = cap;
    }
    entries[nentries++] = (release_entry_t){release, obj};
}

/* Removes `obj` from the registry; returns its release function, or NULL. */
static void (*unregister(void *obj))(void *) {
    for (size_t i = nentries; i-- > 0;)
        if (entries[i].obj == obj) {
            void (*release)(void *) = entries[i].release;
            memmove(&entries[i], &entries[i + 1], (nentries - i - 1) * sizeof(*entries));
            nentries--;
            return release;
        }
    return NULL;
}

void it__release(void *obj) {
    void (*release)(void *) = unregister(obj);
    if (release != NULL)
        release(obj);
}

void it__forget(void *obj) {
    unregister(obj);
}

void it_teardown(void) {
    while (nentries > 0) {
        release_entry_t e = entries[--nentries];
        e.release(e.obj);
    }
    free(entries);
    entries = NULL;
    capentries = 0;
}

/* ---- the test runner's side ------------------------------------------------------------------ */

/* Stops instances a dead test process left running, then removes what it asked to remove. */
static void run_notes(const char *dir) {
    char notes[1100], line[1200], pidfile[1300], pg_ctl[600];
    snprintf(notes, sizeof(notes), "%s/%s", dir, NOTES_FILE);
    const char *bindir = getenv("ISMS_TEST_PG_BINDIR");
    snprintf(pg_ctl, sizeof(pg_ctl), "%s/pg_ctl", bindir != NULL ? bindir : "");
    for (int pass = 0; pass < 2; pass++) {
        FILE *f = fopen(notes, "r");
        if (f == NULL)
            return;
        while (fgets(line, sizeof(line), f) != NULL) {
            line[strcspn(line, "\n")] = '\0';
            const char *path = line + 3;
            snprintf(pidfile, sizeof(pidfile), "%s/postmaster.pid", path);
            if (pass == 0 && strncmp(line, "pg ", 3) == 0 && bindir != NULL &&
                access(pidfile, F_OK) == 0) {
                const char *argv[] = {pg_ctl, "-D", path, "-m", "immediate", "-w", "stop", NULL};
                it__run(argv, NULL, getenv("ISMS_TEST_PG_OSUSER"), NULL, 30000);
            } else if (pass == 1 && strncmp(line, "rm ", 3) == 0) {
                it__remove_tree(path);
            }
        }
        fclose(f);
    }
    unlink(notes);
}

static int has_sanitizer_report(const char *path) {
    char *text = it__read_file(path, NULL);
    int found = text != NULL && (strstr(text, "ERROR: AddressSanitizer") != NULL ||
                                 strstr(text, "ERROR: LeakSanitizer") != NULL ||
                                 strstr(text, "runtime error:") != NULL);
    free(text);
    return found;
}

static int is_log(const struct dirent *d) {
    size_t n = strlen(d->d_name);
    return n > 4 && strcmp(d->d_name + n - 4, ".log") == 0;
}

static void after_test(const struct criterion_test *test, int failed) {
    const char *run = getenv(RUN_DIR_ENV);
    char dir[1024], path[1400];
    if (run == NULL)
        return;
    test_dir_for(run, test->category, test->name, dir, sizeof(dir));
    if (access(dir, F_OK) != 0)
        return;
    run_notes(dir);
    struct dirent **logs;
    int n = scandir(dir, &logs, is_log, alphasort), keep = failed;
    for (int i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, logs[i]->d_name);
        if (has_sanitizer_report(path)) {
            fprintf(stderr, "[isms-it] %s::%s: sanitizer report in %s\n", test->category,
                    test->name, path);
            keep = 1;
            print_tail(path, TAIL_LINES);
        } else if (failed) {
            print_tail(path, TAIL_LINES);
        }
        free(logs[i]);
    }
    if (n >= 0)
        free(logs);
    const char *keep_env = getenv("ISMS_IT_KEEP");
    if (keep || (keep_env != NULL && strcmp(keep_env, "1") == 0))
        fprintf(stderr, "[isms-it] %s::%s: logs kept in %s\n", test->category, test->name, dir);
    else
        it__remove_tree(dir);
}

ReportHook(PRE_ALL)(struct criterion_test_set *set) {
    (void)set;
    run_dir();
}

ReportHook(POST_TEST)(struct criterion_test_stats *stats) {
    after_test(stats->test,
               stats->test_status == CR_STATUS_FAILED || stats->crashed || stats->timed_out);
}

ReportHook(TEST_CRASH)(struct criterion_test_stats *stats) {
    after_test(stats->test, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats) {
    (void)stats;
    const char *run = getenv(RUN_DIR_ENV);
    if (run != NULL)
        rmdir(run); /* only when empty: kept logs stay */
}
