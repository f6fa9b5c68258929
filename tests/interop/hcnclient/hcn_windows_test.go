package hcnclient

import (
	"encoding/json"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/Microsoft/hcsshim"
	"github.com/Microsoft/hcsshim/hcn"
	"golang.org/x/sys/windows"
)

// profile is what hnsd serves: its HNS version, the Windows build wine-setup
// made Wine report, and the hcsshim features that version enables
// (hcn-api.md section 3).
type profile struct {
	major, minor uint32
	build        uint32
	features     map[string]bool
}

var profiles = map[string]profile{
	"ws2019": {9, 5, 17763, map[string]bool{
		"V2": true, "RemoteSubnet": true, "HostRoute": true, "DSR": true,
		"Slash32EndpointPrefixes": true, "AclSupportForProtocol252": false,
		"SessionAffinity": false, "IPv6DualStack": false, "SetPolicy": false,
		"VxlanPort": false, "L4Proxy": true, "L4WfpProxy": false, "TierAcl": false,
		"NetworkACL": false, "ModifyLoadbalancer": false,
	}},
	"ws2022": {13, 3, 20348, map[string]bool{
		"V2": true, "RemoteSubnet": true, "HostRoute": true, "DSR": true,
		"Slash32EndpointPrefixes": true, "AclSupportForProtocol252": true,
		"SessionAffinity": true, "IPv6DualStack": true, "SetPolicy": true,
		"VxlanPort": true, "L4Proxy": true, "L4WfpProxy": true, "TierAcl": false,
		"NetworkACL": false, "ModifyLoadbalancer": false,
	}},
	"ws2025": {15, 4, 26100, map[string]bool{
		"V2": true, "RemoteSubnet": true, "HostRoute": true, "DSR": true,
		"Slash32EndpointPrefixes": true, "AclSupportForProtocol252": true,
		"SessionAffinity": true, "IPv6DualStack": true, "SetPolicy": true,
		"VxlanPort": true, "L4Proxy": true, "L4WfpProxy": true, "TierAcl": true,
		"NetworkACL": true, "ModifyLoadbalancer": true,
	}},
}

func currentProfile(t *testing.T) (string, profile) {
	t.Helper()
	name := os.Getenv("HNSIM_INTEROP_PROFILE")
	p, ok := profiles[name]
	if !ok {
		t.Fatalf("HNSIM_INTEROP_PROFILE=%q is not one of ws2019, ws2022, ws2025", name)
	}
	return name, p
}

// must fails the test on an error, naming the step.
func must(t *testing.T, step string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

func TestWindowsReportsTheProfileBuild(t *testing.T) {
	name, p := currentProfile(t)
	v := windows.RtlGetVersion()
	if v.MajorVersion != 10 || v.BuildNumber != p.build {
		t.Fatalf("profile %s: Windows reports %d.%d.%d, want 10.0.%d (tools/wine-setup.sh)",
			name, v.MajorVersion, v.MinorVersion, v.BuildNumber, p.build)
	}
}

func TestGlobalsAndSupportedFeatures(t *testing.T) {
	name, p := currentProfile(t)
	globals, err := hcn.GetGlobals()
	must(t, "hcn.GetGlobals", err)
	if globals.Version.Major != int(p.major) || globals.Version.Minor != int(p.minor) {
		t.Fatalf("profile %s: HNS version %d.%d, want %d.%d", name, globals.Version.Major,
			globals.Version.Minor, p.major, p.minor)
	}
	v1, err := hcsshim.GetHNSGlobals()
	must(t, "hcsshim.GetHNSGlobals", err)
	if v1.Version.Major != int(p.major) || v1.Version.Minor != int(p.minor) {
		t.Fatalf("v1 globals %+v, want %d.%d", v1.Version, p.major, p.minor)
	}
	features, err := hcn.GetCachedSupportedFeatures()
	must(t, "hcn.GetCachedSupportedFeatures", err)
	got := map[string]bool{
		"V2": features.Api.V2, "RemoteSubnet": features.RemoteSubnet,
		"HostRoute": features.HostRoute, "DSR": features.DSR,
		"Slash32EndpointPrefixes":  features.Slash32EndpointPrefixes,
		"AclSupportForProtocol252": features.AclSupportForProtocol252,
		"SessionAffinity":          features.SessionAffinity, "IPv6DualStack": features.IPv6DualStack,
		"SetPolicy": features.SetPolicy, "VxlanPort": features.VxlanPort,
		"L4Proxy": features.L4Proxy, "L4WfpProxy": features.L4WfpProxy,
		"TierAcl": features.TierAcl, "NetworkACL": features.NetworkACL,
		"ModifyLoadbalancer": features.ModifyLoadbalancer,
	}
	for feature, want := range p.features {
		if got[feature] != want {
			t.Errorf("profile %s: feature %s = %v, want %v", name, feature, got[feature], want)
		}
	}
	if !features.Api.V1 {
		t.Errorf("API.V1 must always be true")
	}
	// The XxxSupported() gates kube-proxy checks before using a feature.
	if (hcn.DSRSupported() == nil) != p.features["DSR"] {
		t.Errorf("DSRSupported() disagrees with the feature table")
	}
	if (hcn.SessionAffinitySupported() == nil) != p.features["SessionAffinity"] {
		t.Errorf("SessionAffinitySupported() disagrees with the feature table")
	}
	if (hcn.IPv6DualStackSupported() == nil) != p.features["IPv6DualStack"] {
		t.Errorf("IPv6DualStackSupported() disagrees with the feature table")
	}
}

var schema = hcn.SchemaVersion{Major: 2, Minor: 0}

// l2bridge creates an L2Bridge network the way flannel host-gw and the
// win-bridge CNI expect it (consumers.md 3.2), and deletes it at the end.
func l2bridge(t *testing.T, name, prefix, gateway string) *hcn.HostComputeNetwork {
	t.Helper()
	network, err := (&hcn.HostComputeNetwork{
		Name: name,
		Type: hcn.L2Bridge,
		Ipams: []hcn.Ipam{{Type: "Static", Subnets: []hcn.Subnet{{
			IpAddressPrefix: prefix,
			Routes:          []hcn.Route{{NextHop: gateway, DestinationPrefix: "0.0.0.0/0"}},
		}}}},
		SchemaVersion: schema,
	}).Create()
	must(t, "create network "+name, err)
	t.Cleanup(func() { _ = network.Delete() })
	return network
}

func endpointOn(t *testing.T, network *hcn.HostComputeNetwork, name, ip string,
	policies ...hcn.EndpointPolicy) *hcn.HostComputeEndpoint {
	t.Helper()
	endpoint, err := network.CreateEndpoint(&hcn.HostComputeEndpoint{
		Name:             name,
		IpConfigurations: []hcn.IpConfig{{IpAddress: ip}},
		Policies:         policies,
		SchemaVersion:    schema,
	})
	must(t, "create endpoint "+name, err)
	t.Cleanup(func() { _ = endpoint.Delete() })
	return endpoint
}

func policy(t *testing.T, kind hcn.EndpointPolicyType, settings interface{}) hcn.EndpointPolicy {
	t.Helper()
	raw, err := json.Marshal(settings)
	must(t, "marshal policy", err)
	return hcn.EndpointPolicy{Type: kind, Settings: raw}
}

func TestNetworks(t *testing.T) {
	nat, err := (&hcn.HostComputeNetwork{
		Name: "interop-nat",
		Type: hcn.NAT,
		Ipams: []hcn.Ipam{{Type: "Static", Subnets: []hcn.Subnet{{
			IpAddressPrefix: "172.30.0.0/16",
			Routes:          []hcn.Route{{NextHop: "172.30.0.1", DestinationPrefix: "0.0.0.0/0"}},
		}}}},
		SchemaVersion: schema,
	}).Create()
	must(t, "create NAT network", err)
	bridge := l2bridge(t, "interop-l2", "10.250.1.0/24", "10.250.1.1")

	byName, err := hcn.GetNetworkByName("interop-nat")
	must(t, "GetNetworkByName", err)
	if byName.Id != nat.Id || byName.Type != hcn.NAT {
		t.Fatalf("GetNetworkByName: got %s/%s, want %s/NAT", byName.Id, byName.Type, nat.Id)
	}
	byID, err := hcn.GetNetworkByID(bridge.Id)
	must(t, "GetNetworkByID", err)
	if byID.Name != "interop-l2" || len(byID.Ipams) != 1 ||
		byID.Ipams[0].Subnets[0].IpAddressPrefix != "10.250.1.0/24" {
		t.Fatalf("GetNetworkByID: %+v", byID)
	}
	all, err := hcn.ListNetworks()
	must(t, "ListNetworks", err)
	seen := map[string]bool{}
	for _, n := range all {
		seen[n.Name] = true
	}
	if !seen["interop-nat"] || !seen["interop-l2"] {
		t.Fatalf("ListNetworks misses ours: %v", seen)
	}

	must(t, "delete NAT network", nat.Delete())
	_, err = hcn.GetNetworkByID(nat.Id)
	if !hcn.IsNotFoundError(err) {
		t.Fatalf("GetNetworkByID after delete: %v, want a NetworkNotFoundError", err)
	}
	_, err = hcn.GetNetworkByName("no-such-network")
	if !hcn.IsNotFoundError(err) {
		t.Fatalf("GetNetworkByName(missing): %v, want a NetworkNotFoundError", err)
	}
}

func TestEndpointsLocalAndRemote(t *testing.T) {
	network := l2bridge(t, "interop-ep", "10.250.2.0/24", "10.250.2.1")
	outbound := policy(t, hcn.OutBoundNAT, hcn.OutboundNatPolicySetting{
		Exceptions: []string{"10.250.0.0/16", "10.96.0.0/12"}})
	portmap := policy(t, hcn.PortMapping, hcn.PortMappingPolicySetting{
		Protocol: 6, InternalPort: 80, ExternalPort: 8080})
	local := endpointOn(t, network, "pod-a", "10.250.2.5", outbound, portmap)
	if len(local.IpConfigurations) != 1 || local.IpConfigurations[0].IpAddress != "10.250.2.5" {
		t.Fatalf("local endpoint addresses: %+v", local.IpConfigurations)
	}
	if local.HostComputeNetwork != network.Id || local.MacAddress == "" {
		t.Fatalf("local endpoint: network %q mac %q", local.HostComputeNetwork, local.MacAddress)
	}

	// A second endpoint asking for the same host port (hcn-api.md 4: 0x803B0013).
	_, err := network.CreateEndpoint(&hcn.HostComputeEndpoint{
		Name: "pod-b", IpConfigurations: []hcn.IpConfig{{IpAddress: "10.250.2.6"}},
		Policies: []hcn.EndpointPolicy{portmap}, SchemaVersion: schema})
	if !hcn.IsPortAlreadyExistsError(err) {
		t.Fatalf("duplicate PortMapping: %v, want IsPortAlreadyExistsError", err)
	}

	remote, err := network.CreateRemoteEndpoint(&hcn.HostComputeEndpoint{
		Name:             "remote-pod",
		IpConfigurations: []hcn.IpConfig{{IpAddress: "10.250.2.100"}},
		MacAddress:       "02-11-22-33-44-55",
		SchemaVersion:    schema,
	})
	must(t, "CreateRemoteEndpoint", err)
	if remote.Flags&hcn.EndpointFlagsRemoteEndpoint == 0 {
		t.Fatalf("remote endpoint flags %d lack EndpointFlagsRemoteEndpoint", remote.Flags)
	}
	endpoints, err := hcn.ListEndpointsOfNetwork(network.Id)
	must(t, "ListEndpointsOfNetwork", err)
	if len(endpoints) != 2 {
		t.Fatalf("ListEndpointsOfNetwork: %d endpoints, want 2 (the refused one left nothing)",
			len(endpoints))
	}
	byName, err := hcn.GetEndpointByName("remote-pod")
	must(t, "GetEndpointByName", err)
	if byName.Id != remote.Id {
		t.Fatalf("GetEndpointByName: %s, want %s", byName.Id, remote.Id)
	}
	must(t, "delete remote endpoint", remote.Delete())
	_, err = hcn.GetEndpointByID(remote.Id)
	if !hcn.IsNotFoundError(err) {
		t.Fatalf("GetEndpointByID after delete: %v, want an EndpointNotFoundError", err)
	}
}

func TestNamespaces(t *testing.T) {
	network := l2bridge(t, "interop-ns", "10.250.3.0/24", "10.250.3.1")
	endpoint := endpointOn(t, network, "pod-ns", "10.250.3.5")
	namespace, err := hcn.NewNamespace(hcn.NamespaceTypeHostDefault).Create()
	must(t, "create namespace", err)
	must(t, "AddNamespaceEndpoint", hcn.AddNamespaceEndpoint(namespace.Id, endpoint.Id))
	ids, err := hcn.GetNamespaceEndpointIds(namespace.Id)
	must(t, "GetNamespaceEndpointIds", err)
	if len(ids) != 1 || !strings.EqualFold(ids[0], endpoint.Id) {
		t.Fatalf("namespace endpoints %v, want [%s]", ids, endpoint.Id)
	}
	attached, err := hcn.GetEndpointByID(endpoint.Id)
	must(t, "GetEndpointByID", err)
	if !strings.EqualFold(attached.HostComputeNamespace, namespace.Id) {
		t.Fatalf("endpoint namespace %q, want %q", attached.HostComputeNamespace, namespace.Id)
	}
	must(t, "RemoveNamespaceEndpoint", hcn.RemoveNamespaceEndpoint(namespace.Id, endpoint.Id))
	ids, err = hcn.GetNamespaceEndpointIds(namespace.Id)
	must(t, "GetNamespaceEndpointIds after remove", err)
	if len(ids) != 0 {
		t.Fatalf("namespace still lists %v", ids)
	}
	must(t, "delete namespace", namespace.Delete())
	if _, err := hcn.GetNamespaceByID(namespace.Id); !hcn.IsNotFoundError(err) {
		t.Fatalf("GetNamespaceByID after delete: %v, want a NamespaceNotFoundError", err)
	}
	// HcnOpenNamespace on an unknown id is ERROR_NOT_FOUND (hcn-api.md 4.3):
	// hcsshim's IsElementNotFoundError, which CNI DEL paths rely on.
	err = hcn.AddNamespaceEndpoint(namespace.Id, endpoint.Id)
	if !hcn.IsElementNotFoundError(err) {
		t.Fatalf("AddNamespaceEndpoint on a deleted namespace: %v, want IsElementNotFoundError", err)
	}
}

func TestLoadBalancers(t *testing.T) {
	name, p := currentProfile(t)
	network := l2bridge(t, "interop-lb", "10.250.4.0/24", "10.250.4.1")
	backend1 := endpointOn(t, network, "backend-1", "10.250.4.11")
	backend2 := endpointOn(t, network, "backend-2", "10.250.4.12")
	backends := []hcn.HostComputeEndpoint{*backend1, *backend2}

	// A ClusterIP service as kube-proxy (winkernel) programs it: ILB, DSR where supported.
	flags := hcn.LoadBalancerFlagsNone
	if hcn.DSRSupported() == nil {
		flags = hcn.LoadBalancerFlagsDSR
	}
	lb, err := hcn.AddLoadBalancer(backends, flags, hcn.LoadBalancerPortMappingFlagsILB,
		"10.250.4.2", []string{"10.96.0.20"}, 6, 8080, 80)
	must(t, "AddLoadBalancer (ILB)", err)
	t.Cleanup(func() { _ = lb.Delete() })
	got, err := hcn.GetLoadBalancerByID(lb.Id)
	must(t, "GetLoadBalancerByID", err)
	if got.Flags != flags || len(got.PortMappings) != 1 ||
		got.PortMappings[0].Flags != hcn.LoadBalancerPortMappingFlagsILB ||
		got.PortMappings[0].InternalPort != 8080 || got.PortMappings[0].ExternalPort != 80 ||
		len(got.FrontendVIPs) != 1 || got.FrontendVIPs[0] != "10.96.0.20" ||
		len(got.HostComputeEndpoints) != 2 {
		t.Fatalf("load balancer read back differs: %+v", got)
	}

	// The same frontend again: HCN_E_PORT_ALREADY_EXISTS (consumers.md 2).
	_, err = hcn.AddLoadBalancer(backends, flags, hcn.LoadBalancerPortMappingFlagsILB,
		"10.250.4.2", []string{"10.96.0.20"}, 6, 8080, 80)
	if !hcn.IsPortAlreadyExistsError(err) {
		t.Fatalf("duplicate frontend: %v, want IsPortAlreadyExistsError", err)
	}

	// Session affinity (ClientIP) only where the version gate allows it.
	if err := hcn.SessionAffinitySupported(); err == nil {
		affinity, err := (&hcn.HostComputeLoadBalancer{
			HostComputeEndpoints: []string{backend1.Id, backend2.Id},
			SourceVIP:            "10.250.4.2",
			FrontendVIPs:         []string{"10.96.0.21"},
			PortMappings: []hcn.LoadBalancerPortMapping{{Protocol: 6, InternalPort: 8080,
				ExternalPort: 80, DistributionType: hcn.LoadBalancerDistributionSourceIP}},
			SchemaVersion: schema,
		}).Create()
		must(t, "create load balancer with session affinity", err)
		t.Cleanup(func() { _ = affinity.Delete() })
		back, err := hcn.GetLoadBalancerByID(affinity.Id)
		must(t, "GetLoadBalancerByID (affinity)", err)
		if back.PortMappings[0].DistributionType != hcn.LoadBalancerDistributionSourceIP {
			t.Fatalf("DistributionType %d, want SourceIP", back.PortMappings[0].DistributionType)
		}
	} else if p.features["SessionAffinity"] {
		t.Fatalf("profile %s: SessionAffinitySupported: %v", name, err)
	}

	// A backend leaves; then the service goes.
	shrunk, err := got.RemoveEndpoint(backend2)
	must(t, "RemoveEndpoint", err)
	if len(shrunk.HostComputeEndpoints) != 1 || !strings.EqualFold(shrunk.HostComputeEndpoints[0], backend1.Id) {
		t.Fatalf("after RemoveEndpoint: %v", shrunk.HostComputeEndpoints)
	}
	must(t, "delete load balancer", shrunk.Delete())
	if _, err := hcn.GetLoadBalancerByID(shrunk.Id); !hcn.IsNotFoundError(err) {
		t.Fatalf("GetLoadBalancerByID after delete: %v, want a LoadBalancerNotFoundError", err)
	}
}

func TestSdnRoutes(t *testing.T) {
	network := l2bridge(t, "interop-rt", "10.250.5.0/24", "10.250.5.1")
	endpoint := endpointOn(t, network, "routed", "10.250.5.5")
	route, err := hcn.AddRoute([]hcn.HostComputeEndpoint{*endpoint}, "192.168.100.0/24",
		"10.250.5.1", false)
	must(t, "AddRoute", err)
	got, err := hcn.GetRouteByID(route.ID)
	must(t, "GetRouteByID", err)
	if len(got.HostComputeEndpoints) != 1 || len(got.Setting) != 1 ||
		got.Setting[0].DestinationPrefix != "192.168.100.0/24" {
		t.Fatalf("route read back differs: %+v", got)
	}
	routes, err := hcn.ListRoutes()
	must(t, "ListRoutes", err)
	if len(routes) != 1 {
		t.Fatalf("ListRoutes: %d routes, want 1", len(routes))
	}
	must(t, "delete route", route.Delete())
	if _, err := hcn.GetRouteByID(route.ID); !hcn.IsNotFoundError(err) {
		t.Fatalf("GetRouteByID after delete: %v, want a RouteNotFoundError", err)
	}
}

func TestV1PolicyListsAndACLs(t *testing.T) {
	network := l2bridge(t, "interop-v1", "10.250.6.0/24", "10.250.6.1")
	v1net, err := hcsshim.GetHNSNetworkByName("interop-v1")
	must(t, "GetHNSNetworkByName", err)
	if !strings.EqualFold(v1net.Id, network.Id) || v1net.Type != "L2Bridge" {
		t.Fatalf("v1 network %s/%s, want %s/L2Bridge", v1net.Id, v1net.Type, network.Id)
	}
	if _, err := hcsshim.GetHNSNetworkByName("no-such-network"); !hcsshim.IsNotExist(err) {
		t.Fatalf("GetHNSNetworkByName(missing): %v, want IsNotExist", err)
	}

	endpoint, err := (&hcsshim.HNSEndpoint{
		Name:           "v1-pod",
		VirtualNetwork: v1net.Id,
		IPAddress:      []byte{10, 250, 6, 30},
	}).Create()
	must(t, "v1 endpoint create", err)
	defer func() { _, _ = endpoint.Delete() }()
	if endpoint.IPAddress.String() != "10.250.6.30" {
		t.Fatalf("v1 endpoint IP %s", endpoint.IPAddress)
	}

	// Calico's ACL update: the endpoint's ACLs replaced through POST /endpoints/<id>.
	must(t, "ApplyACLPolicy", endpoint.ApplyACLPolicy(
		&hcsshim.ACLPolicy{Type: hcsshim.ACL, Action: hcsshim.Allow, Direction: hcsshim.In,
			Protocol: 6, LocalPorts: "80", RuleType: hcsshim.Switch, Priority: 200},
		&hcsshim.ACLPolicy{Type: hcsshim.ACL, Action: hcsshim.Block, Direction: hcsshim.In,
			RuleType: hcsshim.Switch, Priority: 1000}))
	updated, err := hcsshim.GetHNSEndpointByID(endpoint.Id)
	must(t, "GetHNSEndpointByID", err)
	acls := 0
	for _, raw := range updated.Policies {
		var p hcsshim.ACLPolicy
		must(t, "decode policy", json.Unmarshal(raw, &p))
		if p.Type == hcsshim.ACL {
			acls++
		}
	}
	if acls != 2 {
		t.Fatalf("endpoint has %d ACL policies after ApplyACLPolicy, want 2: %s", acls, updated.Policies)
	}

	// A v1 load balancer is a policy list with an ELB policy.
	list, err := hcsshim.AddLoadBalancer([]hcsshim.HNSEndpoint{*updated}, false, "",
		"10.96.0.30", 6, 8080, 80)
	must(t, "v1 AddLoadBalancer", err)
	lists, err := hcsshim.HNSListPolicyListRequest()
	must(t, "HNSListPolicyListRequest", err)
	found := false
	for _, l := range lists {
		found = found || strings.EqualFold(l.ID, list.ID)
	}
	if !found {
		t.Fatalf("policy list %s not listed", list.ID)
	}
	_, err = list.Delete()
	must(t, "policy list delete", err)
	if _, err := hcsshim.GetPolicyListByID(list.ID); err == nil {
		t.Fatalf("GetPolicyListByID after delete succeeded")
	}
	_, err = endpoint.Delete()
	must(t, "v1 endpoint delete", err)
	if _, err := hcsshim.GetHNSEndpointByID(endpoint.Id); err == nil {
		t.Fatalf("GetHNSEndpointByID after delete succeeded")
	}
}

// Notifications through HcnRegisterServiceCallback, which hcsshim does not
// wrap: called the way a C client would, through the DLL hcsshim loads.
var (
	computenetwork     = windows.NewLazySystemDLL("computenetwork.dll")
	registerCallback   = computenetwork.NewProc("HcnRegisterServiceCallback")
	unregisterCallback = computenetwork.NewProc("HcnUnregisterServiceCallback")
)

type notification struct {
	kind uint32
	data string
}

var (
	notifications     = make(chan notification, 64)
	notificationsOnce sync.Once
	notifyCallback    uintptr
)

func onNotification(kind uintptr, context uintptr, status uintptr, data *uint16) uintptr {
	notifications <- notification{uint32(kind), windows.UTF16PtrToString(data)}
	return 0
}

func TestServiceNotifications(t *testing.T) {
	notificationsOnce.Do(func() { notifyCallback = syscall.NewCallback(onNotification) })
	var handle uintptr
	hr, _, _ := registerCallback.Call(notifyCallback, 0, uintptr(unsafe.Pointer(&handle)))
	if hr != 0 {
		t.Fatalf("HcnRegisterServiceCallback: 0x%08X", hr)
	}
	network := l2bridge(t, "interop-notify", "10.250.7.0/24", "10.250.7.1")
	must(t, "delete network", network.Delete())
	want := []uint32{0x2, 0x4} // HcnNotificationNetworkCreate, HcnNotificationNetworkDelete
	for _, kind := range want {
		select {
		case n := <-notifications:
			if n.kind != kind || !strings.Contains(strings.ToUpper(n.data), strings.ToUpper(network.Id)) {
				t.Fatalf("notification %#x %q, want %#x about %s", n.kind, n.data, kind, network.Id)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no notification %#x within 10 s", kind)
		}
	}
	hr, _, _ = unregisterCallback.Call(handle)
	if hr != 0 {
		t.Fatalf("HcnUnregisterServiceCallback: 0x%08X", hr)
	}
	hr, _, _ = unregisterCallback.Call(handle)
	if uint32(hr) != 0x80070006 {
		t.Fatalf("unregistering twice: 0x%08X, want E_HANDLE", hr)
	}
}
