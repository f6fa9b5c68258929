package driver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cniRun runs one CNI command of a plugin the way a container runtime does:
// configuration on stdin, CNI_* in the environment, the result on stdout.
// The plugin finds hnsd through hnsim.conf (no HNSIM_* variables).
func cniRun(t *testing.T, s setup, p *prefix, plugin, command, container, netns string,
	conf []byte) (map[string]interface{}, time.Duration) {
	t.Helper()
	start := time.Now()
	stdout, stderr, err := p.wine(filepath.Join(s.bin, plugin+".exe"), nil, []string{
		"CNI_COMMAND=" + command, "CNI_CONTAINERID=" + container, "CNI_NETNS=" + netns,
		"CNI_IFNAME=eth0", "CNI_PATH=" + windowsPath(s.bin)}, conf)
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("%s %s: %v\nstdout: %s\nstderr: %s", plugin, command, err, stdout, stderr)
	}
	var result map[string]interface{}
	if strings.TrimSpace(stdout) != "" {
		if err := json.Unmarshal([]byte(stdout), &result); err != nil {
			t.Fatalf("%s %s printed no JSON result: %v\n%s", plugin, command, err, stdout)
		}
	}
	t.Logf("%s %s took %v", plugin, command, elapsed.Round(time.Millisecond))
	return result, elapsed
}

// firstAddress is ips[0].address of a CNI 1.0 result.
func firstAddress(result map[string]interface{}) string {
	ips, _ := result["ips"].([]interface{})
	if len(ips) == 0 {
		return ""
	}
	ip, _ := ips[0].(map[string]interface{})
	address, _ := ip["address"].(string)
	return address
}

func field(object map[string]interface{}, key string) string {
	value, _ := object[key].(string)
	return value
}

// endpointAddress is the first IpConfigurations address of a v2 endpoint.
func endpointAddress(endpoint map[string]interface{}) string {
	configs, _ := endpoint["IpConfigurations"].([]interface{})
	if len(configs) == 0 {
		return ""
	}
	config, _ := configs[0].(map[string]interface{})
	return field(config, "IpAddress")
}

func policyTypes(endpoint map[string]interface{}) []string {
	var types []string
	policies, _ := endpoint["Policies"].([]interface{})
	for _, raw := range policies {
		policy, _ := raw.(map[string]interface{})
		types = append(types, field(policy, "Type"))
	}
	return types
}

func contains(list []string, want string) bool {
	for _, item := range list {
		if strings.EqualFold(item, want) {
			return true
		}
	}
	return false
}

// cniCase is one plugin's ADD, CHECK, DEL against a network made beforehand,
// as flannel (host-gw or vxlan) makes it.
type cniCase struct {
	plugin      string
	network     string // name
	networkJSON string // HCN create document
	conf        func(dataDir string) string
	container   string
	wantAddress string   // the address host-local hands out first
	wantPolicy  []string // endpoint policy types the plugin must have set
}

func runCNI(t *testing.T, s setup, d *daemon, p *prefix, c cniCase) {
	networkID := d.create(t, "network", c.networkJSON)
	defer d.call(t, map[string]interface{}{"op": "call", "kind": "network", "call": "delete",
		"object": networkID})
	// The pod's namespace, as the container runtime creates it before CNI ADD.
	netns := d.create(t, "namespace", `{"Type":"HostDefault","SchemaVersion":{"Major":2,"Minor":0}}`)
	defer d.call(t, map[string]interface{}{"op": "call", "kind": "namespace", "call": "delete",
		"object": netns})
	dataDir := t.TempDir()
	conf := []byte(c.conf(windowsPath(dataDir)))

	result, addTime := cniRun(t, s, p, c.plugin, "ADD", c.container, netns, conf)
	if got := firstAddress(result); got != c.wantAddress {
		t.Fatalf("ADD result address %q, want %q: %v", got, c.wantAddress, result)
	}
	st := d.diag(t, s)
	if len(st.Endpoints) != 1 {
		t.Fatalf("after ADD: %d endpoints, want 1", len(st.Endpoints))
	}
	ep := st.Endpoints[0]
	wantName := c.container + "_" + c.network
	ip := strings.SplitN(c.wantAddress, "/", 2)[0]
	if field(ep, "Name") != wantName || endpointAddress(ep) != ip ||
		!strings.EqualFold(field(ep, "HostComputeNetwork"), networkID) ||
		!strings.EqualFold(field(ep, "HostComputeNamespace"), netns) {
		t.Fatalf("after ADD the endpoint is %v; want %s with %s on network %s in namespace %s",
			ep, wantName, ip, networkID, netns)
	}
	for _, policy := range c.wantPolicy {
		if !contains(policyTypes(ep), policy) {
			t.Fatalf("endpoint policies %v lack %s", policyTypes(ep), policy)
		}
	}
	var attached bool
	for _, ns := range st.Namespaces {
		if strings.EqualFold(field(ns, "ID"), netns) {
			raw, _ := json.Marshal(ns["Resources"])
			attached = strings.Contains(strings.ToUpper(string(raw)), strings.ToUpper(field(ep, "ID")))
		}
	}
	if !attached {
		t.Fatalf("namespace %s does not list endpoint %s: %+v", netns, field(ep, "ID"), st.Namespaces)
	}
	lease := filepath.Join(dataDir, c.network, ip)
	if _, err := os.Stat(lease); err != nil {
		t.Fatalf("host-local lease %s missing: %v", lease, err)
	}

	cniRun(t, s, p, c.plugin, "CHECK", c.container, netns, conf)
	cniRun(t, s, p, c.plugin, "DEL", c.container, netns, conf)
	st = d.diag(t, s)
	if len(st.Endpoints) != 0 {
		t.Fatalf("after DEL: endpoints left %v", st.Endpoints)
	}
	if _, err := os.Stat(lease); !os.IsNotExist(err) {
		t.Fatalf("host-local lease %s still there after DEL", lease)
	}
	// DEL again is a no-op success, as the CNI spec wants for a runtime retrying.
	cniRun(t, s, p, c.plugin, "DEL", c.container, netns, conf)
	t.Logf("BENCH %s %s CNI ADD %.0f ms", d.profile, c.plugin, float64(addTime.Microseconds())/1000)
}

func winBridge(t *testing.T, s setup, d *daemon, p *prefix) {
	runCNI(t, s, d, p, cniCase{
		plugin:  "win-bridge",
		network: "cbr0",
		networkJSON: `{"Name":"cbr0","Type":"L2Bridge","Ipams":[{"Type":"Static","Subnets":[
			{"IpAddressPrefix":"10.244.1.0/24","Routes":[{"NextHop":"10.244.1.1",
			"DestinationPrefix":"0.0.0.0/0"}]}]}],"SchemaVersion":{"Major":2,"Minor":0}}`,
		conf: func(dataDir string) string {
			return `{"cniVersion":"1.0.0","name":"cbr0","type":"win-bridge","apiVersion":2,
				"capabilities":{"portMappings":true,"dns":true},
				"ipam":{"type":"host-local","subnet":"10.244.1.0/24","routes":[{"dst":"0.0.0.0/0"}],
					"dataDir":` + jsonString(dataDir) + `},
				"dns":{"nameservers":["10.96.0.10"],"search":["svc.cluster.local"]},
				"policies":[
					{"name":"EndpointPolicy","value":{"Type":"OutBoundNAT","Settings":{
						"Exceptions":["10.244.0.0/16","10.96.0.0/12","10.0.0.0/24"]}}},
					{"name":"EndpointPolicy","value":{"Type":"SDNRoute","Settings":{
						"DestinationPrefix":"10.96.0.0/12","NeedEncap":true}}}]}`
		},
		container:   "4f6c2a1b9e0d4f6c2a1b9e0d",
		wantAddress: "10.244.1.2/24",
		wantPolicy:  []string{"OutBoundNAT", "SDNRoute"},
	})
}

func winOverlay(t *testing.T, s setup, d *daemon, p *prefix) {
	runCNI(t, s, d, p, cniCase{
		plugin:  "win-overlay",
		network: "vxlan0",
		networkJSON: `{"Name":"vxlan0","Type":"Overlay","Flags":0,
			"Policies":[{"Type":"ProviderAddress","Settings":{"ProviderAddress":"10.0.0.4"}}],
			"Ipams":[{"Type":"Static","Subnets":[{"IpAddressPrefix":"10.244.2.0/24",
			"Policies":[{"Type":"VSID","Settings":{"IsolationId":4096}}],
			"Routes":[{"NextHop":"10.244.2.1","DestinationPrefix":"0.0.0.0/0"}]}]}],
			"SchemaVersion":{"Major":2,"Minor":0}}`,
		conf: func(dataDir string) string {
			return `{"cniVersion":"1.0.0","name":"vxlan0","type":"win-overlay","apiVersion":2,
				"ipMasq":true,"capabilities":{"portMappings":true,"dns":true},
				"ipam":{"type":"host-local","subnet":"10.244.2.0/24","routes":[{"dst":"0.0.0.0/0"}],
					"dataDir":` + jsonString(dataDir) + `},
				"dns":{"nameservers":["10.96.0.10"],"search":["svc.cluster.local"]},
				"policies":[
					{"name":"EndpointPolicy","value":{"Type":"OutBoundNAT","Settings":{
						"Exceptions":["10.244.0.0/16","10.96.0.0/12"]}}}]}`
		},
		container:   "7a3e5c9d1f2b7a3e5c9d1f2b",
		wantAddress: "10.244.2.2/24",
		wantPolicy:  []string{"OutBoundNAT", "ProviderAddress"},
	})
}

func jsonString(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}
