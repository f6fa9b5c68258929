/*
 * diag.c - `hnsim diag`: HNS objects in the shape of Windows `hnsdiag list`.
 *
 * The text form prints one block of aligned "Key : value" lines per object
 * (diagnostics.md 5), in creation order; -d adds each object's detailed JSON
 * beneath its block; --json prints one JSON document with the objects as the
 * HCN API renders them (v2, or v1 with --schema 1, the Get-HnsNetwork shape).
 * Everything is read through hnsm_call, the same API every client uses, so
 * the tool never touches the store's tables. Output is byte-stable.
 */
#include "cli.h"

#include "remote.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct diag_options {
    int detailed;
    int json;
    int schema; /* 1 or 2 */
} diag_options;


/* Runs one operation on the store's instance, or through hnsd when inst is
 * NULL (--hnsd / HNSIM_HNSD): the same calls either way. */
static HRESULT diag_call(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                         const char *json, char **out, char **err)
{
    if (!inst)
        return hnsm__remote_call(kind, op, id, NULL, json, out, err);
    return hnsm_call(inst, kind, op, id, NULL, json, out, err);
}

/* Queries one object; returns the parsed document or NULL (message printed). */
static cJSON *query(hnsm_instance *inst, hnsm_kind kind, const char *id, int schema, int detailed)
{
    char q[96];
    snprintf(q, sizeof q, "{\"SchemaVersion\":{\"Major\":%d,\"Minor\":0},\"Flags\":%d}", schema,
             detailed ? 1 : 0);
    char *out = NULL, *err = NULL;
    HRESULT hr = diag_call(inst, kind, HNSM_OP_QUERY, id, q, &out, &err);
    cJSON *doc = SUCCEEDED(hr) ? cJSON_Parse(out) : NULL;
    if (FAILED(hr))
        fprintf(stderr, "hnsim: query %s failed: %s\n", id, err ? err : "");
    hnsm_free(out);
    hnsm_free(err);
    return doc;
}

/* Lists the ids of kind; NULL on failure (message printed). */
static cJSON *enumerate(hnsm_instance *inst, hnsm_kind kind)
{
    char *out = NULL, *err = NULL;
    HRESULT hr = diag_call(inst, kind, HNSM_OP_ENUMERATE, NULL,
                           "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &out, &err);
    cJSON *list = SUCCEEDED(hr) ? cJSON_Parse(out) : NULL;
    if (FAILED(hr))
        fprintf(stderr, "hnsim: enumerate failed: %s\n", err ? err : "");
    hnsm_free(out);
    hnsm_free(err);
    return list;
}

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItem(obj, key);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Prints aligned "key : value" rows; rows is a NULL-terminated key/value list. */
static void print_block(FILE *out, const char *const *rows)
{
    size_t width = 0;
    for (int i = 0; rows[i]; i += 2)
        if (strlen(rows[i]) > width)
            width = strlen(rows[i]);
    for (int i = 0; rows[i]; i += 2)
        if (rows[i + 1] && rows[i + 1][0])
            fprintf(out, "%-*s : %s\n", (int)width, rows[i], rows[i + 1]);
}

static void network_block(FILE *out, const cJSON *v1)
{
    char subnets[1024] = "", count[32];
    const cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItem(v1, "Subnets"))
    {
        char one[160];
        const char *gw = str(s, "GatewayAddress");
        snprintf(one, sizeof one, "%s%s%s%s%s", subnets[0] ? ", " : "", str(s, "AddressPrefix"),
                 *gw ? " (gateway " : "", gw, *gw ? ")" : "");
        strncat(subnets, one, sizeof subnets - strlen(subnets) - 1);
    }
    snprintf(count, sizeof count, "%d",
             (int)cJSON_GetObjectItem(v1, "CurrentEndpointCount")->valuedouble);
    const char *rows[] = {"Network", str(v1, "ID"),       "Name",      str(v1, "Name"),
                          "Type",    str(v1, "Type"),     "Subnets",   subnets,
                          "Management IP", str(v1, "ManagementIP"), "Endpoints", count,
                          NULL};
    print_block(out, rows);
}

static const char *state_name(int state)
{
    static const char *const names[] = {"Uninitialized", "Created",  "Attached", "AttachedSharing",
                                        "Detached",      "Degraded", "Destroyed"};
    return state >= 0 && state <= 6 ? names[state] : "Unknown";
}

static void endpoint_block(FILE *out, const cJSON *v1)
{
    char address[80] = "", network[300];
    if (*str(v1, "IPAddress"))
        snprintf(address, sizeof address, "%s/%d", str(v1, "IPAddress"),
                 (int)cJSON_GetObjectItem(v1, "PrefixLength")->valuedouble);
    snprintf(network, sizeof network, "%s (%s)", str(v1, "VirtualNetworkName"),
             str(v1, "VirtualNetwork"));
    const cJSON *ns = cJSON_GetObjectItem(v1, "Namespace");
    const char *rows[] = {
        "Endpoint",    str(v1, "ID"),
        "Name",        str(v1, "Name"),
        "IP Address",  address,
        "IPv6 Address", str(v1, "IPv6Address"),
        "MAC Address", str(v1, "MacAddress"),
        "Network",     network,
        "State",       state_name((int)cJSON_GetObjectItem(v1, "State")->valuedouble),
        "Namespace",   ns ? str(ns, "ID") : "",
        "Remote",      cJSON_IsTrue(cJSON_GetObjectItem(v1, "IsRemoteEndpoint")) ? "yes" : "",
        NULL};
    print_block(out, rows);
}

static void namespace_block(FILE *out, const cJSON *v1)
{
    char compartment[32], endpoints[2048] = "";
    snprintf(compartment, sizeof compartment, "%d",
             (int)cJSON_GetObjectItem(v1, "CompartmentId")->valuedouble);
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(v1, "ResourceList"))
    {
        if (strcmp(str(r, "Type"), "Endpoint") != 0)
            continue;
        if (endpoints[0])
            strncat(endpoints, ", ", sizeof endpoints - strlen(endpoints) - 1);
        strncat(endpoints, str(cJSON_GetObjectItem(r, "Data"), "Id"),
                sizeof endpoints - strlen(endpoints) - 1);
    }
    const char *rows[] = {"Namespace", str(v1, "ID"),
                          "Compartment", compartment,
                          "Default", cJSON_IsTrue(cJSON_GetObjectItem(v1, "IsDefault")) ? "yes" : "",
                          "Endpoints", endpoints,
                          NULL};
    print_block(out, rows);
}

/* Joins the strings of array into buf as "a, b, c". */
static void join(const cJSON *array, char *buf, size_t size)
{
    buf[0] = '\0';
    const cJSON *s;
    cJSON_ArrayForEach(s, array)
    {
        if (!cJSON_IsString(s))
            continue;
        if (buf[0])
            strncat(buf, ", ", size - strlen(buf) - 1);
        strncat(buf, s->valuestring, size - strlen(buf) - 1);
    }
}

static void loadbalancer_block(FILE *out, const cJSON *v2)
{
    char vips[1024], backends[4096], ports[1024] = "";
    join(cJSON_GetObjectItem(v2, "FrontendVIPs"), vips, sizeof vips);
    join(cJSON_GetObjectItem(v2, "HostComputeEndpoints"), backends, sizeof backends);
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItem(v2, "PortMappings"))
    {
        const cJSON *proto = cJSON_GetObjectItem(m, "Protocol");
        const cJSON *ext = cJSON_GetObjectItem(m, "ExternalPort");
        const cJSON *in = cJSON_GetObjectItem(m, "InternalPort");
        char one[64];
        int p = proto ? (int)proto->valuedouble : 0;
        snprintf(one, sizeof one, "%s%s %d -> %d", ports[0] ? ", " : "",
                 p == 6 ? "TCP" : p == 17 ? "UDP" : "proto", ext ? (int)ext->valuedouble : 0,
                 in ? (int)in->valuedouble : 0);
        strncat(ports, one, sizeof ports - strlen(ports) - 1);
    }
    const char *rows[] = {"Load Balancer", str(v2, "ID"), "Virtual IPs", vips[0] ? vips : "(all host IPs)",
                          "Source VIP", str(v2, "SourceVIP"), "Ports", ports,
                          "Direct IP IDs", backends, NULL};
    print_block(out, rows);
}

static void route_block(FILE *out, const cJSON *v2)
{
    char routes[2048] = "", endpoints[4096];
    join(cJSON_GetObjectItem(v2, "HostComputeEndpoints"), endpoints, sizeof endpoints);
    const cJSON *list = cJSON_GetObjectItem(v2, "Setting");
    if (!list)
        list = cJSON_GetObjectItem(v2, "Routes");
    const cJSON *r;
    cJSON_ArrayForEach(r, list)
    {
        char one[160];
        snprintf(one, sizeof one, "%s%s via %s%s", routes[0] ? ", " : "",
                 str(r, "DestinationPrefix"), str(r, "NextHop"),
                 cJSON_IsTrue(cJSON_GetObjectItem(r, "NeedEncap")) ? " (encap)" : "");
        strncat(routes, one, sizeof routes - strlen(routes) - 1);
    }
    const char *rows[] = {"SDN Route", str(v2, "ID"), "Routes", routes, "Endpoints", endpoints,
                          NULL};
    print_block(out, rows);
}

/* What `diag list` knows about each kind: its word, JSON title, the schema
 * of the view its text block reads, and the block printer. */
static const struct diag_kind {
    const char *word;
    hnsm_kind kind;
    const char *title;
    int text_schema;
    void (*block)(FILE *, const cJSON *);
} diag_kinds[] = {
    {"networks", HNSM_NETWORK, "Networks", 1, network_block},
    {"endpoints", HNSM_ENDPOINT, "Endpoints", 1, endpoint_block},
    {"namespaces", HNSM_NAMESPACE, "Namespaces", 1, namespace_block},
    {"loadbalancers", HNSM_LOADBALANCER, "LoadBalancers", 2, loadbalancer_block},
    {"sdnroutes", HNSM_SDNROUTE, "SdnRoutes", 2, route_block},
};
#define DIAG_KIND_COUNT (sizeof diag_kinds / sizeof diag_kinds[0])

/* Lists one kind in the chosen form; returns 0 or 1. */
static int list_kind(hnsm_instance *inst, const struct diag_kind *k, const diag_options *o,
                     cJSON *json_out)
{
    hnsm_kind kind = k->kind;
    cJSON *ids = enumerate(inst, kind);
    if (!ids)
        return 1;
    cJSON *array = json_out ? cJSON_AddArrayToObject(json_out, k->title) : NULL;
    int status = 0;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
    {
        if (json_out) {
            cJSON *doc = query(inst, kind, id->valuestring, o->schema, o->detailed);
            if (!doc) {
                status = 1;
                continue;
            }
            cJSON_AddItemToArray(array, doc);
            continue;
        }
        cJSON *view = query(inst, kind, id->valuestring, k->text_schema, 0);
        if (!view) {
            status = 1;
            continue;
        }
        k->block(stdout, view);
        cJSON_Delete(view);
        if (o->detailed) {
            cJSON *detail = query(inst, kind, id->valuestring, o->schema, 1);
            char *text = detail ? cJSON_Print(detail) : NULL;
            if (text)
                printf("%s\n", text);
            free(text);
            cJSON_Delete(detail);
        }
        printf("\n");
    }
    cJSON_Delete(ids);
    return status;
}

static int diag_choices(void)
{
    const char *name, *reference, *description;
    int value;
    for (int i = 0; hnsm_choice_info(i, &name, &value, &reference, &description) == 0; i++)
        printf("%s = %d\n  %s\n  (reference: %s)\n\n", name, value, description, reference);
    return 0;
}

int cmd_diag(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "choices") == 0)
        return diag_choices();
    if (argc < 3 || strcmp(argv[1], "list") != 0) {
        fprintf(stderr, "usage: hnsim diag list networks|endpoints|namespaces|loadbalancers|sdnroutes|all\n"
                        "       [-d] [--json] "
                        "[--schema 1|2] [--store PATH | --hnsd SOCKET]\n       hnsim diag choices\n");
        return 2;
    }
    const char *what = argv[2], *store = NULL, *hnsd = NULL;
    diag_options o = {0, 0, 2};
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-d") == 0)
            o.detailed = 1;
        else if (strcmp(argv[i], "--json") == 0)
            o.json = 1;
        else if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            store = argv[++i];
        else if (strcmp(argv[i], "--hnsd") == 0 && i + 1 < argc)
            hnsd = argv[++i];
        else if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc &&
                 (strcmp(argv[i + 1], "1") == 0 || strcmp(argv[i + 1], "2") == 0))
            o.schema = atoi(argv[++i]);
        else {
            fprintf(stderr, "hnsim diag: unknown option '%s'\n", argv[i]);
            return 2;
        }
    }
    const struct diag_kind *kinds[DIAG_KIND_COUNT];
    size_t n = 0;
    for (size_t i = 0; i < DIAG_KIND_COUNT; i++)
        if (strcmp(what, "all") == 0 || strcmp(what, diag_kinds[i].word) == 0)
            kinds[n++] = &diag_kinds[i];
    if (n == 0) {
        fprintf(stderr, "hnsim diag list: unknown object kind '%s'\n", what);
        return 2;
    }
    /* A daemon is read through the protocol; a store file directly. */
    if (hnsd)
        setenv("HNSIM_HNSD", hnsd, 1);
    bool remote = !store && hnsm__remote_enabled();
    hnsm_instance *inst = remote ? NULL : cli_open_store(store, 0, NULL);
    if (!remote && !inst)
        return 1;
    int status = 0;
    cJSON *doc = o.json ? cJSON_CreateObject() : NULL;
    for (size_t i = 0; i < n; i++)
        status |= list_kind(inst, kinds[i], &o, doc);
    if (doc) {
        char *text = cJSON_Print(doc);
        printf("%s\n", text ? text : "{}");
        free(text);
        cJSON_Delete(doc);
    }
    hnsm_close(inst);
    return status;
}
