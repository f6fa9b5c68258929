/*
 * walk_format.c - a walk as text for people and as JSON for programs.
 *
 * Text: the packet, one numbered line per step ("node / at / layer / group /
 * rule: action") with the HNS object and what happened indented below, each
 * rewrite, then the verdict line. JSON (cJSON): verdict, reason (a stable
 * lower-case name), detail, from, to (ip, port, kind, node, name), input and
 * output packets, and the ordered steps. Both depend only on the walk, so
 * the same script and seed give the same bytes.
 */
#include "net_internal.h"
#include "vfp_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[] = {
#define NET_REASON_NAME(name, text) #name,
    NET_REASON_MAP(NET_REASON_NAME)
#undef NET_REASON_NAME
};

static const char *const reason_texts[] = {
#define NET_REASON_TEXT(name, text) text,
    NET_REASON_MAP(NET_REASON_TEXT)
#undef NET_REASON_TEXT
};

#define N_REASONS (sizeof reason_names / sizeof reason_names[0])

const char *net_reason_name(net_reason r)
{
    static char lower[N_REASONS][32];
    if ((size_t)r >= N_REASONS)
        return "unknown";
    if (!lower[r][0]) { /* filled once; the same bytes every time */
        size_t i = 0;
        for (; reason_names[r][i] && i + 1 < sizeof lower[r]; i++) {
            char ch = reason_names[r][i];
            lower[r][i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
        }
        lower[r][i] = 0;
    }
    return lower[r];
}

int net_reason_named(const char *name)
{
    for (size_t r = 0; name && r < N_REASONS; r++)
        if (!strcmp(name, net_reason_name((net_reason)r)))
            return 1;
    return 0;
}

const char *net_reason_text(net_reason r)
{
    return (size_t)r < N_REASONS ? reason_texts[r] : "unknown";
}

const char *net_verdict_name(net_verdict v)
{
    return v == NET_DELIVERED ? "delivered" : v == NET_FORWARDED ? "forwarded" : "dropped";
}

static const char *place_kind(net_place_kind k)
{
    return k == NET_PLACE_POD ? "pod" : k == NET_PLACE_HOST ? "host" : k == NET_PLACE_EXTERNAL ? "external" : "none";
}

/* "tcp 10.0.0.1:1234 -> 10.0.0.2:80 (100 bytes)": vfp_packet_format without
 * the direction, which means nothing across ports. */
static void packet_text(const vfp_packet *p, char *out, size_t size)
{
    char text[VFP_PACKET_TEXT];
    vfp_packet_format(p, text);
    const char *space = strchr(text, ' ');
    snprintf(out, size, "%s", space ? space + 1 : text);
}

/* ---------------------------------------------------------------------------
 * Text
 */

/* The text buffer of sim/vfp's outputs. */
typedef vfp__buf buf;
#define put vfp__buf_printf

static int finish(buf *b, char **out)
{
    if (b->failed) {
        free(b->text);
        *out = NULL;
        return -1;
    }
    *out = b->text ? b->text : strdup("");
    return *out ? 0 : -1;
}

static void place_text(buf *b, const char *label, const net_place *p)
{
    char ip[VFP_ADDR_TEXT] = "-";
    if (p->ip.family)
        vfp_addr_format(&p->ip, ip);
    put(b, "%s: %s %s%s%s%s%s%s (%s:%u)\n", label, place_kind(p->kind), p->node,
        p->node[0] ? " " : "", p->label, p->label[0] ? " [" : "", p->name, p->label[0] ? "]" : "",
        ip, p->port);
}

int net_walk_format_text(const net_walk *w, char **out)
{
    buf b = {0};
    char pkt[VFP_PACKET_TEXT];
    packet_text(&w->input, pkt, sizeof pkt);
    put(&b, "packet: %s\n", pkt);
    place_text(&b, "from", &w->from);
    for (size_t i = 0; i < w->n_steps; i++) {
        const net_step *s = &w->steps[i];
        put(&b, "%3zu  %s / %s", i + 1, s->node[0] ? s->node : "-", s->at);
        if (s->layer[0])
            put(&b, " / %s / %s", s->layer, s->group[0] ? s->group : "-");
        if (s->rule[0])
            put(&b, " / %s", s->rule);
        put(&b, ": %s\n", s->action);
        if (s->object[0]) {
            put(&b, "       object: %s", s->object);
            if (s->policy >= 0)
                put(&b, " Policies[%d]", s->policy);
            put(&b, "\n");
        }
        if (s->note[0])
            put(&b, "       %s\n", s->note);
        if (s->rewrote) {
            packet_text(&s->packet, pkt, sizeof pkt);
            put(&b, "       rewrite: %s\n", pkt);
        }
    }
    put(&b, "verdict: %s (%s)\n", net_verdict_name(w->verdict), w->detail);
    if (w->verdict != NET_DROPPED)
        place_text(&b, "to", &w->to);
    packet_text(&w->output, pkt, sizeof pkt);
    put(&b, "output: %s\n", pkt);
    return finish(&b, out);
}

/* ---------------------------------------------------------------------------
 * JSON
 */

static cJSON *place_json(const net_place *p)
{
    cJSON *o = cJSON_CreateObject();
    char ip[VFP_ADDR_TEXT] = "";
    if (p->ip.family)
        vfp_addr_format(&p->ip, ip);
    cJSON_AddStringToObject(o, "kind", place_kind(p->kind));
    cJSON_AddStringToObject(o, "node", p->node);
    cJSON_AddStringToObject(o, "name", p->name);
    if (p->label[0])
        cJSON_AddStringToObject(o, "label", p->label);
    cJSON_AddStringToObject(o, "ip", ip);
    cJSON_AddNumberToObject(o, "port", p->port);
    return o;
}

static cJSON *packet_json(const vfp_packet *p)
{
    cJSON *o = cJSON_CreateObject();
    char a[VFP_ADDR_TEXT];
    cJSON_AddNumberToObject(o, "protocol", p->protocol);
    vfp_addr_format(&p->src, a);
    cJSON_AddStringToObject(o, "src", a);
    cJSON_AddNumberToObject(o, "src_port", p->src_port);
    vfp_addr_format(&p->dst, a);
    cJSON_AddStringToObject(o, "dst", a);
    cJSON_AddNumberToObject(o, "dst_port", p->dst_port);
    cJSON_AddNumberToObject(o, "size", p->size);
    return o;
}

static void add_nonempty(cJSON *o, const char *key, const char *value)
{
    if (value[0])
        cJSON_AddStringToObject(o, key, value);
}

static cJSON *step_json(const net_step *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "node", s->node);
    cJSON_AddStringToObject(o, "at", s->at);
    add_nonempty(o, "layer", s->layer);
    add_nonempty(o, "group", s->group);
    add_nonempty(o, "rule", s->rule);
    cJSON_AddStringToObject(o, "action", s->action);
    add_nonempty(o, "object", s->object);
    if (s->policy >= 0)
        cJSON_AddNumberToObject(o, "policy", s->policy);
    add_nonempty(o, "note", s->note);
    if (s->rewrote)
        cJSON_AddItemToObject(o, "packet", packet_json(&s->packet));
    return o;
}

int net_walk_format_json(const net_walk *w, char **out)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return -1;
    cJSON_AddStringToObject(o, "verdict", net_verdict_name(w->verdict));
    cJSON_AddStringToObject(o, "reason", net_reason_name(w->reason));
    cJSON_AddStringToObject(o, "detail", w->detail);
    cJSON_AddItemToObject(o, "from", place_json(&w->from));
    cJSON *to = place_json(&w->to);
    if (w->verdict == NET_DROPPED) { /* where it was going */
        char ip[VFP_ADDR_TEXT];
        vfp_addr_format(&w->output.dst, ip);
        cJSON_ReplaceItemInObject(to, "ip", cJSON_CreateString(ip));
        cJSON_ReplaceItemInObject(to, "port", cJSON_CreateNumber(w->output.dst_port));
    }
    cJSON_AddItemToObject(o, "to", to);
    cJSON_AddItemToObject(o, "input", packet_json(&w->input));
    cJSON_AddItemToObject(o, "output", packet_json(&w->output));
    cJSON *steps = cJSON_AddArrayToObject(o, "steps");
    for (size_t i = 0; i < w->n_steps; i++)
        cJSON_AddItemToArray(steps, step_json(&w->steps[i]));
    *out = cJSON_Print(o);
    cJSON_Delete(o);
    return *out ? 0 : -1;
}
