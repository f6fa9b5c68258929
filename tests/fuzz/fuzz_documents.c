/*
 * fuzz_documents.c - seeded mutation fuzzing of every document the HNS model
 * parses: create settings, modify requests and queries of each object kind.
 *
 * Starting from valid documents, each round mutates one (drop or duplicate a
 * key, swap a value for another JSON type, flip or insert bytes, truncate,
 * nest deeply, inject invalid UTF-8 or NUL escapes) and sends it through
 * hnsm_call. The rules checked on every call are the ones a client relies on:
 * the call returns a code from errors.def; a failure carries the exact
 * ErrorRecord and no result; a success carries no ErrorRecord; and after the
 * run every object the store lists can be queried in both views. Run under
 * ASan/UBSan in CI, this is the "bad input never crashes or corrupts" test.
 * Usage: fuzz_documents [iterations] [seed]
 */
#include <hnsmock/hnsmock.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t next_random(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static size_t pick(size_t n) { return n ? (size_t)(next_random() % n) : 0; }

/* malloc that never returns NULL (a fuzz run out of memory is over). */
static char *xmalloc(size_t n)
{
    char *p = malloc(n);
    if (!p) {
        fprintf(stderr, "fuzz_documents: out of memory\n");
        exit(2);
    }
    return p;
}

/* Valid starting documents per (kind, op). $NET / $EP are replaced by ids. */
static const struct seed_doc {
    hnsm_kind kind;
    hnsm_op op;
    const char *text;
} seeds[] = {
    {HNSM_NETWORK, HNSM_OP_CREATE,
     "{\"Name\":\"f\",\"Type\":\"L2Bridge\",\"Flags\":8,\"Policies\":[{\"Type\":\"RemoteSubnetRoute\","
     "\"Settings\":{\"DestinationPrefix\":\"10.1.0.0/16\",\"IsolationId\":4096,\"ProviderAddress\":"
     "\"10.0.0.5\",\"DistributedRouterMacAddress\":\"00-15-5D-00-00-01\"}}],\"MacPool\":{\"Ranges\":"
     "[{\"StartMacAddress\":\"00-15-5D-10-00-00\",\"EndMacAddress\":\"00-15-5D-10-0F-FF\"}]},\"Dns\":"
     "{\"Domain\":\"d\",\"ServerList\":[\"1.1.1.1\"]},\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":[{"
     "\"IpAddressPrefix\":\"10.9.0.0/16\",\"Routes\":[{\"NextHop\":\"10.9.0.1\",\"DestinationPrefix\":"
     "\"0.0.0.0/0\",\"Metric\":5}],\"Policies\":[{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":4096}}]}]}],"
     "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}"},
    {HNSM_NETWORK, HNSM_OP_CREATE,
     "{\"Name\":\"v1\",\"Type\":\"L2Bridge\",\"Subnets\":[{\"AddressPrefix\":\"10.8.0.0/24\","
     "\"GatewayAddress\":\"10.8.0.1\"}],\"DNSServerList\":\"1.1.1.1,8.8.8.8\",\"Policies\":[{\"Type\":"
     "\"HostRoute\"}]}"},
    {HNSM_ENDPOINT, HNSM_OP_CREATE,
     "{\"Name\":\"e\",\"HostComputeNetwork\":\"$NET\",\"IpConfigurations\":[{\"IpAddress\":\"10.9.1.7\","
     "\"PrefixLength\":16}],\"Policies\":[{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,"
     "\"InternalPort\":80,\"ExternalPort\":8080}},{\"Type\":\"ACL\",\"Settings\":{\"Protocols\":\"6,17\","
     "\"Action\":\"Allow\",\"Direction\":\"In\",\"RemoteAddresses\":\"10.0.0.0/8\",\"LocalPorts\":"
     "\"80,8000-8100\",\"RuleType\":\"Switch\",\"Priority\":200}},{\"Type\":\"OutBoundNAT\",\"Settings\":"
     "{\"Exceptions\":[\"10.0.0.0/8\"]}}],\"Dns\":{\"Search\":[\"a\"]},\"Routes\":[{\"NextHop\":"
     "\"10.9.0.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}],\"Flags\":0}"},
    {HNSM_ENDPOINT, HNSM_OP_CREATE,
     "{\"Name\":\"r\",\"IPAddress\":\"10.77.0.3\",\"IsRemoteEndpoint\":true,\"VirtualNetwork\":\"$NET\","
     "\"Policies\":[{\"Type\":\"PA\",\"PA\":\"10.0.0.9\"}]}"},
    {HNSM_ENDPOINT, HNSM_OP_MODIFY,
     "{\"ResourceType\":\"Policy\",\"RequestType\":\"Update\",\"Settings\":{\"Policies\":[{\"Type\":"
     "\"ACL\",\"Settings\":{\"Action\":\"Block\",\"Direction\":\"Out\",\"Priority\":100}}]}}"},
    {HNSM_ENDPOINT, HNSM_OP_MODIFY,
     "{\"ResourceType\":\"Port\",\"RequestType\":\"Add\",\"Settings\":{\"PortId\":"
     "\"00000000-0000-0000-0000-000000000001\",\"VirtualNicName\":\"nic\"}}"},
    {HNSM_NETWORK, HNSM_OP_MODIFY,
     "{\"ResourceType\":\"Subnet\",\"RequestType\":\"Add\",\"Settings\":{\"Subnets\":[{"
     "\"IpAddressPrefix\":\"10.10.0.0/24\"}]}}"},
    {HNSM_NETWORK, HNSM_OP_MODIFY,
     "{\"ResourceType\":\"Policy\",\"RequestType\":\"Add\",\"Settings\":{\"Policies\":[{\"Type\":"
     "\"SetPolicy\",\"Settings\":{\"Id\":\"s\",\"PolicyType\":\"IPSET\",\"Values\":\"10.0.0.1\"}}]}}"},
    {HNSM_NAMESPACE, HNSM_OP_CREATE, "{\"Type\":\"Host\",\"NamespaceId\":7,\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}"},
    {HNSM_NAMESPACE, HNSM_OP_MODIFY,
     "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\",\"Settings\":{\"EndpointId\":\"$EP\"}}"},
    {HNSM_LOADBALANCER, HNSM_OP_CREATE,
     "{\"HostComputeEndpoints\":[\"$EP\"],\"SourceVIP\":\"10.9.0.2\",\"FrontendVIPs\":[\"10.96.0.10\"],"
     "\"PortMappings\":[{\"Protocol\":17,\"InternalPort\":53,\"ExternalPort\":53,\"DistributionType\":1,"
     "\"Flags\":1}],\"Flags\":0,\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}"},
    {HNSM_SDNROUTE, HNSM_OP_CREATE,
     "{\"HostComputeEndpoints\":[\"$EP\"],\"Setting\":[{\"DestinationPrefix\":\"169.254.169.254/32\","
     "\"NextHop\":\"10.9.0.1\",\"NeedEncap\":true}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}"},
    {HNSM_NETWORK, HNSM_OP_ENUMERATE,
     "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Flags\":1,\"Filter\":\"{\\\"Name\\\":\\\"f\\\",\\\"Flags\\\":8}\"}"},
    {HNSM_ENDPOINT, HNSM_OP_QUERY, "{\"SchemaVersion\":{\"Major\":1,\"Minor\":0},\"Flags\":\"Detailed\"}"},
};

/* Replaces $NET/$EP placeholders. Returns a malloc'd string. */
static char *substitute(const char *text, const char *net, const char *ep)
{
    size_t cap = strlen(text) + 128;
    char *out = xmalloc(cap), *o = out;
    for (const char *p = text; *p;) {
        if (strncmp(p, "$NET", 4) == 0) {
            o += sprintf(o, "%s", net);
            p += 4;
        } else if (strncmp(p, "$EP", 3) == 0) {
            o += sprintf(o, "%s", ep);
            p += 3;
        } else {
            *o++ = *p++;
        }
    }
    *o = '\0';
    return out;
}

/* A random JSON value of a random type. */
static cJSON *random_value(void)
{
    switch (pick(8)) {
    case 0:
        return cJSON_CreateNull();
    case 1:
        return cJSON_CreateBool(pick(2));
    case 2:
        return cJSON_CreateNumber((double)(int64_t)next_random() / 1e6);
    case 3:
        return cJSON_CreateNumber((double)pick(70000));
    case 4:
        return cJSON_CreateString(pick(2) ? "" : "10.0.0.1/33");
    case 5:
        return cJSON_CreateArray();
    case 6:
        return cJSON_CreateObject();
    default:
        return cJSON_CreateString("00000000-0000-0000-0000-000000000000");
    }
}

/* Picks a random item anywhere in the tree (depth-first count then pick). */
static cJSON *random_item(cJSON *root, int *count)
{
    cJSON *stack[256], *found = NULL;
    int top = 0, seen = 0, target = *count ? (int)pick((size_t)*count) : 0;
    stack[top++] = root;
    while (top) {
        cJSON *node = stack[--top];
        if (seen++ == target)
            found = node;
        for (cJSON *c = node->child; c && top < 256; c = c->next)
            stack[top++] = c;
    }
    *count = seen;
    return found;
}

/* Structural mutation of a parsed document. */
static char *mutate_tree(const char *text)
{
    cJSON *root = cJSON_Parse(text);
    if (!root)
        return strdup(text);
    int count = 0;
    random_item(root, &count); /* count nodes */
    int rounds = 1 + (int)pick(3);
    for (int r = 0; r < rounds; r++) {
        int n = count;
        cJSON *item = random_item(root, &n);
        if (!item || item == root)
            continue;
        switch (pick(3)) {
        case 0: /* new value of another type, same key */
            if (item->type & (cJSON_Array | cJSON_Object))
                break;
            item->type = cJSON_NULL;
            break;
        case 1: /* replace the children of a container */
            if (cJSON_IsObject(item))
                cJSON_AddItemToObject(item, "Type", random_value());
            else if (cJSON_IsArray(item))
                cJSON_AddItemToArray(item, random_value());
            break;
        default: /* add a sibling key with a random value */
            if (cJSON_IsObject(root))
                cJSON_AddItemToObject(root, pick(2) ? "Policies" : "Flags", random_value());
            break;
        }
    }
    char *out = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return out ? out : strdup(text);
}

/* Byte-level mutation. */
static char *mutate_bytes(const char *text)
{
    size_t n = strlen(text);
    char *out = xmalloc(n * 2 + 64);
    memcpy(out, text, n + 1);
    switch (pick(6)) {
    case 0: /* truncate */
        out[pick(n + 1)] = '\0';
        break;
    case 1: /* flip a byte to anything but NUL */
        if (n)
            out[pick(n)] = (char)(1 + pick(255));
        break;
    case 2: /* invalid UTF-8 */
        if (n > 2)
            out[pick(n)] = (char)0xC0;
        break;
    case 3: { /* an escaped NUL inside the first string */
        char *q = strchr(out, '"');
        if (q) {
            memmove(q + 7, q + 1, strlen(q + 1) + 1);
            memcpy(q + 1, "\\u0000", 6);
        }
        break;
    }
    case 4: { /* deep nesting */
        size_t depth = 1000 + pick(2000);
        char *deep = xmalloc(depth * 2 + 32);
        char *o = deep;
        o += sprintf(o, "{\"Name\":");
        for (size_t i = 0; i < depth; i++)
            *o++ = '[';
        for (size_t i = 0; i < depth; i++)
            *o++ = ']';
        strcpy(o, "}");
        free(out);
        return deep;
    }
    default: /* duplicate a slice */
        if (n > 4) {
            size_t a = pick(n), len = pick(n - a);
            memmove(out + a + len, out + a, n - a + 1);
        }
        break;
    }
    return out;
}

static unsigned long failures, successes;

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            failures++;                                                                           \
            fprintf(stderr, "fuzz_documents: " __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                                                \
        }                                                                                         \
    } while (0)

/* Checks one call's contract; returns the result (caller frees) on success. */
static char *call_checked(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                          const char *parent, const char *doc)
{
    char *result = NULL, *record = NULL;
    HRESULT hr = hnsm_call(inst, kind, op, id, parent, doc, &result, &record);
    CHECK(hnsm_hresult_name(hr) != NULL, "unknown HRESULT 0x%08X for %s", (unsigned)hr, doc);
    if (FAILED(hr)) {
        char want[512];
        snprintf(want, sizeof want, "{\"Success\":false,\"Error\":\"%s \",\"ErrorCode\":%u}",
                 hnsm_hresult_message(hr), (unsigned)hr);
        CHECK(result == NULL, "a failed call returned a result");
        CHECK(record && strcmp(record, want) == 0, "bad ErrorRecord %s", record ? record : "NULL");
        hnsm_free(result);
        result = NULL;
    } else {
        successes++;
        CHECK(record == NULL, "a successful call returned an ErrorRecord");
    }
    hnsm_free(record);
    return result;
}

/* Every listed object must be queryable in both views. */
static void check_store(hnsm_instance *inst)
{
    static const char *const views[] = {"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                                        "{\"SchemaVersion\":{\"Major\":1,\"Minor\":0}}"};
    for (int kind = 0; kind < HNSM_KIND_COUNT; kind++) {
        char *list = NULL;
        if (FAILED(hnsm_call(inst, (hnsm_kind)kind, HNSM_OP_ENUMERATE, NULL, NULL, views[0], &list,
                             NULL)))
            continue;
        cJSON *ids = cJSON_Parse(list);
        CHECK(cJSON_IsArray(ids), "enumerate did not return an array");
        const cJSON *id;
        cJSON_ArrayForEach(id, ids)
        {
            for (int v = 0; v < 2; v++) {
                char *out = NULL;
                HRESULT hr = hnsm_call(inst, (hnsm_kind)kind, HNSM_OP_QUERY, id->valuestring, NULL,
                                       views[v], &out, NULL);
                CHECK(SUCCEEDED(hr) && out && out[0] == '{', "listed object %s does not query",
                      id->valuestring);
                hnsm_free(out);
            }
        }
        cJSON_Delete(ids);
        hnsm_free(list);
    }
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 20000;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
    hnsm_config config = {.profile = "ws2025", .seed = 3, .seed_set = 1};
    hnsm_instance *inst;
    if (hnsm_open(&config, &inst)) {
        fprintf(stderr, "fuzz_documents: cannot open an instance\n");
        return 1;
    }
    /* A valid network and endpoint for the documents that reference them. */
    char *net = call_checked(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
                             "{\"Name\":\"base\",\"Ipams\":[{\"Subnets\":[{\"IpAddressPrefix\":"
                             "\"10.9.0.0/16\",\"Routes\":[{\"NextHop\":\"10.9.0.1\","
                             "\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]}");
    char *ep = net ? call_checked(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, net,
                                  "{\"Name\":\"base-ep\"}")
                   : NULL;
    if (!net || !ep) {
        fprintf(stderr, "fuzz_documents: setup failed: %s\n", hnsm_last_detail());
        return 1;
    }
    for (long i = 0; i < iterations; i++) {
        const struct seed_doc *s = &seeds[pick(sizeof seeds / sizeof seeds[0])];
        char *base = substitute(s->text, net, ep);
        char *doc = pick(2) ? mutate_tree(base) : mutate_bytes(base);
        const char *target = s->kind == HNSM_NETWORK ? net : s->kind == HNSM_ENDPOINT ? ep : NULL;
        const char *id = (s->op == HNSM_OP_MODIFY || s->op == HNSM_OP_QUERY) ? target : NULL;
        if (s->kind == HNSM_NAMESPACE && s->op == HNSM_OP_MODIFY)
            id = NULL; /* modify of a namespace created below */
        char *out = call_checked(inst, s->kind, s->op, id, s->kind == HNSM_ENDPOINT ? net : NULL,
                                 doc);
        /* Keep the store small: delete what a create made. */
        if (out && s->op == HNSM_OP_CREATE && strcmp(out, net) != 0 && strcmp(out, ep) != 0)
            hnsm_call(inst, s->kind, HNSM_OP_DELETE, out, NULL, NULL, NULL, NULL);
        hnsm_free(out);
        free(doc);
        free(base);
    }
    check_store(inst);
    hnsm_free(net);
    hnsm_free(ep);
    hnsm_close(inst);
    printf("fuzz_documents: %ld documents (%lu accepted), %lu contract violations\n", iterations,
           successes, failures);
    return failures ? 1 : 0;
}
