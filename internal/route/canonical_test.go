package route

import (
	"errors"
	"strings"
	"testing"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"root", "/", "/"},
		{"clean", "/orders/42", "/orders/42"},
		{"double slash", "//a", "/a"},
		{"many slashes", "/a///b////", "/a/b"},
		{"only slashes", "////", "/"},
		{"dotdot", "/a/../b", "/b"},
		{"encoded dotdot", "/a/%2e%2e/b", "/b"},
		{"encoded dotdot upper", "/a/%2E%2E/b", "/b"},
		{"mixed encoded dotdot", "/a/.%2e/b", "/b"},
		{"above root", "/../../etc", "/etc"},
		{"encoded above root", "/%2e%2e/%2e%2e/etc", "/etc"},
		{"trailing slash", "/a/b/", "/a/b"},
		{"dot", "/a/./b", "/a/b"},
		{"trailing dot", "/a/b/.", "/a/b"},
		{"trailing dotdot", "/a/b/..", "/a"},
		{"dotdot to root", "/a/..", "/"},
		{"dot only", "/.", "/"},
		{"dots are not dot segments", "/a/.../b/.x/..y", "/a/.../b/.x/..y"},
		{"encoded slash stays", "/a%2fb", "/a%2Fb"},
		{"encoded slash is not a separator", "/a%2F..%2Fb/..", "/"},
		{"encoded slash dotdot", "/a/%2e%2e%2fb", "/a/..%2Fb"},
		{"unreserved decoded", "/%41%62c%2D%5f%7E%30", "/Abc-_~0"},
		{"reserved hex uppercased", "/a%3ab%3F", "/a%3Ab%3F"},
		{"case preserved", "/Orders/AbC", "/Orders/AbC"},
		{"space encoded", "/a b", "/a%20b"},
		{"non-ascii encoded", "/caf\xc3\xa9", "/caf%C3%A9"},
		{"utf8 escape kept", "/caf%c3%a9", "/caf%C3%A9"},
		{"sub-delims kept", "/a!$&'()*+,;=:@b", "/a!$&'()*+,;=:@b"},
		{"encoded control kept", "/a%0Ab", "/a%0Ab"},
		{"backslash encoded", `/a\..\b`, "/a%5C..%5Cb"},
		{"percent encoded percent", "/100%25", "/100%25"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.in)
			if err != nil {
				t.Fatalf("Canonical(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
			}
			again, err := Canonical(got)
			if err != nil || again != got {
				t.Fatalf("Canonical(%q) = %q, %v; not idempotent", got, again, err)
			}
		})
	}
}

func TestCanonicalRejects(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", `must start with "/"`},
		{"relative", "a/b", `must start with "/"`},
		{"absolute URL", "http://x/a", `must start with "/"`},
		{"NUL", "/a\x00b", "control character 0x00"},
		{"encoded NUL", "/a%00b", "NUL (%00)"},
		{"newline", "/a\nb", "control character 0x0A"},
		{"DEL", "/a\x7f", "control character 0x7F"},
		{"tab", "/a\tb", "control character 0x09"},
		{"bad escape", "/a%zzb", "invalid percent-escape at byte 2"},
		{"half escape", "/a%4", "invalid percent-escape"},
		{"lone percent", "/a%", "invalid percent-escape"},
		{"too long", "/" + strings.Repeat("a", MaxPathLen), "longer than 8192 bytes"},
		{"too long once escaped", "/" + strings.Repeat(" ", MaxPathLen/2), "longer than 8192 bytes once escaped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Canonical(tt.in)
			if err == nil {
				t.Fatalf("Canonical(%q) = %q, want error", tt.in, got)
			}
			if !errors.Is(err, ErrBadPath) {
				t.Errorf("error %v does not wrap ErrBadPath", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestCanonicalMaxLenAccepted(t *testing.T) {
	in := "/" + strings.Repeat("a", MaxPathLen-1)
	if got, err := Canonical(in); err != nil || got != in {
		t.Fatalf("Canonical(8 KiB path) = %d bytes, %v", len(got), err)
	}
}

func TestCanonicalCleanDoesNotAllocate(t *testing.T) {
	in := "/v1/Tenants/acme/orders/12345/items/%2Fx"
	allocs := testing.AllocsPerRun(100, func() {
		if out, err := Canonical(in); err != nil || out != in {
			t.Fatalf("Canonical(%q) = %q, %v", in, out, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Canonical of a canonical path: %v allocs, want 0", allocs)
	}
}

func FuzzCanonical(f *testing.F) {
	for _, s := range []string{
		"/", "//a", "/a/../b", "/a/%2e%2e/b", "/../../etc", "/a/b/", "/a%2fb",
		"/a/./b/.", "/%41%7e", "/a b", "/caf\xc3\xa9", "/%", "/a%00", "/.%2E/x",
		"/a%2F..%2Fb", "/x/%2e/%2E%2e/y/", "relative",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Canonical(in)
		if err != nil {
			if !errors.Is(err, ErrBadPath) {
				t.Fatalf("Canonical(%q): error %v does not wrap ErrBadPath", in, err)
			}
			return
		}
		if !strings.HasPrefix(out, "/") {
			t.Fatalf("Canonical(%q) = %q: does not start with /", in, out)
		}
		if strings.Contains(out, "//") {
			t.Fatalf("Canonical(%q) = %q: contains //", in, out)
		}
		if out != "/" && strings.HasSuffix(out, "/") {
			t.Fatalf("Canonical(%q) = %q: trailing slash", in, out)
		}
		for _, seg := range strings.Split(out[1:], "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("Canonical(%q) = %q: dot segment", in, out)
			}
		}
		again, err := Canonical(out)
		if err != nil || again != out {
			t.Fatalf("Canonical(%q) = %q, but Canonical(%q) = %q, %v", in, out, out, again, err)
		}
	})
}

func TestCharClasses(t *testing.T) {
	const unreserved = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
	const pchar = unreserved + "!$&'()*+,;=" + ":@"
	for c := range 256 {
		b := byte(c)
		if got, want := isUnreserved(b), strings.IndexByte(unreserved, b) >= 0; got != want {
			t.Errorf("isUnreserved(%q) = %v", b, got)
		}
		if got, want := isPchar(b), strings.IndexByte(pchar, b) >= 0; got != want {
			t.Errorf("isPchar(%q) = %v", b, got)
		}
	}
}
