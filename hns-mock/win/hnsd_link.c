/*
 * hnsd_link.c - Winsock client of the hnsd protocol (see hnsd_link.h).
 *
 * Mirrors hns-mock/remote.c: blocking sockets, one request connection per
 * process behind a lock, a request id per call, frames of a 4-byte
 * big-endian length and UTF-8 JSON written in one send (two small writes
 * would meet Nagle and delayed ACK), replies read with exact-size receives.
 * JSON is written and read with wirejson.h, since mingw has no cJSON.
 */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>

#include "hnsd_link.h"

#include "hresult.h"
#include "wire.h"
#include "wirejson.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* ---- configuration ---------------------------------------------------------- */

#define SETTING_MAX 1024

typedef struct link_config {
    char address[SETTING_MAX];    /* HNSIM_HNSD */
    char token[SETTING_MAX];      /* HNSIM_HNSD_TOKEN */
    char token_file[SETTING_MAX]; /* HNSIM_HNSD_TOKEN_FILE */
} link_config;

/* Reads environment variable name as UTF-8 into out; false when unset or empty. */
static bool env_setting(const wchar_t *name, char out[SETTING_MAX])
{
    wchar_t wide[SETTING_MAX];
    DWORD n = GetEnvironmentVariableW(name, wide, SETTING_MAX);
    if (n == 0 || n >= SETTING_MAX)
        return false;
    return WideCharToMultiByte(CP_UTF8, 0, wide, -1, out, SETTING_MAX, NULL, NULL) > 1;
}

/* Opens a file named by a UTF-8 path; a Unix path goes through drive Z:. */
static FILE *open_utf8_path(const char *path)
{
    char full[SETTING_MAX + 2];
    snprintf(full, sizeof full, "%s%s", path[0] == '/' ? "Z:" : "", path);
    wchar_t wide[SETTING_MAX + 2];
    if (!MultiByteToWideChar(CP_UTF8, 0, full, -1, wide, SETTING_MAX + 2))
        return NULL;
    return _wfopen(wide, L"rb");
}

/* Removes trailing white space (and the line end) in place. */
static void trim_end(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\r' || s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
}

/* Fills unset settings from hnsim.conf beside this DLL. */
static void file_settings(link_config *c)
{
    HMODULE self = NULL;
    if (!GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
                                GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT,
                            (LPCWSTR)(void *)file_settings, &self))
        return;
    wchar_t path[MAX_PATH + 16];
    DWORD n = GetModuleFileNameW(self, path, MAX_PATH);
    if (n == 0 || n >= MAX_PATH)
        return;
    wchar_t *slash = wcsrchr(path, L'\\');
    if (!slash)
        return;
    wcscpy(slash + 1, L"hnsim.conf");
    FILE *f = _wfopen(path, L"rb");
    if (!f)
        return;
    char line[SETTING_MAX + 64];
    while (fgets(line, sizeof line, f)) {
        trim_end(line);
        char *eq = strchr(line, '=');
        if (line[0] == '#' || !eq)
            continue;
        *eq = '\0';
        const char *value = eq + 1;
        char *slot = strcmp(line, "HNSIM_HNSD") == 0              ? c->address
                     : strcmp(line, "HNSIM_HNSD_TOKEN") == 0      ? c->token
                     : strcmp(line, "HNSIM_HNSD_TOKEN_FILE") == 0 ? c->token_file
                                                                   : NULL;
        if (slot && !slot[0])
            snprintf(slot, SETTING_MAX, "%s", value);
    }
    fclose(f);
}

/* The settings in force now: the environment, then hnsim.conf. */
static void read_config(link_config *c)
{
    memset(c, 0, sizeof *c);
    env_setting(L"HNSIM_HNSD", c->address);
    env_setting(L"HNSIM_HNSD_TOKEN", c->token);
    env_setting(L"HNSIM_HNSD_TOKEN_FILE", c->token_file);
    file_settings(c);
    if (!c->token[0] && c->token_file[0]) {
        FILE *f = open_utf8_path(c->token_file);
        if (f) {
            if (!fgets(c->token, sizeof c->token, f))
                c->token[0] = '\0';
            fclose(f);
            trim_end(c->token);
        }
    }
}

/* Says once per process why hnsd cannot be used: a CNI plugin's stderr is the
 * only place such a problem shows. */
static void complain(const char *format, const char *detail)
{
    static LONG said;
    if (InterlockedExchange(&said, 1))
        return;
    fprintf(stderr, "hnsim DLL: ");
    fprintf(stderr, format, detail);
    fprintf(stderr, "\n");
}

/* ---- frames ----------------------------------------------------------------- */

static INIT_ONCE winsock_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK start_winsock(PINIT_ONCE once, PVOID parameter, PVOID *context)
{
    (void)once;
    (void)parameter;
    (void)context;
    WSADATA data;
    return WSAStartup(MAKEWORD(2, 2), &data) == 0;
}

static int send_all(SOCKET s, const char *data, size_t n)
{
    while (n) {
        int chunk = n > 0x40000000u ? 0x40000000 : (int)n;
        int k = send(s, data, chunk, 0);
        if (k <= 0)
            return -1;
        data += k;
        n -= (size_t)k;
    }
    return 0;
}

static int recv_all(SOCKET s, char *data, size_t n)
{
    while (n) {
        int chunk = n > 0x40000000u ? 0x40000000 : (int)n;
        int k = recv(s, data, chunk, 0);
        if (k <= 0)
            return -1;
        data += k;
        n -= (size_t)k;
    }
    return 0;
}

static int send_frame(SOCKET s, const char *json)
{
    size_t n = strlen(json);
    char *frame = malloc(n + 4);
    if (!frame)
        return -1;
    hnsm__wire_header(n, (uint8_t *)frame);
    memcpy(frame + 4, json, n);
    int rc = send_all(s, frame, n + 4);
    free(frame);
    return rc;
}

/* A received frame: its text and the validated object. */
typedef struct frame {
    char *text;
    wj_value root;
} frame;

/* Reads one frame that must be a JSON object; false on a broken stream. */
static bool recv_frame(SOCKET s, frame *out)
{
    memset(out, 0, sizeof *out);
    uint8_t header[4];
    if (recv_all(s, (char *)header, 4) != 0)
        return false;
    size_t n = ((size_t)header[0] << 24) | ((size_t)header[1] << 16) | ((size_t)header[2] << 8) |
               header[3];
    if (n > HNSM_WIRE_MAX_FRAME)
        return false;
    char *text = malloc(n + 1);
    if (!text || recv_all(s, text, n) != 0) {
        free(text);
        return false;
    }
    text[n] = '\0';
    if (!wj_parse(text, n, &out->root) || out->root.type != WJ_OBJECT) {
        free(text);
        return false;
    }
    out->text = text;
    return true;
}

static void frame_free(frame *f)
{
    free(f->text);
    memset(f, 0, sizeof *f);
}

/* The string member key of f, malloc'd, or NULL. */
static char *frame_string(const wj_value *object, const char *key)
{
    wj_value v;
    return wj_member(object, key, &v) ? wj_string(&v, NULL) : NULL;
}

static int64_t frame_int(const wj_value *object, const char *key)
{
    wj_value v;
    int64_t n = 0;
    if (wj_member(object, key, &v))
        wj_int(&v, &n);
    return n;
}

/* ---- connections -------------------------------------------------------------- */

/* Opens a connection to hnsd and says hello; INVALID_SOCKET on failure. */
static SOCKET connect_daemon(void)
{
    if (!InitOnceExecuteOnce(&winsock_once, start_winsock, NULL, NULL))
        return INVALID_SOCKET;
    link_config c;
    read_config(&c);
    if (!c.address[0]) {
        complain("%s", "HNSIM_HNSD is not set (environment or hnsim.conf beside the DLL)");
        return INVALID_SOCKET;
    }
    if (strncmp(c.address, "tcp:", 4) != 0) {
        complain("HNSIM_HNSD=%s: under Wine hnsd is reached over TCP only (tcp:127.0.0.1:PORT)",
                 c.address);
        return INVALID_SOCKET;
    }
    char host[64];
    const char *addr = c.address + 4, *colon = strrchr(addr, ':');
    if (!colon || (size_t)(colon - addr) >= sizeof host) {
        complain("HNSIM_HNSD=%s is not tcp:HOST:PORT", c.address);
        return INVALID_SOCKET;
    }
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons((u_short)atoi(colon + 1));
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
        complain("HNSIM_HNSD=%s: the host must be an IPv4 address", c.address);
        return INVALID_SOCKET;
    }
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return INVALID_SOCKET;
    if (connect(s, (struct sockaddr *)&sin, sizeof sin) != 0) {
        complain("cannot connect to hnsd at %s", c.address);
        closesocket(s);
        return INVALID_SOCKET;
    }
    BOOL one = TRUE;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, (const char *)&one, sizeof one);
    wj_buf hello = {0};
    wj_append(&hello, "{\"v\":1,\"id\":0,\"op\":\"hello\"");
    wj_append_member_string(&hello, "client", "hnsim-win-dll");
    if (c.token[0])
        wj_append_member_string(&hello, "token", c.token);
    wj_append(&hello, "}");
    char *text = wj_buf_take(&hello);
    frame reply = {0};
    bool ok = text && send_frame(s, text) == 0 && recv_frame(s, &reply) &&
              frame_int(&reply.root, "hr") == 0;
    free(text);
    frame_free(&reply);
    if (!ok) {
        complain("hnsd at %s refused the connection (is the token right?)", c.address);
        closesocket(s);
        return INVALID_SOCKET;
    }
    return s;
}

static SRWLOCK request_lock = SRWLOCK_INIT;
static SOCKET request_socket = INVALID_SOCKET;
static long long next_request_id = 1;

/* Sends {"v":1,"id":N,<fields>} and reads the reply, reconnecting once.
 * Takes ownership of fields' text. False when hnsd could not be reached. */
static bool round_trip(wj_buf *fields, frame *reply)
{
    memset(reply, 0, sizeof *reply);
    AcquireSRWLockExclusive(&request_lock);
    wj_buf request = {0};
    wj_append(&request, "{\"v\":1");
    wj_append_member_int(&request, "id", next_request_id++);
    wj_append(&request, ",");
    wj_append(&request, fields->data ? fields->data : "");
    wj_append(&request, "}");
    wj_buf_free(fields);
    char *text = wj_buf_take(&request);
    bool ok = false;
    for (int attempt = 0; text && attempt < 2 && !ok; attempt++) {
        if (request_socket == INVALID_SOCKET)
            request_socket = connect_daemon();
        if (request_socket == INVALID_SOCKET)
            break;
        ok = send_frame(request_socket, text) == 0 && recv_frame(request_socket, reply);
        if (!ok) {
            closesocket(request_socket);
            request_socket = INVALID_SOCKET;
        }
    }
    ReleaseSRWLockExclusive(&request_lock);
    free(text);
    return ok;
}

/* The HRESULT of a reply; the not-active code when there was none. */
static HRESULT reply_hr(bool reached, const frame *reply)
{
    wj_value v;
    int64_t hr;
    if (!reached || !wj_member(&reply->root, "hr", &v) || !wj_int(&v, &hr))
        return HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE;
    return (HRESULT)(int32_t)hr;
}

/* ---- requests ----------------------------------------------------------------- */

HRESULT hnsd_link_call(const char *kind, const char *call, const char *object,
                       const char *parent, const char *json, char **result, char **error_record)
{
    if (result)
        *result = NULL;
    if (error_record)
        *error_record = NULL;
    wj_buf fields = {0};
    wj_append(&fields, "\"op\":\"call\"");
    wj_append_member_string(&fields, "kind", kind);
    wj_append_member_string(&fields, "call", call);
    if (object)
        wj_append_member_string(&fields, "object", object);
    if (parent)
        wj_append_member_string(&fields, "parent", parent);
    if (json)
        wj_append_member_string(&fields, "json", json);
    if (fields.failed) {
        wj_buf_free(&fields);
        return HNSM_E_OUTOFMEMORY;
    }
    frame reply;
    bool reached = round_trip(&fields, &reply);
    HRESULT hr = reply_hr(reached, &reply);
    if (result && reached)
        *result = frame_string(&reply.root, "result");
    if (error_record && FAILED(hr)) {
        *error_record = reached ? frame_string(&reply.root, "error") : NULL;
        if (!*error_record)
            *error_record = hnsm__error_record(hr);
    }
    frame_free(&reply);
    return hr;
}

HRESULT hnsd_link_hnscall(const char *method, const char *path, const char *body,
                          char **response)
{
    *response = NULL;
    wj_buf fields = {0};
    wj_append(&fields, "\"op\":\"hnscall\"");
    wj_append_member_string(&fields, "method", method);
    wj_append_member_string(&fields, "path", path);
    wj_append_member_string(&fields, "body", body ? body : "");
    if (fields.failed) {
        wj_buf_free(&fields);
        return HNSM_E_OUTOFMEMORY;
    }
    frame reply;
    bool reached = round_trip(&fields, &reply);
    HRESULT hr = reply_hr(reached, &reply);
    if (reached)
        *response = frame_string(&reply.root, "response");
    frame_free(&reply);
    return hr;
}

/* Sends a reservation request; returns its HRESULT and the reply. */
static HRESULT reservation(wj_buf *fields, frame *reply)
{
    bool reached = round_trip(fields, reply);
    return reply_hr(reached, reply);
}

static void reservation_fields(wj_buf *fields, const char *action)
{
    wj_append(fields, "\"op\":\"reservation\"");
    wj_append_member_string(fields, "action", action);
}

HRESULT hnsd_link_reserve_port(const char *gns_id, int protocol, int access, unsigned port,
                               int64_t *number)
{
    wj_buf fields = {0};
    reservation_fields(&fields, "port");
    wj_append_member_string(&fields, "gns", gns_id);
    wj_append_member_int(&fields, "protocol", protocol);
    wj_append_member_int(&fields, "access", access);
    wj_append_member_int(&fields, "port", port);
    frame reply;
    HRESULT hr = reservation(&fields, &reply);
    *number = frame_int(&reply.root, "number");
    frame_free(&reply);
    return hr;
}

HRESULT hnsd_link_reserve_range(const char *gns_id, unsigned count, uint16_t *start,
                                uint16_t *end, int64_t *number)
{
    wj_buf fields = {0};
    reservation_fields(&fields, "range");
    wj_append_member_string(&fields, "gns", gns_id);
    wj_append_member_int(&fields, "count", count);
    frame reply;
    HRESULT hr = reservation(&fields, &reply);
    *start = (uint16_t)frame_int(&reply.root, "start");
    *end = (uint16_t)frame_int(&reply.root, "end");
    *number = frame_int(&reply.root, "number");
    frame_free(&reply);
    return hr;
}

HRESULT hnsd_link_release_reservation(int64_t number)
{
    wj_buf fields = {0};
    reservation_fields(&fields, "release");
    wj_append_member_int(&fields, "number", (long long)number);
    frame reply;
    HRESULT hr = reservation(&fields, &reply);
    frame_free(&reply);
    return hr;
}

HRESULT hnsd_link_list_reservations(hnsd_link_reservation **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    wj_buf fields = {0};
    reservation_fields(&fields, "list");
    frame reply;
    HRESULT hr = reservation(&fields, &reply);
    wj_value entries, entry;
    size_t n = 0, cursor = 0;
    if (SUCCEEDED(hr) && wj_member(&reply.root, "entries", &entries))
        while (wj_next(&entries, &cursor, &entry))
            n++;
    if (n) {
        hnsd_link_reservation *list = calloc(n, sizeof *list);
        if (!list) {
            frame_free(&reply);
            return HNSM_E_OUTOFMEMORY;
        }
        cursor = 0;
        for (size_t i = 0; i < n && wj_next(&entries, &cursor, &entry); i++) {
            char *gns = frame_string(&entry, "gns"), *vm = frame_string(&entry, "vm");
            snprintf(list[i].gns_id, sizeof list[i].gns_id, "%s", gns ? gns : "");
            snprintf(list[i].vm_id, sizeof list[i].vm_id, "%s", vm ? vm : "");
            free(gns);
            free(vm);
            list[i].protocol = (int)frame_int(&entry, "protocol");
            list[i].access = (int)frame_int(&entry, "access");
            list[i].start_port = (uint16_t)frame_int(&entry, "start");
            list[i].end_port = (uint16_t)frame_int(&entry, "end");
        }
        *out = list;
        *count = n;
    }
    frame_free(&reply);
    return hr;
}

/* ---- notifications -------------------------------------------------------------- */

struct hnsd_link_subscription {
    SOCKET sock;
    HANDLE thread;
    DWORD thread_id;
    hnsd_link_event_fn fn;
    void *context;
    volatile LONG release_by_thread; /* unsubscribed from inside fn */
};

static void subscription_free(hnsd_link_subscription *s)
{
    closesocket(s->sock);
    CloseHandle(s->thread);
    free(s);
}

/* The delivery thread: one event frame at a time, in order. */
static DWORD WINAPI subscription_thread(LPVOID arg)
{
    hnsd_link_subscription *s = arg;
    frame msg;
    while (!s->release_by_thread && recv_frame(s->sock, &msg)) {
        wj_value event, type;
        int64_t type_value;
        if (wj_member(&msg.root, "event", &event) && wj_member(&event, "type", &type) &&
            wj_int(&type, &type_value)) {
            char *data = frame_string(&event, "data");
            s->fn((uint32_t)type_value, data ? data : "", s->context);
            free(data);
        }
        frame_free(&msg);
    }
    if (s->release_by_thread)
        subscription_free(s);
    return 0;
}

HRESULT hnsd_link_subscribe(hnsd_link_event_fn fn, void *context, hnsd_link_subscription **out)
{
    *out = NULL;
    hnsd_link_subscription *s = calloc(1, sizeof *s);
    if (!s)
        return HNSM_E_OUTOFMEMORY;
    s->fn = fn;
    s->context = context;
    s->sock = connect_daemon();
    frame reply = {0};
    bool ok = s->sock != INVALID_SOCKET &&
              send_frame(s->sock, "{\"v\":1,\"id\":1,\"op\":\"subscribe\"}") == 0 &&
              recv_frame(s->sock, &reply) && frame_int(&reply.root, "hr") == 0;
    frame_free(&reply);
    if (ok) {
        s->thread = CreateThread(NULL, 0, subscription_thread, s, 0, &s->thread_id);
        ok = s->thread != NULL;
    }
    if (!ok) {
        if (s->sock != INVALID_SOCKET)
            closesocket(s->sock);
        free(s);
        return HNSM_HRESULT_ERROR_SERVICE_NOT_ACTIVE;
    }
    *out = s;
    return S_OK;
}

void hnsd_link_unsubscribe(hnsd_link_subscription *s)
{
    if (!s)
        return;
    if (GetCurrentThreadId() == s->thread_id) {
        /* From inside fn: the thread frees everything once fn returns. */
        InterlockedExchange(&s->release_by_thread, 1);
        shutdown(s->sock, SD_BOTH);
        return;
    }
    shutdown(s->sock, SD_BOTH); /* wakes the reader */
    WaitForSingleObject(s->thread, INFINITE);
    subscription_free(s);
}
