/*
 * daemon_harness.h - starting, stopping and talking to a real hnsd process
 * in tests and benchmarks: spawn with --ready-fd and wait for READY=1, raw
 * protocol frames over a socket, and kill/restart for crash tests.
 */
#ifndef HNSIM_DAEMON_HARNESS_H
#define HNSIM_DAEMON_HARNESS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct hnsd_proc {
    pid_t pid;
    char dir[256];        /* private temporary directory */
    char socket[300];     /* unix socket path */
    char store[300];      /* store file */
    char token_file[300]; /* when started with TCP */
    int tcp_port;         /* 0 when no TCP */
    const char *group;    /* --group for the socket, or NULL */
} hnsd_proc;

/* Starts hnsd (binary path from $HNSD or the first argument given to
 * harness_set_binary). With tcp_port > 0 it also listens on 127.0.0.1:tcp_port;
 * a negative tcp_port asks for 0.0.0.0, which hnsd must refuse.
 * Reuses d->dir/d->store when d->dir is already set (restart after a kill).
 * Returns true once the daemon said READY=1. */
bool hnsd_start(hnsd_proc *d, const char *profile, int tcp_port);

/* SIGTERM and wait; returns the exit status (or -1). */
int hnsd_stop(hnsd_proc *d);

/* SIGKILL and reap. */
void hnsd_kill(hnsd_proc *d);

/* Removes the temporary directory. */
void hnsd_cleanup(hnsd_proc *d);

/* The hnsd binary to run. */
void harness_set_binary(const char *path);

/* Raw protocol: connect, send a frame, receive a frame. */
int proto_connect_unix(const char *path);
int proto_connect_tcp(int port);
bool proto_send(int fd, const char *json);
bool proto_send_raw(int fd, const void *bytes, size_t n);
cJSON *proto_recv(int fd);
/* Sends request and returns the reply (or NULL). */
cJSON *proto_request(int fd, const char *json);

#endif
