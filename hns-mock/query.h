/*
 * query.h - HostComputeQuery: parsing, filtering, enumeration.
 *
 * A query carries SchemaVersion (which view to render), Flags (None or
 * Detailed) and Filter, a string holding a JSON object of property/value
 * pairs; an object matches when every pair matches (hcn-api.md 1.6). Keys
 * that name an indexed column (ID, Name, VirtualNetwork, State, Flags,
 * IsDefault...) are answered by SQL on an index; any other key is compared
 * with the object's rendered property of that name (v2, then v1).
 */
#ifndef HNSM_QUERY_H
#define HNSM_QUERY_H

#include "objects.h"

typedef struct hnsm_query {
    hnsm_render render;  /* view and detail level */
    cJSON *filter;       /* the parsed Filter object, or NULL */
} hnsm_query;

/* Parses a query document (NULL or "" = the default query). */
HRESULT hnsm__query_parse(const hnsm_instance *inst, const char *text, hnsm_query *out);
void hnsm__query_free(hnsm_query *q);

/* Lists the ids of the objects of kind that match q, in creation order, as a
 * JSON array of GUID strings. */
HRESULT hnsm__enumerate(hnsm_instance *inst, hnsm_kind kind, const hnsm_query *q, cJSON **out);

#endif
