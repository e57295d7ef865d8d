package introspect_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"

	"github.com/portico/portico/internal/auth/introspect"
)

type bodyTransport []byte

func (b bodyTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(b))}, nil
}

// FuzzIntrospectResponse: any response body of a tenant's endpoint is an
// answer or ErrUnavailable, never a panic; an inactive answer carries
// nothing else.
func FuzzIntrospectResponse(f *testing.F) {
	f.Add([]byte(`{"active":true,"sub":"u","scope":"a b","exp":1,"aud":["x"]}`))
	f.Add([]byte(`{"active":false,"sub":"u"}`))
	f.Add([]byte(`{"active":"yes"}`))
	f.Add([]byte(`{"aud":{}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		in := introspect.New(introspect.Config{Client: &http.Client{Transport: bodyTransport(body)}})
		res, err := in.Introspect(t.Context(), introspect.Endpoint{URL: "https://idp.example/introspect", ClientID: "c", ClientSecret: "s"}, "tok")
		if err != nil {
			if !errors.Is(err, introspect.ErrUnavailable) {
				t.Fatalf("err %v does not wrap ErrUnavailable", err)
			}
			return
		}
		if !res.Active && (res.Subject != "" || res.Scope != "") {
			t.Fatalf("inactive answer carries claims: %+v", res)
		}
		_ = res.Audiences()
	})
}
