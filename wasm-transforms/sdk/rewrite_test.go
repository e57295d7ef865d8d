package sdk

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestRewriteCopies(t *testing.T) {
	for _, in := range []string{
		`{}`, `[]`, `null`, `true`, `-1.5e3`, `"a\"b\\c\u00e9\ud83d\ude00<>&\n"`,
		` { "a" : [1, {"b": "x"}, [], {}] , "c": null, "d": false } `,
	} {
		got, err := Rewrite(nil, []byte(in), &Visitor{})
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		var a, b any
		if err := json.Unmarshal(got, &a); err != nil {
			t.Fatalf("%s: output %s is not JSON: %v", in, got, err)
		}
		_ = json.Unmarshal([]byte(in), &b)
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if !bytes.Equal(ja, jb) {
			t.Errorf("%s: got %s", in, got)
		}
	}
}

func TestRewriteRejects(t *testing.T) {
	for _, in := range []string{``, `{`, `[1,]`, `{"a"}`, `"abc`, `tru`, `{"a":1}x`, `-`, "\"\x01\"", `"\x"`} {
		if _, err := Rewrite(nil, []byte(in), &Visitor{}); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

func TestRewriteVisitor(t *testing.T) {
	v := &Visitor{
		Key: func(dst, k []byte) []byte {
			if string(k) == "old" {
				return append(dst, "new"...)
			}
			return append(dst, k...)
		},
		String: func(dst, key, s []byte) []byte {
			if string(key) == "name" {
				return append(append(dst, s...), '!')
			}
			return append(dst, s...)
		},
		Number: func(dst, key, raw []byte) []byte {
			if string(key) == "n" {
				return append(dst, '0')
			}
			return append(dst, raw...)
		},
	}
	got, err := Rewrite(nil, []byte(`{"old":{"name":"a\"b","n":5,"m":6},"list":[{"name":"x"}]}`), v)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"new":{"name":"a\"b!","n":0,"m":6},"list":[{"name":"x!"}]}`; string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func FuzzRewrite(f *testing.F) {
	f.Add([]byte(`{"a":[1,"x",{"b":null}]}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := Rewrite(nil, in, &Visitor{})
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("output %q of %q is not JSON", out, in)
		}
		if !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
	})
}
