/*
 * loadbalancer.c - HostComputeLoadBalancer: create, modify, delete, render in
 * v2 and as the v1 ELB policy list, and the "applied" mark of the fault API.
 *
 * A load balancer is a row of `loadbalancers` whose doc holds the canonical
 * settings (SourceVIP, FrontendVIPs, PortMappings, Flags, HostComputeNetwork;
 * no ID and no backends), plus one `lb_backends` row per backend endpoint in
 * the caller's order, plus one `lb_frontends` row per (protocol, frontend VIP
 * or '' for "every host address", external port) it listens on. The frontend
 * rows make the uniqueness rule an index lookup (consumers.md 1.3, 8): a new
 * frontend conflicts with an existing one of the same protocol and external
 * port when the VIPs are equal, or when one of them is '' (a NodePort-style
 * LB without FrontendVIPs) and the other is '' or the host's own address.
 * The answer is HCN_E_PORT_ALREADY_EXISTS, except that re-creating exactly a
 * load balancer an HNS restart rehydrated (loadbalancers.rehydrated = 1, set
 * by lifecycle.c) gives ERROR_ALREADY_EXISTS (choice
 * LB_REHYDRATED_RECREATE_ALREADY_EXISTS). "Exactly" is kube-proxy's identity
 * of an LB (consumers.md 2.5): the same set of (protocol, internal port,
 * external port), the same set of frontend VIPs and the same set of backend
 * endpoint ids; SourceVIP and the flags are not compared.
 *
 * Backends must exist when named; deleting one later is allowed (endpoint
 * delete is not blocked) and leaves the reference in place, so the LB shows
 * degraded: v1 State 4 (field-bugs.md A8.4), v2 Detailed State 4, and
 * HostComputeEndpoints / References keep the dead id (field-bugs.md A5). A
 * backend that lost its switch port (State Destroyed, after a restart under
 * lifecycle choice RESTART_DROPS_LOCAL_ENDPOINTS = 2) degrades it the same way.
 *
 * Decisions the reference leaves open, besides the rows of choices.def
 * (LB_REQUIRES_PORT_MAPPING, LB_FEATURE_REFUSAL_INVALID_POLICY,
 * LB_DISTRIBUTION_IGNORED_WITHOUT_AFFINITY, LB_MODIFY_SETTINGS_NEEDS_15_4,
 * LB_NOT_APPLIED_IS_DEGRADED, LB_DELETE_DEGRADED_FAILS,
 * LB_REHYDRATED_RECREATE_ALREADY_EXISTS):
 *
 * | question                                  | answer                                   | reference            |
 * |-------------------------------------------|------------------------------------------|----------------------|
 * | open/query/delete of a missing LB         | ERROR_NOT_FOUND (0x80070490), as for     | hcn-api.md 8.1, 4.2  |
 * |                                           | namespaces                               |                      |
 * | a bad LB document (protocol, flag bits,   | HCN_E_INVALID_POLICY: HNS keeps an LB as | consumers.md 1.3     |
 * | DistributionType, VIP family vs IPv6 flag)| an ELB policy                            |                      |
 * | Protocol                                  | 6 (TCP) or 17 (UDP), required            | hcn-api.md 2.5       |
 * | InternalPort 0                            | HCN_E_INVALID_INTERNAL_PORT              | hcn-api.md 4.1       |
 * | ExternalPort 0 / absent                   | the InternalPort (as for PortMapping)    | inferred             |
 * | SourceVIP / FrontendVIPs not an address,  | HCN_E_ADDR_INVALID_OR_RESERVED           | consumers.md 1.3, 7  |
 * | or unspecified/loopback/multicast/        |                                          |                      |
 * | broadcast                                 |                                          |                      |
 * | VIP family                                | IPv6 exactly when LB Flags has IPv6 (2)  | hcn-api.md 2.5       |
 * | FrontendVIPs vs the 2018 VirtualIPs       | both read; FrontendVIPs wins; emitted as | hcn-api.md 2.5, 8.15 |
 * |                                           | FrontendVIPs                             |                      |
 * | backend GUID text not a GUID              | HCN_E_GUID_CONVERSION_FAILURE            | as namespace modify  |
 * | backend missing                           | HCN_E_ENDPOINT_NOT_FOUND                 | brief, hcn-api.md 4.1|
 * | backend whose switch port vanished (State | HCN_E_PORT_NOT_FOUND (0x803B0007)        | consumers.md 1.3,    |
 * | Destroyed, set by lifecycle/faults)       |                                          | field-bugs.md A2     |
 * | a backend named twice                     | kept once, first position                | inferred             |
 * | HostComputeNetwork                        | read from schema 2.5 on (must exist:     | hcn-api.md 2.5       |
 * |                                           | HCN_E_NETWORK_NOT_FOUND); ignored before |                      |
 * | whole-document modify: ID in the document | absent or the LB's own; else E_INVALIDARG| inferred             |
 * | settings modify ResourceType              | Endpoint (1); Add/Remove only            | hcn-api.md 1.9.12    |
 * | settings Add of a current backend         | HCN_E_POLICY_ALREADY_EXISTS              | inferred             |
 * | settings Remove of a non-backend          | HCN_E_ENDPOINT_NOT_FOUND                 | inferred             |
 * | a successful modify                       | re-programs the LB: applied = 1,         | inferred             |
 * |                                           | rehydrated = 0 (a client owns it again)  |                      |
 * | v1 State                                  | 1; 4 when degraded                       | diagnostics.md 4     |
 * | v1 NetworkId                              | HostComputeNetwork, else the network of  | diagnostics.md 4     |
 * |                                           | the first backend still listed           |                      |
 * | v2 Detailed                               | adds State (as v1) and Version; IsApplied| consumers.md 9.5     |
 * |                                           | only in v1                               |                      |
 * | v1 (policy list) create document          | accepted: ELB Policies + References      | hcn-api.md 5.3       |
 */
#include "objects.h"

#include "feature_gates.h"
#include "hresult.h"
#include "ipaddr.h"
#include "jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* LoadBalancerFlags (hcn-api.md 2.5). */
enum { LB_FLAG_DSR = 1, LB_FLAG_IPV6 = 2, LB_FLAGS_KNOWN = 3 };

/* LoadBalancerPortMappingFlags; VipExternalIP is kube-proxy's own constant,
 * which HNS receives all the same (field-bugs.md 0.4). */
enum {
    PM_FLAG_ILB = 1,
    PM_FLAG_LOCAL_ROUTED_VIP = 2,
    PM_FLAG_USE_MUX = 4,
    PM_FLAG_PRESERVE_DIP = 8,
    PM_FLAG_VIP_EXTERNAL_IP = 16,
    PM_FLAGS_KNOWN = 31
};

/* v1 policy-list State values (diagnostics.md 4). */
enum { LB_STATE_OK = 1, LB_STATE_DEGRADED = 4 };

/* HcnModifyLoadBalancer ModifySettingRequest resources ([WSDOC] sample: 1). */
static const jx_enum_entry lb_resource_types[] = {{"Endpoint", 1}, {NULL, 0}};

/* ---- validation ------------------------------------------------------------------ */

/* A load balancer as validated. */
typedef struct lb_spec {
    cJSON *doc;      /* canonical settings: SourceVIP, FrontendVIPs, PortMappings, Flags,
                        HostComputeNetwork (zero values omitted) */
    cJSON *backends; /* canonical endpoint ids, in order, each once */
} lb_spec;

static void lb_spec_free(lb_spec *s)
{
    cJSON_Delete(s->doc);
    cJSON_Delete(s->backends);
    s->doc = s->backends = NULL;
}

/* True for addresses no VIP can be: unspecified, loopback, multicast and the
 * IPv4 class E / broadcast range. */
static bool address_reserved(const hnsm_ip *ip)
{
    if (ip->family == 4) {
        uint8_t a = ip->b[12];
        return a == 0 || a == 127 || a >= 224;
    }
    static const uint8_t zero[16];
    if (memcmp(ip->b, zero, 16) == 0)
        return true;
    if (memcmp(ip->b, zero, 15) == 0 && ip->b[15] == 1)
        return true;
    return ip->b[0] == 0xff;
}

/* Validates one VIP (field names it for the detail) against the LB's IPv6
 * flag; writes its canonical text. */
static HRESULT lb_address(const char *field, const char *text, bool ipv6, char out[HNSM_IP_TEXT])
{
    hnsm_ip ip;
    if (!hnsm__ip_parse(text, &ip) || hnsm__ip_is_v4_mapped_v6(&ip) || address_reserved(&ip))
        return hnsm__detail(HNSM_HCN_E_ADDR_INVALID_OR_RESERVED,
                            "%s \"%s\" is not a usable address", field, text);
    if ((ip.family == 6) != ipv6)
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY,
                            "%s %s is IPv%d but the load balancer's IPv6 flag is %s", field, text,
                            ip.family, ipv6 ? "set" : "not set");
    hnsm__ip_format(&ip, out);
    return S_OK;
}

/* The HRESULT for a flag or value the profile's HNS does not support. */
static HRESULT lb_unsupported(const hnsm_instance *inst, hnsm_feature f, const char *what)
{
    HRESULT hr = hnsm__choice(inst, HNSM_CHOICE_LB_FEATURE_REFUSAL_INVALID_POLICY)
                     ? HNSM_HCN_E_INVALID_POLICY
                     : HNSM_E_INVALIDARG;
    return hnsm__detail(hr, "%s needs the %s feature, which HNS %u.%u lacks", what,
                        hnsm__feature_name(f), inst->profile.major, inst->profile.minor);
}

/* Validates PortMappings into canonical entries appended to out. */
static HRESULT lb_port_mappings(hnsm_instance *inst, const cJSON *list, cJSON *out)
{
    const HRESULT bad = hnsm__type_error(inst);
    bool affinity = hnsm__feature(&inst->profile, HNSM_FEATURE_SESSION_AFFINITY);
    const cJSON *pm;
    cJSON_ArrayForEach(pm, list)
    {
        uint64_t protocol = 0, internal = 0, external = 0, distribution = 0, flags = 0;
        HRESULT hr;
        if (!cJSON_IsObject(pm))
            return hnsm__detail(bad, "PortMappings entries must be objects");
        if (FAILED(hr = jx_uint(pm, "Protocol", 0xFFFFFFFFu, bad, &protocol)) ||
            FAILED(hr = jx_uint(pm, "InternalPort", 0xFFFF, bad, &internal)) ||
            FAILED(hr = jx_uint(pm, "ExternalPort", 0xFFFF, bad, &external)) ||
            FAILED(hr = jx_uint(pm, "DistributionType", 0xFFFFFFFFu, bad, &distribution)) ||
            FAILED(hr = jx_uint(pm, "Flags", 0xFFFFFFFFu, bad, &flags)))
            return hr;
        if (protocol != 6 && protocol != 17)
            return hnsm__detail(HNSM_HCN_E_INVALID_POLICY,
                                "PortMappings Protocol %llu is neither TCP (6) nor UDP (17)",
                                (unsigned long long)protocol);
        if (!internal)
            return hnsm__detail(HNSM_HCN_E_INVALID_INTERNAL_PORT,
                                "a load balancer PortMapping needs an InternalPort");
        if (distribution > 2)
            return hnsm__detail(HNSM_HCN_E_INVALID_POLICY,
                                "DistributionType %llu is not 0, 1 or 2",
                                (unsigned long long)distribution);
        if (flags & ~(uint64_t)PM_FLAGS_KNOWN)
            return hnsm__detail(HNSM_HCN_E_INVALID_POLICY,
                                "PortMappings Flags 0x%llx has unknown bits",
                                (unsigned long long)flags);
        if (distribution && !affinity) {
            /* An HNS that predates the field drops it (kube-proxy still sends it). */
            if (!hnsm__choice(inst, HNSM_CHOICE_LB_DISTRIBUTION_IGNORED_WITHOUT_AFFINITY))
                return lb_unsupported(inst, HNSM_FEATURE_SESSION_AFFINITY, "DistributionType");
            distribution = 0;
        }
        cJSON *c = cJSON_CreateObject();
        cJSON_AddNumberToObject(c, "Protocol", (double)protocol);
        cJSON_AddNumberToObject(c, "InternalPort", (double)internal);
        cJSON_AddNumberToObject(c, "ExternalPort", (double)(external ? external : internal));
        jx_put_uint(c, "DistributionType", distribution);
        jx_put_uint(c, "Flags", flags);
        cJSON_AddItemToArray(out, c);
    }
    return S_OK;
}

/* Validates a v2 HostComputeLoadBalancer document into spec. */
static HRESULT lb_parse(hnsm_instance *inst, const cJSON *in, lb_spec *spec)
{
    const HRESULT bad = hnsm__type_error(inst);
    const cJSON *endpoints, *vips, *mappings;
    const char *source = NULL;
    uint64_t flags = 0;
    char network[HNSM_GUID_TEXT];
    HRESULT hr;
    memset(spec, 0, sizeof *spec);
    if (FAILED(hr = jx_uint(in, "Flags", 0xFFFFFFFFu, bad, &flags)) ||
        FAILED(hr = jx_array(in, "HostComputeEndpoints", bad, &endpoints)) ||
        FAILED(hr = jx_string(in, "SourceVIP", bad, &source)) ||
        FAILED(hr = jx_array(in, "FrontendVIPs", bad, &vips)) ||
        FAILED(hr = jx_array(in, "PortMappings", bad, &mappings)))
        return hr;
    if (!vips && FAILED(hr = jx_array(in, "VirtualIPs", bad, &vips)))
        return hr;
    if (flags & ~(uint64_t)LB_FLAGS_KNOWN)
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY, "load balancer Flags 0x%llx has unknown bits",
                            (unsigned long long)flags);
    if ((flags & LB_FLAG_DSR) && !hnsm__feature(&inst->profile, HNSM_FEATURE_DSR))
        return lb_unsupported(inst, HNSM_FEATURE_DSR, "the DSR flag");
    if ((flags & LB_FLAG_IPV6) && !hnsm__feature(&inst->profile, HNSM_FEATURE_IPV6_DUAL_STACK))
        return lb_unsupported(inst, HNSM_FEATURE_IPV6_DUAL_STACK, "the IPv6 flag");
    const bool ipv6 = flags & LB_FLAG_IPV6;

    spec->doc = cJSON_CreateObject();
    char text[HNSM_IP_TEXT];
    if (source && *source) {
        if (FAILED(hr = lb_address("SourceVIP", source, ipv6, text)))
            goto fail;
        cJSON_AddStringToObject(spec->doc, "SourceVIP", text);
    }
    cJSON *frontends = cJSON_CreateArray();
    const cJSON *vip;
    cJSON_ArrayForEach(vip, vips)
    {
        if (!cJSON_IsString(vip)) {
            cJSON_Delete(frontends);
            hr = hnsm__detail(bad, "FrontendVIPs entries must be strings");
            goto fail;
        }
        if (FAILED(hr = lb_address("FrontendVIP", vip->valuestring, ipv6, text))) {
            cJSON_Delete(frontends);
            goto fail;
        }
        cJSON_AddItemToArray(frontends, cJSON_CreateString(text));
    }
    if (cJSON_GetArraySize(frontends))
        cJSON_AddItemToObject(spec->doc, "FrontendVIPs", frontends);
    else
        cJSON_Delete(frontends);
    cJSON *canonical_mappings = cJSON_AddArrayToObject(spec->doc, "PortMappings");
    if (FAILED(hr = lb_port_mappings(inst, mappings, canonical_mappings)))
        goto fail;
    if (!cJSON_GetArraySize(canonical_mappings) &&
        hnsm__choice(inst, HNSM_CHOICE_LB_REQUIRES_PORT_MAPPING)) {
        hr = hnsm__detail(HNSM_HCN_E_INVALID_POLICY, "a load balancer needs a PortMapping");
        goto fail;
    }
    jx_put_uint(spec->doc, "Flags", flags);
    if (FAILED(hr = hnsm__network_ref(inst, in, network)))
        goto fail;
    jx_put_string(spec->doc, "HostComputeNetwork", network);
    if (FAILED(hr = hnsm__endpoint_refs(inst, endpoints, &spec->backends)))
        goto fail;
    return S_OK;
fail:
    lb_spec_free(spec);
    return hr;
}

/* ---- the v1 policy-list document ---------------------------------------------------- */

/* A create document in the v1 PolicyList shape ({References, Policies:[ELB]})
 * rather than a HostComputeLoadBalancer. */
static bool lb_doc_is_v1(const cJSON *doc)
{
    static const char *const v2_keys[] = {"PortMappings", "HostComputeEndpoints", "FrontendVIPs",
                                          "VirtualIPs", "SchemaVersion", NULL};
    for (int i = 0; v2_keys[i]; i++)
        if (cJSON_GetObjectItem(doc, v2_keys[i]))
            return false;
    return cJSON_GetObjectItem(doc, "Policies") || cJSON_GetObjectItem(doc, "References");
}

/* Converts a v1 policy list (ELB policies, hcn-api.md 5.3) into a v2 document. */
static HRESULT lb_from_v1(const hnsm_instance *inst, const cJSON *v1, cJSON **out)
{
    const HRESULT bad = hnsm__type_error(inst);
    const cJSON *references, *policies, *item;
    HRESULT hr;
    if (FAILED(hr = jx_array(v1, "References", bad, &references)) ||
        FAILED(hr = jx_array(v1, "Policies", bad, &policies)))
        return hr;
    cJSON *v2 = cJSON_CreateObject();
    if ((item = cJSON_GetObjectItem(v1, "ID")))
        cJSON_AddItemToObject(v2, "ID", cJSON_Duplicate(item, 1));
    cJSON *endpoints = cJSON_AddArrayToObject(v2, "HostComputeEndpoints");
    cJSON_ArrayForEach(item, references)
    {
        if (!cJSON_IsString(item)) {
            hr = hnsm__detail(bad, "References entries must be strings");
            goto fail;
        }
        const char *ref = item->valuestring;
        if (strncasecmp(ref, "/endpoints/", 11) == 0)
            ref += 11;
        cJSON_AddItemToArray(endpoints, cJSON_CreateString(ref));
    }
    cJSON *mappings = cJSON_AddArrayToObject(v2, "PortMappings");
    const cJSON *first = NULL;
    bool dsr = false;
    cJSON_ArrayForEach(item, policies)
    {
        const cJSON *type = cJSON_GetObjectItem(item, "Type");
        if (!cJSON_IsObject(item) || !cJSON_IsString(type) ||
            strcasecmp(type->valuestring, "ELB") != 0) {
            hr = hnsm__detail(HNSM_HCN_E_INVALID_POLICY_TYPE,
                              "a load balancer policy list holds ELB policies only");
            goto fail;
        }
        /* One ELB per port mapping; VIPs, SourceVIP and IsDSR are the LB's. */
        static const char *const shared[] = {"VIPs", "SourceVIP", "IsDSR"};
        for (int i = 0; first && i < 3; i++)
            if (!jx_equal(cJSON_GetObjectItem(first, shared[i]), cJSON_GetObjectItem(item, shared[i]))) {
                hr = hnsm__detail(HNSM_HCN_E_INVALID_POLICY, "the ELB policies disagree on %s",
                                  shared[i]);
                goto fail;
            }
        if (!first) {
            first = item;
            if (FAILED(hr = jx_bool(item, "IsDSR", bad, &dsr)))
                goto fail;
        }
        cJSON *pm = cJSON_CreateObject();
        cJSON_AddItemToArray(mappings, pm);
        static const char *const numbers[] = {"Protocol", "InternalPort", "ExternalPort"};
        for (int i = 0; i < 3; i++)
            if ((type = cJSON_GetObjectItem(item, numbers[i])))
                cJSON_AddItemToObject(pm, numbers[i], cJSON_Duplicate(type, 1));
        static const struct {
            const char *key;
            unsigned bit;
        } bits[] = {{"ILB", PM_FLAG_ILB},
                    {"LocalRoutedVip", PM_FLAG_LOCAL_ROUTED_VIP},
                    {"UseMux", PM_FLAG_USE_MUX},
                    {"PreserveDip", PM_FLAG_PRESERVE_DIP}};
        unsigned flags = 0;
        for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++) {
            bool on = false;
            if (FAILED(hr = jx_bool(item, bits[i].key, bad, &on)))
                goto fail;
            flags |= on ? bits[i].bit : 0;
        }
        jx_put_uint(pm, "Flags", flags);
    }
    const cJSON *vips = NULL;
    const char *source = NULL;
    if (first && (FAILED(hr = jx_array(first, "VIPs", bad, &vips)) ||
                  FAILED(hr = jx_string(first, "SourceVIP", bad, &source))))
        goto fail;
    if (vips)
        cJSON_AddItemToObject(v2, "FrontendVIPs", cJSON_Duplicate(vips, 1));
    jx_put_string(v2, "SourceVIP", source);
    /* v1 has no IPv6 flag: the address family of the VIPs says it. */
    const cJSON *vip0 = cJSON_GetArrayItem(vips, 0);
    const char *sample = cJSON_IsString(vip0) ? vip0->valuestring : source;
    hnsm_ip ip;
    bool ipv6 = sample && hnsm__ip_parse(sample, &ip) && ip.family == 6;
    jx_put_uint(v2, "Flags", (dsr ? LB_FLAG_DSR : 0u) | (ipv6 ? LB_FLAG_IPV6 : 0u));
    *out = v2;
    return S_OK;
fail:
    cJSON_Delete(v2);
    return hr;
}

/* ---- frontends, identity, conflicts ---------------------------------------------------- */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends the sorted, comma-joined strings to buf. */
static void append_sorted(char **items, int n, char *buf, size_t size)
{
    qsort(items, (size_t)n, sizeof *items, compare_strings);
    for (int i = 0; i < n; i++) {
        strncat(buf, items[i], size - strlen(buf) - 1);
        strncat(buf, ",", size - strlen(buf) - 1);
    }
}

/* kube-proxy's identity of an LB (consumers.md 2.5) as text: the sets of
 * port mappings, frontend VIPs and backends. malloc'd; NULL when out of memory. */
static char *lb_identity(const cJSON *doc, const cJSON *backends)
{
    int nm = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "PortMappings"));
    int nv = cJSON_GetArraySize(cJSON_GetObjectItem(doc, "FrontendVIPs"));
    int nb = cJSON_GetArraySize(backends);
    size_t size = (size_t)(nm * 24 + nv * (HNSM_IP_TEXT + 1) + nb * HNSM_GUID_TEXT + 8);
    char *buf = calloc(1, size);
    char **items = calloc((size_t)(nm + nv + nb + 1), sizeof *items);
    char (*mapping_text)[24] = calloc((size_t)nm + 1, sizeof *mapping_text);
    if (!buf || !items || !mapping_text) {
        free(buf);
        buf = NULL;
        goto done;
    }
    int i = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "PortMappings"))
    {
        snprintf(mapping_text[i], sizeof mapping_text[i], "%d/%d/%d",
                 (int)cJSON_GetObjectItem(item, "Protocol")->valuedouble,
                 (int)cJSON_GetObjectItem(item, "InternalPort")->valuedouble,
                 (int)cJSON_GetObjectItem(item, "ExternalPort")->valuedouble);
        items[i] = mapping_text[i];
        i++;
    }
    append_sorted(items, nm, buf, size);
    strncat(buf, "|", size - strlen(buf) - 1);
    i = 0;
    cJSON_ArrayForEach(item, cJSON_GetObjectItem(doc, "FrontendVIPs")) items[i++] = item->valuestring;
    append_sorted(items, nv, buf, size);
    strncat(buf, "|", size - strlen(buf) - 1);
    i = 0;
    cJSON_ArrayForEach(item, backends) items[i++] = item->valuestring;
    append_sorted(items, nb, buf, size);
done:
    free(items);
    free(mapping_text);
    return buf;
}

/* The stored state of a load balancer. */
typedef struct lb_row {
    bool applied;                     /* VFP programmed (IsApplied) */
    bool rehydrated;                  /* restored by an HNS restart */
    cJSON *doc;                       /* canonical settings */
    cJSON *backends;                  /* endpoint ids in order */
    int missing;                      /* backends gone, or without their port */
    char network_id[HNSM_GUID_TEXT];  /* network of the first backend still listed, or "" */
} lb_row;

static void lb_row_free(lb_row *row)
{
    cJSON_Delete(row->doc);
    cJSON_Delete(row->backends);
    row->doc = row->backends = NULL;
}

static HRESULT lb_load(hnsm_instance *inst, const char *id, lb_row *row)
{
    memset(row, 0, sizeof *row);
    sqlite3_stmt *st = hnsm__stmt(inst, "SELECT applied, rehydrated, doc FROM loadbalancers "
                                        "WHERE id = ?1");
    sqlite3_stmt *backends = hnsm__stmt(
        inst, "SELECT b.endpoint_id, e.network_id, e.state FROM lb_backends b LEFT JOIN "
              "endpoints e ON e.id = b.endpoint_id WHERE b.lb_id = ?1 ORDER BY b.rowid");
    if (!st || !backends)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    HRESULT hr;
    if (rc == SQLITE_ROW) {
        row->applied = sqlite3_column_int(st, 0) != 0;
        row->rehydrated = sqlite3_column_int(st, 1) != 0;
        hr = hnsm__parse_stored((const char *)sqlite3_column_text(st, 2), &row->doc);
    } else if (rc == SQLITE_DONE) {
        hr = hnsm__detail(HNSM_HRESULT_ERROR_NOT_FOUND, "no load balancer %s", id);
    } else {
        hr = hnsm__sql_error(inst, rc);
    }
    sqlite3_reset(st);
    if (FAILED(hr))
        return hr;
    row->backends = cJSON_CreateArray();
    sqlite3_bind_text(backends, 1, id, -1, SQLITE_STATIC);
    while ((rc = sqlite3_step(backends)) == SQLITE_ROW) {
        cJSON_AddItemToArray(row->backends,
                             cJSON_CreateString((const char *)sqlite3_column_text(backends, 0)));
        const unsigned char *network = sqlite3_column_text(backends, 1);
        if (!network || sqlite3_column_int(backends, 2) == HNSM_EP_DESTROYED)
            row->missing++;
        if (network && !row->network_id[0])
            snprintf(row->network_id, sizeof row->network_id, "%s", (const char *)network);
    }
    sqlite3_reset(backends);
    if (rc != SQLITE_DONE) {
        lb_row_free(row);
        return hnsm__sql_error(inst, rc);
    }
    return S_OK;
}

/* The owner of a frontend a deleted LB leaked (choice LB_DELETE_LEAKS_PORT)
 * is this prefix and the LB's id; an HNS restart removes such rows. */
#define LEAKED_PREFIX "leaked:"

/* The HRESULT for a new LB whose frontend collides with LB other:
 * ERROR_ALREADY_EXISTS when other is a rehydrated LB with lb_id's
 * identity (choice LB_REHYDRATED_RECREATE_ALREADY_EXISTS), else
 * HCN_E_PORT_ALREADY_EXISTS. */
static HRESULT conflict_hresult(hnsm_instance *inst, const char *lb_id, const char *other,
                                const lb_spec *spec, int protocol, const char *vip, int port)
{
    if (!strncmp(other, LEAKED_PREFIX, strlen(LEAKED_PREFIX)))
        return hnsm__detail(HNSM_HCN_E_PORT_ALREADY_EXISTS,
                            "protocol %d %s:%d is still reserved by deleted load balancer %s "
                            "(choice LB_DELETE_LEAKS_PORT)",
                            protocol, *vip ? vip : "(all host addresses)", port,
                            other + strlen(LEAKED_PREFIX));
    /* other may be lb_id itself: two of its own mappings share a frontend. */
    if (strcmp(other, lb_id) != 0 &&
        hnsm__choice(inst, HNSM_CHOICE_LB_REHYDRATED_RECREATE_ALREADY_EXISTS)) {
        lb_row row;
        HRESULT hr = lb_load(inst, other, &row);
        if (FAILED(hr))
            return hr;
        bool same = false, out_of_memory = false;
        if (row.rehydrated) {
            char *mine = lb_identity(spec->doc, spec->backends);
            char *theirs = lb_identity(row.doc, row.backends);
            out_of_memory = !mine || !theirs;
            same = !out_of_memory && strcmp(mine, theirs) == 0;
            free(mine);
            free(theirs);
        }
        lb_row_free(&row);
        if (out_of_memory)
            return HNSM_E_OUTOFMEMORY;
        if (same)
            return hnsm__detail(HNSM_HRESULT_ERROR_ALREADY_EXISTS,
                                "load balancer %s, rehydrated by the HNS restart, is this one",
                                other);
    }
    return hnsm__detail(HNSM_HCN_E_PORT_ALREADY_EXISTS,
                        "protocol %d %s:%d is already a frontend of load balancer %s", protocol,
                        *vip ? vip : "(all host addresses)", port, other);
}

/* The host's own address (canonical text), which a frontend-less LB also
 * listens on. */
static HRESULT host_address(hnsm_instance *inst, char out[HNSM_IP_TEXT])
{
    char adapter[64], prefix_text[64];
    HRESULT hr = hnsm__host(inst, adapter, prefix_text);
    hnsm_prefix prefix;
    out[0] = '\0';
    if (SUCCEEDED(hr) && hnsm__prefix_parse(prefix_text, true, &prefix))
        hnsm__ip_format(&prefix.addr, out);
    return hr;
}

/* Checks one frontend against the others, then records it for lb_id. */
static HRESULT claim_frontend(hnsm_instance *inst, const char *lb_id, const lb_spec *spec,
                              int protocol, const char *vip, int port)
{
    /* Rows that can collide with a VIP: the same VIP, or '' (every host
     * address), which collides only when the VIP is the host's address. A ''
     * frontend collides with '' and with the host's address. */
    sqlite3_stmt *find = hnsm__stmt(inst, "SELECT lb_id, vip FROM lb_frontends WHERE protocol = ?1 "
                                          "AND external_port = ?2 AND vip IN (?3, '')");
    sqlite3_stmt *add = hnsm__stmt(inst, "INSERT INTO lb_frontends(lb_id, protocol, vip, "
                                         "external_port) VALUES(?1, ?2, ?3, ?4)");
    if (!find || !add)
        return HNSM_E_FAIL;
    char host[HNSM_IP_TEXT] = "", other[sizeof LEAKED_PREFIX + HNSM_GUID_TEXT] = "";
    bool host_known = false;
    HRESULT hr = S_OK;
    if (hnsm__host_port_held(inst, protocol, port)) {
        /* A host socket holds the port on the host's addresses; on every
           VIP with HOST_SOCKET_HOLDS_EVERY_VIP (host_sockets.c). */
        bool on_host = !*vip || hnsm__choice(inst, HNSM_CHOICE_HOST_SOCKET_HOLDS_EVERY_VIP);
        if (!on_host) {
            if (FAILED(hr = host_address(inst, host)))
                return hr;
            host_known = true;
            on_host = strcmp(vip, host) == 0;
        }
        if (on_host)
            return hnsm__detail(HNSM_HCN_E_PORT_ALREADY_EXISTS,
                                "protocol %d %s:%d is held by a socket of a host process", protocol,
                                *vip ? vip : "(all host addresses)", port);
    }
    if (!*vip) {
        if (FAILED(hr = host_address(inst, host)))
            return hr;
        host_known = true;
    }
    sqlite3_bind_int(find, 1, protocol);
    sqlite3_bind_int(find, 2, port);
    sqlite3_bind_text(find, 3, *vip ? vip : host, -1, SQLITE_STATIC);
    int rc = SQLITE_DONE;
    while (!other[0] && (rc = sqlite3_step(find)) == SQLITE_ROW) {
        const char *held = (const char *)sqlite3_column_text(find, 1);
        bool collides = !*vip || strcmp(held, vip) == 0;
        if (!collides) {
            /* held is '': it covers vip when vip is the host's address. */
            if (!host_known && FAILED(hr = host_address(inst, host)))
                break;
            host_known = true;
            collides = strcmp(vip, host) == 0;
        }
        if (collides)
            snprintf(other, sizeof other, "%s", (const char *)sqlite3_column_text(find, 0));
    }
    if (SUCCEEDED(hr) && !other[0] && rc != SQLITE_DONE)
        hr = hnsm__sql_error(inst, rc);
    sqlite3_reset(find);
    if (FAILED(hr))
        return hr;
    if (other[0])
        return conflict_hresult(inst, lb_id, other, spec, protocol, vip, port);
    sqlite3_bind_text(add, 1, lb_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(add, 2, protocol);
    sqlite3_bind_text(add, 3, vip, -1, SQLITE_STATIC);
    sqlite3_bind_int(add, 4, port);
    return hnsm__step_done(inst, add);
}

/* Records the frontends and backends of lb_id (whose old rows are gone). */
static HRESULT lb_store_relations(hnsm_instance *inst, const char *lb_id, const lb_spec *spec)
{
    const cJSON *vips = cJSON_GetObjectItem(spec->doc, "FrontendVIPs");
    const cJSON *pm, *vip;
    HRESULT hr = S_OK;
    cJSON_ArrayForEach(pm, cJSON_GetObjectItem(spec->doc, "PortMappings"))
    {
        int protocol = (int)cJSON_GetObjectItem(pm, "Protocol")->valuedouble;
        int port = (int)cJSON_GetObjectItem(pm, "ExternalPort")->valuedouble;
        if (!vips)
            hr = claim_frontend(inst, lb_id, spec, protocol, "", port);
        cJSON_ArrayForEach(vip, vips)
        {
            if (FAILED(hr))
                break;
            hr = claim_frontend(inst, lb_id, spec, protocol, vip->valuestring, port);
        }
        if (FAILED(hr))
            return hr;
    }
    /* Up to four backends per statement, in order (rowid order is the
     * order HostComputeEndpoints renders). */
    static const char *const add_sql[4] = {
        "INSERT INTO lb_backends(lb_id, endpoint_id) VALUES(?1, ?2)",
        "INSERT INTO lb_backends(lb_id, endpoint_id) VALUES(?1, ?2), (?1, ?3)",
        "INSERT INTO lb_backends(lb_id, endpoint_id) VALUES(?1, ?2), (?1, ?3), (?1, ?4)",
        "INSERT INTO lb_backends(lb_id, endpoint_id) VALUES(?1, ?2), (?1, ?3), (?1, ?4), (?1, ?5)"};
    const cJSON *ep = spec->backends ? spec->backends->child : NULL;
    for (int left = cJSON_GetArraySize(spec->backends); left > 0;) {
        int n = left < 4 ? left : 4;
        sqlite3_stmt *add = hnsm__stmt(inst, add_sql[n - 1]);
        if (!add)
            return HNSM_E_FAIL;
        sqlite3_bind_text(add, 1, lb_id, -1, SQLITE_STATIC);
        for (int i = 0; i < n; i++, ep = ep->next)
            sqlite3_bind_text(add, 2 + i, ep->valuestring, -1, SQLITE_STATIC);
        if (FAILED(hr = hnsm__step_done(inst, add)))
            return hr;
        left -= n;
    }
    return S_OK;
}

/* Runs a one-parameter statement (bound to id) that returns no rows. */
static HRESULT run_with_id(hnsm_instance *inst, const char *sql, const char *id)
{
    sqlite3_stmt *st = hnsm__stmt(inst, sql);
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    return hnsm__step_done(inst, st);
}

/* ---- create, delete -------------------------------------------------------------------- */

HRESULT hnsm__lb_exists(hnsm_instance *inst, const char *id)
{
    return hnsm__row_exists(inst, "SELECT 1 FROM loadbalancers WHERE id = ?1", id,
                            HNSM_HRESULT_ERROR_NOT_FOUND, "load balancer");
}

HRESULT hnsm__lb_create(hnsm_instance *inst, const char *id, const cJSON *in,
                        char out_id[HNSM_GUID_TEXT])
{
    cJSON *v2 = NULL;
    lb_spec spec = {0};
    char *text = NULL;
    int64_t seq;
    HRESULT hr;
    if (lb_doc_is_v1(in)) {
        if (FAILED(hr = lb_from_v1(inst, in, &v2)))
            return hr;
        in = v2;
    }
    if (FAILED(hr = hnsm__choose_id(inst, id, in, hnsm__lb_exists, out_id)) ||
        FAILED(hr = lb_parse(inst, in, &spec)) ||
        FAILED(hr = lb_store_relations(inst, out_id, &spec)) ||
        FAILED(hr = hnsm__next_seq(inst, &seq)))
        goto done;
    if (!(text = jx_print(spec.doc))) {
        hr = HNSM_E_OUTOFMEMORY;
        goto done;
    }
    sqlite3_stmt *st = hnsm__stmt(inst, "INSERT INTO loadbalancers(id, seq, origin, applied, "
                                        "rehydrated, doc) VALUES(?1, ?2, ?3, 1, 0, ?4)");
    if (!st) {
        hr = HNSM_E_FAIL;
        goto done;
    }
    sqlite3_bind_text(st, 1, out_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, seq);
    sqlite3_bind_int(st, 3, v2 ? 1 : 0);
    sqlite3_bind_text(st, 4, text, -1, SQLITE_STATIC);
    hr = hnsm__step_done(inst, st);
done:
    free(text);
    lb_spec_free(&spec);
    cJSON_Delete(v2);
    return hr;
}

void hnsm__lb_leave_partial(hnsm_instance *inst, const char *json)
{
    char detail[512];
    snprintf(detail, sizeof detail, "%s", hnsm__detail_get());
    cJSON *doc = NULL;
    if (json && SUCCEEDED(jx_parse_object(json, strlen(json), &doc)) &&
        SUCCEEDED(hnsm__begin_write(inst))) {
        cJSON_DeleteItemFromObjectCaseSensitive(doc, "PortMappings");
        int required = inst->choices[HNSM_CHOICE_LB_REQUIRES_PORT_MAPPING];
        inst->choices[HNSM_CHOICE_LB_REQUIRES_PORT_MAPPING] = 0;
        char id[HNSM_GUID_TEXT];
        hnsm__finish(inst, hnsm__lb_create(inst, NULL, doc, id));
        inst->choices[HNSM_CHOICE_LB_REQUIRES_PORT_MAPPING] = required;
    }
    cJSON_Delete(doc);
    hnsm__detail(HNSM_E_FAIL, "%s; the load balancer was left without its port mappings", detail);
}

HRESULT hnsm__lb_delete(hnsm_instance *inst, const char *id)
{
    HRESULT hr = hnsm__lb_exists(inst, id);
    if (FAILED(hr))
        return hr;
    if (hnsm__choice(inst, HNSM_CHOICE_LB_DELETE_DEGRADED_FAILS)) {
        /* The degraded-policy loop of field-bugs.md A8.4. */
        sqlite3_stmt *st = hnsm__stmt(inst, "SELECT b.endpoint_id FROM lb_backends b LEFT JOIN "
                                            "endpoints e ON e.id = b.endpoint_id WHERE "
                                            "b.lb_id = ?1 AND (e.id IS NULL OR e.state = ?2) "
                                            "LIMIT 1");
        if (!st)
            return HNSM_E_FAIL;
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, HNSM_EP_DESTROYED);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            hr = hnsm__detail(HNSM_HCN_E_ENDPOINT_NOT_FOUND,
                              "load balancer %s refers to endpoint %s, which is gone or has lost "
                              "its port", id, (const char *)sqlite3_column_text(st, 0));
        else if (rc != SQLITE_DONE)
            hr = hnsm__sql_error(inst, rc);
        sqlite3_reset(st);
        if (FAILED(hr))
            return hr;
    }
    if (hnsm__choice(inst, HNSM_CHOICE_LB_DELETE_LEAKS_PORT)) {
        lb_row row;
        if (FAILED(hr = lb_load(inst, id, &row)))
            return hr;
        const cJSON *flags = cJSON_GetObjectItem(row.doc, "Flags");
        bool dsr = cJSON_IsNumber(flags) && ((unsigned)flags->valuedouble & LB_FLAG_DSR);
        lb_row_free(&row);
        if (!dsr && FAILED(hr = run_with_id(inst, "UPDATE lb_frontends SET lb_id = '" LEAKED_PREFIX
                                                  "' || lb_id WHERE lb_id = ?1",
                                            id)))
            return hr;
    }
    return hnsm__lb_drop(inst, id);
}

HRESULT hnsm__lb_drop(hnsm_instance *inst, const char *id)
{
    HRESULT hr = hnsm__lb_exists(inst, id);
    if (FAILED(hr) ||
        FAILED(hr = run_with_id(inst, "DELETE FROM lb_frontends WHERE lb_id = ?1", id)) ||
        FAILED(hr = run_with_id(inst, "DELETE FROM lb_backends WHERE lb_id = ?1", id)))
        return hr;
    return run_with_id(inst, "DELETE FROM loadbalancers WHERE id = ?1", id);
}

/* ---- modify ---------------------------------------------------------------------------- */

/* After a successful modify HNS has programmed the LB again for a client. */
static HRESULT lb_reprogrammed(hnsm_instance *inst, const char *id, const char *doc_text)
{
    sqlite3_stmt *st = hnsm__stmt(inst, "UPDATE loadbalancers SET applied = 1, rehydrated = 0, "
                                        "doc = coalesce(?2, doc) WHERE id = ?1");
    if (!st)
        return HNSM_E_FAIL;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (doc_text)
        sqlite3_bind_text(st, 2, doc_text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 2);
    return hnsm__step_done(inst, st);
}

/* hcsshim Update(): the whole HostComputeLoadBalancer replaces the old one
 * (hcn-api.md 1.9.12), HNS >= 15.4 only. */
static HRESULT modify_whole(hnsm_instance *inst, const char *id, const cJSON *doc)
{
    if (!hnsm__feature(&inst->profile, HNSM_FEATURE_MODIFY_LOADBALANCER))
        return hnsm__detail(HNSM_E_NOTIMPL, "HNS %u.%u cannot modify a load balancer (needs %s)",
                            inst->profile.major, inst->profile.minor,
                            hnsm__feature_name(HNSM_FEATURE_MODIFY_LOADBALANCER));
    const char *given = NULL;
    char given_id[HNSM_GUID_TEXT];
    HRESULT hr = jx_string(doc, "ID", hnsm__type_error(inst), &given);
    if (FAILED(hr))
        return hr;
    if (given && *given && (!hnsm__guid_canonical(given, given_id) || strcmp(given_id, id) != 0))
        return hnsm__detail(HNSM_E_INVALIDARG, "the document's ID %s is not the load balancer's",
                            given);
    lb_spec spec;
    if (FAILED(hr = lb_parse(inst, doc, &spec)))
        return hr;
    char *text = NULL;
    if (SUCCEEDED(hr = run_with_id(inst, "DELETE FROM lb_frontends WHERE lb_id = ?1", id)) &&
        SUCCEEDED(hr = run_with_id(inst, "DELETE FROM lb_backends WHERE lb_id = ?1", id)) &&
        SUCCEEDED(hr = lb_store_relations(inst, id, &spec))) {
        text = jx_print(spec.doc);
        hr = text ? lb_reprogrammed(inst, id, text) : HNSM_E_OUTOFMEMORY;
    }
    free(text);
    lb_spec_free(&spec);
    return hr;
}

/* The [WSDOC] form: {"ResourceType":1,"RequestType":0|1,"Settings":{"EndpointId"}}
 * adds or removes one backend. */
static HRESULT modify_backend(hnsm_instance *inst, const char *id, const cJSON *request)
{
    if (hnsm__choice(inst, HNSM_CHOICE_LB_MODIFY_SETTINGS_NEEDS_15_4) &&
        !hnsm__feature(&inst->profile, HNSM_FEATURE_MODIFY_LOADBALANCER))
        return hnsm__detail(HNSM_E_NOTIMPL, "HNS %u.%u cannot modify a load balancer (needs %s)",
                            inst->profile.major, inst->profile.minor,
                            hnsm__feature_name(HNSM_FEATURE_MODIFY_LOADBALANCER));
    int request_type, resource_type;
    const cJSON *settings;
    const char *endpoint = NULL;
    HRESULT hr = hnsm__modify_request(request, lb_resource_types, &request_type, &resource_type,
                                      &settings);
    if (FAILED(hr))
        return hr;
    if (!cJSON_IsObject(settings))
        return hnsm__detail(HNSM_E_INVALIDARG, "the load balancer request needs Settings");
    if (request_type != HNSM_REQ_ADD && request_type != HNSM_REQ_REMOVE)
        return hnsm__detail(HNSM_HCN_E_REQUEST_UNSUPPORTED,
                            "load balancer endpoint requests are Add or Remove");
    if (FAILED(hr = jx_string(settings, "EndpointId", hnsm__type_error(inst), &endpoint)))
        return hr;
    char ep[HNSM_GUID_TEXT];
    if (!endpoint || !hnsm__guid_canonical(endpoint, ep))
        return hnsm__detail(HNSM_HCN_E_GUID_CONVERSION_FAILURE, "EndpointId is not a GUID");
    if (request_type == HNSM_REQ_ADD) {
        cJSON *one = cJSON_CreateArray(), *checked = NULL;
        cJSON_AddItemToArray(one, cJSON_CreateString(ep));
        hr = hnsm__endpoint_refs(inst, one, &checked);
        cJSON_Delete(one);
        cJSON_Delete(checked);
        if (FAILED(hr))
            return hr;
        sqlite3_stmt *have = hnsm__stmt(inst, "SELECT 1 FROM lb_backends WHERE lb_id = ?1 AND "
                                              "endpoint_id = ?2");
        sqlite3_stmt *add = hnsm__stmt(inst, "INSERT INTO lb_backends(lb_id, endpoint_id) "
                                             "VALUES(?1, ?2)");
        if (!have || !add)
            return HNSM_E_FAIL;
        sqlite3_bind_text(have, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(have, 2, ep, -1, SQLITE_STATIC);
        int rc = sqlite3_step(have);
        sqlite3_reset(have);
        if (rc == SQLITE_ROW)
            return hnsm__detail(HNSM_HCN_E_POLICY_ALREADY_EXISTS,
                                "endpoint %s is already a backend of %s", ep, id);
        if (rc != SQLITE_DONE)
            return hnsm__sql_error(inst, rc);
        sqlite3_bind_text(add, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(add, 2, ep, -1, SQLITE_STATIC);
        hr = hnsm__step_done(inst, add);
    } else {
        sqlite3_stmt *del = hnsm__stmt(inst, "DELETE FROM lb_backends WHERE lb_id = ?1 AND "
                                             "endpoint_id = ?2");
        if (!del)
            return HNSM_E_FAIL;
        sqlite3_bind_text(del, 1, id, -1, SQLITE_STATIC);
        sqlite3_bind_text(del, 2, ep, -1, SQLITE_STATIC);
        if (SUCCEEDED(hr = hnsm__step_done(inst, del)) && sqlite3_changes(inst->db) == 0)
            hr = hnsm__detail(HNSM_HCN_E_ENDPOINT_NOT_FOUND, "endpoint %s is not a backend of %s",
                              ep, id);
    }
    return SUCCEEDED(hr) ? lb_reprogrammed(inst, id, NULL) : hr;
}

HRESULT hnsm__lb_modify(hnsm_instance *inst, const char *id, const cJSON *request)
{
    HRESULT hr = hnsm__lb_exists(inst, id);
    if (FAILED(hr))
        return hr;
    return cJSON_GetObjectItem(request, "ResourceType") ? modify_backend(inst, id, request)
                                                        : modify_whole(inst, id, request);
}

/* ---- rendering ------------------------------------------------------------------------- */

static int lb_state(const hnsm_instance *inst, const lb_row *row)
{
    if (row->missing)
        return LB_STATE_DEGRADED;
    if (!row->applied && hnsm__choice(inst, HNSM_CHOICE_LB_NOT_APPLIED_IS_DEGRADED))
        return LB_STATE_DEGRADED;
    return LB_STATE_OK;
}

/* One ELB policy of the v1 view per port mapping (hcn-api.md 5.3,
 * diagnostics.md 4); booleans always present, VIPs absent for NodePort. */
static cJSON *elb_policy(const cJSON *doc, const cJSON *pm)
{
    cJSON *elb = cJSON_CreateObject();
    cJSON_AddStringToObject(elb, "Type", "ELB");
    static const char *const numbers[] = {"Protocol", "InternalPort", "ExternalPort"};
    for (int i = 0; i < 3; i++)
        cJSON_AddNumberToObject(elb, numbers[i], cJSON_GetObjectItem(pm, numbers[i])->valuedouble);
    const cJSON *vips = cJSON_GetObjectItem(doc, "FrontendVIPs");
    if (vips)
        cJSON_AddItemToObject(elb, "VIPs", cJSON_Duplicate(vips, 1));
    const cJSON *source = cJSON_GetObjectItem(doc, "SourceVIP");
    if (source)
        cJSON_AddStringToObject(elb, "SourceVIP", source->valuestring);
    const cJSON *f = cJSON_GetObjectItem(pm, "Flags"), *lbf = cJSON_GetObjectItem(doc, "Flags");
    unsigned flags = f ? (unsigned)f->valuedouble : 0, lb_flags = lbf ? (unsigned)lbf->valuedouble : 0;
    cJSON_AddBoolToObject(elb, "ILB", (flags & PM_FLAG_ILB) != 0);
    cJSON_AddBoolToObject(elb, "IsDSR", (lb_flags & LB_FLAG_DSR) != 0);
    cJSON_AddBoolToObject(elb, "LocalRoutedVip", (flags & PM_FLAG_LOCAL_ROUTED_VIP) != 0);
    cJSON_AddBoolToObject(elb, "UseMux", (flags & PM_FLAG_USE_MUX) != 0);
    cJSON_AddBoolToObject(elb, "PreserveDip", (flags & PM_FLAG_PRESERVE_DIP) != 0);
    return elb;
}

/* The v1 PolicyList view, keys in alphabetical order as v1 output has them. */
static cJSON *lb_v1(hnsm_instance *inst, const char *id, const lb_row *row)
{
    char g[HNSM_GUID_TEXT];
    cJSON *v1 = cJSON_CreateObject();
    hnsm__render_guid(inst, id, g);
    cJSON_AddStringToObject(v1, "ID", g);
    cJSON_AddBoolToObject(v1, "IsApplied", row->applied);
    const cJSON *network = cJSON_GetObjectItem(row->doc, "HostComputeNetwork");
    const char *network_id = network ? network->valuestring : row->network_id;
    if (*network_id) {
        hnsm__render_guid(inst, network_id, g);
        cJSON_AddStringToObject(v1, "NetworkId", g);
    }
    cJSON *policies = cJSON_AddArrayToObject(v1, "Policies");
    const cJSON *pm;
    cJSON_ArrayForEach(pm, cJSON_GetObjectItem(row->doc, "PortMappings"))
        cJSON_AddItemToArray(policies, elb_policy(row->doc, pm));
    cJSON *references = cJSON_AddArrayToObject(v1, "References");
    const cJSON *ep;
    cJSON_ArrayForEach(ep, row->backends)
    {
        char path[16 + HNSM_GUID_TEXT];
        hnsm__render_guid(inst, ep->valuestring, g);
        snprintf(path, sizeof path, "/endpoints/%s", g);
        cJSON_AddItemToArray(references, cJSON_CreateString(path));
    }
    cJSON_AddNumberToObject(v1, "State", lb_state(inst, row));
    return v1;
}

HRESULT hnsm__lb_render(hnsm_instance *inst, const char *id, const hnsm_render *how, cJSON **out)
{
    lb_row row;
    HRESULT hr = lb_load(inst, id, &row);
    if (FAILED(hr))
        return hr;
    if (how->v1) {
        *out = lb_v1(inst, id, &row);
        lb_row_free(&row);
        return S_OK;
    }
    char g[HNSM_GUID_TEXT];
    cJSON *v2 = cJSON_CreateObject();
    hnsm__render_guid(inst, id, g);
    cJSON_AddStringToObject(v2, "ID", g);
    cJSON *endpoints = cJSON_AddArrayToObject(v2, "HostComputeEndpoints");
    const cJSON *ep;
    cJSON_ArrayForEach(ep, row.backends)
    {
        hnsm__render_guid(inst, ep->valuestring, g);
        cJSON_AddItemToArray(endpoints, cJSON_CreateString(g));
    }
    jx_move(v2, row.doc, "SourceVIP");
    jx_move(v2, row.doc, "FrontendVIPs");
    /* Always present: kube-proxy reads PortMappings[0] unchecked (consumers.md 8). */
    cJSON *mappings = cJSON_DetachItemFromObject(row.doc, "PortMappings");
    cJSON_AddItemToObject(v2, "PortMappings", mappings ? mappings : cJSON_CreateArray());
    jx_move(v2, row.doc, "Flags");
    const cJSON *network = cJSON_GetObjectItem(row.doc, "HostComputeNetwork");
    if (network) {
        hnsm__render_guid(inst, network->valuestring, g);
        cJSON_AddStringToObject(v2, "HostComputeNetwork", g);
    }
    if (how->detailed) {
        cJSON_AddNumberToObject(v2, "State", lb_state(inst, &row));
        cJSON_AddNumberToObject(v2, "Version", hnsm__object_version(inst));
    }
    hnsm__add_schema_version(inst, v2);
    lb_row_free(&row);
    *out = v2;
    return S_OK;
}

/* ---- control API ----------------------------------------------------------------------- */

int hnsm_set_lb_applied(hnsm_instance *inst, const char *id, int applied)
{
    char canonical[HNSM_GUID_TEXT];
    if (!inst || !id || !hnsm__guid_canonical(id, canonical))
        return HNSM_EINVAL;
    pthread_mutex_lock(&inst->lock);
    int err = HNSM_ESTORE;
    if (SUCCEEDED(hnsm__begin_write(inst))) {
        sqlite3_stmt *st = hnsm__stmt(inst, "UPDATE loadbalancers SET applied = ?2 WHERE id = ?1");
        int changes = 0;
        if (st) {
            sqlite3_bind_text(st, 1, canonical, -1, SQLITE_STATIC);
            sqlite3_bind_int(st, 2, applied ? 1 : 0);
            if (SUCCEEDED(hnsm__step_done(inst, st)))
                changes = sqlite3_changes(inst->db);
            else
                changes = -1;
        }
        if (st && changes >= 0 && SUCCEEDED(hnsm__commit(inst)))
            err = changes ? 0 : HNSM_ENOENT;
        else
            hnsm__rollback(inst);
    }
    pthread_mutex_unlock(&inst->lock);
    return err;
}
