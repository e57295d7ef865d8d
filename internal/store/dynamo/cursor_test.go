package dynamo

import (
	"encoding/base64"
	"errors"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/portico/portico/internal/store"
)

func TestDecodeCursor(t *testing.T) {
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	tableItem := store.Item{PK: "P", SK: "A#1"}
	indexItem := store.Item{PK: "P", SK: "S", GSI1PK: "G", GSI1SK: "A#1"}
	tests := []struct {
		name    string
		cur     string
		onIndex bool
		ok      bool
	}{
		{"valid", encodeCursor(tableItem, false), false, true},
		{"valid index", encodeCursor(indexItem, true), true, true},
		{"hand-made", b64(`{"SK":"A#9","PK":"P"}`), false, true},
		{"not base64", "!!", false, false},
		{"padded", encodeCursor(tableItem, false) + "==", false, false},
		{"not JSON", b64("PK=P"), false, false},
		{"null", b64("null"), false, false},
		{"array", b64(`["P","A#1"]`), false, false},
		{"empty object", b64(`{}`), false, false},
		{"number value", b64(`{"PK":"P","SK":1}`), false, false},
		{"missing SK", b64(`{"PK":"P","X":"A#1"}`), false, false},
		{"extra attribute", b64(`{"PK":"P","SK":"A#1","D":"x"}`), false, false},
		{"other partition", b64(`{"PK":"Q","SK":"A#1"}`), false, false},
		{"outside prefix", b64(`{"PK":"P","SK":"B#1"}`), false, false},
		{"empty SK", b64(`{"PK":"P","SK":""}`), false, false},
		{"NUL in SK", b64(`{"PK":"P","SK":"A#\u0000"}`), false, false},
		{"table cursor on index", encodeCursor(tableItem, false), true, false},
		{"index cursor on table", encodeCursor(indexItem, true), false, false},
		{"trailing garbage", b64(`{"PK":"P","SK":"A#1"}x`), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pk := "P"
			if tt.onIndex {
				pk = "G"
			}
			key, err := decodeCursor(tt.cur, tt.onIndex, pk, "A#")
			if !tt.ok {
				if !errors.Is(err, store.ErrInvalidCursor) {
					t.Fatalf("decodeCursor = %v, %v; want ErrInvalidCursor", key, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s, ok := key[attrPK].(*types.AttributeValueMemberS); !ok || s.Value != "P" {
				t.Fatalf("start key %v lacks PK", key)
			}
		})
	}
}

func FuzzCursor(f *testing.F) {
	f.Add(encodeCursor(store.Item{PK: "P", SK: "A#1"}, false), false, "P", "A#")
	f.Add(encodeCursor(store.Item{PK: "P", SK: "S", GSI1PK: "G", GSI1SK: "x"}, true), true, "G", "")
	f.Add("", false, "P", "")
	f.Add("e30", false, "P", "")
	f.Add("bnVsbA", true, "P", "")
	f.Add("!!", false, "P", "x")
	f.Fuzz(func(t *testing.T, cur string, onIndex bool, pk, prefix string) {
		key, err := decodeCursor(cur, onIndex, pk, prefix)
		if err != nil {
			if !errors.Is(err, store.ErrInvalidCursor) {
				t.Fatalf("error %v does not wrap ErrInvalidCursor", err)
			}
			return
		}
		it := store.Item{}
		for name, dst := range map[string]*string{attrPK: &it.PK, attrSK: &it.SK, attrGSI1PK: &it.GSI1PK, attrGSI1SK: &it.GSI1SK} {
			if v, ok := key[name].(*types.AttributeValueMemberS); ok {
				*dst = v.Value
			}
		}
		if err := it.Validate(); err != nil {
			t.Fatalf("accepted a cursor with an invalid key: %v", err)
		}
		again, err := decodeCursor(encodeCursor(it, onIndex), onIndex, pk, prefix)
		if err != nil || !maps.EqualFunc(again, key, func(a, b types.AttributeValue) bool {
			return a.(*types.AttributeValueMemberS).Value == b.(*types.AttributeValueMemberS).Value
		}) {
			t.Fatalf("re-encoded cursor: %v, %v; want %v", again, err, key)
		}
	})
}
