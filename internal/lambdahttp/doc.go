// Package lambdahttp runs an http.Handler as an AWS Lambda function behind an
// API Gateway HTTP API (payload format 2.0).
//
// Handler wraps aws-lambda-go-api-proxy's httpadapter (NewV2 and
// ProxyWithContext) and fixes the places where the adapter's request differs
// from what net/http would give the same handler:
//
//   - Context: the request context is the Lambda invocation context, so it
//     carries the invocation deadline; the adapter's API Gateway request
//     context stays readable with core.GetAPIGatewayV2ContextFromContext.
//   - Path: rawPath reaches the handler exactly as API Gateway delivers it
//     (falling back to requestContext.http.path when empty). Nothing is
//     stripped: on the $default stage the path has no stage segment, but on a
//     named stage reached through the execute-api URL it starts with
//     "/<stage>" (rawPath "/prod/items" for a route "/items"), and through a
//     custom domain it starts with the API mapping key, if any. Deploy on
//     $default (as Portico does) or route with the prefix; the stage name is
//     in requestContext.stage. The query is rawQueryString, verbatim.
//   - Headers: API Gateway joins repeated request headers with commas. The
//     adapter splits every non-singleton header on "," (which corrupts values
//     such as dates or quoted strings and makes Header.Get return only the
//     first element); Handler restores each header to the single value API
//     Gateway delivered, as net/http would for one header line. The Host
//     header moves to r.Host, as in net/http.
//   - Cookies: the event's cookies array becomes one "Cookie" header joined
//     with "; " (RFC 6265 section 5.4), so r.Cookie works and proxying
//     upstream sends a well-formed header.
//   - Client address: r.RemoteAddr is requestContext.http.sourceIp as
//     "host:port" with port 0 (the form net/http uses, so net.SplitHostPort
//     works); SourceIP returns it as a netip.Addr. X-Forwarded-For is passed
//     through untouched and is client-controlled: do not trust it.
//   - Bodies: a base64 request body (isBase64Encoded) is decoded before the
//     handler reads it. A response body that is valid UTF-8 is returned as
//     text, anything else base64 with isBase64Encoded set. Set-Cookie
//     response headers become the response's cookies array; other repeated
//     response headers are joined with ",".
//   - Status: a handler that writes nothing answers 200, and only the first
//     WriteHeader counts, as in net/http (the adapter would fail the
//     invocation, or let a later WriteHeader win).
//   - Panics: a panicking handler fails the invocation with an error (API
//     Gateway answers 500) instead of crashing the runtime process, which
//     would cost a cold start.
package lambdahttp
