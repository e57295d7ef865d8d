package management

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"

	"github.com/portico/portico/internal/identity"
)

func TestValidateDryRun(t *testing.T) {
	e := newEnv(t)
	tok := e.token(tenantA, identity.RoleDeveloper)
	tests := []struct {
		name     string
		kind     string
		body     string
		status   int
		pointers []string
	}{
		{"valid endpoint", "endpoint", `{"method":"GET","path":"/items/{id}","target":{"type":"integration","integration":"backend","path":"/x/{id}"}}`, 200, nil},
		{"endpoint field errors", "endpoint", `{"method":"FETCH","path":"orders","target":{"type":"integration"}}`, 200, []string{"/method", "/path", "/target/integration"}},
		{"unknown target integration", "endpoint", `{"method":"GET","path":"/a","target":{"type":"integration","integration":"nope"}}`, 200, []string{"/target/integration"}},
		{"target path param not in path", "endpoint", `{"method":"GET","path":"/a","target":{"type":"integration","integration":"backend","path":"/b/{id}"}}`, 200, []string{"/target/path"}},
		{"api", "api", `{"slug":"Bad Slug","name":"","basePath":"/"}`, 200, []string{"/slug", "/name", "/basePath"}},
		{"version", "version", `{"name":"1"}`, 200, []string{"/name"}},
		{"integration", "integration", `{"slug":"x","name":"X","type":"http","url":"ftp://h","retry":{"maxAttempts":0}}`, 200, []string{"/url", "/retry/maxAttempts"}},
		{"consumer", "consumer", `{"slug":"mobile-2","name":"M"}`, 200, nil},
		{"member", "member", `{"email":"nope","role":"boss"}`, 200, []string{"/email", "/role"}},
		{"valid workflow", "workflow", `{"slug":"checkout","steps":[{"name":"reserve","type":"call","call":{"integration":"backend","path":"/r"}}]}`, 200, nil},
		{"workflow with an unknown integration and transform", "workflow", `{"slug":"checkout","steps":[
			{"name":"reserve","type":"call","call":{"integration":"nope"},"next":"shape"},
			{"name":"shape","type":"transform","transform":{"transform":"nope"}}]}`, 200, []string{"/steps/0/call/integration", "/steps/1/transform/transform"}},
		{"undecodable body is the create 400", "integration", `{"timeoutMs":"soon"}`, 400, nil},
		{"unknown field is the create 400", "api", `{"slug":"x","name":"X","colour":"red"}`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.auditCount(tenantA)
			rec := e.do(http.MethodPost, prefix+"/validate/"+tt.kind, tok, tt.body)
			if rec.Code != tt.status {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.status, rec.Body)
			}
			if got := e.auditCount(tenantA); got != before {
				t.Fatalf("a dry run wrote %d audit entries", got-before)
			}
			if tt.status != 200 {
				return
			}
			var v validation
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, fe := range v.Errors {
				got = append(got, fe.Pointer)
			}
			if !reflect.DeepEqual(got, tt.pointers) || v.Valid != (len(tt.pointers) == 0) {
				t.Fatalf("valid = %v, pointers = %v, want %v", v.Valid, got, tt.pointers)
			}
		})
	}
}
