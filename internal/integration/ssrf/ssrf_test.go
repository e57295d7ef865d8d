package ssrf

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

func TestCheckURL(t *testing.T) {
	public := netip.MustParseAddr("93.184.215.14")
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "public.example":
			return []netip.Addr{public}, nil
		case "sneaky.example":
			return []netip.Addr{public, netip.MustParseAddr("10.0.0.7")}, nil
		case "metadata.example":
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}, nil
		}
		return nil, errors.New("no such host")
	}
	strict := New(Policy{Lookup: lookup})
	local := New(Policy{Allow: mustAllow(t, "127.0.0.1:8081")})
	tests := []struct {
		name string
		g    *Guard
		url  string
		ok   bool
	}{
		{"public https", strict, "https://public.example/v1", true},
		{"public on 8080", strict, "http://public.example:8080", true},
		{"unresolvable name passes to the dial check", strict, "https://nowhere.example", true},
		{"public literal", strict, "https://93.184.215.14", true},
		{"port not allowed", strict, "https://public.example:25", false},
		{"port not allowed unresolved", strict, "https://nowhere.example:6379", false},
		{"ftp", strict, "ftp://public.example", false},
		{"credentials", strict, "https://u:p@public.example", false},
		{"loopback", strict, "http://127.0.0.1", false},
		{"loopback other", strict, "http://127.8.9.10", false},
		{"localhost", strict, "http://localhost", false},
		{"localhost subdomain", strict, "http://api.localhost.", false},
		{"ipv6 loopback", strict, "http://[::1]", false},
		{"aws metadata", strict, "http://169.254.169.254/latest/meta-data/", false},
		{"ecs metadata", strict, "http://169.254.170.2/v2/credentials", false},
		{"aws metadata ipv6", strict, "http://[fd00:ec2::254]/", false},
		{"ipv4-mapped loopback", strict, "http://[::ffff:127.0.0.1]/", false},
		{"ipv4-mapped metadata hex", strict, "http://[::ffff:a9fe:a9fe]/", false},
		{"nat64 loopback", strict, "http://[64:ff9b::7f00:1]/", false},
		{"zero", strict, "http://0.0.0.0", false},
		{"zero short", strict, "http://0", false},
		{"private 10", strict, "http://10.1.2.3", false},
		{"private 172", strict, "http://172.16.0.1", false},
		{"private 192", strict, "http://192.168.1.1", false},
		{"shared cgnat", strict, "http://100.64.0.1", false},
		{"decimal", strict, "http://2130706433/", false},
		{"hex", strict, "http://0x7f000001/", false},
		{"hex dotted short", strict, "http://0x7f.1/", false},
		{"octal", strict, "http://0177.0.0.1/", false},
		{"short dotted", strict, "http://127.1/", false},
		{"decimal metadata", strict, "http://2852039166/", false},
		{"overflowing number", strict, "http://4294967296/", false},
		{"resolves to metadata", strict, "https://metadata.example", false},
		{"one private answer", strict, "https://sneaky.example", false},
		{"allowlisted demo upstream", local, "http://127.0.0.1:8081/", true},
		{"allowlisted address, other port", local, "http://127.0.0.1:8080/", false},
		{"allowlist is not all loopback", local, "http://127.0.0.2:8081/", false},
		{"localhost resolves to allowlisted v4 but also ::1", local, "http://localhost:8081/", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.g.CheckURL(context.Background(), tc.url)
			if tc.ok && err != nil {
				t.Fatalf("CheckURL(%q) = %v, want nil", tc.url, err)
			}
			if !tc.ok && !errors.Is(err, ErrDenied) {
				t.Fatalf("CheckURL(%q) = %v, want ErrDenied", tc.url, err)
			}
		})
	}
}

func mustAllow(t testing.TB, s string) []Allowed {
	t.Helper()
	a, err := ParseAllowList(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestParseAllowList(t *testing.T) {
	got := mustAllow(t, " 127.0.0.1:8081, 10.0.0.0/8 ,::1, [::1]:9000,192.168.1.7/24")
	want := []string{"127.0.0.1:8081", "10.0.0.0/8", "::1/128", "[::1]:9000", "192.168.1.0/24"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("entry %d = %s, want %s", i, got[i], want[i])
		}
	}
	for _, bad := range []string{"localhost", "127.0.0.1:0", "fe80::1%eth0", "10.0.0.0/33", "x/8"} {
		if _, err := ParseAllowList(bad); err == nil {
			t.Errorf("ParseAllowList(%q) accepted", bad)
		}
	}
	if a, err := ParseAllowList(""); err != nil || a != nil {
		t.Errorf("empty list = %v, %v", a, err)
	}
}

func TestParsePorts(t *testing.T) {
	if p, any, err := ParsePorts("443, 8443"); err != nil || any || len(p) != 2 || p[1] != 8443 {
		t.Errorf("got %v %v %v", p, any, err)
	}
	if _, any, err := ParsePorts("*"); err != nil || !any {
		t.Errorf("* = %v %v", any, err)
	}
	for _, bad := range []string{"0", "65536", "http"} {
		if _, _, err := ParsePorts(bad); err == nil {
			t.Errorf("ParsePorts(%q) accepted", bad)
		}
	}
}

func TestParseIPv4Loose(t *testing.T) {
	tests := map[string]string{
		"127.0.0.1": "127.0.0.1", "2130706433": "127.0.0.1", "0x7f000001": "127.0.0.1",
		"0x7f.1": "127.0.0.1", "127.1": "127.0.0.1", "0177.0.0.1": "127.0.0.1", "127.0.1": "127.0.0.1",
		"0": "0.0.0.0", "0x": "0.0.0.0", "169.254.43518": "169.254.169.254", "0xA9.0xFE.0xA9.0xFE": "169.254.169.254",
	}
	for in, want := range tests {
		a, ok := ParseIPv4Loose(in)
		if !ok || a.String() != want {
			t.Errorf("ParseIPv4Loose(%q) = %v, %v; want %s", in, a, ok, want)
		}
	}
	for _, bad := range []string{"", "1.2.3.4.5", "256.1.1.1", "1.2.65536", "08", "1..1", "0x1g", "4294967296"} {
		if a, ok := ParseIPv4Loose(bad); ok {
			t.Errorf("ParseIPv4Loose(%q) = %v, want failure", bad, a)
		}
	}
}

// TestDialTimeCheck proves the check happens on the dialled address: a
// host name that resolves to loopback is refused at connect time, and the
// same server is reachable once its exact address is allowlisted.
func TestDialTimeCheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	t.Cleanup(srv.Close)
	addr := netip.MustParseAddrPort(srv.Listener.Addr().String())
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	client := func(g *Guard) *http.Client {
		d := g.Dialer(time.Second)
		return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	// "localhost" goes through the resolver, like a rebinding DNS name.
	url := "http://localhost:" + port + "/"
	_, err := client(New(Policy{AnyPort: true})).Get(url)
	if !errors.Is(err, ErrDenied) {
		t.Fatalf("dial to loopback through a name: %v, want ErrDenied", err)
	}
	resp, err := client(New(Policy{Allow: []Allowed{{Prefix: netip.PrefixFrom(addr.Addr(), 32), Port: addr.Port()}}})).Get(srv.URL)
	if err != nil {
		t.Fatalf("allowlisted: %v", err)
	}
	resp.Body.Close()
}

func TestControl(t *testing.T) {
	g := New(Policy{})
	tests := []struct {
		network, addr string
		ok            bool
	}{
		{"tcp4", "93.184.215.14:443", true},
		{"tcp6", "[2606:2800:21f:cb07:6820:80da:af6b:8b2c]:443", true},
		{"tcp4", "93.184.215.14:22", false},
		{"udp4", "93.184.215.14:443", false},
		{"tcp4", "169.254.169.254:80", false},
		{"tcp6", "[fd00:ec2::254]:80", false},
		{"tcp6", "[::ffff:169.254.169.254]:80", false},
		{"tcp6", "[fe80::1%eth0]:80", false},
		{"tcp4", "garbage", false},
	}
	for _, tc := range tests {
		err := g.Control(tc.network, tc.addr, nil)
		if (err == nil) != tc.ok {
			t.Errorf("Control(%s, %s) = %v, want ok=%v", tc.network, tc.addr, err, tc.ok)
		}
	}
}
