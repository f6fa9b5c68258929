/*
 * backend_win.c - the backend of hcn_api.c inside computenetwork.dll: every
 * call goes to hnsd over TCP loopback (hnsd_link.h), as `call` messages of
 * docs/hnsd-protocol.md. See hns-mock/backend.h for the contract.
 */
#include "backend.h"

#include "hnsd_link.h"

/* The protocol's words for kinds and calls. */
static const char *const kind_words[HNSM_KIND_COUNT] = {
    "network", "endpoint", "namespace", "loadbalancer", "sdnroute", "guestnetworkservice"};
static const char *const op_words[HNSM_OP_COUNT] = {"enumerate", "create", "open",  "modify",
                                                    "query",     "delete", "stats", "addresses"};

HRESULT hnsm__backend_call(hnsm_kind kind, hnsm_op op, const char *id, const char *parent,
                           const char *json, char **result, char **error_record)
{
    if ((int)kind < 0 || kind >= HNSM_KIND_COUNT || (int)op < 0 || op >= HNSM_OP_COUNT)
        return E_INVALIDARG;
    return hnsd_link_call(kind_words[kind], op_words[op], id, parent, json, result, error_record);
}
