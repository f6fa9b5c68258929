/*
 * test_dp_hns_view.c - the HNS view (sim/vfp/hns_view.c) read from hns-mock.
 *
 * One fixture on an in-memory ws2025 instance (TierAcl needs HNS 14 and
 * NetworkACL 15, hcn-api.md 3): an Overlay network with a VSID subnet,
 * ProviderAddress, DrMacAddress, RemoteSubnetRoute, HostRoute, VxlanPort and
 * NetworkACL policies; an L2Bridge network (whose ProviderAddress HNS adds
 * itself); local endpoints with ACLs of both directions, a TierAcl, an
 * OutBoundNAT with exceptions, a PortMapping, an SDNRoute, EncapOverhead and
 * routes; remote endpoints with a ProviderAddress, one sharing a local
 * endpoint's IP; a DSR load balancer with frontend VIPs and ILB mappings, a
 * NodePort-style one without frontend VIPs; an SDN route object. Objects get
 * chosen ids whose order differs from the order they are created in, so the
 * sorting is visible.
 *
 * Every field of the view is asserted. Also: an empty instance; two takes of
 * one state print the same; the State of a load balancer whose backend is
 * gone; both spellings of SDN route entries; lookups; failures (an injected
 * HRESULT on an enumerate, on the query of a named object, and on every call
 * in turn, SQLite-style) return -1 with a message naming the call, the
 * object and the HRESULT; no instance and no hnsd; and the hnsd transport,
 * served in-process by hnsm__serve, giving the same view as the instance.
 */
#include "vfp_test.h"

#include "hns_view.h"

#include "hresult.h"
#include "serve.h"
#include "wire.h"

#include <cjson/cJSON.h>
#include <hnsmock/hnsmock.h>

#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"

/* Ids chosen so that creation order and ID order differ. */
#define NET_OVERLAY "C0000000-0000-4000-8000-000000000001"
#define NET_BRIDGE "B0000000-0000-4000-8000-000000000002"
#define EP_WEB "E0000000-0000-4000-8000-000000000001"     /* local, every policy */
#define EP_DB "D0000000-0000-4000-8000-000000000002"      /* local, no policies */
#define EP_REMOTE "A1000000-0000-4000-8000-000000000003"  /* remote, own IP */
#define EP_TWIN "A0000000-0000-4000-8000-000000000004"    /* remote, db's IP */
#define EP_BACKEND "B1000000-0000-4000-8000-000000000005" /* on the L2Bridge */
#define NAMESPACE "F0000000-0000-4000-8000-000000000001"
#define NAMESPACE_HOST_DEFAULT "0F000000-0000-4000-8000-000000000002" /* made by one test */
#define LB_DSR "2B000000-0000-4000-8000-000000000001"
#define LB_NODEPORT "1B000000-0000-4000-8000-000000000002"
#define ROUTE "70000000-0000-4000-8000-000000000001"

/* ---------------------------------------------------------------------------
 * Fixture
 */

/* Runs one call that must succeed; returns its result (caller frees with
 * hnsm_free) or NULL. */
static char *call_ok(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                     const char *parent, const char *json)
{
    char *result = NULL, *record = NULL;
    HRESULT hr = hnsm_call(inst, kind, op, id, parent, json, &result, &record);
    if (FAILED(hr))
        fail_msg("call %d/%d on %s failed: %s (%s) %s", (int)kind, (int)op, id ? id : "-",
                 hnsm_hresult_name(hr), hnsm_last_detail(), record ? record : "");
    hnsm_free(record);
    return result;
}

/* Creates an object of kind with the given id from json. */
static void create(hnsm_instance *inst, hnsm_kind kind, const char *id, const char *parent,
                   const char *json)
{
    char *result = call_ok(inst, kind, HNSM_OP_CREATE, id, parent, json);
    assert_string_equal(result, id);
    hnsm_free(result);
}

static hnsm_instance *open_empty(void)
{
    hnsm_config config = {.profile = "ws2025", .seed = 7, .seed_set = 1};
    hnsm_instance *inst = NULL;
    assert_int_equal(hnsm_open(&config, &inst), 0);
    return inst;
}

static void create_networks(hnsm_instance *inst)
{
    create(inst, HNSM_NETWORK, NET_OVERLAY, NULL,
           "{\"Name\":\"overlay\",\"Type\":\"Overlay\",\"Flags\":8,"
           "\"MacPool\":{\"Ranges\":[{\"StartMacAddress\":\"00-15-5D-52-C0-00\","
           "\"EndMacAddress\":\"00-15-5D-52-CF-FF\"}]},"
           "\"Policies\":["
           "{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"10.0.0.4\"}},"
           "{\"Type\":\"DrMacAddress\",\"Settings\":{\"Address\":\"00-15-5D-AA-BB-01\"}},"
           "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"10.244.2.0/24\","
           "\"IsolationId\":4096,\"ProviderAddress\":\"10.0.0.5\","
           "\"DistributedRouterMacAddress\":\"00-15-5D-AA-BB-02\"}},"
           "{\"Type\":\"HostRoute\",\"Settings\":{}},"
           "{\"Type\":\"VxlanPort\",\"Settings\":{\"Port\":4790}},"
           "{\"Type\":\"NetworkACL\",\"Settings\":{\"Id\":\"no-dns\",\"Protocols\":\"17\","
           "\"Action\":\"Block\",\"Direction\":\"Out\",\"RemotePorts\":\"53\",\"Priority\":300}}],"
           "\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":[{\"IpAddressPrefix\":\"10.244.1.0/24\","
           "\"Policies\":[{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":4096}}],"
           "\"Routes\":[{\"NextHop\":\"10.244.1.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]," V2
           "}");
    create(inst, HNSM_NETWORK, NET_BRIDGE, NULL,
           "{\"Name\":\"bridge\",\"Type\":\"L2Bridge\","
           "\"Ipams\":[{\"Type\":\"Static\",\"Subnets\":["
           "{\"IpAddressPrefix\":\"10.10.0.0/24\",\"Routes\":["
           "{\"NextHop\":\"10.10.0.254\",\"DestinationPrefix\":\"172.16.0.0/12\"},"
           "{\"NextHop\":\"10.10.0.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]},"
           "{\"IpAddressPrefix\":\"fd00::/64\",\"Routes\":["
           "{\"NextHop\":\"fd00::1\",\"DestinationPrefix\":\"::/0\"}]},"
           "{\"IpAddressPrefix\":\"10.11.0.0/24\"}]}]," V2 "}");
}

static void create_endpoints(hnsm_instance *inst)
{
    create(inst, HNSM_ENDPOINT, EP_WEB, NET_OVERLAY,
           "{\"Name\":\"web\",\"IpConfigurations\":[{\"IpAddress\":\"10.244.1.10\","
           "\"PrefixLength\":24}],"
           "\"Policies\":["
           /* 0 */ "{\"Type\":\"ACL\",\"Settings\":{\"Id\":\"allow-web\",\"Protocols\":\"6\","
           "\"Action\":\"Allow\",\"Direction\":\"In\",\"LocalPorts\":\"80,8080-8090\","
           "\"RemoteAddresses\":\"10.0.0.0/8\",\"RuleType\":\"Host\",\"Priority\":200}},"
           /* 1 */ "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Block\",\"Direction\":\"Out\","
           "\"Protocols\":\"17\",\"RemoteAddresses\":\"10.0.0.53\",\"RemotePorts\":\"53\","
           "\"LocalAddresses\":\"10.244.1.10\"}},"
           /* 2: TierAclRules pass through HNS unchecked, so give one in loose form. */
           "{\"Type\":\"TierAcl\",\"Settings\":{\"Name\":\"tier1\",\"Direction\":\"In\","
           "\"Order\":1001,\"TierAclRules\":["
           "{\"Id\":\"t1\",\"Protocols\":\"6\",\"TierAclRuleAction\":\"Allow\","
           "\"LocalPorts\":\"443\",\"Priority\":2001},"
           "{\"Id\":\"t2\",\"Protocols\":17,\"TierAclRuleAction\":\"pass\","
           "\"RemoteAddresses\":\"10.244.0.0/16\",\"Priority\":\"2002\"}]}},"
           /* 3 */ "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"VirtualIP\":\"10.0.0.4\","
           "\"Exceptions\":[\"10.244.0.0/16\",\"10.96.0.0/12\",\"10.0.0.9\",\"fd00::/64\"],"
           "\"Destinations\":[\"192.168.0.0/16\"],\"Flags\":1}},"
           /* 4 */ "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"
           "\"ExternalPort\":30080,\"VIP\":\"10.0.0.4\",\"Flags\":1}},"
           /* 5 */ "{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"10.96.0.0/12\","
           "\"NeedEncap\":true}},"
           /* 6 */ "{\"Type\":\"QOS\",\"Settings\":{\"MaximumOutgoingBandwidthInBytes\":1000}},"
           /* 7 */ "{\"Type\":\"EncapOverhead\",\"Settings\":{\"Overhead\":50}},"
           /* 8 */ "{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"10.0.0.4/32\","
           "\"NextHop\":\"10.244.1.1\"}}],"
           "\"Routes\":[{\"NextHop\":\"10.244.1.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]," V2 "}");
    create(inst, HNSM_ENDPOINT, EP_DB, NET_OVERLAY,
           "{\"Name\":\"db\",\"IpConfigurations\":[{\"IpAddress\":\"10.244.1.11\","
           "\"PrefixLength\":24}]," V2 "}");
    create(inst, HNSM_ENDPOINT, EP_REMOTE, NET_OVERLAY,
           "{\"Name\":\"remote\",\"Flags\":1,\"MacAddress\":\"00-15-5D-BB-00-03\","
           "\"IpConfigurations\":[{\"IpAddress\":\"10.244.2.5\",\"PrefixLength\":24}],"
           "\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":"
           "\"10.0.0.5\"}}]," V2 "}");
    create(inst, HNSM_ENDPOINT, EP_TWIN, NET_OVERLAY,
           "{\"Name\":\"twin\",\"Flags\":1,\"MacAddress\":\"00-15-5D-BB-00-04\","
           "\"IpConfigurations\":[{\"IpAddress\":\"10.244.1.11\",\"PrefixLength\":24}],"
           "\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":"
           "\"10.0.0.6\"}}]," V2 "}");
    create(inst, HNSM_ENDPOINT, EP_BACKEND, NET_BRIDGE,
           "{\"Name\":\"backend\",\"MacAddress\":\"00-15-5D-CC-00-05\",\"IpConfigurations\":"
           "[{\"IpAddress\":\"fd00::5\",\"PrefixLength\":64},"
           "{\"IpAddress\":\"10.10.0.5\",\"PrefixLength\":24}]," V2 "}");
    create(inst, HNSM_NAMESPACE, NAMESPACE, NULL, "{" V2 "}");
    hnsm_free(call_ok(inst, HNSM_NAMESPACE, HNSM_OP_MODIFY, NAMESPACE, NULL,
                      "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\","
                      "\"Settings\":{\"EndpointId\":\"" EP_WEB "\"}}"));
}

static void create_loadbalancers_and_route(hnsm_instance *inst)
{
    create(inst, HNSM_LOADBALANCER, LB_DSR, NULL,
           "{\"HostComputeEndpoints\":[\"" EP_WEB "\",\"" EP_DB "\"],"
           "\"SourceVIP\":\"10.244.1.2\",\"FrontendVIPs\":[\"10.96.0.20\",\"10.0.0.4\"],"
           "\"PortMappings\":["
           "{\"Protocol\":6,\"InternalPort\":8080,\"ExternalPort\":80,\"DistributionType\":1,"
           "\"Flags\":1},"
           "{\"Protocol\":17,\"InternalPort\":53,\"Flags\":9,\"DistributionType\":2}],"
           "\"Flags\":1," V2 "}");
    create(inst, HNSM_LOADBALANCER, LB_NODEPORT, NULL,
           "{\"HostComputeEndpoints\":[\"" EP_BACKEND "\"],"
           "\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":80,\"ExternalPort\":30100}]," V2
           "}");
    create(inst, HNSM_SDNROUTE, ROUTE, NULL,
           "{\"HostComputeEndpoints\":[\"" EP_WEB "\",\"" EP_DB "\"],"
           "\"Setting\":[{\"DestinationPrefix\":\"169.254.169.254/24\","
           "\"NextHop\":\"127.10.0.34\"},"
           "{\"DestinationPrefix\":\"10.97.0.0/16\",\"NeedEncap\":true}]," V2 "}");
}

/* The whole fixture: an instance holding every object above. */
static hnsm_instance *open_fixture(void)
{
    hnsm_instance *inst = open_empty();
    create_networks(inst);
    create_endpoints(inst);
    create_loadbalancers_and_route(inst);
    return inst;
}

static int setup(void **state)
{
    *state = open_fixture();
    return 0;
}

static int teardown(void **state)
{
    hnsm_close(*state);
    return 0;
}

/* Takes the view of inst, failing the test (with the message) on error. */
static hns_view *take(hnsm_instance *inst)
{
    hns_view *v = NULL;
    char *error = NULL;
    if (hns_view_take(inst, &v, &error) != 0)
        fail_msg("hns_view_take failed: %s", error ? error : "(no message)");
    assert_null(error);
    assert_non_null(v);
    return v;
}

/* ---------------------------------------------------------------------------
 * Assertions in the view's terms
 */

/* a is the address text, or has family 0 when text is NULL. */
static void assert_addr(const vfp_addr *a, const char *text)
{
    if (!text) {
        assert_int_equal(a->family, 0);
        return;
    }
    char got[VFP_ADDR_TEXT];
    assert_int_equal(a->family, VFP_FAMILY_IPV4);
    vfp_addr_format(a, got);
    assert_string_equal(got, text);
}

/* p is "a.b.c.d/n", or has family 0 when text is NULL. */
static void assert_prefix(const hv_prefix *p, const char *text)
{
    if (!text) {
        assert_int_equal(p->addr.family, 0);
        return;
    }
    char got[VFP_ADDR_TEXT + 4];
    char address[VFP_ADDR_TEXT];
    vfp_addr_format(&p->addr, address);
    snprintf(got, sizeof got, "%s/%u", address, (unsigned)p->length);
    assert_int_equal(p->addr.family, VFP_FAMILY_IPV4);
    assert_string_equal(got, text);
}

static void assert_mac(const uint8_t mac[6], const char *text)
{
    char got[18];
    snprintf(got, sizeof got, "%02X-%02X-%02X-%02X-%02X-%02X", mac[0], mac[1], mac[2], mac[3],
             mac[4], mac[5]);
    assert_string_equal(got, text);
}

/* actual equals expected, both possibly NULL. */
static void assert_text(const char *actual, const char *expected)
{
    if (!expected)
        assert_null(actual);
    else
        assert_string_equal(actual ? actual : "(null)", expected);
}

static void assert_route(const hv_route *r, const char *destination, const char *next_hop,
                         int need_encap, int policy_index)
{
    assert_prefix(&r->destination, destination);
    assert_addr(&r->next_hop, next_hop);
    assert_int_equal(r->need_encap, need_encap);
    assert_int_equal(r->policy_index, policy_index);
}

/* The expected text fields of an ACL (NULL = absent). */
typedef struct acl_text {
    const char *id, *protocols, *local_addresses, *remote_addresses, *local_ports, *remote_ports;
} acl_text;

static void assert_acl(const hv_acl *acl, acl_text text, hv_acl_action action,
                       vfp_direction direction, int host_rule, uint32_t priority, int policy_index,
                       int tier_order, const char *tier_name)
{
    assert_text(acl->id, text.id);
    assert_text(acl->protocols, text.protocols);
    assert_text(acl->local_addresses, text.local_addresses);
    assert_text(acl->remote_addresses, text.remote_addresses);
    assert_text(acl->local_ports, text.local_ports);
    assert_text(acl->remote_ports, text.remote_ports);
    assert_int_equal(acl->action, action);
    assert_int_equal(acl->direction, direction);
    assert_int_equal(acl->host_rule, host_rule);
    assert_int_equal(acl->priority, priority);
    assert_int_equal(acl->policy_index, policy_index);
    assert_int_equal(acl->tier_order, tier_order);
    assert_text(acl->tier_name, tier_name);
}

/* ---------------------------------------------------------------------------
 * A text form of a whole view, to compare views
 */

static void dump_addr(FILE *f, const char *label, const vfp_addr *a)
{
    char text[VFP_ADDR_TEXT] = "-";
    if (a->family)
        vfp_addr_format(a, text);
    fprintf(f, " %s=%s", label, text);
}

static void dump_prefix(FILE *f, const char *label, const hv_prefix *p)
{
    dump_addr(f, label, &p->addr);
    fprintf(f, "/%u", (unsigned)p->length);
}

static void dump_mac(FILE *f, const char *label, const uint8_t mac[6])
{
    fprintf(f, " %s=%02x%02x%02x%02x%02x%02x", label, mac[0], mac[1], mac[2], mac[3], mac[4],
            mac[5]);
}

static void dump_routes(FILE *f, const hv_route *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "  route");
        dump_prefix(f, "dst", &r[i].destination);
        dump_addr(f, "via", &r[i].next_hop);
        fprintf(f, " encap=%d policy=%d\n", r[i].need_encap, r[i].policy_index);
    }
}

static const char *or_dash(const char *s) { return s ? s : "-"; }

static void dump_acls(FILE *f, const hv_acl *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f,
                "  acl id=%s action=%d dir=%d proto=%s local=%s remote=%s lports=%s "
                "rports=%s host=%d prio=%u policy=%d tier=%d/%s\n",
                or_dash(a[i].id), (int)a[i].action, (int)a[i].direction, or_dash(a[i].protocols),
                or_dash(a[i].local_addresses), or_dash(a[i].remote_addresses),
                or_dash(a[i].local_ports), or_dash(a[i].remote_ports), a[i].host_rule,
                (unsigned)a[i].priority, a[i].policy_index, a[i].tier_order,
                or_dash(a[i].tier_name));
}

static void dump_network(FILE *f, const hv_network *n)
{
    fprintf(f, "network %s name=%s type=%s hostroute=%d vxlan=%u nonpersistent=%d drmac=%d", n->id,
            or_dash(n->name), or_dash(n->type), n->host_route, (unsigned)n->vxlan_port,
            n->enable_non_persistent, n->has_dr_mac);
    dump_mac(f, "mac", n->dr_mac);
    dump_addr(f, "pa", &n->provider_address);
    fprintf(f, "\n");
    for (size_t i = 0; i < n->n_subnets; i++) {
        fprintf(f, "  subnet");
        dump_prefix(f, "prefix", &n->subnets[i].prefix);
        dump_addr(f, "gw", &n->subnets[i].gateway);
        fprintf(f, " vsid=%u\n", (unsigned)n->subnets[i].vsid);
    }
    for (size_t i = 0; i < n->n_remote_subnets; i++) {
        const hv_remote_subnet *rs = &n->remote_subnets[i];
        fprintf(f, "  remote-subnet");
        dump_prefix(f, "dst", &rs->destination);
        dump_addr(f, "pa", &rs->provider_address);
        dump_mac(f, "drmac", rs->dr_mac);
        fprintf(f, " vni=%u policy=%d\n", (unsigned)rs->isolation_id, rs->policy_index);
    }
    dump_acls(f, n->acls, n->n_acls);
}

static void dump_endpoint(FILE *f, const hv_endpoint *e)
{
    fprintf(f, "endpoint %s name=%s net=%s ns=%s remote=%d hostvnic=%d overhead=%u", e->id,
            or_dash(e->name), or_dash(e->network_id), or_dash(e->namespace_id), e->is_remote,
            e->host_vnic, (unsigned)e->encap_overhead);
    dump_addr(f, "ip", &e->ip);
    fprintf(f, "/%u", (unsigned)e->prefix_length);
    dump_mac(f, "mac", e->mac);
    dump_addr(f, "pa", &e->provider_address);
    fprintf(f, "\n");
    dump_acls(f, e->acls, e->n_acls);
    for (size_t i = 0; i < e->n_port_mappings; i++) {
        const hv_port_mapping *pm = &e->port_mappings[i];
        fprintf(f, "  portmapping proto=%u %u->%u flags=%u policy=%d", (unsigned)pm->protocol,
                (unsigned)pm->external_port, (unsigned)pm->internal_port, (unsigned)pm->flags,
                pm->policy_index);
        dump_addr(f, "vip", &pm->vip);
        fprintf(f, "\n");
    }
    for (size_t i = 0; i < e->n_outbound_nats; i++) {
        const hv_outbound_nat *nat = &e->outbound_nats[i];
        fprintf(f, "  outboundnat flags=%u policy=%d", (unsigned)nat->flags, nat->policy_index);
        dump_addr(f, "vip", &nat->vip);
        for (size_t k = 0; k < nat->n_exceptions; k++)
            dump_prefix(f, "except", &nat->exceptions[k]);
        for (size_t k = 0; k < nat->n_destinations; k++)
            dump_prefix(f, "only", &nat->destinations[k]);
        fprintf(f, "\n");
    }
    dump_routes(f, e->routes, e->n_routes);
}

static void dump_loadbalancer(FILE *f, const hv_loadbalancer *lb)
{
    fprintf(f, "lb %s flags=%u state=%d", lb->id, (unsigned)lb->flags, lb->state);
    dump_addr(f, "source", &lb->source_vip);
    for (size_t i = 0; i < lb->n_frontend_vips; i++)
        dump_addr(f, "vip", &lb->frontend_vips[i]);
    for (size_t i = 0; i < lb->n_backends; i++)
        fprintf(f, " backend=%s", lb->backend_ids[i]);
    fprintf(f, "\n");
    for (size_t i = 0; i < lb->n_mappings; i++)
        fprintf(f, "  mapping proto=%u %u->%u flags=%u distribution=%u\n",
                (unsigned)lb->mappings[i].protocol, (unsigned)lb->mappings[i].external_port,
                (unsigned)lb->mappings[i].internal_port, (unsigned)lb->mappings[i].flags,
                (unsigned)lb->mappings[i].distribution);
}

/* Every field of v as text (malloc'd). */
static char *dump_view(const hns_view *v)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    assert_non_null(f);
    for (size_t i = 0; i < v->n_networks; i++)
        dump_network(f, &v->networks[i]);
    for (size_t i = 0; i < v->n_endpoints; i++)
        dump_endpoint(f, &v->endpoints[i]);
    for (size_t i = 0; i < v->n_loadbalancers; i++)
        dump_loadbalancer(f, &v->loadbalancers[i]);
    for (size_t i = 0; i < v->n_sdn_routes; i++) {
        fprintf(f, "sdnroute %s", v->sdn_routes[i].id);
        for (size_t k = 0; k < v->sdn_routes[i].n_endpoints; k++)
            fprintf(f, " endpoint=%s", v->sdn_routes[i].endpoint_ids[k]);
        fprintf(f, "\n");
        dump_routes(f, v->sdn_routes[i].routes, v->sdn_routes[i].n_routes);
    }
    for (size_t i = 0; i < v->n_namespaces; i++)
        fprintf(f, "namespace %s hostdefault=%d\n", v->namespaces[i].id,
                v->namespaces[i].host_default);
    fclose(f);
    return text;
}

/* ---------------------------------------------------------------------------
 * Tests: what the view holds
 */

static void an_empty_instance_gives_an_empty_view(void **state)
{
    (void)state;
    hnsm_instance *inst = open_empty();
    hns_view *v = take(inst);
    assert_int_equal(v->n_networks, 0);
    assert_int_equal(v->n_endpoints, 0);
    assert_int_equal(v->n_loadbalancers, 0);
    assert_int_equal(v->n_sdn_routes, 0);
    assert_int_equal(v->n_namespaces, 0);
    assert_null(v->namespaces);
    assert_null(hns_view_network(v, NET_OVERLAY));
    assert_null(hns_view_endpoint(v, EP_WEB));
    vfp_addr ip = A("10.244.1.10");
    assert_null(hns_view_endpoint_by_ip(v, &ip));
    hns_view_free(v);
    hnsm_close(inst);
}

static void overlay_network_keeps_subnets_vsid_and_policies(void **state)
{
    hns_view *v = take(*state);
    assert_int_equal(v->n_networks, 2);
    const hv_network *n = hns_view_network(v, NET_OVERLAY);
    assert_non_null(n);
    assert_string_equal(n->id, NET_OVERLAY);
    assert_string_equal(n->name, "overlay");
    assert_string_equal(n->type, "Overlay");
    assert_int_equal(n->n_subnets, 1);
    assert_prefix(&n->subnets[0].prefix, "10.244.1.0/24");
    assert_addr(&n->subnets[0].gateway, "10.244.1.1");
    assert_int_equal(n->subnets[0].vsid, 4096);
    assert_addr(&n->provider_address, "10.0.0.4");
    assert_int_equal(n->has_dr_mac, 1);
    assert_mac(n->dr_mac, "00-15-5D-AA-BB-01");
    assert_int_equal(n->host_route, 1);
    assert_int_equal(n->vxlan_port, 4790);
    assert_int_equal(n->enable_non_persistent, 1);
    assert_int_equal(n->n_remote_subnets, 1);
    const hv_remote_subnet *rs = &n->remote_subnets[0];
    assert_prefix(&rs->destination, "10.244.2.0/24");
    assert_int_equal(rs->isolation_id, 4096);
    assert_addr(&rs->provider_address, "10.0.0.5");
    assert_mac(rs->dr_mac, "00-15-5D-AA-BB-02");
    assert_int_equal(rs->policy_index, 2);
    assert_int_equal(n->n_acls, 1);
    assert_acl(&n->acls[0], (acl_text){"no-dns", "17", NULL, NULL, NULL, "53"}, HV_ACL_BLOCK,
               VFP_DIR_OUT, 0, 300, 5, -1, NULL);
    hns_view_free(v);
}

static void l2bridge_network_gets_the_host_provider_address(void **state)
{
    hns_view *v = take(*state);
    const hv_network *n = hns_view_network(v, NET_BRIDGE);
    assert_non_null(n);
    assert_string_equal(n->name, "bridge");
    assert_string_equal(n->type, "L2Bridge");
    /* HNS adds the host's address as the PA of an L2Bridge network. */
    assert_addr(&n->provider_address, "10.0.0.4");
    assert_int_equal(n->has_dr_mac, 0);
    assert_mac(n->dr_mac, "00-00-00-00-00-00");
    assert_int_equal(n->host_route, 0);
    assert_int_equal(n->vxlan_port, 0);
    assert_int_equal(n->enable_non_persistent, 0);
    assert_int_equal(n->n_remote_subnets, 0);
    assert_int_equal(n->n_acls, 0);
    /* The gateway is the default route's hop, not the first route's. */
    assert_int_equal(n->n_subnets, 3);
    assert_prefix(&n->subnets[0].prefix, "10.10.0.0/24");
    assert_addr(&n->subnets[0].gateway, "10.10.0.1");
    assert_int_equal(n->subnets[0].vsid, 0);
    /* An IPv6 subnet stays in place with family 0; ::/0 is no IPv4 default. */
    assert_prefix(&n->subnets[1].prefix, NULL);
    assert_addr(&n->subnets[1].gateway, NULL);
    assert_prefix(&n->subnets[2].prefix, "10.11.0.0/24");
    assert_addr(&n->subnets[2].gateway, NULL);
    hns_view_free(v);
}

static void a_nat_network_without_type_reads_as_nat(void **state)
{
    (void)state;
    hnsm_instance *inst = open_empty();
    create(inst, HNSM_NETWORK, NET_OVERLAY, NULL, "{\"Name\":\"nat\"," V2 "}");
    hns_view *v = take(inst);
    assert_int_equal(v->n_networks, 1);
    assert_string_equal(v->networks[0].type, "NAT");
    assert_int_equal(v->networks[0].n_subnets, 0);
    assert_addr(&v->networks[0].provider_address, NULL);
    hns_view_free(v);
    hnsm_close(inst);
}

static void local_endpoint_keeps_every_policy_with_its_index(void **state)
{
    hns_view *v = take(*state);
    const hv_endpoint *e = hns_view_endpoint(v, EP_WEB);
    assert_non_null(e);
    assert_string_equal(e->id, EP_WEB);
    assert_string_equal(e->name, "web");
    assert_string_equal(e->network_id, NET_OVERLAY);
    assert_string_equal(e->namespace_id, NAMESPACE);
    assert_addr(&e->ip, "10.244.1.10");
    assert_int_equal(e->prefix_length, 24);
    assert_mac(e->mac, "00-15-5D-52-C0-00"); /* the first of the network's MAC pool */
    assert_int_equal(e->is_remote, 0);
    assert_addr(&e->provider_address, NULL);
    assert_int_equal(e->encap_overhead, 50);

    assert_int_equal(e->n_acls, 4);
    assert_acl(&e->acls[0], (acl_text){"allow-web", "6", NULL, "10.0.0.0/8", "80,8080-8090", NULL},
               HV_ACL_ALLOW, VFP_DIR_IN, 1, 200, 0, -1, NULL);
    assert_acl(&e->acls[1], (acl_text){NULL, "17", "10.244.1.10", "10.0.0.53", NULL, "53"},
               HV_ACL_BLOCK, VFP_DIR_OUT, 0, 0, 1, -1, NULL);
    assert_acl(&e->acls[2], (acl_text){"t1", "6", NULL, NULL, "443", NULL}, HV_ACL_ALLOW,
               VFP_DIR_IN, 0, 2001, 2, 1001, "tier1");
    assert_acl(&e->acls[3], (acl_text){"t2", "17", NULL, "10.244.0.0/16", NULL, NULL}, HV_ACL_PASS,
               VFP_DIR_IN, 0, 2002, 2, 1001, "tier1");

    assert_int_equal(e->n_outbound_nats, 1);
    const hv_outbound_nat *nat = &e->outbound_nats[0];
    assert_addr(&nat->vip, "10.0.0.4");
    assert_int_equal(nat->n_exceptions, 4);
    assert_prefix(&nat->exceptions[0], "10.244.0.0/16");
    assert_prefix(&nat->exceptions[1], "10.96.0.0/12");
    assert_prefix(&nat->exceptions[2], "10.0.0.9/32");
    assert_prefix(&nat->exceptions[3], NULL); /* IPv6: kept in place, family 0 */
    assert_int_equal(nat->n_destinations, 1);
    assert_prefix(&nat->destinations[0], "192.168.0.0/16");
    assert_int_equal(nat->flags, 1);
    assert_int_equal(nat->policy_index, 3);

    assert_int_equal(e->n_port_mappings, 1);
    const hv_port_mapping *pm = &e->port_mappings[0];
    assert_int_equal(pm->protocol, 6);
    assert_int_equal(pm->internal_port, 80);
    assert_int_equal(pm->external_port, 30080);
    assert_addr(&pm->vip, "10.0.0.4");
    assert_int_equal(pm->flags, 1);
    assert_int_equal(pm->policy_index, 4);

    /* SDNRoute policies in policy order (QOS at 6 is not kept), then Routes. */
    assert_int_equal(e->n_routes, 3);
    assert_route(&e->routes[0], "10.96.0.0/12", NULL, 1, 5);
    assert_route(&e->routes[1], "10.0.0.4/32", "10.244.1.1", 0, 8);
    assert_route(&e->routes[2], "0.0.0.0/0", "10.244.1.1", 0, -1);
    hns_view_free(v);
}

static void endpoint_without_policies_has_empty_lists(void **state)
{
    hns_view *v = take(*state);
    const hv_endpoint *e = hns_view_endpoint(v, EP_DB);
    assert_non_null(e);
    assert_string_equal(e->name, "db");
    assert_null(e->namespace_id);
    assert_addr(&e->ip, "10.244.1.11");
    assert_mac(e->mac, "00-15-5D-52-C0-01");
    assert_int_equal(e->encap_overhead, 0);
    assert_int_equal(e->n_acls, 0);
    assert_null(e->acls);
    assert_int_equal(e->n_port_mappings, 0);
    assert_int_equal(e->n_outbound_nats, 0);
    assert_int_equal(e->n_routes, 0);
    hns_view_free(v);
}

static void remote_endpoints_and_dual_stack_addresses(void **state)
{
    hns_view *v = take(*state);
    const hv_endpoint *remote = hns_view_endpoint(v, EP_REMOTE);
    assert_non_null(remote);
    assert_int_equal(remote->is_remote, 1);
    assert_string_equal(remote->network_id, NET_OVERLAY);
    assert_addr(&remote->ip, "10.244.2.5");
    assert_int_equal(remote->prefix_length, 24);
    assert_mac(remote->mac, "00-15-5D-BB-00-03");
    assert_addr(&remote->provider_address, "10.0.0.5");
    assert_int_equal(remote->n_acls + remote->n_routes + remote->n_port_mappings, 0);

    /* The first IPv4 configuration is the endpoint's address. */
    const hv_endpoint *backend = hns_view_endpoint(v, EP_BACKEND);
    assert_non_null(backend);
    assert_string_equal(backend->network_id, NET_BRIDGE);
    assert_addr(&backend->ip, "10.10.0.5");
    assert_int_equal(backend->prefix_length, 24);
    assert_mac(backend->mac, "00-15-5D-CC-00-05");
    hns_view_free(v);
}

static void lookup_by_ip_prefers_a_local_endpoint(void **state)
{
    hns_view *v = take(*state);
    vfp_addr ip = A("10.244.1.11");
    /* The remote twin sorts first, but the node's own endpoint answers. */
    assert_true(strcmp(EP_TWIN, EP_DB) < 0);
    const hv_endpoint *e = hns_view_endpoint_by_ip(v, &ip);
    assert_non_null(e);
    assert_string_equal(e->id, EP_DB);
    ip = A("10.244.2.5");
    assert_string_equal(hns_view_endpoint_by_ip(v, &ip)->id, EP_REMOTE);
    ip = A("10.244.1.99");
    assert_null(hns_view_endpoint_by_ip(v, &ip));
    vfp_addr none = {0};
    assert_null(hns_view_endpoint_by_ip(v, &none));
    assert_null(hns_view_endpoint_by_ip(NULL, &ip));
    assert_null(hns_view_endpoint(v, "00000000-0000-4000-8000-000000000000"));
    assert_null(hns_view_network(v, NULL));
    assert_null(hns_view_network(NULL, NET_BRIDGE));
    hns_view_free(v);
}

static void the_remote_twin_answers_once_the_local_endpoint_is_gone(void **state)
{
    hnsm_instance *inst = *state;
    hnsm_free(call_ok(inst, HNSM_SDNROUTE, HNSM_OP_DELETE, ROUTE, NULL, NULL));
    hnsm_free(call_ok(inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, LB_DSR, NULL, NULL));
    hnsm_free(call_ok(inst, HNSM_ENDPOINT, HNSM_OP_DELETE, EP_DB, NULL, NULL));
    hns_view *v = take(inst);
    vfp_addr ip = A("10.244.1.11");
    assert_string_equal(hns_view_endpoint_by_ip(v, &ip)->id, EP_TWIN);
    assert_addr(&hns_view_endpoint(v, EP_TWIN)->provider_address, "10.0.0.6");
    hns_view_free(v);
}

static void load_balancers_keep_vips_mappings_and_flags(void **state)
{
    hns_view *v = take(*state);
    assert_int_equal(v->n_loadbalancers, 2);
    /* Sorted by ID: the NodePort one (1B...) first, though created second. */
    assert_string_equal(v->loadbalancers[0].id, LB_NODEPORT);
    assert_string_equal(v->loadbalancers[1].id, LB_DSR);

    const hv_loadbalancer *lb = &v->loadbalancers[1];
    assert_int_equal(lb->flags, 1); /* DSR */
    assert_int_equal(lb->state, 1); /* programmed, not degraded */
    assert_addr(&lb->source_vip, "10.244.1.2");
    assert_int_equal(lb->n_frontend_vips, 2);
    assert_addr(&lb->frontend_vips[0], "10.96.0.20");
    assert_addr(&lb->frontend_vips[1], "10.0.0.4");
    assert_int_equal(lb->n_backends, 2);
    assert_string_equal(lb->backend_ids[0], EP_WEB);
    assert_string_equal(lb->backend_ids[1], EP_DB);
    assert_int_equal(lb->n_mappings, 2);
    assert_int_equal(lb->mappings[0].protocol, 6);
    assert_int_equal(lb->mappings[0].internal_port, 8080);
    assert_int_equal(lb->mappings[0].external_port, 80);
    assert_int_equal(lb->mappings[0].flags, 1); /* ILB */
    assert_int_equal(lb->mappings[0].distribution, 1);
    assert_int_equal(lb->mappings[1].protocol, 17);
    assert_int_equal(lb->mappings[1].internal_port, 53);
    assert_int_equal(lb->mappings[1].external_port, 53); /* HNS: absent = InternalPort */
    assert_int_equal(lb->mappings[1].flags, 9);          /* ILB | PreserveDIP */
    assert_int_equal(lb->mappings[1].distribution, 2);

    const hv_loadbalancer *nodeport = &v->loadbalancers[0];
    assert_int_equal(nodeport->flags, 0);
    assert_int_equal(nodeport->state, 1);
    assert_int_equal(nodeport->n_frontend_vips, 0);
    assert_null(nodeport->frontend_vips);
    assert_addr(&nodeport->source_vip, NULL);
    assert_int_equal(nodeport->n_backends, 1);
    assert_string_equal(nodeport->backend_ids[0], EP_BACKEND);
    assert_int_equal(nodeport->n_mappings, 1);
    assert_int_equal(nodeport->mappings[0].protocol, 6);
    assert_int_equal(nodeport->mappings[0].internal_port, 80);
    assert_int_equal(nodeport->mappings[0].external_port, 30100);
    assert_int_equal(nodeport->mappings[0].flags, 0);
    assert_int_equal(nodeport->mappings[0].distribution, 0);
    hns_view_free(v);
}

static void a_load_balancer_whose_backend_is_gone_is_degraded(void **state)
{
    hnsm_instance *inst = *state;
    hnsm_free(call_ok(inst, HNSM_ENDPOINT, HNSM_OP_DELETE, EP_BACKEND, NULL, NULL));
    hns_view *v = take(inst);
    const hv_loadbalancer *nodeport = &v->loadbalancers[0];
    assert_string_equal(nodeport->id, LB_NODEPORT);
    assert_int_equal(nodeport->state, 4);
    /* HNS keeps the dead backend's id (field-bugs.md A5). */
    assert_int_equal(nodeport->n_backends, 1);
    assert_string_equal(nodeport->backend_ids[0], EP_BACKEND);
    assert_null(hns_view_endpoint(v, EP_BACKEND));
    assert_int_equal(v->loadbalancers[1].state, 1);
    hns_view_free(v);
}

static void sdn_route_object_is_read_in_either_spelling(void **state)
{
    hnsm_instance *inst = *state;
    /* 0 = only Routes, 1 = only Setting (hcsshim), 2 = both (the default). */
    for (int spelling = 0; spelling <= 2; spelling++) {
        assert_int_equal(hnsm_set_choice(inst, "SDNROUTE_OUTPUT_SPELLING", spelling), 0);
        hns_view *v = take(inst);
        assert_int_equal(v->n_sdn_routes, 1);
        const hv_sdn_route *r = &v->sdn_routes[0];
        assert_string_equal(r->id, ROUTE);
        assert_int_equal(r->n_endpoints, 2);
        assert_string_equal(r->endpoint_ids[0], EP_WEB);
        assert_string_equal(r->endpoint_ids[1], EP_DB);
        assert_int_equal(r->n_routes, 2);
        /* Host bits are kept as written (hcsshim's own document). */
        assert_route(&r->routes[0], "169.254.169.254/24", "127.10.0.34", 0, -1);
        assert_route(&r->routes[1], "10.97.0.0/16", NULL, 1, -1);
        hns_view_free(v);
    }
}

/* An endpoint attached to the HostDefault namespace (flannel's cbr0_ep) is
 * the host's own vNIC: host_vnic is set for it (field-bugs G1) and for no
 * endpoint of a plain (Host type) namespace nor one without a namespace.
 * Before the fix the view read no namespaces and had no host_vnic. */
static void an_endpoint_in_the_host_default_namespace_is_the_host_vnic(void **state)
{
    hnsm_instance *inst = *state;
    create(inst, HNSM_NAMESPACE, NAMESPACE_HOST_DEFAULT, NULL, "{\"Type\":\"HostDefault\"," V2 "}");
    hnsm_free(call_ok(inst, HNSM_NAMESPACE, HNSM_OP_MODIFY, NAMESPACE_HOST_DEFAULT, NULL,
                      "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\","
                      "\"Settings\":{\"EndpointId\":\"" EP_DB "\"}}"));
    hns_view *v = take(inst);
    /* Both namespaces, sorted by ID: the HostDefault one (0F...) first. */
    assert_int_equal(v->n_namespaces, 2);
    assert_string_equal(v->namespaces[0].id, NAMESPACE_HOST_DEFAULT);
    assert_int_equal(v->namespaces[0].host_default, 1);
    assert_string_equal(v->namespaces[1].id, NAMESPACE);
    assert_int_equal(v->namespaces[1].host_default, 0);

    const hv_endpoint *db = hns_view_endpoint(v, EP_DB);
    assert_non_null(db);
    assert_non_null(db->namespace_id);
    assert_true(strcasecmp(db->namespace_id, NAMESPACE_HOST_DEFAULT) == 0);
    assert_int_equal(db->host_vnic, 1);
    /* web is in the fixture's namespace, created without a Type: Host. */
    const hv_endpoint *web = hns_view_endpoint(v, EP_WEB);
    assert_string_equal(web->namespace_id, NAMESPACE);
    assert_int_equal(web->host_vnic, 0);
    assert_int_equal(hns_view_endpoint(v, EP_REMOTE)->host_vnic, 0);
    assert_int_equal(hns_view_endpoint(v, EP_TWIN)->host_vnic, 0);
    assert_int_equal(hns_view_endpoint(v, EP_BACKEND)->host_vnic, 0);
    hns_view_free(v);
}

/* Without a HostDefault namespace no endpoint is a host vNIC: the
 * fixture's namespace is a plain Host one. */
static void an_endpoint_in_a_host_namespace_is_a_pod(void **state)
{
    hns_view *v = take(*state);
    assert_int_equal(v->n_namespaces, 1);
    assert_string_equal(v->namespaces[0].id, NAMESPACE);
    assert_int_equal(v->namespaces[0].host_default, 0);
    for (size_t i = 0; i < v->n_endpoints; i++)
        assert_int_equal(v->endpoints[i].host_vnic, 0);
    assert_string_equal(hns_view_endpoint(v, EP_WEB)->namespace_id, NAMESPACE);
    hns_view_free(v);
}

static void arrays_are_sorted_and_two_takes_are_equal(void **state)
{
    hns_view *a = take(*state);
    hns_view *b = take(*state);
    static const char *const endpoints[] = {EP_TWIN, EP_REMOTE, EP_BACKEND, EP_DB, EP_WEB};
    assert_int_equal(a->n_endpoints, 5);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(a->endpoints[i].id, endpoints[i]);
    assert_string_equal(a->networks[0].id, NET_BRIDGE);
    assert_string_equal(a->networks[1].id, NET_OVERLAY);
    char *text_a = dump_view(a), *text_b = dump_view(b);
    assert_string_equal(text_a, text_b);
    /* The dump covers the view: a changed field shows. */
    a->endpoints[0].encap_overhead++;
    char *changed = dump_view(a);
    assert_string_not_equal(changed, text_b);
    free(changed);
    free(text_a);
    free(text_b);
    hns_view_free(a);
    hns_view_free(b);
}

/* ---------------------------------------------------------------------------
 * Tests: failures
 */

/* Takes a view that must fail; returns the message (caller frees). */
static char *take_failing(hnsm_instance *inst)
{
    static hns_view stale;
    hns_view *v = &stale; /* hns_view_take must reset it */
    char *error = NULL;
    assert_int_equal(hns_view_take(inst, &v, &error), -1);
    assert_null(v);
    assert_non_null(error);
    return error;
}

static void add_fault(hnsm_instance *inst, const char *api, HRESULT hr, uint32_t nth)
{
    hnsm_fault fault = {.api = api, .hr = hr, .mode = HNSM_FAULT_NTH, .nth = nth};
    assert_int_equal(hnsm_fault_add(inst, &fault), 0);
}

static void a_failing_query_names_the_call_the_object_and_the_hresult(void **state)
{
    hnsm_instance *inst = *state;
    /* Endpoints enumerate in creation order: the second is db. */
    add_fault(inst, "HcnQueryEndpointProperties", HNSM_HCN_E_ENDPOINT_NOT_FOUND, 2);
    char *error = take_failing(inst);
    assert_string_equal(error, "HcnQueryEndpointProperties(" EP_DB
                               ") failed: HCN_E_ENDPOINT_NOT_FOUND (0x803B0002)");
    free(error);
    /* The fault fired once: the next take succeeds. */
    hns_view_free(take(inst));
}

static void a_failing_enumerate_names_the_call_and_the_hresult(void **state)
{
    hnsm_instance *inst = *state;
    add_fault(inst, "HcnEnumerateLoadBalancers", HNSM_HCN_E_MANAGER_STOPPED, 1);
    char *error = take_failing(inst);
    assert_string_equal(error, "HcnEnumerateLoadBalancers() failed: HCN_E_MANAGER_STOPPED "
                               "(0x803B0020)");
    free(error);
}

/* Fails the 1st, 2nd, ... call in turn until a take gets through: every
 * failure gives -1, a message and no view (and, under ASan, no leak). */
static void every_call_failing_in_turn_fails_the_take_cleanly(void **state)
{
    hnsm_instance *inst = *state;
    unsigned failures = 0;
    for (uint32_t nth = 1; nth < 100; nth++) {
        assert_int_equal(hnsm_fault_clear(inst), 0);
        add_fault(inst, "*", HNSM_E_FAIL, nth);
        hns_view *v = NULL;
        char *error = NULL;
        if (hns_view_take(inst, &v, &error) == 0) {
            assert_null(error);
            hns_view_free(v);
            break;
        }
        assert_null(v);
        assert_non_null(strstr(error, "failed: E_FAIL (0x80004005)"));
        free(error);
        failures++;
    }
    /* 5 enumerates, 2 networks, 5 endpoints, 2 load balancers, 1 route, 1 namespace. */
    assert_int_equal(failures, 5 + 2 + 5 + 2 + 1 + 1);
}

static void no_instance_and_no_hnsd_is_service_not_active(void **state)
{
    (void)state;
    unsetenv("HNSIM_HNSD");
    char *error = take_failing(NULL);
    assert_string_equal(error, "HcnEnumerateNetworks() failed: HRESULT_ERROR_SERVICE_NOT_ACTIVE "
                               "(0x80070426)");
    free(error);
    /* A caller may pass no error pointer. */
    hns_view *v = NULL;
    assert_int_equal(hns_view_take(NULL, &v, NULL), -1);
    assert_null(v);
}

/* ---------------------------------------------------------------------------
 * Through hnsd: an in-process server answering one connection with
 * hnsm__serve, the request side of the daemon.
 */

typedef struct server {
    hnsm_instance *inst;
    int listener;
    int connection;
    char dir[64];
    char path[96];
    pthread_t thread;
} server;

static bool read_exactly(int fd, void *buf, size_t n)
{
    for (char *p = buf; n;) {
        ssize_t k = recv(fd, p, n, 0);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

static bool write_exactly(int fd, const void *buf, size_t n)
{
    for (const char *p = buf; n;) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return false;
        p += k;
        n -= (size_t)k;
    }
    return true;
}

/* Serves framed requests (4-byte big-endian length, JSON) until the
 * connection ends. */
static void *serve_connection(void *arg)
{
    server *s = arg;
    hnsm_serve_session session = {0};
    for (;;) {
        uint8_t header[4];
        if (!read_exactly(s->connection, header, 4))
            break;
        size_t n =
            (size_t)header[0] << 24 | (size_t)header[1] << 16 | (size_t)header[2] << 8 | header[3];
        char *frame = malloc(n + 1);
        if (!frame || !read_exactly(s->connection, frame, n)) {
            free(frame);
            break;
        }
        frame[n] = '\0';
        hnsm_serve_action action;
        char *reply = hnsm__serve(s->inst, &session, NULL, frame, n, &action);
        free(frame);
        bool sent = false;
        if (reply) {
            hnsm__wire_header(strlen(reply), header);
            sent = write_exactly(s->connection, header, 4) &&
                   write_exactly(s->connection, reply, strlen(reply));
        }
        free(reply);
        if (!sent || action == HNSM_SERVE_CLOSE)
            break;
    }
    hnsm__serve_session_end(s->inst, &session);
    return NULL;
}

static void *accept_and_serve(void *arg)
{
    server *s = arg;
    s->connection = accept(s->listener, NULL, NULL);
    if (s->connection >= 0)
        serve_connection(s);
    return NULL;
}

static void server_start(server *s, hnsm_instance *inst)
{
    memset(s, 0, sizeof *s);
    s->inst = inst;
    s->connection = -1;
    snprintf(s->dir, sizeof s->dir, "/tmp/hns_view_XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->path, sizeof s->path, "%s/hnsd.sock", s->dir);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", s->path);
    s->listener = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(s->listener >= 0);
    assert_int_equal(bind(s->listener, (struct sockaddr *)&sun, sizeof sun), 0);
    assert_int_equal(listen(s->listener, 1), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, accept_and_serve, s), 0);
    char where[160];
    snprintf(where, sizeof where, "unix:%s", s->path);
    assert_int_equal(setenv("HNSIM_HNSD", where, 1), 0);
}

/* Ends the connection (the client library keeps it open), joins the thread
 * and removes the socket. */
static void server_stop(server *s)
{
    unsetenv("HNSIM_HNSD");
    if (s->connection >= 0)
        shutdown(s->connection, SHUT_RDWR);
    else
        shutdown(s->listener, SHUT_RDWR);
    pthread_join(s->thread, NULL);
    if (s->connection >= 0)
        close(s->connection);
    close(s->listener);
    unlink(s->path);
    rmdir(s->dir);
}

static void through_hnsd_the_view_is_the_same(void **state)
{
    hnsm_instance *inst = *state;
    server s;
    server_start(&s, inst);
    hns_view *remote = NULL;
    char *error = NULL;
    int rc = hns_view_take(NULL, &remote, &error);
    server_stop(&s);
    if (rc != 0)
        fail_msg("take through hnsd failed: %s", error ? error : "(no message)");
    hns_view *local = take(inst);
    char *text_remote = dump_view(remote), *text_local = dump_view(local);
    assert_string_equal(text_remote, text_local);
    assert_int_equal(remote->n_endpoints, 5);
    free(text_remote);
    free(text_local);
    hns_view_free(remote);
    hns_view_free(local);
}

/* The namespaces, and so host_vnic, come through hnsd as well. */
static void through_hnsd_the_host_vnic_is_marked_too(void **state)
{
    hnsm_instance *inst = *state;
    create(inst, HNSM_NAMESPACE, NAMESPACE_HOST_DEFAULT, NULL, "{\"Type\":\"HostDefault\"," V2 "}");
    hnsm_free(call_ok(inst, HNSM_NAMESPACE, HNSM_OP_MODIFY, NAMESPACE_HOST_DEFAULT, NULL,
                      "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\","
                      "\"Settings\":{\"EndpointId\":\"" EP_DB "\"}}"));
    server s;
    server_start(&s, inst);
    hns_view *remote = NULL;
    char *error = NULL;
    int rc = hns_view_take(NULL, &remote, &error);
    server_stop(&s);
    if (rc != 0)
        fail_msg("take through hnsd failed: %s", error ? error : "(no message)");
    assert_int_equal(remote->n_namespaces, 2);
    assert_int_equal(hns_view_endpoint(remote, EP_DB)->host_vnic, 1);
    assert_int_equal(hns_view_endpoint(remote, EP_WEB)->host_vnic, 0);
    hns_view *local = take(inst);
    char *text_remote = dump_view(remote), *text_local = dump_view(local);
    assert_string_equal(text_remote, text_local);
    free(text_remote);
    free(text_local);
    hns_view_free(remote);
    hns_view_free(local);
}

int main(void)
{
#define FIXTURE_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(an_empty_instance_gives_an_empty_view),
        FIXTURE_TEST(overlay_network_keeps_subnets_vsid_and_policies),
        FIXTURE_TEST(l2bridge_network_gets_the_host_provider_address),
        cmocka_unit_test(a_nat_network_without_type_reads_as_nat),
        FIXTURE_TEST(local_endpoint_keeps_every_policy_with_its_index),
        FIXTURE_TEST(endpoint_without_policies_has_empty_lists),
        FIXTURE_TEST(remote_endpoints_and_dual_stack_addresses),
        FIXTURE_TEST(lookup_by_ip_prefers_a_local_endpoint),
        FIXTURE_TEST(the_remote_twin_answers_once_the_local_endpoint_is_gone),
        FIXTURE_TEST(load_balancers_keep_vips_mappings_and_flags),
        FIXTURE_TEST(a_load_balancer_whose_backend_is_gone_is_degraded),
        FIXTURE_TEST(sdn_route_object_is_read_in_either_spelling),
        FIXTURE_TEST(an_endpoint_in_the_host_default_namespace_is_the_host_vnic),
        FIXTURE_TEST(an_endpoint_in_a_host_namespace_is_a_pod),
        FIXTURE_TEST(arrays_are_sorted_and_two_takes_are_equal),
        FIXTURE_TEST(a_failing_query_names_the_call_the_object_and_the_hresult),
        FIXTURE_TEST(a_failing_enumerate_names_the_call_and_the_hresult),
        FIXTURE_TEST(every_call_failing_in_turn_fails_the_take_cleanly),
        cmocka_unit_test(no_instance_and_no_hnsd_is_service_not_active),
        FIXTURE_TEST(through_hnsd_the_view_is_the_same),
        FIXTURE_TEST(through_hnsd_the_host_vnic_is_marked_too),
    };
#undef FIXTURE_TEST
    return cmocka_run_group_tests(tests, NULL, NULL);
}
