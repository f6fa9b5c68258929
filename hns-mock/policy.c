/*
 * policy.c - the policy type tables and the one validator that walks them.
 *
 * Each policy type lists its settings fields: JSON name, value kind, whether
 * HNS always emits it, whether it is required, and its v1 name where the v1
 * shape differs. Value kinds check syntax the way HNS's parsers do (addresses
 * with inet_pton, prefixes, MACs, GUIDs, comma lists of protocols, ports and
 * addresses for ACLs).
 */
#include "policy.h"

#include "feature_gates.h"
#include "guid.h"
#include "hresult.h"
#include "ipaddr.h"
#include "jsonx.h"
#include "macaddr.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef enum field_kind {
    FK_STRING,     /* any string */
    FK_U8,
    FK_U16,
    FK_U32,
    FK_U64,
    FK_BOOL,
    FK_IP,         /* one address */
    FK_PREFIX,     /* address/len */
    FK_MAC,        /* 00-15-5D-00-00-01 (or with colons) */
    FK_GUID,
    FK_STRINGS,    /* array of strings */
    FK_PREFIXES,   /* array of prefixes or addresses */
    FK_PROTOCOLS,  /* "6" or "6,17": IANA numbers, 256 = any */
    FK_ADDRESSES,  /* "10.0.0.0/8,10.1.2.3" or a SetPolicy id */
    FK_PORTS,      /* "80,8080-8090" */
    FK_ENUM,       /* string from the field's table, or its number */
    FK_ANY,        /* kept as given (nested structures HNS passes through) */
} field_kind;

typedef struct field_spec {
    const char *name;             /* v2 JSON name */
    field_kind kind;
    const jx_enum_entry *values;  /* for FK_ENUM */
    bool always;                  /* emitted even when zero/empty */
    bool required;                /* must be present and non-empty */
    const char *alias;            /* another accepted input spelling, or NULL */
    const char *v1_name;          /* name in the flat v1 shape, when it differs */
} field_spec;

typedef struct policy_spec {
    const char *type;             /* canonical v2 Type */
    const char *v1_type;          /* v1 Type, when it differs */
    const field_spec *fields;     /* NULL-name terminated */
    unsigned schema_minor;        /* schema 2.x that introduced it */
    int feature;                  /* hnsm_feature the HNS version must support, or -1 */
} policy_spec;

static const jx_enum_entry acl_actions[] = {{"Allow", 0}, {"Block", 1}, {"Pass", 2}, {NULL, 0}};
static const jx_enum_entry acl_directions[] = {{"In", 0}, {"Out", 1}, {NULL, 0}};
static const jx_enum_entry acl_rule_types[] = {{"Host", 0}, {"Switch", 1}, {NULL, 0}};
static const jx_enum_entry set_policy_types[] = {{"IPSET", 0}, {"NESTEDIPSET", 1}, {NULL, 0}};
static const jx_enum_entry interrupt_moderations[] = {
    {"Default", 0}, {"Adaptive", 1}, {"Off", 2}, {"Low", 100}, {"Medium", 200}, {"High", 300},
    {NULL, 0}};
static const jx_enum_entry firewall_vm_types[] = {
    {"Invalid", 0}, {"Host", 1}, {"WSA", 2}, {"WSL", 3}, {NULL, 0}};
static const jx_enum_entry tier_directions[] = {{"In", 0}, {"Out", 1}, {NULL, 0}};

#define END {NULL, FK_ANY, NULL, false, false, NULL, NULL}

static const field_spec no_fields[] = {END};

static const field_spec acl_fields[] = {
    {"Id", FK_STRING, NULL, false, false, NULL, NULL},
    {"Protocols", FK_PROTOCOLS, NULL, false, false, NULL, NULL},
    {"Action", FK_ENUM, acl_actions, true, true, NULL, NULL},
    {"Direction", FK_ENUM, acl_directions, true, true, NULL, NULL},
    {"LocalAddresses", FK_ADDRESSES, NULL, false, false, NULL, NULL},
    {"RemoteAddresses", FK_ADDRESSES, NULL, false, false, NULL, NULL},
    {"LocalPorts", FK_PORTS, NULL, false, false, NULL, NULL},
    {"RemotePorts", FK_PORTS, NULL, false, false, NULL, NULL},
    {"RuleType", FK_ENUM, acl_rule_types, false, false, NULL, NULL},
    {"Priority", FK_U16, NULL, false, false, NULL, NULL},
    END};

static const field_spec port_mapping_fields[] = {
    {"Protocol", FK_U32, NULL, false, false, NULL, NULL},
    {"InternalPort", FK_U16, NULL, false, false, NULL, NULL},
    {"ExternalPort", FK_U16, NULL, false, false, NULL, NULL},
    {"VIP", FK_IP, NULL, false, false, NULL, NULL},
    {"Flags", FK_U32, NULL, false, false, NULL, NULL},
    END};

static const field_spec outbound_nat_fields[] = {
    {"VirtualIP", FK_IP, NULL, false, false, NULL, "VIP"},
    {"Exceptions", FK_PREFIXES, NULL, false, false, "ExceptionList", "ExceptionList"},
    {"Destinations", FK_PREFIXES, NULL, false, false, NULL, NULL},
    {"Flags", FK_U32, NULL, false, false, NULL, NULL},
    {"MaxPortPoolUsage", FK_U16, NULL, false, false, NULL, NULL},
    END};

static const field_spec sdn_route_fields[] = {
    {"DestinationPrefix", FK_PREFIX, NULL, false, false, NULL, NULL},
    {"NextHop", FK_IP, NULL, false, false, NULL, NULL},
    {"NeedEncap", FK_BOOL, NULL, false, false, NULL, NULL},
    END};

static const field_spec l4proxy_fields[] = {
    {"IP", FK_IP, NULL, false, false, NULL, NULL},
    {"Port", FK_STRING, NULL, false, false, NULL, NULL},
    {"Protocol", FK_U32, NULL, false, false, NULL, NULL},
    {"Exceptions", FK_STRINGS, NULL, false, false, "ExceptionList", "ExceptionList"},
    {"Destination", FK_STRING, NULL, true, false, NULL, NULL},
    {"OutboundNAT", FK_BOOL, NULL, false, false, "OutboundNat", "OutboundNat"},
    END};

static const field_spec l4wfpproxy_fields[] = {
    {"InboundProxyPort", FK_STRING, NULL, false, false, NULL, NULL},
    {"OutboundProxyPort", FK_STRING, NULL, false, false, NULL, NULL},
    {"FilterTuple", FK_ANY, NULL, false, false, NULL, NULL},
    {"UserSID", FK_STRING, NULL, false, false, NULL, NULL},
    {"InboundExceptions", FK_ANY, NULL, false, false, NULL, NULL},
    {"OutboundExceptions", FK_ANY, NULL, false, false, NULL, NULL},
    END};

static const field_spec interface_constraint_fields[] = {
    {"InterfaceGuid", FK_GUID, NULL, false, false, NULL, NULL},
    {"InterfaceLuid", FK_U64, NULL, false, false, NULL, NULL},
    {"InterfaceIndex", FK_U32, NULL, false, false, NULL, NULL},
    {"InterfaceMediaType", FK_U32, NULL, false, false, NULL, NULL},
    {"InterfaceAlias", FK_STRING, NULL, false, false, NULL, NULL},
    {"InterfaceDescription", FK_STRING, NULL, false, false, NULL, NULL},
    END};

static const field_spec provider_address_fields[] = {
    {"ProviderAddress", FK_IP, NULL, false, true, NULL, "PA"},
    END};

static const field_spec isolation_fields[] = {
    {"IsolationId", FK_U32, NULL, true, false, NULL, NULL},
    END};

static const field_spec endpoint_policy_specs_qos[] = {
    {"MaximumOutgoingBandwidthInBytes", FK_U64, NULL, true, false, NULL, NULL},
    END};

static const field_spec port_name_fields[] = {{"Name", FK_STRING, NULL, false, true, NULL, NULL}, END};
static const field_spec encap_overhead_fields[] = {
    {"Overhead", FK_U16, NULL, false, false, NULL, NULL}, END};
static const field_spec iov_fields[] = {
    {"IovOffloadWeight", FK_U32, NULL, false, false, NULL, NULL},
    {"QueuePairsRequested", FK_U32, NULL, false, false, NULL, NULL},
    {"InterruptModeration", FK_ENUM, interrupt_moderations, false, false, NULL, NULL},
    END};
static const field_spec tier_acl_fields[] = {
    {"Name", FK_STRING, NULL, false, false, NULL, NULL},
    {"Direction", FK_ENUM, tier_directions, true, false, NULL, NULL},
    {"Order", FK_U16, NULL, false, false, NULL, NULL},
    {"TierAclRules", FK_ANY, NULL, false, false, NULL, NULL},
    END};
static const field_spec encryption_fields[] = {
    {"EncryptionMethodType", FK_STRING, NULL, false, false, NULL, NULL},
    {"AuthenticationMethods", FK_ANY, NULL, false, false, NULL, NULL},
    {"Name", FK_STRING, NULL, false, false, NULL, NULL},
    {"Endpoints1", FK_ANY, NULL, false, false, NULL, NULL},
    {"Endpoints2", FK_ANY, NULL, false, false, NULL, NULL},
    {"ProtocolType", FK_ANY, NULL, false, false, NULL, NULL},
    {"Endpoint1Ports", FK_ANY, NULL, false, false, NULL, NULL},
    {"Endpoint2Ports", FK_ANY, NULL, false, false, NULL, NULL},
    END};
static const field_spec interface_parameters_fields[] = {
    {"Mtu", FK_U16, NULL, false, false, NULL, NULL}, END};
static const field_spec firewall_fields[] = {
    {"VmType", FK_ENUM, firewall_vm_types, false, false, NULL, NULL},
    {"FirewallPolicyFlags", FK_U32, NULL, false, false, NULL, NULL},
    {"VmCreatorId", FK_GUID, NULL, false, false, NULL, NULL},
    {"PolicyFlags", FK_U32, NULL, false, false, NULL, NULL},
    END};

static const field_spec source_mac_fields[] = {
    {"SourceMacAddress", FK_MAC, NULL, false, true, NULL, NULL}, END};
static const field_spec net_adapter_name_fields[] = {
    {"NetworkAdapterName", FK_STRING, NULL, false, true, NULL, NULL}, END};
static const field_spec vswitch_extension_fields[] = {
    {"ExtensionID", FK_GUID, NULL, false, true, NULL, NULL},
    {"Enable", FK_BOOL, NULL, false, false, NULL, NULL},
    END};
static const field_spec dr_mac_fields[] = {{"Address", FK_MAC, NULL, false, true, NULL, NULL}, END};
static const field_spec enable_fields[] = {{"Enable", FK_BOOL, NULL, false, false, NULL, NULL}, END};
static const field_spec remote_subnet_route_fields[] = {
    {"DestinationPrefix", FK_PREFIX, NULL, true, true, NULL, NULL},
    {"IsolationId", FK_U32, NULL, true, false, NULL, NULL},
    {"ProviderAddress", FK_IP, NULL, true, true, NULL, NULL},
    {"DistributedRouterMacAddress", FK_MAC, NULL, true, false, NULL, NULL},
    END};
static const field_spec vxlan_port_fields[] = {{"Port", FK_U16, NULL, false, true, NULL, NULL}, END};
static const field_spec set_policy_fields[] = {
    {"Id", FK_STRING, NULL, false, true, NULL, NULL},
    {"Name", FK_STRING, NULL, false, false, NULL, NULL},
    {"PolicyType", FK_ENUM, set_policy_types, true, false, NULL, NULL},
    {"Values", FK_STRING, NULL, false, false, NULL, NULL},
    END};
static const field_spec layer_constraint_fields[] = {
    {"LayerId", FK_GUID, NULL, false, true, NULL, NULL}, END};
static const field_spec neighbor_discovery_fields[] = {
    {"TargetIpPrefix", FK_PREFIX, NULL, false, false, NULL, NULL},
    {"SenderIpAddress", FK_IP, NULL, false, false, NULL, NULL},
    {"SenderMacAddress", FK_MAC, NULL, false, false, NULL, NULL},
    END};

/* Network policy types (hcn-api.md 2.8). */
static const policy_spec network_policy_specs[] = {
    {"SourceMacAddress", NULL, source_mac_fields, 0, -1},
    {"NetAdapterName", NULL, net_adapter_name_fields, 0, -1},
    {"VSwitchExtension", NULL, vswitch_extension_fields, 0, -1},
    {"DrMacAddress", NULL, dr_mac_fields, 0, -1},
    {"AutomaticDNS", NULL, enable_fields, 0, -1},
    {"InterfaceConstraint", NULL, interface_constraint_fields, 0, -1},
    {"ProviderAddress", NULL, provider_address_fields, 0, -1},
    {"RemoteSubnetRoute", NULL, remote_subnet_route_fields, 0, HNSM_FEATURE_REMOTE_SUBNET},
    {"VxlanPort", NULL, vxlan_port_fields, 0, HNSM_FEATURE_VXLAN_PORT},
    {"HostRoute", NULL, no_fields, 0, HNSM_FEATURE_HOST_ROUTE},
    {"SetPolicy", NULL, set_policy_fields, 0, HNSM_FEATURE_SET_POLICY},
    {"L4Proxy", NULL, l4proxy_fields, 0, HNSM_FEATURE_L4_PROXY},
    {"LayerConstraint", NULL, layer_constraint_fields, 0, -1},
    {"NetworkACL", NULL, acl_fields, 0, HNSM_FEATURE_NETWORK_ACL},
    {"NeighborDiscovery", NULL, neighbor_discovery_fields, 0, -1},
    {NULL, NULL, NULL, 0, -1}};

/* Endpoint policy types (hcn-api.md 2.9); v1 names from 5.3. */
static const policy_spec endpoint_policy_specs[] = {
    {"PortMapping", "NAT", port_mapping_fields, 0, -1},
    {"ACL", NULL, acl_fields, 0, -1},
    {"QOS", NULL, endpoint_policy_specs_qos, 0, -1},
    {"L2Driver", NULL, no_fields, 0, -1},
    {"OutBoundNAT", NULL, outbound_nat_fields, 0, -1},
    {"SDNRoute", "ROUTE", sdn_route_fields, 0, -1},
    {"L4Proxy", "PROXY", l4proxy_fields, 0, -1},
    {"L4WFPPROXY", NULL, l4wfpproxy_fields, 0, HNSM_FEATURE_L4_WFP_PROXY},
    {"PortName", NULL, port_name_fields, 0, -1},
    {"EncapOverhead", NULL, encap_overhead_fields, 0, -1},
    {"Iov", NULL, iov_fields, 0, -1},
    {"ProviderAddress", "PA", provider_address_fields, 0, -1},
    {"InterfaceConstraint", NULL, interface_constraint_fields, 0, -1},
    {"TierAcl", NULL, tier_acl_fields, 0, HNSM_FEATURE_TIER_ACL},
    {"Encryption", NULL, encryption_fields, 1, -1},
    {"VLAN", NULL, isolation_fields, 4, -1},
    {"InterfaceParameters", NULL, interface_parameters_fields, 4, -1},
    {"Firewall", NULL, firewall_fields, 16, -1},
    {NULL, NULL, NULL, 0, -1}};

/* Subnet policy types. */
static const policy_spec subnet_policy_specs[] = {
    {"VLAN", NULL, isolation_fields, 0, -1},
    {"VSID", NULL, isolation_fields, 0, -1},
    {NULL, NULL, NULL, 0, -1}};

static const policy_spec *specs_for(hnsm_policy_scope scope)
{
    switch (scope) {
    case HNSM_POLICY_NETWORK:
        return network_policy_specs;
    case HNSM_POLICY_ENDPOINT:
        return endpoint_policy_specs;
    default:
        return subnet_policy_specs;
    }
}

/* Finds a spec by v2 name (or, with v1, by v1 name first), case-insensitively. */
static const policy_spec *find_spec(hnsm_policy_scope scope, const char *type, bool v1)
{
    const policy_spec *specs = specs_for(scope);
    for (const policy_spec *s = specs; v1 && s->type; s++)
        if (s->v1_type && strcasecmp(s->v1_type, type) == 0)
            return s;
    for (const policy_spec *s = specs; s->type; s++)
        if (strcasecmp(s->type, type) == 0)
            return s;
    return NULL;
}

/* Splits a comma list and checks each token with check(); empty tokens are bad. */
static bool each_token(const char *list, bool (*check)(const char *, const hnsm_policy_context *),
                       const hnsm_policy_context *ctx)
{
    char token[128];
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        while (n && *p == ' ')
            p++, n--;
        while (n && p[n - 1] == ' ')
            n--;
        if (n == 0 || n >= sizeof token)
            return false;
        memcpy(token, p, n);
        token[n] = '\0';
        if (!check(token, ctx))
            return false;
        if (!comma)
            break;
        p = comma + 1;
        if (!*p)
            return false;
    }
    return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (!*s || strlen(s) > 10)
        return false;
    unsigned long v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *out = v;
    return v <= max;
}

static bool protocol_token(const char *t, const hnsm_policy_context *ctx)
{
    (void)ctx;
    unsigned long v;
    return parse_uint(t, 256, &v);
}

static bool port_token(const char *t, const hnsm_policy_context *ctx)
{
    (void)ctx;
    char low[16];
    const char *dash = strchr(t, '-');
    unsigned long a, b;
    if (!dash)
        return parse_uint(t, 65535, &a);
    size_t n = (size_t)(dash - t);
    if (n == 0 || n >= sizeof low)
        return false;
    memcpy(low, t, n);
    low[n] = '\0';
    return parse_uint(low, 65535, &a) && parse_uint(dash + 1, 65535, &b) && a <= b;
}

static bool address_token(const char *t, const hnsm_policy_context *ctx)
{
    hnsm_prefix p;
    if (hnsm__prefix_parse(t, true, &p))
        return true;
    /* An ACL may name an IP set by its SetPolicy Id (Azure NPM does). */
    const cJSON *id;
    const cJSON *ids = ctx ? ctx->set_policy_ids : NULL;
    cJSON_ArrayForEach(id, ids)
    {
        if (cJSON_IsString(id) && strcmp(id->valuestring, t) == 0)
            return true;
    }
    return false;
}

/* Validates one field value and appends its canonical form to settings. */
static HRESULT field_canonical(const field_spec *f, const cJSON *value, const char *type,
                               const hnsm_policy_context *ctx, cJSON *settings)
{
    const HRESULT bad = HNSM_HCN_E_INVALID_POLICY;
    const bool present = value && !cJSON_IsNull(value);
    /* Canonical text of an address or GUID; it outlives the switch below. */
    char text[HNSM_IP_TEXT > HNSM_GUID_TEXT ? HNSM_IP_TEXT : HNSM_GUID_TEXT];
    switch (f->kind) {
    case FK_STRING:
    case FK_IP:
    case FK_PREFIX:
    case FK_MAC:
    case FK_GUID:
    case FK_PROTOCOLS:
    case FK_ADDRESSES:
    case FK_PORTS: {
        if (present && !cJSON_IsString(value))
            return hnsm__detail(bad, "%s policy: %s must be a string", type, f->name);
        const char *s = present ? value->valuestring : "";
        if (f->required && !*s)
            return hnsm__detail(bad, "%s policy: %s is required", type, f->name);
        if (*s) {
            hnsm_ip ip;
            hnsm_prefix prefix;
            bool ok = true;
            switch (f->kind) {
            case FK_IP:
                ok = hnsm__ip_parse(s, &ip);
                if (ok) {
                    hnsm__ip_format(&ip, text);
                    s = text;
                }
                break;
            case FK_PREFIX:
                ok = hnsm__prefix_parse(s, false, &prefix);
                break;
            case FK_MAC: {
                /* Written back as HNS writes MACs: upper case with dashes. */
                uint64_t mac;
                ok = hnsm__mac_parse(s, &mac);
                if (ok) {
                    hnsm__mac_format(mac, text);
                    s = text;
                }
                break;
            }
            case FK_GUID:
                /* HNS reads these as GUIDs and writes them back in its own form. */
                ok = hnsm__guid_canonical(s, text);
                if (ok)
                    s = text;
                break;
            case FK_PROTOCOLS:
                ok = each_token(s, protocol_token, ctx);
                break;
            case FK_ADDRESSES:
                ok = each_token(s, address_token, ctx);
                break;
            case FK_PORTS:
                ok = each_token(s, port_token, ctx);
                break;
            default:
                break;
            }
            if (!ok)
                return hnsm__detail(bad, "%s policy: %s \"%s\" is not valid", type, f->name,
                                    value->valuestring);
        }
        if (*s || f->always)
            cJSON_AddStringToObject(settings, f->name, s);
        return S_OK;
    }
    case FK_U8:
    case FK_U16:
    case FK_U32:
    case FK_U64: {
        static const uint64_t limits[] = {0xFF, 0xFFFF, 0xFFFFFFFFu, (uint64_t)1 << 53};
        uint64_t v = 0;
        if (present) {
            /* Reuse the generic reader on a one-field view. */
            cJSON *tmp = cJSON_CreateObject();
            cJSON_AddItemReferenceToObject(tmp, f->name, (cJSON *)value);
            HRESULT hr = jx_uint(tmp, f->name, limits[f->kind - FK_U8], bad, &v);
            cJSON_Delete(tmp);
            if (FAILED(hr))
                return hnsm__detail(bad, "%s policy: %s must be a whole number up to %llu", type,
                                    f->name, (unsigned long long)limits[f->kind - FK_U8]);
        }
        if (f->required && !v)
            return hnsm__detail(bad, "%s policy: %s is required", type, f->name);
        if (v || f->always)
            cJSON_AddNumberToObject(settings, f->name, (double)v);
        return S_OK;
    }
    case FK_BOOL:
        if (present && !cJSON_IsBool(value))
            return hnsm__detail(bad, "%s policy: %s must be true or false", type, f->name);
        if ((present && cJSON_IsTrue(value)) || f->always)
            cJSON_AddBoolToObject(settings, f->name, present && cJSON_IsTrue(value));
        return S_OK;
    case FK_STRINGS:
    case FK_PREFIXES: {
        if (!present) {
            if (f->required)
                return hnsm__detail(bad, "%s policy: %s is required", type, f->name);
            return S_OK;
        }
        if (!cJSON_IsArray(value))
            return hnsm__detail(bad, "%s policy: %s must be an array of strings", type, f->name);
        cJSON *out = cJSON_CreateArray();
        const cJSON *item;
        cJSON_ArrayForEach(item, value)
        {
            hnsm_prefix p;
            if (!cJSON_IsString(item) ||
                (f->kind == FK_PREFIXES && !hnsm__prefix_parse(item->valuestring, true, &p))) {
                cJSON_Delete(out);
                return hnsm__detail(bad, "%s policy: %s has an invalid entry", type, f->name);
            }
            cJSON_AddItemToArray(out, cJSON_CreateString(item->valuestring));
        }
        if (cJSON_GetArraySize(out) || f->always)
            cJSON_AddItemToObject(settings, f->name, out);
        else
            cJSON_Delete(out);
        return S_OK;
    }
    case FK_ENUM: {
        int v = -1;
        if (present && !(cJSON_IsString(value) && !*value->valuestring) &&
            !jx_enum_value(value, f->values, &v))
            return hnsm__detail(bad, "%s policy: %s has an unknown value", type, f->name);
        if (v < 0 && f->required)
            return hnsm__detail(bad, "%s policy: %s is required", type, f->name);
        if (v >= 0)
            cJSON_AddStringToObject(settings, f->name, jx_enum_name(f->values, v));
        else if (f->always)
            cJSON_AddStringToObject(settings, f->name, "");
        return S_OK;
    }
    case FK_ANY:
        if (present)
            cJSON_AddItemToObject(settings, f->name, cJSON_Duplicate(value, 1));
        return S_OK;
    }
    return S_OK;
}

/* Checks that apply across fields of one policy type. */
static HRESULT policy_cross_checks(const policy_spec *spec, const cJSON *settings)
{
    if (strcmp(spec->type, "PortMapping") == 0) {
        const cJSON *proto = cJSON_GetObjectItem(settings, "Protocol");
        const cJSON *internal = cJSON_GetObjectItem(settings, "InternalPort");
        if (!internal)
            return hnsm__detail(HNSM_HCN_E_INVALID_INTERNAL_PORT,
                                "PortMapping policy: InternalPort must be set and non-zero");
        if (proto && proto->valuedouble != 6 && proto->valuedouble != 17)
            return hnsm__detail(HNSM_HCN_E_INVALID_POLICY,
                                "PortMapping policy: Protocol must be 6 (TCP) or 17 (UDP)");
    }
    return S_OK;
}

const char *hnsm__policy_type(const cJSON *policy)
{
    const cJSON *type = cJSON_GetObjectItem(policy, "Type");
    return cJSON_IsString(type) ? type->valuestring : NULL;
}

bool hnsm__policies_have_type(const cJSON *policies, const char *type)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, policies)
    {
        const char *t = hnsm__policy_type(p);
        if (t && type && strcmp(t, type) == 0)
            return true;
    }
    return false;
}

HRESULT hnsm__policy_canonical(hnsm_policy_scope scope, const cJSON *policy,
                               const hnsm_policy_context *ctx, cJSON **out)
{
    *out = NULL;
    if (!cJSON_IsObject(policy))
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY, "a policy must be a JSON object");
    const cJSON *type = cJSON_GetObjectItem(policy, "Type");
    if (!cJSON_IsString(type))
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY_TYPE, "a policy needs a string Type");
    const policy_spec *spec = find_spec(scope, type->valuestring, false);
    if (!spec)
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY_TYPE, "unknown %s policy type \"%s\"",
                            scope == HNSM_POLICY_NETWORK    ? "network"
                            : scope == HNSM_POLICY_ENDPOINT ? "endpoint"
                                                            : "subnet",
                            type->valuestring);
    /* A build whose HNS predates the type does not know it (hcn-api.md 3). */
    if (ctx && ctx->profile && spec->feature >= 0 &&
        !hnsm__feature(ctx->profile, (hnsm_feature)spec->feature))
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY_TYPE,
                            "%s policies need the %s feature, which HNS %u.%u lacks", spec->type,
                            hnsm__feature_name((hnsm_feature)spec->feature), ctx->profile->major,
                            ctx->profile->minor);
    if (ctx && ctx->profile && spec->schema_minor > ctx->profile->schema_minor)
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY_TYPE,
                            "%s policies need schema 2.%u; this profile speaks 2.%u", spec->type,
                            spec->schema_minor, ctx->profile->schema_minor);
    const cJSON *given = cJSON_GetObjectItem(policy, "Settings");
    if (given && !cJSON_IsNull(given) && !cJSON_IsObject(given))
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY, "%s policy: Settings must be an object",
                            spec->type);
    /* The 2018 documents put subnet isolation ids directly in the policy. */
    if ((!given || cJSON_IsNull(given)) && scope == HNSM_POLICY_SUBNET)
        given = policy;
    cJSON *settings = cJSON_CreateObject();
    for (const field_spec *f = spec->fields; f->name; f++) {
        const cJSON *value = given ? cJSON_GetObjectItem(given, f->name) : NULL;
        if (!value && f->alias && given)
            value = cJSON_GetObjectItem(given, f->alias);
        HRESULT hr = field_canonical(f, value, spec->type, ctx, settings);
        if (FAILED(hr)) {
            cJSON_Delete(settings);
            return hr;
        }
    }
    HRESULT hr = policy_cross_checks(spec, settings);
    if (FAILED(hr)) {
        cJSON_Delete(settings);
        return hr;
    }
    cJSON *canonical = cJSON_CreateObject();
    cJSON_AddStringToObject(canonical, "Type", spec->type);
    cJSON_AddItemToObject(canonical, "Settings", settings);
    *out = canonical;
    return S_OK;
}

HRESULT hnsm__policies_canonical(hnsm_policy_scope scope, const cJSON *policies,
                                 const hnsm_policy_context *ctx, cJSON **out)
{
    *out = NULL;
    if (policies && !cJSON_IsNull(policies) && !cJSON_IsArray(policies))
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY, "Policies must be an array");
    cJSON *list = cJSON_CreateArray();
    const cJSON *p;
    const cJSON *items = cJSON_IsArray(policies) ? policies : NULL;
    cJSON_ArrayForEach(p, items)
    {
        cJSON *canonical;
        HRESULT hr = hnsm__policy_canonical(scope, p, ctx, &canonical);
        if (FAILED(hr)) {
            cJSON_Delete(list);
            return hr;
        }
        cJSON_AddItemToArray(list, canonical);
    }
    *out = list;
    return S_OK;
}

/* v1 NAT policies name the protocol ("TCP"/"UDP") where v2 uses the number. */
static cJSON *v1_protocol_to_number(const cJSON *value)
{
    if (cJSON_IsString(value)) {
        if (strcasecmp(value->valuestring, "TCP") == 0)
            return cJSON_CreateNumber(6);
        if (strcasecmp(value->valuestring, "UDP") == 0)
            return cJSON_CreateNumber(17);
    }
    return cJSON_Duplicate(value, 1);
}

HRESULT hnsm__policy_from_v1(hnsm_policy_scope scope, const cJSON *v1, cJSON **out)
{
    *out = NULL;
    if (!cJSON_IsObject(v1))
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY, "a policy must be a JSON object");
    const cJSON *type = cJSON_GetObjectItem(v1, "Type");
    if (!cJSON_IsString(type))
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY_TYPE, "a policy needs a string Type");
    const policy_spec *spec = find_spec(scope, type->valuestring, true);
    if (!spec)
        return hnsm__detail(HNSM_HCN_E_INVALID_POLICY_TYPE, "unknown v1 policy type \"%s\"",
                            type->valuestring);
    cJSON *settings = cJSON_CreateObject();
    bool is_acl = strcmp(spec->type, "ACL") == 0;
    for (const field_spec *f = spec->fields; f->name; f++) {
        const char *v1_name = f->v1_name ? f->v1_name : f->name;
        const cJSON *value = cJSON_GetObjectItem(v1, v1_name);
        if (!value && scope == HNSM_POLICY_SUBNET)
            value = cJSON_GetObjectItem(v1, spec->type); /* {"Type":"VSID","VSID":4096} */
        if (!value)
            continue;
        if (strcmp(spec->type, "PortMapping") == 0 && strcmp(f->name, "Protocol") == 0)
            cJSON_AddItemToObject(settings, f->name, v1_protocol_to_number(value));
        else
            cJSON_AddItemToObject(settings, f->name, cJSON_Duplicate(value, 1));
    }
    if (is_acl) {
        /* v1 ACLs carry one numeric Protocol (256 = any) and single ports. */
        const cJSON *proto = cJSON_GetObjectItem(v1, "Protocol");
        if (cJSON_IsNumber(proto) && !cJSON_GetObjectItem(settings, "Protocols") &&
            proto->valuedouble != 256) {
            char buf[16];
            snprintf(buf, sizeof buf, "%d", (int)proto->valuedouble);
            cJSON_AddStringToObject(settings, "Protocols", buf);
        }
        const char *single[][2] = {{"LocalPort", "LocalPorts"}, {"RemotePort", "RemotePorts"}};
        for (int i = 0; i < 2; i++) {
            const cJSON *port = cJSON_GetObjectItem(v1, single[i][0]);
            if (cJSON_IsNumber(port) && port->valuedouble > 0 &&
                !cJSON_GetObjectItem(settings, single[i][1])) {
                char buf[16];
                snprintf(buf, sizeof buf, "%d", (int)port->valuedouble);
                cJSON_AddStringToObject(settings, single[i][1], buf);
            }
        }
    }
    cJSON *policy = cJSON_CreateObject();
    cJSON_AddStringToObject(policy, "Type", spec->type);
    cJSON_AddItemToObject(policy, "Settings", settings);
    *out = policy;
    return S_OK;
}

cJSON *hnsm__policy_to_v1(hnsm_policy_scope scope, const cJSON *v2)
{
    const char *type = hnsm__policy_type(v2);
    const policy_spec *spec = type ? find_spec(scope, type, false) : NULL;
    cJSON *v1 = cJSON_CreateObject();
    cJSON_AddStringToObject(v1, "Type", spec && spec->v1_type ? spec->v1_type : type ? type : "");
    const cJSON *settings = cJSON_GetObjectItem(v2, "Settings");
    const cJSON *value;
    cJSON_ArrayForEach(value, settings)
    {
        const char *name = value->string;
        for (const field_spec *f = spec ? spec->fields : no_fields; f->name; f++)
            if (strcmp(f->name, value->string) == 0 && f->v1_name)
                name = f->v1_name;
        if (scope == HNSM_POLICY_SUBNET && strcmp(value->string, "IsolationId") == 0)
            name = type;
        if (spec && strcmp(spec->type, "PortMapping") == 0 && strcmp(name, "Protocol") == 0 &&
            cJSON_IsNumber(value) && (value->valuedouble == 6 || value->valuedouble == 17)) {
            cJSON_AddStringToObject(v1, name, value->valuedouble == 6 ? "TCP" : "UDP");
            continue;
        }
        cJSON_AddItemToObject(v1, name, cJSON_Duplicate(value, 1));
    }
    return v1;
}
