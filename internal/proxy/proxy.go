package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/portico/portico/internal/problem"
)

// Defaults applied by New and Forward.
const (
	// DefaultMaxResponseBytes is the largest upstream body forwarded: the
	// Lambda response payload limit.
	DefaultMaxResponseBytes int64 = 6 << 20
	// DefaultTimeout bounds a whole upstream exchange when Target.Timeout is
	// zero: just under API Gateway's 30 s integration limit.
	DefaultTimeout = 29 * time.Second

	copyBufferSize = 32 << 10
)

// Problem type slugs returned by Forward (see problem.TypeBase).
const (
	TypeUpstreamUnavailable   = "upstream-unavailable"
	TypeUpstreamTimeout       = "upstream-timeout"
	TypeUpstreamTooLarge      = "upstream-response-too-large"
	TypeUpstreamMisconfigured = "upstream-misconfigured"
)

// ErrInvalidTarget is the cause of the 500 problem Forward returns when a
// Target has no usable BaseURL or Path; it is a configuration error.
var ErrInvalidTarget = errors.New("proxy: invalid target")

// ErrDotSegment is the cause of the 400 problem Forward returns when the
// joined upstream path, once percent-decoded, has a "." or ".." segment: a
// path parameter trying to climb out of the upstream's base path.
var ErrDotSegment = errors.New("proxy: dot segment in upstream path")

// ErrResponseTooLarge is returned (after logging) when an upstream body
// without a Content-Length exceeds Config.MaxResponseBytes: the client has
// received a truncated response and the caller should abort the connection
// (for example with panic(http.ErrAbortHandler)) if it can.
var ErrResponseTooLarge = errors.New("proxy: upstream response exceeds size limit")

// ErrBodyStalled is wrapped by Forward's error when an upstream body sent
// nothing for Target.BodyIdleTimeout and was cut.
var ErrBodyStalled = errors.New("proxy: upstream response body stalled")

// Config configures a Forwarder. The zero value is usable.
type Config struct {
	// Transport sends upstream requests. Nil means NewTransport().
	Transport http.RoundTripper
	// MaxResponseBytes caps the upstream response body; zero or negative
	// means DefaultMaxResponseBytes.
	MaxResponseBytes int64
	// Logger receives copy errors that happen after the response headers
	// were written. Nil means slog.Default().
	Logger *slog.Logger
}

// Forwarder forwards requests to upstreams. It is safe for concurrent use.
type Forwarder struct {
	transport http.RoundTripper
	maxBytes  int64
	log       *slog.Logger
	bufs      sync.Pool // of *[]byte, copyBufferSize long
}

// New returns a Forwarder with cfg's defaults filled in.
func New(cfg Config) *Forwarder {
	f := &Forwarder{transport: cfg.Transport, maxBytes: cfg.MaxResponseBytes, log: cfg.Logger}
	if f.transport == nil {
		f.transport = NewTransport()
	}
	if f.maxBytes <= 0 {
		f.maxBytes = DefaultMaxResponseBytes
	}
	if f.log == nil {
		f.log = slog.Default()
	}
	f.bufs.New = func() any { b := make([]byte, copyBufferSize); return &b }
	return f
}

// NewTransport returns the transport a Forwarder uses when Config.Transport
// is nil: NewTransportWith(TransportConfig{}).
func NewTransport() *http.Transport { return NewTransportWith(TransportConfig{}) }

// TransportConfig tunes NewTransportWith. The zero value is the plain
// forwarding transport.
type TransportConfig struct {
	// Control is the dialer's Control hook; the SSRF guard
	// (ssrf.Guard.Control) checks every dialled address with it.
	Control func(network, address string, c syscall.RawConn) error
	// ConnectTimeout bounds a dial; zero means 10s. A shorter per-call
	// bound can ride on the request context (WithConnectTimeout).
	ConnectTimeout time.Duration
	// NoProxy ignores HTTP(S)_PROXY: a guarded transport must dial the
	// upstream itself, or Control would judge the proxy's address.
	NoProxy bool
}

// NewTransportWith returns a pooled transport: keep-alive with 64 idle
// connections per host, HTTP/2 when the upstream offers it, and no
// transparent decompression (bodies pass through byte for byte). It has no
// response header timeout: Target.Timeout bounds the whole exchange.
func NewTransportWith(cfg TransportConfig) *http.Transport {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	d := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAlive: 30 * time.Second, Control: cfg.Control}
	t := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if ct, ok := ctx.Value(connectTimeoutKey{}).(time.Duration); ok && ct > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, ct)
				defer cancel()
			}
			return d.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
	if cfg.NoProxy {
		t.Proxy = nil
	}
	return t
}

type connectTimeoutKey struct{}

// WithConnectTimeout returns a context that bounds any connection a
// transport from NewTransportWith dials for a request carrying it.
func WithConnectTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, connectTimeoutKey{}, d)
}

// Target describes where one request goes.
type Target struct {
	// BaseURL is scheme://host[:port][/base]; scheme must be http or https.
	BaseURL *url.URL
	// Path is appended to BaseURL's path ("/orders/42"). It may be percent
	// encoded (an escaped "/" in a parameter stays escaped); characters that
	// must be escaped in a path, such as '?', are escaped. The incoming
	// request's query is forwarded (after BaseURL's own query, if any).
	Path string
	// Method overrides the incoming method when not empty.
	Method string
	// Timeout bounds the whole exchange, body included; zero means
	// DefaultTimeout. The incoming request's deadline also applies.
	Timeout time.Duration
	// SetHeaders are set on the upstream request after forwarding, so they
	// win over forwarded and X-Forwarded-* headers. "Host" sets the
	// upstream Host header.
	SetHeaders map[string]string
	// ForwardHeaders is the allowlist of incoming headers to forward; nil
	// means DefaultForwardHeaders. X-Request-Id is always forwarded.
	// Hop-by-hop headers are never forwarded, even when listed.
	ForwardHeaders []string
	// MaxResponseBytes overrides Config.MaxResponseBytes when positive.
	MaxResponseBytes int64
	// BodyIdleTimeout, when positive, aborts a response body that sends
	// nothing for that long (a slow or stalled upstream).
	BodyIdleTimeout time.Duration
}

// DefaultForwardHeaders returns the allowlist used when
// Target.ForwardHeaders is nil.
func DefaultForwardHeaders() []string {
	return append([]string(nil), defaultForwardHeaders...)
}

var defaultForwardHeaders = []string{ // read-only
	"Accept", "Accept-Encoding", "Accept-Language", "Content-Type", "Content-Length",
	"Content-Encoding", "If-Match", "If-None-Match", "If-Modified-Since",
	"If-Unmodified-Since", "Range", "User-Agent", "Idempotency-Key", "Traceparent",
	"Tracestate", "X-Request-Id",
}

// hopHeaders are stripped in both directions (RFC 9110 section 7.6.1).
var hopHeaders = []string{ // read-only
	"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization",
	"Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// Forward sends r to t and streams the response to w.
//
// Before anything is written it returns a *problem.Problem for the caller to
// render: 502 upstream-unavailable when the upstream cannot be reached, 504
// upstream-timeout when it does not answer in time, 502
// upstream-response-too-large when its Content-Length exceeds the limit, 400
// bad-request when the path has a dot segment (ErrDotSegment), 500 when t is
// invalid (ErrInvalidTarget). When the client cancels the request it writes
// nothing and returns an error wrapping context.Canceled. Any other non-nil
// error means the response was already (partly) written and has been logged.
// So: render the error if it is a *problem.Problem, otherwise write nothing.
func (f *Forwarder) Forward(w http.ResponseWriter, r *http.Request, t Target) error {
	x, err := f.Send(r, t)
	if err != nil {
		return err
	}
	return f.Write(w, r, x)
}

// Exchange is an upstream response whose body has not been read yet. Its
// owner must pass it to Forwarder.Write or call Discard.
type Exchange struct {
	Resp     *http.Response
	URL      *url.URL
	Method   string
	maxBytes int64
	idle     time.Duration
	cancel   context.CancelFunc
}

// Discard closes the response without forwarding it (a response to retry).
// It reads at most 4 KiB of the body first so a small body's connection
// goes back to the pool.
func (x *Exchange) Discard() {
	_, _ = io.CopyN(io.Discard, x.Resp.Body, 4<<10)
	_ = x.Resp.Body.Close()
	x.cancel()
}

// Send sends r to t and returns the response without reading its body. Its
// errors are Forward's errors before anything is written.
func (f *Forwarder) Send(r *http.Request, t Target) (*Exchange, error) {
	u, err := targetURL(t, r.URL.RawQuery)
	if errors.Is(err, ErrDotSegment) {
		return nil, problem.BadRequest("", "the request path contains a '.' or '..' segment").WithCause(err)
	}
	if err != nil {
		return nil, problem.New(http.StatusInternalServerError, TypeUpstreamMisconfigured, "Internal Server Error",
			"the endpoint's upstream is misconfigured; quote the errorId to support").WithCause(err)
	}
	timeout := t.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)

	method := t.Method
	if method == "" {
		method = r.Method
	}
	base := http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     outHeader(r, t),
		Host:       u.Host,
	}
	if h := setHost(t.SetHeaders); h != "" {
		base.Host = h
	}
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		base.Body = r.Body
		base.ContentLength = r.ContentLength
	}
	out := base.WithContext(ctx)

	resp, err := f.transport.RoundTrip(out)
	if err != nil {
		cancel()
		return nil, roundTripError(r, method, u, err)
	}
	maxBytes := f.maxBytes
	if t.MaxResponseBytes > 0 {
		maxBytes = t.MaxResponseBytes
	}
	// A HEAD (or 204/304) response announces a length it does not send.
	if resp.ContentLength > maxBytes && resp.Body != http.NoBody {
		_ = resp.Body.Close()
		cancel()
		return nil, problem.New(http.StatusBadGateway, TypeUpstreamTooLarge, "Bad Gateway",
			"the upstream response exceeds the gateway's size limit").
			WithCause(fmt.Errorf("%s %s: content-length %d > %d: %w", method, u.Redacted(), resp.ContentLength, maxBytes, ErrResponseTooLarge))
	}
	return &Exchange{Resp: resp, URL: u, Method: method, maxBytes: maxBytes, idle: t.BodyIdleTimeout, cancel: cancel}, nil
}

// Write streams x's response to w and closes it. A non-nil error means the
// response was (partly) written and has been logged.
func (f *Forwarder) Write(w http.ResponseWriter, r *http.Request, x *Exchange) error {
	resp := x.Resp
	defer x.cancel()
	defer resp.Body.Close()
	copyResponseHeader(w.Header(), resp.Header)
	w.WriteHeader(resp.StatusCode)
	if err := f.copyBody(w, resp, x); err != nil {
		if r.Context().Err() != nil {
			err = fmt.Errorf("%w (client: %w)", err, r.Context().Err())
		}
		err = fmt.Errorf("proxy: copy response body from %s %s: %w", x.Method, x.URL.Redacted(), err)
		level := slog.LevelError
		if r.Context().Err() != nil {
			level = slog.LevelWarn // the client went away: not the upstream's fault
		}
		f.log.LogAttrs(r.Context(), level, "upstream response cut short",
			slog.String("upstream", x.URL.Redacted()), slog.Int("status", resp.StatusCode), slog.Any("error", err))
		return err
	}
	return nil
}

// roundTripError classifies a transport error.
func roundTripError(r *http.Request, method string, u *url.URL, err error) error {
	if cerr := r.Context().Err(); errors.Is(cerr, context.Canceled) {
		return fmt.Errorf("proxy: client canceled request to %s: %w", u.Redacted(), cerr)
	}
	cause := fmt.Errorf("proxy: %s %s: %w", method, u.Redacted(), err)
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return problem.New(http.StatusGatewayTimeout, TypeUpstreamTimeout, "Gateway Timeout",
			"the upstream service did not respond in time").WithCause(cause)
	}
	return problem.New(http.StatusBadGateway, TypeUpstreamUnavailable, "Bad Gateway",
		"the upstream service could not be reached").WithCause(cause)
}

// copyBody streams resp's body to w with a pooled buffer, flushing after
// each write when the length is unknown (event streams, chunked bodies).
func (f *Forwarder) copyBody(w http.ResponseWriter, resp *http.Response, x *Exchange) error {
	bp := f.bufs.Get().(*[]byte)
	defer f.bufs.Put(bp)
	buf := *bp

	var rc *http.ResponseController
	if resp.ContentLength < 0 {
		rc = http.NewResponseController(w)
	}
	remaining := x.maxBytes
	var idle *time.Timer
	var stalled atomic.Bool
	if x.idle > 0 {
		idle = time.AfterFunc(x.idle, func() { stalled.Store(true); x.cancel() })
		defer idle.Stop()
	}
	for {
		n, rerr := resp.Body.Read(buf)
		if idle != nil {
			idle.Reset(x.idle)
		}
		if n > 0 {
			if int64(n) > remaining {
				n = int(remaining)
				rerr = ErrResponseTooLarge
			}
			remaining -= int64(n)
			if _, werr := w.Write(buf[:n]); werr != nil {
				return fmt.Errorf("write to client: %w", werr)
			}
			if rc != nil {
				if ferr := rc.Flush(); ferr != nil && !errors.Is(ferr, http.ErrNotSupported) {
					return fmt.Errorf("flush to client: %w", ferr)
				}
			}
		}
		switch {
		case rerr == io.EOF:
			return nil
		case errors.Is(rerr, ErrResponseTooLarge):
			return fmt.Errorf("more than %d bytes: %w", x.maxBytes, rerr)
		case rerr != nil && stalled.Load():
			return fmt.Errorf("upstream body idle for %s: %w", x.idle, ErrBodyStalled)
		case rerr != nil:
			return fmt.Errorf("read from upstream: %w", rerr)
		}
	}
}

// targetURL joins t.BaseURL and t.Path and appends the incoming query.
func targetURL(t Target, rawQuery string) (*url.URL, error) {
	b := t.BaseURL
	if b == nil || b.Host == "" || (b.Scheme != "http" && b.Scheme != "https") {
		return nil, fmt.Errorf("%w: base URL must be http(s)://host[:port][/path]", ErrInvalidTarget)
	}
	p := t.Path
	base := b.EscapedPath()
	var raw string
	switch {
	case p == "" && base == "":
		raw = "/"
	case p == "":
		raw = base
	case p[0] == '/':
		raw = strings.TrimSuffix(base, "/") + p
	default:
		raw = strings.TrimSuffix(base, "/") + "/" + p
	}
	u := &url.URL{Scheme: b.Scheme, Host: b.Host, Path: raw}
	if strings.IndexByte(raw, '%') >= 0 {
		dec, err := url.PathUnescape(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: path %q: %w", ErrInvalidTarget, p, err)
		}
		u.Path, u.RawPath = dec, raw
	}
	if hasDotSegment(u.Path) {
		return nil, fmt.Errorf("%w: path %q", ErrDotSegment, p)
	}
	switch {
	case b.RawQuery == "":
		u.RawQuery = rawQuery
	case rawQuery == "":
		u.RawQuery = b.RawQuery
	default:
		u.RawQuery = b.RawQuery + "&" + rawQuery
	}
	return u, nil
}

// hasDotSegment reports whether the decoded path has a "." or ".." segment,
// which the upstream would resolve to escape the base path.
func hasDotSegment(p string) bool {
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// outHeader builds the upstream request header: allowlisted incoming
// headers minus hop-by-hop ones, X-Forwarded-*, Forwarded, then t.SetHeaders.
func outHeader(r *http.Request, t Target) http.Header {
	allow := t.ForwardHeaders
	if allow == nil {
		allow = defaultForwardHeaders
	}
	in := r.Header
	// Size the map for what will be in it: a generous hint (len(allow))
	// costs more than the lookups of this counting pass.
	n := len(t.SetHeaders) + 5 // X-Forwarded-*, Forwarded, User-Agent or X-Request-Id
	for _, k := range allow {
		if _, ok := in[k]; ok {
			n++
		}
	}
	h := make(http.Header, n)
	connection := in["Connection"]
	for _, k := range allow {
		k = http.CanonicalHeaderKey(k)
		vs, ok := in[k]
		if !ok || k == "Content-Length" || isHop(k, connection) {
			continue
		}
		h[k] = vs
	}
	if vs, ok := in["X-Request-Id"]; ok {
		h["X-Request-Id"] = vs
	}
	if _, ok := h["User-Agent"]; !ok {
		h["User-Agent"] = []string{""} // stop net/http from adding its own
	}

	clientIP := clientIP(r.RemoteAddr)
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	if clientIP.IsValid() {
		ip := clientIP.String()
		if prior := in["X-Forwarded-For"]; len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		h["X-Forwarded-For"] = []string{ip}
	}
	h["X-Forwarded-Proto"] = []string{proto}
	if r.Host != "" {
		h["X-Forwarded-Host"] = []string{r.Host}
	}
	fwd := forwarded(clientIP, r.Host, proto)
	if prior := in["Forwarded"]; len(prior) > 0 {
		fwd = strings.Join(prior, ", ") + ", " + fwd
	}
	h["Forwarded"] = []string{fwd}

	for k, v := range t.SetHeaders {
		if strings.EqualFold(k, "Host") {
			continue
		}
		h[http.CanonicalHeaderKey(k)] = []string{v}
	}
	return h
}

// setHost returns the Host entry of SetHeaders, matched case-insensitively.
func setHost(set map[string]string) string {
	for k, v := range set {
		if strings.EqualFold(k, "Host") {
			return v
		}
	}
	return ""
}

// forwarded renders one RFC 7239 Forwarded element.
func forwarded(ip netip.Addr, host, proto string) string {
	var b strings.Builder
	b.Grow(64)
	if ip.IsValid() {
		b.WriteString("for=")
		if ip.Is6() {
			b.WriteString(`"[`)
			b.WriteString(ip.String())
			b.WriteString(`]"`)
		} else {
			b.WriteString(ip.String())
		}
		b.WriteByte(';')
	}
	if host != "" {
		b.WriteString("host=")
		writeForwardedValue(&b, host)
		b.WriteByte(';')
	}
	b.WriteString("proto=")
	b.WriteString(proto)
	return b.String()
}

// writeForwardedValue writes v as an RFC 7230 token, or a quoted string when
// it contains anything else (a port's ':', for instance).
func writeForwardedValue(b *strings.Builder, v string) {
	token := true
	for i := 0; i < len(v); i++ {
		if !isTokenChar(v[i]) {
			token = false
			break
		}
	}
	if token {
		b.WriteString(v)
		return
	}
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		if c < 0x20 || c == 0x7f { // never valid in a header value
			continue
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// clientIP extracts the address from RemoteAddr ("ip:port" or a bare ip).
func clientIP(remoteAddr string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	if a, err := netip.ParseAddr(remoteAddr); err == nil {
		return a.Unmap()
	}
	return netip.Addr{}
}

// isHop reports whether canonical key k is hop-by-hop, either always or
// because a Connection header value names it.
func isHop(k string, connection []string) bool {
	for _, h := range hopHeaders {
		if k == h {
			return true
		}
	}
	for _, v := range connection {
		for name := range strings.SplitSeq(v, ",") {
			if http.CanonicalHeaderKey(strings.TrimSpace(name)) == k {
				return true
			}
		}
	}
	return false
}

// copyResponseHeader copies upstream headers to dst, minus hop-by-hop
// headers and ones that leak the upstream's software.
func copyResponseHeader(dst, src http.Header) {
	connection := src["Connection"]
	for k, vs := range src {
		if k == "Server" || k == "X-Powered-By" || isHop(k, connection) {
			continue
		}
		dst[k] = vs
	}
}

// ClientGone wraps err (the client's context error seen while waiting) the
// way Forward reports a client that went away.
func ClientGone(r *http.Request, err error) error {
	return fmt.Errorf("proxy: client canceled request to %s: %w", r.URL.Redacted(), err)
}
