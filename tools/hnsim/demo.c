/*
 * demo.c - `hnsim demo`: a Windows node programmed the way flannel (host-gw)
 * and a CNI plugin (win-bridge) program it, through the public HCN API only.
 *
 * It starts a fresh store (replacing the file if it exists), creates the
 * L2Bridge network "cbr0" for the node's pod CIDR, the bridge endpoint on the
 * host's default namespace, then runs a CNI ADD for two pods: a namespace, an
 * endpoint with OutBoundNAT exceptions and the pod's IP, attached to the
 * namespace. It ends by printing `hnsim diag list all` of the result. Every
 * call is checked and a failure prints the HRESULT and ErrorRecord.
 */
#include "cli.h"

#include <computenetwork.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

static int demo_failed;

/* Reports a failed call; returns nonzero when hr failed. */
static int check(const char *what, HRESULT hr, PWSTR error)
{
    if (FAILED(hr)) {
        fprintf(stderr, "hnsim demo: %s failed: 0x%08X %s %ls\n", what, (unsigned)hr,
                hnsm_hresult_name(hr) ? hnsm_hresult_name(hr) : "", error ? error : L"");
        demo_failed = 1;
    }
    if (error)
        CoTaskMemFree(error);
    return FAILED(hr);
}

/* Copies the 36-character ID out of an object's properties into id. */
static void id_of(PWSTR properties, WCHAR id[37])
{
    const WCHAR *at = properties ? wcsstr(properties, L"\"ID\":\"") : NULL;
    wcsncpy(id, at ? at + 6 : L"", 36);
    id[36] = 0;
}

/* Adds endpoint_id to the namespace through a modify request. */
static void attach(HCN_NAMESPACE ns, const WCHAR *endpoint_id)
{
    WCHAR request[200];
    PWSTR error = NULL;
    swprintf(request, 200,
             L"{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\","
             L"\"Settings\":{\"EndpointId\":\"%ls\"}}",
             endpoint_id);
    check("HcnModifyNamespace (attach)", HcnModifyNamespace(ns, request, &error), error);
}

/* One CNI ADD: namespace, endpoint, attach. */
static void cni_add(HCN_NETWORK network, const WCHAR *container, const WCHAR *ip)
{
    WCHAR settings[1024];
    PWSTR error = NULL, props = NULL;
    HCN_NAMESPACE ns = NULL;
    HCN_ENDPOINT ep = NULL;
    WCHAR id[37];
    if (check("HcnCreateNamespace",
              HcnCreateNamespace(&GUID_NULL, L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &ns,
                                 &error),
              error))
        return;
    swprintf(settings, 1024,
             L"{\"Name\":\"%ls_cbr0\",\"IpConfigurations\":[{\"IpAddress\":\"%ls\"}],"
             L"\"Routes\":[{\"NextHop\":\"10.244.1.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}],"
             L"\"Dns\":{\"ServerList\":[\"10.96.0.10\"],\"Search\":[\"svc.cluster.local\"]},"
             L"\"Policies\":[{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":"
             L"[\"10.244.0.0/16\",\"10.96.0.0/12\",\"10.0.0.0/24\"]}},"
             L"{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"10.96.0.0/12\","
             L"\"NeedEncap\":true}}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
             container, ip);
    error = NULL;
    if (!check("HcnCreateEndpoint", HcnCreateEndpoint(network, &GUID_NULL, settings, &ep, &error),
               error)) {
        error = NULL;
        check("HcnQueryEndpointProperties",
              HcnQueryEndpointProperties(ep, L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                                         &props, &error),
              error);
        id_of(props, id);
        CoTaskMemFree(props);
        attach(ns, id);
        HcnCloseEndpoint(ep);
    }
    HcnCloseNamespace(ns);
}

int cmd_demo(int argc, char **argv)
{
    const char *store = "hnsim-demo.db", *profile = "ws2022";
    unsigned long long seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--store") == 0 && i + 1 < argc)
            store = argv[++i];
        else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
            profile = argv[++i];
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else {
            fprintf(stderr, "usage: hnsim demo [--store PATH] [--seed N] [--profile P]\n");
            return 2;
        }
    }
    /* A fresh node every time: the old store and its WAL files go. */
    char path[4096];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s%s", store, suffixes[i]);
        unlink(path);
    }
    hnsm_config config = {.store = store, .profile = profile, .seed = seed, .seed_set = 1};
    hnsm_instance *inst = NULL;
    int err = hnsm_open(&config, &inst);
    if (err) {
        fprintf(stderr, "hnsim demo: cannot create %s: %s\n", store, hnsm_strerror(err));
        return 1;
    }
    hnsm_use(inst);
    printf("# A %s node: flannel host-gw creates cbr0, then win-bridge runs CNI ADD twice.\n"
           "# Store: %s (seed %llu)\n\n",
           profile, store, seed);

    HCN_NETWORK network = NULL;
    HCN_NAMESPACE host = NULL;
    HCN_ENDPOINT bridge = NULL;
    PWSTR error = NULL, props = NULL;
    WCHAR id[37];
    if (!check("HcnCreateNetwork",
               HcnCreateNetwork(&GUID_NULL,
                                L"{\"Name\":\"cbr0\",\"Type\":\"L2Bridge\",\"Ipams\":[{\"Type\":"
                                L"\"Static\",\"Subnets\":[{\"IpAddressPrefix\":\"10.244.1.0/24\","
                                L"\"Routes\":[{\"NextHop\":\"10.244.1.1\",\"DestinationPrefix\":"
                                L"\"0.0.0.0/0\"}]}]}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                                &network, &error),
               error) &&
        !check("HcnCreateNamespace (host default)",
               HcnCreateNamespace(&GUID_NULL,
                                  L"{\"Type\":\"HostDefault\",\"SchemaVersion\":{\"Major\":2,"
                                  L"\"Minor\":0}}",
                                  &host, &error),
               error) &&
        !check("HcnCreateEndpoint (cbr0_ep)",
               HcnCreateEndpoint(network, &GUID_NULL,
                                 L"{\"Name\":\"cbr0_ep\",\"IpConfigurations\":[{\"IpAddress\":"
                                 L"\"10.244.1.2\"}],\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}",
                                 &bridge, &error),
               error)) {
        HcnQueryEndpointProperties(bridge, L"{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}", &props,
                                   NULL);
        id_of(props, id);
        CoTaskMemFree(props);
        attach(host, id);
        cni_add(network, L"4f6c2a1b9e0d", L"10.244.1.3");
        cni_add(network, L"7a3e5c9d1f2b", L"10.244.1.4");
    }
    HcnCloseEndpoint(bridge);
    HcnCloseNamespace(host);
    HcnCloseNetwork(network);
    hnsm_use(NULL);
    hnsm_close(inst);
    if (demo_failed)
        return 1;
    char *diag_argv[] = {"diag", "list", "all", "--store", (char *)store, NULL};
    return cmd_diag(5, diag_argv);
}
