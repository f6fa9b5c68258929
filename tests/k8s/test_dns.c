/*
 * test_dns.c - the pods' DNS clients (sim/k8s/dns.c): which server a pod
 * asks, and the negative cache of old Windows builds (field-bugs H1, the
 * inferred choice described in dns.c): a failure is kept for the node's
 * dns_negative_cache_ms and no longer, per name, for at most K8S_DNS_FAILED
 * names (the one that expires first makes room), emptied by a flush or a
 * new container; Linux pods and nodes without the option keep nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "k8s.h"

/* win (a 10 s negative cache, DNS settings 2 s late), win-new (no cache)
 * and lin; one pod on each, and kube-dns. Reconciled at 0 s. */
static k8s_cluster *world(void)
{
    k8s_cluster *c = k8s_cluster_new(1, K8S_MODE_HOST_GW, 4096, "10.244.0.0/16", "10.96.0.0/12",
                                     "10.0.0.0/24");
    assert_non_null(c);
    static const char *const names[] = {"win", "win-new", "lin"};
    for (int i = 0; i < 3; i++) {
        k8s_node n = {.windows = i < 2, .cni_port_mappings = 1};
        snprintf(n.name, sizeof n.name, "%s", names[i]);
        snprintf(n.ip, sizeof n.ip, "10.0.0.%d", 4 + i);
        snprintf(n.pod_cidr, sizeof n.pod_cidr, "10.244.%d.0/24", 1 + i);
        if (i == 0) {
            n.dns_negative_cache_ms = 10000;
            n.dns_config_delay_ms = 2000;
        }
        assert_non_null(k8s_add_node(c, &n));
        k8s_pod p = {0};
        snprintf(p.name, sizeof p.name, "p-%s", names[i]);
        snprintf(p.node, sizeof p.node, "%s", names[i]);
        assert_non_null(k8s_add_pod(c, &p));
    }
    k8s_pod dns = {.labels = {.n = 1}};
    snprintf(dns.name, sizeof dns.name, "coredns");
    snprintf(dns.ns, sizeof dns.ns, "kube-system");
    snprintf(dns.node, sizeof dns.node, "lin");
    snprintf(dns.labels.items[0].key, K8S_NAME, "k8s-app");
    snprintf(dns.labels.items[0].value, K8S_NAME, "kube-dns");
    assert_non_null(k8s_add_pod(c, &dns));
    k8s_service s = {.type = K8S_SVC_CLUSTER_IP, .n_ports = 1, .selector = {.n = 1}};
    snprintf(s.name, sizeof s.name, "kube-dns");
    snprintf(s.ns, sizeof s.ns, "kube-system");
    snprintf(s.selector.items[0].key, K8S_NAME, "k8s-app");
    snprintf(s.selector.items[0].value, K8S_NAME, "kube-dns");
    s.ports[0] = (k8s_port){.port = 53, .target = 53, .protocol = 17};
    assert_non_null(k8s_add_service(c, &s));
    assert_int_equal(k8s_reconcile(c), 0);
    return c;
}

static k8s_pod *pod(k8s_cluster *c, const char *name)
{
    k8s_pod *p = k8s_pod_named(c, "default", name);
    assert_non_null(p);
    return p;
}

/* The server: Linux pods ask the cluster DNS address; a Windows pod its
 * endpoint's Dns.ServerList, once dockershim wrote it. */
static void test_server(void **state)
{
    (void)state;
    k8s_cluster *c = world();
    char server[K8S_ADDR], why[256] = "";
    assert_int_equal(k8s_pod_dns_server(c, pod(c, "p-lin"), server, why, sizeof why), 0);
    assert_string_equal(server, "10.96.0.10");
    assert_int_equal(k8s_pod_dns_server(c, pod(c, "p-win-new"), server, why, sizeof why), 0);
    assert_string_equal(server, "10.96.0.10");
    assert_int_equal(k8s_pod_dns_server(c, pod(c, "p-win"), server, why, sizeof why), -1);
    assert_non_null(strstr(why, "dockershim"));
    k8s_set_clock(c, 2000);
    assert_int_equal(k8s_pod_dns_server(c, pod(c, "p-win"), server, why, sizeof why), 0);
    k8s_cluster_free(c);
}

/* A failure is kept for the node's lifetime, per name, and then forgotten. */
static void test_negative_cache_expires(void **state)
{
    (void)state;
    k8s_cluster *c = world();
    k8s_pod *p = pod(c, "p-win");
    uint64_t until = 0;
    k8s_pod_dns_failed(c, p, "web.default");
    assert_true(k8s_pod_dns_failure_cached(c, p, "web.default", &until));
    assert_int_equal(until, 10000);
    assert_false(k8s_pod_dns_failure_cached(c, p, "api.default", &until));
    k8s_set_clock(c, 9999);
    assert_true(k8s_pod_dns_failure_cached(c, p, "web.default", &until));
    k8s_set_clock(c, 10000);
    assert_false(k8s_pod_dns_failure_cached(c, p, "web.default", &until));
    /* A new failure starts a new lifetime. */
    k8s_pod_dns_failed(c, p, "web.default");
    assert_true(k8s_pod_dns_failure_cached(c, p, "web.default", &until));
    assert_int_equal(until, 20000);
    k8s_cluster_free(c);
}

/* Only the old build keeps failures: not Linux, not a node without the option. */
static void test_negative_cache_only_opted_in(void **state)
{
    (void)state;
    k8s_cluster *c = world();
    uint64_t until;
    const char *const others[] = {"p-win-new", "p-lin"};
    for (int i = 0; i < 2; i++) {
        k8s_pod_dns_failed(c, pod(c, others[i]), "web.default");
        assert_false(k8s_pod_dns_failure_cached(c, pod(c, others[i]), "web.default", &until));
    }
    k8s_cluster_free(c);
}

/* K8S_DNS_FAILED names at once: the next failure replaces the entry that
 * expires first; a flush empties the cache. */
static void test_negative_cache_room_and_flush(void **state)
{
    (void)state;
    k8s_cluster *c = world();
    k8s_pod *p = pod(c, "p-win");
    uint64_t until;
    char name[32];
    for (int i = 0; i <= K8S_DNS_FAILED; i++) {
        k8s_set_clock(c, (uint64_t)i * 100);
        snprintf(name, sizeof name, "svc%d.default", i);
        k8s_pod_dns_failed(c, p, name);
    }
    assert_false(k8s_pod_dns_failure_cached(c, p, "svc0.default", &until));
    for (int i = 1; i <= K8S_DNS_FAILED; i++) {
        snprintf(name, sizeof name, "svc%d.default", i);
        assert_true(k8s_pod_dns_failure_cached(c, p, name, &until));
    }
    k8s_pod_dns_flush(p);
    assert_false(k8s_pod_dns_failure_cached(c, p, "svc1.default", &until));
    k8s_cluster_free(c);
}

/* A rebooted node's pods start new containers: their caches are empty. */
static void test_negative_cache_new_container(void **state)
{
    (void)state;
    k8s_cluster *c = world();
    uint64_t until;
    k8s_pod_dns_failed(c, pod(c, "p-win"), "web.default");
    k8s_node_reboot(c, k8s_node_named(c, "win"));
    assert_int_equal(k8s_reconcile(c), 0);
    assert_int_equal(pod(c, "p-win")->phase, K8S_POD_RUNNING);
    assert_false(k8s_pod_dns_failure_cached(c, pod(c, "p-win"), "web.default", &until));
    k8s_cluster_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server),
        cmocka_unit_test(test_negative_cache_expires),
        cmocka_unit_test(test_negative_cache_only_opted_in),
        cmocka_unit_test(test_negative_cache_room_and_flush),
        cmocka_unit_test(test_negative_cache_new_container),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
