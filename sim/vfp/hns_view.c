/*
 * hns_view.c - reading what HNS programmed into a hns_view, through the
 * public API only (hcn-api.md 2.2-2.10).
 *
 * For each kind (networks, endpoints, load balancers, SDN routes) the view
 * enumerates the ids with hnsm_call(), or with hnsm__remote_call() when no
 * instance is given (the hnsd transport of `hnsim diag --hnsd`), queries
 * each one as v2 JSON and copies the fields a packet can feel into plain C
 * structs. Load balancers are queried Detailed: HNS shows their State (4 = a
 * backend is gone) in no other view. Names are read the way HNS accepts
 * them: policy types, settings keys (cJSON_GetObjectItem is
 * case-insensitive) and enum strings ("Allow", "in", "SWITCH") ignore case,
 * and the enums also take their HNS numbers, as hns-mock's parser does;
 * TierAclRules are stored as given, so their rules get the same tolerance
 * (Protocols as a number, Priority as text).
 *
 * Address fields keep IPv4 only (hns_view.h): an IPv6 value, or one that does
 * not parse, leaves family 0 rather than failing the view, and list entries
 * stay in place with family 0 so that a list never silently changes meaning
 * (an OutBoundNAT whose Destinations are all IPv6 still has Destinations).
 * A failing call fails the whole view: everything read so far is freed and
 * the message names the HCN function, the object id and the HRESULT.
 *
 * Each kind's array is sorted by ID, so the same HNS state always gives the
 * same view whatever order HNS enumerates in. Every view struct starts with
 * its `char *id`, which lets one comparator sort and search all four kinds.
 */
#include "hns_view.h"

#include "remote.h" /* hns-mock: hnsm__remote_call, the hnsd transport */

#include <cjson/cJSON.h>
#include <hnsmock/hnsmock.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Flag bits the view decodes (hcn-api.md 2.2, 2.3). */
enum {
    ENDPOINT_FLAG_REMOTE = 1,        /* EndpointFlags RemoteEndpoint */
    NETWORK_FLAG_NON_PERSISTENT = 8, /* NetworkFlags EnableNonPersistent */
};

/* ---------------------------------------------------------------------------
 * Small readers of JSON fields. Each takes the sticky out-of-memory flag of
 * the object being read instead of returning an error, so the object readers
 * below stay a flat list of fields; the flag is checked once per object.
 */

/* The text of a string item, else NULL. */
static const char *string_of(const cJSON *item)
{
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

/* A malloc'd copy of text; NULL (with *oom set) when memory runs out. */
static char *dup_text(const char *text, bool *oom)
{
    char *copy = strdup(text);
    if (!copy)
        *oom = true;
    return copy;
}

/* Text of a string or number item (a number as an integer, "6"), malloc'd;
 * NULL when the item is absent or of another type. */
static char *item_text(const cJSON *item, bool *oom)
{
    char number[32];
    const char *text = NULL;
    if (cJSON_IsString(item)) {
        text = item->valuestring;
    } else if (cJSON_IsNumber(item)) {
        snprintf(number, sizeof number, "%.0f", item->valuedouble);
        text = number;
    }
    return text ? dup_text(text, oom) : NULL;
}

/* obj[key] as malloc'd text (see item_text). */
static char *copy_text(const cJSON *obj, const char *key, bool *oom)
{
    return item_text(cJSON_GetObjectItem(obj, key), oom);
}

/* An ACL text list field ("6,17", "10.0.0.0/8,10.1.2.3", "80,8080-8090"):
 * as copy_text, but "" is NULL too, since an empty list means "any". */
static char *copy_acl_list(const cJSON *obj, const char *key, bool *oom)
{
    char *text = copy_text(obj, key, oom);
    if (text && !*text) {
        free(text);
        text = NULL;
    }
    return text;
}

/* obj[key] as a whole number in 0..max (a JSON number, or one written as
 * a string, "2002"): absent, negative or unreadable is 0, above max is max. */
static uint32_t read_uint(const cJSON *obj, const char *key, uint32_t max)
{
    const cJSON *item = cJSON_GetObjectItem(obj, key);
    double value = 0;
    if (cJSON_IsNumber(item)) {
        value = item->valuedouble;
    } else if (cJSON_IsString(item)) {
        char *end;
        value = strtod(item->valuestring, &end);
        if (end == item->valuestring || *end)
            value = 0;
    }
    if (!(value > 0)) /* also NaN */
        return 0;
    return value >= (double)max ? max : (uint32_t)value;
}

/* A name of an HNS enum with its HNS number and the view's value. */
typedef struct enum_name {
    const char *name; /* as HNS writes it; matched case-insensitively */
    int number;       /* HNS's number for it, also accepted */
    int value;        /* what the view stores */
} enum_name;

static const enum_name acl_actions[] = {
    {"Allow", 0, HV_ACL_ALLOW}, {"Block", 1, HV_ACL_BLOCK}, {"Pass", 2, HV_ACL_PASS}, {NULL, 0, 0}};
static const enum_name acl_directions[] = {
    {"In", 0, VFP_DIR_IN}, {"Out", 1, VFP_DIR_OUT}, {NULL, 0, 0}};
static const enum_name acl_rule_types[] = {{"Host", 0, 1}, {"Switch", 1, 0}, {NULL, 0, 0}};

/* obj[key] looked up in names by name or HNS number; 0 when absent or unknown. */
static int read_enum(const cJSON *obj, const char *key, const enum_name *names)
{
    const cJSON *item = cJSON_GetObjectItem(obj, key);
    for (const enum_name *e = names; e->name; e++) {
        if (cJSON_IsString(item) && strcasecmp(item->valuestring, e->name) == 0)
            return e->value;
        if (cJSON_IsNumber(item) && item->valuedouble == (double)e->number)
            return e->value;
    }
    return 0;
}

/* An IPv4 address from text; anything else (IPv6, garbage, NULL) gives
 * family 0 and false. */
static bool parse_ipv4(const char *text, vfp_addr *out)
{
    vfp_addr a;
    if (text && vfp_addr_parse(text, &a) == 0 && a.family == VFP_FAMILY_IPV4) {
        *out = a;
        return true;
    }
    memset(out, 0, sizeof *out);
    return false;
}

/* obj[key] as an IPv4 address (see parse_ipv4). */
static void read_ipv4(const cJSON *obj, const char *key, vfp_addr *out)
{
    parse_ipv4(string_of(cJSON_GetObjectItem(obj, key)), out);
}

/* "a.b.c.d/n", or a bare address as /32, into out. The base is kept as
 * written: HNS accepts host bits (hcsshim's 169.254.169.254/24). IPv6 or
 * text that does not parse leaves family 0. */
static void parse_prefix(const char *text, hv_prefix *out)
{
    memset(out, 0, sizeof *out);
    if (!text)
        return;
    char address[VFP_ADDR_TEXT];
    const char *slash = strchr(text, '/');
    size_t address_length = slash ? (size_t)(slash - text) : strlen(text);
    if (address_length >= sizeof address)
        return;
    memcpy(address, text, address_length);
    address[address_length] = '\0';
    unsigned long length = 32;
    if (slash) {
        char *end;
        if (slash[1] < '0' || slash[1] > '9')
            return;
        length = strtoul(slash + 1, &end, 10);
        if (*end || length > 32)
            return;
    }
    if (parse_ipv4(address, &out->addr))
        out->length = (uint8_t)length;
}

/* obj[key] as a prefix (see parse_prefix). */
static void read_prefix(const cJSON *obj, const char *key, hv_prefix *out)
{
    parse_prefix(string_of(cJSON_GetObjectItem(obj, key)), out);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* obj[key] as a MAC, "00-15-5D-AD-90-00" or "00:15:5d:ad:90:00", into mac.
 * Returns false (mac untouched) when absent or malformed. */
static bool read_mac(const cJSON *obj, const char *key, uint8_t mac[6])
{
    const char *p = string_of(cJSON_GetObjectItem(obj, key));
    if (!p)
        return false;
    uint8_t bytes[6];
    for (int i = 0; i < 6; i++) {
        int high = hex_digit(p[0]), low = high < 0 ? -1 : hex_digit(p[1]);
        if (low < 0)
            return false;
        bytes[i] = (uint8_t)(high << 4 | low);
        p += 2;
        if (i < 5 && *p != '-' && *p != ':')
            return false;
        if (i < 5)
            p++;
    }
    if (*p)
        return false;
    memcpy(mac, bytes, sizeof bytes);
    return true;
}

/* obj[key] when it is an array, else NULL (which iterates as empty). */
static const cJSON *array_of(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItem(obj, key);
    return cJSON_IsArray(item) ? item : NULL;
}

/* obj[key], else obj[other_key]: for fields HNS spells two ways. */
static const cJSON *item_either(const cJSON *obj, const char *key, const char *other_key)
{
    const cJSON *item = cJSON_GetObjectItem(obj, key);
    return item ? item : cJSON_GetObjectItem(obj, other_key);
}

/* A zeroed array with room for one item of size bytes per entry of list;
 * NULL when list is empty or not an array, or (with *oom set) when memory
 * runs out. */
static void *array_like(const cJSON *list, size_t size, bool *oom)
{
    int count = cJSON_IsArray(list) ? cJSON_GetArraySize(list) : 0;
    void *array = count > 0 ? calloc((size_t)count, size) : NULL;
    if (count > 0 && !array)
        *oom = true;
    return array;
}

/* The string entries of a JSON array (others skipped), copied. */
static void copy_strings(const cJSON *list, char ***out, size_t *n, bool *oom)
{
    *n = 0;
    if (!(*out = array_like(list, sizeof **out, oom)))
        return;
    const cJSON *item;
    cJSON_ArrayForEach(item, list)
    {
        if (cJSON_IsString(item) && ((*out)[*n] = item_text(item, oom)))
            (*n)++;
    }
}

/* Every entry of a JSON array of prefixes; entries that are not IPv4
 * prefixes stay in place with family 0. */
static void read_prefixes(const cJSON *list, hv_prefix **out, size_t *n, bool *oom)
{
    *n = 0;
    if (!(*out = array_like(list, sizeof **out, oom)))
        return;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) parse_prefix(string_of(item), &(*out)[(*n)++]);
}

/* Every entry of a JSON array of addresses, as read_prefixes. */
static void read_addresses(const cJSON *list, vfp_addr **out, size_t *n, bool *oom)
{
    *n = 0;
    if (!(*out = array_like(list, sizeof **out, oom)))
        return;
    const cJSON *item;
    cJSON_ArrayForEach(item, list) parse_ipv4(string_of(item), &(*out)[(*n)++]);
}

/* Appends one zeroed item of size bytes to *array, which holds *n, and
 * returns it; NULL (with *oom set) when memory runs out. Arrays grown only
 * here need no capacity field: it is the next power of two, so the array is
 * reallocated exactly when *n is 0 or a power of two. */
static void *push_item(void **array, size_t *n, size_t size, bool *oom)
{
    if (*n == 0 || (*n & (*n - 1)) == 0) {
        void *grown = realloc(*array, (*n ? *n * 2 : 1) * size);
        if (!grown) {
            *oom = true;
            return NULL;
        }
        *array = grown;
    }
    void *item = (char *)*array + *n * size;
    memset(item, 0, size);
    (*n)++;
    return item;
}

/* ---------------------------------------------------------------------------
 * Pieces shared by several objects: routes and ACL rules.
 */

/* A route entry {DestinationPrefix, NextHop, NeedEncap}: an SDNRoute
 * policy's settings, an endpoint route or an entry of an SDN route object. */
static void read_route(const cJSON *obj, int policy_index, hv_route *out)
{
    read_prefix(obj, "DestinationPrefix", &out->destination);
    read_ipv4(obj, "NextHop", &out->next_hop);
    out->need_encap = cJSON_IsTrue(cJSON_GetObjectItem(obj, "NeedEncap"));
    out->policy_index = policy_index;
}

/* Appends every route of a JSON array to *routes. */
static void push_routes(const cJSON *list, int policy_index, hv_route **routes, size_t *n,
                        bool *oom)
{
    const cJSON *item;
    if (!cJSON_IsArray(list))
        return;
    cJSON_ArrayForEach(item, list)
    {
        hv_route *route = push_item((void **)routes, n, sizeof **routes, oom);
        if (route)
            read_route(item, policy_index, route);
    }
}

/* The fields an ACL policy and a TierAcl rule share (hcn-api.md 2.9, 2.10);
 * the action is under action_key ("Action" or "TierAclRuleAction"). The
 * caller sets the direction and the tier. An action that is absent or
 * unknown stays 0, which no hv_acl_action names. */
static void read_acl_rule(const cJSON *rule, const char *action_key, int policy_index, hv_acl *acl,
                          bool *oom)
{
    acl->id = copy_text(rule, "Id", oom);
    acl->action = (hv_acl_action)read_enum(rule, action_key, acl_actions);
    acl->protocols = copy_acl_list(rule, "Protocols", oom);
    acl->local_addresses = copy_acl_list(rule, "LocalAddresses", oom);
    acl->remote_addresses = copy_acl_list(rule, "RemoteAddresses", oom);
    acl->local_ports = copy_acl_list(rule, "LocalPorts", oom);
    acl->remote_ports = copy_acl_list(rule, "RemotePorts", oom);
    acl->host_rule = read_enum(rule, "RuleType", acl_rule_types);
    acl->priority = read_uint(rule, "Priority", UINT32_MAX);
    acl->policy_index = policy_index;
    acl->tier_order = -1;
}

/* Appends an ACL (or NetworkACL) policy to *acls. */
static void push_acl(const cJSON *settings, int policy_index, hv_acl **acls, size_t *n, bool *oom)
{
    hv_acl *acl = push_item((void **)acls, n, sizeof **acls, oom);
    if (!acl)
        return;
    read_acl_rule(settings, "Action", policy_index, acl, oom);
    acl->direction = (vfp_direction)read_enum(settings, "Direction", acl_directions);
}

/* How to read one policy type into the object (endpoint or network) that
 * holds it; index is the policy's position in the object's Policies. */
typedef struct policy_reader {
    const char *type; /* the policy Type, matched case-insensitively */
    void (*read)(void *object, const cJSON *settings, int index, bool *oom);
} policy_reader;

/* Runs the reader of each policy of obj's Policies whose type readers
 * lists (n of them); other types are of no use to the dataplane. */
static void read_policies(const cJSON *obj, const policy_reader *readers, size_t n, void *object,
                          bool *oom)
{
    int index = 0;
    const cJSON *policy;
    cJSON_ArrayForEach(policy, array_of(obj, "Policies"))
    {
        const cJSON *type = cJSON_GetObjectItem(policy, "Type");
        for (size_t i = 0; cJSON_IsString(type) && i < n; i++)
            if (strcasecmp(type->valuestring, readers[i].type) == 0)
                readers[i].read(object, cJSON_GetObjectItem(policy, "Settings"), index, oom);
        index++;
    }
}

/* ---------------------------------------------------------------------------
 * Endpoints (hcn-api.md 2.3, 2.9).
 */

static void endpoint_acl(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_endpoint *ep = object;
    push_acl(settings, index, &ep->acls, &ep->n_acls, oom);
}

/* A TierAcl becomes one hv_acl per TierAclRules entry, carrying the tier's
 * direction, order and name. */
static void endpoint_tier_acl(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_endpoint *ep = object;
    vfp_direction direction = (vfp_direction)read_enum(settings, "Direction", acl_directions);
    int order = (int)read_uint(settings, "Order", UINT16_MAX);
    const cJSON *rule;
    cJSON_ArrayForEach(rule, array_of(settings, "TierAclRules"))
    {
        hv_acl *acl = push_item((void **)&ep->acls, &ep->n_acls, sizeof *ep->acls, oom);
        if (!acl)
            return;
        read_acl_rule(rule, "TierAclRuleAction", index, acl, oom);
        acl->direction = direction;
        acl->tier_order = order;
        acl->tier_name = copy_text(settings, "Name", oom);
    }
}

static void endpoint_outbound_nat(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_endpoint *ep = object;
    hv_outbound_nat *nat =
        push_item((void **)&ep->outbound_nats, &ep->n_outbound_nats, sizeof *nat, oom);
    if (!nat)
        return;
    read_ipv4(settings, "VirtualIP", &nat->vip);
    read_prefixes(item_either(settings, "Exceptions", "ExceptionList"), &nat->exceptions,
                  &nat->n_exceptions, oom);
    read_prefixes(cJSON_GetObjectItem(settings, "Destinations"), &nat->destinations,
                  &nat->n_destinations, oom);
    nat->flags = read_uint(settings, "Flags", UINT32_MAX);
    nat->policy_index = index;
}

static void endpoint_port_mapping(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_endpoint *ep = object;
    hv_port_mapping *pm =
        push_item((void **)&ep->port_mappings, &ep->n_port_mappings, sizeof *pm, oom);
    if (!pm)
        return;
    pm->protocol = (uint8_t)read_uint(settings, "Protocol", UINT8_MAX);
    pm->internal_port = (uint16_t)read_uint(settings, "InternalPort", UINT16_MAX);
    pm->external_port = (uint16_t)read_uint(settings, "ExternalPort", UINT16_MAX);
    read_ipv4(settings, "VIP", &pm->vip);
    pm->flags = read_uint(settings, "Flags", UINT32_MAX);
    pm->policy_index = index;
}

static void endpoint_sdn_route(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_endpoint *ep = object;
    hv_route *route = push_item((void **)&ep->routes, &ep->n_routes, sizeof *route, oom);
    if (route)
        read_route(settings, index, route);
}

static void endpoint_provider_address(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_endpoint *ep = object;
    (void)index;
    (void)oom;
    read_ipv4(settings, "ProviderAddress", &ep->provider_address);
}

static void endpoint_encap_overhead(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_endpoint *ep = object;
    (void)index;
    (void)oom;
    ep->encap_overhead = (uint16_t)read_uint(settings, "Overhead", UINT16_MAX);
}

/* The endpoint policy types the dataplane uses; others are ignored. */
static const policy_reader endpoint_policies[] = {
    {"ACL", endpoint_acl},
    {"TierAcl", endpoint_tier_acl},
    {"OutBoundNAT", endpoint_outbound_nat},
    {"PortMapping", endpoint_port_mapping},
    {"SDNRoute", endpoint_sdn_route},
    {"ProviderAddress", endpoint_provider_address},
    {"EncapOverhead", endpoint_encap_overhead},
};

/* The address and prefix length of the first IPv4 entry of IpConfigurations. */
static void read_endpoint_address(hv_endpoint *ep, const cJSON *doc)
{
    const cJSON *config;
    cJSON_ArrayForEach(config, array_of(doc, "IpConfigurations"))
    {
        if (parse_ipv4(string_of(cJSON_GetObjectItem(config, "IpAddress")), &ep->ip)) {
            ep->prefix_length = (uint8_t)read_uint(config, "PrefixLength", 32);
            return;
        }
    }
}

static void read_endpoint(const cJSON *doc, const char *id, void *item, bool *oom)
{
    hv_endpoint *ep = item;
    ep->id = dup_text(id, oom);
    ep->name = copy_text(doc, "Name", oom);
    ep->network_id = copy_text(doc, "HostComputeNetwork", oom);
    ep->namespace_id = copy_text(doc, "HostComputeNamespace", oom);
    read_endpoint_address(ep, doc);
    read_mac(doc, "MacAddress", ep->mac);
    ep->is_remote = (read_uint(doc, "Flags", UINT32_MAX) & ENDPOINT_FLAG_REMOTE) != 0;
    read_policies(doc, endpoint_policies, sizeof endpoint_policies / sizeof *endpoint_policies, ep,
                  oom);
    push_routes(cJSON_GetObjectItem(doc, "Routes"), -1, &ep->routes, &ep->n_routes, oom);
}

/* ---------------------------------------------------------------------------
 * Networks (hcn-api.md 2.2, 2.8).
 */

static void network_provider_address(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_network *net = object;
    (void)index;
    (void)oom;
    read_ipv4(settings, "ProviderAddress", &net->provider_address);
}

static void network_dr_mac(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_network *net = object;
    (void)index;
    (void)oom;
    net->has_dr_mac = read_mac(settings, "Address", net->dr_mac);
}

static void network_remote_subnet(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_network *net = object;
    hv_remote_subnet *rs =
        push_item((void **)&net->remote_subnets, &net->n_remote_subnets, sizeof *rs, oom);
    if (!rs)
        return;
    read_prefix(settings, "DestinationPrefix", &rs->destination);
    rs->isolation_id = read_uint(settings, "IsolationId", UINT32_MAX);
    read_ipv4(settings, "ProviderAddress", &rs->provider_address);
    read_mac(settings, "DistributedRouterMacAddress", rs->dr_mac);
    rs->policy_index = index;
}

static void network_host_route(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_network *net = object;
    (void)settings;
    (void)index;
    (void)oom;
    net->host_route = 1;
}

static void network_vxlan_port(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_network *net = object;
    (void)index;
    (void)oom;
    net->vxlan_port = (uint16_t)read_uint(settings, "Port", UINT16_MAX);
}

static void network_acl(void *object, const cJSON *settings, int index, bool *oom)
{
    hv_network *net = object;
    push_acl(settings, index, &net->acls, &net->n_acls, oom);
}

/* The network policy types the dataplane uses; others are ignored. */
static const policy_reader network_policies[] = {
    {"ProviderAddress", network_provider_address},
    {"DrMacAddress", network_dr_mac},
    {"RemoteSubnetRoute", network_remote_subnet},
    {"HostRoute", network_host_route},
    {"VxlanPort", network_vxlan_port},
    {"NetworkACL", network_acl},
};

/* A subnet: its prefix, the NextHop of its IPv4 default route as gateway,
 * and the IsolationId of its VSID policy. */
static void read_subnet(const cJSON *subnet, hv_subnet *out)
{
    read_prefix(subnet, "IpAddressPrefix", &out->prefix);
    const cJSON *route;
    cJSON_ArrayForEach(route, array_of(subnet, "Routes"))
    {
        hv_prefix destination;
        read_prefix(route, "DestinationPrefix", &destination);
        if (destination.addr.family == VFP_FAMILY_IPV4 && destination.length == 0) {
            read_ipv4(route, "NextHop", &out->gateway);
            break;
        }
    }
    const cJSON *policy;
    cJSON_ArrayForEach(policy, array_of(subnet, "Policies"))
    {
        const cJSON *type = cJSON_GetObjectItem(policy, "Type");
        if (cJSON_IsString(type) && strcasecmp(type->valuestring, "VSID") == 0)
            out->vsid =
                read_uint(cJSON_GetObjectItem(policy, "Settings"), "IsolationId", UINT32_MAX);
    }
}

static void read_network(const cJSON *doc, const char *id, void *item, bool *oom)
{
    hv_network *net = item;
    net->id = dup_text(id, oom);
    net->name = copy_text(doc, "Name", oom);
    /* HNS leaves Type out for NAT networks (hcn-api.md 2.2). */
    net->type =
        cJSON_GetObjectItem(doc, "Type") ? copy_text(doc, "Type", oom) : dup_text("NAT", oom);
    const cJSON *ipam, *subnet;
    cJSON_ArrayForEach(ipam, array_of(doc, "Ipams"))
        cJSON_ArrayForEach(subnet, array_of(ipam, "Subnets"))
    {
        hv_subnet *s = push_item((void **)&net->subnets, &net->n_subnets, sizeof *s, oom);
        if (s)
            read_subnet(subnet, s);
    }
    read_policies(doc, network_policies, sizeof network_policies / sizeof *network_policies, net,
                  oom);
    net->enable_non_persistent =
        (read_uint(doc, "Flags", UINT32_MAX) & NETWORK_FLAG_NON_PERSISTENT) != 0;
}

/* ---------------------------------------------------------------------------
 * Load balancers and SDN routes (hcn-api.md 2.5, 2.6).
 */

static void read_loadbalancer(const cJSON *doc, const char *id, void *item, bool *oom)
{
    hv_loadbalancer *lb = item;
    lb->id = dup_text(id, oom);
    copy_strings(cJSON_GetObjectItem(doc, "HostComputeEndpoints"), &lb->backend_ids,
                 &lb->n_backends, oom);
    read_addresses(cJSON_GetObjectItem(doc, "FrontendVIPs"), &lb->frontend_vips,
                   &lb->n_frontend_vips, oom);
    read_ipv4(doc, "SourceVIP", &lb->source_vip);
    const cJSON *pm;
    cJSON_ArrayForEach(pm, array_of(doc, "PortMappings"))
    {
        hv_lb_mapping *m = push_item((void **)&lb->mappings, &lb->n_mappings, sizeof *m, oom);
        if (!m)
            break;
        m->protocol = (uint8_t)read_uint(pm, "Protocol", UINT8_MAX);
        m->internal_port = (uint16_t)read_uint(pm, "InternalPort", UINT16_MAX);
        m->external_port = (uint16_t)read_uint(pm, "ExternalPort", UINT16_MAX);
        m->flags = read_uint(pm, "Flags", UINT32_MAX);
        m->distribution = read_uint(pm, "DistributionType", UINT32_MAX);
    }
    lb->flags = read_uint(doc, "Flags", UINT32_MAX);
    lb->state = (int)read_uint(doc, "State", INT32_MAX);
}

static void read_sdn_route(const cJSON *doc, const char *id, void *item, bool *oom)
{
    hv_sdn_route *r = item;
    r->id = dup_text(id, oom);
    copy_strings(cJSON_GetObjectItem(doc, "HostComputeEndpoints"), &r->endpoint_ids,
                 &r->n_endpoints, oom);
    /* hcsshim's `Setting` or the schema's `Routes` (hcn-api.md 2.6). */
    push_routes(item_either(doc, "Routes", "Setting"), -1, &r->routes, &r->n_routes, oom);
}

/* ---------------------------------------------------------------------------
 * Freeing.
 */

static void free_strings(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

static void free_acls(hv_acl *acls, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(acls[i].id);
        free(acls[i].protocols);
        free(acls[i].local_addresses);
        free(acls[i].remote_addresses);
        free(acls[i].local_ports);
        free(acls[i].remote_ports);
        free(acls[i].tier_name);
    }
    free(acls);
}

static void free_endpoint(hv_endpoint *ep)
{
    free(ep->id);
    free(ep->name);
    free(ep->network_id);
    free(ep->namespace_id);
    free_acls(ep->acls, ep->n_acls);
    free(ep->port_mappings);
    for (size_t i = 0; i < ep->n_outbound_nats; i++) {
        free(ep->outbound_nats[i].exceptions);
        free(ep->outbound_nats[i].destinations);
    }
    free(ep->outbound_nats);
    free(ep->routes);
}

static void free_network(hv_network *net)
{
    free(net->id);
    free(net->name);
    free(net->type);
    free(net->subnets);
    free(net->remote_subnets);
    free_acls(net->acls, net->n_acls);
}

static void free_loadbalancer(hv_loadbalancer *lb)
{
    free(lb->id);
    free_strings(lb->backend_ids, lb->n_backends);
    free(lb->frontend_vips);
    free(lb->mappings);
}

static void read_namespace(const cJSON *doc, const char *id, void *item, bool *oom)
{
    hv_namespace *ns = item;
    ns->id = dup_text(id, oom);
    const char *type = string_of(cJSON_GetObjectItem(doc, "Type"));
    ns->host_default = type && strcasecmp(type, "HostDefault") == 0;
}

static void free_sdn_route(hv_sdn_route *r)
{
    free(r->id);
    free_strings(r->endpoint_ids, r->n_endpoints);
    free(r->routes);
}

void hns_view_free(hns_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n_networks; i++)
        free_network(&v->networks[i]);
    for (size_t i = 0; i < v->n_endpoints; i++)
        free_endpoint(&v->endpoints[i]);
    for (size_t i = 0; i < v->n_loadbalancers; i++)
        free_loadbalancer(&v->loadbalancers[i]);
    for (size_t i = 0; i < v->n_sdn_routes; i++)
        free_sdn_route(&v->sdn_routes[i]);
    for (size_t i = 0; i < v->n_namespaces; i++)
        free(v->namespaces[i].id);
    free(v->namespaces);
    free(v->networks);
    free(v->endpoints);
    free(v->loadbalancers);
    free(v->sdn_routes);
    free(v);
}

/* ---------------------------------------------------------------------------
 * Taking the view.
 */

/* The ID is the first member of every object of the view, so a pointer to
 * an object is a pointer to its `char *id` (C11 6.7.2.1p15) and one
 * comparator serves qsort and bsearch for all four kinds. */
_Static_assert(offsetof(hv_network, id) == 0, "id first");
_Static_assert(offsetof(hv_endpoint, id) == 0, "id first");
_Static_assert(offsetof(hv_loadbalancer, id) == 0, "id first");
_Static_assert(offsetof(hv_sdn_route, id) == 0, "id first");

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* How to read one kind of object. */
typedef struct kind_reader {
    hnsm_kind kind;
    const char *noun;          /* for messages: "endpoint" */
    const char *enumerate_api; /* the HCN functions hnsm_call stands for, for messages */
    const char *query_api;     /* ... and for each object's query */
    const char *query;         /* the HostComputeQuery of each object */
    size_t size;               /* bytes of one view object */
    void (*read)(const cJSON *doc, const char *id, void *item, bool *oom);
} kind_reader;

#define ENUMERATE_QUERY "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0}}"
#define PLAIN_QUERY "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Flags\":0}"
/* HNS shows a load balancer's State (degraded or not) only in the Detailed
 * view (loadbalancer.c, consumers.md 9.5). */
#define DETAILED_QUERY "{\"SchemaVersion\":{\"Major\":2,\"Minor\":0},\"Flags\":1}"

static const kind_reader network_reader = {
    .kind = HNSM_NETWORK,
    .noun = "network",
    .enumerate_api = "HcnEnumerateNetworks",
    .query_api = "HcnQueryNetworkProperties",
    .query = PLAIN_QUERY,
    .size = sizeof(hv_network),
    .read = read_network,
};
static const kind_reader endpoint_reader = {
    .kind = HNSM_ENDPOINT,
    .noun = "endpoint",
    .enumerate_api = "HcnEnumerateEndpoints",
    .query_api = "HcnQueryEndpointProperties",
    .query = PLAIN_QUERY,
    .size = sizeof(hv_endpoint),
    .read = read_endpoint,
};
static const kind_reader loadbalancer_reader = {
    .kind = HNSM_LOADBALANCER,
    .noun = "load balancer",
    .enumerate_api = "HcnEnumerateLoadBalancers",
    .query_api = "HcnQueryLoadBalancerProperties",
    .query = DETAILED_QUERY,
    .size = sizeof(hv_loadbalancer),
    .read = read_loadbalancer,
};
static const kind_reader sdn_route_reader = {
    .kind = HNSM_SDNROUTE,
    .noun = "SDN route",
    .enumerate_api = "HcnEnumerateSdnRoutes",
    .query_api = "HcnQuerySdnRouteProperties",
    .query = PLAIN_QUERY,
    .size = sizeof(hv_sdn_route),
    .read = read_sdn_route,
};

static const kind_reader namespace_reader = {
    .kind = HNSM_NAMESPACE,
    .noun = "namespace",
    .enumerate_api = "HcnEnumerateNamespaces",
    .query_api = "HcnQueryNamespaceProperties",
    .query = PLAIN_QUERY,
    .size = sizeof(hv_namespace),
    .read = read_namespace,
};

/* Sets *error (when error is not NULL and holds nothing yet) to a malloc'd
 * printf-style message. */
__attribute__((format(printf, 2, 3))) static void set_error(char **error, const char *fmt, ...)
{
    if (!error || *error)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text) {
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    *error = text;
}

/* Runs one call on inst, or through hnsd when inst is NULL, and parses its
 * result. Returns the document, or NULL with *error naming api, the object
 * (id, or none for an enumerate) and the HRESULT. */
static cJSON *call_and_parse(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *api,
                             const char *id, const char *query, char **error)
{
    char *out = NULL, *record = NULL;
    HRESULT hr = inst ? hnsm_call(inst, kind, op, id, NULL, query, &out, &record)
                      : hnsm__remote_call(kind, op, id, NULL, query, &out, &record);
    cJSON *doc = SUCCEEDED(hr) && out ? cJSON_Parse(out) : NULL;
    hnsm_free(out);
    hnsm_free(record);
    if (doc)
        return doc;
    const char *name = hnsm_hresult_name(hr);
    if (FAILED(hr))
        set_error(error, "%s(%s) failed: %s (0x%08X)", api, id ? id : "", name ? name : "HRESULT",
                  (unsigned)hr);
    else
        set_error(error, "%s(%s) returned no JSON document", api, id ? id : "");
    return NULL;
}

/* Queries the object id of kind k and reads it into item. Returns 0 or -1
 * with *error. */
static int read_object(hnsm_instance *inst, const kind_reader *k, const char *id, void *item,
                       char **error)
{
    cJSON *doc = call_and_parse(inst, k->kind, HNSM_OP_QUERY, k->query_api, id, k->query, error);
    if (!doc)
        return -1;
    bool oom = false;
    k->read(doc, id, item, &oom);
    cJSON_Delete(doc);
    if (oom) {
        set_error(error, "out of memory reading %s %s", k->noun, id);
        return -1;
    }
    return 0;
}

/* The number of ids in an enumerate's answer, or -1 when it is not a list
 * of strings. */
static int count_ids(const cJSON *ids)
{
    if (!cJSON_IsArray(ids))
        return -1;
    const cJSON *id;
    cJSON_ArrayForEach(id, ids)
    {
        if (!cJSON_IsString(id))
            return -1;
    }
    return cJSON_GetArraySize(ids);
}

/* Reads every object of kind k into a new array sorted by ID (*items, *n).
 * *n is set as soon as the array exists, zeroed, so that on failure the
 * caller frees a partly read array like a whole one. Returns 0 or -1 with
 * *error. */
static int read_kind(hnsm_instance *inst, const kind_reader *k, void **items, size_t *n,
                     char **error)
{
    cJSON *ids = call_and_parse(inst, k->kind, HNSM_OP_ENUMERATE, k->enumerate_api, NULL,
                                ENUMERATE_QUERY, error);
    if (!ids)
        return -1;
    int rc = -1;
    int count = count_ids(ids);
    if (count < 0) {
        set_error(error, "%s() returned something other than a list of ids", k->enumerate_api);
    } else if (count > 0 && !(*items = calloc((size_t)count, k->size))) {
        set_error(error, "out of memory reading %d %ss", count, k->noun);
    } else {
        *n = (size_t)count;
        rc = 0;
        size_t i = 0;
        for (const cJSON *id = ids->child; id && rc == 0; id = id->next)
            rc = read_object(inst, k, id->valuestring, (char *)*items + i++ * k->size, error);
    }
    cJSON_Delete(ids);
    if (rc == 0 && *n > 1)
        qsort(*items, *n, k->size, compare_ids);
    return rc;
}

/* Endpoints attached to a HostDefault namespace are the host's vNICs. */
static void mark_host_vnics(hns_view *v)
{
    for (size_t i = 0; i < v->n_endpoints; i++) {
        hv_endpoint *ep = &v->endpoints[i];
        for (size_t j = 0; ep->namespace_id && j < v->n_namespaces; j++)
            if (v->namespaces[j].host_default &&
                strcasecmp(v->namespaces[j].id, ep->namespace_id) == 0)
                ep->host_vnic = 1;
    }
}

int hns_view_take(hnsm_instance *inst, hns_view **out, char **error)
{
    if (error)
        *error = NULL;
    if (!out) {
        set_error(error, "hns_view_take: no place for the view");
        return -1;
    }
    *out = NULL;
    hns_view *v = calloc(1, sizeof *v);
    if (!v) {
        set_error(error, "out of memory");
        return -1;
    }
    if (read_kind(inst, &network_reader, (void **)&v->networks, &v->n_networks, error) ||
        read_kind(inst, &endpoint_reader, (void **)&v->endpoints, &v->n_endpoints, error) ||
        read_kind(inst, &loadbalancer_reader, (void **)&v->loadbalancers, &v->n_loadbalancers,
                  error) ||
        read_kind(inst, &sdn_route_reader, (void **)&v->sdn_routes, &v->n_sdn_routes, error) ||
        read_kind(inst, &namespace_reader, (void **)&v->namespaces, &v->n_namespaces, error)) {
        hns_view_free(v);
        return -1;
    }
    mark_host_vnics(v);
    *out = v;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Lookups.
 */

const hv_network *hns_view_network(const hns_view *v, const char *id)
{
    if (!v || !id || !v->n_networks)
        return NULL;
    return bsearch(&id, v->networks, v->n_networks, sizeof *v->networks, compare_ids);
}

const hv_endpoint *hns_view_endpoint(const hns_view *v, const char *id)
{
    if (!v || !id || !v->n_endpoints)
        return NULL;
    return bsearch(&id, v->endpoints, v->n_endpoints, sizeof *v->endpoints, compare_ids);
}

/* The first endpoint in ID order with address ip, a local one before a
 * remote one: a node's own endpoint answers for an address even when HNS
 * also holds a remote record of it. */
const hv_endpoint *hns_view_endpoint_by_ip(const hns_view *v, const vfp_addr *ip)
{
    if (!v || !ip || !ip->family)
        return NULL;
    const hv_endpoint *remote = NULL;
    for (size_t i = 0; i < v->n_endpoints; i++) {
        const hv_endpoint *ep = &v->endpoints[i];
        if (vfp_addr_compare(&ep->ip, ip) != 0)
            continue;
        if (!ep->is_remote)
            return ep;
        if (!remote)
            remote = ep;
    }
    return remote;
}
