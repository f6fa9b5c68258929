/*
 * daemon_harness.c - see daemon_harness.h.
 */
#define _DEFAULT_SOURCE
#include "daemon_harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *hnsd_binary = "hnsd";

void harness_set_binary(const char *path) { hnsd_binary = path; }

bool hnsd_start(hnsd_proc *d, const char *profile, int tcp_port)
{
    if (!d->dir[0]) {
        snprintf(d->dir, sizeof d->dir, "%s/hnsd-test-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(d->dir))
            return false;
        snprintf(d->socket, sizeof d->socket, "%s/hnsd.sock", d->dir);
        snprintf(d->store, sizeof d->store, "%s/hns.db", d->dir);
        snprintf(d->token_file, sizeof d->token_file, "%s/token", d->dir);
    }
    d->tcp_port = tcp_port;
    int ready[2];
    if (pipe(ready) != 0)
        return false;
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        close(ready[0]);
        char fd_text[16], tcp[64];
        snprintf(fd_text, sizeof fd_text, "%d", ready[1]);
        /* A negative port asks for a non-loopback address, which must be refused. */
        snprintf(tcp, sizeof tcp, "%s:%d", tcp_port < 0 ? "0.0.0.0" : "127.0.0.1",
                 tcp_port < 0 ? 20999 : tcp_port);
        const char *args[24];
        int n = 0;
        args[n++] = hnsd_binary;
        args[n++] = "--store";
        args[n++] = d->store;
        args[n++] = "--socket";
        args[n++] = d->socket;
        args[n++] = "--profile";
        args[n++] = profile ? profile : "ws2022";
        args[n++] = "--seed";
        args[n++] = "7";
        args[n++] = "--ready-fd";
        args[n++] = fd_text;
        if (d->group) {
            args[n++] = "--group";
            args[n++] = d->group;
        }
        if (tcp_port != 0) {
            args[n++] = "--tcp";
            args[n++] = tcp;
            args[n++] = "--token-file";
            args[n++] = d->token_file;
        }
        args[n] = NULL;
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0 && !getenv("HNSD_TEST_VERBOSE"))
            dup2(devnull, 2);
        execv(hnsd_binary, (char *const *)args);
        _exit(127);
    }
    close(ready[1]);
    char line[32] = "";
    ssize_t got = 0, k;
    while (got < (ssize_t)sizeof line - 1 &&
           (k = read(ready[0], line + got, sizeof line - 1 - (size_t)got)) > 0)
        got += k;
    close(ready[0]);
    d->pid = pid;
    return strncmp(line, "READY=1", 7) == 0;
}

int hnsd_stop(hnsd_proc *d)
{
    if (d->pid <= 0)
        return -1;
    kill(d->pid, SIGTERM);
    int status = 0;
    if (waitpid(d->pid, &status, 0) != d->pid)
        return -1;
    d->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void hnsd_kill(hnsd_proc *d)
{
    if (d->pid <= 0)
        return;
    kill(d->pid, SIGKILL);
    waitpid(d->pid, NULL, 0);
    d->pid = 0;
}

void hnsd_cleanup(hnsd_proc *d)
{
    if (d->pid > 0)
        hnsd_kill(d);
    if (!d->dir[0])
        return;
    const char *names[] = {"hnsd.sock", "hns.db", "hns.db-wal", "hns.db-shm", "token"};
    char path[400];
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", d->dir, names[i]);
        unlink(path);
    }
    rmdir(d->dir);
    d->dir[0] = '\0';
}

int proto_connect_unix(const char *path)
{
    struct sockaddr_un sun = {0};
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int proto_connect_tcp(int port)
{
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool proto_send_raw(int fd, const void *bytes, size_t n)
{
    const char *p = bytes;
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

bool proto_send(int fd, const char *json)
{
    size_t n = strlen(json);
    unsigned char header[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                               (unsigned char)(n >> 8), (unsigned char)n};
    return proto_send_raw(fd, header, 4) && proto_send_raw(fd, json, n);
}

static bool recv_all(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t k = recv(fd, p, n, 0);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

cJSON *proto_recv(int fd)
{
    unsigned char header[4];
    if (!recv_all(fd, header, 4))
        return NULL;
    size_t n = ((size_t)header[0] << 24) | ((size_t)header[1] << 16) | ((size_t)header[2] << 8) |
               header[3];
    char *text = malloc(n + 1);
    if (!text || !recv_all(fd, text, n)) {
        free(text);
        return NULL;
    }
    text[n] = '\0';
    cJSON *obj = cJSON_Parse(text);
    free(text);
    return obj;
}

cJSON *proto_request(int fd, const char *json)
{
    return proto_send(fd, json) ? proto_recv(fd) : NULL;
}
