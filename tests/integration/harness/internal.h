/* Shared between the harness's own files: scratch directories, child processes, the teardown
 * registry. Tests include harness.h only. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

/** This test's scratch directory, created on first use (mode 0755). */
const char *it__test_dir(void);
/** A fresh path "<test dir>/<stem>-<n>.<ext>" (or without ".ext" when ext is NULL). */
void it__scratch_path(char *out, size_t cap, const char *stem, const char *ext);
/** Records a throwaway PostgreSQL data directory, so that the test runner stops that instance if
 * the test process dies before its teardown. */
void it__note_pg(const char *data_dir);
/** Records a directory that the test runner removes after the test, whatever happened. */
void it__note_remove(const char *dir);

/** Registers `release(obj)` to run at teardown (newest first). */
void it__register(void (*release)(void *obj), void *obj);
/** Runs and forgets the release of `obj` now, if it is registered. */
void it__release(void *obj);
/** Forgets `obj` without releasing it: its owner has taken it back. */
void it__forget(void *obj);

/** Starts argv[0] (a path) with the current environment plus `env` ("NAME=value", NULL-terminated,
 * may be NULL); as `osuser` through runuser when non-empty; stdout and stderr appended to
 * `out_path` (or /dev/null); in `/` when `osuser` is set. With `die_with_parent` the child gets
 * SIGKILL if the test process dies. Returns the pid, or -1. */
pid_t it__spawn(const char *const *argv, const char *const *env, const char *osuser,
                const char *out_path, int die_with_parent);
/** Waits at most `timeout_ms` (negative: for ever) for `pid`; stores the exit code or 128 + signal
 * in *status and returns 0, or returns -1 when it is still running. */
int it__wait(pid_t pid, int timeout_ms, int *status);
/** it__spawn + it__wait; on timeout kills the child. Returns the exit status, or -1. */
int it__run(const char *const *argv, const char *const *env, const char *osuser,
            const char *out_path, int timeout_ms);

/** Reads a whole file, NUL-terminated; NULL when it cannot be read. */
char *it__read_file(const char *path, size_t *len);
/** A TCP port on 127.0.0.1 that was free a moment ago. */
int it__free_port(void);
/** Removes a directory tree (no symlinks followed). */
void it__remove_tree(const char *path);
/** $name, failing the test with a hint when it is unset or empty. */
const char *it__require_env(const char *name);
