// Package proxy forwards a gateway request to a plain HTTP upstream and
// streams the upstream response back to the client.
//
// A Forwarder is built once (it owns the HTTP transport and a pool of copy
// buffers) and shared by every endpoint; each call to Forward describes its
// upstream with a Target. Forward never writes an error body itself: before
// the response headers are written it returns a *problem.Problem (502 or 504)
// for the caller to render, or the client's context error when the client went
// away; once headers are written it only returns (and logs) copy errors.
//
// Request headers are forwarded through an allowlist, so credentials the
// gateway consumed (Authorization, Cookie, X-Api-Key) never reach the upstream
// unless a Target asks for them. Hop-by-hop headers are stripped in both
// directions, redirects are passed back to the client rather than followed,
// and request and response bodies are streamed, never buffered.
package proxy
