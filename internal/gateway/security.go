package gateway

import "net/http"

// Security headers set on every gateway response when it starts, over
// whatever an upstream sent (docs/gateway-headers.md).
var (
	hdrHSTS           = []string{"max-age=31536000; includeSubDomains"}
	hdrNoSniff        = []string{"nosniff"}
	hdrFrameDeny      = []string{"DENY"}
	hdrReferrerPolicy = []string{"strict-origin-when-cross-origin"}
)

// secureHeaders sets the security headers on h and removes headers that
// name the software behind the gateway. The values are shared, read-only.
func secureHeaders(h http.Header) {
	h["Strict-Transport-Security"] = hdrHSTS
	h["X-Content-Type-Options"] = hdrNoSniff
	h["X-Frame-Options"] = hdrFrameDeny
	h["Referrer-Policy"] = hdrReferrerPolicy
	delete(h, "Server")
	delete(h, "X-Powered-By")
	delete(h, "X-Aspnet-Version")
	delete(h, "X-Aspnetmvc-Version")
}

// maxRequestIDLen bounds a propagated X-Request-Id.
const maxRequestIDLen = 128

// validRequestID reports whether a client's X-Request-Id may be logged and
// propagated upstream: 1-128 bytes of letters, digits and - _ . : + / = ~
// (UUIDs, ULIDs, base64, trace ids); anything else is replaced.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > maxRequestIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '+' || c == '/' || c == '=' || c == '~':
		default:
			return false
		}
	}
	return true
}
