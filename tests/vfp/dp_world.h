/*
 * dp_world.h - building HNS state for dataplane tests and benchmarks in a
 * few lines: in-memory instances, networks, local and remote endpoints,
 * load balancers, all through hnsm_call() with the JSON a CNI plugin or
 * kube-proxy would send. Every helper aborts the program on an unexpected
 * HRESULT (printing the ErrorRecord), so fixtures stay short; the tests
 * assert on the dataplane, not on HNS.
 */
#ifndef HNSIM_TESTS_DP_WORLD_H
#define HNSIM_TESTS_DP_WORLD_H

#include "net.h"

#include <hnsmock/hnsmock.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DP_V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"

/* An in-memory HNS of profile (NULL = ws2022) with a fixed seed. */
static inline hnsm_instance *dp_hns(const char *profile)
{
    hnsm_config config = {.profile = profile, .seed = 7, .seed_set = 1};
    hnsm_instance *inst = NULL;
    if (hnsm_open(&config, &inst) != 0) {
        fprintf(stderr, "dp_hns: hnsm_open failed\n");
        abort();
    }
    return inst;
}

/* Runs one call with a printf-built document; returns the result (the new
 * id for creates; malloc'd, free()) or aborts on failure. */
static inline char *dp_call(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                            const char *parent, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static inline char *dp_call(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                            const char *parent, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *doc = len < 0 ? NULL : malloc((size_t)len + 1);
    if (!doc)
        abort();
    va_start(ap, fmt);
    vsnprintf(doc, (size_t)len + 1, fmt, ap);
    va_end(ap);
    char *result = NULL, *error = NULL;
    HRESULT hr = hnsm_call(inst, kind, op, id, parent, doc, &result, &error);
    if (FAILED(hr)) {
        fprintf(stderr, "dp_call failed 0x%08X: %s\ndocument: %s\n", (unsigned)hr,
                error ? error : "", doc);
        abort();
    }
    char *copy = result ? strdup(result) : NULL;
    hnsm_free(result);
    hnsm_free(error);
    free(doc);
    return copy;
}

/* A network: type "L2Bridge" or "Overlay", one subnet with its gateway,
 * extra = more JSON members (",\"Policies\":[...]") or "". For Overlay,
 * vsid > 0 adds the VSID subnet policy. */
static inline char *dp_network(hnsm_instance *inst, const char *name, const char *type,
                               const char *subnet, const char *gateway, unsigned vsid,
                               const char *extra)
{
    char vsid_policy[96] = "";
    if (vsid)
        snprintf(vsid_policy, sizeof vsid_policy,
                 ",\"Policies\":[{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":%u}}]", vsid);
    return dp_call(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
                   "{\"Name\":\"%s\",\"Type\":\"%s\",\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":[{"
                   "\"IpAddressPrefix\":\"%s\"%s,\"Routes\":[{\"NextHop\":\"%s\","
                   "\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]%s," DP_V2 "}",
                   name, type, subnet, vsid_policy, gateway, extra ? extra : "");
}

/* A local endpoint with address ip and the given policies JSON array
 * contents ("" = none). */
static inline char *dp_pod(hnsm_instance *inst, const char *network, const char *name,
                           const char *ip, const char *policies)
{
    return dp_call(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, network,
                   "{\"Name\":\"%s\",\"IpConfigurations\":[{\"IpAddress\":\"%s\","
                   "\"PrefixLength\":24}],\"Policies\":[%s]," DP_V2 "}",
                   name, ip, policies ? policies : "");
}

/* A remote endpoint (Flags 1), with a ProviderAddress policy when pa. */
static inline char *dp_remote(hnsm_instance *inst, const char *network, const char *ip,
                              const char *pa)
{
    char policy[128] = "";
    if (pa)
        snprintf(policy, sizeof policy,
                 "{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"%s\"}}", pa);
    return dp_call(inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, network,
                   "{\"Name\":\"remote_%s\",\"Flags\":1,\"IpConfigurations\":[{\"IpAddress\":"
                   "\"%s\"}],\"Policies\":[%s]," DP_V2 "}",
                   ip, ip, policy);
}

/* A load balancer over backends (n endpoint ids). vip NULL = NodePort.
 * source_vip NULL = none. */
static inline char *dp_lb(hnsm_instance *inst, char *const *backends, size_t n, const char *vip,
                          int protocol, int external, int internal, unsigned mapping_flags,
                          unsigned lb_flags, const char *source_vip, unsigned distribution)
{
    char ids[2048] = "", vips[96] = "", svip[96] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++)
        used += (size_t)snprintf(ids + used, sizeof ids - used, "%s\"%s\"", i ? "," : "", backends[i]);
    if (vip)
        snprintf(vips, sizeof vips, ",\"FrontendVIPs\":[\"%s\"]", vip);
    if (source_vip)
        snprintf(svip, sizeof svip, ",\"SourceVIP\":\"%s\"", source_vip);
    return dp_call(inst, HNSM_LOADBALANCER, HNSM_OP_CREATE, NULL, NULL,
                   "{\"HostComputeEndpoints\":[%s]%s%s,\"PortMappings\":[{\"Protocol\":%d,"
                   "\"InternalPort\":%d,\"ExternalPort\":%d,\"Flags\":%u,\"DistributionType\":%u}],"
                   "\"Flags\":%u," DP_V2 "}",
                   ids, vips, svip, protocol, internal, external, mapping_flags, distribution,
                   lb_flags);
}

/* The OutBoundNAT policy win-bridge writes (Exceptions = cluster, services, nodes). */
#define DP_OUTBOUND_NAT                                                                            \
    "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":[\"10.244.0.0/16\",\"10.96.0.0/12\","  \
    "\"10.0.0.0/24\"]}}"

/* A packet src:sport -> dst:dport of protocol and size. */
static inline vfp_packet dp_packet(const char *src, uint16_t sport, const char *dst,
                                   uint16_t dport, uint8_t protocol, uint32_t size)
{
    vfp_packet p = {.protocol = protocol, .src_port = sport, .dst_port = dport, .size = size};
    if (vfp_addr_parse(src, &p.src) != 0 || vfp_addr_parse(dst, &p.dst) != 0)
        abort();
    return p;
}

/* Syncs node or aborts. */
static inline void dp_sync(net_node *n)
{
    char *error = NULL;
    if (net_node_sync(n, &error) != 0) {
        fprintf(stderr, "net_node_sync: %s\n", error ? error : "?");
        abort();
    }
}

#endif
