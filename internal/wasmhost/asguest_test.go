package wasmhost

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/portico/portico/internal/wasmhost/wasmhosttest"
)

// The AssemblyScript port of pii-mask (wasm-transforms/assemblyscript),
// built once per test binary with the compiler pinned in its
// package-lock.json (wasmhosttest.ASGuest: npm ci + asc).
var asBuild struct {
	mu   sync.Mutex
	wasm []byte
}

func asGuest(t testing.TB) []byte {
	t.Helper()
	asBuild.mu.Lock()
	defer asBuild.mu.Unlock()
	if asBuild.wasm == nil { // ASGuest skips or fails t itself
		asBuild.wasm = wasmhosttest.ASGuest(t)
	}
	return asBuild.wasm
}

// asCases are inputs of the Go piimask tests (examples/piimask) with the
// Go implementation's output: the port must give the same bytes.
var asCases = []struct{ in, want string }{
	{` { "a" : [1, {"b": "x"}, [], {}] , "c": null, "d": false } `, `{"a":[1,{"b":"x"},[],{}],"c":null,"d":false}`},
	{`{"password": "x", "PassWord": 12, "secret": null, "token": true, "ssn": [1, "2"], "iban": {"a": "b"}}`,
		`{"password":"****","PassWord":"****","secret":null,"token":true,"ssn":[1,"2"],"iban":{"a":"b"}}`},
	{`{"ssn": "", "Ssn": 0, "SSN": -1.5, "ssn ": 1, "sn": 1, "tokens": 1, "p\u0061ssword": "x", "IBAN": "DE89"}`,
		`{"ssn":"****","Ssn":"****","SSN":"****","ssn ":1,"sn":1,"tokens":1,"password":"****","IBAN":"****"}`},
	{"{\"pa\u017f\u017fword\": 1, \"to\u212aen\": \"x\", \"\u00e9\": 2}", "{\"pa\u017f\u017fword\":\"****\",\"to\u212aen\":\"****\",\"\u00e9\":2}"},
	{`{"pa\u017f\u017fword": 1, "to\u212aen": "x", "x\u003cy": "<&>"}`, "{\"pa\u017f\u017fword\":\"****\",\"to\u212aen\":\"****\",\"x\\u003cy\":\"\\u003c\\u0026\\u003e\"}"},
	{`"\ud800\u0041"`, "\"\ufffdA\""},
	{`"a@b.cd a@b.c a@.cd a@b..cd a@b.cd. a@b.cd.. @b.cd a@ a@b a.@b.cd x@y.z.ab user@localhost"`,
		`"**** a@b.c a@.cd **** ****. ****.. @b.cd a@ a@b **** **** user@localhost"`},
	{`"card 4111 1111 1111 1111, 4111-1111-1111-1111; 4111111111111111 4111111111111112 5500-0000-0000-0004"`,
		`"card ****, ****; 4111111111111111 4111111111111112 ****"`},
	{`"4111111111111111abc 41111111111111111 4111  1111 1111 1111 4111 -1111 1111 1111 4111111111111111-"`,
		`"****abc 41111111111111111 4111  **** -1111 1111 1111 ****-"`},
}

func TestASGuestPIIMask(t *testing.T) {
	ctx := context.Background()
	h, err := New(ctx, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close(ctx)
	m, err := h.Load(ctx, asGuest(t), LoadOptions{Name: "pii-mask-as"})
	if err != nil {
		t.Fatal(err)
	}
	in, want, _ := exampleFiles(t, "pii-mask")
	for range 3 { // a reused instance gives the same answer
		res, err := m.Call(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(res.Output, want) {
			t.Fatalf("golden:\ngot  %s\nwant %s", res.Output, want)
		}
	}
	for _, c := range asCases {
		res, err := m.Call(ctx, []byte(c.in))
		if err != nil || string(res.Output) != c.want {
			t.Errorf("%s:\ngot  %s (%v)\nwant %s", c.in, res.Output, err, c.want)
		}
	}
	// Invalid JSON is an error through the ABI (bit 31 of the length),
	// the instance is discarded and the next call still works.
	for _, bad := range []string{`{"a":`, `[1,]`, `"\x"`, string(bytes.Repeat([]byte("["), 66)) + string(bytes.Repeat([]byte("]"), 66))} {
		_, err := m.Call(ctx, []byte(bad))
		var ce *CallError
		if !errors.As(err, &ce) || !errors.Is(err, ErrGuest) || ce.Message != "pii-mask: invalid JSON" || ce.Module != "pii-mask-as" {
			t.Fatalf("%q: err = %v", bad, err)
		}
	}
	if res, err := m.Call(ctx, in); err != nil || !bytes.Equal(res.Output, want) {
		t.Fatalf("after errors: %v", err)
	}
	// The guest imports nothing at all.
	if imports := asImports(t, h); imports != 0 {
		t.Fatalf("%d imports", imports)
	}
}

func asImports(t *testing.T, h *Host) int {
	code, err := h.rt.CompileModule(context.Background(), asGuest(t))
	if err != nil {
		t.Fatal(err)
	}
	defer code.Close(context.Background())
	return len(code.ImportedFunctions())
}
