package lambdahttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/core"
)

// seen is what the wrapped handler observed.
type seen struct {
	method, path, rawQuery, host, remoteAddr string
	header                                   http.Header
	body                                     []byte
	cookies                                  []*http.Cookie
	deadline                                 time.Time
	hasDeadline                              bool
	stage                                    string
	sourceIP                                 netip.Addr
}

// recorder returns a handler that records the request into *s and then
// runs respond (nil: write "ok").
func recorder(t *testing.T, s *seen, respond http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		*s = seen{
			method: r.Method, path: r.URL.Path, rawQuery: r.URL.RawQuery, host: r.Host,
			remoteAddr: r.RemoteAddr, header: r.Header.Clone(), body: body, cookies: r.Cookies(),
		}
		s.deadline, s.hasDeadline = r.Context().Deadline()
		if rc, ok := core.GetAPIGatewayV2ContextFromContext(r.Context()); ok {
			s.stage = rc.Stage
		}
		s.sourceIP, _ = SourceIP(r)
		if respond != nil {
			respond(w, r)
			return
		}
		_, _ = io.WriteString(w, "ok")
	})
}

func loadEvent(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return ev
}

func lambdaCtx(t *testing.T) (context.Context, time.Time) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second).Truncate(time.Millisecond)
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	t.Cleanup(cancel)
	return ctx, deadline
}

func TestHandlerFixtures(t *testing.T) {
	tests := []struct {
		fixture    string
		path       string
		query      string
		host       string
		remoteAddr string
		sourceIP   string
		headers    map[string]string
		cookies    []string
		body       string
	}{
		{
			fixture: "apigw-v2-request-no-authorizer.json",
			path:    "/", host: "aaaaaaaaaa.execute-api.us-west-2.amazonaws.com",
			remoteAddr: "1.2.3.4:0", sourceIP: "1.2.3.4",
			headers: map[string]string{"User-Agent": "curl/7.58.0", "Accept": "*/*", "X-Forwarded-For": "1.2.3.4"},
		},
		{
			fixture: "apigw-v2-request-jwt-authorizer.json",
			path:    "/my/path", query: "parameter1=value1&parameter1=value2&parameter2=value",
			host:       "id.execute-api.us-east-1.amazonaws.com",
			remoteAddr: "IP", // the fixture's sourceIp is not an address; passed through as the adapter sets it
			headers:    map[string]string{"Header1": "value1", "Header2": "value2"},
			cookies:    []string{"cookie1", "cookie2"},
			body:       "{\r\n\t\"a\": 1\r\n}",
		},
		{
			fixture: "apigw-v2-request-iam.json",
			path:    "/my/path", query: "parameter1=value1&parameter1=value2&parameter2=value",
			remoteAddr: "IP",
			headers:    map[string]string{"Header1": "value1", "Header2": "value2"},
			cookies:    []string{"cookie1", "cookie2"},
			body:       "{\r\n\t\"a\": 1\r\n}",
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			ev := loadEvent(t, tt.fixture)
			var s seen
			ctx, deadline := lambdaCtx(t)
			resp, err := Handler(recorder(t, &s, nil))(ctx, ev)
			if err != nil {
				t.Fatalf("Handler() error = %v", err)
			}
			if s.method != http.MethodGet || s.path != tt.path || s.rawQuery != tt.query {
				t.Errorf("request = %s %s ? %s, want GET %s ? %s", s.method, s.path, s.rawQuery, tt.path, tt.query)
			}
			if tt.host != "" && s.host != tt.host {
				t.Errorf("Host = %q, want %q", s.host, tt.host)
			}
			if s.header.Get("Host") != "" {
				t.Errorf("Host left in r.Header: %q", s.header.Get("Host"))
			}
			if s.remoteAddr != tt.remoteAddr {
				t.Errorf("RemoteAddr = %q, want %q", s.remoteAddr, tt.remoteAddr)
			}
			if tt.sourceIP != "" && s.sourceIP.String() != tt.sourceIP {
				t.Errorf("SourceIP = %v, want %s", s.sourceIP, tt.sourceIP)
			}
			for k, v := range tt.headers {
				if got := s.header.Values(k); len(got) != 1 || got[0] != v {
					t.Errorf("header %s = %q, want [%q]", k, got, v)
				}
			}
			var names []string
			for _, c := range s.cookies {
				names = append(names, c.Name)
			}
			if !slices.Equal(names, tt.cookies) {
				t.Errorf("cookies = %q, want %q", names, tt.cookies)
			}
			if len(tt.cookies) > 0 && len(s.header.Values("Cookie")) != 1 {
				t.Errorf("Cookie header lines = %q, want one", s.header.Values("Cookie"))
			}
			if string(s.body) != tt.body {
				t.Errorf("body = %q, want %q", s.body, tt.body)
			}
			if !s.hasDeadline || !s.deadline.Equal(deadline) {
				t.Errorf("request deadline = %v (%v), want the Lambda deadline %v", s.deadline, s.hasDeadline, deadline)
			}
			if s.stage != "$default" {
				t.Errorf("stage = %q, want $default", s.stage)
			}
			if resp.StatusCode != http.StatusOK || resp.Body != "ok" || resp.IsBase64Encoded {
				t.Errorf("response = %d %q base64=%v", resp.StatusCode, resp.Body, resp.IsBase64Encoded)
			}
		})
	}
}

func TestHandlerBinaryBodies(t *testing.T) {
	payload := make([]byte, 256)
	for i := range payload {
		payload[i] = byte(i)
	}
	ev := loadEvent(t, "apigw-v2-request-no-authorizer.json")
	ev.RequestContext.HTTP.Method = http.MethodPost
	ev.Headers["content-type"] = "application/octet-stream"
	ev.Body = base64.StdEncoding.EncodeToString(payload)
	ev.IsBase64Encoded = true

	var s seen
	h := recorder(t, &s, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(payload)
	})
	resp, err := Handler(h)(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if s.method != http.MethodPost || !bytes.Equal(s.body, payload) {
		t.Fatalf("handler saw %s with %d body bytes, want POST with the decoded payload", s.method, len(s.body))
	}
	if !resp.IsBase64Encoded {
		t.Fatal("binary response not base64 encoded")
	}
	got, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil || !bytes.Equal(got, payload) {
		t.Fatalf("response body does not round-trip: %v", err)
	}

	// Invalid base64 from API Gateway fails the invocation.
	ev.Body = "!!!"
	if _, err := Handler(h)(t.Context(), ev); err == nil {
		t.Fatal("Handler() accepted an invalid base64 body")
	}
}

func TestHandlerHeaders(t *testing.T) {
	ev := loadEvent(t, "apigw-v2-request-no-authorizer.json")
	// API Gateway joins repeated request headers with commas.
	ev.Headers["accept"] = "text/html, application/json"
	ev.Headers["x-date"] = "Tue, 15 Nov 1994 08:12:31 GMT"
	ev.Headers["x-forwarded-for"] = "9.9.9.9, 1.2.3.4"
	ev.Cookies = []string{"session=abc", "theme=dark"}

	var s seen
	h := recorder(t, &s, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "a=1; Path=/; HttpOnly")
		w.Header().Add("Set-Cookie", "b=2; Path=/")
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Vary", "Origin")
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusCreated)
		w.WriteHeader(http.StatusTeapot) // ignored, as in net/http
		_, _ = io.WriteString(w, "made")
	})
	resp, err := Handler(h)(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"Accept":          "text/html, application/json",
		"X-Date":          "Tue, 15 Nov 1994 08:12:31 GMT",
		"X-Forwarded-For": "9.9.9.9, 1.2.3.4",
	} {
		if got := s.header.Values(k); len(got) != 1 || got[0] != want {
			t.Errorf("header %s = %q, want [%q]", k, got, want)
		}
	}
	if got := s.header.Get("Cookie"); got != "session=abc; theme=dark" {
		t.Errorf("Cookie = %q", got)
	}
	if len(s.cookies) != 2 || s.cookies[0].Value != "abc" || s.cookies[1].Value != "dark" {
		t.Errorf("r.Cookies() = %v", s.cookies)
	}
	if s.remoteAddr != "1.2.3.4:0" {
		t.Errorf("RemoteAddr = %q: the source IP, not X-Forwarded-For", s.remoteAddr)
	}

	if resp.StatusCode != http.StatusCreated {
		t.Errorf("status = %d, want 201 (first WriteHeader wins)", resp.StatusCode)
	}
	if !slices.Equal(resp.Cookies, []string{"a=1; Path=/; HttpOnly", "b=2; Path=/"}) {
		t.Errorf("response cookies = %q", resp.Cookies)
	}
	if _, ok := resp.Headers["Set-Cookie"]; ok {
		t.Error("Set-Cookie left in response headers")
	}
	if resp.Headers["Vary"] != "Accept,Origin" {
		t.Errorf("Vary = %q, want the values joined", resp.Headers["Vary"])
	}
	if resp.Headers["Content-Type"] != "text/plain" || resp.Body != "made" || resp.IsBase64Encoded {
		t.Errorf("response = %+v", resp)
	}
}

func TestHandlerPaths(t *testing.T) {
	tests := []struct {
		name                string
		rawPath, stage, ctx string
		wantPath            string
	}{
		{"default stage", "/items/7", "$default", "/items/7", "/items/7"},
		// A named stage reached through the execute-api URL keeps its prefix.
		{"named stage", "/prod/items/7", "prod", "/prod/items/7", "/prod/items/7"},
		{"escaped", "/files/a%20b", "$default", "/files/a b", "/files/a b"},
		{"empty rawPath falls back to http.path", "", "$default", "/from/context", "/from/context"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := loadEvent(t, "apigw-v2-request-no-authorizer.json")
			ev.RawPath, ev.RequestContext.Stage, ev.RequestContext.HTTP.Path = tt.rawPath, tt.stage, tt.ctx
			ev.RawQueryString = "q=a%26b&x="
			var s seen
			if _, err := Handler(recorder(t, &s, nil))(t.Context(), ev); err != nil {
				t.Fatal(err)
			}
			if s.path != tt.wantPath || s.stage != tt.stage || s.rawQuery != "q=a%26b&x=" {
				t.Errorf("path %q stage %q query %q; want %q %q", s.path, s.stage, s.rawQuery, tt.wantPath, tt.stage)
			}
		})
	}
}

func TestHandlerStatusDefaults(t *testing.T) {
	ev := loadEvent(t, "apigw-v2-request-no-authorizer.json")
	tests := []struct {
		name string
		h    http.HandlerFunc
		want int
	}{
		{"writes nothing", func(w http.ResponseWriter, r *http.Request) {}, http.StatusOK},
		{"headers only", func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-A", "1") }, http.StatusOK},
		{"no content", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }, http.StatusNoContent},
		{"1xx then 202", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusEarlyHints)
			w.WriteHeader(http.StatusAccepted)
		}, http.StatusAccepted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := Handler(tt.h)(t.Context(), ev)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestHandlerPanic(t *testing.T) {
	ev := loadEvent(t, "apigw-v2-request-no-authorizer.json")
	for _, partial := range []bool{false, true} {
		h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if partial {
				_, _ = io.WriteString(w, "partial")
			}
			panic("boom")
		}))
		resp, err := h(t.Context(), ev)
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("partial=%v: Handler() = %+v, %v; want an error naming the panic", partial, resp, err)
		}
		if resp.Body != "" {
			t.Errorf("partial body leaked: %q", resp.Body)
		}
	}
	// The handler stays usable for the next invocation.
	if _, err := Handler(http.NotFoundHandler())(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
}

func TestHandlerContextCancellation(t *testing.T) {
	ev := loadEvent(t, "apigw-v2-request-no-authorizer.json")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var sawErr error
	_, err := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawErr = r.Context().Err()
	}))(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if sawErr != context.Canceled {
		t.Errorf("handler ctx err = %v, want Canceled", sawErr)
	}
}

func TestSourceIPv6(t *testing.T) {
	ev := loadEvent(t, "apigw-v2-request-no-authorizer.json")
	ev.RequestContext.HTTP.SourceIP = "2001:db8::1"
	var s seen
	if _, err := Handler(recorder(t, &s, nil))(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if s.remoteAddr != "[2001:db8::1]:0" || s.sourceIP != netip.MustParseAddr("2001:db8::1") {
		t.Errorf("RemoteAddr %q SourceIP %v", s.remoteAddr, s.sourceIP)
	}
	if _, ok := SourceIP(&http.Request{}); ok {
		t.Error("SourceIP ok for a request not made by Handler")
	}
}

// TestMalformedPathIs400 checks that an event whose rawPath has an invalid
// percent-escape gets a 400 problem, not a failed invocation (a 500 at API
// Gateway), and that the handler is not called.
func TestMalformedPathIs400(t *testing.T) {
	called := false
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { called = true }))
	for _, p := range []string{"/a/%zz", "/a/%", "/%g0"} {
		ev := events.APIGatewayV2HTTPRequest{RawPath: p, RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: p}}}
		resp, err := h(context.Background(), ev)
		if err != nil {
			t.Fatalf("%q: invocation failed: %v", p, err)
		}
		if resp.StatusCode != 400 || resp.Headers["Content-Type"] != "application/problem+json" || !strings.Contains(resp.Body, `"status":400`) {
			t.Fatalf("%q: got %d %v %s", p, resp.StatusCode, resp.Headers, resp.Body)
		}
	}
	if called {
		t.Fatal("handler was called for a malformed path")
	}
}
