package management

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/portico/portico/internal/problem"
)

// cursorCodec makes store cursors opaque to clients, signed (HMAC-SHA256),
// and bound to the tenant and the listing they came from: a cursor used by
// another tenant or on another listing is a 400.
type cursorCodec struct{ key []byte }

type cursorBody struct {
	Tenant string `json:"t"`
	Scope  string `json:"s"`
	Inner  string `json:"c"`
}

func (c cursorCodec) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write(payload)
	return m.Sum(nil)
}

// encode wraps a store cursor; "" stays "".
func (c cursorCodec) encode(tenant, scope, inner string) string {
	if inner == "" {
		return ""
	}
	payload, _ := json.Marshal(cursorBody{Tenant: tenant, Scope: scope, Inner: inner})
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(c.mac(payload))
}

// decode verifies a client cursor and returns the store cursor.
func (c cursorCodec) decode(tenant, scope, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	bad := problem.BadRequest("/cursor", "the cursor is invalid, expired or belongs to another listing")
	p, s, ok := strings.Cut(token, ".")
	if !ok || len(token) > 4096 {
		return "", bad
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	sig, err2 := base64.RawURLEncoding.DecodeString(s)
	if err1 != nil || err2 != nil || !hmac.Equal(sig, c.mac(payload)) {
		return "", bad
	}
	var b cursorBody
	if err := json.Unmarshal(payload, &b); err != nil || b.Tenant != tenant || b.Scope != scope || b.Inner == "" {
		return "", bad
	}
	return b.Inner, nil
}
