/*
 * test_hnsd.c - hnsd as a real process: serving, security, many clients,
 * crash consistency under kill -9, bad clients, notifications, and the
 * unchanged HCN API of libhnsmock talking to it through HNSIM_HNSD.
 *
 * Usage: test_hnsd PATH_TO_HNSD. Each test starts its own daemon in a private
 * temporary directory and removes it afterwards. HNSD_KILL_POINTS=N raises
 * the number of kill -9 points (20 by default) for a soak run.
 */
#define _DEFAULT_SOURCE
#include "daemon_harness.h"

#include <computenetwork.h>
#include <hnsmock/hnscall.h>

#include "remote.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *network_doc =
    "{\\\"Name\\\":\\\"%s\\\",\\\"Type\\\":\\\"L2Bridge\\\",\\\"Ipams\\\":[{\\\"Subnets\\\":[{"
    "\\\"IpAddressPrefix\\\":\\\"10.%d.0.0/16\\\"}]}]}";

/* Builds a `call` request creating a network named name on subnet 10.octet/16. */
static void create_network_request(char *buf, size_t size, int id, const char *name, int octet)
{
    char doc[256];
    snprintf(doc, sizeof doc, network_doc, name, octet);
    snprintf(buf, size,
             "{\"v\":1,\"id\":%d,\"op\":\"call\",\"kind\":\"network\",\"call\":\"create\","
             "\"json\":\"%s\"}",
             id, doc);
}

static double hr_of(const cJSON *reply)
{
    const cJSON *hr = cJSON_GetObjectItem(reply, "hr");
    return cJSON_IsNumber(hr) ? hr->valuedouble : 1e9;
}

static const char *string_of(const cJSON *reply, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(reply, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Counts the networks the daemon lists. */
static int network_count(int fd)
{
    cJSON *r = proto_request(fd, "{\"v\":1,\"id\":99,\"op\":\"call\",\"kind\":\"network\","
                                 "\"call\":\"enumerate\",\"json\":\"{\\\"SchemaVersion\\\":"
                                 "{\\\"Major\\\":2,\\\"Minor\\\":0}}\"}");
    cJSON *list = r ? cJSON_Parse(string_of(r, "result")) : NULL;
    int n = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : -1;
    cJSON_Delete(list);
    cJSON_Delete(r);
    return n;
}

/* Queries every listed network in both views; returns how many answered. */
static int queryable_networks(int fd)
{
    cJSON *r = proto_request(fd, "{\"v\":1,\"id\":98,\"op\":\"call\",\"kind\":\"network\","
                                 "\"call\":\"enumerate\",\"json\":\"{\\\"SchemaVersion\\\":"
                                 "{\\\"Major\\\":2,\\\"Minor\\\":0}}\"}");
    cJSON *ids = r ? cJSON_Parse(string_of(r, "result")) : NULL;
    int good = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
    {
        int views = 0;
        for (int major = 1; major <= 2; major++) {
            char req[300];
            snprintf(req, sizeof req,
                     "{\"v\":1,\"id\":97,\"op\":\"call\",\"kind\":\"network\",\"call\":\"query\","
                     "\"object\":\"%s\",\"json\":\"{\\\"SchemaVersion\\\":{\\\"Major\\\":%d,"
                     "\\\"Minor\\\":0}}\"}",
                     id->valuestring, major);
            cJSON *q = proto_request(fd, req);
            if (q && hr_of(q) == 0 && string_of(q, "result") &&
                strstr(string_of(q, "result"), "\"Name\""))
                views++;
            cJSON_Delete(q);
        }
        good += views == 2;
    }
    cJSON_Delete(ids);
    cJSON_Delete(r);
    return good;
}

static void serves_calls_and_stops_cleanly(void **state)
{
    (void)state;
    hnsd_proc d = {0};
    assert_true(hnsd_start(&d, "ws2022", 0));
    struct stat st;
    assert_int_equal(stat(d.socket, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* issue 4: socket mode 0600 */
    int fd = proto_connect_unix(d.socket);
    assert_true(fd >= 0);
    cJSON *hello = proto_request(fd, "{\"v\":1,\"id\":1,\"op\":\"hello\"}");
    assert_non_null(hello);
    assert_true(hr_of(hello) == 0);
    assert_string_equal(string_of(hello, "profile"), "ws2022");
    cJSON_Delete(hello);
    char req[512];
    create_network_request(req, sizeof req, 2, "n1", 1);
    cJSON *created = proto_request(fd, req);
    assert_true(hr_of(created) == 0);
    assert_int_equal(cJSON_GetObjectItem(created, "id")->valuedouble, 2);
    assert_int_equal(strlen(string_of(created, "result")), 36);
    cJSON_Delete(created);
    /* The same duplicate-name rule as in process, with the real ErrorRecord. */
    create_network_request(req, sizeof req, 3, "n1", 2);
    cJSON *dup = proto_request(fd, req);
    assert_true(hr_of(dup) == (double)(int32_t)0x803B0010);
    assert_non_null(strstr(string_of(dup, "error"), "\"ErrorCode\":2151350288"));
    cJSON_Delete(dup);
    assert_int_equal(network_count(fd), 1);
    close(fd);
    assert_int_equal(hnsd_stop(&d), 0);
    assert_int_not_equal(access(d.socket, F_OK), 0); /* the socket is gone */
    hnsd_cleanup(&d);
}

static void group_socket_is_0660_of_that_group(void **state)
{
    (void)state;
    struct group *g = getgrgid(getegid());
    assert_non_null(g);
    hnsd_proc d = {0};
    d.group = g->gr_name;
    assert_true(hnsd_start(&d, "ws2022", 0));
    struct stat st;
    assert_int_equal(stat(d.socket, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0660); /* issue 4: "or a configured group" */
    assert_int_equal(st.st_gid, g->gr_gid);
    assert_int_equal(hnsd_stop(&d), 0);
    hnsd_cleanup(&d);
}

static void library_clients_reach_the_daemon(void **state)
{
    (void)state;
    hnsd_proc d = {0};
    assert_true(hnsd_start(&d, "ws2022", 0));
    setenv("HNSIM_HNSD", d.socket, 1);
    HCN_NETWORK network = NULL;
    PWSTR error = NULL;
    HRESULT hr = HcnCreateNetwork(&GUID_NULL,
                                  L"{\"Name\":\"lib\",\"Ipams\":[{\"Subnets\":[{\"IpAddressPrefix\":"
                                  L"\"172.30.0.0/16\"}]}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                                  &network, &error);
    assert_int_equal(hr, S_OK);
    assert_null(error);
    HCN_ENDPOINT ep = NULL;
    hr = HcnCreateEndpoint(network, &GUID_NULL,
                           L"{\"Name\":\"e\",\"IpConfigurations\":[{\"IpAddress\":\"172.30.0.9\"}]}",
                           &ep, &error);
    assert_int_equal(hr, S_OK);
    PWSTR props = NULL;
    hr = HcnQueryEndpointProperties(ep, L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &props,
                                    &error);
    assert_int_equal(hr, S_OK);
    assert_non_null(wcsstr(props, L"172.30.0.9"));
    CoTaskMemFree(props);
    /* HNSCall goes to the daemon too: the profile's version. */
    PWSTR response = NULL;
    assert_int_equal(HNSCall(L"GET", L"/globals/version", L"", &response), S_OK);
    assert_non_null(wcsstr(response, L"\"Major\":13"));
    CoTaskMemFree(response);
    HcnCloseEndpoint(ep);
    HcnCloseNetwork(network);
    /* Another connection sees what this process did. */
    int fd = proto_connect_unix(d.socket);
    assert_int_equal(network_count(fd), 1);
    close(fd);
    unsetenv("HNSIM_HNSD");
    assert_int_equal(hnsd_stop(&d), 0);
    hnsd_cleanup(&d);
}

/* A child process: creates, modifies, deletes its own endpoints through the
 * library, then exits 0 only if every call did what it should. */
static int client_child(const char *socket, int child, const char *network_id, int rounds)
{
    setenv("HNSIM_HNSD", socket, 1);
    int bad = 0;
    for (int i = 0; i < rounds; i++) {
        char *id = NULL, doc[256];
        snprintf(doc, sizeof doc,
                 "{\"Name\":\"c%d-%d\",\"IpConfigurations\":[{\"IpAddress\":\"10.200.%d.%d\"}]}",
                 child, i, child, i + 2);
        if (FAILED(hnsm__remote_call(HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, network_id, doc, &id,
                                     NULL))) {
            bad++;
            continue;
        }
        const char *policy = "{\"ResourceType\":\"Policy\",\"RequestType\":\"Add\",\"Settings\":"
                             "{\"Policies\":[{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\","
                             "\"Direction\":\"In\",\"Priority\":300}}]}}";
        if (FAILED(hnsm__remote_call(HNSM_ENDPOINT, HNSM_OP_MODIFY, id, NULL, policy, NULL, NULL)))
            bad++;
        if (i % 2 == 1 &&
            FAILED(hnsm__remote_call(HNSM_ENDPOINT, HNSM_OP_DELETE, id, NULL, NULL, NULL, NULL)))
            bad++;
        free(id);
    }
    return bad ? 1 : 0;
}

static void concurrent_clients_lose_nothing(void **state)
{
    (void)state;
    hnsd_proc d = {0};
    assert_true(hnsd_start(&d, "ws2022", 0));
    int fd = proto_connect_unix(d.socket);
    cJSON *net = proto_request(fd, "{\"v\":1,\"id\":1,\"op\":\"call\",\"kind\":\"network\",\"call\":"
                                   "\"create\",\"json\":\"{\\\"Name\\\":\\\"shared\\\",\\\"Ipams\\\":"
                                   "[{\\\"Subnets\\\":[{\\\"IpAddressPrefix\\\":\\\"10.200.0.0/16\\\"}]}]}\"}");
    assert_true(hr_of(net) == 0);
    char network_id[64];
    snprintf(network_id, sizeof network_id, "%s", string_of(net, "result"));
    cJSON_Delete(net);
    enum { CHILDREN = 4, ROUNDS = 60 };
    pid_t pids[CHILDREN];
    for (int c = 0; c < CHILDREN; c++) {
        pids[c] = fork();
        if (pids[c] == 0)
            _exit(client_child(d.socket, c, network_id, ROUNDS));
    }
    for (int c = 0; c < CHILDREN; c++) {
        int status;
        waitpid(pids[c], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    /* Every even-numbered endpoint of every child is there, with its ACL. */
    cJSON *list = proto_request(fd, "{\"v\":1,\"id\":2,\"op\":\"call\",\"kind\":\"endpoint\","
                                    "\"call\":\"enumerate\",\"json\":\"{\\\"SchemaVersion\\\":"
                                    "{\\\"Major\\\":2,\\\"Minor\\\":0}}\"}");
    cJSON *ids = cJSON_Parse(string_of(list, "result"));
    assert_int_equal(cJSON_GetArraySize(ids), CHILDREN * ROUNDS / 2);
    const cJSON *id;
    int with_acl = 0;
    cJSON_ArrayForEach(id, ids)
    {
        char req[256];
        snprintf(req, sizeof req,
                 "{\"v\":1,\"id\":3,\"op\":\"call\",\"kind\":\"endpoint\",\"call\":\"query\","
                 "\"object\":\"%s\",\"json\":\"{\\\"SchemaVersion\\\":{\\\"Major\\\":2,\\\"Minor\\\":0}}\"}",
                 id->valuestring);
        cJSON *q = proto_request(fd, req);
        assert_true(hr_of(q) == 0);
        if (strstr(string_of(q, "result"), "\"Type\":\"ACL\""))
            with_acl++;
        cJSON_Delete(q);
    }
    assert_int_equal(with_acl, CHILDREN * ROUNDS / 2);
    cJSON_Delete(ids);
    cJSON_Delete(list);
    close(fd);
    assert_int_equal(hnsd_stop(&d), 0);
    hnsd_cleanup(&d);
}

static void acknowledged_calls_survive_kill_9(void **state)
{
    (void)state;
    /* 20 kill points in CI; HNSD_KILL_POINTS=N soaks longer. */
    const char *soak = getenv("HNSD_KILL_POINTS");
    const int KILL_POINTS = soak && atoi(soak) > 0 ? atoi(soak) : 20;
    hnsd_proc d = {0};
    unsigned seed = 12345;
    int acknowledged = 0, next = 0;
    for (int k = 0; k < KILL_POINTS; k++) {
        assert_true(hnsd_start(&d, "ws2022", 0));
        int fd = proto_connect_unix(d.socket);
        assert_true(fd >= 0);
        /* Everything acknowledged before the previous kill is there, whole. */
        assert_int_equal(network_count(fd), acknowledged);
        /* Send a burst; kill the daemon while requests are in flight. */
        seed = seed * 1103515245u + 12345u;
        int burst = 5 + (int)(seed % 40);
        for (int i = 0; i < burst; i++) {
            char req[512], name[32];
            snprintf(name, sizeof name, "k%d", next);
            create_network_request(req, sizeof req, next, name, next % 250);
            if (!proto_send(fd, req))
                break;
            next++;
        }
        int replies = (int)(seed / 7 % (unsigned)burst);
        for (int i = 0; i < replies; i++) {
            cJSON *r = proto_recv(fd);
            assert_true(r && hr_of(r) == 0);
            acknowledged++;
            cJSON_Delete(r);
        }
        hnsd_kill(&d); /* some sent requests were served but not acknowledged */
        close(fd);
        /* Requests served but not acknowledged may exist: count them now. */
        assert_true(hnsd_start(&d, "ws2022", 0));
        fd = proto_connect_unix(d.socket);
        int present = network_count(fd);
        assert_true(present >= acknowledged && present <= next);
        acknowledged = present;
        assert_int_equal(queryable_networks(fd), present); /* none half-written */
        close(fd);
        hnsd_kill(&d);
    }
    hnsd_cleanup(&d);
}

static void bad_clients_do_not_hurt_others(void **state)
{
    (void)state;
    hnsd_proc d = {0};
    assert_true(hnsd_start(&d, "ws2022", 0));
    /* Garbage bytes: the daemon answers E_INVALIDARG and closes. */
    int g = proto_connect_unix(d.socket);
    assert_true(proto_send(g, "this is not json"));
    cJSON *r = proto_recv(g);
    assert_true(r && hr_of(r) == (double)(int32_t)0x80070057);
    cJSON_Delete(r);
    assert_null(proto_recv(g));
    close(g);
    /* An oversized length is refused before anything is buffered. */
    int o = proto_connect_unix(d.socket);
    unsigned char huge[4] = {0x7F, 0xFF, 0xFF, 0xFF};
    assert_true(proto_send_raw(o, huge, 4));
    r = proto_recv(o);
    assert_true(r && hr_of(r) == (double)(int32_t)0x80070057);
    cJSON_Delete(r);
    close(o);
    /* A truncated message, then the client goes away. */
    int t = proto_connect_unix(d.socket);
    unsigned char half[6] = {0, 0, 0, 50, '{', '"'};
    assert_true(proto_send_raw(t, half, sizeof half));
    close(t);
    /* A client that floods requests and never reads. */
    int f = proto_connect_unix(d.socket);
    /* A good client, served all along. */
    int good = proto_connect_unix(d.socket);
    char big_query[128];
    snprintf(big_query, sizeof big_query,
             "{\"v\":1,\"id\":1,\"op\":\"hnscall\",\"method\":\"GET\",\"path\":\"/globals/\"}");
    for (int i = 0; i < 2000; i++) {
        if (!proto_send(f, big_query))
            break; /* disconnected: fine */
        if (i % 200 == 0) {
            cJSON *ok = proto_request(good, big_query);
            assert_true(ok && hr_of(ok) == 0);
            cJSON_Delete(ok);
        }
    }
    cJSON *ok = proto_request(good, big_query);
    assert_true(ok && hr_of(ok) == 0);
    cJSON_Delete(ok);
    close(f);
    close(good);
    assert_int_equal(hnsd_stop(&d), 0);
    hnsd_cleanup(&d);
}

static void tcp_needs_the_token_and_loopback(void **state)
{
    (void)state;
    hnsd_proc d = {0};
    int port = 20000 + (int)(getpid() % 20000);
    assert_true(hnsd_start(&d, "ws2025", port));
    struct stat st;
    assert_int_equal(stat(d.token_file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char token[128] = "";
    FILE *tf = fopen(d.token_file, "r");
    assert_non_null(tf);
    assert_non_null(fgets(token, sizeof token, tf));
    fclose(tf);
    token[strcspn(token, "\n")] = '\0';
    /* No hello: refused. */
    int a = proto_connect_tcp(port);
    cJSON *r = proto_request(a, "{\"v\":1,\"id\":1,\"op\":\"hnscall\",\"method\":\"GET\",\"path\":"
                                "\"/globals/version\"}");
    assert_true(r && hr_of(r) != 0);
    cJSON_Delete(r);
    close(a);
    /* Wrong token: refused. */
    int b = proto_connect_tcp(port);
    r = proto_request(b, "{\"v\":1,\"id\":1,\"op\":\"hello\",\"token\":\"nope\"}");
    assert_true(r && hr_of(r) != 0);
    cJSON_Delete(r);
    close(b);
    /* Right token: served. */
    int c = proto_connect_tcp(port);
    char hello[256];
    snprintf(hello, sizeof hello, "{\"v\":1,\"id\":1,\"op\":\"hello\",\"token\":\"%s\"}", token);
    r = proto_request(c, hello);
    assert_true(r && hr_of(r) == 0);
    cJSON_Delete(r);
    r = proto_request(c, "{\"v\":1,\"id\":2,\"op\":\"hnscall\",\"method\":\"GET\",\"path\":"
                         "\"/globals/version\"}");
    assert_non_null(strstr(string_of(r, "response"), "\"Major\":15"));
    cJSON_Delete(r);
    close(c);
    assert_int_equal(hnsd_stop(&d), 0);
    hnsd_cleanup(&d);
    /* A non-loopback address is refused at start. */
    hnsd_proc e = {0};
    assert_false(hnsd_start(&e, "ws2022", -1));
    hnsd_cleanup(&e);
}

/* Collects notification types delivered to a service callback. */
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static DWORD seen_types[64];
static int seen_count;

static void CALLBACK collect(DWORD type, void *context, HRESULT status, PCWSTR data)
{
    (void)context, (void)status, (void)data;
    pthread_mutex_lock(&seen_lock);
    if (seen_count < 64)
        seen_types[seen_count++] = type;
    pthread_mutex_unlock(&seen_lock);
}

static void notifications_reach_library_callbacks(void **state)
{
    (void)state;
    hnsd_proc d = {0};
    assert_true(hnsd_start(&d, "ws2022", 0));
    setenv("HNSIM_HNSD", d.socket, 1);
    HCN_CALLBACK cb = NULL;
    assert_int_equal(HcnRegisterServiceCallback(collect, NULL, &cb), S_OK);
    /* Another process's change (here: another connection) is notified. */
    int fd = proto_connect_unix(d.socket);
    char req[512];
    create_network_request(req, sizeof req, 1, "seen", 3);
    cJSON *r = proto_request(fd, req);
    assert_true(hr_of(r) == 0);
    cJSON_Delete(r);
    int got = 0;
    for (int i = 0; i < 200 && !got; i++) {
        pthread_mutex_lock(&seen_lock);
        for (int k = 0; k < seen_count; k++)
            got |= seen_types[k] == HcnNotificationNetworkCreate;
        pthread_mutex_unlock(&seen_lock);
        if (!got)
            usleep(10000);
    }
    assert_true(got);
    assert_int_equal(HcnUnregisterServiceCallback(cb), S_OK);
    close(fd);
    unsetenv("HNSIM_HNSD");
    assert_int_equal(hnsd_stop(&d), 0);
    hnsd_cleanup(&d);
}

static void reservations_end_with_their_connection(void **state)
{
    (void)state;
    hnsd_proc d = {0};
    assert_true(hnsd_start(&d, "ws2025", 0));
    int fd = proto_connect_unix(d.socket);
    cJSON *g = proto_request(fd, "{\"v\":1,\"id\":1,\"op\":\"call\",\"kind\":"
                                 "\"guestnetworkservice\",\"call\":\"create\",\"json\":\"{}\"}");
    assert_true(hr_of(g) == 0);
    char gns[64];
    snprintf(gns, sizeof gns, "%s", string_of(g, "result"));
    cJSON_Delete(g);
    int to_parent[2], to_child[2];
    assert_int_equal(pipe(to_parent), 0);
    assert_int_equal(pipe(to_child), 0);
    pid_t pid = fork();
    if (pid == 0) {
        /* A client process holds port 5000 through the HCN API, then exits. */
        setenv("HNSIM_HNSD", d.socket, 1);
        GUID id;
        HCN_GUESTNETWORKSERVICE service = NULL;
        HANDLE reservation = NULL;
        char ok = 0;
        if (sscanf(gns, "%8x-%4hx-%4hx", &id.Data1, &id.Data2, &id.Data3) == 3) {
            for (int i = 0; i < 8; i++) {
                unsigned byte;
                sscanf(gns + (i < 2 ? 19 + 2 * i : 24 + 2 * (i - 2)), "%2x", &byte);
                id.Data4[i] = (uint8_t)byte;
            }
            ok = SUCCEEDED(HcnOpenGuestNetworkService(&id, &service, NULL)) &&
                 SUCCEEDED(HcnReserveGuestNetworkServicePort(service, HCN_PORT_PROTOCOL_TCP,
                                                              HCN_PORT_ACCESS_EXCLUSIVE, 5000,
                                                              &reservation));
        }
        if (write(to_parent[1], &ok, 1) != 1)
            _exit(1);
        char go;
        if (read(to_child[0], &go, 1) != 1)
            _exit(1);
        _exit(0); /* without releasing: the daemon must release it */
    }
    char ok = 0;
    assert_int_equal(read(to_parent[0], &ok, 1), 1);
    assert_true(ok);
    char reserve[256];
    snprintf(reserve, sizeof reserve,
             "{\"v\":1,\"id\":2,\"op\":\"reservation\",\"action\":\"port\",\"gns\":\"%s\","
             "\"protocol\":1,\"access\":1,\"port\":5000}",
             gns);
    cJSON *busy = proto_request(fd, reserve);
    assert_true(hr_of(busy) == (double)(int32_t)0x803B0013); /* held by the child */
    cJSON_Delete(busy);
    assert_int_equal(write(to_child[1], "x", 1), 1);
    int status;
    waitpid(pid, &status, 0);
    int freed = 0;
    for (int i = 0; i < 200 && !freed; i++) {
        cJSON *again = proto_request(fd, reserve);
        freed = hr_of(again) == 0;
        cJSON_Delete(again);
        if (!freed)
            usleep(10000);
    }
    assert_true(freed);
    close(fd);
    assert_int_equal(hnsd_stop(&d), 0);
    hnsd_cleanup(&d);
}

static void control_actions_over_the_socket(void **state)
{
    (void)state;
    hnsd_proc d = {0};
    assert_true(hnsd_start(&d, "ws2022", 0));
    int fd = proto_connect_unix(d.socket);
    cJSON *r = proto_request(fd, "{\"v\":1,\"id\":1,\"op\":\"control\",\"action\":\"fault_add\","
                                 "\"api\":\"HcnCreateNetwork\",\"hr\":-2143617006,\"mode\":\"nth\","
                                 "\"nth\":1}");
    assert_true(hr_of(r) == 0);
    cJSON_Delete(r);
    char req[512];
    create_network_request(req, sizeof req, 2, "faulted", 4);
    r = proto_request(fd, req);
    assert_true(hr_of(r) == -2143617006.0); /* 0x803B0012, injected */
    cJSON_Delete(r);
    create_network_request(req, sizeof req, 3, "faulted", 4);
    r = proto_request(fd, req);
    assert_true(hr_of(r) == 0); /* only the first call fails */
    cJSON_Delete(r);
    r = proto_request(fd, "{\"v\":1,\"id\":4,\"op\":\"control\",\"action\":\"call_count\","
                          "\"api\":\"HcnCreateNetwork\"}");
    assert_int_equal(cJSON_GetObjectItem(r, "count")->valuedouble, 2);
    cJSON_Delete(r);
    r = proto_request(fd, "{\"v\":1,\"id\":5,\"op\":\"control\",\"action\":\"reboot\"}");
    assert_true(hr_of(r) == 0);
    cJSON_Delete(r);
    assert_int_equal(network_count(fd), 1); /* a persistent network survives a reboot */
    close(fd);
    assert_int_equal(hnsd_stop(&d), 0);
    hnsd_cleanup(&d);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_hnsd PATH_TO_HNSD\n");
        return 2;
    }
    harness_set_binary(argv[1]);
    signal(SIGPIPE, SIG_IGN);
    unsetenv("HNSIM_HNSD");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(serves_calls_and_stops_cleanly),
        cmocka_unit_test(group_socket_is_0660_of_that_group),
        cmocka_unit_test(library_clients_reach_the_daemon),
        cmocka_unit_test(concurrent_clients_lose_nothing),
        cmocka_unit_test(acknowledged_calls_survive_kill_9),
        cmocka_unit_test(bad_clients_do_not_hurt_others),
        cmocka_unit_test(tcp_needs_the_token_and_loopback),
        cmocka_unit_test(notifications_reach_library_callbacks),
        cmocka_unit_test(reservations_end_with_their_connection),
        cmocka_unit_test(control_actions_over_the_socket),
    };
    return cmocka_run_group_tests_name("hnsd", tests, NULL, NULL);
}
