// Package driver runs real Windows components against hnsim: for each
// profile it starts a real hnsd on a fresh store, points a Wine prefix at it
// (tools/wine-setup.sh), and runs under Wine
//
//   - the hcsshim conformance client (../hcnclient, built with
//     `GOOS=windows go test -c`), which reaches hnsd through the environment;
//   - on ws2025, whose HNS version (15.4) enables every hcsshim feature,
//     hcsshim's own hcn integration tests (`go test -c -tags integration
//     github.com/Microsoft/hcsshim/hcn`), unmodified: they use TierAcl,
//     NetworkACL, ModifyLoadbalancer and Accelnet without checking the
//     version gates, so on the older profiles the six tests that do fail
//     exactly as they would on real HNS of that version;
//   - the upstream CNI plugins win-bridge and win-overlay
//     (github.com/containernetworking/plugins) with the real host-local IPAM,
//     ADD, CHECK and DEL with real l2bridge and overlay configurations, which
//     reach hnsd through hnsim.conf beside the DLLs, as a plugin started by a
//     container runtime would;
//
// and checks the HNS state each step leaves with
// `hnsim diag list all --json --hnsd SOCKET`.
//
// tests/interop/run.sh builds everything and sets the environment:
// HNSIM_INTEROP_HNSD, HNSIM_INTEROP_HNSIM (binaries), HNSIM_INTEROP_BIN (the
// .exe files, and dlls/), HNSIM_INTEROP_WORK (where the prefix lives),
// HNSIM_INTEROP_ROOT (the source tree), HNSIM_INTEROP_PROFILES.
package driver

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

type setup struct {
	hnsd, hnsim, bin, work, root string
	profiles                     []string
}

func readSetup(t *testing.T) setup {
	s := setup{
		hnsd: os.Getenv("HNSIM_INTEROP_HNSD"), hnsim: os.Getenv("HNSIM_INTEROP_HNSIM"),
		bin: os.Getenv("HNSIM_INTEROP_BIN"), work: os.Getenv("HNSIM_INTEROP_WORK"),
		root: os.Getenv("HNSIM_INTEROP_ROOT"),
	}
	s.profiles = strings.Fields(os.Getenv("HNSIM_INTEROP_PROFILES"))
	if s.hnsd == "" || s.hnsim == "" || s.bin == "" || s.work == "" || s.root == "" {
		t.Skip("interop: run through tests/interop/run.sh, which builds the DLLs and the " +
			"Windows programs and sets HNSIM_INTEROP_*")
	}
	if len(s.profiles) == 0 {
		s.profiles = []string{"ws2019", "ws2022", "ws2025"}
	}
	return s
}

// daemon is one hnsd on a fresh store.
type daemon struct {
	cmd     *exec.Cmd
	socket  string
	tcp     string
	token   string
	profile string
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startDaemon(t *testing.T, s setup, profile string) *daemon {
	dir := t.TempDir()
	d := &daemon{socket: filepath.Join(dir, "hnsd.sock"), token: filepath.Join(dir, "token"),
		tcp: fmt.Sprintf("127.0.0.1:%d", freePort(t)), profile: profile}
	ready, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(s.hnsd, "--store", filepath.Join(dir, "store.db"), "--socket", d.socket,
		"--tcp", d.tcp, "--token-file", d.token, "--profile", profile, "--seed", "7",
		"--ready-fd", "3")
	d.cmd.ExtraFiles = []*os.File{w}
	d.cmd.Stderr = os.Stderr
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("start hnsd: %v", err)
	}
	w.Close()
	line, err := bufio.NewReader(ready).ReadString('\n')
	ready.Close()
	if err != nil || strings.TrimSpace(line) != "READY=1" {
		t.Fatalf("hnsd did not become ready: %q %v", line, err)
	}
	t.Cleanup(func() {
		_ = d.cmd.Process.Signal(os.Interrupt)
		_ = d.cmd.Wait()
	})
	return d
}

// call sends one request to hnsd over its Unix socket, the way flannel or
// containerd would program the node before the CNI plugin runs.
func (d *daemon) call(t *testing.T, request map[string]interface{}) map[string]interface{} {
	t.Helper()
	conn, err := net.Dial("unix", d.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	request["v"], request["id"] = 1, 1
	body, _ := json.Marshal(request)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	if _, err := conn.Write(append(frame, body...)); err != nil {
		t.Fatal(err)
	}
	var header [4]byte
	if _, err := io.ReadFull(conn, header[:]); err != nil {
		t.Fatal(err)
	}
	reply := make([]byte, binary.BigEndian.Uint32(header[:]))
	if _, err := io.ReadFull(conn, reply); err != nil {
		t.Fatal(err)
	}
	var out map[string]interface{}
	if err := json.Unmarshal(reply, &out); err != nil {
		t.Fatal(err)
	}
	if hr, _ := out["hr"].(float64); hr != 0 {
		t.Fatalf("hnsd %v: hr %v %v", request, hr, out["error"])
	}
	return out
}

// create makes one object through HCN semantics and returns its id.
func (d *daemon) create(t *testing.T, kind string, document string) string {
	t.Helper()
	out := d.call(t, map[string]interface{}{"op": "call", "kind": kind, "call": "create",
		"json": document})
	id, _ := out["result"].(string)
	return id
}

// state is `hnsim diag list all --json` of the daemon.
type state struct {
	Networks   []map[string]interface{}
	Endpoints  []map[string]interface{}
	Namespaces []map[string]interface{}
}

func (d *daemon) diag(t *testing.T, s setup) state {
	t.Helper()
	out, err := exec.Command(s.hnsim, "diag", "list", "all", "--json", "--hnsd", d.socket).Output()
	if err != nil {
		t.Fatalf("hnsim diag: %v", err)
	}
	var st state
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("hnsim diag output: %v\n%s", err, out)
	}
	return st
}

// prefix is the Wine prefix of this run, set up for one daemon.
type prefix struct {
	dir        string
	wineserver string
}

func setupPrefix(t *testing.T, s setup, d *daemon) *prefix {
	p := &prefix{dir: filepath.Join(s.work, "wineprefix")}
	cmd := exec.Command(filepath.Join(s.root, "tools", "wine-setup.sh"), "--prefix", p.dir,
		"--dlls", filepath.Join(s.bin, "dlls"), "--profile", d.profile, "--hnsd", "tcp:"+d.tcp,
		"--token-file", d.token)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wine-setup: %v\n%s", err, out)
	}
	p.wineserver = "wineserver"
	if _, err := exec.LookPath(p.wineserver); err != nil {
		p.wineserver = "/usr/lib/wine/wineserver"
	}
	// A persistent wineserver makes each process start warm (wine-interop.md 13).
	// It stays in the foreground: started here, ended with `wineserver -k`.
	server := exec.Command(p.wineserver, "-p")
	server.Env = p.env(nil)
	if err := server.Start(); err != nil {
		t.Fatalf("wineserver -p: %v", err)
	}
	t.Cleanup(func() {
		kill := exec.Command(p.wineserver, "-k")
		kill.Env = p.env(nil)
		_ = kill.Run()
		_ = server.Wait()
	})
	return p
}

func (p *prefix) env(extra []string) []string {
	env := []string{"WINEPREFIX=" + p.dir, "WINEDEBUG=-all", "HOME=" + os.Getenv("HOME"),
		"PATH=" + os.Getenv("PATH")}
	return append(env, extra...)
}

// wine runs a Windows program; stdin may be nil. Output goes through files,
// not pipes: Wine's own service processes inherit the descriptors and would
// hold a pipe open long after the program exits.
func (p *prefix) wine(exe string, args []string, env []string, stdin []byte) (string, string, error) {
	wine := "wine"
	if _, err := exec.LookPath(wine); err != nil {
		wine = "/usr/lib/wine/wine64"
	}
	cmd := exec.Command(wine, append([]string{exe}, args...)...)
	cmd.Env = p.env(env)
	outFile, err := os.CreateTemp("", "wine-stdout")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(outFile.Name())
	defer outFile.Close()
	errFile, err := os.CreateTemp("", "wine-stderr")
	if err != nil {
		return "", "", err
	}
	defer os.Remove(errFile.Name())
	defer errFile.Close()
	cmd.Stdout, cmd.Stderr = outFile, errFile
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	runErr := cmd.Run()
	stdout, _ := os.ReadFile(outFile.Name())
	stderr, _ := os.ReadFile(errFile.Name())
	return string(stdout), string(stderr), runErr
}

// windowsPath names a Unix path through Wine's drive Z:.
func windowsPath(path string) string { return "Z:" + strings.ReplaceAll(path, "/", `\`) }

func TestInterop(t *testing.T) {
	s := readSetup(t)
	for _, profile := range s.profiles {
		t.Run(profile, func(t *testing.T) {
			d := startDaemon(t, s, profile)
			p := setupPrefix(t, s, d)
			t.Run("hcsshim-conformance", func(t *testing.T) { hcsshimConformance(t, s, d, p) })
			if profile == "ws2025" {
				t.Run("hcsshim-upstream-hcn", func(t *testing.T) { hcsshimUpstream(t, s, d, p) })
			}
			t.Run("win-bridge", func(t *testing.T) { winBridge(t, s, d, p) })
			t.Run("win-overlay", func(t *testing.T) { winOverlay(t, s, d, p) })
		})
	}
}

func hcsshimConformance(t *testing.T, s setup, d *daemon, p *prefix) {
	stdout, stderr, err := p.wine(filepath.Join(s.bin, "hcnclient.test.exe"), []string{"-test.v"},
		[]string{"HNSIM_INTEROP_PROFILE=" + d.profile, "HNSIM_HNSD=tcp:" + d.tcp,
			"HNSIM_HNSD_TOKEN_FILE=" + d.token}, nil)
	t.Logf("hcsshim conformance client (%s):\n%s%s", d.profile, stdout, stderr)
	if err != nil || !strings.Contains(stdout, "\nPASS") {
		t.Fatalf("conformance client failed: %v", err)
	}
	if st := d.diag(t, s); len(st.Networks)+len(st.Endpoints)+len(st.Namespaces) != 0 {
		t.Fatalf("the client's cleanup left objects: %+v", st)
	}
	// Per-call cost through the bridge: reported, never asserted.
	stdout, stderr, err = p.wine(filepath.Join(s.bin, "hcnclient.test.exe"),
		[]string{"-test.run", "^$", "-test.bench", ".", "-test.benchtime", "300x"},
		[]string{"HNSIM_INTEROP_PROFILE=" + d.profile, "HNSIM_HNSD=tcp:" + d.tcp,
			"HNSIM_HNSD_TOKEN_FILE=" + d.token}, nil)
	if err != nil {
		t.Fatalf("benchmarks: %v\n%s%s", err, stdout, stderr)
	}
	for _, line := range strings.Split(stdout, "\n") {
		if strings.HasPrefix(line, "Benchmark") {
			t.Logf("BENCH %s %s", d.profile, strings.Join(strings.Fields(line), " "))
		}
	}
}

func hcsshimUpstream(t *testing.T, s setup, d *daemon, p *prefix) {
	stdout, stderr, err := p.wine(filepath.Join(s.bin, "hcsshim-hcn.test.exe"), []string{"-test.v"},
		[]string{"HNSIM_HNSD=tcp:" + d.tcp, "HNSIM_HNSD_TOKEN_FILE=" + d.token}, nil)
	passed, failed := strings.Count(stdout, "\n--- PASS"), strings.Count(stdout, "\n--- FAIL")
	t.Logf("hcsshim's hcn integration tests (%s): %d passed, %d failed", d.profile, passed, failed)
	if err != nil || failed != 0 || passed == 0 {
		t.Fatalf("hcsshim hcn tests failed: %v\n%s%s", err, stdout, stderr)
	}
}
