/*
 * endpoint_internal.h - what the endpoint files share: the stored row and
 * the steps of a create (v1 input, addresses, MAC, host ports). endpoint.c
 * creates, modifies and deletes; endpoint_ipam.c assigns addresses, MACs and
 * host ports; endpoint_v1.c reads v1 documents and keeps v1 attach state;
 * endpoint_render.c renders both views and the stats.
 */
#ifndef HNSM_ENDPOINT_INTERNAL_H
#define HNSM_ENDPOINT_INTERNAL_H

#include "ipaddr.h"
#include "macaddr.h"
#include "objects.h"

/* The stored row of an endpoint. */
typedef struct endpoint_row {
    char network_id[HNSM_GUID_TEXT];
    char namespace_id[HNSM_GUID_TEXT]; /* "" when in no namespace */
    uint32_t flags;
    int state;
    char port_id[HNSM_GUID_TEXT];
    cJSON *vm_port;   /* VmEndpointRequest when attached to a VM NIC */
    cJSON *v1_attach; /* v1 Host/Container attach state, or NULL */
    cJSON *doc;
} endpoint_row;

/* True when doc is a v1 HNSEndpoint rather than a HostComputeEndpoint. */
bool hnsm__endpoint_doc_is_v1(const cJSON *doc);

/* Translates a v1 endpoint document into a v2 one (not yet validated). */
HRESULT hnsm__endpoint_from_v1(const hnsm_instance *inst, const cJSON *v1, cJSON **out);

/* Validates (or allocates) the endpoint's addresses into doc and addrs. */
HRESULT hnsm__endpoint_assign_addresses(hnsm_instance *inst, const char *network_id,
                                        const cJSON *network_doc, cJSON *doc, bool remote,
                                        hnsm_ip addrs[8], int *count);

/* The requested MAC in canonical form, or the next free one of the pool. */
HRESULT hnsm__endpoint_assign_mac(hnsm_instance *inst, const char *network_id,
                                  const cJSON *network_doc, const char *asked,
                                  char mac[HNSM_MAC_TEXT]);

/* Replaces the endpoint's host port claims with its PortMapping policies'. */
HRESULT hnsm__endpoint_claim_ports(hnsm_instance *inst, const char *network_id,
                                   const char *endpoint_id, const cJSON *policies);

/* Frees what a loaded row owns. */
void hnsm__endpoint_row_free(endpoint_row *row);

/* Loads endpoint id into *row (HCN_E_ENDPOINT_NOT_FOUND when absent). */
HRESULT hnsm__endpoint_load(hnsm_instance *inst, const char *id, endpoint_row *row);

/* Writes doc, state, vm_port and v1_attach of row back. */
HRESULT hnsm__endpoint_save(hnsm_instance *inst, const char *id, const endpoint_row *row);

#endif
