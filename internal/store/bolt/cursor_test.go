package bolt

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/portico/portico/internal/store"
)

func TestDecodeCursor(t *testing.T) {
	b64 := base64.RawURLEncoding.EncodeToString
	prefix := tableKey("P", "A#")
	valid := tableKey("P", "A#1")
	tests := []struct {
		name    string
		cur     string
		onIndex bool
		want    []byte // nil: ErrInvalidCursor
	}{
		{"valid", encodeCursor(valid, false), false, valid},
		{"valid index", encodeCursor([]byte("G\x00A#1\x00P\x00S"), true), true, []byte("G\x00A#1\x00P\x00S")},
		{"not base64", "!!", false, nil},
		{"padded", b64(append([]byte{tagTable}, valid...)) + "=", false, nil},
		{"std alphabet", "+/+/", false, nil},
		{"empty payload", b64(nil), false, nil},
		{"tag only", b64([]byte{tagTable}), false, nil},
		{"wrong tag", b64(append([]byte{'x'}, valid...)), false, nil},
		{"index tag on table", b64(append([]byte{tagIndex}, valid...)), false, nil},
		{"outside prefix", encodeCursor(tableKey("P", "B#1"), false), false, nil},
		{"other partition", encodeCursor(tableKey("Q", "A#1"), false), false, nil},
		{"extra separator", encodeCursor(tableKey("P", "A#1\x00x"), false), false, nil},
		{"index key too short", encodeCursor([]byte("P\x00A#1\x00P"), true), true, nil},
		{"index key empty part", encodeCursor([]byte("P\x00A#1\x00\x00S"), true), true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := prefix
			if tt.onIndex {
				p = tableKey("G", "A#")
			}
			got, err := decodeCursor(tt.cur, tt.onIndex, p)
			if tt.want == nil {
				if !errors.Is(err, store.ErrInvalidCursor) {
					t.Fatalf("decodeCursor(%q) = %q, %v; want ErrInvalidCursor", tt.cur, got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("decodeCursor(%q) = %q, %v; want %q", tt.cur, got, err, tt.want)
			}
		})
	}
}

func TestSuccessor(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a", "b"},
		{"a\xff", "b"},
		{"a\xff\xff", "b"},
		{"ab", "ac"},
		{"\xff\xff", ""},
	}
	for _, tt := range tests {
		if got := successor([]byte(tt.in)); string(got) != tt.want {
			t.Errorf("successor(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestItemEncoding(t *testing.T) {
	it := store.Item{PK: "P", SK: "S", GSI1PK: "G", GSI1SK: "H", Version: -3, ExpiresAt: 1 << 40, Data: []byte{0, 1, 2}}
	got, err := decodeItem(it.Key(), encodeItem(it))
	if err != nil || got.GSI1PK != "G" || got.GSI1SK != "H" || got.Version != -3 || got.ExpiresAt != 1<<40 || !bytes.Equal(got.Data, it.Data) {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, raw := range [][]byte{nil, {}, {2}, {formatV1}, {formatV1, 0}, {formatV1, 0, 0, 5, 'a'}} {
		if _, err := decodeItem(it.Key(), raw); err == nil {
			t.Errorf("decodeItem(%q) succeeded", raw)
		}
	}
}

func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(tableKey("P", "A#1"), false), false, "P", "A#")
	f.Add(encodeCursor([]byte("G\x00A#1\x00P\x00S"), true), true, "G", "")
	f.Add("", false, "P", "")
	f.Add("dA", false, "P", "")
	f.Add("!!", true, "P", "x")
	f.Add(base64.RawURLEncoding.EncodeToString([]byte("iG\x00\x00\x00")), true, "G", "")
	f.Fuzz(func(t *testing.T, cur string, onIndex bool, pk, skPrefix string) {
		prefix := tableKey(pk, skPrefix)
		k, err := decodeCursor(cur, onIndex, prefix)
		if err != nil {
			if !errors.Is(err, store.ErrInvalidCursor) {
				t.Fatalf("error %v does not wrap ErrInvalidCursor", err)
			}
			return
		}
		if !bytes.HasPrefix(k, prefix) {
			t.Fatalf("accepted key %q outside prefix %q", k, prefix)
		}
		again, err := decodeCursor(encodeCursor(k, onIndex), onIndex, prefix)
		if err != nil || !bytes.Equal(again, k) {
			t.Fatalf("re-encoded cursor: %q, %v; want %q", again, err, k)
		}
	})
}
