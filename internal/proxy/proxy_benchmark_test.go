package proxy_test

import (
	"net/http"
	"testing"

	"github.com/portico/portico/internal/proxy"
	"github.com/portico/portico/internal/proxy/proxytest"
)

func BenchmarkForward(b *testing.B) {
	f := proxy.New(proxy.Config{})
	target := proxy.Target{BaseURL: proxytest.Upstream(b), Path: "/orders/42"}
	proxytest.Run(b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := f.Forward(w, r, target); err != nil {
			b.Fatal(err)
		}
	}), benchTarget)
}

// BenchmarkReverseProxy is the baseline BenchmarkForward is compared with.
func BenchmarkReverseProxy(b *testing.B) {
	proxytest.Run(b, proxytest.ReverseProxy(proxytest.Upstream(b), "/orders/42", proxy.NewTransport()), benchTarget)
}

const benchTarget = "http://api.example.com/v1/orders/42?expand=items"
