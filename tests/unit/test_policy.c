/*
 * test_policy.c - policy validation, canonical form and v1 <-> v2 (policy.h).
 *
 * Canonical form, per scope: Type spelled as HNS spells it whatever the
 * input case; settings keys found in any case and renamed from their aliases
 * (ExceptionList -> Exceptions, OutboundNat -> OutboundNAT); fields emitted in
 * table order, unknown ones dropped, zero values omitted except the fields
 * HNS always emits (ACL Action/Direction, QOS bandwidth, RemoteSubnetRoute,
 * subnet IsolationId); enums by name; addresses and GUIDs rewritten in
 * canonical text; subnet policies in the 2018 shape without Settings.
 * Errors: unknown or missing Type -> HCN_E_INVALID_POLICY_TYPE, including a
 * type of another scope or one newer than the profile's schema; bad settings
 * -> HCN_E_INVALID_POLICY, with a detail naming the field; a PortMapping
 * without (or with a zero) InternalPort -> HCN_E_INVALID_INTERNAL_PORT; ACL
 * addresses that are neither prefixes nor SetPolicy ids listed in
 * ctx->set_policy_ids are refused. hnsm__policies_canonical on arrays.
 * v1 <-> v2: NAT <-> PortMapping with "TCP"/"UDP" <-> 6/17, PA <->
 * ProviderAddress, ROUTE <-> SDNRoute, PROXY <-> L4Proxy, OutBoundNAT
 * VIP/ExceptionList, v1 ACL Protocol (256 = any) and single ports, subnet
 * VSID/VLAN; unknown v1 types refused; and every canonical v2 policy of a
 * representative set survives v2 -> v1 -> v2 unchanged.
 */
#include "unit.h"

#include "hresult.h"
#include "jsonx.h"
#include "policy.h"

#include <stdio.h>

static hnsm_profile ws2019, ws2022, ws2025;

static int setup_profiles(void **state)
{
    (void)state;
    return hnsm__profile_lookup("ws2019", &ws2019) && hnsm__profile_lookup("ws2022", &ws2022) &&
                   hnsm__profile_lookup("ws2025", &ws2025)
               ? 0
               : -1;
}

/* Canonicalises input in scope under ctx and compares with expected. */
static void check_canonical_ctx(hnsm_policy_scope scope, const hnsm_policy_context *ctx,
                                const char *input, const char *expected)
{
    cJSON *in = parse_json(input), *out = NULL;
    HRESULT hr = hnsm__policy_canonical(scope, in, ctx, &out);
    if (FAILED(hr))
        fail_msg("%s was refused: 0x%08X (%s)", input, (unsigned)hr, hnsm__detail_get());
    assert_json(out, expected);
    cJSON_Delete(out);
    cJSON_Delete(in);
}

static void check_canonical(hnsm_policy_scope scope, const char *input, const char *expected)
{
    hnsm_policy_context ctx = {&ws2022, NULL};
    check_canonical_ctx(scope, &ctx, input, expected);
}

/* Checks that input is refused with hr in scope under ctx; returns nothing
 * and leaves the detail in hnsm__detail_get(). */
static void check_refused_ctx(hnsm_policy_scope scope, const hnsm_policy_context *ctx,
                              const char *input, HRESULT expected)
{
    cJSON *in = parse_json(input), *out = (cJSON *)1;
    hnsm__detail_clear();
    HRESULT hr = hnsm__policy_canonical(scope, in, ctx, &out);
    if (hr != expected)
        fail_msg("%s gave 0x%08X (%s), expected 0x%08X (%s)", input, (unsigned)hr,
                 hnsm__detail_get(), (unsigned)expected, hnsm__hresult_name(expected));
    assert_null(out);
    assert_true(hnsm__detail_get()[0] != '\0');
    cJSON_Delete(in);
}

static void check_refused(hnsm_policy_scope scope, const char *input, HRESULT expected)
{
    hnsm_policy_context ctx = {&ws2022, NULL};
    check_refused_ctx(scope, &ctx, input, expected);
}

#define EP HNSM_POLICY_ENDPOINT
#define NET HNSM_POLICY_NETWORK
#define SUB HNSM_POLICY_SUBNET

/* ---- canonical form ---------------------------------------------------- */

static void port_mapping_canonical(void **state)
{
    (void)state;
    /* Keys in any case, zero Flags dropped, VIP canonicalised. */
    check_canonical(EP,
                    "{\"type\":\"portmapping\",\"settings\":{\"externalport\":8080,\"VIP\":"
                    "\"2001:DB8:0::1\",\"flags\":0,\"InternalPort\":80,\"Protocol\":6}}",
                    "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"
                    "\"ExternalPort\":8080,\"VIP\":\"2001:db8::1\"}}");
    /* Unknown settings are dropped; UDP is fine; Flags kept when set. */
    check_canonical(EP,
                    "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":17,\"InternalPort\":53,"
                    "\"Flags\":2,\"Colour\":\"blue\"}}",
                    "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":17,\"InternalPort\":53,"
                    "\"Flags\":2}}");
}

static void outbound_nat_canonical(void **state)
{
    (void)state;
    /* ExceptionList (schema spelling) becomes Exceptions; IPv4 text normalised. */
    check_canonical(EP,
                    "{\"Type\":\"outboundnat\",\"Settings\":{\"ExceptionList\":[\"10.0.0.0/8\","
                    "\"192.168.1.1\"],\"VirtualIP\":\"10.0.0.9\",\"Destinations\":[]}}",
                    "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"VirtualIP\":\"10.0.0.9\","
                    "\"Exceptions\":[\"10.0.0.0/8\",\"192.168.1.1\"]}}");
    /* The v2 spelling wins when both are given. */
    check_canonical(EP,
                    "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":[\"10.1.0.0/16\"],"
                    "\"ExceptionList\":[\"10.2.0.0/16\"]}}",
                    "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":[\"10.1.0.0/16\"]}}");
    /* Nothing set: empty settings. */
    check_canonical(EP, "{\"Type\":\"OutBoundNAT\"}", "{\"Type\":\"OutBoundNAT\",\"Settings\":{}}");
}

static void acl_canonical(void **state)
{
    (void)state;
    /* Enums by name in canonical case (or by number), fields in table order. */
    check_canonical(EP,
                    "{\"Type\":\"acl\",\"Settings\":{\"Priority\":200,\"RuleType\":\"switch\","
                    "\"LocalPorts\":\"80,8080-8090\",\"RemoteAddresses\":\"10.0.0.0/8,10.1.2.3\","
                    "\"Direction\":1,\"Action\":\"block\",\"Protocols\":\"6\"}}",
                    "{\"Type\":\"ACL\",\"Settings\":{\"Protocols\":\"6\",\"Action\":\"Block\","
                    "\"Direction\":\"Out\",\"RemoteAddresses\":\"10.0.0.0/8,10.1.2.3\","
                    "\"LocalPorts\":\"80,8080-8090\",\"RuleType\":\"Switch\",\"Priority\":200}}");
    /* The hcsshim sample from hcn-api.md 2.10; 256 = any protocol. */
    check_canonical(EP,
                    "{\"Type\":\"ACL\",\"Settings\":{\"Protocols\":\"256\",\"Action\":\"Allow\","
                    "\"Direction\":\"In\",\"RuleType\":\"Switch\",\"Priority\":200}}",
                    "{\"Type\":\"ACL\",\"Settings\":{\"Protocols\":\"256\",\"Action\":\"Allow\","
                    "\"Direction\":\"In\",\"RuleType\":\"Switch\",\"Priority\":200}}");
}

static void always_emitted_fields(void **state)
{
    (void)state;
    check_canonical(EP, "{\"Type\":\"QOS\",\"Settings\":{}}",
                    "{\"Type\":\"QOS\",\"Settings\":{\"MaximumOutgoingBandwidthInBytes\":0}}");
    check_canonical(NET,
                    "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":"
                    "\"10.244.1.0/24\",\"ProviderAddress\":\"10.0.0.5\"}}",
                    "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":"
                    "\"10.244.1.0/24\",\"IsolationId\":0,\"ProviderAddress\":\"10.0.0.5\","
                    "\"DistributedRouterMacAddress\":\"\"}}");
    check_canonical(SUB, "{\"Type\":\"VLAN\",\"Settings\":{}}",
                    "{\"Type\":\"VLAN\",\"Settings\":{\"IsolationId\":0}}");
    /* L4Proxy always carries Destination; OutboundNat is renamed. */
    check_canonical(NET,
                    "{\"Type\":\"L4Proxy\",\"Settings\":{\"Port\":\"15001\",\"OutboundNat\":true,"
                    "\"ExceptionList\":[\"10.0.0.1\"]}}",
                    "{\"Type\":\"L4Proxy\",\"Settings\":{\"Port\":\"15001\",\"Exceptions\":"
                    "[\"10.0.0.1\"],\"Destination\":\"\",\"OutboundNAT\":true}}");
}

static void network_policies_canonical(void **state)
{
    (void)state;
    check_canonical(NET, "{\"Type\":\"hostroute\",\"Settings\":{}}",
                    "{\"Type\":\"HostRoute\",\"Settings\":{}}");
    check_canonical(NET, "{\"Type\":\"VxlanPort\",\"Settings\":{\"Port\":4789,\"Bogus\":1}}",
                    "{\"Type\":\"VxlanPort\",\"Settings\":{\"Port\":4789}}");
    /* PowerShell's upper-case type name, an address canonicalised. */
    check_canonical(NET,
                    "{\"Type\":\"PROVIDERADDRESS\",\"Settings\":{\"ProviderAddress\":\"FE80::0:1\"}}",
                    "{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"fe80::1\"}}");
    /* SetPolicy: PolicyType by number ([PS1]) comes out by name. */
    check_canonical(NET,
                    "{\"Type\":\"SetPolicy\",\"Settings\":{\"Id\":\"azure-npm-1\",\"PolicyType\":1,"
                    "\"Values\":\"a,b\"}}",
                    "{\"Type\":\"SetPolicy\",\"Settings\":{\"Id\":\"azure-npm-1\",\"PolicyType\":"
                    "\"NESTEDIPSET\",\"Values\":\"a,b\"}}");
    check_canonical(NET, "{\"Type\":\"AutomaticDNS\",\"Settings\":{\"Enable\":false}}",
                    "{\"Type\":\"AutomaticDNS\",\"Settings\":{}}");
}

static void guids_are_canonicalised(void **state)
{
    (void)state;
    check_canonical(NET,
                    "{\"Type\":\"LayerConstraint\",\"Settings\":{\"LayerId\":"
                    "\"{3e23d9e6-6b8a-4c55-9f4a-0b5c0e6f1a2b}\"}}",
                    "{\"Type\":\"LayerConstraint\",\"Settings\":{\"LayerId\":"
                    "\"3E23D9E6-6B8A-4C55-9F4A-0B5C0E6F1A2B\"}}");
    check_canonical(NET,
                    "{\"Type\":\"VSwitchExtension\",\"Settings\":{\"ExtensionID\":"
                    "\"e9b59cfa-2be1-4b21-828f-b6fbddbdc017\",\"Enable\":true}}",
                    "{\"Type\":\"VSwitchExtension\",\"Settings\":{\"ExtensionID\":"
                    "\"E9B59CFA-2BE1-4B21-828F-B6FBDDBDC017\",\"Enable\":true}}");
}

static void subnet_policies_canonical(void **state)
{
    (void)state;
    check_canonical(SUB, "{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":4096}}",
                    "{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":4096}}");
    /* The 2018 documents put IsolationId in the policy itself. */
    check_canonical(SUB, "{\"Type\":\"vsid\",\"IsolationId\":5001}",
                    "{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":5001}}");
    check_canonical(SUB, "{\"Type\":\"VLAN\",\"Settings\":null,\"IsolationId\":7}",
                    "{\"Type\":\"VLAN\",\"Settings\":{\"IsolationId\":7}}");
}

/* ---- errors ------------------------------------------------------------ */

static void unknown_types_are_invalid_policy_type(void **state)
{
    (void)state;
    check_refused(EP, "{\"Type\":\"Frobnicate\",\"Settings\":{}}", HNSM_HCN_E_INVALID_POLICY_TYPE);
    assert_non_null(strstr(hnsm__detail_get(), "Frobnicate"));
    check_refused(EP, "{\"Settings\":{}}", HNSM_HCN_E_INVALID_POLICY_TYPE);
    check_refused(EP, "{\"Type\":3,\"Settings\":{}}", HNSM_HCN_E_INVALID_POLICY_TYPE);
    check_refused(EP, "{\"Type\":\"\",\"Settings\":{}}", HNSM_HCN_E_INVALID_POLICY_TYPE);
    /* v1 names are not v2 types. */
    check_refused(EP, "{\"Type\":\"NAT\",\"Settings\":{\"InternalPort\":80}}",
                  HNSM_HCN_E_INVALID_POLICY_TYPE);
    /* Types of another scope. */
    check_refused(NET, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":80}}",
                  HNSM_HCN_E_INVALID_POLICY_TYPE);
    check_refused(EP, "{\"Type\":\"SetPolicy\",\"Settings\":{\"Id\":\"x\"}}",
                  HNSM_HCN_E_INVALID_POLICY_TYPE);
    check_refused(SUB, "{\"Type\":\"ACL\",\"Settings\":{}}", HNSM_HCN_E_INVALID_POLICY_TYPE);
}

static void types_newer_than_the_schema_are_refused(void **state)
{
    (void)state;
    hnsm_policy_context old = {&ws2019, NULL}, mid = {&ws2022, NULL}, new = {&ws2025, NULL};
    const char *firewall = "{\"Type\":\"Firewall\",\"Settings\":{\"PolicyFlags\":1}}";
    const char *encryption = "{\"Type\":\"Encryption\",\"Settings\":{\"Name\":\"e\"}}";
    check_refused_ctx(EP, &mid, firewall, HNSM_HCN_E_INVALID_POLICY_TYPE);
    check_canonical_ctx(EP, &new, firewall,
                        "{\"Type\":\"Firewall\",\"Settings\":{\"PolicyFlags\":1}}");
    check_refused_ctx(EP, &old, encryption, HNSM_HCN_E_INVALID_POLICY_TYPE);
    check_canonical_ctx(EP, &mid, encryption,
                        "{\"Type\":\"Encryption\",\"Settings\":{\"Name\":\"e\"}}");
    /* Without a profile nothing is gated. */
    hnsm_policy_context none = {NULL, NULL};
    check_canonical_ctx(EP, &none, firewall,
                        "{\"Type\":\"Firewall\",\"Settings\":{\"PolicyFlags\":1}}");
}

static void malformed_policies_are_invalid_policy(void **state)
{
    (void)state;
    cJSON *not_object = parse_json("[\"PortMapping\"]"), *out = (cJSON *)1;
    assert_hr(hnsm__policy_canonical(EP, not_object, NULL, &out), HNSM_HCN_E_INVALID_POLICY);
    assert_null(out);
    cJSON_Delete(not_object);
    check_refused(EP, "{\"Type\":\"QOS\",\"Settings\":[]}", HNSM_HCN_E_INVALID_POLICY);
    check_refused(EP, "{\"Type\":\"QOS\",\"Settings\":\"x\"}", HNSM_HCN_E_INVALID_POLICY);
}

static void bad_settings_are_invalid_policy(void **state)
{
    (void)state;
    static const struct {
        hnsm_policy_scope scope;
        const char *policy;
        const char *field; /* named in the detail */
    } bad[] = {
        {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":70000}}", "InternalPort"},
        {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":\"80\"}}", "InternalPort"},
        {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":80.5}}", "InternalPort"},
        {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":-80}}", "InternalPort"},
        {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":80,\"Protocol\":1}}",
         "Protocol"},
        {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":80,\"Protocol\":\"TCP\"}}",
         "Protocol"},
        {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":80,\"VIP\":\"10.0.0.300\"}}",
         "VIP"},
        {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":80,\"VIP\":5}}", "VIP"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Direction\":\"In\"}}", "Action"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\"}}", "Direction"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Deny\",\"Direction\":\"In\"}}", "Action"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"Sideways\"}}",
         "Direction"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
             "\"Protocols\":\"257\"}}", "Protocols"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
             "\"Protocols\":\"6,,17\"}}", "Protocols"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
             "\"Protocols\":\"TCP\"}}", "Protocols"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
             "\"LocalPorts\":\"90-80\"}}", "LocalPorts"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
             "\"LocalPorts\":\"65536\"}}", "LocalPorts"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
             "\"RemotePorts\":\"80,\"}}", "RemotePorts"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
             "\"Priority\":65536}}", "Priority"},
        {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
             "\"RemoteAddresses\":\"10.0.0.0/33\"}}", "RemoteAddresses"},
        {EP, "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":\"10.0.0.0/8\"}}",
         "Exceptions"},
        {EP, "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"Exceptions\":[\"10.0.0.0/8\",7]}}",
         "Exceptions"},
        {EP, "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"ExceptionList\":[\"not-an-ip\"]}}",
         "Exceptions"},
        {EP, "{\"Type\":\"SDNRoute\",\"Settings\":{\"NeedEncap\":\"yes\"}}", "NeedEncap"},
        {EP, "{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"10.0.0.1\"}}",
         "DestinationPrefix"},
        {NET, "{\"Type\":\"SourceMacAddress\",\"Settings\":{\"SourceMacAddress\":"
              "\"00-15-5D-XX-00-01\"}}", "SourceMacAddress"},
        {NET, "{\"Type\":\"SourceMacAddress\",\"Settings\":{}}", "SourceMacAddress"},
        {NET, "{\"Type\":\"LayerConstraint\",\"Settings\":{\"LayerId\":\"not-a-guid\"}}",
         "LayerId"},
        {NET, "{\"Type\":\"ProviderAddress\",\"Settings\":{}}", "ProviderAddress"},
        {NET, "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"ProviderAddress\":\"10.0.0.5\"}}",
         "DestinationPrefix"},
        {NET, "{\"Type\":\"VxlanPort\",\"Settings\":{\"Port\":0}}", "Port"},
        {NET, "{\"Type\":\"SetPolicy\",\"Settings\":{\"Id\":\"s\",\"PolicyType\":\"BITSET\"}}",
         "PolicyType"},
        {SUB, "{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":4294967296}}", "IsolationId"},
        {SUB, "{\"Type\":\"VLAN\",\"IsolationId\":-1}", "IsolationId"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        check_refused(bad[i].scope, bad[i].policy, HNSM_HCN_E_INVALID_POLICY);
        if (!strstr(hnsm__detail_get(), bad[i].field))
            fail_msg("detail \"%s\" for %s does not name %s", hnsm__detail_get(), bad[i].policy,
                     bad[i].field);
    }
}

static void port_mapping_needs_an_internal_port(void **state)
{
    (void)state;
    check_refused(EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"ExternalPort\":8080}}",
                  HNSM_HCN_E_INVALID_INTERNAL_PORT);
    check_refused(EP,
                  "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":0,\"ExternalPort\":8080}}",
                  HNSM_HCN_E_INVALID_INTERNAL_PORT);
    check_refused(EP, "{\"Type\":\"PortMapping\"}", HNSM_HCN_E_INVALID_INTERNAL_PORT);
    check_refused(EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":null}}",
                  HNSM_HCN_E_INVALID_INTERNAL_PORT);
}

static void acl_addresses_may_name_listed_set_policies(void **state)
{
    (void)state;
    const char *any = "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Block\",\"Direction\":\"Out\","
                      "\"RemoteAddresses\":\"Any\"}}";
    const char *by_set = "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":"
                         "\"In\",\"RemoteAddresses\":\"10.0.0.1,azure-npm-123\"}}";
    /* "Any" is not an address, and no SetPolicy is named "Any". */
    check_refused(EP, any, HNSM_HCN_E_INVALID_POLICY);
    check_refused(EP, by_set, HNSM_HCN_E_INVALID_POLICY);

    cJSON *ids = parse_json("[\"azure-npm-123\",\"azure-npm-456\"]");
    hnsm_policy_context ctx = {&ws2022, ids};
    check_canonical_ctx(EP, &ctx, by_set,
                        "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
                        "\"RemoteAddresses\":\"10.0.0.1,azure-npm-123\"}}");
    check_refused_ctx(EP, &ctx, any, HNSM_HCN_E_INVALID_POLICY);
    /* Ids match exactly. */
    check_refused_ctx(EP, &ctx,
                      "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
                      "\"LocalAddresses\":\"AZURE-NPM-123\"}}",
                      HNSM_HCN_E_INVALID_POLICY);
    /* The same for network ACLs (HNS 15.0 and later). */
    hnsm_policy_context ctx2025 = {&ws2025, ids};
    check_canonical_ctx(NET, &ctx2025,
                        "{\"Type\":\"NetworkACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":"
                        "\"In\",\"LocalAddresses\":\"azure-npm-456\"}}",
                        "{\"Type\":\"NetworkACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":"
                        "\"In\",\"LocalAddresses\":\"azure-npm-456\"}}");
    cJSON_Delete(ids);
}

static void policy_arrays(void **state)
{
    (void)state;
    hnsm_policy_context ctx = {&ws2022, NULL};
    cJSON *out = NULL;
    assert_succeeded(hnsm__policies_canonical(EP, NULL, &ctx, &out));
    assert_json(out, "[]");
    cJSON_Delete(out);

    cJSON *null = cJSON_CreateNull();
    assert_succeeded(hnsm__policies_canonical(EP, null, &ctx, &out));
    assert_json(out, "[]");
    cJSON_Delete(out);
    cJSON_Delete(null);

    cJSON *list = parse_json("[{\"Type\":\"qos\"},{\"Type\":\"PortMapping\",\"Settings\":"
                             "{\"InternalPort\":80,\"Protocol\":6}}]");
    assert_succeeded(hnsm__policies_canonical(EP, list, &ctx, &out));
    assert_json(out, "[{\"Type\":\"QOS\",\"Settings\":{\"MaximumOutgoingBandwidthInBytes\":0}},"
                     "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80}}]");
    cJSON_Delete(out);
    cJSON_Delete(list);

    /* One bad entry fails the whole list with its own code. */
    list = parse_json("[{\"Type\":\"QOS\"},{\"Type\":\"PortMapping\",\"Settings\":{}}]");
    out = (cJSON *)1;
    assert_hr(hnsm__policies_canonical(EP, list, &ctx, &out), HNSM_HCN_E_INVALID_INTERNAL_PORT);
    assert_null(out);
    cJSON_Delete(list);

    cJSON *object = parse_json("{\"Type\":\"QOS\"}");
    out = (cJSON *)1;
    assert_hr(hnsm__policies_canonical(EP, object, &ctx, &out), HNSM_HCN_E_INVALID_POLICY);
    assert_null(out);
    cJSON_Delete(object);
}

static void policy_type_reads_the_type(void **state)
{
    (void)state;
    cJSON *p = parse_json("{\"type\":\"ACL\"}"), *q = parse_json("{\"Type\":1}");
    assert_string_equal(hnsm__policy_type(p), "ACL");
    assert_null(hnsm__policy_type(q));
    cJSON_Delete(p);
    cJSON_Delete(q);
}

/* ---- v1 <-> v2 --------------------------------------------------------- */

/* Converts v1 input to v2 and compares with expected (before validation). */
static void check_from_v1(hnsm_policy_scope scope, const char *v1, const char *expected)
{
    cJSON *in = parse_json(v1), *out = NULL;
    HRESULT hr = hnsm__policy_from_v1(scope, in, &out);
    if (FAILED(hr))
        fail_msg("v1 %s was refused: 0x%08X (%s)", v1, (unsigned)hr, hnsm__detail_get());
    assert_json(out, expected);
    /* The converted policy is valid v2. */
    cJSON *canonical = NULL;
    hnsm_policy_context ctx = {&ws2022, NULL};
    assert_succeeded(hnsm__policy_canonical(scope, out, &ctx, &canonical));
    cJSON_Delete(canonical);
    cJSON_Delete(out);
    cJSON_Delete(in);
}

/* Renders canonical v2 input as v1 and compares with expected. */
static void check_to_v1(hnsm_policy_scope scope, const char *v2, const char *expected)
{
    cJSON *in = parse_json(v2);
    cJSON *out = hnsm__policy_to_v1(scope, in);
    assert_json(out, expected);
    cJSON_Delete(out);
    cJSON_Delete(in);
}

static void nat_and_port_mapping(void **state)
{
    (void)state;
    check_from_v1(EP, "{\"Type\":\"NAT\",\"Protocol\":\"TCP\",\"InternalPort\":80,\"ExternalPort\":8080}",
                  "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"
                  "\"ExternalPort\":8080}}");
    check_from_v1(EP, "{\"Type\":\"nat\",\"Protocol\":\"udp\",\"InternalPort\":53}",
                  "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":17,\"InternalPort\":53}}");
    check_to_v1(EP,
                "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"
                "\"ExternalPort\":8080}}",
                "{\"Type\":\"NAT\",\"Protocol\":\"TCP\",\"InternalPort\":80,\"ExternalPort\":8080}");
    check_to_v1(EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":17,\"InternalPort\":53}}",
                "{\"Type\":\"NAT\",\"Protocol\":\"UDP\",\"InternalPort\":53}");
}

static void pa_route_and_proxy(void **state)
{
    (void)state;
    check_from_v1(EP, "{\"Type\":\"PA\",\"PA\":\"10.0.0.5\"}",
                  "{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"10.0.0.5\"}}");
    check_to_v1(EP, "{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"10.0.0.5\"}}",
                "{\"Type\":\"PA\",\"PA\":\"10.0.0.5\"}");
    check_from_v1(EP, "{\"Type\":\"ROUTE\",\"DestinationPrefix\":\"10.2.0.0/16\",\"NeedEncap\":true}",
                  "{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"10.2.0.0/16\","
                  "\"NeedEncap\":true}}");
    check_to_v1(EP,
                "{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"10.2.0.0/16\","
                "\"NextHop\":\"10.0.0.1\",\"NeedEncap\":true}}",
                "{\"Type\":\"ROUTE\",\"DestinationPrefix\":\"10.2.0.0/16\",\"NextHop\":\"10.0.0.1\","
                "\"NeedEncap\":true}");
    check_from_v1(EP,
                  "{\"Type\":\"PROXY\",\"IP\":\"10.0.0.1\",\"Port\":\"15001\",\"ExceptionList\":"
                  "[\"10.0.0.2\"],\"Destination\":\"10.0.0.3\",\"OutboundNat\":true}",
                  "{\"Type\":\"L4Proxy\",\"Settings\":{\"IP\":\"10.0.0.1\",\"Port\":\"15001\","
                  "\"Exceptions\":[\"10.0.0.2\"],\"Destination\":\"10.0.0.3\",\"OutboundNAT\":true}}");
}

static void outbound_nat_v1(void **state)
{
    (void)state;
    check_from_v1(EP,
                  "{\"Type\":\"OutBoundNAT\",\"VIP\":\"10.0.0.9\",\"ExceptionList\":[\"10.0.0.0/8\","
                  "\"172.16.0.0/12\"]}",
                  "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"VirtualIP\":\"10.0.0.9\",\"Exceptions\":"
                  "[\"10.0.0.0/8\",\"172.16.0.0/12\"]}}");
    check_to_v1(EP,
                "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"VirtualIP\":\"10.0.0.9\",\"Exceptions\":"
                "[\"10.0.0.0/8\"],\"MaxPortPoolUsage\":80}}",
                "{\"Type\":\"OutBoundNAT\",\"VIP\":\"10.0.0.9\",\"ExceptionList\":[\"10.0.0.0/8\"],"
                "\"MaxPortPoolUsage\":80}");
}

static void acl_v1_protocol_and_ports(void **state)
{
    (void)state;
    /* 256 means any protocol: no Protocols at all in v2. */
    check_from_v1(EP,
                  "{\"Type\":\"ACL\",\"Protocol\":256,\"Action\":\"Allow\",\"Direction\":\"In\","
                  "\"Priority\":300}",
                  "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\","
                  "\"Priority\":300}}");
    check_from_v1(EP,
                  "{\"Type\":\"ACL\",\"Protocol\":6,\"Action\":\"Block\",\"Direction\":\"Out\","
                  "\"LocalPort\":80,\"RemotePort\":443,\"RemoteAddresses\":\"10.0.0.0/8\"}",
                  "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Block\",\"Direction\":\"Out\","
                  "\"RemoteAddresses\":\"10.0.0.0/8\",\"Protocols\":\"6\",\"LocalPorts\":\"80\","
                  "\"RemotePorts\":\"443\"}}");
    /* A v2-style Protocols string in v1 input wins over the number. */
    check_from_v1(EP,
                  "{\"Type\":\"ACL\",\"Protocols\":\"17\",\"Protocol\":6,\"Action\":\"Allow\","
                  "\"Direction\":\"In\",\"LocalPort\":0}",
                  "{\"Type\":\"ACL\",\"Settings\":{\"Protocols\":\"17\",\"Action\":\"Allow\","
                  "\"Direction\":\"In\"}}");
}

static void subnet_vsid_and_vlan_v1(void **state)
{
    (void)state;
    check_from_v1(SUB, "{\"Type\":\"VSID\",\"VSID\":4096}",
                  "{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":4096}}");
    check_from_v1(SUB, "{\"Type\":\"VLAN\",\"VLAN\":12}",
                  "{\"Type\":\"VLAN\",\"Settings\":{\"IsolationId\":12}}");
    check_to_v1(SUB, "{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":4096}}",
                "{\"Type\":\"VSID\",\"VSID\":4096}");
    check_to_v1(SUB, "{\"Type\":\"VLAN\",\"Settings\":{\"IsolationId\":12}}",
                "{\"Type\":\"VLAN\",\"VLAN\":12}");
}

static void v1_types_without_a_match_are_refused(void **state)
{
    (void)state;
    static const struct {
        hnsm_policy_scope scope;
        const char *policy;
        HRESULT hr;
    } bad[] = {
        {EP, "{\"Type\":\"ELBX\"}", HNSM_HCN_E_INVALID_POLICY_TYPE},
        {EP, "{\"InternalPort\":80}", HNSM_HCN_E_INVALID_POLICY_TYPE},
        {EP, "{\"Type\":6}", HNSM_HCN_E_INVALID_POLICY_TYPE},
        {NET, "{\"Type\":\"NAT\",\"InternalPort\":80}", HNSM_HCN_E_INVALID_POLICY_TYPE},
        {SUB, "{\"Type\":\"PA\",\"PA\":\"10.0.0.1\"}", HNSM_HCN_E_INVALID_POLICY_TYPE},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cJSON *in = parse_json(bad[i].policy), *out = (cJSON *)1;
        HRESULT hr = hnsm__policy_from_v1(bad[i].scope, in, &out);
        if (hr != bad[i].hr)
            fail_msg("v1 %s gave 0x%08X", bad[i].policy, (unsigned)hr);
        assert_null(out);
        cJSON_Delete(in);
    }
    cJSON *array = parse_json("[]"), *out = (cJSON *)1;
    assert_hr(hnsm__policy_from_v1(EP, array, &out), HNSM_HCN_E_INVALID_POLICY);
    assert_null(out);
    cJSON_Delete(array);
}

/* Canonical v2 policies that must survive v2 -> v1 -> v2 unchanged. */
static const struct {
    hnsm_policy_scope scope;
    const char *policy;
} round_trip[] = {
    {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"
         "\"ExternalPort\":8080,\"VIP\":\"10.0.0.1\",\"Flags\":1}}"},
    {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":17,\"InternalPort\":53}}"},
    {EP, "{\"Type\":\"PortMapping\",\"Settings\":{\"InternalPort\":9000}}"},
    {EP, "{\"Type\":\"OutBoundNAT\",\"Settings\":{\"VirtualIP\":\"10.0.0.9\",\"Exceptions\":"
         "[\"10.0.0.0/8\",\"192.168.0.1\"],\"Destinations\":[\"1.1.1.1\"],\"MaxPortPoolUsage\":50}}"},
    {EP, "{\"Type\":\"SDNRoute\",\"Settings\":{\"DestinationPrefix\":\"10.2.0.0/16\",\"NextHop\":"
         "\"10.0.0.1\",\"NeedEncap\":true}}"},
    {EP, "{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":\"10.0.0.5\"}}"},
    {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Protocols\":\"6,17\",\"Action\":\"Block\","
         "\"Direction\":\"Out\",\"RemoteAddresses\":\"10.0.0.0/8\",\"LocalPorts\":\"80,443\","
         "\"RuleType\":\"Switch\",\"Priority\":1000}}"},
    {EP, "{\"Type\":\"ACL\",\"Settings\":{\"Action\":\"Allow\",\"Direction\":\"In\"}}"},
    {EP, "{\"Type\":\"QOS\",\"Settings\":{\"MaximumOutgoingBandwidthInBytes\":1000000}}"},
    {EP, "{\"Type\":\"L4Proxy\",\"Settings\":{\"IP\":\"10.0.0.1\",\"Port\":\"15001\",\"Protocol\":6,"
         "\"Exceptions\":[\"10.0.0.2\"],\"Destination\":\"10.0.0.3\",\"OutboundNAT\":true}}"},
    {EP, "{\"Type\":\"L2Driver\",\"Settings\":{}}"},
    {EP, "{\"Type\":\"EncapOverhead\",\"Settings\":{\"Overhead\":50}}"},
    {SUB, "{\"Type\":\"VSID\",\"Settings\":{\"IsolationId\":4096}}"},
    {SUB, "{\"Type\":\"VLAN\",\"Settings\":{\"IsolationId\":0}}"},
    {NET, "{\"Type\":\"RemoteSubnetRoute\",\"Settings\":{\"DestinationPrefix\":\"10.244.1.0/24\","
          "\"IsolationId\":4096,\"ProviderAddress\":\"10.0.0.5\",\"DistributedRouterMacAddress\":"
          "\"00-15-5D-01-02-03\"}}"},
};

static void v2_to_v1_to_v2_round_trip(void **state)
{
    (void)state;
    hnsm_policy_context ctx = {&ws2022, NULL};
    for (size_t i = 0; i < sizeof round_trip / sizeof round_trip[0]; i++) {
        hnsm_policy_scope scope = round_trip[i].scope;
        cJSON *given = parse_json(round_trip[i].policy), *canonical = NULL;
        assert_succeeded(hnsm__policy_canonical(scope, given, &ctx, &canonical));
        /* The fixtures are already canonical. */
        assert_json(canonical, round_trip[i].policy);
        cJSON *v1 = hnsm__policy_to_v1(scope, canonical);
        assert_non_null(v1);
        cJSON *v2 = NULL, *again = NULL;
        HRESULT hr = hnsm__policy_from_v1(scope, v1, &v2);
        if (FAILED(hr)) {
            char *text = cJSON_PrintUnformatted(v1);
            fail_msg("v1 form %s was refused: 0x%08X", text, (unsigned)hr);
        }
        assert_succeeded(hnsm__policy_canonical(scope, v2, &ctx, &again));
        if (!jx_equal(again, canonical)) {
            char *a = cJSON_PrintUnformatted(again), *v = cJSON_PrintUnformatted(v1);
            fail_msg("round trip of %s\n  via v1 %s\n  gave %s", round_trip[i].policy, v, a);
        }
        assert_json(again, round_trip[i].policy);
        cJSON_Delete(again);
        cJSON_Delete(v2);
        cJSON_Delete(v1);
        cJSON_Delete(canonical);
        cJSON_Delete(given);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(port_mapping_canonical),
        cmocka_unit_test(outbound_nat_canonical),
        cmocka_unit_test(acl_canonical),
        cmocka_unit_test(always_emitted_fields),
        cmocka_unit_test(network_policies_canonical),
        cmocka_unit_test(guids_are_canonicalised),
        cmocka_unit_test(subnet_policies_canonical),
        cmocka_unit_test(unknown_types_are_invalid_policy_type),
        cmocka_unit_test(types_newer_than_the_schema_are_refused),
        cmocka_unit_test(malformed_policies_are_invalid_policy),
        cmocka_unit_test(bad_settings_are_invalid_policy),
        cmocka_unit_test(port_mapping_needs_an_internal_port),
        cmocka_unit_test(acl_addresses_may_name_listed_set_policies),
        cmocka_unit_test(policy_arrays),
        cmocka_unit_test(policy_type_reads_the_type),
        cmocka_unit_test(nat_and_port_mapping),
        cmocka_unit_test(pa_route_and_proxy),
        cmocka_unit_test(outbound_nat_v1),
        cmocka_unit_test(acl_v1_protocol_and_ports),
        cmocka_unit_test(subnet_vsid_and_vlan_v1),
        cmocka_unit_test(v1_types_without_a_match_are_refused),
        cmocka_unit_test(v2_to_v1_to_v2_round_trip),
    };
    return cmocka_run_group_tests_name("policy", tests, setup_profiles, NULL);
}
