/*
 * test_lifecycle.c - HNS service restart, HNS crash, node reboot and
 * out-of-band drops (hns-mock/lifecycle.c): one test per rule of the
 * lifecycle table, named after the reference entry it follows, each with its
 * choice flipped where the rule has one.
 *
 * Covered: EnableNonPersistent networks gone after a reboot with their
 * endpoints, others kept (E3; hcn-api.md NetworkFlags; choice
 * REBOOT_KEEPS_UNFLAGGED_NETWORKS); a restart keeping every network (E2;
 * choice RESTART_KEEPS_NONPERSISTENT_NETWORKS); a restart dropping local
 * endpoints, releasing their addresses and host ports, the namespaces staying
 * empty (E2; choice RESTART_DROPS_LOCAL_ENDPOINTS); a reboot dropping every
 * local endpoint; remote endpoints persisting (choice
 * REMOTE_ENDPOINTS_PERSIST); namespaces kept by a restart and removed by a
 * reboot except HostDefault (choice REBOOT_KEEPS_HOST_DEFAULT_NAMESPACE);
 * load balancers rehydrated by a restart and a reboot (a re-create answers
 * ERROR_ALREADY_EXISTS, consumers.md 1.3 / 7), lost in a crash (A2), degraded
 * after a reboot took their backends (E1, A8); SDN routes following load
 * balancers (choice ROUTES_FOLLOW_LOAD_BALANCERS); guest network services
 * and port reservations cleared (choice RESTART_CLEARS_GUEST_SERVICES);
 * subscribers told HcnNotificationServiceDisconnect and nothing else (choice
 * RESTART_NOTIFIES_SERVICE_DISCONNECT); a restart on a file store seen by
 * another instance; no stale network served from memory; hnsm_drop_object
 * for every kind, without notification; argument errors.
 */
#include "unit.h"

#include "gns.h"
#include "hresult.h"

#include <computenetwork.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"
#define QUERY_V2 "{" V2 "}"

static hnsm_instance *open_instance(const char *store, const char *profile)
{
    hnsm_config config = {0};
    config.store = store;
    config.profile = profile;
    config.seed = 77;
    config.seed_set = 1;
    hnsm_instance *inst = NULL;
    assert_int_equal(hnsm_open(&config, &inst), 0);
    return inst;
}

/* Runs a create and copies the new id to out (when not NULL). */
static HRESULT create(hnsm_instance *inst, hnsm_kind kind, const char *parent, const char *json,
                      char out[64])
{
    char *result = NULL;
    HRESULT hr = hnsm_call(inst, kind, HNSM_OP_CREATE, NULL, parent, json, &result, NULL);
    if (out)
        snprintf(out, 64, "%s", SUCCEEDED(hr) && result ? result : "");
    hnsm_free(result);
    return hr;
}

/* Creates network name with NetworkFlags flags on 172.21.<n>.0/24. */
static void make_network(hnsm_instance *inst, const char *name, unsigned flags, int n, char out[64])
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"Name\":\"%s\",\"Type\":\"NAT\",\"Flags\":%u,\"Ipams\":[{\"Subnets\":[{"
             "\"IpAddressPrefix\":\"172.21.%d.0/24\",\"Routes\":[{\"NextHop\":\"172.21.%d.1\","
             "\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]," V2 "}",
             name, flags, n, n);
    assert_succeeded(create(inst, HNSM_NETWORK, NULL, json, out));
}

/* Creates a local endpoint with a static address and a host port. */
static void make_local_endpoint(hnsm_instance *inst, const char *network, const char *ip,
                                int host_port, char out[64])
{
    char json[512];
    snprintf(json, sizeof json,
             "{\"Name\":\"pod\",\"IpConfigurations\":[{\"IpAddress\":\"%s\"}],\"Policies\":[{"
             "\"Type\":\"PortMapping\",\"Settings\":{\"Protocol\":6,\"InternalPort\":80,"
             "\"ExternalPort\":%d}}]," V2 "}",
             ip, host_port);
    assert_succeeded(create(inst, HNSM_ENDPOINT, network, json, out));
}

static void make_remote_endpoint(hnsm_instance *inst, const char *network, const char *ip,
                                 char out[64])
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"Name\":\"remote\",\"Flags\":1,\"IpConfigurations\":[{\"IpAddress\":\"%s\"}]," V2
             "}",
             ip);
    assert_succeeded(create(inst, HNSM_ENDPOINT, network, json, out));
}

static void make_namespace(hnsm_instance *inst, const char *type, char out[64])
{
    char json[128];
    snprintf(json, sizeof json, "{\"Type\":\"%s\"," V2 "}", type);
    assert_succeeded(create(inst, HNSM_NAMESPACE, NULL, json, out));
}

static void attach(hnsm_instance *inst, const char *ns, const char *endpoint)
{
    char json[256];
    snprintf(json, sizeof json,
             "{\"ResourceType\":\"Endpoint\",\"RequestType\":\"Add\",\"Settings\":{"
             "\"EndpointId\":\"%s\"}}",
             endpoint);
    assert_succeeded(hnsm_call(inst, HNSM_NAMESPACE, HNSM_OP_MODIFY, ns, NULL, json, NULL, NULL));
}

/* The HRESULT of opening kind id. */
static HRESULT open_object(hnsm_instance *inst, hnsm_kind kind, const char *id)
{
    return hnsm_call(inst, kind, HNSM_OP_OPEN, id, NULL, NULL, NULL, NULL);
}

/* The v2 document of kind id (caller deletes). */
static cJSON *query(hnsm_instance *inst, hnsm_kind kind, const char *id)
{
    char *result = NULL;
    assert_succeeded(hnsm_call(inst, kind, HNSM_OP_QUERY, id, NULL, QUERY_V2, &result, NULL));
    cJSON *doc = parse_json(result);
    hnsm_free(result);
    return doc;
}

static int count_objects(hnsm_instance *inst, hnsm_kind kind)
{
    char *result = NULL;
    assert_succeeded(hnsm_call(inst, kind, HNSM_OP_ENUMERATE, NULL, NULL, NULL, &result, NULL));
    cJSON *list = parse_json(result);
    int n = cJSON_GetArraySize(list);
    cJSON_Delete(list);
    hnsm_free(result);
    return n;
}

/* The namespace's Resources array, printed. */
static void assert_namespace_resources(hnsm_instance *inst, const char *ns, const char *expected)
{
    cJSON *doc = query(inst, HNSM_NAMESPACE, ns);
    cJSON *resources = cJSON_GetObjectItem(doc, "Resources");
    assert_json(resources ? resources : cJSON_GetObjectItem(doc, "NoResources"), expected);
    cJSON_Delete(doc);
}

static const hnsm_restart_mode restart_modes[] = {HNSM_RESTART_SERVICE, HNSM_RESTART_CRASH_WIPE};

/* ---- networks ------------------------------------------------------------------ */

/* field-bugs E3, hcn-api.md NetworkFlags: EnableNonPersistent (8) networks
 * are gone after a reboot, with their endpoints; a client still holding the
 * id gets HCN_E_NETWORK_NOT_FOUND, also from the model's memory. */
static void e3_reboot_drops_non_persistent_networks_with_their_endpoints(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance(NULL, NULL);
    char flannel[64], kept[64], remote[64], local[64];
    make_network(inst, "flannel.4096", 8, 1, flannel);
    make_network(inst, "kept", 0, 2, kept);
    make_remote_endpoint(inst, flannel, "10.244.3.5", remote);
    make_local_endpoint(inst, flannel, "172.21.1.10", 8080, local);
    assert_int_equal(hnsm_reboot(inst), 0);
    assert_hr(open_object(inst, HNSM_NETWORK, flannel), HNSM_HCN_E_NETWORK_NOT_FOUND);
    assert_hr(open_object(inst, HNSM_ENDPOINT, remote), HNSM_HCN_E_ENDPOINT_NOT_FOUND);
    assert_hr(open_object(inst, HNSM_ENDPOINT, local), HNSM_HCN_E_ENDPOINT_NOT_FOUND);
    assert_succeeded(open_object(inst, HNSM_NETWORK, kept));
    assert_int_equal(count_objects(inst, HNSM_NETWORK), 1);
    /* CNI ADD before flanneld re-creates the network (E3 repro). */
    assert_hr(create(inst, HNSM_ENDPOINT, flannel, "{\"Name\":\"p\"," V2 "}", NULL),
              HNSM_HCN_E_NETWORK_NOT_FOUND);
    /* The re-created network takes the name and subnet again. */
    make_network(inst, "flannel.4096", 8, 1, flannel);
    make_local_endpoint(inst, flannel, "172.21.1.10", 8080, local);
    hnsm_close(inst);
}

/* hcn-api.md NetworkFlags (EnablePersistent = 16), field-bugs E3: networks
 * without EnableNonPersistent persist; with choice
 * REBOOT_KEEPS_UNFLAGGED_NETWORKS = 0 only EnablePersistent ones do. */
static void e3_reboot_keeps_other_networks_choice_reboot_keeps_unflagged_networks(void **state)
{
    (void)state;
    for (int value = 1; value >= 0; value--) {
        hnsm_instance *inst = open_instance(NULL, NULL);
        assert_int_equal(hnsm_set_choice(inst, "REBOOT_KEEPS_UNFLAGGED_NETWORKS", value), 0);
        char plain[64], persistent[64];
        make_network(inst, "plain", 0, 1, plain);
        make_network(inst, "persistent", 16, 2, persistent);
        assert_int_equal(hnsm_reboot(inst), 0);
        assert_succeeded(open_object(inst, HNSM_NETWORK, persistent));
        assert_hr(open_object(inst, HNSM_NETWORK, plain),
                  value ? S_OK : HNSM_HCN_E_NETWORK_NOT_FOUND);
        hnsm_close(inst);
    }
}

/* field-bugs E2 ("HNS restart that keeps networks"), consumers.md 9.6: a
 * service restart or crash keeps every network, non-persistent ones
 * included; choice RESTART_KEEPS_NONPERSISTENT_NETWORKS = 0 drops those. */
static void e2_restart_keeps_networks_choice_restart_keeps_nonpersistent_networks(void **state)
{
    (void)state;
    for (size_t m = 0; m < 2; m++) {
        for (int value = 1; value >= 0; value--) {
            hnsm_instance *inst = open_instance(NULL, NULL);
            assert_int_equal(hnsm_set_choice(inst, "RESTART_KEEPS_NONPERSISTENT_NETWORKS", value),
                             0);
            char flannel[64], plain[64], remote[64];
            make_network(inst, "flannel.4096", 8, 1, flannel);
            make_network(inst, "plain", 0, 2, plain);
            make_remote_endpoint(inst, flannel, "10.244.3.5", remote);
            assert_int_equal(hnsm_restart(inst, restart_modes[m]), 0);
            assert_succeeded(open_object(inst, HNSM_NETWORK, plain));
            assert_hr(open_object(inst, HNSM_NETWORK, flannel),
                      value ? S_OK : HNSM_HCN_E_NETWORK_NOT_FOUND);
            assert_hr(open_object(inst, HNSM_ENDPOINT, remote),
                      value ? S_OK : HNSM_HCN_E_ENDPOINT_NOT_FOUND);
            hnsm_close(inst);
        }
    }
}

/* ---- endpoints --------------------------------------------------------------- */

/* field-bugs E2, consumers.md 7: after Restart-Service hns the pod
 * endpoints are gone; the pods' namespaces stay (empty), and the addresses
 * and host ports the endpoints held are free. Also with choice
 * DELETE_ATTACHED_ENDPOINT = 0, which governs only client deletes. Choice
 * RESTART_DROPS_LOCAL_ENDPOINTS = 0 rehydrates them instead. */
static void e2_restart_drops_local_endpoints_choice_restart_drops_local_endpoints(void **state)
{
    (void)state;
    for (size_t m = 0; m < 2; m++) {
        for (int value = 1; value >= 0; value--) {
            hnsm_instance *inst = open_instance(NULL, NULL);
            assert_int_equal(hnsm_set_choice(inst, "RESTART_DROPS_LOCAL_ENDPOINTS", value), 0);
            assert_int_equal(hnsm_set_choice(inst, "DELETE_ATTACHED_ENDPOINT", 0), 0);
            char net[64], pod[64], idle[64], ns[64];
            make_network(inst, "calico", 0, 1, net);
            make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
            make_local_endpoint(inst, net, "172.21.1.11", 8081, idle);
            make_namespace(inst, "Host", ns);
            attach(inst, ns, pod);
            assert_int_equal(hnsm_restart(inst, restart_modes[m]), 0);
            assert_succeeded(open_object(inst, HNSM_NAMESPACE, ns));
            if (value) {
                assert_hr(open_object(inst, HNSM_ENDPOINT, pod), HNSM_HCN_E_ENDPOINT_NOT_FOUND);
                assert_hr(open_object(inst, HNSM_ENDPOINT, idle), HNSM_HCN_E_ENDPOINT_NOT_FOUND);
                assert_namespace_resources(inst, ns, "[]");
                /* The address and the host port were released. */
                make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
            } else {
                cJSON *doc = query(inst, HNSM_ENDPOINT, pod);
                char expected[80];
                snprintf(expected, sizeof expected, "\"%s\"", ns);
                assert_json(cJSON_GetObjectItem(doc, "HostComputeNamespace"), expected);
                cJSON_Delete(doc);
                assert_succeeded(open_object(inst, HNSM_ENDPOINT, idle));
            }
            hnsm_close(inst);
        }
    }
}

/* field-bugs E3 (pods are re-created by CNI ADD after a reboot), consumers.md
 * 2.3 / 3.3 (kube-proxy and flannel re-create their host endpoints): a
 * reboot drops every local endpoint, on persistent networks too. */
static void e3_reboot_drops_every_local_endpoint(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance(NULL, NULL);
    char net[64], pod[64], source_vip[64], ns[64];
    make_network(inst, "cbr0", 0, 1, net);
    make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
    make_local_endpoint(inst, net, "172.21.1.2", 8081, source_vip);
    make_namespace(inst, "Host", ns);
    attach(inst, ns, pod);
    assert_int_equal(hnsm_reboot(inst), 0);
    assert_succeeded(open_object(inst, HNSM_NETWORK, net));
    assert_hr(open_object(inst, HNSM_ENDPOINT, pod), HNSM_HCN_E_ENDPOINT_NOT_FOUND);
    assert_hr(open_object(inst, HNSM_ENDPOINT, source_vip), HNSM_HCN_E_ENDPOINT_NOT_FOUND);
    assert_int_equal(count_objects(inst, HNSM_ENDPOINT), 0);
    make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
    hnsm_close(inst);
}

/* consumers.md 1.3 / 7 (rehydrated load balancers keep their backends, so
 * kube-proxy's remote endpoints stay): remote endpoints survive a restart, a
 * crash and a reboot with their network; choice REMOTE_ENDPOINTS_PERSIST = 0
 * drops them everywhere local endpoints go. */
static void remote_endpoints_persist_choice_remote_endpoints_persist(void **state)
{
    (void)state;
    for (int event = 0; event < 3; event++) {
        for (int value = 1; value >= 0; value--) {
            hnsm_instance *inst = open_instance(NULL, NULL);
            assert_int_equal(hnsm_set_choice(inst, "REMOTE_ENDPOINTS_PERSIST", value), 0);
            char net[64], remote[64];
            make_network(inst, "cbr0", 0, 1, net);
            make_remote_endpoint(inst, net, "10.244.3.5", remote);
            assert_int_equal(event < 2 ? hnsm_restart(inst, restart_modes[event])
                                       : hnsm_reboot(inst),
                             0);
            assert_hr(open_object(inst, HNSM_ENDPOINT, remote),
                      value ? S_OK : HNSM_HCN_E_ENDPOINT_NOT_FOUND);
            hnsm_close(inst);
        }
    }
}

/* ---- namespaces -------------------------------------------------------------- */

/* field-bugs E2 (pods stay Running after Restart-Service hns): namespaces
 * (compartments) survive a service restart and a crash, with their ids and
 * compartment numbers. */
static void e2_restart_keeps_namespaces(void **state)
{
    (void)state;
    for (size_t m = 0; m < 2; m++) {
        hnsm_instance *inst = open_instance(NULL, NULL);
        char ns[64], host[64];
        make_namespace(inst, "Host", ns);
        make_namespace(inst, "HostDefault", host);
        cJSON *before = query(inst, HNSM_NAMESPACE, ns);
        assert_int_equal(hnsm_restart(inst, restart_modes[m]), 0);
        cJSON *after = query(inst, HNSM_NAMESPACE, ns);
        char *a = cJSON_PrintUnformatted(before), *b = cJSON_PrintUnformatted(after);
        assert_string_equal(a, b);
        free(a);
        free(b);
        cJSON_Delete(before);
        cJSON_Delete(after);
        assert_int_equal(count_objects(inst, HNSM_NAMESPACE), 2);
        hnsm_close(inst);
    }
}

/* field-bugs E3 (sandboxes are re-created after a reboot): a reboot removes
 * every namespace but the HostDefault one; choice
 * REBOOT_KEEPS_HOST_DEFAULT_NAMESPACE = 0 removes that one too. */
static void e3_reboot_removes_namespaces_choice_reboot_keeps_host_default_namespace(void **state)
{
    (void)state;
    for (int value = 1; value >= 0; value--) {
        hnsm_instance *inst = open_instance(NULL, NULL);
        assert_int_equal(hnsm_set_choice(inst, "REBOOT_KEEPS_HOST_DEFAULT_NAMESPACE", value), 0);
        char ns[64], guest[64], host[64];
        make_namespace(inst, "Host", ns);
        make_namespace(inst, "Guest", guest);
        make_namespace(inst, "HostDefault", host);
        assert_int_equal(hnsm_reboot(inst), 0);
        assert_hr(open_object(inst, HNSM_NAMESPACE, ns), HNSM_HRESULT_ERROR_NOT_FOUND);
        assert_hr(open_object(inst, HNSM_NAMESPACE, guest), HNSM_HRESULT_ERROR_NOT_FOUND);
        assert_hr(open_object(inst, HNSM_NAMESPACE, host),
                  value ? S_OK : HNSM_HRESULT_ERROR_NOT_FOUND);
        /* The next container namespace gets a compartment again. */
        make_namespace(inst, "Host", ns);
        hnsm_close(inst);
    }
}

/* ---- load balancers ---------------------------------------------------------- */

/* Creates a ClusterIP-style LB on vip:80 over the given backends. */
static HRESULT create_lb(hnsm_instance *inst, const char *vip, const char *b1, const char *b2,
                         char out[64])
{
    char json[512];
    if (b2)
        snprintf(json, sizeof json,
                 "{\"HostComputeEndpoints\":[\"%s\",\"%s\"],\"FrontendVIPs\":[\"%s\"],"
                 "\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":8080,\"ExternalPort\":80}],"
                 V2 "}",
                 b1, b2, vip);
    else
        snprintf(json, sizeof json,
                 "{\"HostComputeEndpoints\":[\"%s\"],\"FrontendVIPs\":[\"%s\"],"
                 "\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":8080,\"ExternalPort\":80}],"
                 V2 "}",
                 b1, vip);
    return create(inst, HNSM_LOADBALANCER, NULL, json, out);
}

/* The v1 (policy list) State of a load balancer: 1, or 4 when degraded. */
static int lb_v1_state(hnsm_instance *inst, const char *id)
{
    char *result = NULL;
    assert_succeeded(hnsm_call(inst, HNSM_LOADBALANCER, HNSM_OP_QUERY, id, NULL, NULL, &result,
                               NULL));
    cJSON *doc = parse_json(result);
    hnsm_free(result);
    int state = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "State"));
    cJSON_Delete(doc);
    return state;
}

/* consumers.md 1.3, 2.5 (kubernetes #139519), 7: a service restart rehydrates
 * the load balancers, so kube-proxy re-creating one gets ERROR_ALREADY_EXISTS
 * (0x800700B7); an LB whose local backend the restart dropped (E2) shows
 * degraded (field-bugs A8.4). */
static void consumers_1_3_restart_rehydrates_load_balancers(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance(NULL, NULL);
    char net[64], pod[64], remote[64], lb1[64], lb2[64];
    make_network(inst, "cbr0", 0, 1, net);
    make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
    make_remote_endpoint(inst, net, "10.244.3.5", remote);
    assert_succeeded(create_lb(inst, "10.96.0.10", remote, NULL, lb1));
    assert_succeeded(create_lb(inst, "10.96.0.11", pod, remote, lb2));
    assert_int_equal(lb_v1_state(inst, lb2), 1);
    assert_int_equal(hnsm_restart(inst, HNSM_RESTART_SERVICE), 0);
    assert_int_equal(count_objects(inst, HNSM_LOADBALANCER), 2);
    assert_hr(create_lb(inst, "10.96.0.10", remote, NULL, NULL),
              HNSM_HRESULT_ERROR_ALREADY_EXISTS);
    assert_int_equal(lb_v1_state(inst, lb1), 1);
    assert_int_equal(lb_v1_state(inst, lb2), 4);
    /* kube-proxy's way out: delete the rehydrated LB, then create it. */
    assert_succeeded(hnsm_call(inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb1, NULL, NULL, NULL,
                               NULL));
    assert_succeeded(create_lb(inst, "10.96.0.10", remote, NULL, NULL));
    hnsm_close(inst);
}

/* field-bugs A2 (hns-lb-mass-loss): after an HNS crash the load balancers
 * are gone, every one (577 -> 1 in the report); their frontends are free, so
 * a re-create succeeds where a rehydrated LB would have collided. */
static void a2_crash_wipe_loses_every_load_balancer(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance(NULL, NULL);
    assert_int_equal(hnsm_set_choice(inst, "LB_DELETE_DEGRADED_FAILS", 1), 0);
    char net[64], pod[64], remote[64], lb[64];
    make_network(inst, "cbr0", 0, 1, net);
    make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
    make_remote_endpoint(inst, net, "10.244.3.5", remote);
    for (int i = 0; i < 20; i++) {
        char vip[32];
        snprintf(vip, sizeof vip, "10.96.1.%d", i + 1);
        assert_succeeded(create_lb(inst, vip, pod, remote, lb));
    }
    assert_int_equal(hnsm_restart(inst, HNSM_RESTART_CRASH_WIPE), 0);
    assert_int_equal(count_objects(inst, HNSM_LOADBALANCER), 0);
    assert_hr(open_object(inst, HNSM_LOADBALANCER, lb), HNSM_HRESULT_ERROR_NOT_FOUND);
    assert_succeeded(open_object(inst, HNSM_ENDPOINT, remote));
    assert_succeeded(create_lb(inst, "10.96.1.1", remote, NULL, NULL));
    hnsm_close(inst);
}

/* field-bugs E1 (its workaround removes policy lists before rebooting so that
 * LBs are re-created rather than rehydrated) and A8.4: load balancers persist
 * across a reboot, rehydrated; those whose backends the reboot took are
 * degraded. */
static void e1_reboot_keeps_load_balancers_rehydrated_and_degraded(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance(NULL, NULL);
    char net[64], pod[64], remote[64], lb1[64], lb2[64];
    make_network(inst, "cbr0", 0, 1, net);
    make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
    make_remote_endpoint(inst, net, "10.244.3.5", remote);
    assert_succeeded(create_lb(inst, "10.96.0.10", remote, NULL, lb1));
    assert_succeeded(create_lb(inst, "10.96.0.11", pod, remote, lb2));
    assert_int_equal(hnsm_reboot(inst), 0);
    assert_int_equal(count_objects(inst, HNSM_LOADBALANCER), 2);
    assert_int_equal(lb_v1_state(inst, lb1), 1);
    assert_int_equal(lb_v1_state(inst, lb2), 4);
    assert_hr(create_lb(inst, "10.96.0.10", remote, NULL, NULL),
              HNSM_HRESULT_ERROR_ALREADY_EXISTS);
    hnsm_close(inst);
}

/* field-bugs A2 ("hcnCreateLoadBalancer failing with 0x803b0007 The
 * switch-port was not found" in the crash window), consumers.md 1.3: with
 * RESTART_DROPS_LOCAL_ENDPOINTS = 2 the pods' endpoints stay listed without
 * switch ports (State 6), and an LB naming one is refused. */
static void a2_restart_choice_2_leaves_endpoints_without_switch_ports(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance(NULL, NULL);
    assert_int_equal(hnsm_set_choice(inst, "RESTART_DROPS_LOCAL_ENDPOINTS", 2), 0);
    char net[64], pod[64], remote[64];
    make_network(inst, "cbr0", 0, 1, net);
    make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
    make_remote_endpoint(inst, net, "10.244.3.5", remote);
    assert_int_equal(hnsm_restart(inst, HNSM_RESTART_CRASH_WIPE), 0);
    cJSON *doc = query(inst, HNSM_ENDPOINT, pod);
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "State")), 6);
    cJSON_Delete(doc);
    doc = query(inst, HNSM_ENDPOINT, remote);
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(doc, "State")), 1);
    cJSON_Delete(doc);
    assert_hr(create_lb(inst, "10.96.0.10", pod, NULL, NULL), HNSM_HCN_E_PORT_NOT_FOUND);
    assert_succeeded(create_lb(inst, "10.96.0.10", remote, NULL, NULL));
    hnsm_close(inst);
}

/* ---- SDN routes --------------------------------------------------------------- */

static void make_route(hnsm_instance *inst, const char *endpoint, char out[64])
{
    char json[384];
    snprintf(json, sizeof json,
             "{\"HostComputeEndpoints\":[\"%s\"],\"Routes\":[{\"DestinationPrefix\":"
             "\"169.254.169.254/32\",\"NeedEncap\":true}]," V2 "}",
             endpoint);
    assert_succeeded(create(inst, HNSM_SDNROUTE, NULL, json, out));
}

/* Inferred (no field report on routes): SDN routes follow load balancers,
 * kept by a restart and a reboot and lost in a crash; choice
 * ROUTES_FOLLOW_LOAD_BALANCERS = 0 drops them in every event. */
static void routes_follow_load_balancers_choice_routes_follow_load_balancers(void **state)
{
    (void)state;
    for (int event = 0; event < 3; event++) {
        for (int value = 1; value >= 0; value--) {
            hnsm_instance *inst = open_instance(NULL, NULL);
            assert_int_equal(hnsm_set_choice(inst, "ROUTES_FOLLOW_LOAD_BALANCERS", value), 0);
            char net[64], remote[64], route[64];
            make_network(inst, "cbr0", 0, 1, net);
            make_remote_endpoint(inst, net, "10.244.3.5", remote);
            make_route(inst, remote, route);
            bool crash = event == 1;
            assert_int_equal(event < 2 ? hnsm_restart(inst, restart_modes[event])
                                       : hnsm_reboot(inst),
                             0);
            bool kept = value && !crash;
            assert_hr(open_object(inst, HNSM_SDNROUTE, route),
                      kept ? S_OK : HNSM_HRESULT_ERROR_NOT_FOUND);
            assert_int_equal(count_objects(inst, HNSM_SDNROUTE), kept ? 1 : 0);
            hnsm_close(inst);
        }
    }
}

/* ---- guest network services and port reservations ------------------------------ */

static void make_gns(hnsm_instance *inst, char out[64])
{
    assert_succeeded(create(inst, HNSM_GUESTNETWORKSERVICE, NULL,
                            "{\"Name\":\"wsl\",\"VirtualMachineId\":"
                            "\"0F9D6A43-3B57-4E2B-9A3C-2B6A1C7D5E01\"," V2 "}",
                            out));
}

static size_t reservation_count(hnsm_instance *inst)
{
    hnsm_port_reservation *list = NULL;
    size_t count = 0;
    assert_succeeded(hnsm__gns_list_reservations(inst, &list, &count));
    free(list);
    return count;
}

/* Inferred (the reference says nothing): a restart or a reboot clears guest
 * network services and every port reservation, also when deleting a service
 * would leave its reservations (GNS_DELETE_RELEASES_PORTS = 0); the stale
 * reservation handle is released without error. Choice
 * RESTART_CLEARS_GUEST_SERVICES = 0 keeps them over a restart, not a reboot. */
static void guest_services_cleared_choice_restart_clears_guest_services(void **state)
{
    (void)state;
    for (int event = 0; event < 3; event++) {
        for (int value = 1; value >= 0; value--) {
            hnsm_instance *inst = open_instance(NULL, NULL);
            assert_int_equal(hnsm_set_choice(inst, "RESTART_CLEARS_GUEST_SERVICES", value), 0);
            assert_int_equal(hnsm_set_choice(inst, "GNS_DELETE_RELEASES_PORTS", 0), 0);
            char gns[64];
            make_gns(inst, gns);
            int64_t number = 0;
            assert_succeeded(hnsm__gns_reserve_port(inst, gns, 1, 1, 8080, &number));
            assert_int_equal(reservation_count(inst), 1);
            assert_int_equal(event < 2 ? hnsm_restart(inst, restart_modes[event])
                                       : hnsm_reboot(inst),
                             0);
            bool kept = !value && event < 2;
            assert_hr(open_object(inst, HNSM_GUESTNETWORKSERVICE, gns),
                      kept ? S_OK : HNSM_HRESULT_ERROR_NOT_FOUND);
            assert_int_equal(reservation_count(inst), kept ? 1 : 0);
            assert_succeeded(hnsm__gns_release_reservation(inst, number));
            assert_int_equal(reservation_count(inst), 0);
            hnsm_close(inst);
        }
    }
}

/* ---- notifications --------------------------------------------------------------- */

typedef struct event_log {
    pthread_mutex_t lock;
    uint32_t types[64];
    int count;
} event_log;

static void record_event(uint32_t type, const char *data, void *context)
{
    (void)data;
    event_log *log = context;
    pthread_mutex_lock(&log->lock);
    if (log->count < 64)
        log->types[log->count++] = type;
    pthread_mutex_unlock(&log->lock);
}

/* hcn-api.md 1.4: subscribers hear HcnNotificationServiceDisconnect when the
 * service restarts or the node reboots, and not the deletions the event
 * made (a non-persistent network, a namespace); out-of-band drops are not
 * notified either. Choice RESTART_NOTIFIES_SERVICE_DISCONNECT = 0: silence. */
static void notifications_service_disconnect_choice_restart_notifies_service_disconnect(
    void **state)
{
    (void)state;
    for (int event = 0; event < 3; event++) {
        for (int value = 1; value >= 0; value--) {
            hnsm_instance *inst = open_instance(NULL, NULL);
            assert_int_equal(hnsm_set_choice(inst, "RESTART_NOTIFIES_SERVICE_DISCONNECT", value),
                             0);
            assert_int_equal(hnsm_set_choice(inst, "RESTART_KEEPS_NONPERSISTENT_NETWORKS", 0), 0);
            event_log log = {.count = 0};
            pthread_mutex_init(&log.lock, NULL);
            hnsm_subscription *sub = NULL;
            assert_int_equal(hnsm_subscribe(inst, record_event, &log, &sub), 0);
            char flannel[64], ns[64], other[64];
            make_network(inst, "flannel.4096", 8, 1, flannel);
            make_namespace(inst, "Host", ns);
            make_namespace(inst, "Host", other);
            hnsm_notifications_drain(inst);
            pthread_mutex_lock(&log.lock);
            assert_int_equal(log.count, 3); /* network create, 2 namespace creates */
            log.count = 0;
            pthread_mutex_unlock(&log.lock);

            assert_int_equal(hnsm_drop_object(inst, HNSM_NAMESPACE, other), 0);
            assert_int_equal(event < 2 ? hnsm_restart(inst, restart_modes[event])
                                       : hnsm_reboot(inst),
                             0);
            hnsm_notifications_drain(inst);
            assert_hr(open_object(inst, HNSM_NETWORK, flannel), HNSM_HCN_E_NETWORK_NOT_FOUND);
            pthread_mutex_lock(&log.lock);
            assert_int_equal(log.count, value ? 1 : 0);
            if (value)
                assert_int_equal(log.types[0], HcnNotificationServiceDisconnect);
            log.count = 0;
            pthread_mutex_unlock(&log.lock);
            /* A control-API subscription keeps listening after the disconnect. */
            make_namespace(inst, "Host", other);
            hnsm_notifications_drain(inst);
            pthread_mutex_lock(&log.lock);
            assert_int_equal(log.count, 1);
            assert_int_equal(log.types[0], HcnNotificationNamespaceCreate);
            pthread_mutex_unlock(&log.lock);
            hnsm_unsubscribe(sub);
            hnsm_close(inst);
            pthread_mutex_destroy(&log.lock);
        }
    }
}

/* ---- the store ----------------------------------------------------------------- */

/* A restart is one committed transaction on the store: another instance on
 * the same file sees its whole result. */
/* A fresh directory (dir, 256 bytes) and the store file path in it (320). */
static void temp_store(char *dir, char *path)
{
    const char *base = getenv("TMPDIR");
    snprintf(dir, 256, "%s/hnsim-lifecycle-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(dir))
        fail_msg("mkdtemp %s: %s", dir, strerror(errno));
    snprintf(path, 320, "%s/store.db", dir);
}

/* Removes the store file of temp_store, its SQLite companions and dir. */
static void remove_store(const char *dir, const char *path)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char file[340];
        snprintf(file, sizeof file, "%s%s", path, suffixes[i]);
        unlink(file);
    }
    assert_int_equal(rmdir(dir), 0);
}

static void restart_on_a_file_store_is_seen_by_another_instance(void **state)
{
    (void)state;
    char dir[256], path[320];
    temp_store(dir, path);
    hnsm_instance *a = open_instance(path, NULL), *b = open_instance(path, NULL);
    char flannel[64], net[64], pod[64];
    make_network(a, "flannel.4096", 8, 1, flannel);
    make_network(a, "cbr0", 0, 2, net);
    make_local_endpoint(a, net, "172.21.2.10", 8080, pod);
    assert_int_equal(count_objects(b, HNSM_ENDPOINT), 1);
    assert_int_equal(hnsm_reboot(a), 0);
    assert_int_equal(count_objects(b, HNSM_NETWORK), 1);
    assert_int_equal(count_objects(b, HNSM_ENDPOINT), 0);
    assert_hr(open_object(b, HNSM_NETWORK, flannel), HNSM_HCN_E_NETWORK_NOT_FOUND);
    hnsm_close(a);
    hnsm_close(b);
    remove_store(dir, path);
}

/* field-bugs.md E4 (a): an OS update whose HNS cannot read HNS.data fails
 * every call with ERROR_WRONG_DISK - v2 and v1 alike, across restarts and
 * for another process on the same file - until the store is cleared; an
 * update that can read it is a reboot with the new profile. */
static void e4_os_update_with_an_unreadable_store_until_it_is_cleared(void **state)
{
    (void)state;
    char dir[256], path[320];
    temp_store(dir, path);
    hnsm_instance *a = open_instance(path, "ws2019");
    char net[64], flannel[64];
    make_network(a, "cbr0", 0, 2, net);
    make_network(a, "flannel.4096", 8, 1, flannel);
    assert_int_equal(hnsm_os_update(a, NULL, 0), 0);
    assert_hr(open_object(a, HNSM_NETWORK, net), HNSM_HRESULT_ERROR_WRONG_DISK);
    char *reply = NULL;
    assert_int_equal(hnsm_hnscall(a, "GET", "/networks/", "", &reply), S_OK);
    assert_non_null(strstr(reply, "The wrong diskette is in the drive."));
    hnsm_free(reply);
    assert_int_equal(hnsm_restart(a, HNSM_RESTART_SERVICE), 0);
    assert_hr(open_object(a, HNSM_NETWORK, net), HNSM_HRESULT_ERROR_WRONG_DISK);
    hnsm_instance *b = open_instance(path, NULL);
    assert_hr(open_object(b, HNSM_NETWORK, net), HNSM_HRESULT_ERROR_WRONG_DISK);
    hnsm_close(b);
    assert_int_equal(hnsm_clear_store(a), 0);
    assert_int_equal(count_objects(a, HNSM_NETWORK), 0);
    /* With a store the new HNS reads: a reboot (flannel.4096 was
     * non-persistent and goes) on the new profile. */
    make_network(a, "cbr0", 0, 2, net);
    make_network(a, "flannel.4096", 8, 1, flannel);
    assert_int_equal(hnsm_os_update(a, "ws2022", 1), 0);
    assert_string_equal(hnsm_profile_name(a), "ws2022");
    assert_succeeded(open_object(a, HNSM_NETWORK, net));
    assert_hr(open_object(a, HNSM_NETWORK, flannel), HNSM_HCN_E_NETWORK_NOT_FOUND);
    assert_int_equal(hnsm_os_update(a, "no-such-profile", 1), HNSM_EINVAL);
    hnsm_close(a);
    remove_store(dir, path);
}

static void restart_and_reboot_refuse_bad_arguments(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance(NULL, NULL);
    assert_int_equal(hnsm_restart(NULL, HNSM_RESTART_SERVICE), HNSM_EINVAL);
    assert_int_equal(hnsm_restart(inst, (hnsm_restart_mode)9), HNSM_EINVAL);
    assert_int_equal(hnsm_reboot(NULL), HNSM_EINVAL);
    /* An empty instance restarts and reboots. */
    assert_int_equal(hnsm_restart(inst, HNSM_RESTART_SERVICE), 0);
    assert_int_equal(hnsm_restart(inst, HNSM_RESTART_CRASH_WIPE), 0);
    assert_int_equal(hnsm_reboot(inst), 0);
    hnsm_close(inst);
}

/* ---- out-of-band drops ----------------------------------------------------------- */

/* field-bugs A1 (hnsdiag delete behind a client's back), F4 (a network takes
 * its endpoints): hnsm_drop_object removes the object whatever the choices
 * governing client deletes say, and a second drop finds nothing. */
static void a1_drop_object_removes_objects_behind_clients(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance(NULL, NULL);
    assert_int_equal(hnsm_set_choice(inst, "DELETE_ATTACHED_ENDPOINT", 0), 0);
    assert_int_equal(hnsm_set_choice(inst, "DELETE_NETWORK_CASCADES", 0), 0);
    char net[64], other[64], pod[64], pod2[64], ns[64];
    make_network(inst, "cbr0", 0, 1, net);
    make_network(inst, "other", 0, 2, other);
    make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
    make_local_endpoint(inst, other, "172.21.2.10", 8080, pod2);
    make_namespace(inst, "Host", ns);
    attach(inst, ns, pod);
    attach(inst, ns, pod2);

    assert_int_equal(hnsm_drop_object(inst, HNSM_ENDPOINT, pod), 0);
    assert_hr(open_object(inst, HNSM_ENDPOINT, pod), HNSM_HCN_E_ENDPOINT_NOT_FOUND);
    assert_int_equal(hnsm_drop_object(inst, HNSM_ENDPOINT, pod), HNSM_ENOENT);
    make_local_endpoint(inst, net, "172.21.1.10", 8080, pod); /* address and port free */

    assert_int_equal(hnsm_drop_object(inst, HNSM_NETWORK, net), 0);
    assert_hr(open_object(inst, HNSM_NETWORK, net), HNSM_HCN_E_NETWORK_NOT_FOUND);
    assert_hr(open_object(inst, HNSM_ENDPOINT, pod), HNSM_HCN_E_ENDPOINT_NOT_FOUND);

    assert_int_equal(hnsm_drop_object(inst, HNSM_NAMESPACE, ns), 0);
    cJSON *doc = query(inst, HNSM_ENDPOINT, pod2);
    assert_null(cJSON_GetObjectItem(doc, "HostComputeNamespace"));
    cJSON_Delete(doc);

    /* Lower-case ids are accepted as everywhere. */
    char lower[64];
    snprintf(lower, sizeof lower, "%s", other);
    for (char *c = lower; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'F' ? *c - 'A' + 'a' : *c);
    assert_int_equal(hnsm_drop_object(inst, HNSM_NETWORK, lower), 0);
    assert_int_equal(count_objects(inst, HNSM_NETWORK), 0);
    assert_int_equal(count_objects(inst, HNSM_ENDPOINT), 0);

    assert_int_equal(hnsm_drop_object(inst, HNSM_NETWORK, "not-a-guid"), HNSM_EINVAL);
    assert_int_equal(hnsm_drop_object(inst, HNSM_NETWORK, NULL), HNSM_EINVAL);
    assert_int_equal(hnsm_drop_object(inst, (hnsm_kind)42, net), HNSM_EINVAL);
    assert_int_equal(hnsm_drop_object(NULL, HNSM_NETWORK, net), HNSM_EINVAL);
    assert_int_equal(hnsm_drop_object(inst, HNSM_LOADBALANCER,
                                      "12345678-1234-1234-1234-123456789ABC"),
                     HNSM_ENOENT);
    hnsm_close(inst);
}

/* field-bugs A1 (an LB deleted with hnsdiag behind kube-proxy), A8.4: a drop
 * removes a load balancer even when it is degraded and client deletes of
 * degraded LBs fail (LB_DELETE_DEGRADED_FAILS = 1), and frees its frontend;
 * routes and guest network services drop too. */
static void a1_drop_object_removes_load_balancers_routes_and_guest_services(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance(NULL, NULL);
    assert_int_equal(hnsm_set_choice(inst, "LB_DELETE_DEGRADED_FAILS", 1), 0);
    char net[64], pod[64], remote[64], lb[64], route[64], gns[64];
    make_network(inst, "cbr0", 0, 1, net);
    make_local_endpoint(inst, net, "172.21.1.10", 8080, pod);
    make_remote_endpoint(inst, net, "10.244.3.5", remote);
    assert_succeeded(create_lb(inst, "10.96.0.10", pod, remote, lb));
    assert_succeeded(hnsm_call(inst, HNSM_ENDPOINT, HNSM_OP_DELETE, pod, NULL, NULL, NULL, NULL));
    assert_hr(hnsm_call(inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb, NULL, NULL, NULL, NULL),
              HNSM_HCN_E_ENDPOINT_NOT_FOUND);
    assert_int_equal(hnsm_drop_object(inst, HNSM_LOADBALANCER, lb), 0);
    assert_hr(open_object(inst, HNSM_LOADBALANCER, lb), HNSM_HRESULT_ERROR_NOT_FOUND);
    assert_succeeded(create_lb(inst, "10.96.0.10", remote, NULL, lb));
    make_route(inst, remote, route);
    assert_int_equal(hnsm_drop_object(inst, HNSM_SDNROUTE, route), 0);
    assert_int_equal(hnsm_drop_object(inst, HNSM_SDNROUTE, route), HNSM_ENOENT);
    make_gns(inst, gns);
    assert_int_equal(hnsm_drop_object(inst, HNSM_GUESTNETWORKSERVICE, gns), 0);
    assert_hr(open_object(inst, HNSM_GUESTNETWORKSERVICE, gns), HNSM_HRESULT_ERROR_NOT_FOUND);
    hnsm_close(inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(e3_reboot_drops_non_persistent_networks_with_their_endpoints),
        cmocka_unit_test(e4_os_update_with_an_unreadable_store_until_it_is_cleared),
        cmocka_unit_test(e3_reboot_keeps_other_networks_choice_reboot_keeps_unflagged_networks),
        cmocka_unit_test(e2_restart_keeps_networks_choice_restart_keeps_nonpersistent_networks),
        cmocka_unit_test(e2_restart_drops_local_endpoints_choice_restart_drops_local_endpoints),
        cmocka_unit_test(e3_reboot_drops_every_local_endpoint),
        cmocka_unit_test(remote_endpoints_persist_choice_remote_endpoints_persist),
        cmocka_unit_test(e2_restart_keeps_namespaces),
        cmocka_unit_test(e3_reboot_removes_namespaces_choice_reboot_keeps_host_default_namespace),
        cmocka_unit_test(consumers_1_3_restart_rehydrates_load_balancers),
        cmocka_unit_test(a2_crash_wipe_loses_every_load_balancer),
        cmocka_unit_test(e1_reboot_keeps_load_balancers_rehydrated_and_degraded),
        cmocka_unit_test(a2_restart_choice_2_leaves_endpoints_without_switch_ports),
        cmocka_unit_test(routes_follow_load_balancers_choice_routes_follow_load_balancers),
        cmocka_unit_test(guest_services_cleared_choice_restart_clears_guest_services),
        cmocka_unit_test(
            notifications_service_disconnect_choice_restart_notifies_service_disconnect),
        cmocka_unit_test(restart_on_a_file_store_is_seen_by_another_instance),
        cmocka_unit_test(restart_and_reboot_refuse_bad_arguments),
        cmocka_unit_test(a1_drop_object_removes_objects_behind_clients),
        cmocka_unit_test(a1_drop_object_removes_load_balancers_routes_and_guest_services),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
