/*
 * query.c - query parsing and filtered enumeration.
 */
#include "query.h"

#include "hresult.h"
#include "jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

HRESULT hnsm__query_parse(const hnsm_instance *inst, const char *text, hnsm_query *out)
{
    memset(out, 0, sizeof *out);
    bool default_v1 = hnsm__choice(inst, HNSM_CHOICE_QUERY_DEFAULT_SCHEMA_V1);
    out->render.v1 = default_v1;
    if (!text || !*text)
        return S_OK;
    cJSON *q;
    HRESULT hr = jx_parse_object(text, strlen(text), &q);
    if (FAILED(hr))
        return hr;
    const HRESULT bad = hnsm__type_error(inst);
    const cJSON *schema = NULL, *flags = cJSON_GetObjectItem(q, "Flags"),
                *filter = cJSON_GetObjectItem(q, "Filter");
    uint64_t major = 0;
    if (FAILED(hr = jx_object(q, "SchemaVersion", bad, &schema)) ||
        (schema && FAILED(hr = jx_uint(schema, "Major", 0xFFFFFFFFu, bad, &major))))
        goto done;
    if (schema)
        out->render.v1 = major < 2;
    static const jx_enum_entry query_flags[] = {{"None", 0}, {"Detailed", 1}, {NULL, 0}};
    int f = 0;
    if (flags && !cJSON_IsNull(flags) && !jx_enum_value(flags, query_flags, &f)) {
        hr = hnsm__detail(bad, "query Flags must be None (0) or Detailed (1)");
        goto done;
    }
    out->render.detailed = f == 1;
    if (cJSON_IsString(filter) && filter->valuestring[0]) {
        if (FAILED(hr = jx_parse_object(filter->valuestring, strlen(filter->valuestring),
                                        &out->filter)))
            goto done;
    } else if (cJSON_IsObject(filter)) {
        out->filter = cJSON_Duplicate(filter, 1);
    } else if (filter && !cJSON_IsNull(filter) && !cJSON_IsString(filter)) {
        hr = hnsm__detail(bad, "query Filter must be a string holding a JSON object");
        goto done;
    }
done:
    cJSON_Delete(q);
    return hr;
}

void hnsm__query_free(hnsm_query *q)
{
    cJSON_Delete(q->filter);
    q->filter = NULL;
}

/* How one filter key maps onto SQL for a kind. */
typedef enum column_kind { COL_GUID, COL_TEXT, COL_INT, COL_FLAGS, COL_BOOL_BIT,
                           COL_NETWORK_NAME, COL_IS_DEFAULT } column_kind;

typedef struct filter_column {
    const char *key;      /* filter key (matched case-insensitively) */
    const char *column;   /* SQL column */
    column_kind kind;
} filter_column;

static const filter_column network_columns[] = {
    {"ID", "id", COL_GUID}, {"Name", "name", COL_TEXT}, {"Flags", "flags", COL_FLAGS},
    {NULL, NULL, COL_INT}};
static const filter_column endpoint_columns[] = {
    {"ID", "id", COL_GUID},
    {"Name", "name", COL_TEXT},
    {"VirtualNetwork", "network_id", COL_GUID},
    {"HostComputeNetwork", "network_id", COL_GUID},
    {"HostComputeNamespace", "namespace_id", COL_GUID},
    {"VirtualNetworkName", "network_id", COL_NETWORK_NAME},
    {"State", "state", COL_INT},
    {"Flags", "flags", COL_FLAGS},
    {"IsRemoteEndpoint", "flags", COL_BOOL_BIT},
    {"MacAddress", "mac", COL_TEXT},
    {NULL, NULL, COL_INT}};
static const filter_column namespace_columns[] = {
    {"ID", "id", COL_GUID}, {"IsDefault", "type", COL_IS_DEFAULT},
    {"NamespaceId", "compartment", COL_INT}, {"CompartmentId", "compartment", COL_INT},
    {NULL, NULL, COL_INT}};

/* Objects of the other kinds are filtered by ID only (hcn-api.md 1.6). */
static const filter_column id_columns[] = {{"ID", "id", COL_GUID}, {NULL, NULL, COL_INT}};

static const char *table_of(hnsm_kind kind)
{
    switch (kind) {
    case HNSM_NETWORK:
        return "networks";
    case HNSM_ENDPOINT:
        return "endpoints";
    case HNSM_NAMESPACE:
        return "namespaces";
    case HNSM_LOADBALANCER:
        return "loadbalancers";
    case HNSM_SDNROUTE:
        return "sdnroutes";
    case HNSM_GUESTNETWORKSERVICE:
        return "guest_network_services";
    default:
        return NULL;
    }
}

static const filter_column *columns_of(hnsm_kind kind)
{
    switch (kind) {
    case HNSM_NETWORK:
        return network_columns;
    case HNSM_ENDPOINT:
        return endpoint_columns;
    case HNSM_NAMESPACE:
        return namespace_columns;
    default:
        return id_columns;
    }
}

/* A filter value bound to a placeholder. Text values point into the
 * filter (which outlives the statement), or at guid for a canonical GUID. */
typedef struct bound {
    const char *text;
    char guid[HNSM_GUID_TEXT];
    int64_t number;
} bound;

/* Adds the SQL condition for one key; returns false if the key is not
 * indexed (it is then checked on the rendered object), and sets *never when
 * the value can match nothing (wrong type). */
static bool add_condition(const hnsm_instance *inst, const filter_column *c, const cJSON *value,
                          char *sql, size_t size, bound *b, int index, bool *never)
{
    char cond[256];
    switch (c->kind) {
    case COL_GUID:
        if (!cJSON_IsString(value) || !hnsm__guid_canonical(value->valuestring, b->guid)) {
            *never = true;
            return true;
        }
        b->text = b->guid;
        snprintf(cond, sizeof cond, " AND %s = ?%d", c->column, index);
        break;
    case COL_TEXT:
        if (!cJSON_IsString(value)) {
            *never = true;
            return true;
        }
        b->text = value->valuestring;
        snprintf(cond, sizeof cond, " AND %s = ?%d%s", c->column, index,
                 hnsm__choice(inst, HNSM_CHOICE_FILTER_NAME_CASE_SENSITIVE) ? ""
                                                                            : " COLLATE NOCASE");
        break;
    case COL_NETWORK_NAME:
        if (!cJSON_IsString(value)) {
            *never = true;
            return true;
        }
        b->text = value->valuestring;
        snprintf(cond, sizeof cond,
                 " AND network_id IN (SELECT id FROM networks WHERE name = ?%d%s)", index,
                 hnsm__choice(inst, HNSM_CHOICE_FILTER_NAME_CASE_SENSITIVE) ? ""
                                                                            : " COLLATE NOCASE");
        break;
    case COL_INT:
    case COL_FLAGS:
        if (!cJSON_IsNumber(value)) {
            *never = true;
            return true;
        }
        b->number = (int64_t)value->valuedouble;
        if (c->kind == COL_FLAGS && !hnsm__choice(inst, HNSM_CHOICE_FILTER_FLAGS_EXACT))
            snprintf(cond, sizeof cond, " AND (%s & ?%d) = ?%d", c->column, index, index);
        else
            snprintf(cond, sizeof cond, " AND %s = ?%d", c->column, index);
        break;
    case COL_BOOL_BIT:
        if (!cJSON_IsBool(value)) {
            *never = true;
            return true;
        }
        b->number = 0;
        snprintf(cond, sizeof cond, " AND (%s & 1) %s 0", c->column,
                 cJSON_IsTrue(value) ? "<>" : "=");
        break;
    case COL_IS_DEFAULT:
        if (!cJSON_IsBool(value)) {
            *never = true;
            return true;
        }
        snprintf(cond, sizeof cond, " AND %s %s (1, 3)", c->column,
                 cJSON_IsTrue(value) ? "IN" : "NOT IN");
        break;
    }
    strncat(sql, cond, size - strlen(sql) - 1);
    return true;
}

/* Renders object id of kind in the given view, detailed. */
static HRESULT render_any(hnsm_instance *inst, hnsm_kind kind, const char *id, bool v1, cJSON **out)
{
    hnsm_render how = {v1, true};
    return hnsm__render_object(inst, kind, id, &how, out);
}

/* Compares a filter value with a rendered property; GUID strings compare
 * without regard to case. */
static bool property_matches(const cJSON *have, const cJSON *want)
{
    if (!have)
        return false;
    char a[HNSM_GUID_TEXT], b[HNSM_GUID_TEXT];
    if (cJSON_IsString(have) && cJSON_IsString(want) &&
        hnsm__guid_canonical(have->valuestring, a) && hnsm__guid_canonical(want->valuestring, b))
        return strcmp(a, b) == 0;
    return jx_equal(have, want);
}

/* Checks the non-indexed filter keys against the object's rendered views. */
static HRESULT residual_matches(hnsm_instance *inst, hnsm_kind kind, const char *id,
                                const cJSON *residual, bool *match)
{
    cJSON *views[2] = {NULL, NULL};
    HRESULT hr = render_any(inst, kind, id, false, &views[0]);
    if (SUCCEEDED(hr))
        hr = render_any(inst, kind, id, true, &views[1]);
    *match = true;
    const cJSON *pair;
    cJSON_ArrayForEach(pair, residual)
    {
        if (FAILED(hr))
            break;
        bool any = property_matches(cJSON_GetObjectItem(views[0], pair->string), pair) ||
                   property_matches(cJSON_GetObjectItem(views[1], pair->string), pair);
        if (!any) {
            *match = false;
            break;
        }
    }
    cJSON_Delete(views[0]);
    cJSON_Delete(views[1]);
    return hr;
}

HRESULT hnsm__enumerate(hnsm_instance *inst, hnsm_kind kind, const hnsm_query *q, cJSON **out)
{
    const char *table = table_of(kind);
    if (!table)
        return hnsm__detail(HNSM_E_INVALIDARG, "unknown object kind");
    char sql[2048];
    snprintf(sql, sizeof sql, "SELECT id FROM %s WHERE 1", table);
    bound binds[32];
    int nbinds = 0;
    bool never = false;
    cJSON *residual = cJSON_CreateObject();
    const cJSON *pair;
    cJSON_ArrayForEach(pair, q->filter)
    {
        const filter_column *c = columns_of(kind);
        while (c->key && strcasecmp(c->key, pair->string) != 0)
            c++;
        if (c->key && nbinds < 32) {
            memset(&binds[nbinds], 0, sizeof binds[nbinds]);
            add_condition(inst, c, pair, sql, sizeof sql, &binds[nbinds], nbinds + 1, &never);
            nbinds++;
        } else {
            cJSON_AddItemToObject(residual, pair->string, cJSON_Duplicate(pair, 1));
        }
    }
    strncat(sql, " ORDER BY seq", sizeof sql - strlen(sql) - 1);
    cJSON *list = cJSON_CreateArray();
    HRESULT hr = S_OK;
    if (!never) {
        sqlite3_stmt *st = hnsm__stmt_text(inst, sql);
        if (!st) {
            hr = hnsm__sql_error(inst, SQLITE_ERROR);
            goto done;
        }
        for (int i = 0; i < nbinds; i++) {
            if (binds[i].text)
                sqlite3_bind_text(st, i + 1, binds[i].text, -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_int64(st, i + 1, binds[i].number);
        }
        /* Collect ids first: the residual check renders, which uses other statements. */
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            cJSON_AddItemToArray(list, cJSON_CreateString((const char *)sqlite3_column_text(st, 0)));
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            hr = hnsm__sql_error(inst, rc);
            goto done;
        }
    }
    cJSON *item = list->child;
    while (item) {
        cJSON *next = item->next;
        bool keep = true;
        if (residual->child && FAILED(hr = residual_matches(inst, kind, item->valuestring,
                                                            residual, &keep)))
            goto done;
        if (!keep) {
            cJSON_Delete(cJSON_DetachItemViaPointer(list, item));
        } else {
            char g[HNSM_GUID_TEXT];
            hnsm__render_guid(inst, item->valuestring, g);
            cJSON_SetValuestring(item, g);
        }
        item = next;
    }
done:
    cJSON_Delete(residual);
    if (FAILED(hr)) {
        cJSON_Delete(list);
        return hr;
    }
    *out = list;
    return S_OK;
}
