package transform

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// benchDoc is a ~1 KB order document.
var benchDoc = func() []byte {
	items := make([]string, 0, 10)
	for i := range 10 {
		items = append(items, `{"sku":"SKU-`+itoa(1000+i)+`","name":"Widget number `+itoa(i)+`","price":`+itoa(10+i)+`.5,"qty":`+itoa(1+i%3)+`}`)
	}
	return []byte(`{"order_id":12345,"status":"open","created":"2026-11-24T10:00:00Z",` +
		`"customer":{"first":"Ada","last":"Lovelace","email":"ada@example.com","tier":"gold","phone":"+442071838750"},` +
		`"shipping":{"street":"12 Analytical Way","city":"London","zip":"N1 9GU","country":"GB"},` +
		`"items":[` + strings.Join(items, ",") + `],"notes":"leave at the door"}`)
}()

// benchMapping has 10 rules: renames, a template, a default, coercions, a
// constant and a map over the items.
const benchMapping = `{"steps":[{"map":{"fields":[
  {"to":"/id","from":"body.order_id","type":"string"},
  {"to":"/state","from":"body.status"},
  {"to":"/customer/name","template":"{{ body.customer.first }} {{ body.customer.last }}"},
  {"to":"/customer/email","from":"body.customer.email"},
  {"to":"/customer/tier","from":"body.customer.level","default":"basic"},
  {"to":"/city","from":"body.shipping.city"},
  {"to":"/country","from":"body.shipping.country"},
  {"to":"/source","value":"web"},
  {"to":"/count","from":"length(body.items)","type":"integer"},
  {"to":"/lines","each":"body.items","fields":[{"to":"/sku","from":"sku"},{"to":"/qty","from":"qty"}]}
]}}]}`

func BenchmarkMapping1KB(b *testing.B) {
	if len(benchDoc) < 900 || len(benchDoc) > 1200 {
		b.Fatalf("benchDoc is %d bytes", len(benchDoc))
	}
	tr := MustCompile(benchMapping)
	var body any
	if err := json.Unmarshal(benchDoc, &body); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("decoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			// The mapping never changes its input, so the decoded body
			// can be shared across iterations.
			m := Message{Body: body}
			if err := tr.Apply(ctx, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(benchDoc)))
		for b.Loop() {
			var m Message
			if _, err := tr.ApplyJSON(ctx, &m, benchDoc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRedact1KB(b *testing.B) {
	tr := MustCompile(`{"steps":[{"redact":{"patterns":["email","phone","card"]}}]}`)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(benchDoc)))
	for b.Loop() {
		var m Message
		if _, err := tr.ApplyJSON(ctx, &m, benchDoc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		MustCompile(benchMapping)
	}
}
