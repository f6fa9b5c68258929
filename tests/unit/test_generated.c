/*
 * test_generated.c - the network policies HNS adds on its own
 * (hns-mock/network_generated.c, hnsm_set_generated_policy_delay).
 *
 * Covers: without a delay an Overlay network has its ProviderAddress and
 * DrMacAddress (v1 ManagementIP, DrMacAddress) from the create, an L2Bridge
 * network only the ProviderAddress and a NAT network neither; with a delay
 * both are absent from the v2 and v1 views until the virtual clock reaches
 * create + delay, and present from then on, through either API; a policy the
 * caller gave is kept and not duplicated; pending policies survive an HNS
 * restart (the store keeps them) and still appear on time; the same seed
 * gives the same DR MAC with or without a delay.
 */
#include "unit.h"

#include <stdio.h>

#define V2 "\"SchemaVersion\":{\"Major\":2,\"Minor\":0}"

static hnsm_instance *open_instance(void)
{
    hnsm_config config = {.profile = "ws2022", .seed = 11, .seed_set = 1};
    hnsm_instance *inst = NULL;
    assert_int_equal(hnsm_open(&config, &inst), 0);
    return inst;
}

/* Creates a network of type (with extra policies, "" for none); its id in out. */
static void create_network(hnsm_instance *inst, const char *type, const char *policies,
                           char out[64])
{
    char json[768], *id = NULL;
    snprintf(json, sizeof json,
             "{\"Name\":\"n\",\"Type\":\"%s\",%s\"Ipams\":[{\"Subnets\":[{\"IpAddressPrefix\":"
             "\"10.244.1.0/24\",\"Routes\":[{\"NextHop\":\"10.244.1.1\",\"DestinationPrefix\":"
             "\"0.0.0.0/0\"}]}]}]," V2 "}",
             type, policies);
    assert_succeeded(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_CREATE, NULL, NULL, json, &id, NULL));
    snprintf(out, 64, "%s", id);
    hnsm_free(id);
}

/* How many policies of type the v2 view of network id has. */
static int policy_count(hnsm_instance *inst, const char *id, const char *type)
{
    char *props = NULL;
    assert_succeeded(hnsm_call(inst, HNSM_NETWORK, HNSM_OP_QUERY, id, NULL,
                               "{" V2 "}", &props, NULL));
    cJSON *doc = parse_json(props);
    int n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(doc, "Policies"))
    {
        const cJSON *t = cJSON_GetObjectItem(p, "Type");
        n += cJSON_IsString(t) && strcmp(t->valuestring, type) == 0;
    }
    cJSON_Delete(doc);
    hnsm_free(props);
    return n;
}

/* The v1 field of network id (GET /networks/<id>), "" when absent. */
static void v1_field(hnsm_instance *inst, const char *id, const char *field, char out[64])
{
    char path[128], *reply = NULL;
    snprintf(path, sizeof path, "/networks/%s", id);
    assert_succeeded(hnsm_hnscall(inst, "GET", path, "", &reply));
    cJSON *env = parse_json(reply);
    const cJSON *v = cJSON_GetObjectItem(cJSON_GetObjectItem(env, "Output"), field);
    snprintf(out, 64, "%s", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(env);
    hnsm_free(reply);
}

static void without_delay_the_policies_come_with_the_create(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance();
    char overlay[64], v1[64];
    create_network(inst, "Overlay", "", overlay);
    assert_int_equal(policy_count(inst, overlay, "ProviderAddress"), 1);
    assert_int_equal(policy_count(inst, overlay, "DrMacAddress"), 1);
    v1_field(inst, overlay, "ManagementIP", v1);
    assert_true(v1[0]);
    v1_field(inst, overlay, "DrMacAddress", v1);
    assert_true(v1[0]);
    hnsm_close(inst);

    inst = open_instance();
    char bridge[64];
    create_network(inst, "L2Bridge", "", bridge);
    assert_int_equal(policy_count(inst, bridge, "ProviderAddress"), 1);
    assert_int_equal(policy_count(inst, bridge, "DrMacAddress"), 0);
    hnsm_close(inst);

    inst = open_instance();
    char nat[64];
    create_network(inst, "NAT", "", nat);
    assert_int_equal(policy_count(inst, nat, "ProviderAddress"), 0);
    hnsm_close(inst);
}

static void with_a_delay_they_appear_when_the_clock_gets_there(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance();
    assert_int_equal(hnsm_set_generated_policy_delay(inst, 3000), 0);
    hnsm_clock_advance(inst, 500);
    char id[64], v1[64];
    create_network(inst, "Overlay", "", id);
    assert_int_equal(policy_count(inst, id, "ProviderAddress"), 0);
    assert_int_equal(policy_count(inst, id, "DrMacAddress"), 0);
    v1_field(inst, id, "ManagementIP", v1);
    assert_string_equal(v1, "");
    hnsm_clock_advance(inst, 2999);
    assert_int_equal(policy_count(inst, id, "ProviderAddress"), 0);
    hnsm_clock_advance(inst, 1);
    v1_field(inst, id, "ManagementIP", v1); /* the v1 API settles them too */
    assert_true(v1[0]);
    assert_int_equal(policy_count(inst, id, "ProviderAddress"), 1);
    assert_int_equal(policy_count(inst, id, "DrMacAddress"), 1);
    hnsm_clock_advance(inst, 60000);
    assert_int_equal(policy_count(inst, id, "ProviderAddress"), 1);
    hnsm_close(inst);
}

static void a_policy_the_caller_gave_is_kept_once(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance();
    assert_int_equal(hnsm_set_generated_policy_delay(inst, 1000), 0);
    char id[64], v1[64];
    create_network(inst, "Overlay",
                   "\"Policies\":[{\"Type\":\"ProviderAddress\",\"Settings\":{\"ProviderAddress\":"
                   "\"10.0.0.9\"}}],",
                   id);
    assert_int_equal(policy_count(inst, id, "ProviderAddress"), 1);
    assert_int_equal(policy_count(inst, id, "DrMacAddress"), 0);
    hnsm_clock_advance(inst, 1000);
    assert_int_equal(policy_count(inst, id, "ProviderAddress"), 1);
    assert_int_equal(policy_count(inst, id, "DrMacAddress"), 1);
    v1_field(inst, id, "ManagementIP", v1);
    assert_string_equal(v1, "10.0.0.9");
    hnsm_close(inst);
}

static void pending_policies_survive_a_restart(void **state)
{
    (void)state;
    hnsm_instance *inst = open_instance();
    assert_int_equal(hnsm_set_generated_policy_delay(inst, 2000), 0);
    char id[64];
    create_network(inst, "L2Bridge", "", id); /* persistent (Flags 0) */
    assert_int_equal(hnsm_restart(inst, HNSM_RESTART_SERVICE), 0);
    assert_int_equal(policy_count(inst, id, "ProviderAddress"), 0);
    hnsm_clock_advance(inst, 2000);
    assert_int_equal(policy_count(inst, id, "ProviderAddress"), 1);
    hnsm_close(inst);
}

static void the_dr_mac_does_not_depend_on_the_delay(void **state)
{
    (void)state;
    char macs[2][64];
    for (int delayed = 0; delayed < 2; delayed++) {
        hnsm_instance *inst = open_instance();
        assert_int_equal(hnsm_set_generated_policy_delay(inst, delayed ? 100 : 0), 0);
        char id[64];
        create_network(inst, "Overlay", "", id);
        hnsm_clock_advance(inst, 100);
        v1_field(inst, id, "DrMacAddress", macs[delayed]);
        hnsm_close(inst);
    }
    assert_true(macs[0][0]);
    assert_string_equal(macs[0], macs[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(without_delay_the_policies_come_with_the_create),
        cmocka_unit_test(with_a_delay_they_appear_when_the_clock_gets_there),
        cmocka_unit_test(a_policy_the_caller_gave_is_kept_once),
        cmocka_unit_test(pending_policies_survive_a_restart),
        cmocka_unit_test(the_dr_mac_does_not_depend_on_the_delay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
