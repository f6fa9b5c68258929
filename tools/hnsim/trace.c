/*
 * trace.c - `hnsim trace` and `hnsim vfp`: one Windows node's HNS state
 * (a store file or a running hnsd) seen as the VFP program it becomes.
 *
 *   hnsim trace [--store FILE | --hnsd SOCK] [--node-ip IP] [--profile P]
 *               --from IP[:PORT] --to IP:PORT/PROTO [--size N] [--json]
 *   hnsim vfp list-ports [--store FILE | --hnsd SOCK] [--node-ip IP]
 *   hnsim vfp list-rules --port ID|IP|host|external [--layer L] [--group G]
 *               [--store FILE | --hnsd SOCK] [--node-ip IP]
 *
 * The node is built the way the simulator builds every Windows node
 * (net.h): a view of HNS through the public API, compiled into one ruleset
 * per port. Its address is --node-ip, else the first network
 * ProviderAddress HNS has (without one the tool asks for --node-ip). A
 * packet that leaves the node is "forwarded": there is no other node to
 * reach. The exit status is 0 whatever the verdict (the verdict is in the
 * output), 1 when HNS cannot be read. Output is byte-stable.
 */
#include "cli.h"
#include "net.h"
#include "remote.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What the subcommands share: where HNS is and which node it is. */
typedef struct node_args {
    const char *store;
    const char *hnsd;
    const char *node_ip;
    const char *profile;
} node_args;

/* Consumes a node option at argv[*i]; returns 1 when it was one. */
static int node_option(int argc, char **argv, int *i, node_args *a)
{
    const char **slot = NULL;
    if (strcmp(argv[*i], "--store") == 0)
        slot = &a->store;
    else if (strcmp(argv[*i], "--hnsd") == 0)
        slot = &a->hnsd;
    else if (strcmp(argv[*i], "--node-ip") == 0)
        slot = &a->node_ip;
    else if (strcmp(argv[*i], "--profile") == 0)
        slot = &a->profile;
    if (!slot || *i + 1 >= argc)
        return 0;
    *slot = argv[++*i];
    return 1;
}

/* The node address when --node-ip is not given: the first network
 * ProviderAddress (the address flannel and the CNIs bind the network to). */
static int guess_node_ip(hnsm_instance *inst, char ip[VFP_ADDR_TEXT])
{
    hns_view *v = NULL;
    char *error = NULL;
    if (hns_view_take(inst, &v, &error) != 0) {
        fprintf(stderr, "hnsim: %s\n", error);
        free(error);
        return -1;
    }
    int rc = -1;
    for (size_t i = 0; rc < 0 && i < v->n_networks; i++)
        if (v->networks[i].provider_address.family == VFP_FAMILY_IPV4) {
            vfp_addr_format(&v->networks[i].provider_address, ip);
            rc = 0;
        }
    hns_view_free(v);
    if (rc < 0)
        fprintf(stderr, "hnsim: no network has a ProviderAddress; give the node address with "
                        "--node-ip\n");
    return rc;
}

/* Builds the one-node cluster; *inst is the opened store (NULL with hnsd). */
static net_cluster *open_node(const node_args *a, hnsm_instance **inst, net_node **node)
{
    *inst = NULL;
    if (a->hnsd)
        setenv("HNSIM_HNSD", a->hnsd, 1);
    if (a->store || !hnsm__remote_enabled()) {
        *inst = cli_open_store(a->store, 0, NULL);
        if (!*inst)
            return NULL;
    }
    char ip[VFP_ADDR_TEXT];
    if (a->node_ip)
        snprintf(ip, sizeof ip, "%s", a->node_ip);
    else if (guess_node_ip(*inst, ip) < 0)
        return NULL;
    net_cluster *c = net_cluster_new(0);
    *node = c ? net_add_windows(c, "node", ip, *inst) : NULL;
    if (!*node) {
        fprintf(stderr, "hnsim: bad node address %s\n", ip);
        net_cluster_free(c);
        return NULL;
    }
    const char *profile = a->profile ? a->profile : *inst ? hnsm_profile_name(*inst) : NULL;
    net_node_set_profile(*node, profile);
    char *error = NULL;
    if (net_node_sync(*node, &error) != 0) {
        fprintf(stderr, "hnsim: %s\n", error ? error : "cannot read HNS");
        free(error);
        net_cluster_free(c);
        return NULL;
    }
    return c;
}

static void close_node(net_cluster *c, hnsm_instance *inst)
{
    net_cluster_free(c);
    hnsm_close(inst);
}

/* "tcp", "udp", "icmp" or a number. */
static int parse_protocol(const char *text, uint8_t *out)
{
    static const struct { const char *name; uint8_t number; } names[] = {
        {"tcp", VFP_PROTO_TCP}, {"udp", VFP_PROTO_UDP}, {"icmp", VFP_PROTO_ICMP}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(text, names[i].name) == 0) {
            *out = names[i].number;
            return 0;
        }
    char *end;
    unsigned long n = strtoul(text, &end, 10);
    if (*text == 0 || *end || n > 255)
        return -1;
    *out = (uint8_t)n;
    return 0;
}

/* "IP[:PORT][/PROTO]" (an IPv6 address in brackets when a port follows). */
static int parse_endpoint(const char *text, vfp_addr *ip, uint16_t *port, uint8_t *proto,
                          int need_port)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", text);
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash = 0;
        if (!proto || parse_protocol(slash + 1, proto) < 0)
            return -1;
    }
    char *host = buf, *colon = strrchr(buf, ':');
    if (buf[0] == '[') {
        char *close = strchr(buf, ']');
        if (!close)
            return -1;
        *close = 0;
        host = buf + 1;
        colon = close[1] == ':' ? close + 1 : NULL;
    } else if (colon && strchr(buf, ':') != colon) {
        colon = NULL; /* bare IPv6 */
    }
    if (colon) {
        *colon = 0;
        char *end;
        unsigned long n = strtoul(colon + 1, &end, 10);
        if (*end || n > 65535)
            return -1;
        *port = (uint16_t)n;
    } else if (need_port) {
        return -1;
    }
    return vfp_addr_parse(host, ip) == 0 ? 0 : -1;
}

static int trace_usage(void)
{
    fprintf(stderr, "usage: hnsim trace [--store FILE | --hnsd SOCK] [--node-ip IP] [--profile P]\n"
                    "                   --from IP[:PORT] --to IP:PORT/PROTO [--size N] [--json]\n");
    return 2;
}

int cmd_trace(int argc, char **argv)
{
    node_args a = {0};
    const char *from = NULL, *to = NULL;
    int json = 0;
    unsigned long size = 100;
    for (int i = 1; i < argc; i++) {
        if (node_option(argc, argv, &i, &a))
            continue;
        if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
            from = argv[++i];
        else if (strcmp(argv[i], "--to") == 0 && i + 1 < argc)
            to = argv[++i];
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            size = strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else
            return trace_usage();
    }
    vfp_packet p = {.protocol = VFP_PROTO_TCP, .src_port = 40000, .size = (uint32_t)size};
    if (!from || !to || size == 0 || size > 65535 ||
        parse_endpoint(from, &p.src, &p.src_port, NULL, 0) < 0 ||
        parse_endpoint(to, &p.dst, &p.dst_port, &p.protocol, 1) < 0)
        return trace_usage();
    if (p.protocol != VFP_PROTO_TCP && p.protocol != VFP_PROTO_UDP)
        p.src_port = p.dst_port = 0;
    hnsm_instance *inst;
    net_node *node;
    net_cluster *c = open_node(&a, &inst, &node);
    if (!c) {
        hnsm_close(inst);
        return 1;
    }
    net_walk w;
    char *text = NULL;
    int rc = net_walk_packet(c, &p, NULL, &w) == 0 &&
                     (json ? net_walk_format_json(&w, &text) : net_walk_format_text(&w, &text)) == 0
                 ? 0
                 : 1;
    if (text)
        printf("%s%s", text, json ? "\n" : "");
    free(text);
    net_walk_clear(&w);
    close_node(c, inst);
    return rc;
}

/* ---------------------------------------------------------------------------
 * hnsim vfp
 */

static int vfp_usage(void)
{
    fprintf(stderr, "usage: hnsim vfp list-ports [--store FILE | --hnsd SOCK] [--node-ip IP]\n"
                    "       hnsim vfp list-rules --port ID|IP|host|external [--layer L] [--group G]\n"
                    "                 [--store FILE | --hnsd SOCK] [--node-ip IP]\n");
    return 2;
}

/* The vSwitch ports in the shape of `vfpctrl /list-vmswitch-port`. */
static int list_ports(hnsm_instance *inst)
{
    hns_view *v = NULL;
    char *error = NULL;
    if (hns_view_take(inst, &v, &error) != 0) {
        fprintf(stderr, "hnsim: %s\n", error);
        free(error);
        return 1;
    }
    printf("ITEM LIST\n===========\n\n");
    printf("Port name : %s\nPort Friendly name : ExternalPort\n\n", VFP_PORT_EXTERNAL_NAME);
    printf("Port name : %s\nPort Friendly name : Container NIC\n", VFP_PORT_HOST_NAME);
    for (size_t i = 0; i < v->n_endpoints; i++) /* the host's vNIC endpoints (cbr0_ep) */
        if (v->endpoints[i].host_vnic && v->endpoints[i].ip.family == VFP_FAMILY_IPV4) {
            char ip[VFP_ADDR_TEXT];
            vfp_addr_format(&v->endpoints[i].ip, ip);
            printf("Host endpoint : %s (%s)\n", v->endpoints[i].name ? v->endpoints[i].name : "",
                   ip);
        }
    printf("\n");
    for (size_t i = 0; i < v->n_endpoints; i++) {
        const hv_endpoint *ep = &v->endpoints[i];
        if (!vfp_endpoint_has_port(ep))
            continue;
        char ip[VFP_ADDR_TEXT];
        vfp_addr_format(&ep->ip, ip);
        printf("Port name : %s\nPort Friendly name : %s\nIP address : %s\nMAC address : "
               "%02X-%02X-%02X-%02X-%02X-%02X\n\n",
               ep->id, ep->name ? ep->name : ep->id, ip, ep->mac[0], ep->mac[1], ep->mac[2],
               ep->mac[3], ep->mac[4], ep->mac[5]);
    }
    hns_view_free(v);
    return 0;
}

static int list_rules(net_node *node, const char *port, const char *layer, const char *group)
{
    const char *name = strcasecmp(port, "host") == 0       ? VFP_PORT_HOST_NAME
                       : strcasecmp(port, "external") == 0 ? VFP_PORT_EXTERNAL_NAME
                                                           : port;
    vfp_ruleset *rs = net_node_port_rules(node, name);
    if (!rs) {
        fprintf(stderr, "hnsim: no vSwitch port %s (an endpoint ID or IP of a local endpoint, "
                        "host or external)\n", port);
        return 1;
    }
    char *text = NULL;
    int rc = vfp_ruleset_format(rs, layer, group, &text);
    if (rc == 0)
        fputs(text, stdout);
    else
        fprintf(stderr, "hnsim: %s\n", vfp_strerror(rc));
    free(text);
    vfp_ruleset_release(rs);
    return rc == 0 ? 0 : 1;
}

int cmd_vfp(int argc, char **argv)
{
    if (argc < 2)
        return vfp_usage();
    const char *what = argv[1];
    node_args a = {0};
    const char *port = NULL, *layer = NULL, *group = NULL;
    for (int i = 2; i < argc; i++) {
        if (node_option(argc, argv, &i, &a))
            continue;
        if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = argv[++i];
        else if (strcmp(argv[i], "--layer") == 0 && i + 1 < argc)
            layer = argv[++i];
        else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc)
            group = argv[++i];
        else
            return vfp_usage();
    }
    int ports = strcmp(what, "list-ports") == 0;
    if (!ports && (strcmp(what, "list-rules") != 0 || !port))
        return vfp_usage();
    hnsm_instance *inst;
    net_node *node;
    net_cluster *c = open_node(&a, &inst, &node);
    if (!c) {
        hnsm_close(inst);
        return 1;
    }
    int rc = ports ? list_ports(inst) : list_rules(node, port, layer, group);
    close_node(c, inst);
    return rc;
}
