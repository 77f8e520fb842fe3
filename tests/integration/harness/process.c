/* Child processes for the harness: the server, initdb, pg_ctl and migrations. Children never keep
 * the test process's descriptors, and a server dies with the test process that started it. */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "internal.h"

extern char **environ;

uint64_t it_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void it_sleep_ms(int ms) {
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

const char *it__require_env(const char *name) {
    const char *v = getenv(name);
    cr_assert(v != NULL && v[0] != '\0',
              "%s is not set: run the integration tests through `deploy/local.sh test`, or set "
              "ISMS_TEST_DATABASE_URL, ISMS_TEST_ADMIN_DATABASE_URL, ISMS_TEST_PG_BINDIR and "
              "ISMS_TEST_PG_OSUSER as it does",
              name);
    return v;
}

/* The current environment with `env` entries replacing those of the same name. The strings are
 * borrowed; the caller frees the array. */
static char **merged_environment(const char *const *env) {
    size_t n = 0, extra = 0;
    while (environ[n] != NULL)
        n++;
    while (env != NULL && env[extra] != NULL)
        extra++;
    char **out = calloc(n + extra + 1, sizeof(char *));
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(environ[i], '=');
        size_t klen = eq != NULL ? (size_t)(eq - environ[i]) : strlen(environ[i]);
        int replaced = 0;
        for (size_t k = 0; k < extra && !replaced; k++)
            replaced = strncmp(env[k], environ[i], klen) == 0 && env[k][klen] == '=';
        if (!replaced)
            out[o++] = environ[i];
    }
    for (size_t k = 0; k < extra; k++)
        out[o++] = (char *)env[k];
    return out;
}

static const char *runuser_path(void) {
    static const char *const candidates[] = {"/usr/sbin/runuser", "/sbin/runuser",
                                             "/usr/bin/runuser"};
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (access(candidates[i], X_OK) == 0)
            return candidates[i];
    return "runuser";
}

pid_t it__spawn(const char *const *argv, const char *const *env, const char *osuser,
                const char *out_path, int die_with_parent) {
    size_t argc = 0;
    while (argv[argc] != NULL)
        argc++;
    /* Everything the child needs is built before fork: the test process may have threads. */
    const char **args = calloc(argc + 5, sizeof(char *));
    char **envp = merged_environment(env);
    if (args == NULL || envp == NULL) {
        free(args);
        free(envp);
        return -1;
    }
    size_t a = 0;
    if (osuser != NULL && osuser[0] != '\0') {
        args[a++] = runuser_path();
        args[a++] = "-u";
        args[a++] = osuser;
        args[a++] = "--";
    }
    for (size_t i = 0; i < argc; i++)
        args[a++] = argv[i];
    int out = open(out_path != NULL ? out_path : "/dev/null",
                   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    pid_t parent = getpid();
    pid_t pid = out >= 0 && in >= 0 ? fork() : -1;
    if (pid == 0) {
        if (die_with_parent && (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent))
            _exit(127);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(127);
        closefrom(3);
        if (osuser != NULL && osuser[0] != '\0' && chdir("/") != 0)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        execve(args[0], (char *const *)args, envp);
        dprintf(2, "harness: cannot run %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    if (out >= 0)
        close(out);
    if (in >= 0)
        close(in);
    free(args);
    free(envp);
    return pid;
}

int it__wait(pid_t pid, int timeout_ms, int *status) {
    uint64_t deadline = it_now_ms() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        int ws;
        pid_t r = waitpid(pid, &ws, timeout_ms < 0 ? 0 : WNOHANG);
        if (r == pid) {
            *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
            return 0;
        }
        if (r < 0 && errno != EINTR) {
            *status = -1;
            return 0;
        }
        if (timeout_ms >= 0 && it_now_ms() >= deadline)
            return -1;
        if (r == 0)
            it_sleep_ms(2);
    }
}

int it__run(const char *const *argv, const char *const *env, const char *osuser,
            const char *out_path, int timeout_ms) {
    pid_t pid = it__spawn(argv, env, osuser, out_path, 1);
    int status;
    if (pid < 0)
        return -1;
    if (it__wait(pid, timeout_ms, &status) != 0) {
        kill(pid, SIGKILL);
        it__wait(pid, -1, &status);
        return -1;
    }
    return status;
}

int it__free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t len = sizeof(addr);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert(fd >= 0, "socket: %s", strerror(errno));
    cr_assert(bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
                  getsockname(fd, (struct sockaddr *)&addr, &len) == 0,
              "cannot find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(addr.sin_port);
}
