package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Header names of the Standard Webhooks scheme.
const (
	HeaderID        = "Webhook-Id"
	HeaderTimestamp = "Webhook-Timestamp"
	HeaderSignature = "Webhook-Signature"
)

// SecretPrefix starts a secret as shown to tenants.
const SecretPrefix = "whsec_"

// Secret sizes, in bytes of key material (the spec asks for 24 to 64).
const (
	secretBytes    = 32
	minSecretBytes = 24
	maxSecretBytes = 64
)

// ErrSecret means a secret is not "whsec_" followed by 24 to 64 bytes in
// standard base64.
var ErrSecret = errors.New("webhook: secret must be whsec_ and 24-64 bytes of base64")

// NewSecret returns a new secret ("whsec_" + base64 of 32 bytes from rnd).
func NewSecret(rnd io.Reader) (string, error) {
	var b [secretBytes]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", fmt.Errorf("webhook: new secret: %w", err)
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// DecodeSecret returns the key of a secret, with or without its prefix.
func DecodeSecret(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, SecretPrefix))
	if err != nil || len(k) < minSecretBytes || len(k) > maxSecretBytes {
		return nil, ErrSecret
	}
	return k, nil
}

// Sign returns the webhook-signature value of one message: "v1," and the
// base64 HMAC-SHA256 of "id.timestamp.body" under key.
func Sign(key []byte, id string, ts time.Time, body []byte) string {
	return "v1," + base64.StdEncoding.EncodeToString(mac(key, id, ts.Unix(), body))
}

// SignAll returns the webhook-signature value of a message signed with
// every key: space-separated "v1,..." entries, as the spec allows while a
// secret is being rotated (receivers accept any one that verifies).
func SignAll(keys [][]byte, id string, ts time.Time, body []byte) string {
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(Sign(k, id, ts, body))
	}
	return b.String()
}

func mac(key []byte, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// maxSignatures bounds how many entries of a webhook-signature header are
// looked at.
const maxSignatures = 16

// ParseSignatures returns the decoded v1 signatures of a webhook-signature
// header: space-separated "version,base64" entries. Entries of other
// versions (v1a is asymmetric) and malformed ones are skipped; at most
// maxSignatures entries are read.
func ParseSignatures(h string) [][]byte {
	var out [][]byte
	n := 0
	for f := range strings.FieldsSeq(h) {
		if n++; n > maxSignatures {
			break
		}
		ver, sig, ok := strings.Cut(f, ",")
		if !ok || ver != "v1" || len(sig) > 128 {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil || len(b) != sha256.Size {
			continue
		}
		out = append(out, b)
	}
	return out
}
