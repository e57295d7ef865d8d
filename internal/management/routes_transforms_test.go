package management

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/portico/portico/internal/identity"
	"github.com/portico/portico/internal/problem"
)

func TestPreviewTransform(t *testing.T) {
	e := newEnv(t)
	tok := e.token(tenantA, identity.RoleDeveloper)
	const doc = `{"steps":[
		{"validate":{"schema":{"type":"object","required":["id"],"properties":{"id":{"type":"integer"}}}}},
		{"map":{"fields":[{"to":"/orderId","from":"body.id","type":"string"},{"to":"/by","from":"claims.sub"}]}}],
	 "tests":[
		{"name":"ok","input":{"body":{"id":1},"claims":{"sub":"u"}},"expect":{"body":{"by":"u","orderId":"1"}}},
		{"name":"wrong","input":{"body":{"id":2}},"expect":{"body":{"orderId":"3"}}}]}`

	t.Run("output and tests", func(t *testing.T) {
		rec := e.do("POST", prefix+"/transforms:preview", tok, `{"transform":`+doc+`,"input":{"body":{"id":7},"claims":{"sub":"ada"}}}`)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var got previewResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(got.Output.Body)
		if string(body) != `{"by":"ada","orderId":"7"}` || got.Error != nil {
			t.Errorf("output %s, error %+v", body, got.Error)
		}
		if len(got.Tests) != 2 || !got.Tests[0].Pass || got.Tests[1].Pass || got.Publishable {
			t.Errorf("tests %+v publishable %v", got.Tests, got.Publishable)
		}
	})
	t.Run("failing step", func(t *testing.T) {
		rec := e.do("POST", prefix+"/transforms:preview", tok, `{"transform":`+doc+`,"input":{"body":{"id":"x"}}}`)
		var got previewResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		if got.Output != nil || got.Error == nil || got.Error.Step != 0 || got.Error.Rule != "/steps/0/validate/schema" ||
			len(got.Error.Errors) != 1 || got.Error.Errors[0].Pointer != "/body/id" {
			t.Errorf("got %s", rec.Body)
		}
	})
	t.Run("invalid document", func(t *testing.T) {
		for name, c := range map[string]struct {
			body string
			want []string
		}{
			"missing":     {`{"input":{}}`, []string{"/transform"}},
			"unparseable": {`{"transform":{"steps":[],"bogus":1}}`, []string{"/transform"}},
			"invalid":     {`{"transform":{"steps":[{"map":{"fields":[{"to":"x","from":"a.["}]}}]}}`, []string{"/transform/steps/0/map/fields/0/from", "/transform/steps/0/map/fields/0/to"}},
		} {
			t.Run(name, func(t *testing.T) {
				rec := e.do("POST", prefix+"/transforms:preview", tok, c.body)
				var p problem.Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != http.StatusBadRequest {
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
				var ptrs []string
				for _, fe := range p.Errors {
					ptrs = append(ptrs, fe.Pointer)
				}
				slices.Sort(ptrs)
				if !slices.Equal(ptrs, c.want) {
					t.Errorf("pointers %q, want %q", ptrs, c.want)
				}
			})
		}
	})
}
