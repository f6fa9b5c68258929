/*
 * test_loadbalancer.c - the load-balancer rules that need the control API,
 * which the data-driven conformance cases cannot reach.
 *
 * "Mark LB not applied" (hnsm_set_lb_applied, the fault of issue 3): the v1
 * policy list shows IsApplied:false, State stays 1 (choice
 * LB_NOT_APPLIED_IS_DEGRADED; 4 when flipped, in v1 and v2 Detailed), a
 * successful modify re-programs the LB (a failed one does not), and unknown
 * ids and bad arguments are refused.
 *
 * Re-create after an HNS restart (consumers.md 1.3, 2.5, 7; kubernetes
 * #139519): an LB an HNS service restart rehydrated answers a client that
 * creates it again - same frontend VIPs, the same (protocol, internal,
 * external) ports and the same set of backends, in any order, SourceVIP and
 * flags not compared - with ERROR_ALREADY_EXISTS (0x800700B7); a different
 * backend set or internal port collides with HCN_E_PORT_ALREADY_EXISTS, as
 * does every collision with an LB that was not rehydrated (choice
 * LB_REHYDRATED_RECREATE_ALREADY_EXISTS). A modify hands the LB back to a
 * client, so it is no longer "rehydrated". The backends are remote endpoints
 * (kube-proxy's overlay backends), which survive a restart (lifecycle.c
 * choice REMOTE_ENDPOINTS_PERSIST). A local backend that keeps its row but
 * loses its switch port on the restart (field-bugs.md A2) makes a new LB fail
 * with HCN_E_PORT_NOT_FOUND and the rehydrated one degraded; HNS can still
 * drop such an LB when a client's delete is refused. These tests call
 * hnsm_restart; while the lifecycle is not built they are skipped.
 */
#include "unit.h"

#include "hresult.h"

#include <stdio.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"
#define QUERY_V2 "{" V2 "}"
#define QUERY_V2_DETAILED "{" V2 ",\"Flags\":1}"

typedef struct fixture {
    hnsm_instance *inst;
    char net[64];
    char ep[3][64]; /* remote endpoints, the backends */
} fixture;

static char *call(hnsm_instance *inst, hnsm_kind kind, hnsm_op op, const char *id,
                  const char *parent, const char *json, HRESULT expected)
{
    char *result = NULL, *error = NULL;
    HRESULT hr = hnsm_call(inst, kind, op, id, parent, json, &result, &error);
    hnsm_free(error);
    if (hr != expected)
        hnsm_free(result);
    assert_hr(hr, expected);
    return result;
}

/* Opens an instance of profile with a network and three remote endpoints. */
static void fixture_open(fixture *f, const char *profile)
{
    hnsm_config config = {.profile = profile, .seed = 77, .seed_set = 1};
    assert_int_equal(hnsm_open(&config, &f->inst), 0);
    char *id = call(f->inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL,
                    "{\"Name\":\"vxlan0\",\"Type\":\"Overlay\",\"Ipams\":[{\"Subnets\":[{"
                    "\"IpAddressPrefix\":\"10.244.1.0/24\",\"Routes\":[{\"NextHop\":"
                    "\"10.244.1.1\",\"DestinationPrefix\":\"0.0.0.0/0\"}]}]}]," V2 "}",
                    S_OK);
    snprintf(f->net, sizeof f->net, "%s", id);
    hnsm_free(id);
    for (int i = 0; i < 3; i++) {
        char doc[256];
        snprintf(doc, sizeof doc,
                 "{\"Name\":\"remote%d\",\"Flags\":1,\"IpConfigurations\":[{\"IpAddress\":"
                 "\"10.244.2.%d\"}]," V2 "}",
                 i, 10 + i);
        id = call(f->inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, f->net, doc, S_OK);
        snprintf(f->ep[i], sizeof f->ep[i], "%s", id);
        hnsm_free(id);
    }
}

/* A ClusterIP LB document: vip:port -> internal, over the given backends. */
static void lb_doc(char *out, size_t size, const char *vip, int port, int internal,
                   const char *const *backends, int count, const char *extra)
{
    int n = snprintf(out, size, "{\"HostComputeEndpoints\":[");
    for (int i = 0; i < count; i++)
        n += snprintf(out + n, size - (size_t)n, "%s\"%s\"", i ? "," : "", backends[i]);
    snprintf(out + n, size - (size_t)n,
             "],\"FrontendVIPs\":[\"%s\"],\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":%d,"
             "\"ExternalPort\":%d}]%s," V2 "}",
             vip, internal, port, extra ? extra : "");
}

static char *create_lb(fixture *f, const char *doc, HRESULT expected)
{
    return call(f->inst, HNSM_LOADBALANCER, HNSM_OP_CREATE, NULL, NULL, doc, expected);
}

/* The value of key in the LB rendered with query (NULL = v1). */
static double lb_number(fixture *f, const char *id, const char *query, const char *key)
{
    char *text = call(f->inst, HNSM_LOADBALANCER, HNSM_OP_QUERY, id, NULL, query, S_OK);
    cJSON *doc = parse_json(text);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, key);
    if (!item)
        fail_msg("no %s in %s", key, text);
    double value = cJSON_IsBool(item) ? (cJSON_IsTrue(item) ? 1 : 0) : item->valuedouble;
    cJSON_Delete(doc);
    hnsm_free(text);
    return value;
}

/* Skips the calling test, before it allocates anything, while hnsm_restart
 * is not built (lifecycle.c answers HNSM_EINVAL for every restart then). */
static void skip_without_lifecycle(void)
{
    hnsm_config config = {0};
    hnsm_instance *probe;
    assert_int_equal(hnsm_open(&config, &probe), 0);
    int err = hnsm_restart(probe, HNSM_RESTART_SERVICE);
    hnsm_close(probe);
    if (err == HNSM_EINVAL) {
        print_message("hnsm_restart is not implemented yet: skipped\n");
        skip();
    }
    assert_int_equal(err, 0);
}

/* Restart-Service hns. */
static void restart(fixture *f)
{
    assert_int_equal(hnsm_restart(f->inst, HNSM_RESTART_SERVICE), 0);
}

/* ---- IsApplied ------------------------------------------------------------------- */

static void not_applied_shows_in_v1_only(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, "ws2022");
    char doc[1024];
    const char *backends[] = {f.ep[0], f.ep[1]};
    lb_doc(doc, sizeof doc, "10.96.0.10", 53, 53, backends, 2, NULL);
    char *lb = create_lb(&f, doc, S_OK);
    assert_true(lb_number(&f, lb, NULL, "IsApplied") == 1);

    assert_int_equal(hnsm_set_lb_applied(f.inst, lb, 0), 0);
    assert_true(lb_number(&f, lb, NULL, "IsApplied") == 0);
    /* Default: State stays 1; the report shows only IsApplied:false. */
    assert_true(lb_number(&f, lb, NULL, "State") == 1);
    assert_true(lb_number(&f, lb, QUERY_V2_DETAILED, "State") == 1);
    /* v2 has no IsApplied (consumers.md 9.5). */
    char *v2 = call(f.inst, HNSM_LOADBALANCER, HNSM_OP_QUERY, lb, NULL, QUERY_V2_DETAILED, S_OK);
    assert_null(strstr(v2, "IsApplied"));
    hnsm_free(v2);

    assert_int_equal(hnsm_set_choice(f.inst, "LB_NOT_APPLIED_IS_DEGRADED", 1), 0);
    assert_true(lb_number(&f, lb, NULL, "State") == 4);
    assert_true(lb_number(&f, lb, QUERY_V2_DETAILED, "State") == 4);

    assert_int_equal(hnsm_set_lb_applied(f.inst, lb, 1), 0);
    assert_true(lb_number(&f, lb, NULL, "IsApplied") == 1);
    assert_true(lb_number(&f, lb, NULL, "State") == 1);
    hnsm_free(lb);
    hnsm_close(f.inst);
}

static void set_lb_applied_refuses_bad_arguments(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, "ws2022");
    assert_int_equal(hnsm_set_lb_applied(NULL, f.ep[0], 0), HNSM_EINVAL);
    assert_int_equal(hnsm_set_lb_applied(f.inst, NULL, 0), HNSM_EINVAL);
    assert_int_equal(hnsm_set_lb_applied(f.inst, "LBID-1", 0), HNSM_EINVAL);
    /* An endpoint id is not a load balancer. */
    assert_int_equal(hnsm_set_lb_applied(f.inst, f.ep[0], 0), HNSM_ENOENT);
    /* Any GUID spelling names the LB. */
    char doc[1024];
    const char *backends[] = {f.ep[0]};
    lb_doc(doc, sizeof doc, "10.96.0.11", 80, 8080, backends, 1, NULL);
    char *lb = create_lb(&f, doc, S_OK);
    char lower[64], braced[80];
    for (int i = 0; lb[i]; i++)
        lower[i] = (char)(lb[i] >= 'A' && lb[i] <= 'F' ? lb[i] - 'A' + 'a' : lb[i]);
    lower[strlen(lb)] = '\0';
    snprintf(braced, sizeof braced, "{%s}", lower);
    assert_int_equal(hnsm_set_lb_applied(f.inst, braced, 0), 0);
    assert_true(lb_number(&f, lb, NULL, "IsApplied") == 0);
    /* A deleted LB cannot be marked. */
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb, NULL, NULL, S_OK));
    assert_int_equal(hnsm_set_lb_applied(f.inst, lb, 1), HNSM_ENOENT);
    hnsm_free(lb);
    hnsm_close(f.inst);
}

static void modify_reprograms_a_not_applied_lb(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, "ws2025");
    char doc[1024];
    const char *one[] = {f.ep[0]}, *two[] = {f.ep[0], f.ep[1]};
    lb_doc(doc, sizeof doc, "10.96.0.12", 80, 8080, one, 1, NULL);
    char *lb = create_lb(&f, doc, S_OK);
    assert_int_equal(hnsm_set_lb_applied(f.inst, lb, 0), 0);
    /* A failed modify leaves the mark. */
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_MODIFY, lb, NULL,
                   "{\"HostComputeEndpoints\":[\"0E5B4D43-7C38-4CF9-9B5B-13D5C2B0A0A1\"],"
                   "\"FrontendVIPs\":[\"10.96.0.12\"],\"PortMappings\":[{\"Protocol\":6,"
                   "\"InternalPort\":8080,\"ExternalPort\":80}]}",
                   HNSM_HCN_E_ENDPOINT_NOT_FOUND));
    assert_true(lb_number(&f, lb, NULL, "IsApplied") == 0);
    /* kube-proxy's in-place update (HNS 15.4) programs it again. */
    lb_doc(doc, sizeof doc, "10.96.0.12", 80, 8080, two, 2, NULL);
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_MODIFY, lb, NULL, doc, S_OK));
    assert_true(lb_number(&f, lb, NULL, "IsApplied") == 1);
    /* And so does the settings request. */
    assert_int_equal(hnsm_set_lb_applied(f.inst, lb, 0), 0);
    snprintf(doc, sizeof doc,
             "{\"ResourceType\":1,\"RequestType\":0,\"Settings\":{\"EndpointId\":\"%s\"}}",
             f.ep[2]);
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_MODIFY, lb, NULL, doc, S_OK));
    assert_true(lb_number(&f, lb, NULL, "IsApplied") == 1);
    hnsm_free(lb);
    hnsm_close(f.inst);
}

/* ---- re-create after an HNS restart ----------------------------------------------------- */

static void recreate_after_restart_is_already_exists(void **state)
{
    (void)state;
    skip_without_lifecycle();
    fixture f;
    fixture_open(&f, "ws2022");
    char doc[1024];
    const char *abc[] = {f.ep[0], f.ep[1], f.ep[2]}, *cab[] = {f.ep[2], f.ep[0], f.ep[1]};
    lb_doc(doc, sizeof doc, "10.96.0.10", 53, 53, abc, 3, ",\"SourceVIP\":\"10.244.1.2\"");
    char *lb = create_lb(&f, doc, S_OK);
    lb_doc(doc, sizeof doc, "10.96.0.20", 443, 6443, abc, 3, NULL);
    char *other = create_lb(&f, doc, S_OK);

    /* Before any restart the identical create is a port collision. */
    lb_doc(doc, sizeof doc, "10.96.0.10", 53, 53, abc, 3, ",\"SourceVIP\":\"10.244.1.2\"");
    hnsm_free(create_lb(&f, doc, HNSM_HCN_E_PORT_ALREADY_EXISTS));

    restart(&f);
    /* The LB came back with its id and backends. */
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_OPEN, lb, NULL, NULL, S_OK));
    assert_true(lb_number(&f, lb, NULL, "State") == 1);

    /* kube-proxy (before PR #139503) re-creates it: 0xB7. */
    hnsm_free(create_lb(&f, doc, HNSM_HRESULT_ERROR_ALREADY_EXISTS));
    assert_string_equal(hnsm_hresult_name(HNSM_HRESULT_ERROR_ALREADY_EXISTS),
                        "HRESULT_ERROR_ALREADY_EXISTS");
    /* Backends in another order, another SourceVIP, DSR on: the same LB. */
    lb_doc(doc, sizeof doc, "10.96.0.10", 53, 53, cab, 3,
           ",\"SourceVIP\":\"10.244.1.3\",\"Flags\":1");
    hnsm_free(create_lb(&f, doc, HNSM_HRESULT_ERROR_ALREADY_EXISTS));
    /* Another backend set: a different LB on a taken frontend. */
    lb_doc(doc, sizeof doc, "10.96.0.10", 53, 53, abc, 2, NULL);
    hnsm_free(create_lb(&f, doc, HNSM_HCN_E_PORT_ALREADY_EXISTS));
    /* Another internal port: also different. */
    lb_doc(doc, sizeof doc, "10.96.0.10", 53, 5353, abc, 3, NULL);
    hnsm_free(create_lb(&f, doc, HNSM_HCN_E_PORT_ALREADY_EXISTS));
    /* A second frontend VIP makes another frontend set. */
    snprintf(doc, sizeof doc,
             "{\"HostComputeEndpoints\":[\"%s\",\"%s\",\"%s\"],\"FrontendVIPs\":[\"10.96.0.10\","
             "\"10.96.0.11\"],\"PortMappings\":[{\"Protocol\":6,\"InternalPort\":53,"
             "\"ExternalPort\":53}]}",
             f.ep[0], f.ep[1], f.ep[2]);
    hnsm_free(create_lb(&f, doc, HNSM_HCN_E_PORT_ALREADY_EXISTS));

    /* With the choice off, a rehydrated LB collides like any other. */
    assert_int_equal(hnsm_set_choice(f.inst, "LB_REHYDRATED_RECREATE_ALREADY_EXISTS", 0), 0);
    lb_doc(doc, sizeof doc, "10.96.0.10", 53, 53, abc, 3, NULL);
    hnsm_free(create_lb(&f, doc, HNSM_HCN_E_PORT_ALREADY_EXISTS));
    assert_int_equal(hnsm_set_choice(f.inst, "LB_REHYDRATED_RECREATE_ALREADY_EXISTS", 1), 0);

    /* After PR #139503 kube-proxy lists the LBs and reuses the id; deleting
     * and creating afresh works, and the new LB is not rehydrated. */
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb, NULL, NULL, S_OK));
    char *fresh = create_lb(&f, doc, S_OK);
    hnsm_free(create_lb(&f, doc, HNSM_HCN_E_PORT_ALREADY_EXISTS));
    /* The other rehydrated LB still answers 0xB7. */
    lb_doc(doc, sizeof doc, "10.96.0.20", 443, 6443, abc, 3, NULL);
    hnsm_free(create_lb(&f, doc, HNSM_HRESULT_ERROR_ALREADY_EXISTS));
    hnsm_free(fresh);
    hnsm_free(other);
    hnsm_free(lb);
    hnsm_close(f.inst);
}

static void modify_takes_a_rehydrated_lb_back(void **state)
{
    (void)state;
    skip_without_lifecycle();
    fixture f;
    fixture_open(&f, "ws2025");
    char doc[1024];
    const char *ab[] = {f.ep[0], f.ep[1]};
    lb_doc(doc, sizeof doc, "10.96.0.30", 80, 8080, ab, 2, NULL);
    char *lb = create_lb(&f, doc, S_OK);
    restart(&f);
    hnsm_free(create_lb(&f, doc, HNSM_HRESULT_ERROR_ALREADY_EXISTS));
    /* The in-place update of HNS 15.4 makes the LB a client's again. */
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_MODIFY, lb, NULL, doc, S_OK));
    hnsm_free(create_lb(&f, doc, HNSM_HCN_E_PORT_ALREADY_EXISTS));
    hnsm_free(lb);
    hnsm_close(f.inst);
}

static void rehydrated_lb_with_lost_backends_is_degraded(void **state)
{
    (void)state;
    skip_without_lifecycle();
    fixture f;
    fixture_open(&f, "ws2022");
    /* A local backend next to the remote ones: a restart drops local
     * endpoints (lifecycle choice RESTART_DROPS_LOCAL_ENDPOINTS). */
    char *local = call(f.inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, f.net,
                       "{\"Name\":\"pod\"," V2 "}", S_OK);
    char doc[1024];
    const char *backends[] = {f.ep[0], local};
    lb_doc(doc, sizeof doc, "10.96.0.40", 80, 8080, backends, 2, NULL);
    char *lb = create_lb(&f, doc, S_OK);
    restart(&f);
    int drops = 0;
    assert_int_equal(hnsm_get_choice(f.inst, "RESTART_DROPS_LOCAL_ENDPOINTS", &drops), 0);
    if (drops) {
        assert_true(lb_number(&f, lb, NULL, "State") == 4);
        /* The same create now names an endpoint that is gone. */
        hnsm_free(create_lb(&f, doc, HNSM_HCN_E_ENDPOINT_NOT_FOUND));
    } else {
        assert_true(lb_number(&f, lb, NULL, "State") == 1);
        hnsm_free(create_lb(&f, doc, HNSM_HRESULT_ERROR_ALREADY_EXISTS));
    }
    hnsm_free(local);
    hnsm_free(lb);
    hnsm_close(f.inst);
}

/* field-bugs.md A2: after the restart the local endpoint is still listed
 * but its switch port is gone (lifecycle choice RESTART_DROPS_LOCAL_ENDPOINTS
 * = 2): a create naming it fails with 0x803B0007, and the rehydrated LB over
 * it shows degraded. */
static void backend_without_port_is_port_not_found(void **state)
{
    (void)state;
    skip_without_lifecycle();
    fixture f;
    fixture_open(&f, "ws2022");
    assert_int_equal(hnsm_set_choice(f.inst, "RESTART_DROPS_LOCAL_ENDPOINTS", 2), 0);
    char *local = call(f.inst, HNSM_ENDPOINT, HNSM_OP_CREATE, NULL, f.net,
                       "{\"Name\":\"pod\"," V2 "}", S_OK);
    char doc[1024];
    const char *backends[] = {f.ep[0], local};
    lb_doc(doc, sizeof doc, "10.96.0.50", 80, 8080, backends, 2, NULL);
    char *lb = create_lb(&f, doc, S_OK);
    restart(&f);
    hnsm_free(call(f.inst, HNSM_ENDPOINT, HNSM_OP_OPEN, local, NULL, NULL, S_OK));
    assert_true(lb_number(&f, lb, NULL, "State") == 4);
    assert_true(lb_number(&f, lb, QUERY_V2_DETAILED, "State") == 4);
    lb_doc(doc, sizeof doc, "10.96.0.51", 80, 8080, backends, 2, NULL);
    hnsm_free(create_lb(&f, doc, HNSM_HCN_E_PORT_NOT_FOUND));
    assert_string_equal(hnsm_hresult_message(HNSM_HCN_E_PORT_NOT_FOUND),
                        "The switch-port was not found.");
    /* Under choice LB_DELETE_DEGRADED_FAILS the client cannot delete it. */
    assert_int_equal(hnsm_set_choice(f.inst, "LB_DELETE_DEGRADED_FAILS", 1), 0);
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb, NULL, NULL,
                   HNSM_HCN_E_ENDPOINT_NOT_FOUND));
    /* HNS itself can always drop it (an HNS crash wipes load balancers). */
    assert_int_equal(hnsm_restart(f.inst, HNSM_RESTART_CRASH_WIPE), 0);
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_OPEN, lb, NULL, NULL,
                   HNSM_HRESULT_ERROR_NOT_FOUND));
    hnsm_free(local);
    hnsm_free(lb);
    hnsm_close(f.inst);
}

/* field-bugs.md A4: with LB_DELETE_LEAKS_PORT a deleted non-DSR LB keeps
 * its frontend reserved until HNS restarts; DSR LBs and the default free it. */
static void deleted_lb_leaks_its_port_with_the_a4_defect(void **state)
{
    (void)state;
    skip_without_lifecycle();
    fixture f;
    fixture_open(&f, "ws2019");
    char doc[1024], dsr[1024];
    const char *a[] = {f.ep[0]};
    lb_doc(doc, sizeof doc, "10.96.0.40", 80, 8080, a, 1, NULL);
    lb_doc(dsr, sizeof dsr, "10.96.0.41", 80, 8080, a, 1, ",\"Flags\":1");
    /* The default: delete frees the port. */
    char *lb = create_lb(&f, doc, S_OK);
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb, NULL, NULL, S_OK));
    hnsm_free(lb);
    assert_int_equal(hnsm_set_choice(f.inst, "LB_DELETE_LEAKS_PORT", 1), 0);
    lb = create_lb(&f, doc, S_OK);
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb, NULL, NULL, S_OK));
    hnsm_free(lb);
    hnsm_free(create_lb(&f, doc, HNSM_HCN_E_PORT_ALREADY_EXISTS));
    assert_non_null(strstr(hnsm_last_detail(), "still reserved by deleted load balancer"));
    /* Another VIP on the same port is free; a DSR LB does not leak. */
    lb = create_lb(&f, dsr, S_OK);
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb, NULL, NULL, S_OK));
    hnsm_free(lb);
    hnsm_free(create_lb(&f, dsr, S_OK));
    /* A restart frees the leaked reservation. */
    restart(&f);
    hnsm_free(create_lb(&f, doc, S_OK));
    hnsm_close(f.inst);
}

/* consumers.md 7: a frontend on the host's addresses (no FrontendVIPs) on
 * a port a host process listens on (kube-proxy's :10256 healthz server) is
 * refused; other VIPs only with HOST_SOCKET_HOLDS_EVERY_VIP. Closing the
 * socket, or a reboot (its process is gone), frees the port. */
static void host_socket_holds_its_port(void **state)
{
    (void)state;
    fixture f;
    fixture_open(&f, "ws2022");
    char on_vip[1024], on_host[1024];
    const char *a[] = {f.ep[0]};
    lb_doc(on_vip, sizeof on_vip, "20.1.1.1", 10256, 10256, a, 1, NULL);
    snprintf(on_host, sizeof on_host,
             "{\"HostComputeEndpoints\":[\"%s\"],\"PortMappings\":[{\"Protocol\":6,"
             "\"InternalPort\":10256,\"ExternalPort\":10256,\"Flags\":18}]," V2 "}",
             f.ep[0]);
    assert_int_equal(hnsm_host_socket(f.inst, 6, 10256, 1), 0);
    assert_int_equal(hnsm_host_socket(f.inst, 6, 10256, 1), 0); /* already listening */
    assert_int_equal(hnsm_host_socket(f.inst, 1, 10256, 1), HNSM_EINVAL);
    hnsm_free(create_lb(&f, on_host, HNSM_HCN_E_PORT_ALREADY_EXISTS));
    assert_non_null(strstr(hnsm_last_detail(), "held by a socket of a host process"));
    char *lb = create_lb(&f, on_vip, S_OK); /* another VIP: free by default */
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb, NULL, NULL, S_OK));
    hnsm_free(lb);
    assert_int_equal(hnsm_set_choice(f.inst, "HOST_SOCKET_HOLDS_EVERY_VIP", 1), 0);
    hnsm_free(create_lb(&f, on_vip, HNSM_HCN_E_PORT_ALREADY_EXISTS));
    assert_int_equal(hnsm_host_socket(f.inst, 6, 10256, 0), 0);
    lb = create_lb(&f, on_vip, S_OK);
    hnsm_free(call(f.inst, HNSM_LOADBALANCER, HNSM_OP_DELETE, lb, NULL, NULL, S_OK));
    hnsm_free(lb);
    assert_int_equal(hnsm_host_socket(f.inst, 6, 10256, 1), 0);
    assert_int_equal(hnsm_reboot(f.inst), 0);
    hnsm_free(create_lb(&f, on_vip, S_OK));
    hnsm_close(f.inst);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(not_applied_shows_in_v1_only),
        cmocka_unit_test(set_lb_applied_refuses_bad_arguments),
        cmocka_unit_test(modify_reprograms_a_not_applied_lb),
        cmocka_unit_test(recreate_after_restart_is_already_exists),
        cmocka_unit_test(modify_takes_a_rehydrated_lb_back),
        cmocka_unit_test(rehydrated_lb_with_lost_backends_is_degraded),
        cmocka_unit_test(backend_without_port_is_port_not_found),
        cmocka_unit_test(deleted_lb_leaks_its_port_with_the_a4_defect),
        cmocka_unit_test(host_socket_holds_its_port),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
