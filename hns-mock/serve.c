/*
 * serve.c - what each hnsd protocol message does (docs/hnsd-protocol.md).
 *
 * `call` and `hnscall` are hnsm_call and hnsm_hnscall verbatim; `control`
 * maps its actions onto the mock-control API. Every reply carries the
 * request's id and an HRESULT; malformed requests are answered with
 * E_INVALIDARG and, when the stream can no longer be trusted, a close.
 */
#include "serve.h"

#include "gns.h"
#include "hresult.h"
#include "jsonx.h"
#include "wire.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const kind_words[HNSM_KIND_COUNT] = {
    "network", "endpoint", "namespace", "loadbalancer", "sdnroute", "guestnetworkservice"};
static const char *const op_words[HNSM_OP_COUNT] = {"enumerate", "create", "open",  "modify",
                                                    "query",     "delete", "stats", "addresses"};

static int word_index(const char *word, const char *const *words, int n)
{
    for (int i = 0; word && i < n; i++)
        if (strcasecmp(word, words[i]) == 0)
            return i;
    return -1;
}

static const char *string_field(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Constant-time comparison, so the token cannot be guessed by timing. */
static bool token_matches(const char *given, const char *token)
{
    size_t a = given ? strlen(given) : 0, b = strlen(token);
    unsigned diff = (unsigned)(a ^ b);
    for (size_t i = 0; i < b; i++)
        diff |= (unsigned)((i < a ? (unsigned char)given[i] : 0) ^ (unsigned char)token[i]);
    return diff == 0 && given;
}

static double number_field(const cJSON *obj, const char *key, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

/* Adds "hr" and optional strings to reply. */
static void put_result(cJSON *reply, HRESULT hr)
{
    cJSON_AddNumberToObject(reply, "hr", (double)hr);
}

static void put_string(cJSON *reply, const char *key, const char *value)
{
    if (value)
        cJSON_AddStringToObject(reply, key, value);
}

static HRESULT do_call(hnsm_instance *inst, const cJSON *req, cJSON *reply)
{
    int kind = word_index(string_field(req, "kind"), kind_words, HNSM_KIND_COUNT);
    int op = word_index(string_field(req, "call"), op_words, HNSM_OP_COUNT);
    if (kind < 0 || op < 0)
        return HNSM_E_INVALIDARG;
    char *result = NULL, *record = NULL;
    HRESULT hr = hnsm_call(inst, (hnsm_kind)kind, (hnsm_op)op, string_field(req, "object"),
                           string_field(req, "parent"), string_field(req, "json"), &result,
                           &record);
    put_string(reply, "result", result);
    put_string(reply, "error", record);
    hnsm_free(result);
    hnsm_free(record);
    return hr;
}

/* Remembers / forgets a reservation number held by the session. */
static bool session_add(hnsm_serve_session *session, int64_t number)
{
    int64_t *grown = realloc(session->reservations,
                             (session->reservation_count + 1) * sizeof *grown);
    if (!grown)
        return false;
    grown[session->reservation_count++] = number;
    session->reservations = grown;
    return true;
}

static bool session_remove(hnsm_serve_session *session, int64_t number)
{
    for (size_t i = 0; i < session->reservation_count; i++) {
        if (session->reservations[i] == number) {
            session->reservations[i] = session->reservations[--session->reservation_count];
            return true;
        }
    }
    return false;
}

static HRESULT do_reservation(hnsm_instance *inst, hnsm_serve_session *session, const cJSON *req,
                              cJSON *reply)
{
    const char *action = string_field(req, "action");
    const cJSON *number_item = cJSON_GetObjectItemCaseSensitive(req, "number");
    if (!action)
        return HNSM_E_INVALIDARG;
    int64_t number = 0;
    HRESULT hr;
    if (strcmp(action, "port") == 0 || strcmp(action, "range") == 0) {
        const char *gns = string_field(req, "gns");
        if (!gns)
            return HNSM_E_INVALIDARG;
        if (action[0] == 'p') {
            hr = hnsm__gns_reserve_port(inst, gns, (int)number_field(req, "protocol", 0),
                                        (int)number_field(req, "access", 0),
                                        (unsigned)number_field(req, "port", 0), &number);
        } else {
            uint16_t start = 0, end = 0;
            hr = hnsm__gns_reserve_range(inst, gns, (unsigned)number_field(req, "count", 0), &start,
                                         &end, &number);
            cJSON_AddNumberToObject(reply, "start", start);
            cJSON_AddNumberToObject(reply, "end", end);
        }
        if (SUCCEEDED(hr) && !session_add(session, number)) {
            hnsm__gns_release_reservation(inst, number);
            hr = HNSM_E_OUTOFMEMORY;
        }
        if (SUCCEEDED(hr))
            cJSON_AddNumberToObject(reply, "number", (double)number);
        return hr;
    }
    if (strcmp(action, "release") == 0) {
        /* Only the connection that made a reservation holds its handle. */
        if (!cJSON_IsNumber(number_item) ||
            !session_remove(session, (int64_t)number_item->valuedouble))
            return HNSM_E_HANDLE;
        return hnsm__gns_release_reservation(inst, (int64_t)number_item->valuedouble);
    }
    if (strcmp(action, "list") == 0) {
        hnsm_port_reservation *list = NULL;
        size_t count = 0;
        if (FAILED(hr = hnsm__gns_list_reservations(inst, &list, &count)))
            return hr;
        cJSON *entries = cJSON_AddArrayToObject(reply, "entries");
        for (size_t i = 0; i < count; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddNumberToObject(e, "number", (double)list[i].number);
            cJSON_AddStringToObject(e, "gns", list[i].gns_id);
            cJSON_AddStringToObject(e, "vm", list[i].vm_id);
            cJSON_AddNumberToObject(e, "protocol", list[i].protocol);
            cJSON_AddNumberToObject(e, "access", list[i].access);
            cJSON_AddNumberToObject(e, "start", list[i].start_port);
            cJSON_AddNumberToObject(e, "end", list[i].end_port);
            cJSON_AddItemToArray(entries, e);
        }
        free(list);
        return S_OK;
    }
    return HNSM_E_INVALIDARG;
}

void hnsm__serve_session_end(hnsm_instance *inst, hnsm_serve_session *session)
{
    for (size_t i = 0; i < session->reservation_count; i++)
        hnsm__gns_release_reservation(inst, session->reservations[i]);
    free(session->reservations);
    session->reservations = NULL;
    session->reservation_count = 0;
}

static HRESULT do_hnscall(hnsm_instance *inst, const cJSON *req, cJSON *reply)
{
    char *response = NULL;
    HRESULT hr = hnsm_hnscall(inst, string_field(req, "method"), string_field(req, "path"),
                              string_field(req, "body") ? string_field(req, "body") : "",
                              &response);
    put_string(reply, "response", response);
    hnsm_free(response);
    return hr;
}

/* Maps a control-API int result (0 / HNSM_E*) to an HRESULT. */
static HRESULT control_hr(int err)
{
    return err == 0 ? S_OK : err == HNSM_ENOENT ? HNSM_HRESULT_ERROR_NOT_FOUND : HNSM_E_INVALIDARG;
}

static HRESULT do_control(hnsm_instance *inst, const cJSON *req, cJSON *reply)
{
    const char *action = string_field(req, "action");
    if (!action)
        return HNSM_E_INVALIDARG;
    if (strcmp(action, "restart") == 0) {
        const char *mode = string_field(req, "mode");
        return control_hr(hnsm_restart(inst, mode && strcmp(mode, "crash-wipe") == 0
                                                 ? HNSM_RESTART_CRASH_WIPE
                                                 : HNSM_RESTART_SERVICE));
    }
    if (strcmp(action, "reboot") == 0)
        return control_hr(hnsm_reboot(inst));
    if (strcmp(action, "fault_add") == 0) {
        const char *mode = string_field(req, "mode");
        hnsm_fault f = {
            .api = string_field(req, "api"),
            .hr = (HRESULT)(int64_t)number_field(req, "hr", (double)HNSM_E_FAIL),
            .mode = !mode || strcmp(mode, "nth") == 0 ? HNSM_FAULT_NTH
                    : strcmp(mode, "from_nth") == 0   ? HNSM_FAULT_FROM_NTH
                                                      : HNSM_FAULT_PROBABILITY,
            .nth = (uint32_t)number_field(req, "nth", 1),
            .probability = number_field(req, "probability", 0),
        };
        if (!f.api)
            return HNSM_E_INVALIDARG;
        return control_hr(hnsm_fault_add(inst, &f));
    }
    if (strcmp(action, "fault_clear") == 0)
        return control_hr(hnsm_fault_clear(inst));
    if (strcmp(action, "call_count") == 0) {
        const char *api = string_field(req, "api");
        if (!api)
            return HNSM_E_INVALIDARG;
        cJSON_AddNumberToObject(reply, "count", (double)hnsm_call_count(inst, api));
        return S_OK;
    }
    if (strcmp(action, "set_profile") == 0)
        return control_hr(hnsm_set_profile(inst, string_field(req, "profile")));
    if (strcmp(action, "set_choice") == 0)
        return control_hr(hnsm_set_choice(inst, string_field(req, "name"),
                                          (int)number_field(req, "value", 0)));
    if (strcmp(action, "clock") == 0) {
        cJSON_AddNumberToObject(reply, "ms", (double)hnsm_clock_ms(inst));
        return S_OK;
    }
    if (strcmp(action, "clock_advance") == 0) {
        hnsm_clock_advance(inst, (uint64_t)number_field(req, "ms", 0));
        cJSON_AddNumberToObject(reply, "ms", (double)hnsm_clock_ms(inst));
        return S_OK;
    }
    if (strcmp(action, "set_latency") == 0)
        return control_hr(hnsm_set_latency(inst, (int)number_field(req, "enabled", 0),
                                           number_field(req, "scale", 1.0)));
    if (strcmp(action, "drop_object") == 0) {
        int kind = word_index(string_field(req, "kind"), kind_words, HNSM_KIND_COUNT);
        if (kind < 0)
            return HNSM_E_INVALIDARG;
        return control_hr(hnsm_drop_object(inst, (hnsm_kind)kind, string_field(req, "object")));
    }
    if (strcmp(action, "set_lb_applied") == 0)
        return control_hr(hnsm_set_lb_applied(inst, string_field(req, "object"),
                                              (int)number_field(req, "applied", 1)));
    return HNSM_E_INVALIDARG;
}

char *hnsm__serve(hnsm_instance *inst, hnsm_serve_session *session, const char *token,
                  const char *frame, size_t len, hnsm_serve_action *action)
{
    *action = HNSM_SERVE_REPLY;
    cJSON *req = NULL;
    cJSON *reply = cJSON_CreateObject();
    HRESULT hr;
    if (FAILED(jx_parse_object(frame, len, &req))) {
        /* A frame that is not JSON: the stream cannot be trusted any more. */
        *action = HNSM_SERVE_CLOSE;
        put_result(reply, HNSM_E_INVALIDARG);
        goto done;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
    if (cJSON_IsNumber(id))
        cJSON_AddNumberToObject(reply, "id", id->valuedouble);
    const char *op = string_field(req, "op");
    if (!op) {
        *action = HNSM_SERVE_CLOSE;
        hr = HNSM_E_INVALIDARG;
    } else if (strcmp(op, "hello") == 0) {
        if (session->require_token && (!token || !token_matches(string_field(req, "token"), token))) {
            hr = HNSM_E_INVALIDARG; /* wrong or missing token: refused and closed */
            *action = HNSM_SERVE_CLOSE;
        } else {
            session->authenticated = true;
            unsigned major, minor;
            hnsm_version(inst, &major, &minor);
            cJSON_AddNumberToObject(reply, "protocol", HNSM_WIRE_VERSION);
            cJSON_AddStringToObject(reply, "profile", hnsm_profile_name(inst));
            cJSON *v = cJSON_AddObjectToObject(reply, "version");
            cJSON_AddNumberToObject(v, "Major", major);
            cJSON_AddNumberToObject(v, "Minor", minor);
            hr = S_OK;
        }
    } else if (!session->authenticated) {
        hr = HNSM_E_INVALIDARG; /* TCP clients must authenticate first */
        *action = HNSM_SERVE_CLOSE;
    } else if (strcmp(op, "call") == 0) {
        hr = do_call(inst, req, reply);
    } else if (strcmp(op, "hnscall") == 0) {
        hr = do_hnscall(inst, req, reply);
    } else if (strcmp(op, "control") == 0) {
        hr = do_control(inst, req, reply);
    } else if (strcmp(op, "reservation") == 0) {
        hr = do_reservation(inst, session, req, reply);
    } else if (strcmp(op, "subscribe") == 0) {
        *action = HNSM_SERVE_SUBSCRIBE;
        hr = S_OK;
    } else if (strcmp(op, "unsubscribe") == 0) {
        *action = HNSM_SERVE_UNSUBSCRIBE;
        hr = S_OK;
    } else {
        hr = HNSM_E_INVALIDARG;
    }
    put_result(reply, hr);
done:
    cJSON_Delete(req);
    char *text = jx_print(reply);
    cJSON_Delete(reply);
    return text;
}

char *hnsm__serve_event(uint32_t type, const char *data)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON *event = cJSON_AddObjectToObject(msg, "event");
    cJSON_AddNumberToObject(event, "type", type);
    cJSON_AddStringToObject(event, "data", data ? data : "");
    char *text = jx_print(msg);
    cJSON_Delete(msg);
    return text;
}
