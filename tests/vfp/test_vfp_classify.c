/*
 * test_vfp_classify.c - the bit-vector classifier against a trivially correct
 * linear reference model, on random rule sets (STYLE.md: the OVS way).
 *
 * The reference here is written from the rule *specs* as the compiler gives
 * them - raw lists with protocol 256, overlapping ranges, unsorted - and
 * picks the winner by its own reading of vfp.h: lowest priority number,
 * Block first at equal priority (or insertion order under
 * VFP_TIE_ADDED_FIRST), then the order of addition; in LPM groups the
 * longest remote prefix first. It shares no code with ruleset.c or
 * classify.c except address parsing. Each case builds random groups of
 * 10, 100, 1000 and 10000 rules (seeded; VFP_TEST_SEED overrides the seed),
 * classifies thousands of random packets drawn mostly from the same small
 * address and port pools (so that rules overlap and match) and compares the
 * winner's id with the reference and with vfp_group_classify_linear().
 * Small table budgets force the checkpointed tables even on small groups.
 */
#include "vfp_test.h"

/* One random rule as the reference sees it. */
typedef struct ref_rule {
    char id[24];
    uint32_t priority;
    vfp_action_type action;
    uint16_t protocols[4];
    size_t n_protocols;
    vfp_addr_range local[4], remote[4];
    size_t n_local, n_remote;
    vfp_port_range lport[3], rport[3];
    size_t n_lport, n_rport;
    int prefix; /* remote prefix length in LPM groups, -1 = none */
} ref_rule;

/* The random world of one case. */
typedef struct world {
    test_rng rng;
    uint8_t family;       /* group family */
    vfp_match_type match; /* priority or LPM */
    vfp_tie_break tie;    /* tie-break rule */
    ref_rule *rules;
    size_t n;
} world;

static const uint16_t common_ports[] = {53, 80, 443, 8080, 10250, 0, 65535};

/* A random IPv4 address, mostly from 10.0.0.0/20 so ranges overlap. */
static vfp_addr random_v4(test_rng *r)
{
    if (rng_below(r, 10) == 0)
        return vfp_addr_v4((uint32_t)rng_next(r));
    return vfp_addr_v4(0x0A000000u | rng_below(r, 4096));
}

/* A random IPv6 address, mostly from fd00::/116. */
static vfp_addr random_v6(test_rng *r)
{
    uint8_t b[16] = {0xfd};
    if (rng_below(r, 10) == 0) {
        uint64_t x = rng_next(r), y = rng_next(r);
        memcpy(b, &x, 8);
        memcpy(b + 8, &y, 8);
    } else {
        uint32_t v = rng_below(r, 4096);
        b[14] = (uint8_t)(v >> 8);
        b[15] = (uint8_t)v;
    }
    return vfp_addr_v6(b);
}

static vfp_addr random_addr(test_rng *r, uint8_t family)
{
    if (family == VFP_FAMILY_ANY)
        family = rng_below(r, 2) ? VFP_FAMILY_IPV4 : VFP_FAMILY_IPV6;
    return family == VFP_FAMILY_IPV4 ? random_v4(r) : random_v6(r);
}

/* A random range: a prefix (lengths near the host end so they overlap) or an
 * arbitrary lo-hi. */
static vfp_addr_range random_range(test_rng *r, uint8_t family, bool prefix_only)
{
    vfp_addr base = random_addr(r, family);
    vfp_addr_range out;
    unsigned width = base.family == VFP_FAMILY_IPV4 ? 32 : 128;
    if (prefix_only || rng_below(r, 2)) {
        unsigned host = rng_below(r, 14);
        if (rng_below(r, 20) == 0)
            host = rng_below(r, width + 1);
        vfp_range_from_prefix(&base, width - host, &out);
        return out;
    }
    vfp_addr other = random_addr(r, base.family);
    if (rng_below(r, 2)) {
        other = base;
        other.lo += rng_below(r, 300);
        if (base.family == VFP_FAMILY_IPV4 && other.lo > 0xFFFFFFFFu)
            other.lo = 0xFFFFFFFFu;
        if (other.lo < base.lo)
            other.hi++;
    }
    if (vfp_addr_compare(&base, &other) <= 0)
        out = (vfp_addr_range){base, other};
    else
        out = (vfp_addr_range){other, base};
    return out;
}

static vfp_port_range random_port_range(test_rng *r)
{
    uint16_t a = rng_below(r, 3) ? common_ports[rng_below(r, 7)] : (uint16_t)rng_next(r);
    uint16_t b = rng_below(r, 2) ? a : (uint16_t)(a + rng_below(r, 2000));
    if (b < a) {
        uint16_t t = a;
        a = b;
        b = t;
    }
    return (vfp_port_range){a, b};
}

static void random_rule(world *w, ref_rule *rr, size_t index)
{
    test_rng *r = &w->rng;
    memset(rr, 0, sizeof *rr);
    snprintf(rr->id, sizeof rr->id, "R%zu", index);
    rr->priority = 100 + rng_below(r, 40);
    uint32_t a = rng_below(r, 10);
    rr->action = a < 4   ? VFP_ACTION_ALLOW
                 : a < 8 ? VFP_ACTION_BLOCK
                 : a < 9 ? VFP_ACTION_PASS
                         : VFP_ACTION_LB_NAT;
    uint32_t p = rng_below(r, 10);
    if (p >= 4) {
        rr->n_protocols = 1 + rng_below(r, 3);
        static const uint16_t protos[] = {1, 6, 17, 58, 6, 17};
        for (size_t i = 0; i < rr->n_protocols; i++)
            rr->protocols[i] =
                rng_below(r, 8) ? protos[rng_below(r, 6)] : (uint16_t)rng_below(r, 257);
    } else if (p == 3) {
        rr->n_protocols = 1;
        rr->protocols[0] = VFP_PROTO_ANY;
    }
    bool lpm = w->match == VFP_MATCH_LPM;
    if (rng_below(r, 10) >= 4)
        for (size_t n = 1 + rng_below(r, 3); rr->n_local < n;)
            rr->local[rr->n_local++] = random_range(r, w->family, false);
    rr->prefix = -1;
    if (lpm) {
        if (rng_below(r, 10) >= 1) {
            rr->remote[rr->n_remote++] = random_range(r, w->family, true);
            rr->prefix = vfp_range_prefix_length(&rr->remote[0]);
        }
    } else if (rng_below(r, 10) >= 3) {
        for (size_t n = 1 + rng_below(r, 4); rr->n_remote < n;)
            rr->remote[rr->n_remote++] = random_range(r, w->family, false);
    }
    if (rng_below(r, 2))
        for (size_t n = 1 + rng_below(r, 3); rr->n_lport < n;)
            rr->lport[rr->n_lport++] = random_port_range(r);
    if (rng_below(r, 2))
        for (size_t n = 1 + rng_below(r, 3); rr->n_rport < n;)
            rr->rport[rr->n_rport++] = random_port_range(r);
}

/* The reference's own range test (family, then numeric order). */
static bool ref_in_range(const vfp_addr_range *rg, const vfp_addr *a)
{
    if (a->family != rg->lo.family)
        return false;
    bool above_lo = a->hi > rg->lo.hi || (a->hi == rg->lo.hi && a->lo >= rg->lo.lo);
    bool below_hi = a->hi < rg->hi.hi || (a->hi == rg->hi.hi && a->lo <= rg->hi.lo);
    return above_lo && below_hi;
}

static bool ref_matches(const ref_rule *rr, const vfp_key *k)
{
    bool ok = rr->n_protocols == 0;
    for (size_t i = 0; i < rr->n_protocols; i++)
        ok |= rr->protocols[i] == 256 || rr->protocols[i] == k->protocol;
    if (!ok)
        return false;
    ok = rr->n_local == 0;
    for (size_t i = 0; i < rr->n_local; i++)
        ok |= ref_in_range(&rr->local[i], &k->local);
    if (!ok)
        return false;
    ok = rr->n_remote == 0;
    for (size_t i = 0; i < rr->n_remote; i++)
        ok |= ref_in_range(&rr->remote[i], &k->remote);
    if (!ok)
        return false;
    ok = rr->n_lport == 0;
    for (size_t i = 0; i < rr->n_lport; i++)
        ok |= rr->lport[i].lo <= k->local_port && k->local_port <= rr->lport[i].hi;
    if (!ok)
        return false;
    ok = rr->n_rport == 0;
    for (size_t i = 0; i < rr->n_rport; i++)
        ok |= rr->rport[i].lo <= k->remote_port && k->remote_port <= rr->rport[i].hi;
    return ok;
}

/* 1 when rule a goes before rule b (indexes = order of addition). */
static bool ref_before(const world *w, size_t a, size_t b)
{
    const ref_rule *x = &w->rules[a], *y = &w->rules[b];
    if (w->match == VFP_MATCH_LPM) {
        /* Longest prefix first; within a family only, but both rules match
         * the same packet here, so their prefixes have its family. */
        int px = x->prefix, py = y->prefix;
        if (px != py)
            return px > py;
    }
    if (x->priority != y->priority)
        return x->priority < y->priority;
    if (w->tie == VFP_TIE_BLOCK_FIRST) {
        bool bx = x->action == VFP_ACTION_BLOCK, by = y->action == VFP_ACTION_BLOCK;
        if (bx != by)
            return bx;
    }
    return a < b;
}

/* The reference winner's index, or -1. */
static long ref_classify(const world *w, const vfp_key *k)
{
    long best = -1;
    for (size_t i = 0; i < w->n; i++)
        if (ref_matches(&w->rules[i], k) && (best < 0 || ref_before(w, i, (size_t)best)))
            best = (long)i;
    return best;
}

static void random_key(world *w, vfp_key *k)
{
    test_rng *r = &w->rng;
    memset(k, 0, sizeof *k);
    uint8_t family = w->family;
    if (family == VFP_FAMILY_ANY)
        family = rng_below(r, 2) ? VFP_FAMILY_IPV4 : VFP_FAMILY_IPV6;
    k->family = family;
    static const uint8_t protos[] = {6, 17, 1, 58, 6, 6, 17};
    k->protocol = rng_below(r, 10) ? protos[rng_below(r, 7)] : (uint8_t)rng_below(r, 256);
    k->local = random_addr(r, family);
    k->remote = random_addr(r, family);
    /* Now and then an address from a rule's range ends, where off-by-ones live. */
    if (w->n && rng_below(r, 4) == 0) {
        const ref_rule *rr = &w->rules[rng_below(r, (uint32_t)w->n)];
        if (rr->n_remote && rr->remote[0].lo.family == family)
            k->remote = rng_below(r, 2) ? rr->remote[0].lo : rr->remote[0].hi;
        if (rr->n_local && rr->local[0].lo.family == family)
            k->local = rng_below(r, 2) ? rr->local[0].lo : rr->local[0].hi;
        if (rr->n_rport)
            k->remote_port = rng_below(r, 2) ? rr->rport[0].lo : rr->rport[0].hi;
    }
    if (!k->remote_port)
        k->remote_port = rng_below(r, 3) ? common_ports[rng_below(r, 7)] : (uint16_t)rng_next(r);
    k->local_port = rng_below(r, 3) ? common_ports[rng_below(r, 7)] : (uint16_t)rng_next(r);
}

/* The seed of this run: VFP_TEST_SEED or the given default. */
static uint64_t test_seed(uint64_t fallback)
{
    const char *env = getenv("VFP_TEST_SEED");
    return env && *env ? strtoull(env, NULL, 0) : fallback;
}

/* Builds a group from w's rules; returns the ruleset (one group). */
static vfp_ruleset *build_world(const world *w, size_t budget)
{
    vfp_build_options opts = {.tie_break = w->tie, .table_budget = budget};
    vfp_builder *b = vfp_builder_new("port", &opts);
    assert_non_null(b);
    vfp_layer_spec ls = {.name = "L", .default_action = VFP_LAYER_CONTINUE};
    int layer = vfp_builder_add_layer(b, &ls);
    assert_vfp_ok(layer);
    vfp_group_spec gs = {
        .name = "G", .direction = VFP_DIR_OUT, .family = w->family, .match_type = w->match};
    int group = vfp_builder_add_group(b, layer, &gs);
    assert_vfp_ok(group);
    for (size_t i = 0; i < w->n; i++) {
        const ref_rule *rr = &w->rules[i];
        vfp_rule_spec rs = {
            .id = rr->id,
            .priority = rr->priority,
            .flags = VFP_RULE_TERMINATING,
            .action = {.type = rr->action},
            .match = {.protocols = rr->protocols,
                      .n_protocols = rr->n_protocols,
                      .local_addrs = rr->local,
                      .n_local_addrs = rr->n_local,
                      .remote_addrs = rr->remote,
                      .n_remote_addrs = rr->n_remote,
                      .local_ports = rr->lport,
                      .n_local_ports = rr->n_lport,
                      .remote_ports = rr->rport,
                      .n_remote_ports = rr->n_rport},
            .cookie = {.policy_index = -1},
        };
        assert_vfp_ok(vfp_builder_add_rule(b, group, &rs));
    }
    vfp_ruleset *set = NULL;
    assert_vfp_ok(vfp_builder_finish(b, &set));
    return set;
}

/* Runs one random case and compares n_packets lookups. */
static void run_case(uint64_t seed, uint8_t family, vfp_match_type match, vfp_tie_break tie,
                     size_t n_rules, size_t n_packets, size_t budget)
{
    world w = {.rng = {seed}, .family = family, .match = match, .tie = tie, .n = n_rules};
    w.rules = calloc(n_rules + 1, sizeof *w.rules);
    assert_non_null(w.rules);
    for (size_t i = 0; i < n_rules; i++)
        random_rule(&w, &w.rules[i], i);
    vfp_ruleset *set = build_world(&w, budget);
    const vfp_group *g = set->layers[0].groups[0];
    assert_int_equal(g->n_rules, n_rules);
    size_t matched = 0;
    for (size_t i = 0; i < n_packets; i++) {
        vfp_key k;
        random_key(&w, &k);
        long want = ref_classify(&w, &k);
        const vfp_rule *got = vfp_group_classify(g, &k);
        const vfp_rule *lin = vfp_group_classify_linear(g, &k);
        const char *want_id = want >= 0 ? w.rules[want].id : "(none)";
        const char *got_id = got ? got->id : "(none)";
        const char *lin_id = lin ? lin->id : "(none)";
        if (strcmp(want_id, got_id) || strcmp(want_id, lin_id))
            fail_msg("seed %llu family %u match %d tie %d rules %zu budget %zu packet %zu: "
                     "reference %s, classifier %s, linear %s",
                     (unsigned long long)seed, family, (int)match, (int)tie, n_rules, budget, i,
                     want_id, got_id, lin_id);
        matched += want >= 0;
    }
    /* The pools are small on purpose: a fair share of packets must match, or
     * the comparison says little. */
    if (n_rules >= 100)
        assert_true(matched * 10 >= n_packets);
    vfp_ruleset_release(set);
    free(w.rules);
}

static void ipv4_priority_groups_match_the_reference(void **state)
{
    (void)state;
    uint64_t seed = test_seed(20240601);
    size_t sizes[] = {1, 10, 100, 1000, 10000};
    for (size_t i = 0; i < 5; i++)
        run_case(seed + i, VFP_FAMILY_IPV4, VFP_MATCH_PRIORITY, VFP_TIE_BLOCK_FIRST, sizes[i],
                 sizes[i] >= 10000 ? 3000 : 5000, 0);
}

static void ipv6_and_dual_stack_groups_match_the_reference(void **state)
{
    (void)state;
    uint64_t seed = test_seed(777);
    size_t sizes[] = {10, 100, 1000};
    for (size_t i = 0; i < 3; i++) {
        run_case(seed + i, VFP_FAMILY_IPV6, VFP_MATCH_PRIORITY, VFP_TIE_BLOCK_FIRST, sizes[i], 5000,
                 0);
        run_case(seed + 10 + i, VFP_FAMILY_ANY, VFP_MATCH_PRIORITY, VFP_TIE_BLOCK_FIRST, sizes[i],
                 5000, 0);
    }
    run_case(seed + 20, VFP_FAMILY_ANY, VFP_MATCH_PRIORITY, VFP_TIE_BLOCK_FIRST, 10000, 3000, 0);
}

static void added_first_tie_break_matches_the_reference(void **state)
{
    (void)state;
    uint64_t seed = test_seed(4242);
    run_case(seed, VFP_FAMILY_IPV4, VFP_MATCH_PRIORITY, VFP_TIE_ADDED_FIRST, 100, 5000, 0);
    run_case(seed + 1, VFP_FAMILY_ANY, VFP_MATCH_PRIORITY, VFP_TIE_ADDED_FIRST, 1000, 5000, 0);
}

static void lpm_groups_match_the_reference(void **state)
{
    (void)state;
    uint64_t seed = test_seed(99);
    run_case(seed, VFP_FAMILY_IPV4, VFP_MATCH_LPM, VFP_TIE_BLOCK_FIRST, 100, 5000, 0);
    run_case(seed + 1, VFP_FAMILY_IPV6, VFP_MATCH_LPM, VFP_TIE_BLOCK_FIRST, 1000, 5000, 0);
    run_case(seed + 2, VFP_FAMILY_ANY, VFP_MATCH_LPM, VFP_TIE_ADDED_FIRST, 1000, 5000, 0);
}

/* Tiny budgets make every table checkpointed with the longest stride, so
 * the replay of changes between checkpoints is exercised on every size. */
static void checkpointed_tables_match_the_reference(void **state)
{
    (void)state;
    uint64_t seed = test_seed(31337);
    size_t sizes[] = {5, 64, 65, 300, 2000};
    for (size_t i = 0; i < 5; i++) {
        run_case(seed + i, VFP_FAMILY_ANY, VFP_MATCH_PRIORITY, VFP_TIE_BLOCK_FIRST, sizes[i], 4000,
                 1);
        run_case(seed + 10 + i, VFP_FAMILY_IPV4, VFP_MATCH_PRIORITY, VFP_TIE_BLOCK_FIRST, sizes[i],
                 4000, 4096);
    }
}

/* Groups of more than one chunk (16384 rules) are classified chunk by chunk;
 * rules matching only late in the order must still be found. */
static void groups_larger_than_one_chunk_match_the_reference(void **state)
{
    (void)state;
    run_case(test_seed(5150), VFP_FAMILY_IPV4, VFP_MATCH_PRIORITY, VFP_TIE_BLOCK_FIRST, 20000, 1000,
             0);
}

static void empty_group_matches_nothing(void **state)
{
    (void)state;
    world w = {.rng = {1},
               .family = VFP_FAMILY_IPV4,
               .match = VFP_MATCH_PRIORITY,
               .tie = VFP_TIE_BLOCK_FIRST};
    vfp_ruleset *set = build_world(&w, 0);
    vfp_key k = {.family = VFP_FAMILY_IPV4,
                 .protocol = 6,
                 .local = vfp_addr_v4(1),
                 .remote = vfp_addr_v4(2)};
    assert_null(vfp_group_classify(set->layers[0].groups[0], &k));
    assert_null(vfp_group_classify_linear(set->layers[0].groups[0], &k));
    vfp_ruleset_release(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ipv4_priority_groups_match_the_reference),
        cmocka_unit_test(ipv6_and_dual_stack_groups_match_the_reference),
        cmocka_unit_test(added_first_tie_break_matches_the_reference),
        cmocka_unit_test(lpm_groups_match_the_reference),
        cmocka_unit_test(checkpointed_tables_match_the_reference),
        cmocka_unit_test(groups_larger_than_one_chunk_match_the_reference),
        cmocka_unit_test(empty_group_matches_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
