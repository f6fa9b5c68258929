/*
 * hns_view.h - what HNS has programmed on one node, read through the public
 * API only, as plain C data for the VFP compiler.
 *
 * ARCHITECTURE.md rule 1: the dataplane never touches hns-mock's tables. It
 * learns HNS state the way VFP does, from what HNS exposes: hns_view_take()
 * enumerates networks, endpoints, load balancers and SDN routes with
 * hnsm_call() (or through hnsd when no instance is given, the transport
 * `hnsim diag --hnsd` uses), queries each one as v2 JSON and keeps the
 * fields a packet can feel: addresses, subnets, VNI, provider addresses,
 * which endpoints are the host's own vNICs (those in the HostDefault
 * namespace, as flannel's cbr0_ep),
 * remote subnet routes, and the endpoint policies that become VFP rules
 * (ACL, TierAcl, OutBoundNAT, PortMapping, SDNRoute, ProviderAddress,
 * EncapOverhead) with their index in the object's Policies array, which the
 * rule cookies quote.
 *
 * A view is an immutable copy: taking it costs one enumerate per kind and
 * one query per object, and nothing in it changes when HNS does. Objects are
 * sorted by ID so that the same HNS state always gives the same view (and
 * the same rules, traces and bytes). Only IPv4 addresses are modelled by the
 * dataplane; an IPv6 item is kept in the text lists (ACLs) but an object
 * whose only address is IPv6 gets family 0 for it.
 */
#ifndef HNSIM_HNS_VIEW_H
#define HNSIM_HNS_VIEW_H

#include "vfp.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hnsm_instance hnsm_instance;

/* A CIDR prefix. family 0 = absent. */
typedef struct hv_prefix {
    vfp_addr addr;   /* base address */
    uint8_t length;  /* prefix length */
} hv_prefix;

/* A route: an SDNRoute endpoint policy, a subnet route or an entry of an
 * SDN route object (HostComputeRoute). */
typedef struct hv_route {
    hv_prefix destination; /* DestinationPrefix */
    vfp_addr next_hop;     /* NextHop (family 0 = on-link) */
    int need_encap;        /* NeedEncap */
    int policy_index;      /* index in the owner's Policies (-1 = not a policy) */
} hv_route;

/* Actions of ACL and TierAcl rules. */
typedef enum hv_acl_action { HV_ACL_ALLOW = 1, HV_ACL_BLOCK, HV_ACL_PASS } hv_acl_action;

/* One ACL (an `ACL` policy, a `NetworkACL` policy or one rule of a
 * `TierAcl`), with HNS's text lists kept as text (vfp_parse_*_list parses
 * them). NULL list = field absent = any. */
typedef struct hv_acl {
    char *id;               /* Id (NULL when absent) */
    hv_acl_action action;   /* Action / TierAclRuleAction */
    vfp_direction direction; /* In -> VFP_DIR_IN, Out -> VFP_DIR_OUT */
    char *protocols;        /* Protocols ("6", "6,17", "256") */
    char *local_addresses;  /* LocalAddresses */
    char *remote_addresses; /* RemoteAddresses */
    char *local_ports;      /* LocalPorts */
    char *remote_ports;     /* RemotePorts */
    int host_rule;          /* RuleType Host (1) or Switch (0, the default) */
    uint32_t priority;      /* Priority (0 when absent) */
    int policy_index;       /* index of the ACL/TierAcl/NetworkACL policy */
    int tier_order;         /* TierAcl Order, -1 for plain ACLs */
    char *tier_name;        /* TierAcl Name, NULL for plain ACLs */
} hv_acl;

/* A PortMapping endpoint policy (hostPort, inbound NAT). */
typedef struct hv_port_mapping {
    uint8_t protocol;       /* Protocol (6, 17) */
    uint16_t internal_port; /* InternalPort: the container's port */
    uint16_t external_port; /* ExternalPort: the host's port */
    vfp_addr vip;           /* VIP (family 0 = the host's addresses) */
    uint32_t flags;         /* NatFlags: 1 LocalRoutedVip, 2 IPv6, 4 ExternalPortReserved */
    int policy_index;       /* index in Policies */
} hv_port_mapping;

/* An OutBoundNAT endpoint policy. */
typedef struct hv_outbound_nat {
    vfp_addr vip;             /* VirtualIP (family 0 = the host's address) */
    hv_prefix *exceptions;    /* Exceptions: destinations not SNATed */
    size_t n_exceptions;
    hv_prefix *destinations;  /* Destinations: when present, only these are SNATed */
    size_t n_destinations;
    uint32_t flags;           /* NatFlags */
    int policy_index;         /* index in Policies */
} hv_outbound_nat;

/* A HostComputeEndpoint. */
typedef struct hv_endpoint {
    char *id;                  /* ID */
    char *name;                /* Name */
    char *network_id;          /* HostComputeNetwork */
    char *namespace_id;        /* HostComputeNamespace (NULL = not attached) */
    vfp_addr ip;               /* first IpConfigurations address (family 0 = none) */
    uint8_t prefix_length;     /* its PrefixLength */
    uint8_t mac[6];            /* MacAddress */
    int is_remote;             /* Flags bit 1 (IsRemoteEndpoint) */
    int host_vnic;             /* attached to the HostDefault namespace: the host's own vNIC */
    vfp_addr provider_address; /* ProviderAddress policy (remote endpoints, overlay) */
    uint16_t encap_overhead;   /* EncapOverhead policy (0 = none) */
    hv_acl *acls;              /* ACL and TierAcl rules, in policy order */
    size_t n_acls;
    hv_port_mapping *port_mappings;
    size_t n_port_mappings;
    hv_outbound_nat *outbound_nats;
    size_t n_outbound_nats;
    hv_route *routes;          /* SDNRoute policies, then the endpoint's Routes (-1) */
    size_t n_routes;
} hv_endpoint;

/* A RemoteSubnetRoute network policy (overlay: a peer node's pod subnet). */
typedef struct hv_remote_subnet {
    hv_prefix destination;     /* DestinationPrefix */
    uint32_t isolation_id;     /* IsolationId (the VNI) */
    vfp_addr provider_address; /* ProviderAddress of the peer */
    uint8_t dr_mac[6];         /* DistributedRouterMacAddress */
    int policy_index;          /* index in Policies */
} hv_remote_subnet;

/* A subnet of a network. */
typedef struct hv_subnet {
    hv_prefix prefix;  /* IpAddressPrefix */
    vfp_addr gateway;  /* NextHop of its 0.0.0.0/0 route (family 0 = none) */
    uint32_t vsid;     /* VSID subnet policy IsolationId (0 = none) */
} hv_subnet;

/* A HostComputeNetwork. */
typedef struct hv_network {
    char *id;                  /* ID */
    char *name;                /* Name */
    char *type;                /* Type: "NAT", "L2Bridge", "Overlay", "Transparent", ... */
    hv_subnet *subnets;        /* every subnet of every Ipams entry, in order */
    size_t n_subnets;
    vfp_addr provider_address; /* ProviderAddress policy (family 0 = none) */
    uint8_t dr_mac[6];         /* DrMacAddress policy */
    int has_dr_mac;            /* 1 when that policy is present */
    int host_route;            /* a HostRoute policy is present */
    uint16_t vxlan_port;       /* VxlanPort policy (0 = 4789) */
    hv_remote_subnet *remote_subnets;
    size_t n_remote_subnets;
    hv_acl *acls;              /* NetworkACL policies */
    size_t n_acls;
    int enable_non_persistent; /* Flags bit 8 */
} hv_network;

/* One port mapping of a load balancer. */
typedef struct hv_lb_mapping {
    uint8_t protocol;       /* Protocol */
    uint16_t internal_port; /* InternalPort: the backend port */
    uint16_t external_port; /* ExternalPort: the frontend port */
    uint32_t flags;         /* LoadBalancerPortMappingFlags: 1 ILB, 2 LocalRoutedVIP, 4 UseMux, 8 PreserveDIP */
    uint32_t distribution;  /* DistributionType: 0 none, 1 SourceIPProtocol, 2 SourceIP */
} hv_lb_mapping;

/* A HostComputeLoadBalancer. */
typedef struct hv_loadbalancer {
    char *id;               /* ID */
    char **backend_ids;     /* HostComputeEndpoints, as listed */
    size_t n_backends;
    vfp_addr *frontend_vips; /* FrontendVIPs (none = a NodePort on every host address) */
    size_t n_frontend_vips;
    vfp_addr source_vip;    /* SourceVIP (family 0 = none) */
    hv_lb_mapping *mappings; /* PortMappings */
    size_t n_mappings;
    uint32_t flags;         /* LoadBalancerFlags: 1 DSR, 2 IPv6 */
    int state;              /* State (4 = degraded) */
} hv_loadbalancer;

/* A HostComputeRoute (SDN route object). */
typedef struct hv_sdn_route {
    char *id;            /* ID */
    char **endpoint_ids; /* HostComputeEndpoints */
    size_t n_endpoints;
    hv_route *routes;    /* Setting / Routes entries */
    size_t n_routes;
} hv_sdn_route;

/* A HostComputeNamespace (only what tells a host vNIC from a pod). */
typedef struct hv_namespace {
    char *id;         /* ID */
    int host_default; /* Type HostDefault: endpoints in it are the host's vNICs */
} hv_namespace;

/* The whole view, every array sorted by ID. */
typedef struct hns_view {
    hv_network *networks;
    size_t n_networks;
    hv_endpoint *endpoints;
    size_t n_endpoints;
    hv_loadbalancer *loadbalancers;
    size_t n_loadbalancers;
    hv_sdn_route *sdn_routes;
    size_t n_sdn_routes;
    hv_namespace *namespaces;
    size_t n_namespaces;
} hns_view;

/* Reads the state of inst (or of the hnsd named by HNSIM_HNSD when inst is
 * NULL) into a new view. Returns 0, or -1 with *error set to a malloc'd
 * message (caller frees) naming the call that failed and its HRESULT. */
int hns_view_take(hnsm_instance *inst, hns_view **out, char **error);

/* Frees a view. Accepts NULL. */
void hns_view_free(hns_view *v);

/* Lookups (linear or binary; NULL when absent). */
const hv_network *hns_view_network(const hns_view *v, const char *id);
const hv_endpoint *hns_view_endpoint(const hns_view *v, const char *id);
const hv_endpoint *hns_view_endpoint_by_ip(const hns_view *v, const vfp_addr *ip);

#ifdef __cplusplus
}
#endif

#endif
