/*
 * k8s_internal.h - what the controller models of sim/k8s share: address
 * arithmetic on CIDRs and the per-controller entry points k8s_reconcile()
 * runs in order. Internal non-static names are k8s__*.
 */
#ifndef HNSIM_K8S_INTERNAL_H
#define HNSIM_K8S_INTERNAL_H

#include "hcn_client.h"
#include "k8s.h"

#include <stdbool.h>

/* Appends one zeroed element to the array at *array_ptr (a pointer to the
 * array pointer) of *n elements of size bytes; returns it or NULL. */
void *k8s__append(void *array_ptr, size_t *n, size_t size);

/* A controller log line "<node> <component>: <text>" (k8s_log). */
void k8s__node_log(k8s_cluster *c, const k8s_node *n, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The address host number `host` of cidr ("10.244.1.0/24", 2 -> "10.244.1.2").
 * Returns 0, or -1 when cidr does not parse or host is outside it. */
int k8s__cidr_host(const char *cidr, unsigned host, char out[K8S_ADDR]);

/* 1 when ip lies in cidr. */
bool k8s__cidr_contains(const char *cidr, const char *ip);

/* flannel.c: the node's network, bridge/host endpoint and routes. Returns
 * 0 when the node's CNI can run: a NAT network exists, or flanneld has
 * written its subnet.env (a first successful start). */
int k8s__flannel_sync(k8s_cluster *c, k8s_node *n);
/* parallel.c: one reconcile step per node - on several threads when
 * may_thread - with the log and results of a sequential run in node
 * order. */
typedef int (*k8s__node_step)(k8s_cluster *c, k8s_node *n, void *arg);
int k8s__for_each_node(k8s_cluster *c, k8s__node_step step, void *arg, bool may_thread);

/* Log lines written while a node step runs on a worker thread. */
typedef struct k8s_log_buffer {
    char **lines;
    size_t n;
} k8s_log_buffer;
/* The calling thread's buffer during a node step, else NULL (parallel.c). */
k8s_log_buffer *k8s__log_sink(void);
/* Appends a malloc'd line to the cluster log, taking it over (cluster.c). */
void k8s__log_append(k8s_cluster *c, char *line);

/* ipam.c: host-local IPAM of the node's pod CIDR. allocate gives the next
 * free address (-1 when the range is exhausted); release frees one;
 * range names the range for messages. */
int k8s__ipam_allocate(k8s_node *n, char out[K8S_ADDR]);
void k8s__ipam_release(k8s_node *n, const char *ip);
void k8s__ipam_range(const k8s_node *n, char first[K8S_ADDR], char last[K8S_ADDR]);

/* flannel.c: flanneld's start alone (network, management IP, lease), run
 * on every node before any node syncs, so each sync sees every lease that
 * is published by then - the lease watch, without its delay. */
void k8s__flannel_start(k8s_cluster *c, k8s_node *n);

/* cni.c: CNI ADD / DEL of one pod on its (Windows or Linux) node. Return 0
 * when done; -1 leaves the pod as it was (kubelet retries). */
int k8s__cni_add(k8s_cluster *c, k8s_node *n, k8s_pod *p);
int k8s__cni_del(k8s_cluster *c, k8s_node *n, k8s_pod *p);

/* linux.c: kube-proxy's service rules on a Linux node, rewritten whole. */
void k8s__linux_proxy_sync(k8s_cluster *c, k8s_node *n);

/* The indexes (in c->pods) of the pods of any phase whose namespace and
 * labels service s selects, in pod order; *n of them. Computed once per
 * change of the pod or service lists, not per node and sync. */
const size_t *k8s__selected_pods(k8s_cluster *c, const k8s_service *s, size_t *n);

/* The ready, running backends of service s for port index i: pods whose
 * labels the selector matches. local_to limits them to one node (NULL =
 * all). Fills out (up to max) and returns how many there are. */
size_t k8s__backends(k8s_cluster *c, const k8s_service *s, const char *local_to, k8s_pod **out,
                     size_t max);

#endif
