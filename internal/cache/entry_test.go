package cache_test

import (
	"encoding/binary"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/portico/portico/internal/cache"
)

func TestEncodeRoundTrip(t *testing.T) {
	e := &cache.Entry{
		Status: 203, Header: http.Header{"Etag": {`"abc"`}, "Vary": {"Accept", "Accept-Language"}},
		Body: []byte("{\"id\":1}"), StoredAt: time.Unix(1764000000, 123456789), TTL: 90 * time.Second,
		Tenant: "acme", API: "orders", Version: "v1", Path: "/v1/orders/1", Tags: []string{"orders", "order-1"},
		Endpoint: "get-order", StaleIfError: 5 * time.Minute,
	}
	got, err := cache.Decode(e.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !got.StoredAt.Equal(e.StoredAt) {
		t.Fatalf("StoredAt %v, want %v", got.StoredAt, e.StoredAt)
	}
	got.StoredAt = e.StoredAt
	if !reflect.DeepEqual(got, e) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, e)
	}
}

// TestDecodeOldVersions: entries written before tags (encoding 1, no
// endpoint and tag list after the path) and before stale-if-error
// (encoding 2, no window after the TTL) still decode.
func TestDecodeOldVersions(t *testing.T) {
	e := &cache.Entry{Status: 200, Body: []byte("x"), StoredAt: time.Unix(1764000000, 0), TTL: time.Second}
	v3 := e.Encode()
	// version, status, stored at, TTL, the stale-if-error window, four
	// empty strings, then the endpoint and the tag count.
	n := 1 + len(binary.AppendUvarint(nil, 200)) + len(binary.AppendVarint(nil, e.StoredAt.UnixNano())) +
		len(binary.AppendVarint(nil, int64(e.TTL)))
	if v3[n] != 0 || v3[n+5] != 0 || v3[n+6] != 0 {
		t.Fatalf("no empty window, endpoint and tag list at %d: % x", n, v3)
	}
	v2 := append(append([]byte{2}, v3[1:n]...), v3[n+1:]...)
	v1 := append(append([]byte{1}, v3[1:n]...), append(slices.Clone(v3[n+1:n+5]), v3[n+7:]...)...)
	for name, data := range map[string][]byte{"v1": v1, "v2": v2} {
		got, err := cache.Decode(data)
		if err != nil || got.Status != 200 || string(got.Body) != "x" || got.Tags != nil || got.StaleIfError != 0 {
			t.Fatalf("Decode(%s) = %+v, %v", name, got, err)
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	good := (&cache.Entry{Status: 200, Body: []byte("x"), TTL: time.Second}).Encode()
	tests := []struct {
		name string
		data []byte
	}{
		{"empty", nil},
		{"wrong version", append([]byte{9}, good[1:]...)},
		{"truncated", good[:len(good)-1]},
		{"trailing bytes", append(append([]byte{}, good...), 0)},
		{"huge header count", []byte{1, 200, 1, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0x0f}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cache.Decode(tc.data); !errors.Is(err, cache.ErrCorrupt) {
				t.Fatalf("Decode = %v, want ErrCorrupt", err)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	f.Add((&cache.Entry{Status: 200, Header: http.Header{"A": {"b"}}, Body: []byte("x"), TTL: time.Second}).Encode())
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := cache.Decode(data)
		if err != nil {
			return
		}
		again, err := cache.Decode(e.Encode())
		if err != nil || again.Status != e.Status || string(again.Body) != string(e.Body) {
			t.Fatalf("re-decode of a decoded entry: %v", err)
		}
	})
}
