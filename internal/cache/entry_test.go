package cache_test

import (
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/portico/portico/internal/cache"
)

func TestEncodeRoundTrip(t *testing.T) {
	e := &cache.Entry{
		Status: 203, Header: http.Header{"Etag": {`"abc"`}, "Vary": {"Accept", "Accept-Language"}},
		Body: []byte("{\"id\":1}"), StoredAt: time.Unix(1764000000, 123456789), TTL: 90 * time.Second,
		Tenant: "acme", API: "orders", Version: "v1", Path: "/v1/orders/1",
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
