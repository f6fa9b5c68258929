/*
 * compile.h - the compiler from what HNS programmed (hns_view.h) to VFP
 * rulesets (vfp.h), one per vSwitch port of a Windows node.
 *
 * A node has three kinds of port (diagnostics.md 6, /list-vmswitch-port):
 * one per local endpoint (friendly name = a GUID), the host vNIC
 * ("Container NIC xxxxxxxx") and the physical NIC ("ExternalPort"). Each
 * gets a ruleset whose layers and groups carry the names the reference
 * quotes from real nodes (field-bugs 0.4, diagnostics.md 6), listed from the
 * container side to the switch side (lower layer priority first, so an OUT
 * packet meets them in this order and an IN packet in reverse):
 *
 *  endpoint port
 *   10 LB_DSR         LB_DSR_IPv4_OUT          lbnat, DSR load balancers
 *   20 SLB_LB_LAYER   SLB_GROUP_LB_IPv4_OUT    lbnat, other load balancers
 *   30 FW_ADMIN_LAYER FW_GROUP_IPv4_IN/_OUT    ACL, NetworkACL, TierAcl rules
 *   40 SLB_NAT_LAYER  SLB_GROUP_NAT_IPv4_IN    stateful allow of inbound flows
 *                     SLB_GROUP_NAT_IPv4_OUT   OutBoundNAT: exceptions, snat
 *   50 VNET_ROUTING_LAYER VNET_GROUP_PA_ROUTE_IPV4_OUT (LPM)
 *                                              routeencap (remote endpoints,
 *                                              REMOTESUBNETROUTE), paroute
 *                                              (SDNRoute policies)
 *  host vNIC port
 *   10 LB             LB_OUT                   LB_HOST_* lbnat (LocalRoutedVIP)
 *   20 VNET_ROUTING_LAYER VNET_GROUP_PA_ROUTE_IPV4_OUT  overlay routes, only
 *                                              for networks with HostRoute
 *  external port (IN = arriving from the physical network)
 *    1 DECAP_IN       DECAP_IN_IPv4            DECAP_VXLAN_<vni> per overlay VNI:
 *                                              the outer VXLAN packet (UDP 4789
 *                                              or VxlanPort to the node) is
 *                                              decapsulated (field-bugs E1)
 *    5 VNET_ROUTING_LAYER VNET_GROUP_PA_ROUTE_IPV4_IN   overlay routes for
 *                                              NodePort traffic to other nodes
 *   10 SLB_NAT_LAYER  SLB_GROUP_NAT_IPv4_IN    NAT_* lbnat: NodePorts,
 *                                              external VIPs, hostPorts
 *
 * Choices (where the reference is silent; each one is used in one place,
 * in compile.c, and named in rule data so traces show it):
 *
 *  | choice                          | what hnsim does                         | reference |
 *  |---------------------------------|-----------------------------------------|-----------|
 *  | where service DNAT happens      | on the client's port, before its ACLs:  | consumers.md 8 "ELB"; |
 *  |                                 | egress ACLs see the backend address,    | Calico egress rules name |
 *  |                                 | as Kubernetes policy expects            | pods, not VIPs |
 *  | non-DSR source address          | LB SourceVIP, else the node address     | consumers.md 2.4 (empty |
 *  |                                 | (L2Bridge LBs have no SourceVIP)        | on L2Bridge); kubernetes #83072 |
 *  | frontends reachable from        | NodePorts (no FrontendVIPs) and VIPs    | consumers.md 2.4 table |
 *  |  outside the node               | whose mapping has VipExternalIP (16);   | (ClusterIP flags 0, |
 *  |                                 | a ClusterIP (flags 0) is not            | ExternalIP flag 16) |
 *  | frontends reachable from the    | LocalRoutedVIP (2) only                 | field-bugs G1 |
 *  |  host itself                    |                                         |           |
 *  | ACL RuleType Host               | a host-firewall (WFP) rule: it sees     | hcn-api.md 2.10 (WFP |
 *  |                                 | only traffic between the pod and the    | vs VFP); Calico's    |
 *  |                                 | host, so its remote side is narrowed to | "allow host to       |
 *  |                                 | the node address and host vNICs; rule   | endpoint" rule       |
 *  |                                 | ids start HOST_                         | (consumers.md 4.3)   |
 *  | NetworkACL                      | merged into every endpoint's FW groups  | hcn-api.md 2.8 |
 *  | TierAcl                         | one group per tier after the plain ACL  | hcn-api.md 2.9 |
 *  |                                 | groups, in Order; Pass = next group     |           |
 *  | OutBoundNAT protocols           | TCP and UDP only; ICMP leaves with the  | field-bugs B5 ("ICMP has |
 *  |                                 | pod address                             | no outbound NAT rules") |
 *  | hostPort (PortMapping)          | DNAT only, source kept                  | field-bugs K1 |
 *  | PreserveDIP, UseMux             | printed, not modelled (plain DNAT)      | not described anywhere |
 *
 * Only IPv4 is compiled (an IPv6 LB, ACL item or endpoint is skipped and the
 * skip is counted in vfp_compile_stats). Rule ids follow the kube-proxy /
 * wcnscripts patterns of diagnostics.md 6 where one is known.
 */
#ifndef HNSIM_VFP_COMPILE_H
#define HNSIM_VFP_COMPILE_H

#include "hns_view.h"
#include "vfp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The well-known port names of a node besides its endpoints. */
#define VFP_PORT_HOST_NAME "Container NIC"
#define VFP_PORT_EXTERNAL_NAME "ExternalPort"

/* The external port's decapsulation layer and group, and the id of the
 * rule that accepts VXLAN traffic of one VNI (the walker looks it up when
 * an encapsulated packet arrives). */
#define VFP_DECAP_LAYER "DECAP_IN"
#define VFP_DECAP_GROUP "DECAP_IN_IPv4"
void vfp_decap_rule_id(uint32_t vni, char *out, size_t size);

/* Flow TTLs the compiler puts on stateful rules (seconds of virtual time). */
#define VFP_TTL_TCP 240
#define VFP_TTL_UDP 60

/* Options of one compilation. */
typedef struct vfp_compile_options {
    vfp_addr host_ip;          /* the node's address: NodePort frontends, default SNAT source */
    vfp_build_options build;   /* passed to vfp_builder_new */
    /* An endpoint port ruleset compiled from the same view and options: its
     * load-balancer groups (the same on every endpoint port of a node) are
     * shared instead of compiled again, so a node with P pods and S services
     * holds S LB rules, not P x S. Their counters are then the node's, not
     * one port's. NULL = compile them. */
    const vfp_ruleset *share_lb_groups_from;
} vfp_compile_options;

/* What one compilation skipped, for reports. */
typedef struct vfp_compile_stats {
    size_t skipped_ipv6;       /* IPv6 items not compiled */
    size_t skipped_bad_lists;  /* ACLs whose address/port/protocol text did not parse */
    size_t missing_backends;   /* LB backends naming no endpoint of the view */
} vfp_compile_stats;

/* The ruleset of local endpoint ep's port (named by its ID). stats may be
 * NULL. Returns 0, VFP_EINVAL, VFP_ENOMEM or another VFP_E* of the builder. */
int vfp_compile_endpoint(const hns_view *v, const hv_endpoint *ep, const vfp_compile_options *o,
                         vfp_ruleset **out, vfp_compile_stats *stats);

/* The ruleset of the host vNIC port. */
int vfp_compile_host(const hns_view *v, const vfp_compile_options *o, vfp_ruleset **out,
                     vfp_compile_stats *stats);

/* The ruleset of the external port. */
int vfp_compile_external(const hns_view *v, const vfp_compile_options *o, vfp_ruleset **out,
                         vfp_compile_stats *stats);

/* 1 when ep gets a vSwitch port of its own: a local endpoint with an IPv4
 * address that is not the host's vNIC (an endpoint in the HostDefault
 * namespace, such as flannel's cbr0_ep, is the host port: its traffic is
 * host traffic, field-bugs G1). */
int vfp_endpoint_has_port(const hv_endpoint *ep);

#ifdef __cplusplus
}
#endif

#endif
