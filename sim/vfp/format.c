/*
 * format.c - text for people: a ruleset shaped like `vfpctrl /list-rule` and
 * an evaluation as a trace.
 *
 * The listing follows diagnostics.md 6: an "ITEM LIST" header and a line of
 * '=', then LAYER, GROUP and RULE blocks indented one level each and
 * separated by blank lines (the SDN VFP.psm1 parser splits on those), with
 * the fields the reference quotes - "Friendly name", "Priority", "Direction
 * IN/OUT", "Type IPv4/IPv6", "Conditions" ("<none>" or lines such as
 * "Destination IP : a-b"), "Match type", "Flags" as "<number> <names>"
 * ("1 terminating", "8195 terminating stateful"), "Type allow|block|lbnat|
 * paroute|routeencap", "Flow TTL", "Rule Data" ("Encap Type: VXLAN", the
 * "DIP Range" of /get-rule-info as "{ <ip> : <port> }" lines) and "FlagsEx".
 * VFP conditions speak of source and destination, HNS of local and remote:
 * in an IN group local is the destination, in an OUT group the source
 * (consumers.md 4.3).
 *
 * Both outputs are built in one growing buffer and depend only on the
 * ruleset and the packet, so they are byte-stable.
 */
#include "vfp_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vfp__buf_printf(vfp__buf *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        size_t room = b->cap - b->len;
        int n = vsnprintf(b->text ? b->text + b->len : NULL, b->text ? room : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if (b->text && (size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->text, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->text = p;
        b->cap = cap;
        b->text[b->len] = '\0';
    }
}

/* Hands the buffer's text to *out, or frees it and reports VFP_ENOMEM. */
static int buf_finish(vfp__buf *b, char **out)
{
    if (!b->text && !b->failed)
        vfp__buf_printf(b, "%s", "");
    if (b->failed) {
        free(b->text);
        *out = NULL;
        return VFP_ENOMEM;
    }
    *out = b->text;
    return 0;
}

/* ---------------------------------------------------------------------------
 * vfpctrl /list-rule
 */

/* Writes an address range list "a-b, c-d". */
static void print_addr_list(vfp__buf *b, const vfp_addr_range *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char lo[VFP_ADDR_TEXT], hi[VFP_ADDR_TEXT];
        vfp_addr_format(&list[i].lo, lo);
        vfp_addr_format(&list[i].hi, hi);
        vfp__buf_printf(b, "%s%s-%s", i ? ", " : "", lo, hi);
    }
}

/* Writes a port list "80, 1000-2000". */
static void print_port_list(vfp__buf *b, const vfp_port_range *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i].lo == list[i].hi)
            vfp__buf_printf(b, "%s%u", i ? ", " : "", (unsigned)list[i].lo);
        else
            vfp__buf_printf(b, "%s%u-%u", i ? ", " : "", (unsigned)list[i].lo,
                            (unsigned)list[i].hi);
    }
}

/* Writes a "Conditions:" block at indent for a group of direction dir. */
static void print_conditions(vfp__buf *b, const char *indent, const vfp_match *m, vfp_direction dir)
{
    bool in = dir == VFP_DIR_IN;
    const vfp_addr_range *src = in ? m->remote_addrs : m->local_addrs;
    const vfp_addr_range *dst = in ? m->local_addrs : m->remote_addrs;
    size_t n_src = in ? m->n_remote_addrs : m->n_local_addrs;
    size_t n_dst = in ? m->n_local_addrs : m->n_remote_addrs;
    const vfp_port_range *sport = in ? m->remote_ports : m->local_ports;
    const vfp_port_range *dport = in ? m->local_ports : m->remote_ports;
    size_t n_sport = in ? m->n_remote_ports : m->n_local_ports;
    size_t n_dport = in ? m->n_local_ports : m->n_remote_ports;

    vfp__buf_printf(b, "%sConditions:\n", indent);
    if (!m->n_protocols && !n_src && !n_dst && !n_sport && !n_dport) {
        vfp__buf_printf(b, "%s    <none>\n", indent);
        return;
    }
    if (m->n_protocols) {
        vfp__buf_printf(b, "%s    Protocols : ", indent);
        for (size_t i = 0; i < m->n_protocols; i++)
            vfp__buf_printf(b, "%s%u", i ? ", " : "", (unsigned)m->protocols[i]);
        vfp__buf_printf(b, "\n");
    }
    if (n_src) {
        vfp__buf_printf(b, "%s    Source IP : ", indent);
        print_addr_list(b, src, n_src);
        vfp__buf_printf(b, "\n");
    }
    if (n_dst) {
        vfp__buf_printf(b, "%s    Destination IP : ", indent);
        print_addr_list(b, dst, n_dst);
        vfp__buf_printf(b, "\n");
    }
    if (n_sport) {
        vfp__buf_printf(b, "%s    Source ports : ", indent);
        print_port_list(b, sport, n_sport);
        vfp__buf_printf(b, "\n");
    }
    if (n_dport) {
        vfp__buf_printf(b, "%s    Destination ports : ", indent);
        print_port_list(b, dport, n_dport);
        vfp__buf_printf(b, "\n");
    }
}

/* Writes a MAC as Windows does: upper-case hex separated by dashes. */
static void print_mac(vfp__buf *b, const uint8_t mac[6])
{
    vfp__buf_printf(b, "%02X-%02X-%02X-%02X-%02X-%02X", mac[0], mac[1], mac[2], mac[3], mac[4],
                    mac[5]);
}

/* Writes the "Rule Data:" block of a typed action (none for allow, block,
 * pass). */
static void print_rule_data(vfp__buf *b, const vfp_action *a)
{
    const char *in = "            ";
    char addr[VFP_ADDR_TEXT];
    switch (a->type) {
    case VFP_ACTION_ALLOW:
    case VFP_ACTION_BLOCK:
    case VFP_ACTION_PASS:
        return;
    case VFP_ACTION_LB_NAT:
        vfp__buf_printf(b, "        Rule Data:\n%sDIP Range:\n", in);
        for (size_t i = 0; i < a->u.lb_nat.n_dips; i++) {
            vfp_addr_format(&a->u.lb_nat.dips[i].addr, addr);
            vfp__buf_printf(b, "%s    { %s : %u }\n", in, addr, (unsigned)a->u.lb_nat.dips[i].port);
        }
        vfp__buf_printf(b, "%sLB flags : %u\n%sDistribution : %u\n", in,
                        (unsigned)a->u.lb_nat.flags, in, (unsigned)a->u.lb_nat.distribution);
        if (a->u.lb_nat.source_vip.family) {
            vfp_addr_format(&a->u.lb_nat.source_vip, addr);
            vfp__buf_printf(b, "%sSource VIP : %s\n", in, addr);
        }
        return;
    case VFP_ACTION_SNAT:
        vfp_addr_format(&a->u.snat.vip, addr);
        vfp__buf_printf(b, "        Rule Data:\n%sNAT IP : %s\n%sNAT pool : %s\n", in, addr, in,
                        a->u.snat.pool ? a->u.snat.pool : "<none>");
        return;
    case VFP_ACTION_ENCAP:
        vfp_addr_format(&a->u.encap.pa, addr);
        vfp__buf_printf(
            b, "        Rule Data:\n%sEncap Type: %s\n%sVNI : %u\n%sPA : %s\n%sDR MAC : ", in,
            a->u.encap.encap_type == VFP_ENCAP_VXLAN ? "VXLAN" : "unknown", in,
            (unsigned)a->u.encap.vni, in, addr, in);
        print_mac(b, a->u.encap.dr_mac);
        vfp__buf_printf(b, "\n");
        return;
    case VFP_ACTION_ROUTE:
        if (a->u.route.next_hop.family)
            vfp_addr_format(&a->u.route.next_hop, addr);
        else
            snprintf(addr, sizeof addr, "on-link");
        vfp__buf_printf(b, "        Rule Data:\n%sNext hop : %s\n%sCompartment : %u\n", in, addr,
                        in, (unsigned)a->u.route.compartment);
        return;
    case VFP_ACTION_MAC_REWRITE:
        vfp__buf_printf(b, "        Rule Data:\n");
        if (a->u.mac_rewrite.rewrite_src) {
            vfp__buf_printf(b, "%sSource MAC : ", in);
            print_mac(b, a->u.mac_rewrite.src_mac);
            vfp__buf_printf(b, "\n");
        }
        if (a->u.mac_rewrite.rewrite_dst) {
            vfp__buf_printf(b, "%sDestination MAC : ", in);
            print_mac(b, a->u.mac_rewrite.dst_mac);
            vfp__buf_printf(b, "\n");
        }
        return;
    }
}

/* Writes the names of the flag bits the reference names. */
static void print_rule_flags(vfp__buf *b, uint32_t flags)
{
    vfp__buf_printf(b, "%u", (unsigned)flags);
    if (flags & VFP_RULE_TERMINATING)
        vfp__buf_printf(b, " terminating");
    if (flags & VFP_RULE_STATEFUL)
        vfp__buf_printf(b, " stateful");
}

static void print_rule(vfp__buf *b, const vfp_rule *r, vfp_direction dir)
{
    vfp__buf_printf(b,
                    "\n      RULE : %s\n        Friendly name : %s\n        Priority : %u\n"
                    "        Flags : ",
                    r->id, r->friendly_name, (unsigned)r->priority);
    print_rule_flags(b, r->flags);
    vfp__buf_printf(b, "\n        Type : %s\n", vfp_action_name(r->action.type));
    print_conditions(b, "        ", &r->match, dir);
    vfp__buf_printf(b, "        Flow TTL : %u\n", (unsigned)r->flow_ttl);
    print_rule_data(b, &r->action);
    vfp__buf_printf(b, "        FlagsEx : 0\n");
}

static void print_group(vfp__buf *b, const vfp_group *g)
{
    const char *type = g->family == VFP_FAMILY_IPV4   ? "IPv4"
                       : g->family == VFP_FAMILY_IPV6 ? "IPv6"
                                                      : "Any";
    vfp__buf_printf(b,
                    "\n    GROUP : %s\n      Friendly name : %s\n      Priority : %u\n"
                    "      Direction : %s\n      Type : %s\n",
                    g->name, g->friendly_name, (unsigned)g->priority,
                    g->direction == VFP_DIR_IN ? "IN" : "OUT", type);
    print_conditions(b, "      ", &g->conditions, g->direction);
    vfp__buf_printf(b, "      Match type : %s\n",
                    g->match_type == VFP_MATCH_LPM ? "LPM" : "Priority-based match");
}

static void print_layer(vfp__buf *b, const vfp_layer *l)
{
    vfp__buf_printf(b,
                    "\n  LAYER : %s\n    Friendly name : %s\n    Priority : %u\n    Flags : %u\n",
                    l->name, l->friendly_name, (unsigned)l->priority, (unsigned)l->flags);
}

int vfp_ruleset_format(const vfp_ruleset *rs, const char *layer, const char *group, char **out)
{
    if (!rs || !out)
        return VFP_EINVAL;
    *out = NULL;
    const vfp_layer *only_layer = NULL;
    const vfp_group *only_group = NULL;
    if (layer && !(only_layer = vfp_ruleset_layer(rs, layer)))
        return VFP_ENOENT;
    if (group && (!only_layer || !(only_group = vfp_layer_group(only_layer, group))))
        return VFP_ENOENT;
    vfp__buf b = {0};
    vfp__buf_printf(&b, "ITEM LIST\n===========\n");
    for (size_t i = 0; i < rs->n_layers; i++) {
        const vfp_layer *l = &rs->layers[i];
        if (only_layer && l != only_layer)
            continue;
        print_layer(&b, l);
        for (size_t j = 0; j < l->n_groups; j++) {
            const vfp_group *g = l->groups[j];
            if (only_group && g != only_group)
                continue;
            print_group(&b, g);
            for (size_t k = 0; k < g->n_rules; k++)
                print_rule(&b, &g->rules[k], g->direction);
        }
    }
    return buf_finish(&b, out);
}

/* ---------------------------------------------------------------------------
 * Traces
 */

/* Writes the cookie line of a rule, when it has one. */
static void print_cookie(vfp__buf *b, const vfp_rule *r)
{
    const vfp_cookie *c = &r->cookie;
    if (!c->object_id && !c->text)
        return;
    vfp__buf_printf(b, "       from %s", c->object_id ? c->object_id : "<no object>");
    if (c->policy_index >= 0)
        vfp__buf_printf(b, " policy %d", c->policy_index);
    if (c->text)
        vfp__buf_printf(b, ": %s", c->text);
    vfp__buf_printf(b, "\n");
}

static void print_hit(vfp__buf *b, size_t index, const vfp_hit *h)
{
    const char *decides = h->decided ? ", decides the layer" : "";
    switch (h->kind) {
    case VFP_HIT_RULE:
        vfp__buf_printf(b, "  %zu. %s / %s / rule %s (priority %u): %s%s\n", index + 1,
                        h->layer->name, h->group->name, h->rule->id, (unsigned)h->rule->priority,
                        vfp_action_name(h->action), decides);
        print_cookie(b, h->rule);
        break;
    case VFP_HIT_FLOW:
        if (h->rule)
            vfp__buf_printf(b, "  %zu. %s / flow of rule %s (return traffic): %s%s\n", index + 1,
                            h->layer->name, h->rule->id, vfp_action_name(h->action), decides);
        else
            vfp__buf_printf(b, "  %zu. %s / flow of an earlier ruleset (return traffic): %s%s\n",
                            index + 1, h->layer->name, vfp_action_name(h->action), decides);
        break;
    case VFP_HIT_DEFAULT:
        vfp__buf_printf(b, "  %zu. %s / %s: %s%s\n", index + 1, h->layer->name,
                        h->layer->default_action == VFP_LAYER_ACL
                            ? "ACL default (ACLs present, none decided)"
                            : "layer default",
                        vfp_action_name(h->action), decides);
        break;
    }
    if (h->rewrote) {
        char text[VFP_PACKET_TEXT];
        vfp_packet_format(&h->after, text);
        vfp__buf_printf(b, "       rewrite: %s\n", text);
    }
}

/* Writes the verdict line. */
static void print_verdict(vfp__buf *b, const vfp_result *r)
{
    const vfp_hit *h = r->deciding_hit >= 0 ? &r->trace.hits[r->deciding_hit] : NULL;
    switch (r->reason) {
    case VFP_REASON_NO_RULES:
        vfp__buf_printf(b, "verdict: allow (no rule applied)\n");
        return;
    case VFP_REASON_RULES:
        vfp__buf_printf(b, "verdict: allow\n");
        return;
    case VFP_REASON_BLOCK_RULE:
        if (h && h->rule)
            vfp__buf_printf(b, "verdict: block (rule %s in %s / %s)\n", h->rule->id, h->layer->name,
                            h->group->name);
        else
            vfp__buf_printf(b, "verdict: block (a block rule)\n");
        return;
    case VFP_REASON_ACL_DEFAULT:
        vfp__buf_printf(b, "verdict: block (ACL default of %s: ACLs present, none matched)\n",
                        h ? h->layer->name : "a layer");
        return;
    case VFP_REASON_LAYER_DEFAULT:
        vfp__buf_printf(b, "verdict: block (default of layer %s)\n",
                        h ? h->layer->name : "a layer");
        return;
    case VFP_REASON_HOOK:
        vfp__buf_printf(b, "verdict: block (%s", r->hook_reason ? r->hook_reason : "action hook");
        if (h && h->rule)
            vfp__buf_printf(b, ", rule %s in %s / %s", h->rule->id, h->layer->name, h->group->name);
        vfp__buf_printf(b, ")\n");
        return;
    case VFP_REASON_BAD_PACKET:
        vfp__buf_printf(b, "verdict: block (source and destination are of different families)\n");
        return;
    }
}

int vfp_result_format(const vfp_result *r, char **out)
{
    if (!r || !out)
        return VFP_EINVAL;
    vfp__buf b = {0};
    char text[VFP_PACKET_TEXT];
    vfp_packet_format(&r->input, text);
    vfp__buf_printf(&b, "packet: %s\n", text);
    for (size_t i = 0; i < r->trace.n; i++)
        print_hit(&b, i, &r->trace.hits[i]);
    if (r->trace.overflow)
        vfp__buf_printf(&b, "  ... %zu more steps not kept\n", r->trace.overflow);
    print_verdict(&b, r);
    if (!vfp__packet_equal(&r->input, &r->output)) {
        vfp_packet_format(&r->output, text);
        vfp__buf_printf(&b, "output: %s\n", text);
    }
    return buf_finish(&b, out);
}
