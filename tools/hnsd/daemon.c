/*
 * daemon.c - one HNS instance served to many processes over a local socket.
 *
 * On Windows every HCN client talks to the one HNS service; hnsd plays that
 * part. It opens an instance on a SQLite store and serves the protocol of
 * docs/hnsd-protocol.md on a Unix socket (mode 0600, or 0660 with --group)
 * and, optionally, on TCP bound to a loopback address only, where the first
 * message must carry the daemon's secret token. It is built on libuv: the loop
 * thread does all socket I/O and runs each request to completion (every call
 * is one short store transaction), so requests are answered in order per
 * connection and serialised on the instance. Notifications arrive on the
 * instance's delivery thread and reach the loop through a uv_async_t.
 *
 *   hnsd --store FILE [--socket PATH] [--tcp 127.0.0.1:PORT --token-file F]
 *        [--profile P] [--seed N] [--group NAME] [--ready-fd N] [--pid-file F]
 *
 * The socket appears only once the daemon accepts calls: it is bound under a
 * temporary name and renamed into place after listen(). SIGTERM and SIGINT
 * stop it cleanly (connections closed, socket removed, store closed). A client
 * with more than 64 MiB of unread replies is disconnected, so one client that
 * never reads cannot hold the others up.
 */
#include "daemon.h"

#include <hnsmock/hnsmock.h>

#include "serve.h"
#include "wire.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#define MAX_QUEUED_BYTES (64u * 1024u * 1024u)

typedef struct options {
    const char *store;
    const char *socket_path;
    const char *tcp;
    const char *token_file;
    const char *profile;
    const char *group;
    const char *pid_file;
    unsigned long long seed;
    bool seed_set;
    int ready_fd;
} options;

/* One client connection. */
typedef struct conn {
    union {
        uv_stream_t stream;
        uv_pipe_t pipe;
        uv_tcp_t tcp;
    } h;
    hnsm_wire_reader reader;
    hnsm_serve_session session;
    bool subscribed;
    bool closing;
    size_t queued;          /* reply bytes handed to libuv and not yet written */
    struct conn *next;      /* in the daemon's list of connections */
} conn;

/* A notification waiting for the loop thread. */
typedef struct pending_event {
    uint32_t type;
    char *data;
    struct pending_event *next;
} pending_event;

typedef struct daemon_state {
    uv_loop_t *loop;
    hnsm_instance *inst;
    char token[65];          /* hex secret for TCP clients; "" when no TCP */
    uv_pipe_t unix_server;
    bool have_unix;          /* unix_server was initialised */
    uv_tcp_t tcp_server;
    bool have_tcp;           /* tcp_server was initialised */
    bool have_signals;       /* sigterm and sigint were initialised */
    bool have_wake;          /* wake was initialised */
    uv_signal_t sigterm, sigint;
    uv_async_t wake;         /* events are waiting */
    pthread_mutex_t event_lock;
    pending_event *events_head, *events_tail;
    hnsm_subscription *subscription;
    conn *conns;
    char socket_path[1024];
} daemon_state;

static daemon_state d;

/* One queued write: header and payload in one buffer. */
typedef struct write_req {
    uv_write_t req;
    conn *c;
    size_t size;
    char data[];
} write_req;

static void on_closed(uv_handle_t *h)
{
    conn *c = (conn *)h;
    hnsm__serve_session_end(d.inst, &c->session);
    hnsm__wire_reader_free(&c->reader);
    free(c);
}

static void conn_close(conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    for (conn **p = &d.conns; *p; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    uv_close((uv_handle_t *)&c->h.stream, on_closed);
}

static void on_written(uv_write_t *req, int status)
{
    write_req *w = (write_req *)req;
    conn *c = w->c;
    c->queued -= w->size;
    free(w);
    if (status < 0)
        conn_close(c);
}

/* Queues one frame to c; drops the connection when it stopped reading. */
static void conn_send(conn *c, const char *payload)
{
    if (c->closing || !payload)
        return;
    size_t n = strlen(payload);
    if (c->queued + n + 4 > MAX_QUEUED_BYTES) {
        fprintf(stderr, "hnsd: a client left %zu bytes unread; disconnecting it\n", c->queued);
        conn_close(c);
        return;
    }
    write_req *w = malloc(sizeof *w + n + 4);
    if (!w) {
        conn_close(c);
        return;
    }
    w->c = c;
    w->size = n + 4;
    hnsm__wire_header(n, (uint8_t *)w->data);
    memcpy(w->data + 4, payload, n);
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)(n + 4));
    c->queued += w->size;
    if (uv_write(&w->req, &c->h.stream, &buf, 1, on_written) != 0) {
        c->queued -= w->size;
        free(w);
        conn_close(c);
    }
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    buf->base = malloc(suggested);
    buf->len = buf->base ? suggested : 0;
}

static void on_read(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    conn *c = (conn *)stream;
    if (nread < 0) {
        free(buf->base);
        conn_close(c);
        return;
    }
    if (nread > 0 && hnsm__wire_feed(&c->reader, buf->base, (size_t)nread) != 0) {
        free(buf->base);
        conn_close(c);
        return;
    }
    free(buf->base);
    for (;;) {
        char *frame;
        size_t len;
        int got = c->closing ? 0 : hnsm__wire_next(&c->reader, &frame, &len);
        if (got < 0) {
            conn_send(c, "{\"hr\":-2147024809,\"error\":\"frame larger than the protocol limit\"}");
            conn_close(c);
            return;
        }
        if (got == 0)
            return;
        hnsm_serve_action action;
        char *reply = hnsm__serve(d.inst, &c->session, d.token[0] ? d.token : NULL, frame, len,
                                  &action);
        free(frame);
        conn_send(c, reply);
        free(reply);
        if (action == HNSM_SERVE_SUBSCRIBE)
            c->subscribed = true;
        else if (action == HNSM_SERVE_UNSUBSCRIBE)
            c->subscribed = false;
        else if (action == HNSM_SERVE_CLOSE) {
            conn_close(c);
            return;
        }
    }
}

static void accept_client(uv_stream_t *server, bool tcp)
{
    conn *c = calloc(1, sizeof *c);
    if (!c)
        return;
    int rc = tcp ? uv_tcp_init(d.loop, &c->h.tcp) : uv_pipe_init(d.loop, &c->h.pipe, 0);
    if (rc != 0) {
        free(c);
        return;
    }
    if (uv_accept(server, &c->h.stream) != 0) {
        uv_close((uv_handle_t *)&c->h.stream, on_closed);
        return;
    }
    if (tcp)
        uv_tcp_nodelay(&c->h.tcp, 1); /* replies are single small writes: send them now */
    c->session.require_token = tcp;
    c->session.authenticated = !tcp;
    c->next = d.conns;
    d.conns = c;
    uv_read_start(&c->h.stream, on_alloc, on_read);
}

static void on_unix_connection(uv_stream_t *server, int status)
{
    if (status == 0)
        accept_client(server, false);
}

static void on_tcp_connection(uv_stream_t *server, int status)
{
    if (status == 0)
        accept_client(server, true);
}

/* Runs on the instance's delivery thread: queue, then wake the loop. */
static void on_event(uint32_t type, const char *data, void *context)
{
    (void)context;
    pending_event *e = calloc(1, sizeof *e);
    if (!e)
        return;
    e->type = type;
    e->data = strdup(data ? data : "");
    pthread_mutex_lock(&d.event_lock);
    if (d.events_tail)
        d.events_tail->next = e;
    else
        d.events_head = e;
    d.events_tail = e;
    pthread_mutex_unlock(&d.event_lock);
    uv_async_send(&d.wake);
}

/* Loop thread: push queued events to subscribed connections, in order. */
static void on_wake(uv_async_t *h)
{
    (void)h;
    pthread_mutex_lock(&d.event_lock);
    pending_event *e = d.events_head;
    d.events_head = d.events_tail = NULL;
    pthread_mutex_unlock(&d.event_lock);
    while (e) {
        pending_event *next = e->next;
        char *msg = hnsm__serve_event(e->type, e->data);
        for (conn *c = d.conns, *cn; c; c = cn) {
            cn = c->next; /* conn_send may close c */
            if (c->subscribed)
                conn_send(c, msg);
        }
        free(msg);
        free(e->data);
        free(e);
        e = next;
    }
}

static void close_handle_if_open(uv_handle_t *h)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void on_signal(uv_signal_t *h, int signum)
{
    (void)h;
    if (signum)
        fprintf(stderr, "hnsd: signal %d, stopping\n", signum);
    /* No more events may reach the wake handle once it is closing. */
    if (d.subscription) {
        hnsm_unsubscribe(d.subscription);
        d.subscription = NULL;
    }
    if (d.socket_path[0])
        unlink(d.socket_path);
    if (d.have_unix)
        close_handle_if_open((uv_handle_t *)&d.unix_server);
    if (d.have_tcp)
        close_handle_if_open((uv_handle_t *)&d.tcp_server);
    while (d.conns)
        conn_close(d.conns);
    if (d.have_signals) {
        close_handle_if_open((uv_handle_t *)&d.sigterm);
        close_handle_if_open((uv_handle_t *)&d.sigint);
    }
    if (d.have_wake)
        close_handle_if_open((uv_handle_t *)&d.wake);
}

/* The default socket: $XDG_RUNTIME_DIR/hnsim/hnsd.sock or /tmp/hnsim-UID/hnsd.sock. */
static int default_socket_path(char *out, size_t size)
{
    char dir[900];
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    if (runtime && *runtime)
        snprintf(dir, sizeof dir, "%s/hnsim", runtime);
    else
        snprintf(dir, sizeof dir, "/tmp/hnsim-%lu", (unsigned long)getuid());
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return -1;
    snprintf(out, size, "%s/hnsd.sock", dir);
    return 0;
}

/* Writes a fresh random token (hex) to path, readable only by the owner. */
static int write_token(const char *path)
{
    unsigned char raw[32];
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, raw, sizeof raw) != (ssize_t)sizeof raw) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(d.token + 2 * i, 3, "%02x", raw[i]);
    unlink(path);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return -1;
    size_t n = strlen(d.token);
    bool ok = write(fd, d.token, n) == (ssize_t)n && write(fd, "\n", 1) == 1;
    return close(fd) == 0 && ok ? 0 : -1;
}

/* Binds the Unix socket under a temporary name, listens, sets its mode, then
 * renames it into place so that it exists only once it accepts. */
static int listen_unix(const options *o)
{
    if (o->socket_path)
        snprintf(d.socket_path, sizeof d.socket_path, "%s", o->socket_path);
    else if (default_socket_path(d.socket_path, sizeof d.socket_path) != 0)
        return -1;
    char temp[1100];
    snprintf(temp, sizeof temp, "%s.%lu.tmp", d.socket_path, (unsigned long)getpid());
    unlink(temp);
    int rc = uv_pipe_init(d.loop, &d.unix_server, 0);
    d.have_unix = rc == 0;
    if (rc != 0 || (rc = uv_pipe_bind(&d.unix_server, temp)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&d.unix_server, 128, on_unix_connection)) != 0) {
        fprintf(stderr, "hnsd: cannot listen on %s: %s\n", temp, uv_strerror(rc));
        return -1;
    }
    mode_t mode = 0600;
    if (o->group) {
        struct group *g = getgrnam(o->group);
        if (!g || chown(temp, (uid_t)-1, g->gr_gid) != 0) {
            fprintf(stderr, "hnsd: cannot give the socket to group %s\n", o->group);
            return -1;
        }
        mode = 0660;
    }
    if (chmod(temp, mode) != 0 || rename(temp, d.socket_path) != 0) {
        fprintf(stderr, "hnsd: cannot place the socket at %s: %s\n", d.socket_path,
                strerror(errno));
        unlink(temp);
        return -1;
    }
    return 0;
}

/* Listens on a loopback TCP address only. */
static int listen_tcp(const options *o)
{
    char host[64];
    const char *colon = strrchr(o->tcp, ':');
    if (!colon || (size_t)(colon - o->tcp) >= sizeof host) {
        fprintf(stderr, "hnsd: --tcp wants 127.0.0.1:PORT\n");
        return -1;
    }
    memcpy(host, o->tcp, (size_t)(colon - o->tcp));
    host[colon - o->tcp] = '\0';
    int port = atoi(colon + 1);
    struct sockaddr_in addr;
    if (uv_ip4_addr(host, port, &addr) != 0 || (ntohl(addr.sin_addr.s_addr) >> 24) != 127 ||
        port <= 0 || port > 65535) {
        fprintf(stderr, "hnsd: --tcp must be a loopback address (127.x.x.x:PORT), not %s\n",
                o->tcp);
        return -1;
    }
    if (!o->token_file) {
        fprintf(stderr, "hnsd: --tcp needs --token-file\n");
        return -1;
    }
    if (write_token(o->token_file) != 0) {
        fprintf(stderr, "hnsd: cannot write the token file %s\n", o->token_file);
        return -1;
    }
    int rc = uv_tcp_init(d.loop, &d.tcp_server);
    d.have_tcp = rc == 0;
    if (rc != 0 || (rc = uv_tcp_bind(&d.tcp_server, (const struct sockaddr *)&addr, 0)) != 0 ||
        (rc = uv_listen((uv_stream_t *)&d.tcp_server, 128, on_tcp_connection)) != 0) {
        fprintf(stderr, "hnsd: cannot listen on %s: %s\n", o->tcp, uv_strerror(rc));
        return -1;
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: hnsd --store FILE [--socket PATH] [--tcp 127.0.0.1:PORT --token-file F]\n"
            "            [--profile P] [--seed N] [--group NAME] [--ready-fd N] [--pid-file F]\n");
}

static int parse_options(int argc, char **argv, options *o)
{
    memset(o, 0, sizeof *o);
    o->ready_fd = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            usage();
            return -1;
        }
        if (strcmp(a, "--store") == 0)
            o->store = v;
        else if (strcmp(a, "--socket") == 0)
            o->socket_path = v;
        else if (strcmp(a, "--tcp") == 0)
            o->tcp = v;
        else if (strcmp(a, "--token-file") == 0)
            o->token_file = v;
        else if (strcmp(a, "--profile") == 0)
            o->profile = v;
        else if (strcmp(a, "--group") == 0)
            o->group = v;
        else if (strcmp(a, "--pid-file") == 0)
            o->pid_file = v;
        else if (strcmp(a, "--seed") == 0)
            o->seed = strtoull(v, NULL, 0), o->seed_set = true;
        else if (strcmp(a, "--ready-fd") == 0)
            o->ready_fd = atoi(v);
        else {
            usage();
            return -1;
        }
        i++;
    }
    if (!o->store) {
        usage();
        return -1;
    }
    return 0;
}

/* Tells whoever waits that calls are accepted now. */
static void announce_ready(const options *o)
{
    if (o->pid_file) {
        FILE *f = fopen(o->pid_file, "w");
        if (f) {
            fprintf(f, "%lu\n", (unsigned long)getpid());
            fclose(f);
        }
    }
    if (o->ready_fd >= 0) {
        const char line[] = "READY=1\n";
        if (write(o->ready_fd, line, sizeof line - 1) < 0)
            fprintf(stderr, "hnsd: cannot write to --ready-fd %d\n", o->ready_fd);
        close(o->ready_fd);
    }
}

int hnsd_main(int argc, char **argv)
{
    options o;
    if (parse_options(argc, argv, &o) != 0)
        return 2;
    memset(&d, 0, sizeof d);
    pthread_mutex_init(&d.event_lock, NULL);
    d.loop = uv_default_loop();
    hnsm_config config = {.store = o.store, .profile = o.profile, .seed = o.seed,
                          .seed_set = o.seed_set};
    int err = hnsm_open(&config, &d.inst);
    if (err) {
        fprintf(stderr, "hnsd: cannot open store %s: %s\n", o.store, hnsm_strerror(err));
        return 1;
    }
    int status = 1;
    d.have_wake = uv_async_init(d.loop, &d.wake, on_wake) == 0;
    if (!d.have_wake || hnsm_subscribe(d.inst, on_event, NULL, &d.subscription) != 0)
        goto out;
    uv_signal_init(d.loop, &d.sigterm);
    uv_signal_init(d.loop, &d.sigint);
    d.have_signals = true;
    uv_signal_start(&d.sigterm, on_signal, SIGTERM);
    uv_signal_start(&d.sigint, on_signal, SIGINT);
    if (o.tcp && listen_tcp(&o) != 0)
        goto out;
    if (listen_unix(&o) != 0)
        goto out;
    fprintf(stderr, "hnsd: serving %s (profile %s) on %s%s%s\n", o.store,
            hnsm_profile_name(d.inst), d.socket_path, o.tcp ? " and " : "", o.tcp ? o.tcp : "");
    announce_ready(&o);
    uv_run(d.loop, UV_RUN_DEFAULT);
    status = 0;
out:
    if (d.subscription) {
        hnsm_unsubscribe(d.subscription);
        d.subscription = NULL;
    }
    if (status != 0) {
        /* Startup failed: close what was opened and let the loop finish it
         * (on_signal with signal 0 is that clean-up). */
        on_signal(&d.sigterm, 0);
        uv_run(d.loop, UV_RUN_DEFAULT);
    }
    uv_loop_close(d.loop);
    for (pending_event *e = d.events_head, *n; e; e = n) {
        n = e->next;
        free(e->data);
        free(e);
    }
    hnsm_close(d.inst);
    if (o.token_file && d.have_tcp)
        unlink(o.token_file);
    return status;
}
