package lambdahttp

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/portico/portico/internal/problem"
)

// Handler adapts h to an API Gateway HTTP API (payload format 2.0) Lambda
// handler; pass the result to lambda.Start. See the package documentation
// for how the event maps onto the *http.Request.
func Handler(h http.Handler) func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	adapter := httpadapter.NewV2(fixRequest{next: h})
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		if _, err := url.ParseRequestURI(ev.RawPath); ev.RawPath != "" && err != nil {
			// The adapter cannot build a request from a path with a bad
			// escape and would fail the invocation (a 500 from API
			// Gateway); answer what a server would: 400.
			return badPathResponse(), nil
		}
		inv := &invocation{headers: ev.Headers, cookies: ev.Cookies}
		resp, err := adapter.ProxyWithContext(context.WithValue(ctx, invocationKey{}, inv), ev)
		if inv.panicked != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("lambdahttp: %s %s: handler panic: %v\n%s",
				ev.RequestContext.HTTP.Method, ev.RawPath, inv.panicked, inv.stack)
		}
		if err != nil {
			return resp, fmt.Errorf("lambdahttp: %s %s: %w", ev.RequestContext.HTTP.Method, ev.RawPath, err)
		}
		return resp, nil
	}
}

// SourceIP returns the client address API Gateway saw
// (requestContext.http.sourceIp) for a request made by Handler.
func SourceIP(r *http.Request) (netip.Addr, bool) {
	rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context())
	if !ok {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(rc.HTTP.SourceIP)
	if err != nil {
		return netip.Addr{}, false
	}
	return ip, true
}

// invocation is per-event state shared between the Lambda handler and the
// http.Handler the adapter calls; both run on the same goroutine.
type invocation struct {
	headers  map[string]string
	cookies  []string
	panicked any
	stack    []byte
}

type invocationKey struct{}

// fixRequest repairs the adapter's request and response semantics (see the
// package documentation) around next.
type fixRequest struct{ next http.Handler }

func (f fixRequest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	inv, _ := r.Context().Value(invocationKey{}).(*invocation)
	if inv != nil {
		r.Header = eventHeader(inv.headers, inv.cookies)
		if host := r.Header.Get("Host"); host != "" {
			r.Host = host
		}
		delete(r.Header, "Host")
	}
	if ip, ok := SourceIP(r); ok {
		r.RemoteAddr = net.JoinHostPort(ip.String(), "0")
	}
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		if p := recover(); p != nil {
			if inv == nil {
				panic(p)
			}
			inv.panicked, inv.stack = p, debug.Stack()
			return
		}
		if !sw.wroteHeader {
			sw.WriteHeader(http.StatusOK)
		}
	}()
	f.next.ServeHTTP(sw, r)
}

// eventHeader builds request headers with one value per header, as API
// Gateway delivered them, plus a single Cookie header.
func eventHeader(headers map[string]string, cookies []string) http.Header {
	h := make(http.Header, len(headers)+1)
	for k, v := range headers {
		k = textproto.CanonicalMIMEHeaderKey(k)
		h[k] = append(h[k], v)
	}
	if len(cookies) > 0 {
		h["Cookie"] = []string{strings.Join(cookies, "; ")}
	}
	return h
}

// statusWriter gives the adapter's writer net/http's status semantics: the
// first WriteHeader wins and Write implies 200.
type statusWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.wroteHeader || code < 200 {
		return // 1xx informational responses cannot be sent through API Gateway
	}
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the adapter's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// badPathResponse is the problem+json 400 for a request path that is not a
// valid URI path (for example an invalid percent-escape).
func badPathResponse() events.APIGatewayV2HTTPResponse {
	p := problem.BadRequest("", "the request path is malformed")
	return events.APIGatewayV2HTTPResponse{
		StatusCode: p.Status,
		Headers:    map[string]string{"Content-Type": problem.ContentType, "Cache-Control": "no-store"},
		Body:       string(p.JSON()),
	}
}
