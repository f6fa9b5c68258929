/*
 * linux.c - kube-proxy on a Linux node (iptables mode, as far as Windows
 * pods feel it): every service's ClusterIP, NodePorts, external IPs and
 * load balancer ingress IPs DNAT to its ready backends, rewritten whole at
 * each sync. Backends on any node qualify, except that
 * internalTrafficPolicy Local keeps the ClusterIP's to local ones and
 * externalTrafficPolicy Local the NodePorts'. External and ingress IPs
 * take every backend whatever the policies: in-cluster traffic to them
 * takes the cluster chain.
 */
#include "k8s_internal.h"

#include <stdio.h>
#include <string.h>

#define MAX_BACKENDS 256

static void add_rule(k8s_node *n, const char *ip, const k8s_port *port, k8s_pod **pods,
                     size_t count)
{
    char text[MAX_BACKENDS][K8S_ADDR + 8];
    const char *backends[MAX_BACKENDS];
    for (size_t i = 0; i < count; i++) {
        snprintf(text[i], sizeof text[i], "%s:%u", pods[i]->ip,
                 port->target ? port->target : port->port);
        backends[i] = text[i];
    }
    net_linux_add_service(n->net, ip, ip ? port->port : port->node_port, port->protocol, backends,
                          count);
}

void k8s__linux_proxy_sync(k8s_cluster *c, k8s_node *n)
{
    net_linux_clear_services(n->net);
    k8s_pod *pods[MAX_BACKENDS];
    for (size_t i = 0; i < c->n_services; i++) {
        const k8s_service *s = &c->services[i];
        if (s->deleted)
            continue;
        size_t all = k8s__backends(c, s, s->itp_local ? n->name : NULL, pods, MAX_BACKENDS);
        for (size_t j = 0; j < s->n_ports; j++) {
            add_rule(n, s->cluster_ip, &s->ports[j], pods, all < MAX_BACKENDS ? all : MAX_BACKENDS);
            if (s->type == K8S_SVC_CLUSTER_IP && !s->n_external_ips)
                continue;
            k8s_pod *ext_pods[MAX_BACKENDS];
            size_t ext = k8s__backends(c, s, s->etp_local ? n->name : NULL, ext_pods, MAX_BACKENDS);
            if (ext > MAX_BACKENDS)
                ext = MAX_BACKENDS;
            if (s->type != K8S_SVC_CLUSTER_IP && s->ports[j].node_port)
                add_rule(n, NULL, &s->ports[j], ext_pods, ext);
            /* externalIPs and LB ingress IPs: the pods of the cluster reach
               them through every backend, whatever the ITP and ETP (iptables sends
               in-cluster traffic to the service's cluster chain; field-bugs G2,
               kubernetes #109780: Windows has no such route, Linux does). */
            k8s_pod *every[MAX_BACKENDS]; /* the cluster chain, whatever ITP and ETP */
            size_t n_every = k8s__backends(c, s, NULL, every, MAX_BACKENDS);
            for (size_t e = 0; e < s->n_external_ips; e++)
                add_rule(n, s->external_ips[e], &s->ports[j], every,
                         n_every < MAX_BACKENDS ? n_every : MAX_BACKENDS);
        }
    }
}
