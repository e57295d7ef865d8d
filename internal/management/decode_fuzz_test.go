package management

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portico/portico/internal/identity"
)

// FuzzCreateEndpointBody posts arbitrary bytes as a new endpoint: the API
// must answer every one with a 2xx or a 4xx problem, never a 5xx or a panic.
func FuzzCreateEndpointBody(f *testing.F) {
	for _, seed := range []string{
		`{"method":"GET","path":"/things/{id}","target":{"type":"integration","integration":"backend","path":"/t/{id}"}}`,
		`{"method":"POST","path":"/files/{path+}","target":{"type":"integration","integration":"backend"},"policies":{"auth":{"type":"jwt","scopes":["a"]},"rateLimit":{"algorithm":"tokenBucket","scope":"consumer","limit":5,"windowSeconds":1,"burst":2},"cors":{"allowOrigins":["https://a.example.com"]}}}`,
		`{"method":"GET","path":"/items","target":{"type":"integration","integration":"backend"}}`,
		`{"method":"GET","path":"/x","target":{"type":"workflow","workflow":"w"}}`,
		`{"method":"GET","path":"/x","target":{"type":"integration","integration":"backend"},"policies":{"requestTransforms":[{"transform":"a","x":1}]}}`,
		`{"method":"GET","path":"/{a}/{a}","target":{"type":"integration","integration":"nosuch"}}`,
		`{"id":"x","api":"other","revision":"1"}`,
		`{"path":"/` + strings.Repeat("{a}/", 50) + `"}`,
		`{"method":"GET"}{"method":"GET"}`,
		`null`, `[]`, `""`, `{"path":1e400}`, `{"policies":{"cache":{"ttlSeconds":-1}}}`,
		"{\"method\":\"GET\",\"path\":\"/\xff\"}",
		``, `{`, `{"a":`,
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f)
	tok := e.token(tenantA, identity.RoleDeveloper)
	f.Fuzz(func(t *testing.T, body []byte) {
		e := *e // report through t, not f
		e.t = t
		rec := e.serve(req{method: "POST", path: epPath, token: tok, rawBody: strings.NewReader(string(body))})
		switch {
		case rec.Code >= 500:
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		case rec.Code == http.StatusCreated:
			if !json.Valid(rec.Body.Bytes()) || rec.Header().Get("Location") == "" {
				t.Fatalf("201 without a JSON body or Location: %s", rec.Body)
			}
		case rec.Code >= 400:
			if !isProblem(rec) {
				t.Fatalf("status %d is not problem+json: %s", rec.Code, rec.Body)
			}
			var p problemDoc
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code {
				t.Fatalf("bad problem body %s", rec.Body)
			}
			for _, fe := range p.Errors {
				if fe.Pointer != "" && !strings.HasPrefix(fe.Pointer, "/") {
					t.Fatalf("pointer %q is not a JSON pointer", fe.Pointer)
				}
			}
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}
