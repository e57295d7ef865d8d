package route

import (
	"fmt"
	"testing"
)

// benchTable builds 1,000 endpoints: 100 resources x 10 templates, spread
// over GET/POST/PUT/DELETE, and returns request paths that hit a mix of them.
func benchTable(b *testing.B) (*Table[int], []string) {
	b.Helper()
	templates := []struct{ method, tmpl string }{
		{"GET", "/v1/%s"},
		{"POST", "/v1/%s"},
		{"GET", "/v1/%s/{id}"},
		{"PUT", "/v1/%s/{id}"},
		{"DELETE", "/v1/%s/{id}"},
		{"GET", "/v1/%s/{id}/history"},
		{"GET", "/v1/%s/{id}/items/{itemID}"},
		{"POST", "/v1/%s/{id}/items"},
		{"GET", "/v1/%s/search"},
		{"GET", "/v1/%s/{id}/files/{path+}"},
	}
	bld := NewBuilder[int]()
	for r := range 100 {
		res := fmt.Sprintf("resource%02d", r)
		for i, tp := range templates {
			tmpl, err := Parse(fmt.Sprintf(tp.tmpl, res))
			if err != nil {
				b.Fatal(err)
			}
			if err := bld.Add(tp.method, tmpl, r*10+i); err != nil {
				b.Fatal(err)
			}
		}
	}
	tbl := bld.Build()
	if tbl.Len() != 1000 {
		b.Fatalf("Len() = %d", tbl.Len())
	}
	paths := []string{
		"/v1/resource07",
		"/v1/resource42/8f14e45f-ceea-467f-a0e6-7a1b2c3d4e5f",
		"/v1/Resource99/12345/items/67890",
		"/v1/resource13/search",
		"/v1/resource55/abc/history",
		"/v1/resource21/abc/files/docs/2024/report.pdf",
	}
	return tbl, paths
}

func BenchmarkMatch(b *testing.B) {
	tbl, paths := benchTable(b)
	var p Params
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, ok := tbl.Match("GET", paths[i%len(paths)], &p); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkMatchMiss(b *testing.B) {
	tbl, _ := benchTable(b)
	var p Params
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tbl.Match("PATCH", "/v1/resource42/123/items/456", &p); ok {
			b.Fatal("matched")
		}
	}
}

func BenchmarkMatchParallel(b *testing.B) {
	tbl, paths := benchTable(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		var p Params
		for i := 0; pb.Next(); i++ {
			tbl.Match("GET", paths[i%len(paths)], &p)
		}
	})
}

func BenchmarkCanonical(b *testing.B) {
	for _, bc := range []struct{ name, path string }{
		{"clean", "/v1/tenants/acme/orders/8f14e45f-ceea-467f/items/67890"},
		{"dirty", "//v1/tenants/acme/./orders/%2e%2e/orders/8f14e45f-ceea-467f/items/%36%37890/"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Canonical(bc.path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
