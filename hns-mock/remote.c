/*
 * remote.c - the client transport to hnsd (docs/hnsd-protocol.md).
 *
 * Blocking POSIX sockets: the request connection is opened on first use,
 * guarded by a mutex (one request in flight per process, replies in order),
 * and reopened once if the daemon went away and came back. Writes never
 * raise SIGPIPE in the caller's process.
 */
#include "remote.h"

#include "instance.h"

#include "hresult.h"
#include "jsonx.h"
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0 /* macOS: SO_NOSIGPIPE is set on the socket instead */
#endif

static pthread_mutex_t remote_lock = PTHREAD_MUTEX_INITIALIZER;
static int remote_fd = -1;
static pid_t remote_owner; /* the process that opened remote_fd */
static double next_request_id = 1;

bool hnsm__remote_enabled(void)
{
    const char *where = getenv("HNSIM_HNSD");
    return where && *where && !hnsm__thread_has_instance();
}

/* Reads the token for TCP connections into buf ("" when none is configured). */
static void read_token(char *buf, size_t size)
{
    buf[0] = '\0';
    const char *token = getenv("HNSIM_HNSD_TOKEN");
    if (token && *token) {
        snprintf(buf, size, "%s", token);
        return;
    }
    const char *file = getenv("HNSIM_HNSD_TOKEN_FILE");
    FILE *f = file && *file ? fopen(file, "r") : NULL;
    if (!f)
        return;
    if (!fgets(buf, (int)size, f))
        buf[0] = '\0';
    fclose(f);
    buf[strcspn(buf, "\r\n")] = '\0';
}

static int send_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int recv_all(int fd, void *data, size_t n)
{
    char *p = data;
    while (n) {
        ssize_t k = recv(fd, p, n, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Sends header and payload in one write: two small writes would meet Nagle's
 * algorithm and the peer's delayed ACK on TCP (a 40 ms stall per call). */
static int send_frame(int fd, const char *json)
{
    size_t n = strlen(json);
    uint8_t *frame = malloc(n + 4);
    if (!frame)
        return -1;
    hnsm__wire_header(n, frame);
    memcpy(frame + 4, json, n);
    int rc = send_all(fd, frame, n + 4);
    free(frame);
    return rc;
}

/* Reads one frame; returns the parsed object or NULL on a broken stream. */
static cJSON *recv_frame(int fd)
{
    uint8_t header[4];
    if (recv_all(fd, header, 4) != 0)
        return NULL;
    size_t n = ((size_t)header[0] << 24) | ((size_t)header[1] << 16) | ((size_t)header[2] << 8) |
               header[3];
    if (n > HNSM_WIRE_MAX_FRAME)
        return NULL;
    char *text = malloc(n + 1);
    if (!text || recv_all(fd, text, n) != 0) {
        free(text);
        return NULL;
    }
    text[n] = '\0';
    cJSON *obj = cJSON_Parse(text);
    free(text);
    return obj;
}

/* Opens a connection and says hello; returns the fd or -1. */
static int connect_daemon(void)
{
    const char *where = getenv("HNSIM_HNSD");
    if (!where || !*where)
        return -1;
    int fd = -1;
    if (strncmp(where, "tcp:", 4) == 0) {
        char host[64];
        const char *addr = where + 4, *colon = strrchr(addr, ':');
        if (!colon || (size_t)(colon - addr) >= sizeof host)
            return -1;
        memcpy(host, addr, (size_t)(colon - addr));
        host[colon - addr] = '\0';
        struct sockaddr_in sin = {0};
        sin.sin_family = AF_INET;
        sin.sin_port = htons((uint16_t)atoi(colon + 1));
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
            return -1;
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
            close(fd);
            fd = -1;
        }
        int one = 1;
        if (fd >= 0)
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    } else {
        const char *path = strncmp(where, "unix:", 5) == 0 ? where + 5 : where;
        struct sockaddr_un sun = {0};
        sun.sun_family = AF_UNIX;
        if (strlen(path) >= sizeof sun.sun_path)
            return -1;
        strcpy(sun.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
            close(fd);
            fd = -1;
        }
    }
    if (fd < 0)
        return -1;
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
    char token[256], hello[512];
    read_token(token, sizeof token);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddNumberToObject(msg, "v", HNSM_WIRE_VERSION);
    cJSON_AddNumberToObject(msg, "id", 0);
    cJSON_AddStringToObject(msg, "op", "hello");
    cJSON_AddStringToObject(msg, "client", "libhnsmock");
    if (token[0])
        cJSON_AddStringToObject(msg, "token", token);
    bool ok = cJSON_PrintPreallocated(msg, hello, sizeof hello, 0);
    cJSON_Delete(msg);
    cJSON *reply = ok && send_frame(fd, hello) == 0 ? recv_frame(fd) : NULL;
    const cJSON *hr = cJSON_GetObjectItemCaseSensitive(reply, "hr");
    ok = cJSON_IsNumber(hr) && hr->valuedouble == 0;
    cJSON_Delete(reply);
    if (!ok) {
        fprintf(stderr, "hnsmock: hnsd at %s refused the connection\n", where);
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends request (consumed) and returns the reply, reconnecting once. */
static cJSON *round_trip(cJSON *request)
{
    pthread_mutex_lock(&remote_lock);
    cJSON_AddNumberToObject(request, "id", next_request_id++);
    char *text = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    cJSON *reply = NULL;
    if (remote_fd >= 0 && remote_owner != getpid()) {
        /* A forked child must not share its parent's request stream. */
        close(remote_fd);
        remote_fd = -1;
    }
    for (int attempt = 0; text && attempt < 2 && !reply; attempt++) {
        if (remote_fd < 0) {
            remote_fd = connect_daemon();
            remote_owner = getpid();
        }
        if (remote_fd < 0)
            break;
        if (send_frame(remote_fd, text) == 0)
            reply = recv_frame(remote_fd);
        if (!reply) {
            close(remote_fd);
            remote_fd = -1;
        }
    }
    pthread_mutex_unlock(&remote_lock);
    free(text);
    return reply;
}

static cJSON *new_request(const char *op)
{
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "v", HNSM_WIRE_VERSION);
    cJSON_AddStringToObject(r, "op", op);
    return r;
}

static char *dup_field(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

/* The HRESULT of a reply, or the not-running code when there is none. */
static HRESULT reply_hr(const cJSON *reply)
{
    const cJSON *hr = cJSON_GetObjectItemCaseSensitive(reply, "hr");
    if (!cJSON_IsNumber(hr))
        return hnsm__detail(HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE, "hnsd is not reachable");
    return (HRESULT)(int64_t)hr->valuedouble;
}

HRESULT hnsm__remote_call(hnsm_kind kind, hnsm_op op, const char *id, const char *parent,
                          const char *json, char **result, char **error_record)
{
    static const char *const kinds[HNSM_KIND_COUNT] = {
        "network", "endpoint", "namespace", "loadbalancer", "sdnroute", "guestnetworkservice"};
    static const char *const ops[HNSM_OP_COUNT] = {"enumerate", "create", "open", "modify",
                                                   "query", "delete", "stats", "addresses"};
    if (result)
        *result = NULL;
    if (error_record)
        *error_record = NULL;
    if ((int)kind < 0 || kind >= HNSM_KIND_COUNT || (int)op < 0 || op >= HNSM_OP_COUNT)
        return HNSM_E_INVALIDARG;
    cJSON *req = new_request("call");
    cJSON_AddStringToObject(req, "kind", kinds[kind]);
    cJSON_AddStringToObject(req, "call", ops[op]);
    if (id)
        cJSON_AddStringToObject(req, "object", id);
    if (parent)
        cJSON_AddStringToObject(req, "parent", parent);
    if (json)
        cJSON_AddStringToObject(req, "json", json);
    cJSON *reply = round_trip(req);
    HRESULT hr = reply_hr(reply);
    if (result)
        *result = dup_field(reply, "result");
    if (error_record) {
        *error_record = dup_field(reply, "error");
        if (FAILED(hr) && !*error_record)
            *error_record = hnsm__error_record(hr);
    }
    cJSON_Delete(reply);
    return hr;
}

HRESULT hnsm__remote_hnscall(const char *method, const char *path, const char *request,
                             char **response)
{
    *response = NULL;
    cJSON *req = new_request("hnscall");
    cJSON_AddStringToObject(req, "method", method);
    cJSON_AddStringToObject(req, "path", path);
    cJSON_AddStringToObject(req, "body", request ? request : "");
    cJSON *reply = round_trip(req);
    HRESULT hr = reply_hr(reply);
    *response = dup_field(reply, "response");
    cJSON_Delete(reply);
    return hr;
}

/* Sends a reservation request; returns its HRESULT and the reply in *out. */
static HRESULT reservation_request(cJSON *req, cJSON **out)
{
    cJSON *reply = round_trip(req);
    HRESULT hr = reply_hr(reply);
    *out = reply;
    return hr;
}

static cJSON *new_reservation(const char *action)
{
    cJSON *r = new_request("reservation");
    cJSON_AddStringToObject(r, "action", action);
    return r;
}

static double reply_number(const cJSON *reply, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(reply, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

HRESULT hnsm__remote_reserve_port(const char *gns_id, int protocol, int access, unsigned port,
                                  int64_t *number)
{
    cJSON *req = new_reservation("port"), *reply;
    cJSON_AddStringToObject(req, "gns", gns_id);
    cJSON_AddNumberToObject(req, "protocol", protocol);
    cJSON_AddNumberToObject(req, "access", access);
    cJSON_AddNumberToObject(req, "port", port);
    HRESULT hr = reservation_request(req, &reply);
    *number = (int64_t)reply_number(reply, "number");
    cJSON_Delete(reply);
    return hr;
}

HRESULT hnsm__remote_reserve_range(const char *gns_id, unsigned count, uint16_t *start,
                                   uint16_t *end, int64_t *number)
{
    cJSON *req = new_reservation("range"), *reply;
    cJSON_AddStringToObject(req, "gns", gns_id);
    cJSON_AddNumberToObject(req, "count", count);
    HRESULT hr = reservation_request(req, &reply);
    *start = (uint16_t)reply_number(reply, "start");
    *end = (uint16_t)reply_number(reply, "end");
    *number = (int64_t)reply_number(reply, "number");
    cJSON_Delete(reply);
    return hr;
}

HRESULT hnsm__remote_release_reservation(int64_t number)
{
    cJSON *req = new_reservation("release"), *reply;
    cJSON_AddNumberToObject(req, "number", (double)number);
    HRESULT hr = reservation_request(req, &reply);
    cJSON_Delete(reply);
    return hr;
}

HRESULT hnsm__remote_list_reservations(hnsm_port_reservation **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    cJSON *reply;
    HRESULT hr = reservation_request(new_reservation("list"), &reply);
    const cJSON *entries = cJSON_GetObjectItemCaseSensitive(reply, "entries");
    int n = SUCCEEDED(hr) ? cJSON_GetArraySize(entries) : 0;
    if (n > 0) {
        hnsm_port_reservation *list = calloc((size_t)n, sizeof *list);
        if (!list) {
            cJSON_Delete(reply);
            return HNSM_E_OUTOFMEMORY;
        }
        int i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, entries)
        {
            const cJSON *gns = cJSON_GetObjectItemCaseSensitive(e, "gns");
            const cJSON *vm = cJSON_GetObjectItemCaseSensitive(e, "vm");
            list[i].number = (int64_t)reply_number(e, "number");
            snprintf(list[i].gns_id, sizeof list[i].gns_id, "%s",
                     cJSON_IsString(gns) ? gns->valuestring : "");
            snprintf(list[i].vm_id, sizeof list[i].vm_id, "%s",
                     cJSON_IsString(vm) ? vm->valuestring : "");
            list[i].protocol = (int)reply_number(e, "protocol");
            list[i].access = (int)reply_number(e, "access");
            list[i].start_port = (uint16_t)reply_number(e, "start");
            list[i].end_port = (uint16_t)reply_number(e, "end");
            i++;
        }
        *out = list;
        *count = (size_t)n;
    }
    cJSON_Delete(reply);
    return hr;
}

struct hnsm_remote_subscription {
    int fd;
    pthread_t thread;
    hnsm_event_fn fn;
    void *context;
};

/* The delivery thread: reads events in order and calls fn. */
static void *subscription_thread(void *arg)
{
    hnsm_remote_subscription *s = arg;
    for (;;) {
        cJSON *msg = recv_frame(s->fd);
        if (!msg)
            break;
        const cJSON *event = cJSON_GetObjectItemCaseSensitive(msg, "event");
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(event, "type");
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(event, "data");
        if (cJSON_IsNumber(type))
            s->fn((uint32_t)type->valuedouble, cJSON_IsString(data) ? data->valuestring : "",
                  s->context);
        cJSON_Delete(msg);
    }
    return NULL;
}

int hnsm__remote_subscribe(hnsm_event_fn fn, void *context, hnsm_remote_subscription **out)
{
    *out = NULL;
    hnsm_remote_subscription *s = calloc(1, sizeof *s);
    if (!s)
        return HNSM_ENOMEM;
    s->fn = fn;
    s->context = context;
    s->fd = connect_daemon();
    cJSON *reply = NULL;
    if (s->fd >= 0) {
        if (send_frame(s->fd, "{\"v\":1,\"id\":1,\"op\":\"subscribe\"}") == 0)
            reply = recv_frame(s->fd);
    }
    bool ok = reply && reply_hr(reply) == S_OK;
    cJSON_Delete(reply);
    if (!ok || pthread_create(&s->thread, NULL, subscription_thread, s) != 0) {
        if (s->fd >= 0)
            close(s->fd);
        free(s);
        return HNSM_ESTORE;
    }
    *out = s;
    return 0;
}

void hnsm__remote_unsubscribe(hnsm_remote_subscription *s)
{
    if (!s)
        return;
    shutdown(s->fd, SHUT_RDWR); /* wakes the reader */
    if (pthread_equal(pthread_self(), s->thread)) {
        /* Called from its own callback: the thread ends when the callback returns. */
        pthread_detach(s->thread);
        return; /* the descriptor and s are left to the process (a rare, bounded leak) */
    }
    pthread_join(s->thread, NULL);
    close(s->fd);
    free(s);
}
